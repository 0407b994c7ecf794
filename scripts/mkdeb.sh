#!/bin/bash
# Build the Debian package: copy this tree (tracked and new files, as they
# are now) to BUILD/deb/ksleuth-VERSION, put VERSION on top of its
# debian/changelog, run dpkg-buildpackage there, move the .deb to BUILD
# and check it with lintian (errors and warnings fail the build; info
# tags are shown, and each one overridden says why in
# debian/ksleuth.lintian-overrides).
# Usage: scripts/mkdeb.sh BUILD VERSION   (make deb calls it)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: mkdeb.sh BUILD VERSION}
ver=${2:?usage: mkdeb.sh BUILD VERSION (scripts/debversion.sh says it)}
case $build in /*) ;; *) build=$PWD/$build ;; esac

top=$build/deb
stage=$top/ksleuth-$ver
rm -rf "$top"
mkdir -p "$stage"
git ls-files -z -co --exclude-standard | while IFS= read -r -d '' f; do
	[ -e "$f" ] && printf '%s\0' "$f"
done | tar --null -T - -cf - | tar -xf - -C "$stage"

# The snapshot's entry: the commit it was made from, dated by that commit,
# so that two builds of one commit are the same package; a tree with
# changes is dated now (it must be newer than the entries below it).
commit=$(git rev-parse --short HEAD)
when=$(git log -1 --format=%aD HEAD)
git diff --quiet HEAD -- || { commit="$commit with changes"; when=$(date -R); }
maint=$(sed -n 's/^Maintainer: //p' debian/control)
{
	echo "ksleuth ($ver) unstable; urgency=medium"
	echo
	echo "  * Snapshot of git commit $commit."
	echo
	echo " -- $maint  $when"
	echo
	cat debian/changelog
} > "$stage/debian/changelog"

# git must not find this checkout from inside the copy: the copy's build
# takes its version from debian/changelog alone.
export GIT_CEILING_DIRECTORIES=$top
(cd "$stage" && dpkg-buildpackage -b -us -uc)
deb=ksleuth_${ver}_$(dpkg --print-architecture).deb
# BUILD gets the package only once lintian passed it: make must not take
# a rejected package for a built one.
lintian --display-info --fail-on error,warning "$top/$deb"
mv "$top/$deb" "$build/$deb"
echo "mkdeb.sh: built $build/$deb; lintian: no error or warning"

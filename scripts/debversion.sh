#!/bin/bash
# Print the Debian package version of this checkout, from git: the newest
# tag vX.Y[.Z] with the commits since it and the commit ("1.2+git3.gabc1234"),
# or without a tag 0.1 with the commit count ("0.1+git232.g925be5c"), so
# that a later commit sorts higher; ".dirty" when the tree has changes.
# A native package: no Debian revision, so no "-" in it.
set -euo pipefail
cd "$(dirname "$0")/.."

if d=$(git describe --tags --long --match 'v[0-9]*' 2>/dev/null); then
	# v1.2-3-gabc1234 -> 1.2+git3.gabc1234
	base=${d%-*-g*}; base=${base#v}
	rest=${d#"v$base"-}
	v="$base+git${rest%%-*}.${rest#*-}"
else
	v="0.1+git$(git rev-list --count HEAD).g$(git rev-parse --short HEAD)"
fi
git diff --quiet HEAD -- 2>/dev/null || v="$v.dirty"
# Debian allows [0-9A-Za-z.+~] in a native version, starting with a digit
case $v in [0-9]*) ;; *) echo "debversion.sh: '$v' does not start with a digit" >&2; exit 1 ;; esac
if [[ $v == *[!0-9A-Za-z.+~]* ]]; then
	echo "debversion.sh: '$v' holds a character Debian versions cannot" >&2; exit 1
fi
echo "$v"

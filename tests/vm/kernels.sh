#!/bin/bash
# tests/vm/kernels.sh — fetch Debian kernel packages for the kernel matrix
# and unpack them into a cache that later runs reuse (nothing is
# downloaded twice). Prints one line per kernel: NAME DIR RELEASE.
#
# Names: 6.1, 6.1-rt, 6.12, 6.12-rt (Debian 12's), 5.10 (Debian 11's,
# through a private sources list: the machine's own lists stay untouched).
# The newest package of each series that apt-cache lists is taken.
# Usage: tests/vm/kernels.sh NAME...    (KS_VM_CACHE, default /var/cache/ksleuth-vm)
set -euo pipefail

CACHE=${KS_VM_CACHE:-/var/cache/ksleuth-vm}
mkdir -p "$CACHE"

# apt options for Debian 11 (bullseye): its own sources list and state
# directory under the cache, so the machine's apt configuration is not touched.
bullseye_opts() {
	local d=$CACHE/apt-bullseye
	mkdir -p "$d/lists/partial"
	[ -f "$d/sources.list" ] || {
		# The machine's own Debian mirrors (deb822 or one-line lists),
		# comments left out; Debian 11's kernels are in bullseye-security.
		local main sec
		main=$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null |
			sed -nE 's/^(URIs:|deb) *(\[[^]]*\] *)?(https?:[^ ]*\/debian)\/? .*$|^URIs: *(https?:[^ ]*\/debian)\/?$/\3\4/p' | head -1)
		sec=$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null |
			sed -nE 's/^(URIs:|deb) *(\[[^]]*\] *)?(https?:[^ ]*\/debian-security)\/?( .*)?$/\3/p' | head -1)
		[ -n "$main" ] || main=http://deb.debian.org/debian
		{
			echo "deb $main bullseye main"
			[ -n "$sec" ] && echo "deb $sec bullseye-security main"
		} > "$d/sources.list"
	}
	echo "-o Dir::Etc::sourcelist=$d/sources.list -o Dir::Etc::sourceparts=- -o Dir::State::Lists=$d/lists"
}

# pattern for `apt-cache search --names-only` of each series
pattern() {
	case $1 in
	6.1)     echo '^linux-image-6\.1\.0-[0-9]+-cloud-amd64-unsigned$' ;;
	6.1-rt)  echo '^linux-image-6\.1\.0-[0-9]+-rt-amd64-unsigned$' ;;
	6.12)    echo '^linux-image-6\.12\.[0-9]+\+deb12-cloud-amd64-unsigned$' ;;
	6.12-rt) echo '^linux-image-6\.12\.[0-9]+\+deb12-rt-amd64-unsigned$' ;;
	5.10)    echo '^linux-image-5\.10\.0-[0-9]+-cloud-amd64-unsigned$' ;;
	*) return 1 ;;
	esac
}

fetch() {
	local name=$1 opts="" pat pkgs pkg deb dir
	pat=$(pattern "$name") || { echo "kernels.sh: unknown kernel '$name' (6.1 6.1-rt 6.12 6.12-rt 5.10)" >&2; return 2; }
	# A series already unpacked is reused as it is: a second run asks no registry.
	dir=$(ls -d "$CACHE"/x/* 2>/dev/null | grep -E "/${pat#^}" | sort -V | tail -1 || true)
	if [ -z "$dir" ]; then
		if [ "$name" = 5.10 ]; then
			opts=$(bullseye_opts)
			# shellcheck disable=SC2086
			[ -n "$(ls "$CACHE/apt-bullseye/lists" | grep -v partial)" ] || apt-get $opts update -qq >&2
		fi
		# shellcheck disable=SC2086
		pkgs=$(apt-cache $opts search --names-only "$pat" | awk '{print $1}' | sort -V -r)
		if [ -z "$pkgs" ]; then # a fresh machine's lists are empty: refresh once
			# shellcheck disable=SC2086
			apt-get $opts update -qq >&2
			# shellcheck disable=SC2086
			pkgs=$(apt-cache $opts search --names-only "$pat" | awk '{print $1}' | sort -V -r)
		fi
		[ -n "$pkgs" ] || { echo "kernels.sh: no package matches $pat (apt-get update first?)" >&2; return 1; }
		# Some listed versions are gone from the mirror: take the newest that downloads.
		for pkg in $pkgs; do
			# shellcheck disable=SC2086
			(cd "$CACHE" && apt-get $opts download -qq "$pkg" >/dev/null 2>&1) && break
			pkg=""
		done
		[ -n "$pkg" ] || { echo "kernels.sh: no $name package could be downloaded" >&2; return 1; }
		deb=$(ls "$CACHE/${pkg}"_*.deb | tail -1)
		dir=$CACHE/x/$pkg
		rm -rf "$dir.tmp"; mkdir -p "$dir.tmp"
		dpkg-deb -x "$deb" "$dir.tmp"
		mv "$dir.tmp" "$dir"
		rm -f "$deb"
	fi
	local rel
	rel=$(ls "$dir/lib/modules" | head -1)
	echo "$name $dir $rel"
}

[ $# -gt 0 ] || { echo "usage: tests/vm/kernels.sh NAME... (6.1 6.1-rt 6.12 6.12-rt 5.10)" >&2; exit 2; }
for k in "$@"; do fetch "$k"; done

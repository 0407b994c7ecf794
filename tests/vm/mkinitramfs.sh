#!/bin/bash
# tests/vm/mkinitramfs.sh — build a guest's initramfs: busybox-static, the
# ksleuth binary and its hog (ksleuth-hog, beside it), the programs the guest scenarios run (ip, tc, iperf3,
# ethtool, nft) with the libraries ldd names, and the network modules
# (veth, nf_tables, netem, tbf) from the kernel package itself, loaded in
# dependency order by /init.
# Usage: tests/vm/mkinitramfs.sh KERNEL_DIR RELEASE KSLEUTH_BIN OUT.cpio.gz
set -euo pipefail
kdir=$1 rel=$2 bin=$3 out=$4
here=$(cd "$(dirname "$0")" && pwd)

root=$(mktemp -d /tmp/ksleuth-initramfs.XXXXXX)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,etc,proc,sys,dev,tmp,run,var,root,mnt}
ln -s /run "$root/var/run"

copy_with_libs() {
	local f lib
	for f in "$@"; do
		f=$(readlink -f "$f")
		mkdir -p "$root$(dirname "$f")"
		cp -L "$f" "$root$f"
		for lib in $(ldd "$f" 2>/dev/null | grep -oE '/[^ ]+\.so[^ ]*'); do
			[ -e "$root$lib" ] && continue
			mkdir -p "$root$(dirname "$lib")"
			cp -L "$lib" "$root$lib"
		done
	done
}

cp /bin/busybox "$root/bin/busybox"
for a in $("$root/bin/busybox" --list); do
	[ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"
done
# The real tools shadow busybox's smaller applets of the same name.
# Each is reachable as /usr/sbin/NAME, wherever the host keeps it; busybox
# sh runs its own applets before PATH, so scripts name /usr/sbin/ip and
# /usr/sbin/tc in full.
for t in iperf3 ip tc ethtool nft; do
	p=$(PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v "$t") || { echo "mkinitramfs.sh: $t is missing" >&2; exit 1; }
	copy_with_libs "$p"
	real=$(readlink -f "$p")
	[ "$real" = "/usr/sbin/$t" ] || ln -sf "$real" "$root/usr/sbin/$t"
done
ln -sf /usr/sbin/ip "$root/bin/ip"; ln -sf /usr/sbin/tc "$root/bin/tc"
mkdir -p "$root/usr/lib/x86_64-linux-gnu"
copy_with_libs "$bin"
cp -L "$bin" "$root/bin/ksleuth"
# the hog the guest runs as a culprit, where the demo looks first: beside
# the binary (it needs no library ksleuth does not)
cp -L "$(dirname "$bin")/ksleuth-hog" "$root/bin/ksleuth-hog"
# iproute2 reads its tables from here; nft and iperf3 look up names.
cp -r /usr/share/iproute2 "$root/usr/share/" 2>/dev/null || true
[ -d /etc/iproute2 ] && cp -r /etc/iproute2 "$root/etc/"
echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
echo "root:x:0:" > "$root/etc/group"
printf '127.0.0.1 localhost\n' > "$root/etc/hosts"

# Modules: uncompressed copies of what the scenarios need and their
# dependencies, in load order (kmod's modprobe --show-depends resolves it
# against a depmod of the package's own tree).
mods="veth nf_tables nft_numgen sch_netem sch_tbf"
mtree=$(mktemp -d /tmp/ksleuth-mods.XXXXXX)
trap 'rm -rf "$root" "$mtree"' EXIT
mkdir -p "$mtree/lib/modules"
cp -r "$kdir/lib/modules/$rel" "$mtree/lib/modules/"
find "$mtree" -name '*.ko.xz' -exec xz -d {} +
find "$mtree" -name '*.ko.zst' -exec zstd -q -d --rm {} +
depmod -b "$mtree" "$rel"
: > "$root/modules.order"
mkdir -p "$root/lib/modules"
for m in $mods; do
	modprobe -d "$mtree" -S "$rel" --show-depends "$m" 2>/dev/null | awk '$1 == "insmod" {print $2}' |
	while read -r ko; do
		base=$(basename "$ko")
		grep -qx "/lib/modules/$base" "$root/modules.order" && continue
		cp "$ko" "$root/lib/modules/$base"
		echo "/lib/modules/$base" >> "$root/modules.order"
	done
done

cp "$here/init" "$root/init"
cp "${KS_VM_GUEST:-$here/guest.sh}" "$root/guest.sh"
chmod +x "$root/init" "$root/guest.sh"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out.tmp"
mv "$out.tmp" "$out"

#!/bin/bash
# Install (with apt-get) what ksleuth needs to build, and with --test what
# its tests need, with --deb what `make deb` needs. Says what it installs;
# does nothing when all is present.
# Usage: scripts/deps.sh [--test] [--demo] [--deb] [--check]
set -euo pipefail

want_test=0
want_demo=0
want_deb=0
check_only=0
for a in "$@"; do
	case "$a" in
	--test) want_test=1 ;;
	--demo) want_demo=1 ;;
	--deb) want_deb=1 ;;
	--check) check_only=1 ;;
	*) echo "deps.sh: unknown option '$a'" >&2; exit 2 ;;
	esac
done

# package -> a file or command whose presence proves it is installed
build_pkgs=(
	"clang:/usr/bin/clang"
	"llvm:/usr/bin/llvm-strip"
	"libbpf-dev:/usr/include/bpf/libbpf.h"
	"bpftool:/usr/sbin/bpftool"
	"libelf-dev:/usr/include/libelf.h"
	"zlib1g-dev:/usr/include/zlib.h"
	"pkg-config:/usr/bin/pkg-config"
	"make:/usr/bin/make"
	"gcc:/usr/bin/gcc"
)
test_pkgs=(
	"bpftrace:/usr/bin/bpftrace"
	# the peers ksleuth is compared with (tests/system/test_peers.sh)
	"libbpf-tools:/usr/sbin/runqlat"
	"iperf3:/usr/bin/iperf3"
	"iproute2:/usr/sbin/ip"
	"jq:/usr/bin/jq"
	"util-linux:/usr/bin/setpriv"
	"linux-perf:/usr/bin/perf"
	"prometheus:/usr/bin/promtool"
	# drops beside the agent's metrics in the Grafana dashboard (test_dashboard.sh)
	"prometheus-node-exporter:/usr/bin/prometheus-node-exporter"
	"libasan8:/usr/lib/x86_64-linux-gnu/libasan.so.8"
	"libubsan1:/usr/lib/x86_64-linux-gnu/libubsan.so.1"
	# libFuzzer for the harnesses in tests/fuzz (clang -fsanitize=fuzzer)
	"libclang-rt-14-dev:/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a"
	# the agent's --events file under the real logrotate (test_logrotate.sh)
	"logrotate:/usr/sbin/logrotate"
	# report --html opened in a real browser (test_report_views.sh)
	"chromium:/usr/bin/chromium"
	"procps:/usr/bin/pgrep"
	"python3:/usr/bin/python3"
	"curl:/usr/bin/curl"
	"bc:/usr/bin/bc"
	"gzip:/usr/bin/zcat"
	# the kernel matrix (tests/vm): guests under QEMU, their initramfs
	"qemu-system-x86:/usr/bin/qemu-system-x86_64"
	"busybox-static:/bin/busybox"
	"cpio:/bin/cpio"
	"kmod:/sbin/depmod"
	"ethtool:/sbin/ethtool"
	"nftables:/usr/sbin/nft"
)

# what `ksleuth demo` runs: the network test bed's tools
demo_pkgs=(
	"iproute2:/usr/sbin/ip"
	"iperf3:/usr/bin/iperf3"
)

# `make deb`: the Debian package's tools and its checker; man-db and
# bash-completion let tests/system/test_deb.sh read what it installed
deb_pkgs=(
	"debhelper:/usr/bin/dh"
	"dpkg-dev:/usr/bin/dpkg-buildpackage"
	"fakeroot:/usr/bin/fakeroot"
	"lintian:/usr/bin/lintian"
	"man-db:/usr/bin/man"
	"bash-completion:/usr/share/bash-completion/bash_completion"
)

missing=()
check() {
	local p
	for p in "$@"; do
		local pkg=${p%%:*} file=${p#*:}
		[ -e "$file" ] || missing+=("$pkg")
	done
}
check "${build_pkgs[@]}"
[ $want_test = 1 ] && check "${test_pkgs[@]}"
[ $want_demo = 1 ] && check "${demo_pkgs[@]}"
[ $want_deb = 1 ] && check "${deb_pkgs[@]}"

[ ${#missing[@]} = 0 ] && exit 0
if [ $check_only = 1 ]; then
	echo "missing packages: ${missing[*]}" >&2
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: missing packages (${missing[*]}); run as root or: apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# The package lists of a fresh machine are empty or stale: refresh first.
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2

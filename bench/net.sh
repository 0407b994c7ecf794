#!/bin/bash
# bench/net.sh — cost of `ksleuth softirq` + `ksleuth napi` on the network
# path: veth TCP throughput (iperf3, 4 flows) and packets/s (softnet_stat
# "processed" summed over CPUs) with both running vs not, interleaved in
# one run, median of REPS repetitions. Traffic only inside two namespaces
# it creates; holds the system-test lock so no hog runs meanwhile.
# Usage: bench/net.sh [REPS] [SECONDS]   (default 5 x 5 s)
set -u
cd "$(dirname "$0")/.."
KS=${KS:-build/ksleuth}
REPS=${1:-5}
SECS=${2:-5}
NSA=ksb-a-$$ NSB=ksb-b-$$
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	ip netns del "$NSA" 2>/dev/null; ip netns del "$NSB" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

exec 9>/tmp/ksleuth-systest.lock
flock 9

ip netns add "$NSA" && ip netns add "$NSB" || exit 1
ip link add va netns "$NSA" type veth peer name vb netns "$NSB" || exit 1
ip -n "$NSA" addr add 10.202.0.1/24 dev va; ip -n "$NSB" addr add 10.202.0.2/24 dev vb
for n in "$NSA" "$NSB"; do ip -n "$n" link set lo up; done
ip -n "$NSA" link set va up; ip -n "$NSB" link set vb up

processed() { local s=0 l; while read -r -a l; do s=$(( s + 16#${l[0]} )); done < /proc/net/softnet_stat; echo $s; }

# one_run -> "bits_per_s packets_per_s"
one_run() {
	ip netns exec "$NSB" iperf3 -s -1 -p 5301 >/dev/null 2>&1 &
	local srv=$!
	sleep 0.3
	local p0 p1 bps
	p0=$(processed)
	bps=$(ip netns exec "$NSA" iperf3 -c 10.202.0.2 -p 5301 -P 4 -t "$SECS" -J 2>/dev/null |
		jq '.end.sum_received.bits_per_second | floor')
	p1=$(processed)
	wait "$srv" 2>/dev/null
	echo "$bps $(( (p1 - p0) / SECS ))"
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }

: >/tmp/ksb-off.$$; : >/tmp/ksb-on.$$
traced_run() {
	"$KS" softirq -i 3600 >/dev/null 2>&1 & pids+=($!); local s=$!
	"$KS" napi -i 3600 >/dev/null 2>&1 & pids+=($!); local n=$!
	sleep 1
	one_run >>/tmp/ksb-on.$$
	kill -INT "$s" "$n"; wait "$s" "$n" 2>/dev/null
	pids=()
}
# alternate which comes first, so drift in the VM does not favour one side
for i in $(seq 1 "$REPS"); do
	if [ $((i % 2)) = 1 ]; then one_run >>/tmp/ksb-off.$$; traced_run
	else traced_run; one_run >>/tmp/ksb-off.$$; fi
done
off_b=$(cut -d' ' -f1 /tmp/ksb-off.$$ | median); on_b=$(cut -d' ' -f1 /tmp/ksb-on.$$ | median)
off_p=$(cut -d' ' -f2 /tmp/ksb-off.$$ | median); on_p=$(cut -d' ' -f2 /tmp/ksb-on.$$ | median)
rm -f /tmp/ksb-off.$$ /tmp/ksb-on.$$
echo "| $(date -u +%F) | $(nproc) CPUs, $(uname -r) | bench/net.sh $REPS $SECS | $(( off_b / 1000000 )) Mbit/s, $off_p pkt/s | $(( on_b / 1000000 )) Mbit/s, $on_p pkt/s | $(awk -v a="$off_b" -v b="$on_b" 'BEGIN { printf "%.1f %%", (a - b) * 100 / a }') |"

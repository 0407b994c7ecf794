# Loss from a rate limit, no CPU involved: a tbf qdisc of 20 Mbit/s on the
# sending veth for 3 s.
DESC="tc tbf 20 Mbit/s rate limit on the sending veth, 3 s"
EXPECT=incident:not_cpu
CULPRIT=none
NET=1
fault() {
	ip netns exec "$NS_TX" tc qdisc replace dev ksl-tx root tbf rate 20mbit burst 16kb latency 10ms || return 1
	fault_mark start
	sleep 3
	ip netns exec "$NS_TX" tc qdisc del dev ksl-tx root
	fault_mark end
}

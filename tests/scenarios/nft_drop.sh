# Loss on the wire, no CPU involved: nftables drops 5% of the packets the
# receiving namespace gets, for 3 s.
DESC="nftables random 5% drop in the receiving namespace, 3 s"
EXPECT=incident:not_cpu
CULPRIT=none
NET=1
fault() {
	ip netns exec "$NS_RX" nft -f - <<'NFT' || return 1
table inet ksleuth_scen {
	chain input {
		type filter hook input priority 0; policy accept;
		ip saddr 10.201.0.1 numgen random mod 100 < 5 drop
	}
}
NFT
	fault_mark start
	sleep 3
	ip netns exec "$NS_RX" nft delete table inet ksleuth_scen
	fault_mark end
}

# A kernel hold with bottom halves on: no preemption, but interrupt exits
# still run NET_RX there (6.5+). Whether the network suffers depends on
# the load: the rest of NET_RX's work waits for ksoftirqd, and the
# receive CPU's backlog may overflow (ksoftirqd_starved); without loss it
# is a finding, not an incident.
DESC="no-preemption kernel hog, BHs on, 500 ms x2, receive CPU"
EXPECT=incident:ksoftirqd_starved
EXPECT_UNHARMED=finding:cpu_stall_no_network_impact
CULPRIT=fault
NET=1
fault() { "$KS_HOG" --mode kernel -c "$RX" --run 500ms --gap 1500ms -n 2 --json; }

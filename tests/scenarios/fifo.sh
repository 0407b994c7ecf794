# A SCHED_FIFO user-space loop on the receive CPU under veth load: every
# SCHED_OTHER task there, ksoftirqd included, waits behind it. Interrupt
# exits still run NET_RX (6.5+), so the network may come through; then
# the hold is a finding naming the FIFO task.
DESC="SCHED_FIFO user hog, 700 ms x2, receive CPU"
EXPECT=incident:rt_starvation
EXPECT_UNHARMED=finding:cpu_stall_no_network_impact
CULPRIT=fault
NET=1
fault() { "$KS_HOG" --mode fifo -c "$RX" --run 700ms --gap 1500ms -n 2 --json; }

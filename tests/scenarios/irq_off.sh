# Interrupts off on the receive CPU: no tick, no NET_RX, nothing sampled
# inside; the silence is the evidence. On a VM a late tick after the
# return to user mode makes it cpu_not_running (naming the task in the
# summary), which the doctor cannot tell apart there. Where the load came
# through without loss, the silence is a harmless finding.
DESC="interrupts-off kernel hog, 300 ms x2, receive CPU"
EXPECT="incident:softirq_blocked|cpu_not_running"
EXPECT_UNHARMED=finding:cpu_stall_no_network_impact
CULPRIT=fault
NET=1
fault() { "$KS_HOG" --mode kernel-irq -c "$RX" --run 300ms --gap 1500ms -n 2 --json; }

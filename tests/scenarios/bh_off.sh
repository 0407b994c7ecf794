# The seed incident: a kernel hold with bottom halves off on the receive
# CPU under veth load. NET_RX cannot run there; the hog is to blame.
# NET_RX held off 500 ms is a spike of its own, loss or not.
DESC="BH-off kernel hog, 500 ms x2, receive CPU"
EXPECT=incident:softirq_blocked
CULPRIT=fault
NET=1
fault() { "$KS_HOG" --mode kernel-bh -c "$RX" --run 500ms --gap 1500ms -n 2 --json; }

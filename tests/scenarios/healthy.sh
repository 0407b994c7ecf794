# Control: veth load at full rate, no fault. Nothing to report.
DESC="control: veth load, no fault"
EXPECT=none
CULPRIT=none
NET=1
fault() { fault_mark start; sleep 4; fault_mark end; }

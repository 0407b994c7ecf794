# Control: no fault and no network load. Nothing to report.
DESC="control: no fault, no network load"
EXPECT=none
CULPRIT=none
NET=0
fault() { fault_mark start; sleep 4; fault_mark end; }

/* count.h — contract of the count collector: one per-CPU counter per
 * event (tracepoint, kprobe'd or fentry'd function), indexed by the link's
 * bpf_cookie or, for fentry, by the instance's fentry_idx. */
#ifndef KS_BPF_COUNT_H
#define KS_BPF_COUNT_H

/* Most events one `ksleuth count` attaches, tracepoints and functions
 * together (a tracepoint or a one-by-one kprobe costs a perf event and a
 * link: two file descriptors; a kprobe_multi link takes all k: functions). */
#define COUNT_MAX_EVENTS 1024
/* Most f: functions: fentry needs one loaded program per function, and
 * libbpf reads the kernel's BTF again for each (tens of milliseconds
 * each, seconds under emulation); k: counts more with one link. */
#define COUNT_MAX_FENTRY 16
/* Most t: events on kernels without BPF cookies (before 5.15): one
 * loaded program instance each (no BTF to read: quick to load). */
#define COUNT_MAX_TP_INSTANCES 128
/* Syscall numbers the raw sys_enter/sys_exit path covers (x86_64: ~470). */
#define COUNT_MAX_SYSCALLS 1024
/* CPU filter bitmap words: 64 x 16 = 1024 CPUs (CPUSET_MAX). */
#define COUNT_CPU_WORDS 16

#endif

/* count.h — contract of the count collector: one per-CPU counter per
 * attached tracepoint, indexed by the link's bpf_cookie. */
#ifndef KS_BPF_COUNT_H
#define KS_BPF_COUNT_H

/* Most tracepoints one `ksleuth count` attaches (each costs a perf event
 * and a link: two file descriptors). */
#define COUNT_MAX_EVENTS 1024
/* CPU filter bitmap words: 64 x 16 = 1024 CPUs (CPUSET_MAX). */
#define COUNT_CPU_WORDS 16

#endif

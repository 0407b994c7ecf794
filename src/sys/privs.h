/* privs.h — preflight checks before loading BPF: privileges and BTF. */
#ifndef SYS_PRIVS_H
#define SYS_PRIVS_H
#include <stdbool.h>

/* True when the process may load tracing BPF programs: CAP_SYS_ADMIN, or
 * CAP_BPF together with CAP_PERFMON (Linux >= 5.8). */
bool have_bpf_privileges(void);
/* Checks privileges and BTF; on failure prints one sentence naming what is
 * missing and what to do, and returns -1. who: how the command was called
 * ("ksleuth doctor", "ksleuth-hog"). */
int preflight_bpf(const char *who);

#endif

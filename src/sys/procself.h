/* procself.h — this process's CPU time, memory, open files and start
 * time, as Prometheus client libraries export them (process_*). Reads
 * /proc/self; the parsing is pure (lib/procself.h). */
#ifndef SYS_PROCSELF_H
#define SYS_PROCSELF_H
#include <stdint.h>

struct proc_self {
	double cpu_seconds;        /* user + system */
	uint64_t resident_bytes, virtual_bytes;
	uint64_t open_fds, max_fds;
	double start_time_s;       /* Unix seconds */
};

/* Returns 0, or -errno when /proc/self/stat cannot be read or parsed
 * (then nothing is filled). */
int proc_self_read(struct proc_self *out);

#endif

/* procself.h — a process's own resource use for the process_* metrics
 * Prometheus client libraries export, from /proc/PID/stat and /proc/stat
 * text. Pure: fed with strings; src/sys/procself.c reads the files. */
#ifndef LIB_PROCSELF_H
#define LIB_PROCSELF_H
#include <stdint.h>

/* The fields of /proc/PID/stat the metrics need, in the kernel's units. */
struct proc_stat_fields {
	uint64_t utime_ticks, stime_ticks; /* fields 14, 15: clock ticks */
	uint64_t starttime_ticks;          /* field 22: ticks after boot */
	uint64_t vsize_bytes;              /* field 23 */
	uint64_t rss_pages;                /* field 24 */
};

/* Parses one /proc/PID/stat line. The name (field 2) may hold spaces and
 * ')' itself, so fields are counted from the last ')'. Returns 0, or
 * -EINVAL when a field is missing or not a number. */
int proc_stat_parse(const char *line, struct proc_stat_fields *out);
/* The "btime SECONDS" line of /proc/stat (boot time, Unix seconds).
 * Returns 0 or -EINVAL. */
int proc_btime_parse(const char *text, uint64_t *btime_s);

#endif

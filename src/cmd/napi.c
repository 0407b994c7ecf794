/* napi.c — `ksleuth napi`: NAPI polls per device, CPU and context (polls,
 * packets, budget-exhausted polls, work histogram), /proc/net/softnet_stat
 * deltas per CPU, and with --stacks the kernel stacks of budget-exhausted
 * polls. Composition only: collector + /proc + output. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/napi.h"
#include "ksleuth.h"
#include "lib/json.h"
#include "lib/opt.h"
#include "lib/parse.h"
#include "lib/procnet.h"
#include "sys/ksyms.h"
#include "sys/live.h"
#include "sys/log.h"
#include "sys/loop.h"
#include "sys/procnet.h"
#include "sys/walltime.h"

#define SOFTNET_ROWS 1024

struct napi_args {
	bool stacks, json;
	struct cpuset cpus;
	uint64_t interval_ns, duration_ns;
};

static const struct opt napi_opts[] = {
	{ .lname = "stacks", OPT_FLAG_AT(struct napi_args, stacks),
	  .help = "kernel stacks of budget-exhausted polls, with counts" },
	OPT_CPUS(struct napi_args, cpus),
	OPT_INTERVAL(struct napi_args, interval_ns, NS_PER_SEC),
	OPT_DURATION(struct napi_args, duration_ns),
	OPT_JSON(struct napi_args, json, "JSON Lines: \"napi\", \"softnet\", \"napi_summary\", \"napi_stack\""),
	{ 0 }
};

const struct opt_cmd napi_cli = {
	.name = "napi",
	.summary = "NAPI polls per device and CPU, budget exhaustion, softnet drops",
	.description =
	"NAPI polls (napi:napi_poll) per device, CPU and context: polls, packets,\n"
	"polls that used their whole budget (EXHAUSTED: more was waiting), where the\n"
	"poll ran (irq-tail: softirq served at interrupt exit or local_bh_enable;\n"
	"ksoftirqd; napi-thread: threaded NAPI), and a packets-per-poll histogram.\n"
	"'(backlog)' is the per-CPU backlog (RPS, veth, netif_rx). Below: deltas of\n"
	"/proc/net/softnet_stat per CPU (DROPPED: backlog full; SQUEEZED: softirq\n"
	"ran out of budget or time; BACKLOG: queue length now).\n",
	.opts = napi_opts,
	.runs_command = true,
};

struct nt {
	struct napi_args a;
	struct napi_collector *col;
	struct json j;
	uint64_t t0_ns;
	struct napi_row *first, *prev;
	int nfirst, nprev;
	uint64_t st_first[NAPI_NR_STATS];
	struct softnet_row sn_first[SOFTNET_ROWS], sn_prev[SOFTNET_ROWS];
	int nsn_first, nsn_prev;
	struct ksyms *ksyms;
};

static bool want_cpu(struct nt *n, unsigned cpu)
{
	return opt_cpu_wanted(&n->a.cpus, cpu);
}

static void print_napi_rows(struct nt *n, const struct napi_row *r, int nr, uint64_t ts, const char *type)
{
	bool header = false;

	for (int i = 0; i < nr; i++) {
		const struct napi_val *v = &r[i].v;
		if (!want_cpu(n, r[i].cpu))
			continue;
		if (n->a.json) {
			json_obj_begin(&n->j);
			json_kstr(&n->j, "type", type);
			json_kuint(&n->j, "ts_ns", ts);
			json_kstr(&n->j, "dev", r[i].dev);
			json_kuint(&n->j, "cpu", r[i].cpu);
			json_kstr(&n->j, "context", napi_ctx_name(r[i].ctx));
			json_kuint(&n->j, "polls", v->polls);
			json_kuint(&n->j, "packets", v->work);
			json_kuint(&n->j, "budget_exhausted", v->exhausted);
			json_obj_end(&n->j);
			json_line_end(&n->j);
			continue;
		}
		if (!header) {
			printf("  %-16s %4s %-11s %10s %10s %10s %9s\n", "DEVICE", "CPU", "CONTEXT",
			       "POLLS", "PACKETS", "EXHAUSTED", "PKTS/POLL");
			header = true;
		}
		printf("  %-16s %4u %-11s %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %9.1f\n", r[i].dev,
		       r[i].cpu, napi_ctx_name(r[i].ctx), (uint64_t)v->polls, (uint64_t)v->work, (uint64_t)v->exhausted,
		       v->polls ? (double)v->work / (double)v->polls : 0.0);
	}
	if (!header && !n->a.json)
		printf("  no NAPI polls\n");
}

static const struct softnet_row *sn_find(const struct softnet_row *rows, int nr, int cpu)
{
	for (int i = 0; i < nr; i++)
		if (rows[i].cpu == cpu)
			return &rows[i];
	return NULL;
}

static void print_softnet(struct nt *n, const struct softnet_row *now, int nnow,
			  const struct softnet_row *before, int nbefore, uint64_t ts, const char *type)
{
	if (!n->a.json)
		printf("  %-4s %10s %8s %8s %10s %10s %8s   (softnet_stat)\n", "CPU", "PROCESSED",
		       "DROPPED", "SQUEEZED", "RPS_RECV", "FLOW_LIMIT", "BACKLOG");
	for (int i = 0; i < nnow; i++) {
		const struct softnet_row *a = &now[i], *b = sn_find(before, nbefore, a->cpu);
		struct softnet_row zero = { 0 };
		if (a->cpu < 0 || !want_cpu(n, (unsigned)a->cpu))
			continue;
		if (!b)
			b = &zero;
		uint32_t proc = u32_delta(a->processed, b->processed), drop = u32_delta(a->dropped, b->dropped);
		uint32_t sq = u32_delta(a->time_squeeze, b->time_squeeze);
		uint32_t rps = u32_delta(a->received_rps, b->received_rps);
		uint32_t fl = u32_delta(a->flow_limit, b->flow_limit);
		if (n->a.json) {
			json_obj_begin(&n->j);
			json_kstr(&n->j, "type", type);
			json_kuint(&n->j, "ts_ns", ts);
			json_kint(&n->j, "cpu", a->cpu);
			json_kuint(&n->j, "processed", proc);
			json_kuint(&n->j, "dropped", drop);
			json_kuint(&n->j, "time_squeeze", sq);
			if (a->ncols >= 10)
				json_kuint(&n->j, "received_rps", rps);
			if (a->ncols >= 11)
				json_kuint(&n->j, "flow_limit", fl);
			if (a->ncols >= 13)
				json_kuint(&n->j, "backlog_len", a->backlog_len);
			json_obj_end(&n->j);
			json_line_end(&n->j);
			continue;
		}
		char bl[16] = "-";
		if (a->ncols >= 13)
			snprintf(bl, sizeof(bl), "%u", a->backlog_len);
		printf("  %-4d %10u %8u %8u %10u %10u %8s\n", a->cpu, proc, drop, sq, rps, fl, bl);
	}
}

static void print_work_hist(const __u64 *slots)
{
	uint64_t max = 0;
	for (int s = 0; s < NAPI_WORK_SLOTS; s++)
		if (slots[s] > max)
			max = slots[s];
	printf("    %-18s : %-9s distribution\n", "packets/poll", "count");
	for (int s = 0; s < NAPI_WORK_SLOTS; s++) {
		char range[32];
		if (s == 0)
			snprintf(range, sizeof(range), "0");
		else if (s == 1)
			snprintf(range, sizeof(range), "1");
		else if (s == NAPI_WORK_SLOTS - 1)
			snprintf(range, sizeof(range), "%d ->", 1 << (s - 1));
		else
			snprintf(range, sizeof(range), "%d -> %d", 1 << (s - 1), (1 << s) - 1);
		int stars = max ? (int)((slots[s] * 40 + max - 1) / max) : 0;
		printf("    %18s : %-9" PRIu64 "|%-40.*s|\n", range, (uint64_t)slots[s], stars,
		       "****************************************");
	}
}

static void on_stack(uint64_t count, const uint64_t *ips, unsigned nips, void *arg)
{
	struct nt *n = arg;
	char sym[256];

	if (n->a.json) {
		json_obj_begin(&n->j);
		json_kstr(&n->j, "type", "napi_stack");
		json_kuint(&n->j, "count", count);
		json_key(&n->j, "frames");
		json_arr_begin(&n->j);
		for (unsigned i = 0; i < nips; i++)
			json_str(&n->j, n->ksyms ? ksyms_format(n->ksyms, ips[i], sym, sizeof(sym)) : "?");
		json_arr_end(&n->j);
		json_obj_end(&n->j);
		json_line_end(&n->j);
		return;
	}
	for (unsigned i = 0; i < nips; i++) {
		if (n->ksyms)
			ksyms_format(n->ksyms, ips[i], sym, sizeof(sym));
		else
			snprintf(sym, sizeof(sym), "0x%" PRIx64, ips[i]);
		printf("    %s\n", sym);
	}
	printf("    %" PRIu64 " budget-exhausted polls\n\n", count);
}

static int read_softnet(struct softnet_row *rows)
{
	return softnet_read(rows, SOFTNET_ROWS);
}

static void on_tick(void *arg, struct loop *l)
{
	struct nt *n = arg;
	struct napi_row *rows = NULL, *d = NULL;
	struct softnet_row sn[SOFTNET_ROWS];
	int nr, nd, nsn;
	uint64_t ts = now_ns();
	char t[16];

	nr = napi_read(n->col, &rows);
	nsn = read_softnet(sn);
	if (nr < 0 || nsn < 0 || (nd = napi_diff(rows, nr, n->prev, n->nprev, &d)) < 0) {
		free(rows);
		loop_stop(l);
		return;
	}
	if (!n->a.json)
		printf("%s\n", mono_to_hms(ts, t, sizeof(t)));
	print_napi_rows(n, d, nd, ts, "napi");
	print_softnet(n, sn, nsn, n->sn_prev, n->nsn_prev, ts, "softnet");
	if (!n->a.json)
		printf("\n");
	free(d);
	free(n->prev);
	n->prev = rows;
	n->nprev = nr;
	memcpy(n->sn_prev, sn, sizeof(sn[0]) * (size_t)nsn);
	n->nsn_prev = nsn;
	fflush(stdout);
}

static int summary(struct nt *n)
{
	struct napi_row *rows = NULL, *d = NULL;
	struct softnet_row sn[SOFTNET_ROWS];
	uint64_t st[NAPI_NR_STATS], polls = 0, work = 0, exh = 0;
	uint64_t ts = now_ns();
	int nr = napi_read(n->col, &rows), nd, nsn = read_softnet(sn);

	if (nr < 0 || nsn < 0 || napi_stats(n->col, st) < 0 ||
	    (nd = napi_diff(rows, nr, n->first, n->nfirst, &d)) < 0) {
		free(rows);
		return -1;
	}
	for (int i = 0; i < nd; i++)
		if (want_cpu(n, d[i].cpu)) {
			polls += d[i].v.polls;
			work += d[i].v.work;
			exh += d[i].v.exhausted;
		}
	if (!n->a.json) {
		printf("total over %.1fs: %" PRIu64 " polls, %" PRIu64 " packets, %" PRIu64
		       " budget-exhausted polls%s\n", (double)(ts - n->t0_ns) / 1e9, polls, work, exh,
		       opt_cpus_given(&n->a.cpus) ? " (selected CPUs)" : "");
	}
	print_napi_rows(n, d, nd, ts, "napi_total");
	if (!n->a.json) {
		for (int i = 0; i < nd; i++) {
			if (!want_cpu(n, d[i].cpu))
				continue;
			printf("\n  %s cpu %u %s:\n", d[i].dev, d[i].cpu, napi_ctx_name(d[i].ctx));
			print_work_hist(d[i].v.work_slots);
		}
		printf("\n");
	}
	print_softnet(n, sn, nsn, n->sn_first, n->nsn_first, ts, "softnet_total");
	if (n->a.json) {
		json_obj_begin(&n->j);
		json_kstr(&n->j, "type", "napi_summary");
		json_kuint(&n->j, "ts_ns", ts);
		json_kuint(&n->j, "duration_ns", ts - n->t0_ns);
		json_kuint(&n->j, "polls", polls);
		json_kuint(&n->j, "packets", work);
		json_kuint(&n->j, "budget_exhausted", exh);
		json_kuint(&n->j, "polls_all_cpus", st[NAPI_STAT_POLLS] - n->st_first[NAPI_STAT_POLLS]);
		json_kuint(&n->j, "key_drops", st[NAPI_STAT_KEY_DROPS]);
		json_obj_end(&n->j);
		json_line_end(&n->j);
	} else if (st[NAPI_STAT_KEY_DROPS]) {
		printf("  note: %" PRIu64 " polls not broken down by device (map full)\n", st[NAPI_STAT_KEY_DROPS]);
	}
	if (n->a.stacks) {
		if (!n->a.json)
			printf("\nkernel stacks of budget-exhausted polls (leaf first):\n");
		n->ksyms = ksyms_load();
		napi_stacks(n->col, on_stack, n);
		if (st[NAPI_STAT_STACK_ERRS] && !n->a.json)
			printf("  note: %" PRIu64 " stacks could not be taken\n", st[NAPI_STAT_STACK_ERRS]);
	}
	free(rows);
	free(d);
	return 0;
}

static int napi_start(void *arg)
{
	struct nt *n = arg;

	if ((n->nfirst = napi_read(n->col, &n->first)) < 0 || napi_stats(n->col, n->st_first) < 0 ||
	    (n->nsn_first = read_softnet(n->sn_first)) < 0)
		return EXIT_RUNTIME;
	n->prev = calloc(n->nfirst ? (size_t)n->nfirst : 1, sizeof(*n->prev));
	if (!n->prev) {
		err("out of memory");
		return EXIT_RUNTIME;
	}
	if (n->nfirst) /* before the first poll there is nothing (and first is NULL) */
		memcpy(n->prev, n->first, sizeof(*n->prev) * (size_t)n->nfirst);
	n->nprev = n->nfirst;
	memcpy(n->sn_prev, n->sn_first, sizeof(n->sn_first));
	n->nsn_prev = n->nsn_first;
	n->t0_ns = now_ns();
	fprintf(stderr, "Tracing napi:napi_poll (%s)%s. Ctrl-C to end.\n", napi_attach_kind(n->col),
		n->a.stacks ? " with stacks of budget-exhausted polls" : "");
	return 0;
}

static int napi_open_all(void *arg, struct loop *l)
{
	struct nt *n = arg;
	struct napi_opts no = { .stacks = n->a.stacks };

	(void)l;
	json_init(&n->j, stdout);
	return napi_open(&n->col, &no) < 0 ? EXIT_RUNTIME : 0;
}

static int napi_summary(void *arg)
{
	return summary(arg) < 0 ? EXIT_RUNTIME : EXIT_OK;
}

static void napi_close_all(void *arg)
{
	struct nt *n = arg;

	napi_close(n->col);
	if (n->ksyms)
		ksyms_free(n->ksyms);
	free(n->first);
	free(n->prev);
}

LIVE_COMMAND(napi, struct nt,
	     .open = napi_open_all, .start = napi_start, .tick = on_tick, .summary = napi_summary,
	     .close = napi_close_all)

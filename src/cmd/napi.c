/* napi.c — `ksleuth napi`: NAPI polls per device, CPU and context (polls,
 * packets, budget-exhausted polls, work histogram), /proc/net/softnet_stat
 * deltas per CPU, and with --stacks the kernel stacks of budget-exhausted
 * polls. Composition only: collector + /proc + output. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "collect/napi.h"
#include "ksleuth.h"
#include "lib/json.h"
#include "lib/liveopt.h"
#include "lib/parse.h"
#include "lib/procnet.h"
#include "sys/ksyms.h"
#include "sys/log.h"
#include "sys/loop.h"
#include "sys/procnet.h"
#include "sys/walltime.h"

#define SOFTNET_ROWS 1024

struct nt {
	struct napi_collector *col;
	struct json j;
	bool json, stacks;
	struct live_opts lo;
	uint64_t t0_ns;
	struct napi_row *first, *prev;
	int nfirst, nprev;
	uint64_t st_first[NAPI_NR_STATS];
	struct softnet_row sn_first[SOFTNET_ROWS], sn_prev[SOFTNET_ROWS];
	int nsn_first, nsn_prev;
	struct ksyms *ksyms;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ksleuth napi [--stacks] [-C CPUS] [-i SEC] [-d DUR] [--json]\n"
		"\n"
		"NAPI polls (napi:napi_poll) per device, CPU and context: polls, packets,\n"
		"polls that used their whole budget (EXHAUSTED: more was waiting), where the\n"
		"poll ran (irq-tail: softirq served at interrupt exit or local_bh_enable;\n"
		"ksoftirqd; napi-thread: threaded NAPI), and a packets-per-poll histogram.\n"
		"'(backlog)' is the per-CPU backlog (RPS, veth, netif_rx). Below: deltas of\n"
		"/proc/net/softnet_stat per CPU (DROPPED: backlog full; SQUEEZED: softirq\n"
		"ran out of budget or time; BACKLOG: queue length now).\n"
		"\n"
		"  --stacks         kernel stacks of budget-exhausted polls, with counts\n"
		"  -C, --cpus CPUS  only these CPUs (e.g. 1 or 0-3,6)\n"
		"  -i, --interval SEC  print every SEC (default 1s)\n"
		"  -d, --duration DUR  stop after DUR (default: until Ctrl-C)\n"
		"  --json           JSON Lines: \"napi\", \"softnet\", \"napi_summary\", \"napi_stack\"\n"
		"  -h, --help       this text\n");
}

static bool want_cpu(struct nt *n, unsigned cpu)
{
	return live_want_cpu(&n->lo, cpu);
}

static void print_napi_rows(struct nt *n, const struct napi_row *r, int nr, uint64_t ts, const char *type)
{
	bool header = false;

	for (int i = 0; i < nr; i++) {
		const struct napi_val *v = &r[i].v;
		if (!want_cpu(n, r[i].cpu))
			continue;
		if (n->json) {
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
	if (!header && !n->json)
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
	if (!n->json)
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
		if (n->json) {
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

	if (n->json) {
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

static void on_tick(struct loop *l, void *arg)
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
	if (!n->json)
		printf("%s\n", mono_to_hms(ts, t, sizeof(t)));
	print_napi_rows(n, d, nd, ts, "napi");
	print_softnet(n, sn, nsn, n->sn_prev, n->nsn_prev, ts, "softnet");
	if (!n->json)
		printf("\n");
	free(d);
	free(n->prev);
	n->prev = rows;
	n->nprev = nr;
	memcpy(n->sn_prev, sn, sizeof(sn[0]) * (size_t)nsn);
	n->nsn_prev = nsn;
	fflush(stdout);
}

static void on_end(struct loop *l, void *arg)
{
	(void)arg;
	loop_stop(l);
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
	if (!n->json) {
		printf("total over %.1fs: %" PRIu64 " polls, %" PRIu64 " packets, %" PRIu64
		       " budget-exhausted polls%s\n", (double)(ts - n->t0_ns) / 1e9, polls, work, exh,
		       n->lo.cpus_set ? " (selected CPUs)" : "");
	}
	print_napi_rows(n, d, nd, ts, "napi_total");
	if (!n->json) {
		for (int i = 0; i < nd; i++) {
			if (!want_cpu(n, d[i].cpu))
				continue;
			printf("\n  %s cpu %u %s:\n", d[i].dev, d[i].cpu, napi_ctx_name(d[i].ctx));
			print_work_hist(d[i].v.work_slots);
		}
		printf("\n");
	}
	print_softnet(n, sn, nsn, n->sn_first, n->nsn_first, ts, "softnet_total");
	if (n->json) {
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
	if (n->stacks) {
		if (!n->json)
			printf("\nkernel stacks of budget-exhausted polls (leaf first):\n");
		n->ksyms = ksyms_load();
		napi_stacks(n->col, on_stack, n);
		if (st[NAPI_STAT_STACK_ERRS] && !n->json)
			printf("  note: %" PRIu64 " stacks could not be taken\n", st[NAPI_STAT_STACK_ERRS]);
	}
	free(rows);
	free(d);
	return 0;
}

int cmd_napi(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "stacks", no_argument, NULL, 'S' },
		{ "cpus", required_argument, NULL, 'C' },
		{ "interval", required_argument, NULL, 'i' },
		{ "duration", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct nt *n = calloc(1, sizeof(*n));
	struct napi_opts no = { 0 };
	struct loop *l = NULL;
	char msg[256];
	int c, rc = EXIT_RUNTIME;

	if (!n) {
		err("out of memory");
		return EXIT_RUNTIME;
	}
	live_opts_default(&n->lo);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+C:i:d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'S': n->stacks = true; break;
		case 'J': n->json = true; break;
		case 'C': case 'i': case 'd':
			if (live_opt(&n->lo, c, optarg, msg, sizeof(msg)) < 0)
				goto bad;
			break;
		case 'h': usage(stdout); rc = EXIT_OK; goto out;
		default:
			live_msg_bad_option(msg, sizeof(msg), "napi", argv[optind - 1]);
			goto bad;
		}
	}
	if (optind < argc) {
		live_msg_extra_arg(msg, sizeof(msg), "napi", argv[optind]);
		goto bad;
	}
	if (n->lo.cpus_set && live_cpus_exist(&n->lo.cpus, libbpf_num_possible_cpus(), msg, sizeof(msg)) < 0)
		goto bad;
	no.stacks = n->stacks;
	json_init(&n->j, stdout);
	if (napi_open(&n->col, &no) < 0)
		goto out;
	if (!(l = loop_new()) || loop_add_timer(l, n->lo.interval_ns, n->lo.interval_ns, on_tick, n) < 0 ||
	    (n->lo.duration_ns && loop_add_timer(l, n->lo.duration_ns, 0, on_end, n) < 0)) {
		err("cannot set up the event loop");
		goto out;
	}
	if ((n->nfirst = napi_read(n->col, &n->first)) < 0 || napi_stats(n->col, n->st_first) < 0 ||
	    (n->nsn_first = read_softnet(n->sn_first)) < 0)
		goto out;
	n->prev = calloc(n->nfirst ? (size_t)n->nfirst : 1, sizeof(*n->prev));
	if (!n->prev)
		goto out;
	if (n->nfirst) /* before the first poll there is nothing (and first is NULL) */
		memcpy(n->prev, n->first, sizeof(*n->prev) * (size_t)n->nfirst);
	n->nprev = n->nfirst;
	memcpy(n->sn_prev, n->sn_first, sizeof(n->sn_first));
	n->nsn_prev = n->nsn_first;
	n->t0_ns = now_ns();
	fprintf(stderr, "Tracing napi:napi_poll (%s)%s. Ctrl-C to end.\n", napi_attach_kind(n->col),
		n->stacks ? " with stacks of budget-exhausted polls" : "");
	if (loop_run(l) < 0) {
		err("event loop failed");
		goto out;
	}
	if (summary(n) < 0)
		goto out;
	rc = EXIT_OK;
	goto out;
bad:
	err("%s", msg);
	rc = EXIT_USAGE;
out:
	loop_free(l);
	napi_close(n->col);
	if (n->ksyms)
		ksyms_free(n->ksyms);
	free(n->first);
	free(n->prev);
	free(n);
	return rc;
}

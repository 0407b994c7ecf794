/* retrans.c — `ksleuth retrans`: TCP retransmits per interval from the
 * tcp:tcp_retransmit_skb tracepoint, next to the kernel's own counters
 * (TcpRetransSegs, TCPTimeouts, TCPLostRetransmit, TCPSpuriousRTOs), and
 * per flow with --flows. Composition only: collector + /proc + output. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/retrans.h"
#include "ksleuth.h"
#include "lib/json.h"
#include "lib/opt.h"
#include "lib/parse.h"
#include "sys/live.h"
#include "sys/log.h"
#include "sys/loop.h"
#include "sys/procnet.h"
#include "sys/walltime.h"

#define FLOWS_MAX 4096

struct flow {
	__u8 saddr[16], daddr[16];
	__u16 sport, dport, family;
	uint64_t count, failed;
};

struct retrans_args {
	bool flows, json;
	const char *netns;
	uint64_t interval_ns, duration_ns;
};

static const struct opt retrans_opts[] = {
	{ .lname = "flows", OPT_FLAG_AT(struct retrans_args, flows),
	  .help = "one line per retransmit (tcpretrans-like) and the top flows" },
	{ .lname = "netns", OPT_STRING_AT(struct retrans_args, netns), .arg = "NAME",
	  .help = "count only namespace NAME (ip netns) and read its counters; default: the tracepoint "
		  "counts all namespaces, the counters are this namespace's" },
	OPT_INTERVAL(struct retrans_args, interval_ns, NS_PER_SEC),
	OPT_DURATION(struct retrans_args, duration_ns),
	OPT_JSON(struct retrans_args, json, "JSON Lines: \"retransmit\" records, \"retrans_interval\", "
		 "\"retrans_summary\""),
	{ 0 }
};

const struct opt_cmd retrans_cli = {
	.name = "retrans",
	.summary = "TCP retransmits per interval and per flow, with the kernel's counters",
	.description =
	"TCP retransmits per interval: the tcp:tcp_retransmit_skb tracepoint (every\n"
	"retransmission attempt, failed ones included: on this kernel the tracepoint\n"
	"also fires when the attempt did not send, err != 0) next to the kernel's own\n"
	"counters: RetransSegs (segments retransmitted, /proc/net/snmp), TCPTimeouts\n"
	"(RTO expiries), TCPLostRetransmit, TCPSpuriousRTOs (/proc/net/netstat).\n",
	.opts = retrans_opts,
	.runs_command = true,
};

struct rt {
	struct retrans_args a;
	struct retrans_collector *col;
	struct retrans_opts ro;
	struct tcp_mib_src mib;
	struct json j;
	uint64_t t0_ns;
	uint64_t prev[RETRANS_NR_STATS], first[RETRANS_NR_STATS];
	struct tcp_mib mprev, mfirst;
	unsigned header_every, lines;
	struct flow *flow;
	int nflows;
	uint64_t flows_left_out;
};

static const char *family_name(unsigned f)
{
	return f == 10 ? "ipv6" : "ipv4";
}

static void flow_add(struct rt *r, const struct retrans_event *e)
{
	for (int i = 0; i < r->nflows; i++) {
		struct flow *f = &r->flow[i];
		if (f->sport == e->sport && f->dport == e->dport && f->family == e->family &&
		    !memcmp(f->saddr, e->saddr, 16) && !memcmp(f->daddr, e->daddr, 16)) {
			f->count++;
			f->failed += e->err != 0;
			return;
		}
	}
	if (r->nflows >= FLOWS_MAX) {
		r->flows_left_out++;
		return;
	}
	struct flow *f = &r->flow[r->nflows++];
	memcpy(f->saddr, e->saddr, 16);
	memcpy(f->daddr, e->daddr, 16);
	f->sport = e->sport;
	f->dport = e->dport;
	f->family = e->family;
	f->count = 1;
	f->failed = e->err != 0;
}

static void on_event(const struct retrans_event *e, void *arg)
{
	struct rt *r = arg;
	char s[64], d[64], t[16];

	if (r->a.flows)
		flow_add(r, e);
	if (r->a.json) {
		json_obj_begin(&r->j);
		json_kstr(&r->j, "type", "retransmit");
		json_kuint(&r->j, "ts_ns", e->ts_ns);
		json_kstr(&r->j, "family", family_name(e->family));
		retrans_fmt_addr(e, true, s, sizeof(s));
		retrans_fmt_addr(e, false, d, sizeof(d));
		/* the address alone, without port or brackets */
		*strrchr(s, ':') = '\0';
		*strrchr(d, ':') = '\0';
		json_kstr(&r->j, "saddr", e->family == 10 ? s + 1 : s);
		json_kuint(&r->j, "sport", e->sport);
		if (e->family == 10) {
			s[strlen(s) - 1] = '\0';
			d[strlen(d) - 1] = '\0';
		}
		json_kstr(&r->j, "daddr", e->family == 10 ? d + 1 : d);
		json_kuint(&r->j, "dport", e->dport);
		json_kstr(&r->j, "state", tcp_state_name(e->state));
		json_kint(&r->j, "err", e->err);
		json_kuint(&r->j, "cpu", e->cpu);
		json_kuint(&r->j, "pid", e->pid);
		json_kstr(&r->j, "comm", e->comm);
		json_kuint(&r->j, "netns", e->netns);
		json_obj_end(&r->j);
		json_line_end(&r->j);
		return;
	}
	if (!r->a.flows)
		return;
	if (r->lines++ % 40 == 0)
		printf("%-8s %-7s %-2s %-26s %-2s %-26s %-12s %s\n",
		       "TIME", "PID", "IP", "LADDR:LPORT", "T>", "RADDR:RPORT", "STATE", "ERR");
	printf("%-8s %-7u %-2d %-26s R> %-26s %-12s %d\n", mono_to_hms(e->ts_ns, t, sizeof(t)),
	       e->pid, e->family == 10 ? 6 : 4, retrans_fmt_addr(e, true, s, sizeof(s)),
	       retrans_fmt_addr(e, false, d, sizeof(d)), tcp_state_name(e->state), e->err);
}

static void print_counts(struct rt *r, const char *label, const uint64_t *now, const uint64_t *before,
			 const struct tcp_mib *m, const struct tcp_mib *mb, uint64_t ts)
{
	uint64_t ev = now[RETRANS_STAT_EVENTS] - before[RETRANS_STAT_EVENTS];
	uint64_t failed = now[RETRANS_STAT_FAILED] - before[RETRANS_STAT_FAILED];

	if (r->a.json) {
		json_obj_begin(&r->j);
		json_kstr(&r->j, "type", label);
		json_kuint(&r->j, "ts_ns", ts);
		json_kuint(&r->j, "tracepoint", ev);
		json_kuint(&r->j, "tracepoint_failed", failed);
		json_kuint(&r->j, "retrans_segs", m->retrans_segs - mb->retrans_segs);
		json_kuint(&r->j, "tcp_timeouts", m->timeouts - mb->timeouts);
		json_kuint(&r->j, "tcp_lost_retransmit", m->lost_retransmit - mb->lost_retransmit);
		json_kuint(&r->j, "tcp_spurious_rtos", m->spurious_rtos - mb->spurious_rtos);
		json_kuint(&r->j, "records_lost", now[RETRANS_STAT_RB_DROPS] - before[RETRANS_STAT_RB_DROPS]);
		json_kstr(&r->j, "counters_netns", r->a.netns ? r->a.netns : "self");
		json_obj_end(&r->j);
		json_line_end(&r->j);
		return;
	}
	char t[16];
	if (!strcmp(label, "retrans_summary")) {
		printf("\ntotal over %.1fs:\n", (double)(ts - r->t0_ns) / 1e9);
		printf("  %10" PRIu64 "  tcp:tcp_retransmit_skb events (attempts; %" PRIu64 " of them failed, err != 0)\n",
		       ev, failed);
		printf("  %10" PRIu64 "  RetransSegs: segments retransmitted (kernel counter)\n",
		       m->retrans_segs - mb->retrans_segs);
		printf("  %10" PRIu64 "  TCPTimeouts: retransmission timer expiries (RTO)\n", m->timeouts - mb->timeouts);
		printf("  %10" PRIu64 "  TCPLostRetransmit: retransmits lost again\n",
		       m->lost_retransmit - mb->lost_retransmit);
		printf("  %10" PRIu64 "  TCPSpuriousRTOs: RTOs found unneeded\n", m->spurious_rtos - mb->spurious_rtos);
		if (now[RETRANS_STAT_RB_DROPS])
			printf("  %10" PRIu64 "  records lost (ring buffer full)\n", now[RETRANS_STAT_RB_DROPS]);
		return;
	}
	if (r->a.flows || r->lines % 20 == 0) {
		printf("%-8s %10s %8s %12s %12s %12s %12s\n", "TIME", "TRACEPOINT", "FAILED",
		       "RetransSegs", "TCPTimeouts", "LostRetrans", "SpuriousRTOs");
	}
	r->lines++;
	printf("%-8s %10" PRIu64 " %8" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64 "\n",
	       mono_to_hms(ts, t, sizeof(t)), ev, failed, m->retrans_segs - mb->retrans_segs,
	       m->timeouts - mb->timeouts, m->lost_retransmit - mb->lost_retransmit,
	       m->spurious_rtos - mb->spurious_rtos);
}

static int snapshot(struct rt *r, uint64_t *st, struct tcp_mib *m)
{
	retrans_drain(r->col);
	if (retrans_stats(r->col, st) < 0 || tcp_mib_read(&r->mib, m) < 0)
		return -1;
	return 0;
}

static void on_tick(void *arg, struct loop *l)
{
	struct rt *r = arg;
	uint64_t st[RETRANS_NR_STATS];
	struct tcp_mib m;

	if (snapshot(r, st, &m) < 0) {
		loop_stop(l);
		return;
	}
	print_counts(r, "retrans_interval", st, r->prev, &m, &r->mprev, now_ns());
	memcpy(r->prev, st, sizeof(st));
	r->mprev = m;
	fflush(stdout);
}

static int flow_cmp(const void *a, const void *b)
{
	const struct flow *x = a, *y = b;
	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

/* A flow's local and remote "addr:port" (s, d: n bytes each). */
static void flow_addrs(const struct flow *f, char *s, char *d, size_t n)
{
	struct retrans_event e = { .sport = f->sport, .dport = f->dport, .family = f->family };

	memcpy(e.saddr, f->saddr, 16);
	memcpy(e.daddr, f->daddr, 16);
	retrans_fmt_addr(&e, true, s, n);
	retrans_fmt_addr(&e, false, d, n);
}

static void print_flows(struct rt *r)
{
	char s[64], d[64];

	if (!r->nflows)
		return;
	qsort(r->flow, (size_t)r->nflows, sizeof(*r->flow), flow_cmp);
	if (r->a.json) {
		for (int i = 0; i < r->nflows && i < 20; i++) {
			flow_addrs(&r->flow[i], s, d, sizeof(s));
			json_obj_begin(&r->j);
			json_kstr(&r->j, "type", "retrans_flow");
			json_kstr(&r->j, "local", s);
			json_kstr(&r->j, "remote", d);
			json_kuint(&r->j, "count", r->flow[i].count);
			json_kuint(&r->j, "failed", r->flow[i].failed);
			json_obj_end(&r->j);
			json_line_end(&r->j);
		}
		return;
	}
	printf("\ntop flows (of %d%s):\n  %-8s %-8s %-28s    %s\n", r->nflows,
	       r->flows_left_out ? ", more not tracked" : "", "COUNT", "FAILED", "LADDR:LPORT", "RADDR:RPORT");
	for (int i = 0; i < r->nflows && i < 10; i++) {
		flow_addrs(&r->flow[i], s, d, sizeof(s));
		printf("  %-8" PRIu64 " %-8" PRIu64 " %-28s -> %s\n", r->flow[i].count, r->flow[i].failed,
		       s, d);
	}
}

static int retrans_check(void *arg, const struct opt_result *res)
{
	struct rt *r = arg;

	(void)res;
	if (r->a.netns && netns_inode(r->a.netns, &r->ro.netns_ino) < 0)
		return EXIT_USAGE;
	return 0;
}

static int retrans_open_all(void *arg, struct loop *l)
{
	struct rt *r = arg;

	r->ro.records = r->a.flows || r->a.json;
	if (r->a.flows && !(r->flow = calloc(FLOWS_MAX, sizeof(*r->flow)))) {
		err("out of memory");
		return EXIT_RUNTIME;
	}
	json_init(&r->j, stdout);
	if (tcp_mib_open(&r->mib, r->a.netns) < 0 || retrans_open(&r->col, &r->ro) < 0)
		return EXIT_RUNTIME;
	retrans_set_event_cb(r->col, on_event, r);
	if (retrans_add_to_loop(r->col, l) < 0) {
		err("cannot set up the event loop");
		return EXIT_RUNTIME;
	}
	return 0;
}

static int retrans_start(void *arg)
{
	struct rt *r = arg;
	const char *ns = r->a.netns;

	if (snapshot(r, r->first, &r->mfirst) < 0)
		return EXIT_RUNTIME;
	memcpy(r->prev, r->first, sizeof(r->first));
	r->mprev = r->mfirst;
	r->t0_ns = now_ns();
	fprintf(stderr, "Tracing tcp:tcp_retransmit_skb (%s%s) and TCP counters of %s%s. Ctrl-C to end.\n",
		retrans_attach_kind(r->col), retrans_has_err(r->col) ? ", with err" : "",
		ns ? "namespace " : "this namespace", ns ? ns : "");
	if (!r->a.json && !r->a.flows)
		printf("# TRACEPOINT: retransmit attempts seen by the tracepoint%s, FAILED: those with err != 0;\n"
		       "# RetransSegs etc.: the kernel's counters (segments) of %s%s\n",
		       ns ? " in that namespace" : " (all namespaces)", ns ? "namespace " : "this namespace",
		       ns ? ns : "");
	fflush(stdout);
	return 0;
}

static int retrans_summary(void *arg)
{
	struct rt *r = arg;
	uint64_t st[RETRANS_NR_STATS];
	struct tcp_mib m;

	if (snapshot(r, st, &m) < 0)
		return EXIT_RUNTIME;
	print_flows(r);
	print_counts(r, "retrans_summary", st, r->first, &m, &r->mfirst, now_ns());
	return EXIT_OK;
}

static void retrans_close_all(void *arg)
{
	struct rt *r = arg;

	retrans_close(r->col);
	tcp_mib_close(&r->mib);
	free(r->flow);
}

/* No MIB file open yet: close must not close fd 0. */
static void retrans_init(void *arg)
{
	struct rt *r = arg;

	r->mib.snmp_fd = r->mib.netstat_fd = -1;
}

LIVE_COMMAND(retrans, struct rt,
	     .init = retrans_init, .check = retrans_check, .open = retrans_open_all,
	     .start = retrans_start, .tick = on_tick, .summary = retrans_summary,
	     .close = retrans_close_all)

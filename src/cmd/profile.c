/* profile.c — `ksleuth profile`: sample kernel and user stacks on every
 * (or the chosen) CPU at -F HZ for -d DUR or while a command runs, counts
 * kept in the kernel; then overhead per comm and symbol as `perf report
 * --sort comm,sym --no-children`, the hottest call chains, --folded
 * stacks or --json. Composition only: collector + symbolizers + output. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "collect/profile.h"
#include "ksleuth.h"
#include "lib/json.h"
#include "lib/opt.h"
#include "lib/parse.h"
#include "lib/profagg.h"
#include "sys/child.h"
#include "sys/cli.h"
#include "sys/ksyms.h"
#include "sys/live.h"
#include "sys/log.h"
#include "sys/loop.h"
#include "sys/usyms.h"

#define PROF_MAPS_POLL_NS (250 * NS_PER_MS)
#define PROF_ROW_MIN_PCT 0.1
#define PROF_FRAME_LEN 256

struct profile_args {
	int hz, top, tgid, max_stacks;
	struct cpuset cpus;
	uint64_t interval_ns, duration_ns; /* interval: none, one report at the end */
	bool folded, json;
};

static const struct opt profile_opts[] = {
	{ 'F', "freq", OPT_INT_AT(struct profile_args, hz), .arg = "HZ", .min = 1, .max = 10000,
	  .has_def = true, .def = 99, .help = "samples a second on each CPU" },
	OPT_DURATION(struct profile_args, duration_ns),
	OPT_CPUS(struct profile_args, cpus),
	{ 'p', "pid", OPT_PID_AT(struct profile_args, tgid), .arg = "PID", .must_exist = true,
	  .help = "only this process (all its threads)" },
	{ .lname = "top", OPT_INT_AT(struct profile_args, top), .arg = "N", .min = 0, .max = 100000,
	  .has_def = true, .def = 10, .help = "hottest call chains to print (0: none)" },
	{ .lname = "max-stacks", OPT_INT_AT(struct profile_args, max_stacks), .arg = "N", .min = 1024,
	  .max = 262144, .has_def = true, .def = PROFILE_MAX_STACKS,
	  .help = "distinct stacks the kernel keeps (1 KiB each); more loses fewer in long runs" },
	{ .lname = "folded", OPT_FLAG_AT(struct profile_args, folded),
	  .help = "folded stacks, \"comm;user frames;kernel frames COUNT\" (flamegraph.pl, speedscope)" },
	OPT_JSON(struct profile_args, json, "JSON Lines: \"profile_symbol\", \"profile_stack\", "
		 "\"profile_summary\" (docs/profile.md)"),
	{ 0 }
};

const struct opt_cmd profile_cli = {
	.name = "profile",
	.summary = "sample kernel and user stacks: overhead per command and symbol, hottest call chains",
	.runs_command = true,
	.description =
	"Sample kernel and user stacks on every CPU (perf record -a -g), counted in\n"
	"the kernel by task and stack; then the overhead per command and symbol\n"
	"(perf report --sort comm,sym --no-children) and the hottest call chains,\n"
	"leaf first, with a module's frames as 'func [module]'.\n",
	.opts = profile_opts,
};

struct prof {
	struct profile_args a;
	struct profile_collector *col;
	struct ksyms *ks;
	struct usyms *us;
	struct loop *loop;
	uint64_t t0_ns, t1_ns;
	struct prof_stack *st;       /* symbolized counts */
	size_t n;
	uint64_t total;
};

/* ---- while sampling ---- */

static void snap_cb(uint32_t tgid, void *arg)
{
	usyms_snapshot(arg, tgid, false);
}

/* New processes' mappings, read while they run: after exit they are gone. */
static void on_poll(struct loop *l, void *arg)
{
	struct prof *p = arg;

	(void)l;
	profile_drain_procs(p->col, snap_cb, p->us);
}

static int profile_check(void *arg, const struct opt_result *res)
{
	struct prof *p = arg;

	if (p->a.folded && p->a.json)
		return cli_usage_error(&profile_cli, "--folded and --json are two outputs: give one");
	(void)res;
	return 0;
}

static int profile_open_all(void *arg, struct loop *l)
{
	struct prof *p = arg;
	struct profile_opts po = { .freq_hz = (unsigned)p->a.hz, .tgid = (uint32_t)p->a.tgid,
				   .cpus = opt_cpus_given(&p->a.cpus) ? &p->a.cpus : NULL,
				   .max_stacks = (unsigned)p->a.max_stacks };

	p->loop = l;
	/* symbols first: reading kallsyms costs CPU that should not be sampled */
	p->ks = ksyms_load();
	p->us = usyms_new();
	if (!p->us) {
		err("libelf does not initialize: cannot read user symbols");
		return EXIT_RUNTIME;
	}
	if (profile_open(&p->col, &po) < 0)
		return EXIT_RUNTIME;
	if (loop_add_timer(l, PROF_MAPS_POLL_NS, PROF_MAPS_POLL_NS, on_poll, p) < 0) {
		err("cannot set up the event loop: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	return 0;
}

static int profile_start(void *arg)
{
	struct prof *p = arg;

	p->t0_ns = now_ns();
	fprintf(stderr, "Sampling %u CPUs at %d Hz. Ctrl-C to end.\n", profile_cpus(p->col), p->a.hz);
	return 0;
}

/* ---- after sampling: counts -> symbolized stacks ---- */

struct keyv {
	struct profile_key k;
	uint64_t count;
};

struct keys {
	struct keyv *v;
	size_t n, cap;
};

static void key_cb(const struct profile_key *k, uint64_t count, void *arg)
{
	struct keys *ks = arg;

	if (ks->n == ks->cap) {
		size_t cap = ks->cap ? 2 * ks->cap : 256;
		struct keyv *a = realloc(ks->v, cap * sizeof(*a));
		if (!a)
			return;
		ks->v = a;
		ks->cap = cap;
	}
	ks->v[ks->n++] = (struct keyv){ .k = *k, .count = count };
}

static int cmp_keyv_tgid(const void *a, const void *b)
{
	const struct keyv *x = a, *y = b;

	return x->k.tgid < y->k.tgid ? -1 : x->k.tgid > y->k.tgid;
}

/* Frames of one stack id, leaf first; a lost stack is one frame saying so. */
static char **frames(struct prof *p, int32_t id, bool user, uint32_t tgid, unsigned *n)
{
	static uint64_t ips[PROFILE_STACK_DEPTH];
	char buf[PROF_FRAME_LEN], **f;
	int m;

	*n = 0;
	if (id == -EFAULT)
		return NULL; /* no stack of that side (user mode; a kernel thread) */
	m = id < 0 ? 0 : profile_stack(p->col, id, ips);
	f = calloc(m > 0 ? (size_t)m : 1, sizeof(*f));
	if (!f)
		return NULL;
	if (m <= 0) {
		f[0] = strdup(user ? "[lost user stack]" : "[lost kernel stack]");
		*n = f[0] ? 1 : 0;
		return f;
	}
	for (int i = 0; i < m; i++) {
		/* ips[0] is where the sample hit; the others are return addresses */
		if (user)
			usyms_format(p->us, tgid, ips[i], i > 0, buf, sizeof(buf));
		else if (p->ks && i > 0)
			ksyms_format_ret(p->ks, ips[i], buf, sizeof(buf));
		else if (p->ks)
			ksyms_format(p->ks, ips[i], buf, sizeof(buf));
		else
			snprintf(buf, sizeof(buf), "0x%" PRIx64, ips[i]);
		if (!(f[*n] = strdup(buf)))
			break;
		(*n)++;
	}
	return f;
}

static int symbolize(struct prof *p)
{
	struct keys ks = { 0 };
	int rc = profile_for_each(p->col, key_cb, &ks);

	if (rc < 0) {
		err("cannot read the sample counts (%s)", strerror(-rc));
		free(ks.v);
		return -1;
	}
	if (ks.n)
		qsort(ks.v, ks.n, sizeof(*ks.v), cmp_keyv_tgid);
	p->st = calloc(ks.n ? ks.n : 1, sizeof(*p->st));
	if (!p->st) {
		free(ks.v);
		return -1;
	}
	for (size_t i = 0; i < ks.n; i++) {
		const struct profile_key *k = &ks.v[i].k;
		struct prof_stack *s = &p->st[p->n];
		/* once per process: what it maps now, if it still runs */
		if (k->tgid && k->ustack >= 0 && (!i || ks.v[i - 1].k.tgid != k->tgid))
			usyms_snapshot(p->us, k->tgid, true);
		s->comm = strndup(k->comm, sizeof(k->comm));
		s->pid = k->pid;
		s->tgid = k->tgid;
		s->count = ks.v[i].count;
		s->kf = frames(p, k->kstack, false, k->tgid, &s->nk);
		s->uf = frames(p, k->ustack, true, k->tgid, &s->nu);
		p->total += s->count;
		p->n++;
	}
	free(ks.v);
	return 0;
}

static void free_stacks(struct prof *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct prof_stack *s = &p->st[i];
		for (unsigned j = 0; j < s->nk; j++)
			free(s->kf[j]);
		for (unsigned j = 0; j < s->nu; j++)
			free(s->uf[j]);
		free(s->kf);
		free(s->uf);
		free((char *)s->comm);
	}
	free(p->st);
}

/* ---- output ---- */

static double pct(uint64_t part, uint64_t total)
{
	return total ? 100.0 * (double)part / (double)total : 0.0;
}

static void print_header(struct prof *p, const uint64_t *st)
{
	printf("# ksleuth profile: %" PRIu64 " samples at %d Hz on %u CPUs over %.2f s\n", p->total, p->a.hz,
	       profile_cpus(p->col), (double)(p->t1_ns - p->t0_ns) / 1e9);
	printf("# lost stacks: %" PRIu64 " kernel, %" PRIu64 " user (stack map collisions or full); "
	       "samples dropped: %" PRIu64 " (counts map full)\n#\n",
	       st[PROFILE_STAT_KSTACK_LOST], st[PROFILE_STAT_USTACK_LOST], st[PROFILE_STAT_KEYS_FULL]);
}

static void print_rows(struct prof *p)
{
	struct prof_row *r;
	size_t n, hidden = 0;

	if (prof_sym_rows(p->st, p->n, &r, &n) < 0) {
		err("out of memory");
		return;
	}
	printf("# Overhead  %-15s  Symbol\n# ........  %-15s  ......\n#\n", "Command", "...............");
	for (size_t i = 0; i < n; i++) {
		if (pct(r[i].count, p->total) < PROF_ROW_MIN_PCT) {
			hidden++;
			continue;
		}
		printf("  %7.2f%%  %-15s  [%c] %s\n", pct(r[i].count, p->total), r[i].comm,
		       r[i].kernel ? 'k' : '.', r[i].sym);
	}
	if (hidden)
		printf("# %zu more rows under %.1f%% each\n", hidden, PROF_ROW_MIN_PCT);
	prof_rows_free(r, n);
}

/* One merged chain: leaf first, kernel frames, then user frames. */
static void print_chain(const struct prof_line *l, uint64_t total)
{
	char *save = NULL, *tok, *fr[2 * PROFILE_STACK_DEPTH + 1];
	unsigned n = 0;

	for (tok = strtok_r(l->text, ";", &save); tok && n < ARRAY_SIZE(fr); tok = strtok_r(NULL, ";", &save))
		fr[n++] = tok;
	if (!n)
		return;
	printf("\n  %7.2f%%  %" PRIu64 " samples  %s\n", pct(l->count, total), l->count, fr[0]);
	for (unsigned i = n; i-- > 1;) {
		if (i == n - l->nk - 1 && l->nk && n - 1 > l->nk)
			printf("              ---- user ----\n");
		printf("              %s\n", fr[i]);
	}
}

static void print_chains(struct prof *p)
{
	size_t n, top = (size_t)p->a.top;
	struct prof_line *l;

	if (!top)
		return;
	if (prof_fold(p->st, p->n, false, &l, &n) < 0) {
		err("out of memory");
		return;
	}
	printf("\n# Hottest call chains (%zu of %zu, leaf first)\n", n < top ? n : top, n);
	for (size_t i = 0; i < n && i < top; i++)
		print_chain(&l[i], p->total);
	prof_lines_free(l, n);
}

static int print_folded(struct prof *p)
{
	struct prof_line *l;
	size_t n;

	if (prof_fold(p->st, p->n, true, &l, &n) < 0) {
		err("out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		printf("%s %" PRIu64 "\n", l[i].text, l[i].count);
	prof_lines_free(l, n);
	return 0;
}

static void json_frames(struct json *j, const char *key, char **f, unsigned n)
{
	json_key(j, key);
	json_arr_begin(j);
	for (unsigned i = 0; i < n; i++)
		json_str(j, f[i]);
	json_arr_end(j);
}

static void json_summary(struct prof *p, struct json *j, const uint64_t *st)
{
	int status;

	json_obj_begin(j);
	json_kstr(j, "type", "profile_summary");
	json_kuint(j, "samples", p->total);
	json_kuint(j, "freq_hz", (uint64_t)p->a.hz);
	json_kuint(j, "cpus", profile_cpus(p->col));
	json_kuint(j, "duration_ns", p->t1_ns - p->t0_ns);
	json_kuint(j, "kernel_stacks_lost", st[PROFILE_STAT_KSTACK_LOST]);
	json_kuint(j, "user_stacks_lost", st[PROFILE_STAT_USTACK_LOST]);
	json_kuint(j, "samples_dropped", st[PROFILE_STAT_KEYS_FULL]);
	if ((status = child_last_status()) >= 0)
		json_kint(j, "command_exit", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	json_obj_end(j);
	json_line_end(j);
}

static int print_json(struct prof *p, const uint64_t *st)
{
	struct json j;
	struct prof_row *r;
	size_t n;

	json_init(&j, stdout);
	if (prof_sym_rows(p->st, p->n, &r, &n) < 0) {
		err("out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		json_obj_begin(&j);
		json_kstr(&j, "type", "profile_symbol");
		json_kstr(&j, "comm", r[i].comm);
		json_kstr(&j, "symbol", r[i].sym);
		json_kbool(&j, "kernel", r[i].kernel);
		json_kuint(&j, "samples", r[i].count);
		json_kdouble(&j, "share", pct(r[i].count, p->total) / 100.0);
		json_obj_end(&j);
		json_line_end(&j);
	}
	prof_rows_free(r, n);
	for (size_t i = 0; i < p->n; i++) {
		const struct prof_stack *s = &p->st[i];
		json_obj_begin(&j);
		json_kstr(&j, "type", "profile_stack");
		json_kstr(&j, "comm", s->comm ? s->comm : "");
		json_kuint(&j, "pid", s->pid);
		json_kuint(&j, "tgid", s->tgid);
		json_kuint(&j, "samples", s->count);
		json_frames(&j, "kernel_frames", s->kf, s->nk);
		json_frames(&j, "user_frames", s->uf, s->nu);
		json_obj_end(&j);
		json_line_end(&j);
	}
	json_summary(p, &j, st);
	return 0;
}

static int report(struct prof *p)
{
	uint64_t st[PROFILE_NR_STATS];

	profile_stats(p->col, st);
	if (p->a.folded)
		return print_folded(p);
	if (p->a.json)
		return print_json(p, st);
	print_header(p, st);
	print_rows(p);
	print_chains(p);
	if (st[PROFILE_STAT_KSTACK_LOST] || st[PROFILE_STAT_USTACK_LOST] || st[PROFILE_STAT_KEYS_FULL])
		warn("%" PRIu64 " kernel and %" PRIu64 " user stacks found no room in the stack map (a hash "
		     "collision or a full map: shown as [lost ... stack]) and %" PRIu64 " samples did not fit "
		     "the counts map; a larger --max-stacks, a shorter -d or a lower -F loses fewer",
		     st[PROFILE_STAT_KSTACK_LOST], st[PROFILE_STAT_USTACK_LOST], st[PROFILE_STAT_KEYS_FULL]);
	return 0;
}

static int profile_summary(void *arg)
{
	struct prof *p = arg;
	int rc = EXIT_RUNTIME;

	p->t1_ns = now_ns();
	profile_stop(p->col);
	if (symbolize(p) == 0 && report(p) == 0)
		rc = EXIT_OK;
	return rc;
}

static void profile_close_all(void *arg)
{
	struct prof *p = arg;

	profile_stop(p->col);
	free_stacks(p);
	profile_close(p->col);
	usyms_free(p->us);
	ksyms_free(p->ks);
}

LIVE_COMMAND(profile, struct prof,
	     .check = profile_check, .open = profile_open_all,
	     .start = profile_start, .summary = profile_summary, .close = profile_close_all)

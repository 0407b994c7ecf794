/* recfmt.c — the recording format's lines (recfmt.h, docs/record.md):
 * numbers in decimal, strings with backslash, tab, newline and carriage
 * return escaped, so a line is one record and a field never holds a tab.
 * Pure; the decoder trusts nothing in the line. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/recfmt.h"

/* ---- writing ---------------------------------------------------------- */

struct wb {
	char *p;
	size_t n, len;
	bool bad;
};

static void wb_raw(struct wb *w, const char *s, size_t k)
{
	if (w->bad || w->len + k + 2 > w->n) { /* room for '\n' and NUL */
		w->bad = true;
		return;
	}
	memcpy(w->p + w->len, s, k);
	w->len += k;
}

static void wb_fmt(struct wb *w, const char *fmt, ...)
{
	char t[40];
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(t, sizeof(t), fmt, ap);
	va_end(ap);
	wb_raw(w, "\t", 1);
	wb_raw(w, t, (size_t)k);
}

static void wb_u(struct wb *w, uint64_t v) { wb_fmt(w, "%" PRIu64, v); }
static void wb_i(struct wb *w, int64_t v) { wb_fmt(w, "%" PRId64, v); }

static void wb_s(struct wb *w, const char *s)
{
	wb_raw(w, "\t", 1);
	for (; s && *s; s++) {
		const char *e = *s == '\\' ? "\\\\" : *s == '\t' ? "\\t" : *s == '\n' ? "\\n" : *s == '\r' ? "\\r" : NULL;
		if (e)
			wb_raw(w, e, 2);
		else
			wb_raw(w, s, 1);
	}
}

static struct wb wb_begin(char *buf, size_t n, const char *name)
{
	struct wb w = { .p = buf, .n = n };

	wb_raw(&w, name, strlen(name));
	return w;
}

static int wb_end(struct wb *w)
{
	if (w->bad)
		return -1;
	w->p[w->len++] = '\n';
	w->p[w->len] = '\0';
	return (int)w->len;
}

int rec_enc_magic(char *buf, size_t n)
{
	struct wb w = wb_begin(buf, n, REC_MAGIC);

	wb_fmt(&w, "%d", REC_VERSION);
	if (!w.bad)
		w.p[sizeof(REC_MAGIC) - 1] = ' ';
	return wb_end(&w);
}

int rec_enc_meta(char *buf, size_t n, const char *version)
{
	struct wb w = wb_begin(buf, n, "meta");

	wb_s(&w, version);
	return wb_end(&w);
}

int rec_enc_cfg(char *buf, size_t n, const struct eng_cfg *c)
{
	struct wb w = wb_begin(buf, n, "cfg");

	wb_u(&w, c->bin_ns); wb_u(&w, c->stall_ns); wb_u(&w, c->netrx_ns); wb_u(&w, c->netrx_spike_ns);
	wb_u(&w, c->retrans_min); wb_u(&w, c->drops_min); wb_fmt(&w, "%.17g", c->factor);
	wb_u(&w, c->baseline_bins); wb_u(&w, c->quiet_bins); wb_u(&w, c->warmup_bins);
	wb_u(&w, c->window_ns); wb_u(&w, c->kmsg_before_ns);
	return wb_end(&w);
}

int rec_enc_kernel(char *buf, size_t n, const struct eng_kernel *k)
{
	struct wb w = wb_begin(buf, n, "kernel");

	wb_s(&w, k->release); wb_i(&w, k->major); wb_i(&w, k->minor); wb_s(&w, k->preempt);
	wb_u(&w, k->preempt_dynamic); wb_u(&w, k->rt); wb_i(&w, k->hz);
	wb_i(&w, k->rt_runtime_us); wb_i(&w, k->rt_period_us); wb_u(&w, k->vm);
	return wb_end(&w);
}

int rec_enc_facts(char *buf, size_t n, const struct rec_facts *f)
{
	struct wb w = wb_begin(buf, n, "facts");

	wb_s(&w, f->release); wb_u(&w, f->preempt_models); wb_s(&w, f->preempt_model);
	wb_i(&w, f->realtime); wb_u(&w, f->preempt_dynamic_built); wb_s(&w, f->preempt_dynamic);
	wb_i(&w, f->hz); wb_i(&w, f->softirq);
	return wb_end(&w);
}

int rec_enc_start(char *buf, size_t n, const struct rec_start *s)
{
	struct wb w = wb_begin(buf, n, "start");

	wb_u(&w, s->ncpus); wb_u(&w, s->t0_ns); wb_i(&w, s->wall_off_ns); wb_u(&w, s->sampler);
	wb_s(&w, s->netrx_source);
	return wb_end(&w);
}

int rec_enc_sample(char *buf, size_t n, const struct eng_net_sample *s)
{
	struct wb w = wb_begin(buf, n, "sample");

	wb_u(&w, s->ts_ns); wb_u(&w, s->retrans_tp); wb_u(&w, s->retrans_segs); wb_u(&w, s->have_tp);
	wb_u(&w, s->have_segs); wb_u(&w, s->drops_other); wb_u(&w, s->cpu ? s->ncpus : 0);
	for (unsigned c = 0; s->cpu && c < s->ncpus; c++) {
		const struct eng_cpu_sample *x = &s->cpu[c];
		wb_u(&w, x->netrx_max_ns); wb_u(&w, x->netrx_p99_ns); wb_u(&w, x->ksoftirqd_wait_ns);
		wb_u(&w, x->drops); wb_u(&w, x->squeezes);
	}
	return wb_end(&w);
}

static void enc_task(struct wb *w, const struct eng_task *t)
{
	wb_i(w, t->pid); wb_i(w, t->tid); wb_s(w, t->comm); wb_i(w, t->policy); wb_i(w, t->rt_prio);
	wb_i(w, t->prio); wb_u(w, t->run_ns); wb_u(w, t->samples); wb_u(w, t->samples_kernel);
	wb_u(w, t->samples_bh_off); wb_u(w, t->samples_irq_off); wb_u(w, t->samples_preempt_off);
}

int rec_enc_stall(char *buf, size_t n, const struct eng_stall *s, const struct stall_window_info *win,
		  const char *what)
{
	struct wb w = wb_begin(buf, n, "stall");
	unsigned nt = s->n_tasks < ENG_MAX_TASKS ? s->n_tasks : ENG_MAX_TASKS;
	unsigned nf = s->n_frames < ENG_MAX_FRAMES ? s->n_frames : ENG_MAX_FRAMES;

	wb_i(&w, s->cpu); wb_u(&w, s->start_ns); wb_u(&w, s->end_ns); wb_u(&w, s->ongoing);
	wb_i(&w, s->victim_pid); wb_s(&w, s->victim_comm); wb_i(&w, s->victim_policy);
	wb_i(&w, s->victim_prio); wb_u(&w, s->stack_samples);
	wb_u(&w, s->gap.ns); wb_u(&w, s->gap.mode); wb_u(&w, s->gap.irq_on); wb_s(&w, s->gap.place);
	wb_u(&w, win->known); wb_u(&w, win->covered_ns); wb_u(&w, win->idle_ns); wb_u(&w, win->left_out);
	wb_s(&w, what);
	wb_u(&w, nt);
	for (unsigned i = 0; i < nt; i++)
		enc_task(&w, &s->tasks[i]);
	wb_u(&w, nf);
	for (unsigned i = 0; i < nf; i++)
		wb_s(&w, s->frames[i]);
	return wb_end(&w);
}

int rec_enc_kmsg(char *buf, size_t n, uint64_t ts_ns, const char *text)
{
	struct wb w = wb_begin(buf, n, "kmsg");

	wb_u(&w, ts_ns);
	wb_s(&w, text);
	return wb_end(&w);
}

int rec_enc_step(char *buf, size_t n, uint64_t now_ns)
{
	struct wb w = wb_begin(buf, n, "step");

	wb_u(&w, now_ns);
	return wb_end(&w);
}

int rec_enc_finish(char *buf, size_t n, const struct rec_finish *f)
{
	struct wb w = wb_begin(buf, n, "finish");

	wb_u(&w, f->now_ns); wb_u(&w, f->settle); wb_u(&w, f->lost_records); wb_u(&w, f->lost_kmsg);
	return wb_end(&w);
}

/* ---- reading ---------------------------------------------------------- */

/* A cursor over a line's fields: each taken field is cut off in place. */
struct rd {
	char *p;                 /* the rest of the line; NULL after its last field */
	bool bad;
};

static char *rd_field(struct rd *r)
{
	char *f = r->p, *t;

	if (!f) {
		r->bad = true;
		return "";
	}
	t = strchr(f, '\t');
	if (t) {
		*t = '\0';
		r->p = t + 1;
	} else {
		r->p = NULL;
	}
	return f;
}

static uint64_t rd_u(struct rd *r, uint64_t max)
{
	char *f = rd_field(r), *end;
	uint64_t v;

	if (*f < '0' || *f > '9') {
		r->bad = true;
		return 0;
	}
	errno = 0;
	v = strtoull(f, &end, 10);
	if (errno || *end || v > max)
		r->bad = true;
	return r->bad ? 0 : v;
}

static int64_t rd_i(struct rd *r, int64_t min, int64_t max)
{
	char *f = rd_field(r), *end;
	int64_t v;

	if (!*f || (*f != '-' && (*f < '0' || *f > '9'))) {
		r->bad = true;
		return 0;
	}
	errno = 0;
	v = strtoll(f, &end, 10);
	if (errno || *end || v < min || v > max)
		r->bad = true;
	return r->bad ? 0 : v;
}

static bool rd_b(struct rd *r) { return rd_u(r, 1) != 0; }
#define RD_INT(r) ((int)rd_i((r), INT32_MIN, INT32_MAX))
#define RD_U32(r) ((uint32_t)rd_u((r), UINT32_MAX))

/* A string field unescaped into out[n]; too long or a bad escape is damage. */
static void rd_s(struct rd *r, char *out, size_t n)
{
	const char *f = rd_field(r);
	size_t k = 0;

	for (; *f; f++) {
		char c = *f;
		if (c == '\\') {
			f++;
			c = *f == '\\' ? '\\' : *f == 't' ? '\t' : *f == 'n' ? '\n' : *f == 'r' ? '\r' : 0;
			if (!c) {
				r->bad = true;
				break;
			}
		}
		if (k + 1 >= n) {
			r->bad = true;
			break;
		}
		out[k++] = c;
	}
	out[k] = '\0';
}

static void dec_cfg(struct rd *r, struct eng_cfg *c)
{
	char *f, *end;

	c->bin_ns = rd_u(r, UINT64_MAX); c->stall_ns = rd_u(r, UINT64_MAX);
	c->netrx_ns = rd_u(r, UINT64_MAX); c->netrx_spike_ns = rd_u(r, UINT64_MAX);
	c->retrans_min = rd_u(r, UINT64_MAX); c->drops_min = rd_u(r, UINT64_MAX);
	f = rd_field(r);
	c->factor = strtod(f, &end);
	if (end == f || *end || !(c->factor >= 1 && c->factor <= 1e6))
		r->bad = true;
	c->baseline_bins = RD_U32(r); c->quiet_bins = RD_U32(r); c->warmup_bins = RD_U32(r);
	c->window_ns = rd_u(r, UINT64_MAX); c->kmsg_before_ns = rd_u(r, UINT64_MAX);
	/* the engine divides by the bin and keeps bins in a ring */
	if (!c->bin_ns || c->baseline_bins > 1000 || c->quiet_bins > 1000 || c->warmup_bins > 1000)
		r->bad = true;
}

static void dec_kernel(struct rd *r, struct eng_kernel *k)
{
	rd_s(r, k->release, sizeof(k->release)); k->major = RD_INT(r); k->minor = RD_INT(r);
	rd_s(r, k->preempt, sizeof(k->preempt)); k->preempt_dynamic = rd_b(r); k->rt = rd_b(r);
	k->hz = RD_INT(r); k->rt_runtime_us = rd_i(r, INT64_MIN, INT64_MAX);
	k->rt_period_us = rd_i(r, INT64_MIN, INT64_MAX); k->vm = rd_b(r);
}

static void dec_facts(struct rd *r, struct rec_facts *f)
{
	rd_s(r, f->release, sizeof(f->release)); f->preempt_models = RD_U32(r);
	rd_s(r, f->preempt_model, sizeof(f->preempt_model)); f->realtime = (int)rd_i(r, 0, 2);
	f->preempt_dynamic_built = rd_b(r); rd_s(r, f->preempt_dynamic, sizeof(f->preempt_dynamic));
	f->hz = RD_INT(r); f->softirq = (int)rd_i(r, 0, 16);
}

static void dec_start(struct rd *r, struct rec_start *s)
{
	s->ncpus = (unsigned)rd_u(r, REC_MAX_CPUS); s->t0_ns = rd_u(r, UINT64_MAX);
	s->wall_off_ns = rd_i(r, INT64_MIN, INT64_MAX); s->sampler = rd_b(r);
	rd_s(r, s->netrx_source, sizeof(s->netrx_source));
	if (!s->ncpus)
		r->bad = true;
}

static void dec_sample(struct rec_reader *rr, struct rd *r, struct eng_net_sample *s)
{
	s->ts_ns = rd_u(r, UINT64_MAX); s->retrans_tp = rd_u(r, UINT64_MAX);
	s->retrans_segs = rd_u(r, UINT64_MAX); s->have_tp = rd_b(r); s->have_segs = rd_b(r);
	s->drops_other = rd_u(r, UINT64_MAX); s->ncpus = (unsigned)rd_u(r, rr->ncpus);
	s->cpu = rr->cpu;
	for (unsigned c = 0; c < s->ncpus && !r->bad; c++) {
		struct eng_cpu_sample *x = &rr->cpu[c];
		x->netrx_max_ns = rd_u(r, UINT64_MAX); x->netrx_p99_ns = rd_u(r, UINT64_MAX);
		x->ksoftirqd_wait_ns = rd_u(r, UINT64_MAX); x->drops = rd_u(r, UINT64_MAX);
		x->squeezes = rd_u(r, UINT64_MAX);
	}
}

static void dec_task(struct rd *r, struct eng_task *t)
{
	t->pid = RD_INT(r); t->tid = RD_INT(r); rd_s(r, t->comm, sizeof(t->comm));
	t->policy = RD_INT(r); t->rt_prio = RD_INT(r); t->prio = RD_INT(r);
	t->run_ns = rd_u(r, UINT64_MAX); t->samples = RD_U32(r); t->samples_kernel = RD_U32(r);
	t->samples_bh_off = RD_U32(r); t->samples_irq_off = RD_U32(r); t->samples_preempt_off = RD_U32(r);
}

static void dec_stall(struct rec_reader *rr, struct rd *r, struct rec_stall *x)
{
	struct eng_stall *s = &x->s;

	s->cpu = (int)rd_i(r, 0, (int64_t)rr->ncpus - 1); s->start_ns = rd_u(r, UINT64_MAX);
	s->end_ns = rd_u(r, UINT64_MAX); s->ongoing = rd_b(r); s->victim_pid = RD_INT(r);
	rd_s(r, s->victim_comm, sizeof(s->victim_comm)); s->victim_policy = RD_INT(r);
	s->victim_prio = RD_INT(r); s->stack_samples = RD_U32(r);
	s->gap.ns = rd_u(r, UINT64_MAX); s->gap.mode = (enum eng_mode)rd_u(r, ENG_MODE_USER);
	s->gap.irq_on = rd_b(r); rd_s(r, s->gap.place, sizeof(s->gap.place));
	x->win.known = rd_b(r); x->win.covered_ns = rd_u(r, UINT64_MAX);
	x->win.idle_ns = rd_u(r, UINT64_MAX); x->win.left_out = RD_U32(r);
	rd_s(r, x->what, sizeof(x->what));
	s->n_tasks = (unsigned)rd_u(r, ENG_MAX_TASKS);
	for (unsigned i = 0; i < s->n_tasks && !r->bad; i++)
		dec_task(r, &s->tasks[i]);
	s->n_frames = (unsigned)rd_u(r, ENG_MAX_FRAMES);
	for (unsigned i = 0; i < s->n_frames && !r->bad; i++)
		rd_s(r, s->frames[i], sizeof(s->frames[i]));
	if (s->end_ns < s->start_ns)
		r->bad = true;
}

static const struct {
	const char *name;
	enum rec_type type;
	bool needs_start;        /* an input: only after the run's constants */
} rec_names[] = {
	{ "meta", REC_META, false }, { "cfg", REC_CFG, false }, { "kernel", REC_KERNEL, false },
	{ "facts", REC_FACTS, false }, { "start", REC_START, false }, { "sample", REC_SAMPLE, true },
	{ "stall", REC_STALL, true }, { "kmsg", REC_KMSG, true }, { "step", REC_STEP, true },
	{ "finish", REC_FINISH, true },
};

void rec_reader_init(struct rec_reader *r)
{
	memset(r, 0, offsetof(struct rec_reader, cpu));
}

static int dec_fail(struct rec_reader *r, const char *why)
{
	snprintf(r->err, sizeof(r->err), "%s", why);
	return -1;
}

/* The magic line: "KSLEUTH-RECORDING <version>". */
static int dec_magic(struct rec_reader *r, const char *line, struct rec_item *it)
{
	const char *v = line + sizeof(REC_MAGIC);
	char *end;
	long ver;

	if (strncmp(line, REC_MAGIC " ", sizeof(REC_MAGIC)) || *v < '1' || *v > '9')
		return dec_fail(r, "it is not a ksleuth recording (no KSLEUTH-RECORDING line at its start)");
	errno = 0;
	ver = strtol(v, &end, 10);
	if (errno || *end || ver < 1)
		return dec_fail(r, "its KSLEUTH-RECORDING line is damaged");
	if (ver > REC_VERSION) {
		snprintf(r->err, sizeof(r->err), "it is format version %ld, newer than this ksleuth reads (%d): "
			 "replay it with a newer ksleuth", ver, REC_VERSION);
		return -1;
	}
	r->version = (int)ver;
	r->line++;
	it->type = REC_NONE;
	return 0;
}

static void dec_body(struct rec_reader *rr, struct rd *r, struct rec_item *it)
{
	switch (it->type) {
	case REC_META: rd_s(r, it->version, sizeof(it->version)); break;
	case REC_CFG: dec_cfg(r, &it->cfg); break;
	case REC_KERNEL: dec_kernel(r, &it->kernel); break;
	case REC_FACTS: dec_facts(r, &it->facts); break;
	case REC_START: dec_start(r, &it->start); break;
	case REC_SAMPLE: dec_sample(rr, r, &it->sample); break;
	case REC_STALL: dec_stall(rr, r, &it->stall); break;
	case REC_KMSG:
		it->ts_ns = rd_u(r, UINT64_MAX);
		rd_s(r, it->text, sizeof(it->text));
		break;
	case REC_STEP: it->ts_ns = rd_u(r, UINT64_MAX); break;
	case REC_FINISH:
		it->finish.now_ns = rd_u(r, UINT64_MAX); it->finish.settle = rd_b(r);
		it->finish.lost_records = rd_u(r, UINT64_MAX); it->finish.lost_kmsg = rd_u(r, UINT64_MAX);
		break;
	default: r->bad = true; break;
	}
}

int rec_decode(struct rec_reader *rr, char *line, struct rec_item *it)
{
	struct rd r = { .p = line };
	const char *name;
	unsigned i;

	memset(it, 0, sizeof(*it));
	if (!rr->version)
		return dec_magic(rr, line, it);
	name = rd_field(&r);
	for (i = 0; i < sizeof(rec_names) / sizeof(rec_names[0]); i++)
		if (!strcmp(name, rec_names[i].name))
			break;
	/* a record this version does not know is damage: versions add records
	 * only with a new version number */
	if (i == sizeof(rec_names) / sizeof(rec_names[0])) {
		snprintf(rr->err, sizeof(rr->err), "line %u is damaged (no record named like that)", rr->line + 1);
		return -1;
	}
	it->type = rec_names[i].type;
	if (rec_names[i].needs_start && !rr->ncpus) {
		snprintf(rr->err, sizeof(rr->err), "line %u comes before the run's start record", rr->line + 1);
		return -1;
	}
	if (it->type == REC_START && rr->ncpus) {
		snprintf(rr->err, sizeof(rr->err), "line %u starts the run a second time", rr->line + 1);
		return -1;
	}
	dec_body(rr, &r, it);
	if (r.bad || r.p) {
		snprintf(rr->err, sizeof(rr->err), "line %u (%s) is damaged", rr->line + 1, rec_names[i].name);
		return -1;
	}
	if (it->type == REC_START)
		rr->ncpus = it->start.ncpus;
	rr->line++;
	return 0;
}

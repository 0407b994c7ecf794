/* evidence.c — collecting a run's evidence, and its folded-stack and
 * trace-event writers (see evidence.h); the HTML page is evhtml.c. */
#include <stdlib.h>
#include <string.h>

#include "lib/evidence.h"
#include "lib/json.h"

void ev_init(struct evidence *e, unsigned ncpus, uint64_t t0_ns, const char *title)
{
	memset(e, 0, sizeof(*e));
	e->ncpus = ncpus;
	e->t0_ns = e->end_ns = t0_ns;
	snprintf(e->title, sizeof(e->title), "%s", title ? title : "");
}

void ev_free(struct evidence *e)
{
	free(e->seconds);
	free(e->stalls);
	free(e->kmsg);
	free(e->incidents);
	memset(e, 0, sizeof(*e));
}

/* Room for one more of size bytes at *base, which holds *n of *cap. */
static void *slot(void **base, unsigned *n, unsigned *cap, size_t size)
{
	if (*n == *cap) {
		unsigned c = *cap ? *cap * 2 : 64;
		void *p = realloc(*base, (size_t)c * size);
		if (!p)
			return NULL;
		*base = p;
		*cap = c;
	}
	return (char *)*base + (size_t)(*n)++ * size;
}

#define EV_SLOT(e, what) slot((void **)&(e)->what, &(e)->n_##what, &(e)->cap_##what, sizeof(*(e)->what))

static void seen(struct evidence *e, uint64_t ts_ns)
{
	if (ts_ns > e->end_ns)
		e->end_ns = ts_ns;
}

void ev_end(struct evidence *e, uint64_t end_ns)
{
	seen(e, end_ns);
}

int ev_add_sample(struct evidence *e, const struct eng_net_sample *s)
{
	struct ev_second *sec = EV_SLOT(e, seconds);

	if (!sec)
		return -1;
	memset(sec, 0, sizeof(*sec));
	sec->ts_ns = s->ts_ns;
	sec->retrans = s->retrans_tp;
	sec->drops = s->drops_other;
	for (unsigned c = 0; c < s->ncpus; c++) {
		sec->drops += s->cpu[c].drops;
		if (s->cpu[c].netrx_max_ns > sec->netrx_max_ns)
			sec->netrx_max_ns = s->cpu[c].netrx_max_ns;
	}
	seen(e, s->ts_ns);
	return 0;
}

int ev_add_stall(struct evidence *e, const struct eng_stall *s)
{
	struct ev_stall *st = NULL;

	/* an ongoing stall comes again as it grows: keep its latest */
	for (unsigned i = e->n_stalls; i-- > 0 && !st;)
		if (e->stalls[i].cpu == s->cpu && e->stalls[i].start_ns == s->start_ns)
			st = &e->stalls[i];
	if (!st && !(st = EV_SLOT(e, stalls)))
		return -1;
	memset(st, 0, sizeof(*st));
	st->cpu = s->cpu;
	st->start_ns = s->start_ns;
	st->end_ns = s->end_ns;
	snprintf(st->victim, sizeof(st->victim), "%s", s->victim_comm);
	for (unsigned t = 0; t < s->n_tasks && t < ENG_MAX_TASKS; t++)
		if (!st->have_holder || s->tasks[t].run_ns > st->holder.run_ns) {
			st->holder = s->tasks[t];
			st->have_holder = true;
		}
	st->n_frames = s->n_frames < ENG_MAX_FRAMES ? s->n_frames : ENG_MAX_FRAMES;
	memcpy(st->frames, s->frames, sizeof(st->frames[0]) * st->n_frames);
	st->stack_samples = s->stack_samples;
	seen(e, s->end_ns);
	return 0;
}

int ev_add_kmsg(struct evidence *e, uint64_t ts_ns, const char *text)
{
	struct ev_kmsg *k = EV_SLOT(e, kmsg);

	if (!k)
		return -1;
	k->ts_ns = ts_ns;
	snprintf(k->text, sizeof(k->text), "%s", text);
	return 0;
}

int ev_add_incident(struct evidence *e, const struct eng_incident *inc)
{
	struct ev_incident *i = EV_SLOT(e, incidents);

	if (!i)
		return -1;
	memset(i, 0, sizeof(*i));
	i->id = inc->id;
	i->start_ns = inc->start_ns;
	i->end_ns = inc->end_ns;
	i->cpu = inc->verdict.cpu;
	i->mech = inc->verdict.mech;
	i->confidence = inc->verdict.confidence;
	i->have_culprit = inc->verdict.have_culprit;
	i->culprit = inc->verdict.culprit;
	snprintf(i->summary, sizeof(i->summary), "%s", inc->summary);
	i->n_advice = inc->n_advice < ENG_MAX_ADVICE ? inc->n_advice : ENG_MAX_ADVICE;
	memcpy(i->advice, inc->advice, sizeof(i->advice[0]) * i->n_advice);
	seen(e, inc->end_ns);
	return 0;
}

/* ---- folded stacks ----------------------------------------------------- */

bool ev_is_culprit(const struct evidence *e, const struct ev_stall *s)
{
	for (unsigned i = 0; i < e->n_incidents; i++)
		if (e->incidents[i].have_culprit && s->have_holder &&
		    e->incidents[i].culprit.pid == s->holder.pid)
			return true;
	return false;
}

/* A name in a folded line: ';' separates frames and ' ' the count. */
static void put_folded_name(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc(*s == ';' || *s == ' ' || *s == '\n' ? '_' : *s, f);
}

unsigned ev_write_folded(FILE *f, const struct evidence *e, bool only_culprits)
{
	unsigned lines = 0;

	for (unsigned i = 0; i < e->n_stalls; i++) {
		const struct ev_stall *s = &e->stalls[i];
		if (!s->have_holder || !s->n_frames || !s->stack_samples ||
		    (only_culprits && !ev_is_culprit(e, s)))
			continue;
		put_folded_name(f, s->holder.comm);
		for (unsigned k = s->n_frames; k-- > 0;) {
			fputc(';', f);
			put_folded_name(f, s->frames[k]);
		}
		fprintf(f, " %u\n", s->stack_samples);
		lines++;
	}
	return lines;
}

/* ---- Chrome trace events ----------------------------------------------- */

enum { PID_CPUS = 1, PID_NET = 2, PID_INCIDENTS = 3 };

/* Whole microseconds from t0: json_double keeps 6 digits only. */
static uint64_t us_of(const struct evidence *e, uint64_t ns)
{
	return ns >= e->t0_ns ? (ns - e->t0_ns) / 1000 : 0;
}

static void meta(struct json *j, const char *what, int pid, int tid, const char *name)
{
	json_obj_begin(j);
	json_kstr(j, "name", what);
	json_kstr(j, "ph", "M");
	json_kint(j, "pid", pid);
	json_kint(j, "tid", tid);
	json_key(j, "args");
	json_obj_begin(j);
	json_kstr(j, "name", name);
	json_obj_end(j);
	json_obj_end(j);
}

/* A complete event ("X"): name, category, start and length. */
static void span(struct json *j, const struct evidence *e, const char *name, const char *cat, int pid,
		 int tid, uint64_t start_ns, uint64_t end_ns)
{
	json_kstr(j, "name", name);
	json_kstr(j, "cat", cat);
	json_kstr(j, "ph", "X");
	json_kuint(j, "ts", us_of(e, start_ns));
	json_kuint(j, "dur", end_ns > start_ns ? (end_ns - start_ns) / 1000 : 0);
	json_kint(j, "pid", pid);
	json_kint(j, "tid", tid);
}

static void stall_event(struct json *j, const struct evidence *e, const struct ev_stall *s)
{
	char name[64], stack[ENG_MAX_FRAMES * 8];
	size_t len = 0;

	snprintf(name, sizeof(name), "%s (pid %d)", s->have_holder ? s->holder.comm : "(no task)",
		 s->have_holder ? s->holder.pid : 0);
	for (unsigned k = 0; k < s->n_frames && len < sizeof(stack); k++)
		len += (size_t)snprintf(stack + len, sizeof(stack) - len, "%s%s", k ? " <- " : "", s->frames[k]);
	stack[len < sizeof(stack) ? len : sizeof(stack) - 1] = '\0';
	json_obj_begin(j);
	span(j, e, name, ev_is_culprit(e, s) ? "culprit" : "stall", PID_CPUS, s->cpu, s->start_ns, s->end_ns);
	json_key(j, "args");
	json_obj_begin(j);
	json_kstr(j, "waited", s->victim);
	if (s->have_holder) {
		json_kstr(j, "policy", eng_policy_name(s->holder.policy));
		json_kuint(j, "samples", s->holder.samples);
		json_kuint(j, "samples_kernel", s->holder.samples_kernel);
		json_kuint(j, "samples_bh_off", s->holder.samples_bh_off);
		json_kuint(j, "samples_irq_off", s->holder.samples_irq_off);
	}
	json_kstr(j, "stack", stack);
	json_obj_end(j);
	json_obj_end(j);
}

static void counter(struct json *j, const struct evidence *e, const char *name, uint64_t ts_ns, double v)
{
	json_obj_begin(j);
	json_kstr(j, "name", name);
	json_kstr(j, "ph", "C");
	json_kuint(j, "ts", us_of(e, ts_ns));
	json_kint(j, "pid", PID_NET);
	json_key(j, "args");
	json_obj_begin(j);
	json_kdouble(j, "value", v);
	json_obj_end(j);
	json_obj_end(j);
}

static void instant(struct json *j, const struct evidence *e, const struct ev_kmsg *k)
{
	json_obj_begin(j);
	json_kstr(j, "name", "kernel log");
	json_kstr(j, "cat", "kmsg");
	json_kstr(j, "ph", "i");
	json_kstr(j, "s", "g");
	json_kuint(j, "ts", us_of(e, k->ts_ns));
	json_kint(j, "pid", PID_CPUS);
	json_kint(j, "tid", 0);
	json_key(j, "args");
	json_obj_begin(j);
	json_kstr(j, "text", k->text);
	json_obj_end(j);
	json_obj_end(j);
}

static void incident_event(struct json *j, const struct evidence *e, const struct ev_incident *in)
{
	char name[96];

	snprintf(name, sizeof(name), "incident %u: %s", in->id, eng_mech_name(in->mech));
	json_obj_begin(j);
	span(j, e, name, "incident", PID_INCIDENTS, 0, in->start_ns, in->end_ns);
	json_key(j, "args");
	json_obj_begin(j);
	json_kstr(j, "summary", in->summary);
	json_kstr(j, "confidence", in->confidence ? in->confidence : "");
	json_obj_end(j);
	json_obj_end(j);
}

static void trace_meta(struct json *j, const struct evidence *e)
{
	char name[32];

	meta(j, "process_name", PID_CPUS, 0, "CPUs: who held them");
	meta(j, "process_name", PID_NET, 0, "network");
	meta(j, "process_name", PID_INCIDENTS, 0, "incidents");
	for (unsigned c = 0; c < e->ncpus; c++) {
		snprintf(name, sizeof(name), "CPU %u", c);
		meta(j, "thread_name", PID_CPUS, (int)c, name);
	}
}

void ev_write_perfetto(FILE *f, const struct evidence *e)
{
	struct json j;

	json_init(&j, f);
	json_obj_begin(&j);
	json_kstr(&j, "displayTimeUnit", "ms");
	json_key(&j, "traceEvents");
	json_arr_begin(&j);
	trace_meta(&j, e);
	for (unsigned i = 0; i < e->n_stalls; i++)
		stall_event(&j, e, &e->stalls[i]);
	for (unsigned i = 0; i < e->n_seconds; i++) {
		const struct ev_second *s = &e->seconds[i];
		counter(&j, e, "retransmits/s", s->ts_ns, (double)s->retrans);
		counter(&j, e, "drops/s", s->ts_ns, (double)s->drops);
		counter(&j, e, "NET_RX delay (ms)", s->ts_ns, (double)s->netrx_max_ns / 1e6);
	}
	for (unsigned i = 0; i < e->n_kmsg; i++)
		instant(&j, e, &e->kmsg[i]);
	for (unsigned i = 0; i < e->n_incidents; i++)
		incident_event(&j, e, &e->incidents[i]);
	json_arr_end(&j);
	json_obj_end(&j);
	json_line_end(&j);
}

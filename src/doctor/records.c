/* doctor/records.c — the doctor's JSON Lines records of engine output
 * (stall, incident, finding), written alike by `doctor --json` and
 * `agent --events`. Formatting only: it decides nothing. */
#include <inttypes.h>

#include "doctor/records.h"
#include "lib/json.h"

static void task_json(struct json *j, const char *key, const struct eng_task *t, enum eng_mode mode,
		      bool bh_off)
{
	json_key(j, key);
	json_obj_begin(j);
	json_kint(j, "pid", t->pid);
	json_kint(j, "tid", t->tid);
	json_kstr(j, "comm", t->comm);
	json_kstr(j, "mode", eng_mode_name(mode));
	json_kstr(j, "policy", eng_policy_name(t->policy));
	if (t->policy == 1 || t->policy == 2)
		json_kint(j, "rt_priority", t->rt_prio);
	json_kbool(j, "bh_disabled", bh_off);
	json_kuint(j, "run_ns", t->run_ns);
	json_kuint(j, "samples", t->samples);
	json_obj_end(j);
}

void doctor_json_task(struct json *j, const char *key, const struct eng_task *t)
{
	task_json(j, key, t, eng_task_mode(t), eng_task_bh_off(t));
}

/* key: [rows of a char[n][stride] table] (stacks, advice) */
static void rows_json(struct json *j, const char *key, const char *rows, size_t stride, unsigned n)
{
	json_key(j, key);
	json_arr_begin(j);
	for (unsigned i = 0; i < n; i++)
		json_str(j, rows + i * stride);
	json_arr_end(j);
}

/* "culprit" is the task that held the CPU (as the text's "ran instead"),
 * null when none did; "top_task" then names the largest share, if any. */
void doctor_json_stall(struct json *j, const struct pipeline_stall *ps, uint64_t emitted_ns)
{
	const struct eng_stall *s = ps->s;
	const struct eng_task *t = s->n_tasks ? &s->tasks[0] : NULL;

	json_obj_begin(j);
	json_kstr(j, "type", "stall");
	json_kbool(j, "ongoing", s->ongoing);
	json_kint(j, "cpu", s->cpu);
	json_kuint(j, "start_ns", s->start_ns);
	json_kuint(j, "end_ns", s->end_ns);
	json_kuint(j, "stall_ns", s->end_ns - s->start_ns);
	json_kstr(j, "waiting", s->victim_comm);
	if (s->gap.ns)
		json_kuint(j, "irq_gap_ns", s->gap.ns);
	json_kuint(j, "emitted_ns", emitted_ns); /* for latency measurements */
	json_kstr(j, "filled_by", stall_fill_name(ps->fill.kind));
	json_kbool(j, "held", ps->fill.held);
	json_kuint(j, "tasks", ps->fill.ntasks);
	if (ps->win.known) {
		json_kuint(j, "covered_ns", ps->win.covered_ns);
		json_kuint(j, "idle_ns", ps->win.idle_ns);
	}
	if (t && ps->fill.kind == STALL_FILL_HELD) {
		doctor_json_task(j, "culprit", t);
	} else {
		json_key(j, "culprit");
		json_null(j);
		if (t)
			doctor_json_task(j, "top_task", t);
	}
	json_obj_end(j);
	json_line_end(j);
}

/* The members of an incident's second, suspect and kernel log line. */
static void second_json(struct json *j, const void *elem)
{
	const struct eng_second *s = elem;

	json_kuint(j, "start_ns", s->start_ns);
	json_kuint(j, "retransmits", s->retrans_tp);
	json_kuint(j, "retrans_segs", s->retrans_segs);
	json_kuint(j, "drops", s->drops);
	json_kuint(j, "netrx_max_delay_ns", s->netrx_max_ns);
	json_kuint(j, "ksoftirqd_max_wait_ns", s->ksoftirqd_wait_ns);
	json_kbool(j, "spike", s->spike);
	json_kstr(j, "culprit", s->culprit);
}

static void suspect_json(struct json *j, const void *elem)
{
	const struct eng_suspect *s = elem;

	json_kint(j, "cpu", s->cpu);
	json_kint(j, "pid", s->task.pid);
	json_kint(j, "tid", s->task.tid);
	json_kstr(j, "comm", s->task.comm);
	json_kuint(j, "stolen_ns", s->stolen_ns);
	json_kuint(j, "longest_ns", s->longest_ns);
	json_kuint(j, "stalls", s->stalls);
}

static void kmsg_line_json(struct json *j, const void *elem)
{
	const struct eng_kmsg_line *k = elem;

	json_kuint(j, "ts_ns", k->ts_ns);
	json_kstr(j, "class", k->cls ? k->cls : "");
	json_kstr(j, "text", k->text);
}

void doctor_json_incident(struct json *j, const struct eng_incident *inc, uint64_t emitted_ns)
{
	const struct eng_verdict *v = &inc->verdict;

	json_obj_begin(j);
	json_kstr(j, "type", "incident");
	json_kuint(j, "id", inc->id);
	json_kstr(j, "mechanism", eng_mech_name(v->mech));
	json_kstr(j, "confidence", v->confidence ? v->confidence : "");
	json_kint(j, "cpu", v->cpu);
	json_kuint(j, "start_ns", inc->start_ns);
	json_kuint(j, "end_ns", inc->end_ns);
	json_kuint(j, "stall_ns", v->stall_ns);
	json_kuint(j, "irq_gap_ns", v->gap.ns);
	if (v->gap.ns) {
		json_kstr(j, "irq_gap_end_mode", eng_mode_name(v->gap.mode));
		json_kstr(j, "irq_gap_end_place", v->gap.place);
	}
	json_kuint(j, "stolen_ns", v->stolen_ns);
	json_kuint(j, "emitted_ns", emitted_ns);
	if (v->have_culprit) {
		task_json(j, "culprit", &v->culprit, v->mode, v->bh_off);
	} else {
		json_key(j, "culprit");
		json_null(j);
	}
	json_kuint(j, "retransmits", inc->retransmits);
	json_kuint(j, "retrans_segs", inc->retrans_segs);
	json_kuint(j, "drops", inc->drops);
	json_kuint(j, "netrx_max_delay_ns", v->netrx_max_ns);
	json_kuint(j, "ksoftirqd_max_wait_ns", v->ksoftirqd_wait_ns);
	json_kuint(j, "time_squeeze", v->squeezes);
	rows_json(j, "stack", inc->frames[0], sizeof(inc->frames[0]), inc->n_frames);
	rows_json(j, "advice", inc->advice[0], sizeof(inc->advice[0]), inc->n_advice);
	json_kstr(j, "summary", inc->summary);
	json_kobjs(j, "seconds", inc->seconds, sizeof(inc->seconds[0]), inc->n_seconds, second_json);
	json_kobjs(j, "suspects", inc->suspects, sizeof(inc->suspects[0]), inc->n_suspects, suspect_json);
	json_kobjs(j, "kmsg", inc->kmsg, sizeof(inc->kmsg[0]), inc->n_kmsg, kmsg_line_json);
	json_obj_end(j);
	json_line_end(j);
}

void doctor_json_finding(struct json *j, const struct eng_finding *f, uint64_t emitted_ns)
{
	json_obj_begin(j);
	json_kstr(j, "type", "finding");
	json_kstr(j, "mechanism", eng_mech_name(f->mech));
	json_kint(j, "cpu", f->cpu);
	json_kuint(j, "start_ns", f->start_ns);
	json_kuint(j, "end_ns", f->end_ns);
	json_kuint(j, "stall_ns", f->stall_ns);
	json_kuint(j, "irq_gap_ns", f->irq_gap_ns);
	if (f->irq_gap_ns)
		json_kbool(j, "irq_gap_cpu_not_running", f->irq_gap_not_running);
	task_json(j, "culprit", &f->culprit, f->mode, f->bh_off);
	json_kstr(j, "waiting", f->victim_comm);
	json_kuint(j, "emitted_ns", emitted_ns);
	json_kuint(j, "netrx_max_delay_ns", f->netrx_max_ns);
	json_kuint(j, "ksoftirqd_max_wait_ns", f->ksoftirqd_wait_ns);
	rows_json(j, "stack", f->frames[0], sizeof(f->frames[0]), f->n_frames);
	rows_json(j, "advice", f->advice[0], sizeof(f->advice[0]), f->n_advice);
	json_kstr(j, "summary", f->summary);
	json_obj_end(j);
	json_line_end(j);
}

void doctor_json_spike(struct json *j, const struct eng_spike *s)
{
	json_obj_begin(j);
	json_kstr(j, "type", "spike");
	json_kuint(j, "start_ns", s->start_ns);
	json_kstr(j, "reason", s->reason);
	json_kuint(j, "retransmits", s->retrans);
	json_kuint(j, "baseline_retransmits", s->baseline_retrans);
	json_kuint(j, "drops", s->drops);
	json_kuint(j, "baseline_drops", s->baseline_drops);
	json_kuint(j, "netrx_max_delay_ns", s->netrx_max_ns);
	json_kint(j, "netrx_cpu", s->netrx_cpu);
	json_obj_end(j);
	json_line_end(j);
}

void doctor_json_contention(struct json *j, unsigned cpu, const struct stall_contention *x)
{
	json_obj_begin(j);
	json_kstr(j, "type", "contention");
	json_kuint(j, "cpu", cpu);
	json_kuint(j, "start_ns", x->start_ns);
	json_kuint(j, "end_ns", x->end_ns);
	json_kuint(j, "waits", x->waits);
	json_kuint(j, "wait_ns", x->total_ns);
	json_kuint(j, "longest_ns", x->longest_ns);
	json_kstr(j, "waiting", x->victim);
	json_kuint(j, "tasks", x->ntasks);
	if (x->have_top)
		doctor_json_task(j, "top_task", &x->top);
	json_obj_end(j);
	json_line_end(j);
}

void doctor_json_kmsg(struct json *j, const struct kmsg_rec *r, const char *cls)
{
	json_obj_begin(j);
	json_kstr(j, "type", "kmsg");
	json_kuint(j, "ts_ns", r->ts_ns);
	json_kstr(j, "class", cls);
	json_kstr(j, "text", r->text);
	json_obj_end(j);
	json_line_end(j);
}

/* collect/sched_view.c — text and JSON rendering of who ran on a CPU
 * during a wait (struct sched_window). Output only: no BPF, no /proc. */
#include <string.h>

#include "collect/sched_view.h"
#include "engine/engine.h"
#include "lib/json.h"
#include "lib/parse.h"

/* The real-time priority (1-99) of a FIFO or RR task from its kernel prio
 * (0-99, lower is higher); 0 for other policies. */
static int rt_priority(const struct sched_antagonist *a)
{
	return (a->policy == 1 || a->policy == 2) && a->prio >= 0 && a->prio < 100 ? 99 - a->prio : 0;
}

/* The doctor's words for a policy and priority: "SCHED_FIFO priority 50",
 * "SCHED_OTHER nice 0", "SCHED_IDLE". */
static const char *policy_text(const struct sched_antagonist *a, char *buf, size_t n)
{
	const char *name = eng_policy_name((int)a->policy);

	if (rt_priority(a))
		snprintf(buf, n, "%s priority %d", name, rt_priority(a));
	else if ((a->policy == 0 || a->policy == 3) && a->prio >= 100 && a->prio < 140)
		snprintf(buf, n, "%s nice %d", name, a->prio - 120);
	else
		snprintf(buf, n, "%s", name);
	return buf;
}

void sched_view_text(FILE *f, const struct sched_window *w, unsigned max_frames)
{
	char d[32], pol[48];

	for (unsigned i = 0; i < w->n; i++) {
		const struct sched_antagonist *a = &w->a[i];
		fprintf(f, "    %-16s pid %-7u tid %-7u %-22s ran %-7s %5.1f%%  %s",
			a->comm, a->pid, a->tid, policy_text(a, pol, sizeof(pol)),
			fmt_duration(a->run_ns, d, sizeof(d)), a->share * 100.0, sched_mode_name(a->mode));
		if (a->bh_disabled >= 0)
			fprintf(f, "  bh-disabled:%s preempt-disabled:%s",
				a->bh_disabled ? "yes" : "no", a->preempt_disabled ? "yes" : "no");
		fputc('\n', f);
		for (unsigned fr = 0; fr < a->nframes && fr < max_frames; fr++)
			fprintf(f, "        %s\n", a->frames[fr]);
		if (a->nframes > max_frames)
			fprintf(f, "        ... %u more frames\n", a->nframes - max_frames);
	}
	if (w->left_out)
		fprintf(f, "    (+%u more tasks)\n", w->left_out);
	if (w->idle_ns)
		fprintf(f, "    idle %s\n", fmt_duration(w->idle_ns, d, sizeof(d)));
	if (!w->covered_ns && !w->n)
		fprintf(f, "    (no run history for this wait: it began before tracing, or the history was overwritten)\n");
	else if (w->covered_ns < w->t1_ns - w->t0_ns)
		fprintf(f, "    (run history covers only the last %s of this wait)\n",
			fmt_duration(w->covered_ns, d, sizeof(d)));
}

/* One task that ran during the wait: an "antagonists" element. */
static void antagonist_json(struct json *j, const void *elem)
{
	const struct sched_antagonist *a = elem;

	json_kuint(j, "pid", a->pid);
	json_kuint(j, "tid", a->tid);
	json_kstr(j, "comm", a->comm);
	json_kstr(j, "policy", eng_policy_name((int)a->policy));
	json_kint(j, "prio", a->prio);
	json_kint(j, "rt_priority", rt_priority(a));
	json_kuint(j, "run_ns", a->run_ns);
	json_kdouble(j, "share", a->share);
	json_kstr(j, "mode", sched_mode_name(a->mode));
	if (a->bh_disabled >= 0) {
		json_kbool(j, "bh_disabled", a->bh_disabled);
		json_kbool(j, "preempt_disabled", a->preempt_disabled);
	}
	json_kuint(j, "samples", a->samples);
	json_key(j, "stack");
	json_arr_begin(j);
	for (unsigned f = 0; f < a->nframes; f++)
		json_str(j, a->frames[f]);
	json_arr_end(j);
}

void sched_view_json(struct json *j, const struct sched_window *w)
{
	json_kobjs(j, "antagonists", w->a, sizeof(w->a[0]), w->n, antagonist_json);
	json_kuint(j, "left_out", w->left_out);
	json_kuint(j, "idle_ns", w->idle_ns);
	json_kuint(j, "covered_ns", w->covered_ns);
}

void sched_view_empty(struct sched_window *w, unsigned cpu, uint64_t t0_ns, uint64_t t1_ns)
{
	w->cpu = cpu;
	w->t0_ns = t0_ns;
	w->t1_ns = t1_ns;
	w->covered_ns = 0;
	w->idle_ns = 0;
	w->n = 0;
	w->left_out = 0;
}

/* collect/sched_win.c — who ran on a CPU in a window: run time per task
 * from the mmapped run-segment ring (lib/runwin.c), then the stall
 * sampler's samples in that window (mode, BH/preemption state, hottest
 * stack). Reads rings the BPF side writes; never writes them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stdio.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "collect/sched_priv.h"
#include "lib/runwin.h"
#include "lib/strutil.h"
#include "lib/symtab.h"
#include "sys/ksyms.h"
#include "sys/loop.h"
#include "sys/procnet.h"

#define TALLY_MAX 512

/* Per antagonist (index as in w->a): its samples by mode, by preempt
 * state, and up to 16 distinct kernel stacks with their counts. */
struct sample_tally {
	int32_t ids[SCHED_ANT_MAX][16];
	unsigned idn[SCHED_ANT_MAX][16], nids[SCHED_ANT_MAX];
	unsigned kern[SCHED_ANT_MAX], user[SCHED_ANT_MAX];
	unsigned pcn[SCHED_ANT_MAX], bhn[SCHED_ANT_MAX], pdn[SCHED_ANT_MAX];
};

static void tally_sample(struct sample_tally *t, unsigned i, const struct sched_sample *s)
{
	unsigned k;

	if (s->flags & SCHED_SAMPLE_USER)
		t->user[i]++;
	else
		t->kern[i]++;
	if (s->flags & SCHED_SAMPLE_PC_VALID) {
		t->pcn[i]++;
		t->bhn[i] += !!(s->preempt_count & KS_SOFTIRQ_MASK);
		t->pdn[i] += !!(s->preempt_count & KS_PREEMPT_MASK);
	}
	if (s->kstack_id < 0)
		return;
	for (k = 0; k < t->nids[i] && t->ids[i][k] != s->kstack_id; k++)
		;
	if (k == t->nids[i] && k < 16) {
		t->ids[i][k] = s->kstack_id;
		t->idn[i][k] = 0;
		t->nids[i]++;
	}
	if (k < 16)
		t->idn[i][k]++;
}

/* The CPU's samples inside the window, newest first: a CPU's samples are
 * in time order, so the scan ends at the first one older than the
 * window. A slot whose seq moved while it was copied is being rewritten
 * and skipped. */
static void scan_samples(struct sched_collector *c, struct sched_window *w, struct sample_tally *t)
{
	uint64_t head = c->cpus[w->cpu].sample_head;
	uint64_t first = head > c->sample_ring ? head - c->sample_ring : 0;

	for (uint64_t q = head; q > first; q--) {
		const struct sched_sample *p = &c->samples[w->cpu * c->sample_ring + ((q - 1) & (c->sample_ring - 1))];
		struct sched_sample s;
		uint64_t s1 = __atomic_load_n(&p->seq, __ATOMIC_ACQUIRE);
		memcpy(&s, p, sizeof(s));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (s1 != q || __atomic_load_n(&p->seq, __ATOMIC_RELAXED) != s1)
			continue;
		if (s.ts_ns < w->t0_ns)
			break;
		if (s.ts_ns > w->t1_ns)
			continue;
		for (unsigned i = 0; i < w->n; i++) {
			if (w->a[i].tid == s.tid) {
				w->a[i].samples++;
				tally_sample(t, i, &s);
				break;
			}
		}
	}
}

/* a's hottest stack (id, seen n times), symbolized. Taken in the tick,
 * a stack starts with the timer interrupt's frames: those are cut. */
static void antagonist_stack(struct sched_collector *c, struct sched_antagonist *a, int32_t id, unsigned n)
{
	__u64 ips[SCHED_STACK_DEPTH] = {};

	if (bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.stacks), &id, ips))
		return;
	a->stack_samples = n;
	sched_ksyms(c);
	for (unsigned f = 0; f < SCHED_STACK_DEPTH && ips[f]; f++) {
		if (c->ksyms)
			ksyms_format(c->ksyms, ips[f], a->frames[f], SCHED_FRAME_LEN);
		else
			snprintf(a->frames[f], SCHED_FRAME_LEN, "0x%llx", (unsigned long long)ips[f]);
		a->nframes = f + 1;
	}
	unsigned cut = c->tick_sampler ? stack_irq_frames(a->frames[0], SCHED_FRAME_LEN, a->nframes) : 0;
	if (cut && cut < a->nframes) {
		memmove(a->frames[0], a->frames[cut], (size_t)(a->nframes - cut) * SCHED_FRAME_LEN);
		a->nframes -= cut;
	}
}

static void add_samples(struct sched_collector *c, struct sched_window *w)
{
	struct sample_tally t = {};

	if (!c->o.sampler)
		return;
	for (unsigned i = 0; i < w->n; i++) {
		w->a[i].bh_disabled = -1;
		w->a[i].preempt_disabled = -1;
	}
	scan_samples(c, w, &t);
	for (unsigned i = 0; i < w->n; i++) {
		struct sched_antagonist *a = &w->a[i];
		/* kernel or user when at least 90 % of the samples agree: a busy
		 * loop in user space still takes a page fault or a syscall */
		unsigned tot = t.kern[i] + t.user[i];
		a->mode = !tot ? SCHED_MODE_UNKNOWN : t.kern[i] * 10 >= tot * 9 ? SCHED_MODE_KERNEL :
			  t.user[i] * 10 >= tot * 9 ? SCHED_MODE_USER : SCHED_MODE_MIXED;
		/* the state of most samples: a short preempt_disable() inside
		 * a leaf function (a clock read) must not mark the whole run */
		if (t.pcn[i]) {
			a->bh_disabled = 2 * t.bhn[i] > t.pcn[i];
			a->preempt_disabled = 2 * t.pdn[i] > t.pcn[i];
		}
		unsigned best = 0;
		for (unsigned k = 1; k < t.nids[i]; k++)
			if (t.idn[i][k] > t.idn[i][best])
				best = k;
		if (t.nids[i])
			antagonist_stack(c, a, t.ids[i][best], t.idn[i][best]);
	}
}

/* The comm of a task that ran on cpu: from that CPU's comm cache (see
 * SCHED_COMM_SLOTS), else from /proc while it lives, else "?". */
static void comm_of(struct sched_collector *c, unsigned cpu, uint32_t pid, uint32_t tid,
		    char out[TASK_COMM_LEN])
{
	struct sched_comm *v = c->comm_vals;
	__u32 key = tid & (SCHED_COMM_SLOTS - 1);
	char path[64], buf[64];

	strlcpy_k(out, "?", TASK_COMM_LEN);
	if (v && bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.comms), &key, v) == 0 &&
	    v[cpu].tid == tid && v[cpu].comm[0]) {
		sched_comm_copy(out, v[cpu].comm);
		return;
	}
	snprintf(path, sizeof(path), "/proc/%u/task/%u/comm", pid, tid);
	if (proc_read_text(path, buf, sizeof(buf)) > 0) {
		buf[strcspn(buf, "\n")] = 0;
		if (buf[0])
			strlcpy_k(out, buf, TASK_COMM_LEN);
	}
}

int sched_who_ran(struct sched_collector *c, unsigned cpu, uint64_t t0_ns, uint64_t t1_ns,
		  unsigned max, struct sched_window *w)
{
	struct runwin rw = {};

	memset(w, 0, sizeof(*w));
	if (cpu >= c->ncpu || t1_ns < t0_ns)
		return -EINVAL;
	if (max > SCHED_ANT_MAX)
		max = SCHED_ANT_MAX;
	w->cpu = cpu;
	w->t0_ns = t0_ns;
	w->t1_ns = t1_ns;
	if (!c->tally && !(c->tally = calloc(TALLY_MAX, sizeof(*c->tally))))
		return -ENOMEM;
	rw.cap = TALLY_MAX;
	rw.top = max;
	rw.t = c->tally;
	runwin_tally(&c->segs[(size_t)cpu * c->seg_ring], c->seg_ring, c->cpus[cpu].seg_head,
		     now_ns(), t0_ns, t1_ns, &rw);
	w->covered_ns = rw.covered_ns;
	w->idle_ns = rw.idle_ns;
	w->left_out = rw.dropped;
	uint64_t len = t1_ns > t0_ns ? t1_ns - t0_ns : 1;
	for (unsigned k = 0; k < rw.n; k++) {
		if (w->n >= max) {
			w->left_out++;
			continue;
		}
		struct sched_antagonist *a = &w->a[w->n++];
		a->pid = rw.t[k].pid;
		a->tid = rw.t[k].tid;
		comm_of(c, cpu, a->pid, a->tid, a->comm);
		a->policy = rw.t[k].policy;
		a->prio = rw.t[k].prio;
		a->run_ns = rw.t[k].run_ns;
		a->share = (double)rw.t[k].run_ns / (double)len;
		a->bh_disabled = -1;
		a->preempt_disabled = -1;
	}
	add_samples(c, w);
	return 0;
}


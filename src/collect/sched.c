/* collect/sched.c — the sched collector, user side: its lifecycle (open,
 * map the rings, close), the ring-buffer records delivered to the caller,
 * histograms and counters. Loading is in sched_load.c, who ran in a
 * window in sched_win.c; none of them writes what the BPF side owns. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "base.h"
#include "collect/attach.h"
#include "collect/sched_priv.h"
#include "lib/hist.h"
#include "sys/ksyms.h"
#include "sys/log.h"
#include "sys/loop.h"

_Static_assert(sizeof(struct sched_cpu) == SCHED_CPU_SIZE, "struct sched_cpu: three cache lines");
_Static_assert(__builtin_offsetof(struct sched_cpu, waiter_tid) == 64, "struct sched_cpu: line 2");
_Static_assert(__builtin_offsetof(struct sched_cpu, hold_first_ns) == 128, "struct sched_cpu: line 3");
_Static_assert(sizeof(struct hist) == 256, "struct hist: four cache lines, counters with the first slots");

void sched_opts_default(struct sched_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->sampler = true;
}

static unsigned pow2_at_least(unsigned v)
{
	unsigned p = 1;
	while (p < v && p < (1U << 30))
		p <<= 1;
	return p;
}

static void *map_mmap(struct bpf_map *m, size_t *len)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t sz = (size_t)bpf_map__value_size(m) * bpf_map__max_entries(m);
	void *p;

	sz = (sz + (size_t)page - 1) / (size_t)page * (size_t)page;
	p = mmap(NULL, sz, PROT_READ, MAP_SHARED, bpf_map__fd(m), 0);
	if (p == MAP_FAILED)
		return NULL;
	*len = sz;
	return p;
}

struct ksyms *sched_ksyms(struct sched_collector *c)
{
	if (!c->ksyms && !c->ksyms_failed) {
		c->ksyms = ksyms_load();
		c->ksyms_failed = !c->ksyms;
	}
	return c->ksyms;
}

/* The sampler writes records only while a CPU stalls (a long waiter or a
 * long kernel run): when a CPU's sample head moves, look at the BPF
 * programs loaded now (rate-limited, BPF syscall only), so a short-lived
 * program running in the stall is named in its stack even after it
 * unloads — kallsyms is read too late for that when the stall is queried. */
static void stall_watch(struct sched_collector *c)
{
	bool moved = false;

	if (!c->o.sampler || !c->cpus || !c->seen_sample_head)
		return;
	for (unsigned cpu = 0; cpu < c->ncpu; cpu++) {
		uint64_t head = c->cpus[cpu].sample_head;
		if (head != c->seen_sample_head[cpu]) {
			c->seen_sample_head[cpu] = head;
			moved = true;
		}
	}
	if (moved && sched_ksyms(c))
		ksyms_refresh_bpf(c->ksyms);
}

static int on_event(void *ctx, void *data, size_t len)
{
	struct sched_collector *c = ctx;
	const struct sched_event *e = data;
	struct sched_wait w = {};

	/* SCHED_EV_SAMPLING only wakes us: sched_drain's stall_watch has
	 * looked at the programs loaded now */
	if (len < sizeof(*e) || !c->cb || e->type == SCHED_EV_SAMPLING)
		return 0;
	w.ongoing = e->type == SCHED_EV_ONGOING;
	w.netrx = e->type == SCHED_EV_NETRX;
	w.irq_gap = e->type == SCHED_EV_IRQGAP;
	if (w.ongoing)
		stall_watch(c);
	w.cpu = e->cpu;
	w.run_cpu = e->run_cpu;
	w.kind = (enum sched_wait_kind)e->kind;
	w.start_ns = e->start_ns;
	w.wait_ns = e->wait_ns;
	w.pid = e->pid;
	w.tid = e->tid;
	sched_comm_copy(w.comm, e->comm);
	w.prio = e->prio;
	w.policy = e->policy;
	w.cur_pid = e->cur_pid;
	w.cur_tid = e->cur_tid;
	sched_comm_copy(w.cur_comm, e->cur_comm);
	c->cb(&w, c->cb_arg);
	return 0;
}

int sched_open(struct sched_collector **out, const struct sched_opts *o)
{
	struct sched_collector *c = calloc(1, sizeof(*c));
	int rc, ncpu = libbpf_num_possible_cpus();

	*out = NULL;
	if (!c)
		return -ENOMEM;
	if (ncpu <= 0) {
		free(c);
		err("cannot tell how many CPUs this machine has (/sys/devices/system/cpu/possible)");
		return -EINVAL;
	}
	c->o = *o;
	c->backstop = -1;
	c->ncpu = (unsigned)ncpu;
	c->seg_ring = pow2_at_least(o->seg_ring ? o->seg_ring : SCHED_SEG_RING_DEFAULT);
	c->sample_ring = o->sampler ? pow2_at_least(o->sample_ring ? o->sample_ring :
						    SCHED_SAMPLE_RING_DEFAULT) : 1;
	rc = sched_load(c);
	if (rc < 0) {
		err("cannot load the scheduler tracing programs (%s); 'ksleuth -v ...' shows the "
		    "kernel verifier's log", strerror(-rc));
		goto fail;
	}
	rc = sched_attach_ordered(c->skel);
	if (rc < 0) {
		err("cannot attach to the sched tracepoints (%s)", strerror(-rc));
		goto fail;
	}
	/* Kernel symbols now, not at the first stall: reading /proc/kallsyms
	 * costs ~0.1-0.2 s of CPU, which belongs to the start, not to the
	 * moment the machine is in trouble and the first finding is due; and
	 * the tick sampler needs the tick's function address. After the load,
	 * so that the symbols and vmlinux BTF are not in memory together. */
	if (o->sampler) {
		sched_ksyms(c);
		rc = sched_attach_sampler(c);
		if (rc < 0) {
			err("cannot start the stall sampler: the scheduler tick is not traceable here and the "
			    "cpu-clock perf event failed (%s); kernel.perf_event_paranoid or a missing "
			    "CAP_PERFMON may forbid it", strerror(-rc));
			goto fail;
		}
		c->sampler_on = true;
	}
	c->segs = map_mmap(c->skel->maps.segs, &c->segs_len);
	c->samples = map_mmap(c->skel->maps.samples, &c->samples_len);
	c->cpus = map_mmap(c->skel->maps.cpus, &c->cpus_len);
	if (!c->segs || !c->samples || !c->cpus) {
		rc = -errno;
		err("cannot map the sched collector's rings into memory (%s)", strerror(-rc));
		goto fail;
	}
	/* NULL on ENOMEM: stacks are then symbolized only when queried */
	c->seen_sample_head = calloc(c->ncpu, sizeof(*c->seen_sample_head));
	c->comm_vals = calloc(c->ncpu, sizeof(*c->comm_vals)); /* NULL: comms from /proc only */
	for (unsigned cpu = 0; c->seen_sample_head && cpu < c->ncpu; cpu++)
		c->seen_sample_head[cpu] = c->cpus[cpu].sample_head;
	c->rb = ring_buffer__new(bpf_map__fd(c->skel->maps.events), on_event, c, NULL);
	if (!c->rb) {
		rc = -errno;
		err("cannot open the sched collector's ring buffer (%s)", strerror(-rc));
		goto fail;
	}
	*out = c;
	return 0;
fail:
	sched_close(c);
	return rc < 0 ? rc : -EINVAL;
}

void sched_close(struct sched_collector *c)
{
	if (!c)
		return;
	if (c->loop && c->backstop >= 0)
		loop_del_timer(c->loop, c->backstop); /* the loop must outlive us */
	ring_buffer__free(c->rb);
	attach_cpu_sampler_close(&c->perf);
	if (c->segs)
		munmap((void *)c->segs, c->segs_len);
	if (c->samples)
		munmap((void *)c->samples, c->samples_len);
	if (c->cpus)
		munmap((void *)c->cpus, c->cpus_len);
	sched_bpf__destroy(c->skel);
	ksyms_free(c->ksyms);
	free(c->seen_sample_head);
	free(c->comm_vals);
	free(c->tally);
	free(c->netrx_zero);
	free(c);
}

void sched_set_wait_cb(struct sched_collector *c, sched_wait_cb cb, void *arg)
{
	c->cb = cb;
	c->cb_arg = arg;
}

int sched_ring_fd(const struct sched_collector *c)
{
	return ring_buffer__epoll_fd(c->rb);
}

/* The records the BPF side submits without waking us (SCHED_RB_WAKE_NS:
 * at most one wakeup per CPU per interval, so an oversubscribed CPU's
 * hundreds of slow waits a second do not each wake the consumer,
 * preempting the very tasks that wait) are drained by a one-shot timer
 * SCHED_RB_WAKE_NS after each wakeup, re-armed while records keep coming.
 * While the ring is quiet nothing wakes the process: a periodic 50 ms
 * drain did, 20 times a second for nothing. */
static void backstop_arm(struct sched_collector *c);

static void on_backstop(struct loop *l, void *arg)
{
	struct sched_collector *c = arg;
	(void)l;

	c->backstop = -1; /* one-shot: the loop has removed it */
	if (sched_drain(c) > 0)
		backstop_arm(c);
}

static void backstop_arm(struct sched_collector *c)
{
	if (c->loop && c->backstop < 0)
		c->backstop = loop_add_timer(c->loop, SCHED_RB_WAKE_NS, 0, on_backstop, c);
}

static void on_ring_ready(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct sched_collector *c = arg;
	(void)l;
	(void)fd;
	(void)events;

	sched_drain(c);
	backstop_arm(c);
}

int sched_add_to_loop(struct sched_collector *c, struct loop *l)
{
	int rc = loop_add_fd(l, sched_ring_fd(c), EPOLLIN, on_ring_ready, c);

	if (rc < 0)
		return rc;
	c->loop = l;
	return 0;
}

int sched_drain(struct sched_collector *c)
{
	stall_watch(c);
	/* consume, not poll: records submitted without a wakeup do not make
	 * the ring ready */
	return ring_buffer__consume(c->rb);
}

unsigned sched_nr_cpus(const struct sched_collector *c)
{
	return c->ncpu;
}

bool sched_netrx_holds(const struct sched_collector *c)
{
	return c->netrx_holds && c->sampler_on;
}

int sched_netrx_take(struct sched_collector *c, struct sched_netrx_stat *out)
{
	if (!sched_netrx_holds(c))
		return -ENOTSUP;
	if (!c->netrx_zero && !(c->netrx_zero = calloc(c->ncpu, sizeof(*c->netrx_zero))))
		return -ENOMEM;
	return attach_take_half(bpf_map__fd(c->skel->maps.netrx_stats), &c->skel->bss->netrx_gen, out,
				c->netrx_zero);
}

/* ---- histograms and counters ---- */

int sched_hist_cpu(struct sched_collector *c, unsigned cpu, int cls, int kind, struct hist *out)
{
	int fd = bpf_map__fd(c->skel->maps.hist_cpu);

	hist_clear(out);
	if (cpu >= c->ncpu || cls < 0 || cls >= SCHED_NR_CLASSES || kind >= SCHED_NR_KINDS)
		return -EINVAL;
	for (int k = 0; k < SCHED_NR_KINDS; k++) {
		if (kind >= 0 && k != kind)
			continue;
		__u32 idx = SCHED_HIST_IDX(cpu, (unsigned)cls, (unsigned)k);
		struct hist h;
		if (bpf_map_lookup_elem(fd, &idx, &h))
			return -errno;
		hist_merge(out, &h);
	}
	return 0;
}

int sched_hist_keyed(struct sched_collector *c, sched_hkey_cb cb, void *arg)
{
	int fd = bpf_map__fd(c->skel->maps.hist_keyed);
	struct sched_hkey k, next;
	struct hist *vals = calloc(c->ncpu, sizeof(*vals)), sum;
	void *prev = NULL;

	if (!vals)
		return -ENOMEM;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(fd, &k, vals))
			continue;
		hist_clear(&sum);
		for (unsigned i = 0; i < c->ncpu; i++)
			hist_merge(&sum, &vals[i]);
		k.comm[TASK_COMM_LEN - 1] = 0;
		cb(&k, &sum, arg);
	}
	free(vals);
	return 0;
}

int sched_hist_reset(struct sched_collector *c)
{
	int fd = bpf_map__fd(c->skel->maps.hist_cpu);
	struct hist zero = {};
	unsigned n = c->ncpu * SCHED_NR_CLASSES * SCHED_NR_KINDS;

	for (__u32 i = 0; i < n; i++)
		bpf_map_update_elem(fd, &i, &zero, BPF_ANY);
	if (c->o.hist_by != SCHED_BY_NONE) {
		int kfd = bpf_map__fd(c->skel->maps.hist_keyed);
		struct sched_hkey k;
		while (bpf_map_get_next_key(kfd, NULL, &k) == 0)
			if (bpf_map_delete_elem(kfd, &k))
				break;
	}
	return 0;
}

int sched_stats(struct sched_collector *c, uint64_t out[SCHED_NR_STATS])
{
	int fd = bpf_map__fd(c->skel->maps.stats);
	__u64 *v = calloc(c->ncpu, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (__u32 i = 0; i < SCHED_NR_STATS; i++) {
		out[i] = 0;
		if (bpf_map_lookup_elem(fd, &i, v) == 0)
			for (unsigned k = 0; k < c->ncpu; k++)
				out[i] += v[k];
	}
	free(v);
	/* not counted in the hot path: every wait lands in one class-ALL histogram */
	out[SCHED_STAT_WAITS] = 0;
	for (unsigned cpu = 0; cpu < c->ncpu; cpu++) {
		struct hist h;
		if (sched_hist_cpu(c, cpu, SCHED_CLASS_ALL, -1, &h) == 0)
			out[SCHED_STAT_WAITS] += h.count;
	}
	return 0;
}

const char *sched_policy_name(uint32_t policy)
{
	static const char *names[] = { "normal", "fifo", "rr", "batch", "iso", "idle", "deadline" };
	return policy < ARRAY_SIZE(names) ? names[policy] : "unknown";
}

const char *sched_mode_name(enum sched_mode m)
{
	switch (m) {
	case SCHED_MODE_KERNEL: return "kernel";
	case SCHED_MODE_USER: return "user";
	case SCHED_MODE_MIXED: return "mixed";
	default: return "unknown";
	}
}

const char *sched_kind_name(enum sched_wait_kind k)
{
	return k == SCHED_WAIT_PREEMPTED ? "preempted" : "woken";
}

int sched_prog_stats(struct sched_collector *c, struct prog_stat *out, int max)
{
	return attach_prog_stats(c->skel->obj, out, max);
}

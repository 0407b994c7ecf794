/* collect/sched.c — the sched collector, user side: configure and load
 * sched.bpf.c, deliver its ring-buffer records, and answer "who ran on CPU
 * c between t0 and t1" from the mmapped run-segment and sample rings. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "collect/attach.h"
#include "collect/sched.h"
#include "ksleuth.h"
#include "lib/hist.h"
#include "lib/procnet.h"
#include "lib/runwin.h"
#include "lib/strutil.h"
#include "lib/symtab.h"
#include "sched.skel.h"
#include "sys/ksyms.h"
#include "sys/log.h"
#include "sys/procnet.h"
#include "sys/loop.h"

/* The perf-event sampler's rate where the tick cannot be traced, by
 * threshold: about 10 samples in a threshold-long stall, at most 499 Hz
 * (docs/sampler.md: each timer interrupt costs the CPU 30-50 us on our
 * VMs). Prime rates do not beat with the scheduler tick. */
static unsigned sample_hz_for(uint64_t threshold_ns)
{
	if (threshold_ns >= 100 * NS_PER_MS)
		return 97;
	if (threshold_ns >= 50 * NS_PER_MS)
		return 197;
	return 499;
}
_Static_assert(sizeof(struct sched_cpu) == SCHED_CPU_SIZE, "struct sched_cpu: three cache lines");
_Static_assert(__builtin_offsetof(struct sched_cpu, waiter_tid) == 64, "struct sched_cpu: line 2");
_Static_assert(__builtin_offsetof(struct sched_cpu, hold_first_ns) == 128, "struct sched_cpu: line 3");
_Static_assert(sizeof(struct hist) == 256, "struct hist: four cache lines, counters with the first slots");
#define STACKS_MAX 4096

struct sched_collector {
	struct sched_bpf *skel;
	struct ring_buffer *rb;
	unsigned ncpu;
	bool btf;                  /* tp_btf programs (else raw_tp) */
	bool sched_info;           /* waits from the kernel's sched_info (else our stamps) */
	bool try_tick;             /* load the tick sampler beside the perf one */
	bool tick_sampler;         /* the sampler rides the scheduler tick (else perf events) */
	bool netrx_holds;          /* the NET_RX hold watch is loaded (o.netrx_holds and BTF) */
	bool sampler_on;           /* the sampler is attached */
	struct sched_netrx_stat *netrx_zero; /* ncpu zeroed values, to reset a half */
	struct sched_opts o;
	unsigned seg_ring, sample_ring;
	const struct sched_seg *segs;
	size_t segs_len;
	const struct sched_sample *samples;
	size_t samples_len;
	const volatile struct sched_cpu *cpus;
	size_t cpus_len;
	int *perf_fds;
	struct bpf_link **perf_links;
	sched_wait_cb cb;
	void *cb_arg;
	struct ksyms *ksyms;
	bool ksyms_failed;
	uint64_t *seen_sample_head; /* per CPU: sampler records seen by stall_watch() */
	struct sched_comm *comm_vals; /* scratch: one comm-cache slot of every CPU */
	struct runwin_task *tally;    /* scratch for sched_who_ran: TALLY_MAX tasks */
	struct loop *loop;            /* sched_add_to_loop's */
	int backstop;                 /* its one-shot drain timer, -1: none armed */
};

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

/* The member named name of the struct or union type id in btf (through
 * typedefs and modifiers), or NULL; *owner (if asked) is that type. */
static const struct btf_member *btf_member_named(const struct btf *btf, int id, const char *name,
						 const struct btf_type **owner)
{
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, (__u32)id) : NULL;

	while (t && (btf_is_typedef(t) || btf_is_mod(t)))
		t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_composite(t))
		return NULL;
	const struct btf_member *m = btf_members(t);
	for (unsigned i = 0; i < btf_vlen(t); i++, m++) {
		const char *n = btf__name_by_offset(btf, m->name_off);
		if (n && strcmp(n, name) == 0) {
			if (owner)
				*owner = t;
			return m;
		}
	}
	return NULL;
}

/* Does this kernel keep run delays itself where sched_switch can read
 * them (task_struct::sched_info.last_queued, CONFIG_SCHED_INFO) and reach
 * the runqueue clock (cfs_rq::rq, CONFIG_FAIR_GROUP_SCHED)? The BPF side
 * checks the same through CO-RE; this is for saying which path runs. */
static bool kernel_has_sched_info(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	bool ok = false;

	if (!btf)
		return false;
	const struct btf_member *si = btf_member_named(btf, btf__find_by_name_kind(btf, "task_struct", BTF_KIND_STRUCT),
						       "sched_info", NULL);
	ok = si && btf_member_named(btf, (int)si->type, "last_queued", NULL) &&
	     btf_member_named(btf, btf__find_by_name_kind(btf, "cfs_rq", BTF_KIND_STRUCT), "rq", NULL);
	btf__free(btf);
	return ok;
}

/* Where the sampler's per-CPU reads are, as offsets from runqueues in
 * the per-CPU section (vmlinux BTF, DATASEC .data..percpu; see
 * sched.bpf.c). A field is 0 (size 0) when this kernel does not say. */
struct percpu_offs {
	bool pc_known;         /* __preempt_count */
	int64_t pc;
	uint32_t pend_size;    /* the softirq pending word: 2 or 4 bytes */
	int64_t pend;
	int64_t regs;          /* __irq_regs */
	int64_t netrx_runs;    /* kstat.softirqs[NET_RX] */
};

/* The byte offset of member name of struct/union type id (not a
 * bitfield), and its size; false when there is none. */
static bool btf_member_at(const struct btf *btf, int id, const char *name, int64_t *off, int64_t *size)
{
	const struct btf_type *t;
	const struct btf_member *m = btf_member_named(btf, id, name, &t);
	unsigned i = m ? (unsigned)(m - btf_members(t)) : 0;

	if (!m || btf_member_bitfield_size(t, i))
		return false;
	*off = btf_member_bit_offset(t, i) / 8;
	*size = btf__resolve_size(btf, m->type);
	return *size > 0;
}

static void percpu_offsets(struct percpu_offs *o)
{
	struct btf *btf = btf__load_vmlinux_btf();
	bool have_rq = false, have_pc = false;
	int64_t rq = 0, pc = 0, pend = 0, irqs = 0, regs = 0, kstat = 0, off, size;
	uint32_t psz = 0, irqs_type = 0, kstat_type = 0;
	int id;

	memset(o, 0, sizeof(*o));
	if (!btf)
		return;
	id = btf__find_by_name_kind(btf, ".data..percpu", BTF_KIND_DATASEC);
	if (id > 0) {
		const struct btf_type *t = btf__type_by_id(btf, (__u32)id);
		const struct btf_var_secinfo *v = btf_var_secinfos(t);
		for (unsigned i = 0; i < btf_vlen(t); i++, v++) {
			const struct btf_type *var = btf__type_by_id(btf, v->type);
			const char *name = btf__name_by_offset(btf, var->name_off);
			if (!name)
				continue;
			if (!strcmp(name, "runqueues")) {
				rq = v->offset;
				have_rq = true;
			} else if (!strcmp(name, "__preempt_count")) {
				pc = v->offset;
				have_pc = true;
			} else if (!strcmp(name, "__softirq_pending")) {
				/* x86 since 6.15: a per-CPU variable of its own */
				pend = v->offset;
				psz = v->size;
			} else if (!strcmp(name, "__irq_regs")) {
				regs = v->offset;
			} else if (!strcmp(name, "irq_stat")) {
				irqs = v->offset;
				irqs_type = var->type;
			} else if (!strcmp(name, "kstat")) {
				kstat = v->offset;
				kstat_type = var->type;
			}
		}
	}
	/* elsewhere: irq_stat.__softirq_pending (irq_cpustat_t) */
	if (!psz && irqs_type && btf_member_at(btf, (int)irqs_type, "__softirq_pending", &off, &size)) {
		pend = irqs + off;
		psz = (uint32_t)size;
	}
	if (have_rq && kstat_type && btf_member_at(btf, (int)kstat_type, "softirqs", &off, &size) &&
	    size >= (int64_t)((SOFTIRQ_NET_RX + 1) * sizeof(__u32)))
		o->netrx_runs = kstat + off + SOFTIRQ_NET_RX * (int64_t)sizeof(__u32) - rq;
	btf__free(btf);
	o->pc_known = have_rq && have_pc;
	o->pc = pc - rq;
	if (have_rq && (psz == 2 || psz == 4)) {
		o->pend = pend - rq;
		o->pend_size = psz;
	}
	if (have_rq && regs)
		o->regs = regs - rq; /* never at offset 0: runqueues is the anchor */
}

/* Does this kernel stop the tick under one running task somewhere
 * (nohz_full)? Then a silent CPU is no evidence of interrupts off. */
static bool nohz_full_cpus(void)
{
	char buf[256];

	if (proc_read_text("/sys/devices/system/cpu/nohz_full", buf, sizeof(buf)) <= 0)
		return false;
	buf[strcspn(buf, "\n")] = 0;
	if (!buf[0] || !strcmp(buf, "(null)"))
		return false;
	dbg("nohz_full CPUs (%s): no timer-interrupt gap records", buf);
	return true;
}

static int configure(struct sched_collector *c, struct sched_bpf *s)
{
	const struct sched_opts *o = &c->o;
	struct sched_bpf__rodata *r = s->rodata;
	bool btf = c->btf;

	r->threshold_ns = o->threshold_ns;
	r->ongoing_ns = o->sampler ? (o->ongoing_ns ? o->ongoing_ns : 3 * o->threshold_ns) : 0;
	r->sample_after_ns = o->sample_after_ns ? o->sample_after_ns :
			     (o->threshold_ns ? o->threshold_ns / 4 : 5 * NS_PER_MS);
	r->seg_ring = c->seg_ring;
	r->seg_mask = c->seg_ring - 1;
	r->sample_ring = c->sample_ring;
	r->sample_mask = c->sample_ring - 1;
	r->nr_cpus = c->ncpu;
	r->targ_tgid = o->tgid;
	r->targ_comm_len = (__u32)strnlen(o->comm, TASK_COMM_LEN);
	memcpy((char *)r->targ_comm, o->comm, TASK_COMM_LEN);
	r->class_comm_len = (__u32)strnlen(o->class_comm, TASK_COMM_LEN);
	memcpy((char *)r->class_comm, o->class_comm, TASK_COMM_LEN);
	r->hist_by = o->hist_by;
	/* KSLEUTH_SCHED_STAMPS=1 keeps our own stamps even where the
	 * kernel's sched_info would do: lets tests run that path here. */
	const char *stamps = getenv("KSLEUTH_SCHED_STAMPS");
	r->sched_info_ok = btf && !(stamps && *stamps == '1') && kernel_has_sched_info();
	c->sched_info = r->sched_info_ok;
	c->netrx_holds = false;
	if (o->sampler) {
		struct percpu_offs po;
		percpu_offsets(&po);
		r->pc_known = po.pc_known;
		r->pc_off_from_rq = po.pc;
		r->pend_size = po.pend_size;
		r->pend_off_from_rq = po.pend;
		r->irq_regs_off_from_rq = po.regs;
		r->netrx_runs_off_from_rq = po.netrx_runs;
		c->netrx_holds = r->netrx_holds = o->netrx_holds && po.pend_size && po.netrx_runs;
		c->try_tick = c->try_tick && po.regs;
		if (!r->pc_known)
			dbg("sched sampler: no __preempt_count/runqueues in vmlinux BTF: "
			    "BH/preemption state unknown");
		if (!po.pend_size)
			dbg("sched sampler: no softirq pending word in vmlinux BTF: "
			    "sampling on long kernel runs only");
		if (o->netrx_holds && !c->netrx_holds)
			dbg("sched sampler: no softirq pending word or kstat.softirqs in vmlinux BTF: "
			    "no NET_RX hold watch");
	}
	r->filter_cpus = o->cpus_set;
	if (o->cpus_set)
		for (unsigned i = 0; i < 16; i++)
			((__u64 *)r->targ_cpus)[i] = o->cpus.bits[i];

	bpf_map__set_max_entries(s->maps.segs, c->ncpu * c->seg_ring);
	bpf_map__set_max_entries(s->maps.samples, c->ncpu * c->sample_ring);
	bpf_map__set_max_entries(s->maps.cpus, c->ncpu);
	bpf_map__set_max_entries(s->maps.hist_cpu, c->ncpu * SCHED_NR_CLASSES * SCHED_NR_KINDS);
	if (o->hist_by != SCHED_BY_NONE)
		bpf_map__set_max_entries(s->maps.hist_keyed, SCHED_HKEYS_MAX);
	if (o->sampler)
		bpf_map__set_max_entries(s->maps.stacks, STACKS_MAX);
	bpf_program__set_autoload(s->progs.ks_sched_sample, o->sampler);
	bpf_program__set_autoload(s->progs.ks_sched_tick, c->try_tick);

	/* tp_btf where the kernel has it, else raw_tp: same code, one set
	 * loaded. Task storage is only needed (and only created) for tp_btf. */
	bpf_program__set_autoload(s->progs.ks_sched_wakeup, btf);
	bpf_program__set_autoload(s->progs.ks_sched_wakeup_new, btf);
	bpf_program__set_autoload(s->progs.ks_sched_switch, btf);
	bpf_program__set_autoload(s->progs.ks_sched_wakeup_raw, !btf);
	bpf_program__set_autoload(s->progs.ks_sched_wakeup_new_raw, !btf);
	bpf_program__set_autoload(s->progs.ks_sched_switch_raw, !btf);
	bpf_map__set_autocreate(s->maps.stamps_ts, btf);
	if (!btf)
		bpf_map__set_max_entries(s->maps.stamps_hash, 65536);
	return 0;
}

static int open_load(struct sched_collector *c)
{
	int rc = -EINVAL;

	/* KSLEUTH_SCHED_RAW_TP=1 skips tp_btf, KSLEUTH_SAMPLER=perf the tick
	 * sampler: lets tests load the fallbacks on kernels that have both.
	 * Attempts: tp_btf with the tick sampler, tp_btf with perf events only,
	 * raw_tp (perf events). */
	const char *force_raw = getenv("KSLEUTH_SCHED_RAW_TP");
	const char *force_perf = getenv("KSLEUTH_SAMPLER");
	int first = force_raw && *force_raw == '1' ? 2 : force_perf && !strcmp(force_perf, "perf") ? 1 : 0;
	for (int attempt = first; attempt < 3; attempt++) {
		c->btf = attempt < 2;
		c->try_tick = attempt == 0;
		/* no sampler, or a perf rate asked for: nothing on the tick */
		if (c->try_tick && (!c->o.sampler || c->o.sample_hz))
			continue;
		struct sched_bpf *s = sched_bpf__open();
		if (!s)
			return -errno;
		configure(c, s);
		rc = sched_bpf__load(s);
		if (rc == 0) {
			c->skel = s;
			dbg("sched collector: %s programs loaded; waits from %s", c->btf ? "tp_btf" : "raw_tp",
			    c->sched_info ? "the kernel's sched_info (runqueue clock)" : "our own stamps");
			return 0;
		}
		dbg("sched collector: loading the %s programs%s failed: %s", c->btf ? "tp_btf" : "raw_tp",
		    c->try_tick ? " with the tick sampler" : "", strerror(-rc));
		sched_bpf__destroy(s);
	}
	return rc;
}

static uint64_t stat_sum(struct sched_collector *c, __u32 idx)
{
	uint64_t out[SCHED_NR_STATS];

	return sched_stats(c, out) == 0 ? out[idx] : 0;
}

/* Attach the tick sampler and see it run: spin here (up to 50 ms, the
 * tick is 1-10 ms) so this CPU is busy and ticks. A kernel whose tick is
 * not that hrtimer (no high-resolution timers, or another function name)
 * shows no tick: detached, and the perf events take over. */
static bool tick_attach(struct sched_collector *c)
{
	/* the tick's hrtimer function: tick_nohz_handler since 6.10,
	 * tick_sched_timer before */
	uint64_t fn = ksyms_addr_of(c->ksyms, "tick_nohz_handler");
	if (!fn)
		fn = ksyms_addr_of(c->ksyms, "tick_sched_timer");
	if (!fn) {
		dbg("sched sampler: no tick_nohz_handler or tick_sched_timer in kallsyms");
		return false;
	}
	c->skel->bss->tick_fn = fn;
	c->skel->links.ks_sched_tick = bpf_program__attach(c->skel->progs.ks_sched_tick);
	if (!c->skel->links.ks_sched_tick) {
		dbg("sched sampler: cannot attach to hrtimer_expire_entry: %s", strerror(errno));
		return false;
	}
	uint64_t t0 = now_ns(), base = stat_sum(c, SCHED_STAT_TICKS);
	while (now_ns() - t0 < 50 * NS_PER_MS)
		if (stat_sum(c, SCHED_STAT_TICKS) > base)
			return true;
	bpf_link__destroy(c->skel->links.ks_sched_tick);
	c->skel->links.ks_sched_tick = NULL;
	return false;
}

/* A busy CPU's silence as long as the stall threshold (and four sampler
 * periods) is a timer-interrupt gap worth a record. Shorter ones were
 * tried as evidence: a 25 ms one (host or kernel, under tbf loss in CI)
 * then took the blame for a 10 s retransmit spike it did not cause.
 * nohz_full CPUs stop the tick under one task, so none there. */
static void set_gap(struct sched_collector *c, unsigned hz)
{
	uint64_t g = c->o.threshold_ns;

	if (g < 4 * NS_PER_SEC / hz)
		g = 4 * NS_PER_SEC / hz;
	c->skel->bss->gap_ns = c->o.threshold_ns && !nohz_full_cpus() ? g : 0;
}

static int attach_sampler(struct sched_collector *c)
{
	unsigned hz = c->o.sample_hz ? c->o.sample_hz : sample_hz_for(c->o.threshold_ns);
	int attached = 0;

	/* the scheduler tick first: no interrupts of our own */
	if (c->try_tick) {
		if (tick_attach(c)) {
			c->tick_sampler = true;
			set_gap(c, c->o.tick_hz > 0 ? (unsigned)c->o.tick_hz : 100);
			/* the NET_RX hold watch looks once a tick */
			c->skel->bss->netrx_pad_ns = c->o.tick_hz > 0 ? NS_PER_SEC / 2 / (unsigned)c->o.tick_hz : 0;
			dbg("sched sampler: on the scheduler tick (hrtimer_expire_entry of tick_nohz_handler)");
			return 0;
		}
		dbg("sched sampler: the scheduler tick is not seen: perf events at %u Hz", hz);
	}

	c->skel->bss->netrx_pad_ns = NS_PER_SEC / 2 / hz;
	set_gap(c, hz);
	c->perf_fds = calloc(c->ncpu, sizeof(int));
	c->perf_links = calloc(c->ncpu, sizeof(*c->perf_links));
	if (!c->perf_fds || !c->perf_links)
		return -ENOMEM;
	for (unsigned cpu = 0; cpu < c->ncpu; cpu++) {
		struct perf_event_attr a = {
			.type = PERF_TYPE_SOFTWARE,
			.config = PERF_COUNT_SW_CPU_CLOCK,
			.size = sizeof(a),
			.freq = 1,
			.sample_freq = hz,
		};
		c->perf_fds[cpu] = -1;
		int fd = (int)syscall(SYS_perf_event_open, &a, -1, (int)cpu, -1, PERF_FLAG_FD_CLOEXEC);
		if (fd < 0) {
			if (errno == ENODEV) /* offline CPU */
				continue;
			return -errno;
		}
		c->perf_fds[cpu] = fd;
		c->perf_links[cpu] = bpf_program__attach_perf_event(c->skel->progs.ks_sched_sample, fd);
		if (!c->perf_links[cpu]) {
			c->perf_links[cpu] = NULL;
			return -errno;
		}
		attached++;
	}
	return attached ? 0 : -ENODEV;
}

static struct ksyms *get_ksyms(struct sched_collector *c)
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
	if (moved && get_ksyms(c))
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
	memcpy(w.comm, e->comm, TASK_COMM_LEN);
	w.comm[TASK_COMM_LEN - 1] = 0;
	w.prio = e->prio;
	w.policy = e->policy;
	w.cur_pid = e->cur_pid;
	w.cur_tid = e->cur_tid;
	memcpy(w.cur_comm, e->cur_comm, TASK_COMM_LEN);
	w.cur_comm[TASK_COMM_LEN - 1] = 0;
	c->cb(&w, c->cb_arg);
	return 0;
}

/* Attach sched_switch before the wakeup programs. A wakeup stamped while
 * no switch program runs yet never sees its switch-in; the stale stamp
 * (a later wakeup keeps an existing one, see on_wakeup) then turns the
 * task's next wait into a false one as long as the time since attach:
 * seen as 100-450 ms "waits" of kworkers and ksoftirqd at start-up, which
 * bpftrace on the same tracepoints did not see. The skeleton's own attach
 * goes in section order, wakeups first. */
static int attach_ordered(struct sched_bpf *skel)
{
	struct bpf_object_skeleton *s = skel->skeleton;

	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < s->prog_cnt; i++) {
			struct bpf_program *p = *s->progs[i].prog;
			bool is_switch = strstr(bpf_program__name(p), "switch") != NULL;

			/* the samplers: attach_sampler() */
			if (is_switch != (pass == 0) || !bpf_program__autoload(p) || p == skel->progs.ks_sched_tick ||
			    bpf_program__type(p) == BPF_PROG_TYPE_PERF_EVENT || *s->progs[i].link)
				continue;
			struct bpf_link *l = bpf_program__attach(p);
			if (!l)
				return -errno;
			*s->progs[i].link = l;
		}
	}
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
	rc = open_load(c);
	if (rc < 0) {
		err("cannot load the scheduler tracing programs (%s); 'ksleuth -v ...' shows the "
		    "kernel verifier's log", strerror(-rc));
		goto fail;
	}
	rc = attach_ordered(c->skel);
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
		get_ksyms(c);
		rc = attach_sampler(c);
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
	if (c->perf_links)
		for (unsigned i = 0; i < c->ncpu; i++)
			bpf_link__destroy(c->perf_links[i]);
	if (c->perf_fds)
		for (unsigned i = 0; i < c->ncpu; i++)
			if (c->perf_fds[i] >= 0)
				close(c->perf_fds[i]);
	free(c->perf_links);
	free(c->perf_fds);
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

/* ---- who ran ---- */

#define TALLY_MAX 512

static void add_samples(struct sched_collector *c, struct sched_window *w)
{
	uint64_t head = c->cpus[w->cpu].sample_head;
	uint64_t first = head > c->sample_ring ? head - c->sample_ring : 0;
	int32_t ids[SCHED_ANT_MAX][16];
	unsigned idn[SCHED_ANT_MAX][16], nids[SCHED_ANT_MAX] = {};
	unsigned kern[SCHED_ANT_MAX] = {}, user[SCHED_ANT_MAX] = {};
	unsigned pcn[SCHED_ANT_MAX] = {}, bhn[SCHED_ANT_MAX] = {}, pdn[SCHED_ANT_MAX] = {};

	if (!c->o.sampler)
		return;
	for (unsigned i = 0; i < w->n; i++) {
		w->a[i].bh_disabled = -1;
		w->a[i].preempt_disabled = -1;
	}
	/* newest first: a CPU's samples are in time order, so the scan ends
	 * at the first one older than the window */
	for (uint64_t q = head; q > first; q--) {
		const struct sched_sample *p = &c->samples[w->cpu * c->sample_ring + ((q - 1) & (c->sample_ring - 1))];
		struct sched_sample s;
		uint64_t s1 = __atomic_load_n(&p->seq, __ATOMIC_ACQUIRE);
		memcpy(&s, p, sizeof(s));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (s1 != q || __atomic_load_n(&p->seq, __ATOMIC_RELAXED) != s1)
			continue; /* being rewritten */
		if (s.ts_ns < w->t0_ns)
			break;
		if (s.ts_ns > w->t1_ns)
			continue;
		for (unsigned i = 0; i < w->n; i++) {
			struct sched_antagonist *a = &w->a[i];
			if (a->tid != s.tid)
				continue;
			a->samples++;
			if (s.flags & SCHED_SAMPLE_USER)
				user[i]++;
			else
				kern[i]++;
			if (s.flags & SCHED_SAMPLE_PC_VALID) {
				pcn[i]++;
				bhn[i] += !!(s.preempt_count & KS_SOFTIRQ_MASK);
				pdn[i] += !!(s.preempt_count & KS_PREEMPT_MASK);
			}
			if (s.kstack_id >= 0) {
				unsigned k;
				for (k = 0; k < nids[i] && ids[i][k] != s.kstack_id; k++)
					;
				if (k == nids[i] && k < 16) {
					ids[i][k] = s.kstack_id;
					idn[i][k] = 0;
					nids[i]++;
				}
				if (k < 16)
					idn[i][k]++;
			}
			break;
		}
	}
	for (unsigned i = 0; i < w->n; i++) {
		struct sched_antagonist *a = &w->a[i];
		/* kernel or user when at least 90 % of the samples agree: a busy
		 * loop in user space still takes a page fault or a syscall */
		unsigned tot = kern[i] + user[i];
		a->mode = !tot ? SCHED_MODE_UNKNOWN : kern[i] * 10 >= tot * 9 ? SCHED_MODE_KERNEL :
			  user[i] * 10 >= tot * 9 ? SCHED_MODE_USER : SCHED_MODE_MIXED;
		/* the state of most samples: a short preempt_disable() inside
		 * a leaf function (a clock read) must not mark the whole run */
		if (pcn[i]) {
			a->bh_disabled = 2 * bhn[i] > pcn[i];
			a->preempt_disabled = 2 * pdn[i] > pcn[i];
		}
		unsigned best = 0;
		for (unsigned k = 1; k < nids[i]; k++)
			if (idn[i][k] > idn[i][best])
				best = k;
		if (!nids[i])
			continue;
		__u64 ips[SCHED_STACK_DEPTH] = {};
		if (bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.stacks), &ids[i][best], ips))
			continue;
		a->stack_samples = idn[i][best];
		get_ksyms(c);
		for (unsigned f = 0; f < SCHED_STACK_DEPTH && ips[f]; f++) {
			if (c->ksyms)
				ksyms_format(c->ksyms, ips[f], a->frames[f], SCHED_FRAME_LEN);
			else
				snprintf(a->frames[f], SCHED_FRAME_LEN, "0x%llx", (unsigned long long)ips[f]);
			a->nframes = f + 1;
		}
		/* taken in the tick: the timer interrupt's frames lead */
		unsigned cut = c->tick_sampler ? stack_irq_frames(a->frames[0], SCHED_FRAME_LEN, a->nframes) : 0;
		if (cut && cut < a->nframes) {
			memmove(a->frames[0], a->frames[cut], (size_t)(a->nframes - cut) * SCHED_FRAME_LEN);
			a->nframes -= cut;
		}
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
		memcpy(out, v[cpu].comm, TASK_COMM_LEN);
		out[TASK_COMM_LEN - 1] = 0;
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

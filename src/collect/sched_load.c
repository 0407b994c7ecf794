/* collect/sched_load.c — the sched collector's start: what vmlinux BTF
 * says about this kernel (sched_info, per-CPU offsets), the skeleton's
 * parameters and map sizes, loading with fallbacks, and attaching the
 * wait programs and the stall sampler. No records are read here. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "collect/sched_priv.h"
#include "sys/ksyms.h"
#include "sys/log.h"
#include "sys/loop.h"
#include "sys/procnet.h"

#define STACKS_MAX 4096

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
 * bpf/sched/base.bpf.h). A field is 0 (size 0) when this kernel does not say. */
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

int sched_load(struct sched_collector *c)
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
 * periods) is a timer-interrupt gap worth a record: shorter silences
 * happen on a loaded host without causing the stalls the doctor explains,
 * and would take the blame for them. nohz_full CPUs stop the tick under
 * one task, so none there. */
static void set_gap(struct sched_collector *c, unsigned hz)
{
	uint64_t g = c->o.threshold_ns;

	if (g < 4 * NS_PER_SEC / hz)
		g = 4 * NS_PER_SEC / hz;
	c->skel->bss->gap_ns = c->o.threshold_ns && !nohz_full_cpus() ? g : 0;
}

int sched_attach_sampler(struct sched_collector *c)
{
	unsigned hz = c->o.sample_hz ? c->o.sample_hz : sample_hz_for(c->o.threshold_ns);

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
	return attach_cpu_sampler(&c->perf, c->skel->progs.ks_sched_sample, hz, NULL);
}

/* Attach sched_switch before the wakeup programs. A wakeup stamped while
 * no switch program runs yet never sees its switch-in; the stale stamp
 * (a later wakeup keeps an existing one, see on_wakeup) then turns the
 * task's next wait into a false one as long as the time since attach.
 * The skeleton's own attach goes in section order, wakeups first. */
int sched_attach_ordered(struct sched_bpf *skel)
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

/* test_busyhost.c — a doctor run on a busy 2-CPU host, replayed into the
 * engine: CPU 0 full of nice'd CPU/memory hogs, short-lived processes and
 * the iperf3 senders; a BH-off kernel hog (500 ms every 2 s) on the
 * receive CPU 1. The verdict must stay with CPU 1's hog. */

#include "test.h"
#include "engine/engine.h"
#include "engine/stallfill.h"
#include "lib/parse.h"

/* The run's own clock: bins start where its spike lines did. */
#define BT0 1350840635924ULL
#define BNCPU 2

enum { IPERF, HOG };
#define ONGOING 0x1 /* an ongoing report (end = last seen) */
#define KERN 0x2    /* the holder's samples were in the kernel */
#define BH 0x4      /* ... with bottom halves off */

/* Every stall line of the run, and for each folded contention line its
 * longest wait (start = end - longest; the shorter ones were not kept),
 * in the order the engine got them; times from BT0. The holder (who) ran
 * run_ns of it, with samples sampler records. */
struct bwait {
	uint64_t emit_ns;
	int cpu;
	uint64_t start_ns, end_ns;
	const char *waiter;
	int who;
	uint64_t run_ns;
	uint32_t samples;
	unsigned flags;
};
static const struct bwait busy_waits[] = {
	{ 7905930657, 0, 7501888083, 7905930657, "fuzz_procnet", IPERF, 188537916, 1, KERN },  /* folded */
	{ 8945268251, 0, 8465745740, 8945268251, "fuzz_procnet", IPERF, 213848107, 3, KERN },  /* folded */
	{ 9838434121, 0, 9662507215, 9793164437, "bpftool", IPERF, 116948667, 0, 0 },
	{ 9995424541, 0, 9299479775, 9995424541, "taskset", IPERF, 312076662, 0, 0 },  /* folded */
	{ 10852451861, 0, 10472942570, 10852451861, "sig.sh", IPERF, 172722166, 1, KERN },  /* folded */
	{ 11182958175, 0, 10855583579, 11140017131, "ksleuth", IPERF, 588783174, 1, KERN },
	{ 11888659427, 0, 10555556447, 11888659427, "fuzz_procnet", IPERF, 588783174, 1, KERN },  /* folded */
	{ 12380829661, 0, 11135412108, 12380829661, "fuzz_procnet", IPERF, 544161369, 1, KERN },  /* folded */
	{ 12623636634, 1, 12519984693, 12623383178, "kworker/1:2", HOG, 103398485, 26, ONGOING|KERN|BH },
	{ 12956651359, 1, 12519981846, 12956293118, "kworker/1:2", HOG, 436311272, 109, KERN|BH },
	{ 12971345474, 1, 12457380498, 12957382417, "NET_RX", HOG, 498912620, 124, KERN|BH },
	{ 13850703212, 0, 13482391555, 13850703212, "fuzz_procnet", IPERF, 165144205, 0, 0 },  /* folded */
	{ 14249678562, 0, 13851501117, 14199799814, "grep", IPERF, 230558721, 0, 0 },
	{ 14249706865, 0, 13888783019, 14215039275, "fuzz_procnet", IPERF, 230558721, 0, 0 },
	{ 14491926762, 0, 13627821596, 14491926762, "fuzz_procnet", IPERF, 376266682, 1, KERN|BH },  /* folded */
	{ 14611861816, 1, 14509833178, 14611382010, "memfd:sealed-91", HOG, 101548832, 26, ONGOING|KERN|BH },
	{ 14979844081, 1, 14477379227, 14977383911, "NET_RX", HOG, 498633678, 124, KERN|BH },
	{ 15003592737, 1, 14509839987, 15002243978, "memfd:sealed-91", HOG, 469878009, 118, KERN|BH },
	{ 15003621631, 1, 14509835569, 15002436366, "memfd:sealed-91", HOG, 469878009, 118, KERN|BH },
	{ 15983421998, 0, 15601330393, 15983421998, "sig.sh", IPERF, 163219352, 0, 0 },  /* folded */
	{ 16525043231, 0, 14978926181, 16525043231, "fuzz_procnet", IPERF, 676705983, 4, KERN },  /* folded */
	{ 16631780817, 0, 16243420650, 16516835241, "grep", IPERF, 429131890, 4, KERN },
	{ 16631959490, 1, 16507479165, 16611382406, "ksleuth", HOG, 103903241, 26, ONGOING|KERN|BH },
	{ 16635778733, 1, 16519417164, 16635383533, "rcu_preempt", HOG, 115966369, 29, ONGOING|KERN|BH },
	{ 17003881854, 1, 16501378796, 17001383591, "NET_RX", HOG, 498539974, 124, KERN|BH },
	{ 17696734570, 0, 17523484454, 17646865392, "ksleuth", IPERF, 262229552, 0, 0 },
	{ 17991416786, 0, 17378193312, 17991416786, "fuzz_procnet", IPERF, 262229552, 0, 0 },  /* folded */
	{ 18542571534, 0, 17663499302, 18542571534, "fuzz_procnet", IPERF, 384593676, 1, KERN },  /* folded */
	{ 18587676958, 0, 18391457801, 18529343588, "ksleuth", IPERF, 69600917, 0, 0 },
	{ 19027552679, 1, 18517389783, 19017383257, "NET_RX", HOG, 498599575, 124, KERN|BH },
	{ 19990728814, 0, 19329603035, 19990728814, "fuzz_procnet", IPERF, 278855470, 0, 0 },  /* folded */
	{ 20466703107, 0, 20156505666, 20418978031, "bpftool", IPERF, 163325790, 0, 0 },
	{ 20971977566, 0, 20594020704, 20971977566, "ksleuth", IPERF, 163325790, 0, 0 },  /* folded */
	{ 21431822720, 0, 20711916147, 21389749904, "fuzz_procnet", IPERF, 413698990, 2, KERN },
	{ 21887400433, 0, 20919111987, 21887400433, "bpftool", IPERF, 413698990, 2, KERN },  /* folded */
	{ 22185841946, 0, 21679488964, 22136572003, "grep", IPERF, 310802700, 3, KERN },
	{ 22589786185, 0, 22414391596, 22543833472, "sig.sh", IPERF, 175597995, 1, KERN|BH },
	{ 22589827342, 0, 22414391596, 22543967582, "seq", IPERF, 175597995, 1, KERN|BH },
	{ 22834264684, 0, 22546231839, 22834181348, "date", IPERF, 195439226, 2, KERN },
	{ 22837259557, 0, 19991498510, 22837259557, "fuzz_procnet", IPERF, 1112837691, 8, KERN },  /* folded */
	{ 23546841973, 0, 23110838475, 23546841973, "fuzz_procnet", IPERF, 195586540, 2, KERN|BH },  /* folded */
};

/* The seconds of the run that were not quiet: retransmits (tracepoint),
 * softnet drops (which CPU's row is not known: given as not per CPU), the
 * NET_RX hold watch's longest delay on CPU 1 and ksoftirqd/0's longest
 * wait (the incident's 300 ms was CPU 0's). The other seconds had 0 or 1
 * retransmit and nothing else. */
struct bsec {
	unsigned k;
	uint64_t retrans, drops, netrx1_ns, ksw0_ns;
};
static const struct bsec busy_secs[] = {
	{ 11, 15, 0, 0, 116043970 },
	{ 12, 64, 3704, 500001919, 0 },
	{ 13, 3, 0, 0, 0 },
	{ 14, 61, 3670, 500004684, 109907209 },
	{ 15, 0, 0, 0, 134822315 },
	{ 16, 58, 3783, 0, 0 },
	{ 17, 39, 28, 500004795, 294433730 },
	{ 18, 50, 3544, 0, 196023875 },
	{ 19, 52, 144, 499993474, 300044277 },
	{ 20, 0, 0, 0, 263489995 },
};

static const char *const hog_frames[] = {
	"bpf_prog_bdae2f8aaa2f5d14_outer_cb+0x65", "bpf_prog_27f45835f363ec68_hog_tc+0x82",
	"bpf_test_run+0x231", "bpf_prog_test_run_skb+0x449", "__sys_bpf+0xdfa",
	"__x64_sys_bpf+0x21", "do_syscall_64+0x71", "entry_SYSCALL_64_after_hwframe+0x76",
};

struct brec {
	unsigned spikes, incidents, findings, findings_cpu1;
	struct eng_incident inc;
};

static void bon_event(void *arg, const struct eng_event *ev)
{
	struct brec *r = arg;
	switch (ev->type) {
	case ENG_EV_SPIKE: r->spikes++; break;
	case ENG_EV_INCIDENT: r->incidents++; r->inc = *ev->incident; break;
	case ENG_EV_FINDING:
		r->findings++;
		r->findings_cpu1 += ev->finding->cpu == 1;
		break;
	}
}

/* The run's kernel: 6.18, no preemption (dynamic), a VM. */
static const struct eng_kernel busy_kernel = {
	.release = "6.18.44-fc-v1272", .major = 6, .minor = 18, .preempt = "none",
	.preempt_dynamic = true, .hz = 250, .rt_runtime_us = 950000, .rt_period_us = 1000000, .vm = true,
};

static struct eng_stall busy_stall(const struct bwait *w, bool prio)
{
	struct eng_stall s;
	memset(&s, 0, sizeof(s));
	s.cpu = w->cpu;
	s.start_ns = BT0 + w->start_ns;
	s.end_ns = BT0 + w->end_ns;
	s.ongoing = w->flags & ONGOING;
	bool netrx = !strcmp(w->waiter, "NET_RX");
	/* the run did not print waiters' pids: one made up per comm */
	uint32_t h = 5381;
	for (const char *c = w->waiter; *c; c++)
		h = h * 33 + (unsigned char)*c;
	s.victim_pid = netrx ? 0 : 30000 + (int32_t)(h % 10000);
	snprintf(s.victim_comm, sizeof(s.victim_comm), "%s", w->waiter);
	s.n_tasks = 1;
	struct eng_task *t = &s.tasks[0];
	t->pid = t->tid = w->who == HOG ? 24281 : 24240;
	snprintf(t->comm, sizeof(t->comm), "%s", w->who == HOG ? "kpatch-load" : "iperf3");
	t->policy = 0;
	t->run_ns = w->run_ns;
	t->samples = w->samples;
	t->samples_kernel = w->flags & KERN ? w->samples : 0;
	t->samples_bh_off = w->flags & BH ? t->samples_kernel : 0;
	if (w->who == HOG) {
		s.n_frames = sizeof(hog_frames) / sizeof(hog_frames[0]);
		for (unsigned f = 0; f < s.n_frames; f++)
			snprintf(s.frames[f], sizeof(s.frames[f]), "%s", hog_frames[f]);
		s.stack_samples = w->samples;
	}
	/* what the collector is to fill (the run's records did not have
	 * it): every task at nice 0, but the nice 19 CPU hog fuzz_procnet */
	if (prio) {
		t->prio = 120;
		if (!netrx) {
			s.victim_policy = 0;
			s.victim_prio = !strcmp(w->waiter, "fuzz_procnet") ? 139 : 120;
		}
	}
	return s;
}

static void busy_second(struct engine *e, unsigned k)
{
	struct eng_cpu_sample cpu[BNCPU];
	struct eng_net_sample s = {
		.ts_ns = BT0 + (uint64_t)(k + 1) * NS_PER_SEC + 3 * NS_PER_MS,
		.retrans_tp = k == 3 || k == 5 || k == 7 || k == 9 || k == 21 || k == 23,
		.have_tp = true, .ncpus = BNCPU, .cpu = cpu,
	};
	memset(cpu, 0, sizeof(cpu));
	for (unsigned i = 0; i < sizeof(busy_secs) / sizeof(busy_secs[0]); i++) {
		const struct bsec *b = &busy_secs[i];
		if (b->k != k)
			continue;
		s.retrans_tp = b->retrans;
		s.drops_other = b->drops;
		cpu[1].netrx_max_ns = b->netrx1_ns;
		cpu[0].ksoftirqd_wait_ns = b->ksw0_ns;
	}
	engine_add_sample(e, &s);
	engine_step(e, s.ts_ns + 2 * NS_PER_MS);
}

/* The whole run, 24 s: records and seconds in the order they came. */
static struct brec busy_replay(bool prio)
{
	struct brec r;
	struct eng_cfg c;
	unsigned n = sizeof(busy_waits) / sizeof(busy_waits[0]), i = 0;

	memset(&r, 0, sizeof(r));
	eng_cfg_default(&c);
	struct engine *e = engine_new(&c, &busy_kernel, BNCPU, BT0, bon_event, &r);
	if (!e)
		return r;
	for (unsigned k = 0; k < 24; k++) {
		uint64_t tick = (uint64_t)(k + 1) * NS_PER_SEC + 3 * NS_PER_MS;
		for (; i < n && busy_waits[i].emit_ns < tick; i++) {
			struct eng_stall s = busy_stall(&busy_waits[i], prio);
			engine_add_stall(e, &s);
		}
		busy_second(e, k);
	}
	engine_finish(e, BT0 + 24 * NS_PER_SEC + 10 * NS_PER_MS);
	engine_free(e);
	return r;
}

static void check_busy_verdict(const struct brec *r)
{
	const struct eng_incident *inc = &r->inc;

	CHECK_EQ(r->spikes, 6);
	CHECK_EQ(r->incidents, 1);
	CHECK_U64(inc->start_ns, BT0 + 12 * NS_PER_SEC);
	CHECK_U64(inc->end_ns, BT0 + 20 * NS_PER_SEC);
	CHECK_STR(eng_mech_name(inc->verdict.mech), "softirq_blocked");
	CHECK_STR(inc->verdict.confidence, "high");
	CHECK_EQ(inc->verdict.cpu, 1);
	CHECK(inc->verdict.have_culprit);
	CHECK_EQ(inc->verdict.culprit.pid, 24281);
	CHECK_STR(inc->verdict.culprit.comm, "kpatch-load");
	CHECK(inc->verdict.bh_off);
	CHECK_U64(inc->verdict.netrx_max_ns, 500004795);
	/* the second hold, seen as NET_RX's wait and memfd's (525 ms) */
	CHECK_U64(inc->verdict.stall_ns, 525057139);
	CHECK(strstr(inc->summary, "kpatch-load") != NULL);
	CHECK(strstr(inc->summary, "CPU 1") != NULL);
	CHECK(strstr(inc->summary, "iperf3") == NULL);
	REQUIRE(inc->n_suspects >= 1);
	CHECK_EQ(inc->suspects[0].cpu, 1);
	CHECK_STR(inc->suspects[0].task.comm, "kpatch-load");
	CHECK_EQ(inc->suspects[0].stalls, 4);
	CHECK_U64(inc->suspects[0].netrx_max_ns, 500004795);
	/* the hog's holds are the incident's, not harmless findings */
	CHECK_EQ(r->findings_cpu1, 0);
	/* seconds on CPU 1 name the hog */
	for (unsigned i = 0; i < inc->n_seconds; i++)
		if (inc->seconds[i].netrx_max_ns >= 100 * NS_PER_MS)
			CHECK_STR(inc->seconds[i].culprit, "kpatch-load");
}

/* As the run's records were: no nice levels (an old producer). NET_RX's
 * delay on CPU 1 ties the hog to the loss; iperf3's waits on CPU 0 tie it
 * to nothing. Before: not_cpu, cpu -1, "iperf3 held CPU 0 for 4.88s",
 * and the hog's four holds filed as cpu_stall_no_network_impact. */
TEST(busyhost_verdict_stays_on_the_receive_cpu)
{
	struct brec r = busy_replay(false);
	check_busy_verdict(&r);
	/* iperf3 is still listed, after the hog, and its waits behind
	 * contention did not chain into one 4.88 s "hold" */
	for (unsigned i = 1; i < r.inc.n_suspects; i++) {
		CHECK_EQ(r.inc.suspects[i].cpu, 0);
		CHECK(r.inc.suspects[i].longest_ns < 1000 * NS_PER_MS);
	}
}

/* With the nice levels the collector is to fill: fuzz_procnet (nice 19)
 * waiting behind iperf3 (nice 0) is CFS's weighting, not a hold: those
 * waits leave iperf3's list of stalls. */
TEST(busyhost_nice19_waits_are_not_holds)
{
	struct brec old = busy_replay(false), r = busy_replay(true);
	check_busy_verdict(&r);
	unsigned iperf_old = 0, iperf_new = 0;
	for (unsigned i = 0; i < old.inc.n_suspects; i++)
		if (old.inc.suspects[i].task.pid == 24240)
			iperf_old += old.inc.suspects[i].stalls;
	for (unsigned i = 0; i < r.inc.n_suspects; i++)
		if (r.inc.suspects[i].task.pid == 24240)
			iperf_new += r.inc.suspects[i].stalls;
	CHECK(iperf_old > iperf_new);
	CHECK_EQ(r.findings, old.findings);
}

/* The live line says what the engine decided: fuzz_procnet's wait is the
 * fair scheduler's, not a hold, and it is folded with the contention. */
TEST(busyhost_weighted_wait_line)
{
	const struct bwait *w = NULL;
	for (unsigned i = 0; i < sizeof(busy_waits) / sizeof(busy_waits[0]); i++)
		if (busy_waits[i].start_ns == 13888783019ULL)
			w = &busy_waits[i];
	REQUIRE(w);
	struct eng_stall s = busy_stall(w, true);
	struct stall_window_info wi = { .known = true, .covered_ns = 512496087, .idle_ns = 0, .left_out = 1 };
	struct stall_fill f;
	struct stall_contention c;
	char b[200];

	stall_fill_decide(&s, &wi, &f);
	CHECK_EQ(f.kind, STALL_FILL_WEIGHTED);
	CHECK(!f.held);
	CHECK_STR(stall_fill_name(f.kind), "weighted");
	stall_fill_text(&s, &f, b, sizeof(b));
	CHECK_STR(b, "fair share, not a hold: iperf3 (nice 0) ran 70%, its share by weight 98% over "
		     "fuzz_procnet (nice 19)");
	memset(&c, 0, sizeof(c));
	CHECK(stall_contention_add(&c, &s, &f));
	CHECK_EQ(c.waits, 1);
	/* the same record from an old producer: held, as before */
	s = busy_stall(w, false);
	stall_fill_decide(&s, &wi, &f);
	CHECK_EQ(f.kind, STALL_FILL_HELD);
	CHECK(!stall_contention_add(&c, &s, &f));
}

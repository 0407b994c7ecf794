/* engine.h — the doctor's engine: a 1-second timeline of network symptoms,
 * CPU stalls and kernel log lines; spike detection against recent history;
 * correlation of spikes with stalls; one verdict per incident with advice.
 * Pure: no BPF, no /proc, no clock. Every input carries its own timestamp
 * (CLOCK_MONOTONIC ns); the caller adapts collector records into these
 * structs, so a recorded session replays through the same code. */
#ifndef ENGINE_ENGINE_H
#define ENGINE_ENGINE_H
#include <stdbool.h>
#include <stdint.h>

#define ENG_COMM_LEN 16
#define ENG_MAX_TASKS 8        /* antagonists kept per stall */
#define ENG_MAX_FRAMES 24      /* kernel stack depth kept, leaf first */
#define ENG_FRAME_LEN 64
#define ENG_MAX_ADVICE 6
#define ENG_ADVICE_LEN 320
#define ENG_MAX_KMSG 6         /* kernel log lines named per incident */
#define ENG_KMSG_LEN 160
#define ENG_MAX_SECONDS 40     /* seconds shown per incident (the rest summed) */
#define ENG_MAX_SUSPECTS 4

/* ---- configuration ---------------------------------------------------- */

struct eng_cfg {
	uint64_t bin_ns;         /* timeline resolution: 1 s */
	uint64_t stall_ns;       /* a CPU held this long is a stall (--threshold): 100 ms */
	uint64_t netrx_ns;       /* NET_RX raise->run delay that counts as blocked: 100 ms */
	uint64_t netrx_spike_ns; /* NET_RX delay alone that makes a spike: 200 ms */
	uint64_t retrans_min;    /* retransmits/s needed for a spike: 50 (busy-host noise ~30) */
	uint64_t drops_min;      /* packet drops/s needed for a spike: 100 */
	double factor;           /* and this many times the baseline: 10 */
	unsigned baseline_bins;  /* baseline = median of this many quiet seconds: 10 */
	unsigned quiet_bins;     /* an incident ends after this many quiet seconds: 2 */
	unsigned warmup_bins;    /* the first seconds are neither judged nor baseline: 2
				  * (a partial first interval, load ramping up) */
	uint64_t window_ns;      /* stalls within +-window of a spike are candidates: 1 s */
	uint64_t kmsg_before_ns; /* log lines this long before an incident count: 5 s */
};
void eng_cfg_default(struct eng_cfg *c);

/* Kernel facts the verdict depends on (from `ksleuth info`). */
struct eng_kernel {
	char release[64];        /* "6.18.0-1-amd64" */
	int major, minor;        /* 6, 18; 0, 0 when unknown */
	char preempt[16];        /* "none", "voluntary", "none/voluntary" (which one is not
				  * known), "full", "lazy", "rt", "" */
	bool preempt_dynamic;    /* CONFIG_PREEMPT_DYNAMIC: preempt= at boot works */
	bool rt;                 /* PREEMPT_RT, whatever the live mode says (6.12-rt: "lazy") */
	int hz;
	long rt_runtime_us, rt_period_us; /* RT throttling; runtime -1 = off; 0/0 unknown */
	bool vm;                 /* a virtual machine: its vCPUs can go unrun */
};

/* ---- inputs ----------------------------------------------------------- */

enum eng_mode { ENG_MODE_UNKNOWN = 0, ENG_MODE_KERNEL, ENG_MODE_USER };

/* A task that ran on a stalled CPU instead of the waiting work. */
struct eng_task {
	int32_t pid;             /* tgid */
	int32_t tid;
	char comm[ENG_COMM_LEN];
	int policy;              /* SCHED_OTHER 0, FIFO 1, RR 2, BATCH 3, IDLE 5, DEADLINE 6; -1 unknown */
	int rt_prio;             /* 1..99 for FIFO/RR */
	int prio;                /* kernel prio (task->prio): 100..139 for a fair task (120 + nice);
				  * 0 when unknown (read only for fair policies) */
	uint64_t run_ns;         /* time it held the CPU during the stall */
	/* cpu-clock samples of this task taken during the stall, and in how
	 * many of them it was in the kernel / had BHs, IRQs, preemption off. */
	uint32_t samples, samples_kernel, samples_bh_off, samples_irq_off, samples_preempt_off;
};

/* A timer-interrupt silence: the CPU took no timer interrupt for ns while
 * one task ran (interrupts off, or a vCPU not run; nothing ran, NET_RX
 * neither), and where it ended (the engine fills mode, irq_on and place
 * from the sample of the tick that ended it: eng_gap_classify). */
struct eng_gap {
	uint64_t ns;                 /* 0: none */
	enum eng_mode mode;          /* the mode of the context it ended in */
	bool irq_on;                 /* it ended where that context turned interrupts on */
	char place[ENG_FRAME_LEN];   /* that place ("" in user mode) */
};

/* A CPU that did not serve waiting work for longer than the threshold: a
 * runnable task (often ksoftirqd/N) waited, or NET_RX waited to run. */
struct eng_stall {
	int cpu;
	uint64_t start_ns, end_ns;   /* end = last seen while ongoing */
	bool ongoing;
	int32_t victim_pid;          /* who waited; 0 when it was softirq work */
	char victim_comm[ENG_COMM_LEN];
	int victim_policy;           /* the waiter's policy and kernel prio, as in eng_task; */
	int victim_prio;             /* prio 0 = unknown (old producers, NET_RX, silences) */
	unsigned n_tasks;            /* antagonists, any order (the engine sorts) */
	struct eng_task tasks[ENG_MAX_TASKS];
	unsigned n_frames;           /* hottest kernel stack of the main antagonist */
	char frames[ENG_MAX_FRAMES][ENG_FRAME_LEN]; /* leaf first, "func+0x1a" or "func" */
	uint32_t stack_samples;      /* samples that had this stack */
	/* A silence for gap.ns of it while tasks[0] ran: tasks[0]'s samples
	 * and frames are then the tick that ended it. */
	struct eng_gap gap;
};

/* What happened on one CPU during one interval (deltas, not totals). */
struct eng_cpu_sample {
	uint64_t netrx_max_ns;       /* NET_RX raise->entry delay: max */
	uint64_t netrx_p99_ns;       /*   and p99 */
	uint64_t ksoftirqd_wait_ns;  /* longest run-queue wait of ksoftirqd/N (eng_net_thread) */
	uint64_t drops;              /* softnet_stat dropped */
	uint64_t squeezes;           /* softnet_stat time_squeeze */
};

/* One interval of network counters, normally 1 s, ending at ts_ns. */
struct eng_net_sample {
	uint64_t ts_ns;
	uint64_t retrans_tp;         /* tcp:tcp_retransmit_skb events (failed attempts included) */
	uint64_t retrans_segs;       /* TcpRetransSegs from /proc/net/snmp (segments) */
	bool have_tp, have_segs;
	uint64_t drops_other;        /* drops not per CPU (e.g. netstat TCPBacklogDrop) */
	unsigned ncpus;              /* entries in cpu[] */
	const struct eng_cpu_sample *cpu;
};

/* ---- outputs ---------------------------------------------------------- */

enum eng_mech {
	ENG_MECH_NONE = 0,
	ENG_SOFTIRQ_BLOCKED,
	ENG_KSOFTIRQD_STARVED,
	ENG_RT_STARVATION,
	ENG_CPU_STALL_NO_NETWORK_IMPACT,
	ENG_NOT_CPU,
	ENG_CPU_NOT_RUNNING,     /* the CPU took no interrupt in user mode: the host (or firmware) held it */
};
const char *eng_mech_name(enum eng_mech m);    /* the JSON names */
const char *eng_policy_name(int policy);       /* "SCHED_FIFO", ... */
const char *eng_mode_name(enum eng_mode m);    /* "kernel", "user", "unknown" */
/* Where a timer-interrupt silence ended, from the stack of the tick that
 * ended it (leaf first, the tick's own frames cut) and that sample's mode.
 * Pending interrupts are taken as soon as interrupts come back on, other
 * ones (an IPI, with its softirqs) possibly before the tick: the context
 * the silence was in is the one below the last interrupt entry (asm_*).
 * Fills its mode (user when nothing is below the entry), whether its leaf
 * frames turn interrupts on (local_irq_enable/restore and their homes),
 * and the first frame there that is not a paravirt hook. */
void eng_gap_classify(const char frames[][ENG_FRAME_LEN], unsigned n, enum eng_mode sample_mode,
		      enum eng_mode *mode, bool *irq_on, char place[ENG_FRAME_LEN]);

/* Mode and held-off state of a task from its samples. */
enum eng_mode eng_task_mode(const struct eng_task *t);
bool eng_task_bh_off(const struct eng_task *t);   /* BHs or IRQs off in most kernel samples */

/* The fair scheduler's load weight of a task (the kernel's
 * sched_prio_to_weight: nice 0 1024, nice 19 15; SCHED_IDLE 3); 0 when
 * the policy is not fair (RT, deadline, unknown) or the prio is unknown. */
uint32_t eng_fair_weight(int policy, int prio);
/* A waiter of weight w behind a holder of weight W > w gets one slice,
 * then waits about slice * (W + w) / w (nice 19 behind nice 0: ~200 ms):
 * the largest default base slice, 0.75 ms * (1 + log2 CPUs) at 8 CPUs. */
#define ENG_FAIR_SLICE_NS 3000000ULL
/* The wait is the fair scheduler working as designed, not a hold: holder
 * and waiter fair, the holder heavier, and it ran no more than its share
 * of the stall by weight, W / (W + w), plus one slice. Needs both prios. */
bool eng_stall_weighted(const struct eng_stall *s);
/* One task held the CPU: tasks[0] ran at least half of the stall (or its
 * run time is unknown, or no task is known), and the waiter's lower
 * weight does not explain it (eng_stall_weighted). Anything else is
 * contention: never a culprit, never a finding. */
bool eng_stall_held(const struct eng_stall *s);
/* Does comm name a thread that carries NET_RX's work, whose run-queue
 * waits are the network's: ksoftirqd/N, or backlog_napi/N (PREEMPT_RT
 * since 6.10 polls the per-CPU backlog -- RPS, veth, netif_rx -- in these
 * threads)? Their waits count as "ksoftirqd waits" everywhere. */
bool eng_net_thread(const char *comm);

struct eng_second {
	uint64_t start_ns;
	uint64_t retrans_tp, retrans_segs, drops;
	uint64_t netrx_max_ns;       /* on the incident's CPU (all CPUs when none) */
	uint64_t ksoftirqd_wait_ns;  /* idem */
	bool spike;
	char culprit[ENG_COMM_LEN];  /* the antagonist of a stall overlapping it, or "" */
};

/* What ties a suspect's stalls to the network's loss, weakest first. */
enum eng_link {
	ENG_LINK_NONE = 0,       /* only near the spike seconds (+-window) */
	ENG_LINK_SPIKE,          /* its stalls overlap spike seconds */
	ENG_LINK_BACKLOG,        /* in its seconds on its CPU: drops, or ksoftirqd waited >= the
				  * stall threshold where it carries NET_RX (< 6.5, RT, squeezes) */
	ENG_LINK_NETRX,          /* NET_RX waited >= netrx_ns on its CPU in its seconds */
};
const char *eng_link_name(enum eng_link l); /* "none", "spike", "backlog", "netrx" */

struct eng_suspect {
	int cpu;
	struct eng_task task;
	uint64_t stolen_ns;          /* sum of its stalls near the spike */
	uint64_t longest_ns;
	unsigned stalls;
	/* the evidence it is ranked by, from the seconds its stalls touch
	 * (their own and the next: a delay is counted when it ends) */
	enum eng_link link;
	uint64_t netrx_max_ns;       /* NET_RX's longest delay on its CPU */
	uint64_t ksoftirqd_wait_ns;  /* ksoftirqd's longest wait there */
	uint64_t drops;              /* softnet drops on its CPU */
	uint64_t spike_ns;           /* time of its stalls inside spike seconds */
};

/* What the verdict rests on; each basis has its own words. */
enum eng_basis {
	ENG_BASIS_NO_STALL = 0,  /* no hold near the loss */
	ENG_BASIS_UNHELD,        /* NET_RX waited on cpu, but no hold ties anything to it */
	ENG_BASIS_SILENCE,       /* the holder's CPU took no timer interrupt through most of it */
	ENG_BASIS_HOLD,          /* a task held the CPU */
};

/* Attribution's decision and the facts it rests on, no text: advice
 * (eng_advise) words it, consumers count it. */
struct eng_verdict {
	enum eng_mech mech;
	const char *confidence;      /* "high", "medium", "low" */
	enum eng_basis basis;
	int cpu;                     /* the incident's CPU; -1 when not a CPU problem */
	bool have_culprit;           /* culprit is blamed */
	struct eng_task culprit;     /* the top suspect (SILENCE, HOLD), blamed or not */
	int holder_cpu;              /* its CPU; -1 without one */
	enum eng_mode mode;
	bool bh_off;
	bool bh_inferred;            /* bh_off inferred from NET_RX waiting through a kernel hold */
	bool rt_bh_lock;             /* PREEMPT_RT: it held the CPU's bottom-half lock */
	bool deferred;               /* softirqs raised by interrupts wait for ksoftirqd here */
	bool exits_only;             /* ksoftirqd_starved with ksoftirqd never kept waiting:
				      * the backlog overflowed between interrupt exits */
	struct eng_gap gap;          /* the silence that decided it (ns 0: none) */
	uint64_t stall_ns;           /* the culprit's longest stall */
	uint64_t stolen_ns;          /* all its stalls near the spike */
	uint64_t netrx_max_ns;       /* on cpu (all CPUs without one) */
	uint64_t ksoftirqd_wait_ns;
	uint64_t squeezes;
	uint64_t cpu_drops;          /* softnet drops on the holder's CPU */
	enum eng_link link;          /* what tied the holder to the loss */
};

struct eng_incident;
struct eng_finding;
/* The summary and advice of an incident from its verdict, its counts,
 * suspects, stack and kernel log lines (c: the thresholds it names). */
void eng_advise(const struct eng_cfg *c, const struct eng_kernel *k, const struct eng_verdict *v,
		struct eng_incident *inc);
/* The summary and advice of a finding; gap is its stall's silence. */
void eng_advise_finding(const struct eng_kernel *k, const struct eng_gap *gap, struct eng_finding *f);

struct eng_kmsg_line {
	uint64_t ts_ns;
	const char *cls;             /* kmsg_class_name() */
	char text[ENG_KMSG_LEN];
};

struct eng_incident {
	unsigned id;                 /* 1, 2, ... in order */
	struct eng_verdict verdict;  /* what attribution decided, and on what */
	uint64_t start_ns, end_ns;   /* first spike second .. end of the last */
	uint64_t retransmits, retrans_segs, drops;
	unsigned n_frames;           /* the culprit's hottest kernel stack */
	char frames[ENG_MAX_FRAMES][ENG_FRAME_LEN];
	unsigned n_suspects;
	struct eng_suspect suspects[ENG_MAX_SUSPECTS];
	unsigned n_seconds;
	struct eng_second seconds[ENG_MAX_SECONDS];
	unsigned n_kmsg;
	struct eng_kmsg_line kmsg[ENG_MAX_KMSG];
	char summary[ENG_ADVICE_LEN];        /* one sentence: what happened */
	unsigned n_advice;
	char advice[ENG_MAX_ADVICE][ENG_ADVICE_LEN];
};

/* A stall with no network impact, reported once it has settled. */
struct eng_finding {
	enum eng_mech mech;          /* ENG_CPU_STALL_NO_NETWORK_IMPACT */
	int cpu;
	uint64_t start_ns, end_ns, stall_ns;
	struct eng_task culprit;
	enum eng_mode mode;
	bool bh_off;
	uint64_t irq_gap_ns;         /* no timer interrupt this long (0: a plain stall) */
	bool irq_gap_not_running;    /* and the CPU did not run this kernel meanwhile */
	uint64_t netrx_max_ns;       /* on that CPU around the stall */
	uint64_t ksoftirqd_wait_ns;
	char victim_comm[ENG_COMM_LEN];
	unsigned n_frames;
	char frames[ENG_MAX_FRAMES][ENG_FRAME_LEN];
	char summary[ENG_ADVICE_LEN];
	unsigned n_advice;
	char advice[ENG_MAX_ADVICE][ENG_ADVICE_LEN];
};

/* A second that crossed a threshold (a live line; the incident follows). */
struct eng_spike {
	uint64_t start_ns;
	uint64_t retrans, baseline_retrans, drops, baseline_drops;
	uint64_t netrx_max_ns;
	int netrx_cpu;
	const char *reason;          /* "retransmits", "drops", "netrx_delay" */
};

enum eng_event_type { ENG_EV_SPIKE, ENG_EV_INCIDENT, ENG_EV_FINDING };
struct eng_event {
	enum eng_event_type type;
	union {
		const struct eng_spike *spike;
		const struct eng_incident *incident;
		const struct eng_finding *finding;
	};
};
typedef void (*eng_emit_fn)(void *arg, const struct eng_event *ev);

/* ---- the engine ------------------------------------------------------- */

struct engine;

/* t0_ns: start of the timeline; bins are [t0 + k*bin, t0 + (k+1)*bin).
 * Returns NULL on bad arguments or no memory. */
struct engine *engine_new(const struct eng_cfg *cfg, const struct eng_kernel *k,
			  unsigned ncpus, uint64_t t0_ns, eng_emit_fn emit, void *arg);
void engine_free(struct engine *e);

/* One interval of counters; it lands in the bin holding ts - bin/2, so a
 * caller sampling every second at t0 + k s fills bin k-1. Spikes are
 * detected (and ENG_EV_SPIKE emitted) right here. */
void engine_add_sample(struct engine *e, const struct eng_net_sample *s);
/* A stall, finished or still ongoing; an ongoing stall on the same CPU
 * with the same start is updated in place. Stalls shorter than stall_ns
 * are ignored. */
void engine_add_stall(struct engine *e, const struct eng_stall *s);
/* A kernel log line (any; the engine keeps the interesting ones). */
void engine_add_kmsg(struct engine *e, uint64_t ts_ns, const char *text);
/* Settle what can be settled at now_ns: close incidents whose quiet tail
 * and correlation window have passed, report stalls that no spike
 * explains. Call once a second. */
void engine_step(struct engine *e, uint64_t now_ns);
/* End of the run: close everything with what is known. */
void engine_finish(struct engine *e, uint64_t now_ns);

unsigned engine_incidents(const struct engine *e);
unsigned engine_findings(const struct engine *e);
unsigned engine_spikes(const struct engine *e);
/* seconds of retransmits taken as an earlier incident's aftermath */
unsigned engine_echoes(const struct engine *e);
unsigned engine_stalls(const struct engine *e);
uint64_t engine_longest_stall_ns(const struct engine *e);
/* Totals over the whole run. */
uint64_t engine_total_retrans(const struct engine *e);
uint64_t engine_total_drops(const struct engine *e);
/* Retransmits of bin k (0-based since t0), -1 when never filled. */
int64_t engine_bin_retrans(const struct engine *e, unsigned k);
unsigned engine_nbins(const struct engine *e);

#endif

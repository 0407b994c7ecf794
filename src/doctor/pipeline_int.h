/* doctor/pipeline_int.h — the pipeline's state, shared by pipeline.c (the
 * live pipeline) and replay.c (the same callbacks fed from a recording).
 * Private to src/doctor/: commands use pipeline.h. */
#ifndef DOCTOR_PIPELINE_INT_H
#define DOCTOR_PIPELINE_INT_H
#include "doctor/pipeline.h"
#include "collect/retrans.h"
#include "lib/procnet.h"
#include "sys/kmsg_reader.h"
#include "sys/procnet.h"
#include "sys/sysinfo.h"

struct rec_writer;

#define SOFTNET_MAX 1024

struct pipeline {
	struct pipeline_opts o;
	struct loop *loop;
	struct sched_collector *sched;
	struct softirq_collector *sirq;
	struct retrans_collector *rt;
	struct engine *eng;
	struct kernel_facts kf;
	struct eng_kernel ek;
	bool sampler;
	unsigned ncpus, nsirq;
	uint64_t t0_ns;
	/* per-second scratch and previous readings */
	struct softirq_hists *hists;        /* softirq_trace: nsirq */
	struct sched_netrx_stat *holds;     /* else NET_RX holds: sched_nr_cpus */
	struct eng_cpu_sample *cpu;
	uint64_t *ksw_rec;           /* longest ksoftirqd wait record this second, per CPU */
	struct hist *ksw_prev;       /* ksoftirqd histograms at the last second (ksoftirqd_hist) */
	uint64_t rt_prev[RETRANS_NR_STATS];
	struct tcp_mib_src mib;
	bool have_mib;
	struct tcp_mib mib_prev;
	struct softnet_row sn_prev[SOFTNET_MAX], sn_now[SOFTNET_MAX];
	int sn_n;
	struct kmsg_reader km;
	struct sched_window *win;    /* scratch for sched_who_ran */
	struct eng_stall stall;      /* scratch: large */
	struct win_cache *wcache;    /* per CPU: the last window filled */
	struct rec_writer *rec;      /* --record: every engine input is written here */
	struct eng_cfg cfg;          /* the engine's, for a recording's header */
	/* a replay (replay.c): no collectors; these stand for them */
	int64_t wall_off_ns;         /* CLOCK_REALTIME - CLOCK_MONOTONIC at the start */
	bool replay;
	const char *path;            /* the recording */
	const char *netrx_src;
	uint64_t lost_records, end_ns;
	bool settle;
};

/* On an oversubscribed CPU hundreds of waits a second pass the threshold,
 * each over nearly the same window, each a tally of thousands of run
 * segments. A wait whose window the CPU's last filled window covers to
 * 90 % or more takes that fill (who ran, their shares, the stack) instead
 * of a new tally: the answer could differ by at most that 10 % of it. */
#define REUSE_PERMILLE 900
struct win_cache {
	bool valid;
	uint64_t t0, t1;
	struct eng_stall s;
	struct stall_window_info wi;
};

/* replay.c: CLOCK_REALTIME - CLOCK_MONOTONIC now. */
int64_t wall_offset_ns(void);
/* replay.c: the recording's header, written once the engine exists. */
void pipeline_record_begin(struct pipeline *p, const struct eng_cfg *cfg);

#endif

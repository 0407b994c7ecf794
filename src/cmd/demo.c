/* demo.c — `ksleuth demo`: the incident, reproduced and explained. Builds
 * the network test bed, runs the doctor while a kernel hog holds the
 * receive CPU (broken) and then does the same work in 1 ms slices (fixed),
 * and prints retransmits per second side by side. The broken hog is the
 * one that stalls packet processing on this kernel: before 6.5 (not RT) a
 * loop with no reschedule point that starves ksoftirqd, the seed
 * incident; since 6.5 and on PREEMPT_RT one with bottom halves off.
 * Cleans up (hog, load, namespaces) always, also on Ctrl-C/SIGTERM. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ksleuth.h"
#include "doctor/run.h"
#include "sys/cli.h"
#include "sys/helper.h"
#include "sys/log.h"
#include "sys/loop.h"
#include "sys/netbed.h"
#include "sys/spawn.h"
#include "sys/sysinfo.h"

#define HOG_DELAY_NS  (3 * NS_PER_SEC)   /* baseline seconds before the hog */
#define HOG_TAIL_NS   (3 * NS_PER_SEC)   /* quiet seconds after it */
#define HOG_RUN       "500ms"            /* one BH-off hold, as in the incident */
#define HOG_GAP       "1500ms"
#define LOAD_LEAD_NS  (2 * NS_PER_SEC)   /* load runs this long before the doctor */
#define ATTACH_MAX_NS (60 * NS_PER_SEC)  /* the doctor's attach, allowed for in the load */

struct run {
	const char *name;        /* "broken" / "fixed" */
	const char *hog_bin;     /* ksleuth-hog, found by helper_path() */
	const char *hog_mode;    /* ksleuth-hog --mode */
	const char *what;        /* the hog's run, for people */
	struct netbed *nb;
	uint64_t duration_ns;
	bool json;
	bool udp;                /* UDP filler beside the TCP flows */
	const char *record;      /* --record FILE (the broken run only) */
	pid_t hog_pid;           /* while it runs */
	pid_t hog_pid_seen;      /* the hog's pid, kept after it ended */
	int hog_out;             /* the hog's JSON lines (its own clock) */
	char hog_path[64];
	bool failed;
	enum eng_mech want;      /* the mechanism the broken hog stands for */
	bool hog_blamed;         /* an incident named the hog on its CPU */
	struct eng_incident blamed; /* that incident (one with want, if any) */
	struct doctor_result res;
};

/* The hog that stalls packet processing on this kernel. */
enum demo_hog {
	DEMO_HOG_BH,   /* kernel-bh: bottom halves off (6.11+, RT too: their lock) */
	DEMO_HOG_SEED, /* kernel: no reschedule point; softirqs wait for ksoftirqd (< 6.5) */
	DEMO_HOG_FIFO, /* neither is available (6.5-6.10, RT before 6.11) */
};

static enum demo_hog demo_hog_for(const struct kernel_facts *kf)
{
	bool rt = kf->realtime == KF_YES;

	if (kf->softirq == SOFTIRQ_DEFER_KSOFTIRQD && !rt)
		return DEMO_HOG_SEED;
	if (kf->major > 6 || (kf->major == 6 && kf->minor >= 11))
		return DEMO_HOG_BH;
	return DEMO_HOG_FIFO;
}

static void start_hog(struct loop *l, void *arg)
{
	struct run *r = arg;
	char cpu[16], dur[32];

	snprintf(cpu, sizeof(cpu), "%d", r->nb->rx_cpu);
	snprintf(dur, sizeof(dur), "%" PRIu64 "ms",
		 (uint64_t)((r->duration_ns - HOG_DELAY_NS - HOG_TAIL_NS) / NS_PER_MS));
	char *argv[] = { (char *)r->hog_bin, (char *)"--mode", (char *)r->hog_mode, (char *)"-c", cpu,
			 (char *)"--run", (char *)HOG_RUN, (char *)"--gap", (char *)HOG_GAP,
			 (char *)"-d", dur, (char *)"--json", NULL };
	struct spawn_opts so = { .cpus = NULL, .out_fd = r->hog_out, .err_fd = STDERR_FILENO };
	r->hog_pid = spawn_bg(argv, &so);
	if (r->hog_pid < 0) {
		err("cannot start the hog: %s", strerror((int)-r->hog_pid));
		r->hog_pid = 0;
		r->failed = true;
		loop_stop(l);
		return;
	}
	r->hog_pid_seen = r->hog_pid;
}

static void on_ready(struct loop *l, void *arg)
{
	struct run *r = arg;

	if (loop_add_timer(l, HOG_DELAY_NS, 0, start_hog, r) < 0) {
		err("cannot schedule the hog: %s", strerror(errno));
		r->failed = true;
		loop_stop(l);
	}
}

/* The injected incident is explained when the doctor names the hog (its
 * pid, as its own records give it) on the CPU it ran on, with the
 * mechanism that hog stands for. */
static void on_incident(const struct eng_incident *inc, void *arg)
{
	struct run *r = arg;

	if (!r->hog_pid_seen || !inc->verdict.have_culprit || inc->verdict.culprit.pid != r->hog_pid_seen ||
	    inc->verdict.cpu != r->nb->rx_cpu)
		return;
	if (!r->hog_blamed || (r->blamed.verdict.mech != r->want && inc->verdict.mech == r->want))
		r->blamed = *inc;
	r->hog_blamed = true;
}

static void copy_hog_lines(struct run *r)
{
	char buf[4096];
	ssize_t n;

	if (lseek(r->hog_out, 0, SEEK_SET) < 0)
		return;
	fflush(stdout);
	while ((n = read(r->hog_out, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			break;
}

/* One variant: doctor + load + hog. Returns the doctor's exit code, or
 * EXIT_RUNTIME. */
static int demo_run(struct run *r)
{
	struct doctor_opts o;
	int rc;

	snprintf(r->hog_path, sizeof(r->hog_path), "/tmp/ksleuth-demo-hog.XXXXXX");
	r->hog_out = mkstemp(r->hog_path);
	if (r->hog_out < 0) {
		err("cannot create a temporary file in /tmp: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	unlink(r->hog_path);
	if (!r->json)
		printf("\n=== %s run: kernel hog '%s' on CPU %d (%s of work every 2s, %s), %" PRIu64 " s of %s load\n",
		       r->name, r->hog_mode, r->nb->rx_cpu, HOG_RUN, r->what,
		       (uint64_t)(r->duration_ns / NS_PER_SEC), r->udp ? "TCP+UDP" : "TCP");
	fflush(stdout);
	/* the load first: its slow-start ramp (a burst of retransmits in the
	 * first second) is over before the doctor takes its baseline */
	struct netbed_load_opts lo;
	memset(&lo, 0, sizeof(lo));
	lo.tcp_flows = 32;
	lo.udp_bps = 300ULL * 1000 * 1000;
	lo.no_udp = !r->udp;
	/* The doctor's run begins once it is attached, which takes a slow
	 * machine seconds (a TCG guest ~12 s): the load is stopped after the
	 * run, its own bound only covers a demo that is killed. */
	lo.duration_ns = r->duration_ns + LOAD_LEAD_NS + ATTACH_MAX_NS;
	if (netbed_load_start(r->nb, &lo) < 0) {
		close(r->hog_out);
		return EXIT_RUNTIME;
	}
	struct timespec ts = { .tv_sec = LOAD_LEAD_NS / NS_PER_SEC };
	nanosleep(&ts, NULL);
	doctor_opts_default(&o);
	o.duration_ns = r->duration_ns;
	o.json = r->json;
	o.record = r->record;
	o.netns = r->nb->ns_tx;  /* the senders retransmit: their TCP counters */
	o.on_ready = on_ready;
	o.on_incident = on_incident;
	o.arg = r;
	rc = doctor_run(&o, &r->res);
	if (r->hog_pid > 0) {
		spawn_stop(r->hog_pid, 4 * NS_PER_SEC);
		r->hog_pid = 0;
	}
	/* A load that ended early makes the run's numbers meaningless. */
	if (rc != EXIT_RUNTIME && !r->res.interrupted && netbed_load_running(r->nb) < r->nb->nprocs) {
		err("the %s run's load ended before the run did (%s): its numbers do not count", r->name,
		    r->nb->failed[0] ? r->nb->failed : "iperf3 exited");
		r->failed = true;
	}
	netbed_load_stop(r->nb);
	if (r->json)
		copy_hog_lines(r);
	close(r->hog_out);
	if (r->failed)
		return EXIT_RUNTIME;
	return rc;
}

static void side_by_side(const struct run *a, const struct run *b)
{
	unsigned n = a->res.nseconds > b->res.nseconds ? a->res.nseconds : b->res.nseconds;
	int64_t ta = 0, tb = 0;

	printf("\n=== tcp_retransmit_skb per second (hog starts at second %" PRIu64 ")\n",
	       (uint64_t)(HOG_DELAY_NS / NS_PER_SEC + 1));
	printf("%-6s %10s %10s\n", "SECOND", a->name, b->name);
	for (unsigned i = 0; i < n && i < DOCTOR_MAX_SECONDS; i++) {
		char x[24] = "-", y[24] = "-";
		if (i < a->res.nseconds && a->res.retrans[i] >= 0) {
			snprintf(x, sizeof(x), "%" PRId64, a->res.retrans[i]);
			ta += a->res.retrans[i];
		}
		if (i < b->res.nseconds && b->res.retrans[i] >= 0) {
			snprintf(y, sizeof(y), "%" PRId64, b->res.retrans[i]);
			tb += b->res.retrans[i];
		}
		printf("%-6u %10s %10s\n", i + 1, x, y);
	}
	printf("%-6s %10" PRId64 " %10" PRId64 "\n", "total", ta, tb);
}

struct demo_args {
	bool only_broken, only_fixed, json;
	bool broken, fixed;      /* which runs: set from the two above */
	const char *record;      /* --record FILE: the broken run */
	uint64_t duration_ns;
};

static const struct opt demo_opts[] = {
	{ .lname = "broken", OPT_FLAG_AT(struct demo_args, only_broken), .help = "only the broken run" },
	{ .lname = "fixed", OPT_FLAG_AT(struct demo_args, only_fixed), .help = "only the fixed run" },
	{ .lname = "duration", OPT_DURATION_AT(struct demo_args, duration_ns), .arg = "DUR",
	  .min = 10 * NS_PER_SEC, .max = 120 * NS_PER_SEC, .has_def = true, .def = 20 * NS_PER_SEC,
	  .help = "length of each run" },
	OPT_JSON(struct demo_args, json, "the doctor's JSON Lines, then the hog's own records"),
	{ .lname = "record", OPT_STRING_AT(struct demo_args, record), .arg = "FILE",
	  .help = "keep the broken run's evidence in FILE ('ksleuth report FILE' replays it; docs/record.md)" },
	{ 0 }
};

const struct opt_cmd demo_cli = {
	.name = "demo",
	.summary = "reproduce the incident in network namespaces and let the doctor explain it",
	.description =
	"Reproduce the incident and let the doctor explain it, in about a minute.\n"
	"Creates two network namespaces joined by a veth pair (10.201.0.0/30, inside\n"
	"them only), steers receive processing to one CPU, runs 32 TCP flows with\n"
	"iperf3, and while the doctor watches runs a kernel hog on that CPU. Broken:\n"
	"500 ms every 2 s with bottom halves disabled (Linux 6.11 and later, RT too;\n"
	"UDP filler beside TCP); where softirqs wait for a woken ksoftirqd (before\n"
	"6.5, not RT) the seed incident's own loop, no reschedule point and bottom\n"
	"halves on; elsewhere a SCHED_FIFO busy loop. Offloads are off but for the\n"
	"first, so that receive work piles up. Fixed: the same kernel work in 1 ms\n"
	"slices with bottom halves re-enabled and a reschedule offered\n"
	"between them. Then prints retransmits per second of both runs side by side.\n"
	"Everything it creates is removed at the end, also on Ctrl-C.\n",
	.opts = demo_opts,
	.notes =
	"Needs root, BTF, iproute2 and iperf3 (apt-get install iproute2 iperf3).\n"
	"Exit: 0 when the demo went as expected: an incident of the broken run names\n"
	"the hog (its pid, on its CPU) with the mechanism it stands for, and none of\n"
	"the fixed run names it (the host's own cpu_not_running does not count); 0 on\n"
	"Ctrl-C too. 1 when it did not go as expected, or on errors; 2 on bad\n"
	"arguments.\n",
};

/* -1 to go on, else the exit code (--help, bad arguments). */
static int demo_args(int argc, char **argv, struct demo_args *da)
{
	struct opt_result res;
	int rc = cli_parse(&demo_cli, argc, argv, da, &res);

	if (rc != CLI_RUN)
		return rc;
	if (da->only_broken && da->only_fixed)
		return cli_usage_error(&demo_cli, "--broken and --fixed exclude each other; give neither to run both");
	da->broken = !da->only_fixed;
	da->fixed = !da->only_broken;
	return -1;
}

/* What the demo needs of this machine: its tools, the hog, two CPUs,
 * bpf_loop. hog gets the hog's path. */
static int demo_prereqs(const struct kernel_facts *kf, long *ncpu, char *hog, size_t hog_len)
{
	const char *missing = netbed_missing_tools();

	if (missing) {
		err("%s", missing);
		return -1;
	}
	if (helper_path("ksleuth-hog", hog, hog_len) < 0)
		return -1;
	*ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (*ncpu < 2) {
		err("the demo needs two CPUs (one for the load, one to stall); this machine has %ld", *ncpu);
		return -1;
	}
	if (kf->major < 5 || (kf->major == 5 && kf->minor < 17)) {
		err("the demo's kernel hogs, the broken one and the fixed one, spin in bpf_loop (Linux "
		    "5.17), which this kernel (%s) lacks; run 'ksleuth doctor' during a load of your own",
		    kf->release);
		return -1;
	}
	return 0;
}

/* The test bed; with offloads off unless bottom halves are held off:
 * receive work must then pile up for the loss to show. */
static int demo_bed_up(struct netbed *nb, long ncpu, enum demo_hog hog, bool json)
{
	netbed_cleanup(false); /* beds a killed demo left behind */
	if (netbed_up(nb, getpid(), (int)ncpu - 1) < 0)
		return -1;
	if (hog != DEMO_HOG_BH && netbed_offloads_off(nb) < 0) {
		netbed_down(nb);
		return -1;
	}
	if (!json)
		printf("Test bed %s: namespaces %s -> %s, receive processing on CPU %d%s.\n",
		       nb->id, nb->ns_tx, nb->ns_rx, nb->rx_cpu, hog != DEMO_HOG_BH ? ", offloads off" : "");
	return 0;
}

/* The broken run's hog on this kernel, said to people. */
static void broken_hog(struct run *rb, enum demo_hog hog, const struct kernel_facts *kf, bool json)
{
	rb->want = ENG_SOFTIRQ_BLOCKED;
	if (hog == DEMO_HOG_SEED) {
		rb->want = ENG_KSOFTIRQD_STARVED;
		rb->hog_mode = "kernel";
		rb->what = "no reschedule point, bottom halves on";
		if (!json)
			printf("Linux %s leaves softirqs to a woken ksoftirqd: the broken run is the seed incident's "
			       "own loop, a kernel task with no reschedule point.\n", kf->release);
	} else if (hog == DEMO_HOG_FIFO) {
		rb->want = ENG_RT_STARVATION;
		rb->hog_mode = "fifo";
		rb->what = "a SCHED_FIFO busy loop";
		if (!json)
			printf("On Linux %s%s the kernel hog that stalls packet processing cannot run (%s): "
			       "the broken run is a real-time busy loop instead.\n", kf->release,
			       kf->realtime == KF_YES ? " (PREEMPT_RT)" : "",
			       kf->realtime == KF_YES ? "kernel code is preemptible, and BPF test runs hold "
			       "bottom halves off only since 6.11" :
			       "since 6.5 a starved ksoftirqd alone no longer stops packet processing, and BPF "
			       "test runs hold bottom halves off only since 6.11");
	}
}

static bool stop_pending(void)
{
	sigset_t pend;

	sigpending(&pend);
	return sigismember(&pend, SIGINT) || sigismember(&pend, SIGTERM);
}

/* Whether each run went as expected: an incident of the broken one names
 * the hog with its mechanism, none of the fixed one's names it. Says so;
 * EXIT_OK or EXIT_RUNTIME. */
static int demo_verdict(const struct demo_args *da, const struct run *rb, const struct run *rf)
{
	int rc = EXIT_OK;

	if (da->broken && !rb->hog_blamed) {
		err("not reproduced: no incident of the broken run names the hog (pid %d) on CPU %d "
		    "(%u incident%s)", (int)rb->hog_pid_seen, rb->nb->rx_cpu, rb->res.incidents,
		    rb->res.incidents == 1 ? "" : "s");
		rc = EXIT_RUNTIME;
	} else if (da->broken && rb->blamed.verdict.mech != rb->want) {
		err("not explained as expected: the broken run's incident names the hog, but as %s, not %s",
		    eng_mech_name(rb->blamed.verdict.mech), eng_mech_name(rb->want));
		rc = EXIT_RUNTIME;
	}
	if (da->fixed && rf->hog_blamed) {
		err("the doctor blamed the fixed hog (pid %d): %s", (int)rf->hog_pid_seen,
		    eng_mech_name(rf->blamed.verdict.mech));
		rc = EXIT_RUNTIME;
	}
	if (rc == EXIT_OK && da->broken && !da->json)
		printf("\nReproduced and explained: %s names the hog (pid %d) on CPU %d (confidence %s).\n",
		       eng_mech_name(rb->blamed.verdict.mech), (int)rb->hog_pid_seen, rb->blamed.verdict.cpu,
		       rb->blamed.verdict.confidence);
	return rc;
}

static int demo_runs(const struct demo_args *da, struct run *rb, struct run *rf)
{
	bool stopped = false;
	int rc = EXIT_OK;

	if (da->broken) {
		if (demo_run(rb) == EXIT_RUNTIME)
			rc = EXIT_RUNTIME;
		stopped = rb->res.interrupted;
	}
	if (da->fixed && rc != EXIT_RUNTIME && !stopped && !stop_pending()) {
		if (demo_run(rf) == EXIT_RUNTIME)
			rc = EXIT_RUNTIME;
		stopped = rf->res.interrupted;
	}
	if (netbed_down(rb->nb) < 0)
		rc = EXIT_RUNTIME;
	if (stopped || (rc != EXIT_RUNTIME && stop_pending())) {
		if (!da->json)
			printf("\nInterrupted: the test bed is removed.\n");
		return rc;
	}
	if (rc == EXIT_RUNTIME)
		return rc;
	if (!da->json && da->broken && da->fixed) {
		side_by_side(rb, rf);
		printf("\nbroken: %u incident%s%s%s; fixed: %u incident%s.\n", rb->res.incidents,
		       rb->res.incidents == 1 ? "" : "s", rb->res.have_incident ? ", verdict " : "",
		       rb->res.have_incident ? eng_mech_name(rb->res.first.verdict.mech) : "", rf->res.incidents,
		       rf->res.incidents == 1 ? "" : "s");
	}
	return demo_verdict(da, rb, rf);
}

int cmd_demo(int argc, char **argv)
{
	struct demo_args da = { 0 };
	struct kernel_facts kf;
	struct netbed nb;
	sigset_t mask, old;
	char hog_bin[PATH_MAX];
	long ncpu;
	int rc = demo_args(argc, argv, &da);

	if (rc >= 0)
		return rc;
	/* Ctrl-C/SIGTERM: block them for the whole demo; the doctor's loop
	 * takes them while it runs, and between the steps we look for them,
	 * so the namespaces are always removed. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, &old);
	kernel_facts_read(&kf);
	enum demo_hog hog = demo_hog_for(&kf);
	if (demo_prereqs(&kf, &ncpu, hog_bin, sizeof(hog_bin)) < 0 ||
	    demo_bed_up(&nb, ncpu, hog, da.json) < 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		return EXIT_RUNTIME;
	}
	/* With offloads on, TCP's GSO packets alone are too few to overflow
	 * the receive CPU's backlog: UDP fills it. With them off TCP alone
	 * does, and on a slow machine UDP would take the senders' CPU. */
	bool udp = hog == DEMO_HOG_BH;
	struct run rb = { .name = "broken", .hog_bin = hog_bin, .hog_mode = "kernel-bh",
			  .what = "bottom halves off throughout",
			  .nb = &nb, .duration_ns = da.duration_ns, .json = da.json, .udp = udp,
			  .record = da.record };
	struct run rf = { .name = "fixed", .hog_bin = hog_bin, .hog_mode = "kernel-fixed",
			  .what = "in 1ms slices, bottom halves on and a reschedule between them",
			  .nb = &nb, .duration_ns = da.duration_ns, .json = da.json, .udp = udp };
	broken_hog(&rb, hog, &kf, da.json);
	rc = demo_runs(&da, &rb, &rf);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}

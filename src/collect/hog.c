/* hog.c — user side of the hog (see hog.h): load hog.bpf.c, run it with
 * BPF_PROG_TEST_RUN on a pinned CPU, or spin as SCHED_FIFO. Every run is
 * bounded by HOG_RUN_MAX_NS; nothing is attached to the kernel. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "collect/hog.h"
#include "lib/parse.h"
#include "sys/log.h"
#include "sys/sysinfo.h"
#include "sys/loop.h"
#include <linux/types.h>
#include "abi/hog.h"
#include "hog.skel.h"

static const char *const mode_names[] = {
	[HOG_KERNEL] = "kernel",
	[HOG_KERNEL_BH] = "kernel-bh",
	[HOG_KERNEL_FIXED] = "kernel-fixed",
	[HOG_FIFO] = "fifo",
	[HOG_KERNEL_IRQ] = "kernel-irq",
};

const char *hog_mode_name(enum hog_mode m)
{
	return (unsigned)m < sizeof(mode_names) / sizeof(mode_names[0]) ? mode_names[m] : "?";
}

int hog_mode_parse(const char *s, enum hog_mode *out)
{
	for (unsigned i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
		if (!strcmp(s, mode_names[i])) {
			*out = (enum hog_mode)i;
			return 0;
		}
	return -EINVAL;
}

int hog_opts_check(struct hog_opts *o, char *why, size_t n)
{
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	char a[32], b[32];

	if (o->cpu < 0 || o->cpu >= ncpu) {
		snprintf(why, n, "CPU %d does not exist (this machine has CPUs 0-%ld)", o->cpu, ncpu - 1);
		return -EINVAL;
	}
	if (o->run_ns < 1000 || o->run_ns > HOG_RUN_MAX_NS) {
		snprintf(why, n, "a run of %s is outside the allowed 1us..%s: a kernel-side hog "
			 "must never hold a CPU longer than 3 s at a stretch",
			 fmt_duration(o->run_ns, a, sizeof(a)), fmt_duration(HOG_RUN_MAX_NS, b, sizeof(b)));
		return -EINVAL;
	}
	if (o->mode == HOG_KERNEL_IRQ && o->run_ns > HOG_IRQ_RUN_MAX_NS) {
		snprintf(why, n, "a kernel-irq run of %s is longer than the allowed %s: interrupts stay "
			 "off for the whole run", fmt_duration(o->run_ns, a, sizeof(a)),
			 fmt_duration(HOG_IRQ_RUN_MAX_NS, b, sizeof(b)));
		return -EINVAL;
	}
	if (o->total_ns > HOG_TOTAL_MAX_NS) {
		snprintf(why, n, "a total duration of %s is more than the allowed %s",
			 fmt_duration(o->total_ns, a, sizeof(a)), fmt_duration(HOG_TOTAL_MAX_NS, b, sizeof(b)));
		return -EINVAL;
	}
	if (o->total_ns < o->run_ns) {
		snprintf(why, n, "the total duration (%s) is shorter than one run (%s)",
			 fmt_duration(o->total_ns, a, sizeof(a)), fmt_duration(o->run_ns, b, sizeof(b)));
		return -EINVAL;
	}
	if (o->gap_ns < HOG_GAP_MIN_NS) {
		snprintf(why, n, "a gap of %s between runs is less than the minimum 10ms: "
			 "back-to-back runs would hold the CPU longer than one run",
			 fmt_duration(o->gap_ns, a, sizeof(a)));
		return -EINVAL;
	}
	if (!o->slice_ns)
		o->slice_ns = NS_PER_MS;
	if (o->slice_ns < 1000 || o->slice_ns > o->run_ns) {
		snprintf(why, n, "a slice of %s must be between 1us and the run length (%s)",
			 fmt_duration(o->slice_ns, a, sizeof(a)), fmt_duration(o->run_ns, b, sizeof(b)));
		return -EINVAL;
	}
	if (!o->fifo_prio)
		o->fifo_prio = 50;
	if (o->fifo_prio < 1 || o->fifo_prio > 99) {
		snprintf(why, n, "SCHED_FIFO priority %d is outside 1..99", o->fifo_prio);
		return -EINVAL;
	}
	return 0;
}

/* Wait up to ns for stop_fd; true if a stop was requested. */
static bool wait_stop(int stop_fd, uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / NS_PER_SEC), .tv_nsec = (long)(ns % NS_PER_SEC) };
	struct pollfd p = { .fd = stop_fd, .events = POLLIN };

	if (stop_fd < 0) {
		while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
			;
		return false;
	}
	uint64_t end = now_ns() + ns;
	for (;;) {
		int r = ppoll(&p, 1, &ts, NULL);
		if (r > 0)
			return true;
		if (r == 0)
			return false;
		if (errno != EINTR)
			return false;
		uint64_t now = now_ns();
		if (now >= end)
			return false;
		ts.tv_sec = (time_t)((end - now) / NS_PER_SEC);
		ts.tv_nsec = (long)((end - now) % NS_PER_SEC);
	}
}

static int pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0) {
		int e = errno;
		err("cannot pin the hog to CPU %d: %s", cpu, strerror(e));
		return -e;
	}
	return 0;
}

/* Run the BPF spin once; fills r. */
static int run_kernel(struct hog_bpf *skel, const struct hog_opts *o, struct hog_run *r)
{
	/* A minimal Ethernet frame for the tc program (needs >= ETH_HLEN). */
	unsigned char pkt[64] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00 };
	LIBBPF_OPTS(bpf_test_run_opts, topts);
	int fd;

	if (o->mode == HOG_KERNEL || o->mode == HOG_KERNEL_IRQ) {
		fd = bpf_program__fd(o->mode == HOG_KERNEL ? skel->progs.ks_hog_spin : skel->progs.ks_hog_irq);
		skel->bss->slice_ns = 0;
	} else {
		fd = bpf_program__fd(skel->progs.ks_hog_bh);
		topts.data_in = pkt;
		topts.data_size_in = sizeof(pkt);
		if (o->mode == HOG_KERNEL_BH) {
			skel->bss->slice_ns = 0;
			topts.repeat = 1;
		} else {
			skel->bss->slice_ns = o->slice_ns;
			topts.repeat = (__u32)((o->run_ns + o->slice_ns - 1) / o->slice_ns);
		}
	}
	memset(&skel->bss->kstats, 0, sizeof(skel->bss->kstats));
	r->start_ns = now_ns();
	skel->bss->run_end_ns = r->start_ns + o->run_ns;
	int e = bpf_prog_test_run_opts(fd, &topts);
	r->end_ns = now_ns();
	if (e == -EINTR) {
		r->interrupted = true;
	} else if (e < 0) {
		err("running the hog's BPF program failed: %s", strerror(-e));
		return e;
	}
	r->kstart_ns = skel->bss->kstats.first_ns;
	r->kend_ns = skel->bss->kstats.last_ns;
	r->reps = skel->bss->kstats.reps;
	r->max_rep_ns = skel->bss->kstats.max_rep_ns;
	return 0;
}

static int run_fifo(const struct hog_opts *o, struct hog_run *r)
{
	struct sched_param old_param, p = { .sched_priority = o->fifo_prio };
	int old_policy = sched_getscheduler(0);
	volatile uint64_t spins = 0;

	sched_getparam(0, &old_param);
	if (sched_setscheduler(0, SCHED_FIFO, &p) < 0) {
		int e = errno;
		err("cannot switch the hog to SCHED_FIFO priority %d: %s", o->fifo_prio, strerror(e));
		return -e;
	}
	r->start_ns = now_ns();
	uint64_t end = r->start_ns + o->run_ns, t;
	while ((t = now_ns()) < end)
		spins++;
	r->end_ns = t;
	sched_setscheduler(0, old_policy, &old_param);
	r->reps = 1;
	r->max_rep_ns = r->end_ns - r->start_ns;
	return 0;
}

/* The kernel hogs spin in bpf_loop (5.17), --mode kernel and kernel-irq
 * in a BPF syscall program (5.14): say which is missing before a load
 * fails with a bare EINVAL. 0 when this kernel has what mode needs. */
static int hog_kernel_support(enum hog_mode mode)
{
	enum bpf_prog_type type = mode == HOG_KERNEL_BH || mode == HOG_KERNEL_FIXED ?
		BPF_PROG_TYPE_SCHED_CLS : BPF_PROG_TYPE_SYSCALL;

	if (type == BPF_PROG_TYPE_SYSCALL && libbpf_probe_bpf_prog_type(type, NULL) == 0) {
		err("this kernel has no BPF syscall programs (Linux 5.14), which hog --mode %s runs in; "
		    "use --mode fifo for a user-space hog", hog_mode_name(mode));
		return -EOPNOTSUPP;
	}
	if (libbpf_probe_bpf_helper(type, BPF_FUNC_loop, NULL) == 0) {
		err("this kernel has no bpf_loop helper (Linux 5.17), which the kernel hogs spin in; "
		    "use --mode fifo for a user-space hog");
		return -EOPNOTSUPP;
	}
	/* bpf_test_run() wraps a tc program in local_bh_disable() since the
	 * per-task BPF net context (6.11); a 6.1 guest's samples showed
	 * bottom halves on throughout a kernel-bh run, a 6.12 one's off. */
	if (mode == HOG_KERNEL_BH && kernel_older_than(6, 11)) {
		struct utsname u;
		uname(&u);
		err("on Linux before 6.11 a BPF test run keeps bottom halves enabled, so hog --mode kernel-bh "
		    "cannot hold them off on this kernel (%s); --mode kernel holds the CPU with them on",
		    u.release);
		return -EOPNOTSUPP;
	}
	return 0;
}

int hog_run(const struct hog_opts *o, hog_run_cb on_run, void *arg)
{
	struct hog_bpf *skel = NULL;
	cpu_set_t old_set;
	bool have_old_set = sched_getaffinity(0, sizeof(old_set), &old_set) == 0;
	int e = 0;

	if (o->mode != HOG_FIFO) {
		e = hog_kernel_support(o->mode);
		if (e)
			return e;
		skel = hog_bpf__open();
		if (!skel) {
			e = -errno;
			err("cannot open the hog's BPF object: %s", strerror(errno));
			return e;
		}
		bpf_program__set_autoload(skel->progs.ks_hog_spin, o->mode == HOG_KERNEL);
		bpf_program__set_autoload(skel->progs.ks_hog_bh,
					  o->mode == HOG_KERNEL_BH || o->mode == HOG_KERNEL_FIXED);
		bpf_program__set_autoload(skel->progs.ks_hog_irq, o->mode == HOG_KERNEL_IRQ);
		e = hog_bpf__load(skel);
		if (e) {
			err("cannot load the hog's BPF program: %s%s (run with -v to see libbpf's log)",
			    strerror(-e), o->mode == HOG_KERNEL_IRQ ?
			    "; kernel-irq needs the bpf_local_irq_save kfunc of recent kernels" : "");
			hog_bpf__destroy(skel);
			return e;
		}
	}

	uint64_t t0 = now_ns();
	struct hog_run r;
	for (unsigned idx = 1; !o->max_runs || idx <= o->max_runs; idx++) {
		if (now_ns() + o->run_ns > t0 + o->total_ns)
			break;
		if (o->stop_fd >= 0 && wait_stop(o->stop_fd, 0))
			break;
		if ((e = pin(o->cpu)) < 0)
			break;
		memset(&r, 0, sizeof(r));
		r.idx = idx;
		r.cpu = o->cpu;
		r.mode = o->mode;
		r.pid = getpid();
		r.tid = (int)syscall(SYS_gettid);
		e = o->mode == HOG_FIFO ? run_fifo(o, &r) : run_kernel(skel, o, &r);
		if (e < 0)
			break;
		if (on_run)
			on_run(&r, arg);
		if (r.interrupted)
			break;
		if (o->max_runs && idx == o->max_runs)
			break;
		/* No gap after the last run that fits. */
		if (now_ns() + o->gap_ns + o->run_ns > t0 + o->total_ns)
			break;
		if (wait_stop(o->stop_fd, o->gap_ns))
			break;
	}
	if (have_old_set)
		sched_setaffinity(0, sizeof(old_set), &old_set);
	hog_bpf__destroy(skel);
	return e < 0 ? e : 0;
}

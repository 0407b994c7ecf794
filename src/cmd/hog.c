/* hog.c — `ksleuth-hog` (src/hogmain.c): make one CPU busy for bounded runs
 * (a fixture for tests and the demo; not a ksleuth command, see hogmain.c). Prints each run's start/end on CLOCK_MONOTONIC so
 * what other commands report can be checked against the hog's own clock. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>

#include "ksleuth.h"
#include "collect/hog.h"
#include "lib/json.h"
#include "lib/parse.h"
#include "sys/cli.h"
#include "sys/log.h"

struct hog_args {
	struct hog_opts o;
	int mode;
	bool json, verbose;
};

/* in enum hog_mode's order; hog_mode_parse() has the last word */
static const char *const hog_modes[] = { "kernel", "kernel-bh", "kernel-fixed", "fifo", "kernel-irq", NULL };

static const struct opt hog_opts[] = {
	{ .lname = "mode", OPT_CHOICE_AT(struct hog_args, mode), .arg = "MODE", .words = hog_modes,
	  .required = true, .help =
	  "kernel: BPF syscall program via BPF_PROG_TEST_RUN: no preemption, bottom halves enabled\n"
	  "kernel-bh: BPF tc program, one repetition: bottom halves disabled for the whole run "
	  "(the packet-loss case)\n"
	  "kernel-fixed: the same tc program as repetitions of --slice with bottom halves "
	  "re-enabled and a reschedule offered between them (the cond_resched() fix)\n"
	  "fifo: user-space SCHED_FIFO busy loop (RT throttling leaves others 50 ms of every second)\n"
	  "kernel-irq: BPF syscall program with interrupts disabled for the whole run (at most 1s): "
	  "no timer tick either" },
	{ 'c', "cpu", OPT_CPU_AT(struct hog_args, o.cpu), .arg = "CPU", .def_text = "1, or 0 on one CPU",
	  .help = "CPU to pin to before each run" },
	{ .lname = "run", OPT_DURATION_AT(struct hog_args, o.run_ns), .arg = "DUR", .unit_ns = NS_PER_MS,
	  .has_def = true, .def = 500 * NS_PER_MS, .help = "length of one run, at most 3s" },
	{ .lname = "gap", OPT_DURATION_AT(struct hog_args, o.gap_ns), .arg = "DUR", .unit_ns = NS_PER_MS,
	  .has_def = true, .def = 1500 * NS_PER_MS, .help = "sleep between runs, at least 10ms" },
	{ 'd', "duration", OPT_DURATION_AT(struct hog_args, o.total_ns), .arg = "DUR",
	  .has_def = true, .def = 10 * NS_PER_SEC, .help = "total time, at most 120s" },
	{ 'n', "count", OPT_INT_AT(struct hog_args, o.max_runs), .arg = "N", .min = 1, .max = 100000,
	  .help = "stop after N runs" },
	{ .lname = "slice", OPT_DURATION_AT(struct hog_args, o.slice_ns), .arg = "DUR", .unit_ns = NS_PER_MS,
	  .has_def = true, .def = NS_PER_MS, .help = "kernel-fixed: one repetition" },
	{ .lname = "prio", OPT_INT_AT(struct hog_args, o.fifo_prio), .arg = "N", .min = 1, .max = 99,
	  .has_def = true, .def = 50, .help = "fifo: SCHED_FIFO priority 1..99" },
	OPT_JSON(struct hog_args, json, "JSON Lines: {\"type\":\"hog_start\",...}, {\"type\":\"hog_run\",...}"),
	{ 'v', "verbose", OPT_FLAG_AT(struct hog_args, verbose), .help = "show libbpf's log" },
	{ 0 }
};

const struct opt_cmd hog_cli = {
	.name = "hog",
	.prog = "ksleuth-hog",
	.summary = "make a CPU busy for a bounded time (test fixture for the demo and tests)",
	.description =
	"Make one CPU busy for bounded runs, printing each run's start and end\n"
	"(CLOCK_MONOTONIC ns, the clock of bpf_ktime_get_ns).\n",
	.opts = hog_opts,
	.notes =
	"Output: run N cpu C mode M pid P tid T start_ns S end_ns E dur_ns D\n"
	"        kstart_ns KS kend_ns KE reps R max_rep_ns X\n"
	"(kstart/kend: the BPF program's own first and last clock reads; max_rep_ns:\n"
	"the longest stretch without re-enabling bottom halves / offering a reschedule).\n"
	"Ctrl-C or SIGTERM stop after the current run, exit 0. Durations take units\n"
	"(500us, 10ms, 2s). Exit 2 on bad arguments or limits, 1 on runtime errors.\n",
};

struct out {
	bool json;
	struct json j;
};

static void print_run(const struct hog_run *r, void *arg)
{
	struct out *o = arg;

	if (!o->json) {
		printf("run %u cpu %d mode %s pid %d tid %d start_ns %llu end_ns %llu dur_ns %llu "
		       "kstart_ns %llu kend_ns %llu reps %llu max_rep_ns %llu%s\n",
		       r->idx, r->cpu, hog_mode_name(r->mode), r->pid, r->tid,
		       (unsigned long long)r->start_ns, (unsigned long long)r->end_ns,
		       (unsigned long long)(r->end_ns - r->start_ns),
		       (unsigned long long)r->kstart_ns, (unsigned long long)r->kend_ns,
		       (unsigned long long)r->reps, (unsigned long long)r->max_rep_ns,
		       r->interrupted ? " interrupted" : "");
		fflush(stdout);
		return;
	}
	struct json *j = &o->j;
	json_obj_begin(j);
	json_kstr(j, "type", "hog_run");
	json_kuint(j, "run", r->idx);
	json_kint(j, "cpu", r->cpu);
	json_kstr(j, "mode", hog_mode_name(r->mode));
	json_kint(j, "pid", r->pid);
	json_kint(j, "tid", r->tid);
	json_kuint(j, "start_ns", r->start_ns);
	json_kuint(j, "end_ns", r->end_ns);
	json_kuint(j, "dur_ns", r->end_ns - r->start_ns);
	json_kuint(j, "kstart_ns", r->kstart_ns);
	json_kuint(j, "kend_ns", r->kend_ns);
	json_kuint(j, "reps", r->reps);
	json_kuint(j, "max_rep_ns", r->max_rep_ns);
	json_kbool(j, "interrupted", r->interrupted);
	json_obj_end(j);
	json_line_end(j);
}

static void print_start(struct out *out, const struct hog_opts *o)
{
	struct json *j = &out->j;
	int pid = getpid();

	if (!out->json) {
		printf("hog mode %s cpu %d pid %d tid %d run_ns %llu gap_ns %llu total_ns %llu\n",
		       hog_mode_name(o->mode), o->cpu, pid, pid, (unsigned long long)o->run_ns,
		       (unsigned long long)o->gap_ns, (unsigned long long)o->total_ns);
		fflush(stdout);
		return;
	}
	json_obj_begin(j);
	json_kstr(j, "type", "hog_start");
	json_kstr(j, "mode", hog_mode_name(o->mode));
	json_kint(j, "cpu", o->cpu);
	json_kint(j, "pid", pid);
	json_kint(j, "tid", pid);
	json_kuint(j, "run_ns", o->run_ns);
	json_kuint(j, "gap_ns", o->gap_ns);
	json_kuint(j, "total_ns", o->total_ns);
	json_kuint(j, "slice_ns", o->mode == HOG_KERNEL_FIXED ? o->slice_ns : 0);
	json_obj_end(j);
	json_line_end(j);
}

/* SIGINT/SIGTERM: stop after the current run. Blocked, they also do not
 * interrupt a test_run (which would end a kernel-fixed run early). */
static int run(struct hog_opts *o, struct out *out)
{
	struct signalfd_siginfo si;
	sigset_t mask, old;
	int e;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, &old);
	o->stop_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (o->stop_fd < 0) {
		err("cannot create a signalfd: %m");
		return EXIT_RUNTIME;
	}
	json_init(&out->j, stdout);
	print_start(out, o);
	e = hog_run(o, print_run, out);
	/* Consume the signals that asked us to stop, so that unblocking them
	 * does not kill us after a clean stop. */
	while (read(o->stop_fd, &si, sizeof(si)) == sizeof(si))
		;
	close(o->stop_fd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return e < 0 ? EXIT_RUNTIME : EXIT_OK;
}

int cmd_hog(int argc, char **argv)
{
	struct hog_args a = { .o = { .cpu = sysconf(_SC_NPROCESSORS_CONF) > 1 ? 1 : 0, .stop_fd = -1 } };
	struct out out = { 0 };
	struct opt_result res;
	char why[256];
	int rc = cli_parse(&hog_cli, argc, argv, &a, &res);

	if (rc != CLI_RUN)
		return rc;
	opt_verbose = a.verbose;
	if (hog_mode_parse(hog_modes[a.mode], &a.o.mode) < 0) {
		err("hog mode '%s' is not known to the hog", hog_modes[a.mode]);
		return EXIT_RUNTIME;
	}
	if (hog_opts_check(&a.o, why, sizeof(why)))
		return cli_usage_error(&hog_cli, "%s", why);
	out.json = a.json;
	return run(&a.o, &out);
}

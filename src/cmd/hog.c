/* hog.c — `ksleuth hog`: make one CPU busy for bounded runs (a fixture for
 * tests and the demo). Prints each run's start/end on CLOCK_MONOTONIC so
 * what other commands report can be checked against the hog's own clock. */
#define _GNU_SOURCE
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>

#include "ksleuth.h"
#include "collect/hog.h"
#include "lib/json.h"
#include "lib/parse.h"
#include "sys/log.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: ksleuth hog --mode MODE [-c CPU] [--run DUR] [--gap DUR] [-d DUR] [-n COUNT]\n"
"                   [--slice DUR] [--prio N] [--json]\n"
"Make one CPU busy for bounded runs, printing each run's start and end\n"
"(CLOCK_MONOTONIC ns, the clock of bpf_ktime_get_ns).\n"
"  --mode MODE   kernel:       BPF syscall program via BPF_PROG_TEST_RUN: no\n"
"                              preemption, bottom halves enabled\n"
"                kernel-bh:    BPF tc program, one repetition: bottom halves\n"
"                              disabled for the whole run (the packet-loss case)\n"
"                kernel-fixed: the same tc program as repetitions of --slice with\n"
"                              bottom halves re-enabled and a reschedule offered\n"
"                              between them (the cond_resched() fix)\n"
"                fifo:         user-space SCHED_FIFO busy loop (RT throttling\n"
"                              leaves others 50 ms of every second)\n"
"                kernel-irq:   BPF syscall program with interrupts disabled for\n"
"                              the whole run (at most 1s): no timer tick either\n"
"  -c, --cpu CPU      CPU to pin to before each run (default 1, or 0 on one CPU)\n"
"  --run DUR          length of one run, at most 3s (default 500ms)\n"
"  --gap DUR          sleep between runs, at least 10ms (default 1500ms)\n"
"  -d, --duration DUR total time, at most 120s (default 10s)\n"
"  -n, --count N      stop after N runs\n"
"  --slice DUR        kernel-fixed: one repetition (default 1ms)\n"
"  --prio N           fifo: SCHED_FIFO priority 1..99 (default 50)\n"
"  --json             JSON Lines: {\"type\":\"hog_start\",...}, {\"type\":\"hog_run\",...}\n"
"Output: run N cpu C mode M pid P tid T start_ns S end_ns E dur_ns D\n"
"        kstart_ns KS kend_ns KE reps R max_rep_ns X\n"
"(kstart/kend: the BPF program's own first and last clock reads; max_rep_ns:\n"
"the longest stretch without re-enabling bottom halves / offering a reschedule).\n"
"Ctrl-C or SIGTERM stop after the current run, exit 0. Durations take units\n"
"(500us, 10ms, 2s). Exit 2 on bad arguments or limits, 1 on runtime errors.\n");
}

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

static int bad_duration(const char *opt, const char *v)
{
	err("%s '%s' is not a duration; use a number with a unit, e.g. 500ms or 2s", opt, log_arg(v));
	return EXIT_USAGE;
}

int cmd_hog(int argc, char **argv)
{
	enum { O_MODE = 256, O_RUN, O_GAP, O_SLICE, O_PRIO, O_JSON };
	static const struct option lopts[] = {
		{ "mode", required_argument, NULL, O_MODE },
		{ "cpu", required_argument, NULL, 'c' },
		{ "run", required_argument, NULL, O_RUN },
		{ "gap", required_argument, NULL, O_GAP },
		{ "duration", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'n' },
		{ "slice", required_argument, NULL, O_SLICE },
		{ "prio", required_argument, NULL, O_PRIO },
		{ "json", no_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct hog_opts o = {
		.cpu = sysconf(_SC_NPROCESSORS_CONF) > 1 ? 1 : 0,
		.run_ns = 500 * NS_PER_MS,
		.gap_ns = 1500 * NS_PER_MS,
		.total_ns = 10 * NS_PER_SEC,
		.stop_fd = -1,
	};
	struct out out = { 0 };
	bool have_mode = false;
	long v;
	int c;
	char why[256];

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "c:d:n:h", lopts, NULL)) != -1) {
		switch (c) {
		case O_MODE:
			if (hog_mode_parse(optarg, &o.mode)) {
				err("unknown hog mode '%s'; use kernel, kernel-bh, kernel-fixed, kernel-irq or fifo", log_arg(optarg));
				return EXIT_USAGE;
			}
			have_mode = true;
			break;
		case 'c':
			if (parse_int_range(optarg, 0, 4095, &v)) {
				err("-c '%s' is not a CPU number", log_arg(optarg));
				return EXIT_USAGE;
			}
			o.cpu = (int)v;
			break;
		case O_RUN:
			if (parse_duration_ns(optarg, NS_PER_MS, &o.run_ns))
				return bad_duration("--run", optarg);
			break;
		case O_GAP:
			if (parse_duration_ns(optarg, NS_PER_MS, &o.gap_ns))
				return bad_duration("--gap", optarg);
			break;
		case 'd':
			if (parse_duration_ns(optarg, NS_PER_SEC, &o.total_ns))
				return bad_duration("-d", optarg);
			break;
		case 'n':
			if (parse_int_range(optarg, 1, 100000, &v)) {
				err("-n '%s' is not a run count between 1 and 100000", log_arg(optarg));
				return EXIT_USAGE;
			}
			o.max_runs = (unsigned)v;
			break;
		case O_SLICE:
			if (parse_duration_ns(optarg, NS_PER_MS, &o.slice_ns))
				return bad_duration("--slice", optarg);
			break;
		case O_PRIO:
			if (parse_int_range(optarg, 1, 99, &v)) {
				err("--prio '%s' is not a SCHED_FIFO priority between 1 and 99", log_arg(optarg));
				return EXIT_USAGE;
			}
			o.fifo_prio = (int)v;
			break;
		case O_JSON:
			out.json = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			if (optopt && optopt < 256)
				err("option -%c needs a value or is unknown; 'ksleuth hog --help' lists the options", optopt);
			else
				err("unknown or incomplete option '%s'; 'ksleuth hog --help' lists the options",
				    log_arg(argv[optind - 1]));
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		err("unexpected argument '%s'; 'ksleuth hog --help' lists the options", log_arg(argv[optind]));
		return EXIT_USAGE;
	}
	if (!have_mode) {
		err("--mode is required: kernel, kernel-bh, kernel-fixed, kernel-irq or fifo");
		return EXIT_USAGE;
	}
	if (hog_opts_check(&o, why, sizeof(why))) {
		err("%s", why);
		return EXIT_USAGE;
	}

	/* SIGINT/SIGTERM: stop after the current run. Blocked, they also do not
	 * interrupt a test_run (which would end a kernel-fixed run early). */
	sigset_t mask, old;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, &old);
	o.stop_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (o.stop_fd < 0) {
		err("cannot create a signalfd: %m");
		return EXIT_RUNTIME;
	}

	json_init(&out.j, stdout);
	int pid = getpid();
	if (out.json) {
		json_obj_begin(&out.j);
		json_kstr(&out.j, "type", "hog_start");
		json_kstr(&out.j, "mode", hog_mode_name(o.mode));
		json_kint(&out.j, "cpu", o.cpu);
		json_kint(&out.j, "pid", pid);
		json_kint(&out.j, "tid", pid);
		json_kuint(&out.j, "run_ns", o.run_ns);
		json_kuint(&out.j, "gap_ns", o.gap_ns);
		json_kuint(&out.j, "total_ns", o.total_ns);
		json_kuint(&out.j, "slice_ns", o.mode == HOG_KERNEL_FIXED ? o.slice_ns : 0);
		json_obj_end(&out.j);
		json_line_end(&out.j);
	} else {
		printf("hog mode %s cpu %d pid %d tid %d run_ns %llu gap_ns %llu total_ns %llu\n",
		       hog_mode_name(o.mode), o.cpu, pid, pid, (unsigned long long)o.run_ns,
		       (unsigned long long)o.gap_ns, (unsigned long long)o.total_ns);
		fflush(stdout);
	}
	int e = hog_run(&o, print_run, &out);
	/* Consume the signals that asked us to stop, so that unblocking them
	 * does not kill us after a clean stop. */
	struct signalfd_siginfo si;
	while (read(o.stop_fd, &si, sizeof(si)) == sizeof(si))
		;
	close(o.stop_fd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return e < 0 ? EXIT_RUNTIME : EXIT_OK;
}

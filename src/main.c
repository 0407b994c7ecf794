/* main.c — the command table and dispatch. `help`, `--help`, the list of
 * commands and the "did you mean" suggestion all come from commands[]. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksleuth.h"
#include "lib/json.h"
#include "lib/strutil.h"
#include "sys/log.h"
#include "sys/privs.h"
#include "sys/termout.h"

bool opt_verbose;

const struct command commands[] = {
	{ "doctor", cmd_doctor, CMD_NEEDS_BPF | CMD_JSON,
	  "[-d DUR] [--threshold DUR] [--once] [--json] [-C CPUS]",
	  "watch the system and explain network stalls: who stalled which CPU, how, what to change" },
	{ "demo", cmd_demo, CMD_NEEDS_BPF,
	  "[--broken|--fixed] [--duration DUR]",
	  "reproduce the incident in network namespaces and let the doctor explain it" },
	{ "count", cmd_count, CMD_NEEDS_BPF | CMD_JSON,
	  "EVENT... [-i SEC] [-T] [-d DUR] [-p PID] [-C CPUS] [--per-cpu] [--json]",
	  "count kernel events per interval (funccount-style)" },
	{ "runq", cmd_runq, CMD_NEEDS_BPF | CMD_JSON,
	  "[--by cpu|comm|pid] [--comm PREFIX] [-p PID] [-C CPUS] [--slower DUR [--ongoing DUR]] [-i SEC] [-d DUR] [--json]",
	  "scheduling delay: histograms, or slow waits with the tasks that ran instead" },
	{ "softirq", cmd_softirq, CMD_NEEDS_BPF | CMD_JSON,
	  "[--vector LIST] [--slower DUR] [-C CPUS] [-i SEC] [-d DUR] [--json]",
	  "softirq raise-to-run delay and run time per CPU and vector" },
	{ "napi", cmd_napi, CMD_NEEDS_BPF | CMD_JSON,
	  "[--stacks] [-i SEC] [-d DUR] [--json]",
	  "NAPI polls per device and CPU, budget exhaustion, softnet drops" },
	{ "retrans", cmd_retrans, CMD_NEEDS_BPF | CMD_JSON,
	  "[--flows] [-i SEC] [-d DUR] [--json]",
	  "TCP retransmits per interval and per flow, with the kernel's counters" },
	{ "agent", cmd_agent, CMD_NEEDS_BPF,
	  "[--listen ADDR:PORT] [--events FILE]",
	  "run always-on and serve Prometheus metrics" },
	{ "info", cmd_info, CMD_JSON,
	  "[--json]",
	  "kernel facts: preemption model, HZ, BTF, lockdown, working BPF attach types" },
	{ "hog", cmd_hog, CMD_NEEDS_BPF | CMD_JSON,
	  "--mode MODE [-c CPU] [--run DUR] [--gap DUR] [-d DUR] [-n N] [--slice DUR] [--json]",
	  "make a CPU busy for a bounded time (test fixture for the demo and tests)" },
	{ "netbed", cmd_netbed, CMD_HIDDEN | CMD_JSON,
	  "up|load|down|cleanup [ID] [-c CPU] [-d DUR] [-P FLOWS] [--udp RATE] [--all] [--json]",
	  "network test bed: two namespaces, veth, RPS to one CPU, iperf3 load (tests, demo)" },
	{ NULL, NULL, 0, NULL, NULL },
};

const struct command *command_find(const char *name)
{
	for (const struct command *c = commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: ksleuth [-v] COMMAND [OPTIONS]\n\n"
		   "Kernel observability for network stalls: which CPU stalled, who ran\n"
		   "there instead, in what state, and what to change.\n\ncommands:\n");
	for (const struct command *c = commands; c->name; c++) {
		if (c->flags & CMD_HIDDEN)
			continue;
		fprintf(f, "  %-9s %s\n", c->name, c->help);
	}
	fprintf(f, "\n'ksleuth COMMAND --help' shows a command's options.\n"
		   "Options: -v, --verbose  show libbpf's log;  --version\n"
		   "Exit codes: 0 ok, 1 runtime error, 2 usage error, 3 the doctor found a problem.\n"
		   "Most commands load BPF programs: run as root (or with CAP_BPF and CAP_PERFMON).\n");
}

static int suggest(const char *name)
{
	const char *best = NULL;
	int best_d = 1 << 30;

	if (!*name) {
		err("there is no command named ''; 'ksleuth help' lists the commands");
		return EXIT_USAGE;
	}
	for (const struct command *c = commands; c->name; c++) {
		if (c->flags & CMD_HIDDEN)
			continue;
		int d = edit_distance(name, c->name);
		if (d < best_d) {
			best_d = d;
			best = c->name;
		}
	}
	if (best && (best_d <= 2 || strncmp(best, name, strlen(name)) == 0))
		err("unknown command '%s'; did you mean '%s'? ('ksleuth help' lists them)", log_arg(name), best);
	else
		err("unknown command '%s'; 'ksleuth help' lists the commands", log_arg(name));
	return EXIT_USAGE;
}

/* Exit status after writing: stdout must have reached its destination.
 * A closed pipe (`ksleuth count ... | head`) is a normal end, not an error. */
static int finish(int rc)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno == EPIPE)
			return rc;
		err("cannot write the output: %s", strerror(errno));
		return rc ? rc : EXIT_RUNTIME;
	}
	return rc;
}

int main(int argc, char **argv)
{
	int i = 1;

	/* every command's output reaches the terminal with control bytes
	 * visible: task names and log lines can hold escape sequences */
	termout_install();
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			opt_verbose = true;
		} else if (!strcmp(a, "--version") || !strcmp(a, "-V")) {
			printf("ksleuth %s\n", KSLEUTH_VERSION);
			return finish(EXIT_OK);
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return finish(EXIT_OK);
		} else {
			err("unknown option '%s'; 'ksleuth help' lists the options", log_arg(a));
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[i], "help")) {
		if (i + 1 < argc) {
			const struct command *c = command_find(argv[i + 1]);
			if (!c)
				return suggest(argv[i + 1]);
			char *hargv[] = { (char *)c->name, (char *)"--help", NULL };
			return finish(c->fn(2, hargv));
		}
		usage(stdout);
		return finish(EXIT_OK);
	}
	const struct command *c = command_find(argv[i]);
	if (!c)
		return suggest(argv[i]);
	log_init();
	json_set_command(c->name);
	if (c->flags & CMD_NEEDS_BPF) {
		bool asks_help = false;
		for (int k = i + 1; k < argc; k++)
			if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h"))
				asks_help = true;
		if (!asks_help && preflight_bpf(c->name) < 0)
			return EXIT_RUNTIME;
	}
	return finish(c->fn(argc - i, argv + i));
}

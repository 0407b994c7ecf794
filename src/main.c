/* main.c — the command table and dispatch. `help`, `--help`, the list of
 * commands, the "did you mean" suggestion, the man page and the shell
 * completion all come from commands[] and the option tables it points at
 * (lib/opt.h): a synopsis is written once, in its command's table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>
#include <bpf/libbpf_version.h>

#include "ksleuth.h"
#include "lib/strutil.h"
#include "sys/cli.h"
#include "sys/log.h"
#include "sys/termout.h"

bool opt_verbose;

const struct command commands[] = {
	{ &doctor_cli, cmd_doctor, CMD_NEEDS_BPF },
	{ &record_cli, cmd_record, CMD_NEEDS_BPF },
	{ &demo_cli, cmd_demo, CMD_NEEDS_BPF },
	{ &count_cli, cmd_count, CMD_NEEDS_BPF },
	{ &runq_cli, cmd_runq, CMD_NEEDS_BPF },
	{ &softirq_cli, cmd_softirq, CMD_NEEDS_BPF },
	{ &napi_cli, cmd_napi, CMD_NEEDS_BPF },
	{ &retrans_cli, cmd_retrans, CMD_NEEDS_BPF },
	{ &profile_cli, cmd_profile, CMD_NEEDS_BPF },
	{ &agent_cli, cmd_agent, CMD_NEEDS_BPF },
	{ &report_cli, cmd_report, 0 },
	{ &info_cli, cmd_info, 0 },
	{ &netbed_cli, cmd_netbed, CMD_HIDDEN },
	{ &manpage_cli, cmd_manpage, CMD_HIDDEN },
	{ &completion_cli, cmd_completion, CMD_HIDDEN },
	{ NULL, NULL, 0 },
};

struct main_args {
	bool verbose, version;
};

static const struct opt main_opts[] = {
	{ 'v', "verbose", OPT_FLAG_AT(struct main_args, verbose), .help = "show libbpf's log" },
	{ 'V', "version", OPT_FLAG_AT(struct main_args, version), .help = "print the version and exit" },
	{ 0 }
};

static const struct opt_cmd main_cli = {
	.summary = "kernel observability for network stalls",
	.operands = "COMMAND [OPTIONS]",
	.max_operands = -1,
	.opts = main_opts,
	.stop_at_operand = true,
};

static const char *const description[] = {
	"Kernel observability for network stalls: which CPU stalled, who ran\n"
	"there instead, in what state, and what to change.\n",
	"Most commands load BPF programs: run as root (or with CAP_BPF and CAP_PERFMON).\n",
	"Each command has options of its own: 'ksleuth COMMAND --help' lists them.\n",
	NULL,
};

static const struct opt_exit exits[] = {
	{ EXIT_OK, "ok", "The command ran; the doctor found nothing wrong." },
	{ EXIT_RUNTIME, "runtime error", "The command could not do its job: privileges, the kernel, I/O." },
	{ EXIT_USAGE, "usage error", "The command line was wrong; one line on stderr says how." },
	{ EXIT_FOUND, "the doctor found a problem", "The doctor found a problem (an incident or a finding)." },
	{ EXIT_COMMAND_FAILED, "added when the COMMAND after -- failed",
	  "Added to the code when the COMMAND given after -- exited non-zero or was killed: 4 means the "
	  "command ran fine but COMMAND failed, 7 that the doctor found a problem and COMMAND failed." },
	{ 0, NULL, NULL },
};

const struct opt_prog ksleuth_prog = {
	.cmd = &main_cli,
	.paragraphs = description,
	.exits = exits,
	.files = "/sys/kernel/btf/vmlinux\tthe kernel's BTF, which the BPF programs need (CO-RE)\n"
		 "/sys/kernel/tracing\ttracefs: the tracepoints and functions count can name\n",
	.see_also = "bpftool(8), bpftrace(8), perf(1), tc(8)",
	.version = KSLEUTH_VERSION,
};

const struct command *command_find(const char *name)
{
	for (const struct command *c = commands; c->cli; c++)
		if (strcmp(c->cli->name, name) == 0)
			return c;
	return NULL;
}

static void usage(FILE *f)
{
	opt_synopsis(f, &main_cli, "usage: ", 79);
	fprintf(f, "\n%s\ncommands:\n", description[0]);
	for (const struct command *c = commands; c->cli; c++)
		if (!(c->flags & CMD_HIDDEN))
			fprintf(f, "  %-9s %s\n", c->cli->name, c->cli->summary);
	fprintf(f, "\n'ksleuth COMMAND --help' shows a command's options.\n\noptions:\n");
	opt_options(f, &main_cli);
	fprintf(f, "\nExit codes:");
	for (const struct opt_exit *e = exits; e->brief; e++)
		fprintf(f, "%s %d %s", e == exits ? "" : ",", e->code, e->brief);
	fprintf(f, ".\n%s", description[1]);
}

static int suggest(const char *name)
{
	const char *best = NULL;
	int best_d = 1 << 30;

	if (!*name) {
		err("there is no command named ''; 'ksleuth help' lists the commands");
		return EXIT_USAGE;
	}
	for (const struct command *c = commands; c->cli; c++) {
		if (c->flags & CMD_HIDDEN)
			continue;
		int d = edit_distance(name, c->cli->name);
		if (d < best_d) {
			best_d = d;
			best = c->cli->name;
		}
	}
	if (best && (best_d <= 2 || strncmp(best, name, strlen(name)) == 0))
		err("unknown command '%s'; did you mean '%s'? ('ksleuth help' lists them)", log_arg(name), best);
	else
		err("unknown command '%s'; 'ksleuth help' lists the commands", log_arg(name));
	return EXIT_USAGE;
}

/* `ksleuth help [COMMAND]` */
static int help(int nargs, char **args)
{
	if (nargs < 2) {
		usage(stdout);
		return cli_finish(EXIT_OK);
	}
	const struct command *c = command_find(args[1]);
	if (!c)
		return suggest(args[1]);
	char *hargv[] = { (char *)c->cli->name, (char *)"--help", NULL };
	return cli_finish(c->fn(2, hargv));
}

int main(int argc, char **argv)
{
	struct main_args a = { 0 };
	struct opt_result res;
	struct opt_env env = { 0 };

	/* every command's output reaches the terminal with control bytes
	 * visible: task names and log lines can hold escape sequences */
	termout_install();
	switch (opt_parse(&main_cli, argc, argv, &a, &env, &res)) {
	case OPT_HELP:
		usage(stdout);
		return cli_finish(EXIT_OK);
	case OPT_BAD:
		err("%s", res.msg);
		return EXIT_USAGE;
	default:
		break;
	}
	opt_verbose = a.verbose;
	if (a.version) {
		/* the libbpf that runs, and the one the skeletons were built with */
		printf("ksleuth %s (libbpf %u.%u, built with %d.%d)\n", KSLEUTH_VERSION,
		       libbpf_major_version(), libbpf_minor_version(), LIBBPF_MAJOR_VERSION,
		       LIBBPF_MINOR_VERSION);
		return cli_finish(EXIT_OK);
	}
	if (!res.nargs) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(res.args[0], "help"))
		return help(res.nargs, res.args);
	const struct command *c = command_find(res.args[0]);
	if (!c)
		return suggest(res.args[0]);
	return cli_run(c->cli, c->fn, c->flags & CMD_NEEDS_BPF, res.nargs, res.args);
}

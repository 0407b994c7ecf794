/* record.c — `ksleuth record -o FILE`: the doctor, watching quietly and
 * keeping everything its engine is given in FILE (docs/record.md), to be
 * read later by `ksleuth report FILE`. */
#include <stdlib.h>
#include <sys/stat.h>

#include "ksleuth.h"
#include "doctor/watch.h"
#include "sys/cli.h"
#include "sys/log.h"

struct record_args {
	const char *out;
	struct doctor_watch w;
};

static const struct opt record_opts[] = {
	{ 'o', "output", OPT_STRING_AT(struct record_args, out), .arg = "FILE", .min = 1, .required = true,
	  .help = "the recording (gzip; replaced if it exists)" },
	DOCTOR_WATCH_OPTS(struct record_args, w),
	{ 0 }
};

const struct opt_cmd record_cli = {
	.name = "record",
	.summary = "watch as the doctor does, quietly, and keep the evidence in a file for report",
	.description =
	"Run the doctor without its live lines and report, keeping every input its\n"
	"engine gets (per-second counters, stalls with who ran and their stacks,\n"
	"kernel log lines, the kernel's facts) in FILE, flushed every second.\n"
	"'ksleuth report FILE' then prints what the doctor would have said, and\n"
	"draws it (--html, --perfetto, --folded).\n",
	.opts = record_opts,
	.runs_command = true,
	.notes =
	"At the end one line says what was kept. Exit: as the doctor's (0 nothing\n"
	"found, 3 an incident), 1 runtime error, 2 usage error.\n",
};

int cmd_record(int argc, char **argv)
{
	struct record_args a = { 0 };
	struct doctor_result *res = calloc(1, sizeof(*res));
	struct doctor_opts o;
	struct opt_result r;
	struct stat st;
	int rc = res ? cli_parse(&record_cli, argc, argv, &a, &r) : EXIT_RUNTIME;

	if (rc != CLI_RUN || (rc = doctor_watch_apply(&a.w, r.command, &o))) {
		free(res);
		return rc;
	}
	o.record = a.out;
	o.live = o.report = false;
	rc = doctor_run(&o, res);
	if (rc != EXIT_RUNTIME && stat(a.out, &st) == 0)
		info("recorded %.1f s in %s (%lld bytes): %u incidents, %u stalls; 'ksleuth report %s' shows them",
		     (double)res->duration_ns / 1e9, log_arg(a.out), (long long)st.st_size, res->incidents,
		     res->stalls, log_arg(a.out));
	free(res);
	return rc;
}

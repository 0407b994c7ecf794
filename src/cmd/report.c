/* report.c — `ksleuth report FILE`: a recording of `doctor --record`
 * (docs/record.md) replayed through a fresh engine with the doctor's own
 * views: the same incidents, verdicts, stacks and advice as the live run.
 * Reads a file only: no BPF, no privileges. */
#include "ksleuth.h"
#include "doctor/run.h"
#include "sys/cli.h"

struct report_args {
	bool json;
};

static const struct opt report_opts[] = {
	OPT_JSON(struct report_args, json, "the doctor's JSON Lines records (docs/json.md)"),
	{ 0 }
};

const struct opt_cmd report_cli = {
	.name = "report",
	.summary = "replay a recording of the doctor (doctor --record) and print what it found",
	.operands = "FILE",
	.max_operands = 1,
	.description =
	"Replay FILE, written by 'ksleuth doctor --record FILE' or 'ksleuth demo\n"
	"--record FILE', through the doctor's engine: the same incidents, verdicts,\n"
	"stacks and advice as the live run printed, as its final report (text) or\n"
	"its JSON Lines records (--json). A file cut short (a crash, a full disk) or\n"
	"damaged is replayed up to the damage, which is named, and exits 1.\n",
	.opts = report_opts,
	.notes =
	"Exit: 0 the recording had no incident, 3 it had one, 1 the file cannot be\n"
	"read or is damaged (what came before the damage is still reported), 2 usage.\n",
};

int cmd_report(int argc, char **argv)
{
	struct report_args a = { 0 };
	struct opt_result res;
	struct doctor_opts o;
	int rc = cli_parse(&report_cli, argc, argv, &a, &res);

	if (rc != CLI_RUN)
		return rc;
	if (res.nargs != 1)
		return cli_usage_error(&report_cli, "report needs the recording to read: ksleuth report FILE");
	doctor_opts_default(&o);
	o.json = a.json;
	o.live = false;     /* the live lines were the live run's; the report is what stays */
	o.replay = res.args[0];
	return doctor_run(&o, NULL);
}

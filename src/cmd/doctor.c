/* doctor.c — `ksleuth doctor`: the option table in front of the doctor
 * (doctor/run.h: the pipeline, its live lines, the final report and the
 * JSON Lines records). */
#include "ksleuth.h"
#include "doctor/watch.h"
#include "sys/cli.h"

struct doctor_args {
	struct doctor_watch w;
	bool once, json, bpf_stats;
	const char *record;
};

static const struct opt doctor_opts_table[] = {
	DOCTOR_WATCH_OPTS(struct doctor_args, w),
	{ .lname = "once", OPT_FLAG_AT(struct doctor_args, once), .help = "stop after the first incident" },
	OPT_JSON(struct doctor_args, json, "JSON Lines: stall, spike, kmsg, incident, finding, summary"),
	{ .lname = "record", OPT_STRING_AT(struct doctor_args, record), .arg = "FILE",
	  .help = "keep everything the engine is given in FILE (gzip); 'ksleuth report FILE' replays it "
		  "(docs/record.md)" },
	{ .lname = "bpf-stats", OPT_FLAG_AT(struct doctor_args, bpf_stats),
	  .help = "benchmark aid: count the BPF programs' run time while this runs, print it at the end" },
	{ 0 }
};

const struct opt_cmd doctor_cli = {
	.name = "doctor",
	.summary = "watch the system and explain network stalls: who stalled which CPU, how, what to change",
	.description =
	"Watch the system; when the network suffers (TCP retransmits, drops, softirq\n"
	"delay) say which CPU stalled, for how long, who ran there instead and in what\n"
	"state, that task's hottest kernel stack, the kernel facts that matter, matching\n"
	"kernel log lines, and what to change.\n",
	.opts = doctor_opts_table,
	.runs_command = true,
	.notes =
	"A second is a spike when it has at least 50 retransmits (the tracepoint; a busy\n"
	"host's noise reaches ~30) and 10x the median of the last 10 quiet seconds, or\n"
	"100 softnet drops and 10x their median, or NET_RX waited 2x the threshold.\n"
	"Spike seconds (gaps of up to 2 quiet seconds) form an incident, matched with the\n"
	"stalls within +-1s and ranked by what ties them to the loss. Mechanisms:\n"
	"softirq_blocked, ksoftirqd_starved, rt_starvation, not_cpu, cpu_not_running (a\n"
	"busy CPU took no timer interrupt where interrupts were on: the host did not run\n"
	"the vCPU); stalls that did not hurt the network are reported as\n"
	"cpu_stall_no_network_impact.\n"
	"\n"
	"Exit: 0 healthy, 3 an incident was found, 1 runtime error, 2 usage error.\n",
};

int cmd_doctor(int argc, char **argv)
{
	struct doctor_args a = { 0 };
	struct doctor_opts o;
	struct opt_result res;
	int rc = cli_parse(&doctor_cli, argc, argv, &a, &res);

	if (rc != CLI_RUN || (rc = doctor_watch_apply(&a.w, res.command, &o)))
		return rc;
	o.once = a.once;
	o.json = a.json;
	o.bpf_stats = a.bpf_stats;
	o.record = a.record;
	return doctor_run(&o, NULL);
}

/* doctor.c — `ksleuth doctor`: option parsing in front of the doctor
 * (doctor/run.h: the pipeline, its live lines, the final report and the
 * JSON Lines records). */
#include <getopt.h>
#include <bpf/libbpf.h>

#include "ksleuth.h"
#include "doctor/run.h"
#include "lib/liveopt.h"
#include "sys/log.h"
#include "sys/procnet.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: ksleuth doctor [-d DUR] [--threshold DUR] [--once] [--json] [-C CPUS] [--netns NAME]\n"
"                      [--netrx-trace]\n"
"\n"
"Watch the system; when the network suffers (TCP retransmits, drops, softirq\n"
"delay) say which CPU stalled, for how long, who ran there instead and in what\n"
"state, that task's hottest kernel stack, the kernel facts that matter, matching\n"
"kernel log lines, and what to change.\n"
"\n"
"  -d, --duration DUR  stop after DUR (default: until Ctrl-C)\n"
"  --threshold DUR     a CPU held this long is a stall; NET_RX waiting this long\n"
"                      counts as blocked (default 100ms)\n"
"  --once              stop after the first incident\n"
"  --json              JSON Lines: stall, spike, kmsg, incident, finding, summary\n"
"  -C, --cpus CPUS     watch only these CPUs for stalls (e.g. 0-3,6)\n"
"  --netns NAME        count only this network namespace's retransmits (the\n"
"                      tracepoint and its TcpRetransSegs); drops stay per CPU\n"
"  --netrx-trace       time every NET_RX raise->entry (exact delays and p99; costs\n"
"                      ~300 ns per packet burst) instead of watching NET_RX held\n"
"                      off at the scheduler tick (nothing on the packet path; to\n"
"                      about a tick: 4 ms at HZ=250)\n"
"  --bpf-stats         benchmark aid: count the BPF programs' run time while this\n"
"                      runs, print it at the end (bpftool prog show shows it too)\n"
"\n"
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
"Exit: 0 healthy, 3 an incident was found, 1 runtime error, 2 usage error.\n");
}

/* -d, --threshold, -C: 0, or EXIT_USAGE after saying why. */
static int take_value(int c, const char *arg, struct doctor_opts *o)
{
	char msg[160];

	switch (c) {
	case 'd':
		if (parse_duration_ns(arg, NS_PER_SEC, &o->duration_ns) || !o->duration_ns) {
			err("-d '%s' is not a duration such as 30s or 5m", log_arg(arg));
			return EXIT_USAGE;
		}
		return 0;
	case 't':
		if (parse_duration_ns(arg, NS_PER_MS, &o->threshold_ns) ||
		    o->threshold_ns < NS_PER_MS || o->threshold_ns > 10 * NS_PER_SEC) {
			err("--threshold '%s' is not a duration between 1ms and 10s", log_arg(arg));
			return EXIT_USAGE;
		}
		return 0;
	default: /* 'C' */
		if (parse_cpulist(arg, &o->cpus)) {
			err("-C '%s' is not a CPU list such as 0-3,6", log_arg(arg));
			return EXIT_USAGE;
		}
		if (live_cpus_exist(&o->cpus, libbpf_num_possible_cpus(), msg, sizeof(msg)) < 0) {
			err("%s", msg);
			return EXIT_USAGE;
		}
		o->cpus_set = true;
		return 0;
	}
}

int cmd_doctor(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "threshold", required_argument, NULL, 't' },
		{ "once", no_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "cpus", required_argument, NULL, 'C' },
		{ "netns", required_argument, NULL, 'n' },
		{ "bpf-stats", no_argument, NULL, 'B' },
		{ "netrx-trace", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct doctor_opts o;
	uint32_t ino;
	int c;

	doctor_opts_default(&o);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:C:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'd':
		case 't':
		case 'C':
			if (take_value(c, optarg, &o))
				return EXIT_USAGE;
			break;
		case 'o':
			o.once = true;
			break;
		case 'j':
			o.json = true;
			break;
		case 'n':
			o.netns = optarg;
			break;
		case 'B':
			o.bpf_stats = true;
			break;
		case 'N':
			o.netrx_trace = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case ':':
			err("option '%s' needs a value; 'ksleuth doctor --help' lists the options", log_arg(argv[optind - 1]));
			return EXIT_USAGE;
		default:
			err("unknown option '%s'; 'ksleuth doctor --help' lists the options", log_arg(argv[optind - 1]));
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		err("unexpected argument '%s'; 'ksleuth doctor --help' lists the options", log_arg(argv[optind]));
		return EXIT_USAGE;
	}
	if (o.netns && netns_inode(o.netns, &ino) < 0)
		return EXIT_USAGE;
	return doctor_run(&o, NULL);
}

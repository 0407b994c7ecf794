/* netbed.c — `ksleuth netbed up|load|down|cleanup`: the network test bed
 * (sys/netbed.h) for shell tests; hidden from `help`. Only touches the
 * namespaces it names with its prefix. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>

#include "ksleuth.h"
#include "lib/json.h"
#include "lib/parse.h"
#include "sys/log.h"
#include "sys/loop.h"
#include "sys/netbed.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: ksleuth netbed up [-c CPU] [--owner PID] [--no-offloads] [--json]\n"
"       ksleuth netbed load ID [-c CPU] [-d DUR] [-P FLOWS] [--tcp-rate RATE] [--udp RATE]\n"
"                               [--no-tcp] [--no-udp] [--json] [-v]\n"
"       ksleuth netbed down ID\n"
"       ksleuth netbed cleanup [--all]\n"
"A network test bed: namespaces ID-tx and ID-rx joined by veth " NETBED_VETH_TX "/" NETBED_VETH_RX "\n"
"(" NETBED_ADDR_TX " -> " NETBED_ADDR_RX ", /30, only inside them), receive processing of\n"
NETBED_VETH_RX " steered to CPU -c by RPS (default 1, or 0 on one CPU).\n"
"  up       create it; prints its ID (" NETBED_PREFIX "OWNER-N). --owner: the pid whose end makes\n"
"           it a leftover for 'cleanup' (default: the calling process, e.g. the shell);\n"
"           --no-offloads: TSO, GSO and GRO off on both ends (one packet per MTU)\n"
"  load     run iperf3 between them for -d DUR (default 10s, at most 300s): -P TCP\n"
"           flows (default 32) of --tcp-rate bit/s each (default 20M), plus UDP\n"
"           filler at --udp RATE bit/s (default 200M)\n"
"           with a 4 MB send buffer; load processes are kept off CPU -c. Ends them\n"
"           on Ctrl-C/SIGTERM; prints the packets " NETBED_VETH_RX " received\n"
"  down     end every process in both namespaces and remove them\n"
"  cleanup  remove beds whose owner has ended (--all: every " NETBED_PREFIX "* bed)\n"
"Needs root, ip (iproute2) and iperf3 (apt-get install iproute2 iperf3).\n");
}

static int default_cpu(void)
{
	return sysconf(_SC_NPROCESSORS_CONF) > 1 ? 1 : 0;
}

static int parse_rate(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || v <= 0)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': v *= 1e3; end++; break;
	case 'm': case 'M': v *= 1e6; end++; break;
	case 'g': case 'G': v *= 1e9; end++; break;
	}
	if (*end || v > 100e9)
		return -EINVAL;
	*out = (uint64_t)v;
	return 0;
}

struct args {
	int cpu;
	long owner;
	uint64_t dur_ns;
	struct netbed_load_opts lo;
	bool json, all, no_offloads;
	const char *id;
};

static int parse_args(int argc, char **argv, struct args *a)
{
	enum { O_OWNER = 256, O_UDP, O_TCP_RATE, O_NO_TCP, O_NO_UDP, O_JSON, O_ALL, O_NO_OFFLOADS };
	static const struct option lopts[] = {
		{ "cpu", required_argument, NULL, 'c' },
		{ "owner", required_argument, NULL, O_OWNER },
		{ "duration", required_argument, NULL, 'd' },
		{ "parallel", required_argument, NULL, 'P' },
		{ "udp", required_argument, NULL, O_UDP },
		{ "tcp-rate", required_argument, NULL, O_TCP_RATE },
		{ "no-tcp", no_argument, NULL, O_NO_TCP },
		{ "no-udp", no_argument, NULL, O_NO_UDP },
		{ "json", no_argument, NULL, O_JSON },
		{ "all", no_argument, NULL, O_ALL },
		{ "no-offloads", no_argument, NULL, O_NO_OFFLOADS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long v;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "c:d:P:vh", lopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (parse_int_range(optarg, 0, sysconf(_SC_NPROCESSORS_CONF) - 1, &v)) {
				err("-c '%s' is not a CPU of this machine (0-%ld)", log_arg(optarg),
				    sysconf(_SC_NPROCESSORS_CONF) - 1);
				return EXIT_USAGE;
			}
			a->cpu = (int)v;
			break;
		case O_OWNER:
			if (parse_int_range(optarg, 1, 1 << 30, &a->owner)) {
				err("--owner '%s' is not a pid", log_arg(optarg));
				return EXIT_USAGE;
			}
			break;
		case 'd':
			if (parse_duration_ns(optarg, NS_PER_SEC, &a->dur_ns) ||
			    a->dur_ns < NS_PER_SEC || a->dur_ns > NETBED_LOAD_MAX_NS) {
				err("-d '%s' must be a duration between 1s and 300s", log_arg(optarg));
				return EXIT_USAGE;
			}
			break;
		case 'P':
			if (parse_int_range(optarg, 1, 128, &v)) {
				err("-P '%s' must be a number of TCP flows between 1 and 128", log_arg(optarg));
				return EXIT_USAGE;
			}
			a->lo.tcp_flows = (unsigned)v;
			break;
		case O_UDP:
			if (parse_rate(optarg, &a->lo.udp_bps)) {
				err("--udp '%s' is not a bit rate such as 300M or 1G", log_arg(optarg));
				return EXIT_USAGE;
			}
			break;
		case O_TCP_RATE:
			if (parse_rate(optarg, &a->lo.tcp_bps)) {
				err("--tcp-rate '%s' is not a bit rate such as 20M", log_arg(optarg));
				return EXIT_USAGE;
			}
			break;
		case O_NO_TCP: a->lo.no_tcp = true; break;
		case O_NO_UDP: a->lo.no_udp = true; break;
		case O_JSON: a->json = true; break;
		case O_ALL: a->all = true; break;
		case O_NO_OFFLOADS: a->no_offloads = true; break;
		case 'v': a->lo.verbose = true; break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			err("unknown or incomplete option '%s'; 'ksleuth netbed --help' lists the options",
			    log_arg(argv[optind - 1]));
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		a->id = argv[optind++];
	if (optind < argc) {
		err("unexpected argument '%s'", log_arg(argv[optind]));
		return EXIT_USAGE;
	}
	return 0;
}

static void block_signals(sigset_t *mask, sigset_t *old)
{
	sigemptyset(mask);
	sigaddset(mask, SIGINT);
	sigaddset(mask, SIGTERM);
	sigprocmask(SIG_BLOCK, mask, old);
}

static int do_up(struct args *a)
{
	struct netbed nb;
	sigset_t mask, old, pend;

	/* Signals wait until the bed is complete (a fraction of a second);
	 * if one came meanwhile, the bed is removed again. */
	block_signals(&mask, &old);
	if (netbed_up(&nb, (pid_t)(a->owner ? a->owner : getppid()), a->cpu) < 0)
		return EXIT_RUNTIME;
	if (a->no_offloads && netbed_offloads_off(&nb) < 0) {
		netbed_down(&nb);
		return EXIT_RUNTIME;
	}
	sigpending(&pend);
	if (sigismember(&pend, SIGINT) || sigismember(&pend, SIGTERM)) {
		netbed_down(&nb);
		err("interrupted: the test bed was removed again");
		return EXIT_RUNTIME;
	}
	if (a->json) {
		struct json j;
		json_init(&j, stdout);
		json_obj_begin(&j);
		json_kstr(&j, "type", "netbed");
		json_kstr(&j, "id", nb.id);
		json_kstr(&j, "ns_tx", nb.ns_tx);
		json_kstr(&j, "ns_rx", nb.ns_rx);
		json_kstr(&j, "veth_tx", NETBED_VETH_TX);
		json_kstr(&j, "veth_rx", NETBED_VETH_RX);
		json_kstr(&j, "addr_tx", NETBED_ADDR_TX);
		json_kstr(&j, "addr_rx", NETBED_ADDR_RX);
		json_kint(&j, "rx_cpu", nb.rx_cpu);
		json_obj_end(&j);
		json_line_end(&j);
	} else {
		printf("%s ns_tx %s ns_rx %s veth_tx %s veth_rx %s addr_tx %s addr_rx %s rx_cpu %d\n",
		       nb.id, nb.ns_tx, nb.ns_rx, NETBED_VETH_TX, NETBED_VETH_RX,
		       NETBED_ADDR_TX, NETBED_ADDR_RX, nb.rx_cpu);
	}
	return EXIT_OK;
}

static int do_load(struct args *a)
{
	struct netbed nb;
	sigset_t mask, old;
	uint64_t p0 = 0, b0 = 0, p1 = 0, b1 = 0;
	int rc = EXIT_OK;

	if (!a->id) {
		err("'netbed load' needs the test bed's ID, as printed by 'netbed up'");
		return EXIT_USAGE;
	}
	if (a->lo.no_tcp && a->lo.no_udp) {
		err("--no-tcp and --no-udp together leave no load");
		return EXIT_USAGE;
	}
	if (netbed_open(&nb, a->id) < 0)
		return EXIT_RUNTIME;
	nb.rx_cpu = a->cpu;
	a->lo.duration_ns = a->dur_ns;
	block_signals(&mask, &old);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		err("cannot create a signalfd: %m");
		return EXIT_RUNTIME;
	}
	netbed_rx_counters(&nb, &p0, &b0);
	uint64_t t0 = now_ns();
	if (netbed_load_start(&nb, &a->lo) < 0) {
		close(sfd);
		return EXIT_RUNTIME;
	}
	/* iperf3 stops itself after -t; we end whatever still runs 3 s later. */
	uint64_t end = t0 + a->dur_ns + 3 * NS_PER_SEC;
	bool stopped = false;
	while (netbed_load_running(&nb) > 0 && now_ns() < end) {
		struct pollfd p = { .fd = sfd, .events = POLLIN };
		if (poll(&p, 1, 100) > 0) {
			stopped = true;
			break;
		}
	}
	netbed_load_stop(&nb);
	uint64_t t1 = now_ns();
	if (netbed_rx_counters(&nb, &p1, &b1) < 0) {
		warn("cannot read the counters of %s in %s", NETBED_VETH_RX, nb.ns_rx);
		rc = EXIT_RUNTIME;
	}
	if (a->json) {
		struct json j;
		json_init(&j, stdout);
		json_obj_begin(&j);
		json_kstr(&j, "type", "netbed_load");
		json_kstr(&j, "id", nb.id);
		json_kuint(&j, "start_ns", t0);
		json_kuint(&j, "end_ns", t1);
		json_kuint(&j, "rx_packets", p1 - p0);
		json_kuint(&j, "rx_bytes", b1 - b0);
		json_kbool(&j, "interrupted", stopped);
		json_obj_end(&j);
		json_line_end(&j);
	} else {
		printf("load %s start_ns %llu end_ns %llu rx_packets %llu rx_bytes %llu%s\n", nb.id,
		       (unsigned long long)t0, (unsigned long long)t1, (unsigned long long)(p1 - p0),
		       (unsigned long long)(b1 - b0), stopped ? " interrupted" : "");
	}
	struct signalfd_siginfo si;
	while (read(sfd, &si, sizeof(si)) == sizeof(si))
		;
	close(sfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}

int cmd_netbed(int argc, char **argv)
{
	struct args a = { .cpu = default_cpu(), .dur_ns = 10 * NS_PER_SEC };
	const char *verb = argc > 1 ? argv[1] : NULL;

	if (!verb || !strcmp(verb, "-h") || !strcmp(verb, "--help")) {
		usage(verb ? stdout : stderr);
		return verb ? EXIT_OK : EXIT_USAGE;
	}
	int r = parse_args(argc - 1, argv + 1, &a);
	if (r)
		return r < 0 ? EXIT_OK : r;
	if (strcmp(verb, "up") && strcmp(verb, "load") && strcmp(verb, "down") && strcmp(verb, "cleanup")) {
		err("unknown netbed action '%s'; use up, load, down or cleanup", log_arg(verb));
		return EXIT_USAGE;
	}
	if (geteuid() != 0) {
		err("'netbed %s' creates network namespaces and needs root", verb);
		return EXIT_RUNTIME;
	}
	const char *missing = netbed_missing_tools();
	if (missing && strcmp(verb, "cleanup")) {
		err("%s", missing);
		return EXIT_RUNTIME;
	}
	if (!strcmp(verb, "up"))
		return do_up(&a);
	if (!strcmp(verb, "load"))
		return do_load(&a);
	if (!strcmp(verb, "down")) {
		struct netbed nb;
		if (!a.id) {
			err("'netbed down' needs the test bed's ID, as printed by 'netbed up'");
			return EXIT_USAGE;
		}
		if (netbed_open(&nb, a.id) < 0)
			return EXIT_RUNTIME;
		return netbed_down(&nb) < 0 ? EXIT_RUNTIME : EXIT_OK;
	}
	int n = netbed_cleanup(a.all);
	if (n < 0) {
		err("cleanup could not remove every leftover namespace ('ip netns list' shows them)");
		return EXIT_RUNTIME;
	}
	printf("removed %d namespace%s\n", n, n == 1 ? "" : "s");
	return EXIT_OK;
}

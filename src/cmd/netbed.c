/* netbed.c — `ksleuth netbed up|load|down|cleanup`: the network test bed
 * (sys/netbed.h) for shell tests; hidden from `help`. Only touches the
 * namespaces it names with its prefix. */
#define _GNU_SOURCE
#include <errno.h>
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
#include "sys/cli.h"
#include "sys/log.h"
#include "sys/loop.h"
#include "sys/netbed.h"

struct args {
	int cpu;
	long owner;
	uint64_t dur_ns;
	struct netbed_load_opts lo;
	bool json, all, no_offloads;
	const char *id;
};

static const struct opt netbed_opts[] = {
	{ 'c', "cpu", OPT_CPU_AT(struct args, cpu), .arg = "CPU", .def_text = "1, or 0 on one CPU",
	  .help = "up, load: the CPU that RPS steers " NETBED_VETH_RX "'s receive processing to" },
	{ .lname = "owner", OPT_PID_AT(struct args, owner), .arg = "PID", .def_text = "the calling process",
	  .help = "up: the pid whose end makes the bed a leftover for 'cleanup'" },
	{ .lname = "no-offloads", OPT_FLAG_AT(struct args, no_offloads),
	  .help = "up: TSO, GSO and GRO off on both ends (one packet per MTU)" },
	{ 'd', "duration", OPT_DURATION_AT(struct args, dur_ns), .arg = "DUR", .min = NS_PER_SEC,
	  .max = NETBED_LOAD_MAX_NS, .has_def = true, .def = 10 * NS_PER_SEC, .help = "load: how long" },
	{ 'P', "parallel", OPT_INT_AT(struct args, lo.tcp_flows), .arg = "FLOWS", .min = 1, .max = 128,
	  .def_text = "32", .help = "load: TCP flows" },
	{ .lname = "tcp-rate", OPT_RATE_AT(struct args, lo.tcp_bps), .arg = "RATE", .def_text = "20M",
	  .help = "load: bit/s of each TCP flow" },
	{ .lname = "udp", OPT_RATE_AT(struct args, lo.udp_bps), .arg = "RATE", .def_text = "200M",
	  .help = "load: bit/s of UDP filler (4 MB send buffer or the kernel's cap)" },
	{ .lname = "no-tcp", OPT_FLAG_AT(struct args, lo.no_tcp), .help = "load: no TCP flows" },
	{ .lname = "no-udp", OPT_FLAG_AT(struct args, lo.no_udp), .help = "load: no UDP filler" },
	{ 'v', "verbose", OPT_FLAG_AT(struct args, lo.verbose), .help = "load: iperf3's output to stderr" },
	{ .lname = "all", OPT_FLAG_AT(struct args, all), .help = "cleanup: every " NETBED_PREFIX "* bed" },
	OPT_JSON(struct args, json, "up, load: one JSON object"),
	{ 0 }
};

const struct opt_cmd netbed_cli = {
	.name = "netbed",
	.summary = "network test bed: two namespaces, veth, RPS to one CPU, iperf3 load (tests, demo)",
	.operands = "up|load|down|cleanup [ID]",
	.max_operands = 2,
	.description =
	"A network test bed: namespaces ID-tx and ID-rx joined by veth " NETBED_VETH_TX "/" NETBED_VETH_RX "\n"
	"(" NETBED_ADDR_TX " -> " NETBED_ADDR_RX ", /30, only inside them), receive processing of\n"
	NETBED_VETH_RX " steered to CPU -c by RPS.\n"
	"  up       create it; prints its ID (" NETBED_PREFIX "OWNER-N)\n"
	"  load ID  run iperf3 between them for -d DUR; load processes are kept off\n"
	"           CPU -c. Ends them on Ctrl-C/SIGTERM; prints the packets " NETBED_VETH_RX "\n"
	"           received\n"
	"  down ID  end every process in both namespaces and remove them\n"
	"  cleanup  remove beds whose owner has ended\n",
	.opts = netbed_opts,
	.notes = "Needs root, ip (iproute2) and iperf3 (apt-get install iproute2 iperf3).\n",
};

static void block_signals(sigset_t *mask, sigset_t *old)
{
	sigemptyset(mask);
	sigaddset(mask, SIGINT);
	sigaddset(mask, SIGTERM);
	sigprocmask(SIG_BLOCK, mask, old);
}

/* Every record of netbed starts with its type and the bed's ID. */
static void record_begin(struct json *j, const char *type, const struct netbed *nb)
{
	json_init(j, stdout);
	json_obj_begin(j);
	json_kstr(j, "type", type);
	json_kstr(j, "id", nb->id);
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
		record_begin(&j, "netbed", &nb);
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
	netbed_load_running(&nb);
	if (nb.failed[0]) {
		err("%s before the load's end (-v shows its output)", nb.failed);
		rc = EXIT_RUNTIME;
	}
	netbed_load_stop(&nb);
	uint64_t t1 = now_ns();
	if (netbed_rx_counters(&nb, &p1, &b1) < 0) {
		warn("cannot read the counters of %s in %s", NETBED_VETH_RX, nb.ns_rx);
		rc = EXIT_RUNTIME;
	}
	if (a->json) {
		struct json j;
		record_begin(&j, "netbed_load", &nb);
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

static int do_down(struct args *a)
{
	struct netbed nb;

	if (!a->id) {
		err("'netbed down' needs the test bed's ID, as printed by 'netbed up'");
		return EXIT_USAGE;
	}
	if (netbed_open(&nb, a->id) < 0)
		return EXIT_RUNTIME;
	return netbed_down(&nb) < 0 ? EXIT_RUNTIME : EXIT_OK;
}

static int do_cleanup(struct args *a)
{
	int n = netbed_cleanup(a->all);

	if (n < 0) {
		err("cleanup could not remove every leftover namespace ('ip netns list' shows them)");
		return EXIT_RUNTIME;
	}
	printf("removed %d namespace%s\n", n, n == 1 ? "" : "s");
	return EXIT_OK;
}

static const struct {
	const char *verb;
	int (*fn)(struct args *a);
} verbs[] = {
	{ "up", do_up }, { "load", do_load }, { "down", do_down }, { "cleanup", do_cleanup },
};

int cmd_netbed(int argc, char **argv)
{
	struct args a = { .cpu = sysconf(_SC_NPROCESSORS_CONF) > 1 ? 1 : 0 };
	struct opt_result res;
	int rc = cli_parse(&netbed_cli, argc, argv, &a, &res);
	const char *verb;

	if (rc != CLI_RUN)
		return rc;
	if (!(verb = res.nargs ? res.args[0] : NULL)) {
		opt_usage(stderr, &netbed_cli);
		return EXIT_USAGE;
	}
	a.id = res.nargs > 1 ? res.args[1] : NULL;
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++) {
		if (strcmp(verb, verbs[i].verb))
			continue;
		if (geteuid() != 0) {
			err("'netbed %s' creates network namespaces and needs root", verb);
			return EXIT_RUNTIME;
		}
		const char *missing = netbed_missing_tools();
		if (missing && strcmp(verb, "cleanup")) {
			err("%s", missing);
			return EXIT_RUNTIME;
		}
		return verbs[i].fn(&a);
	}
	return cli_usage_error(&netbed_cli, "unknown netbed action '%s': give up, load, down or cleanup",
			       log_arg(verb));
}

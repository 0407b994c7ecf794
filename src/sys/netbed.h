/* netbed.h — a network test bed: two network namespaces joined by a veth
 * pair (addresses only inside them), receive processing of the receiving
 * veth steered to one CPU with RPS, and bounded load between them (many
 * TCP flows plus UDP filler, iperf3). Every process is tracked by pid and
 * ended; namespaces carry the prefix "ksl-" and their owner's pid so that
 * netbed_cleanup() can remove what a dead run left behind. Needs root and
 * the programs ip (iproute2) and iperf3. */
#ifndef SYS_NETBED_H
#define SYS_NETBED_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define NETBED_PREFIX   "ksl-"
#define NETBED_VETH_TX  "ksl-tx"      /* in the sending namespace */
#define NETBED_VETH_RX  "ksl-rx"      /* in the receiving namespace */
#define NETBED_ADDR_TX  "10.201.0.1"  /* /30, inside the namespaces only */
#define NETBED_ADDR_RX  "10.201.0.2"
#define NETBED_PORT_TCP 5201
#define NETBED_PORT_UDP 5202
#define NETBED_LOAD_MAX_NS (300ULL * 1000000000ULL) /* one load: <= 5 min */
#define NETBED_MAX_PROCS 8

struct netbed {
	char id[48];      /* "ksl-<owner pid>-<n>" */
	char ns_tx[56];   /* id + "-tx": the senders (iperf3 clients) */
	char ns_rx[56];   /* id + "-rx": the receivers (iperf3 servers) */
	int rx_cpu;       /* RPS target of NETBED_VETH_RX; -1 when unknown */
	pid_t procs[NETBED_MAX_PROCS]; /* load processes we started */
	const char *what[NETBED_MAX_PROCS]; /* each one's role, for messages */
	int nprocs;
	char failed[80];  /* the first load process that ended in error, said */
};

struct netbed_load_opts {
	unsigned tcp_flows;   /* parallel TCP streams (iperf3 -P), default 32; 0 with no_tcp */
	bool no_tcp;
	uint64_t tcp_bps;     /* per flow (iperf3 -b), default 20 Mbit/s: the senders' CPU
			       * must not saturate, or starved ACK processing makes TCP
			       * send loss probes (spurious retransmits) with no hog at all */
	uint64_t udp_bps;     /* UDP filler bitrate, default 300 Mbit/s; 0 with no_udp */
	bool no_udp;
	uint64_t duration_ns; /* bounded: 1 s .. NETBED_LOAD_MAX_NS (rounded up to s) */
	bool verbose;         /* iperf3's output to our stderr instead of /dev/null */
};

/* Creates the namespaces, the veth pair, addresses, links up, RPS to
 * rx_cpu. owner: the pid whose death makes the bed a leftover (usually
 * getpid()). On failure removes what it created, says why, returns -1. */
int netbed_up(struct netbed *nb, pid_t owner, int rx_cpu);
/* Fills nb for an existing bed made by netbed_up (by id). 0 or -1 (said). */
int netbed_open(struct netbed *nb, const char *id);
/* Starts servers in ns_rx (waits until they listen) and clients in ns_tx,
 * all pinned away from rx_cpu when there is another CPU. 0 or -1 (said);
 * on failure the started processes are ended. */
int netbed_load_start(struct netbed *nb, const struct netbed_load_opts *o);
/* Number of load processes still running (reaps the ended ones; the
 * first that ended with an error or a signal is said in nb->failed,
 * e.g. "iperf3's UDP client exited with status 1"). */
int netbed_load_running(struct netbed *nb);
/* Ends every load process we started (TERM, 1 s grace, KILL). */
void netbed_load_stop(struct netbed *nb);
/* Stops the load, ends any process left inside the namespaces, removes
 * both namespaces (and with them the veth pair). 0 or -1 (said). */
int netbed_down(struct netbed *nb);
/* Removes beds (namespaces named NETBED_PREFIX<pid>-...) whose owner pid
 * is dead, or all of them with all=true. Returns how many namespaces were
 * removed, or -1. */
int netbed_cleanup(bool all);

/* TSO, GSO and GRO off on both veth ends: one packet per MTU, ~30x the
 * packets of the default for the same bytes (~26k/s against ~900/s under
 * QEMU's TCG), enough for receive processing to overflow into ksoftirqd.
 * 0 or -1 (said). */
int netbed_offloads_off(const struct netbed *nb);

/* RX counters of NETBED_VETH_RX, read from /proc/net/dev inside ns_rx
 * (the calling thread enters it briefly with setns). 0 or -errno. */
int netbed_rx_counters(const struct netbed *nb, uint64_t *packets, uint64_t *bytes);

/* Which of ip and iperf3 is missing: NULL when both are found, otherwise
 * a sentence naming the Debian packages to install. */
const char *netbed_missing_tools(void);

#endif

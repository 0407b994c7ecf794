/* netbed.c — the network test bed (see netbed.h): ip and iperf3 by
 * fork/exec, processes tracked by pid, namespaces named with our prefix
 * and owner pid. Touches no address outside its own namespaces and no
 * global sysctl. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "lib/parse.h"
#include "sys/log.h"
#include "sys/loop.h"
#include "sys/netbed.h"
#include "sys/spawn.h"

#define NETNS_DIR "/run/netns"

static int ip(char *errbuf, size_t len, char *const argv[])
{
	int rc = spawn_run(argv, errbuf, len);
	if (rc == 127 || rc == -ENOENT)
		snprintf(errbuf, len, "the 'ip' program is missing (Debian package iproute2)");
	return rc;
}

/* Runs `ip ARGS...`; on failure says what failed and returns -1. */
#define IP(...) do_ip((char *[]){ "ip", __VA_ARGS__, NULL })
static int do_ip(char *argv[])
{
	char e[512];
	int rc = ip(e, sizeof(e), argv);

	if (rc == 0)
		return 0;
	char cmd[256] = "";
	for (int i = 0; argv[i]; i++) {
		strncat(cmd, argv[i], sizeof(cmd) - strlen(cmd) - 2);
		if (argv[i + 1])
			strncat(cmd, " ", sizeof(cmd) - strlen(cmd) - 1);
	}
	err("'%s' failed: %s", cmd, e[0] ? e : "exit status non-zero");
	return -1;
}

static bool netns_exists(const char *name)
{
	char path[128];
	struct stat sb;
	snprintf(path, sizeof(path), NETNS_DIR "/%s", name);
	return stat(path, &sb) == 0;
}

static void names(struct netbed *nb, const char *id)
{
	snprintf(nb->id, sizeof(nb->id), "%s", id);
	snprintf(nb->ns_tx, sizeof(nb->ns_tx), "%s-tx", id);
	snprintf(nb->ns_rx, sizeof(nb->ns_rx), "%s-rx", id);
}

const char *netbed_missing_tools(void)
{
	static char msg[200];
	bool no_ip = spawn_run((char *[]){ "ip", "-V", NULL }, NULL, 0) != 0;
	bool no_iperf = spawn_run((char *[]){ "iperf3", "--version", NULL }, NULL, 0) != 0;

	if (!no_ip && !no_iperf)
		return NULL;
	snprintf(msg, sizeof(msg), "%s%s%s missing: install %s%s%s (apt-get install ...)",
		 no_ip ? "ip" : "", no_ip && no_iperf ? " and " : "", no_iperf ? "iperf3" : "",
		 no_ip ? "iproute2" : "", no_ip && no_iperf ? " and " : "", no_iperf ? "iperf3" : "");
	return msg;
}

/* /sys/class/net/X/queues/rx-0/rps_cpus: hex in comma-separated 32-bit
 * groups, highest first. */
static void rps_mask(int cpu, char *buf, size_t n)
{
	int groups = cpu / 32 + 1;
	size_t off = 0;
	for (int g = groups - 1; g >= 0; g--)
		off += (size_t)snprintf(buf + off, n - off, "%s%08x", g == groups - 1 ? "" : ",",
					g == cpu / 32 ? 1u << (cpu % 32) : 0u);
}

int netbed_up(struct netbed *nb, pid_t owner, int rx_cpu)
{
	char id[48], mask[160], cmd[256];
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);

	memset(nb, 0, sizeof(*nb));
	nb->rx_cpu = rx_cpu;
	if (rx_cpu < 0 || rx_cpu >= ncpu || rx_cpu >= 1024) {
		err("CPU %d does not exist (this machine has CPUs 0-%ld)", rx_cpu, ncpu - 1);
		return -1;
	}
	for (int k = 0;; k++) {
		if (k == 1000) {
			err("cannot find a free test-bed name for owner %d; run 'ksleuth netbed cleanup'", owner);
			return -1;
		}
		snprintf(id, sizeof(id), NETBED_PREFIX "%d-%d", (int)owner, k);
		names(nb, id);
		if (!netns_exists(nb->ns_tx) && !netns_exists(nb->ns_rx))
			break;
	}
	if (IP("netns", "add", nb->ns_tx) < 0)
		goto fail;
	if (IP("netns", "add", nb->ns_rx) < 0)
		goto fail;
	/* Both ends are created directly inside the namespaces: nothing
	 * appears in the caller's namespace, not even for a moment. */
	if (IP("-n", nb->ns_tx, "link", "add", NETBED_VETH_TX, "type", "veth",
	       "peer", "name", NETBED_VETH_RX, "netns", nb->ns_rx) < 0)
		goto fail;
	if (IP("-n", nb->ns_tx, "addr", "add", NETBED_ADDR_TX "/30", "dev", NETBED_VETH_TX) < 0 ||
	    IP("-n", nb->ns_rx, "addr", "add", NETBED_ADDR_RX "/30", "dev", NETBED_VETH_RX) < 0 ||
	    IP("-n", nb->ns_tx, "link", "set", "lo", "up") < 0 ||
	    IP("-n", nb->ns_rx, "link", "set", "lo", "up") < 0 ||
	    IP("-n", nb->ns_tx, "link", "set", NETBED_VETH_TX, "up") < 0 ||
	    IP("-n", nb->ns_rx, "link", "set", NETBED_VETH_RX, "up") < 0)
		goto fail;
	/* RPS: packets the veth receives are queued to rx_cpu's backlog and
	 * processed there by NET_RX. sysfs is per namespace: `ip netns exec`
	 * mounts the namespace's own /sys for the shell. */
	rps_mask(rx_cpu, mask, sizeof(mask));
	snprintf(cmd, sizeof(cmd), "echo %s > /sys/class/net/" NETBED_VETH_RX "/queues/rx-0/rps_cpus", mask);
	if (IP("netns", "exec", nb->ns_rx, "sh", "-c", cmd) < 0)
		goto fail;
	return 0;
fail:
	netbed_down(nb);
	return -1;
}

int netbed_open(struct netbed *nb, const char *id)
{
	memset(nb, 0, sizeof(*nb));
	nb->rx_cpu = -1;
	if (strncmp(id, NETBED_PREFIX, strlen(NETBED_PREFIX)) || strchr(id, '/') ||
	    strlen(id) >= sizeof(nb->id)) {
		err("'%s' is not a test-bed name (they look like " NETBED_PREFIX "PID-N, as printed by 'netbed up')", log_arg(id));
		return -1;
	}
	names(nb, id);
	if (!netns_exists(nb->ns_tx) || !netns_exists(nb->ns_rx)) {
		err("test bed '%s' not found: namespaces %s and %s do not both exist ('ip netns list')",
		    log_arg(id), nb->ns_tx, nb->ns_rx);
		return -1;
	}
	return 0;
}

/* Does a process (in its namespace) listen on TCP port? */
static bool listening(pid_t pid, int port)
{
	static const char *const files[] = { "tcp", "tcp6" };
	char path[64], line[512], want[16];

	snprintf(want, sizeof(want), ":%04X", port);
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "/proc/%d/net/%s", (int)pid, files[i]);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			char local[64], remote[64], st[8];
			if (sscanf(line, " %*s %63s %63s %7s", local, remote, st) == 3 &&
			    !strcmp(st, "0A") && strstr(local, want) &&
			    strlen(strstr(local, want)) == strlen(want)) {
				fclose(f);
				return true;
			}
		}
		fclose(f);
	}
	return false;
}

static pid_t start(struct netbed *nb, const char *what, char *const argv[], const struct cpuset *cpus,
		   bool verbose)
{
	struct spawn_opts so = { .cpus = cpus, .out_fd = verbose ? 2 : -1, .err_fd = verbose ? 2 : -1 };

	if (nb->nprocs >= NETBED_MAX_PROCS)
		return -ENOSPC;
	pid_t pid = spawn_bg(argv, &so);
	if (pid > 0) {
		nb->what[nb->nprocs] = what;
		nb->procs[nb->nprocs++] = pid;
	} else {
		err("cannot start '%s': %s", argv[0], strerror(-pid));
	}
	return pid;
}

static int wait_listen(struct netbed *nb, pid_t pid, int port)
{
	uint64_t end = now_ns() + 5 * NS_PER_SEC;
	int st;

	while (now_ns() < end) {
		if (!spawn_alive(pid, &st)) {
			err("iperf3 server on port %d in %s ended at once (status %d): is iperf3 installed "
			    "(Debian package iperf3)? 'ksleuth netbed load -v' shows its output", port, nb->ns_rx, st);
			return -1;
		}
		if (listening(pid, port))
			return 0;
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	err("iperf3 server on port %d in %s did not listen within 5 s", port, nb->ns_rx);
	return -1;
}

/* An iperf3 server for one test in ns_rx; returns once it listens. */
static int start_server(struct netbed *nb, const char *what, char *port, int port_nr,
			const struct cpuset *cpus, bool verbose)
{
	pid_t pid = start(nb, what, (char *[]){ "ip", "netns", "exec", nb->ns_rx, "iperf3", "-s", "-1",
						"-B", NETBED_ADDR_RX, "-p", port, NULL }, cpus, verbose);

	return pid < 0 ? -1 : wait_listen(nb, pid, port_nr);
}

/* The UDP filler's iperf3 window: 4 MB, or less where the kernel caps
 * socket buffers lower. iperf3 sets -w as SO_SNDBUF and SO_RCVBUF and
 * exits ("socket buffer size not set correctly") when granted less; the
 * kernel grants at most twice net.core.wmem_max/rmem_max (212992 on a
 * default host), so a window no larger than either is always granted. */
static unsigned long udp_window(void)
{
	static const char *const caps[] = { "/proc/sys/net/core/wmem_max", "/proc/sys/net/core/rmem_max" };
	unsigned long w = 4UL << 20;

	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		FILE *f = fopen(caps[i], "r");
		unsigned long m;
		if (!f)
			continue;
		if (fscanf(f, "%lu", &m) == 1 && m < w)
			w = m;
		fclose(f);
	}
	return w;
}

int netbed_load_start(struct netbed *nb, const struct netbed_load_opts *lo)
{
	struct netbed_load_opts o = *lo;
	struct cpuset cpus = { 0 };
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	char port_t[8], port_u[8], secs[16], flows[16], rate[32], trate[32], win[24];

	if (!o.tcp_flows)
		o.tcp_flows = 32;
	if (!o.udp_bps)
		o.udp_bps = 200ULL * 1000 * 1000;
	if (!o.tcp_bps)
		o.tcp_bps = 20ULL * 1000 * 1000;
	nb->failed[0] = '\0';
	if (o.duration_ns < NS_PER_SEC || o.duration_ns > NETBED_LOAD_MAX_NS) {
		err("a load must last between 1 s and 300 s");
		return -1;
	}
	if (o.tcp_flows > 128) {
		err("at most 128 TCP flows (iperf3 -P)");
		return -1;
	}
	/* Load processes run away from the receive CPU, so that it does
	 * nothing but receive processing (and whatever hog the test puts there). */
	for (int c = 0; c < ncpu && c < CPUSET_MAX; c++)
		if (c != nb->rx_cpu || ncpu == 1)
			cpuset_add(&cpus, (unsigned)c);
	snprintf(secs, sizeof(secs), "%llu", (unsigned long long)((o.duration_ns + NS_PER_SEC - 1) / NS_PER_SEC));
	snprintf(flows, sizeof(flows), "%u", o.tcp_flows);
	snprintf(rate, sizeof(rate), "%llu", (unsigned long long)o.udp_bps);
	snprintf(trate, sizeof(trate), "%llu", (unsigned long long)o.tcp_bps);
	snprintf(win, sizeof(win), "%lu", udp_window());
	snprintf(port_t, sizeof(port_t), "%d", NETBED_PORT_TCP);
	snprintf(port_u, sizeof(port_u), "%d", NETBED_PORT_UDP);

	/* `ip netns exec` enters the namespace and execs iperf3 in the same
	 * process: the pid we track is iperf3's. -1: one test, then exit. */
	if (!o.no_tcp && start_server(nb, "TCP server", port_t, NETBED_PORT_TCP, &cpus, o.verbose) < 0)
		goto fail;
	if (!o.no_udp && start_server(nb, "UDP server", port_u, NETBED_PORT_UDP, &cpus, o.verbose) < 0)
		goto fail;
	if (!o.no_tcp &&
	    start(nb, "TCP client",
		  (char *[]){ "ip", "netns", "exec", nb->ns_tx, "iperf3", "-c", NETBED_ADDR_RX,
			      "-p", port_t, "-P", flows, "-b", trate, "-t", secs, NULL }, &cpus, o.verbose) < 0)
		goto fail;
	/* UDP filler: a large send buffer (-w) keeps the sender writing while
	 * the receive CPU stalls, so its backlog overflows (docs/kernel-facts.md). */
	if (!o.no_udp &&
	    start(nb, "UDP client",
		  (char *[]){ "ip", "netns", "exec", nb->ns_tx, "iperf3", "-c", NETBED_ADDR_RX,
			      "-p", port_u, "-u", "-b", rate, "-w", win, "-t", secs, NULL }, &cpus, o.verbose) < 0)
		goto fail;
	return 0;
fail:
	netbed_load_stop(nb);
	return -1;
}

int netbed_load_running(struct netbed *nb)
{
	int n = 0, st = 0;

	for (int i = 0; i < nb->nprocs; i++) {
		if (nb->procs[i] <= 0)
			continue;
		if (spawn_alive(nb->procs[i], &st)) {
			n++;
			continue;
		}
		nb->procs[i] = 0;
		if (nb->failed[0] || (WIFEXITED(st) && WEXITSTATUS(st) == 0))
			continue;
		if (WIFEXITED(st))
			snprintf(nb->failed, sizeof(nb->failed), "iperf3's %s exited with status %d", nb->what[i],
				 WEXITSTATUS(st));
		else
			snprintf(nb->failed, sizeof(nb->failed), "iperf3's %s was killed by signal %d", nb->what[i],
				 WTERMSIG(st));
	}
	return n;
}

void netbed_load_stop(struct netbed *nb)
{
	/* Clients first (they would report the servers' end as errors). */
	for (int i = nb->nprocs - 1; i >= 0; i--)
		if (nb->procs[i] > 0)
			kill(nb->procs[i], SIGTERM);
	for (int i = nb->nprocs - 1; i >= 0; i--)
		if (nb->procs[i] > 0)
			spawn_stop(nb->procs[i], NS_PER_SEC);
	nb->nprocs = 0;
}

static int count_netns_procs(const struct stat *ns)
{
	char path[320];
	struct stat ps;
	struct dirent *e;
	int n = 0;
	DIR *d = opendir("/proc");

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", e->d_name);
		if (stat(path, &ps) == 0 && ps.st_ino == ns->st_ino && ps.st_dev == ns->st_dev)
			n++;
	}
	closedir(d);
	return n;
}

/* Ends every process whose network namespace is /run/netns/NAME (only our
 * own namespaces are ever passed here). */
static int kill_netns_procs(const char *name)
{
	char path[320];
	struct stat ns, ps;
	int n = 0;

	snprintf(path, sizeof(path), NETNS_DIR "/%s", name);
	if (stat(path, &ns) < 0)
		return 0;
	for (int round = 0; round < 2; round++) {
		DIR *d = opendir("/proc");
		struct dirent *e;
		if (!d)
			return -1;
		while ((e = readdir(d))) {
			if (!isdigit((unsigned char)e->d_name[0]))
				continue;
			snprintf(path, sizeof(path), "/proc/%s/ns/net", e->d_name);
			if (stat(path, &ps) < 0 || ps.st_ino != ns.st_ino || ps.st_dev != ns.st_dev)
				continue;
			pid_t pid = (pid_t)atoi(e->d_name);
			kill(pid, round == 0 ? SIGTERM : SIGKILL);
			if (round == 0)
				n++;
		}
		closedir(d);
		if (round == 0 && n) {
			struct timespec ts = { 0, 300 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		} else if (round == 0) {
			break;
		}
	}
	/* SIGKILL takes effect asynchronously: wait (<= 2 s) until none is left. */
	for (int i = 0; n && i < 100 && count_netns_procs(&ns) > 0; i++) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return n;
}

static int del_netns(const char *name)
{
	char e[512];

	if (!netns_exists(name))
		return 0;
	kill_netns_procs(name);
	int rc = ip(e, sizeof(e), (char *[]){ "ip", "netns", "del", (char *)name, NULL });
	if (rc != 0 && netns_exists(name)) {
		err("cannot remove network namespace %s: %s", name, e[0] ? e : "ip netns del failed");
		return -1;
	}
	return 0;
}

int netbed_down(struct netbed *nb)
{
	int rc = 0;

	netbed_load_stop(nb);
	if (nb->ns_tx[0] && del_netns(nb->ns_tx) < 0)
		rc = -1;
	if (nb->ns_rx[0] && del_netns(nb->ns_rx) < 0)
		rc = -1;
	return rc;
}

int netbed_cleanup(bool all)
{
	DIR *d = opendir(NETNS_DIR);
	struct dirent *e;
	int removed = 0, rc = 0;

	if (!d)
		return errno == ENOENT ? 0 : -1;
	while ((e = readdir(d))) {
		const char *n = e->d_name;
		size_t pl = strlen(NETBED_PREFIX);
		if (strncmp(n, NETBED_PREFIX, pl) || !isdigit((unsigned char)n[pl]))
			continue;
		pid_t owner = (pid_t)atoi(n + pl);
		if (!all && owner > 0 && (kill(owner, 0) == 0 || errno == EPERM))
			continue; /* its owner still runs: not a leftover */
		if (del_netns(n) == 0)
			removed++;
		else
			rc = -1;
	}
	closedir(d);
	return rc < 0 && !removed ? -1 : removed;
}

/* A socket of namespace ns (the calling thread enters it for the
 * socket() call only): ioctls on it act in that namespace. -errno. */
static int netns_socket(const char *ns)
{
	char path[128];
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC), fd = -EINVAL;

	snprintf(path, sizeof(path), NETNS_DIR "/%s", ns);
	int target = open(path, O_RDONLY | O_CLOEXEC);
	if (self < 0 || target < 0) {
		fd = -errno;
	} else if (setns(target, CLONE_NEWNET) < 0) {
		fd = -errno;
	} else {
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			fd = -errno;
		if (setns(self, CLONE_NEWNET) < 0 && fd >= 0) {
			close(fd); /* cannot happen for root; never stay in the bed */
			fd = -errno;
		}
	}
	if (self >= 0)
		close(self);
	if (target >= 0)
		close(target);
	return fd;
}

int netbed_offloads_off(const struct netbed *nb)
{
	/* the legacy ethtool commands: no feature-name table needed */
	static const __u32 cmds[] = { ETHTOOL_STSO, ETHTOOL_SGSO, ETHTOOL_SGRO };
	const char *ends[][2] = { { nb->ns_tx, NETBED_VETH_TX }, { nb->ns_rx, NETBED_VETH_RX } };

	for (unsigned i = 0; i < 2; i++) {
		int fd = netns_socket(ends[i][0]);
		if (fd < 0) {
			err("cannot enter namespace %s: %s", ends[i][0], strerror(-fd));
			return -1;
		}
		for (unsigned c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
			struct ethtool_value v = { .cmd = cmds[c], .data = 0 };
			struct ifreq ifr;
			memset(&ifr, 0, sizeof(ifr));
			snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ends[i][1]);
			ifr.ifr_data = (void *)&v;
			if (ioctl(fd, SIOCETHTOOL, &ifr) < 0) {
				err("cannot turn offloads off on %s in %s: %s", ends[i][1], ends[i][0],
				    strerror(errno));
				close(fd);
				return -1;
			}
		}
		close(fd);
	}
	return 0;
}

int netbed_rx_counters(const struct netbed *nb, uint64_t *packets, uint64_t *bytes)
{
	char path[128], line[512];
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC), e = 0;

	snprintf(path, sizeof(path), NETNS_DIR "/%s", nb->ns_rx);
	int target = open(path, O_RDONLY | O_CLOEXEC);
	if (self < 0 || target < 0) {
		e = -errno;
		goto out;
	}
	if (setns(target, CLONE_NEWNET) < 0) {
		e = -errno;
		goto out;
	}
	FILE *f = fopen("/proc/thread-self/net/dev", "r");
	if (setns(self, CLONE_NEWNET) < 0)
		e = -errno; /* cannot happen for root; reported anyway */
	if (!f) {
		e = e ? e : -ENOENT;
		goto out;
	}
	e = -ENOENT;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = 0;
		char *name = line;
		while (*name == ' ')
			name++;
		if (strcmp(name, NETBED_VETH_RX))
			continue;
		unsigned long long b, p;
		if (sscanf(colon + 1, "%llu %llu", &b, &p) == 2) {
			*bytes = b;
			*packets = p;
			e = 0;
		}
	}
	fclose(f);
out:
	if (self >= 0)
		close(self);
	if (target >= 0)
		close(target);
	return e;
}

/* procnet.c — read /proc/net/softnet_stat, /proc/net/{snmp,netstat} (of a
 * chosen network namespace) and /proc/softirqs; parsing is lib/procnet.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "sys/log.h"
#include "sys/procnet.h"

int proc_read_fd(int fd, char *buf, size_t size)
{
	size_t len = 0;

	while (len + 1 < size) {
		ssize_t n = pread(fd, buf + len, size - 1 - len, (off_t)len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return (int)len;
}

int proc_read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -errno;
	rc = proc_read_fd(fd, buf, size);
	close(fd);
	return rc;
}

int softnet_read(struct softnet_row *rows, int max)
{
	static char buf[1 << 17];
	int n = proc_read_text("/proc/net/softnet_stat", buf, sizeof(buf));

	if (n < 0) {
		err("cannot read /proc/net/softnet_stat: %s", strerror(-n));
		return n;
	}
	n = softnet_parse(buf, rows, max);
	if (n < 0)
		err("cannot parse /proc/net/softnet_stat: unexpected layout");
	return n;
}

int softirqs_read(struct softirq_counts *c)
{
	static char buf[1 << 18];
	int n = proc_read_text("/proc/softirqs", buf, sizeof(buf));

	if (n < 0) {
		err("cannot read /proc/softirqs: %s", strerror(-n));
		return n;
	}
	if (softirqs_parse(buf, c) < 0) {
		err("cannot parse /proc/softirqs: unexpected layout");
		return -EINVAL;
	}
	return 0;
}

/* /var/run/netns/NAME into path, or -1 said for a name that is no plain
 * file name there. */
static int netns_path(const char *netns, char *path, size_t n)
{
	if (strchr(netns, '/') || !*netns || !strcmp(netns, ".") || !strcmp(netns, "..")) {
		err("bad network namespace name '%s': give a name from 'ip netns list'", log_arg(netns));
		return -1;
	}
	snprintf(path, n, "/var/run/netns/%s", netns);
	return 0;
}

int netns_inode(const char *netns, uint32_t *ino)
{
	char path[512];
	struct stat sb;

	if (netns_path(netns, path, sizeof(path)) < 0)
		return -1;
	if (stat(path, &sb) < 0) {
		err("network namespace '%s' not found (%s): see 'ip netns list'", log_arg(netns), strerror(errno));
		return -1;
	}
	*ino = (uint32_t)sb.st_ino;
	return 0;
}

int tcp_mib_open(struct tcp_mib_src *s, const char *netns)
{
	int self = -1, target = -1, rc = -1;

	s->snmp_fd = s->netstat_fd = -1;
	if (netns) {
		char path[512];
		if (netns_path(netns, path, sizeof(path)) < 0)
			return -1;
		target = open(path, O_RDONLY | O_CLOEXEC);
		if (target < 0) {
			err("network namespace '%s' not found (%s): see 'ip netns list'", log_arg(netns), strerror(errno));
			return -1;
		}
		self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (self < 0 || setns(target, CLONE_NEWNET) < 0) {
			err("cannot enter network namespace '%s': %s", log_arg(netns), strerror(errno));
			goto out;
		}
	}
	/* /proc/self/net resolves to the namespace we are in at open time */
	s->snmp_fd = open("/proc/self/net/snmp", O_RDONLY | O_CLOEXEC);
	s->netstat_fd = open("/proc/self/net/netstat", O_RDONLY | O_CLOEXEC);
	if (s->snmp_fd < 0 || s->netstat_fd < 0)
		err("cannot open /proc/net/snmp and /proc/net/netstat: %s", strerror(errno));
	else
		rc = 0;
	if (netns && setns(self, CLONE_NEWNET) < 0) {
		err("cannot return to our network namespace: %s", strerror(errno));
		rc = -1;
	}
out:
	if (self >= 0)
		close(self);
	if (target >= 0)
		close(target);
	if (rc < 0)
		tcp_mib_close(s);
	return rc;
}

int tcp_mib_read(struct tcp_mib_src *s, struct tcp_mib *m)
{
	static char buf[1 << 16];
	int n;

	memset(m, 0, sizeof(*m));
	n = proc_read_fd(s->snmp_fd, buf, sizeof(buf));
	if (n < 0 || mib_get(buf, "Tcp", "RetransSegs", &m->retrans_segs) < 0) {
		err("cannot read Tcp RetransSegs from /proc/net/snmp");
		return -1;
	}
	n = proc_read_fd(s->netstat_fd, buf, sizeof(buf));
	if (n < 0) {
		err("cannot read /proc/net/netstat: %s", strerror(-n));
		return -1;
	}
	/* absent on some kernels: stay 0 */
	mib_get(buf, "TcpExt", "TCPTimeouts", &m->timeouts);
	mib_get(buf, "TcpExt", "TCPLostRetransmit", &m->lost_retransmit);
	mib_get(buf, "TcpExt", "TCPSpuriousRTOs", &m->spurious_rtos);
	return 0;
}

void tcp_mib_close(struct tcp_mib_src *s)
{
	if (s->snmp_fd >= 0)
		close(s->snmp_fd);
	if (s->netstat_fd >= 0)
		close(s->netstat_fd);
	s->snmp_fd = s->netstat_fd = -1;
}

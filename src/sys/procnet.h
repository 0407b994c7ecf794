/* procnet.h — thin readers for the kernel's network and softirq counters
 * (/proc/net/softnet_stat, /proc/net/snmp + netstat, /proc/softirqs); the
 * parsing is in lib/procnet.h. The TCP counters are per network namespace:
 * tcp_mib_open() can read those of a named namespace (ip netns). */
#ifndef SYS_PROCNET_H
#define SYS_PROCNET_H
#include <stdint.h>
#include "lib/procnet.h"

/* Reads a whole (small) /proc file into buf, NUL-terminated. Returns the
 * length or -errno. */
int proc_read_text(const char *path, char *buf, size_t size);
/* Same from an open fd, from offset 0 (pread). */
int proc_read_fd(int fd, char *buf, size_t size);

/* Softnet rows of all online CPUs. Returns rows or -errno (message said). */
int softnet_read(struct softnet_row *rows, int max);
/* /proc/softirqs. Returns 0 or -errno (message said). */
int softirqs_read(struct softirq_counts *c);

/* The kernel's TCP retransmission counters (MIB), one namespace. */
struct tcp_mib {
	uint64_t retrans_segs;     /* Tcp RetransSegs: segments retransmitted */
	uint64_t timeouts;         /* TcpExt TCPTimeouts: RTO expiries */
	uint64_t lost_retransmit;  /* TcpExt TCPLostRetransmit: retransmits lost again */
	uint64_t spurious_rtos;    /* TcpExt TCPSpuriousRTOs: RTOs found unneeded (F-RTO) */
};
struct tcp_mib_src {
	int snmp_fd;
	int netstat_fd;
};
/* The inode number of network namespace `netns` (a name under
 * /var/run/netns): the kernel's net->ns.inum, for filters in BPF. Returns 0
 * or -1 with the reason said. */
int netns_inode(const char *netns, uint32_t *ino);
/* Opens the counters of network namespace `netns` (a name under
 * /var/run/netns, NULL: ours). The files stay bound to that namespace.
 * Returns 0 or -1 with the reason said. */
int tcp_mib_open(struct tcp_mib_src *s, const char *netns);
int tcp_mib_read(struct tcp_mib_src *s, struct tcp_mib *m);
void tcp_mib_close(struct tcp_mib_src *s);

#endif

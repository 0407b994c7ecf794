/* Unit tests: softnet_stat, snmp/netstat and /proc/softirqs parsers, and
 * softirq vector names/lists. */
#include <errno.h>
#include <stdlib.h>

#include "test.h"
#include "lib/procnet.h"

/* Linux 6.18, 2 CPUs (15 columns; cpu id in column 13). */
static const char softnet_618[] =
	"0000000f 00000010 00000002 00000000 00000000 00000000 00000000 00000000 00000000 00000003 00000004 00000005 00000000 00000005 00000000\n"
	"00000733 00005800 00000000 00000000 00000000 00000000 00000000 00000000 00000000 0000abcd 00000000 00000000 00000001 00000000 00000000\n";

TEST(softnet_618)
{
	struct softnet_row r[4];
	REQUIRE(softnet_parse(softnet_618, r, 4) == 2);
	CHECK_EQ(r[0].cpu, 0); CHECK_EQ(r[0].ncols, 15);
	CHECK_U64(r[0].processed, 15); CHECK_U64(r[0].dropped, 16);
	CHECK_U64(r[0].time_squeeze, 2); CHECK_U64(r[0].received_rps, 3);
	CHECK_U64(r[0].flow_limit, 4); CHECK_U64(r[0].backlog_len, 5);
	CHECK_EQ(r[1].cpu, 1); CHECK_U64(r[1].processed, 0x733);
	CHECK_U64(r[1].dropped, 0x5800); CHECK_U64(r[1].received_rps, 0xabcd);
}

TEST(softnet_cpu_from_column_not_row)
{
	/* CPU 1 offline: rows are CPUs 0 and 2 */
	static const char t[] =
		"00000001 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000\n"
		"00000002 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000002\n";
	struct softnet_row r[4];
	REQUIRE(softnet_parse(t, r, 4) == 2);
	CHECK_EQ(r[0].ncols, 13);
	CHECK_EQ(r[1].cpu, 2);
	CHECK_U64(r[1].processed, 2);
}

TEST(softnet_old_kernels)
{
	static const char t11[] =
		"00000010 00000001 00000002 00000000 00000000 00000000 00000000 00000000 00000000 00000007 00000008\n"
		"00000020 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000\n";
	static const char t9[] = "ffffffff 00000001 00000002 00000000 00000000 00000000 00000000 00000000 00000000\n";
	struct softnet_row r[4];
	REQUIRE(softnet_parse(t11, r, 4) == 2);
	CHECK_EQ(r[0].ncols, 11); CHECK_EQ(r[1].cpu, 1);
	CHECK_U64(r[0].received_rps, 7); CHECK_U64(r[0].flow_limit, 8);
	REQUIRE(softnet_parse(t9, r, 4) == 1);
	CHECK_U64(r[0].processed, 0xffffffffu);
	CHECK_U64(r[0].received_rps, 0);
	CHECK_U64(u32_delta(3, 0xfffffffeu), 5); /* across a wrap */
}

TEST(softnet_bad)
{
	struct softnet_row r[2];
	CHECK_EQ(softnet_parse("00000001 00000002\n", r, 2), -EINVAL);
	CHECK_EQ(softnet_parse("zz 0 0 0 0 0 0 0 0\n", r, 2), -EINVAL);
	CHECK_EQ(softnet_parse("0 0 0 0 0 0 0 0 0x\n", r, 2), -EINVAL);
	CHECK_EQ(softnet_parse("", r, 2), 0);
	CHECK_EQ(softnet_parse("\n\n", r, 2), 0);
	/* max rows respected */
	CHECK_EQ(softnet_parse(softnet_618, r, 1), 1);
}

static const char snmp[] =
	"Ip: Forwarding DefaultTTL InReceives\n"
	"Ip: 2 64 1856\n"
	"Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens RetransSegs InErrs \n"
	"Tcp: 1 200 120000 -1 13 4242 7\n"
	"TcpExt: SyncookiesSent TCPTimeouts TCPLostRetransmit TCPSpuriousRTOs\n"
	"TcpExt: 0 11 12 13\n";

TEST(mib_fields)
{
	uint64_t v = 0;
	CHECK_EQ(mib_get(snmp, "Tcp", "RetransSegs", &v), 0); CHECK_U64(v, 4242);
	CHECK_EQ(mib_get(snmp, "Tcp", "InErrs", &v), 0); CHECK_U64(v, 7);
	CHECK_EQ(mib_get(snmp, "Tcp", "MaxConn", &v), 0); CHECK_EQ((int64_t)v, -1);
	CHECK_EQ(mib_get(snmp, "TcpExt", "TCPTimeouts", &v), 0); CHECK_U64(v, 11);
	CHECK_EQ(mib_get(snmp, "TcpExt", "TCPSpuriousRTOs", &v), 0); CHECK_U64(v, 13);
	CHECK_EQ(mib_get(snmp, "Ip", "InReceives", &v), 0); CHECK_U64(v, 1856);
	/* "Tcp" must not match "TcpExt" and vice versa */
	CHECK_EQ(mib_get(snmp, "Tcp", "TCPTimeouts", &v), -ENOENT);
	CHECK_EQ(mib_get(snmp, "TcpExt", "RetransSegs", &v), -ENOENT);
	CHECK_EQ(mib_get(snmp, "Udp", "InDatagrams", &v), -ENOENT);
}

TEST(mib_bad)
{
	uint64_t v = 0;
	CHECK_EQ(mib_get("Tcp: A B\nTcp: 1\n", "Tcp", "B", &v), -EINVAL);
	CHECK_EQ(mib_get("Tcp: A B\nUdp: 1 2\n", "Tcp", "B", &v), -EINVAL);
	CHECK_EQ(mib_get("Tcp: A B\nTcp: 1 x\n", "Tcp", "B", &v), -EINVAL);
	CHECK_EQ(mib_get("Tcp: A B\n", "Tcp", "B", &v), -EINVAL);
	CHECK_EQ(mib_get("", "Tcp", "B", &v), -ENOENT);
}

TEST(softirqs_proc)
{
	static const char t[] =
		"                    CPU0       CPU1       \n"
		"          HI:          0          0\n"
		"       TIMER:       7273       5468\n"
		"      NET_TX:          3          1\n"
		"      NET_RX:        890 4294967295\n"
		"       BLOCK:          0      38890\n"
		"    IRQ_POLL:          0          0\n"
		"     TASKLET:          1          3\n"
		"       SCHED:      16177      14217\n"
		"     HRTIMER:          0          0\n"
		"         RCU:      13460      15365\n";
	struct softirq_counts *c = calloc(1, sizeof(*c));
	REQUIRE(c);
	CHECK_EQ(softirqs_parse(t, c), 0);
	CHECK_EQ(c->ncpu, 2);
	CHECK(c->have[SOFTIRQ_RCU]);
	CHECK_U64(softirqs_get(c, SOFTIRQ_TIMER, 1), 5468);
	CHECK_U64(softirqs_get(c, SOFTIRQ_NET_RX, 0), 890);
	CHECK_U64(softirqs_get(c, SOFTIRQ_NET_RX, 1), 4294967295u);
	CHECK_U64(softirqs_get(c, SOFTIRQ_NET_RX, 7), 0);
	/* sparse cpu ids come from the header */
	CHECK_EQ(softirqs_parse("   CPU0  CPU3\n  NET_RX: 1 2\n  NEWVEC: 5 6\n", c), 0);
	CHECK_U64(softirqs_get(c, SOFTIRQ_NET_RX, 3), 2);
	CHECK(!c->have[SOFTIRQ_TIMER]);
	CHECK_EQ(softirqs_parse("   CPU0  CPU1\n  NET_RX: 1\n", c), -EINVAL);
	CHECK_EQ(softirqs_parse("garbage\n", c), -EINVAL);
	CHECK_EQ(softirqs_parse("", c), -EINVAL);
	free(c);
}

TEST(softirq_vectors)
{
	uint32_t m = 0;
	const char *bad = NULL;
	CHECK_EQ(softirq_parse_vectors("net_rx,timer", &m, &bad), 0);
	CHECK_U64(m, (1u << SOFTIRQ_NET_RX) | (1u << SOFTIRQ_TIMER));
	CHECK_EQ(softirq_parse_vectors("NET_TX", &m, &bad), 0);
	CHECK_U64(m, 1u << SOFTIRQ_NET_TX);
	CHECK_EQ(softirq_parse_vectors("all", &m, &bad), 0);
	CHECK_U64(m, 0x3ff);
	CHECK_EQ(softirq_parse_vectors("net_rx,bogus", &m, &bad), -EINVAL);
	CHECK_STR(bad, "bogus");
	CHECK_EQ(softirq_parse_vectors("", &m, &bad), -EINVAL);
	CHECK_EQ(softirq_parse_vectors("net", &m, &bad), -EINVAL);
	CHECK_STR(softirq_vec_name(3), "NET_RX");
	CHECK_STR(softirq_vec_lname(9), "rcu");
	CHECK_STR(softirq_vec_name(10), "?");
}

/* fuzz_procnet.c — /proc/net/softnet_stat, /proc/net/snmp and netstat,
 * /proc/softirqs text, and softirq vector lists from the command line:
 * rows within the array given, CPU columns within their bound. */
#include "fuzz.h"
#include "lib/procnet.h"

static const char *const fields[][2] = {
	{ "Tcp", "RetransSegs" }, { "TcpExt", "TCPTimeouts" }, { "Ip", "Forwarding" },
	{ "Udp", "InErrors" }, { "TcpExt", "ListenDrops" },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct softirq_counts sc;
	struct softnet_row rows[8];
	char *s = fuzz_cstr(data, size);
	const char *bad = NULL;
	uint32_t mask;
	uint64_t v;
	int n;

	n = softnet_parse(s, rows, 8);
	FUZZ_CHECK(n <= 8);
	for (int i = 0; i < n; i++)
		FUZZ_CHECK(rows[i].ncols >= 9);
	for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++)
		mib_get(s, fields[k][0], fields[k][1], &v);
	if (softirqs_parse(s, &sc) == 0) {
		FUZZ_CHECK(sc.ncpu >= 0 && sc.ncpu <= SOFTIRQS_MAX_CPUS);
		for (unsigned vec = 0; vec < SOFTIRQ_NR; vec++)
			softirqs_get(&sc, vec, sc.ncpu ? sc.cpu[0] : 0);
	}
	if (softirq_parse_vectors(s, &mask, &bad) == 0)
		FUZZ_CHECK((mask >> SOFTIRQ_NR) == 0);
	else
		FUZZ_CHECK(bad != NULL);
	free(s);
	return 0;
}

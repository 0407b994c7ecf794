/* Unit tests: /proc/PID/stat and btime parsing for process_* metrics
 * (src/lib/procself.c). */
#include <errno.h>

#include "test.h"
#include "lib/procself.h"

TEST(proc_stat_fields)
{
	/* a real line of this VM's agent, its name made hostile: spaces and ')' */
	const char *line = "4242 (a) b) c) S 1 4242 4242 0 -1 4194560 2301 0 0 0 "
			   "137 55 0 0 20 0 1 0 98765 24576000 4500 18446744073709551615 "
			   "1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n";
	struct proc_stat_fields s;

	CHECK_EQ(proc_stat_parse(line, &s), 0);
	CHECK_EQ(s.utime_ticks, 137);
	CHECK_EQ(s.stime_ticks, 55);
	CHECK_EQ(s.starttime_ticks, 98765);
	CHECK_EQ(s.vsize_bytes, 24576000);
	CHECK_EQ(s.rss_pages, 4500);
	CHECK_EQ(proc_stat_parse("4242 (x) S 1 2 3", &s), -EINVAL);   /* cut short */
	CHECK_EQ(proc_stat_parse("4242 x S 1 2 3", &s), -EINVAL);     /* no name */
	CHECK_EQ(proc_stat_parse("4242 (x) S 1 4242 4242 0 -1 4194560 2301 0 0 0 "
				 "1x7 55 0 0 20 0 1 0 98765 24576000 4500", &s), -EINVAL);
}

TEST(proc_btime)
{
	uint64_t b = 0;

	CHECK_EQ(proc_btime_parse("cpu  1 2 3\nintr 5\nbtime 1718000000\nprocesses 9\n", &b), 0);
	CHECK_EQ(b, 1718000000);
	CHECK_EQ(proc_btime_parse("cpu 1\n", &b), -EINVAL);
	CHECK_EQ(proc_btime_parse("btime x\n", &b), -EINVAL);
}

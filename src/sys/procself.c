/* procself.c — process_* values from /proc/self/stat, /proc/stat (boot
 * time, read once) and /proc/self/fd. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "lib/procself.h"
#include "sys/procself.h"

static int read_text(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	return 0;
}

int proc_self_read(struct proc_self *out)
{
	static uint64_t btime_s; /* boot time does not change: read once */
	struct proc_stat_fields st;
	struct rlimit rl;
	char buf[4096];
	long tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	DIR *d;
	int e;

	if ((e = read_text("/proc/self/stat", buf, sizeof(buf))) < 0)
		return e;
	if (proc_stat_parse(buf, &st) < 0)
		return -EINVAL;
	if (!btime_s) {
		/* /proc/stat grows with the CPU count; btime comes after the
		 * per-CPU and interrupt lines, so read it whole */
		static char big[1 << 20];
		if (read_text("/proc/stat", big, sizeof(big)) == 0)
			proc_btime_parse(big, &btime_s);
	}
	if (tck <= 0)
		tck = 100;
	if (page <= 0)
		page = 4096;
	memset(out, 0, sizeof(*out));
	out->cpu_seconds = (double)(st.utime_ticks + st.stime_ticks) / (double)tck;
	out->resident_bytes = st.rss_pages * (uint64_t)page;
	out->virtual_bytes = st.vsize_bytes;
	out->start_time_s = (double)btime_s + (double)st.starttime_ticks / (double)tck;
	d = opendir("/proc/self/fd");
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)))
			if (de->d_name[0] != '.')
				out->open_fds++;
		closedir(d);
		out->open_fds--; /* the directory's own fd, open only for this count */
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		out->max_fds = rl.rlim_cur == RLIM_INFINITY ? 0 : rl.rlim_cur;
	return 0;
}

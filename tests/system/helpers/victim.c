/* victim.c — a test victim: a thread pinned to one CPU that wakes up on a
 * fixed period (clock_nanosleep TIMER_ABSTIME on CLOCK_MONOTONIC) for a
 * bounded time and measures its own wake-up lateness each time, so tests can
 * compare what ksleuth reports with the victim's own clock. Never runs
 * longer than 600 s; touches nothing but its own scheduling settings.
 *
 * usage: victim [-c CPU] [-d SEC] [-p PERIOD_MS] [-t THRESHOLD_MS] [-n NICE]
 *               [-o FILE] [-m MAX_RECORDS]
 *   -c CPU           pin to this CPU (default 1, or 0 on a 1-CPU machine)
 *   -d SEC           run this long, fractions allowed (default 5, max 600)
 *   -p PERIOD_MS     wake-up period in ms, fractions allowed (default 5)
 *   -t THRESHOLD_MS  record every wake-up later than this (default 10)
 *   -n NICE          SCHED_OTHER nice level -20..19 (default: unchanged)
 *   -o FILE          write the final JSON there instead of stdout
 *   -m MAX_RECORDS   keep at most this many late records (default 10000;
 *                    more are counted in "late_dropped")
 *
 * Output: at start, one line on stdout (flushed):
 *   victim pid PID tid TID cpu CPU period_ns N
 * at the end (also after SIGINT/SIGTERM, which end it early), one JSON line:
 *   {"type":"victim","pid":..,"tid":..,"cpu":..,"period_ns":..,
 *    "threshold_ns":..,"start_ns":..,"end_ns":..,"wakeups":N,
 *    "max_late_ns":..,"sum_late_ns":..,"late_count":K,"late_dropped":0,
 *    "late":[{"start_ns":DEADLINE,"end_ns":WOKE,"late_ns":..},...]}
 * start_ns of a late record is when the victim should have woken (its timer
 * deadline), end_ns when it actually ran again, both CLOCK_MONOTONIC ns (the
 * clock of bpf_ktime_get_ns). "wakeups" counts completed sleeps. If the
 * victim falls more than one period behind it skips the missed deadlines
 * (they are not counted as wake-ups). Exit 0, or 2 on bad arguments, 1 on
 * a system error. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/syscall.h>

struct late {
	uint64_t start_ns, end_ns;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int parse_ms(const char *s, double min, double max, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static void usage_exit(const char *msg)
{
	fprintf(stderr, "victim: %s; usage: victim [-c CPU] [-d SEC] [-p PERIOD_MS] "
			"[-t THRESHOLD_MS] [-n NICE] [-o FILE] [-m MAX_RECORDS]\n", msg);
	exit(2);
}

int main(int argc, char **argv)
{
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	double dur_s = 5, period_ms = 5, thresh_ms = 10, v;
	int cpu = ncpu > 1 ? 1 : 0, nice_set = 0, nice_val = 0, opt;
	long max_rec = 10000;
	const char *out_path = NULL;

	while ((opt = getopt(argc, argv, "c:d:p:t:n:o:m:h")) != -1) {
		switch (opt) {
		case 'c':
			if (parse_ms(optarg, 0, (double)ncpu - 1, &v) || v != (int)v)
				usage_exit("-c wants a CPU number of this machine");
			cpu = (int)v;
			break;
		case 'd':
			if (parse_ms(optarg, 0.001, 600, &dur_s))
				usage_exit("-d wants seconds between 0.001 and 600");
			break;
		case 'p':
			if (parse_ms(optarg, 0.05, 10000, &period_ms))
				usage_exit("-p wants a period in ms between 0.05 and 10000");
			break;
		case 't':
			if (parse_ms(optarg, 0, 600000, &thresh_ms))
				usage_exit("-t wants a threshold in ms");
			break;
		case 'n':
			if (parse_ms(optarg, -20, 19, &v) || v != (int)v)
				usage_exit("-n wants a nice level between -20 and 19");
			nice_set = 1;
			nice_val = (int)v;
			break;
		case 'o':
			out_path = optarg;
			break;
		case 'm':
			if (parse_ms(optarg, 0, 1e7, &v) || v != (long)v)
				usage_exit("-m wants a record count between 0 and 10000000");
			max_rec = (long)v;
			break;
		case 'h':
			printf("usage: victim [-c CPU] [-d SEC] [-p PERIOD_MS] [-t THRESHOLD_MS] "
			       "[-n NICE] [-o FILE] [-m MAX_RECORDS]\n(see the top of victim.c)\n");
			return 0;
		default:
			usage_exit("unknown option");
		}
	}
	if (optind < argc)
		usage_exit("unexpected argument");

	pid_t pid = getpid(), tid = (pid_t)syscall(SYS_gettid);
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0) {
		fprintf(stderr, "victim: cannot pin to CPU %d: %s\n", cpu, strerror(errno));
		return 1;
	}
	if (nice_set && setpriority(PRIO_PROCESS, 0, nice_val) < 0) {
		fprintf(stderr, "victim: cannot set nice %d: %s\n", nice_val, strerror(errno));
		return 1;
	}
	struct late *rec = calloc((size_t)(max_rec ? max_rec : 1), sizeof(*rec));
	if (!rec) {
		fprintf(stderr, "victim: out of memory\n");
		return 1;
	}
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	uint64_t period_ns = (uint64_t)(period_ms * 1e6);
	uint64_t thresh_ns = (uint64_t)(thresh_ms * 1e6);
	printf("victim pid %d tid %d cpu %d period_ns %llu\n", pid, tid, cpu,
	       (unsigned long long)period_ns);
	fflush(stdout);

	uint64_t start = now_ns(), end = start + (uint64_t)(dur_s * 1e9);
	uint64_t next = start + period_ns, wakeups = 0, max_late = 0, sum_late = 0;
	uint64_t late_count = 0, dropped = 0;

	while (!stop && next <= end) {
		struct timespec ts = { .tv_sec = (time_t)(next / 1000000000ULL),
				       .tv_nsec = (long)(next % 1000000000ULL) };
		int rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		if (rc == EINTR)
			continue; /* a signal: the loop condition decides */
		if (rc) {
			fprintf(stderr, "victim: clock_nanosleep: %s\n", strerror(rc));
			return 1;
		}
		uint64_t woke = now_ns(), late = woke > next ? woke - next : 0;
		wakeups++;
		sum_late += late;
		if (late > max_late)
			max_late = late;
		if (late > thresh_ns) {
			late_count++;
			if ((long)(late_count - dropped) <= max_rec)
				rec[late_count - dropped - 1] = (struct late){ next, woke };
			else
				dropped++;
		}
		next += period_ns;
		if (next <= woke) /* fell behind: skip deadlines already past */
			next = woke + period_ns - (woke - next) % period_ns;
	}
	uint64_t finish = now_ns();

	FILE *f = stdout;
	if (out_path && !(f = fopen(out_path, "w"))) {
		fprintf(stderr, "victim: cannot write %s: %s\n", out_path, strerror(errno));
		return 1;
	}
	fprintf(f, "{\"type\":\"victim\",\"pid\":%d,\"tid\":%d,\"cpu\":%d,\"period_ns\":%llu,"
		   "\"threshold_ns\":%llu,\"start_ns\":%llu,\"end_ns\":%llu,\"wakeups\":%llu,"
		   "\"max_late_ns\":%llu,\"sum_late_ns\":%llu,\"late_count\":%llu,"
		   "\"late_dropped\":%llu,\"late\":[",
		pid, tid, cpu, (unsigned long long)period_ns, (unsigned long long)thresh_ns,
		(unsigned long long)start, (unsigned long long)finish,
		(unsigned long long)wakeups, (unsigned long long)max_late,
		(unsigned long long)sum_late, (unsigned long long)late_count,
		(unsigned long long)dropped);
	for (uint64_t i = 0; i < late_count - dropped; i++)
		fprintf(f, "%s{\"start_ns\":%llu,\"end_ns\":%llu,\"late_ns\":%llu}", i ? "," : "",
			(unsigned long long)rec[i].start_ns, (unsigned long long)rec[i].end_ns,
			(unsigned long long)(rec[i].end_ns - rec[i].start_ns));
	fprintf(f, "]}\n");
	if (fflush(f) != 0 || (f != stdout && fclose(f) != 0)) {
		fprintf(stderr, "victim: cannot write the result: %s\n", strerror(errno));
		return 1;
	}
	free(rec);
	return 0;
}

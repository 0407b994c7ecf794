/* profload.c — a bounded CPU-heavy workload for test_profile: for DUR
 * seconds (default 3.5, at most 10) it alternates a kernel path (read of
 * /dev/zero with 1 MiB buffers: the time goes to clearing user memory)
 * and a user-space loop in a function with a known name
 * (profload_user_spin). USER_PERCENT (0-100, default 30) is the share of
 * each slice spent in user space. Slices last 0.5-1.5 ms at random: a
 * fixed period near the sampler's (10.1 ms at 99 Hz) would alias, each
 * tool seeing a different fixed phase of it. Prints its CPU times at exit.
 * Built with frame pointers so that both profilers, which walk user stacks
 * by them, see the chain from main to the hot function. */
#define _GNU_SOURCE
#pragma GCC optimize("no-omit-frame-pointer")
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The user-space hot function the test looks for by name. */
__attribute__((noinline)) unsigned long profload_user_spin(double until)
{
	volatile unsigned long x = 1;

	while (now_s() < until)
		for (int i = 0; i < 2000; i++)
			x = x * 6364136223846793005UL + 1442695040888963407UL;
	return x;
}

__attribute__((noinline)) static void profload_kernel_reads(int fd, char *buf, size_t len, double until)
{
	while (now_s() < until)
		if (read(fd, buf, len) < 0)
			break;
}

int main(int argc, char **argv)
{
	double dur = argc > 1 ? atof(argv[1]) : 3.5;
	int user_pct = argc > 2 ? atoi(argv[2]) : 30;
	size_t len = 1 << 20;
	char *buf = malloc(len);
	int fd = open("/dev/zero", O_RDONLY);
	struct rusage ru;

	if (dur <= 0 || dur > 10 || user_pct < 0 || user_pct > 100 || !buf || fd < 0) {
		fprintf(stderr, "usage: profload [SECONDS<=10] [USER_PERCENT]\n");
		return 2;
	}
	double end = now_s() + dur;
	while (now_s() < end) {
		double t = now_s(), slice = 0.0005 + 0.001 * (double)rand() / RAND_MAX;
		profload_user_spin(t + slice * user_pct / 100);
		profload_kernel_reads(fd, buf, len, t + slice);
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("profload user_s %.3f sys_s %.3f\n", (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
	return 0;
}

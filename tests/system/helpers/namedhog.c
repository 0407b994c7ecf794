/* namedhog — test helper: names itself with the bytes given in hex
 * (prctl(PR_SET_NAME): any bytes, the kernel keeps 15), pins itself to a
 * CPU and burns it for a bounded time, optionally as SCHED_FIFO so that
 * tasks waiting there starve (a stall with a hostile culprit name).
 * Usage: namedhog HEXNAME CPU RUN_MS [FIFO_PRIO]; RUN_MS at most 3000. */
#define _GNU_SOURCE 1
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	char name[17] = { 0 };
	size_t hl = argc > 1 ? strlen(argv[1]) : 1;
	long cpu, run_ms, prio = 0;
	cpu_set_t set;

	if (argc < 4 || argc > 5 || hl % 2 || hl / 2 > 16) {
		fprintf(stderr, "usage: namedhog HEXNAME CPU RUN_MS [FIFO_PRIO]\n");
		return 2;
	}
	for (size_t i = 0; i < hl / 2; i++) {
		unsigned v;
		if (sscanf(argv[1] + 2 * i, "%2x", &v) != 1) {
			fprintf(stderr, "namedhog: '%s' is not hex\n", argv[1]);
			return 2;
		}
		name[i] = (char)v;
	}
	cpu = atol(argv[2]);
	run_ms = atol(argv[3]);
	if (argc == 5)
		prio = atol(argv[4]);
	if (cpu < 0 || cpu >= CPU_SETSIZE || run_ms < 1 || run_ms > 3000 || prio < 0 || prio > 99) {
		fprintf(stderr, "namedhog: CPU, RUN_MS (1-3000) or FIFO_PRIO (1-99) out of range\n");
		return 2;
	}
	if (prctl(PR_SET_NAME, name, 0, 0, 0) != 0) {
		perror("namedhog: prctl");
		return 1;
	}
	CPU_ZERO(&set);
	CPU_SET((int)cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0) {
		perror("namedhog: sched_setaffinity");
		return 1;
	}
	if (prio) {
		struct sched_param sp = { .sched_priority = (int)prio };
		if (sched_setscheduler(0, SCHED_FIFO, &sp) != 0) {
			perror("namedhog: sched_setscheduler");
			return 1;
		}
	}
	/* switch out once: collectors read a task's name at switch-in, and
	 * this one has run since before the exec under its parent's name */
	usleep(50000);
	long long end = now_ms() + run_ms;
	while (now_ms() < end)
		;
	printf("ran %ld ms on cpu %ld\n", run_ms, cpu);
	return 0;
}

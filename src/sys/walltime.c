/* walltime.c — CLOCK_MONOTONIC -> wall clock, for output only. */
#include <time.h>

#include "sys/walltime.h"

uint64_t mono_to_epoch_ns(uint64_t mono_ns)
{
	struct timespec m, r;

	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_REALTIME, &r);
	int64_t off = ((int64_t)r.tv_sec - m.tv_sec) * 1000000000LL + (r.tv_nsec - m.tv_nsec);
	return (uint64_t)((int64_t)mono_ns + off);
}

const char *mono_to_hms(uint64_t mono_ns, char *buf, size_t size)
{
	time_t t = (time_t)(mono_to_epoch_ns(mono_ns) / 1000000000ULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, size, "%H:%M:%S", &tm);
	return buf;
}

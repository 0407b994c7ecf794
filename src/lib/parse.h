/* parse.h — command-line value parsers: durations with units, CPU lists,
 * integers. Pure: no I/O; errors are returned, the caller words them. */
#ifndef LIB_PARSE_H
#define LIB_PARSE_H
#include <stdbool.h>
#include <stdint.h>

#define NS_PER_US 1000ULL
#define NS_PER_MS 1000000ULL
#define NS_PER_SEC 1000000000ULL

/* "250us", "10ms", "2s", "1.5s", "5m", "1h", "100ns". A bare number is
 * taken in default_unit_ns (e.g. NS_PER_SEC for -d, NS_PER_MS for
 * thresholds). Returns 0, or -EINVAL (malformed) / -ERANGE (overflow). */
int parse_duration_ns(const char *s, uint64_t default_unit_ns, uint64_t *out);

/* Format a duration for people: "1.40s", "523ms", "87us", "950ns". */
const char *fmt_duration(uint64_t ns, char *buf, unsigned long size);

#define CPUSET_MAX 1024
struct cpuset {
	uint64_t bits[CPUSET_MAX / 64];
};
static inline bool cpuset_has(const struct cpuset *s, unsigned cpu)
{
	return cpu < CPUSET_MAX && (s->bits[cpu / 64] >> (cpu % 64)) & 1;
}
static inline void cpuset_add(struct cpuset *s, unsigned cpu)
{
	if (cpu < CPUSET_MAX)
		s->bits[cpu / 64] |= 1ULL << (cpu % 64);
}
int cpuset_count(const struct cpuset *s);
/* Highest CPU in the set, or -1 if empty. */
int cpuset_max(const struct cpuset *s);

/* "0-3,6", "1", "0,2-3". Returns 0, -EINVAL or -ERANGE (cpu >= CPUSET_MAX). */
int parse_cpulist(const char *s, struct cpuset *out);

/* Whole decimal numbers with range checks. Returns 0, -EINVAL or -ERANGE. */
int parse_u64(const char *s, uint64_t *out);
int parse_int_range(const char *s, long min, long max, long *out);

#endif

/* parse.c — durations, CPU lists and integers from the command line.
 * Pure: no I/O. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>

#include "lib/parse.h"

static const struct {
	const char *suffix;
	uint64_t ns;
} units[] = {
	{ "ns", 1 }, { "us", NS_PER_US }, { "ms", NS_PER_MS }, { "s", NS_PER_SEC },
	{ "m", 60 * NS_PER_SEC }, { "min", 60 * NS_PER_SEC }, { "h", 3600 * NS_PER_SEC },
};

int parse_duration_ns(const char *s, uint64_t default_unit_ns, uint64_t *out)
{
	uint64_t whole = 0, frac = 0, frac_div = 1, unit = default_unit_ns;
	const char *p = s;

	if (!s || !isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		if (whole > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		for (; isdigit((unsigned char)*p); p++) {
			if (frac_div < 1000000000ULL) { /* keep 9 digits at most */
				frac = frac * 10 + (uint64_t)(*p - '0');
				frac_div *= 10;
			}
		}
	}
	if (*p) {
		size_t i;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strcmp(p, units[i].suffix) == 0)
				break;
		if (i == sizeof(units) / sizeof(units[0]))
			return -EINVAL;
		unit = units[i].ns;
	}
	if (whole && whole > UINT64_MAX / unit)
		return -ERANGE;
	uint64_t ns = whole * unit;
	/* frac/frac_div * unit without overflow: unit <= 3.6e12, frac < 1e9 */
	long double f = (long double)frac * (long double)unit / (long double)frac_div;
	if ((long double)(UINT64_MAX - ns) < f)
		return -ERANGE;
	*out = ns + (uint64_t)(f + 0.5L);
	return 0;
}

const char *fmt_duration(uint64_t ns, char *buf, unsigned long size)
{
	if (ns >= 10 * NS_PER_SEC)
		snprintf(buf, size, "%.1fs", (double)ns / NS_PER_SEC);
	else if (ns >= NS_PER_SEC)
		snprintf(buf, size, "%.2fs", (double)ns / NS_PER_SEC);
	else if (ns >= 10 * NS_PER_MS)
		snprintf(buf, size, "%llums", (unsigned long long)(ns / NS_PER_MS));
	else if (ns >= NS_PER_MS)
		snprintf(buf, size, "%.1fms", (double)ns / NS_PER_MS);
	else if (ns >= NS_PER_US)
		snprintf(buf, size, "%lluus", (unsigned long long)(ns / NS_PER_US));
	else
		snprintf(buf, size, "%lluns", (unsigned long long)ns);
	return buf;
}

int cpuset_count(const struct cpuset *s)
{
	int n = 0;
	for (unsigned i = 0; i < CPUSET_MAX / 64; i++)
		n += __builtin_popcountll(s->bits[i]);
	return n;
}

int cpuset_max(const struct cpuset *s)
{
	for (int i = CPUSET_MAX / 64 - 1; i >= 0; i--)
		if (s->bits[i])
			return i * 64 + 63 - __builtin_clzll(s->bits[i]);
	return -1;
}

static int parse_cpu(const char **pp, unsigned *cpu)
{
	const char *p = *pp;
	unsigned long v = 0;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		v = v * 10 + (unsigned long)(*p - '0');
		if (v >= CPUSET_MAX)
			return -ERANGE;
	}
	*cpu = (unsigned)v;
	*pp = p;
	return 0;
}

int parse_cpulist(const char *s, struct cpuset *out)
{
	const char *p = s;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!s || !*s)
		return -EINVAL;
	for (;;) {
		unsigned lo, hi;
		if ((rc = parse_cpu(&p, &lo)))
			return rc;
		hi = lo;
		if (*p == '-') {
			p++;
			if ((rc = parse_cpu(&p, &hi)))
				return rc;
			if (hi < lo)
				return -EINVAL;
		}
		for (unsigned c = lo; c <= hi; c++)
			cpuset_add(out, c);
		if (*p == '\0')
			return 0;
		if (*p != ',')
			return -EINVAL;
		p++;
	}
}

int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

int parse_int_range(const char *s, long min, long max, long *out)
{
	char *end;
	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (*end || end == s)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

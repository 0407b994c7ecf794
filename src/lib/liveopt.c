/* liveopt.c — -C/-i/-d of the live per-interval commands (see liveopt.h).
 * Pure: no I/O. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/liveopt.h"

void live_opts_default(struct live_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->interval_ns = NS_PER_SEC;
}

int live_opt(struct live_opts *o, int c, const char *arg, char *msg, size_t n)
{
	uint64_t v;

	switch (c) {
	case 'C':
		if (parse_cpulist(arg, &o->cpus) < 0)
			break;
		o->cpus_set = true;
		return 0;
	case 'i':
		if (parse_duration_ns(arg, NS_PER_SEC, &v) < 0 || v < LIVE_INTERVAL_MIN_NS)
			break;
		o->interval_ns = v;
		return 0;
	case 'd':
		if (parse_duration_ns(arg, NS_PER_SEC, &v) < 0 || !v)
			break;
		o->duration_ns = v;
		return 0;
	default:
		snprintf(msg, n, "option -%c is not one of -C, -i, -d", c);
		return -EINVAL;
	}
	if (c == 'C')
		snprintf(msg, n, "bad CPU list '%s': give e.g. -C 1 or -C 0-3,6", arg);
	else if (c == 'i')
		snprintf(msg, n, "bad interval '%s': give a duration of at least 10ms, e.g. -i 1 or -i 500ms", arg);
	else
		snprintf(msg, n, "bad duration '%s': give e.g. -d 10 or -d 10s", arg);
	return -EINVAL;
}

void live_msg_bad_option(char *msg, size_t n, const char *cmd, const char *arg)
{
	snprintf(msg, n, "unknown or incomplete option '%s'; 'ksleuth %s --help' lists the options", arg, cmd);
}

void live_msg_extra_arg(char *msg, size_t n, const char *cmd, const char *arg)
{
	snprintf(msg, n, "unexpected argument '%s'; 'ksleuth %s --help' lists the options", arg, cmd);
}

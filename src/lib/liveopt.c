/* liveopt.c — -C/-i/-d of the live per-interval commands (see liveopt.h).
 * Pure: no I/O. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/liveopt.h"
#include "lib/text.h"

void live_opts_default(struct live_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->interval_ns = NS_PER_SEC;
}

/* Messages quote at most 64 bytes of an argument, control bytes visible. */
#define QUOTE(s) text_arg(q, sizeof(q), (s), 64)

/* snprintf, but a message cut short by n never ends in part of a UTF-8
 * character (a quoted argument keeps its valid characters as they are). */
static void msgf(char *msg, size_t n, const char *fmt, ...)
{
	va_list ap;
	size_t len;

	if (!n)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, n, fmt, ap);
	va_end(ap);
	len = strlen(msg);
	msg[len - utf8_incomplete_tail(msg, len)] = '\0';
}

int live_opt(struct live_opts *o, int c, const char *arg, char *msg, size_t n)
{
	char q[TEXT_ARG_SIZE(64)];
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
		msgf(msg, n, "bad CPU list '%s': give e.g. -C 1 or -C 0-3,6", QUOTE(arg));
	else if (c == 'i')
		msgf(msg, n, "bad interval '%s': give a duration of at least 10ms, e.g. -i 1 or -i 500ms", QUOTE(arg));
	else
		msgf(msg, n, "bad duration '%s': give e.g. -d 10 or -d 10s", QUOTE(arg));
	return -EINVAL;
}

int live_cpus_exist(const struct cpuset *cpus, int ncpus, char *msg, size_t n)
{
	int max = cpuset_max(cpus);

	if (max < 0) {
		snprintf(msg, n, "-C names no CPU: give e.g. -C 1 or -C 0-3,6");
		return -EINVAL;
	}
	if (ncpus > 0 && max >= ncpus) {
		snprintf(msg, n, "-C names CPU %d, which does not exist here (CPUs 0-%d)", max, ncpus - 1);
		return -EINVAL;
	}
	return 0;
}

void live_msg_bad_option(char *msg, size_t n, const char *cmd, const char *arg)
{
	char q[TEXT_ARG_SIZE(64)];

	msgf(msg, n, "unknown or incomplete option '%s'; 'ksleuth %s --help' lists the options", QUOTE(arg), cmd);
}

void live_msg_extra_arg(char *msg, size_t n, const char *cmd, const char *arg)
{
	char q[TEXT_ARG_SIZE(64)];

	msgf(msg, n, "unexpected argument '%s'; 'ksleuth %s --help' lists the options", QUOTE(arg), cmd);
}

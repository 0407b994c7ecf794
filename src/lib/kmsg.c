/* kmsg.c — /dev/kmsg record parser and classifier of kernel log lines.
 * Pure: takes strings, returns structs; never reads the device itself. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/kmsg.h"

static int parse_field_u64(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (s >= end || *s < '0' || *s > '9')
		return -EINVAL;
	while (s < end && *s >= '0' && *s <= '9') {
		if (v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
		s++;
	}
	*p = s;
	*out = v;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int kmsg_parse(const char *buf, size_t len, struct kmsg_rec *out)
{
	const char *p = buf, *end = buf + len, *semi;
	uint64_t prio, seq, usec;

	if (!buf || !out)
		return -EINVAL;
	semi = memchr(buf, ';', len);
	if (!semi)
		return -EINVAL;
	if (parse_field_u64(&p, semi, &prio) || p >= semi || *p++ != ',')
		return -EINVAL;
	if (parse_field_u64(&p, semi, &seq) || p >= semi || *p++ != ',')
		return -EINVAL;
	if (parse_field_u64(&p, semi, &usec) || p >= semi || *p++ != ',')
		return -EINVAL;
	/* flags: one of '-', 'c', '+', then more fields or the ';' */
	if (p >= semi || !strchr("-c+", *p) || !*p || (p + 1 < semi && p[1] != ','))
		return -EINVAL;
	if (usec > UINT64_MAX / 1000)
		return -EINVAL;
	out->level = (int)(prio & 7);
	out->facility = (int)((prio >> 3) & 0xffff);
	out->seq = seq;
	out->ts_ns = usec * 1000;
	out->flag = *p;
	/* Text: up to the first newline; "\xNN" escapes the kernel used for
	 * unprintable bytes are decoded, other unprintables become '?'. */
	size_t o = 0;
	for (p = semi + 1; p < end && *p != '\n' && o + 1 < sizeof(out->text); p++) {
		char c = *p;
		if (c == '\\' && p + 3 < end && p[1] == 'x' && hexval(p[2]) >= 0 && hexval(p[3]) >= 0) {
			c = (char)(hexval(p[2]) * 16 + hexval(p[3]));
			p += 3;
		}
		if ((unsigned char)c < 0x20 || c == 0x7f)
			c = c == '\t' ? ' ' : '?';
		out->text[o++] = c;
	}
	out->text[o] = '\0';
	return 0;
}

/* Patterns from the kernel's own messages (kernel/livepatch, kernel/module,
 * kernel/watchdog.c, kernel/rcu/tree_stall.h, kernel/hung_task.c). */
static const struct {
	enum kmsg_class cls;
	const char *needle;
} patterns[] = {
	{ KMSG_LIVEPATCH, "livepatch:" },
	{ KMSG_LIVEPATCH, "livepatch " },
	{ KMSG_MODULE, "loading out-of-tree module" },
	{ KMSG_MODULE, "module verification failed" },
	{ KMSG_MODULE, "taints kernel" },
	{ KMSG_SOFT_LOCKUP, "soft lockup" },
	{ KMSG_HARD_LOCKUP, "hard LOCKUP" },
	{ KMSG_HARD_LOCKUP, "Watchdog detected hard LOCKUP" },
	{ KMSG_RCU_STALL, "rcu_sched self-detected stall" },
	{ KMSG_RCU_STALL, "rcu_preempt self-detected stall" },
	{ KMSG_RCU_STALL, "detected stalls on CPUs/tasks" },
	{ KMSG_RCU_STALL, "rcu: INFO:" },
	{ KMSG_HUNG_TASK, "blocked for more than" },
	{ KMSG_NET, "NETDEV WATCHDOG" },
	{ KMSG_NET, "table full, dropping packet" },
};

enum kmsg_class kmsg_classify(const char *text)
{
	if (!text)
		return KMSG_OTHER;
	for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++)
		if (strstr(text, patterns[i].needle))
			return patterns[i].cls;
	return KMSG_OTHER;
}

const char *kmsg_class_name(enum kmsg_class c)
{
	static const char *const names[KMSG__COUNT] = {
		[KMSG_OTHER] = "other",
		[KMSG_LIVEPATCH] = "livepatch",
		[KMSG_MODULE] = "module_load",
		[KMSG_SOFT_LOCKUP] = "soft_lockup",
		[KMSG_HARD_LOCKUP] = "hard_lockup",
		[KMSG_RCU_STALL] = "rcu_stall",
		[KMSG_HUNG_TASK] = "hung_task",
		[KMSG_NET] = "network",
	};
	return (unsigned)c < KMSG__COUNT ? names[c] : "other";
}

/* kfacts.c — text parsers for kernel facts (see kfacts.h). Pure: no I/O. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/kfacts.h"
#include "lib/strutil.h"

int parse_kernel_release(const char *release, int *major, int *minor, int *patch)
{
	int v[3] = { 0, 0, 0 };
	const char *p = release;

	if (!p || !isdigit((unsigned char)*p))
		return -EINVAL;
	/* Up to three dot-separated numbers; anything after ("-fc-v782",
	 * "+", "-rc3") is the local version and ignored. */
	for (int i = 0; i < 3; i++) {
		char *end;
		long n = strtol(p, &end, 10);
		if (n > 100000)
			return -EINVAL;
		v[i] = (int)n;
		if (*end != '.' || !isdigit((unsigned char)end[1]))
			break;
		p = end + 1;
	}
	*major = v[0];
	*minor = v[1];
	*patch = v[2];
	return 0;
}

bool kconfig_value(const char *config, const char *name, char *out, size_t size)
{
	char key[128];
	size_t klen;
	const char *line = config;

	if (!config || !name)
		return false;
	if (str_starts_with(name, "CONFIG_"))
		snprintf(key, sizeof(key), "%s=", name);
	else
		snprintf(key, sizeof(key), "CONFIG_%s=", name);
	klen = strlen(key);
	while (line && *line) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		if (len > klen && strncmp(line, key, klen) == 0) {
			size_t vlen = len - klen;
			if (vlen >= size)
				vlen = size ? size - 1 : 0;
			if (size) {
				memcpy(out, line + klen, vlen);
				out[vlen] = '\0';
			}
			return true;
		}
		line = eol ? eol + 1 : NULL;
	}
	return false;
}

const char *kconfig_preempt_model(const char *config)
{
	/* Most specific first: an RT kernel also has CONFIG_PREEMPTION=y. */
	static const char *const models[] = {
		"PREEMPT_RT", "PREEMPT_LAZY", "PREEMPT", "PREEMPT_VOLUNTARY", "PREEMPT_NONE",
	};
	char v[16];

	for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++)
		if (kconfig_value(config, models[i], v, sizeof(v)) && strcmp(v, "y") == 0)
			return models[i];
	return NULL;
}

bool kmsg_dynamic_preempt(const char *line, char *mode, size_t size)
{
	static const char tag[] = "Dynamic Preempt: ";
	const char *msg;
	size_t n = 0;

	if (!line)
		return false;
	/* /dev/kmsg: "prio,seq,usec,flags[,..];message"; dmesg: "[ t] message" */
	msg = strchr(line, ';');
	if (msg && (msg - line) < 64 && isdigit((unsigned char)line[0]))
		msg++;
	else if (line[0] == '[' && (msg = strchr(line, ']')) != NULL)
		msg++;
	else
		msg = line;
	while (*msg == ' ')
		msg++;
	if (!str_starts_with(msg, tag))
		return false;
	msg += sizeof(tag) - 1;
	while (msg[n] && isalpha((unsigned char)msg[n]))
		n++;
	if (n == 0 || n >= size)
		return false;
	memcpy(mode, msg, n);
	mode[n] = '\0';
	return true;
}

bool parse_selected_mode(const char *text, char *out, size_t size)
{
	const char *open = NULL, *close = NULL;

	if (!text)
		return false;
	for (const char *p = text; *p; p++) {
		if (*p == '[' || *p == '(') {
			open = p;
			close = strchr(p, *p == '[' ? ']' : ')');
			break;
		}
	}
	if (!open || !close || close == open + 1)
		return false;
	size_t n = (size_t)(close - open - 1);
	if (n >= size)
		return false;
	memcpy(out, open + 1, n);
	out[n] = '\0';
	return true;
}

enum softirq_semantics softirq_semantics_for(int major, int minor)
{
	/* 4.9: 4cd13c21b207 "softirq: Let ksoftirqd do its job";
	 * 6.5: d15121be7485 reverts it. */
	int v = major * 1000 + minor;
	if (v >= 4009 && v < 6005)
		return SOFTIRQ_DEFER_KSOFTIRQD;
	return SOFTIRQ_INLINE_ALWAYS;
}

const char *softirq_semantics_text(enum softirq_semantics s)
{
	switch (s) {
	case SOFTIRQ_DEFER_KSOFTIRQD:
		return "once ksoftirqd is woken, pending softirqs wait for it (4.9..6.4): "
		       "a starved ksoftirqd stalls packet processing";
	case SOFTIRQ_INLINE_ALWAYS:
	default:
		return "every hardirq exit serves pending softirqs, even while ksoftirqd is woken "
		       "(< 4.9 and >= 6.5): only sections with bottom halves or interrupts disabled "
		       "stall packet processing";
	}
}

const char *softirq_semantics_name(enum softirq_semantics s)
{
	return s == SOFTIRQ_DEFER_KSOFTIRQD ? "deferred_to_ksoftirqd" : "inline_at_irq_exit";
}

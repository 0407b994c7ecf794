/* procself.c — /proc/PID/stat and /proc/stat btime parsers for the
 * process_* metrics. Pure: strings in, numbers out. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/procself.h"

static int field_u64(const char **p, uint64_t *v)
{
	char *end;

	while (**p == ' ')
		(*p)++;
	if (**p < '0' || **p > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoull(*p, &end, 10);
	if (errno || (*end != ' ' && *end != '\n' && *end != '\0'))
		return -EINVAL;
	*p = end;
	return 0;
}

static int skip_field(const char **p)
{
	while (**p == ' ')
		(*p)++;
	if (!**p || **p == '\n')
		return -EINVAL;
	while (**p && **p != ' ' && **p != '\n')
		(*p)++;
	return 0;
}

int proc_stat_parse(const char *line, struct proc_stat_fields *out)
{
	const char *p = strrchr(line, ')');
	uint64_t v;

	if (!p)
		return -EINVAL;
	p++;
	memset(out, 0, sizeof(*out));
	/* fields 3 (state) .. 24 (rss); keep 14, 15, 22, 23, 24 */
	for (int f = 3; f <= 24; f++) {
		if (f == 3) {
			if (skip_field(&p))
				return -EINVAL;
			continue;
		}
		if (field_u64(&p, &v)) {
			/* fields 4-24 are numbers, some signed (priority, nice) */
			while (*p == ' ')
				p++;
			if (*p != '-')
				return -EINVAL;
			p++;
			if (field_u64(&p, &v))
				return -EINVAL;
		}
		switch (f) {
		case 14: out->utime_ticks = v; break;
		case 15: out->stime_ticks = v; break;
		case 22: out->starttime_ticks = v; break;
		case 23: out->vsize_bytes = v; break;
		case 24: out->rss_pages = v; break;
		}
	}
	return 0;
}

int proc_btime_parse(const char *text, uint64_t *btime_s)
{
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, "btime ", 6) == 0) {
			const char *q = p + 6;
			return field_u64(&q, btime_s);
		}
	}
	return -EINVAL;
}

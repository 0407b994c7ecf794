/* procnet.c — parsers for /proc/net/softnet_stat, /proc/net/{snmp,netstat}
 * and /proc/softirqs text. Pure: strings in, numbers out; no I/O. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/opt.h"
#include "lib/procnet.h"

static const char *const vec_names[SOFTIRQ_NR] = {
	"HI", "TIMER", "NET_TX", "NET_RX", "BLOCK",
	"IRQ_POLL", "TASKLET", "SCHED", "HRTIMER", "RCU",
};
const char *const softirq_vec_words[SOFTIRQ_NR + 1] = {
	"hi", "timer", "net_tx", "net_rx", "block",
	"irq_poll", "tasklet", "sched", "hrtimer", "rcu", NULL,
};

const char *softirq_vec_name(unsigned vec)
{
	return vec < SOFTIRQ_NR ? vec_names[vec] : "?";
}

const char *softirq_vec_lname(unsigned vec)
{
	return vec < SOFTIRQ_NR ? softirq_vec_words[vec] : "?";
}

int softirq_parse_vectors(const char *list, uint32_t *mask, const char **bad)
{
	static char badbuf[32];

	if (opt_parse_words(list, softirq_vec_words, mask, badbuf, sizeof(badbuf)) == 0)
		return 0;
	if (bad)
		*bad = badbuf;
	return -EINVAL;
}

/* End of the current line (pointer to '\n' or the final NUL). */
static const char *line_end(const char *p)
{
	const char *e = strchr(p, '\n');
	return e ? e : p + strlen(p);
}

int softnet_parse(const char *text, struct softnet_row *rows, int max)
{
	const char *p = text;
	int n = 0;

	while (*p && n < max) {
		const char *end = line_end(p);
		uint32_t col[32];
		int ncols = 0;
		const char *q = p;

		while (q < end) {
			char *ep;
			unsigned long v;

			while (q < end && (*q == ' ' || *q == '\t'))
				q++;
			if (q >= end)
				break;
			if (!isxdigit((unsigned char)*q))
				return -EINVAL;
			v = strtoul(q, &ep, 16);
			if (ep > end || (ep < end && *ep != ' ' && *ep != '\t'))
				return -EINVAL;
			if (ncols < (int)(sizeof(col) / sizeof(col[0])))
				col[ncols] = (uint32_t)v;
			ncols++;
			q = ep;
		}
		if (ncols == 0) { /* blank line */
			p = *end ? end + 1 : end;
			continue;
		}
		if (ncols < 9)
			return -EINVAL;
		struct softnet_row *r = &rows[n];
		memset(r, 0, sizeof(*r));
		r->ncols = ncols;
		r->processed = col[0];
		r->dropped = col[1];
		r->time_squeeze = col[2];
		if (ncols >= 10)
			r->received_rps = col[9];
		if (ncols >= 11)
			r->flow_limit = col[10];
		if (ncols >= 13) {
			r->backlog_len = col[11];
			r->cpu = (int)col[12];
		} else {
			r->cpu = n; /* older kernels: rows of online CPUs, best guess */
		}
		n++;
		p = *end ? end + 1 : end;
	}
	return n;
}

/* Index of word `field` among the space-separated words after "proto:" on
 * the header line [p, end), or -1. */
static int word_index(const char *p, const char *end, const char *field)
{
	size_t fl = strlen(field);
	int idx = 0;

	while (p < end) {
		while (p < end && *p == ' ')
			p++;
		if (p >= end)
			break;
		const char *w = p;
		while (p < end && *p != ' ')
			p++;
		if ((size_t)(p - w) == fl && !memcmp(w, field, fl))
			return idx;
		idx++;
	}
	return -1;
}

int mib_get(const char *text, const char *proto, const char *field, uint64_t *out)
{
	size_t pl = strlen(proto);
	const char *p = text;

	while (*p) {
		const char *end = line_end(p);
		if ((size_t)(end - p) > pl && !memcmp(p, proto, pl) && p[pl] == ':') {
			/* header line; the values are on the next line */
			int idx = word_index(p + pl + 1, end, field);
			const char *v = *end ? end + 1 : end;
			const char *vend = line_end(v);

			if ((size_t)(vend - v) <= pl || memcmp(v, proto, pl) || v[pl] != ':')
				return -EINVAL;
			if (idx >= 0) {
				const char *q = v + pl + 1;
				for (int i = 0; ; i++) {
					char *ep;
					long long x;

					while (q < vend && *q == ' ')
						q++;
					if (q >= vend)
						return -EINVAL;
					errno = 0;
					x = strtoll(q, &ep, 10);
					if (ep == q || errno || (ep < vend && *ep != ' '))
						return -EINVAL;
					if (i == idx) {
						*out = (uint64_t)x;
						return 0;
					}
					q = ep;
				}
			}
			p = *vend ? vend + 1 : vend; /* try a later pair */
			continue;
		}
		p = *end ? end + 1 : end;
	}
	return -ENOENT;
}

int softirqs_parse(const char *text, struct softirq_counts *out)
{
	const char *p = text, *end;

	memset(out->have, 0, sizeof(out->have));
	out->ncpu = 0;
	/* header: CPU0 CPU1 ... */
	end = line_end(p);
	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p >= end)
			break;
		if (end - p < 4 || strncmp(p, "CPU", 3) || !isdigit((unsigned char)p[3]))
			return -EINVAL;
		char *ep;
		long id = strtol(p + 3, &ep, 10);
		if (out->ncpu >= SOFTIRQS_MAX_CPUS || id < 0)
			return -EINVAL;
		out->cpu[out->ncpu++] = (int)id;
		p = ep;
	}
	if (out->ncpu == 0)
		return -EINVAL;
	p = *end ? end + 1 : end;
	while (*p) {
		end = line_end(p);
		const char *q = p;
		while (q < end && *q == ' ')
			q++;
		const char *name = q;
		while (q < end && *q != ':')
			q++;
		if (q >= end) { /* blank or odd line */
			p = *end ? end + 1 : end;
			continue;
		}
		int vec = -1;
		for (unsigned i = 0; i < SOFTIRQ_NR; i++)
			if (strlen(vec_names[i]) == (size_t)(q - name) &&
			    !memcmp(name, vec_names[i], (size_t)(q - name)))
				vec = (int)i;
		q++;
		if (vec >= 0) {
			for (int c = 0; c < out->ncpu; c++) {
				char *ep;
				while (q < end && *q == ' ')
					q++;
				if (q >= end || !isdigit((unsigned char)*q))
					return -EINVAL;
				out->n[vec][c] = (uint32_t)strtoul(q, &ep, 10);
				q = ep;
			}
			out->have[vec] = true;
		}
		p = *end ? end + 1 : end;
	}
	return 0;
}

uint32_t softirqs_get(const struct softirq_counts *c, unsigned vec, int cpu)
{
	if (vec >= SOFTIRQ_NR)
		return 0;
	for (int i = 0; i < c->ncpu; i++)
		if (c->cpu[i] == cpu)
			return c->n[vec][i];
	return 0;
}

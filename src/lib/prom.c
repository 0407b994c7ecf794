/* prom.c — Prometheus text exposition 0.0.4 writer. Pure: writes to the
 * FILE given, nothing else. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lib/prom.h"
#include "lib/text.h"

void prom_init(struct prom *p, FILE *f)
{
	memset(p, 0, sizeof(*p));
	p->f = f;
}

int prom_finish(struct prom *p)
{
	for (unsigned i = 0; i < p->nfamilies; i++) {
		free(p->seen[i]);
		p->seen[i] = NULL;
	}
	p->nfamilies = 0;
	return p->err;
}

static int fail(struct prom *p, int e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct prom *p, int e, const char *fmt, ...)
{
	if (!p->err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(p->errmsg, sizeof(p->errmsg), fmt, ap);
		va_end(ap);
		p->err = e;
	}
	return e;
}

static bool name_char(char c, bool first, bool colon)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
		return true;
	if (colon && c == ':')
		return true;
	return !first && c >= '0' && c <= '9';
}

bool prom_valid_metric_name(const char *s)
{
	if (!s || !*s)
		return false;
	for (const char *c = s; *c; c++)
		if (!name_char(*c, c == s, true))
			return false;
	return true;
}

bool prom_valid_label_name(const char *s)
{
	if (!s || !*s || strncmp(s, "__", 2) == 0) /* "__" is reserved for Prometheus */
		return false;
	for (const char *c = s; *c; c++)
		if (!name_char(*c, c == s, false))
			return false;
	return true;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* HELP text escapes backslash and newline; label values also '"'. Both
 * stay valid UTF-8 whatever the bytes (lib/text.h). */
static void write_escaped(FILE *f, const char *s, bool quote)
{
	text_prom(f, s, strlen(s), quote);
}

int prom_family(struct prom *p, const char *name, enum prom_type type, const char *help)
{
	static const char *const tname[] = { "counter", "gauge", "histogram" };

	p->family[0] = '\0';
	if (!prom_valid_metric_name(name) || strlen(name) >= sizeof(p->family) - 8)
		return fail(p, -EINVAL, "invalid metric name '%s'", name ? name : "(null)");
	if (type == PROM_COUNTER && !ends_with(name, "_total"))
		return fail(p, -EINVAL, "counter '%s' must end in _total", name);
	if (type != PROM_COUNTER && ends_with(name, "_total"))
		return fail(p, -EINVAL, "only counters end in _total: '%s'", name);
	if (type == PROM_HISTOGRAM && (ends_with(name, "_bucket") || ends_with(name, "_sum") ||
				       ends_with(name, "_count")))
		return fail(p, -EINVAL, "histogram '%s' must not end in _bucket/_sum/_count", name);
	for (unsigned i = 0; i < p->nfamilies; i++)
		if (strcmp(p->seen[i], name) == 0)
			return fail(p, -EINVAL, "metric family '%s' written twice", name);
	if (p->nfamilies >= PROM_MAX_FAMILIES)
		return fail(p, -ENOSPC, "more than %d metric families", PROM_MAX_FAMILIES);
	p->seen[p->nfamilies] = strdup(name);
	if (!p->seen[p->nfamilies])
		return fail(p, -ENOMEM, "out of memory");
	p->nfamilies++;

	fprintf(p->f, "# HELP %s ", name);
	write_escaped(p->f, help ? help : "", false);
	fprintf(p->f, "\n# TYPE %s %s\n", name, tname[type]);
	strcpy(p->family, name);
	p->type = type;
	return 0;
}

static int check_labels(struct prom *p, const struct prom_label *l, unsigned n)
{
	if (n > PROM_MAX_LABELS)
		return fail(p, -EINVAL, "%s: more than %d labels", p->family, PROM_MAX_LABELS);
	for (unsigned i = 0; i < n; i++) {
		if (!prom_valid_label_name(l[i].name) ||
		    (p->type == PROM_HISTOGRAM && strcmp(l[i].name, "le") == 0))
			return fail(p, -EINVAL, "%s: invalid label name '%s'", p->family,
				    l[i].name ? l[i].name : "(null)");
		if (!l[i].value)
			return fail(p, -EINVAL, "%s: label '%s' has no value", p->family, l[i].name);
		for (unsigned k = 0; k < i; k++)
			if (strcmp(l[k].name, l[i].name) == 0)
				return fail(p, -EINVAL, "%s: label '%s' twice", p->family, l[i].name);
	}
	return 0;
}

/* name{a="x",b="y"[,le="..."]} — the caller writes the value. */
static void write_series(struct prom *p, const char *suffix, const struct prom_label *l,
			 unsigned n, const char *le)
{
	fputs(p->family, p->f);
	fputs(suffix, p->f);
	if (!n && !le)
		return;
	fputc('{', p->f);
	for (unsigned i = 0; i < n; i++) {
		fprintf(p->f, "%s%s=\"", i ? "," : "", l[i].name);
		write_escaped(p->f, l[i].value, true);
		fputc('"', p->f);
	}
	if (le)
		fprintf(p->f, "%sle=\"%s\"", n ? "," : "", le);
	fputc('}', p->f);
}

static int sample_ok(struct prom *p, enum prom_type want, const struct prom_label *l, unsigned n)
{
	if (!p->family[0])
		return fail(p, -EINVAL, "a sample outside a valid metric family");
	if (p->type != want)
		return fail(p, -EINVAL, "%s: sample of the wrong type", p->family);
	return check_labels(p, l, n);
}

void prom_write_double(FILE *f, double v)
{
	char buf[40];

	if (isnan(v)) {
		fputs("NaN", f);
		return;
	}
	if (isinf(v)) {
		fputs(v > 0 ? "+Inf" : "-Inf", f);
		return;
	}
	/* the shortest form that reads back to the same double */
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	fputs(buf, f);
}

int prom_counter(struct prom *p, const struct prom_label *labels, unsigned nlabels, uint64_t v)
{
	int e = sample_ok(p, PROM_COUNTER, labels, nlabels);
	if (e)
		return e;
	write_series(p, "", labels, nlabels, NULL);
	fprintf(p->f, " %llu\n", (unsigned long long)v);
	return 0;
}

/* One sample with a floating-point value, for a counter or a gauge. */
static int sample_double(struct prom *p, enum prom_type type, const struct prom_label *labels,
			 unsigned nlabels, double v)
{
	int e = sample_ok(p, type, labels, nlabels);
	if (e)
		return e;
	write_series(p, "", labels, nlabels, NULL);
	fputc(' ', p->f);
	prom_write_double(p->f, v);
	fputc('\n', p->f);
	return 0;
}

int prom_counter_f(struct prom *p, const struct prom_label *labels, unsigned nlabels, double v)
{
	return sample_double(p, PROM_COUNTER, labels, nlabels, v);
}

int prom_gauge(struct prom *p, const struct prom_label *labels, unsigned nlabels, double v)
{
	return sample_double(p, PROM_GAUGE, labels, nlabels, v);
}

/* us microseconds as exact decimal seconds: 2 -> "0.000002", 67108864 -> "67.108864". */
static void us_to_seconds(unsigned long long us, char *buf, size_t size)
{
	unsigned long long frac = us % 1000000ULL;
	int digits = 6;

	if (!frac) {
		snprintf(buf, size, "%llu", us / 1000000ULL);
		return;
	}
	while (frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	snprintf(buf, size, "%llu.%0*llu", us / 1000000ULL, digits, frac);
}

int prom_histogram(struct prom *p, const struct prom_label *labels, unsigned nlabels,
		   const struct hist *h)
{
	unsigned long long cum = 0;
	char le[32];
	int e = sample_ok(p, PROM_HISTOGRAM, labels, nlabels);

	if (e)
		return e;
	for (unsigned i = 0; i + 1 < HIST_SLOTS; i++) {
		cum += h->slots[i];
		us_to_seconds(1ULL << (i + 1), le, sizeof(le));
		write_series(p, "_bucket", labels, nlabels, le);
		fprintf(p->f, " %llu\n", cum);
	}
	cum += h->slots[HIST_SLOTS - 1];
	write_series(p, "_bucket", labels, nlabels, "+Inf");
	fprintf(p->f, " %llu\n", cum);
	write_series(p, "_sum", labels, nlabels, NULL);
	fprintf(p->f, " %llu.%09llu\n", (unsigned long long)(h->sum_ns / 1000000000ULL),
		(unsigned long long)(h->sum_ns % 1000000000ULL));
	write_series(p, "_count", labels, nlabels, NULL);
	fprintf(p->f, " %llu\n", cum);
	return 0;
}

/* ns as exact decimal seconds: 100000000 -> "0.1", 51200000000 -> "51.2". */
static void ns_to_seconds(uint64_t ns, char *buf, size_t size)
{
	unsigned long long frac = ns % 1000000000ULL;
	int digits = 9;

	if (!frac) {
		snprintf(buf, size, "%llu", (unsigned long long)(ns / 1000000000ULL));
		return;
	}
	while (frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	snprintf(buf, size, "%llu.%0*llu", (unsigned long long)(ns / 1000000000ULL), digits, frac);
}

int prom_histogram_le(struct prom *p, const struct prom_label *labels, unsigned nlabels,
		      const uint64_t *le_ns, const uint64_t *cum, unsigned nle,
		      uint64_t count, uint64_t sum_ns)
{
	char le[32];
	int e = sample_ok(p, PROM_HISTOGRAM, labels, nlabels);

	if (e)
		return e;
	for (unsigned i = 0; i < nle; i++) {
		if (i && le_ns[i] <= le_ns[i - 1])
			return fail(p, -EINVAL, "%s: le bounds not increasing", p->family);
		ns_to_seconds(le_ns[i], le, sizeof(le));
		write_series(p, "_bucket", labels, nlabels, le);
		fprintf(p->f, " %llu\n", (unsigned long long)cum[i]);
	}
	write_series(p, "_bucket", labels, nlabels, "+Inf");
	fprintf(p->f, " %llu\n", (unsigned long long)count);
	write_series(p, "_sum", labels, nlabels, NULL);
	fprintf(p->f, " %llu.%09llu\n", (unsigned long long)(sum_ns / 1000000000ULL),
		(unsigned long long)(sum_ns % 1000000000ULL));
	write_series(p, "_count", labels, nlabels, NULL);
	fprintf(p->f, " %llu\n", (unsigned long long)count);
	return 0;
}

int prom_histogram_sel(struct prom *p, const struct prom_label *labels, unsigned nlabels,
		       const struct hist *h, const unsigned *le_log2_us, unsigned nle)
{
	uint64_t le_ns[HIST_SLOTS], cum[HIST_SLOTS], c = 0, total = 0;
	unsigned slot = 0;

	if (nle >= HIST_SLOTS)
		return fail(p, -EINVAL, "%s: too many le bounds", p->family);
	for (unsigned i = 0; i < HIST_SLOTS; i++)
		total += h->slots[i];
	/* slot k holds (2^k, 2^(k+1)] us: bucket le=2^j us is slots 0..j-1 */
	for (unsigned i = 0; i < nle; i++) {
		unsigned j = le_log2_us[i];
		if (j < 1 || j >= HIST_SLOTS)
			return fail(p, -EINVAL, "%s: le 2^%u us out of range", p->family, j);
		for (; slot < j; slot++)
			c += h->slots[slot];
		le_ns[i] = (1ULL << j) * 1000ULL;
		cum[i] = c;
	}
	return prom_histogram_le(p, labels, nlabels, le_ns, cum, nle, total, h->sum_ns);
}

int prom_counter1(struct prom *p, const char *name, const char *help, uint64_t v)
{
	int e = prom_family(p, name, PROM_COUNTER, help);
	return e ? e : prom_counter(p, NULL, 0, v);
}

int prom_gauge1(struct prom *p, const char *name, const char *help, double v)
{
	int e = prom_family(p, name, PROM_GAUGE, help);
	return e ? e : prom_gauge(p, NULL, 0, v);
}

/* hist.c — log2 histograms: merge, percentiles, bcc-style printing. Pure. */
#include <string.h>

#include "lib/hist.h"
#include "abi/hist_slot.h"
#include "lib/parse.h"

void hist_clear(struct hist *h)
{
	memset(h, 0, sizeof(*h));
}

void hist_add_ns(struct hist *h, __u64 ns)
{
	hist_add(h, ns);
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	if (!src->count)
		return;
	for (unsigned i = 0; i < HIST_SLOTS; i++)
		dst->slots[i] += src->slots[i];
	if (dst->count == 0 || src->min_ns < dst->min_ns)
		dst->min_ns = src->min_ns;
	if (src->max_ns > dst->max_ns)
		dst->max_ns = src->max_ns;
	dst->count += src->count;
	dst->sum_ns += src->sum_ns;
}

void hist_slot_bounds_us(unsigned i, __u64 *lo, __u64 *hi)
{
	*lo = i == 0 ? 0 : 1ULL << i;
	*hi = (1ULL << (i + 1)) - 1;
}

__u64 hist_percentile_ns(const struct hist *h, double p)
{
	__u64 total = 0, want, seen = 0;

	for (unsigned i = 0; i < HIST_SLOTS; i++)
		total += h->slots[i];
	if (!total)
		return 0;
	want = (__u64)((double)total * p / 100.0 + 0.999999);
	if (want < 1)
		want = 1;
	for (unsigned i = 0; i < HIST_SLOTS; i++) {
		seen += h->slots[i];
		if (seen >= want) {
			__u64 lo, hi, ns;
			hist_slot_bounds_us(i, &lo, &hi);
			ns = (hi + 1) * 1000;
			if (h->count && ns > h->max_ns)
				ns = h->max_ns;
			if (h->count && ns < h->min_ns)
				ns = h->min_ns;
			return ns;
		}
	}
	return h->max_ns;
}

static void stars(FILE *f, __u64 val, __u64 max, int width)
{
	int n = max ? (int)((val * (__u64)width + max - 1) / max) : 0;
	if (n > width)
		n = width;
	for (int i = 0; i < n; i++)
		fputc('*', f);
	for (int i = n; i < width; i++)
		fputc(' ', f);
}

void hist_print(FILE *f, const struct hist *h, const char *indent)
{
	int first = -1, last = -1;
	__u64 max = 0;

	for (int i = 0; i < HIST_SLOTS; i++) {
		if (!h->slots[i])
			continue;
		if (first < 0)
			first = i;
		last = i;
		if (h->slots[i] > max)
			max = h->slots[i];
	}
	if (last < 0) {
		fprintf(f, "%s(no events)\n", indent);
		return;
	}
	/* bcc prints from slot 0 up to the last non-empty one */
	(void)first;
	/* widths as bcc's print_log2_hist for <= 32 slots */
	fprintf(f, "%s%*s%-*s : count     distribution\n", indent, 5, "", 19, "usecs");
	for (int i = 0; i <= last; i++) {
		__u64 lo, hi;
		hist_slot_bounds_us((unsigned)i, &lo, &hi);
		fprintf(f, "%s%*llu -> %-*llu : %-8llu |", indent, 10, (unsigned long long)lo, 10,
			(unsigned long long)hi, (unsigned long long)h->slots[i]);
		stars(f, h->slots[i], max, 40);
		fputs("|\n", f);
	}
	hist_print_summary(f, h, indent);
}

void hist_print_summary(FILE *f, const struct hist *h, const char *indent)
{
	char a[32], b[32], c[32], d[32], e[32];

	if (!h->count) {
		fprintf(f, "%scount 0\n", indent);
		return;
	}
	fprintf(f, "%smin %s  avg %s  p50 %s  p99 %s  max %s  count %llu\n", indent,
		fmt_duration(h->min_ns, a, sizeof(a)),
		fmt_duration(h->sum_ns / h->count, b, sizeof(b)),
		fmt_duration(hist_percentile_ns(h, 50), c, sizeof(c)),
		fmt_duration(hist_percentile_ns(h, 99), d, sizeof(d)),
		fmt_duration(h->max_ns, e, sizeof(e)), (unsigned long long)h->count);
}

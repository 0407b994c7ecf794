/* prom.h — a writer for the Prometheus text exposition format 0.0.4:
 * HELP/TYPE once per family, counters, gauges, and real histograms from
 * struct hist (log2 microsecond slots -> cumulative `le` buckets in
 * seconds). Names are validated, label values and help escaped.
 * Pure: writes to the FILE it is given; no clock, no /proc. */
#ifndef LIB_PROM_H
#define LIB_PROM_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/types.h>
#include "abi/common.h"

enum prom_type { PROM_COUNTER, PROM_GAUGE, PROM_HISTOGRAM };

struct prom_label {
	const char *name;
	const char *value;
};

#define PROM_MAX_FAMILIES 128
#define PROM_MAX_LABELS 8

struct prom {
	FILE *f;
	enum prom_type type;          /* of the current family */
	char family[128];             /* current family name ("" before the first) */
	unsigned nfamilies;
	char *seen[PROM_MAX_FAMILIES];/* families written so far (no duplicates) */
	int err;                      /* first error (-EINVAL, -ENOSPC), sticky */
	char errmsg[160];
};

void prom_init(struct prom *p, FILE *f);
/* Frees the names remembered; the FILE stays open. Returns p->err. */
int prom_finish(struct prom *p);

/* Start a family: writes "# HELP" and "# TYPE". Counter names must end in
 * "_total"; other types must not. Each family may appear once. Returns 0
 * or -EINVAL/-ENOSPC (and then writes nothing for it or its samples). */
int prom_family(struct prom *p, const char *name, enum prom_type type, const char *help);

/* Samples of the current family. labels may be NULL when nlabels == 0. */
int prom_counter(struct prom *p, const struct prom_label *labels, unsigned nlabels, uint64_t v);
/* A family with one unlabelled sample: HELP/TYPE lines and the value. */
int prom_counter1(struct prom *p, const char *name, const char *help, uint64_t v);
int prom_gauge1(struct prom *p, const char *name, const char *help, double v);
/* A counter with a fractional value (e.g. seconds accumulated). */
int prom_counter_f(struct prom *p, const struct prom_label *labels, unsigned nlabels, double v);
int prom_gauge(struct prom *p, const struct prom_label *labels, unsigned nlabels, double v);
/* The histogram's _bucket series (le = 2, 4, ... 2^26 microseconds, in
 * seconds, then +Inf), _sum (seconds) and _count. Slot i of struct hist
 * holds values up to and including 2^(i+1) us, so it is the bucket
 * le=2^(i+1)us; the
 * last slot (everything above 2^26 us) only shows in +Inf. The count is the
 * sum of the slots, so +Inf always equals _count. */
int prom_histogram(struct prom *p, const struct prom_label *labels, unsigned nlabels,
		   const struct hist *h);

/* A histogram with the given bounds: le_ns[i] (increasing, nanoseconds,
 * written as exact decimal seconds) with cumulative counts cum[i], then
 * +Inf = count; _sum from sum_ns. */
int prom_histogram_le(struct prom *p, const struct prom_label *labels, unsigned nlabels,
		      const uint64_t *le_ns, const uint64_t *cum, unsigned nle,
		      uint64_t count, uint64_t sum_ns);
/* A struct hist with only some of its bounds: le = 2^le_log2_us[i] us
 * (increasing, each 1..HIST_SLOTS-1). Fewer series, same counts. */
int prom_histogram_sel(struct prom *p, const struct prom_label *labels, unsigned nlabels,
		       const struct hist *h, const unsigned *le_log2_us, unsigned nle);

/* Validation helpers (exported for tests and callers building names). */
bool prom_valid_metric_name(const char *s);
bool prom_valid_label_name(const char *s);
/* Write v in the text format's float syntax ("NaN", "+Inf", shortest %g
 * that reads back exactly). */
void prom_write_double(FILE *f, double v);

#endif

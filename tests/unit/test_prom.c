/* Unit tests: the Prometheus text exposition writer (src/lib/prom.c). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "test.h"
#include "lib/prom.h"
#include "lib/hist.h"

static char *render_close(FILE *f, char **buf)
{
	fclose(f);
	return *buf;
}

TEST(prom_counter_and_gauge)
{
	MEMSTREAM(f, buf, len);
	struct prom p;
	struct prom_label l[] = { { "cpu", "1" }, { "vector", "net_rx" } };

	prom_init(&p, f);
	CHECK_EQ(prom_family(&p, "ksleuth_x_total", PROM_COUNTER, "Things.\nSecond \\ line"), 0);
	CHECK_EQ(prom_counter(&p, l, 2, 42), 0);
	CHECK_EQ(prom_counter(&p, NULL, 0, 18446744073709551615ULL), 0);
	CHECK_EQ(prom_counter_f(&p, (struct prom_label[]){ { "comm", "x" } }, 1, 1.5), 0);
	CHECK_EQ(prom_family(&p, "ksleuth_up", PROM_GAUGE, "Up."), 0);
	CHECK_EQ(prom_gauge(&p, l, 1, 0.25), 0);
	CHECK_EQ(prom_finish(&p), 0);
	render_close(f, &buf);
	(void)len;
	CHECK_STR(buf, "# HELP ksleuth_x_total Things.\\nSecond \\\\ line\n"
		       "# TYPE ksleuth_x_total counter\n"
		       "ksleuth_x_total{cpu=\"1\",vector=\"net_rx\"} 42\n"
		       "ksleuth_x_total 18446744073709551615\n"
		       "ksleuth_x_total{comm=\"x\"} 1.5\n"
		       "# HELP ksleuth_up Up.\n"
		       "# TYPE ksleuth_up gauge\n"
		       "ksleuth_up{cpu=\"1\"} 0.25\n");
	free(buf);
}

TEST(prom_label_value_escaping)
{
	MEMSTREAM(f, buf, len);
	struct prom p;
	struct prom_label l[] = { { "comm", "a\"b\\c\nd" } };

	prom_init(&p, f);
	prom_family(&p, "ksleuth_g", PROM_GAUGE, "g");
	prom_gauge(&p, l, 1, 1);
	prom_finish(&p);
	render_close(f, &buf);
	(void)len;
	CHECK(strstr(buf, "ksleuth_g{comm=\"a\\\"b\\\\c\\nd\"} 1\n") != NULL);
	free(buf);
}

TEST(prom_name_validation)
{
	CHECK(prom_valid_metric_name("ksleuth_a:b_1"));
	CHECK(prom_valid_metric_name("_x"));
	CHECK(!prom_valid_metric_name("1abc"));
	CHECK(!prom_valid_metric_name("a-b"));
	CHECK(!prom_valid_metric_name(""));
	CHECK(!prom_valid_metric_name("a b"));
	CHECK(prom_valid_label_name("cpu"));
	CHECK(!prom_valid_label_name("__name__"));
	CHECK(!prom_valid_label_name("a:b"));
	CHECK(!prom_valid_label_name("9"));
}

TEST(prom_rejects_bad_families_and_samples)
{
	MEMSTREAM(f, buf, len);
	struct prom p;
	struct prom_label bad[] = { { "le", "1" } };
	struct prom_label dup[] = { { "cpu", "1" }, { "cpu", "2" } };
	struct hist h = { 0 };

	prom_init(&p, f);
	CHECK_EQ(prom_family(&p, "ksleuth_x", PROM_COUNTER, "no _total"), -EINVAL);
	CHECK(strstr(p.errmsg, "_total") != NULL);
	CHECK_EQ(prom_counter(&p, NULL, 0, 1), -EINVAL); /* no valid family open */
	p.err = 0;
	CHECK_EQ(prom_family(&p, "ksleuth_y_total", PROM_GAUGE, "gauge named _total"), -EINVAL);
	CHECK_EQ(prom_family(&p, "bad-name", PROM_GAUGE, "x"), -EINVAL);
	CHECK_EQ(prom_family(&p, "ksleuth_h_count", PROM_HISTOGRAM, "x"), -EINVAL);
	CHECK_EQ(prom_family(&p, "ksleuth_h_seconds", PROM_HISTOGRAM, "x"), 0);
	CHECK_EQ(prom_histogram(&p, bad, 1, &h), -EINVAL); /* le is reserved */
	CHECK_EQ(prom_histogram(&p, dup, 2, &h), -EINVAL);
	CHECK_EQ(prom_gauge(&p, NULL, 0, 1), -EINVAL);     /* wrong type */
	CHECK_EQ(prom_family(&p, "ksleuth_h_seconds", PROM_HISTOGRAM, "again"), -EINVAL);
	CHECK(prom_finish(&p) != 0);
	render_close(f, &buf);
	(void)len;
	/* nothing was written for rejected samples */
	CHECK(strstr(buf, "ksleuth_h_seconds_bucket") == NULL);
	CHECK(strstr(buf, "bad-name") == NULL);
	free(buf);
}

TEST(prom_double_format)
{
	MEMSTREAM(f, buf, len);
	prom_write_double(f, 0.1);
	fputc(' ', f);
	prom_write_double(f, 1e-9);
	fputc(' ', f);
	prom_write_double(f, NAN);
	fputc(' ', f);
	prom_write_double(f, INFINITY);
	fputc(' ', f);
	prom_write_double(f, -INFINITY);
	fputc(' ', f);
	prom_write_double(f, 1234567.0);
	render_close(f, &buf);
	(void)len;
	CHECK_STR(buf, "0.1 1e-09 NaN +Inf -Inf 1234567");
	free(buf);
}

/* Find the value of one exact series line ("name{...} value"). */
static long long series_value(const char *text, const char *series)
{
	size_t n = strlen(series);
	for (const char *s = text; s && *s; s = strchr(s, '\n') ? strchr(s, '\n') + 1 : NULL) {
		if (strncmp(s, series, n) == 0 && s[n] == ' ')
			return atoll(s + n + 1);
	}
	return -1;
}

TEST(prom_histogram_buckets)
{
	MEMSTREAM(f, buf, len);
	struct prom p;
	struct hist h;
	struct prom_label l[] = { { "cpu", "0" } };

	hist_clear(&h);
	hist_add_ns(&h, 500);            /* 0 us: slot 0, le=0.000002 */
	hist_add_ns(&h, 1999);           /* 1 us: slot 0 */
	hist_add_ns(&h, 2000);           /* exactly 2 us: le=0.000002 ("less or equal") */
	hist_add_ns(&h, 2001);           /* 1 ns more: slot 1, le=0.000004 */
	hist_add_ns(&h, 1500000);        /* 1500 us: slot 10, le=0.002048 */
	hist_add_ns(&h, 500000000);      /* 500 ms: slot 18, le=0.524288 */
	hist_add_ns(&h, 100000000000ULL);/* 100 s: last slot, only +Inf */

	prom_init(&p, f);
	CHECK_EQ(prom_family(&p, "ksleuth_wait_seconds", PROM_HISTOGRAM, "Wait."), 0);
	CHECK_EQ(prom_histogram(&p, l, 1, &h), 0);
	CHECK_EQ(prom_finish(&p), 0);
	render_close(f, &buf);
	(void)len;

	CHECK(strstr(buf, "# TYPE ksleuth_wait_seconds histogram\n") != NULL);
	CHECK_EQ(series_value(buf, "ksleuth_wait_seconds_bucket{cpu=\"0\",le=\"0.000002\"}"), 3);
	CHECK_EQ(series_value(buf, "ksleuth_wait_seconds_bucket{cpu=\"0\",le=\"0.000004\"}"), 4);
	CHECK_EQ(series_value(buf, "ksleuth_wait_seconds_bucket{cpu=\"0\",le=\"0.001024\"}"), 4);
	CHECK_EQ(series_value(buf, "ksleuth_wait_seconds_bucket{cpu=\"0\",le=\"0.002048\"}"), 5);
	CHECK_EQ(series_value(buf, "ksleuth_wait_seconds_bucket{cpu=\"0\",le=\"0.262144\"}"), 5);
	CHECK_EQ(series_value(buf, "ksleuth_wait_seconds_bucket{cpu=\"0\",le=\"0.524288\"}"), 6);
	CHECK_EQ(series_value(buf, "ksleuth_wait_seconds_bucket{cpu=\"0\",le=\"67.108864\"}"), 6);
	CHECK_EQ(series_value(buf, "ksleuth_wait_seconds_bucket{cpu=\"0\",le=\"+Inf\"}"), 7);
	CHECK_EQ(series_value(buf, "ksleuth_wait_seconds_count{cpu=\"0\"}"), 7);
	CHECK(strstr(buf, "ksleuth_wait_seconds_sum{cpu=\"0\"} 100.501506500\n") != NULL);
	/* 26 finite buckets + +Inf, in increasing order, cumulative */
	int nb = 0;
	long long prev = -1;
	for (char *s = strstr(buf, "_bucket{"); s; s = strstr(s + 1, "_bucket{")) {
		long long v = atoll(strchr(s, ' ') + 1);
		CHECK(v >= prev);
		prev = v;
		nb++;
	}
	CHECK_EQ(nb, HIST_SLOTS);
	free(buf);
}

TEST(prom_empty_histogram_no_labels)
{
	MEMSTREAM(f, buf, len);
	struct prom p;
	struct hist h;

	hist_clear(&h);
	prom_init(&p, f);
	prom_family(&p, "ksleuth_d_seconds", PROM_HISTOGRAM, "D.");
	CHECK_EQ(prom_histogram(&p, NULL, 0, &h), 0);
	prom_finish(&p);
	render_close(f, &buf);
	(void)len;
	CHECK_EQ(series_value(buf, "ksleuth_d_seconds_bucket{le=\"+Inf\"}"), 0);
	CHECK(strstr(buf, "ksleuth_d_seconds_sum 0.000000000\n") != NULL);
	CHECK_EQ(series_value(buf, "ksleuth_d_seconds_count"), 0);
	free(buf);
}

/* fuzz_prom.c — Prometheus exposition with outside text in it (task names
 * as label values, HELP text): the output is valid UTF-8 with no control
 * character but the line ends, and a name the validators accept is what
 * the format allows. Input: NAME \n VALUE. */
#include "fuzz.h"
#include "lib/prom.h"

static bool metric_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
	       (!first && c >= '0' && c <= '9');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *name = fuzz_field(&data, &size);
	char *value = fuzz_cstr(data, size);
	char *out = NULL;
	size_t olen = 0;
	struct prom p;
	FILE *f;

	if (prom_valid_metric_name(name)) {
		FUZZ_CHECK(name[0]);
		for (const char *c = name; *c; c++)
			FUZZ_CHECK(metric_char(*c, c == name));
	}
	if (prom_valid_label_name(name)) {
		FUZZ_CHECK(name[0]);
		for (const char *c = name; *c; c++)
			FUZZ_CHECK(*c != ':' && metric_char(*c, c == name));
	}
	f = open_memstream(&out, &olen);
	prom_init(&p, f);
	struct prom_label l = { "comm", value };
	if (prom_family(&p, "ksleuth_fuzz_total", PROM_COUNTER, value) == 0)
		prom_counter(&p, &l, 1, 7);
	prom_finish(&p);
	fclose(f);
	fuzz_check_clean(out, olen, 1);
	for (size_t i = 0; i < olen; i++)
		FUZZ_CHECK(out[i] != '\t');
	free(out);
	free(name);
	free(value);
	return 0;
}

/* fuzz_evspec.c — count's event specs and the function-list lines, as a
 * user or the kernel's tracefs gives them: a parsed spec is a bounded,
 * NUL-ended pattern; globs and suggestions on it stay in bounds. Input:
 * SPEC \n LINE \n NAME... (the candidates for glob and suggestions). */
#include "fuzz.h"
#include "lib/evspec.h"
#include "lib/strutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *spec = fuzz_field(&data, &size);
	char *line = fuzz_field(&data, &size);
	const char *list[8], *sug[3], *why = NULL;
	char *names[8];
	struct ev_spec ev;
	size_t n = 0, ns;
	char *fn;

	if (ev_spec_parse(spec, &ev, &why) == 0) {
		FUZZ_CHECK(memchr(ev.pattern, '\0', sizeof(ev.pattern)) != NULL);
		FUZZ_CHECK(ev.kind == EV_TRACEPOINT || ev.kind == EV_FENTRY || ev.kind == EV_KPROBE);
		FUZZ_CHECK(ev.pattern[0] != '\0');
		if (ev.kind == EV_TRACEPOINT)
			FUZZ_CHECK(strchr(ev.pattern, ':') != NULL);
	} else {
		FUZZ_CHECK(why && *why);
		strcpy(ev.pattern, "x");
	}
	fn = ev_func_line(line);
	if (fn)
		FUZZ_CHECK(*fn && !strchr(fn, ' ') && !strchr(fn, '\n'));
	while (size && n < 8)
		names[n++] = fuzz_field(&data, &size);
	for (size_t k = 0; k < n; k++) {
		list[k] = names[k];
		glob_match(ev.pattern, names[k]);
		FUZZ_CHECK(edit_distance(ev.pattern, names[k]) >= 0);
	}
	ns = ev_suggest(ev.pattern, list, n, sug, 3);
	FUZZ_CHECK(ns <= 3 && ns <= n);
	for (size_t k = 0; k < ns; k++) {
		bool from_list = false;
		for (size_t i = 0; i < n; i++)
			from_list |= sug[k] == list[i];
		FUZZ_CHECK(from_list);
	}
	n = ev_names_unique(names, n);
	for (size_t k = 1; k < n; k++)
		FUZZ_CHECK(strcmp(names[k - 1], names[k]) < 0);
	for (size_t k = 0; k < n; k++)
		free(names[k]);
	free(spec);
	free(line);
	return 0;
}

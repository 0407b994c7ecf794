/* fuzz.h — what the libFuzzer harnesses in tests/fuzz share: a NUL-ended
 * copy of the input (exactly sized, so ASan sees a read past it), input
 * split into fields, and property checks that abort, which the fuzzer
 * reports as a crash with the input that broke the property. */
#ifndef FUZZ_H
#define FUZZ_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                        \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "%s:%d: property broken: %s\n", __FILE__, \
				__LINE__, #cond);                               \
			abort();                                                \
		}                                                               \
	} while (0)

/* data[0..size) as a malloc'ed string; bytes after a NUL are kept but
 * unseen by string functions, as they would be in a real buffer. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* The next field of *data up to a '\n' (consumed) or the end, as a string. */
static inline char *fuzz_field(const uint8_t **data, size_t *size)
{
	const uint8_t *nl = memchr(*data, '\n', *size);
	size_t n = nl ? (size_t)(nl - *data) : *size;
	char *s = fuzz_cstr(*data, n);

	*data += n + (nl != NULL);
	*size -= n + (nl != NULL);
	return s;
}

/* Text meant for a terminal or a file: valid UTF-8 without a control
 * character (newline and tab allowed when nl is true). */
static inline void fuzz_check_clean(const char *s, size_t n, int nl)
{
	size_t i = 0;

	FUZZ_CHECK(utf8_valid(s, n));
	while (i < n) {
		uint32_t cp;
		size_t k = utf8_char(s + i, n - i, &cp);
		FUZZ_CHECK(k > 0);
		FUZZ_CHECK(!text_is_control(cp) || (nl && (cp == '\n' || cp == '\t')));
		i += k;
	}
}

#endif

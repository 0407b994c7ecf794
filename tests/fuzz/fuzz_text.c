/* fuzz_text.c — text.c's escapers with any bytes: JSON decodes back to the
 * input (each invalid byte as U+FFFD), Prometheus and terminal output is
 * valid UTF-8 with no control character, text_term never overflows. */
#include "fuzz.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Appends code point cp (< 0x800, what text_json escapes) as UTF-8. */
static size_t put_cp(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	o[0] = (char)(0xc0 | (cp >> 6));
	o[1] = (char)(0x80 | (cp & 0x3f));
	return 2;
}

/* Decodes the inside of a JSON string; returns its length or aborts on an
 * escape JSON does not have. */
static size_t json_unescape(const char *s, size_t n, char *o)
{
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\') {
			FUZZ_CHECK(s[i] != '"');
			o[len++] = s[i];
			continue;
		}
		FUZZ_CHECK(i + 1 < n);
		char c = s[++i];
		switch (c) {
		case '"': case '\\': case '/': o[len++] = c; break;
		case 'n': o[len++] = '\n'; break;
		case 'r': o[len++] = '\r'; break;
		case 't': o[len++] = '\t'; break;
		case 'b': o[len++] = '\b'; break;
		case 'f': o[len++] = '\f'; break;
		case 'u': {
			uint32_t cp = 0;
			FUZZ_CHECK(i + 4 < n);
			for (int d = 1; d <= 4; d++) {
				int h = hexval(s[i + d]);
				FUZZ_CHECK(h >= 0);
				cp = cp * 16 + (uint32_t)h;
			}
			i += 4;
			if (cp == 0xfffd) {
				memcpy(o + len, "\xef\xbf\xbd", 3);
				len += 3;
			} else {
				FUZZ_CHECK(cp < 0x800);
				len += put_cp(o + len, cp);
			}
			break;
		}
		default:
			FUZZ_CHECK(!"unknown JSON escape");
		}
	}
	return len;
}

/* The input with each byte that is not UTF-8 replaced by U+FFFD. */
static size_t replaced(const char *s, size_t n, char *o)
{
	size_t len = 0;
	uint32_t cp;

	for (size_t i = 0, k; i < n; i += k) {
		k = utf8_char(s + i, n - i, &cp);
		if (k) {
			memcpy(o + len, s + i, k);
			len += k;
		} else {
			memcpy(o + len, "\xef\xbf\xbd", 3);
			len += 3;
			k = 1;
		}
	}
	return len;
}

static void check_json(const char *s, size_t n)
{
	char *out = NULL, *dec, *want;
	size_t olen = 0, dlen, wlen;
	FILE *f = open_memstream(&out, &olen);

	text_json(f, s, n);
	fclose(f);
	fuzz_check_clean(out, olen, 0);
	dec = malloc(olen + 1);
	want = malloc(3 * n + 1);
	dlen = json_unescape(out, olen, dec);
	wlen = replaced(s, n, want);
	/* valid exactly when nothing was replaced */
	FUZZ_CHECK(utf8_valid(s, n) == (wlen == n && !memcmp(want, s, n)));
	FUZZ_CHECK(dlen == wlen && !memcmp(dec, want, wlen));
	free(dec);
	free(want);
	free(out);
}

static void check_prom(const char *s, size_t n, bool quote)
{
	char *out = NULL;
	size_t olen = 0;
	FILE *f = open_memstream(&out, &olen);

	text_prom(f, s, n, quote);
	fclose(f);
	fuzz_check_clean(out, olen, 0);
	/* a label value ends only at an unescaped quote */
	for (size_t i = 0; quote && i < olen; i++) {
		if (out[i] == '\\')
			i++;
		else
			FUZZ_CHECK(out[i] != '"');
	}
	free(out);
}

static void check_term(const char *s, size_t n, size_t size, bool keep_nl)
{
	char *dst = malloc(size ? size : 1);
	size_t used = 7, len = text_term(dst, size, s, n, keep_nl, &used);

	FUZZ_CHECK(used <= n);
	if (!size) {
		FUZZ_CHECK(len == 0 && used == 0);
		free(dst);
		return;
	}
	FUZZ_CHECK(len < size && dst[len] == '\0' && len <= 4 * used);
	fuzz_check_clean(dst, len, keep_nl);
	if (size > 4 * n)
		FUZZ_CHECK(used == n);
	free(dst);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char arg[TEXT_ARG_SIZE(64)];
	char *cs;
	uint32_t cp;
	size_t tail;

	tail = utf8_incomplete_tail(s, size);
	FUZZ_CHECK(tail <= 3 && tail <= size);
	if (size)
		FUZZ_CHECK(utf8_char(s, size, &cp) <= 4);
	check_json(s, size);
	check_prom(s, size, true);
	check_prom(s, size, false);
	check_term(s, size, size ? data[0] % 64 : 0, size && (data[0] & 64));
	check_term(s, size, 4 * size + 1, true);
	cs = fuzz_cstr(data, size);
	text_arg(arg, sizeof(arg), cs, 64);
	FUZZ_CHECK(strlen(arg) < sizeof(arg));
	fuzz_check_clean(arg, strlen(arg), 0);
	free(cs);
	return 0;
}

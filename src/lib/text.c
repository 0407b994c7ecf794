/* text.c — strict UTF-8 and per-output escaping (see text.h). Pure. */
#include <string.h>

#include "lib/text.h"

size_t utf8_char(const char *str, size_t n, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t c, min;
	size_t len;

	if (!n)
		return 0;
	c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2, min = 0x80, c &= 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, min = 0x800, c &= 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, min = 0x10000, c &= 0x07;
	} else {
		return 0; /* continuation byte, 0xc0/0xc1 (always overlong), 0xf5.. */
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

bool utf8_valid(const char *s, size_t n)
{
	uint32_t cp;

	for (size_t i = 0, k; i < n; i += k)
		if (!(k = utf8_char(s + i, n - i, &cp)))
			return false;
	return true;
}

/* Could lead byte s[0] and the have - 1 continuation bytes after it
 * begin a valid character? (The second byte's range depends on the lead.) */
static bool prefix_ok(const unsigned char *s, size_t have)
{
	unsigned char c = s[0], d = have > 1 ? s[1] : 0x80;

	if (c < 0xc2 || c > 0xf4)
		return false;
	if (have < 2)
		return true;
	return !((c == 0xe0 && d < 0xa0) || (c == 0xed && d > 0x9f) ||
		 (c == 0xf0 && d < 0x90) || (c == 0xf4 && d > 0x8f));
}

size_t utf8_incomplete_tail(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;

	for (size_t back = 1; back <= 3 && back <= n; back++) {
		unsigned char c = s[n - back];
		size_t len;

		if ((c & 0xc0) == 0x80)
			continue; /* a continuation byte: its lead is further back */
		len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
		return len > back && prefix_ok(s + n - back, back) ? back : 0;
	}
	return 0;
}

void text_json(FILE *f, const char *s, size_t n)
{
	uint32_t cp;

	for (size_t i = 0, k; i < n; i += k) {
		k = utf8_char(s + i, n - i, &cp);
		if (!k) {
			fputs("\\ufffd", f);
			k = 1;
			continue;
		}
		switch (cp) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		case '\b': fputs("\\b", f); break;
		case '\f': fputs("\\f", f); break;
		default:
			if (text_is_control(cp))
				fprintf(f, "\\u%04x", (unsigned)cp);
			else
				fwrite(s + i, 1, k, f);
		}
	}
}

void text_prom(FILE *f, const char *s, size_t n, bool quote)
{
	uint32_t cp;

	for (size_t i = 0, k; i < n; i += k) {
		k = utf8_char(s + i, n - i, &cp);
		if (!k) {
			fputs("\xef\xbf\xbd", f); /* U+FFFD */
			k = 1;
		} else if (cp == '\\') {
			fputs("\\\\", f);
		} else if (cp == '\n') {
			fputs("\\n", f);
		} else if (quote && cp == '"') {
			fputs("\\\"", f);
		} else if (text_is_control(cp)) {
			/* "\xNN" as text: the backslash itself escaped */
			for (size_t b = 0; b < k; b++)
				fprintf(f, "\\\\x%02x", (unsigned char)s[i + b]);
		} else {
			fwrite(s + i, 1, k, f);
		}
	}
}

size_t text_term(char *dst, size_t size, const char *s, size_t n, bool keep_nl, size_t *used)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i = 0, k;
	uint32_t cp;

	if (!size) {
		if (used)
			*used = 0;
		return 0;
	}
	for (; i < n; i += k) {
		k = utf8_char(s + i, n - i, &cp);
		bool raw = k && (!text_is_control(cp) || (keep_nl && (cp == '\n' || cp == '\t')));
		if (!k)
			k = 1;
		size_t need = raw ? k : 4 * k;
		if (o + need >= size)
			break;
		if (raw) {
			memcpy(dst + o, s + i, k);
			o += k;
			continue;
		}
		for (size_t b = 0; b < k; b++) {
			unsigned char c = (unsigned char)s[i + b];
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		}
	}
	dst[o] = '\0';
	if (used)
		*used = i;
	return o;
}

const char *text_arg(char *buf, size_t size, const char *s, size_t max)
{
	size_t n, used, len;

	if (size < 4)
		return "";
	if (!s)
		s = "";
	n = strnlen(s, max + 1);
	if (n > max) {
		n = max;
		/* do not split a character: back up to a lead byte */
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80 && max - n < 3)
			n--;
	}
	len = text_term(buf, size - 3, s, n, false, &used);
	if (s[used])
		memcpy(buf + len, "...", 4);
	return buf;
}

/* text.h — one definition of valid text for every writer (JSON, Prometheus
 * labels, the terminal): strict UTF-8 decoding and the escaping each output
 * needs for bytes it cannot carry. Task names, log lines and arguments can
 * hold any bytes. Pure: no I/O beyond the FILE or buffer given. */
#ifndef LIB_TEXT_H
#define LIB_TEXT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Length (1-4) of the valid UTF-8 character at s[0..n), its code point in
 * *cp; 0 when the bytes there are not one: a stray continuation byte, an
 * overlong form, a surrogate, a code point past U+10FFFF, or a sequence
 * cut short by n. */
size_t utf8_char(const char *s, size_t n, uint32_t *cp);
bool utf8_valid(const char *s, size_t n);
/* Bytes (0-3) at the end of s[0..n) that start a character still
 * incomplete but valid so far: a stream writer keeps them for its next
 * chunk rather than call them invalid. */
size_t utf8_incomplete_tail(const char *s, size_t n);

/* Control characters: C0, DEL and C1 (U+0080-U+009F, which some terminals
 * take as escape sequences). */
static inline bool text_is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

/* The inside of a JSON string: valid UTF-8 as it is; '"', '\\' and control
 * characters escaped (\n, \t, ... or \u00XX); each invalid byte becomes
 * \ufffd (the replacement character). */
void text_json(FILE *f, const char *s, size_t n);
/* A Prometheus label value (quote true) or HELP text (false): valid UTF-8
 * as it is; '\\', newline and (label values) '"' escaped as the format
 * says; other control characters as the visible text "\xNN"; each
 * invalid byte as U+FFFD, so the exposition is always valid UTF-8. */
void text_prom(FILE *f, const char *s, size_t n, bool quote);
/* For a terminal: valid UTF-8 as it is, newline and tab kept (keep_nl),
 * other control characters and invalid bytes as "\xNN" per byte. Writes
 * at most size - 1 bytes and a NUL to dst, never a partial escape or
 * character; *used gets how many input bytes that covered. Returns the
 * length written. Output is at most 4 times the input. */
size_t text_term(char *dst, size_t size, const char *s, size_t n, bool keep_nl, size_t *used);

/* An argument quoted for a message: control bytes visible, cut to max
 * bytes of input with "..." after. Returns buf. */
const char *text_arg(char *buf, size_t size, const char *s, size_t max);
/* Buffer size text_arg needs for max input bytes. */
#define TEXT_ARG_SIZE(max) ((max) * 4 + 4)

#endif

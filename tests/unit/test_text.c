/* Unit tests: valid text for every writer (src/lib/text.c), and the JSON
 * and Prometheus writers fed hostile task names. */
#include <stdlib.h>

#include "test.h"
#include "lib/json.h"
#include "lib/prom.h"
#include "lib/text.h"

/* Names a task can give itself with prctl(PR_SET_NAME): any bytes, at most
 * 15, cut wherever the 15 falls. */
static const char *const hostile[] = {
	"caf\xc3\xa9-\xe6\x97\xa5",          /* valid: "café-日" */
	"\x1b[31mred\x1b[0m",                /* terminal escapes */
	"abcdefghijklm\xe6\x97",             /* a character cut at 15 bytes */
	"\xff\xfe\xc0\xaf\xed\xa0\x80",      /* never UTF-8: overlong, surrogate */
	"a\"b\\c\nd\re\x7f",                 /* quotes, backslash, newline, DEL */
	"\xc2\x9b" "31m",                    /* C1 CSI */
	"other",
	"",
};

static char *capture(void (*fn)(FILE *, const char *), const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fn(f, s);
	fclose(f);
	return buf;
}

static void json_one(FILE *f, const char *s)
{
	struct json j;
	json_init(&j, f);
	json_obj_begin(&j);
	json_kstr(&j, "comm", s);
	json_obj_end(&j);
}

static void prom_one(FILE *f, const char *s)
{
	struct prom p;
	prom_init(&p, f);
	prom_family(&p, "x_total", PROM_COUNTER, "h");
	prom_counter(&p, (struct prom_label[]){ { "comm", s } }, 1, 1);
	prom_finish(&p);
}

static bool has_control(const char *s, bool allow_nl)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c < 0x20 && !(allow_nl && c == '\n')) || c == 0x7f)
			return true;
	}
	return false;
}

TEST(utf8_char_strict)
{
	uint32_t cp;
	CHECK_EQ(utf8_char("A", 1, &cp), 1);
	CHECK_EQ(cp, 'A');
	CHECK_EQ(utf8_char("\xc3\xa9", 2, &cp), 2);
	CHECK_EQ(cp, 0xe9);
	CHECK_EQ(utf8_char("\xe6\x97\xa5", 3, &cp), 3);
	CHECK_EQ(cp, 0x65e5);
	CHECK_EQ(utf8_char("\xf0\x9f\x98\x80", 4, &cp), 4);
	CHECK_EQ(utf8_char("\xe6\x97", 2, &cp), 0);       /* cut */
	CHECK_EQ(utf8_char("\xc0\xaf", 2, &cp), 0);       /* overlong '/' */
	CHECK_EQ(utf8_char("\xe0\x80\xaf", 3, &cp), 0);   /* overlong */
	CHECK_EQ(utf8_char("\xed\xa0\x80", 3, &cp), 0);   /* surrogate */
	CHECK_EQ(utf8_char("\xf4\x90\x80\x80", 4, &cp), 0); /* > U+10FFFF */
	CHECK_EQ(utf8_char("\x80", 1, &cp), 0);
	CHECK(utf8_valid("caf\xc3\xa9-\xe6\x97\xa5", 9));
	CHECK(!utf8_valid("abcdefghijklm\xe6\x97", 15));
	CHECK_EQ(utf8_incomplete_tail("ab\xe6\x97", 4), 2);
	CHECK_EQ(utf8_incomplete_tail("ab\xe6", 3), 1);
	CHECK_EQ(utf8_incomplete_tail("ab\xe6\x97\xa5", 5), 0);
	CHECK_EQ(utf8_incomplete_tail("ab\xff", 3), 0);
	CHECK_EQ(utf8_incomplete_tail("ab\xed\xa0", 4), 0); /* a surrogate, never valid */
	CHECK_EQ(utf8_incomplete_tail("\xf0\x9f\x98", 3), 3);
}

TEST(json_keeps_utf8_escapes_the_rest)
{
	char *s = capture(json_one, "caf\xc3\xa9-\xe6\x97\xa5");
	CHECK_STR(s, "{\"comm\":\"caf\xc3\xa9-\xe6\x97\xa5\"}");
	free(s);
	s = capture(json_one, "\x1b[31mred");
	CHECK_STR(s, "{\"comm\":\"\\u001b[31mred\"}");
	free(s);
	s = capture(json_one, "abcdefghijklm\xe6\x97");
	CHECK_STR(s, "{\"comm\":\"abcdefghijklm\\ufffd\\ufffd\"}");
	free(s);
	s = capture(json_one, "\xc2\x9b" "x\x7f");
	CHECK_STR(s, "{\"comm\":\"\\u009bx\\u007f\"}");
	free(s);
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		s = capture(json_one, hostile[i]);
		REQUIRE(s);
		CHECK(utf8_valid(s, strlen(s)));
		CHECK(!has_control(s, false));
		free(s);
	}
}

TEST(prom_labels_valid_utf8)
{
	char *s = capture(prom_one, "caf\xc3\xa9-\xe6\x97\xa5");
	CHECK(s && strstr(s, "x_total{comm=\"caf\xc3\xa9-\xe6\x97\xa5\"} 1\n"));
	free(s);
	s = capture(prom_one, "a\"b\\c\nd\x1b\xff");
	CHECK(s && strstr(s, "x_total{comm=\"a\\\"b\\\\c\\nd\\\\x1b\xef\xbf\xbd\"} 1\n"));
	free(s);
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		s = capture(prom_one, hostile[i]);
		REQUIRE(s);
		CHECK(utf8_valid(s, strlen(s)));
		CHECK(!has_control(s, true));
		/* one sample line: the label cannot break out of its line */
		CHECK_EQ(strchr(strstr(s, "x_total{"), '\n')[1], '\0');
		free(s);
	}
}

TEST(term_makes_controls_visible)
{
	char buf[128];
	size_t used;

	CHECK_EQ(text_term(buf, sizeof(buf), "\x1b[31mred", 8, false, &used), 11);
	CHECK_STR(buf, "\\x1b[31mred");
	CHECK_EQ(used, 8);
	text_term(buf, sizeof(buf), "caf\xc3\xa9\n\t\r", 8, true, NULL);
	CHECK_STR(buf, "caf\xc3\xa9\n\t\\x0d");
	text_term(buf, sizeof(buf), "ab\xe6\x97", 4, false, NULL);
	CHECK_STR(buf, "ab\\xe6\\x97");
	text_term(buf, sizeof(buf), "\xc2\x9b", 2, false, NULL);
	CHECK_STR(buf, "\\xc2\\x9b");
	/* a small buffer: whole escapes only */
	CHECK_EQ(text_term(buf, 7, "a\x1b\x1b", 3, false, &used), 5);
	CHECK_STR(buf, "a\\x1b");
	CHECK_EQ(used, 2);
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		text_term(buf, sizeof(buf), hostile[i], strlen(hostile[i]), false, NULL);
		CHECK(utf8_valid(buf, strlen(buf)));
		CHECK(!has_control(buf, false));
		CHECK(!strstr(buf, "\xc2\x9b"));
	}
}

TEST(text_arg_cuts_and_shows)
{
	char buf[TEXT_ARG_SIZE(64)];
	char *big = malloc(100001);
	REQUIRE(big);
	memset(big, 'a', 100000);
	big[100000] = '\0';
	text_arg(buf, sizeof(buf), big, 64);
	CHECK_EQ(strlen(buf), 67);
	CHECK(strcmp(buf + 64, "...") == 0);
	free(big);
	CHECK_STR(text_arg(buf, sizeof(buf), "short", 64), "short");
	CHECK_STR(text_arg(buf, sizeof(buf), "\x1b[2J", 64), "\\x1b[2J");
	CHECK_STR(text_arg(buf, sizeof(buf), "", 64), "");
	/* the cut does not split a character */
	CHECK_STR(text_arg(buf, sizeof(buf), "ab\xe6\x97\xa5", 3), "ab...");
}

/* test.h — a minimal unit-test harness: TEST(name) registers a function,
 * CHECK*() record failures and go on, REQUIRE*() stop the test. The runner
 * (main.c) prints each failure and closes with "N passed, N failed". */
#ifndef UNIT_TEST_H
#define UNIT_TEST_H
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct unit_test {
	const char *name;
	const char *file;
	void (*fn)(void);
	struct unit_test *next;
};
void unit_register(struct unit_test *t);
void unit_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
extern bool unit_stop; /* set by REQUIRE on failure */

#define TEST(name)                                                         \
	static void test_##name(void);                                     \
	static struct unit_test unit_##name = { #name, __FILE__, test_##name, NULL }; \
	__attribute__((constructor)) static void reg_##name(void)          \
	{                                                                  \
		unit_register(&unit_##name);                               \
	}                                                                  \
	static void test_##name(void)

#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond))                                               \
			unit_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);  \
	} while (0)
#define CHECK_EQ(a, b)                                                     \
	do {                                                               \
		long long _a = (long long)(a), _b = (long long)(b);        \
		if (_a != _b)                                              \
			unit_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, _a, _b); \
	} while (0)
#define CHECK_U64(a, b)                                                    \
	do {                                                               \
		unsigned long long _a = (unsigned long long)(a), _b = (unsigned long long)(b); \
		if (_a != _b)                                              \
			unit_fail(__FILE__, __LINE__, "%s == %s: %llu != %llu", #a, #b, _a, _b); \
	} while (0)
#define CHECK_STR(a, b)                                                    \
	do {                                                               \
		const char *_a = (a), *_b = (b);                           \
		if (!_a || !_b || strcmp(_a, _b) != 0)                     \
			unit_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b, \
				  _a ? _a : "(null)", _b ? _b : "(null)");  \
	} while (0)
#define REQUIRE(cond)                                                      \
	do {                                                               \
		if (!(cond)) {                                             \
			unit_fail(__FILE__, __LINE__, "REQUIRE(%s)", #cond); \
			return;                                            \
		}                                                          \
	} while (0)

/* Capture what a writer prints: open a memstream, run, compare. */
#define MEMSTREAM(f, buf, len) char *buf = NULL; size_t len = 0; FILE *f = open_memstream(&buf, &len)

#endif

/* main.c — unit-test runner: runs every TEST() (optionally those whose
 * name contains argv[1]) and ends with "unit: N passed, N failed". */
#include <stdarg.h>
#include <stdlib.h>

#include "test.h"

static struct unit_test *head, **tail = &head;
static int cur_failures;
bool unit_stop;

void unit_register(struct unit_test *t)
{
	*tail = t;
	tail = &t->next;
}

void unit_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "  %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cur_failures++;
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;

	for (struct unit_test *t = head; t; t = t->next) {
		if (argc > 1 && !strstr(t->name, argv[1]))
			continue;
		cur_failures = 0;
		t->fn();
		if (cur_failures) {
			failed++;
			fprintf(stderr, "FAIL %s (%s)\n", t->name, t->file);
		} else {
			passed++;
			printf("ok   %s\n", t->name);
		}
	}
	fflush(stdout);
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

/* log.c — stderr messages and the libbpf print hook. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <bpf/libbpf.h>

#include "base.h"
#include "lib/text.h"
#include "sys/log.h"

/* Messages name arguments, files and tasks: their control characters and
 * bytes that are not UTF-8 are shown as "\xNN" (lib/text.h), never sent to
 * the terminal raw. A message is cut at 1 KiB. */
static void vmsg(const char *prefix, const char *fmt, va_list ap)
{
	char msg[1024], out[sizeof(msg) * 4];
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);

	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	text_term(out, sizeof(out), msg, (size_t)n, true, NULL);
	/* the program's own name: ksleuth, or a helper such as ksleuth-hog */
	fprintf(stderr, "%s: %s%s\n", program_invocation_short_name, prefix, out);
}

const char *log_arg(const char *s)
{
	static char bufs[4][TEXT_ARG_SIZE(LOG_ARG_MAX)];
	static unsigned next;

	return text_arg(bufs[next++ % 4], sizeof(bufs[0]), s, LOG_ARG_MAX);
}

/* The levels differ only in their prefix, and dbg in being silent
 * without -v; each is a real function (log.h declares their formats). */
#define LOG_LEVEL_FN(fn, prefix, on)                                                           \
	void fn(const char *fmt, ...)                                                          \
	{                                                                                      \
		va_list ap;                                                                    \
		if (!(on))                                                                     \
			return;                                                                \
		va_start(ap, fmt);                                                             \
		vmsg(prefix, fmt, ap);                                                         \
		va_end(ap);                                                                    \
	}

LOG_LEVEL_FN(err, "error: ", true)
LOG_LEVEL_FN(warn, "warning: ", true)
LOG_LEVEL_FN(info, "", true)
LOG_LEVEL_FN(dbg, "debug: ", opt_verbose)

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!opt_verbose || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void log_init(void)
{
	libbpf_set_print(libbpf_print);
}

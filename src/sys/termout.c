/* termout.c — stdout through lib/text.h's terminal escaping (see
 * termout.h). A character cut by the end of a stdio buffer is held back
 * until the next write completes it, so valid UTF-8 is never escaped. */
#define _GNU_SOURCE 1 /* fopencookie */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/text.h"
#include "sys/termout.h"

#define CHUNK 1024

struct termout {
	int fd;
	size_t nhold;
	char hold[4];   /* the start of a character the next write completes */
};

static int write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Escape and write work[0..len); the output buffer holds the worst case
 * (4 bytes a byte), so text_term takes everything. */
static int emit(struct termout *t, const char *work, size_t len)
{
	char out[CHUNK * 4 + 16];
	size_t used, olen = text_term(out, sizeof(out), work, len, true, &used);
	return write_all(t->fd, out, olen);
}

static ssize_t termout_write(void *cookie, const char *buf, size_t n)
{
	struct termout *t = cookie;
	char work[CHUNK + sizeof(t->hold)];

	for (size_t done = 0; done < n;) {
		size_t take = n - done < CHUNK ? n - done : CHUNK, len, tail;

		memcpy(work, t->hold, t->nhold);
		memcpy(work + t->nhold, buf + done, take);
		len = t->nhold + take;
		t->nhold = 0;
		tail = utf8_incomplete_tail(work, len);
		if (emit(t, work, len - tail) < 0)
			return done ? (ssize_t)done : -1;
		memcpy(t->hold, work + len - tail, tail);
		t->nhold = tail;
		done += take;
	}
	return (ssize_t)n;
}

static int termout_close(void *cookie)
{
	struct termout *t = cookie;
	int rc = t->nhold ? emit(t, t->hold, t->nhold) : 0; /* never completed */

	free(t);
	return rc;
}

int termout_install(void)
{
	cookie_io_functions_t io = { .write = termout_write, .close = termout_close };
	struct termout *t = calloc(1, sizeof(*t));
	FILE *f;

	if (!t)
		return -1;
	t->fd = 1;
	f = fopencookie(t, "w", io);
	if (!f) {
		free(t);
		return -1;
	}
	setvbuf(f, NULL, isatty(1) ? _IOLBF : _IOFBF, BUFSIZ);
	fflush(stdout);
	stdout = f;
	return 0;
}

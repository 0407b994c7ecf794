/* doctor/recording.c — the recording's file: lib/recfmt.h lines through
 * zlib's gzip stream. The writer flushes the stream once a second (a
 * crash leaves every second before it readable); the reader delivers
 * records until the end or the first damage and says which it was. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "ksleuth.h"
#include "doctor/recording.h"
#include "sys/log.h"

struct rec_writer {
	gzFile gz;
	char *path;
	char *buf;
	size_t n;
	bool failed;
};

struct rec_writer *rec_writer_open(const char *path, unsigned ncpus)
{
	struct rec_writer *w = calloc(1, sizeof(*w));

	if (!w || !(w->path = strdup(path))) {
		free(w);
		err("out of memory");
		return NULL;
	}
	/* a sample is the longest line: 5 numbers of at most 21 bytes a CPU */
	w->n = 4096 + (size_t)ncpus * 5 * 21;
	w->buf = malloc(w->n);
	w->gz = w->buf ? gzopen(path, "wb6") : NULL;
	if (!w->gz) {
		err("cannot create the recording %s: %s", log_arg(path), errno ? strerror(errno) : "out of memory");
		free(w->buf);
		free(w->path);
		free(w);
		return NULL;
	}
	return w;
}

static void put(struct rec_writer *w, int len)
{
	if (w->failed)
		return;
	if (len < 0 || gzwrite(w->gz, w->buf, (unsigned)len) != len) {
		int e;
		warn("cannot write the recording %s: %s; it ends here", log_arg(w->path),
		     len < 0 ? "a record too long" : gzerror(w->gz, &e));
		w->failed = true;
	}
}

static void flush(struct rec_writer *w)
{
	if (!w->failed && gzflush(w->gz, Z_SYNC_FLUSH) != Z_OK)
		put(w, -1);
}

void rec_writer_begin(struct rec_writer *w, const struct eng_cfg *c, const struct eng_kernel *k,
		      const struct rec_facts *f, const struct rec_start *s)
{
	put(w, rec_enc_magic(w->buf, w->n));
	put(w, rec_enc_meta(w->buf, w->n, KSLEUTH_VERSION));
	put(w, rec_enc_cfg(w->buf, w->n, c));
	put(w, rec_enc_kernel(w->buf, w->n, k));
	put(w, rec_enc_facts(w->buf, w->n, f));
	put(w, rec_enc_start(w->buf, w->n, s));
	flush(w);
}

void rec_writer_sample(struct rec_writer *w, const struct eng_net_sample *s)
{
	put(w, rec_enc_sample(w->buf, w->n, s));
}

void rec_writer_stall(struct rec_writer *w, const struct eng_stall *s, const struct stall_window_info *win,
		      const char *what)
{
	put(w, rec_enc_stall(w->buf, w->n, s, win, what));
}

void rec_writer_kmsg(struct rec_writer *w, uint64_t ts_ns, const char *text)
{
	put(w, rec_enc_kmsg(w->buf, w->n, ts_ns, text));
}

void rec_writer_step(struct rec_writer *w, uint64_t now_ns)
{
	put(w, rec_enc_step(w->buf, w->n, now_ns));
	flush(w);
}

void rec_writer_finish(struct rec_writer *w, const struct rec_finish *f)
{
	put(w, rec_enc_finish(w->buf, w->n, f));
	flush(w);
}

int rec_writer_close(struct rec_writer *w)
{
	int rc;

	if (!w)
		return 0;
	rc = gzclose(w->gz) == Z_OK && !w->failed ? 0 : -1;
	if (rc < 0 && !w->failed)
		err("cannot finish the recording %s: %s", log_arg(w->path), strerror(errno));
	free(w->buf);
	free(w->path);
	free(w);
	return rc;
}

/* Why reading stopped before the end: zlib's damage or a cut line. */
static int read_damage(gzFile gz, const char *path, unsigned line, char *err, size_t n)
{
	int e;
	const char *z = gzerror(gz, &e);
	size_t pl = strlen(path);

	if (!strncmp(z, path, pl) && !strncmp(z + pl, ": ", 2))
		z += pl + 2; /* zlib names the file; the sentence does already */
	if (e == Z_ERRNO)
		snprintf(err, n, "cannot read %s: %s", path, strerror(errno));
	else if (line == 0)
		snprintf(err, n, "%s is not a ksleuth recording (%s)", path, e ? z : "it is empty");
	else
		snprintf(err, n, "%s is damaged or truncated after line %u (%s): what came before was replayed",
			 path, line, e ? z : "its last line is cut off");
	return -1;
}

static int read_lines(gzFile gz, const char *path, int (*fn)(void *, const struct rec_item *), void *arg,
		      char *err, size_t n, char *line, struct rec_reader *r, struct rec_item *it)
{
	for (;;) {
		size_t len;

		if (!gzgets(gz, line, REC_MAX_LINE + 2)) {
			int e;
			gzerror(gz, &e);
			if (e != Z_OK || r->line == 0)
				return read_damage(gz, path, r->line, err, n);
			return 0;
		}
		len = strlen(line);
		if (!len || line[len - 1] != '\n')
			return read_damage(gz, path, r->line, err, n);
		line[len - 1] = '\0';
		if (rec_decode(r, line, it) < 0) {
			if (r->line == 0 || !r->version)
				snprintf(err, n, "%s: %s", path, r->err);
			else
				snprintf(err, n, "%s: %s: what came before was replayed", path, r->err);
			return -1;
		}
		if (it->type != REC_NONE && fn(arg, it))
			return 0;
	}
}

int rec_file_read(const char *path, int (*fn)(void *arg, const struct rec_item *it), void *arg,
		  char *err, size_t n)
{
	struct rec_reader *r = malloc(sizeof(*r));
	struct rec_item *it = malloc(sizeof(*it));
	char *line = malloc(REC_MAX_LINE + 2);
	gzFile gz = NULL;
	int rc = -1;

	if (!r || !it || !line) {
		snprintf(err, n, "out of memory");
		goto out;
	}
	rec_reader_init(r);
	gz = gzopen(path, "rb");
	if (!gz) {
		snprintf(err, n, "cannot open %s: %s", path, errno ? strerror(errno) : "out of memory");
		goto out;
	}
	rc = read_lines(gz, path, fn, arg, err, n, line, r, it);
out:
	if (gz)
		gzclose(gz);
	free(line);
	free(it);
	free(r);
	return rc;
}

/* kmsg_reader.c — non-blocking /dev/kmsg reader: one read() returns one
 * record; EPIPE means the ring overwrote records we had not read yet. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "sys/kmsg_reader.h"

int kmsg_open(struct kmsg_reader *r)
{
	r->lost = 0;
	r->fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (r->fd < 0)
		return -errno;
	/* SEEK_END: start after the last record logged so far */
	if (lseek(r->fd, 0, SEEK_END) < 0) {
		int e = -errno;
		close(r->fd);
		r->fd = -1;
		return e;
	}
	return 0;
}

int kmsg_next(struct kmsg_reader *r, struct kmsg_rec *out)
{
	char buf[8192]; /* a record is at most ~1 KiB of text plus dictionary */

	if (r->fd < 0)
		return 0;
	for (;;) {
		ssize_t n = read(r->fd, buf, sizeof(buf) - 1);
		if (n < 0) {
			if (errno == EAGAIN)
				return 0;
			if (errno == EPIPE) {
				r->lost++;
				continue;
			}
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return 0;
		buf[n] = '\0';
		if (kmsg_parse(buf, (size_t)n, out) == 0)
			return 1;
	}
}

void kmsg_close(struct kmsg_reader *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

/* kmsg_reader.h — read /dev/kmsg without blocking, only records logged
 * after kmsg_open(): the doctor watches for livepatch, module, lockup and
 * stall lines while it runs. Parsing is lib/kmsg.h's job. */
#ifndef SYS_KMSG_READER_H
#define SYS_KMSG_READER_H
#include "lib/kmsg.h"

struct kmsg_reader {
	int fd;              /* -1 when /dev/kmsg could not be opened */
	unsigned long lost;  /* records overwritten before we read them */
};

/* Opens /dev/kmsg non-blocking and skips every record already there.
 * Returns 0 or -errno (the caller may go on without kernel log lines). */
int kmsg_open(struct kmsg_reader *r);
/* Next new record: 1 with *out filled, 0 when there is none now, -errno. */
int kmsg_next(struct kmsg_reader *r, struct kmsg_rec *out);
void kmsg_close(struct kmsg_reader *r);

#endif

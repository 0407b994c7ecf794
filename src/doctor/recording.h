/* doctor/recording.h — a recording of everything the doctor's engine was
 * given (lib/recfmt.h lines, gzip-compressed; docs/record.md): the writer
 * `doctor --record` uses, and the reader `report` replays from. */
#ifndef DOCTOR_RECORDING_H
#define DOCTOR_RECORDING_H
#include <stdint.h>

#include "lib/recfmt.h"

struct rec_writer;

/* Creates path (replacing it). NULL after saying why (err()). */
struct rec_writer *rec_writer_open(const char *path, unsigned ncpus);
/* The run's constants, before any input. */
void rec_writer_begin(struct rec_writer *w, const struct eng_cfg *c, const struct eng_kernel *k,
		      const struct rec_facts *f, const struct rec_start *s);
void rec_writer_sample(struct rec_writer *w, const struct eng_net_sample *s);
void rec_writer_stall(struct rec_writer *w, const struct eng_stall *s, const struct stall_window_info *win,
		      const char *what);
void rec_writer_kmsg(struct rec_writer *w, uint64_t ts_ns, const char *text);
/* An engine_step; everything so far is flushed to the file, so that a
 * crash leaves a readable recording up to the last second. */
void rec_writer_step(struct rec_writer *w, uint64_t now_ns);
void rec_writer_finish(struct rec_writer *w, const struct rec_finish *f);
/* Closes it; -1 after saying why when anything could not be written. */
int rec_writer_close(struct rec_writer *w);

/* Reads path record by record, calling fn with each (fn returns 0 to go
 * on). Returns 0 when the whole file was read, else -1 with why (one
 * sentence naming the file) in err: what came before the damage has been
 * delivered. */
int rec_file_read(const char *path, int (*fn)(void *arg, const struct rec_item *it), void *arg,
		  char *err, size_t n);

#endif

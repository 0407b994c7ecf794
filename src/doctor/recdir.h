/* doctor/recdir.h — the agent's --record-dir: the evidence of each
 * incident kept as a recording `ksleuth report` reads (docs/record.md),
 * bounded in size. The pipeline records into DIR/.segment.ksl; a segment
 * in which an incident closed is kept as DIR/incident-<UTC start>.ksl,
 * any other is deleted. A segment ends after its span, but never within
 * RECDIR_QUIET_NS of a spike (so an incident's seconds stay in one file),
 * or at a quarter of the size limit whatever happens; then the oldest
 * kept files go until all of them fit the limit. */
#ifndef DOCTOR_RECDIR_H
#define DOCTOR_RECDIR_H
#include <stdint.h>

#define RECDIR_QUIET_NS (10 * NS_PER_SEC)

struct pipeline;
struct recdir;

/* Starts the first segment. NULL after saying why (a DIR that is not a
 * writable directory, out of memory). */
struct recdir *recdir_open(struct pipeline *p, const char *dir, uint64_t span_ns, uint64_t max_bytes,
			   uint64_t now);
void recdir_spike(struct recdir *r, uint64_t now);
void recdir_incident(struct recdir *r);
/* Once a second: ends the segment when it is due. */
void recdir_tick(struct recdir *r, uint64_t now);
/* The last segment kept or deleted as any other; frees r. */
void recdir_close(struct recdir *r, uint64_t now);

struct recdir_stats {
	uint64_t kept, deleted, pruned; /* segments kept, deleted (no incident), kept files removed for room */
	uint64_t bytes;                 /* the kept files' size now */
	uint64_t errors;                /* segments that could not be written, kept or removed */
};
const struct recdir_stats *recdir_stats(const struct recdir *r);

#endif

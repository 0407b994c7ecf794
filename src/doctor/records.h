/* doctor/records.h — JSON Lines records of the doctor's output (one
 * object a line, `"type"` first), shared by `doctor --json` and
 * `agent --events`: every record the doctor writes is written here. */
#ifndef DOCTOR_RECORDS_H
#define DOCTOR_RECORDS_H
#include <stdint.h>

#include "doctor/pipeline.h"
#include "engine/engine.h"
#include "engine/stallfill.h"
#include "lib/kmsg.h"

struct json;

void doctor_json_stall(struct json *j, const struct pipeline_stall *ps, uint64_t emitted_ns);
/* "key":{"pid":...,"tid":...,"comm":...,"mode":...,"policy":...,...} */
void doctor_json_task(struct json *j, const char *key, const struct eng_task *t);
void doctor_json_incident(struct json *j, const struct eng_incident *inc, uint64_t emitted_ns);
void doctor_json_finding(struct json *j, const struct eng_finding *f, uint64_t emitted_ns);
void doctor_json_spike(struct json *j, const struct eng_spike *s);
/* The contention waits CPU cpu had in the last second, folded in x. */
void doctor_json_contention(struct json *j, unsigned cpu, const struct stall_contention *x);
/* A kernel log line the pipeline classified as cls. */
void doctor_json_kmsg(struct json *j, const struct kmsg_rec *r, const char *cls);

#endif

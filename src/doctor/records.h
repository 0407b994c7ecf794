/* doctor/records.h — JSON Lines records of the doctor's output (one
 * object a line, `"type"` first), shared by `doctor --json` and
 * `agent --events`. */
#ifndef DOCTOR_RECORDS_H
#define DOCTOR_RECORDS_H
#include <stdint.h>

#include "doctor/pipeline.h"
#include "engine/engine.h"

struct json;

void doctor_json_stall(struct json *j, const struct pipeline_stall *ps, uint64_t emitted_ns);
/* "key":{"pid":...,"tid":...,"comm":...,"mode":...,"policy":...,...} */
void doctor_json_task(struct json *j, const char *key, const struct eng_task *t);
void doctor_json_incident(struct json *j, const struct eng_incident *inc, uint64_t emitted_ns);
void doctor_json_finding(struct json *j, const struct eng_finding *f, uint64_t emitted_ns);

#endif

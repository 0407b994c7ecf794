/* evidence.h — a recorded run kept as pictures: the per-second network
 * counters, the stalls with who held the CPU and their stacks, the kernel
 * log lines and the engine's incidents, collected as a replay (`ksleuth
 * report`) feeds them to the engine, then written as folded stacks (for
 * flame-graph tools), Chrome trace-event JSON (ui.perfetto.dev,
 * chrome://tracing) or one self-contained HTML page (inline SVG, no
 * script, nothing fetched). Pure: writes to a FILE given. */
#ifndef LIB_EVIDENCE_H
#define LIB_EVIDENCE_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/engine.h"

struct ev_second {
	uint64_t ts_ns;              /* the end of the second */
	uint64_t retrans, drops;     /* in that second (tracepoint; softnet + other) */
	uint64_t netrx_max_ns;       /* the longest NET_RX delay of any CPU */
};

struct ev_stall {
	int cpu;
	uint64_t start_ns, end_ns;
	bool have_holder;            /* a task held the CPU (holder below) */
	struct eng_task holder;      /* the task that ran longest during it */
	char victim[ENG_COMM_LEN];   /* who waited */
	unsigned n_frames;           /* the holder's hottest stack, leaf first */
	char frames[ENG_MAX_FRAMES][ENG_FRAME_LEN];
	uint32_t stack_samples;
};

struct ev_kmsg {
	uint64_t ts_ns;
	char text[160];
};

struct ev_incident {
	unsigned id;
	uint64_t start_ns, end_ns;
	int cpu;                     /* -1: not a CPU's */
	enum eng_mech mech;
	const char *confidence;
	bool have_culprit;
	struct eng_task culprit;
	char summary[ENG_ADVICE_LEN];
	unsigned n_advice;
	char advice[ENG_MAX_ADVICE][ENG_ADVICE_LEN];
};

struct evidence {
	unsigned ncpus;
	uint64_t t0_ns, end_ns;      /* the window shown */
	char title[192];             /* kernel release and preemption model, said once */
	unsigned n_seconds, n_stalls, n_kmsg, n_incidents;
	unsigned cap_seconds, cap_stalls, cap_kmsg, cap_incidents;
	struct ev_second *seconds;
	struct ev_stall *stalls;
	struct ev_kmsg *kmsg;
	struct ev_incident *incidents;
};

void ev_init(struct evidence *e, unsigned ncpus, uint64_t t0_ns, const char *title);
void ev_free(struct evidence *e);
/* The inputs as the engine gets them. A stall seen again while ongoing
 * replaces its earlier record. 0, or -1 when out of memory. */
int ev_add_sample(struct evidence *e, const struct eng_net_sample *s);
int ev_add_stall(struct evidence *e, const struct eng_stall *s);
int ev_add_kmsg(struct evidence *e, uint64_t ts_ns, const char *text);
int ev_add_incident(struct evidence *e, const struct eng_incident *inc);
void ev_end(struct evidence *e, uint64_t end_ns);

/* Whether s was held by an incident's culprit (same pid). */
bool ev_is_culprit(const struct evidence *e, const struct ev_stall *s);
/* The stalls' stacks, "holder;outermost;...;leaf N" with N the samples
 * that had the stack; only the culprits' with only_culprits. Returns
 * the lines written. */
unsigned ev_write_folded(FILE *f, const struct evidence *e, bool only_culprits);
/* Chrome's trace-event JSON (its documented fields only): a track per
 * CPU with its stalls, counters for retransmits/s, drops/s and the NET_RX
 * delay, kernel log lines as instant events, incidents on a track of
 * their own. Times in microseconds from t0. */
void ev_write_perfetto(FILE *f, const struct evidence *e);
/* One HTML page: the verdicts and advice, per-CPU lanes of who held the
 * CPU (the culprit highlighted, mode and bottom-half state in each
 * band's title), incident bands across the lanes, aligned tracks of
 * retransmits/s, drops/s and NET_RX delay, kernel log markers, and a
 * flame graph of the culprit's stacks. */
void ev_write_html(FILE *f, const struct evidence *e);

#endif

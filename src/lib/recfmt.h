/* recfmt.h — the doctor's recording format (docs/record.md): one record a
 * line, tab-separated fields, the record's name first, after a magic line
 * with the format version. Encodes the engine's inputs into lines and
 * decodes lines back. Pure: no files, no compression (doctor/recording.c
 * gzips the lines), so the decoder can be fuzzed and unit-tested. */
#ifndef LIB_RECFMT_H
#define LIB_RECFMT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "engine/stallfill.h"

#define REC_MAGIC "KSLEUTH-RECORDING"
#define REC_VERSION 1
#define REC_MAX_CPUS 4096          /* the engine's own limit */
#define REC_MAX_LINE (64 + REC_MAX_CPUS * 5 * 21) /* a sample of every CPU, 5 numbers each */
#define REC_WHAT_LEN 64          /* a stall's "what" (doctor/pipeline.c asserts its own fit) */

/* What the final report prints about the kernel beyond struct eng_kernel. */
struct rec_facts {
	char release[128];
	unsigned preempt_models;   /* KF_MODEL_* bits */
	char preempt_model[24];
	int realtime;              /* enum kf_tri */
	bool preempt_dynamic_built;
	char preempt_dynamic[16];
	int hz;
	int softirq;               /* enum softirq_semantics */
};

/* The run's constants: written once, before any input. */
struct rec_start {
	unsigned ncpus;
	uint64_t t0_ns;
	int64_t wall_off_ns;       /* CLOCK_REALTIME - CLOCK_MONOTONIC, for the times shown */
	bool sampler;              /* stacks and modes were sampled */
	char netrx_source[8];      /* "tick" or "trace" */
};

/* A stall as the pipeline handed it over (doctor/pipeline.h). */
struct rec_stall {
	struct eng_stall s;
	struct stall_window_info win;
	char what[REC_WHAT_LEN];
};

enum rec_type {
	REC_NONE = 0,
	REC_META,      /* ksleuth's version */
	REC_CFG,       /* struct eng_cfg */
	REC_KERNEL,    /* struct eng_kernel */
	REC_FACTS,     /* struct rec_facts */
	REC_START,     /* struct rec_start; the engine starts here */
	REC_SAMPLE,    /* engine_add_sample */
	REC_STALL,     /* engine_add_stall */
	REC_KMSG,      /* engine_add_kmsg */
	REC_STEP,      /* engine_step */
	REC_FINISH,    /* the end of the run (engine_finish when settle) */
};

struct rec_finish {
	uint64_t now_ns;
	bool settle;               /* engine_finish was called (not after --once's incident) */
	uint64_t lost_records, lost_kmsg;
};

/* One decoded record. Pointers point into the reader or the line. */
struct rec_item {
	enum rec_type type;
	char version[64];                  /* REC_META */
	struct eng_cfg cfg;                /* REC_CFG */
	struct eng_kernel kernel;          /* REC_KERNEL */
	struct rec_facts facts;            /* REC_FACTS */
	struct rec_start start;            /* REC_START */
	struct eng_net_sample sample;      /* REC_SAMPLE: cpu points into the reader */
	struct rec_stall stall;            /* REC_STALL */
	uint64_t ts_ns;                    /* REC_KMSG, REC_STEP */
	char text[256];                    /* REC_KMSG (struct kmsg_rec's text) */
	struct rec_finish finish;          /* REC_FINISH */
};

/* ---- writing: each returns the line's length (with its '\n'), or -1 when
 * it does not fit in n bytes. */
int rec_enc_magic(char *buf, size_t n);
int rec_enc_meta(char *buf, size_t n, const char *version);
int rec_enc_cfg(char *buf, size_t n, const struct eng_cfg *c);
int rec_enc_kernel(char *buf, size_t n, const struct eng_kernel *k);
int rec_enc_facts(char *buf, size_t n, const struct rec_facts *f);
int rec_enc_start(char *buf, size_t n, const struct rec_start *s);
int rec_enc_sample(char *buf, size_t n, const struct eng_net_sample *s);
int rec_enc_stall(char *buf, size_t n, const struct eng_stall *s, const struct stall_window_info *win,
		  const char *what);
int rec_enc_kmsg(char *buf, size_t n, uint64_t ts_ns, const char *text);
int rec_enc_step(char *buf, size_t n, uint64_t now_ns);
int rec_enc_finish(char *buf, size_t n, const struct rec_finish *f);

/* ---- reading ------------------------------------------------------------ */

struct rec_reader {
	unsigned line;             /* lines decoded so far */
	int version;               /* from the magic line; 0 before it */
	unsigned ncpus;            /* from REC_START; 0 before it */
	char err[160];             /* why the last decode failed */
	struct eng_cpu_sample cpu[REC_MAX_CPUS];
};
void rec_reader_init(struct rec_reader *r);
/* Decodes one line (no '\n'; changed in place). 0 and *it filled; -1 with
 * r->err saying why (not a recording, a newer version, a damaged line).
 * The first line must be the magic line (it->type REC_NONE). Records must
 * come in order: cfg, kernel and start before any input. */
int rec_decode(struct rec_reader *r, char *line, struct rec_item *it);

#endif

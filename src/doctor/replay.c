/* doctor/replay.c — the pipeline's two ends of a recording
 * (doctor/recording.h): the header written when `--record` starts, and a
 * replay that feeds the recorded inputs to a fresh engine through the same
 * callbacks the live pipeline calls, in the same order. No collectors. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ksleuth.h"
#include "doctor/pipeline.h"
#include "doctor/pipeline_int.h"
#include "doctor/recording.h"
#include "lib/evidence.h"
#include "lib/kmsg.h"
#include "sys/log.h"

/* CLOCK_REALTIME - CLOCK_MONOTONIC: a replay shows the recorded wall clock. */
int64_t wall_offset_ns(void)
{
	struct timespec rt, mo;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mo);
	return ((int64_t)rt.tv_sec - mo.tv_sec) * (int64_t)NS_PER_SEC + (rt.tv_nsec - mo.tv_nsec);
}

void pipeline_record_begin(struct pipeline *p, const struct eng_cfg *cfg)
{
	const struct kernel_facts *kf = &p->kf;
	struct rec_facts f = { .preempt_models = kf->preempt_models, .realtime = kf->realtime,
			       .preempt_dynamic_built = kf->preempt_dynamic_built, .hz = kf->hz,
			       .softirq = kf->softirq };
	struct rec_start st = { .ncpus = p->ncpus, .t0_ns = p->t0_ns, .wall_off_ns = p->wall_off_ns,
				.sampler = p->sampler };

	snprintf(f.release, sizeof(f.release), "%s", kf->release);
	snprintf(f.preempt_model, sizeof(f.preempt_model), "%s", kf->preempt_model);
	snprintf(f.preempt_dynamic, sizeof(f.preempt_dynamic), "%s", kf->preempt_dynamic);
	snprintf(st.netrx_source, sizeof(st.netrx_source), "%s", pipeline_netrx_source(p));
	rec_writer_begin(p->rec, cfg, &p->ek, &f, &st);
}

static void facts_from(struct kernel_facts *kf, const struct rec_facts *f)
{
	snprintf(kf->release, sizeof(kf->release), "%s", f->release);
	kf->preempt_models = f->preempt_models;
	snprintf(kf->preempt_model, sizeof(kf->preempt_model), "%s", f->preempt_model);
	kf->realtime = (enum kf_tri)f->realtime;
	kf->preempt_dynamic_built = f->preempt_dynamic_built;
	snprintf(kf->preempt_dynamic, sizeof(kf->preempt_dynamic), "%s", f->preempt_dynamic);
	kf->hz = f->hz;
	kf->softirq = (enum softirq_semantics)f->softirq;
}

/* The header up to the start record; the engine starts there. */
struct header {
	struct pipeline *p;
	bool have_cfg, have_kernel, started;
	struct eng_cfg cfg;
};

static int on_header(void *arg, const struct rec_item *it)
{
	struct header *h = arg;
	struct pipeline *p = h->p;

	switch (it->type) {
	case REC_CFG: h->cfg = it->cfg; h->have_cfg = true; return 0;
	case REC_KERNEL: p->ek = it->kernel; h->have_kernel = true; return 0;
	case REC_FACTS: facts_from(&p->kf, &it->facts); return 0;
	case REC_START:
		p->ncpus = it->start.ncpus;
		p->t0_ns = p->end_ns = it->start.t0_ns;
		p->wall_off_ns = it->start.wall_off_ns;
		p->sampler = it->start.sampler;
		p->netrx_src = !strcmp(it->start.netrx_source, "trace") ? "trace" : "tick";
		h->started = true;
		return 1;
	default:
		return 0;
	}
}

int pipeline_replay_open(struct pipeline **out, const struct pipeline_opts *o, const char *path)
{
	struct header h = { 0 };
	char why[400];
	struct pipeline *p;

	*out = p = calloc(1, sizeof(*p));
	if (!p) {
		err("out of memory");
		return -1;
	}
	p->o = *o;
	p->o.record_path = NULL;
	p->replay = true;
	p->km.fd = -1;
	p->path = path;
	h.p = p;
	if (rec_file_read(path, on_header, &h, why, sizeof(why)) < 0) {
		err("%s", why);
		return -1;
	}
	if (!h.started || !h.have_cfg || !h.have_kernel) {
		err("%s is damaged: its header (cfg, kernel, start) is incomplete", log_arg(path));
		return -1;
	}
	if (o->evidence) {
		char title[192];
		snprintf(title, sizeof(title), "Linux %s, preemption %s", p->kf.release,
			 p->ek.preempt[0] ? p->ek.preempt : "unknown");
		ev_init(o->evidence, p->ncpus, p->t0_ns, title);
	}
	p->eng = engine_new(&h.cfg, &p->ek, p->ncpus, p->t0_ns, o->on_event, o->arg);
	if (!p->eng) {
		err("%s: the engine refused its configuration (or no memory)", log_arg(path));
		return -1;
	}
	return 0;
}

/* Out of memory for the pictures: they stop here, the replay goes on. */
static void evidence_lost(struct pipeline *p)
{
	warn("out of memory: the report's pictures end before the recording does");
	p->o.evidence = NULL;
}

/* One recorded input, handed to the callbacks and the engine in the order
 * the live pipeline does (pipeline.c: hand_over, on_kmsg_fd, tick). */
static int on_input(void *arg, const struct rec_item *it)
{
	struct pipeline *p = arg;
	struct evidence *ev = p->o.evidence;

	switch (it->type) {
	case REC_SAMPLE:
		if (ev && ev_add_sample(ev, &it->sample) < 0)
			evidence_lost(p);
		if (p->o.on_second)
			p->o.on_second(p->o.arg, &it->sample, NULL, 0);
		engine_add_sample(p->eng, &it->sample);
		return 0;
	case REC_STALL: {
		struct pipeline_stall ps = { .s = &it->stall.s, .win = it->stall.win, .what = it->stall.what };
		stall_fill_decide(ps.s, &ps.win, &ps.fill);
		if (ev && ev_add_stall(ev, ps.s) < 0)
			evidence_lost(p);
		if (p->o.on_stall)
			p->o.on_stall(p->o.arg, &ps);
		engine_add_stall(p->eng, ps.s);
		return 0;
	}
	case REC_KMSG: {
		struct kmsg_rec r = { .ts_ns = it->ts_ns };
		enum kmsg_class cls = kmsg_classify(it->text);
		snprintf(r.text, sizeof(r.text), "%s", it->text);
		if (ev && cls != KMSG_OTHER && ev_add_kmsg(ev, r.ts_ns, r.text) < 0)
			evidence_lost(p);
		engine_add_kmsg(p->eng, r.ts_ns, r.text);
		if (cls != KMSG_OTHER && p->o.on_kmsg)
			p->o.on_kmsg(p->o.arg, &r, cls);
		return 0;
	}
	case REC_STEP:
		engine_step(p->eng, it->ts_ns);
		if (it->ts_ns > p->end_ns)
			p->end_ns = it->ts_ns;
		return 0;
	case REC_FINISH:
		p->end_ns = it->finish.now_ns;
		if (ev)
			ev_end(ev, p->end_ns);
		p->settle = it->finish.settle;
		p->lost_records = it->finish.lost_records;
		p->km.lost = (unsigned long)it->finish.lost_kmsg;
		return 1;
	default: /* the header, read by pipeline_replay_open */
		return 0;
	}
}

int pipeline_replay_run(struct pipeline *p)
{
	char why[400];

	/* a recording cut short (a crash, a full disk) still settles what it has */
	p->settle = true;
	if (rec_file_read(p->path, on_input, p, why, sizeof(why)) < 0) {
		err("%s", why);
		return -1;
	}
	return 0;
}

bool pipeline_replaying(const struct pipeline *p) { return p->replay; }
uint64_t pipeline_end_ns(const struct pipeline *p) { return p->replay ? p->end_ns : 0; }
int64_t pipeline_wall_off_ns(const struct pipeline *p) { return p->wall_off_ns; }

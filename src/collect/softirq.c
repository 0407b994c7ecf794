/* collect/softirq.c — user side of the softirq collector: load and attach
 * softirq.bpf.c, drain its double-buffered histograms, deliver records
 * (the ring and its loop: collect/ring.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "collect/attach.h"
#include "collect/ring.h"
#include "collect/softirq.h"
#include "softirq.skel.h"
#include "sys/log.h"

RING_SKEL_CHECK(softirq_bpf);

struct softirq_collector {
	struct ring_coll r; /* first: see ring_new */
	softirq_event_cb cb;
	void *cb_arg;
	struct softirq_hists *zero; /* nr_cpus zeroed values, to reset a half */
};
_Static_assert(__builtin_offsetof(struct softirq_collector, r) == 0, "ring_new: r first");

static int on_record(void *ctx, void *data, size_t size)
{
	struct softirq_collector *c = ctx;

	if (size >= sizeof(struct softirq_event) && c->cb)
		c->cb(data, c->cb_arg);
	return 0;
}

static void *load(void *arg, bool raw)
{
	const struct softirq_opts *o = arg;
	struct softirq_bpf *s = softirq_bpf__open();
	if (!s)
		return NULL;
	s->rodata->vec_mask = o->vec_mask ? o->vec_mask : 0x3ff;
	s->rodata->slower_ns = o->slower_ns;
	s->rodata->measure_run = !o->no_run_time;
	const struct attach_pair p[] = {
		{ s->progs.ks_sirq_raise, s->progs.ks_sirq_raise_raw },
		{ s->progs.ks_sirq_entry, s->progs.ks_sirq_entry_raw },
		{ s->progs.ks_sirq_exit, s->progs.ks_sirq_exit_raw }, /* last: optional */
	};
	if (o->no_run_time) {
		bpf_program__set_autoload(s->progs.ks_sirq_exit, false);
		bpf_program__set_autoload(s->progs.ks_sirq_exit_raw, false);
	}
	return ring_loaded(s, attach_load(s->skeleton, p, o->no_run_time ? 2 : 3, raw));
}

static const struct ring_ops ops = {
	.name = "softirq",
	.what = "the softirq tracer (irq:softirq_raise/entry/exit)",
	.load = load,
	.on_record = on_record,
};

int softirq_open(struct softirq_collector **out, const struct softirq_opts *o)
{
	struct softirq_collector *c;
	int e;

	*out = NULL;
	c = ring_new(sizeof(*c), &ops, (void *)o, &e);
	if (!c)
		return e;
	c->zero = calloc(c->r.nr_cpus, sizeof(*c->zero));
	if (!c->zero) {
		err("softirq collector: out of memory");
		softirq_close(c);
		return -ENOMEM;
	}
	*out = c;
	return 0;
}

void softirq_close(struct softirq_collector *c)
{
	if (!c)
		return;
	free(c->zero);
	ring_free(&c->r);
}

void softirq_set_event_cb(struct softirq_collector *c, softirq_event_cb cb, void *arg)
{
	c->cb = cb;
	c->cb_arg = arg;
}

int softirq_add_to_loop(struct softirq_collector *c, struct loop *l)
{
	return ring_add_to_loop(&c->r, l);
}

int softirq_poll(struct softirq_collector *c, int timeout_ms)
{
	return ring_poll(&c->r, timeout_ms);
}

unsigned softirq_nr_cpus(const struct softirq_collector *c)
{
	return c->r.nr_cpus;
}

const char *softirq_attach_kind(const struct softirq_collector *c)
{
	return ring_attach_kind(&c->r);
}

int softirq_take(struct softirq_collector *c, struct softirq_hists *out)
{
	struct softirq_bpf *s = c->r.skel;

	return attach_take_half(bpf_map__fd(s->maps.hists), &s->bss->gen, out, c->zero);
}

int softirq_stats(struct softirq_collector *c, uint64_t out[SOFTIRQ_NR_STATS])
{
	return ring_stats(&c->r, out, SOFTIRQ_NR_STATS);
}

int softirq_prog_stats(struct softirq_collector *c, struct prog_stat *out, int max)
{
	return ring_prog_stats(&c->r, out, max);
}

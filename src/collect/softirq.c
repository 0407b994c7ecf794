/* collect/softirq.c — user side of the softirq collector: load and attach
 * softirq.bpf.c, drain its double-buffered histograms, deliver records. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "collect/attach.h"
#include "collect/softirq.h"
#include "softirq.skel.h"
#include "sys/log.h"
#include "sys/loop.h"

struct softirq_collector {
	struct softirq_bpf *skel;
	struct ring_buffer *rb;
	unsigned nr_cpus;
	bool raw;
	softirq_event_cb cb;
	void *cb_arg;
	struct softirq_hists *zero; /* nr_cpus zeroed values, to reset a half */
};

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
	int e = attach_load(s->skeleton, p, o->no_run_time ? 2 : 3, raw);
	if (e) {
		softirq_bpf__destroy(s);
		errno = -e;
		return NULL;
	}
	return s;
}

int softirq_open(struct softirq_collector **out, const struct softirq_opts *o)
{
	struct softirq_collector *c = calloc(1, sizeof(*c));
	int ncpu = libbpf_num_possible_cpus(), e;

	if (!c || ncpu <= 0) {
		free(c);
		err("softirq collector: out of memory or no CPUs");
		return -ENOMEM;
	}
	c->nr_cpus = (unsigned)ncpu;
	c->skel = attach_btf_or_raw(load, (void *)o, "softirq",
				    "the softirq tracer (irq:softirq_raise/entry/exit)", &c->raw, &e);
	if (!c->skel) {
		free(c);
		return e;
	}
	c->zero = calloc(c->nr_cpus, sizeof(*c->zero));
	c->rb = ring_buffer__new(bpf_map__fd(c->skel->maps.events), on_record, c, NULL);
	if (!c->zero || !c->rb) {
		err("softirq collector: cannot set up its ring buffer");
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
	ring_buffer__free(c->rb);
	softirq_bpf__destroy(c->skel);
	free(c->zero);
	free(c);
}

void softirq_set_event_cb(struct softirq_collector *c, softirq_event_cb cb, void *arg)
{
	c->cb = cb;
	c->cb_arg = arg;
}

static void on_ready(struct loop *l, int fd, uint32_t events, void *arg)
{
	(void)l; (void)fd; (void)events;
	ring_buffer__consume(((struct softirq_collector *)arg)->rb);
}

int softirq_add_to_loop(struct softirq_collector *c, struct loop *l)
{
	return loop_add_fd(l, ring_buffer__epoll_fd(c->rb), EPOLLIN, on_ready, c);
}

int softirq_poll(struct softirq_collector *c, int timeout_ms)
{
	return ring_buffer__poll(c->rb, timeout_ms);
}

unsigned softirq_nr_cpus(const struct softirq_collector *c)
{
	return c->nr_cpus;
}

const char *softirq_attach_kind(const struct softirq_collector *c)
{
	return c->raw ? "raw_tp" : "tp_btf";
}

int softirq_take(struct softirq_collector *c, struct softirq_hists *out)
{
	return attach_take_half(bpf_map__fd(c->skel->maps.hists), &c->skel->bss->gen, out, c->zero);
}

int softirq_stats(struct softirq_collector *c, uint64_t out[SOFTIRQ_NR_STATS])
{
	return attach_sum_percpu(bpf_map__fd(c->skel->maps.stats), c->nr_cpus, out, SOFTIRQ_NR_STATS);
}

int softirq_prog_stats(struct softirq_collector *c, struct prog_stat *out, int max)
{
	return attach_prog_stats(c->skel->obj, out, max);
}

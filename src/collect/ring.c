/* collect/ring.c — load, ring buffer, event-loop hookup, counters and
 * teardown for the tracepoint collectors (see ring.h). Holds no policy:
 * what to load and how to name it come from the collector's ops. */
#include <errno.h>
#include <stdlib.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "collect/attach.h"
#include "collect/ring.h"
#include "sys/log.h"
#include "sys/loop.h"

static void skel_destroy(void *skel)
{
	struct ring_skel_head *h = skel;

	if (!h)
		return;
	if (h->skeleton)
		bpf_object__destroy_skeleton(h->skeleton);
	free(h);
}

void *ring_loaded(void *skel, int e)
{
	if (!e)
		return skel;
	skel_destroy(skel);
	errno = -e;
	return NULL;
}

struct bpf_object *ring_obj(const struct ring_coll *r)
{
	return ((const struct ring_skel_head *)r->skel)->obj;
}

static int map_fd(const struct ring_coll *r, const char *name)
{
	return bpf_map__fd(bpf_object__find_map_by_name(ring_obj(r), name));
}

int ring_open(struct ring_coll *r, const struct ring_ops *ops, void *arg, void *ctx)
{
	int ncpu = libbpf_num_possible_cpus(), e = 0;

	r->ops = ops;
	r->rb = NULL;
	if (ncpu <= 0) {
		err("%s collector: cannot tell how many CPUs this machine has", ops->name);
		return -EINVAL;
	}
	r->nr_cpus = (unsigned)ncpu;
	r->skel = attach_btf_or_raw(ops->load, arg, ops->name, ops->what, &r->raw, &e);
	if (!r->skel)
		return e;
	if (!ops->on_record)
		return 0;
	r->rb = ring_buffer__new(map_fd(r, "events"), ops->on_record, ctx, NULL);
	if (!r->rb) {
		e = errno ? -errno : -ENOMEM;
		err("%s collector: cannot set up its ring buffer", ops->name);
		ring_close(r);
		return e;
	}
	return 0;
}

void ring_close(struct ring_coll *r)
{
	ring_buffer__free(r->rb);
	r->rb = NULL;
	skel_destroy(r->skel);
	r->skel = NULL;
}

void *ring_new(size_t size, const struct ring_ops *ops, void *arg, int *e)
{
	struct ring_coll *r = calloc(1, size);

	if (!r) {
		err("%s collector: out of memory", ops->name);
		*e = -ENOMEM;
		return NULL;
	}
	*e = ring_open(r, ops, arg, r);
	if (*e) {
		free(r);
		return NULL;
	}
	return r;
}

void ring_free(struct ring_coll *r)
{
	if (!r)
		return;
	ring_close(r);
	free(r);
}

static void on_ready(struct loop *l, int fd, uint32_t events, void *arg)
{
	(void)l; (void)fd; (void)events;
	ring_consume(arg);
}

int ring_add_to_loop(struct ring_coll *r, struct loop *l)
{
	return loop_add_fd(l, ring_buffer__epoll_fd(r->rb), EPOLLIN, on_ready, r);
}

int ring_consume(struct ring_coll *r)
{
	return ring_buffer__consume(r->rb);
}

int ring_poll(struct ring_coll *r, int timeout_ms)
{
	return ring_buffer__poll(r->rb, timeout_ms);
}

int ring_stats(struct ring_coll *r, uint64_t *out, unsigned n)
{
	return attach_sum_percpu(map_fd(r, "stats"), r->nr_cpus, out, n);
}

int ring_prog_stats(struct ring_coll *r, struct prog_stat *out, int max)
{
	return attach_prog_stats(ring_obj(r), out, max);
}

const char *ring_attach_kind(const struct ring_coll *r)
{
	return r->raw ? "raw_tp" : "tp_btf";
}

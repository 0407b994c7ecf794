/* collect/napi.c — user side of the NAPI collector: load and attach
 * napi.bpf.c, read its per-CPU hash as rows, read the stacks. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "collect/attach.h"
#include "collect/napi.h"
#include "collect/ring.h"
#include "napi.skel.h"
#include "sys/log.h"

RING_SKEL_CHECK(napi_bpf);

/* No records: the collector's ring part is its load, counters and
 * teardown only. */
struct napi_collector {
	struct ring_coll r; /* first: see ring_new */
};
_Static_assert(__builtin_offsetof(struct napi_collector, r) == 0, "ring_new: r first");

const char *napi_ctx_name(unsigned ctx)
{
	switch (ctx) {
	case NAPI_CTX_INLINE: return "irq-tail";
	case NAPI_CTX_KSOFTIRQD: return "ksoftirqd";
	case NAPI_CTX_THREADED: return "napi-thread";
	}
	return "?";
}

static void *load(void *arg, bool raw)
{
	const struct napi_opts *o = arg;
	struct napi_bpf *s = napi_bpf__open();
	if (!s)
		return NULL;
	s->rodata->want_stacks = o->stacks;
	if (!o->stacks) { /* keep the unused maps tiny */
		bpf_map__set_max_entries(s->maps.stackmap, 1);
		bpf_map__set_max_entries(s->maps.stack_counts, 1);
	}
	const struct attach_pair p[] = { { s->progs.ks_napi_poll, s->progs.ks_napi_poll_raw } };
	return ring_loaded(s, attach_load(s->skeleton, p, 1, raw));
}

static struct napi_bpf *skel(const struct napi_collector *c)
{
	return c->r.skel;
}

static const struct ring_ops ops = {
	.name = "napi",
	.what = "the NAPI tracer (napi:napi_poll)",
	.load = load,
};

int napi_open(struct napi_collector **out, const struct napi_opts *o)
{
	int e;

	*out = ring_new(sizeof(**out), &ops, (void *)o, &e);
	return *out ? 0 : e;
}

void napi_close(struct napi_collector *c)
{
	ring_free(c ? &c->r : NULL);
}

const char *napi_attach_kind(const struct napi_collector *c)
{
	return ring_attach_kind(&c->r);
}

static int row_cmp(const void *pa, const void *pb)
{
	const struct napi_row *a = pa, *b = pb;
	int r = strncmp(a->dev, b->dev, NAPI_DEV_LEN);
	if (r)
		return r;
	if (a->cpu != b->cpu)
		return a->cpu < b->cpu ? -1 : 1;
	return (int)a->ctx - (int)b->ctx;
}

int napi_read(struct napi_collector *c, struct napi_row **rows)
{
	int fd = bpf_map__fd(skel(c)->maps.polls);
	struct napi_val *vals = calloc(c->r.nr_cpus, sizeof(*vals));
	struct napi_key key, next, *prev = NULL;
	struct napi_row *r = NULL;
	int n = 0, cap = 0;

	if (!vals)
		return -ENOMEM;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, vals) < 0)
			continue; /* deleted meanwhile: cannot happen, we never delete */
		for (unsigned cpu = 0; cpu < c->r.nr_cpus; cpu++) {
			if (!vals[cpu].polls)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				struct napi_row *t = realloc(r, (size_t)cap * sizeof(*r));
				if (!t) {
					free(r);
					free(vals);
					return -ENOMEM;
				}
				r = t;
			}
			memcpy(r[n].dev, key.dev, NAPI_DEV_LEN);
			r[n].dev[NAPI_DEV_LEN - 1] = '\0';
			r[n].ctx = key.ctx;
			r[n].cpu = cpu;
			r[n].v = vals[cpu];
			n++;
		}
	}
	free(vals);
	if (n)
		qsort(r, (size_t)n, sizeof(*r), row_cmp);
	*rows = r;
	return n;
}

int napi_diff(const struct napi_row *a, int na, const struct napi_row *b, int nb,
	      struct napi_row **out)
{
	struct napi_row *d = calloc(na ? (size_t)na : 1, sizeof(*d));
	int n = 0;

	if (!d)
		return -ENOMEM;
	for (int i = 0; i < na; i++) {
		const struct napi_row *old = bsearch(&a[i], b, (size_t)nb, sizeof(*b), row_cmp);
		struct napi_row x = a[i];
		if (old) {
			x.v.polls -= old->v.polls;
			x.v.work -= old->v.work;
			x.v.exhausted -= old->v.exhausted;
			for (int s = 0; s < NAPI_WORK_SLOTS; s++)
				x.v.work_slots[s] -= old->v.work_slots[s];
		}
		if (x.v.polls)
			d[n++] = x;
	}
	*out = d;
	return n;
}

int napi_stacks(struct napi_collector *c, napi_stack_cb cb, void *arg)
{
	int cfd = bpf_map__fd(skel(c)->maps.stack_counts);
	int sfd = bpf_map__fd(skel(c)->maps.stackmap);
	__u32 key, next, *prev = NULL;
	uint64_t ips[NAPI_STACK_DEPTH];
	int n = 0;

	if (!skel(c)->rodata->want_stacks)
		return 0;
	while (bpf_map_get_next_key(cfd, prev, &next) == 0) {
		__u64 count;
		unsigned depth = 0;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(cfd, &key, &count) < 0)
			continue;
		memset(ips, 0, sizeof(ips));
		if (bpf_map_lookup_elem(sfd, &key, ips) == 0)
			while (depth < NAPI_STACK_DEPTH && ips[depth])
				depth++;
		cb(count, ips, depth, arg);
		n++;
	}
	return n;
}

int napi_stats(struct napi_collector *c, uint64_t out[NAPI_NR_STATS])
{
	return ring_stats(&c->r, out, NAPI_NR_STATS);
}

/* collect/ring.h — the shape the tracepoint collectors (retrans, softirq,
 * napi) share: a skeleton loaded tp_btf or raw_tp (attach.h), per-CPU
 * counters (the BPF side's map `stats`), and for those with records a ring
 * buffer (its map `events`) drained from the event loop. The collector
 * supplies what differs in a small ops struct and keeps its own typed
 * callbacks. */
#ifndef COLLECT_RING_H
#define COLLECT_RING_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bpf_object;
struct bpf_object_skeleton;
struct loop;
struct prog_stat;
struct ring_buffer;

/* What every bpftool skeleton starts with (struct X_bpf): the collectors
 * check their skeleton against it with RING_SKEL_CHECK. */
struct ring_skel_head {
	struct bpf_object_skeleton *skeleton;
	struct bpf_object *obj;
};
#define RING_SKEL_CHECK(type)                                                                  \
	_Static_assert(__builtin_offsetof(struct type, skeleton) == 0 &&                        \
		       __builtin_offsetof(struct type, obj) ==                                   \
			       __builtin_offsetof(struct ring_skel_head, obj),                   \
		       #type ": not a bpftool skeleton")

struct ring_ops {
	const char *name;     /* "retrans": debug lines and errors */
	const char *what;     /* "the TCP retransmit tracer (tcp:tcp_retransmit_skb)" */
	/* Open, configure, load and attach (tp_btf, or raw_tp when raw):
	 * the skeleton, or NULL with errno set (see ring_loaded). */
	void *(*load)(void *arg, bool raw);
	/* called per record of the ring buffer map `events` with the
	 * collector's ctx (see ring_open); NULL: no records, no such map */
	int (*on_record)(void *ctx, void *data, size_t size);
};

struct ring_coll {
	const struct ring_ops *ops;
	void *skel;               /* the collector's struct X_bpf */
	struct ring_buffer *rb;   /* NULL without records */
	unsigned nr_cpus;         /* possible CPUs: slots of per-CPU results */
	bool raw;                 /* raw_tp programs (else tp_btf) */
};

/* A load function's end: skel after attach_load returned e. On failure
 * destroys skel and returns NULL with errno = -e. */
void *ring_loaded(void *skel, int e);

/* Loads through ops->load(arg, ...) and sets up the ring buffer with
 * ctx for on_record. Returns 0 or -errno after saying what failed; on
 * failure nothing is left to close. */
int ring_open(struct ring_coll *r, const struct ring_ops *ops, void *arg, void *ctx);
void ring_close(struct ring_coll *r);
/* A collector of size bytes whose first member is its struct ring_coll,
 * zeroed and opened (ring_open, ctx: the collector itself). NULL with
 * *err = -errno after saying what failed. ring_free closes and frees it. */
void *ring_new(size_t size, const struct ring_ops *ops, void *arg, int *err);
void ring_free(struct ring_coll *r);
int ring_add_to_loop(struct ring_coll *r, struct loop *l);
/* Consume what is in the ring now; ring_poll waits up to timeout_ms. */
int ring_consume(struct ring_coll *r);
int ring_poll(struct ring_coll *r, int timeout_ms);
/* out[k] for k < n: the counter array summed over CPUs. */
int ring_stats(struct ring_coll *r, uint64_t *out, unsigned n);
int ring_prog_stats(struct ring_coll *r, struct prog_stat *out, int max);
struct bpf_object *ring_obj(const struct ring_coll *r);
/* "tp_btf" or "raw_tp": how the programs are attached. */
const char *ring_attach_kind(const struct ring_coll *r);

#endif

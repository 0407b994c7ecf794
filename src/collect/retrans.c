/* collect/retrans.c — user side of the TCP retransmit collector: probe the
 * tracepoint's arguments in BTF, load and attach retrans.bpf.c, deliver
 * records, sum counters. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "collect/attach.h"
#include "collect/retrans.h"
#include "retrans.skel.h"
#include "sys/log.h"
#include "sys/loop.h"

struct retrans_collector {
	struct retrans_bpf *skel;
	struct ring_buffer *rb;
	unsigned nr_cpus;
	bool raw;
	retrans_event_cb cb;
	void *cb_arg;
};

/* Does btf_trace_tcp_retransmit_skb take (ctx, sk, skb, err)? */
static bool probe_has_err(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	bool r = false;
	int id;

	if (!btf)
		return false;
	id = btf__find_by_name_kind(btf, "btf_trace_tcp_retransmit_skb", BTF_KIND_TYPEDEF);
	if (id > 0) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		t = btf__type_by_id(btf, t->type);              /* pointer */
		if (t && btf_is_ptr(t))
			t = btf__type_by_id(btf, t->type);      /* func proto */
		if (t && btf_is_func_proto(t))
			r = btf_vlen(t) >= 4;
	}
	btf__free(btf);
	return r;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct retrans_collector *c = ctx;

	if (size >= sizeof(struct retrans_event) && c->cb)
		c->cb(data, c->cb_arg);
	return 0;
}

struct load_args {
	const struct retrans_opts *o;
	bool has_err;
};

static void *load(void *arg, bool raw)
{
	const struct load_args *a = arg;
	struct retrans_bpf *s = retrans_bpf__open();
	if (!s)
		return NULL;
	s->rodata->want_records = a->o->records;
	s->rodata->has_err = a->has_err;
	s->rodata->netns_ino = a->o->netns_ino;
	if (!a->o->records)
		bpf_map__set_max_entries(s->maps.events, 4096);
	const struct attach_pair p[] = { { s->progs.ks_retrans, s->progs.ks_retrans_raw } };
	int e = attach_load(s->skeleton, p, 1, raw);
	if (e) {
		retrans_bpf__destroy(s);
		errno = -e;
		return NULL;
	}
	return s;
}

int retrans_open(struct retrans_collector **out, const struct retrans_opts *o)
{
	struct retrans_collector *c = calloc(1, sizeof(*c));
	int ncpu = libbpf_num_possible_cpus(), e;
	struct load_args la = { o, probe_has_err() };

	if (!c || ncpu <= 0) {
		free(c);
		err("retrans collector: out of memory or no CPUs");
		return -ENOMEM;
	}
	c->nr_cpus = (unsigned)ncpu;
	c->skel = attach_btf_or_raw(load, &la, "retrans", "the TCP retransmit tracer (tcp:tcp_retransmit_skb)",
				    &c->raw, &e);
	if (!c->skel) {
		free(c);
		return e;
	}
	c->rb = ring_buffer__new(bpf_map__fd(c->skel->maps.events), on_record, c, NULL);
	if (!c->rb) {
		err("retrans collector: cannot set up its ring buffer");
		retrans_close(c);
		return -ENOMEM;
	}
	*out = c;
	return 0;
}

void retrans_close(struct retrans_collector *c)
{
	if (!c)
		return;
	ring_buffer__free(c->rb);
	retrans_bpf__destroy(c->skel);
	free(c);
}

void retrans_set_event_cb(struct retrans_collector *c, retrans_event_cb cb, void *arg)
{
	c->cb = cb;
	c->cb_arg = arg;
}

static void on_ready(struct loop *l, int fd, uint32_t events, void *arg)
{
	(void)l; (void)fd; (void)events;
	ring_buffer__consume(((struct retrans_collector *)arg)->rb);
}

int retrans_add_to_loop(struct retrans_collector *c, struct loop *l)
{
	return loop_add_fd(l, ring_buffer__epoll_fd(c->rb), EPOLLIN, on_ready, c);
}

int retrans_drain(struct retrans_collector *c)
{
	return ring_buffer__consume(c->rb);
}

bool retrans_has_err(const struct retrans_collector *c)
{
	return c->skel->rodata->has_err;
}

const char *retrans_attach_kind(const struct retrans_collector *c)
{
	return c->raw ? "raw_tp" : "tp_btf";
}

int retrans_stats(struct retrans_collector *c, uint64_t out[RETRANS_NR_STATS])
{
	return attach_sum_percpu(bpf_map__fd(c->skel->maps.stats), c->nr_cpus, out, RETRANS_NR_STATS);
}

const char *retrans_fmt_addr(const struct retrans_event *e, bool src, char *buf, unsigned long size)
{
	char a[INET6_ADDRSTRLEN];
	const __u8 *ip = src ? e->saddr : e->daddr;
	unsigned port = src ? e->sport : e->dport;

	if (e->family == AF_INET6) {
		inet_ntop(AF_INET6, ip, a, sizeof(a));
		snprintf(buf, size, "[%s]:%u", a, port);
	} else {
		inet_ntop(AF_INET, ip, a, sizeof(a));
		snprintf(buf, size, "%s:%u", a, port);
	}
	return buf;
}

const char *tcp_state_name(unsigned state)
{
	static const char *const names[] = {
		"?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
		"TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING",
		"NEW_SYN_RECV",
	};
	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "?";
}

int retrans_prog_stats(struct retrans_collector *c, struct prog_stat *out, int max)
{
	return attach_prog_stats(c->skel->obj, out, max);
}

/* collect/retrans.c — user side of the TCP retransmit collector: probe the
 * tracepoint's arguments in BTF, load retrans.bpf.c, deliver records
 * (the ring and its loop: collect/ring.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "base.h"
#include "collect/attach.h"
#include "collect/retrans.h"
#include "collect/ring.h"
#include "retrans.skel.h"
#include "sys/log.h"

RING_SKEL_CHECK(retrans_bpf);

struct retrans_collector {
	struct ring_coll r; /* first: see ring_new */
	retrans_event_cb cb;
	void *cb_arg;
};
_Static_assert(__builtin_offsetof(struct retrans_collector, r) == 0, "ring_new: r first");

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
	return ring_loaded(s, attach_load(s->skeleton, p, 1, raw));
}

static const struct ring_ops ops = {
	.name = "retrans",
	.what = "the TCP retransmit tracer (tcp:tcp_retransmit_skb)",
	.load = load,
	.on_record = on_record,
};

int retrans_open(struct retrans_collector **out, const struct retrans_opts *o)
{
	struct load_args la = { o, probe_has_err() };
	int e;

	*out = ring_new(sizeof(**out), &ops, &la, &e);
	return *out ? 0 : e;
}

void retrans_close(struct retrans_collector *c)
{
	ring_free(c ? &c->r : NULL);
}

void retrans_set_event_cb(struct retrans_collector *c, retrans_event_cb cb, void *arg)
{
	c->cb = cb;
	c->cb_arg = arg;
}

int retrans_add_to_loop(struct retrans_collector *c, struct loop *l)
{
	return ring_add_to_loop(&c->r, l);
}

int retrans_drain(struct retrans_collector *c)
{
	return ring_consume(&c->r);
}

bool retrans_has_err(const struct retrans_collector *c)
{
	return ((const struct retrans_bpf *)c->r.skel)->rodata->has_err;
}

const char *retrans_attach_kind(const struct retrans_collector *c)
{
	return ring_attach_kind(&c->r);
}

int retrans_stats(struct retrans_collector *c, uint64_t out[RETRANS_NR_STATS])
{
	return ring_stats(&c->r, out, RETRANS_NR_STATS);
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
	return state < ARRAY_SIZE(names) ? names[state] : "?";
}

int retrans_prog_stats(struct retrans_collector *c, struct prog_stat *out, int max)
{
	return ring_prog_stats(&c->r, out, max);
}

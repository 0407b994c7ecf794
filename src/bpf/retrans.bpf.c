// SPDX-License-Identifier: GPL-2.0
/* retrans.bpf.c — tcp:tcp_retransmit_skb: per-CPU counts (all, failed)
 * in the kernel, and one ring-buffer record per event with the flow
 * (IPv4/IPv6), TCP state and result, when records are wanted. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "abi/retrans.h"

char LICENSE[] SEC("license") = "GPL";

#define AF_INET 2
#define AF_INET6 10

const volatile bool want_records = true;
const volatile bool has_err = false;   /* the tracepoint has an err argument (6.x) */
const volatile __u32 netns_ino = 0;    /* 0: every network namespace */

#define KS_NR_STATS RETRANS_NR_STATS
#define KS_STAT_RB_DROPS RETRANS_STAT_RB_DROPS
#define KS_EVENTS_BYTES (512 * 1024)
#include "bpf/collector.bpf.h"

static __always_inline int on_retrans(const struct sock *sk, int err)
{
	struct retrans_event *e;
	__u32 ns = 0;

	if (netns_ino || want_records)
		ns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	if (netns_ino && ns != netns_ino)
		return 0;
	stat_inc(RETRANS_STAT_EVENTS);
	if (err)
		stat_inc(RETRANS_STAT_FAILED);
	if (!want_records)
		return 0;
	e = event_reserve(sizeof(*e));
	if (!e)
		return 0;
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_ns();
	e->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	e->state = BPF_CORE_READ(sk, __sk_common.skc_state);
	e->sport = BPF_CORE_READ(sk, __sk_common.skc_num);                       /* host order */
	e->dport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));  /* network order */
	if (e->family == AF_INET6) {
		BPF_CORE_READ_INTO(&e->saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&e->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	} else {
		BPF_CORE_READ_INTO((__u32 *)e->saddr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)e->daddr, sk, __sk_common.skc_daddr);
	}
	e->err = err;
	e->cpu = bpf_get_smp_processor_id();
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->netns = ns;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* TP_PROTO(const struct sock *sk, const struct sk_buff *skb, int err)
 * (older kernels: (sk, skb), no err). has_err is set from the kernel BTF. */
SEC("tp_btf/tcp_retransmit_skb")
int ks_retrans(__u64 *ctx)
{
	return on_retrans((const struct sock *)ctx[0], has_err ? (int)ctx[2] : 0);
}

SEC("raw_tp/tcp_retransmit_skb")
int ks_retrans_raw(__u64 *ctx)
{
	return on_retrans((const struct sock *)ctx[0], has_err ? (int)ctx[2] : 0);
}

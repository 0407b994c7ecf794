/* retrans.h — the contract between the TCP retransmit collector's BPF side
 * (retrans.bpf.c) and its user side (collect/retrans.c). Structs only. */
#ifndef KS_BPF_RETRANS_H
#define KS_BPF_RETRANS_H
#include "abi/common.h"

/* One tcp:tcp_retransmit_skb event. Addresses in network byte order as
 * the kernel keeps them; ports in host byte order. */
struct retrans_event {
	__u64 ts_ns;
	__u8 saddr[16];   /* IPv4: first 4 bytes */
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
	__u16 family;     /* AF_INET 2, AF_INET6 10 */
	__u16 state;      /* TCP_ESTABLISHED 1, ... (include/net/tcp_states.h) */
	__s32 err;        /* 0: sent; <0 errno (-16 EBUSY: original still queued); >0 NET_XMIT_* */
	__u32 cpu;
	__u32 pid;        /* whoever ran on the CPU: usually 0 (timer softirq) */
	__u32 netns;      /* network namespace inode */
	char comm[TASK_COMM_LEN];
};

enum retrans_stat {
	RETRANS_STAT_EVENTS = 0,  /* tracepoint hits (after the netns filter) */
	RETRANS_STAT_FAILED,      /* ... of which err != 0 (attempts that did not send) */
	RETRANS_STAT_RB_DROPS,    /* records lost: ring buffer full */
	RETRANS_NR_STATS,
};

#endif

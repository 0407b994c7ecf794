/* napi.h — the contract between the NAPI collector's BPF side (napi.bpf.c)
 * and its user side (collect/napi.c). Structs only. */
#ifndef KS_BPF_NAPI_H
#define KS_BPF_NAPI_H
#include "abi/common.h"

#define NAPI_DEV_LEN 16       /* IFNAMSIZ */
#define NAPI_WORK_SLOTS 9     /* work 0, 1, 2-3, 4-7, ..., 64-127, >= 128 */
#define NAPI_KEYS_MAX 1024

/* Where the poll ran. */
enum napi_ctx {
	NAPI_CTX_INLINE = 0,    /* softirq served inline: hardirq exit or local_bh_enable */
	NAPI_CTX_KSOFTIRQD = 1, /* in ksoftirqd/N */
	NAPI_CTX_THREADED = 2,  /* threaded NAPI kthread napi/<dev>-<id> */
	NAPI_NR_CTX = 3,
};

struct napi_key {
	char dev[NAPI_DEV_LEN]; /* "(backlog)" for the per-CPU backlog (RPS, netif_rx, veth) */
	__u32 ctx;              /* enum napi_ctx */
};

/* Per-CPU value of a per-CPU hash: cumulative since load. */
struct napi_val {
	__u64 polls;
	__u64 work;       /* packets processed */
	__u64 exhausted;  /* polls with work >= budget */
	__u64 work_slots[NAPI_WORK_SLOTS];
};

enum napi_stat {
	NAPI_STAT_POLLS = 0,    /* every napi_poll event seen */
	NAPI_STAT_KEY_DROPS,    /* polls not counted per device: map full */
	NAPI_STAT_STACK_ERRS,   /* bpf_get_stackid failures */
	NAPI_NR_STATS,
};

#define NAPI_STACK_DEPTH 64
#define NAPI_STACKS_MAX 4096

#endif

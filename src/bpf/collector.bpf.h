/* collector.bpf.h — the maps a collector's user side finds by name: the
 * per-CPU counter array `stats` (drops, misses, sampled events; define
 * KS_NR_STATS, the number of counters) with stat_inc(), and, where
 * KS_EVENTS_BYTES is defined, the ring buffer `events` of that size.
 * Define them before including it. */
#ifndef KS_COLLECTOR_BPF_H
#define KS_COLLECTOR_BPF_H

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KS_NR_STATS);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

#ifdef KS_EVENTS_BYTES
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, KS_EVENTS_BYTES);
} events SEC(".maps");
#endif

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		(*v)++;
}

#endif

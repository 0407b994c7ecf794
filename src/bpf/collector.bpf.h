/* collector.bpf.h — the maps a collector's user side finds by name: the
 * per-CPU counter array `stats` (drops, misses, sampled events; define
 * KS_NR_STATS, the number of counters) with stat_inc(), and, where
 * KS_EVENTS_BYTES is defined, the ring buffer `events` of that size with
 * event_reserve(), which counts a full ring in stats[KS_STAT_RB_DROPS].
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

#ifdef KS_EVENTS_BYTES
/* Room for one record of size bytes (a constant) in `events`, or NULL
 * with the drop counted. */
static __always_inline void *event_reserve(__u64 size)
{
	void *e = bpf_ringbuf_reserve(&events, size, 0);

	if (!e)
		stat_inc(KS_STAT_RB_DROPS);
	return e;
}
#endif

#endif

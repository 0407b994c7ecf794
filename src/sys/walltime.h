/* walltime.h — turn CLOCK_MONOTONIC nanoseconds (BPF's bpf_ktime_get_ns)
 * into wall-clock text for output, at the edge only. */
#ifndef SYS_WALLTIME_H
#define SYS_WALLTIME_H
#include <stddef.h>
#include <stdint.h>

/* "14:03:27" (local time) of a CLOCK_MONOTONIC instant. */
const char *mono_to_hms(uint64_t mono_ns, char *buf, size_t size);
/* Wall-clock ns since the epoch of a CLOCK_MONOTONIC instant. */
uint64_t mono_to_epoch_ns(uint64_t mono_ns);

#endif

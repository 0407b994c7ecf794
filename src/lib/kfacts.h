/* kfacts.h — text parsers for kernel facts: release strings, kernel config
 * lines, the kmsg "Dynamic Preempt:" line, bracketed mode files (lockdown,
 * sched/preempt) and the softirq deferral rules per kernel version.
 * Pure: fed with strings, no I/O. src/sys/sysinfo.c does the reading. */
#ifndef LIB_KFACTS_H
#define LIB_KFACTS_H
#include <stdbool.h>
#include <stddef.h>

/* "6.18.44-fc-v782" -> 6, 18, 44. Missing parts are 0. Returns 0 or -EINVAL. */
int parse_kernel_release(const char *release, int *major, int *minor, int *patch);

/* Value of CONFIG_<name> in a kernel config text ("y", "m", "250", a quoted
 * string with its quotes). name may be given with or without "CONFIG_".
 * Returns true and the value when set; false when absent or
 * "# CONFIG_X is not set". */
bool kconfig_value(const char *config, const char *name, char *out, size_t size);

/* The configured preemption model from a kernel config text:
 * "PREEMPT_RT", "PREEMPT_LAZY", "PREEMPT", "PREEMPT_VOLUNTARY",
 * "PREEMPT_NONE", or NULL when the config names none. */
const char *kconfig_preempt_model(const char *config);

/* One /dev/kmsg record ("6,123,159127,-;Dynamic Preempt: none") or a
 * dmesg line ("[    0.159127] Dynamic Preempt: none"): true and the mode
 * ("none", "voluntary", "full", "lazy") when the line is that message. */
bool kmsg_dynamic_preempt(const char *line, char *mode, size_t size);

/* The selected word of a mode file: "none [integrity] confidentiality"
 * -> "integrity" (lockdown uses [..]); "none (voluntary) full" ->
 * "voluntary" (sched/preempt uses (..)). False when nothing is marked. */
bool parse_selected_mode(const char *text, char *out, size_t size);

/* Softirq deferral semantics of a kernel version (see KERNEL-FACTS.md). */
enum softirq_semantics {
	SOFTIRQ_INLINE_ALWAYS,   /* < 4.9, and >= 6.5: every irq exit serves pending softirqs */
	SOFTIRQ_DEFER_KSOFTIRQD, /* 4.9 .. 6.4: once ksoftirqd is woken, softirqs wait for it */
};
enum softirq_semantics softirq_semantics_for(int major, int minor);
/* One sentence explaining the semantics, for people. */
const char *softirq_semantics_text(enum softirq_semantics s);
/* Short stable name for JSON: "inline_at_irq_exit" / "deferred_to_ksoftirqd". */
const char *softirq_semantics_name(enum softirq_semantics s);

#endif

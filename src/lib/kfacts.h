/* kfacts.h — text parsers for kernel facts: release and version strings,
 * kernel config lines, the kmsg "Dynamic Preempt:" line, bracketed mode
 * files (lockdown, sched/preempt), the kernel command line, kallsyms
 * evidence of build options, /proc/timer_list jiffies samples, and the
 * softirq deferral rules per kernel version.
 * Pure: fed with strings, no I/O. src/sys/sysinfo.c does the reading. */
#ifndef LIB_KFACTS_H
#define LIB_KFACTS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A fact a source either settles or leaves open. */
enum kf_tri { KF_UNKNOWN = 0, KF_NO, KF_YES };

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

/* Preemption models as bits: a source that narrows the configured model
 * without settling it (uname -v says "none or voluntary") keeps the ones
 * still possible; exactly one bit is a known model. */
enum {
	KF_MODEL_NONE = 1u << 0,      /* CONFIG_PREEMPT_NONE, live mode "none" */
	KF_MODEL_VOLUNTARY = 1u << 1, /* CONFIG_PREEMPT_VOLUNTARY, "voluntary" */
	KF_MODEL_FULL = 1u << 2,      /* CONFIG_PREEMPT, "full" */
	KF_MODEL_LAZY = 1u << 3,      /* CONFIG_PREEMPT_LAZY, "lazy" */
	KF_MODEL_RT = 1u << 4,        /* CONFIG_PREEMPT_RT */
};
/* "PREEMPT_NONE" -> KF_MODEL_NONE ...; 0 for other names. */
unsigned preempt_model_bit(const char *config_name);
/* The CONFIG_ name of a single bit ("PREEMPT_NONE"), NULL otherwise. */
const char *preempt_model_name(unsigned models);
/* A live dynamic mode ("none", "voluntary", "full", "lazy") -> its bit; 0 otherwise. */
unsigned preempt_mode_bit(const char *mode);
/* The live mode name of a single non-RT bit ("none"), NULL otherwise. */
const char *preempt_mode_name(unsigned models);
/* "PREEMPT_NONE", "PREEMPT_NONE or PREEMPT_VOLUNTARY", "PREEMPT_NONE,
 * PREEMPT_VOLUNTARY or PREEMPT"; "" for no bits. */
void preempt_models_text(unsigned models, char *out, size_t size);
/* Kernel code preemptible under every model left (full, lazy, RT): KF_YES;
 * under none of them (none, voluntary): KF_NO; mixed or no bits: KF_UNKNOWN. */
enum kf_tri preempt_models_preemptible(unsigned models);

/* What `uname -v` ("#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-3 (...)") says
 * about the build. The kernel writes one flag word after "SMP": PREEMPT_RT
 * (older RT patch sets: "PREEMPT RT"), PREEMPT_DYNAMIC (5.18+; before,
 * dynamic kernels said PREEMPT), PREEMPT (CONFIG_PREEMPT, or from 6.13
 * CONFIG_PREEMPT_LAZY), or none of them (none or voluntary). */
struct uname_preempt {
	unsigned models;   /* KF_MODEL_* bits the configured model may be */
	enum kf_tri dynamic; /* CONFIG_PREEMPT_DYNAMIC */
	enum kf_tri rt;      /* CONFIG_PREEMPT_RT */
};
/* major/minor: the release's version (0, 0 unknown), which decides what
 * the words could mean. False when version is not a kernel's "#N ..." string. */
bool uname_v_preempt(const char *version, int major, int minor, struct uname_preempt *out);

/* The value of the last name=value word of a kernel command line
 * ("preempt" -> "none"); quotes around the value are removed. Words after
 * " -- " belong to init and are ignored. False when absent or too long. */
bool cmdline_value(const char *cmdline, const char *name, char *out, size_t size);

/* Evidence in /proc/kallsyms of how the kernel was built: symbols that
 * only a PREEMPT_DYNAMIC kernel has (sched_dynamic_mode, ...) and those
 * only a PREEMPT_RT kernel has (rt_spin_lock: spinlocks become rtmutexes;
 * rt_mutex_* exist everywhere). Feed every line; zero it first. */
struct ksym_evidence {
	unsigned long symbols;   /* well-formed lines seen */
	char dynamic_sym[48];    /* first PREEMPT_DYNAMIC-only symbol seen, or "" */
	char rt_sym[48];         /* first PREEMPT_RT-only symbol seen, or "" */
};
void ksym_evidence_add(struct ksym_evidence *e, const char *line);
/* KF_YES when a symbol was seen; KF_NO when none was among a whole
 * table (KSYM_EVIDENCE_MIN symbols or more); else KF_UNKNOWN. */
#define KSYM_EVIDENCE_MIN 1000
enum kf_tri ksym_evidence_dynamic(const struct ksym_evidence *e);
enum kf_tri ksym_evidence_rt(const struct ksym_evidence *e);

/* One read of /proc/timer_list: its "now at N nsecs" header (CLOCK_MONOTONIC
 * when the read began) and the first "jiffies: N" line (the global jiffies,
 * printed in each CPU's section). False when either is missing. */
bool timer_list_sample(const char *text, uint64_t *now_ns, uint64_t *jiffies);
/* HZ from jiffies counted over window_ns: the nearest of the values
 * kernels are built with (100, 200, 250, 300, 500, 1000), when the rate
 * is within 10 % of it and the window at least 50 ms; else 0. */
int hz_from_jiffies(uint64_t jiffies, uint64_t window_ns);

/* Softirq deferral semantics of a kernel version (docs/kernel-facts.md). */
enum softirq_semantics {
	SOFTIRQ_INLINE_ALWAYS,   /* < 4.9, and >= 6.5: every irq exit serves pending softirqs */
	SOFTIRQ_DEFER_KSOFTIRQD, /* 4.9 .. 6.4: once ksoftirqd is woken, softirqs wait for it */
};
enum softirq_semantics softirq_semantics_for(int major, int minor);
/* What PREEMPT_RT changes for softirqs and bottom halves, for people. */
const char *realtime_text(void);
/* One sentence explaining the semantics, for people. */
const char *softirq_semantics_text(enum softirq_semantics s);
/* Short stable name for JSON: "inline_at_irq_exit" / "deferred_to_ksoftirqd". */
const char *softirq_semantics_name(enum softirq_semantics s);

#endif

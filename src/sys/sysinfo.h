/* sysinfo.h — facts about the running kernel, each with where it was
 * learned: release, preemption model (configured and live dynamic mode),
 * HZ, BTF, lockdown, softirq semantics, CPUs; and which BPF attach types
 * really work here (probed by loading and attaching a tiny program).
 * Used by `ksleuth info`, `ksleuth count` (f:/k:) and the doctor. */
#ifndef SYS_SYSINFO_H
#define SYS_SYSINFO_H
#include <stdbool.h>
#include <stdint.h>

#include "lib/kfacts.h"

struct kernel_facts {
	char release[128];             /* uname -r */
	char version[160];             /* uname -v: "#1 SMP PREEMPT_DYNAMIC Debian ..." */
	int major, minor, patch;
	char config_src[64];           /* "/proc/config.gz", "/boot/config-R" or "" */

	/* Each fact below comes from the first source that settles it, in
	 * the order docs/kernel-facts.md gives, and names that source. */

	/* Configured preemption model: the KF_MODEL_* bits it may still be
	 * (one when known, 0 when nothing said). preempt_model is its
	 * CONFIG_ name when exactly one is left; "PREEMPT_DYNAMIC" for a
	 * dynamic build whose default is not known; else "". */
	unsigned preempt_models;
	char preempt_model[24];        /* "PREEMPT_NONE", ..., "PREEMPT_DYNAMIC" or "" */
	char preempt_model_src[112];   /* "/proc/config.gz", "uname -v", ... */
	enum kf_tri dynamic_build;     /* CONFIG_PREEMPT_DYNAMIC */
	char dynamic_build_src[96];
	bool preempt_dynamic_built;    /* dynamic_build == KF_YES */
	char preempt_cmdline[16];      /* preempt= on the kernel command line, or "" */
	char preempt_dynamic[16];      /* live mode: "none", "voluntary", "full", "lazy", "" */
	char preempt_dynamic_src[112]; /* debugfs, boot log, preempt=, or the configured default */
	char preempt_debugfs_err[96];  /* why the debugfs file was not used, or "" */
	/* Kernel code preemptible now: from the live mode, else from the models. */
	enum kf_tri preemptible;

	/* CONFIG_PREEMPT_RT: softirqs run in task context, local_bh_disable()
	 * is a per-CPU lock, spinlocks sleep. */
	enum kf_tri realtime;
	char realtime_src[96];

	int hz;                        /* CONFIG_HZ or measured, 0 unknown */
	char hz_src[96];               /* the config file, or "/proc/timer_list (measured)" */
	char hz_err[96];               /* why HZ is unknown, or "" */
	uint64_t hz_jiffies, hz_window_ns; /* the measurement: jiffies counted over window_ns */
	bool btf;                      /* /sys/kernel/btf/vmlinux readable */
	char lockdown[24];             /* "none", "integrity", "confidentiality", "" unknown */
	char lockdown_src[96];
	enum softirq_semantics softirq;

	int cpus_online, cpus_possible;
	/* a virtual machine: the CPU flag "hypervisor" (x86), /sys/hypervisor,
	 * or a device-tree hypervisor node; its vCPUs can be left unrun */
	bool virtual_machine;
	char virt_src[48];
};

/* Fills every fact it can learn; unknown ones stay empty/0/KF_UNKNOWN.
 * Never fails. Without a kernel config it measures HZ over ~200 ms.
 * KSLEUTH_NO_KCONFIG=1 in the environment ignores the config files (to
 * exercise the other sources on a host that has one). */
void kernel_facts_read(struct kernel_facts *kf);

/* The running kernel is older than major.minor (from uname; false when
 * its release cannot be read): the cheap check for a feature's floor,
 * without the rest of kernel_facts_read. */
bool kernel_older_than(int major, int minor);

enum bpf_attach_kind {
	ATTACH_TP_BTF,
	ATTACH_RAW_TP,
	ATTACH_TRACEPOINT,
	ATTACH_PERF_EVENT,
	ATTACH_FENTRY,
	ATTACH_KPROBE,
	ATTACH_NR,
};

struct attach_probe {
	const char *name;     /* "tp_btf", "raw_tp", ... */
	bool works;
	int err;              /* positive errno of the failing step, 0 when it works */
	char reason[160];     /* for people: which step failed and why */
};

const char *attach_kind_name(enum bpf_attach_kind k);
/* Loads a two-instruction program of that kind and attaches it for a
 * moment (sched_switch, a cpu-clock perf event, vfs_read). Needs BPF
 * privileges; without them the result says so. */
void bpf_probe_attach(enum bpf_attach_kind k, struct attach_probe *out);

#endif

/* sysinfo.h — facts about the running kernel, each with where it was
 * learned: release, preemption model (configured and live dynamic mode),
 * HZ, BTF, lockdown, softirq semantics, CPUs; and which BPF attach types
 * really work here (probed by loading and attaching a tiny program).
 * Used by `ksleuth info`, `ksleuth count` (f:/k:) and the doctor. */
#ifndef SYS_SYSINFO_H
#define SYS_SYSINFO_H
#include <stdbool.h>

#include "lib/kfacts.h"

struct kernel_facts {
	char release[128];             /* uname -r */
	int major, minor, patch;
	char config_src[64];           /* "/proc/config.gz", "/boot/config-R" or "" */

	char preempt_model[24];        /* "PREEMPT_NONE", ... or "" unknown */
	bool preempt_dynamic_built;    /* CONFIG_PREEMPT_DYNAMIC=y */
	char preempt_dynamic[16];      /* live mode: "none", "voluntary", "full", "lazy", "" */
	char preempt_dynamic_src[64];  /* "/sys/kernel/debug/sched/preempt" or "boot log (/dev/kmsg)" */
	char preempt_debugfs_err[96];  /* why the debugfs file was not used, or "" */

	int hz;                        /* CONFIG_HZ, 0 unknown */
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

/* Fills every fact it can learn; unknown ones stay empty/0. Never fails. */
void kernel_facts_read(struct kernel_facts *kf);

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

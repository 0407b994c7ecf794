/* bpfprobe.c — which BPF attach types really work here: load a
 * two-instruction program of each kind and attach it (to sched_switch,
 * vfs_read or a disabled cpu-clock event), then close everything. The
 * probe programs never run long enough to matter and leave nothing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "lib/strutil.h"
#include "sys/procnet.h"
#include "sys/sysinfo.h"
#include "sys/tracefs.h"

static const char *const attach_names[ATTACH_NR] = {
	[ATTACH_TP_BTF] = "tp_btf",         [ATTACH_RAW_TP] = "raw_tp",
	[ATTACH_TRACEPOINT] = "tracepoint", [ATTACH_PERF_EVENT] = "perf_event",
	[ATTACH_FENTRY] = "fentry",         [ATTACH_KPROBE] = "kprobe",
};

const char *attach_kind_name(enum bpf_attach_kind k)
{
	return k < ATTACH_NR ? attach_names[k] : "?";
}

/* r0 = 0; exit */
static const struct bpf_insn ret0[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
	{ .code = BPF_JMP | BPF_EXIT },
};

static const char *errno_name(int e)
{
	switch (e) {
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EINVAL: return "EINVAL";
	case EACCES: return "EACCES";
	case E2BIG: return "E2BIG";
	case EBUSY: return "EBUSY";
	case ESRCH: return "ESRCH";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case 524: return "ENOTSUPP";
	default: return "errno";
	}
}

static int probe_fail(struct attach_probe *out, int err, const char *step, const char *why)
{
	out->works = false;
	out->err = err;
	snprintf(out->reason, sizeof(out->reason), "%s fails with %s (%s)%s%s", step,
		 errno_name(err), err == 524 ? "not supported" : strerror(err),
		 why ? ": " : "", why ? why : "");
	return -err;
}

static int perf_open(struct perf_event_attr *attr)
{
	return (int)syscall(SYS_perf_event_open, attr, -1 /* any task */, 0 /* cpu 0 */, -1,
			    PERF_FLAG_FD_CLOEXEC);
}

/* Attach prog_fd to a perf event: a bpf_link (>= 5.15), else the ioctl. */
static int perf_attach(int prog_fd, int pfd, int *link_fd)
{
	*link_fd = bpf_link_create(prog_fd, pfd, BPF_PERF_EVENT, NULL);
	if (*link_fd >= 0)
		return 0;
	if (ioctl(pfd, PERF_EVENT_IOC_SET_BPF, prog_fd) == 0)
		return 0;
	return -errno;
}

static int btf_id_of(const char *name, __u32 kind)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int id;

	if (!btf)
		return -errno ? -errno : -ENOENT;
	id = btf__find_by_name_kind(btf, name, kind);
	btf__free(btf);
	return id;
}

static int kprobe_pmu_type(void)
{
	char buf[32];

	if (proc_read_text("/sys/bus/event_source/devices/kprobe/type", buf, sizeof(buf)) <= 0)
		return -ENOENT;
	return atoi(buf);
}

/* The program type and load options for kind k; false (with out's
 * reason) when the kernel's BTF lacks the target. */
static bool prog_kind(enum bpf_attach_kind k, enum bpf_prog_type *type, struct bpf_prog_load_opts *opts,
		      struct attach_probe *out)
{
	int id;

	switch (k) {
	case ATTACH_TP_BTF:
	case ATTACH_FENTRY:
		*type = BPF_PROG_TYPE_TRACING;
		if (k == ATTACH_TP_BTF) {
			opts->expected_attach_type = BPF_TRACE_RAW_TP;
			id = btf_id_of("btf_trace_sched_switch", BTF_KIND_TYPEDEF);
		} else {
			opts->expected_attach_type = BPF_TRACE_FENTRY;
			id = btf_id_of("vfs_read", BTF_KIND_FUNC);
		}
		if (id < 0) {
			probe_fail(out, -id, "finding the target in the kernel's BTF", NULL);
			return false;
		}
		opts->attach_btf_id = (__u32)id;
		return true;
	case ATTACH_RAW_TP:
		*type = BPF_PROG_TYPE_RAW_TRACEPOINT;
		return true;
	case ATTACH_TRACEPOINT:
		*type = BPF_PROG_TYPE_TRACEPOINT;
		return true;
	case ATTACH_PERF_EVENT:
		*type = BPF_PROG_TYPE_PERF_EVENT;
		return true;
	case ATTACH_KPROBE:
	default:
		*type = BPF_PROG_TYPE_KPROBE;
		return true;
	}
}

/* Open the perf event a (step names it in a failure) and attach prog. */
static void perf_probe(struct attach_probe *out, int prog, struct perf_event_attr *a, const char *step,
		       int *pfd, int *link)
{
	int e;

	*pfd = perf_open(a);
	if (*pfd < 0) {
		probe_fail(out, errno, step, NULL);
		return;
	}
	if ((e = perf_attach(prog, *pfd, link)) < 0)
		probe_fail(out, -e, "attaching", NULL);
}

/* Attach the loaded prog of kind k; the fds to close in *pfd, *link. */
static void attach_kind(enum bpf_attach_kind k, int prog, struct attach_probe *out, int *pfd, int *link)
{
	struct perf_event_attr a = { .size = sizeof(a), .sample_period = 1, .wakeup_events = 1 };
	int id;

	switch (k) {
	case ATTACH_TP_BTF:
	case ATTACH_RAW_TP:
	case ATTACH_FENTRY:
		*link = bpf_raw_tracepoint_open(k == ATTACH_RAW_TP ? "sched_switch" : NULL, prog);
		if (*link < 0)
			probe_fail(out, errno, "attaching", NULL);
		return;
	case ATTACH_TRACEPOINT:
		id = tracefs_event_id("sched", "sched_switch");
		if (id < 0) {
			probe_fail(out, -id, "reading the tracepoint id from tracefs", NULL);
			return;
		}
		a.type = PERF_TYPE_TRACEPOINT;
		a.config = (__u64)id;
		perf_probe(out, prog, &a, "opening the tracepoint perf event", pfd, link);
		return;
	case ATTACH_PERF_EVENT:
		/* disabled: the program never runs during the probe */
		a = (struct perf_event_attr){ .type = PERF_TYPE_SOFTWARE, .size = sizeof(a),
					      .config = PERF_COUNT_SW_CPU_CLOCK,
					      .sample_period = 1000000000, .disabled = 1 };
		perf_probe(out, prog, &a, "opening a cpu-clock perf event", pfd, link);
		return;
	case ATTACH_KPROBE:
	default:
		id = kprobe_pmu_type();
		if (id < 0) {
			probe_fail(out, ENOENT, "finding the kprobe PMU",
				   "no kprobes in this kernel (CONFIG_KPROBES is not set)");
			return;
		}
		a.type = (__u32)id;
		a.config1 = (__u64)(unsigned long)"vfs_read";
		perf_probe(out, prog, &a, "creating a kprobe on vfs_read", pfd, link);
		return;
	}
}

void bpf_probe_attach(enum bpf_attach_kind k, struct attach_probe *out)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts);
	enum bpf_prog_type type;
	int prog, pfd = -1, link = -1;
	char name[16];

	memset(out, 0, sizeof(*out));
	out->name = attach_kind_name(k);
	snprintf(name, sizeof(name), "ks_probe_%s", k == ATTACH_PERF_EVENT ? "perf" : out->name);
	if (!prog_kind(k, &type, &opts, out))
		return;
	prog = bpf_prog_load(type, name, "GPL", ret0, sizeof(ret0) / sizeof(ret0[0]), &opts);
	if (prog < 0) {
		int e = errno;
		probe_fail(out, e, "loading a program",
			   e == EPERM && k == ATTACH_FENTRY ? "this kernel refuses fentry/fexit programs" :
			   e == EPERM ? "missing privileges or refused by the kernel" : NULL);
		return;
	}
	attach_kind(k, prog, out, &pfd, &link);
	if (!out->err) {
		out->works = true;
		strlcpy_k(out->reason, "loaded and attached", sizeof(out->reason));
	}
	if (link >= 0)
		close(link);
	if (pfd >= 0)
		close(pfd);
	close(prog);
}

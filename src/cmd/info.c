/* info.c — `ksleuth info`: the kernel facts that decide how a stall shows
 * up (preemption model, PREEMPT_RT, HZ, softirq semantics) and which BPF
 * attach types really work here, each with the source it was learned from. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ksleuth.h"
#include "lib/json.h"
#include "sys/cli.h"
#include "sys/privs.h"
#include "sys/sysinfo.h"

struct info_args {
	bool json;
};

static const struct opt info_opts[] = {
	OPT_JSON(struct info_args, json, "one JSON object ({\"type\":\"info\",...})"),
	{ 0 }
};

const struct opt_cmd info_cli = {
	.name = "info",
	.summary = "kernel facts: preemption model, HZ, BTF, lockdown, working BPF attach types",
	.description =
	"Kernel facts: release, preemption model (configured, and the live dynamic\n"
	"mode), PREEMPT_RT, HZ, BTF, lockdown, softirq semantics of this kernel,\n"
	"CPUs, and which BPF attach types work (each probed by loading a tiny\n"
	"program). Each fact names its source; without a kernel config they come\n"
	"from uname -v, /proc/kallsyms, the boot log and /proc/cmdline, and HZ is\n"
	"measured from /proc/timer_list over 200 ms (docs/kernel-facts.md).\n"
	"Probing needs root (or CAP_BPF and CAP_PERFMON); without it the other\n"
	"facts are still printed.\n",
	.opts = info_opts,
};

static const char *or_unknown(const char *s)
{
	return s && *s ? s : "unknown";
}

static const char *tri_text(enum kf_tri t)
{
	return t == KF_YES ? "yes" : t == KF_NO ? "no" : "unknown";
}

static void print_dynamic(const struct kernel_facts *kf)
{
	printf("%-16s dynamic: ", "");
	if (kf->dynamic_build == KF_NO) {
		printf("not built (from %s)\n", kf->dynamic_build_src);
		return;
	}
	if (kf->dynamic_build == KF_YES)
		printf("built (from %s), mode %s%s", kf->dynamic_build_src,
		       kf->preempt_dynamic_src[0] ? "from " : "not learned", kf->preempt_dynamic_src);
	else
		printf("unknown whether built");
	if (kf->preempt_debugfs_err[0])
		printf(" (/sys/kernel/debug/sched/preempt: %s)", kf->preempt_debugfs_err);
	printf("\n");
}

/* Why the configured model is left open, when it is. */
static void print_open_model_reason(const struct kernel_facts *kf)
{
	if (!kf->preempt_models)
		printf("no kernel config, and uname -v is not a kernel's version string");
	else if (kf->dynamic_build == KF_YES && preempt_mode_bit(kf->preempt_cmdline))
		printf("one of these; booted with preempt=%s, so the mode at boot is not the default",
		       kf->preempt_cmdline);
	else
		printf("one of these; no source here tells which");
}

/* "PREEMPT_NONE (dynamic: none)", then where each part came from. */
static void print_preempt(const struct kernel_facts *kf)
{
	char models[96];

	preempt_models_text(kf->preempt_models, models, sizeof(models));
	printf("%-16s %s", "preemption", kf->preempt_model[0] ? kf->preempt_model : or_unknown(models));
	if (kf->dynamic_build == KF_YES)
		printf(" (dynamic: %s)", or_unknown(kf->preempt_dynamic));
	printf("\n%-16s configured: ", "");
	if (preempt_model_name(kf->preempt_models)) {
		printf("from %s\n", kf->preempt_model_src);
	} else {
		if (kf->preempt_models)
			printf("%s, from %s (", models, kf->preempt_model_src);
		else
			printf("unknown (");
		print_open_model_reason(kf);
		printf(")\n");
	}
	print_dynamic(kf);
	if (kf->preempt_cmdline[0])
		printf("%-16s boot parameter: preempt=%s (/proc/cmdline)\n", "", kf->preempt_cmdline);
	printf("%-16s kernel code preemptible: %s\n", "", tri_text(kf->preemptible));
}

static void print_realtime(const struct kernel_facts *kf)
{
	printf("%-16s %s", "realtime", tri_text(kf->realtime));
	if (kf->realtime != KF_UNKNOWN)
		printf(" (%sfrom %s)", kf->realtime == KF_YES ? "PREEMPT_RT, " : "", kf->realtime_src);
	printf("\n");
	if (kf->realtime == KF_YES)
		printf("%-16s %s\n", "", realtime_text());
}

static void print_hz(const struct kernel_facts *kf)
{
	if (kf->hz && kf->hz_window_ns)
		printf("%-16s %d (measured from /proc/timer_list: %" PRIu64 " jiffies in %.1f ms)\n",
		       "HZ", kf->hz, kf->hz_jiffies, (double)kf->hz_window_ns / 1e6);
	else if (kf->hz)
		printf("%-16s %d (from %s)\n", "HZ", kf->hz, kf->hz_src);
	else
		printf("%-16s unknown (%s)\n", "HZ", kf->hz_err[0] ? kf->hz_err : "no source");
}

static void print_text(const struct kernel_facts *kf, const struct attach_probe *p, bool probed)
{
	printf("%-16s %s (version %d.%d.%d)\n", "kernel", or_unknown(kf->release), kf->major,
	       kf->minor, kf->patch);
	print_preempt(kf);
	print_realtime(kf);
	print_hz(kf);
	printf("%-16s %s (/sys/kernel/btf/vmlinux)\n", "BTF", kf->btf ? "yes" : "no");
	printf("%-16s %s%s%s%s\n", "lockdown", or_unknown(kf->lockdown),
	       kf->lockdown_src[0] ? " (from " : "", kf->lockdown_src,
	       kf->lockdown_src[0] ? ")" : "");
	printf("%-16s %s (kernel %d.%d)\n", "softirqs", softirq_semantics_name(kf->softirq),
	       kf->major, kf->minor);
	printf("%-16s %s\n", "", softirq_semantics_text(kf->softirq));
	printf("%-16s %d online, %d possible (/sys/devices/system/cpu)\n", "CPUs",
	       kf->cpus_online, kf->cpus_possible);
	printf("%-16s %s%s%s%s\n", "machine", kf->virtual_machine ? "virtual" : "no hypervisor seen",
	       kf->virt_src[0] ? " (" : "", kf->virt_src, kf->virt_src[0] ? ")" : "");
	printf("BPF attach types (probed by loading and attaching a tiny program):\n");
	for (int k = 0; k < ATTACH_NR; k++) {
		if (!probed)
			printf("  %-14s not probed: needs root (or CAP_BPF and CAP_PERFMON)\n",
			       attach_kind_name(k));
		else if (p[k].works)
			printf("  %-14s works\n", p[k].name);
		else
			printf("  %-14s unavailable: %s\n", p[k].name, p[k].reason);
	}
}

static void json_tri(struct json *j, enum kf_tri t)
{
	t == KF_UNKNOWN ? json_null(j) : json_bool(j, t == KF_YES);
}

static void json_kstr_or_null(struct json *j, const char *k, const char *v)
{
	json_key(j, k);
	v && *v ? json_str(j, v) : json_null(j);
}

static void json_preempt(struct json *j, const struct kernel_facts *kf)
{
	json_key(j, "preempt");
	json_obj_begin(j);
	json_kstr_or_null(j, "model", kf->preempt_model);
	json_key(j, "models");
	json_arr_begin(j);
	for (unsigned bit = 1; bit <= KF_MODEL_RT; bit <<= 1)
		if (kf->preempt_models & bit)
			json_str(j, preempt_model_name(bit));
	json_arr_end(j);
	json_kstr_or_null(j, "model_source", kf->preempt_model_src);
	json_key(j, "dynamic_built");
	json_tri(j, kf->dynamic_build);
	json_kstr_or_null(j, "dynamic_built_source", kf->dynamic_build_src);
	json_kstr_or_null(j, "dynamic", kf->preempt_dynamic);
	json_kstr_or_null(j, "dynamic_source", kf->preempt_dynamic_src);
	if (kf->preempt_debugfs_err[0])
		json_kstr(j, "debugfs_error", kf->preempt_debugfs_err);
	json_kstr_or_null(j, "boot_param", kf->preempt_cmdline);
	json_key(j, "preemptible");
	json_tri(j, kf->preemptible);
	json_key(j, "realtime");
	json_tri(j, kf->realtime);
	json_kstr_or_null(j, "realtime_source", kf->realtime_src);
	json_obj_end(j);
}

static void print_json(const struct kernel_facts *kf, const struct attach_probe *p, bool probed)
{
	struct json j;
	char ver[32];

	json_init(&j, stdout);
	json_obj_begin(&j);
	json_kstr(&j, "type", "info");
	json_key(&j, "kernel");
	json_obj_begin(&j);
	json_kstr(&j, "release", kf->release);
	snprintf(ver, sizeof(ver), "%d.%d.%d", kf->major, kf->minor, kf->patch);
	json_kstr(&j, "version", ver);
	json_kint(&j, "major", kf->major);
	json_kint(&j, "minor", kf->minor);
	json_kint(&j, "patch", kf->patch);
	json_obj_end(&j);

	json_preempt(&j, kf);
	json_key(&j, "hz");
	kf->hz ? json_int(&j, kf->hz) : json_null(&j);
	json_kstr_or_null(&j, "hz_source", kf->hz_src);
	if (kf->hz_window_ns) {
		json_key(&j, "hz_measured");
		json_obj_begin(&j);
		json_kint(&j, "jiffies", (int64_t)kf->hz_jiffies);
		json_kint(&j, "window_ns", (int64_t)kf->hz_window_ns);
		json_obj_end(&j);
	}
	if (kf->hz_err[0])
		json_kstr(&j, "hz_error", kf->hz_err);
	json_kbool(&j, "btf", kf->btf);
	json_key(&j, "lockdown");
	kf->lockdown[0] ? json_str(&j, kf->lockdown) : json_null(&j);
	json_key(&j, "lockdown_source");
	kf->lockdown_src[0] ? json_str(&j, kf->lockdown_src) : json_null(&j);

	json_key(&j, "softirq");
	json_obj_begin(&j);
	json_kstr(&j, "semantics", softirq_semantics_name(kf->softirq));
	json_kstr(&j, "explanation", softirq_semantics_text(kf->softirq));
	json_obj_end(&j);

	json_key(&j, "cpus");
	json_obj_begin(&j);
	json_kint(&j, "online", kf->cpus_online);
	json_kint(&j, "possible", kf->cpus_possible);
	json_obj_end(&j);
	json_kbool(&j, "virtual_machine", kf->virtual_machine);

	json_key(&j, "attach");
	json_obj_begin(&j);
	for (int k = 0; k < ATTACH_NR; k++) {
		json_key(&j, attach_kind_name(k));
		json_obj_begin(&j);
		if (!probed) {
			json_key(&j, "works");
			json_null(&j);
			json_kstr(&j, "reason", "not probed: needs root (or CAP_BPF and CAP_PERFMON)");
		} else {
			json_kbool(&j, "works", p[k].works);
			json_kint(&j, "errno", p[k].err);
			json_kstr(&j, "reason", p[k].reason);
		}
		json_obj_end(&j);
	}
	json_obj_end(&j);
	json_obj_end(&j);
	json_line_end(&j);
}

int cmd_info(int argc, char **argv)
{
	struct info_args a = { 0 };
	struct opt_result res;
	struct kernel_facts kf;
	struct attach_probe probes[ATTACH_NR];
	int rc = cli_parse(&info_cli, argc, argv, &a, &res);
	bool probed;

	if (rc != CLI_RUN)
		return rc;
	kernel_facts_read(&kf);
	probed = have_bpf_privileges();
	if (probed)
		for (int k = 0; k < ATTACH_NR; k++)
			bpf_probe_attach(k, &probes[k]);
	if (a.json)
		print_json(&kf, probes, probed);
	else
		print_text(&kf, probes, probed);
	return EXIT_OK;
}

/* info.c — `ksleuth info`: the kernel facts that decide how a stall shows
 * up (preemption model, HZ, softirq semantics) and which BPF attach types
 * really work here, each with the source it was learned from. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ksleuth.h"
#include "lib/json.h"
#include "sys/log.h"
#include "sys/privs.h"
#include "sys/sysinfo.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: ksleuth info [--json]\n\n"
		   "Kernel facts: release, preemption model (configured, and the live dynamic\n"
		   "mode), HZ, BTF, lockdown, softirq semantics of this version, CPUs, and\n"
		   "which BPF attach types work (each probed by loading a tiny program).\n"
		   "Probing needs root (or CAP_BPF and CAP_PERFMON); without it the other\n"
		   "facts are still printed.\n\n"
		   "  --json   one JSON object ({\"type\":\"info\",...})\n"
		   "  -h, --help\n");
}

static const char *or_unknown(const char *s)
{
	return s && *s ? s : "unknown";
}

static void print_text(const struct kernel_facts *kf, const struct attach_probe *p, bool probed)
{
	printf("%-16s %s (version %d.%d.%d)\n", "kernel", or_unknown(kf->release), kf->major,
	       kf->minor, kf->patch);
	/* "PREEMPT_NONE (dynamic: none)", then where each half came from. */
	printf("%-16s %s", "preemption", or_unknown(kf->preempt_model));
	if (kf->preempt_dynamic_built)
		printf(" (dynamic: %s)", or_unknown(kf->preempt_dynamic));
	printf("\n%-16s configured: from %s\n", "", or_unknown(kf->config_src));
	if (!kf->preempt_dynamic_built) {
		printf("%-16s dynamic: not built (CONFIG_PREEMPT_DYNAMIC is not set)\n", "");
	} else {
		printf("%-16s dynamic: %s", "", kf->preempt_dynamic_src[0] ?
		       "from " : "not learned");
		printf("%s", kf->preempt_dynamic_src);
		if (kf->preempt_debugfs_err[0])
			printf(" (/sys/kernel/debug/sched/preempt: %s)", kf->preempt_debugfs_err);
		printf("\n");
	}
	if (kf->hz)
		printf("%-16s %d (from %s)\n", "HZ", kf->hz, kf->config_src);
	else
		printf("%-16s unknown (no kernel config found)\n", "HZ");
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

	json_key(&j, "preempt");
	json_obj_begin(&j);
	json_key(&j, "model");
	kf->preempt_model[0] ? json_str(&j, kf->preempt_model) : json_null(&j);
	json_key(&j, "model_source");
	kf->config_src[0] ? json_str(&j, kf->config_src) : json_null(&j);
	json_kbool(&j, "dynamic_built", kf->preempt_dynamic_built);
	json_key(&j, "dynamic");
	kf->preempt_dynamic[0] ? json_str(&j, kf->preempt_dynamic) : json_null(&j);
	json_key(&j, "dynamic_source");
	kf->preempt_dynamic_src[0] ? json_str(&j, kf->preempt_dynamic_src) : json_null(&j);
	if (kf->preempt_debugfs_err[0])
		json_kstr(&j, "debugfs_error", kf->preempt_debugfs_err);
	json_obj_end(&j);

	json_key(&j, "hz");
	kf->hz ? json_int(&j, kf->hz) : json_null(&j);
	json_key(&j, "hz_source");
	kf->hz ? json_str(&j, kf->config_src) : json_null(&j);
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
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct kernel_facts kf;
	struct attach_probe probes[ATTACH_NR];
	bool json = false, probed;
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			err("unknown option '%s' for 'ksleuth info'; see 'ksleuth info --help'",
			    argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		err("'ksleuth info' takes no arguments ('%s'); see 'ksleuth info --help'", argv[optind]);
		return EXIT_USAGE;
	}
	kernel_facts_read(&kf);
	probed = have_bpf_privileges();
	if (probed)
		for (int k = 0; k < ATTACH_NR; k++)
			bpf_probe_attach(k, &probes[k]);
	if (json)
		print_json(&kf, probes, probed);
	else
		print_text(&kf, probes, probed);
	return EXIT_OK;
}

/* Unit tests: kernel-fact text parsers (lib/kfacts). */
#include <errno.h>

#include "test.h"
#include "lib/kfacts.h"

TEST(kernel_release)
{
	int a, b, c;
	CHECK_EQ(parse_kernel_release("6.18.44-fc-v782", &a, &b, &c), 0);
	CHECK_EQ(a, 6); CHECK_EQ(b, 18); CHECK_EQ(c, 44);
	CHECK_EQ(parse_kernel_release("6.5.0-rc3+", &a, &b, &c), 0);
	CHECK_EQ(a, 6); CHECK_EQ(b, 5); CHECK_EQ(c, 0);
	CHECK_EQ(parse_kernel_release("5.10", &a, &b, &c), 0);
	CHECK_EQ(a, 5); CHECK_EQ(b, 10); CHECK_EQ(c, 0);
	CHECK_EQ(parse_kernel_release("4.19-custom", &a, &b, &c), 0);
	CHECK_EQ(b, 19);
	CHECK_EQ(parse_kernel_release("", &a, &b, &c), -EINVAL);
	CHECK_EQ(parse_kernel_release("linux", &a, &b, &c), -EINVAL);
	CHECK_EQ(parse_kernel_release(NULL, &a, &b, &c), -EINVAL);
}

static const char config[] =
	"#\n# Automatically generated file; DO NOT EDIT.\n#\n"
	"CONFIG_PREEMPT_BUILD=y\n"
	"CONFIG_PREEMPT_NONE=y\n"
	"# CONFIG_PREEMPT_VOLUNTARY is not set\n"
	"# CONFIG_PREEMPT is not set\n"
	"CONFIG_PREEMPTION=y\n"
	"CONFIG_PREEMPT_DYNAMIC=y\n"
	"CONFIG_HZ_250=y\n"
	"CONFIG_HZ=250\n"
	"CONFIG_LSM=\"landlock,lockdown\"\n"
	"CONFIG_DEBUG_INFO_BTF=y";  /* last line without newline */

TEST(kconfig_values)
{
	char v[64];
	CHECK(kconfig_value(config, "HZ", v, sizeof(v))); CHECK_STR(v, "250");
	CHECK(kconfig_value(config, "CONFIG_HZ", v, sizeof(v))); CHECK_STR(v, "250");
	CHECK(kconfig_value(config, "PREEMPT_DYNAMIC", v, sizeof(v))); CHECK_STR(v, "y");
	CHECK(kconfig_value(config, "LSM", v, sizeof(v))); CHECK_STR(v, "\"landlock,lockdown\"");
	CHECK(kconfig_value(config, "DEBUG_INFO_BTF", v, sizeof(v))); CHECK_STR(v, "y");
	CHECK(!kconfig_value(config, "PREEMPT", v, sizeof(v)));   /* "is not set" */
	CHECK(!kconfig_value(config, "KPROBES", v, sizeof(v)));   /* absent */
	CHECK(!kconfig_value(config, "HZ_2", v, sizeof(v)));      /* prefix of HZ_250 */
	CHECK(kconfig_value(config, "HZ", v, 2)); CHECK_STR(v, "2"); /* truncated */
}

TEST(kconfig_preempt)
{
	CHECK_STR(kconfig_preempt_model(config), "PREEMPT_NONE");
	CHECK_STR(kconfig_preempt_model("CONFIG_PREEMPT=y\nCONFIG_PREEMPT_RT=y\n"), "PREEMPT_RT");
	CHECK_STR(kconfig_preempt_model("CONFIG_PREEMPT_VOLUNTARY=y\n"), "PREEMPT_VOLUNTARY");
	CHECK_STR(kconfig_preempt_model("CONFIG_PREEMPT=y\nCONFIG_PREEMPT_DYNAMIC=y\n"), "PREEMPT");
	CHECK(kconfig_preempt_model("CONFIG_HZ=1000\n") == NULL);
}

TEST(kmsg_preempt_line)
{
	char m[16];
	CHECK(kmsg_dynamic_preempt("6,137,159127,-;Dynamic Preempt: none", m, sizeof(m)));
	CHECK_STR(m, "none");
	CHECK(kmsg_dynamic_preempt("6,137,159127,-,caller=T0;Dynamic Preempt: full\n", m, sizeof(m)));
	CHECK_STR(m, "full");
	CHECK(kmsg_dynamic_preempt("[    0.159127] Dynamic Preempt: voluntary", m, sizeof(m)));
	CHECK_STR(m, "voluntary");
	CHECK(kmsg_dynamic_preempt("Dynamic Preempt: lazy", m, sizeof(m)));
	CHECK_STR(m, "lazy");
	CHECK(!kmsg_dynamic_preempt("6,1,2,-;rcu: Preemptible hierarchical RCU", m, sizeof(m)));
	CHECK(!kmsg_dynamic_preempt("6,1,2,-;Dynamic Preempt: ", m, sizeof(m)));
	CHECK(!kmsg_dynamic_preempt("6,1,2,-;Dynamic Preempt: voluntary", m, 4)); /* too small */
	CHECK(!kmsg_dynamic_preempt(NULL, m, sizeof(m)));
}

TEST(selected_mode)
{
	char m[32];
	CHECK(parse_selected_mode("none [integrity] confidentiality\n", m, sizeof(m)));
	CHECK_STR(m, "integrity");
	CHECK(parse_selected_mode("[none] integrity confidentiality", m, sizeof(m)));
	CHECK_STR(m, "none");
	CHECK(parse_selected_mode("none (voluntary) full lazy", m, sizeof(m)));
	CHECK_STR(m, "voluntary");
	CHECK(!parse_selected_mode("none integrity", m, sizeof(m)));
	CHECK(!parse_selected_mode("none [integrity", m, sizeof(m)));
	CHECK(!parse_selected_mode("[]", m, sizeof(m)));
}

TEST(softirq_semantics_versions)
{
	CHECK_EQ(softirq_semantics_for(6, 18), SOFTIRQ_INLINE_ALWAYS);
	CHECK_EQ(softirq_semantics_for(6, 5), SOFTIRQ_INLINE_ALWAYS);
	CHECK_EQ(softirq_semantics_for(6, 4), SOFTIRQ_DEFER_KSOFTIRQD);
	CHECK_EQ(softirq_semantics_for(5, 15), SOFTIRQ_DEFER_KSOFTIRQD);
	CHECK_EQ(softirq_semantics_for(4, 9), SOFTIRQ_DEFER_KSOFTIRQD);
	CHECK_EQ(softirq_semantics_for(4, 8), SOFTIRQ_INLINE_ALWAYS);
	CHECK_EQ(softirq_semantics_for(7, 0), SOFTIRQ_INLINE_ALWAYS);
	CHECK_STR(softirq_semantics_name(SOFTIRQ_DEFER_KSOFTIRQD), "deferred_to_ksoftirqd");
}

TEST(realtime_explained)
{
	CHECK(strstr(realtime_text(), "task context") != NULL);
	CHECK(strstr(realtime_text(), "local_bh_disable()") != NULL);
}

TEST(preempt_model_bits)
{
	char t[96];

	CHECK_EQ(preempt_model_bit("PREEMPT_NONE"), KF_MODEL_NONE);
	CHECK_EQ(preempt_model_bit("PREEMPT"), KF_MODEL_FULL);
	CHECK_EQ(preempt_model_bit("PREEMPT_RT"), KF_MODEL_RT);
	CHECK_EQ(preempt_model_bit("PREEMPT_DYNAMIC"), 0);
	CHECK_EQ(preempt_model_bit(NULL), 0);
	CHECK_STR(preempt_model_name(KF_MODEL_LAZY), "PREEMPT_LAZY");
	CHECK(preempt_model_name(KF_MODEL_NONE | KF_MODEL_VOLUNTARY) == NULL);
	CHECK(preempt_model_name(0) == NULL);
	CHECK_EQ(preempt_mode_bit("voluntary"), KF_MODEL_VOLUNTARY);
	CHECK_EQ(preempt_mode_bit("full"), KF_MODEL_FULL);
	CHECK_EQ(preempt_mode_bit("rt"), 0);
	CHECK_EQ(preempt_mode_bit(""), 0);
	CHECK_STR(preempt_mode_name(KF_MODEL_NONE), "none");
	CHECK(preempt_mode_name(KF_MODEL_RT) == NULL);

	preempt_models_text(KF_MODEL_RT, t, sizeof(t));
	CHECK_STR(t, "PREEMPT_RT");
	preempt_models_text(KF_MODEL_NONE | KF_MODEL_VOLUNTARY, t, sizeof(t));
	CHECK_STR(t, "PREEMPT_NONE or PREEMPT_VOLUNTARY");
	preempt_models_text(KF_MODEL_NONE | KF_MODEL_VOLUNTARY | KF_MODEL_FULL, t, sizeof(t));
	CHECK_STR(t, "PREEMPT_NONE, PREEMPT_VOLUNTARY or PREEMPT");
	preempt_models_text(0, t, sizeof(t));
	CHECK_STR(t, "");
	preempt_models_text(KF_MODEL_NONE | KF_MODEL_VOLUNTARY, t, 10); /* truncated, terminated */
	CHECK_STR(t, "PREEMPT_N");

	CHECK_EQ(preempt_models_preemptible(KF_MODEL_NONE | KF_MODEL_VOLUNTARY), KF_NO);
	CHECK_EQ(preempt_models_preemptible(KF_MODEL_FULL | KF_MODEL_LAZY), KF_YES);
	CHECK_EQ(preempt_models_preemptible(KF_MODEL_RT), KF_YES);
	CHECK_EQ(preempt_models_preemptible(KF_MODEL_VOLUNTARY | KF_MODEL_FULL), KF_UNKNOWN);
	CHECK_EQ(preempt_models_preemptible(0), KF_UNKNOWN);
}

/* Debian 12's kernels: the uname -v each prints and the preemption lines of
 * its /boot/config (linux-image-*-unsigned packages, 6.1.0-57 and 6.12.118).
 * What uname -v says must agree with the config: the configured model is
 * among the models left, and a settled dynamic/RT answer is the config's. */
static const struct {
	const char *uname_v;
	int major, minor;
	const char *config;
	unsigned models;          /* expected from uname -v alone */
	enum kf_tri dynamic, rt;
} debian[] = {
	{ "#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-3 (2026-11-26)", 6, 1,
	  "CONFIG_PREEMPT_BUILD=y\n# CONFIG_PREEMPT_NONE is not set\nCONFIG_PREEMPT_VOLUNTARY=y\n"
	  "# CONFIG_PREEMPT is not set\nCONFIG_PREEMPTION=y\nCONFIG_PREEMPT_DYNAMIC=y\n",
	  KF_MODEL_NONE | KF_MODEL_VOLUNTARY | KF_MODEL_FULL, KF_YES, KF_NO },
	{ "#1 SMP PREEMPT_RT Debian 6.1.192-3 (2026-11-26)", 6, 1,
	  "CONFIG_PREEMPT_LAZY=y\n# CONFIG_PREEMPT_NONE is not set\n# CONFIG_PREEMPT_VOLUNTARY is not set\n"
	  "# CONFIG_PREEMPT is not set\nCONFIG_PREEMPT_RT=y\nCONFIG_PREEMPTION=y\n",
	  KF_MODEL_RT, KF_UNKNOWN, KF_YES },
	{ "#1 SMP PREEMPT_DYNAMIC Debian 6.12.118-1~deb12u1 (2026-11-28)", 6, 12,
	  "CONFIG_PREEMPT_BUILD=y\n# CONFIG_PREEMPT_NONE is not set\nCONFIG_PREEMPT_VOLUNTARY=y\n"
	  "# CONFIG_PREEMPT is not set\n# CONFIG_PREEMPT_RT is not set\nCONFIG_PREEMPT_DYNAMIC=y\n",
	  KF_MODEL_NONE | KF_MODEL_VOLUNTARY | KF_MODEL_FULL, KF_YES, KF_NO },
	{ "#1 SMP PREEMPT_RT Debian 6.12.118-1~deb12u1 (2026-11-28)", 6, 12,
	  "CONFIG_PREEMPT_BUILD=y\n# CONFIG_PREEMPT is not set\nCONFIG_PREEMPT_LAZY=y\n"
	  "CONFIG_PREEMPT_RT=y\nCONFIG_PREEMPTION=y\nCONFIG_PREEMPT_DYNAMIC=y\n",
	  KF_MODEL_RT, KF_UNKNOWN, KF_YES },
};

TEST(uname_debian_kernels)
{
	for (size_t i = 0; i < sizeof(debian) / sizeof(debian[0]); i++) {
		struct uname_preempt u;
		char v[8];
		REQUIRE(uname_v_preempt(debian[i].uname_v, debian[i].major, debian[i].minor, &u));
		CHECK_EQ(u.models, debian[i].models);
		CHECK_EQ(u.dynamic, debian[i].dynamic);
		CHECK_EQ(u.rt, debian[i].rt);
		/* against the config */
		CHECK(u.models & preempt_model_bit(kconfig_preempt_model(debian[i].config)));
		enum kf_tri dyn = kconfig_value(debian[i].config, "PREEMPT_DYNAMIC", v, sizeof(v)) ?
				  KF_YES : KF_NO;
		CHECK(u.dynamic == KF_UNKNOWN || u.dynamic == dyn);
		CHECK_EQ(u.rt, kconfig_value(debian[i].config, "PREEMPT_RT", v, sizeof(v)) ? KF_YES : KF_NO);
	}
}

TEST(uname_other_kernels)
{
	struct uname_preempt u;

	/* Debian 11: CONFIG_PREEMPT_VOLUNTARY, no flag word */
	CHECK(uname_v_preempt("#1 SMP Debian 5.10.237-1 (2025-05-19)", 5, 10, &u));
	CHECK_EQ(u.models, KF_MODEL_NONE | KF_MODEL_VOLUNTARY);
	CHECK_EQ(u.dynamic, KF_NO);
	CHECK_EQ(u.rt, KF_NO);
	/* PREEMPT alone: full; 5.12..5.17 dynamic kernels said PREEMPT too */
	CHECK(uname_v_preempt("#1 SMP PREEMPT Thu Mar 3 10:11:12 UTC 2022", 5, 10, &u));
	CHECK_EQ(u.models, KF_MODEL_FULL);
	CHECK_EQ(u.dynamic, KF_NO);
	CHECK(uname_v_preempt("#1 SMP PREEMPT Thu Mar 3 10:11:12 UTC 2022", 5, 15, &u));
	CHECK_EQ(u.dynamic, KF_UNKNOWN);
	CHECK(uname_v_preempt("#1 SMP PREEMPT Thu Mar 3 10:11:12 UTC 2022", 6, 1, &u));
	CHECK_EQ(u.models, KF_MODEL_FULL);
	CHECK_EQ(u.dynamic, KF_NO);
	CHECK(uname_v_preempt("#1 SMP PREEMPT Thu Mar 3 10:11:12 UTC 2025", 6, 14, &u));
	CHECK_EQ(u.models, KF_MODEL_FULL | KF_MODEL_LAZY);
	CHECK(uname_v_preempt("#1 PREEMPT Mon Jan 1 00:00:00 UTC 2024", 0, 0, &u)); /* release unknown */
	CHECK_EQ(u.dynamic, KF_UNKNOWN);
	/* 6.13+: a dynamic kernel can default to lazy */
	CHECK(uname_v_preempt("#1 SMP PREEMPT_DYNAMIC @0", 6, 18, &u));
	CHECK_EQ(u.models, KF_MODEL_NONE | KF_MODEL_VOLUNTARY | KF_MODEL_FULL | KF_MODEL_LAZY);
	/* older RT patch sets wrote two words; 5.18..6.11 could write both flags */
	CHECK(uname_v_preempt("#1 SMP PREEMPT RT Debian 4.19.316-1 (2024-06-25)", 4, 19, &u));
	CHECK_EQ(u.models, KF_MODEL_RT);
	CHECK_EQ(u.rt, KF_YES);
	CHECK(uname_v_preempt("#1 SMP PREEMPT_DYNAMIC PREEMPT_RT Mon Jan 1", 6, 6, &u));
	CHECK_EQ(u.models, KF_MODEL_RT);
	CHECK_EQ(u.dynamic, KF_YES);
	/* words in the build host or date are not flags */
	CHECK(uname_v_preempt("#3-Ubuntu SMP PREEMPT_DYNAMIC Fri Oct 4 2024 (PREEMPT_RTX)", 6, 8, &u));
	CHECK_EQ(u.rt, KF_NO);
	/* not a kernel version string */
	CHECK(!uname_v_preempt("", 6, 1, &u));
	CHECK(!uname_v_preempt("SMP PREEMPT_RT", 6, 1, &u));
	CHECK(!uname_v_preempt("#", 6, 1, &u));
	CHECK(!uname_v_preempt("# SMP", 6, 1, &u));
	CHECK(uname_v_preempt("#build7 SMP PREEMPT_RT", 6, 6, &u)); /* KBUILD_BUILD_VERSION=build7 */
	CHECK_EQ(u.rt, KF_YES);
	CHECK(!uname_v_preempt(NULL, 6, 1, &u));
	CHECK_EQ(u.models, 0);
}

TEST(cmdline_preempt)
{
	char v[16];

	CHECK(cmdline_value("console=ttyS0 panic=-1 preempt=none loglevel=4 ks.scenario=starve\n",
			    "preempt", v, sizeof(v)));
	CHECK_STR(v, "none");
	CHECK(cmdline_value("preempt=none quiet preempt=full", "preempt", v, sizeof(v)));
	CHECK_STR(v, "full"); /* the last one wins */
	CHECK(cmdline_value("ro preempt=\"voluntary\"", "preempt", v, sizeof(v)));
	CHECK_STR(v, "voluntary");
	CHECK(cmdline_value("ro preempt= quiet", "preempt", v, sizeof(v)));
	CHECK_STR(v, "");
	/* init's arguments after "--" are not the kernel's */
	CHECK(!cmdline_value("console=ttyS0 rdinit=/init -- --preempt=full preempt=full",
			     "preempt", v, sizeof(v)));
	CHECK(!cmdline_value("xpreempt=none sched.preempt=full preempt", "preempt", v, sizeof(v)));
	CHECK(!cmdline_value("preempt=voluntary", "preempt", v, 4)); /* too long: ignored */
	CHECK(!cmdline_value("", "preempt", v, sizeof(v)));
	CHECK(!cmdline_value(NULL, "preempt", v, sizeof(v)));
	CHECK(cmdline_value("a=\"x y\" preempt=lazy", "preempt", v, sizeof(v)));
	CHECK_STR(v, "lazy");
}

static void feed_filler(struct ksym_evidence *e, unsigned n)
{
	char line[96];

	for (unsigned i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "ffffffff81%06x T filler_%u\n", i, i);
		ksym_evidence_add(e, line);
	}
}

TEST(kallsyms_evidence)
{
	struct ksym_evidence e = { 0 };

	/* too few symbols to conclude from absence */
	feed_filler(&e, 10);
	CHECK_EQ(ksym_evidence_dynamic(&e), KF_UNKNOWN);
	CHECK_EQ(ksym_evidence_rt(&e), KF_UNKNOWN);
	/* a whole non-RT, non-dynamic table; rt_mutex_* exist everywhere */
	ksym_evidence_add(&e, "ffffffff81a00000 T rt_mutex_lock\n");
	ksym_evidence_add(&e, "ffffffff81a00100 T rt_spin_lock_x\n");
	ksym_evidence_add(&e, "ffffffff81a00200 T __cond_resched\n");
	feed_filler(&e, KSYM_EVIDENCE_MIN);
	CHECK_EQ(ksym_evidence_dynamic(&e), KF_NO);
	CHECK_EQ(ksym_evidence_rt(&e), KF_NO);

	/* as an unprivileged reader sees them: addresses hidden */
	memset(&e, 0, sizeof(e));
	ksym_evidence_add(&e, "0000000000000000 T sched_dynamic_mode\n");
	ksym_evidence_add(&e, "0000000000000000 T rt_spin_lock\n");
	CHECK_EQ(ksym_evidence_dynamic(&e), KF_YES);
	CHECK_STR(e.dynamic_sym, "sched_dynamic_mode");
	CHECK_EQ(ksym_evidence_rt(&e), KF_YES);
	CHECK_STR(e.rt_sym, "rt_spin_lock");

	memset(&e, 0, sizeof(e));
	ksym_evidence_add(&e, "ffffffff81c01234 t __SCT__preempt_schedule");
	ksym_evidence_add(&e, "ffffffffc0a01000 t rt_spin_lock\t[somemod]\n"); /* a module's */
	ksym_evidence_add(&e, "garbage");
	ksym_evidence_add(&e, "");
	ksym_evidence_add(&e, NULL);
	CHECK_EQ(e.symbols, 1);
	CHECK_STR(e.dynamic_sym, "__SCT__preempt_schedule");
	CHECK_STR(e.rt_sym, "");
}

/* The start of /proc/timer_list on a 6.18 host (2 CPUs). */
static const char timer_list[] =
	"Timer List Version: v0.10\n"
	"HRTIMER_MAX_CLOCK_BASES: 8\n"
	"now at 405532065855 nsecs\n"
	"\n"
	"cpu: 0\n"
	" clock 0:\n"
	"  .base:       00000000e729826e\n"
	"  .index:      0\n"
	"  .resolution: 1 nsecs\n"
	"active timers:\n"
	" #0: <00000000cb251c95>, tick_nohz_handler, S:01\n"
	" # expires at 405536000000-405536000000 nsecs [in 3934145 to 3934145 nsecs]\n"
	"  .tick_stopped   : 0\n"
	"  .idle_jiffies   : 4294993915\n"
	"  .last_jiffies   : 4294993917\n"
	"  .next_timer     : 9223372036854775807\n"
	"\n"
	"jiffies: 4294993917\n"
	"\n"
	"cpu: 1\n"
	"jiffies: 4294993918\n";

TEST(timer_list_jiffies)
{
	uint64_t now = 0, j = 0;

	CHECK(timer_list_sample(timer_list, &now, &j));
	CHECK_U64(now, 405532065855ULL);
	CHECK_U64(j, 4294993917ULL); /* the first one, next to the header's time */
	/* a read cut before the first CPU's jiffies line */
	CHECK(!timer_list_sample("Timer List Version: v0.10\nnow at 1 nsecs\ncpu: 0\n"
				 "  .last_jiffies   : 4294993917\n", &now, &j));
	CHECK(!timer_list_sample("jiffies: 5\n", &now, &j));
	CHECK(!timer_list_sample("", &now, &j));
	CHECK(!timer_list_sample(NULL, &now, &j));
}

TEST(hz_rounding)
{
	const uint64_t ms = 1000000ULL;

	CHECK_EQ(hz_from_jiffies(50, 200 * ms), 250);
	CHECK_EQ(hz_from_jiffies(51, 203348717), 250);   /* measured on the 6.18 host */
	CHECK_EQ(hz_from_jiffies(49, 200 * ms), 250);
	CHECK_EQ(hz_from_jiffies(20, 200 * ms), 100);
	CHECK_EQ(hz_from_jiffies(21, 200 * ms), 100);
	CHECK_EQ(hz_from_jiffies(60, 200 * ms), 300);
	CHECK_EQ(hz_from_jiffies(57, 200 * ms), 300);    /* 285/s */
	CHECK_EQ(hz_from_jiffies(53, 200 * ms), 250);    /* 265/s */
	CHECK_EQ(hz_from_jiffies(200, 200 * ms), 1000);
	CHECK_EQ(hz_from_jiffies(201, 200 * ms), 1000);
	CHECK_EQ(hz_from_jiffies(100, 1000 * ms), 100);
	CHECK_EQ(hz_from_jiffies(80, 200 * ms), 0);      /* 400/s: no HZ within 10 % */
	CHECK_EQ(hz_from_jiffies(0, 200 * ms), 0);
	CHECK_EQ(hz_from_jiffies(5, 20 * ms), 0);        /* window too short */
	CHECK_EQ(hz_from_jiffies(50, 0), 0);
}

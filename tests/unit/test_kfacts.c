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

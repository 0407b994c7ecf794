/* fuzz_kfacts.c — what the kernel says about itself, as text: uname -r/-v,
 * config files, kernel command lines, boot log lines, mode files, kallsyms
 * lines and /proc/timer_list. Every copied value is NUL-ended within the
 * buffer given; versions parse to numbers. */
#include "fuzz.h"
#include "lib/kfacts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), out[32];
	struct uname_preempt up;
	struct ksym_evidence ev = { 0 };
	uint64_t now, jif;
	int major = -1, minor = -1, patch = -1;
	const char *m;

	if (parse_kernel_release(s, &major, &minor, &patch) == 0)
		FUZZ_CHECK(major >= 0 && minor >= 0 && patch >= 0);
	if (kconfig_value(s, "CONFIG_PREEMPT", out, sizeof(out)))
		FUZZ_CHECK(memchr(out, '\0', sizeof(out)) != NULL);
	if ((m = kconfig_preempt_model(s)))
		FUZZ_CHECK(m[0] != '\0');
	if (kmsg_dynamic_preempt(s, out, sizeof(out))) {
		FUZZ_CHECK(out[0] && strlen(out) < sizeof(out));
		for (const char *c = out; *c; c++)
			FUZZ_CHECK((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z'));
	}
	if (parse_selected_mode(s, out, sizeof(out)))
		FUZZ_CHECK(memchr(out, '\0', sizeof(out)) != NULL);
	if (cmdline_value(s, "preempt", out, 8))
		FUZZ_CHECK(strlen(out) < 8);
	uname_v_preempt(s, 6, 1, &up);
	uname_v_preempt(s, 4, 19, &up);
	ksym_evidence_add(&ev, s);
	FUZZ_CHECK(ev.symbols <= 1);
	FUZZ_CHECK(memchr(ev.dynamic_sym, '\0', sizeof(ev.dynamic_sym)) &&
		   memchr(ev.rt_sym, '\0', sizeof(ev.rt_sym)));
	if (timer_list_sample(s, &now, &jif))
		hz_from_jiffies(jif, now);
	free(s);
	return 0;
}

/* kfacts.c — text parsers for kernel facts (see kfacts.h). Pure: no I/O. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/kfacts.h"
#include "lib/strutil.h"

int parse_kernel_release(const char *release, int *major, int *minor, int *patch)
{
	int v[3] = { 0, 0, 0 };
	const char *p = release;

	if (!p || !isdigit((unsigned char)*p))
		return -EINVAL;
	/* Up to three dot-separated numbers; anything after ("-fc-v782",
	 * "+", "-rc3") is the local version and ignored. */
	for (int i = 0; i < 3; i++) {
		char *end;
		long n = strtol(p, &end, 10);
		if (n > 100000)
			return -EINVAL;
		v[i] = (int)n;
		if (*end != '.' || !isdigit((unsigned char)end[1]))
			break;
		p = end + 1;
	}
	*major = v[0];
	*minor = v[1];
	*patch = v[2];
	return 0;
}

bool kconfig_value(const char *config, const char *name, char *out, size_t size)
{
	char key[128];
	size_t klen;
	const char *line = config;

	if (!config || !name)
		return false;
	if (str_starts_with(name, "CONFIG_"))
		snprintf(key, sizeof(key), "%s=", name);
	else
		snprintf(key, sizeof(key), "CONFIG_%s=", name);
	klen = strlen(key);
	while (line && *line) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		if (len > klen && strncmp(line, key, klen) == 0) {
			size_t vlen = len - klen;
			if (vlen >= size)
				vlen = size ? size - 1 : 0;
			if (size) {
				memcpy(out, line + klen, vlen);
				out[vlen] = '\0';
			}
			return true;
		}
		line = eol ? eol + 1 : NULL;
	}
	return false;
}

const char *kconfig_preempt_model(const char *config)
{
	/* Most specific first: an RT kernel also has CONFIG_PREEMPTION=y. */
	static const char *const models[] = {
		"PREEMPT_RT", "PREEMPT_LAZY", "PREEMPT", "PREEMPT_VOLUNTARY", "PREEMPT_NONE",
	};
	char v[16];

	for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++)
		if (kconfig_value(config, models[i], v, sizeof(v)) && strcmp(v, "y") == 0)
			return models[i];
	return NULL;
}

bool kmsg_dynamic_preempt(const char *line, char *mode, size_t size)
{
	static const char tag[] = "Dynamic Preempt: ";
	const char *msg;
	size_t n = 0;

	if (!line)
		return false;
	/* /dev/kmsg: "prio,seq,usec,flags[,..];message"; dmesg: "[ t] message" */
	msg = strchr(line, ';');
	if (msg && (msg - line) < 64 && isdigit((unsigned char)line[0]))
		msg++;
	else if (line[0] == '[' && (msg = strchr(line, ']')) != NULL)
		msg++;
	else
		msg = line;
	while (*msg == ' ')
		msg++;
	if (!str_starts_with(msg, tag))
		return false;
	msg += sizeof(tag) - 1;
	while (msg[n] && isalpha((unsigned char)msg[n]))
		n++;
	if (n == 0 || n >= size)
		return false;
	memcpy(mode, msg, n);
	mode[n] = '\0';
	return true;
}

bool parse_selected_mode(const char *text, char *out, size_t size)
{
	const char *open = NULL, *close = NULL;

	if (!text)
		return false;
	for (const char *p = text; *p; p++) {
		if (*p == '[' || *p == '(') {
			open = p;
			close = strchr(p, *p == '[' ? ']' : ')');
			break;
		}
	}
	if (!open || !close || close == open + 1)
		return false;
	size_t n = (size_t)(close - open - 1);
	if (n >= size)
		return false;
	memcpy(out, open + 1, n);
	out[n] = '\0';
	return true;
}


struct model {
	unsigned bit;
	const char *config; /* CONFIG_ name without "CONFIG_" */
	const char *mode;   /* its live dynamic mode; RT has none */
};

static const struct model models[] = {
	{ KF_MODEL_NONE, "PREEMPT_NONE", "none" },
	{ KF_MODEL_VOLUNTARY, "PREEMPT_VOLUNTARY", "voluntary" },
	{ KF_MODEL_FULL, "PREEMPT", "full" },
	{ KF_MODEL_LAZY, "PREEMPT_LAZY", "lazy" },
	{ KF_MODEL_RT, "PREEMPT_RT", NULL },
};
#define N_MODELS (sizeof(models) / sizeof(models[0]))

/* The model whose config name (by_mode: dynamic mode) is name: its bit, or 0. */
static unsigned model_bit(const char *name, bool by_mode)
{
	for (size_t i = 0; name && i < N_MODELS; i++) {
		const char *s = by_mode ? models[i].mode : models[i].config;
		if (s && !strcmp(name, s))
			return models[i].bit;
	}
	return 0;
}

/* The model of exactly one bit, or NULL. */
static const struct model *model_of(unsigned bits)
{
	for (size_t i = 0; i < N_MODELS; i++)
		if (bits == models[i].bit)
			return &models[i];
	return NULL;
}

unsigned preempt_model_bit(const char *config_name)
{
	return model_bit(config_name, false);
}

const char *preempt_model_name(unsigned bits)
{
	const struct model *m = model_of(bits);

	return m ? m->config : NULL;
}

unsigned preempt_mode_bit(const char *mode)
{
	return model_bit(mode, true);
}

const char *preempt_mode_name(unsigned bits)
{
	const struct model *m = model_of(bits);

	return m ? m->mode : NULL;
}

void preempt_models_text(unsigned bits, char *out, size_t size)
{
	size_t left = 0, len = 0;

	if (!size)
		return;
	out[0] = '\0';
	for (size_t i = 0; i < N_MODELS; i++)
		left += (bits & models[i].bit) != 0;
	/* "A", "A or B", "A, B or C" */
	for (size_t i = 0; i < N_MODELS && len < size; i++) {
		if (!(bits & models[i].bit))
			continue;
		left--;
		len += (size_t)snprintf(out + len, size - len, "%s%s",
					!len ? "" : left ? ", " : " or ", models[i].config);
	}
}

enum kf_tri preempt_models_preemptible(unsigned bits)
{
	const unsigned preemptible = KF_MODEL_FULL | KF_MODEL_LAZY | KF_MODEL_RT;

	if (!bits)
		return KF_UNKNOWN;
	if (!(bits & ~preemptible))
		return KF_YES;
	if (!(bits & preemptible))
		return KF_NO;
	return KF_UNKNOWN;
}

/* The word after position p (skipping blanks) equals w. */
static bool next_word_is(const char *p, const char *w)
{
	size_t n = strlen(w);

	while (*p == ' ')
		p++;
	return !strncmp(p, w, n) && (p[n] == ' ' || p[n] == '\0' || p[n] == '\n');
}

/* The flag words the kernel put into its version string. */
struct uname_words {
	bool rt, dynamic, preempt;
};

static void uname_scan(const char *version, struct uname_words *w)
{
	const char *p = version;

	memset(w, 0, sizeof(*w));
	while (*p) {
		const char *end = p;
		while (*end && *end != ' ' && *end != '\n')
			end++;
		size_t n = (size_t)(end - p);
		if (n == 10 && !strncmp(p, "PREEMPT_RT", n))
			w->rt = true;
		else if (n == 15 && !strncmp(p, "PREEMPT_DYNAMIC", n))
			w->dynamic = true;
		else if (n == 7 && !strncmp(p, "PREEMPT", n)) {
			if (next_word_is(end, "RT"))
				w->rt = true;
			else
				w->preempt = true;
		}
		p = *end ? end + 1 : end;
	}
}

static bool version_before(int major, int minor, int M, int m)
{
	return major < M || (major == M && minor < m);
}

bool uname_v_preempt(const char *version, int major, int minor, struct uname_preempt *out)
{
	const bool known = major > 0;
	const unsigned lazy = known && !version_before(major, minor, 6, 13) ? KF_MODEL_LAZY : 0;
	struct uname_words w;

	memset(out, 0, sizeof(*out));
	/* "#" and the build number (KBUILD_BUILD_VERSION, any text) */
	if (!version || version[0] != '#' || !isgraph((unsigned char)version[1]))
		return false;
	uname_scan(version, &w);
	if (w.rt) {
		/* 6.12+ RT kernels may also be PREEMPT_DYNAMIC but say only PREEMPT_RT */
		out->models = KF_MODEL_RT;
		out->rt = KF_YES;
		out->dynamic = w.dynamic ? KF_YES : KF_UNKNOWN;
	} else if (w.dynamic) {
		out->models = KF_MODEL_NONE | KF_MODEL_VOLUNTARY | KF_MODEL_FULL | lazy;
		out->rt = KF_NO;
		out->dynamic = KF_YES;
	} else if (w.preempt) {
		/* CONFIG_PREEMPT (or PREEMPT_LAZY from 6.13); 5.12..5.17 also
		 * wrote PREEMPT for PREEMPT_DYNAMIC kernels */
		out->models = KF_MODEL_FULL | lazy;
		out->rt = KF_NO;
		out->dynamic = !known || (!version_before(major, minor, 5, 12) &&
					  version_before(major, minor, 5, 18)) ? KF_UNKNOWN : KF_NO;
	} else {
		out->models = KF_MODEL_NONE | KF_MODEL_VOLUNTARY;
		out->rt = KF_NO;
		out->dynamic = KF_NO;
	}
	return true;
}

bool cmdline_value(const char *cmdline, const char *name, char *out, size_t size)
{
	size_t nlen = name ? strlen(name) : 0;
	bool found = false;
	const char *p = cmdline;

	if (!cmdline || !nlen || !size)
		return false;
	while (*p) {
		while (isspace((unsigned char)*p))
			p++;
		const char *w = p;
		bool quoted = false;
		for (; *p && (quoted || !isspace((unsigned char)*p)); p++)
			if (*p == '"')
				quoted = !quoted;
		size_t wlen = (size_t)(p - w);
		if (wlen == 2 && !strncmp(w, "--", 2))
			break; /* the rest is init's */
		if (wlen <= nlen || strncmp(w, name, nlen) || w[nlen] != '=')
			continue;
		const char *v = w + nlen + 1;
		size_t vlen = wlen - nlen - 1;
		if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
			v++;
			vlen -= 2;
		}
		if (vlen >= size)
			continue;
		memcpy(out, v, vlen);
		out[vlen] = '\0';
		found = true; /* the last one wins, as the kernel's parser does */
	}
	return found;
}

static const char *const dynamic_syms[] = {
	"sched_dynamic_mode", "sched_dynamic_update",  /* kernel/sched/core.c */
	"preempt_dynamic_mode",                        /* data: KALLSYMS_ALL only */
	"__SCT__preempt_schedule",                     /* x86 static-call trampoline */
	"sk_dynamic_preempt_schedule",                 /* static-key variant (arm64) */
};
static const char *const rt_syms[] = {
	"rt_spin_lock", "rt_spin_unlock", "rt_read_lock", "rt_write_lock",
};

static bool in_list(const char *name, size_t n, const char *const *list, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (strlen(list[i]) == n && !strncmp(name, list[i], n))
			return true;
	return false;
}

void ksym_evidence_add(struct ksym_evidence *e, const char *line)
{
	char type;
	int name_at = 0;
	size_t n;

	/* "ffffffff81000000 T _stext" (address 0 when hidden); a module's
	 * symbols ("... [module]") say nothing about the kernel's build */
	if (!line || sscanf(line, "%*x %c %n", &type, &name_at) != 1 || !name_at)
		return;
	const char *name = line + name_at;
	n = strcspn(name, " \t\n");
	if (!n || strchr(name + n, '['))
		return;
	e->symbols++;
	if (!e->dynamic_sym[0] && in_list(name, n, dynamic_syms, sizeof(dynamic_syms) / sizeof(*dynamic_syms)))
		snprintf(e->dynamic_sym, sizeof(e->dynamic_sym), "%.*s", (int)n, name);
	if (!e->rt_sym[0] && in_list(name, n, rt_syms, sizeof(rt_syms) / sizeof(*rt_syms)))
		snprintf(e->rt_sym, sizeof(e->rt_sym), "%.*s", (int)n, name);
}

static enum kf_tri evidence(const struct ksym_evidence *e, const char *sym)
{
	if (sym[0])
		return KF_YES;
	return e->symbols >= KSYM_EVIDENCE_MIN ? KF_NO : KF_UNKNOWN;
}

enum kf_tri ksym_evidence_dynamic(const struct ksym_evidence *e)
{
	return evidence(e, e->dynamic_sym);
}

enum kf_tri ksym_evidence_rt(const struct ksym_evidence *e)
{
	return evidence(e, e->rt_sym);
}

/* The number after tag on the first line that starts with tag. */
static bool line_number(const char *text, const char *tag, uint64_t *v)
{
	size_t n = strlen(tag);
	const char *l = text;

	while (l && *l) {
		if (!strncmp(l, tag, n) && isdigit((unsigned char)l[n])) {
			errno = 0;
			*v = strtoull(l + n, NULL, 10);
			return errno == 0;
		}
		l = strchr(l, '\n');
		l = l ? l + 1 : NULL;
	}
	return false;
}

bool timer_list_sample(const char *text, uint64_t *now_ns, uint64_t *jiffies)
{
	if (!text)
		return false;
	return line_number(text, "now at ", now_ns) && line_number(text, "jiffies: ", jiffies);
}

int hz_from_jiffies(uint64_t jiffies, uint64_t window_ns)
{
	static const int hz[] = { 100, 200, 250, 300, 500, 1000 };
	double rate, best_d = 0;
	int best = 0;

	if (window_ns < 50 * 1000000ULL || !jiffies)
		return 0;
	rate = (double)jiffies * 1e9 / (double)window_ns;
	for (size_t i = 0; i < sizeof(hz) / sizeof(hz[0]); i++) {
		double d = rate > hz[i] ? rate - hz[i] : hz[i] - rate;
		if (!best || d < best_d) {
			best = hz[i];
			best_d = d;
		}
	}
	return best_d <= best * 0.1 ? best : 0;
}

enum softirq_semantics softirq_semantics_for(int major, int minor)
{
	/* 4.9: 4cd13c21b207 "softirq: Let ksoftirqd do its job";
	 * 6.5: d15121be7485 reverts it. */
	int v = major * 1000 + minor;
	if (v >= 4009 && v < 6005)
		return SOFTIRQ_DEFER_KSOFTIRQD;
	return SOFTIRQ_INLINE_ALWAYS;
}

const char *realtime_text(void)
{
	return "softirqs run in task context: at local_bh_enable() in the thread that raised "
	       "them (threaded interrupt handlers) or in ksoftirqd, which a hardirq exit only "
	       "wakes; local_bh_disable() takes a per-CPU lock, so a section with bottom halves "
	       "off is preemptible but holds off every softirq on its CPU";
}

const char *softirq_semantics_text(enum softirq_semantics s)
{
	switch (s) {
	case SOFTIRQ_DEFER_KSOFTIRQD:
		return "once ksoftirqd is woken, pending softirqs wait for it (4.9..6.4): "
		       "a starved ksoftirqd stalls packet processing";
	case SOFTIRQ_INLINE_ALWAYS:
	default:
		return "every hardirq exit serves pending softirqs, even while ksoftirqd is woken "
		       "(< 4.9 and >= 6.5): only sections with bottom halves or interrupts disabled "
		       "stall packet processing";
	}
}

const char *softirq_semantics_name(enum softirq_semantics s)
{
	return s == SOFTIRQ_DEFER_KSOFTIRQD ? "deferred_to_ksoftirqd" : "inline_at_irq_exit";
}

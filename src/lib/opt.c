/* opt.c — the one command-line parser over the option tables of opt.h,
 * and its one message per kind of value. Pure: no I/O; what needs the
 * system comes in through struct opt_env. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/opt.h"
#include "lib/text.h"

/* Messages quote at most 64 bytes of an argument, control bytes visible. */
#define QUOTE_MAX 64
struct quote {
	char s[TEXT_ARG_SIZE(QUOTE_MAX)];
};
static const char *quote(struct quote *q, const char *s)
{
	return text_arg(q->s, sizeof(q->s), s, QUOTE_MAX);
}

/* What the message calls a value of each kind. */
static const char *const kind_noun[OPT_NR_KINDS] = {
	[OPT_FLAG] = "value", [OPT_DURATION] = "duration", [OPT_INTERVAL] = "interval",
	[OPT_CPUS] = "CPU list", [OPT_CPU] = "CPU", [OPT_PID] = "pid", [OPT_INT] = "number",
	[OPT_STRING] = "value", [OPT_CHOICE] = "value", [OPT_WORDS] = "list",
	[OPT_RATE] = "bit rate",
};

const char *opt_fmt_ns(uint64_t ns, char *buf, size_t n)
{
	static const struct { uint64_t ns; const char *unit; } u[] = {
		{ 3600 * NS_PER_SEC, "h" }, { 60 * NS_PER_SEC, "m" }, { NS_PER_SEC, "s" },
		{ NS_PER_MS, "ms" }, { NS_PER_US, "us" }, { 1, "ns" },
	};
	size_t i = 0;

	if (!ns) {
		snprintf(buf, n, "0");
		return buf;
	}
	while (ns % u[i].ns)
		i++;
	snprintf(buf, n, "%llu%s", (unsigned long long)(ns / u[i].ns), u[i].unit);
	return buf;
}

/* "cpu, comm or pid" (sep ", ") or "cpu|comm|pid" (sep "|"). */
static void join_words(const char *const *w, const char *sep, const char *last, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; w[i] && len < n; i++)
		len += (size_t)snprintf(buf + len, n - len, "%s%s", i == 0 ? "" : w[i + 1] ? sep : last, w[i]);
}

static uint64_t dur_unit(const struct opt *o)
{
	return o->unit_ns ? o->unit_ns : NS_PER_SEC;
}

/* What a good value of o looks like: the end of "give ...". */
static void want(const struct opt *o, char *buf, size_t n)
{
	char a[32], b[32], words[256];

	switch (o->kind) {
	case OPT_DURATION:
	case OPT_INTERVAL:
		if (o->min > 1 && o->max)
			snprintf(words, sizeof(words), " from %s to %s", opt_fmt_ns((uint64_t)o->min, a, sizeof(a)),
				 opt_fmt_ns((uint64_t)o->max, b, sizeof(b)));
		else if (o->min > 1)
			snprintf(words, sizeof(words), " of at least %s", opt_fmt_ns((uint64_t)o->min, a, sizeof(a)));
		else if (o->max)
			snprintf(words, sizeof(words), " of at most %s", opt_fmt_ns((uint64_t)o->max, a, sizeof(a)));
		else
			words[0] = '\0';
		snprintf(buf, n, "a duration%s, e.g. %s (a bare number is %s)", words,
			 dur_unit(o) == NS_PER_SEC ? "500ms, 2s or 5m" : "500us, 10ms or 2s",
			 dur_unit(o) == NS_PER_SEC ? "seconds" : dur_unit(o) == NS_PER_MS ? "milliseconds" :
			 opt_fmt_ns(dur_unit(o), a, sizeof(a)));
		break;
	case OPT_CPUS: snprintf(buf, n, "CPUs such as 1 or 0-3,6"); break;
	case OPT_CPU: snprintf(buf, n, "a CPU number such as 0 or 1"); break;
	case OPT_PID: snprintf(buf, n, "a process id (1 to %d)", OPT_PID_MAX); break;
	case OPT_INT:
		if (o->max)
			snprintf(buf, n, "a whole number from %lld to %lld", (long long)o->min, (long long)o->max);
		else
			snprintf(buf, n, "a whole number of at least %lld", (long long)o->min);
		break;
	case OPT_STRING:
		if (o->max)
			snprintf(buf, n, "%lld to %lld characters", (long long)(o->min > 1 ? o->min : 1),
				 (long long)o->max);
		else
			snprintf(buf, n, "a value that is not empty");
		break;
	case OPT_CHOICE:
	case OPT_WORDS:
		join_words(o->words, ", ", " or ", words, sizeof(words));
		snprintf(buf, n, o->kind == OPT_WORDS ? "names from %s, separated by commas, or all" : "%s",
			 words);
		break;
	case OPT_RATE: snprintf(buf, n, "a bit rate such as 20M or 1G (at most 100G)"); break;
	default: snprintf(buf, n, "no value"); break;
	}
}

/* The one message of a bad value: "bad <noun> '<value>' for <option>: give <want>". */
static enum opt_status bad_value(const struct opt *o, const char *as, const char *val, struct opt_result *res)
{
	struct quote q;
	char w[300];

	want(o, w, sizeof(w));
	snprintf(res->msg, sizeof(res->msg), "bad %s '%s' for %s: give %s", kind_noun[o->kind], quote(&q, val),
		 as, w);
	return OPT_BAD;
}

const char *opt_title(const struct opt_cmd *c, char *buf, size_t n)
{
	if (c->prog)
		snprintf(buf, n, "%s", c->prog);
	else
		snprintf(buf, n, OPT_PROG "%s%s", c->name ? " " : "", c->name ? c->name : "");
	return buf;
}

const char *opt_hint(const struct opt_cmd *c, char *buf, size_t n)
{
	char t[64];

	if (c->name || c->prog)
		snprintf(buf, n, "'%s --help' lists the options", opt_title(c, t, sizeof(t)));
	else
		snprintf(buf, n, "'" OPT_PROG " help' lists the options");
	return buf;
}

/* "<pre>'<arg>'<post>; <hint>": the messages about the line's shape. */
static enum opt_status bad_line(const struct opt_cmd *c, const char *pre, const char *arg, const char *post,
				struct opt_result *res)
{
	struct quote q;
	char h[128];

	snprintf(res->msg, sizeof(res->msg), "%s'%s'%s; %s", pre, quote(&q, arg), post,
		 opt_hint(c, h, sizeof(h)));
	return OPT_BAD;
}

int opt_cpus_exist(const struct cpuset *set, int ncpus, const char *opt, char *msg, size_t n)
{
	int max = cpuset_max(set);

	if (max < 0) {
		snprintf(msg, n, "%s names no CPU: give CPUs such as 1 or 0-3,6", opt);
		return -EINVAL;
	}
	if (ncpus > 0 && max >= ncpus) {
		snprintf(msg, n, "%s names CPU %d, which does not exist here (CPUs 0-%d)", opt, max, ncpus - 1);
		return -EINVAL;
	}
	return 0;
}

int opt_parse_words(const char *list, const char *const *words, uint32_t *mask, char *bad, size_t badn)
{
	uint32_t m = 0, all_mask = 0;
	const char *p = list;

	for (unsigned i = 0; words[i] && i < 32; i++)
		all_mask |= 1u << i;
	if (bad && badn)
		bad[0] = '\0';
	if (!list || !*list)
		return -EINVAL;
	while (*p) {
		size_t len = strcspn(p, ","), i;
		bool all = len == 3 && !strncasecmp(p, "all", 3);

		for (i = 0; !all && words[i] && i < 32; i++)
			if (strlen(words[i]) == len && !strncasecmp(p, words[i], len))
				break;
		if (!all && (i >= 32 || !words[i])) {
			if (bad && badn)
				snprintf(bad, badn, "%.*s", (int)len, p);
			return -EINVAL;
		}
		m |= all ? all_mask : 1u << i;
		p += len;
		if (*p == ',' && !*++p)
			return -EINVAL; /* "net_rx," */
	}
	*mask = m;
	return 0;
}

/* "300M", "1G", "20k", "1500": bit/s. */
static int parse_rate(const char *s, uint64_t *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !(v > 0))
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': v *= 1e3; end++; break;
	case 'm': case 'M': v *= 1e6; end++; break;
	case 'g': case 'G': v *= 1e9; end++; break;
	}
	if (*end || v > 100e9)
		return -EINVAL;
	*out = (uint64_t)v;
	return 0;
}

static void store_int(void *field, size_t size, long long v)
{
	if (size == sizeof(int32_t)) {
		int32_t x = (int32_t)v;
		memcpy(field, &x, sizeof(x));
	} else {
		int64_t x = (int64_t)v;
		memcpy(field, &x, sizeof(x));
	}
}

/* Integers: INT, PID, CPU. */
static enum opt_status set_integer(const struct opt *o, const char *as, const char *val, void *field,
				   const struct opt_env *env, struct opt_result *res)
{
	long lo = o->kind == OPT_INT ? (long)o->min : o->kind == OPT_PID ? 1 : 0;
	long hi = o->kind == OPT_INT ? (o->max ? (long)o->max : LONG_MAX) :
		  o->kind == OPT_PID ? OPT_PID_MAX : INT_MAX;
	long v;

	if (parse_int_range(val, lo, hi, &v) < 0)
		return bad_value(o, as, val, res);
	if (o->kind == OPT_CPU && env && env->ncpus > 0 && v >= env->ncpus) {
		snprintf(res->msg, sizeof(res->msg), "%s names CPU %ld, which does not exist here (CPUs 0-%d)",
			 as, v, env->ncpus - 1);
		return OPT_BAD;
	}
	if (o->kind == OPT_PID && o->must_exist && env && env->pid_exists && !env->pid_exists(v)) {
		snprintf(res->msg, sizeof(res->msg), "%s names pid %ld, which no process has now", as, v);
		return OPT_BAD;
	}
	store_int(field, o->size, v);
	return OPT_RUN;
}

static enum opt_status set_string(const struct opt *o, const char *as, const char *val, void *field,
				  struct opt_result *res)
{
	struct opt limits = *o;
	size_t len = strlen(val);

	if (o->copy) /* a char array holds its size - 1 bytes */
		limits.max = o->max && o->max < (int64_t)o->size ? o->max : (int64_t)o->size - 1;
	if (!len || len < (size_t)o->min || (limits.max && len > (size_t)limits.max))
		return bad_value(&limits, as, val, res);
	if (o->copy)
		memcpy(field, val, len + 1);
	else
		memcpy(field, &val, sizeof(val));
	return OPT_RUN;
}

static enum opt_status set_words(const struct opt *o, const char *as, const char *val, void *field,
				 struct opt_result *res)
{
	struct quote q1, q2;
	char bad[64], w[256];
	uint32_t m;

	if (opt_parse_words(val, o->words, &m, bad, sizeof(bad)) == 0) {
		memcpy(field, &m, sizeof(m));
		return OPT_RUN;
	}
	join_words(o->words, ", ", ", ", w, sizeof(w));
	snprintf(res->msg, sizeof(res->msg), "bad list '%s' for %s: '%s' is none of %s or all", quote(&q1, val),
		 as, quote(&q2, bad), w);
	return OPT_BAD;
}

/* Checks val for o and writes it to its field. as: the option as written. */
static enum opt_status set_value(const struct opt *o, const char *as, const char *val, void *args,
				 const struct opt_env *env, struct opt_result *res)
{
	void *field = (char *)args + o->off;
	uint64_t v;

	switch (o->kind) {
	case OPT_FLAG: {
		bool b = !o->clear;
		memcpy(field, &b, sizeof(b));
		return OPT_RUN;
	}
	case OPT_DURATION:
	case OPT_INTERVAL:
		if (parse_duration_ns(val, dur_unit(o), &v) < 0 || !v || v < (uint64_t)o->min ||
		    (o->max && v > (uint64_t)o->max))
			return bad_value(o, as, val, res);
		memcpy(field, &v, sizeof(v));
		return OPT_RUN;
	case OPT_CPUS: {
		struct cpuset s;
		if (parse_cpulist(val, &s) < 0 || cpuset_max(&s) < 0)
			return bad_value(o, as, val, res);
		if (opt_cpus_exist(&s, env ? env->ncpus : 0, as, res->msg, sizeof(res->msg)) < 0)
			return OPT_BAD;
		memcpy(field, &s, sizeof(s));
		return OPT_RUN;
	}
	case OPT_CPU:
	case OPT_PID:
	case OPT_INT:
		return set_integer(o, as, val, field, env, res);
	case OPT_STRING:
		return set_string(o, as, val, field, res);
	case OPT_CHOICE:
		for (int i = 0; o->words[i]; i++)
			if (!strcmp(val, o->words[i])) {
				memcpy(field, &i, sizeof(i));
				return OPT_RUN;
			}
		return bad_value(o, as, val, res);
	case OPT_WORDS:
		return set_words(o, as, val, field, res);
	case OPT_RATE:
		if (parse_rate(val, &v) < 0 || v < (uint64_t)o->min || (o->max && v > (uint64_t)o->max))
			return bad_value(o, as, val, res);
		memcpy(field, &v, sizeof(v));
		return OPT_RUN;
	default:
		return bad_value(o, as, val, res);
	}
}

static bool opt_end(const struct opt *o)
{
	return !o->sname && !o->lname;
}

static void write_defaults(const struct opt_cmd *c, void *args)
{
	for (const struct opt *o = c->opts; o && !opt_end(o); o++) {
		void *field = (char *)args + o->off;
		uint64_t u = (uint64_t)o->def;
		uint32_t u32 = (uint32_t)o->def;
		int i = (int)o->def;
		bool b = o->def != 0;

		if (!o->has_def)
			continue;
		switch (o->kind) {
		case OPT_DURATION: case OPT_INTERVAL: case OPT_RATE: memcpy(field, &u, sizeof(u)); break;
		case OPT_WORDS: memcpy(field, &u32, sizeof(u32)); break;
		case OPT_CHOICE: memcpy(field, &i, sizeof(i)); break;
		case OPT_CPU: case OPT_PID: case OPT_INT: store_int(field, o->size, o->def); break;
		case OPT_FLAG: memcpy(field, &b, sizeof(b)); break;
		default: break; /* strings and CPU lists: the command's own */
		}
	}
}

/* The parse in progress. */
struct parse {
	const struct opt_cmd *c;
	int argc;
	char **argv;
	int i;                    /* the element being read */
	void *args;
	const struct opt_env *env;
	struct opt_result *res;
	uint64_t seen;            /* bit k: opts[k] was given */
};

/* Sets o from val (NULL for a flag). as: the option as written. */
static enum opt_status given(struct parse *p, const struct opt *o, const char *as, const char *val)
{
	p->seen |= 1ull << (o - p->c->opts);
	return set_value(o, as, val, p->args, p->env, p->res);
}

/* The value of an option that takes one: inline (-d5, --duration=5) or
 * the next element, whatever it looks like (-d -5 is a bad duration). */
static enum opt_status take_value(struct parse *p, const struct opt *o, const char *as, const char *inl)
{
	if (!inl && p->i + 1 >= p->argc)
		return bad_line(p->c, "option ", as, " needs a value", p->res);
	return given(p, o, as, inl ? inl : p->argv[++p->i]);
}

/* --name, --name=value, or an unambiguous start of a name. */
static enum opt_status long_option(struct parse *p, const char *a)
{
	const char *name = a + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	const struct opt *hit = NULL;
	int nhit = 0;
	char as[80];

	for (const struct opt *o = p->c->opts; len && o && !opt_end(o); o++) {
		if (!o->lname || strncmp(o->lname, name, len))
			continue;
		hit = o;
		if (strlen(o->lname) == len) {
			nhit = 1;
			break;
		}
		nhit++;
	}
	if (len && len <= 4 && !strncmp("help", name, len) && (len == 4 || !nhit))
		return OPT_HELP;
	if (nhit > 1)
		return bad_line(p->c, "ambiguous option ", a, "", p->res);
	if (!hit)
		return bad_line(p->c, "unknown option ", a, "", p->res);
	snprintf(as, sizeof(as), "--%s", hit->lname);
	if (hit->kind != OPT_FLAG)
		return take_value(p, hit, as, eq ? eq + 1 : NULL);
	if (eq)
		return bad_line(p->c, "option ", as, " takes no value", p->res);
	return given(p, hit, as, NULL);
}

/* -x, -xVALUE, -x VALUE, -abc (flags together). */
static enum opt_status short_options(struct parse *p, const char *a)
{
	for (const char *s = a + 1; *s; s++) {
		const struct opt *hit = NULL;
		char as[3] = { '-', *s, '\0' };
		char unknown[QUOTE_MAX + 2];
		enum opt_status st;

		if (*s == 'h')
			return OPT_HELP;
		for (const struct opt *o = p->c->opts; o && !opt_end(o); o++)
			if (o->sname == *s)
				hit = o;
		if (!hit) {
			/* quoted from the unknown letter on */
			snprintf(unknown, sizeof(unknown), "-%s", s);
			return bad_line(p->c, "unknown option ", unknown, "", p->res);
		}
		if (hit->kind != OPT_FLAG)
			return take_value(p, hit, as, s[1] ? s + 1 : NULL);
		if ((st = given(p, hit, as, NULL)) != OPT_RUN)
			return st;
	}
	return OPT_RUN;
}

/* "--mode" or "-x": how a message names o. */
static const char *opt_name(const struct opt *o, char *buf, size_t n)
{
	if (o->lname)
		snprintf(buf, n, "--%s", o->lname);
	else
		snprintf(buf, n, "-%c", o->sname);
	return buf;
}

/* After the options: how many operands, and the options required. */
static enum opt_status check_whole(struct parse *p)
{
	const struct opt_cmd *c = p->c;
	struct opt_result *res = p->res;
	struct quote q;
	char h[128], name[80], w[300], t[64];

	if (c->max_operands == 0 && res->nargs > 0) {
		snprintf(res->msg, sizeof(res->msg), "'%s' takes no arguments ('%s'); %s",
			 opt_title(c, t, sizeof(t)), quote(&q, res->args[0]), opt_hint(c, h, sizeof(h)));
		return OPT_BAD;
	}
	if (c->max_operands > 0 && res->nargs > c->max_operands)
		return bad_line(c, "unexpected argument ", res->args[c->max_operands], "", res);
	if (res->command && !res->command[0]) {
		snprintf(res->msg, sizeof(res->msg), "'--' must be followed by the COMMAND to run; %s",
			 opt_hint(c, h, sizeof(h)));
		return OPT_BAD;
	}
	for (const struct opt *o = c->opts; o && !opt_end(o); o++) {
		if (!o->required || (p->seen >> (o - c->opts)) & 1)
			continue;
		want(o, w, sizeof(w));
		snprintf(res->msg, sizeof(res->msg), "'%s' needs %s: give %s", opt_title(c, t, sizeof(t)),
			 opt_name(o, name, sizeof(name)), w);
		return OPT_BAD;
	}
	return OPT_RUN;
}

static enum opt_status parse_line(const struct opt_cmd *c, int argc, char **argv, void *args,
				  const struct opt_env *env, struct opt_result *res)
{
	struct parse p = { .c = c, .argc = argc, .argv = argv, .args = args, .env = env, .res = res };
	bool operands_only = false;
	int w = 1;

	memset(res, 0, sizeof(*res));
	write_defaults(c, args);
	for (p.i = 1; p.i < argc; p.i++) {
		char *a = argv[p.i];
		enum opt_status st;

		if (operands_only || a[0] != '-' || !a[1]) {
			/* moved forward in place: w <= i, and what stood there is read */
			argv[w++] = a;
			operands_only |= c->stop_at_operand;
			continue;
		}
		if (!strcmp(a, "--") && c->runs_command) {
			res->command = argv + p.i + 1;
			break;
		}
		if (!strcmp(a, "--")) {
			operands_only = true;
			continue;
		}
		st = a[1] == '-' ? long_option(&p, a) : short_options(&p, a);
		if (st != OPT_RUN)
			return st;
	}
	argv[w] = NULL;
	res->args = argv + 1;
	res->nargs = w - 1;
	return check_whole(&p);
}

enum opt_status opt_parse(const struct opt_cmd *c, int argc, char **argv, void *args,
			  const struct opt_env *env, struct opt_result *res)
{
	enum opt_status st = parse_line(c, argc, argv, args, env, res);
	size_t len = strlen(res->msg);

	/* a message its buffer cut short never ends inside a character */
	res->msg[len - utf8_incomplete_tail(res->msg, len)] = '\0';
	return st;
}

/* optgen.c — what is written from the option tables of opt.h: --help, the
 * synopsis, ksleuth(8) in troff and the bash completion script, so that
 * none of them is a second copy to keep in step. Pure: writes only to the
 * FILE given. */
#include <ctype.h>
#include <string.h>

#include "lib/opt.h"

#define WIDTH 79      /* --help lines end before this column */
#define HELP_COL 24   /* an option's help starts here */

static bool opt_end(const struct opt *o)
{
	return !o->sname && !o->lname;
}

static bool shown(const struct opt *o)
{
	return !o->hidden;
}

static bool takes_value(const struct opt *o)
{
	return o->kind != OPT_FLAG;
}

/* The value's name: .arg, or a CHOICE's words "cpu|comm|pid". */
static const char *arg_name(const struct opt *o, char *buf, size_t n)
{
	size_t len = 0;

	if (o->arg || o->kind != OPT_CHOICE)
		return o->arg ? o->arg : "VALUE";
	buf[0] = '\0';
	for (int i = 0; o->words[i] && len < n; i++)
		len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? "|" : "", o->words[i]);
	return buf;
}

/* "(default 1s)", or "" when the default goes without saying. */
static const char *default_text(const struct opt *o, char *buf, size_t n)
{
	char v[64];

	buf[0] = '\0';
	if (o->def_text)
		snprintf(buf, n, "(default %s)", o->def_text);
	else if (!o->has_def || (o->kind == OPT_FLAG))
		return buf;
	else if (o->kind == OPT_DURATION || o->kind == OPT_INTERVAL)
		snprintf(buf, n, "(default %s)", opt_fmt_ns((uint64_t)o->def, v, sizeof(v)));
	else if (o->kind == OPT_CHOICE) {
		for (int64_t i = 0; o->def >= 0 && o->words[i]; i++)
			if (i == o->def)
				snprintf(buf, n, "(default %s)", o->words[i]);
	}
	else
		snprintf(buf, n, "(default %lld)", (long long)o->def);
	return buf;
}

/* One synopsis item: "[-C CPUS]", "--mode MODE" (required). */
static const char *synopsis_item(const struct opt *o, char *buf, size_t n)
{
	char a[128];

	snprintf(buf, n, "%s%s%c%s%s%s%s", o->required ? "" : "[", o->sname ? "-" : "--",
		 o->sname ? o->sname : o->lname[0], o->sname ? "" : o->lname + 1,
		 takes_value(o) ? " " : "", takes_value(o) ? arg_name(o, a, sizeof(a)) : "",
		 o->required ? "" : "]");
	return buf;
}

/* Writes word at *col, wrapping to indent first when it would pass width. */
static void put_word(FILE *f, const char *word, size_t len, int *col, int indent, int width)
{
	if (*col > indent && *col + 1 + (int)len > width) {
		fprintf(f, "\n%*s", indent, "");
		*col = indent;
	} else if (*col > indent) {
		fputc(' ', f);
		(*col)++;
	}
	fwrite(word, 1, len, f);
	*col += (int)len;
}

/* Words of text from *col, wrapped under indent; '\n' starts a new line. */
static void put_wrapped(FILE *f, const char *text, int *col, int indent, int width)
{
	for (const char *p = text; *p;) {
		if (*p == '\n') {
			fprintf(f, "\n%*s", indent, "");
			*col = indent;
			p++;
			continue;
		}
		if (*p == ' ') {
			p++;
			continue;
		}
		size_t len = strcspn(p, " \n");
		put_word(f, p, len, col, indent, width);
		p += len;
	}
}

void opt_synopsis(FILE *f, const struct opt_cmd *c, const char *lead, int width)
{
	char item[192], t[64];
	int col, indent;

	col = fprintf(f, "%s%s ", lead, opt_title(c, t, sizeof(t)));
	indent = col;
	if (c->synopsis) {
		put_wrapped(f, c->synopsis, &col, indent, width);
	} else {
		if (c->operands && !c->stop_at_operand)
			put_wrapped(f, c->operands, &col, indent, width);
		for (const struct opt *o = c->opts; o && !opt_end(o); o++)
			if (shown(o))
				put_word(f, item, strlen(synopsis_item(o, item, sizeof(item))), &col, indent, width);
		if (c->operands && c->stop_at_operand)
			put_wrapped(f, c->operands, &col, indent, width);
	}
	if (c->runs_command)
		put_wrapped(f, OPT_COMMAND_SYNOPSIS, &col, indent, width);
	fputc('\n', f);
}

/* "  -C, --cpus CPUS", "      --per-cpu", "  -T". */
static int option_left(const struct opt *o, char *buf, size_t n)
{
	char a[128];

	return snprintf(buf, n, "  %s%c%s%s%s%s%s", o->sname ? "-" : "   ", o->sname ? o->sname : ' ',
			o->sname && o->lname ? ", " : "", o->lname ? "--" : "", o->lname ? o->lname : "",
			takes_value(o) ? " " : "", takes_value(o) ? arg_name(o, a, sizeof(a)) : "");
}

static void option_row(FILE *f, const char *left, int len, const char *help, const char *def)
{
	int col = len;

	fputs(left, f);
	if (len + 2 > HELP_COL) {
		fprintf(f, "\n%*s", HELP_COL, "");
	} else {
		fprintf(f, "%*s", HELP_COL - len, "");
	}
	col = HELP_COL;
	put_wrapped(f, help ? help : "", &col, HELP_COL, WIDTH);
	if (def && *def)
		put_wrapped(f, def, &col, HELP_COL, WIDTH);
	fputc('\n', f);
}

void opt_options(FILE *f, const struct opt_cmd *c)
{
	char left[192], def[96];

	for (const struct opt *o = c->opts; o && !opt_end(o); o++) {
		if (shown(o))
			option_row(f, left, option_left(o, left, sizeof(left)), o->help,
				   default_text(o, def, sizeof(def)));
	}
	option_row(f, "  -h, --help", 12, "this text", NULL);
}

/* What "-- COMMAND" does, for --help and the man page alike. */
static const char command_note[] =
	"-- COMMAND [ARG...]: run COMMAND once the tracing is attached and stop\n"
	"when it exits (at -d's end or on Ctrl-C first, COMMAND is ended). Its\n"
	"output goes to stderr, so stdout stays this command's own. The exit\n"
	"status is this command's, plus 4 when COMMAND failed (exited non-zero\n"
	"or was killed): 4 ok but COMMAND failed, 7 the doctor found a problem\n"
	"and COMMAND failed.\n";

void opt_usage(FILE *f, const struct opt_cmd *c)
{
	opt_synopsis(f, c, "usage: ", WIDTH);
	if (c->description)
		fprintf(f, "\n%s", c->description);
	fputc('\n', f);
	opt_options(f, c);
	if (c->runs_command)
		fprintf(f, "\n%s", command_note);
	if (c->notes)
		fprintf(f, "\n%s", c->notes);
}

/* ---- ksleuth(8) ---- */

/* One line of text for troff: '-' and '\' escaped, a leading '.' or '\''
 * kept from being read as a request. */
static void man_line(FILE *f, const char *s, size_t n)
{
	if (n && (s[0] == '.' || s[0] == '\''))
		fputs("\\&", f);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\')
			fputs("\\e", f);
		else if (s[i] == '-')
			fputs("\\-", f);
		else
			fputc(s[i], f);
	}
}

static void man_str(FILE *f, const char *s)
{
	man_line(f, s, strlen(s));
}

/* Text as written: a blank line starts a paragraph, lines that start with
 * white space stay as they are (lists, examples), the rest is filled. */
static void man_text(FILE *f, const char *text)
{
	bool literal = false;

	for (const char *p = text; p && *p;) {
		size_t n = strcspn(p, "\n");
		bool indented = n && isspace((unsigned char)p[0]);

		if (indented != literal) {
			fputs(indented ? ".nf\n" : ".fi\n", f);
			literal = indented;
		}
		if (!n)
			fputs(".PP\n", f);
		else {
			man_line(f, p, n);
			fputc('\n', f);
		}
		p += n + (p[n] == '\n');
	}
	if (literal)
		fputs(".fi\n", f);
}

/* "\fB\-C\fR, \fB\-\-cpus\fR \fICPUS\fR" (both: both names, else the
 * short one if there is one): names bold, the value italic. */
static void man_names(FILE *f, const struct opt *o, bool both)
{
	char a[128];

	if (o->sname)
		fprintf(f, "\\fB\\-%c\\fR%s", o->sname, both && o->lname ? ", " : "");
	if (o->lname && (both || !o->sname)) {
		fputs("\\fB\\-\\-", f);
		man_str(f, o->lname);
		fputs("\\fR", f);
	}
	if (takes_value(o)) {
		fputs(" \\fI", f);
		man_str(f, arg_name(o, a, sizeof(a)));
		fputs("\\fR", f);
	}
}

static void man_option(FILE *f, const struct opt *o)
{
	char def[96];

	fputs(".TP\n", f);
	man_names(f, o, true);
	fputc('\n', f);
	man_text(f, o->help ? o->help : "");
	if (*default_text(o, def, sizeof(def))) {
		man_str(f, def);
		fputc('\n', f);
	}
}

/* A synopsis item: "[\fB\-C\fR \fICPUS\fR]". */
static void man_item(FILE *f, const struct opt *o)
{
	fputs(o->required ? " " : " [", f);
	man_names(f, o, false);
	fputs(o->required ? "" : "]", f);
}

static void man_operands(FILE *f, const struct opt_cmd *c)
{
	fputs(" \\fI", f);
	man_str(f, c->operands);
	fputs("\\fR", f);
}

static void man_synopsis(FILE *f, const struct opt_cmd *c)
{
	fprintf(f, "\\fB" OPT_PROG "%s", c->name ? " " : "");
	man_str(f, c->name ? c->name : "");
	fputs("\\fR", f);
	if (c->synopsis) {
		fputc(' ', f);
		man_str(f, c->synopsis);
	} else {
		if (c->operands && !c->stop_at_operand)
			man_operands(f, c);
		for (const struct opt *o = c->opts; o && !opt_end(o); o++)
			if (shown(o))
				man_item(f, o);
		if (c->operands && c->stop_at_operand)
			man_operands(f, c);
	}
	if (c->runs_command)
		fputs(" [\\fB\\-\\-\\fR \\fICOMMAND\\fR [\\fIARG\\fR...]]", f);
	fputc('\n', f);
}

static void man_options(FILE *f, const struct opt_cmd *c)
{
	static const struct opt help = { 'h', "help", OPT_FLAG, .help = "print the options and exit" };

	for (const struct opt *o = c->opts; o && !opt_end(o); o++)
		if (shown(o))
			man_option(f, o);
	man_option(f, &help);
}

static void man_command(FILE *f, const struct opt_cmd *c)
{
	fputs(".SS ", f);
	man_str(f, c->name);
	fputs("\n.PP\n", f);
	man_synopsis(f, c);
	fputs(".PP\n", f);
	if (c->summary && *c->summary) {
		fputc(toupper((unsigned char)c->summary[0]), f);
		man_str(f, c->summary + 1);
	}
	fputs(".\n", f);
	if (c->description) {
		fputs(".PP\n", f);
		man_text(f, c->description);
	}
	if (c->opts)
		man_options(f, c);
	if (c->runs_command) {
		fputs(".PP\n", f);
		man_text(f, command_note);
	}
	if (c->notes) {
		fputs(".PP\n", f);
		man_text(f, c->notes);
	}
}

/* "path<TAB>meaning" lines, as .TP items. */
static void man_files(FILE *f, const char *files)
{
	for (const char *p = files; *p;) {
		size_t n = strcspn(p, "\n"), k = strcspn(p, "\t");
		if (k < n) {
			fputs(".TP\n.I ", f);
			man_line(f, p, k);
			fputc('\n', f);
			man_line(f, p + k + 1, n - k - 1);
			fputc('\n', f);
		}
		p += n + (p[n] == '\n');
	}
}

void opt_man(FILE *f, const struct opt_prog *p, const struct opt_cmd *const *cmds, size_t n)
{
	fputs(".\\\" " OPT_PROG "(8): written by '" OPT_PROG " manpage' from the option tables\n"
	      ".\\\" that --help reads too; edit those, not this.\n", f);
	fputs(".TH KSLEUTH 8 \"\" \"", f);
	man_str(f, OPT_PROG " ");
	man_str(f, p->version ? p->version : "");
	fputs("\" \"System Administration\"\n.SH NAME\n" OPT_PROG " \\- ", f);
	man_str(f, p->cmd->summary);
	fputs("\n.SH SYNOPSIS\n", f);
	man_synopsis(f, p->cmd);
	fputs(".SH DESCRIPTION\n", f);
	for (size_t i = 0; p->paragraphs && p->paragraphs[i]; i++) {
		if (i)
			fputs(".PP\n", f);
		man_text(f, p->paragraphs[i]);
	}
	fputs(".SH OPTIONS\n", f);
	man_options(f, p->cmd);
	fputs(".SH COMMANDS\n", f);
	for (size_t i = 0; i < n; i++)
		man_command(f, cmds[i]);
	fputs(".SH EXIT STATUS\n", f);
	for (const struct opt_exit *e = p->exits; e && e->meaning; e++) {
		fprintf(f, ".TP\n.B %d\n", e->code);
		man_str(f, e->meaning);
		fputc('\n', f);
	}
	if (p->files) {
		fputs(".SH FILES\n", f);
		man_files(f, p->files);
	}
	if (p->see_also) {
		fputs(".SH SEE ALSO\n", f);
		man_str(f, p->see_also);
		fputc('\n', f);
	}
}

/* ---- bash completion ---- */

void opt_synopsis_names(const char *s, void (*fn)(const char *name, size_t len, bool takes_value, void *arg),
			void *arg)
{
	static const char sep[] = " []|";

	while (s && *s) {
		size_t n = strcspn(s, sep);
		if (n && s[0] == '-') {
			/* a value follows in the same bracket: " DUR" */
			const char *v = s + n;
			bool value = *v == ' ' && isupper((unsigned char)v[1]);
			fn(s, n, value, arg);
		}
		s += n;
		s += strspn(s, sep);
	}
}

/* Writes (f NULL: counts) option names of c: all, or those that take a
 * value; sep between them. Returns how many. */
struct names {
	FILE *f;
	bool values_only;
	const char *sep;
	int n;
};

static void put_name(const char *name, size_t len, bool value, void *arg)
{
	struct names *w = arg;

	if (w->values_only && !value)
		return;
	if (w->f)
		fprintf(w->f, "%s%.*s", w->n ? w->sep : "", (int)len, name);
	w->n++;
}

static int option_names(FILE *f, const struct opt_cmd *c, bool values_only, const char *sep)
{
	struct names w = { f, values_only, sep, 0 };
	char name[80];

	if (c->synopsis)
		opt_synopsis_names(c->synopsis, put_name, &w);
	for (const struct opt *o = c->opts; o && !opt_end(o); o++) {
		if (!shown(o))
			continue;
		if (o->sname)
			put_name(name, (size_t)snprintf(name, sizeof(name), "-%c", o->sname), takes_value(o), &w);
		if (o->lname)
			put_name(name, (size_t)snprintf(name, sizeof(name), "--%s", o->lname), takes_value(o), &w);
	}
	return w.n;
}

/* "-C|--cpus", "--by": o's names as a case pattern. */
static void case_pattern(FILE *f, const struct opt *o)
{
	if (o->sname)
		fprintf(f, "-%c%s", o->sname, o->lname ? "|" : "");
	if (o->lname)
		fprintf(f, "--%s", o->lname);
}

static void bash_command(FILE *f, const struct opt_cmd *c)
{
	fprintf(f, "\t%s)\n\t\tcase $prev in\n", c->name);
	for (const struct opt *o = c->opts; o && !opt_end(o); o++) {
		if (!shown(o) || !o->words)
			continue;
		fputs("\t\t", f);
		case_pattern(f, o);
		fputs(")\n\t\t\tCOMPREPLY=($(compgen -W '", f);
		for (int i = 0; o->words[i]; i++)
			fprintf(f, "%s%s", i ? " " : "", o->words[i]);
		fprintf(f, "%s' -- \"$cur\"))\n\t\t\treturn ;;\n", o->kind == OPT_WORDS ? " all" : "");
	}
	if (option_names(NULL, c, true, "|")) {
		fputs("\t\t", f);
		option_names(f, c, true, "|");
		fputs(")\n\t\t\treturn ;;\n", f);
	}
	fputs("\t\tesac\n\t\topts='", f);
	if (option_names(f, c, false, " "))
		fputc(' ', f);
	fputs("-h --help'\n\t\t;;\n", f);
}

void opt_bash_completion(FILE *f, const struct opt_prog *p, const struct opt_cmd *const *cmds, size_t n)
{
	fputs("# bash completion for " OPT_PROG ": written by '" OPT_PROG " completion bash' from\n"
	      "# the option tables that --help and the man page read too.\n"
	      "_" OPT_PROG "()\n{\n"
	      "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
	      "\tlocal cmd= opts i\n"
	      "\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	      "\t\tcase ${COMP_WORDS[i]} in\n\t\t-*) ;;\n\t\t*) cmd=${COMP_WORDS[i]}; break ;;\n\t\tesac\n"
	      "\tdone\n\tcase $cmd in\n\t'')\n\t\topts='help", f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, " %s", cmds[i]->name);
	fputc(' ', f);
	if (option_names(f, p->cmd, false, " "))
		fputc(' ', f);
	fputs("-h --help'\n\t\t;;\n\thelp)\n\t\t[ \"$prev\" = help ] || return\n\t\topts='", f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? " " : "", cmds[i]->name);
	fputs("'\n\t\t;;\n", f);
	for (size_t i = 0; i < n; i++)
		bash_command(f, cmds[i]);
	fputs("\t*)\n\t\treturn ;;\n\tesac\n"
	      "\tCOMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n}\n"
	      "complete -o default -F _" OPT_PROG " " OPT_PROG "\n", f);
}

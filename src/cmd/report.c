/* report.c — `ksleuth report FILE`: a recording of `doctor --record`
 * (docs/record.md) replayed through a fresh engine with the doctor's own
 * views: the same incidents, verdicts, stacks and advice as the live run,
 * and, asked for, its pictures (lib/evidence.h). Reads a file only: no
 * BPF, no privileges. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "ksleuth.h"
#include "doctor/run.h"
#include "lib/evidence.h"
#include "sys/cli.h"
#include "sys/log.h"

struct report_args {
	bool json;
	const char *html, *perfetto, *folded;
};

static const struct opt report_opts[] = {
	OPT_JSON(struct report_args, json, "the doctor's JSON Lines records (docs/json.md)"),
	{ .lname = "html", OPT_STRING_AT(struct report_args, html), .arg = "OUT", .min = 1,
	  .help = "also write one self-contained HTML page: verdicts and advice, per-CPU lanes of who "
		  "held the CPU, retransmit, drop and NET_RX delay tracks, kernel log markers, a flame "
		  "graph of the culprit's stacks" },
	{ .lname = "perfetto", OPT_STRING_AT(struct report_args, perfetto), .arg = "OUT", .min = 1,
	  .help = "also write Chrome trace-event JSON (ui.perfetto.dev, chrome://tracing): a track "
		  "per CPU, counters for retransmits, drops and NET_RX delay" },
	{ .lname = "folded", OPT_STRING_AT(struct report_args, folded), .arg = "OUT", .min = 1,
	  .help = "also write the stalls' kernel stacks as folded stacks (flamegraph.pl, speedscope)" },
	{ 0 }
};

const struct opt_cmd report_cli = {
	.name = "report",
	.summary = "replay a recording of the doctor (doctor --record) and print what it found",
	.operands = "FILE",
	.max_operands = 1,
	.description =
	"Replay FILE, written by 'ksleuth doctor --record FILE' or 'ksleuth demo\n"
	"--record FILE', through the doctor's engine: the same incidents, verdicts,\n"
	"stacks and advice as the live run printed, as its final report (text) or\n"
	"its JSON Lines records (--json). A file cut short (a crash, a full disk) or\n"
	"damaged is replayed up to the damage, which is named, and exits 1.\n",
	.opts = report_opts,
	.notes =
	"Each OUT is written whole or not at all (a temporary file renamed into\n"
	"place). Exit: 0 the recording had no incident, 3 it had one, 1 the file\n"
	"cannot be read or is damaged (what came before the damage is still\n"
	"reported), or an OUT could not be written; 2 usage.\n",
};

static void folded_all(FILE *f, const struct evidence *e)
{
	ev_write_folded(f, e, false);
}

/* One picture into path, through a temporary file beside it renamed into
 * place: a reader never sees half of it. 0, or -1 after saying why. */
static int write_view(const char *path, void (*fn)(FILE *, const struct evidence *), const struct evidence *e)
{
	size_t n = strlen(path) + 16;
	char *tmp = malloc(n);
	FILE *f = NULL;
	int fd = -1, ok = 0;

	if (!tmp) {
		err("out of memory");
		return -1;
	}
	snprintf(tmp, n, "%s.XXXXXX", path);
	mode_t mask = umask(0);

	umask(mask);
	/* mkstemp makes the file 0600; a picture is for sharing: umask's mode */
	if ((fd = mkstemp(tmp)) >= 0 && fchmod(fd, 0666 & ~mask) == 0 && (f = fdopen(fd, "w"))) {
		fn(f, e);
		ok = fflush(f) == 0 && !ferror(f) && fsync(fileno(f)) == 0;
		ok &= fclose(f) == 0;
		ok = ok && rename(tmp, path) == 0;
	}
	if (!ok) {
		err("cannot write %s: %s", log_arg(path), strerror(errno));
		if (fd >= 0 && !f)
			close(fd);
		if (fd >= 0)
			unlink(tmp);
	}
	free(tmp);
	return ok ? 0 : -1;
}

int cmd_report(int argc, char **argv)
{
	struct report_args a = { 0 };
	struct evidence ev = { 0 };
	struct opt_result res;
	struct doctor_opts o;
	int rc = cli_parse(&report_cli, argc, argv, &a, &res);
	bool pictures;

	if (rc != CLI_RUN)
		return rc;
	if (res.nargs != 1)
		return cli_usage_error(&report_cli, "report needs the recording to read: ksleuth report FILE");
	pictures = a.html || a.perfetto || a.folded;
	doctor_opts_default(&o);
	o.json = a.json;
	o.live = false;     /* the live lines were the live run's; the report is what stays */
	o.replay = res.args[0];
	o.evidence = pictures ? &ev : NULL;
	rc = doctor_run(&o, NULL);
	/* a damaged recording still gets the pictures of what came before */
	if (pictures && ev.ncpus &&
	    ((a.html && write_view(a.html, ev_write_html, &ev) < 0) ||
	     (a.perfetto && write_view(a.perfetto, ev_write_perfetto, &ev) < 0) ||
	     (a.folded && write_view(a.folded, folded_all, &ev) < 0)))
		rc = EXIT_RUNTIME;
	ev_free(&ev);
	return rc;
}

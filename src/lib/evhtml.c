/* evhtml.c — the evidence as one HTML page (see evidence.h): inline SVG
 * drawn here, inline CSS, no script and nothing fetched, so the file
 * opens anywhere and can be mailed as it is. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lib/evidence.h"
#include "lib/parse.h"
#include "lib/text.h"

#define W 1200                /* page drawing width, px */
#define LEFT 110              /* label column */
#define PW (W - LEFT - 10)    /* plot width */
#define LANE_H 24
#define LANE_GAP 6
#define TRACK_H 56
#define FRAME_H 17

/* Text into HTML: & < > " ' escaped; a byte that is not UTF-8, or a
 * control character, shown as U+FFFD. */
static void put_text(FILE *f, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = utf8_char(s + i, n - i, &cp);
		if (!len || text_is_control(cp)) {
			fputs("&#xFFFD;", f);
			i += len ? len : 1;
			continue;
		}
		switch (cp) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fwrite(s + i, 1, len, f);
		}
		i += len;
	}
}

static double x_of(const struct evidence *e, uint64_t ns)
{
	uint64_t span = e->end_ns > e->t0_ns ? e->end_ns - e->t0_ns : 1;

	if (ns < e->t0_ns)
		ns = e->t0_ns;
	if (ns > e->end_ns)
		ns = e->end_ns;
	return LEFT + (double)(ns - e->t0_ns) * PW / (double)span;
}

static unsigned pct(uint32_t part, uint32_t whole)
{
	return whole ? (unsigned)((uint64_t)part * 100 / whole) : 0;
}

static const char style[] =
	"body{font:14px/1.4 sans-serif;margin:16px;color:#222}"
	"h1{font-size:20px}h2{font-size:16px;margin:12px 0 4px}"
	".verdict{border-left:4px solid #c0392b;padding:4px 12px;margin:8px 0;background:#fdf2f0}"
	".healthy{border-left:4px solid #27ae60;padding:4px 12px;background:#f0fbf4}"
	"svg text{font:11px sans-serif;fill:#222}"
	".lane{fill:#f4f4f4}.stall{fill:#9aa5b1}.culprit{fill:#c0392b}"
	".band{fill:#f5b7b1;fill-opacity:.35}.bar{fill:#2e86c1}.drop{fill:#af601a}"
	".delay{fill:none;stroke:#7d3c98;stroke-width:1.5}.kmsg{stroke:#d4ac0d;stroke-width:1.5}"
	".axis{stroke:#999}.frame{stroke:#fff}.fhot{fill:#e67e22}.fcold{fill:#f0b27a}";

static void header(FILE *f, const struct evidence *e)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<title>ksleuth report</title><style>", f);
	fputs(style, f);
	fputs("</style></head><body>\n<h1>ksleuth report</h1>\n<p id=\"kernel\">", f);
	put_text(f, e->title);
	fprintf(f, "; %.1f s watched, %u CPUs</p>\n", (double)(e->end_ns - e->t0_ns) / 1e9, e->ncpus);
}

static void verdicts(FILE *f, const struct evidence *e)
{
	if (!e->n_incidents)
		fputs("<p class=\"healthy\" id=\"verdict\">No incident: the network looked healthy.</p>\n", f);
	for (unsigned i = 0; i < e->n_incidents; i++) {
		const struct ev_incident *in = &e->incidents[i];
		fprintf(f, "<section class=\"verdict\" id=\"incident-%u\"><h2>Incident %u: %s (%s)</h2><p>",
			in->id, in->id, eng_mech_name(in->mech), in->confidence ? in->confidence : "");
		put_text(f, in->summary);
		fputs("</p><ul>", f);
		for (unsigned k = 0; k < in->n_advice; k++) {
			fputs("<li>", f);
			put_text(f, in->advice[k]);
			fputs("</li>", f);
		}
		fputs("</ul></section>\n", f);
	}
}

static void stall_rect(FILE *f, const struct evidence *e, const struct ev_stall *s, double y)
{
	double x0 = x_of(e, s->start_ns), x1 = x_of(e, s->end_ns);
	const struct eng_task *h = &s->holder;

	fprintf(f, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\"><title>",
		ev_is_culprit(e, s) ? "stall culprit" : "stall", x0, y, x1 - x0 > 1 ? x1 - x0 : 1, LANE_H);
	if (s->have_holder) {
		put_text(f, h->comm);
		fprintf(f, " (pid %d, %s) held CPU %d for %.0f ms: kernel %u%%, bottom halves off %u%%, "
			"interrupts off %u%% of %u samples; ", h->pid, eng_policy_name(h->policy), s->cpu,
			(double)(s->end_ns - s->start_ns) / 1e6, pct(h->samples_kernel, h->samples),
			pct(h->samples_bh_off, h->samples), pct(h->samples_irq_off, h->samples), h->samples);
	} else {
		fprintf(f, "CPU %d stalled %.0f ms; ", s->cpu, (double)(s->end_ns - s->start_ns) / 1e6);
	}
	fputs("waited: ", f);
	put_text(f, s->victim[0] ? s->victim : "softirq work");
	fputs("</title></rect>", f);
	if (x1 - x0 > 60 && s->have_holder) {
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">", x0 + 3, y + 16);
		put_text(f, h->comm);
		fputs("</text>", f);
	}
	fputc('\n', f);
}

static void lanes(FILE *f, const struct evidence *e, double y0)
{
	for (unsigned c = 0; c < e->ncpus; c++) {
		double y = y0 + c * (LANE_H + LANE_GAP);
		fprintf(f, "<text x=\"4\" y=\"%.1f\">CPU %u</text><rect class=\"lane\" id=\"lane-%u\" x=\"%d\" "
			"y=\"%.1f\" width=\"%d\" height=\"%d\"/>\n", y + 16, c, c, LEFT, y, PW, LANE_H);
	}
	for (unsigned i = 0; i < e->n_stalls; i++)
		if (e->stalls[i].cpu >= 0 && (unsigned)e->stalls[i].cpu < e->ncpus)
			stall_rect(f, e, &e->stalls[i], y0 + e->stalls[i].cpu * (LANE_H + LANE_GAP));
}

/* One track of per-second values: bars, or a line for a delay. */
static void track(FILE *f, const struct evidence *e, double y, const char *label, int which)
{
	double max = 0;

	for (unsigned i = 0; i < e->n_seconds; i++) {
		const struct ev_second *s = &e->seconds[i];
		double v = which == 0 ? (double)s->retrans : which == 1 ? (double)s->drops : s->netrx_max_ns / 1e6;
		if (v > max)
			max = v;
	}
	fprintf(f, "<g class=\"track\" id=\"track-%d\"><text x=\"4\" y=\"%.1f\">%s</text>"
		"<text x=\"4\" y=\"%.1f\">max %.0f</text><line class=\"axis\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" "
		"y2=\"%.1f\"/>", which, y + 20, label, y + 36, max, LEFT, LEFT + PW, y + TRACK_H, y + TRACK_H);
	if (which == 2)
		fputs("<polyline class=\"delay\" points=\"", f);
	for (unsigned i = 0; i < e->n_seconds; i++) {
		const struct ev_second *s = &e->seconds[i];
		double v = which == 0 ? (double)s->retrans : which == 1 ? (double)s->drops : s->netrx_max_ns / 1e6;
		double h = max > 0 ? v / max * (TRACK_H - 4) : 0;
		double x1 = x_of(e, s->ts_ns), x0 = x_of(e, s->ts_ns > NS_PER_SEC ? s->ts_ns - NS_PER_SEC : 0);
		if (which == 2)
			fprintf(f, "%.1f,%.1f ", x1, y + TRACK_H - h);
		else if (h > 0)
			fprintf(f, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">"
				"<title>%.0f</title></rect>", which ? "drop" : "bar", x0, y + TRACK_H - h,
				x1 - x0 > 1.5 ? x1 - x0 - 0.5 : 1, h, v);
	}
	fputs(which == 2 ? "\"/></g>\n" : "</g>\n", f);
}

/* Incident bands across the lanes and tracks, kernel log markers, and a
 * time axis in seconds from the start. */
static void overlays(FILE *f, const struct evidence *e, double y0, double h)
{
	uint64_t span = e->end_ns - e->t0_ns, step = NS_PER_SEC;

	for (unsigned i = 0; i < e->n_incidents; i++) {
		const struct ev_incident *in = &e->incidents[i];
		double x0 = x_of(e, in->start_ns > NS_PER_SEC ? in->start_ns - NS_PER_SEC : 0), x1 = x_of(e, in->end_ns);
		fprintf(f, "<rect class=\"band\" id=\"band-%u\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">"
			"<title>incident %u: %s</title></rect>\n", in->id, x0, y0, x1 - x0 > 2 ? x1 - x0 : 2, h,
			in->id, eng_mech_name(in->mech));
	}
	for (unsigned i = 0; i < e->n_kmsg; i++) {
		double x = x_of(e, e->kmsg[i].ts_ns);
		fprintf(f, "<line class=\"kmsg\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"><title>", x, x, y0,
			y0 + h);
		put_text(f, e->kmsg[i].text);
		fputs("</title></line>\n", f);
	}
	while (span / step > 20)
		step *= span / step > 100 ? 10 : 2;
	for (uint64_t t = 0; t <= span; t += step)
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">%" PRIu64 "s</text>", x_of(e, e->t0_ns + t) - 4, y0 + h + 14,
			(uint64_t)(t / NS_PER_SEC));
	fputc('\n', f);
}

/* ---- flame graph ------------------------------------------------------- */

struct fnode {
	const char *name;
	uint64_t weight;
	unsigned depth;
	int child, next;              /* first child, next sibling; -1: none */
};

struct flame {
	struct fnode *n;
	unsigned len, cap;
	unsigned max_depth;
};

static int fnode_add(struct flame *fl, const char *name, unsigned depth)
{
	if (fl->len == fl->cap) {
		unsigned c = fl->cap ? fl->cap * 2 : 256;
		struct fnode *p = realloc(fl->n, c * sizeof(*p));
		if (!p)
			return -1;
		fl->n = p;
		fl->cap = c;
	}
	fl->n[fl->len] = (struct fnode){ name, 0, depth, -1, -1 };
	if (depth > fl->max_depth)
		fl->max_depth = depth;
	return (int)fl->len++;
}

/* The child of parent named name, made when missing; -1 out of memory.
 * Indices, not pointers: fnode_add may move the array. */
static int fnode_child(struct flame *fl, int parent, const char *name)
{
	int prev = -1, k;

	for (k = fl->n[parent].child; k >= 0; prev = k, k = fl->n[k].next)
		if (!strcmp(fl->n[k].name, name))
			return k;
	k = fnode_add(fl, name, fl->n[parent].depth + 1);
	if (k < 0)
		return -1;
	if (prev < 0)
		fl->n[parent].child = k;
	else
		fl->n[prev].next = k;
	return k;
}

/* The culprits' stacks (every holder's when no incident has one), root
 * task name first, weighted by their samples. */
static int flame_build(struct flame *fl, const struct evidence *e)
{
	bool any = false;

	for (unsigned i = 0; i < e->n_stalls; i++)
		any |= ev_is_culprit(e, &e->stalls[i]) && e->stalls[i].n_frames;
	if (fnode_add(fl, "all", 0) < 0)
		return -1;
	for (unsigned i = 0; i < e->n_stalls; i++) {
		const struct ev_stall *s = &e->stalls[i];
		uint64_t w = s->stack_samples ? s->stack_samples : 1;
		int at;
		if (!s->have_holder || !s->n_frames || (any && !ev_is_culprit(e, s)))
			continue;
		fl->n[0].weight += w;
		if ((at = fnode_child(fl, 0, s->holder.comm)) < 0)
			return -1;
		fl->n[at].weight += w;
		for (unsigned k = s->n_frames; k-- > 0;) {
			if ((at = fnode_child(fl, at, s->frames[k])) < 0)
				return -1;
			fl->n[at].weight += w;
		}
	}
	return 0;
}

static void flame_draw(FILE *f, const struct flame *fl, int k, double x, double width)
{
	const struct fnode *n = &fl->n[k];
	double y = n->depth * (FRAME_H + 1);

	fprintf(f, "<rect class=\"frame %s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\"><title>",
		n->child < 0 ? "fhot" : "fcold", x, y, width, FRAME_H);
	put_text(f, n->name);
	fprintf(f, " (%" PRIu64 " samples)</title></rect>", n->weight);
	if (width > 40) {
		char cut[96];
		size_t chars = (size_t)(width / 6.5);
		snprintf(cut, sizeof(cut), "%.*s", (int)(chars < sizeof(cut) - 1 ? chars : sizeof(cut) - 1), n->name);
		cut[strlen(cut) - utf8_incomplete_tail(cut, strlen(cut))] = '\0';
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">", x + 3, y + 12);
		put_text(f, cut);
		fputs("</text>", f);
	}
	fputc('\n', f);
	for (int c = n->child; c >= 0; c = fl->n[c].next) {
		double w = n->weight ? width * (double)fl->n[c].weight / (double)n->weight : 0;
		flame_draw(f, fl, c, x, w);
		x += w;
	}
}

static void flame(FILE *f, const struct evidence *e)
{
	struct flame fl = { 0 };

	fputs("<h2>The culprit's kernel stacks</h2>\n", f);
	if (flame_build(&fl, e) < 0 || !fl.n[0].weight) {
		fputs("<p id=\"flame-none\">No stack was sampled.</p>\n", f);
		free(fl.n);
		return;
	}
	fprintf(f, "<svg id=\"flame\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%u\">\n", W,
		(fl.max_depth + 1) * (FRAME_H + 1));
	flame_draw(f, &fl, 0, 0, W);
	fputs("</svg>\n", f);
	free(fl.n);
}

void ev_write_html(FILE *f, const struct evidence *e)
{
	double lanes_h = e->ncpus * (LANE_H + LANE_GAP), y_tracks = 10 + lanes_h + 10;
	double h = y_tracks + 3 * (TRACK_H + 10);

	header(f, e);
	verdicts(f, e);
	fputs("<h2>Who held each CPU, and what the network saw</h2>\n", f);
	fprintf(f, "<svg id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%.0f\">\n", W,
		h + 24);
	overlays(f, e, 10, h - 10);
	lanes(f, e, 10);
	track(f, e, y_tracks, "retransmits/s", 0);
	track(f, e, y_tracks + TRACK_H + 10, "drops/s", 1);
	track(f, e, y_tracks + 2 * (TRACK_H + 10), "NET_RX delay ms", 2);
	fputs("</svg>\n", f);
	flame(f, e);
	fputs("<p>Written by ksleuth report; every band's and frame's title tells more.</p>\n</body></html>\n", f);
}

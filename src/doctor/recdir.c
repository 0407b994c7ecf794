/* doctor/recdir.c — the agent's incident recordings (see recdir.h). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "base.h"
#include "doctor/pipeline.h"
#include "doctor/recdir.h"
#include "lib/parse.h"
#include "sys/log.h"

#define SEGMENT ".segment.ksl"
#define KEPT_PREFIX "incident-"

struct recdir {
	struct pipeline *p;
	char dir[PATH_MAX - 64];
	char seg[PATH_MAX];
	uint64_t span_ns, max_bytes;
	uint64_t seg_start_ns, last_spike_ns;
	time_t seg_start_wall;
	bool seg_incident, have_spike, open;
	struct recdir_stats st;
};

static int start_segment(struct recdir *r, uint64_t now)
{
	if (pipeline_record_to(r->p, r->seg, now) < 0) {
		r->st.errors++;
		r->open = false;
		return -1;
	}
	r->open = true;
	r->seg_start_ns = now;
	r->seg_start_wall = time(NULL);
	r->seg_incident = false;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The kept files, oldest first (their names sort by time). */
static int kept_names(const char *dir, char ***out)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char **nv;
		if (strncmp(e->d_name, KEPT_PREFIX, strlen(KEPT_PREFIX)) || len < 4 ||
		    strcmp(e->d_name + len - 4, ".ksl") || !(nv = realloc(v, (n + 1) * sizeof(*v))))
			continue;
		v = nv;
		if ((v[n] = strdup(e->d_name)))
			n++;
	}
	closedir(d);
	if (n)
		qsort(v, (size_t)n, sizeof(*v), by_name);
	*out = v;
	return n;
}

static uint64_t file_size(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* The oldest kept files go until the rest fit max_bytes. */
static void prune(struct recdir *r)
{
	char **v = NULL, path[PATH_MAX];
	uint64_t total = 0;
	int n = kept_names(r->dir, &v);

	for (int i = 0; i < n; i++)
		total += file_size(r->dir, v[i]);
	for (int i = 0; i < n; i++) {
		uint64_t sz = file_size(r->dir, v[i]);
		if (total > r->max_bytes) {
			snprintf(path, sizeof(path), "%s/%s", r->dir, v[i]);
			if (unlink(path) == 0) {
				total -= sz;
				r->st.pruned++;
				info("agent: --record-dir over %llu MB: removed the oldest, %s",
				     (unsigned long long)(r->max_bytes >> 20), v[i]);
			} else {
				r->st.errors++;
			}
		}
		free(v[i]);
	}
	free(v);
	r->st.bytes = total;
}

/* Ends the segment: kept under its start time when an incident closed in
 * it, else deleted. */
static void end_segment(struct recdir *r, uint64_t now)
{
	char kept[PATH_MAX], stamp[32];
	struct tm tm;

	if (!r->open)
		return;
	r->open = false;
	if (pipeline_record_to(r->p, NULL, now) < 0)
		r->st.errors++;
	if (!r->seg_incident) {
		if (unlink(r->seg) == 0)
			r->st.deleted++;
		return;
	}
	gmtime_r(&r->seg_start_wall, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(kept, sizeof(kept), "%s/" KEPT_PREFIX "%s.ksl", r->dir, stamp);
	for (int k = 1; access(kept, F_OK) == 0 && k < 100; k++)
		snprintf(kept, sizeof(kept), "%s/" KEPT_PREFIX "%s-%d.ksl", r->dir, stamp, k);
	if (rename(r->seg, kept) == 0) {
		r->st.kept++;
		info("agent: kept the incident's recording %s", kept);
	} else {
		r->st.errors++;
		err("cannot keep the recording as %s: %s", kept, strerror(errno));
	}
	prune(r);
}

struct recdir *recdir_open(struct pipeline *p, const char *dir, uint64_t span_ns, uint64_t max_bytes,
			   uint64_t now)
{
	struct recdir *r = calloc(1, sizeof(*r));
	struct stat st;

	if (!r) {
		err("out of memory");
		return NULL;
	}
	errno = 0;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || access(dir, W_OK | X_OK) < 0 ||
	    strlen(dir) >= sizeof(r->dir)) {
		err("--record-dir '%s' is not a directory we can write in: %s", log_arg(dir),
		    errno ? strerror(errno) : "not a directory");
		free(r);
		return NULL;
	}
	r->p = p;
	snprintf(r->dir, sizeof(r->dir), "%s", dir);
	snprintf(r->seg, sizeof(r->seg), "%s/" SEGMENT, dir);
	r->span_ns = span_ns;
	r->max_bytes = max_bytes;
	prune(r);
	if (start_segment(r, now) < 0) {
		free(r);
		return NULL;
	}
	return r;
}

void recdir_spike(struct recdir *r, uint64_t now)
{
	r->last_spike_ns = now;
	r->have_spike = true;
}

void recdir_incident(struct recdir *r)
{
	r->seg_incident = true;
}

void recdir_tick(struct recdir *r, uint64_t now)
{
	bool quiet = !r->have_spike || now - r->last_spike_ns >= RECDIR_QUIET_NS;
	bool full = r->open && file_size(r->dir, SEGMENT) >= r->max_bytes / 4;

	if (!r->open) {
		start_segment(r, now); /* an earlier failure: try again */
		return;
	}
	if ((now - r->seg_start_ns >= r->span_ns && quiet) || full) {
		end_segment(r, now);
		start_segment(r, now);
	}
}

void recdir_close(struct recdir *r, uint64_t now)
{
	if (!r)
		return;
	end_segment(r, now);
	free(r);
}

const struct recdir_stats *recdir_stats(const struct recdir *r)
{
	return &r->st;
}

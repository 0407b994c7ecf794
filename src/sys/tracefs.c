/* tracefs.c — tracepoint list and ids from tracefs. Mounts tracefs at
 * /sys/kernel/tracing only when no tracefs is reachable. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "lib/strutil.h"
#include "sys/log.h"
#include "sys/tracefs.h"

static const char *const roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };

static bool has_events(const char *root)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/available_events", root);
	return access(p, R_OK) == 0;
}

const char *tracefs_root(void)
{
	static const char *found;

	if (found)
		return found;
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
		if (has_events(roots[i]))
			return found = roots[i];
	if (mount("nodev", roots[0], "tracefs", 0, NULL) == 0 && has_events(roots[0])) {
		dbg("mounted tracefs at %s", roots[0]);
		return found = roots[0];
	}
	if (!errno)
		errno = ENOENT;
	return NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int tracefs_events(char ***names, size_t *n)
{
	const char *root = tracefs_root();
	char path[256], line[512];
	char **v = NULL;
	size_t cnt = 0, cap = 0;
	FILE *f;

	*names = NULL;
	*n = 0;
	if (!root)
		return -errno;
	snprintf(path, sizeof(path), "%s/available_events", root);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *s = strtrim(line);
		if (!*s || !strchr(s, ':'))
			continue;
		if (cnt == cap) {
			size_t ncap = cap ? cap * 2 : 1024;
			char **nv = realloc(v, ncap * sizeof(*v));
			if (!nv)
				goto nomem;
			v = nv;
			cap = ncap;
		}
		if (!(v[cnt] = strdup(s)))
			goto nomem;
		cnt++;
	}
	fclose(f);
	qsort(v, cnt, sizeof(*v), cmp_str);
	*names = v;
	*n = cnt;
	return 0;
nomem:
	fclose(f);
	tracefs_events_free(v, cnt);
	return -ENOMEM;
}

void tracefs_events_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int tracefs_event_id(const char *category, const char *name)
{
	const char *root = tracefs_root();
	char path[512];
	int id = -ENOENT;
	FILE *f;

	if (!root)
		return -errno;
	if (strchr(category, '/') || strchr(name, '/'))
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/events/%s/%s/id", root, category, name);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (fscanf(f, "%d", &id) != 1)
		id = -EINVAL;
	fclose(f);
	return id;
}

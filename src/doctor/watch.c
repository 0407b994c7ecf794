/* doctor/watch.c — the watching commands' shared options (see watch.h). */
#include "base.h"
#include "doctor/watch.h"
#include "sys/child.h"
#include "sys/procnet.h"

int doctor_watch_apply(const struct doctor_watch *w, char **command, struct doctor_opts *o)
{
	uint32_t ino;
	int rc;

	if (w->netns && netns_inode(w->netns, &ino) < 0)
		return EXIT_USAGE;
	if (command && (rc = child_check(command)))
		return rc;
	doctor_opts_default(o);
	o->duration_ns = w->duration_ns;
	o->threshold_ns = w->threshold_ns;
	o->cpus = w->cpus;
	o->cpus_set = opt_cpus_given(&w->cpus);
	o->netns = w->netns;
	o->netrx_trace = w->netrx_trace;
	o->command = command;
	return 0;
}

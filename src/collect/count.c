/* collect/count.c — load/attach/read for the count collector (see
 * count.h). Hides the skeleton; prints only on load failures. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "collect/count.h"
#include "count.skel.h"
#include "sys/log.h"

struct count_collector {
	struct count_bpf *skel;
	struct bpf_link **links;
	unsigned nevents;
	int ncpus;
	int map_fd;
};

int count_collector_open(struct count_collector **out, const struct count_params *p)
{
	struct count_collector *c;
	int e;

	*out = NULL;
	if (!p->nevents || p->nevents > COUNT_MAX_EVENTS)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->nevents = p->nevents;
	c->links = calloc(p->nevents, sizeof(*c->links));
	c->ncpus = libbpf_num_possible_cpus();
	if (!c->links || c->ncpus <= 0) {
		e = c->ncpus < 0 ? c->ncpus : -ENOMEM;
		goto fail;
	}
	c->skel = count_bpf__open();
	if (!c->skel) {
		e = -errno;
		err("cannot open the count BPF object: %s", strerror(-e));
		goto fail;
	}
	c->skel->rodata->filter_tgid = p->tgid;
	if (p->cpus) {
		c->skel->rodata->filter_cpus = 1;
		for (int w = 0; w < COUNT_CPU_WORDS; w++)
			c->skel->rodata->cpu_mask[w] = p->cpus->bits[w];
	}
	bpf_map__set_max_entries(c->skel->maps.counts, p->nevents);
	/* Attached by hand, one link per tracepoint. */
	bpf_program__set_autoattach(c->skel->progs.ks_count, false);
	e = count_bpf__load(c->skel);
	if (e) {
		err("the kernel refused the count BPF program (%s); 'ksleuth -v count ...' shows the "
		    "verifier's log", strerror(-e));
		goto fail;
	}
	c->map_fd = bpf_map__fd(c->skel->maps.counts);
	*out = c;
	return 0;
fail:
	count_collector_free(c);
	return e;
}

int count_collector_attach(struct count_collector *c, unsigned idx, const char *category,
			   const char *name)
{
	LIBBPF_OPTS(bpf_tracepoint_opts, opts, .bpf_cookie = idx);
	struct bpf_link *l;

	if (idx >= c->nevents || c->links[idx])
		return -EINVAL;
	l = bpf_program__attach_tracepoint_opts(c->skel->progs.ks_count, category, name, &opts);
	if (!l)
		return -errno;
	c->links[idx] = l;
	return 0;
}

int count_collector_ncpus(const struct count_collector *c)
{
	return c->ncpus;
}

int count_collector_read(struct count_collector *c, unsigned idx, uint64_t *per_cpu)
{
	__u32 key = idx;
	if (bpf_map_lookup_elem(c->map_fd, &key, per_cpu) < 0)
		return -errno;
	return 0;
}

/* Closing a tracepoint perf event waits for an RCU grace period in the
 * kernel (tracepoint_synchronize_unregister, ~45 ms here), one close at a
 * time: 700 syscall tracepoints took 33 s. Closes from several threads
 * share grace periods, so detach in parallel. */
#define DETACH_THREADS 32

struct detach_job {
	struct count_collector *c;
	unsigned first, step;
};

static void *detach_some(void *arg)
{
	struct detach_job *j = arg;
	for (unsigned i = j->first; i < j->c->nevents; i += j->step) {
		bpf_link__destroy(j->c->links[i]);
		j->c->links[i] = NULL;
	}
	return NULL;
}

static void detach_all(struct count_collector *c)
{
	pthread_t th[DETACH_THREADS];
	struct detach_job jobs[DETACH_THREADS];
	unsigned nth = c->nevents / 4;
	unsigned started = 0;

	if (nth > DETACH_THREADS)
		nth = DETACH_THREADS;
	for (unsigned t = 0; nth > 1 && t < nth; t++) {
		jobs[t] = (struct detach_job){ c, t, nth };
		if (pthread_create(&th[t], NULL, detach_some, &jobs[t]) != 0)
			break;
		started++;
	}
	for (unsigned t = 0; t < started; t++)
		pthread_join(th[t], NULL);
	/* Whatever no thread took (no threads, or pthread_create failed). */
	for (unsigned i = 0; i < c->nevents; i++)
		if (c->links[i] && (!started || i % nth >= started)) {
			bpf_link__destroy(c->links[i]);
			c->links[i] = NULL;
		}
}

void count_collector_free(struct count_collector *c)
{
	if (!c)
		return;
	if (c->links)
		detach_all(c);
	free(c->links);
	count_bpf__destroy(c->skel);
	free(c);
}

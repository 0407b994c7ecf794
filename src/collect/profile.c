/* collect/profile.c — load/attach/read for the CPU profiler (see
 * profile.h). Prints only when sampling cannot start. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "collect/attach.h"
#include "collect/profile.h"
#include "profile.skel.h"
#include "sys/log.h"

struct profile_collector {
	struct profile_bpf *skel;
	struct cpu_sampler sampler;
};

static void say_refused(int e, unsigned hz)
{
	if (e == -EACCES || e == -EPERM)
		err("perf_event_open was refused (%s): CPU sampling needs root or CAP_PERFMON, and "
		    "kernel.perf_event_paranoid or a container's seccomp policy may forbid it", strerror(-e));
	else if (e == -EINVAL)
		err("perf_event_open refused a cpu-clock event at %u Hz (%s): the kernel's "
		    "kernel.perf_event_max_sample_rate may be lower; try a smaller -F", hz, strerror(-e));
	else
		err("cannot start CPU sampling: perf_event_open or the attach failed (%s)", strerror(-e));
}

int profile_open(struct profile_collector **out, const struct profile_opts *o)
{
	struct profile_collector *c = calloc(1, sizeof(*c));
	int rc;

	*out = NULL;
	if (!c)
		return -ENOMEM;
	c->skel = profile_bpf__open();
	if (!c->skel) {
		rc = -errno;
		err("cannot open the profile BPF object (%s)", strerror(-rc));
		goto fail;
	}
	c->skel->rodata->targ_tgid = o->tgid;
	if (o->max_stacks) {
		bpf_map__set_max_entries(c->skel->maps.stacks, o->max_stacks);
		bpf_map__set_max_entries(c->skel->maps.counts, o->max_stacks);
	}
	rc = profile_bpf__load(c->skel);
	if (rc) {
		err("cannot load the profile BPF program (%s); run with -v for the verifier's log",
		    strerror(-rc));
		goto fail;
	}
	rc = attach_cpu_sampler(&c->sampler, c->skel->progs.ks_profile, o->freq_hz, o->cpus);
	if (rc < 0) {
		say_refused(rc, o->freq_hz);
		goto fail;
	}
	*out = c;
	return 0;
fail:
	profile_close(c);
	return rc;
}

unsigned profile_cpus(const struct profile_collector *c)
{
	return c->sampler.nsampled;
}

void profile_stop(struct profile_collector *c)
{
	if (c)
		attach_cpu_sampler_close(&c->sampler);
}

int profile_for_each(struct profile_collector *c, profile_count_cb cb, void *arg)
{
	int fd = bpf_map__fd(c->skel->maps.counts);
	struct profile_key k, next;
	void *prev = NULL;
	uint64_t v;
	int n = 0;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(fd, &k, &v) == 0) {
			cb(&k, v, arg);
			n++;
		}
	}
	return errno == ENOENT ? n : -errno;
}

int profile_drain_procs(struct profile_collector *c, void (*cb)(uint32_t tgid, void *arg), void *arg)
{
	static uint32_t tgids[PROFILE_MAX_PROCS];
	int fd = bpf_map__fd(c->skel->maps.new_procs), n = 0;
	uint32_t *prev = NULL;

	/* keys first, then deletes: a deleted key would restart the walk */
	while (n < PROFILE_MAX_PROCS && bpf_map_get_next_key(fd, prev, &tgids[n]) == 0) {
		prev = &tgids[n];
		n++;
	}
	for (int i = 0; i < n; i++) {
		bpf_map_delete_elem(fd, &tgids[i]);
		cb(tgids[i], arg);
	}
	return n;
}

int profile_stack(struct profile_collector *c, int32_t id, uint64_t *ips)
{
	int n = 0;

	if (id < 0)
		return -ENOENT;
	if (bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.stacks), &id, ips))
		return -errno;
	while (n < PROFILE_STACK_DEPTH && ips[n])
		n++;
	return n;
}

void profile_stats(struct profile_collector *c, uint64_t st[PROFILE_NR_STATS])
{
	int ncpu = libbpf_num_possible_cpus();

	memset(st, 0, PROFILE_NR_STATS * sizeof(*st));
	if (ncpu > 0)
		attach_sum_percpu(bpf_map__fd(c->skel->maps.stats), (unsigned)ncpu, st, PROFILE_NR_STATS);
}

void profile_close(struct profile_collector *c)
{
	if (!c)
		return;
	profile_stop(c);
	profile_bpf__destroy(c->skel);
	free(c);
}

/* collect/profile.c — load/attach/read for the CPU profiler (see
 * profile.h). Prints only when sampling cannot start. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "collect/attach.h"
#include "collect/profile.h"
#include "profile.skel.h"
#include "sys/log.h"

struct profile_collector {
	struct profile_bpf *skel;
	int ncpu;                    /* possible CPUs */
	int *fds;                    /* [ncpu] perf event, -1: none */
	struct bpf_link **links;     /* [ncpu] */
	unsigned nsampled;
};

/* Opens and attaches the event of each wanted CPU; an offline CPU
 * (ENODEV) is skipped. Returns 0 or -errno of the first refusal. */
static int attach_cpus(struct profile_collector *c, const struct profile_opts *o)
{
	for (int cpu = 0; cpu < c->ncpu; cpu++) {
		struct perf_event_attr a = {
			.type = PERF_TYPE_SOFTWARE,
			.config = PERF_COUNT_SW_CPU_CLOCK,
			.size = sizeof(a),
			.freq = 1,
			.sample_freq = o->freq_hz,
		};
		int fd;

		if (o->cpus && !cpuset_has(o->cpus, (unsigned)cpu))
			continue;
		fd = (int)syscall(SYS_perf_event_open, &a, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
		if (fd < 0) {
			if (errno == ENODEV)
				continue;
			return -errno;
		}
		c->fds[cpu] = fd;
		c->links[cpu] = bpf_program__attach_perf_event(c->skel->progs.ks_profile, fd);
		if (!c->links[cpu])
			return -errno;
		c->nsampled++;
	}
	return c->nsampled ? 0 : -ENODEV;
}

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
	c->ncpu = libbpf_num_possible_cpus();
	if (c->ncpu <= 0 || !(c->fds = malloc((size_t)c->ncpu * sizeof(int))) ||
	    !(c->links = calloc((size_t)c->ncpu, sizeof(*c->links)))) {
		profile_close(c);
		return -ENOMEM;
	}
	for (int i = 0; i < c->ncpu; i++)
		c->fds[i] = -1;
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
	rc = attach_cpus(c, o);
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
	return c->nsampled;
}

void profile_stop(struct profile_collector *c)
{
	for (int i = 0; c && c->links && i < c->ncpu; i++) {
		bpf_link__destroy(c->links[i]);
		c->links[i] = NULL;
		if (c->fds[i] >= 0)
			close(c->fds[i]);
		c->fds[i] = -1;
	}
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
	memset(st, 0, PROFILE_NR_STATS * sizeof(*st));
	attach_sum_percpu(bpf_map__fd(c->skel->maps.stats), (unsigned)c->ncpu, st, PROFILE_NR_STATS);
}

void profile_close(struct profile_collector *c)
{
	if (!c)
		return;
	profile_stop(c);
	profile_bpf__destroy(c->skel);
	free(c->fds);
	free(c->links);
	free(c);
}

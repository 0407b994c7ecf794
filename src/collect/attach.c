/* collect/attach.c — tp_btf-or-raw_tp loading and per-CPU counter sums
 * for the tracepoint collectors (see attach.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "collect/attach.h"
#include "lib/parse.h"
#include "lib/strutil.h"
#include "sys/log.h"

int attach_load(struct bpf_object_skeleton *skel, const struct attach_pair *pairs, unsigned n, bool raw)
{
	int e;

	for (unsigned i = 0; i < n; i++) {
		bpf_program__set_autoload(pairs[i].btf, !raw);
		bpf_program__set_autoload(pairs[i].raw, raw);
	}
	e = bpf_object__load_skeleton(skel);
	if (!e)
		e = bpf_object__attach_skeleton(skel);
	return e < 0 ? e : e ? -e : 0;
}

void *attach_btf_or_raw(void *(*load)(void *arg, bool raw), void *arg, const char *name,
			const char *what, bool *raw, int *err_out)
{
	void *skel;
	int e;

	*raw = false;
	errno = 0;
	skel = load(arg, false);
	if (skel)
		return skel;
	dbg("%s: tp_btf programs refused, trying raw_tp", name);
	*raw = true;
	errno = 0;
	skel = load(arg, true);
	if (skel)
		return skel;
	e = errno ? errno : EINVAL;
	err("cannot load %s: %s; run with -v to see libbpf's log", what, strerror(e));
	*err_out = -e;
	errno = e;
	return NULL;
}

int attach_sum_percpu(int fd, unsigned nr_cpus, uint64_t *out, unsigned n)
{
	uint64_t *v = calloc(nr_cpus, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (__u32 k = 0; k < n; k++) {
		out[k] = 0;
		if (bpf_map_lookup_elem(fd, &k, v) == 0)
			for (unsigned i = 0; i < nr_cpus; i++)
				out[k] += v[i];
	}
	free(v);
	return 0;
}

int attach_take_half(int fd, uint32_t *gen, void *out, const void *zero)
{
	__u32 idx = __atomic_load_n(gen, __ATOMIC_RELAXED) & 1;

	/* new updates go to the other half from now on */
	__atomic_store_n(gen, idx ^ 1, __ATOMIC_SEQ_CST);
	if (bpf_map_lookup_elem(fd, &idx, out) < 0)
		return -errno;
	if (bpf_map_update_elem(fd, &idx, zero, BPF_ANY) < 0)
		return -errno;
	return 0;
}

int attach_cpu_sampler(struct cpu_sampler *s, struct bpf_program *prog, unsigned hz,
		       const struct cpuset *only)
{
	int n = libbpf_num_possible_cpus();

	if (n <= 0)
		return n < 0 ? n : -ENODEV;
	s->ncpu = (unsigned)n;
	s->fds = malloc(s->ncpu * sizeof(*s->fds));
	s->links = calloc(s->ncpu, sizeof(*s->links));
	if (!s->fds || !s->links)
		return -ENOMEM;
	for (unsigned cpu = 0; cpu < s->ncpu; cpu++)
		s->fds[cpu] = -1;
	for (unsigned cpu = 0; cpu < s->ncpu; cpu++) {
		struct perf_event_attr a = {
			.type = PERF_TYPE_SOFTWARE,
			.config = PERF_COUNT_SW_CPU_CLOCK,
			.size = sizeof(a),
			.freq = 1,
			.sample_freq = hz,
		};
		int fd;

		if (only && !cpuset_has(only, cpu))
			continue;
		fd = (int)syscall(SYS_perf_event_open, &a, -1, (int)cpu, -1, PERF_FLAG_FD_CLOEXEC);
		if (fd < 0) {
			if (errno == ENODEV) /* offline */
				continue;
			return -errno;
		}
		s->fds[cpu] = fd;
		s->links[cpu] = bpf_program__attach_perf_event(prog, fd);
		if (!s->links[cpu])
			return -errno;
		s->nsampled++;
	}
	return s->nsampled ? 0 : -ENODEV;
}

/* libbpf's perf-event link owns its event: destroying the link closes
 * the fd, so only an event whose attach failed is closed here. */
void attach_cpu_sampler_close(struct cpu_sampler *s)
{
	for (unsigned cpu = 0; s->fds && cpu < s->ncpu; cpu++) {
		if (s->links && s->links[cpu])
			bpf_link__destroy(s->links[cpu]);
		else if (s->fds[cpu] >= 0)
			close(s->fds[cpu]);
	}
	free(s->links);
	free(s->fds);
	memset(s, 0, sizeof(*s));
}

int attach_prog_stats(const struct bpf_object *obj, struct prog_stat *out, int max)
{
	struct bpf_program *p;
	int n = 0;

	bpf_object__for_each_program(p, obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(p);

		if (n >= max || fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		strlcpy_k(out[n].name, bpf_program__name(p), sizeof(out[n].name));
		out[n].run_cnt = info.run_cnt;
		out[n].run_time_ns = info.run_time_ns;
		n++;
	}
	return n;
}

int attach_enable_stats(void)
{
	int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);

	if (fd < 0)
		err("cannot enable BPF run-time statistics: %s", strerror(errno));
	return fd < 0 ? -1 : fd;
}

void attach_print_prog_stats(FILE *f, const struct prog_stat *st, int n)
{
	for (int i = 0; i < n; i++)
		fprintf(f, "bpf-stats %s run_cnt %llu run_time_ns %llu ns_per_run %.1f\n", st[i].name,
			(unsigned long long)st[i].run_cnt, (unsigned long long)st[i].run_time_ns,
			st[i].run_cnt ? (double)st[i].run_time_ns / (double)st[i].run_cnt : 0.0);
}

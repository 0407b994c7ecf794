/* sysinfo.c — learn kernel facts from /proc, /sys, /dev/kmsg and the
 * kernel config (the BPF attach-type probes are in bpfprobe.c).
 * Changes nothing on the system: filesystems that are not mounted
 * (securityfs, debugfs) are mounted only inside a short-lived child's
 * private mount namespace. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <zlib.h>

#include "lib/parse.h"
#include "lib/strutil.h"
#include "sys/log.h"
#include "sys/sysinfo.h"
#include "sys/tracefs.h"

#define CONFIG_MAX (4 << 20)

/* Whole small file into buf (NUL-terminated). Returns length or -errno. */
static int read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	close(fd);
	buf[n] = '\0';
	return (int)n;
}

/* Read path from a filesystem that nobody mounted (securityfs, debugfs):
 * a child mounts it in its own private mount namespace, reads, and
 * reports back through a pipe, so the system's mounts stay untouched.
 * Returns length or -errno (of the mount or of the read). */
static int read_private_mount(const char *fstype, const char *mnt, const char *path,
			      char *buf, size_t size)
{
	int p[2], rc = -EIO, status;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		close(p[0]);
		close(p[1]);
		return rc;
	}
	if (pid == 0) {
		close(p[0]);
		if (unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount(fstype, mnt, fstype, 0, NULL) < 0)
			rc = -errno;
		else
			rc = read_small(path, buf, size);
		if (write(p[1], &rc, sizeof(rc)) != sizeof(rc))
			_exit(1);
		if (rc > 0 && write(p[1], buf, (size_t)rc) != rc)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &rc, sizeof(rc)) != sizeof(rc)) {
		rc = -EIO;
	} else if (rc > 0) {
		ssize_t got = 0, n;
		while (got < rc && (n = read(p[0], buf + got, (size_t)(rc - got))) > 0)
			got += n;
		buf[got] = '\0';
		rc = (int)got;
	}
	close(p[0]);
	waitpid(pid, &status, 0);
	return rc;
}

/* Read a mode file directly, or, when it is not there (its filesystem is
 * not mounted here), through a private mount of fstype. *privately says
 * which way worked. */
static int read_mode_file(const char *fstype, const char *mnt, const char *path,
			  char *buf, size_t size, bool *privately)
{
	int rc = read_small(path, buf, size);

	*privately = false;
	if (rc != -ENOENT)
		return rc;
	*privately = true;
	return read_private_mount(fstype, mnt, path, buf, size);
}

static char *read_config(char *src, size_t src_size, const char *release)
{
	char *buf;
	gzFile gz;
	int n;

	src[0] = '\0';
	if (getenv("KSLEUTH_NO_KCONFIG") && !strcmp(getenv("KSLEUTH_NO_KCONFIG"), "1"))
		return NULL;
	buf = malloc(CONFIG_MAX);
	if (!buf)
		return NULL;
	gz = gzopen("/proc/config.gz", "rb");
	if (gz) {
		n = gzread(gz, buf, CONFIG_MAX - 1);
		gzclose(gz);
		if (n > 0) {
			buf[n] = '\0';
			strlcpy_k(src, "/proc/config.gz", src_size);
			return buf;
		}
	}
	char path[256];
	snprintf(path, sizeof(path), "/boot/config-%s", release);
	FILE *f = fopen(path, "re");
	if (f) {
		size_t m = fread(buf, 1, CONFIG_MAX - 1, f);
		fclose(f);
		if (m > 0) {
			buf[m] = '\0';
			strlcpy_k(src, path, src_size);
			return buf;
		}
	}
	free(buf);
	return NULL;
}

/* The boot log's "Dynamic Preempt: MODE" line, read from the start of
 * the kernel's ring buffer without blocking. */
static bool kmsg_find_dynamic_preempt(char *mode, size_t size)
{
	char rec[8192];
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	bool found = false;

	if (fd < 0)
		return false;
	for (int i = 0; i < 1000000; i++) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue; /* overwritten while we read: go on */
		if (n <= 0)
			break;
		rec[n] = '\0';
		if (kmsg_dynamic_preempt(rec, mode, size)) {
			found = true;
			break;
		}
	}
	close(fd);
	return found;
}

static int count_cpulist(const char *path)
{
	char buf[1024];
	struct cpuset s;

	if (read_small(path, buf, sizeof(buf)) <= 0 || parse_cpulist(strtrim(buf), &s) < 0)
		return 0;
	return cpuset_count(&s);
}

/* Is this a guest? Where the answer came from into src. */
static bool detect_vm(char *src, size_t n)
{
	static char buf[1 << 16];
	char t[64];

	if (read_small("/sys/hypervisor/type", t, sizeof(t)) > 0 && strtrim(t)[0]) {
		snprintf(src, n, "/sys/hypervisor/type");
		return true;
	}
	if (access("/proc/device-tree/hypervisor", F_OK) == 0) {
		snprintf(src, n, "/proc/device-tree/hypervisor");
		return true;
	}
	/* x86: the first CPU's flags line is enough */
	if (read_small("/proc/cpuinfo", buf, sizeof(buf)) > 0) {
		const char *f = strstr(buf, "\nflags");
		const char *end = f ? strchr(f + 1, '\n') : NULL;
		const char *h = f ? strstr(f, " hypervisor") : NULL;
		if (h && (!end || h < end)) {
			snprintf(src, n, "/proc/cpuinfo flag hypervisor");
			return true;
		}
	}
	return false;
}

#define SET_SRC(dst, ...) snprintf((dst), sizeof(dst), __VA_ARGS__)

static void set_models(struct kernel_facts *kf, unsigned models, const char *src)
{
	const char *name = preempt_model_name(models);

	kf->preempt_models = models;
	strlcpy_k(kf->preempt_model, name ? name : "", sizeof(kf->preempt_model));
	strlcpy_k(kf->preempt_model_src, src, sizeof(kf->preempt_model_src));
}

/* A fact keeps the first settled value; later sources only fill unknowns. */
static void settle(enum kf_tri *fact, char *src, size_t n, enum kf_tri v, const char *from)
{
	if (*fact != KF_UNKNOWN || v == KF_UNKNOWN)
		return;
	*fact = v;
	strlcpy_k(src, from, n);
}
#define SETTLE(kf, f, v, from) settle(&(kf)->f, (kf)->f##_src, sizeof((kf)->f##_src), (v), (from))

/* The kernel config settles all of them when it is there. */
static void facts_from_config(struct kernel_facts *kf)
{
	char *config = read_config(kf->config_src, sizeof(kf->config_src), kf->release);
	char v[32];

	if (!config)
		return;
	unsigned bit = preempt_model_bit(kconfig_preempt_model(config));
	if (bit)
		set_models(kf, bit, kf->config_src);
	SETTLE(kf, dynamic_build, kconfig_value(config, "PREEMPT_DYNAMIC", v, sizeof(v)) &&
		   !strcmp(v, "y") ? KF_YES : KF_NO, kf->config_src);
	SETTLE(kf, realtime, bit == KF_MODEL_RT ? KF_YES : KF_NO, kf->config_src);
	if (kconfig_value(config, "HZ", v, sizeof(v)) && atoi(v) > 0) {
		kf->hz = atoi(v);
		strlcpy_k(kf->hz_src, kf->config_src, sizeof(kf->hz_src));
	}
	free(config);
}

/* uname -v: the flag word the build wrote (uname_v_preempt). */
static void facts_from_uname(struct kernel_facts *kf)
{
	struct uname_preempt u;

	if (!uname_v_preempt(kf->version, kf->major, kf->minor, &u))
		return;
	if (!kf->preempt_models)
		set_models(kf, u.models, "uname -v");
	SETTLE(kf, dynamic_build, u.dynamic, "uname -v");
	SETTLE(kf, realtime, u.rt, "uname -v");
}

/* /sys/kernel/realtime exists on RT kernels and reads 1. */
static void facts_from_realtime_file(struct kernel_facts *kf)
{
	char buf[16];

	if (kf->realtime != KF_UNKNOWN || read_small("/sys/kernel/realtime", buf, sizeof(buf)) <= 0)
		return;
	SETTLE(kf, realtime, atoi(buf) == 1 ? KF_YES : KF_NO, "/sys/kernel/realtime");
}

/* /proc/kallsyms: symbols only PREEMPT_DYNAMIC or PREEMPT_RT kernels have. */
static void facts_from_kallsyms(struct kernel_facts *kf)
{
	struct ksym_evidence e = { 0 };
	char line[512], src[96];
	FILE *f;

	if (kf->dynamic_build != KF_UNKNOWN && kf->realtime != KF_UNKNOWN)
		return;
	f = fopen("/proc/kallsyms", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		ksym_evidence_add(&e, line);
	fclose(f);
	SET_SRC(src, "/proc/kallsyms (%s)", e.dynamic_sym[0] ? e.dynamic_sym : "no sched_dynamic_mode");
	SETTLE(kf, dynamic_build, ksym_evidence_dynamic(&e), src);
	SET_SRC(src, "/proc/kallsyms (%s)", e.rt_sym[0] ? e.rt_sym : "no rt_spin_lock");
	SETTLE(kf, realtime, ksym_evidence_rt(&e), src);
}

/* The live mode file sched/preempt ("none (voluntary) full"); a failure
 * is kept for info to show. */
static bool live_from_debugfs(struct kernel_facts *kf)
{
	char buf[256];
	bool priv;
	int rc = read_mode_file("debugfs", "/sys/kernel/debug", "/sys/kernel/debug/sched/preempt",
				buf, sizeof(buf), &priv);

	if (rc > 0 && parse_selected_mode(buf, kf->preempt_dynamic, sizeof(kf->preempt_dynamic))) {
		SET_SRC(kf->preempt_dynamic_src, "/sys/kernel/debug/sched/preempt");
		return true;
	}
	if (rc < 0)
		SET_SRC(kf->preempt_debugfs_err, "%s%s", strerror(-rc),
			rc == -EPERM && kf->lockdown[0] && strcmp(kf->lockdown, "none") ?
			" (kernel lockdown)" : "");
	return false;
}

/* A dynamic kernel booted without preempt= starts in its configured
 * model: the mode at boot (boot log), else the live one, settles a model
 * that the sources before left open. */
static void model_from_boot_mode(struct kernel_facts *kf, const char *boot)
{
	unsigned bit = preempt_mode_bit(boot[0] ? boot : kf->preempt_dynamic);

	if (!(bit & kf->preempt_models) || preempt_model_name(kf->preempt_models))
		return;
	set_models(kf, bit, boot[0] ? "boot log (/dev/kmsg): the mode at boot, no preempt= given" :
			   "the live mode, no preempt= given at boot");
}

/* No file told the live mode: preempt= at boot sets it, else the kernel
 * runs its configured model. */
static void live_from_boot(struct kernel_facts *kf)
{
	const char *mode = preempt_mode_name(kf->preempt_models);

	if (preempt_mode_bit(kf->preempt_cmdline)) {
		strlcpy_k(kf->preempt_dynamic, kf->preempt_cmdline, sizeof(kf->preempt_dynamic));
		SET_SRC(kf->preempt_dynamic_src, "/proc/cmdline (preempt=%s at boot)", kf->preempt_cmdline);
	} else if (mode) {
		strlcpy_k(kf->preempt_dynamic, mode, sizeof(kf->preempt_dynamic));
		SET_SRC(kf->preempt_dynamic_src, "the configured default (no preempt= at boot)");
	}
}

/* The live dynamic mode: debugfs, else the boot log, else preempt= or
 * the configured default. A mode in debugfs or the boot log also proves
 * a PREEMPT_DYNAMIC build. The boot log is read even when debugfs
 * answered if it can settle an open configured model. */
static void facts_live_mode(struct kernel_facts *kf)
{
	char cmdline[4096], boot[16] = "";
	bool debugfs, no_param, want_boot;

	if (read_small("/proc/cmdline", cmdline, sizeof(cmdline)) > 0)
		cmdline_value(cmdline, "preempt", kf->preempt_cmdline, sizeof(kf->preempt_cmdline));
	no_param = !preempt_mode_bit(kf->preempt_cmdline);
	if (kf->dynamic_build == KF_NO)
		return;
	debugfs = live_from_debugfs(kf);
	SETTLE(kf, dynamic_build, debugfs ? KF_YES : KF_UNKNOWN, "/sys/kernel/debug/sched/preempt exists");
	want_boot = !debugfs || (no_param && !preempt_model_name(kf->preempt_models));
	if (want_boot && kmsg_find_dynamic_preempt(boot, sizeof(boot))) {
		SETTLE(kf, dynamic_build, KF_YES, "boot log (/dev/kmsg): Dynamic Preempt");
		if (!debugfs) {
			strlcpy_k(kf->preempt_dynamic, boot, sizeof(kf->preempt_dynamic));
			SET_SRC(kf->preempt_dynamic_src, "boot log (/dev/kmsg)");
		}
	}
	if (kf->dynamic_build != KF_YES)
		return;
	if (no_param)
		model_from_boot_mode(kf, boot);
	if (!kf->preempt_dynamic[0])
		live_from_boot(kf);
}

/* Kernel code preemptible now: the live mode decides; an RT kernel
 * always is; else the configured model, unless a dynamic kernel may
 * have been booted into another mode. */
static enum kf_tri preemptible_now(const struct kernel_facts *kf)
{
	unsigned live = preempt_mode_bit(kf->preempt_dynamic);

	if (live)
		return preempt_models_preemptible(live);
	if (kf->realtime == KF_YES)
		return KF_YES;
	if (kf->dynamic_build != KF_NO && preempt_mode_bit(kf->preempt_cmdline))
		return KF_UNKNOWN;
	return preempt_models_preemptible(kf->preempt_models);
}

/* The /proc/timer_list header and first jiffies line; the file is long
 * (every CPU's timers), so reading stops once both are in. */
static int timer_list_read(uint64_t *now_ns, uint64_t *jiffies)
{
	static char buf[1 << 18];
	size_t got = 0;
	int fd = open("/proc/timer_list", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		buf[got] = '\0';
		if (timer_list_sample(buf, now_ns, jiffies) || got == sizeof(buf) - 1)
			break;
	}
	close(fd);
	buf[got] = '\0';
	return timer_list_sample(buf, now_ns, jiffies) ? 0 : -ENODATA;
}

#define HZ_WINDOW_NS (200 * 1000000ULL)

/* HZ without a config: jiffies counted over ~200 ms of the kernel's own
 * clock (the "now at" header is CLOCK_MONOTONIC), from two reads of
 * /proc/timer_list. Tickless idle does not hold jiffies back: the
 * timekeeping CPU advances them, and our own wakeup brings them up to
 * date. first_rc, t0, j0: the first read, taken before the other facts
 * so that their time counts toward the window. */
static void hz_measure(struct kernel_facts *kf, int first_rc, uint64_t t0, uint64_t j0)
{
	struct timespec until;
	uint64_t t1, j1;
	int rc = first_rc;

	if (!rc) {
		until.tv_sec = (time_t)((t0 + HZ_WINDOW_NS) / 1000000000ULL);
		until.tv_nsec = (long)((t0 + HZ_WINDOW_NS) % 1000000000ULL);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
			;
		rc = timer_list_read(&t1, &j1);
	}
	if (rc) {
		SET_SRC(kf->hz_err, "no kernel config; /proc/timer_list: %s",
			rc == -ENODATA ? "no jiffies line" : strerror(-rc));
		return;
	}
	if (j1 < j0 || t1 <= t0) {
		SET_SRC(kf->hz_err, "no kernel config; /proc/timer_list went backwards");
		return;
	}
	kf->hz = hz_from_jiffies(j1 - j0, t1 - t0);
	if (!kf->hz) {
		SET_SRC(kf->hz_err, "no kernel config; /proc/timer_list: %" PRIu64
			" jiffies in %" PRIu64 " ns is no known HZ", j1 - j0, t1 - t0);
		return;
	}
	kf->hz_jiffies = j1 - j0;
	kf->hz_window_ns = t1 - t0;
	SET_SRC(kf->hz_src, "/proc/timer_list (measured)");
}

static void facts_lockdown(struct kernel_facts *kf)
{
	char buf[512];
	bool priv;
	int rc = read_mode_file("securityfs", "/sys/kernel/security", "/sys/kernel/security/lockdown",
				buf, sizeof(buf), &priv);

	if (rc > 0 && parse_selected_mode(buf, kf->lockdown, sizeof(kf->lockdown)))
		SET_SRC(kf->lockdown_src, "/sys/kernel/security/lockdown%s",
			priv ? " (securityfs mounted in a private namespace)" : "");
	else if (rc == -ENOENT) {
		strlcpy_k(kf->lockdown, "none", sizeof(kf->lockdown));
		strlcpy_k(kf->lockdown_src, "no lockdown file: the lockdown LSM is not built in",
			  sizeof(kf->lockdown_src));
	}
}

bool kernel_older_than(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0, pa = 0;

	if (uname(&u) != 0 || parse_kernel_release(u.release, &ma, &mi, &pa) != 0 || !ma)
		return false;
	return ma < major || (ma == major && mi < minor);
}

void kernel_facts_read(struct kernel_facts *kf)
{
	struct utsname u;
	uint64_t t0 = 0, j0 = 0;
	int hz_rc = 0;

	memset(kf, 0, sizeof(*kf));
	if (uname(&u) == 0) {
		strlcpy_k(kf->release, u.release, sizeof(kf->release));
		strlcpy_k(kf->version, u.version, sizeof(kf->version));
	}
	parse_kernel_release(kf->release, &kf->major, &kf->minor, &kf->patch);

	facts_from_config(kf);
	if (!kf->hz)
		hz_rc = timer_list_read(&t0, &j0);
	facts_from_uname(kf);
	facts_from_realtime_file(kf);
	facts_from_kallsyms(kf);
	if (kf->realtime == KF_YES && kf->preempt_models != KF_MODEL_RT)
		set_models(kf, KF_MODEL_RT, kf->realtime_src);
	kf->softirq = softirq_semantics_for(kf->major, kf->minor);

	kf->btf = access("/sys/kernel/btf/vmlinux", R_OK) == 0;
	kf->cpus_online = count_cpulist("/sys/devices/system/cpu/online");
	kf->cpus_possible = count_cpulist("/sys/devices/system/cpu/possible");
	kf->virtual_machine = detect_vm(kf->virt_src, sizeof(kf->virt_src));
	facts_lockdown(kf);

	facts_live_mode(kf);
	kf->preempt_dynamic_built = kf->dynamic_build == KF_YES;
	if (kf->preempt_dynamic_built && !kf->preempt_model[0])
		strlcpy_k(kf->preempt_model, "PREEMPT_DYNAMIC", sizeof(kf->preempt_model));
	kf->preemptible = preemptible_now(kf);
	if (!kf->hz)
		hz_measure(kf, hz_rc, t0, j0);
}

/* privs.c — can this process load BPF? Checked before trying, so that the
 * user reads one clear sentence instead of libbpf's EPERM noise. */
#include <linux/capability.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "sys/log.h"
#include "sys/privs.h"
#include "sys/sysinfo.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static bool has_cap(const struct __user_cap_data_struct d[2], int cap)
{
	return (d[cap / 32].effective >> (cap % 32)) & 1;
}

bool have_bpf_privileges(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2] = {};

	if (syscall(SYS_capget, &h, d) != 0)
		return geteuid() == 0;
	return has_cap(d, CAP_SYS_ADMIN) || (has_cap(d, CAP_BPF) && has_cap(d, CAP_PERFMON));
}

int preflight_bpf(const char *who)
{
	if (!have_bpf_privileges()) {
		err("'%s' loads BPF programs and needs root, or the capabilities CAP_BPF and "
		    "CAP_PERFMON: run it with sudo", who);
		return -1;
	}
	/* The floor: BPF ring buffers (5.8) carry every collector's records;
	 * 5.10 is the oldest kernel the matrix tests (docs/kernel-facts.md). */
	if (kernel_older_than(5, 8)) {
		struct utsname u;
		uname(&u);
		err("ksleuth needs Linux 5.8 or later (BPF ring buffers; 5.10 is the oldest tested), and "
		    "this kernel is %s: run it on a newer kernel", u.release);
		return -1;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		err("this kernel has no BTF (/sys/kernel/btf/vmlinux is missing): ksleuth needs a kernel "
		    "built with CONFIG_DEBUG_INFO_BTF=y");
		return -1;
	}
	return 0;
}

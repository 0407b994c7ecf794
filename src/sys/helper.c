/* helper.c — find a helper program beside the running binary (helper.h).
 * Only existing, executable files count; nothing is run here. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sys/helper.h"
#include "sys/log.h"

#ifndef KSLEUTH_LIBEXECDIR
#define KSLEUTH_LIBEXECDIR "/usr/local/libexec/ksleuth"
#endif

int helper_path(const char *name, char *buf, size_t len)
{
	char self[PATH_MAX], dirs[3][PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0) {
		err("cannot find our own executable (/proc/self/exe): %s", strerror(errno));
		return -1;
	}
	self[n] = '\0';
	*strrchr(self, '/') = '\0'; /* the kernel gives an absolute path */
	snprintf(dirs[0], sizeof(dirs[0]), "%s", self);
	snprintf(dirs[1], sizeof(dirs[1]), "%.*s/../libexec/ksleuth", PATH_MAX - 32, self);
	snprintf(dirs[2], sizeof(dirs[2]), "%s", KSLEUTH_LIBEXECDIR);
	for (size_t i = 0; i < 3; i++) {
		if ((size_t)snprintf(buf, len, "%s/%s", dirs[i], name) < len &&
		    access(buf, X_OK) == 0)
			return 0;
	}
	err("cannot find the helper %s in %s, %s or %s: build it (make) or reinstall ksleuth",
	    name, dirs[0], dirs[1], dirs[2]);
	return -1;
}

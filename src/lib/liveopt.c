/* liveopt.c — live_cpus_exist() for the doctor (see liveopt.h). Pure. */
#include "lib/liveopt.h"
#include "lib/opt.h"

int live_cpus_exist(const struct cpuset *cpus, int ncpus, char *msg, size_t n)
{
	return opt_cpus_exist(cpus, ncpus, "-C", msg, n);
}

/* fuzz_procself.c — /proc/PID/stat lines (a task name may hold spaces
 * and ')') and /proc/stat's btime, as the agent's process_* metrics read
 * them. */
#include "fuzz.h"
#include "lib/procself.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	struct proc_stat_fields f;
	uint64_t b;

	proc_stat_parse(s, &f);
	proc_btime_parse(s, &b);
	free(s);
	return 0;
}

/* base.h — what every layer may use: small macros, the exit codes and the
 * global options main sets before dispatch. No system calls, no other
 * state; ksleuth.h includes it, and code below src/cmd includes it instead
 * of ksleuth.h. */
#ifndef KS_BASE_H
#define KS_BASE_H

#include <stdbool.h>

/* -v, --verbose: libbpf's log and dbg() messages on stderr. */
extern bool opt_verbose;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Exit codes (`ksleuth help`, the man page: ksleuth_prog.exits). */
enum {
	EXIT_OK = 0,       /* ran and, for the doctor, found nothing wrong */
	EXIT_RUNTIME = 1,  /* could not do the job: privileges, kernel, I/O */
	EXIT_USAGE = 2,    /* bad command line */
	EXIT_FOUND = 3,    /* the doctor found a problem */
	/* added to the code above when the COMMAND of "-- COMMAND" failed
	 * (non-zero exit, killed): 4 ok but COMMAND failed, 7 found and failed */
	EXIT_COMMAND_FAILED = 4,
};

#endif

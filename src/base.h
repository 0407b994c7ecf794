/* base.h — what every layer may use: small macros and the global options
 * main sets before dispatch. No system calls, no other state; ksleuth.h
 * includes it, and code below src/cmd includes it instead of ksleuth.h. */
#ifndef KS_BASE_H
#define KS_BASE_H

#include <stdbool.h>

/* -v, --verbose: libbpf's log and dbg() messages on stderr. */
extern bool opt_verbose;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif

/* tracefs.h — the kernel's tracepoint list and ids from tracefs, mounting
 * tracefs at /sys/kernel/tracing when nothing has mounted it yet. */
#ifndef SYS_TRACEFS_H
#define SYS_TRACEFS_H
#include <stddef.h>

/* The tracefs directory ("/sys/kernel/tracing" or the debugfs one),
 * mounting it when needed; NULL with errno set when impossible. */
const char *tracefs_root(void);

/* Every "category:name" of available_events, sorted. Returns 0 or -errno. */
int tracefs_events(char ***names, size_t *n);
void tracefs_events_free(char **names, size_t n);

/* events/CATEGORY/NAME/id, or -errno. */
int tracefs_event_id(const char *category, const char *name);

#endif

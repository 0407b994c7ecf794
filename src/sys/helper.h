/* helper.h — where ksleuth's helper programs are (ksleuth-hog): found
 * beside the running binary, so that a build tree and any install
 * PREFIX work without PATH. */
#ifndef SYS_HELPER_H
#define SYS_HELPER_H
#include <stddef.h>

/* Put the path of helper NAME in buf: the first executable of
 * DIR/NAME (DIR: the directory of /proc/self/exe, a build tree),
 * DIR/../libexec/ksleuth/NAME (installed with any PREFIX) and
 * KSLEUTH_LIBEXECDIR/NAME (where this build installs it). Returns 0, or
 * -1 after one sentence naming the places it looked. */
int helper_path(const char *name, char *buf, size_t len);
#endif

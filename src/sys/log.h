/* log.h — messages to stderr: one sentence with the cause and what to do.
 * libbpf's own log is shown only with -v. */
#ifndef SYS_LOG_H
#define SYS_LOG_H

void log_init(void); /* route libbpf's log through us (hidden unless -v) */
void err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void dbg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));   /* only with -v */

#endif

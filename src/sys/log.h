/* log.h — messages to stderr: one sentence with the cause and what to do.
 * libbpf's own log is shown only with -v. */
#ifndef SYS_LOG_H
#define SYS_LOG_H

void log_init(void); /* route libbpf's log through us (hidden unless -v) */
void err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void dbg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));   /* only with -v */

/* An argument as a message may quote it: cut at LOG_ARG_MAX bytes with
 * "..." and control bytes shown as \xNN (lib/text.h). The result lives
 * in one of 4 rotating buffers: at most 4 in one message. */
#define LOG_ARG_MAX 64
const char *log_arg(const char *s);

#endif

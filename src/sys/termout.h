/* termout.h — stdout with every byte made safe for a terminal: whatever a
 * command prints (task names, kernel log lines, symbols, arguments) goes
 * through lib/text.h, so control characters and bytes that are not UTF-8
 * arrive as visible "\xNN" and never as escape sequences. */
#ifndef SYS_TERMOUT_H
#define SYS_TERMOUT_H

/* Replace stdout by a filtering stream on file descriptor 1 (line-buffered
 * on a terminal). JSON and text alike pass unchanged when they are valid
 * UTF-8 without control characters other than newline and tab. Returns 0,
 * or -1 (stdout is then left as it was). */
int termout_install(void);

#endif

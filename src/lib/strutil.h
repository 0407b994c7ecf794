/* strutil.h — small string helpers. Pure: no I/O. */
#ifndef LIB_STRUTIL_H
#define LIB_STRUTIL_H
#include <stddef.h>
#include <stdbool.h>

/* Levenshtein distance, for "did you mean" suggestions. */
int edit_distance(const char *a, const char *b);
/* Copy with truncation; always NUL-terminates (size > 0). */
size_t strlcpy_k(char *dst, const char *src, size_t size);
/* Remove leading and trailing white space in place; returns s advanced. */
char *strtrim(char *s);
bool str_starts_with(const char *s, const char *prefix);
/* Shell-style glob (*, ?, [...]) on whole strings. */
bool glob_match(const char *pattern, const char *s);
bool has_glob_chars(const char *s);

#endif

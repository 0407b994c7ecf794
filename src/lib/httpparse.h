/* httpparse.h — HTTP/1.x request-head parsing for the agent's small
 * server: request line, header lines, size limits, and the status to
 * answer when the request is bad. Pure: works on the bytes it is given. */
#ifndef LIB_HTTPPARSE_H
#define LIB_HTTPPARSE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_LINE 2048     /* request line, bytes: longer -> 414 */
#define HTTP_MAX_HEAD 8192     /* request line + headers, bytes: longer -> 431 */
#define HTTP_MAX_HEADERS 64    /* header lines: more -> 431 */
#define HTTP_MAX_BODY 0        /* GET/HEAD bodies we accept, bytes: more -> 413 */
#define HTTP_MAX_EMPTY_LINES 8 /* empty lines before the request line: more -> 400 */

enum http_parse_result {
	HTTP_PARSE_MORE,   /* head incomplete and within limits: read more */
	HTTP_PARSE_DONE,   /* a complete, well-formed head: route it */
	HTTP_PARSE_ERROR,  /* answer req->status and close */
};

struct http_request {
	char method[16];
	char path[256];        /* without the query string */
	int version_minor;     /* HTTP/1.<minor> */
	uint64_t content_length;
	bool has_host;
	bool accept_gzip;      /* Accept-Encoding allows gzip (q > 0) */
	size_t head_len;       /* bytes of the head, including the blank line */
	int status;            /* on HTTP_PARSE_ERROR: 400, 413, 414, 431, 505 */
};

/* Parse buf[0..len) (what arrived so far). Lines end in CRLF or bare LF.
 * Idempotent: call again with more bytes. Any prefix of a request that
 * would be accepted whole gives HTTP_PARSE_MORE, wherever it is cut; and
 * it never gives HTTP_PARSE_MORE for len > HTTP_MAX_HEAD, so a reader with
 * a buffer of HTTP_MAX_HEAD + 1 bytes always has room or an answer. */
enum http_parse_result http_parse_request(const char *buf, size_t len, struct http_request *req);

/* Whether an Accept-Encoding value v[0..n) allows gzip: a "gzip",
 * "x-gzip" or "*" element whose q is not 0 (RFC 9110 12.5.3), names
 * compared without case. Repeated headers are handled by the caller
 * (any that allows it is enough). */
bool http_accepts_gzip(const char *v, size_t n);

/* "OK", "Not Found", ... for the codes the server uses; "Error" otherwise. */
const char *http_status_text(int status);

/* True for RFC 9110 token characters (method and header names). */
bool http_is_tchar(char c);

/* A listen address "ADDR:PORT": "127.0.0.1:9464", "[::1]:9464",
 * "localhost:9464", ":9464" or "0.0.0.0:9464" (all IPv4 addresses).
 * No name lookup. Port 0 asks the kernel for a free one. Fills a
 * struct sockaddr_in or sockaddr_in6 in *ss. Returns 0 or -EINVAL. */
struct sockaddr_storage;
int http_parse_listen(const char *s, struct sockaddr_storage *ss, unsigned *sslen);
/* True for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104. */
bool http_addr_is_loopback(const struct sockaddr_storage *ss);

#endif

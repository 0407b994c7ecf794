/* http.h — a small HTTP/1.1 server on the shared event loop (sys/loop.h)
 * for the agent's /metrics and /healthz. Single-threaded and non-blocking:
 * a slow or hostile client costs one connection slot, never the loop.
 * One request per connection (Connection: close); GET and HEAD only. */
#ifndef SYS_HTTP_H
#define SYS_HTTP_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sys/loop.h"

/* Writes the body of a GET to f; returns 200, or 500/503 (the body written
 * is then discarded and a short error sent instead). */
typedef int (*http_handler)(void *arg, FILE *f);

struct http_route {
	const char *path;          /* exact match, query string ignored */
	const char *content_type;
	http_handler fn;
	void *arg;
};

struct http_config {
	const char *listen;        /* "ADDR:PORT" (httpparse.h); port 0: any free one */
	unsigned max_conns;        /* open connections; beyond it the oldest is closed (default 128) */
	uint64_t read_timeout_ns;  /* whole request head must arrive within this (default 5 s) */
	uint64_t write_timeout_ns; /* whole response must leave within this (default 10 s) */
};

/* Counters for the agent's own metrics. */
#define HTTP_CODES 12
struct http_stats {
	uint64_t accepted;
	uint64_t evicted;          /* closed because max_conns was reached */
	uint64_t timeouts;         /* closed by the read or write timeout */
	uint64_t open;             /* connections open now */
	uint64_t gzipped;          /* 200 answers sent gzip-encoded (Accept-Encoding) */
	int codes[HTTP_CODES];     /* status codes answered ... */
	uint64_t answered[HTTP_CODES]; /* ... and how often */
};

struct http_server;

/* Binds and listens; on failure prints one sentence and returns NULL. */
struct http_server *http_server_new(struct loop *l, const struct http_config *cfg,
				    const struct http_route *routes, unsigned nroutes);
/* Closes every connection and the listening socket, removes its fds and
 * timer from the loop. */
void http_server_free(struct http_server *s);
/* The address actually bound, e.g. "127.0.0.1:40123". */
const char *http_server_address(const struct http_server *s);
bool http_server_is_loopback(const struct http_server *s);
const struct http_stats *http_server_stats(const struct http_server *s);

#endif

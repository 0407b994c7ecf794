/* http.c — non-blocking HTTP/1.1 server for /metrics on the shared loop.
 * Connections live in their own epoll set, itself one fd on the shared
 * loop, so their number is independent of the loop's handler table and a
 * burst of clients is served a bounded batch per wakeup. Every connection
 * has a deadline; a sweep timer closes the late ones. */
#define _GNU_SOURCE 1 /* accept4 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <zlib.h>

#include "lib/httpparse.h"
#include "sys/http.h"
#include "sys/log.h"

#define SWEEP_NS (250ULL * 1000000ULL)      /* deadline resolution */
#define LINGER_NS (1000ULL * 1000000ULL)    /* drain after the answer, then close */
#define ACCEPT_BATCH 32                     /* accepts per wakeup */
#define EVENT_BATCH 64                      /* connection events per wakeup */

enum conn_state { C_READ, C_WRITE, C_LINGER };

struct conn {
	int fd;
	enum conn_state state;
	uint64_t deadline_ns;
	struct conn *prev, *next;  /* oldest first */
	size_t in_len;
	char *out;
	size_t out_len, out_off;
	char in[HTTP_MAX_HEAD + 1];
};

struct http_server {
	struct loop *loop;
	int lfd;
	int epfd;                  /* the connections' epoll set */
	int timer;
	bool listen_paused;        /* out of fds: listening fd off until the next sweep */
	bool loopback;
	struct http_config cfg;
	const struct http_route *routes;
	unsigned nroutes;
	struct conn *head, *tail;
	struct http_stats st;
	char addr[80];
};

static void count_code(struct http_server *s, int code)
{
	for (int i = 0; i < HTTP_CODES; i++) {
		if (s->st.codes[i] == code || s->st.codes[i] == 0) {
			s->st.codes[i] = code;
			s->st.answered[i]++;
			return;
		}
	}
}

static void conn_close(struct http_server *s, struct conn *c)
{
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		s->tail = c->prev;
	free(c->out);
	free(c);
	s->st.open--;
}

static void conn_events(struct http_server *s, struct conn *c, uint32_t ev)
{
	struct epoll_event e = { .events = ev, .data.ptr = c };
	epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &e);
}

/* Write what is pending; after the last byte, half-close and drain (so the
 * client sees the answer, not a reset caused by unread bytes). */
static void conn_write(struct http_server *s, struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				conn_events(s, c, EPOLLOUT);
				return;
			}
			conn_close(s, c);
			return;
		}
		c->out_off += (size_t)n;
	}
	free(c->out);
	c->out = NULL;
	shutdown(c->fd, SHUT_WR);
	c->state = C_LINGER;
	c->deadline_ns = now_ns() + LINGER_NS;
	conn_events(s, c, EPOLLIN);
}

/* Queue a complete response. body may be NULL (len 0); with head_only the
 * body is not sent but its length is announced (HEAD). */
static void conn_respond(struct http_server *s, struct conn *c, int code, const char *ctype,
			 const char *body, size_t len, bool head_only, const char *extra)
{
	char hdr[512];
	int n = snprintf(hdr, sizeof(hdr),
			 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n%s\r\n",
			 code, http_status_text(code), ctype, len, extra ? extra : "");
	size_t blen = head_only ? 0 : len;

	count_code(s, code);
	c->out = malloc((size_t)n + blen);
	if (!c->out) {
		conn_close(s, c);
		return;
	}
	memcpy(c->out, hdr, (size_t)n);
	if (blen)
		memcpy(c->out + n, body, blen);
	c->out_len = (size_t)n + blen;
	c->out_off = 0;
	c->state = C_WRITE;
	c->deadline_ns = now_ns() + s->cfg.write_timeout_ns;
	conn_write(s, c);
}

static void respond_text(struct http_server *s, struct conn *c, int code, const char *extra)
{
	char body[96];
	int n = snprintf(body, sizeof(body), "%d %s\n", code, http_status_text(code));
	conn_respond(s, c, code, "text/plain; charset=utf-8", body, (size_t)n, false, extra);
}

/* body[0..len) as one gzip member (RFC 1952) in a new buffer *out.
 * Returns 0, or -1 (out of memory, zlib error): then send it plain. */
static int gzip_body(const char *body, size_t len, char **out, size_t *out_len)
{
	z_stream zs = { 0 };
	uLong bound;
	int rc;

	/* 15 + 16: a 32 KiB window with the gzip header and trailer */
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	bound = deflateBound(&zs, (uLong)len);
	*out = malloc(bound);
	if (!*out) {
		deflateEnd(&zs);
		return -1;
	}
	zs.next_in = (Bytef *)(uintptr_t)body;
	zs.avail_in = (uInt)len;
	zs.next_out = (Bytef *)*out;
	zs.avail_out = (uInt)bound;
	rc = deflate(&zs, Z_FINISH); /* one call: the output has deflateBound room */
	*out_len = zs.total_out;
	deflateEnd(&zs);
	if (rc != Z_STREAM_END) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

static void route(struct http_server *s, struct conn *c, const struct http_request *req)
{
	const struct http_route *r = NULL;
	bool head = strcmp(req->method, "HEAD") == 0;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int code;

	for (unsigned i = 0; i < s->nroutes; i++)
		if (strcmp(s->routes[i].path, req->path) == 0)
			r = &s->routes[i];
	if (!r) {
		respond_text(s, c, 404, NULL);
		return;
	}
	if (!head && strcmp(req->method, "GET") != 0) {
		respond_text(s, c, 405, "Allow: GET, HEAD\r\n");
		return;
	}
	f = open_memstream(&buf, &len);
	if (!f) {
		respond_text(s, c, 500, NULL);
		return;
	}
	code = r->fn(r->arg, f);
	if (fclose(f) != 0)
		code = 500;
	if (code == 200) {
		char *gz = NULL;
		size_t gzlen = 0;
		/* gzip only when asked (Accept-Encoding); HEAD announces what GET
		 * would send. Caches must key on the header: Vary either way. */
		if (req->accept_gzip && len <= UINT32_MAX && gzip_body(buf, len, &gz, &gzlen) == 0) {
			conn_respond(s, c, 200, r->content_type, gz, gzlen, head,
				     "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n");
			s->st.gzipped++;
			free(gz);
		} else {
			conn_respond(s, c, 200, r->content_type, buf, len, head, "Vary: Accept-Encoding\r\n");
		}
	} else
		respond_text(s, c, code, NULL);
	free(buf);
}

static void conn_read(struct http_server *s, struct conn *c)
{
	struct http_request req;

	for (;;) {
		size_t room = sizeof(c->in) - c->in_len;
		ssize_t n;

		if (room == 0)
			break;
		n = recv(c->fd, c->in + c->in_len, room, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			conn_close(s, c);
			return;
		}
		if (n == 0) { /* the client gave up before a whole request */
			conn_close(s, c);
			return;
		}
		c->in_len += (size_t)n;
	}
	switch (http_parse_request(c->in, c->in_len, &req)) {
	case HTTP_PARSE_MORE:
		/* The socket is level-triggered: with a full buffer nothing more
		 * is read, so waiting would wake this loop again at once, until
		 * the read timeout. The parser never asks for more then; should
		 * it, answer rather than spin. */
		if (c->in_len == sizeof(c->in))
			respond_text(s, c, 431, NULL);
		return;
	case HTTP_PARSE_ERROR:
		respond_text(s, c, req.status, NULL);
		return;
	case HTTP_PARSE_DONE:
		route(s, c, &req);
		return;
	}
}

static void conn_linger(struct http_server *s, struct conn *c)
{
	char buf[4096];
	for (int i = 0; i < 16; i++) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		break; /* EOF or error */
	}
	conn_close(s, c);
}

static void on_conns(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct http_server *s = arg;
	struct epoll_event evs[EVENT_BATCH];
	int n;

	(void)l;
	(void)fd;
	(void)events;
	n = epoll_wait(s->epfd, evs, EVENT_BATCH, 0);
	for (int i = 0; i < n; i++) {
		struct conn *c = evs[i].data.ptr;
		/* a connection closed earlier in this batch cannot appear: closing
		 * removes it from the set, and each fd appears once per batch */
		if (evs[i].events & (EPOLLERR) && c->state != C_WRITE) {
			conn_close(s, c);
			continue;
		}
		switch (c->state) {
		case C_READ:
			conn_read(s, c);
			break;
		case C_WRITE:
			conn_write(s, c);
			break;
		case C_LINGER:
			conn_linger(s, c);
			break;
		}
	}
}

static void on_accept(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct http_server *s = arg;

	(void)events;
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if ((errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) &&
			    !s->listen_paused) {
				/* out of descriptors: stop accepting until the next sweep
				 * rather than spin on a level-triggered listening socket */
				dbg("http: accept: %s; pausing for %llu ms", strerror(errno),
				    (unsigned long long)(SWEEP_NS / 1000000));
				if (s->head) {
					conn_close(s, s->head);
					s->st.evicted++;
				}
				loop_mod_fd(l, fd, 0);
				s->listen_paused = true;
			}
			return;
		}
		if (s->st.open >= s->cfg.max_conns && s->head) {
			/* full: the oldest connection makes room (a slow client
			 * holding a slot is the one to go, not a fresh scrape) */
			conn_close(s, s->head);
			s->st.evicted++;
		}
		struct conn *c = malloc(sizeof(*c));
		if (!c) {
			close(cfd);
			continue;
		}
		c->fd = cfd;
		c->state = C_READ;
		c->deadline_ns = now_ns() + s->cfg.read_timeout_ns;
		c->in_len = 0;
		c->out = NULL;
		c->out_len = c->out_off = 0;
		c->next = NULL;
		c->prev = s->tail;
		struct epoll_event e = { .events = EPOLLIN, .data.ptr = c };
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, cfd, &e) < 0) {
			close(cfd);
			free(c);
			continue;
		}
		if (s->tail)
			s->tail->next = c;
		else
			s->head = c;
		s->tail = c;
		s->st.accepted++;
		s->st.open++;
	}
}

static void on_sweep(struct loop *l, void *arg)
{
	struct http_server *s = arg;
	uint64_t now = now_ns();
	struct conn *c = s->head, *next;

	for (; c; c = next) {
		next = c->next;
		if (now < c->deadline_ns)
			continue;
		if (c->state == C_READ) {
			s->st.timeouts++;
			if (c->in_len) { /* started a request: say why we hang up */
				c->deadline_ns = now + s->cfg.write_timeout_ns;
				respond_text(s, c, 408, NULL);
				continue;
			}
		} else if (c->state == C_WRITE) {
			s->st.timeouts++;
		}
		conn_close(s, c);
	}
	if (s->listen_paused) {
		s->listen_paused = false;
		loop_mod_fd(l, s->lfd, EPOLLIN);
	}
}

static void format_addr(const struct sockaddr_storage *ss, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		snprintf(buf, size, "[%s]:%u", host, ntohs(a->sin6_port));
	} else {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		snprintf(buf, size, "%s:%u", host, ntohs(a->sin_port));
	}
}

struct http_server *http_server_new(struct loop *l, const struct http_config *cfg,
				    const struct http_route *routes, unsigned nroutes)
{
	struct sockaddr_storage ss;
	unsigned sslen;
	socklen_t blen = sizeof(ss);
	struct http_server *s;
	int one = 1;

	if (http_parse_listen(cfg->listen, &ss, &sslen) < 0) {
		err("--listen '%s' is not ADDR:PORT with an IP address (e.g. 127.0.0.1:9464 or [::1]:9464)",
		    cfg->listen ? cfg->listen : "");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		err("out of memory");
		return NULL;
	}
	s->loop = l;
	s->lfd = s->epfd = s->timer = -1;
	s->cfg = *cfg;
	if (!s->cfg.max_conns)
		s->cfg.max_conns = 128;
	if (!s->cfg.read_timeout_ns)
		s->cfg.read_timeout_ns = 5ULL * 1000000000ULL;
	if (!s->cfg.write_timeout_ns)
		s->cfg.write_timeout_ns = 10ULL * 1000000000ULL;
	s->routes = routes;
	s->nroutes = nroutes;
	s->loopback = http_addr_is_loopback(&ss);

	s->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0)
		goto fail_errno;
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s->lfd, (struct sockaddr *)&ss, sslen) < 0 || listen(s->lfd, 128) < 0)
		goto fail_errno;
	if (getsockname(s->lfd, (struct sockaddr *)&ss, &blen) == 0)
		format_addr(&ss, s->addr, sizeof(s->addr));
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0)
		goto fail_errno;
	if (loop_add_fd(l, s->lfd, EPOLLIN, on_accept, s) < 0 ||
	    loop_add_fd(l, s->epfd, EPOLLIN, on_conns, s) < 0) {
		err("cannot add the HTTP server to the event loop (too many handlers)");
		goto fail;
	}
	s->timer = loop_add_timer(l, SWEEP_NS, SWEEP_NS, on_sweep, s);
	if (s->timer < 0) {
		err("cannot create the HTTP server's timer: %s", strerror(-s->timer));
		goto fail;
	}
	return s;

fail_errno:
	err("cannot listen on %s: %s%s", cfg->listen, strerror(errno),
	    errno == EADDRINUSE ? "; is another agent running? choose another port with --listen" :
	    errno == EADDRNOTAVAIL ? "; that address is not on this host" : "");
fail:
	http_server_free(s);
	return NULL;
}

void http_server_free(struct http_server *s)
{
	if (!s)
		return;
	while (s->head)
		conn_close(s, s->head);
	if (s->timer >= 0)
		loop_del_timer(s->loop, s->timer);
	if (s->epfd >= 0) {
		loop_del_fd(s->loop, s->epfd);
		close(s->epfd);
	}
	if (s->lfd >= 0) {
		loop_del_fd(s->loop, s->lfd);
		close(s->lfd);
	}
	free(s);
}

const char *http_server_address(const struct http_server *s)
{
	return s->addr;
}

bool http_server_is_loopback(const struct http_server *s)
{
	return s->loopback;
}

const struct http_stats *http_server_stats(const struct http_server *s)
{
	return &s->st;
}

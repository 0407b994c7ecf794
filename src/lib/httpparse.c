/* httpparse.c — HTTP/1.x request-head parser (RFC 9112 subset: origin-form
 * targets, no bodies). Pure. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "lib/httpparse.h"

bool http_is_tchar(char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

const char *http_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Error";
	}
}

static enum http_parse_result error(struct http_request *req, int status)
{
	req->status = status;
	return HTTP_PARSE_ERROR;
}

/* Incomplete: read more, unless the head already fills the largest buffer
 * a reader needs (then more bytes can only make it longer). */
static enum http_parse_result more(struct http_request *req, size_t len)
{
	return len > HTTP_MAX_HEAD ? error(req, 431) : HTTP_PARSE_MORE;
}

/* Length of the line at s (up to and without its CRLF/LF) or -1 if no LF
 * yet; *next is where the next line starts. A CR not followed by LF is
 * reported as -2 (bad). */
static long line_len(const char *s, const char *end, const char **next)
{
	const char *lf = memchr(s, '\n', (size_t)(end - s));
	const char *e;

	if (!lf)
		return -1;
	*next = lf + 1;
	e = lf;
	if (e > s && e[-1] == '\r')
		e--;
	for (const char *c = s; c < e; c++)
		if (*c == '\r')
			return -2;
	return e - s;
}

static bool ieq(const char *a, size_t n, const char *b)
{
	return strlen(b) == n && strncasecmp(a, b, n) == 0;
}

static enum http_parse_result parse_request_line(const char *s, size_t n, struct http_request *req)
{
	const char *end = s + n, *sp1, *sp2, *q;
	size_t mlen, tlen;

	sp1 = memchr(s, ' ', n);
	if (!sp1 || sp1 == s)
		return error(req, 400);
	mlen = (size_t)(sp1 - s);
	for (const char *c = s; c < sp1; c++)
		if (!http_is_tchar(*c))
			return error(req, 400);
	if (mlen >= sizeof(req->method))
		return error(req, 501); /* no method we know is this long */
	sp2 = memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1));
	if (!sp2 || sp2 == sp1 + 1)
		return error(req, 400);
	/* version: exactly HTTP/d.d */
	if (end - sp2 - 1 != 8 || memcmp(sp2 + 1, "HTTP/", 5) != 0 ||
	    sp2[6] < '0' || sp2[6] > '9' || sp2[7] != '.' || sp2[8] < '0' || sp2[8] > '9')
		return error(req, 400);
	if (sp2[6] != '1')
		return error(req, 505);
	req->version_minor = sp2[8] - '0';
	/* origin-form target: "/path[?query]", visible ASCII only */
	if (sp1[1] != '/')
		return error(req, 400);
	for (const char *c = sp1 + 1; c < sp2; c++)
		if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f)
			return error(req, 400);
	q = memchr(sp1 + 1, '?', (size_t)(sp2 - sp1 - 1));
	tlen = (size_t)((q ? q : sp2) - (sp1 + 1));
	if (tlen >= sizeof(req->path))
		return error(req, 414);
	memcpy(req->method, s, mlen);
	req->method[mlen] = '\0';
	memcpy(req->path, sp1 + 1, tlen);
	req->path[tlen] = '\0';
	return HTTP_PARSE_DONE;
}

/* A qvalue "0", "0.0", "0.000" is zero; anything else (1, 0.5) is not. */
static bool q_is_zero(const char *v, const char *e)
{
	if (v >= e || *v != '0')
		return false;
	for (v++; v < e && (*v == '.' || *v == '0'); v++)
		;
	return v == e;
}

bool http_accepts_gzip(const char *v, size_t n)
{
	const char *e = v + n;

	while (v < e) {
		const char *el = v, *ee = v, *tok, *te, *semi;
		while (ee < e && *ee != ',')
			ee++;
		v = ee + 1;
		while (el < ee && (*el == ' ' || *el == '\t'))
			el++;
		semi = el;
		while (semi < ee && *semi != ';')
			semi++;
		if (semi == ee)
			semi = NULL;
		tok = el;
		te = semi ? semi : ee;
		while (te > tok && (te[-1] == ' ' || te[-1] == '\t'))
			te--;
		if (!ieq(tok, (size_t)(te - tok), "gzip") && !ieq(tok, (size_t)(te - tok), "x-gzip") &&
		    !ieq(tok, (size_t)(te - tok), "*"))
			continue;
		bool zero = false;
		/* parameters after the token: ";q=0" makes it unacceptable */
		for (const char *a = semi; a && a < ee;) {
			const char *pe = a + 1, *ae;
			while (pe < ee && *pe != ';')
				pe++;
			a++;
			ae = pe;
			while (a < ae && (*a == ' ' || *a == '\t'))
				a++;
			while (ae > a && (ae[-1] == ' ' || ae[-1] == '\t'))
				ae--;
			if (ae - a >= 2 && (a[0] == 'q' || a[0] == 'Q') && a[1] == '=')
				zero = q_is_zero(a + 2, ae);
			a = pe < ee ? pe : NULL;
		}
		if (!zero)
			return true;
	}
	return false;
}

static enum http_parse_result parse_header(const char *s, size_t n, struct http_request *req,
					   bool *seen_cl)
{
	const char *colon, *v, *ve;

	if (n == 0 || s[0] == ' ' || s[0] == '\t')
		return error(req, 400); /* obsolete line folding */
	colon = memchr(s, ':', n);
	if (!colon || colon == s)
		return error(req, 400);
	for (const char *c = s; c < colon; c++)
		if (!http_is_tchar(*c))
			return error(req, 400);
	v = colon + 1;
	ve = s + n;
	while (v < ve && (*v == ' ' || *v == '\t'))
		v++;
	while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
		ve--;
	for (const char *c = v; c < ve; c++)
		if (((unsigned char)*c < 0x20 && *c != '\t') || *c == 0x7f)
			return error(req, 400);
	size_t nlen = (size_t)(colon - s);
	if (ieq(s, nlen, "host")) {
		req->has_host = true;
	} else if (ieq(s, nlen, "content-length")) {
		uint64_t cl = 0;
		if (v == ve)
			return error(req, 400);
		for (const char *c = v; c < ve; c++) {
			if (*c < '0' || *c > '9' || cl > (UINT64_MAX - 9) / 10)
				return error(req, 400);
			cl = cl * 10 + (uint64_t)(*c - '0');
		}
		if (*seen_cl && cl != req->content_length)
			return error(req, 400);
		*seen_cl = true;
		req->content_length = cl;
	} else if (ieq(s, nlen, "accept-encoding")) {
		if (http_accepts_gzip(v, (size_t)(ve - v)))
			req->accept_gzip = true;
	} else if (ieq(s, nlen, "transfer-encoding")) {
		return error(req, 501); /* we take no request bodies */
	}
	return HTTP_PARSE_DONE;
}

enum http_parse_result http_parse_request(const char *buf, size_t len, struct http_request *req)
{
	const char *s = buf, *end = buf + len, *next;
	long n;
	int nheaders = 0;
	bool seen_cl = false;

	memset(req, 0, sizeof(*req));
	/* RFC 9112 2.2: ignore empty lines before the request line, a few
	 * only: without a bound a stream of newlines is never an answer. A
	 * lone CR at the end may be the first half of a CRLF still on its way. */
	for (int empty = 0; s < end && (*s == '\r' || *s == '\n'); empty++) {
		if (empty >= HTTP_MAX_EMPTY_LINES)
			return error(req, 400);
		if (*s == '\r' && s + 1 >= end)
			return more(req, len);
		if (*s == '\r' && s[1] != '\n')
			return error(req, 400);
		s += *s == '\r' ? 2 : 1;
	}
	/* Reject garbage early, before the line is complete: a method is a token. */
	for (const char *c = s; c < end && *c != ' '; c++)
		if (!http_is_tchar(*c))
			return error(req, 400);

	n = line_len(s, end, &next);
	if (n == -2)
		return error(req, 400);
	if (n < 0)
		return (size_t)(end - s) > HTTP_MAX_LINE ? error(req, 414) : more(req, len);
	if ((size_t)n > HTTP_MAX_LINE)
		return error(req, 414);
	if (parse_request_line(s, (size_t)n, req) == HTTP_PARSE_ERROR)
		return HTTP_PARSE_ERROR;

	for (s = next;; s = next) {
		n = line_len(s, end, &next);
		if (n == -2)
			return error(req, 400);
		if (n < 0)
			return more(req, len);
		if (n == 0)
			break;
		if (++nheaders > HTTP_MAX_HEADERS)
			return error(req, 431);
		if (parse_header(s, (size_t)n, req, &seen_cl) == HTTP_PARSE_ERROR)
			return HTTP_PARSE_ERROR;
	}
	req->head_len = (size_t)(next - buf);
	if (req->head_len > HTTP_MAX_HEAD)
		return error(req, 431);
	if (req->version_minor >= 1 && !req->has_host)
		return error(req, 400); /* RFC 9112 3.2: Host is required in 1.1 */
	if (req->content_length > HTTP_MAX_BODY)
		return error(req, 413);
	return HTTP_PARSE_DONE;
}

int http_parse_listen(const char *s, struct sockaddr_storage *ss, unsigned *sslen)
{
	char host[64];
	const char *colon, *h, *he;
	char *end;
	unsigned long port;

	if (!s)
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	colon = strrchr(s, ':');
	if (!colon || !colon[1])
		return -EINVAL;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (*end || errno || port > 65535 || colon[1] < '0' || colon[1] > '9')
		return -EINVAL;
	h = s;
	he = colon;
	if (*h == '[') {
		if (he - h < 2 || he[-1] != ']')
			return -EINVAL;
		h++;
		he--;
	} else if (memchr(h, ':', (size_t)(he - h))) {
		return -EINVAL; /* IPv6 needs brackets: "[::1]:9464" */
	}
	if ((size_t)(he - h) >= sizeof(host))
		return -EINVAL;
	memcpy(host, h, (size_t)(he - h));
	host[he - h] = '\0';

	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (!host[0] || !strcmp(host, "localhost")) {
		in4->sin_family = AF_INET;
		in4->sin_addr.s_addr = htonl(host[0] ? INADDR_LOOPBACK : INADDR_ANY);
	} else if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
	} else {
		return -EINVAL;
	}
	if (ss->ss_family == AF_INET) {
		in4->sin_port = htons((uint16_t)port);
		*sslen = sizeof(*in4);
	} else {
		in6->sin6_port = htons((uint16_t)port);
		*sslen = sizeof(*in6);
	}
	return 0;
}

bool http_addr_is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	if (ss->ss_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
		if (IN6_IS_ADDR_LOOPBACK(a))
			return true;
		return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
	}
	return false;
}

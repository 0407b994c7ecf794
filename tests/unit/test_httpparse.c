/* Unit tests: HTTP request-head parsing (src/lib/httpparse.c). */
#include <stdlib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <errno.h>

#include "test.h"
#include "lib/httpparse.h"

static enum http_parse_result parse(const char *s, struct http_request *r)
{
	return http_parse_request(s, strlen(s), r);
}

TEST(http_parse_simple_get)
{
	struct http_request r;
	const char *s = "GET /metrics?x=1 HTTP/1.1\r\nHost: localhost:9464\r\n"
			"User-Agent: Prometheus/2.42.0\r\nAccept: */*\r\n\r\n";
	CHECK_EQ(parse(s, &r), HTTP_PARSE_DONE);
	CHECK_STR(r.method, "GET");
	CHECK_STR(r.path, "/metrics");
	CHECK_EQ(r.version_minor, 1);
	CHECK_EQ(r.head_len, strlen(s));
}

TEST(http_parse_bare_lf_and_http10_without_host)
{
	struct http_request r;
	CHECK_EQ(parse("\r\nHEAD /healthz HTTP/1.0\n\n", &r), HTTP_PARSE_DONE);
	CHECK_STR(r.method, "HEAD");
	CHECK_STR(r.path, "/healthz");
	CHECK_EQ(r.version_minor, 0);
}

TEST(http_parse_incremental)
{
	struct http_request r;
	const char *s = "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n";
	size_t n = strlen(s);
	for (size_t i = 0; i < n; i++)
		CHECK_EQ(http_parse_request(s, i, &r), HTTP_PARSE_MORE);
	CHECK_EQ(http_parse_request(s, n, &r), HTTP_PARSE_DONE);
}

TEST(http_parse_garbage)
{
	struct http_request r;
	CHECK_EQ(parse("\x16\x03\x01\x02", &r), HTTP_PARSE_ERROR); /* a TLS hello, early */
	CHECK_EQ(r.status, 400);
	CHECK_EQ(parse("hello world\r\n\r\n", &r), HTTP_PARSE_ERROR);
	CHECK_EQ(r.status, 400);
	CHECK_EQ(parse("GET\r\n\r\n", &r), HTTP_PARSE_ERROR);
	CHECK_EQ(parse("GET  /metrics HTTP/1.1\r\n\r\n", &r), HTTP_PARSE_ERROR);
	CHECK_EQ(parse("GET metrics HTTP/1.1\r\nHost: a\r\n\r\n", &r), HTTP_PARSE_ERROR);
	CHECK_EQ(parse("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", &r), HTTP_PARSE_ERROR);
	CHECK_EQ(parse("GET /metrics HTTP/1.1 \r\nHost: a\r\n\r\n", &r), HTTP_PARSE_ERROR);
	CHECK_EQ(parse("GET /metrics FOO/1.1\r\nHost: a\r\n\r\n", &r), HTTP_PARSE_ERROR);
	CHECK_EQ(parse("GET /metrics HTTP/1.1\rX\r\n\r\n", &r), HTTP_PARSE_ERROR);
	CHECK_EQ(r.status, 400);
}

TEST(http_parse_headers)
{
	struct http_request r;
	CHECK_EQ(parse("GET / HTTP/1.1\r\n\r\n", &r), HTTP_PARSE_ERROR); /* no Host */
	CHECK_EQ(r.status, 400);
	CHECK_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", &r), HTTP_PARSE_ERROR);
	CHECK_EQ(parse("GET / HTTP/1.1\r\nHost a\r\n\r\n", &r), HTTP_PARSE_ERROR);
	CHECK_EQ(parse("GET / HTTP/1.1\r\nBad Name: a\r\nHost: a\r\n\r\n", &r), HTTP_PARSE_ERROR);
	CHECK_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5x\r\n\r\n", &r), HTTP_PARSE_ERROR);
	CHECK_EQ(r.status, 400);
	CHECK_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", &r), HTTP_PARSE_DONE);
	CHECK_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n", &r), HTTP_PARSE_ERROR);
	CHECK_EQ(r.status, 413);
	CHECK_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n", &r),
		 HTTP_PARSE_ERROR);
	CHECK_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", &r),
		 HTTP_PARSE_ERROR);
	CHECK_EQ(r.status, 501);
}

TEST(http_parse_versions_and_methods)
{
	struct http_request r;
	CHECK_EQ(parse("GET / HTTP/2.0\r\n\r\n", &r), HTTP_PARSE_ERROR);
	CHECK_EQ(r.status, 505);
	CHECK_EQ(parse("DELETE /metrics HTTP/1.1\r\nHost: a\r\n\r\n", &r), HTTP_PARSE_DONE);
	CHECK_STR(r.method, "DELETE"); /* the server answers 405; parsing is fine */
	CHECK_EQ(parse("AVERYVERYLONGMETHODNAME / HTTP/1.1\r\nHost: a\r\n\r\n", &r), HTTP_PARSE_ERROR);
	CHECK_EQ(r.status, 501);
}

TEST(http_parse_limits)
{
	struct http_request r;
	char *big = malloc(HTTP_MAX_HEAD * 2);
	REQUIRE(big);

	/* a request line that never ends */
	memcpy(big, "GET /", 5);
	memset(big + 5, 'a', HTTP_MAX_LINE + 10);
	CHECK_EQ(http_parse_request(big, HTTP_MAX_LINE + 15, &r), HTTP_PARSE_ERROR);
	CHECK_EQ(r.status, 414);
	/* a path longer than we keep */
	int n = sprintf(big, "GET /%0300d HTTP/1.1\r\nHost: a\r\n\r\n", 0);
	CHECK_EQ(http_parse_request(big, (size_t)n, &r), HTTP_PARSE_ERROR);
	CHECK_EQ(r.status, 414);
	/* headers that never end */
	n = sprintf(big, "GET / HTTP/1.1\r\nHost: a\r\nX: ");
	memset(big + n, 'b', HTTP_MAX_HEAD);
	CHECK_EQ(http_parse_request(big, (size_t)n + HTTP_MAX_HEAD, &r), HTTP_PARSE_ERROR);
	CHECK_EQ(r.status, 431);
	/* too many header lines */
	n = sprintf(big, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (int i = 0; i < HTTP_MAX_HEADERS + 1; i++)
		n += sprintf(big + n, "X%d: y\r\n", i);
	n += sprintf(big + n, "\r\n");
	CHECK_EQ(http_parse_request(big, (size_t)n, &r), HTTP_PARSE_ERROR);
	CHECK_EQ(r.status, 431);
	free(big);
	CHECK_STR(http_status_text(405), "Method Not Allowed");
	CHECK_STR(http_status_text(431), "Request Header Fields Too Large");
}

TEST(http_parse_listen_addresses)
{
	struct sockaddr_storage ss;
	unsigned len;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

	CHECK_EQ(http_parse_listen("127.0.0.1:9464", &ss, &len), 0);
	CHECK_EQ(ss.ss_family, AF_INET);
	CHECK_EQ(ntohs(in4->sin_port), 9464);
	CHECK_EQ(len, sizeof(*in4));
	CHECK(http_addr_is_loopback(&ss));
	CHECK_EQ(http_parse_listen("localhost:0", &ss, &len), 0);
	CHECK(http_addr_is_loopback(&ss));
	CHECK_EQ(ntohs(in4->sin_port), 0);
	CHECK_EQ(http_parse_listen(":9464", &ss, &len), 0);
	CHECK(!http_addr_is_loopback(&ss));
	CHECK_EQ(http_parse_listen("10.1.2.3:80", &ss, &len), 0);
	CHECK(!http_addr_is_loopback(&ss));
	CHECK_EQ(http_parse_listen("[::1]:9464", &ss, &len), 0);
	CHECK_EQ(ss.ss_family, AF_INET6);
	CHECK_EQ(ntohs(in6->sin6_port), 9464);
	CHECK(http_addr_is_loopback(&ss));
	CHECK_EQ(http_parse_listen("[::]:9464", &ss, &len), 0);
	CHECK(!http_addr_is_loopback(&ss));
	CHECK_EQ(http_parse_listen("127.0.0.1", &ss, &len), -EINVAL);
	CHECK_EQ(http_parse_listen("127.0.0.1:", &ss, &len), -EINVAL);
	CHECK_EQ(http_parse_listen("127.0.0.1:65536", &ss, &len), -EINVAL);
	CHECK_EQ(http_parse_listen("127.0.0.1:-1", &ss, &len), -EINVAL);
	CHECK_EQ(http_parse_listen("127.0.0.1:9x", &ss, &len), -EINVAL);
	CHECK_EQ(http_parse_listen("example.com:80", &ss, &len), -EINVAL);
	CHECK_EQ(http_parse_listen("::1:9464", &ss, &len), -EINVAL);
	CHECK_EQ(http_parse_listen("[::1:9464", &ss, &len), -EINVAL);
}

/* Every prefix of an acceptable request asks for more, wherever the
 * network cut it (a lone CR of a leading CRLF included), and the whole
 * parses as it does in one piece. */
TEST(http_parse_every_split_point)
{
	static const char *const reqs[] = {
		"\r\nGET /metrics HTTP/1.1\r\nHost: a\r\n\r\n",
		"\r\n\r\n\n\r\nGET /metrics HTTP/1.1\r\nHost: a\r\n\r\n",
		"\nHEAD /healthz HTTP/1.0\n\n",
		"GET /metrics?x=1 HTTP/1.1\r\nHost: a:1\r\nAccept: */*\r\nContent-Length: 0\r\n\r\n",
	};
	struct http_request r, whole;

	for (size_t k = 0; k < sizeof(reqs) / sizeof(reqs[0]); k++) {
		size_t n = strlen(reqs[k]);
		REQUIRE(http_parse_request(reqs[k], n, &whole) == HTTP_PARSE_DONE);
		for (size_t i = 0; i < n; i++) {
			enum http_parse_result res = http_parse_request(reqs[k], i, &r);
			if (res != HTTP_PARSE_MORE)
				unit_fail(__FILE__, __LINE__, "request %zu cut at %zu: %d (status %d)",
					  k, i, res, r.status);
		}
		CHECK_EQ(http_parse_request(reqs[k], n, &r), HTTP_PARSE_DONE);
		CHECK_STR(r.method, whole.method);
		CHECK_STR(r.path, whole.path);
		CHECK_EQ(r.head_len, n);
	}
	/* a CR followed by anything but LF is still bad */
	CHECK_EQ(parse("\rGET / HTTP/1.0\r\n\r\n", &r), HTTP_PARSE_ERROR);
	CHECK_EQ(r.status, 400);
}

/* A stream of empty lines is answered, not waited on: a few are allowed
 * before the request line, more are an error at once, and no buffer of
 * more than HTTP_MAX_HEAD bytes is ever "incomplete". */
TEST(http_parse_empty_lines_are_bounded)
{
	struct http_request r;
	char *buf = malloc(16384 + 64);
	REQUIRE(buf);

	memset(buf, '\n', 16384);
	CHECK_EQ(http_parse_request(buf, 16384, &r), HTTP_PARSE_ERROR);
	CHECK_EQ(r.status, 400);
	CHECK_EQ(http_parse_request(buf, HTTP_MAX_HEAD + 1, &r), HTTP_PARSE_ERROR);
	CHECK_EQ(http_parse_request(buf, HTTP_MAX_EMPTY_LINES + 1, &r), HTTP_PARSE_ERROR);
	CHECK_EQ(http_parse_request(buf, HTTP_MAX_EMPTY_LINES, &r), HTTP_PARSE_MORE);
	for (int i = 0; i < 16384 / 2; i++)
		memcpy(buf + 2 * i, "\r\n", 2);
	CHECK_EQ(http_parse_request(buf, 16384, &r), HTTP_PARSE_ERROR);
	CHECK_EQ(r.status, 400);
	/* the allowed number, then a request */
	int n = 0;
	for (int i = 0; i < HTTP_MAX_EMPTY_LINES; i++)
		n += sprintf(buf + n, "\r\n");
	n += sprintf(buf + n, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
	CHECK_EQ(http_parse_request(buf, (size_t)n, &r), HTTP_PARSE_DONE);

	/* whatever fills the reader's buffer is an answer, never "more" */
	static const char *const fills[] = { "\n", "\r\n", "a", "GET /", "GET / HTTP/1.1\r\nX: " };
	for (size_t k = 0; k < sizeof(fills) / sizeof(fills[0]); k++) {
		size_t len = 0, fl = strlen(fills[k]);
		memcpy(buf, fills[k], fl);
		len = fl;
		memset(buf + len, 'b', HTTP_MAX_HEAD + 1 - len);
		len = HTTP_MAX_HEAD + 1;
		if (http_parse_request(buf, len, &r) != HTTP_PARSE_ERROR)
			unit_fail(__FILE__, __LINE__, "a full buffer starting '%s' is not an error", fills[k]);
	}
	free(buf);
}

/* gzip only when the client lists it (or *) with a q that is not 0 */
TEST(http_accept_encoding_gzip)
{
	struct http_request r;
#define ACC(v) http_accepts_gzip(v, strlen(v))
	CHECK(ACC("gzip"));
	CHECK(ACC("GZip"));
	CHECK(ACC("deflate, gzip;q=0.5"));
	CHECK(ACC("br ; q=1, x-gzip"));
	CHECK(ACC("*"));
	CHECK(ACC("gzip; q=1.0"));
	CHECK(!ACC(""));
	CHECK(!ACC("identity"));
	CHECK(!ACC("gzipx, deflate"));
	CHECK(!ACC("gzip;q=0"));
	CHECK(!ACC("gzip; q=0.000"));
	CHECK(!ACC("*;q=0, deflate"));
	CHECK(ACC("gzip;q=0.001"));
#undef ACC
	CHECK_EQ(parse("GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n", &r), HTTP_PARSE_DONE);
	CHECK(r.accept_gzip);
	CHECK_EQ(parse("GET /metrics HTTP/1.1\r\nHost: x\r\naccept-encoding: identity\r\n"
		       "Accept-Encoding: gzip;q=0\r\n\r\n", &r), HTTP_PARSE_DONE);
	CHECK(!r.accept_gzip);
	CHECK_EQ(parse("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &r), HTTP_PARSE_DONE);
	CHECK(!r.accept_gzip);
}

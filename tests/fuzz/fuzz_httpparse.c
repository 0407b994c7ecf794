/* fuzz_httpparse.c — the agent's HTTP request-head parser with any bytes
 * (they come from the network): within limits, a complete head says how
 * long it is, MORE never past HTTP_MAX_HEAD, the same answer twice; also
 * Accept-Encoding values and --listen addresses. */
#include <sys/socket.h>

#include "fuzz.h"
#include "lib/httpparse.h"

static void check_request(const char *buf, size_t len)
{
	struct http_request a, b;
	enum http_parse_result ra = http_parse_request(buf, len, &a);
	enum http_parse_result rb = http_parse_request(buf, len, &b);

	FUZZ_CHECK(ra == rb);
	if (ra == HTTP_PARSE_MORE)
		FUZZ_CHECK(len <= HTTP_MAX_HEAD);
	if (ra == HTTP_PARSE_ERROR) {
		FUZZ_CHECK(a.status >= 400 && a.status <= 599 && a.status == b.status);
		FUZZ_CHECK(strcmp(http_status_text(a.status), "Error") != 0);
	}
	if (ra != HTTP_PARSE_DONE)
		return;
	FUZZ_CHECK(a.head_len > 0 && a.head_len <= len && a.head_len <= HTTP_MAX_HEAD);
	FUZZ_CHECK(memchr(a.method, '\0', sizeof(a.method)) && memchr(a.path, '\0', sizeof(a.path)));
	FUZZ_CHECK(a.method[0] && a.path[0] == '/');
	for (const char *m = a.method; *m; m++)
		FUZZ_CHECK(http_is_tchar(*m));
	/* a head is complete on its own: the bytes after it change nothing */
	FUZZ_CHECK(http_parse_request(buf, a.head_len, &b) == HTTP_PARSE_DONE);
	FUZZ_CHECK(b.head_len == a.head_len && !strcmp(a.path, b.path));
	/* and a prefix of an accepted head asks for more */
	if (a.head_len > 1)
		FUZZ_CHECK(http_parse_request(buf, a.head_len - 1, &b) == HTTP_PARSE_MORE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_storage ss;
	unsigned sslen = 0;
	char *buf = malloc(size ? size : 1), *s;

	/* exactly sized: a read past the bytes given is an ASan report */
	memcpy(buf, data, size);
	check_request(buf, size);
	http_accepts_gzip(buf, size);
	free(buf);
	s = fuzz_cstr(data, size < 300 ? size : 300);
	if (http_parse_listen(s, &ss, &sslen) == 0) {
		FUZZ_CHECK(ss.ss_family == AF_INET || ss.ss_family == AF_INET6);
		FUZZ_CHECK(sslen > 0 && sslen <= sizeof(ss));
		http_addr_is_loopback(&ss);
	}
	free(s);
	return 0;
}

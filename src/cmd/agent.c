/* agent.c — `ksleuth agent`: the collectors, always on, behind a
 * Prometheus /metrics endpoint, on one single-threaded event loop (ring
 * buffers, a 1 s timerfd, the listening socket, signalfd). Collection never
 * waits for a client: the HTTP server is non-blocking (sys/http.c). */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "ksleuth.h"
#include "lib/parse.h"
#include "lib/prom.h"
#include "sys/http.h"
#include "sys/log.h"
#include "sys/loop.h"

#define DEFAULT_LISTEN "127.0.0.1:9464"

struct agent {
	struct loop *loop;
	struct http_server *http;
	uint64_t start_ns;
	uint64_t scrapes;
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: ksleuth agent [--listen ADDR:PORT] [--events FILE] [--max-conns N]\n"
"\n"
"Run always-on and serve Prometheus metrics (text format 0.0.4) at\n"
"http://ADDR:PORT/metrics, and \"ok\" at /healthz.\n"
"\n"
"  --listen ADDR:PORT  where to listen (default " DEFAULT_LISTEN "; port 0 picks a\n"
"                      free port, printed at start). Binding to a non-loopback\n"
"                      address exposes kernel details to the network: a warning\n"
"                      is printed; put it behind a firewall or a TLS proxy.\n"
"  --events FILE       append incidents and stalls as JSON Lines (as doctor --json)\n"
"  --max-conns N       open HTTP connections at most (default 64; beyond it the\n"
"                      oldest is closed)\n"
"\n"
"SIGINT or SIGTERM stop it cleanly (exit 0). Exit 1 on runtime errors, 2 on\n"
"bad arguments.\n");
}

static int write_metrics(void *arg, FILE *f)
{
	struct agent *a = arg;
	struct prom p;
	const struct http_stats *hs = http_server_stats(a->http);
	char code[8];

	a->scrapes++;
	prom_init(&p, f);

	prom_family(&p, "ksleuth_build_info", PROM_GAUGE,
		    "ksleuth's version (the value is always 1).");
	prom_gauge(&p, (struct prom_label[]){ { "version", KSLEUTH_VERSION } }, 1, 1);

	prom_family(&p, "ksleuth_agent_uptime_seconds", PROM_GAUGE,
		    "Seconds since the agent started collecting.");
	prom_gauge(&p, NULL, 0, (double)(now_ns() - a->start_ns) / 1e9);

	prom_family(&p, "ksleuth_agent_scrapes_total", PROM_COUNTER,
		    "Requests for /metrics answered, this one included.");
	prom_counter(&p, NULL, 0, a->scrapes);

	prom_family(&p, "ksleuth_agent_http_responses_total", PROM_COUNTER,
		    "HTTP responses sent, by status code.");
	for (int i = 0; i < HTTP_CODES && hs->codes[i]; i++) {
		snprintf(code, sizeof(code), "%d", hs->codes[i]);
		prom_counter(&p, (struct prom_label[]){ { "code", code } }, 1, hs->answered[i]);
	}
	prom_family(&p, "ksleuth_agent_http_connections_total", PROM_COUNTER,
		    "HTTP connections accepted.");
	prom_counter(&p, NULL, 0, hs->accepted);
	prom_family(&p, "ksleuth_agent_http_evicted_total", PROM_COUNTER,
		    "HTTP connections closed to make room (connection cap reached).");
	prom_counter(&p, NULL, 0, hs->evicted);
	prom_family(&p, "ksleuth_agent_http_timeouts_total", PROM_COUNTER,
		    "HTTP connections closed by the read or write timeout.");
	prom_counter(&p, NULL, 0, hs->timeouts);
	prom_family(&p, "ksleuth_agent_http_open_connections", PROM_GAUGE,
		    "HTTP connections open now (this one included).");
	prom_gauge(&p, NULL, 0, (double)hs->open);

	if (prom_finish(&p) != 0) {
		err("internal error while writing metrics: %s", p.errmsg);
		return 500;
	}
	return 200;
}

static int write_healthz(void *arg, FILE *f)
{
	(void)arg;
	fputs("ok\n", f);
	return 200;
}

int cmd_agent(int argc, char **argv)
{
	enum { O_LISTEN = 256, O_EVENTS, O_MAXCONN };
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, O_LISTEN },
		{ "events", required_argument, NULL, O_EVENTS },
		{ "max-conns", required_argument, NULL, O_MAXCONN },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct http_config hc = { .listen = DEFAULT_LISTEN };
	const char *events_path = NULL;
	struct agent a = { 0 };
	int opt, rc = EXIT_RUNTIME;
	long v;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case O_LISTEN:
			hc.listen = optarg;
			break;
		case O_EVENTS:
			events_path = optarg;
			break;
		case O_MAXCONN:
			if (parse_int_range(optarg, 1, 4096, &v)) {
				err("--max-conns '%s' is not a number from 1 to 4096", optarg);
				return EXIT_USAGE;
			}
			hc.max_conns = (unsigned)v;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			err("unknown or incomplete option '%s'; see 'ksleuth agent --help'", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		err("unexpected argument '%s'; see 'ksleuth agent --help'", argv[optind]);
		return EXIT_USAGE;
	}
	(void)events_path;

	a.loop = loop_new();
	if (!a.loop) {
		err("cannot create the event loop: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	static const struct http_route routes_tmpl[] = {
		{ "/metrics", "text/plain; version=0.0.4; charset=utf-8", write_metrics, NULL },
		{ "/healthz", "text/plain; charset=utf-8", write_healthz, NULL },
	};
	struct http_route routes[2];
	memcpy(routes, routes_tmpl, sizeof(routes));
	routes[0].arg = &a;
	a.start_ns = now_ns();
	a.http = http_server_new(a.loop, &hc, routes, 2);
	if (!a.http)
		goto out;
	if (!http_server_is_loopback(a.http))
		warn("listening on %s, not a loopback address: anyone who reaches it can read "
		     "kernel details; restrict it with a firewall", http_server_address(a.http));
	info("agent: serving http://%s/metrics", http_server_address(a.http));

	if (loop_run(a.loop) < 0) {
		err("the event loop failed: %s", strerror(errno));
		goto out;
	}
	rc = EXIT_OK;
out:
	http_server_free(a.http);
	loop_free(a.loop);
	return rc;
}

/* loudp — test helper: NET_RX load on loopback, like `ping -f` without
 * ICMP. Sends small UDP datagrams to a socket of its own on 127.0.0.1
 * and reads them back, for DUR_MS (at most 3000) in the network namespace
 * it runs in; each send is one loopback packet, whose NET_RX runs when the
 * send re-enables bottom halves. Prints "sent N received M" at the end.
 * Usage: loudp DUR_MS */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	char buf[64] = "loudp";
	long long sent = 0, received = 0, end;
	long dur_ms;
	int rx, tx;

	if (argc != 2 || (dur_ms = atol(argv[1])) <= 0 || dur_ms > 3000) {
		fprintf(stderr, "usage: loudp DUR_MS (1..3000)\n");
		return 2;
	}
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rx = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	tx = socket(AF_INET, SOCK_DGRAM, 0);
	if (rx < 0 || tx < 0 || bind(rx, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(rx, (struct sockaddr *)&a, &alen) < 0 ||
	    connect(tx, (struct sockaddr *)&a, sizeof(a)) < 0) {
		fprintf(stderr, "loudp: cannot set up the sockets on 127.0.0.1: %s (is lo up?)\n",
			strerror(errno));
		return 1;
	}
	end = now_ms() + dur_ms;
	while (now_ms() < end) {
		/* a batch between clock reads; each send is one packet */
		for (int i = 0; i < 64; i++) {
			if (send(tx, buf, sizeof(buf), 0) == (ssize_t)sizeof(buf))
				sent++;
			while (recv(rx, buf, sizeof(buf), 0) > 0)
				received++;
		}
	}
	printf("sent %lld received %lld\n", sent, received);
	return sent ? 0 : 1;
}

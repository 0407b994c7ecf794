/* execer — test helper: waits until GOFILE exists (at most 10 s), then
 * execs itself exactly N times in the same process (one
 * sched:sched_process_exec each) and exits. Usage: execer N GOFILE */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char left[32];
	long n;

	if (argc != 3 || (n = atol(argv[1])) < 0 || n > 100000) {
		fprintf(stderr, "usage: execer N GOFILE\n");
		return 2;
	}
	for (int i = 0; access(argv[2], F_OK) != 0; i++) {
		if (i >= 1000) {
			fprintf(stderr, "execer: %s never appeared\n", argv[2]);
			return 1;
		}
		usleep(10000);
	}
	if (n == 0)
		return 0;
	snprintf(left, sizeof(left), "%ld", n - 1);
	execl("/proc/self/exe", "execer", left, argv[2], (char *)NULL);
	perror("execl");
	return 1;
}

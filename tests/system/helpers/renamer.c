/* renamer — test helper: waits until GOFILE exists (at most 10 s), then
 * renames itself exactly N times with prctl(PR_SET_NAME), one
 * task:task_rename event each, and exits. Usage: renamer N GOFILE */
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char name[16];
	long n;

	if (argc != 3 || (n = atol(argv[1])) < 0 || n > 1000000) {
		fprintf(stderr, "usage: renamer N GOFILE\n");
		return 2;
	}
	for (int i = 0; access(argv[2], F_OK) != 0; i++) {
		if (i >= 1000) {
			fprintf(stderr, "renamer: %s never appeared\n", argv[2]);
			return 1;
		}
		usleep(10000);
	}
	for (long i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "ks-ren-%ld", i);
		if (prctl(PR_SET_NAME, name, 0, 0, 0) != 0) {
			perror("prctl");
			return 1;
		}
	}
	return 0;
}

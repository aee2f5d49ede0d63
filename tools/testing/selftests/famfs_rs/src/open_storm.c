// SPDX-License-Identifier: GPL-2.0
/*
 * open_storm PROCS ROUNDS PATH...: PROCS processes, released together
 * from a barrier, each open(O_RDONLY) and close every PATH (files or
 * directories) ROUNDS times. Prints "ok N opens" and exits 0, or the
 * first failing open's path and errno and exits 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int child(int barrier, long rounds, int n, char **paths)
{
	char c;
	long r;
	int i, fd;

	/* Blocks until the parent closes the write end: all start at once. */
	if (read(barrier, &c, 1) < 0)
		return 1;
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < n; i++) {
			fd = open(paths[i], O_RDONLY);
			if (fd < 0) {
				printf("FAIL: open %s (round %ld): %s\n", paths[i], r, strerror(errno));
				return 1;
			}
			close(fd);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	int pipefd[2], status, failed = 0;
	long procs, rounds, p;

	if (argc < 4) {
		fprintf(stderr, "usage: open_storm PROCS ROUNDS PATH...\n");
		return 2;
	}
	procs = strtol(argv[1], NULL, 0);
	rounds = strtol(argv[2], NULL, 0);
	if (procs < 1 || rounds < 1 || pipe(pipefd) < 0) {
		fprintf(stderr, "open_storm: bad arguments or no pipe\n");
		return 2;
	}
	fflush(stdout);
	for (p = 0; p < procs; p++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			close(pipefd[1]);
			_exit(child(pipefd[0], rounds, argc - 3, argv + 3));
		}
	}
	close(pipefd[0]);
	close(pipefd[1]);
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed = 1;
	if (failed)
		return 1;
	printf("ok %ld opens\n", procs * rounds * (argc - 3));
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * pin_hold FILE: maps FILE, splices its first page into a pipe it keeps
 * open (a page reference that no mapping shows), prints "ok pinned" and
 * waits. SIGTERM closes the pipe first (the page is unreferenced while
 * still mapped), then exits, which gives back the mapping and the file.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <signal.h>
#include <unistd.h>

static int pipe_fds[2];

static void on_term(int sig)
{
	(void)sig;
	close(pipe_fds[0]);
	close(pipe_fds[1]);
	_exit(0);
}

int main(int argc, char **argv)
{
	volatile uint8_t *m;
	unsigned long sum = 0;
	struct iovec iov;
	int fd, *p = pipe_fds;

	if (argc != 2) {
		fprintf(stderr, "usage: pin_hold FILE\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		perror("open");
		return 1;
	}
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	sum += m[0];
	if (pipe(p) < 0) {
		perror("pipe");
		return 1;
	}
	iov.iov_base = (void *)m;
	iov.iov_len = 4096;
	if (vmsplice(p[1], &iov, 1, 0) != 4096) {
		perror("vmsplice");
		return 1;
	}
	signal(SIGTERM, on_term);
	printf("ok pinned (sum %lu)\n", sum);
	fflush(stdout);
	for (;;)
		pause();
}

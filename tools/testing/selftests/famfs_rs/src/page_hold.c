// SPDX-License-Identifier: GPL-2.0
/*
 * page_hold FILE: takes the first page of FILE into a pipe with vmsplice(),
 * then unmaps and closes the file, so that the pipe alone holds the page.
 * Prints "held" once that is so and keeps the pipe until killed (SIGTERM:
 * the pipe goes with the process). Exits 1 if any step fails.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>
#include "check.h"

int main(int argc, char **argv)
{
	struct iovec iov;
	int fd, p[2];
	char *map;

	if (argc != 2) {
		fprintf(stderr, "usage: page_hold FILE\n");
		return 2;
	}
	fd = open(argv[1], O_RDWR);
	check(fd >= 0, "open");
	if (fd < 0)
		return 1;
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check(map != MAP_FAILED, "mmap");
	if (map == MAP_FAILED)
		return 1;
	map[0] = 'h';	/* a dirty entry, as a writer leaves it */
	check(pipe(p) == 0, "pipe");
	iov.iov_base = map;
	iov.iov_len = 4096;
	check(vmsplice(p[1], &iov, 1, 0) == 4096, "vmsplice one page");
	check(munmap(map, 4096) == 0, "munmap");
	check(close(fd) == 0, "close");
	if (failures)
		return 1;
	printf("held\n");
	fflush(stdout);
	for (;;)
		pause();
}

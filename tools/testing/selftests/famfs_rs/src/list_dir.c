// SPDX-License-Identifier: GPL-2.0
/*
 * list_dir DIR: reads the whole directory with getdents64 and prints
 * "ok N" (N entries) and exits 0, or prints the errno name of the failing
 * call and exits 1. Unlike busybox ls, an error in the middle of a
 * listing is not taken for its end.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char buf[4096];
	long n, entries = 0;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: list_dir DIR\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_DIRECTORY);
	if (fd < 0) {
		printf("open: %s\n", errno == EIO ? "EIO" : strerror(errno));
		return 1;
	}
	while ((n = getdents64(fd, buf, sizeof(buf))) > 0) {
		long off = 0;

		while (off < n) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);

			entries++;
			off += d->d_reclen;
		}
	}
	if (n < 0) {
		printf("getdents64: %s\n", errno == EIO ? "EIO" : strerror(errno));
		return 1;
	}
	printf("ok %ld\n", entries);
	return 0;
}

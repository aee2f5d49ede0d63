// SPDX-License-Identifier: GPL-2.0
/*
 * dirents DIR: prints one line per getdents64 entry of DIR, "d_ino d_type
 * name", as the kernel reported it (ls shows stat's inode numbers, not the
 * directory's). Exits 1 with the errno name if a call fails.
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
	long n;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: dirents DIR\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_DIRECTORY);
	if (fd < 0) {
		printf("open: %s\n", strerror(errno));
		return 1;
	}
	while ((n = getdents64(fd, buf, sizeof(buf))) > 0) {
		long off = 0;

		while (off < n) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);

			printf("%llu %u %s\n", (unsigned long long)d->d_ino, d->d_type, d->d_name);
			off += d->d_reclen;
		}
	}
	if (n < 0) {
		printf("getdents64: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}

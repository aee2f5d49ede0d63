// SPDX-License-Identifier: GPL-2.0
/*
 * open_as UID GID PATH [rdonly|rdwr]: drop to UID/GID (no supplementary
 * groups, no capabilities) and open PATH. Prints "ok" or the errno name
 * and exits 0 if the open succeeded, 1 if it failed, 2 on a usage or setup
 * error, so a test can tell "refused" from "could not even try".
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *errno_name(int e)
{
	switch (e) {
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case ENXIO: return "ENXIO";
	case ENODEV: return "ENODEV";
	case EBUSY: return "EBUSY";
	case ENOTCONN: return "ENOTCONN";
	case EIO: return "EIO";
	case EROFS: return "EROFS";
	default: return strerror(e);
	}
}

int main(int argc, char **argv)
{
	int flags = O_RDWR;
	uid_t uid;
	gid_t gid;
	int fd;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: %s UID GID PATH [rdonly|rdwr]\n", argv[0]);
		return 2;
	}
	uid = (uid_t)strtoul(argv[1], NULL, 10);
	gid = (gid_t)strtoul(argv[2], NULL, 10);
	if (argc == 5 && !strcmp(argv[4], "rdonly"))
		flags = O_RDONLY;
	if (setgroups(0, NULL) || setgid(gid) || setuid(uid)) {
		perror("open_as: dropping privileges");
		return 2;
	}
	if (uid != 0 && (setuid(0) == 0)) {
		fprintf(stderr, "open_as: could regain root, privileges not dropped\n");
		return 2;
	}
	fd = open(argv[3], flags);
	if (fd < 0) {
		printf("%s\n", errno_name(errno));
		return 1;
	}
	printf("ok\n");
	close(fd);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * raw_probe hostile NODE SIZE: feeds the raw node of a bound device
 * (/dev/famfs_rs_raw/daxX.Y, SIZE bytes) offsets and lengths a caller
 * should not send, and checks each gets a clean answer: reads at or past
 * the end see end of file, writes there ENOSPC, transfers across the end
 * are cut at it, negative and overflowing offsets EINVAL, a bad buffer
 * EFAULT; a byte written is read back. It writes only the device's last
 * page (and restores it).
 *
 * raw_probe pwrite NODE OFFSET: writes one byte there (what it read), and
 * prints "ok" or the errno name (exit 0, or 1 if refused).
 *
 * NODE may be fsdev:/dev/daxX.Y: the one raw node of 7.x kernels,
 * /dev/famfs_rs_raw/fsdev, given that device with FAMFS_RS_RAW_SET_FD.
 *
 * raw_probe watch NODE [back]: prints "watching", then reads the first byte
 * every 20 ms until a read fails, and prints that errno's name (exit 0; 1
 * if none failed within 60 s); with "back", goes on until a read works
 * again and prints "back" (exit 1 if none did within 60 s).
 *
 * raw_probe stallwrite NODE SIZE SRC GO: maps the first page of file SRC
 * (MAP_PRIVATE), prints "mapped", waits until file GO exists, then writes
 * that page to NODE's last page (the mapping faults inside the write: on a
 * FUSE file whose daemon is stopped the write stalls there, with the
 * node's write begun), restores the page, prints "ok" or the errno name.
 *
 * raw_probe setfd /dev/daxX.Y [OTHER]: hostile FAMFS_RS_RAW_SET_FD calls on
 * the fsdev node: I/O before it ENXIO; unknown command ENOTTY; NULL
 * argument EFAULT; -1, a closed and an O_PATH descriptor EBADF; a regular
 * file and a character device that is no dax device (/dev/null) ENODEV;
 * OTHER (a devdax device not bound to fsdev_dax) ENODEV; the device itself
 * 0, a second time EBUSY; closing the device's descriptor after it leaves
 * the node working.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <sys/ioctl.h>
#include <sys/stat.h>

#include "check.h"
#include "famfs_rs_abi.h"

/* CALL fails with errno ERR (errno cleared first, so that a failed check
 * does not show a stale one). */
#define check_fails(call, err, what)                          \
	do {                                                  \
		errno = 0;                                    \
		check((call) < 0 && errno == (err), what);    \
	} while (0)

#define FSDEV_NODE "/dev/" FAMFS_RS_RAW_DIR "/" FAMFS_RS_RAW_FSDEV_NAME
#define FSDEV_PREFIX "fsdev:"

static const char *errno_name(int e)
{
	switch (e) {
	case EBUSY: return "EBUSY";
	case EINVAL: return "EINVAL";
	case ENOSPC: return "ENOSPC";
	case EFAULT: return "EFAULT";
	case ENXIO: return "ENXIO";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case ENODEV: return "ENODEV";
	case EBADF: return "EBADF";
	case ENOTTY: return "ENOTTY";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	default: return strerror(e);
	}
}

/* pread/pwrite with the offset as the raw 64-bit value (negative ones
 * too, which glibc would pass on as well, but explicitly). */
static ssize_t raw_pread(int fd, void *buf, size_t n, int64_t off)
{
	return syscall(SYS_pread64, fd, buf, n, off);
}

static ssize_t raw_pwrite(int fd, const void *buf, size_t n, int64_t off)
{
	return syscall(SYS_pwrite64, fd, buf, n, off);
}

/* FAMFS_RS_RAW_SET_FD with descriptor `dax`; 0 or -1 with errno. */
static int set_fd(int node, int dax)
{
	int32_t arg = dax;

	return ioctl(node, FAMFS_RS_RAW_SET_FD, &arg);
}

/* Opens NODE: a raw node's path, or fsdev:DEVDAX (the fsdev node, given
 * DEVDAX). -1 with errno on failure. */
static int open_node(const char *node, int flags)
{
	int fd, dax, e;

	if (strncmp(node, FSDEV_PREFIX, strlen(FSDEV_PREFIX)))
		return open(node, flags);
	fd = open(FSDEV_NODE, flags);
	if (fd < 0)
		return -1;
	/* Writable through the node only if given a writable descriptor. */
	dax = open(node + strlen(FSDEV_PREFIX), (flags & O_ACCMODE) == O_RDWR ? O_RDWR : O_RDONLY);
	if (dax < 0 || set_fd(fd, dax)) {
		e = errno;
		close(fd);
		if (dax >= 0)
			close(dax);
		errno = e;
		return -1;
	}
	close(dax);
	return fd;
}

static int one_write(const char *node, int64_t off)
{
	char c;
	int fd = open_node(node, O_RDWR);

	if (fd < 0) {
		printf("%s\n", errno_name(errno));
		return 1;
	}
	if (raw_pread(fd, &c, 1, off) != 1 || raw_pwrite(fd, &c, 1, off) != 1) {
		printf("%s\n", errno_name(errno));
		return 1;
	}
	printf("ok\n");
	return 0;
}

static int hostile(const char *node, int64_t size)
{
	const size_t huge = (size_t)1 << 30;
	char page[4096], back[4096], saved[4096];
	struct iovec iov[2];
	char *big;
	ssize_t n;
	int fd;

	fd = open_node(node, O_RDWR);
	check(fd >= 0, "open the raw node read-write");
	if (fd < 0)
		return 1;
	/* A 1 GiB buffer nothing backs until touched: a "huge length". */
	big = mmap(NULL, huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	check(big != MAP_FAILED, "map a 1 GiB buffer");
	if (big == MAP_FAILED)
		return 1;

	n = raw_pread(fd, page, sizeof(page), size);
	check(n == 0, "pread at the end reads nothing");
	n = raw_pread(fd, page, sizeof(page), INT64_MAX - 4096);
	check(n == 0, "pread at INT64_MAX - 4096 reads nothing");
	n = raw_pread(fd, page, sizeof(page), size - 10);
	check(n == 10, "pread across the end is cut at it (10 bytes)");
	n = raw_pread(fd, big, huge, size - 4096);
	check(n == 4096, "pread of 1 GiB at the last page reads the page");
	check_fails(raw_pread(fd, page, sizeof(page), -1), EINVAL, "pread at -1: EINVAL");
	check_fails(raw_pread(fd, page, sizeof(page), INT64_MIN), EINVAL, "pread at INT64_MIN: EINVAL");
	check_fails(raw_pread(fd, page, sizeof(page), INT64_MAX - 10), EINVAL, "pread whose end overflows: EINVAL");
	check_fails(raw_pread(fd, NULL, sizeof(page), 0), EFAULT, "pread into NULL: EFAULT");
	check_fails(raw_pread(fd, (void *)-4096L, sizeof(page), 0), EFAULT, "pread into a kernel address: EFAULT");

	check_fails(raw_pwrite(fd, page, sizeof(page), size), ENOSPC, "pwrite at the end: ENOSPC");
	check_fails(raw_pwrite(fd, page, sizeof(page), INT64_MAX - 4096), ENOSPC, "pwrite at INT64_MAX - 4096: ENOSPC");
	check_fails(raw_pwrite(fd, page, sizeof(page), -4096), EINVAL, "pwrite at -4096: EINVAL");
	check_fails(raw_pwrite(fd, NULL, sizeof(page), size - 4096), EFAULT, "pwrite from NULL: EFAULT");

	/* The last page: saved, overwritten, read back (in two pieces, one
	 * of them across the end), restored. */
	check(raw_pread(fd, saved, sizeof(saved), size - 4096) == 4096, "save the last page");
	memset(page, 0x5a, sizeof(page));
	n = raw_pwrite(fd, page, sizeof(page) + 100, size - 4096);
	check(n == 4096, "pwrite across the end is cut at it");
	iov[0] = (struct iovec){ back, 100 };
	iov[1] = (struct iovec){ back + 100, sizeof(back) - 100 };
	n = preadv(fd, iov, 2, size - 4096);
	check(n == 4096 && !memcmp(page, back, sizeof(page)), "the page reads back (preadv)");
	check(raw_pwrite(fd, saved, sizeof(saved), size - 4096) == 4096, "restore the last page");

	/* More than one 2 MiB piece, unaligned at both ends: 5 MiB + 123
	 * bytes at 4097 bytes past the start of the last 8 MiB but one page
	 * (saved and restored). */
	{
		const size_t len = (5 << 20) + 123;
		const int64_t at = size - (8 << 20) + 4097;
		char *old = malloc(len), *pat = malloc(len), *got = malloc(len);

		check(old && pat && got, "allocate 3 x 5 MiB");
		if (old && pat && got) {
			for (size_t i = 0; i < len; i++)
				pat[i] = (char)(i * 7 + 3);
			check(raw_pread(fd, old, len, at) == (ssize_t)len, "save 5 MiB + 123 at an odd offset");
			check(raw_pwrite(fd, pat, len, at) == (ssize_t)len, "pwrite 5 MiB + 123 at an odd offset");
			check(raw_pread(fd, got, len, at) == (ssize_t)len && !memcmp(pat, got, len),
			      "it reads back (three pieces)");
			check(raw_pwrite(fd, old, len, at) == (ssize_t)len, "restore them");
		}
		free(old);
		free(pat);
		free(got);
	}
	munmap(big, huge);
	close(fd);
	return failures ? 1 : 0;
}

static int watch(const char *node, int back)
{
	char c;
	int fd = open_node(node, O_RDONLY);
	int i;

	if (fd < 0) {
		printf("open: %s\n", errno_name(errno));
		return 1;
	}
	printf("watching\n");
	fflush(stdout);
	for (i = 0; i < 3000; i++) {
		if (pread(fd, &c, 1, 0) != 1) {
			printf("%s\n", errno_name(errno));
			fflush(stdout);
			break;
		}
		usleep(20000);
	}
	if (i == 3000) {
		printf("no read failed within 60 s\n");
		return 1;
	}
	if (!back)
		return 0;
	for (i = 0; i < 3000; i++) {
		if (pread(fd, &c, 1, 0) == 1) {
			printf("back\n");
			return 0;
		}
		usleep(20000);
	}
	printf("no read worked again within 60 s (last: %s)\n", errno_name(errno));
	return 1;
}

static int stallwrite(const char *node, int64_t size, const char *src, const char *go)
{
	char saved[4096];
	void *map;
	int fd, sfd;

	fd = open_node(node, O_RDWR);
	sfd = open(src, O_RDONLY);
	if (fd < 0 || sfd < 0) {
		printf("open: %s\n", errno_name(errno));
		return 1;
	}
	map = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, sfd, 0);
	if (map == MAP_FAILED || size < 4096 || pread(fd, saved, 4096, size - 4096) != 4096) {
		printf("setup: %s\n", errno_name(errno));
		return 1;
	}
	printf("mapped\n");
	fflush(stdout);
	while (access(go, F_OK))
		usleep(20000);
	if (pwrite(fd, map, 4096, size - 4096) != 4096) {
		printf("%s\n", errno_name(errno));
		return 1;
	}
	if (pwrite(fd, saved, 4096, size - 4096) != 4096) {
		printf("restore: %s\n", errno_name(errno));
		return 1;
	}
	printf("ok\n");
	return 0;
}

static int setfd(const char *devdax, const char *other)
{
	char c;
	int fd, dax, closed, path, reg, null, odax;

	fd = open(FSDEV_NODE, O_RDWR);
	check(fd >= 0, "open " FSDEV_NODE);
	if (fd < 0)
		return 1;
	check_fails(pread(fd, &c, 1, 0), ENXIO, "pread before SET_FD: ENXIO");
	check_fails(pwrite(fd, &c, 1, 0), ENXIO, "pwrite before SET_FD: ENXIO");
	check_fails(ioctl(fd, _IOW(FAMFS_RS_IOC_MAGIC, 2, int32_t), &c), ENOTTY, "an unknown ioctl: ENOTTY");
	check_fails(ioctl(fd, FAMFS_RS_RAW_SET_FD, NULL), EFAULT, "SET_FD with NULL: EFAULT");
	check_fails(set_fd(fd, -1), EBADF, "SET_FD of -1: EBADF");
	closed = open("/dev/null", O_RDONLY);
	close(closed);
	check_fails(set_fd(fd, closed), EBADF, "SET_FD of a closed descriptor: EBADF");
	path = open(devdax, O_PATH);
	errno = 0;
	check(path >= 0 && set_fd(fd, path) < 0 && errno == EBADF, "SET_FD of an O_PATH descriptor: EBADF");
	close(path);
	reg = open("/proc/self/status", O_RDONLY);
	errno = 0;
	check(reg >= 0 && set_fd(fd, reg) < 0 && errno == ENODEV, "SET_FD of a regular file: ENODEV");
	close(reg);
	null = open("/dev/null", O_RDONLY);
	errno = 0;
	check(null >= 0 && set_fd(fd, null) < 0 && errno == ENODEV, "SET_FD of /dev/null: ENODEV");
	close(null);
	if (other) {
		odax = open(other, O_RDONLY);
		errno = 0;
		check(odax >= 0 && set_fd(fd, odax) < 0 && errno == ENODEV,
		      "SET_FD of a devdax device not on fsdev_dax: ENODEV");
		close(odax);
	}
	check_fails(pread(fd, &c, 1, 0), ENXIO, "pread after the refused ones: ENXIO");
	dax = open(devdax, O_RDWR);
	check(dax >= 0 && set_fd(fd, dax) == 0, "SET_FD of the device (open read-write)");
	check_fails(set_fd(fd, dax), EBUSY, "SET_FD a second time: EBUSY");
	close(dax);
	check(pread(fd, &c, 1, 0) == 1, "pread after its descriptor is closed");
	check(pwrite(fd, &c, 1, 0) == 1, "pwrite (given a writable descriptor)");
	close(fd);
	/* Given a read-only descriptor, the file is read-only. */
	fd = open(FSDEV_NODE, O_RDWR);
	dax = open(devdax, O_RDONLY);
	check(fd >= 0 && dax >= 0 && set_fd(fd, dax) == 0, "SET_FD of a read-only descriptor");
	close(dax);
	check(pread(fd, &c, 1, 0) == 1, "pread through it");
	check_fails(pwrite(fd, &c, 1, 0), EBADF, "pwrite through it: EBADF");
	close(fd);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "stallwrite"))
		return stallwrite(argv[2], strtoll(argv[3], NULL, 0), argv[4], argv[5]);
	if ((argc == 3 || (argc == 4 && !strcmp(argv[3], "back"))) && !strcmp(argv[1], "watch"))
		return watch(argv[2], argc == 4);
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "setfd"))
		return setfd(argv[2], argc == 4 ? argv[3] : NULL);
	if (argc == 4 && !strcmp(argv[1], "hostile"))
		return hostile(argv[2], strtoll(argv[3], NULL, 0));
	if (argc == 4 && !strcmp(argv[1], "pwrite"))
		return one_write(argv[2], strtoll(argv[3], NULL, 0));
	fprintf(stderr, "usage: %s hostile NODE SIZE | pwrite NODE OFFSET | watch NODE [back] | stallwrite NODE SIZE SRC GO | setfd DEVDAX [OTHER]\n",
		argv[0]);
	return 2;
}

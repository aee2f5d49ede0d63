// SPDX-License-Identifier: GPL-2.0
/*
 * layout_probe: what famfs promises about a file's layout, as programs
 * that rely on it (RDMA registration, hypervisors) see it.
 *
 *   layout_probe mapsync FILE OTHER  mmap FILE MAP_SHARED_VALIDATE|MAP_SYNC
 *                                    (must work), store through it and read
 *                                    it back with pread; the same mmap of
 *                                    OTHER (on a file system without
 *                                    MAP_SYNC) must fail with EOPNOTSUPP
 *   layout_probe fiemap FILE         FS_IOC_FIEMAP: one line per extent,
 *                                    "LOGICAL PHYSICAL LENGTH FLAGS" (hex)
 *
 * Prints "ok ..." lines (fiemap: the extents) and exits 0, or "FAIL: ...".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif

#define MAX_EXTENTS 512

static int mapsync(const char *file, const char *other)
{
	struct stat st;
	int fd = open(file, O_RDWR), ofd = open(other, O_RDWR);
	uint8_t *m, *back;
	void *om;
	off_t i;

	if (fd < 0 || ofd < 0 || fstat(fd, &st) < 0)
		return printf("FAIL: opening %s and %s\n", file, other), 1;
	m = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED_VALIDATE | MAP_SYNC, fd, 0);
	check(m != MAP_FAILED, "mmap MAP_SHARED_VALIDATE|MAP_SYNC of the famfs file");
	if (m == MAP_FAILED)
		return 1;
	for (i = 0; i < st.st_size; i++)
		m[i] = (uint8_t)(i * 7 + 3);
	back = malloc(st.st_size);
	check(back && pread(fd, back, st.st_size, 0) == st.st_size && !memcmp(back, m, st.st_size),
	      "stores through the MAP_SYNC mapping read back with pread");
	munmap(m, st.st_size);
	errno = 0;
	om = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED_VALIDATE | MAP_SYNC, ofd, 0);
	check(om == MAP_FAILED && errno == EOPNOTSUPP,
	      "the same mmap on a file system without MAP_SYNC: EOPNOTSUPP");
	return failures != 0;
}

static int fiemap(const char *file)
{
	size_t size = sizeof(struct fiemap) + MAX_EXTENTS * sizeof(struct fiemap_extent);
	struct fiemap *fm = calloc(1, size);
	int fd = open(file, O_RDONLY);
	unsigned int i;

	if (!fm || fd < 0)
		return printf("FAIL: opening %s\n", file), 1;
	fm->fm_start = 0;
	fm->fm_length = FIEMAP_MAX_OFFSET;
	fm->fm_flags = FIEMAP_FLAG_SYNC;
	fm->fm_extent_count = MAX_EXTENTS;
	if (ioctl(fd, FS_IOC_FIEMAP, fm) < 0)
		return printf("FAIL: FS_IOC_FIEMAP (errno %d %s)\n", errno, strerror(errno)), 1;
	for (i = 0; i < fm->fm_mapped_extents; i++) {
		struct fiemap_extent *e = &fm->fm_extents[i];

		printf("0x%llx 0x%llx 0x%llx 0x%x\n", (unsigned long long)e->fe_logical,
		       (unsigned long long)e->fe_physical, (unsigned long long)e->fe_length,
		       e->fe_flags);
	}
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc == 4 && !strcmp(argv[1], "mapsync"))
		return mapsync(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "fiemap"))
		return fiemap(argv[2]);
	fprintf(stderr, "usage: layout_probe mapsync FILE OTHER | fiemap FILE\n");
	return 2;
}

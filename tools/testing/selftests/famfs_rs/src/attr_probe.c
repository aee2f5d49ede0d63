// SPDX-License-Identifier: GPL-2.0
/*
 * attr_probe: what a program sees of a famfs file's attributes, beyond
 * what busybox's stat and test show.
 *
 *   attr_probe access PATH    access(PATH, W_OK): "ok" or the errno name
 *   attr_probe dioalign PATH  statx(STATX_DIOALIGN): "MEM OFFSET", or
 *                             "none" when not reported; then an O_DIRECT
 *                             read at those alignments must work
 *   attr_probe tail PATH      the non-zero bytes a shared mapping shows
 *                             from the end of the file to the end of its
 *                             last page
 *
 * Exits 0 when the call ran (whatever it answered), 1 when it could not.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *errname(int e)
{
	switch (e) {
	case EROFS: return "EROFS";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case EIO: return "EIO";
	case ENOENT: return "ENOENT";
	case EINVAL: return "EINVAL";
	default: return "other";
	}
}

static int do_access(const char *path)
{
	if (access(path, W_OK) == 0)
		printf("ok\n");
	else
		printf("%s\n", errname(errno));
	return 0;
}

static int do_dioalign(const char *path)
{
	struct statx stx;
	char *buf;
	int fd;
	ssize_t n;

	memset(&stx, 0, sizeof(stx));
	if (syscall(SYS_statx, AT_FDCWD, path, 0, STATX_DIOALIGN, &stx)) {
		perror("statx");
		return 1;
	}
	if (!(stx.stx_mask & STATX_DIOALIGN) || !stx.stx_dio_mem_align ||
	    !stx.stx_dio_offset_align) {
		printf("none\n");
		return 0;
	}
	printf("%u %u\n", stx.stx_dio_mem_align, stx.stx_dio_offset_align);
	/* A buffer and an offset exactly as aligned as reported, no more. */
	if (posix_memalign((void **)&buf, 1 << 21, 1 << 22))
		return 1;
	fd = open(path, O_RDONLY | O_DIRECT);
	if (fd < 0) {
		perror("open O_DIRECT");
		return 1;
	}
	n = pread(fd, buf + stx.stx_dio_mem_align, stx.stx_dio_offset_align,
		  stx.stx_dio_offset_align);
	if (n < 0) {
		perror("O_DIRECT pread at the reported alignments");
		return 1;
	}
	close(fd);
	free(buf);
	return 0;
}

static int do_tail(const char *path)
{
	long page = sysconf(_SC_PAGESIZE);
	off_t size, map_len, i, nonzero = 0;
	unsigned char *p;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0) {
		perror("open");
		return 1;
	}
	size = lseek(fd, 0, SEEK_END);
	if (size <= 0) {
		fprintf(stderr, "%s: empty\n", path);
		return 1;
	}
	map_len = (size + page - 1) / page * page;
	p = mmap(NULL, map_len, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (i = size; i < map_len; i++)
		nonzero += p[i] != 0;
	printf("%lld\n", (long long)nonzero);
	munmap(p, map_len);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "access"))
		return do_access(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "dioalign"))
		return do_dioalign(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "tail"))
		return do_tail(argv[2]);
	fprintf(stderr, "usage: attr_probe access|dioalign|tail PATH\n");
	return 1;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * fence_probe: what a memory failure fences, and when a sync is durable.
 *
 *   fence_probe poisoned FILE STORE_OFF POISON_OFF
 *       open FILE twice, store through a shared mapping at STORE_OFF (a
 *       dirty page), MADV_HWPOISON the page at POISON_OFF: the file is
 *       fenced, so msync(MS_SYNC) of the stored page, fsync and fdatasync
 *       on both descriptors, pread and pwrite all fail with EIO (a sync
 *       that returned 0 would claim stores durable that were not flushed)
 *   fence_probe serves FILE SEED
 *       pwrite a pattern, read it through a mapping, store another through
 *       it, msync(MS_SYNC), fsync, fdatasync, pread it back: all succeed
 *   fence_probe syncs FILE COUNTER
 *       how much COUNTER (the mount's store_fences debugfs file) moves for
 *       each kind of write and sync: 0 for a plain pwrite and MS_ASYNC,
 *       1 for O_SYNC and O_DSYNC writes, pwritev2 RWF_DSYNC and RWF_SYNC,
 *       fsync, fdatasync and msync(MS_SYNC)
 *
 * Prints "ok ..." lines, or "FAIL: ..."; exits 1 if any check failed.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "check.h"
#include "pattern.h"

#define PAGE 4096UL

static sigjmp_buf jump;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(jump, 1);
}

static off_t size_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) < 0 ? -1 : st.st_size;
}

/* Whether r is a failure with EIO; what is printed says what came. */
static void check_eio(long r, const char *what)
{
	char line[160];

	snprintf(line, sizeof(line), "%s fails with EIO (returned %ld)", what, r);
	check(r < 0 && errno == EIO, line);
}

static int poisoned(const char *path, off_t store_off, off_t poison_off)
{
	struct sigaction sa = { .sa_handler = on_sigbus };
	int fd1 = open(path, O_RDWR), fd2 = open(path, O_RDWR);
	off_t size = fd1 < 0 ? -1 : size_of(fd1);
	volatile uint8_t *m;
	char b = 0;

	check(fd1 >= 0 && fd2 >= 0 && size > poison_off && size > store_off, "open twice");
	if (failures)
		return 1;
	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd1, 0);
	check(m != MAP_FAILED, "mmap");
	if (failures)
		return 1;
	m[store_off] = 0x5a;
	(void)m[poison_off];
	sigaction(SIGBUS, &sa, NULL);
	if (sigsetjmp(jump, 1) == 0) {
		if (madvise((void *)(m + poison_off), PAGE, MADV_HWPOISON) < 0) {
			check(0, "madvise(MADV_HWPOISON)");
			return 1;
		}
		(void)m[poison_off];
		check(0, "SIGBUS touching the poisoned page");
	} else {
		printf("ok SIGBUS for the poisoned page\n");
	}
	check_eio(msync((void *)(m + (store_off & ~(PAGE - 1))), PAGE, MS_SYNC),
		  "msync(MS_SYNC) of the dirty page");
	check_eio(fsync(fd1), "fsync (first descriptor)");
	check_eio(fsync(fd2), "fsync (second descriptor)");
	check_eio(fdatasync(fd1), "fdatasync");
	check_eio(fsync(fd1), "fsync again");
	check_eio(pread(fd2, &b, 1, store_off), "pread");
	check_eio(pwrite(fd2, &b, 1, store_off), "pwrite");
	return failures ? 1 : 0;
}

static int serves(const char *path, uint64_t seed)
{
	int fd = open(path, O_RDWR);
	off_t size = fd < 0 ? -1 : size_of(fd), i;
	uint8_t *m, *buf;

	check(fd >= 0 && size > 0, "open");
	if (failures)
		return 1;
	buf = malloc(size);
	check(buf != NULL, "malloc");
	if (failures)
		return 1;
	for (i = 0; i < size; i++)
		buf[i] = pattern(seed, i);
	check(pwrite(fd, buf, size, 0) == size, "pwrite");
	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check(m != MAP_FAILED, "mmap");
	if (failures)
		return 1;
	check(memcmp(m, buf, size) == 0, "the mapping reads what pwrite stored");
	for (i = 0; i < size; i++)
		m[i] = buf[i] = pattern(seed + 1, i);
	check(msync(m, size, MS_SYNC) == 0, "msync(MS_SYNC)");
	check(fsync(fd) == 0, "fsync");
	check(fdatasync(fd) == 0, "fdatasync");
	{
		uint8_t *back = malloc(size);

		check(back && pread(fd, back, size, 0) == size && memcmp(back, buf, size) == 0,
		      "pread reads what the mapping stored");
		free(back);
	}
	munmap(m, size);
	free(buf);
	close(fd);
	return failures ? 1 : 0;
}

static long long read_counter(const char *path)
{
	long long v = -1;
	FILE *f = fopen(path, "r");

	if (!f || fscanf(f, "%lld", &v) != 1)
		v = -1;
	if (f)
		fclose(f);
	return v;
}

/* Checks that COUNTER moved by want across the last operation. */
static void moved(const char *counter, long long *last, long long want, long r, const char *what)
{
	long long now = read_counter(counter);
	char line[160];

	snprintf(line, sizeof(line), "%s (returned %ld): store fences %+lld, expected %+lld", what,
		 r, now < 0 || *last < 0 ? -1 : now - *last, want);
	check(r >= 0 && now >= 0 && *last >= 0 && now - *last == want, line);
	*last = now;
}

static int syncs(const char *path, const char *counter)
{
	char buf[PAGE];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	long long last = read_counter(counter);
	int fd = open(path, O_RDWR), fds = open(path, O_RDWR | O_SYNC),
	    fdd = open(path, O_RDWR | O_DSYNC);
	uint8_t *m;

	check(fd >= 0 && fds >= 0 && fdd >= 0, "open (plain, O_SYNC, O_DSYNC)");
	check(last >= 0, "the store_fences counter can be read");
	if (failures)
		return 1;
	memset(buf, 0x3c, sizeof(buf));
	moved(counter, &last, 0, pwrite(fd, buf, sizeof(buf), 0), "pwrite");
	moved(counter, &last, 1, pwrite(fds, buf, sizeof(buf), 0), "O_SYNC pwrite");
	moved(counter, &last, 1, pwrite(fdd, buf, sizeof(buf), 0), "O_DSYNC pwrite");
	moved(counter, &last, 1, pwritev2(fd, &iov, 1, 0, RWF_DSYNC), "pwritev2 RWF_DSYNC");
	moved(counter, &last, 1, pwritev2(fd, &iov, 1, 0, RWF_SYNC), "pwritev2 RWF_SYNC");
	moved(counter, &last, 1, fsync(fd), "fsync");
	moved(counter, &last, 1, fdatasync(fd), "fdatasync");
	m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check(m != MAP_FAILED, "mmap");
	if (failures)
		return 1;
	m[0] = 1;
	moved(counter, &last, 0, msync(m, PAGE, MS_ASYNC), "msync(MS_ASYNC)");
	m[1] = 2;
	moved(counter, &last, 1, msync(m, PAGE, MS_SYNC), "msync(MS_SYNC)");
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc == 5 && !strcmp(argv[1], "poisoned"))
		return poisoned(argv[2], strtoll(argv[3], NULL, 0), strtoll(argv[4], NULL, 0));
	if (argc == 4 && !strcmp(argv[1], "serves"))
		return serves(argv[2], strtoull(argv[3], NULL, 0));
	if (argc == 4 && !strcmp(argv[1], "syncs"))
		return syncs(argv[2], argv[3]);
	fprintf(stderr, "usage: fence_probe poisoned FILE STORE_OFF POISON_OFF | serves FILE SEED | syncs FILE COUNTER\n");
	return 2;
}

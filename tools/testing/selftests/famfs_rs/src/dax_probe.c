// SPDX-License-Identifier: GPL-2.0
/*
 * dax_probe: data-path checks on a famfs file, as a user program sees it.
 *
 *   dax_probe rw FILE SEED          write() a pattern, read it via mmap;
 *                                   store another via mmap, read via pread
 *   dax_probe fill FILE SEED        write() the pattern over the whole file
 *   dax_probe check FILE SEED       read() it back and compare
 *   dax_probe touch FILE ROUNDS [COUNTER]
 *                                   map the file (PROT_READ) and read one
 *                                   byte of every 4 KiB page ROUNDS times;
 *                                   with COUNTER (a debugfs counter file),
 *                                   print how much it grew while faulting
 *   dax_probe poison FILE OFFSET    map it, MADV_HWPOISON the page at
 *                                   OFFSET, report the SIGBUS
 *   dax_probe hold FILE SECONDS     map and touch the file, wait, touch it
 *                                   again: expects SIGBUS (the mapping was
 *                                   taken away meanwhile)
 *   dax_probe rawcheck DEV DEVOFF FILEOFF LEN SEED
 *                                   map a devdax (DEVOFF 2 MiB aligned) and
 *                                   check LEN bytes there hold the pattern
 *                                   of file offset FILEOFF
 *
 * The pattern is a function of (seed, offset), so any byte can be checked
 * anywhere. Prints "ok ..." and exits 0, or "FAIL: ..." and exits 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pattern.h"

#define PAGE 4096UL
#define CHUNK (1UL << 20)

static int fail(const char *what)
{
	printf("FAIL: %s (errno %d %s)\n", what, errno, strerror(errno));
	return 1;
}

static int open_size(const char *path, int flags, off_t *size)
{
	struct stat st;
	int fd = open(path, flags);

	if (fd < 0 || fstat(fd, &st) < 0)
		return -1;
	*size = st.st_size;
	return fd;
}

/* Bytes of the chunk at off in a file of size bytes. */
static size_t chunk_len(off_t size, off_t off)
{
	return size - off < (off_t)CHUNK ? (size_t)(size - off) : CHUNK;
}

/* write(2) the pattern for seed over [0, size). */
static int fill(int fd, off_t size, uint64_t seed)
{
	static uint8_t buf[CHUNK];
	off_t off;

	for (off = 0; off < size; off += CHUNK) {
		size_t n = chunk_len(size, off);
		size_t i;

		for (i = 0; i < n; i++)
			buf[i] = pattern(seed, off + i);
		if (pwrite(fd, buf, n, off) != (ssize_t)n)
			return -1;
	}
	return 0;
}

/* read(2) [0, size) back; returns the first bad offset or -1 if all match. */
static off_t check(int fd, off_t size, uint64_t seed)
{
	static uint8_t buf[CHUNK];
	off_t off;

	for (off = 0; off < size; off += CHUNK) {
		size_t n = chunk_len(size, off);
		size_t i;

		if (pread(fd, buf, n, off) != (ssize_t)n)
			return off;
		for (i = 0; i < n; i++)
			if (buf[i] != pattern(seed, off + i))
				return off + i;
	}
	return -1;
}

static int rw(const char *path, uint64_t seed)
{
	off_t size, bad, i;
	int fd = open_size(path, O_RDWR, &size);
	uint8_t *m;

	if (fd < 0)
		return fail("open");
	if (fill(fd, size, seed) < 0)
		return fail("write()");
	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return fail("mmap");
	for (i = 0; i < size; i++)
		if (m[i] != pattern(seed, i)) {
			printf("FAIL: mmap sees byte %lld differ from what write() stored\n", (long long)i);
			return 1;
		}
	printf("ok write() then mmap read: %lld bytes match\n", (long long)size);
	for (i = 0; i < size; i++)
		m[i] = pattern(seed + 1, i);
	if (msync(m, size, MS_SYNC) < 0)
		return fail("msync");
	bad = check(fd, size, seed + 1);
	if (bad >= 0) {
		printf("FAIL: read() sees byte %lld differ from what the mapping stored\n", (long long)bad);
		return 1;
	}
	printf("ok mmap store then read(): %lld bytes match\n", (long long)size);
	munmap(m, size);
	close(fd);
	return 0;
}

static long long read_counter(const char *path)
{
	long long v = -1;
	FILE *f;

	if (!path)
		return 0;
	f = fopen(path, "r");
	if (!f || fscanf(f, "%lld", &v) != 1)
		v = -1;
	if (f)
		fclose(f);
	return v;
}

static int touch(const char *path, int rounds, const char *counter)
{
	long long c0, c1;
	off_t size, off;
	int fd = open_size(path, O_RDONLY, &size), r;
	volatile uint8_t *m;
	unsigned long sum = 0;

	if (fd < 0)
		return fail("open");
	m = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return fail("mmap");
	printf("# mapped at %p (%s 2 MiB aligned)\n", (void *)m,
	       ((uintptr_t)m & ((2UL << 20) - 1)) ? "not" : "");
	c0 = read_counter(counter);
	for (r = 0; r < rounds; r++) {
		for (off = 0; off < size; off += PAGE)
			sum += m[off];
		/* Drop the page tables, so that the next round faults again. */
		if (r + 1 < rounds && madvise((void *)m, size, MADV_DONTNEED) < 0)
			return fail("madvise(MADV_DONTNEED)");
	}
	c1 = read_counter(counter);
	printf("ok touched %lld pages x %d rounds (sum %lu)\n", (long long)(size / PAGE), rounds, sum);
	if (counter)
		printf("counter delta while faulting: %lld\n", c0 < 0 || c1 < 0 ? -1 : c1 - c0);
	munmap((void *)m, size);
	close(fd);
	return 0;
}

static sigjmp_buf jump;
static volatile void *bus_addr;
static volatile int bus_code;
static volatile int bus_lsb;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	bus_addr = si->si_addr;
	bus_code = si->si_code;
	bus_lsb = si->si_addr_lsb;
	siglongjmp(jump, 1);
}

static int poison(const char *path, off_t offset)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };
	off_t size;
	int fd = open_size(path, O_RDWR, &size);
	volatile uint8_t *m;

	if (fd < 0)
		return fail("open");
	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return fail("mmap");
	(void)m[offset];
	sigaction(SIGBUS, &sa, NULL);
	if (sigsetjmp(jump, 1) == 0) {
		if (madvise((void *)(m + offset), PAGE, MADV_HWPOISON) < 0)
			return fail("madvise(MADV_HWPOISON)");
		/* Touch it: the page is gone. */
		(void)m[offset];
		printf("FAIL: no SIGBUS after poisoning offset %lld\n", (long long)offset);
		return 1;
	}
	/* si_addr_lsb is the size of what was lost: the address names the
	 * poisoned byte at that granularity (6.12 names the page itself with
	 * lsb 21; 7.x the start of the huge page that holds it). */
	{
		uintptr_t want = (uintptr_t)(m + offset);
		uintptr_t got = (uintptr_t)bus_addr;
		uintptr_t mask = bus_lsb > 0 && bus_lsb < 64 ? ~(((uintptr_t)1 << bus_lsb) - 1) : ~(uintptr_t)0;
		int hit = (got & mask) == (want & mask);

		printf("ok SIGBUS code %d at %s address (%#lx for %#lx, lsb %d)\n", bus_code,
		       hit ? "the poisoned" : "another", (unsigned long)got,
		       (unsigned long)want, bus_lsb);
		return hit ? 0 : 1;
	}
}

static int hold(const char *path, int seconds)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };
	off_t size, off;
	int fd = open_size(path, O_RDONLY, &size);
	volatile uint8_t *m;
	unsigned long sum = 0;

	if (fd < 0)
		return fail("open");
	m = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return fail("mmap");
	for (off = 0; off < size; off += PAGE)
		sum += m[off];
	printf("# mapped and touched (sum %lu); waiting %d s\n", sum, seconds);
	sleep(seconds);
	sigaction(SIGBUS, &sa, NULL);
	if (sigsetjmp(jump, 1) == 0) {
		for (off = 0; off < size; off += PAGE)
			sum += m[off];
		printf("FAIL: the mapping still works after the device went\n");
		return 1;
	}
	printf("ok SIGBUS (code %d) touching the mapping after the device went\n", bus_code);
	return 0;
}

static int rawcheck(const char *dev, off_t devoff, off_t fileoff, size_t len, uint64_t seed)
{
	int fd = open(dev, O_RDONLY);
	uint8_t *m;
	size_t i;

	if (fd < 0)
		return fail("open the devdax");
	m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, devoff);
	if (m == MAP_FAILED)
		return fail("mmap the devdax");
	for (i = 0; i < len; i++)
		if (m[i] != pattern(seed, fileoff + i)) {
			printf("FAIL: device offset %#llx + %zu does not hold file offset %#llx + %zu\n",
			       (long long)devoff, i, (long long)fileoff, i);
			return 1;
		}
	printf("ok device %#llx holds file %#llx (%zu bytes)\n", (long long)devoff,
	       (long long)fileoff, len);
	return 0;
}

int main(int argc, char **argv)
{
	off_t size;
	int fd;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc == 4 && !strcmp(argv[1], "rw"))
		return rw(argv[2], strtoull(argv[3], NULL, 0));
	if (argc == 4 && !strcmp(argv[1], "fill")) {
		fd = open_size(argv[2], O_RDWR, &size);
		if (fd < 0 || fill(fd, size, strtoull(argv[3], NULL, 0)) < 0)
			return fail("fill");
		printf("ok filled %lld bytes\n", (long long)size);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "check")) {
		off_t bad;

		fd = open_size(argv[2], O_RDONLY, &size);
		if (fd < 0)
			return fail("open");
		bad = check(fd, size, strtoull(argv[3], NULL, 0));
		if (bad >= 0) {
			printf("FAIL: byte %lld differs\n", (long long)bad);
			return 1;
		}
		printf("ok %lld bytes match\n", (long long)size);
		return 0;
	}
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "touch"))
		return touch(argv[2], atoi(argv[3]), argc == 5 ? argv[4] : NULL);
	if (argc == 4 && !strcmp(argv[1], "hold"))
		return hold(argv[2], atoi(argv[3]));
	if (argc == 7 && !strcmp(argv[1], "rawcheck"))
		return rawcheck(argv[2], strtoll(argv[3], NULL, 0), strtoll(argv[4], NULL, 0),
				strtoull(argv[5], NULL, 0), strtoull(argv[6], NULL, 0));
	if (argc == 4 && !strcmp(argv[1], "poison"))
		return poison(argv[2], strtoll(argv[3], NULL, 0));
	fprintf(stderr, "usage: dax_probe rw|fill|check FILE SEED | touch FILE ROUNDS | poison FILE OFFSET\n");
	return 2;
}

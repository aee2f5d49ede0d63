// SPDX-License-Identifier: GPL-2.0
/*
 * twohost: the two-guest selftests' helper (the files in twohost/).
 *
 * Two guests share the CXL memory. They keep in step through a mailbox in
 * it: the last 4 KiB of the second devdax (/dev/dax1.0, which stays with
 * device_dax on both guests throughout), one 64-bit word per role holding
 * the last step that role reached. The host makes the backing file afresh
 * (zeros) for every run. A guest that is gone (dead, or never booted) is
 * noticed by a timeout, once: later barriers then fail at once.
 *
 *   twohost ROLE barrier STEP [SECONDS]
 *        post STEP as ROLE's step, then wait until the other role's step
 *        is at least STEP (default 120 s)
 *   twohost ROLE finish
 *        post the last step there is, so the other guest never waits for
 *        this one again (guest-init runs it when the tests are over)
 *   twohost ROLE hold FILE OLD NEW STEP
 *        map FILE (shared, read-only), check it holds pattern OLD; barrier
 *        STEP (mapped: the other guest may rewrite it), barrier STEP+1 (it
 *        has, and synced it); check that the mapping, held all along, now
 *        shows pattern NEW
 *   twohost fill FILE SEED write|mmap
 *        store pattern SEED over FILE with write() then fsync(), or
 *        through a shared mapping then msync()
 *   twohost await DIR NAME SECONDS
 *        list DIR until NAME is in it; print how long that took
 *
 * ROLE is master or client. Prints "ok ..." and exits 0, or "FAIL: ..."
 * and exits 1.
 *
 * Real CXL memory need not be cache-coherent between hosts: a reader
 * evicts its cached copy of what it is about to read (clflush), a writer
 * of the mailbox pushes its store out the same way. (Two QEMU guests on
 * one host file are coherent; the flushes are there to be right, and
 * cannot be shown to matter here.)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <emmintrin.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pattern.h"

#define ALIGN_2M (2UL << 20)
#define LINE 64UL
#define CHUNK (1UL << 20)
#define MAILBOX_DEV "/dev/dax1.0"
#define PEER_GONE "/tmp/twohost.peer-gone"
#define LAST_STEP UINT64_MAX

static int fail(const char *what)
{
	printf("FAIL: %s (errno %d %s)\n", what, errno, strerror(errno));
	return 1;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void nap_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Evicts [p, p + len) from this CPU's caches (written back first if dirty). */
static void evict(const volatile void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p & ~(LINE - 1), end = (uintptr_t)p + len;

	for (; a < end; a += LINE)
		_mm_clflush((const void *)a);
	_mm_mfence();
}

/* The two mailbox words, [0] the master's and [1] the client's. */
static volatile uint64_t *mailbox(void)
{
	const char *dev = getenv("TWOHOST_MAILBOX") ?: MAILBOX_DEV;
	char path[256];
	unsigned long long size = 0;
	struct stat st;
	FILE *f;
	int fd = open(dev, O_RDWR);
	uint8_t *m;

	if (fd < 0 || fstat(fd, &st) < 0) {
		fail("open the mailbox device");
		exit(1);
	}
	/* A devdax's size is in sysfs; a plain file (to try this out) has one. */
	size = st.st_size;
	if (S_ISCHR(st.st_mode)) {
		snprintf(path, sizeof(path), "/sys/bus/dax/devices/%s/size", strrchr(dev, '/') + 1);
		f = fopen(path, "r");
		if (!f || fscanf(f, "%llu", &size) != 1)
			size = 0;
		if (f)
			fclose(f);
	}
	if (size < ALIGN_2M) {
		printf("FAIL: the mailbox device %s is smaller than 2 MiB\n", dev);
		exit(1);
	}
	/* A devdax maps in 2 MiB units: map the last 2 MiB, use its last page. */
	m = mmap(NULL, ALIGN_2M, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 (size & ~(ALIGN_2M - 1)) - ALIGN_2M);
	if (m == MAP_FAILED) {
		fail("mmap the mailbox device");
		exit(1);
	}
	return (volatile uint64_t *)(m + ALIGN_2M - 4096);
}

static int role_index(const char *role)
{
	if (!strcmp(role, "master"))
		return 0;
	if (!strcmp(role, "client"))
		return 1;
	printf("FAIL: unknown role '%s' (master or client)\n", role);
	exit(2);
}

static void post(volatile uint64_t *box, int me, uint64_t step)
{
	box[me] = step;
	evict(&box[me], sizeof(box[me]));
}

static uint64_t peek(volatile uint64_t *box, int other)
{
	evict(&box[other], sizeof(box[other]));
	return box[other];
}

static int barrier(int me, uint64_t step, int seconds)
{
	volatile uint64_t *box = mailbox();
	double t0 = now_ms(), waited;
	uint64_t seen;

	post(box, me, step);
	for (;;) {
		seen = peek(box, !me);
		if (seen >= step)
			break;
		if (access(PEER_GONE, F_OK) == 0) {
			printf("FAIL: step %llu: the other guest is gone (an earlier step timed "
			       "out; it is at %llu)\n", (unsigned long long)step,
			       (unsigned long long)seen);
			return 1;
		}
		if (now_ms() - t0 > seconds * 1e3) {
			close(open(PEER_GONE, O_CREAT | O_WRONLY, 0644));
			printf("FAIL: the other guest did not reach step %llu within %d s "
			       "(it is at %llu)\n", (unsigned long long)step, seconds,
			       (unsigned long long)seen);
			return 1;
		}
		/* Polls leave CPU time to the other guest (both are emulated on a
		 * few host cores): a few ms of latency is nothing here. */
		nap_ms(5);
	}
	waited = now_ms() - t0;
	if (waited > 10e3)
		printf("# step %llu: waited %.1f s for the other guest\n", (unsigned long long)step,
		       waited / 1e3);
	return 0;
}

static uint8_t *map_file(const char *path, int writable, off_t *size, int *fdp)
{
	struct stat st;
	int fd = open(path, writable ? O_RDWR : O_RDONLY);
	uint8_t *m;

	if (fd < 0 || fstat(fd, &st) < 0)
		return NULL;
	*size = st.st_size;
	m = mmap(NULL, st.st_size, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return NULL;
	*fdp = fd;
	return m;
}

/* The first offset of [0, size) at m that does not hold pattern seed, or -1. */
static off_t first_bad(const volatile uint8_t *m, off_t size, uint64_t seed)
{
	off_t i;

	for (i = 0; i < size; i++)
		if (m[i] != pattern(seed, i))
			return i;
	return -1;
}

static int hold(int me, const char *path, uint64_t old, uint64_t new, uint64_t step)
{
	off_t size, bad;
	int fd;
	uint8_t *m = map_file(path, 0, &size, &fd);

	if (!m)
		return fail("open and map the file");
	bad = first_bad(m, size, old);
	if (bad >= 0) {
		printf("FAIL: before the other guest wrote, byte %lld of the mapping is not pattern %llu\n",
		       (long long)bad, (unsigned long long)old);
		return 1;
	}
	if (barrier(me, step, 120) || barrier(me, step + 1, 120))
		return 1;
	/* The bytes changed under this host's caches: drop what they hold. */
	evict(m, size);
	bad = first_bad(m, size, new);
	if (bad >= 0) {
		printf("FAIL: the mapping held across the other guest's write shows old bytes "
		       "from offset %lld on\n", (long long)bad);
		return 1;
	}
	printf("ok the mapping held across the other guest's write shows its %lld bytes\n",
	       (long long)size);
	munmap(m, size);
	close(fd);
	return 0;
}

static int fill(const char *path, uint64_t seed, const char *how)
{
	static uint8_t buf[CHUNK];
	off_t size, off, i;
	int fd;

	if (!strcmp(how, "mmap")) {
		uint8_t *m = map_file(path, 1, &size, &fd);

		if (!m)
			return fail("open and map the file read-write");
		for (i = 0; i < size; i++)
			m[i] = pattern(seed, i);
		if (msync(m, size, MS_SYNC) < 0)
			return fail("msync");
		munmap(m, size);
	} else if (!strcmp(how, "write")) {
		struct stat st;

		fd = open(path, O_RDWR);
		if (fd < 0 || fstat(fd, &st) < 0)
			return fail("open the file read-write");
		size = st.st_size;
		for (off = 0; off < size; off += CHUNK) {
			size_t n = size - off < (off_t)CHUNK ? (size_t)(size - off) : CHUNK;

			for (i = 0; i < (off_t)n; i++)
				buf[i] = pattern(seed, off + i);
			if (pwrite(fd, buf, n, off) != (ssize_t)n)
				return fail("write");
		}
		if (fsync(fd) < 0)
			return fail("fsync");
	} else {
		printf("FAIL: fill how '%s'? (write or mmap)\n", how);
		return 2;
	}
	close(fd);
	printf("ok stored pattern %llu over %lld bytes (%s, synced)\n", (unsigned long long)seed,
	       (long long)size, how);
	return 0;
}

static int listed(const char *dir, const char *name)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int found = 0;

	if (!d)
		return 0;
	while (!found && (e = readdir(d)))
		found = !strcmp(e->d_name, name);
	closedir(d);
	return found;
}

static int await(const char *dir, const char *name, int seconds)
{
	double t0 = now_ms();

	while (!listed(dir, name)) {
		if (now_ms() - t0 > seconds * 1e3) {
			printf("FAIL: %s/%s is not listed after %d s\n", dir, name, seconds);
			return 1;
		}
		nap_ms(10);
	}
	printf("ok %s/%s listed after %.0f ms\n", dir, name, now_ms() - t0);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if ((argc == 4 || argc == 5) && !strcmp(argv[2], "barrier"))
		return barrier(role_index(argv[1]), strtoull(argv[3], NULL, 0),
			       argc == 5 ? atoi(argv[4]) : 120);
	if (argc == 3 && !strcmp(argv[2], "finish")) {
		post(mailbox(), role_index(argv[1]), LAST_STEP);
		return 0;
	}
	if (argc == 7 && !strcmp(argv[2], "hold"))
		return hold(role_index(argv[1]), argv[3], strtoull(argv[4], NULL, 0),
			    strtoull(argv[5], NULL, 0), strtoull(argv[6], NULL, 0));
	if (argc == 5 && !strcmp(argv[1], "fill"))
		return fill(argv[2], strtoull(argv[3], NULL, 0), argv[4]);
	if (argc == 5 && !strcmp(argv[1], "await"))
		return await(argv[2], argv[3], atoi(argv[4]));
	fprintf(stderr, "usage: twohost ROLE barrier STEP [SECONDS] | ROLE finish | "
			"ROLE hold FILE OLD NEW STEP | fill FILE SEED write|mmap | "
			"await DIR NAME SECONDS\n");
	return 2;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * randio MODE PATH COUNT SPAN [OFFSET]: COUNT accesses of 4 KiB at random
 * 4 KiB-aligned places in the SPAN bytes of PATH from OFFSET (2 MiB
 * aligned), timed. The places are the same for every PATH (fixed seed).
 *
 *   pread, pwrite   one system call per access
 *   mmap-read       map SPAN, copy each place out with rep movsb (the
 *                   kernel's copy routine), unmap: faults included
 *   mmap-write      the same, storing each place with rep movsb
 *   copy-read       the raw floor: the mapping faulted in first (untimed),
 *                   then each place copied out with rep movsb
 *   copy-write      the same into the mapping with the kernel's nocache
 *                   routine (movnti), as write() does
 *
 * Prints "ns=N ops=N".
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"

#define BLOCK (4 * KIB)
#define SEED 0x66616d6673ULL

static char buf[BLOCK] __attribute__((aligned(4096)));

int main(int argc, char **argv)
{
	uint64_t count, span, off = 0, t0, t1, state = SEED, *places;
	const char *mode;
	int fd, writing;

	if (argc < 5 || argc > 6)
		usage("randio pread|pwrite|mmap-read|mmap-write|copy-read|copy-write PATH COUNT SPAN [OFFSET]");
	mode = argv[1];
	count = parse_size(argv[3]);
	span = parse_size(argv[4]);
	if (argc == 6)
		off = parse_size(argv[5]);
	if (span < BLOCK || count == 0)
		usage("SPAN must hold a block, COUNT at least 1");
	writing = strstr(mode, "write") != NULL;
	fd = open(argv[2], writing ? O_RDWR : O_RDONLY);
	if (fd < 0)
		die(argv[2]);
	/* Drawn before the clock starts. */
	places = malloc(count * sizeof(*places));
	if (!places)
		die("malloc");
	for (uint64_t i = 0; i < count; i++)
		places[i] = next_random(&state) % (span / BLOCK) * BLOCK;
	memset(buf, 0xa5, sizeof(buf));

	if (strcmp(mode, "pread") == 0 || strcmp(mode, "pwrite") == 0) {
		t0 = now_ns();
		for (uint64_t i = 0; i < count; i++) {
			ssize_t n = writing ? pwrite(fd, buf, BLOCK, off + places[i])
					    : pread(fd, buf, BLOCK, off + places[i]);

			if (n != (ssize_t)BLOCK)
				die(mode);
		}
		t1 = now_ns();
	} else if (strncmp(mode, "mmap-", 5) == 0 || strncmp(mode, "copy-", 5) == 0) {
		int faults_timed = mode[0] == 'm';
		int prot = writing ? PROT_READ | PROT_WRITE : PROT_READ;
		char *p = NULL;

		if (!faults_timed) {
			p = mmap(NULL, span, prot, MAP_SHARED, fd, off);
			if (p == MAP_FAILED)
				die("mmap");
			for (uint64_t o = 0; o < span; o += BLOCK)
				(void)((volatile char *)p)[o];
		}
		t0 = now_ns();
		if (faults_timed) {
			p = mmap(NULL, span, prot, MAP_SHARED, fd, off);
			if (p == MAP_FAILED)
				die("mmap");
		}
		for (uint64_t i = 0; i < count; i++) {
			if (!writing)
				copy_movsb(buf, p + places[i], BLOCK);
			else if (faults_timed)
				copy_movsb(p + places[i], buf, BLOCK);
			else
				copy_movnti(p + places[i], buf, BLOCK);
		}
		if (faults_timed)
			munmap(p, span);
		t1 = now_ns();
		if (!faults_timed)
			munmap(p, span);
	} else {
		usage("randio: unknown mode");
		return 2;
	}
	printf("ns=%llu ops=%llu\n", ULL(t1 - t0), ULL(count));
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * seqio MODE PATH BYTES [OFFSET]: one sequential pass over BYTES of PATH (a
 * file, or a devdax device) from OFFSET (2 MiB aligned), timed.
 *
 *   mmap-read   map, load one word per 64-byte line, unmap: the faults are
 *               part of the cost
 *   mmap-write  the same with one store per line
 *   read        read() in 1 MiB chunks into one buffer
 *   write       write() in 1 MiB chunks from one buffer
 *   copy-read   the raw peer of read(): the mapping is faulted in first
 *               (untimed), then copied in 1 MiB chunks with the kernel's
 *               own copy routine (rep movsb)
 *   copy-write  the raw peer of write(): the same into the mapping with
 *               the kernel's nocache routine (movnti)
 *
 * Prints "ns=N bytes=N".
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"

#define CHUNK MIB

static char buf[CHUNK] __attribute__((aligned(4096)));

static void *map(int fd, uint64_t bytes, uint64_t off, int prot)
{
	void *p = mmap(NULL, bytes, prot, MAP_SHARED, fd, off);

	if (p == MAP_FAILED)
		die("mmap");
	return p;
}

/* Faults every 4 KiB page of a mapping in, outside the measured part. */
static void prefault(volatile char *p, uint64_t bytes)
{
	for (uint64_t o = 0; o < bytes; o += 4 * KIB)
		(void)p[o];
}

int main(int argc, char **argv)
{
	const char *mode;
	uint64_t bytes, off = 0, t0, t1, sum = 0;
	int fd;

	if (argc < 4 || argc > 5)
		usage("seqio mmap-read|mmap-write|read|write|copy-read|copy-write PATH BYTES [OFFSET]");
	mode = argv[1];
	bytes = parse_size(argv[3]);
	if (argc == 5)
		off = parse_size(argv[4]);
	if (bytes % CHUNK)
		usage("BYTES must be a multiple of 1 MiB");
	fd = open(argv[2], strstr(mode, "write") ? O_RDWR : O_RDONLY);
	if (fd < 0)
		die(argv[2]);
	memset(buf, 0x5a, sizeof(buf));

	if (strcmp(mode, "mmap-read") == 0 || strcmp(mode, "mmap-write") == 0) {
		int writing = mode[5] == 'w';

		t0 = now_ns();
		volatile uint64_t *p = map(fd, bytes, off, writing ? PROT_READ | PROT_WRITE : PROT_READ);
		for (uint64_t i = 0; i < bytes / 8; i += LINE / 8) {
			if (writing)
				p[i] = i;
			else
				sum += p[i];
		}
		munmap((void *)p, bytes);
		t1 = now_ns();
	} else if (strcmp(mode, "read") == 0 || strcmp(mode, "write") == 0) {
		int writing = mode[0] == 'w';

		t0 = now_ns();
		for (uint64_t o = 0; o < bytes; o += CHUNK) {
			ssize_t n = writing ? pwrite(fd, buf, CHUNK, off + o) : pread(fd, buf, CHUNK, off + o);

			if (n != (ssize_t)CHUNK)
				die(writing ? "pwrite" : "pread");
		}
		t1 = now_ns();
	} else if (strcmp(mode, "copy-read") == 0 || strcmp(mode, "copy-write") == 0) {
		int writing = mode[5] == 'w';
		char *p = map(fd, bytes, off, writing ? PROT_READ | PROT_WRITE : PROT_READ);

		prefault(p, bytes);
		t0 = now_ns();
		for (uint64_t o = 0; o < bytes; o += CHUNK) {
			if (writing)
				copy_movnti(p + o, buf, CHUNK);
			else
				copy_movsb(buf, p + o, CHUNK);
		}
		t1 = now_ns();
		munmap(p, bytes);
	} else {
		usage("seqio: unknown mode");
		return 2;
	}
	printf("ns=%llu bytes=%llu sum=%llu\n", ULL(t1 - t0), ULL(bytes), ULL(sum & 0xff));
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * faults PATH MAPBYTES ROUNDS THREADS [OFFSET]: page-fault cost and rate.
 * Each of THREADS threads maps its own MAPBYTES of PATH (thread t at
 * OFFSET + t * MAPBYTES; 2 MiB aligned), loads one byte per 2 MiB (one
 * fault each, a PMD fault where the file system can give one), unmaps,
 * and does this ROUNDS times. The threads start together.
 *
 * Prints "ns=N faults=N touch_ns=N": the elapsed time of the whole run,
 * the faults taken (touches), and the time spent in the touching loops
 * alone, summed over the threads (mmap and munmap left out).
 */
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"

#define MAX_THREADS 8

struct worker {
	pthread_t thread;
	int fd;
	uint64_t off, bytes, rounds, touch_ns, sum;
};

static pthread_barrier_t start;

static void *run(void *arg)
{
	struct worker *w = arg;

	pthread_barrier_wait(&start);
	for (uint64_t r = 0; r < w->rounds; r++) {
		volatile char *p = mmap(NULL, w->bytes, PROT_READ, MAP_SHARED, w->fd, w->off);

		if (p == MAP_FAILED)
			die("mmap");
		uint64_t t0 = now_ns();
		for (uint64_t o = 0; o < w->bytes; o += PMD_SIZE)
			w->sum += p[o];
		w->touch_ns += now_ns() - t0;
		munmap((void *)p, w->bytes);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct worker w[MAX_THREADS] = {};
	uint64_t bytes, rounds, threads, off = 0, t0, t1, touch = 0;
	int fd;

	if (argc < 5 || argc > 6)
		usage("faults PATH MAPBYTES ROUNDS THREADS [OFFSET]");
	bytes = parse_size(argv[2]);
	rounds = parse_size(argv[3]);
	threads = parse_size(argv[4]);
	if (argc == 6)
		off = parse_size(argv[5]);
	if (threads < 1 || threads > MAX_THREADS || bytes % PMD_SIZE || off % PMD_SIZE)
		usage("1-8 threads; MAPBYTES and OFFSET multiples of 2 MiB");
	fd = open(argv[1], O_RDONLY);
	if (fd < 0)
		die(argv[1]);
	pthread_barrier_init(&start, NULL, threads + 1);
	for (uint64_t t = 0; t < threads; t++) {
		w[t] = (struct worker){ .fd = fd, .off = off + t * bytes, .bytes = bytes, .rounds = rounds };
		if (pthread_create(&w[t].thread, NULL, run, &w[t]))
			die("pthread_create");
	}
	t0 = now_ns();
	pthread_barrier_wait(&start);
	for (uint64_t t = 0; t < threads; t++) {
		pthread_join(w[t].thread, NULL);
		touch += w[t].touch_ns;
	}
	t1 = now_ns();
	printf("ns=%llu faults=%llu touch_ns=%llu\n", ULL(t1 - t0),
	       ULL(threads * rounds * (bytes / PMD_SIZE)), ULL(touch));
	return 0;
}

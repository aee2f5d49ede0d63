// SPDX-License-Identifier: GPL-2.0
/*
 * opens DIR COUNT [cold|warm]: open(O_RDONLY), fstat and close of
 * DIR/f00000 .. DIR/f<COUNT-1>, in order, timed; then the same pass again,
 * now with every name and inode cached. Run it on a cold cache (fresh
 * mount, or after dropping dentries and inodes) for the first figure to be
 * cold.
 *
 * Prints "ns=N files=N warm_ns=N"; with "cold" or "warm" one pass only,
 * "ns=N files=N" (the diagnostics time each pass apart).
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"

#define NAME_LEN 32

static uint64_t pass(char (*names)[NAME_LEN], uint64_t count)
{
	struct stat st;
	uint64_t t0 = now_ns();

	for (uint64_t i = 0; i < count; i++) {
		int fd = open(names[i], O_RDONLY);

		if (fd < 0)
			die(names[i]);
		if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
			die("fstat");
		close(fd);
	}
	return now_ns() - t0;
}

int main(int argc, char **argv)
{
	char (*names)[NAME_LEN];
	uint64_t count, cold, warm;

	if (argc != 3 && argc != 4)
		usage("opens DIR COUNT [cold|warm]");
	count = parse_size(argv[2]);
	names = calloc(count, NAME_LEN);
	if (!names)
		die("calloc");
	if (chdir(argv[1]) != 0)
		die(argv[1]);
	for (uint64_t i = 0; i < count; i++)
		snprintf(names[i], NAME_LEN, "f%05llu", ULL(i));
	if (argc == 4) {
		printf("ns=%llu files=%llu\n", ULL(pass(names, count)), ULL(count));
		return 0;
	}
	cold = pass(names, count);
	warm = pass(names, count);
	printf("ns=%llu files=%llu warm_ns=%llu\n", ULL(cold), ULL(count), ULL(warm));
	return 0;
}

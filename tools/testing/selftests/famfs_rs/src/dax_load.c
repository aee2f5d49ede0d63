// SPDX-License-Identifier: GPL-2.0
/*
 * dax_load DEVICE FILE: copies FILE to the start of the devdax DEVICE.
 *
 * A devdax character device has no read(2)/write(2), only mmap(2): dd
 * cannot write an image onto it. This maps the first bytes of the device
 * (rounded up to its 2 MiB alignment) and copies the file in: the mapping
 * is the memory itself (a devdax refuses msync, and needs none).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define ALIGN (2UL << 20)

int main(int argc, char **argv)
{
	struct stat st;
	size_t len, maplen;
	char *src, *dst;
	int dev, file;

	if (argc != 3) {
		fprintf(stderr, "usage: dax_load DEVICE FILE\n");
		return 2;
	}
	file = open(argv[2], O_RDONLY);
	if (file < 0 || fstat(file, &st) != 0) {
		perror(argv[2]);
		return 1;
	}
	len = st.st_size;
	maplen = (len + ALIGN - 1) & ~(ALIGN - 1);
	dev = open(argv[1], O_RDWR);
	if (dev < 0) {
		perror(argv[1]);
		return 1;
	}
	src = mmap(NULL, len, PROT_READ, MAP_SHARED, file, 0);
	dst = mmap(NULL, maplen, PROT_READ | PROT_WRITE, MAP_SHARED, dev, 0);
	if (src == MAP_FAILED || dst == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memcpy(dst, src, len);
	printf("dax_load: %zu bytes of %s written to %s\n", len, argv[2], argv[1]);
	return 0;
}

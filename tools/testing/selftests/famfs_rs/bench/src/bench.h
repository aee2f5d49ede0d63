/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the benchmark's programs share: the clock, the copy routines the
 * kernel itself uses (so that a copy from a raw mapping costs what the
 * same copy costs inside read() or write()), a reproducible sequence of
 * random offsets, and the one output format.
 *
 * Under QEMU with -icount the clock counts guest instructions, not host
 * time: every figure is a cost in instructions, comparable within one run.
 */
#ifndef FAMFS_RS_BENCH_H
#define FAMFS_RS_BENCH_H

#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KIB 1024UL
#define MIB (1024UL * KIB)
#define PMD_SIZE (2 * MIB)
#define LINE 64UL

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Stops the program with what failed and the errno at that moment. */
static inline void die(const char *what)
{
	fprintf(stderr, "%s: %s\n", what, strerror(errno));
	exit(1);
}

static inline void usage(const char *text)
{
	fprintf(stderr, "usage: %s\n", text);
	exit(2);
}

/* A byte count with an optional K, M or G suffix (powers of 1024). */
static inline uint64_t parse_size(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	switch (*end) {
	case 'K': return v << 10;
	case 'M': return v << 20;
	case 'G': return v << 30;
	case '\0': return v;
	}
	fprintf(stderr, "bad size '%s'\n", s);
	exit(2);
}

/*
 * The kernel's copy to user space (copy_to_user, and pmem's copy_mc) is
 * `rep movsb` on CPUs with ERMS, which QEMU's max CPU has: one
 * instruction per byte under -icount. A raw copy must use it too.
 */
static inline void copy_movsb(void *dst, const void *src, size_t n)
{
	asm volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}

/*
 * The kernel's copy from user space into a nocache dax device (famfs_rs's
 * and pmem's: copy_to_nontemporal in arch/x86/lib/copy_user_uncached_64.S):
 * 64 bytes a round, four 8-byte loads then four non-temporal stores,
 * twice, the same instructions in the same order, so that under -icount
 * the raw copy costs what the kernel's does. Both pointers 8-byte
 * aligned, n a multiple of 64 (all this benchmark uses).
 */
static inline void copy_movnti(void *dst, const void *src, size_t n)
{
	if (n < 64)
		return;
	asm volatile("1:\n\t"
		     "movq (%1), %%r8\n\t"
		     "movq 8(%1), %%r9\n\t"
		     "movq 16(%1), %%r10\n\t"
		     "movq 24(%1), %%r11\n\t"
		     "movnti %%r8, (%0)\n\t"
		     "movnti %%r9, 8(%0)\n\t"
		     "movnti %%r10, 16(%0)\n\t"
		     "movnti %%r11, 24(%0)\n\t"
		     "movq 32(%1), %%r8\n\t"
		     "movq 40(%1), %%r9\n\t"
		     "movq 48(%1), %%r10\n\t"
		     "movq 56(%1), %%r11\n\t"
		     "movnti %%r8, 32(%0)\n\t"
		     "movnti %%r9, 40(%0)\n\t"
		     "movnti %%r10, 48(%0)\n\t"
		     "movnti %%r11, 56(%0)\n\t"
		     "addq $64, %1\n\t"
		     "addq $64, %0\n\t"
		     "subq $64, %2\n\t"
		     "cmpq $64, %2\n\t"
		     "jae 1b\n\t"
		     "sfence"
		     : "+r"(dst), "+r"(src), "+r"(n)
		     :
		     : "r8", "r9", "r10", "r11", "memory", "cc");
}

/* xorshift64*: the same offsets for every subject in a run. */
static inline uint64_t next_random(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/*
 * The output: one line of "key=value" pairs, the first "ns=" (the
 * measured part's elapsed time); the guest script prefixes the case and
 * the subject, and the host builds the table.
 */
#define ULL(x) ((unsigned long long)(x))

#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The selftests' data pattern: byte `off` of a file filled with `seed`.
 * A function of (seed, offset) only, so that any byte can be checked
 * anywhere (in the guest, on the other guest, in the host's backing file:
 * scripts/vm-test.sh computes the same function).
 */
#ifndef FAMFS_RS_SELFTEST_PATTERN_H
#define FAMFS_RS_SELFTEST_PATTERN_H

#include <stdint.h>

static inline uint8_t pattern(uint64_t seed, uint64_t off)
{
	uint64_t x = (off >> 3) * 0x9e3779b97f4a7c15ULL ^ seed * 0xbf58476d1ce4e5b9ULL;

	x ^= x >> 29;
	return (uint8_t)(x >> (8 * (off & 7)));
}

#endif

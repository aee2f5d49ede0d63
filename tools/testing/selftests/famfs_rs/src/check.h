/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The probes' one way to report: "ok WHAT" lines, or "FAIL: WHAT" with the
 * errno at that moment; a probe exits non-zero if any check failed.
 */
#ifndef FAMFS_RS_SELFTEST_CHECK_H
#define FAMFS_RS_SELFTEST_CHECK_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int failures;

static void check(int cond, const char *what)
{
	if (cond) {
		printf("ok %s\n", what);
	} else {
		printf("FAIL: %s (errno %d %s)\n", what, errno, strerror(errno));
		failures++;
	}
}

#endif

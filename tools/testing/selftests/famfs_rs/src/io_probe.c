// SPDX-License-Identifier: GPL-2.0
/*
 * io_probe: a famfs file used the ways other programs use files, each
 * checked byte for byte against a reference copy on another file system.
 *
 *   io_probe mmap FILE REF      map FILE whole and compare every byte with
 *                               REF (read()); the page holding the end of
 *                               the file is mapped whole, so its tail is
 *                               touched too (no SIGBUS)
 *   io_probe sendfile FILE REF  sendfile(2) and splice(2) FILE out to a
 *                               pipe/temporary file and compare; then
 *                               sendfile REF into FILE and read it back
 *   io_probe direct FILE REF    O_DIRECT: aligned pread of FILE compared
 *                               with REF, aligned pwrite read back
 *   io_probe append FILE        RWF_APPEND, O_APPEND (write and pwritev2),
 *                               RLIMIT_FSIZE: every growth attempt fails
 *                               with EFBIG and changes no byte
 *
 * Prints "ok ..." lines and exits 0, or "FAIL: ..." and exits 1.
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
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "check.h"

#define PAGE 4096UL


/* The whole of file PATH in memory (read()), its size in *size. */
static uint8_t *slurp(const char *path, size_t *size)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st) < 0)
		return NULL;
	buf = malloc(st.st_size + 1);
	while (buf && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, st.st_size - got);

		if (n <= 0) {
			free(buf);
			buf = NULL;
			break;
		}
		got += n;
	}
	close(fd);
	*size = got;
	return buf;
}

/* The first offset where a and b differ over len bytes, or -1. */
static long long differs(const uint8_t *a, const uint8_t *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (a[i] != b[i])
			return (long long)i;
	return -1;
}

static void compare(const uint8_t *got, const uint8_t *want, size_t len, const char *how)
{
	long long at = differs(got, want, len);
	char what[160];

	snprintf(what, sizeof(what), "%s: %zu bytes match the reference", how, len);
	if (at >= 0)
		printf("# %s: first difference at byte %lld\n", how, at);
	check(at < 0, what);
}

static sigjmp_buf jump;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(jump, 1);
}

static int by_mmap(const char *file, const char *ref)
{
	size_t len, tail;
	uint8_t *want = slurp(ref, &len);
	volatile uint8_t *m;
	unsigned sum = 0;
	int fd = open(file, O_RDONLY);

	if (!want || fd < 0)
		return printf("FAIL: cannot open %s or %s\n", file, ref), 1;
	m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	check(m != MAP_FAILED, "mmap of the whole file");
	if (m == MAP_FAILED)
		return 1;
	signal(SIGBUS, on_sigbus);
	if (sigsetjmp(jump, 1)) {
		printf("FAIL: SIGBUS reading the mapping\n");
		return 1;
	}
	/* The last byte first: the partial last page is the case that broke. */
	sum += m[len - 1];
	compare((const uint8_t *)m, want, len, "mmap");
	/* The rest of the page that holds the end of the file is mapped too. */
	for (tail = len; tail % PAGE; tail++)
		sum += m[tail];
	check(1, "the tail of the last page reads without SIGBUS");
	printf("# checksum %u\n", sum);
	munmap((void *)m, len);
	close(fd);
	return failures != 0;
}

/* sendfile(2) of len bytes from in (from offset 0) to out (at its file
 * position); returns the bytes moved. */
static ssize_t send_all(int out, int in, size_t len)
{
	off_t off = 0;
	ssize_t n, total = 0;

	while (total < (ssize_t)len && (n = sendfile(out, in, &off, len - total)) > 0)
		total += n;
	return total;
}

static int by_sendfile(const char *file, const char *ref)
{
	size_t len, back_len;
	uint8_t *want = slurp(ref, &len), *back;
	char tmp[] = "/tmp/io_probe.XXXXXX";
	int in = open(file, O_RDWR), out = mkstemp(tmp), p[2];
	off_t off;
	ssize_t n, total;

	if (!want || in < 0 || out < 0 || pipe(p) < 0)
		return printf("FAIL: setting up sendfile of %s\n", file), 1;
	check(send_all(out, in, len) == (ssize_t)len, "sendfile from famfs copies the whole file");
	back = slurp(tmp, &back_len);
	if (back && back_len == len)
		compare(back, want, len, "sendfile");
	else
		check(0, "sendfile's copy has the file's size");
	free(back);

	/* splice into a pipe, a page at a time, and drain it. */
	off = 0;
	total = 0;
	back = malloc(len + 1);
	while (back && total < (ssize_t)len) {
		n = splice(in, &off, p[1], NULL, PAGE, 0);
		if (n <= 0)
			break;
		if (read(p[0], back + total, n) != n)
			break;
		total += n;
	}
	check(total == (ssize_t)len, "splice from famfs into a pipe");
	if (total == (ssize_t)len)
		compare(back, want, len, "splice");
	free(back);

	/* The other way: sendfile other bytes into the famfs file. */
	for (size_t i = 0; i < len; i++)
		want[i] ^= 0x5a;
	if (ftruncate(out, 0) < 0 || pwrite(out, want, len, 0) != (ssize_t)len)
		return printf("FAIL: rewriting the temporary file\n"), 1;
	if (lseek(in, 0, SEEK_SET) < 0)
		return printf("FAIL: lseek\n"), 1;
	check(send_all(in, out, len) == (ssize_t)len, "sendfile into famfs writes the whole file");
	back = slurp(file, &back_len);
	if (back && back_len == len)
		compare(back, want, len, "sendfile into famfs, read back");
	free(back);
	/* The reference bytes go back, so that later checks of FILE hold. */
	for (size_t i = 0; i < len; i++)
		want[i] ^= 0x5a;
	check(pwrite(in, want, len, 0) == (ssize_t)len, "the reference bytes restored");
	unlink(tmp);
	return failures != 0;
}

static int by_direct(const char *file, const char *ref)
{
	size_t len, aligned, done;
	uint8_t *want = slurp(ref, &len), *buf;
	int fd = open(file, O_RDWR | O_DIRECT);

	check(fd >= 0, "open with O_DIRECT");
	if (!want || fd < 0)
		return 1;
	aligned = (len + PAGE - 1) / PAGE * PAGE;
	if (posix_memalign((void **)&buf, PAGE, aligned + PAGE))
		return printf("FAIL: posix_memalign\n"), 1;
	for (done = 0; done < len; done += 64 * PAGE) {
		size_t chunk = aligned - done < 64 * PAGE ? aligned - done : 64 * PAGE;
		ssize_t n = pread(fd, buf + done, chunk, done);

		if (n < 0 || (size_t)n < (len - done < chunk ? len - done : chunk)) {
			check(0, "O_DIRECT pread of aligned chunks");
			return 1;
		}
	}
	compare(buf, want, len, "O_DIRECT pread");
	/* An aligned O_DIRECT write of the first page, read back, undone. */
	if (len >= PAGE) {
		uint8_t *page;

		if (posix_memalign((void **)&page, PAGE, PAGE))
			return 1;
		memset(page, 0xa5, PAGE);
		check(pwrite(fd, page, PAGE, 0) == (ssize_t)PAGE, "O_DIRECT pwrite of a page");
		check(pread(fd, buf, PAGE, 0) == (ssize_t)PAGE && !memcmp(buf, page, PAGE),
		      "O_DIRECT pread sees the O_DIRECT write");
		memcpy(page, want, PAGE);
		check(pwrite(fd, page, PAGE, 0) == (ssize_t)PAGE, "the reference page restored");
	}
	close(fd);
	return failures != 0;
}

/* Every way to write past the end fails with EFBIG; no byte changes. */
static int append(const char *file)
{
	static const char news[16] = "appended-bytes!";
	struct iovec iov = { .iov_base = (void *)news, .iov_len = sizeof(news) };
	struct rlimit small = { .rlim_cur = PAGE, .rlim_max = RLIM_INFINITY };
	size_t len, after_len;
	uint8_t *before = slurp(file, &len), *after;
	int fd = open(file, O_RDWR), afd = open(file, O_RDWR | O_APPEND);
	ssize_t n;

	if (!before || fd < 0 || afd < 0)
		return printf("FAIL: opening %s\n", file), 1;
	errno = 0;
	n = pwritev2(fd, &iov, 1, 0, RWF_APPEND);
	check(n < 0 && errno == EFBIG, "pwritev2(RWF_APPEND) at offset 0: EFBIG");
	errno = 0;
	n = pwritev2(afd, &iov, 1, 0, 0);
	check(n < 0 && errno == EFBIG, "pwritev2 on an O_APPEND file at offset 0: EFBIG");
	errno = 0;
	n = write(afd, news, sizeof(news));
	check(n < 0 && errno == EFBIG, "write() on an O_APPEND file: EFBIG");
	errno = 0;
	n = pwrite(fd, news, sizeof(news), len);
	check(n < 0 && errno == EFBIG, "pwrite at the end of the file: EFBIG");
	/* RLIMIT_FSIZE: the kernel's own check (SIGXFSZ ignored, EFBIG). */
	signal(SIGXFSZ, SIG_IGN);
	if (len > 2 * PAGE && setrlimit(RLIMIT_FSIZE, &small) == 0) {
		errno = 0;
		n = pwrite(fd, news, sizeof(news), 2 * PAGE);
		check(n < 0 && errno == EFBIG, "pwrite beyond RLIMIT_FSIZE: EFBIG");
	}
	close(fd);
	close(afd);
	after = slurp(file, &after_len);
	check(after && after_len == len && !memcmp(before, after, len),
	      "the file is unchanged");
	return failures != 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc == 4 && !strcmp(argv[1], "mmap"))
		return by_mmap(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "sendfile"))
		return by_sendfile(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "direct"))
		return by_direct(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "append"))
		return append(argv[2]);
	fprintf(stderr, "usage: io_probe mmap|sendfile|direct FILE REF | append FILE\n");
	return 2;
}

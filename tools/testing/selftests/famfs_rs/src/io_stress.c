// SPDX-License-Identifier: GPL-2.0
/*
 * io_stress SECONDS FILE...: for each FILE, a reader (pread), a writer
 * (pwrite) and a faulter (mmap, touch every page, MADV_DONTNEED, again)
 * run in their own processes for SECONDS, while the test takes the
 * device away, poisons it, or kills the daemon.
 *
 * The SECONDS start once every worker has opened its file; with
 * IO_STRESS_READY=PATH in the environment, PATH is created then, so a test
 * waits for it instead of guessing how long a loaded guest takes to open.
 *
 * Errors a famfs file may give once its device is gone are counted: EIO
 * and ENXIO from read/write/mmap, SIGBUS from a mapping. Anything else
 * (another errno, another signal, a short transfer) is a failure. Each
 * worker prints one line; the last line sums them up:
 *   total: OPS ok, ERRS errors, BUS sigbus, 0 unexpected
 * Exit status 0 when nothing unexpected happened, 1 otherwise.
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL
#define IO (64 * 1024UL)

struct tally {
	unsigned long ok, errors, sigbus, unexpected;
};

static int expected(int e)
{
	return e == EIO || e == ENXIO;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void count(struct tally *t, long r, long want, const char *what)
{
	if (r == want) {
		t->ok++;
	} else if (r < 0 && expected(errno)) {
		/* The device is gone: no need to spin (the emulated guest has
		 * two CPUs, which the removal itself needs). */
		t->errors++;
		usleep(1000);
	} else {
		if (t->unexpected++ == 0)
			printf("# unexpected: %s returned %ld (errno %d %s)\n", what, r, errno,
			       strerror(errno));
	}
}

/* A random offset for an IO-byte transfer inside a file of size bytes. */
static off_t some_offset(off_t size)
{
	off_t room = size > (off_t)IO ? size - IO : 0;

	return room ? (off_t)(random() % (room / PAGE + 1)) * PAGE : 0;
}

static size_t io_len(off_t size, off_t off)
{
	return size - off < (off_t)IO ? (size_t)(size - off) : IO;
}

static void reader(int fd, off_t size, double end, struct tally *t)
{
	static char buf[IO];

	while (now() < end) {
		off_t off = some_offset(size);

		count(t, pread(fd, buf, io_len(size, off), off), io_len(size, off), "pread");
	}
}

static void writer(int fd, off_t size, double end, struct tally *t)
{
	static char buf[IO];

	while (now() < end) {
		off_t off = some_offset(size);

		/* Write back what is there, so that readers see stable data. */
		long r = pread(fd, buf, io_len(size, off), off);

		if (r < 0) {
			count(t, r, 0, "pread before pwrite");
			continue;
		}
		count(t, pwrite(fd, buf, r, off), r, "pwrite");
	}
}

static sigjmp_buf jump;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(jump, 1);
}

/* Live across siglongjmp: kept out of the faulter's frame. */
static volatile uint8_t *volatile mapped = MAP_FAILED;
static volatile unsigned long sum;

static void faulter(int fd, off_t size, double end, struct tally *t)
{
	signal(SIGBUS, on_sigbus);
	while (now() < end) {
		if (sigsetjmp(jump, 1)) {
			/* The mapping was taken away: map again (which may fail). */
			t->sigbus++;
			munmap((void *)mapped, size);
			mapped = MAP_FAILED;
			continue;
		}
		if (mapped == MAP_FAILED) {
			mapped = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			if (mapped == MAP_FAILED) {
				count(t, -1, 0, "mmap");
				usleep(1000);
				continue;
			}
		}
		for (off_t off = 0; off < size; off += PAGE) {
			sum += mapped[off];
			mapped[off] = mapped[off];
		}
		t->ok++;
		madvise((void *)mapped, size, MADV_DONTNEED);
	}
}

/* Tells the parent this worker is past its open, waits for the start. */
static double opened(int ready, int go, double seconds)
{
	char c = 0;

	if (write(ready, &c, 1) != 1 || read(go, &c, 1) != 1)
		return 0;
	return now() + seconds;
}

static int run(const char *kind, const char *path, double seconds, int ready, int go)
{
	struct tally t = { 0 };
	struct stat st;
	int fd = open(path, O_RDWR);
	double end;

	if (fd < 0 || fstat(fd, &st) < 0) {
		printf("# %s %s: cannot open (errno %d %s)\n", kind, path, errno, strerror(errno));
		opened(ready, go, 0);
		return 1;
	}
	end = opened(ready, go, seconds);
	srandom(getpid());
	if (!strcmp(kind, "reader"))
		reader(fd, st.st_size, end, &t);
	else if (!strcmp(kind, "writer"))
		writer(fd, st.st_size, end, &t);
	else
		faulter(fd, st.st_size, end, &t);
	printf("%s %s: %lu ok, %lu errors, %lu sigbus, %lu unexpected\n", kind, path, t.ok,
	       t.errors, t.sigbus, t.unexpected);
	return t.unexpected != 0;
}

int main(int argc, char **argv)
{
	static const char *kinds[] = { "reader", "writer", "faulter" };
	struct tally total = { 0 };
	double seconds;
	int i, k, status, bad = 0, n = 0;
	int out[2], ready[2], go[2];
	const char *ready_path = getenv("IO_STRESS_READY");
	FILE *f;
	char line[256];

	if (argc < 3) {
		fprintf(stderr, "usage: io_stress SECONDS FILE...\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	seconds = atof(argv[1]);
	if (pipe(out) < 0 || pipe(ready) < 0 || pipe(go) < 0)
		return 2;
	for (i = 2; i < argc; i++)
		for (k = 0; k < 3; k++) {
			if (fork() == 0) {
				close(out[0]);
				dup2(out[1], 1);
				_exit(run(kinds[k], argv[i], seconds, ready[1], go[0]));
			}
			n++;
		}
	close(out[1]);
	for (i = 0; i < n; i++) {
		char c;

		if (read(ready[0], &c, 1) != 1)
			return 2;
	}
	if (ready_path)
		close(open(ready_path, O_CREAT | O_WRONLY, 0644));
	for (i = 0; i < n; i++)
		if (write(go[1], "", 1) != 1)
			return 2;
	f = fdopen(out[0], "r");
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long a, b, c, d;

		fputs(line, stdout);
		if (sscanf(strstr(line, ": ") ? strstr(line, ": ") + 2 : line,
			   "%lu ok, %lu errors, %lu sigbus, %lu unexpected", &a, &b, &c, &d) == 4) {
			total.ok += a;
			total.errors += b;
			total.sigbus += c;
			total.unexpected += d;
		}
	}
	for (i = 0; i < n; i++) {
		if (wait(&status) < 0)
			break;
		if (!WIFEXITED(status)) {
			printf("# a worker died of signal %d\n", WTERMSIG(status));
			bad = 1;
		} else if (WEXITSTATUS(status)) {
			bad = 1;
		}
	}
	printf("total: %lu ok, %lu errors, %lu sigbus, %lu unexpected\n", total.ok, total.errors,
	       total.sigbus, total.unexpected);
	return bad || total.unexpected;
}

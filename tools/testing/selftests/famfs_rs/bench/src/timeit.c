// SPDX-License-Identifier: GPL-2.0
/*
 * timeit COMMAND [ARG...]: runs COMMAND and prints "ns=N status=N", the
 * time from before fork() to after its exit was collected. COMMAND's own
 * output goes to standard error, so that standard output is the figure.
 *
 * timeit -w FILE TEXT: writes TEXT to FILE with one write() (a sysfs
 * attribute, such as a dax driver's new_id or unbind) and prints "ns=N
 * cpu_ns=N status=N" for that write alone (status: 0, or the errno).
 * cpu_ns is the CPU time the writing thread spent, which leaves out the
 * waits (RCU grace periods, other CPUs' work) that elapsed time includes.
 */
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int timed_write(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	uint64_t t0, t1, c0, c1;
	ssize_t n;

	if (fd < 0)
		die(path);
	c0 = cpu_ns();
	t0 = now_ns();
	n = write(fd, text, strlen(text));
	t1 = now_ns();
	c1 = cpu_ns();
	printf("ns=%llu cpu_ns=%llu status=%d\n", ULL(t1 - t0), ULL(c1 - c0), n < 0 ? errno : 0);
	close(fd);
	return n < 0;
}

int main(int argc, char **argv)
{
	uint64_t t0, t1;
	int status;
	pid_t pid;

	if (argc == 4 && strcmp(argv[1], "-w") == 0)
		return timed_write(argv[2], argv[3]);
	if (argc < 2)
		usage("timeit COMMAND [ARG...] | timeit -w FILE TEXT");
	t0 = now_ns();
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		dup2(2, 1);
		execvp(argv[1], argv + 1);
		die(argv[1]);
	}
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid");
	t1 = now_ns();
	printf("ns=%llu status=%d\n", ULL(t1 - t0), WIFEXITED(status) ? WEXITSTATUS(status) : 128);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * control_probe: exercises /dev/famfs_rs at the message level, without a
 * daemon, to check the transport's rules exactly (errno of every write,
 * what the waiting mount(2) gets).
 *
 *   control_probe nonblock        O_NONBLOCK/poll/buffer/header rules
 *   control_probe signal          a blocking read ends with EINTR on a signal
 *   control_probe init MNT CASE   mount(2) on MNT while this process plays a
 *                                 daemon answering INIT as CASE says; the
 *                                 signal-* cases then signal a stat() caller;
 *                                 norawio: this process (opener and mounter)
 *                                 first gives up CAP_SYS_RAWIO: FUSE_DAX_FMAP
 *                                 must not be offered, and taking it anyway
 *                                 fails the mount
 *   control_probe mountsig MNT restart|eintr
 *                                 a signal reaches mount(2) before the
 *                                 daemon read INIT: with SA_RESTART the
 *                                 mount restarts and succeeds; without,
 *                                 it fails with EINTR and a second mount
 *                                 on the same connection succeeds
 *   control_probe mount MNT OPTS [UID]
 *                                 mount(2) famfs_rs on MNT with OPTS (the
 *                                 caller holds the fd OPTS names), as UID
 *                                 (group UID, no other groups) if given;
 *                                 prints "ok" or the errno name and the
 *                                 seconds it took, exits 0 either way
 *
 * Prints "ok ..." and exits 0 when the kernel behaved, else "FAIL: ...".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/types.h>
#include "famfs_rs_abi.h"
#include "check.h"

#define DEV "/dev/famfs_rs"
#define BUF 8192
#define OPCODE_INIT 26
#define OPCODE_INTERRUPT 36


/* write(2) of len bytes from buf; returns -errno or the count. */
static long put(int fd, const void *buf, size_t len)
{
	long n = write(fd, buf, len);
	return n < 0 ? -errno : n;
}

static long reply_hdr(int fd, __u32 len, __s32 error, __u64 unique, size_t write_len)
{
	static char buf[48000];
	struct fuse_out_header h = { .len = len, .error = error, .unique = unique };

	memset(buf, 0, sizeof(buf));
	memcpy(buf, &h, sizeof(h));
	return put(fd, buf, write_len);
}

static int nonblock(void)
{
	int fd = open(DEV, O_RDWR | O_NONBLOCK);
	char buf[BUF];
	struct pollfd p;

	if (fd < 0) {
		perror(DEV);
		return 1;
	}
	errno = 0;
	check(read(fd, buf, sizeof(buf)) < 0 && errno == EAGAIN, "O_NONBLOCK read with no request: EAGAIN");
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	check(poll(&p, 1, 100) == 0, "poll with no request: not readable");
	errno = 0;
	check(read(fd, buf, 100) < 0 && errno == EINVAL, "read into a 100-byte buffer: EINVAL");
	check(put(fd, buf, 8) == -EINVAL, "8-byte reply: EINVAL");
	check(reply_hdr(fd, 100, 0, 2, 16) == -EINVAL, "header len 100, 16 written: EINVAL");
	check(reply_hdr(fd, 16, -1000, 2, 16) == -EINVAL, "error -1000: EINVAL");
	check(reply_hdr(fd, 16, 5, 2, 16) == -EINVAL, "positive error: EINVAL");
	check(reply_hdr(fd, 24, -2, 2, 24) == -EINVAL, "error with a body: EINVAL");
	check(reply_hdr(fd, 40000, 0, 2, 40000) == -EINVAL, "40000-byte reply: EINVAL");
	check(reply_hdr(fd, 16, 0, 12345678, 16) == -ENOENT, "unknown unique: ENOENT");
	close(fd);
	return failures != 0;
}

static void on_alarm(int sig)
{
	(void)sig;
}

static int signal_read(void)
{
	struct sigaction sa = { .sa_handler = on_alarm }; /* no SA_RESTART */
	int fd = open(DEV, O_RDWR);
	char buf[BUF];
	time_t t0 = time(NULL);

	if (fd < 0) {
		perror(DEV);
		return 1;
	}
	sigaction(SIGALRM, &sa, NULL);
	alarm(1);
	errno = 0;
	check(read(fd, buf, sizeof(buf)) < 0 && errno == EINTR, "blocking read ends with EINTR on a signal");
	check(time(NULL) - t0 < 10, "... within 10 s");
	close(fd);
	return failures != 0;
}

static int closer_pipe[2] = { -1, -1 };
static int closer_fd = -1;

/* In the mounting child: closes its copy of the device when told, while
 * mount(2) waits in the other thread, as a dying daemon's would go. */
static void *closer(void *arg)
{
	char c;

	(void)arg;
	if (read(closer_pipe[0], &c, 1) == 1)
		close(closer_fd);
	return NULL;
}

/* The mounting child: exit status = errno of mount(2), 0 on success. */
static pid_t start_mount(int fd, const char *mnt)
{
	pid_t pid;

	if (pipe(closer_pipe) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		char opts[128];
		pthread_t t;

		closer_fd = fd;
		pthread_create(&t, NULL, closer, NULL);

		snprintf(opts, sizeof(opts), "fd=%d,rootmode=40755,user_id=0,group_id=0", fd);
		if (mount("famfs", mnt, "famfs_rs", 0, opts) < 0)
			_exit(errno);
		_exit(0);
	}
	return pid;
}

static int mount_result(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int read_request(int fd, char *buf, struct fuse_in_header *h)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	long n;

	if (poll(&p, 1, 20000) != 1)
		return -1;
	n = read(fd, buf, BUF);
	if (n < (long)sizeof(*h))
		return -1;
	memcpy(h, buf, sizeof(*h));
	return (long)h->len == n ? 0 : -1;
}

static long reply_init(int fd, __u64 unique, void (*tweak)(struct fuse_init_out *), size_t body)
{
	struct {
		struct fuse_out_header h;
		struct fuse_init_out o;
	} r;

	memset(&r, 0, sizeof(r));
	r.o.major = FUSE_KERNEL_VERSION;
	r.o.minor = FUSE_KERNEL_MINOR_VERSION;
	r.o.flags = (__u32)FUSE_INIT_EXT;
	r.o.flags2 = (__u32)(FUSE_DAX_FMAP >> 32);
	r.o.famfs_rs_proto = (__u32)FAMFS_RS_PROTO_WORD;
	if (tweak)
		tweak(&r.o);
	r.h.len = sizeof(r.h) + body;
	r.h.unique = unique;
	return put(fd, &r, sizeof(r.h) + body);
}

static void other_version(struct fuse_init_out *o) { o->famfs_rs_proto = FAMFS_RS_PROTO_WORD + 1; }
static void unoffered_flag(struct fuse_init_out *o) { o->flags |= (__u32)FUSE_ASYNC_READ; }

static void on_usr1(int sig) { (void)sig; }

/* Removes capability CAP from this process's effective, permitted and
 * inheritable sets (root keeps every other one). */
static int drop_cap(int cap)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	__u32 bit = 1u << (cap % 32);

	if (syscall(SYS_capget, &hdr, d) < 0)
		return -1;
	d[cap / 32].effective &= ~bit;
	d[cap / 32].permitted &= ~bit;
	d[cap / 32].inheritable &= ~bit;
	return syscall(SYS_capset, &hdr, d);
}

/*
 * A stat() in a child (the caller) is signalled while its LOOKUP waits:
 *   killed      SIGKILL after the daemon read it: INTERRUPT, then the late
 *               reply is refused (ENOENT)
 *   answered    SIGUSR1 (a handler without SA_RESTART) after the daemon read
 *               it: INTERRUPT, and the caller still gets the daemon's answer
 *   unread      SIGUSR1 (SA_RESTART) before the daemon read it: the request
 *               is withdrawn and the stat() restarted: one LOOKUP, answered
 */
static void signal_case(int fd, const char *mnt, const char *c)
{
	int restart = !strcmp(c, "unread"), killed = !strcmp(c, "killed"), status;
	struct fuse_interrupt_in ii;
	struct fuse_in_header h;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[BUF], path[256];
	__u64 lookup;
	pid_t looker;

	snprintf(path, sizeof(path), "%s/x", mnt);
	looker = fork();
	if (looker == 0) {
		struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = restart ? SA_RESTART : 0 };
		struct stat st;

		sigaction(SIGUSR1, &sa, NULL);
		_exit(stat(path, &st) == 0 ? 0 : errno);
	}
	if (restart) {
		check(poll(&p, 1, 20000) == 1, "stat queues a LOOKUP");
		kill(looker, SIGUSR1);
		usleep(200 * 1000);
	}
	check(read_request(fd, buf, &h) == 0 && h.opcode == 1, "the daemon reads a LOOKUP");
	lookup = h.unique;
	if (restart) {
		check(reply_hdr(fd, 16, -ENOENT, lookup, 16) == 16, "the restarted LOOKUP is answered");
		check(waitpid(looker, &status, 0) == looker && WIFEXITED(status) &&
		      WEXITSTATUS(status) == ENOENT, "the restarted stat() gets ENOENT, not EINTR");
		check(poll(&p, 1, 200) == 0, "nothing else was queued (no INTERRUPT, no second LOOKUP)");
		return;
	}
	kill(looker, killed ? SIGKILL : SIGUSR1);
	if (killed)
		waitpid(looker, NULL, 0);
	check(read_request(fd, buf, &h) == 0 && h.opcode == OPCODE_INTERRUPT,
	      "a signal after the daemon read the LOOKUP sends an INTERRUPT");
	memcpy(&ii, buf + sizeof(h), sizeof(ii));
	check(ii.unique == lookup && h.unique == (lookup | 1),
	      "INTERRUPT names the LOOKUP, its unique = LOOKUP's | 1");
	if (killed) {
		check(reply_hdr(fd, 16, -ENOENT, lookup, 16) == -ENOENT,
		      "late reply to the withdrawn LOOKUP: ENOENT");
		return;
	}
	check(reply_hdr(fd, 16, -ENOENT, lookup, 16) == 16, "the interrupted LOOKUP is still answered");
	check(waitpid(looker, &status, 0) == looker && WIFEXITED(status) &&
	      WEXITSTATUS(status) == ENOENT, "the caller gets the daemon's answer (ENOENT), not EINTR");
}

static int init_case(const char *mnt, const char *c)
{
	int fd = open(DEV, O_RDWR);
	char buf[BUF];
	struct fuse_in_header h;
	struct fuse_init_in in;
	pid_t child;
	int rc;

	if (fd < 0) {
		perror(DEV);
		return 1;
	}
	child = start_mount(fd, mnt);
	if (read_request(fd, buf, &h) < 0) {
		printf("FAIL: no INIT request within 20 s\n");
		kill(child, SIGKILL);
		return 1;
	}
	memcpy(&in, buf + sizeof(h), sizeof(in));
	check(h.opcode == OPCODE_INIT, "first request is INIT");
	check(h.unique != 0 && !(h.unique & 1), "INIT unique is even and non-zero");
	check(in.major == 7 && in.minor == FUSE_KERNEL_MINOR_VERSION, "INIT offers protocol 7.41");
	check(in.famfs_rs_proto == (__u32)FAMFS_RS_PROTO_WORD, "INIT carries the famfs_rs protocol word");
	if (!strcmp(c, "norawio")) {
		/* Upstream famfs offers FUSE_DAX_FMAP only to a privileged
		 * server (CAP_SYS_RAWIO): file maps are raw device memory. */
		check(!(((__u64)in.flags2 << 32) & FUSE_DAX_FMAP),
		      "INIT does not offer FUSE_DAX_FMAP to a daemon without CAP_SYS_RAWIO");
		check(reply_init(fd, h.unique, NULL, sizeof(struct fuse_init_out)) == -EINVAL,
		      "a reply taking FUSE_DAX_FMAP anyway is refused (EINVAL)");
		rc = mount_result(child);
		check(rc != 0, "the mount fails");
		close(fd);
		if (rc == 0)
			umount(mnt);
		return failures != 0;
	}
	check((in.flags & FUSE_INIT_EXT) && (((__u64)in.flags2 << 32) & FUSE_DAX_FMAP),
	      "INIT offers FUSE_DAX_FMAP");

	if (!strcmp(c, "good")) {
		struct statfs st;

		check(reply_init(fd, h.unique, NULL, sizeof(struct fuse_init_out)) == 80,
		      "good INIT reply accepted");
		check(mount_result(child) == 0, "mount succeeds");
		close(fd);
		errno = 0;
		check(statfs(mnt, &st) < 0 && errno == ENOTCONN, "daemon gone: statfs gets ENOTCONN");
		check(umount(mnt) == 0, "umount after the daemon left");
		return failures != 0;
	}
	if (!strncmp(c, "signal-", 7)) {
		check(reply_init(fd, h.unique, NULL, sizeof(struct fuse_init_out)) == 80,
		      "good INIT reply accepted");
		check(mount_result(child) == 0, "mount succeeds");
		signal_case(fd, mnt, c + 7);
		close(fd);
		check(umount(mnt) == 0, "umount after the daemon left");
		return failures != 0;
	}
	if (!strcmp(c, "daemon-gone")) {
		/* Every copy of the connection's file goes: this one, and the
		 * mounting child's, closed while its mount(2) waits. */
		check(write(closer_pipe[1], "x", 1) == 1, "told the mounter to close its copy");
		close(fd);
		check(mount_result(child) == ENOTCONN, "daemon closes the device: mount gets ENOTCONN");
		return failures != 0;
	}

	struct {
		const char *name;
		long write_result;
		int mount_errno;
	} cases[] = {
		{ "badlen", -EINVAL, EIO },
		{ "errno-range", -EINVAL, EIO },
		{ "daemon-error", 16, EPROTO },
		{ "version", -EINVAL, EPROTO },
		{ "short-body", -EINVAL, EIO },
		{ "too-long", -EINVAL, EIO },
		{ "unoffered-flag", -EINVAL, EIO },
		{ "silent", 0, ETIMEDOUT },
	};
	long w = 0;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (!strcmp(c, cases[i].name))
			break;
	if (i == sizeof(cases) / sizeof(cases[0])) {
		printf("FAIL: unknown case %s\n", c);
		kill(child, SIGKILL);
		return 1;
	}
	if (!strcmp(c, "badlen"))
		w = reply_hdr(fd, 200, 0, h.unique, 80);
	else if (!strcmp(c, "errno-range"))
		w = reply_hdr(fd, 16, -4096, h.unique, 16);
	else if (!strcmp(c, "daemon-error"))
		w = reply_hdr(fd, 16, -EPROTO, h.unique, 16);
	else if (!strcmp(c, "version"))
		w = reply_init(fd, h.unique, other_version, sizeof(struct fuse_init_out));
	else if (!strcmp(c, "short-body"))
		w = reply_init(fd, h.unique, NULL, 40);
	else if (!strcmp(c, "too-long"))
		w = reply_hdr(fd, 40000, 0, h.unique, 40000);
	else if (!strcmp(c, "unoffered-flag"))
		w = reply_init(fd, h.unique, unoffered_flag, sizeof(struct fuse_init_out));
	/* "silent": no reply at all; the mount must give up, not hang. */
	errno = w < 0 ? (int)-w : 0;
	check(w == cases[i].write_result, "the reply's write gets the expected result");
	rc = mount_result(child);
	if (rc != cases[i].mount_errno)
		printf("# mount(2) ended with %d (%s), expected %d\n", rc, strerror(rc), cases[i].mount_errno);
	check(rc == cases[i].mount_errno, "mount(2) fails with the expected errno");
	/* After a failed INIT the connection is shut: reads end with ENODEV. */
	errno = 0;
	check(read(fd, buf, sizeof(buf)) < 0 && errno == ENODEV, "then the daemon's read gets ENODEV");
	close(fd);
	return failures != 0;
}

/* The mounting child of mountsig: mount(2) with or without SA_RESTART on
 * SIGUSR1; exit status = errno of the last mount(2), 0 on success. With
 * eintr, a failed mount is tried once more when the parent says so. */
static pid_t start_signalled_mount(int fd, const char *mnt, int restart, int go[2])
{
	pid_t pid = fork();

	if (pid == 0) {
		struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = restart ? SA_RESTART : 0 };
		char opts[128], c;

		sigaction(SIGUSR1, &sa, NULL);
		snprintf(opts, sizeof(opts), "fd=%d,rootmode=40755,user_id=0,group_id=0", fd);
		if (mount("famfs", mnt, "famfs_rs", 0, opts) == 0)
			_exit(0);
		printf("# first mount(2): %s\n", strerror(errno));
		if (restart || errno != EINTR || read(go[0], &c, 1) != 1)
			_exit(errno);
		_exit(mount("famfs", mnt, "famfs_rs", 0, opts) == 0 ? 0 : errno);
	}
	return pid;
}

static int mount_signal(const char *mnt, const char *how)
{
	int restart = !strcmp(how, "restart"), go[2];
	int fd = open(DEV, O_RDWR);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct fuse_in_header h;
	char buf[BUF];
	pid_t child;

	if (fd < 0 || pipe(go) < 0)
		return printf("FAIL: cannot open %s\n", DEV), 1;
	child = start_signalled_mount(fd, mnt, restart, go);
	check(poll(&p, 1, 20000) == 1, "mount(2) queues INIT");
	kill(child, SIGUSR1);
	usleep(300 * 1000);
	if (!restart) {
		check(waitpid(child, NULL, WNOHANG) == 0, "the mounter waits to mount again");
		check(write(go[1], "x", 1) == 1, "told the mounter to mount again");
	}
	check(read_request(fd, buf, &h) == 0 && h.opcode == OPCODE_INIT,
	      "the daemon reads one INIT (the first was withdrawn)");
	check(reply_init(fd, h.unique, NULL, sizeof(struct fuse_init_out)) == 80,
	      "the INIT reply is accepted");
	check(mount_result(child) == 0, restart ? "the restarted mount(2) succeeds" :
	      "after EINTR, a second mount(2) on the connection succeeds");
	check(poll(&p, 1, 200) == 0, "nothing else was queued");
	close(fd);
	check(umount(mnt) == 0, "umount");
	return failures != 0;
}

static const char *errno_name(int e)
{
	switch (e) {
	case 0: return "ok";
	case EINVAL: return "EINVAL";
	case EPERM: return "EPERM";
	case EBADF: return "EBADF";
	case EBUSY: return "EBUSY";
	case ETIMEDOUT: return "ETIMEDOUT";
	case ENOTCONN: return "ENOTCONN";
	default: return strerror(e);
	}
}

static int mount_opts(const char *mnt, const char *opts, const char *uid)
{
	struct timespec t0, t1;
	int e = 0;

	if (uid) {
		id_t id = (id_t)strtoul(uid, NULL, 10);

		if (setgroups(0, NULL) || setgid(id) || setuid(id) || (id != 0 && setuid(0) == 0)) {
			printf("FAIL: could not become uid %s\n", uid);
			return 2;
		}
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (mount("famfs", mnt, "famfs_rs", 0, opts) < 0)
		e = errno;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%s %ld\n", errno_name(e), (long)(t1.tv_sec - t0.tv_sec));
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "nonblock"))
		return nonblock();
	if (argc >= 2 && !strcmp(argv[1], "signal"))
		return signal_read();
	if (argc >= 4 && !strcmp(argv[1], "init")) {
		if (!strcmp(argv[3], "norawio") && drop_cap(CAP_SYS_RAWIO) < 0) {
			perror("capset");
			return 1;
		}
		return init_case(argv[2], argv[3]);
	}
	if (argc >= 4 && !strcmp(argv[1], "mountsig"))
		return mount_signal(argv[2], argv[3]);
	if (argc >= 4 && !strcmp(argv[1], "mount"))
		return mount_opts(argv[2], argv[3], argc >= 5 ? argv[4] : NULL);
	fprintf(stderr, "usage: control_probe nonblock | signal | init MNT CASE | mountsig MNT HOW | mount MNT OPTS [UID]\n");
	return 2;
}

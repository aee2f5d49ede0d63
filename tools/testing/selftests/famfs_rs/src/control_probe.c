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
 *                                 fails the mount; releases-unread: the
 *                                 root directory is opened 1100 times,
 *                                 then, with the daemon reading nothing,
 *                                 closed: no close may block, 1024
 *                                 RELEASEDIRs stay queued, 76 are dropped
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
#include <sys/resource.h>
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

#define OPENS 1100
#define BACKGROUND 1024

/* Answers what opening the root directory needs: GETATTR, OPENDIR. */
static int answer_open(int fd, char *buf, struct fuse_in_header *h, __u64 fh)
{
	struct {
		struct fuse_out_header h;
		union {
			struct fuse_attr_out a;
			struct fuse_open_out o;
		};
	} r;
	size_t body;

	memset(&r, 0, sizeof(r));
	if (read_request(fd, buf, h) < 0)
		return -1;
	if (h->opcode == FUSE_GETATTR) {
		r.a.attr_valid = 3600;
		r.a.attr.ino = FUSE_ROOT_ID;
		r.a.attr.mode = S_IFDIR | 0755;
		r.a.attr.nlink = 2;
		body = sizeof(r.a);
	} else if (h->opcode == FUSE_OPENDIR) {
		r.o.fh = fh;
		body = sizeof(r.o);
	} else {
		printf("# unexpected request, opcode %u\n", h->opcode);
		return -1;
	}
	r.h.len = sizeof(r.h) + body;
	r.h.unique = h->unique;
	return put(fd, &r, r.h.len) == (long)r.h.len ? (int)h->opcode : -1;
}

/* The opener: opens MNT OPENS times, says so, closes them all when told,
 * and says so (or is killed if a close blocks). */
static void opener(const char *mnt, int said, int told)
{
	struct rlimit rl = { OPENS + 64, OPENS + 64 };
	static int fds[OPENS];
	char c;
	int i;

	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		_exit(1);
	for (i = 0; i < OPENS; i++)
		if ((fds[i] = open(mnt, O_RDONLY | O_DIRECTORY)) < 0)
			_exit(2);
	if (write(said, "o", 1) != 1 || read(told, &c, 1) != 1)
		_exit(3);
	for (i = 0; i < OPENS; i++)
		close(fds[i]);
	_exit(write(said, "c", 1) == 1 ? 0 : 4);
}

/* The mount's debugfs counter NAME. The device number comes from
 * mountinfo: a stat() of the mount could send a GETATTR, which this
 * process, the mount's daemon, would never answer. */
static long mount_counter(const char *mnt, const char *name)
{
	char line[1024], path[256], at[256];
	unsigned int maj, min;
	int found = 0;
	long v = -1;
	FILE *f = fopen("/proc/self/mountinfo", "r");

	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%*d %*d %u:%u %*s %255s", &maj, &min, at) == 3 &&
			!strcmp(at, mnt);
	fclose(f);
	if (!found)
		return -1;
	snprintf(path, sizeof(path), "/sys/kernel/debug/famfs_rs/%u:%u/%s", maj, min, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* releases-unread: RELEASEDIR never sleeps, never takes a call slot, and
 * what a daemon that reads nothing can make the module hold is bounded. */
static void releases_case(int fd, const char *mnt)
{
	struct pollfd said_p;
	struct fuse_in_header h;
	int said[2], told[2], opendirs = 0, releases = 0, other = 0, status;
	char buf[BUF], c;
	__u64 first = 0;
	pid_t child;

	if (pipe(said) < 0 || pipe(told) < 0)
		return;
	child = fork();
	if (child == 0)
		opener(mnt, said[1], told[0]);
	said_p.fd = said[0];
	said_p.events = POLLIN;
	while (opendirs < OPENS && poll(&said_p, 1, 0) == 0) {
		int op = answer_open(fd, buf, &h, opendirs + 1);

		if (op < 0)
			break;
		opendirs += op == FUSE_OPENDIR;
	}
	check(opendirs == OPENS && read(said[0], &c, 1) == 1 && c == 'o',
	      "1100 OPENDIRs of the root answered, the directory held open 1100 times");
	check(write(told[1], "c", 1) == 1, "told the opener to close them all");
	c = 0;
	check(poll(&said_p, 1, 20000) == 1 && read(said[0], &c, 1) == 1 && c == 'c',
	      "1100 closes with the daemon reading nothing: none blocked");
	if (c != 'c')
		kill(child, SIGKILL);
	waitpid(child, &status, 0);
	check(mount_counter(mnt, "releases_dropped") == OPENS - BACKGROUND,
	      "76 RELEASEDIRs beyond the 1024 queued were dropped (releases_dropped)");
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 500) != 1 || read_request(fd, buf, &h) < 0)
			break;
		if (h.opcode == FUSE_RELEASEDIR) {
			first = first ? first : h.unique;
			releases++;
		} else {
			other++;
		}
	}
	printf("# read %d RELEASEDIRs, %d other requests\n", releases, other);
	check(releases == BACKGROUND && other == 0, "then the daemon reads the 1024 queued RELEASEDIRs");
	check(reply_hdr(fd, 16, 0, first, 16) == 16, "a reply to a RELEASEDIR is accepted");
	check(reply_hdr(fd, 16, 0, first, 16) == -ENOENT, "its second reply gets ENOENT");
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
	if (!strcmp(c, "releases-unread")) {
		check(reply_init(fd, h.unique, NULL, sizeof(struct fuse_init_out)) == 80,
		      "good INIT reply accepted");
		check(mount_result(child) == 0, "mount succeeds");
		releases_case(fd, mnt);
		close(fd);
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

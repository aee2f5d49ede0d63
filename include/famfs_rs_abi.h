/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * famfs_rs_abi.h - the one definition of the famfs_rs kernel/userspace ABI.
 *
 * famfs_rs.ko carries its own small FUSE client: the daemon opens the
 * control device /dev/famfs_rs, mounts a "famfs_rs" file system with fd=N,
 * and then reads requests from and writes replies to that fd. Messages use
 * the standard FUSE wire format plus the famfs extensions of the
 * famfs-in-fuse series (GET_FMAP, GET_DAXDEV, FUSE_DAX_FMAP).
 *
 * This header REPLACES <linux/fuse.h> for famfs_rs: it carries the subset of
 * the FUSE ABI famfs_rs uses, with the standard names and byte-identical
 * layouts (Linux 6.12, protocol 7.41). Never include both in one translation
 * unit: the names collide on purpose.
 *
 * Both sides generate their Rust types from this file with bindgen and one
 * flags file (include/famfs_rs_abi.bindgen). Keep it free of bitfields,
 * unions and flexible arrays so that the generated code contains no unsafe.
 *
 * All multi-byte fields are in host byte order (module and daemon always
 * run on the same host). "Validated by the kernel" means module/core checks
 * the field before the module acts on it: nothing the daemon writes is
 * trusted.
 */
#ifndef _FAMFS_RS_ABI_H
#define _FAMFS_RS_ABI_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* ------------------------------------------------------------------------
 * famfs_rs's own identity
 * ------------------------------------------------------------------------ */

/* Name of the control device (/dev/famfs_rs) and of the file system type. */
#define FAMFS_RS_CTL_NAME	"famfs_rs"
#define FAMFS_RS_FS_TYPE	"famfs_rs"

/*
 * Name of the dax bus driver famfs_rs.ko registers (6.12: it provides fs-dax
 * on devdax): a device is handed to it in /sys/bus/dax/drivers/<name>/.
 */
#define FAMFS_RS_DAX_DRIVER	"famfs_rs"

/*
 * Directory under /dev of the raw nodes of the devices bound to that driver
 * (6.12): /dev/<dir>/daxX.Y reads and writes the device with pread/pwrite
 * while /dev/daxX.Y fails with ENXIO.
 */
#define FAMFS_RS_RAW_DIR	"famfs_rs_raw"

/*
 * Kernels with the kernel's fsdev_dax driver (7.x), whose /dev/daxX.Y opens
 * but can be neither read nor mapped: the one node /dev/<dir>/<this> reads
 * and writes, with pread/pwrite, the device whose open /dev/daxX.Y is given
 * to FAMFS_RS_RAW_SET_FD (as LOOP_SET_FD gives a loop device its file). The
 * descriptor proves the device is a devdax device with a node (a number
 * alone could name any dax device); it may be closed afterwards.
 */
#define FAMFS_RS_RAW_FSDEV_NAME	"fsdev"

/*
 * ioctl on that node: the argument points to an __s32, the descriptor of an
 * open /dev/daxX.Y bound to fsdev_dax. Once per open file (EBUSY after);
 * ENODEV if it is not such a device; reads and writes before it fail with
 * ENXIO; writes fail with EBADF if that descriptor was not open for
 * writing. 0xF4 is neither listed in
 * Documentation/userspace-api/ioctl/ioctl-number.rst nor used by any ioctl
 * in the 7.3 tree (0xF5, listed free, is f2fs's). bindgen cannot expand
 * _IOW, so its parts are names too (the Rust value is checked equal).
 */
#define FAMFS_RS_IOC_MAGIC		0xF4
#define FAMFS_RS_RAW_SET_FD_NR		1
#define FAMFS_RS_RAW_SET_FD		_IOW(FAMFS_RS_IOC_MAGIC, FAMFS_RS_RAW_SET_FD_NR, __s32)

/* f_type reported by statfs(2), the value upstream tools accept as famfs. */
#define FAMFS_RS_STATFS_MAGIC	0x87b282fd

/*
 * Mount options (all required): fd of the open control device, root mode in
 * octal (must be a directory), and the uid/gid of the mounting daemon in
 * decimal.
 */
#define FAMFS_RS_OPT_FD		"fd"
#define FAMFS_RS_OPT_ROOTMODE	"rootmode"
#define FAMFS_RS_OPT_USER_ID	"user_id"
#define FAMFS_RS_OPT_GROUP_ID	"group_id"

/*
 * famfs_rs protocol version, agreed at INIT on top of the FUSE version.
 *
 * Module and daemon are upgraded separately (DKMS vs. packages), so each
 * says which famfs_rs protocol it speaks in the last unused word of the
 * INIT messages (fuse_init_in.famfs_rs_proto, fuse_init_out.famfs_rs_proto):
 * the tag in the high 16 bits says "this is famfs_rs" (a stock /dev/fuse
 * kernel leaves the word zero), the version is in the low 16 bits. The
 * kernel offers its version; the daemon answers with the older of the two
 * versions (refusing a kernel older than FAMFS_RS_PROTO_MIN_VERSION), and
 * the kernel refuses an answer outside MIN..its own (EPROTO). Both then
 * speak the answered version. Bump the version on any change to the
 * messages below.
 *   1: the first.
 *   2: fuse_famfs_fmap_header.flags (FAMFS_RS_FMAP_READONLY).
 *   3: fuse_famfs_daxdev_out.dev_major/dev_minor (a device by number).
 *   4: fuse_init_in/out.famfs_rs_flags (FAMFS_RS_INIT_LOOKUP_FMAP).
 */
#define FAMFS_RS_PROTO_TAG	0xfa5f
#define FAMFS_RS_PROTO_VERSION	4
#define FAMFS_RS_PROTO_MIN_VERSION	2
#define FAMFS_RS_PROTO_WORD	((FAMFS_RS_PROTO_TAG << 16) | FAMFS_RS_PROTO_VERSION)

/*
 * famfs_rs's own INIT flags (fuse_init_in/out.famfs_rs_flags, protocol 4;
 * kept apart from FUSE's flags so that no FUSE release can take a bit).
 * The kernel offers them; the daemon answers a subset; the kernel refuses
 * a bit it did not offer (EIO), and any bit from a daemon speaking
 * protocol 3 or older.
 *
 * FAMFS_RS_INIT_LOOKUP_FMAP: a LOOKUP reply for a regular file may carry
 * the file's map: fuse_entry_out, then a GET_FMAP reply body (header and
 * extents, checked exactly as a GET_FMAP reply) of at most
 * FAMFS_RS_LOOKUP_FMAP_MAX bytes, whose file_size is attr.size. The map is
 * cached on the inode and a cold open sends nothing. A larger map is left
 * out: the kernel asks for it with GET_FMAP at open, as without the flag.
 * The bound keeps every LOOKUP reply within one page (out header, entry,
 * map): up to 32 simple extents, or one interleaved extent of 32 strips,
 * fit; the rare larger maps cost one more round trip.
 */
#define FAMFS_RS_INIT_LOOKUP_FMAP	(1 << 0)
#define FAMFS_RS_LOOKUP_FMAP_MAX	(4096 - 16 - 128)

/*
 * Largest reply the module accepts from the daemon: an out header plus the
 * largest GET_FMAP reply. Replies to READDIR/READ are further bounded by the
 * size the request asked for.
 */
#define FAMFS_RS_MAX_REPLY	(16 + 32768)

/*
 * No ioctls on the control device: it speaks only read/write/poll, as
 * /dev/fuse does. (The one ioctl famfs_rs has, FAMFS_RS_RAW_SET_FD, is the
 * raw fsdev node's, above.)
 */

/* ------------------------------------------------------------------------
 * Standard FUSE protocol subset (layouts identical to <linux/fuse.h>)
 * ------------------------------------------------------------------------ */

/* Protocol version the module speaks; the daemon must answer major 7. */
#define FUSE_KERNEL_VERSION		7
#define FUSE_KERNEL_MINOR_VERSION	41
/* Oldest minor famfs_rs accepts: the first one with flags2 (FUSE_INIT_EXT). */
#define FAMFS_RS_MIN_MINOR		36

/* nodeid of the root directory; never returned by LOOKUP. */
#define FUSE_ROOT_ID		1

/* A /dev/fuse-style reader must offer at least this much buffer per read. */
#define FUSE_MIN_READ_BUFFER	8192

/* Opcodes (enum fuse_opcode). Values are fixed by the FUSE protocol. */
enum fuse_opcode {
	FUSE_LOOKUP		= 1,
	FUSE_FORGET		= 2,	/* no reply */
	FUSE_GETATTR		= 3,
	FUSE_OPEN		= 14,
	FUSE_READ		= 15,
	FUSE_STATFS		= 17,
	FUSE_RELEASE		= 18,
	FUSE_INIT		= 26,
	FUSE_OPENDIR		= 27,
	FUSE_READDIR		= 28,
	FUSE_RELEASEDIR		= 29,
	FUSE_INTERRUPT		= 36,
	FUSE_DESTROY		= 38,
	FUSE_BATCH_FORGET	= 42,	/* no reply */
	/* famfs extensions (famfs-in-fuse V10) */
	FUSE_GET_FMAP		= 54,
	FUSE_GET_DAXDEV		= 55,
};

/* INIT flags: bits of the 64-bit value flags | (flags2 << 32). */
#define FUSE_ASYNC_READ		(1ULL << 0)
#define FUSE_ATOMIC_O_TRUNC	(1ULL << 3)
#define FUSE_BIG_WRITES		(1ULL << 5)
#define FUSE_DONT_MASK		(1ULL << 6)
/*
 * The kernel can do without OPEN: a daemon that answers OPEN of a regular
 * file with ENOSYS is sent no OPEN or RELEASE of files again (standard
 * FUSE, 7.23). The daemon does not echo it.
 */
#define FUSE_NO_OPEN_SUPPORT	(1ULL << 17)
#define FUSE_PARALLEL_DIROPS	(1ULL << 18)
#define FUSE_MAX_PAGES		(1ULL << 22)
/* flags2 is meaningful only when flags carries FUSE_INIT_EXT. */
#define FUSE_INIT_EXT		(1ULL << 30)
/*
 * famfs mode: the kernel resolves file offsets from fmaps (GET_FMAP) and
 * maps device memory directly. Bit 43 of the 64-bit flags, i.e. bit 11 of
 * flags2. Offered only to a privileged daemon; on only if echoed back.
 */
#define FUSE_DAX_FMAP		(1ULL << 43)

/* fuse_open_out.open_flags */
#define FOPEN_DIRECT_IO			(1 << 0)
#define FOPEN_KEEP_CACHE		(1 << 1)
#define FOPEN_NONSEEKABLE		(1 << 2)
#define FOPEN_CACHE_DIR			(1 << 3)
#define FOPEN_STREAM			(1 << 4)
#define FOPEN_NOFLUSH			(1 << 5)
#define FOPEN_PARALLEL_DIRECT_WRITES	(1 << 6)
/* Needs backing files; famfs_rs refuses it. */
#define FOPEN_PASSTHROUGH		(1 << 7)

/* fuse_attr.flags: famfs_rs supports neither, and requires flags == 0. */
#define FUSE_ATTR_SUBMOUNT	(1 << 0)
#define FUSE_ATTR_DAX		(1 << 1)

/* Every request starts with this header. Written by the kernel. */
struct fuse_in_header {
	__u32	len;		/* whole request in bytes, header included */
	__u32	opcode;		/* enum fuse_opcode */
	__u64	unique;		/* request id, echoed in the reply */
	__u64	nodeid;		/* target inode; GET_DAXDEV: the device index */
	__u32	uid;		/* caller's credentials */
	__u32	gid;
	__u32	pid;
	__u16	total_extlen;	/* request extensions, in 8-byte units (0) */
	__u16	padding;
};

/* Every reply starts with this header. Validated by the kernel. */
struct fuse_out_header {
	__u32	len;		/* whole reply in bytes == bytes written */
	__s32	error;		/* 0 or -errno (-511..-1); no body if != 0 */
	__u64	unique;		/* the request's unique */
};

/* Inode attributes. Validated by the kernel (mode: regular or directory). */
struct fuse_attr {
	__u64	ino;		/* st_ino, non-zero */
	__u64	size;		/* bytes, <= S64_MAX */
	__u64	blocks;		/* 512-byte units */
	__u64	atime;		/* seconds since the epoch */
	__u64	mtime;
	__u64	ctime;
	__u32	atimensec;	/* < 1000000000 */
	__u32	mtimensec;
	__u32	ctimensec;
	__u32	mode;		/* S_IFREG or S_IFDIR | permission bits */
	__u32	nlink;		/* >= 1 */
	__u32	uid;
	__u32	gid;
	__u32	rdev;		/* 0: famfs has no device files */
	__u32	blksize;	/* 0 (default) or a power of two >= 512 */
	__u32	flags;		/* FUSE_ATTR_*; must be 0 */
};

/* LOOKUP reply. Timeouts are seconds + nanoseconds, saturated on use. */
struct fuse_entry_out {
	__u64	nodeid;		/* non-zero, never FUSE_ROOT_ID */
	__u64	generation;
	__u64	entry_valid;	/* name cache timeout */
	__u64	attr_valid;	/* attribute cache timeout */
	__u32	entry_valid_nsec;
	__u32	attr_valid_nsec;
	struct fuse_attr attr;
};

/* FORGET request body: drop nlookup references to header.nodeid. */
struct fuse_forget_in {
	__u64	nlookup;
};

/* One element of a BATCH_FORGET request. */
struct fuse_forget_one {
	__u64	nodeid;
	__u64	nlookup;
};

/* BATCH_FORGET request body: followed by count struct fuse_forget_one. */
struct fuse_batch_forget_in {
	__u32	count;
	__u32	dummy;
};

/* GETATTR request body. */
struct fuse_getattr_in {
	__u32	getattr_flags;
	__u32	dummy;
	__u64	fh;
};

/* GETATTR reply. */
struct fuse_attr_out {
	__u64	attr_valid;	/* seconds */
	__u32	attr_valid_nsec;
	__u32	dummy;
	struct fuse_attr attr;
};

/* OPEN / OPENDIR request body. */
struct fuse_open_in {
	__u32	flags;		/* open(2) flags */
	__u32	open_flags;	/* FUSE_OPEN_* (none used) */
};

/* OPEN / OPENDIR reply. */
struct fuse_open_out {
	__u64	fh;		/* daemon's handle, echoed in RELEASE/READDIR */
	__u32	open_flags;	/* FOPEN_*; PASSTHROUGH refused */
	__s32	backing_id;	/* must be 0 */
};

/* RELEASE / RELEASEDIR request body (the reply is empty). */
struct fuse_release_in {
	__u64	fh;
	__u32	flags;
	__u32	release_flags;
	__u64	lock_owner;
};

/* READ / READDIR request body. The reply is at most size bytes. */
struct fuse_read_in {
	__u64	fh;
	__u64	offset;		/* READDIR: cookie of the last entry seen */
	__u32	size;
	__u32	read_flags;
	__u64	lock_owner;
	__u32	flags;
	__u32	padding;
};

/*
 * READDIR reply record: this fixed part, then namelen name bytes (no NUL),
 * then zero padding up to the next multiple of FUSE_DIRENT_ALIGN. The
 * standard header declares the name as a flexible array; here it is left
 * out (its offset is FUSE_NAME_OFFSET == sizeof(struct fuse_dirent)) so the
 * generated Rust needs no unsafe accessor.
 */
struct fuse_dirent {
	__u64	ino;		/* non-zero */
	__u64	off;		/* cookie to continue after this entry */
	__u32	namelen;	/* 1..FAMFS_RS_NAME_MAX */
	__u32	type;		/* DT_REG (8) or DT_DIR (4) */
};
#define FUSE_NAME_OFFSET	24
#define FUSE_DIRENT_ALIGN	8
/* Longest name in a dirent or a LOOKUP (NAME_MAX). */
#define FAMFS_RS_NAME_MAX	255

/* INTERRUPT request body: the unique of the request to interrupt. */
struct fuse_interrupt_in {
	__u64	unique;
};

/* File system statistics. Validated (free <= total, sane sizes). */
struct fuse_kstatfs {
	__u64	blocks;		/* in frsize units */
	__u64	bfree;
	__u64	bavail;
	__u64	files;
	__u64	ffree;
	__u32	bsize;
	__u32	namelen;
	__u32	frsize;
	__u32	padding;
	__u32	spare[6];
};

/* STATFS reply. */
struct fuse_statfs_out {
	struct fuse_kstatfs st;
};

/* INIT request body (kernel -> daemon). */
struct fuse_init_in {
	__u32	major;		/* FUSE_KERNEL_VERSION */
	__u32	minor;		/* FUSE_KERNEL_MINOR_VERSION */
	__u32	max_readahead;
	__u32	flags;		/* low 32 bits of the offered INIT flags */
	__u32	flags2;		/* high 32 bits (FUSE_INIT_EXT set) */
	__u32	unused[9];
	/* famfs_rs (protocol 4): FAMFS_RS_INIT_* offered (unused[9] upstream) */
	__u32	famfs_rs_flags;
	/* famfs_rs: FAMFS_RS_PROTO_WORD (unused[10] in <linux/fuse.h>) */
	__u32	famfs_rs_proto;
};

/* INIT reply (daemon -> kernel). The whole 64 bytes are required. */
struct fuse_init_out {
	__u32	major;		/* must be 7 */
	__u32	minor;		/* >= FAMFS_RS_MIN_MINOR */
	__u32	max_readahead;
	__u32	flags;		/* accepted flags: a subset of those offered */
	__u16	max_background;
	__u16	congestion_threshold;
	__u32	max_write;
	__u32	time_gran;	/* 0 or 1..1000000000 ns */
	__u16	max_pages;
	__u16	map_alignment;
	__u32	flags2;
	__u32	max_stack_depth;
	__u32	unused[4];
	/* famfs_rs (protocol 4): FAMFS_RS_INIT_* accepted (unused[4] upstream) */
	__u32	famfs_rs_flags;
	/* famfs_rs: FAMFS_RS_PROTO_WORD (unused[5] in <linux/fuse.h>) */
	__u32	famfs_rs_proto;
};

/* ------------------------------------------------------------------------
 * famfs extensions (famfs-in-fuse V10 ABI)
 * ------------------------------------------------------------------------ */

/*
 * GET_FMAP: sent for a regular file (header.nodeid) with no body. The reply
 * is a struct fuse_famfs_fmap_header followed by nextents extents:
 *  - FUSE_FAMFS_EXT_SIMPLE: nextents struct fuse_famfs_simple_ext, laid out
 *    one after the other in file space;
 *  - FUSE_FAMFS_EXT_INTERLEAVE: nextents times { struct fuse_famfs_iext,
 *    then nstrips struct fuse_famfs_simple_ext (the strips) }.
 * The reply length must be exactly what the counts imply and at most
 * FUSE_FAMFS_FMAP_MAX. Validated by the kernel (module/core fmap.rs).
 */
#define FUSE_FAMFS_FMAP_VERSION		1
#define FUSE_FAMFS_MAX_EXTENTS		32
#define FUSE_FAMFS_MAX_STRIPS		32
#define FUSE_FAMFS_FMAP_MAX		32768
/* Offsets, lengths and chunk sizes must be multiples of this (2 MiB). */
#define FUSE_FAMFS_ALIGN		0x200000
/* Device indexes are 0..FUSE_FAMFS_MAX_DAXDEVS-1 (the daxdev table). */
#define FUSE_FAMFS_MAX_DAXDEVS		24

/* fuse_famfs_fmap_header.file_type */
#define FUSE_FAMFS_FILE_REG		0
#define FUSE_FAMFS_FILE_SUPERBLOCK	1
#define FUSE_FAMFS_FILE_LOG		2

/* fuse_famfs_fmap_header.ext_type */
#define FUSE_FAMFS_EXT_SIMPLE		0
#define FUSE_FAMFS_EXT_INTERLEAVE	1

/*
 * fuse_famfs_fmap_header.flags: famfs_rs's own, in a byte that upstream's
 * V10 ABI reserves (and leaves 0). The kernel refuses unknown bits.
 *
 * FAMFS_RS_FMAP_READONLY: the file is read-only on this host. The kernel
 * refuses to open it for writing (EROFS), even for root, so that neither
 * write() nor a writable shared mapping of it can exist. The daemon sets it
 * for .meta/.log and .meta/.superblock on a client (a host whose system
 * UUID is not the superblock's: only the master writes the log), and on
 * every host for files whose log entry says all hosts read-only.
 */
#define FAMFS_RS_FMAP_READONLY		(1 << 0)

/* GET_FMAP reply header (32 bytes). */
struct fuse_famfs_fmap_header {
	__u8	file_type;	/* FUSE_FAMFS_FILE_* */
	__u8	flags;		/* FAMFS_RS_FMAP_* (upstream: reserved, 0) */
	__u16	fmap_version;	/* FUSE_FAMFS_FMAP_VERSION */
	__u32	ext_type;	/* FUSE_FAMFS_EXT_* */
	__u32	nextents;	/* 1..FUSE_FAMFS_MAX_EXTENTS */
	__u32	reserved0;	/* 0 */
	__u64	file_size;	/* bytes; <= the sum of the extents */
	__u64	reserved1;	/* 0 */
};

/* A simple extent or an interleave strip (24 bytes): bytes on one device. */
struct fuse_famfs_simple_ext {
	__u32	devindex;	/* < FUSE_FAMFS_MAX_DAXDEVS */
	__u32	reserved;	/* 0 */
	__u64	offset;		/* on the device; FUSE_FAMFS_ALIGN aligned */
	__u64	len;		/* non-zero, FUSE_FAMFS_ALIGN aligned */
};

/*
 * Interleaved extent (24 bytes), followed by nstrips strips. File bytes
 * [0, nbytes) of this extent go round-robin in chunk_size chunks over the
 * strips: chunk = off / chunk_size, strip = chunk % nstrips,
 * stripe = chunk / nstrips, device offset = strip.offset +
 * stripe * chunk_size + off % chunk_size. famfs_rs requires nbytes to be a
 * non-zero multiple of nstrips * chunk_size and every strip to hold at least
 * nbytes / nstrips bytes (longer strips are allowed; the excess is unused).
 */
struct fuse_famfs_iext {
	__u32	nstrips;	/* 1..FUSE_FAMFS_MAX_STRIPS */
	__u32	chunk_size;	/* non-zero multiple of FUSE_FAMFS_ALIGN */
	__u64	nbytes;		/* file bytes this extent covers */
	__u64	reserved;	/* 0 */
};

/*
 * GET_DAXDEV: header.nodeid carries the device index (no body). The reply
 * names the device to use for that index; the index is always userspace's
 * choice (log order, primary = 0), never the kernel's.
 */
#define FUSE_FAMFS_DAXDEV_NAME_LEN	256

/* GET_DAXDEV reply (280 bytes). Validated by the kernel. */
struct fuse_famfs_daxdev_out {
	__u16	index;		/* must equal the requested index */
	__u16	reserved;	/* 0 */
	__u32	reserved0;	/* 0 */
	/*
	 * famfs_rs protocol 3 (0 before): the number of the device's node
	 * (/dev/daxX.Y), found by number, with no path lookup; 0:0 when only
	 * the name says which device. A device named both ways must be the
	 * same device.
	 */
	__u32	dev_major;
	__u32	dev_minor;
	__u64	reserved1;	/* 0 */
	/* device path, e.g. "/dev/dax0.0": non-empty, printable, NUL-terminated */
	__u8	name[FUSE_FAMFS_DAXDEV_NAME_LEN];
};

#endif /* _FAMFS_RS_ABI_H */

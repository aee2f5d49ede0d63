// SPDX-License-Identifier: GPL-2.0
//! Command-line definitions: what `famfs --help` teaches.

use clap::{ArgAction, Parser, Subcommand};

pub use crate::args::*;

const ABOUT: &str = "famfs: the fabric-attached memory file system, in Rust";

const LONG_ABOUT: &str = "\
famfs exposes shared memory (CXL memory reachable from several hosts, seen \
as a devdax device such as /dev/dax0.0) as files that map straight onto \
that memory. Metadata is an append-only log in the same memory: one host, \
the master (the host that ran mkfs), writes it; the others, clients, \
replay it. Files are allocated once, in 2 MiB units, and never grow.

File verbs work on a mounted famfs (paths inside the mount, as with \
upstream famfs: the device is found through the mount) or on an unmounted \
devdax device or image file that stands in for one (offline image \
building, like mke2fs -d), named with --device/-D (or FAMFS_DEVICE), with \
paths relative to the file system's root. Whole-file-system verbs (mkfs, \
fsck, logplay) take the device (or, for fsck and logplay, the mount point) \
as an argument. `famfs mount` mounts a famfs through famfs_rs.ko (or the \
kernel's FUSE with --plain-fuse) and runs its daemon. The on-media format is \
upstream famfs's OMF 2.2: each tool reads, mounts and writes what the \
other formats (a famfs_rs mount cannot serve a famfs formatted with \
upstream's 4 KiB allocation unit). Every option of upstream's famfs CLI is \
accepted; those that mean nothing here say so when used.";

const AFTER_HELP: &str = "\
Exit status:
  0  success (fsck: the file system is clean)
  1  the operation failed (the message names the device or file and why)
  2  usage error (bad arguments)
  3  a check failed: fsck or check found errors, verify found different data
  (getmap has upstream's own codes: see famfs getmap --help)

Numbers and options (read as upstream reads them):
  numbers      0x10 is hex, 010 octal (8), 10 decimal (sizes, seeds, ids)
  sizes        also take K, M, G, T (powers of 1024): -s 2M, -s 2MB
  long options any unique prefix: --forc, --logl=16m

Environment:
  FAMFS_DEVICE       default for --device
  FAMFS_SYSTEM_UUID  this host's system UUID, which decides master or
                     client (default: /opt/famfs/system_uuid, upstream
                     famfs's file, created with a random UUID if missing)
  FAMFS_RUN_DIR      daemon pid files (default /run/famfs_rs)
  FAMFS_LOG_DIR      daemon logs (default /var/log/famfs_rs, else the run dir)

Example session:
  truncate -s 4G fs.img
  famfs mkfs fs.img
  famfs mkdir -D fs.img -p data/in
  famfs creat -D fs.img -s 64M --randomize --seed 7 data/in/a
  famfs verify -D fs.img --seed 7 data/in/a
  famfs cp -D fs.img ./big.bin data/
  famfs logplay fs.img
  famfs fsck fs.img
  famfs mount /dev/dax0.0 /mnt/famfs
  famfs creat -s 2M /mnt/famfs/new
  famfs umount /mnt/famfs";

/// The `famfs` command.
#[derive(Debug, Parser)]
#[command(name = "famfs", version, about = ABOUT, long_about = LONG_ABOUT, after_help = AFTER_HELP,
          disable_help_flag = true, infer_long_args = true)]
pub struct Cli {
    #[command(flatten)]
    pub help: HelpArg,
    /// Upstream's global --dryrun, which its CLI ignores: no effect (a
    /// verb's own --dryrun, e.g. logplay's, does a dry run).
    #[arg(long)]
    pub dryrun: bool,
    /// More output (-vv: more still); accepted by every verb.
    #[arg(short, long, action = ArgAction::Count, global = true)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

/// `mkfs.famfs`, when the binary is invoked under that name.
#[derive(Debug, Parser)]
#[command(name = "mkfs.famfs", version, about = "Format a devdax device or image as famfs", after_help = AFTER_HELP,
          disable_help_flag = true, infer_long_args = true)]
pub struct MkfsCli {
    /// More output.
    #[arg(short, long, action = ArgAction::Count)]
    pub verbose: u8,
    #[command(flatten)]
    pub args: MkfsArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Format a devdax device or image file (also installed as mkfs.famfs).
    #[command(long_about = "\
Format a devdax device or image file: write an empty log, then a superblock \
naming this host as the master. Refuses to overwrite an existing famfs \
unless --force. With --kill --force, only destroy the superblock (as \
upstream, --kill alone is refused).

When the binary is run as `mkfs.famfs` (a link to famfs), it behaves as \
`famfs mkfs`.

Examples:
  famfs mkfs /dev/dax0.0
  famfs mkfs --force --loglen 16M fs.img
  famfs mkfs -f -k /dev/dax0.0        # the device is no longer famfs")]
    Mkfs(MkfsArgs),

    /// Check a file system and report what is wrong (read-only).
    #[command(long_about = "\
Check a famfs: superblock (magic, CRC, version, geometry), log header, \
every log entry (CRC, type, sequence, path, fmap), the namespace (duplicate \
paths, missing parents) and space (extents out of bounds, in the superblock \
or log, overlapping, or cross-linked between files). Never writes.

Exits 0 when clean, 3 when errors were found (warnings alone keep it 0). \
Prints upstream's figures too (device capacity, log size in use; with -v \
the log offset and length), so scripts that read them work. A mounted \
device is refused unless --force (then it is read through its mount); \
give the mount point instead. Here -h is --human; help is -? or --help.

Examples:
  famfs fsck /dev/dax0.0
  famfs fsck -h -B 8 /mnt/famfs        # sizes in GiB, 8-bucket usage
  famfs fsck --json fs.img | jq .findings")]
    Fsck(FsckArgs),

    /// Replay the log and print the namespace it describes.
    #[command(long_about = "\
Replay the log and print every directory and file it creates: mode, owner, \
size and path. On an unmounted device nothing is changed, so --dry-run is \
implied (it is accepted for compatibility; in mounted mode it will mean \
'print only'). Entries that cannot be replayed are reported on stderr and \
make the exit status 3. With --shadow DIR, also write upstream's shadow \
tree: DIR/root/PATH for every directory (with its mode and owner) and a \
YAML file for every file (path, size, flags, mode, owner, extents), as \
upstream's logplay --shadow does.

Examples:
  famfs logplay fs.img
  famfs logplay --json /dev/dax0.0
  famfs logplay --shadow /tmp/shadow /mnt/famfs")]
    Logplay(LogplayArgs),

    /// Create a file of a given size (space is allocated now, once).
    #[command(long_about = "\
Create a file of SIZE bytes. Its space is allocated at once, in 2 MiB \
units: one extent (first fit), or strips across buckets with --nstrips \
(interleaved: chunk 0 on strip 0, chunk 1 on strip 1, ...). --devices \
chooses the devices (indexes in log order, 0 the primary): strip i goes \
on the (i mod n)th of the n given, each strip in a bucket of its own on \
its device; a file without --nstrips goes whole on the one device given \
(default 0). Secondary devices must be reachable: --daxdev for an \
unmounted device, or the mount's own. With \
--randomize, fill it with data reproducible from --seed (check it later \
with verify; the data is upstream's, so either tool verifies it).

Like upstream: an existing file is not an error when --size is absent or \
equal to its size (with --randomize it is filled again in place); a new \
file needs a size above 0; --seed needs --randomize. --multi creates \
several files (NAME,SIZE[,SEED]), then fills the seeded ones.

With --read-only, the new files' log entries say all hosts may only read \
them: famfs_rs.ko refuses to open them for writing on every host, the \
master too (fill them through the raw device, -D, before mounting).

Examples:
  famfs creat -D fs.img -s 1G bigfile
  famfs creat -D fs.img -s 100M --randomize --seed 42 dir/data
  famfs creat -D fs.img -s 256M -N 4 -B 8 -C 2M striped
  famfs creat -D fs.img --daxdev sec.img -s 1G -N 2 --devices 0,1 spread
  famfs creat -D fs.img --daxdev sec.img -s 1G --devices 1 on-second
  famfs creat -M /mnt/famfs/a,2M,42 -M /mnt/famfs/b,2M")]
    Creat(CreatArgs),

    /// Create directories.
    #[command(long_about = "\
Create directories. With -p, create missing parents too and accept \
directories that already exist (the root included: mkdir -p MOUNTPOINT \
succeeds, mkdir MOUNTPOINT does not).

Examples:
  famfs mkdir -D fs.img projects
  famfs mkdir -D fs.img -p a/b/c")]
    Mkdir(MkdirArgs),

    /// Copy host files (or trees, with -r) into the file system.
    #[command(long_about = "\
Copy host files into famfs. Each destination file is created with the \
source's size and the space is allocated then. If DEST is an existing \
directory, sources go inside it under their own names; otherwise a single \
source is copied to the path DEST. With -r, directories are copied \
recursively. A progress bar is shown on a terminal for large copies. \
As upstream: an existing destination of the source's size is overwritten \
(cp is restartable), one of another size is an error; empty sources and \
anything but regular files are refused; a directory among the sources \
without -r is reported and skipped, and the exit status is then 1. \
--compare only compares.

Examples:
  famfs cp -D fs.img ./model.bin models/
  famfs cp -D fs.img -r ./dataset data
  famfs cp -D fs.img a.bin b.bin dir/")]
    Cp(CpArgs),

    /// Print a file's map: where its bytes are on which device.
    #[command(long_about = "\
Print a file's size and fmap: simple extents (device index, offset, length) \
or an interleaved extent (chunk size and strips). In a famfs_rs mount, \
.meta/.superblock and .meta/.log have maps too.

Exit status (upstream's): 0 a mapped famfs file; 1 not in a famfs; 2 in a \
famfs but without a valid map; 9 (EBADF) missing; 21 (EISDIR) not a \
regular file; 2 also for bad arguments.

Examples:
  famfs getmap -D fs.img dir/data
  famfs getmap -q /mnt/famfs/x && echo mapped
  famfs getmap -D fs.img --json striped")]
    Getmap(GetmapArgs),

    /// Check that files hold the data creat --randomize --seed wrote.
    #[command(long_about = "\
Read files and compare them with the data `creat --randomize --seed SEED` \
writes (upstream's generator: files from either tool verify). Exits 3 and \
names the first differing offset on a mismatch. Files are given as \
arguments or with -f (upstream's form); --multi FILE,SEED pairs each file \
with its own seed. A seed is required and must not be 0.

Examples:
  famfs verify -D fs.img --seed 42 dir/data
  famfs verify -S 42 -f /mnt/famfs/dir/data
  famfs verify -m /mnt/famfs/a,1 -m /mnt/famfs/b,2")]
    Verify(VerifyArgs),

    /// Check that every file in the log can be used from this host.
    #[command(long_about = "\
Replay the log and check every file: its fmap is valid and every device it \
uses is present on this host (secondary devices are matched by UUID among \
--daxdev). Prints a summary; exits 3 if any file is unusable. (fsck checks \
the media; check checks what a mount would serve.)

Example:
  famfs check -D fs.img")]
    Check(CheckArgs),

    /// Add a secondary device to the file system (ADD_DAXDEV).
    #[command(long_about = "\
Add a secondary dax device: write a secondary superblock on it and log an \
ADD_DAXDEV entry giving it the next device index. Later commands find it \
by UUID among their --daxdev devices, whatever its path on that host.

Example:
  famfs adddev -D /dev/dax0.0 /dev/dax1.0")]
    Adddev(AdddevArgs),

    /// Write back this CPU's caches for files (for hosts that share the memory).
    #[command(long_about = "\
Write back and invalidate this CPU's cache lines for whole files, as \
upstream's flush does: after writing a file that other hosts will read \
(the memory need not be cache-coherent between hosts), and before reading \
one other hosts wrote. Exits 1 if any argument is not a famfs file.

Example:
  famfs flush /mnt/famfs/results/*")]
    Flush(FlushArgs),

    /// Check that a file reads the same through read(2) and mmap(2).
    #[command(long_about = "\
Read a file of a mounted famfs whole through read(2) and through a shared \
mapping, and compare. -s / -l also print the superblock / log header when \
the file is .meta/.superblock / .meta/.log. Exits 1 on a difference.

Example:
  famfs chkread -l /mnt/famfs/.meta/.log")]
    Chkread(ChkreadArgs),

    /// Make a second file sharing a file's map (corrupts the file system on purpose).
    #[command(long_about = "\
Log a new file DEST with SRC's size and the very same extents: a \
cross-linked file, which fsck then reports. For testing fsck only, as \
upstream's clone.

Example:
  famfs clone /mnt/famfs/original /mnt/famfs/clone")]
    Clone(CloneArgs),

    /// Upstream's mkmeta: succeeds if the device is mounted (its .meta exists).
    #[command(long_about = "\
Upstream's standalone (v1) mounts need mkmeta to create .meta/.superblock \
and .meta/.log; a famfs_rs mount serves them from the start. mkmeta \
DEVICE succeeds when DEVICE is mounted (and says where), and fails \
otherwise.")]
    Mkmeta(MkmetaArgs),

    /// Mount a famfs and start its daemon.
    #[command(long_about = MOUNT_LONG)]
    Mount(MountArgs),

    /// Unmount a famfs and wait for its daemon to exit.
    #[command(long_about = "\
Unmount a famfs mount and wait (up to --timeout) for its daemon to exit. \
A plain umount(8) also ends the daemon; this waits for it and says so.

Examples:
  famfs umount /mnt/famfs
  famfs umount --lazy /mnt/famfs      # detach now even if busy")]
    Umount(UmountArgs),

    /// Keep devdax devices bound to famfs_rs.ko across mounts (fast remounts).
    #[command(long_about = BIND_LONG)]
    Bind(BindArgs),

    /// Give devices bound with `famfs bind` back to device_dax.
    #[command(long_about = "\
Give each DEVICE back to the kernel's device_dax driver (its /dev/daxX.Y \
maps again) and forget that it was bound with famfs bind. A mounted device \
is refused: unmount it first. The next mount of it moves it to famfs_rs.ko \
again for that mount only.

Example:
  famfs unbind /dev/dax0.0")]
    Unbind(UnbindArgs),

    /// The daemon of one mount (started by `famfs mount`; for tests).
    #[command(long_about = DAEMON_LONG)]
    Daemon(DaemonArgs),
}

const BIND_LONG: &str = "\
Move each DEVICE (a devdax device, /dev/daxX.Y) to the dax driver famfs \
mounts use (famfs_rs.ko's own on Linux 6.12, the kernel's fsdev_dax on \
7.x) once, and keep it there until famfs unbind: famfs mount then skips \
the move and famfs umount leaves the device bound. Without it every mount \
moves its devices there and every umount moves them back to device_dax, \
which costs CPU and memory in proportion to the device's size (about 10 ms \
of CPU per GiB each way on 6.12, 42 ms on 7.3: seconds to tens of seconds \
per TiB), while a mount of a bound device costs only its log replay.

A bound device keeps its page map (struct pages: 16 MiB of this host's RAM \
per GiB of device, 16 GiB per TiB) for as long as it is bound: bind the \
devices you mount, not every device on the host.

While bound, /dev/daxX.Y can be neither read nor mapped (6.12: it does not \
open; 7.x: it opens, for naming the device, and nothing more). famfs \
commands given /dev/daxX.Y (mkfs, fsck, logplay, mount, and -D) then read \
and write it through famfs_rs.ko's raw node: /dev/famfs_rs_raw/daxX.Y on \
6.12, /dev/famfs_rs_raw/fsdev on 7.x. Writes through it are refused while \
the device is mounted (write through the mount). Without DEVICE, lists \
the bound devices.

Examples:
  famfs bind /dev/dax0.0
  famfs mount /dev/dax0.0 /mnt/famfs; famfs umount /mnt/famfs   # stays bound
  famfs fsck /dev/dax0.0                                          # through the raw node
  famfs unbind /dev/dax0.0";

const MOUNT_LONG: &str = "\
Mount the famfs on DEVICE (a devdax device or image holding a famfs \
superblock) at MOUNTPOINT (an existing directory) and run its daemon in \
the background. Reports success only once mount(2) returned, which means \
the kernel and the daemon completed their handshake.

The mount goes through famfs_rs.ko (/dev/famfs_rs, file system type \
famfs_rs), famfs over the FUSE protocol with dax: file data is mapped \
straight from the device (upstream's -f/--fuse means this and is \
accepted). With --plain-fuse it uses the kernel's own FUSE (/dev/fuse, \
type fuse.famfs), for machines without famfs_rs.ko: slow and read-only \
(data is copied by the daemon, READ by READ; no dax, no shared mappings). \
Upstream's other options are accepted; those without effect say so.

The daemon logs to /var/log/famfs_rs/<mnt>.log (or /run/famfs_rs when \
/var/log is not writable; FAMFS_LOG_DIR overrides) and records its pid in \
/run/famfs_rs/<mnt>.pid (FAMFS_RUN_DIR), <mnt> being the mount point \
escaped like systemd does (/mnt/famfs -> mnt-famfs). Files added to the \
log later, by this host or another, appear in the mount on their own.

Test mode: --misbehave all (or CASE[,CASE...]) makes the daemon answer \
requests about root entries named bad-<CASE> with malformed replies; \
`famfs daemon --list-misbehave-cases [-v]` lists the cases.

Examples:
  famfs mount /dev/dax0.0 /mnt/famfs
  famfs mount --plain-fuse /dev/dax0.0 /mnt/famfs
  famfs mount --misbehave all /dev/dax0.0 /mnt/famfs";

const DAEMON_LONG: &str = "\
Serve one famfs mount: replay the log, answer the kernel over the control \
device, pick up new log entries. `famfs mount` runs it; run it by hand to \
serve a descriptor another process mounts with, e.g.

  exec 3<>/dev/famfs_rs
  famfs daemon --device /dev/dax0.0 --fd 3 &
  mount -t famfs_rs -o fd=3,rootmode=40755,user_id=0,group_id=0 /dev/dax0.0 /mnt

With --mountpoint the daemon mounts by itself (what famfs mount does). \
It runs in the foreground and logs to stderr; it exits when the \
connection ends (unmount), after giving the devices back to device_dax.

--list-misbehave-cases prints the names of the test cases that \
--misbehave all arms, one per line (hit each by accessing \
MNT/bad-<case>); with -v: name, action, expected outcome \
(fails/succeeds) and what is sent, tab separated, including the INIT \
cases that only --misbehave <case> arms (the mount itself fails).";

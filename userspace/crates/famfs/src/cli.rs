// SPDX-License-Identifier: GPL-2.0
//! Command-line definitions: what `famfs --help` teaches.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::size::parse_size;

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
kernel's FUSE with --fuse) and runs its daemon. The on-media format is \
upstream famfs's OMF 2.2: media formatted by either tool works with the \
other.";

const AFTER_HELP: &str = "\
Exit status:
  0  success (fsck: the file system is clean)
  1  the operation failed (the message names the device or file and why)
  2  usage error (bad arguments)
  3  a check failed: fsck or check found errors, verify found different data

Environment:
  FAMFS_DEVICE       default for --device
  FAMFS_SYSTEM_UUID  this host's system UUID (default: DMI product UUID,
                     then /etc/machine-id); decides master or client
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
#[command(name = "famfs", version, about = ABOUT, long_about = LONG_ABOUT, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// `mkfs.famfs`, when the binary is invoked under that name.
#[derive(Debug, Parser)]
#[command(name = "mkfs.famfs", version, about = "Format a devdax device or image as famfs", after_help = AFTER_HELP)]
pub struct MkfsCli {
    #[command(flatten)]
    pub args: MkfsArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Format a devdax device or image file (also installed as mkfs.famfs).
    #[command(long_about = "\
Format a devdax device or image file: write an empty log, then a superblock \
naming this host as the master. Refuses to overwrite an existing famfs \
unless --force. With --kill, only destroy the superblock.

When the binary is run as `mkfs.famfs` (a link to famfs), it behaves as \
`famfs mkfs`.

Examples:
  famfs mkfs /dev/dax0.0
  famfs mkfs --force --loglen 16M fs.img
  famfs mkfs --kill /dev/dax0.0       # the device is no longer famfs")]
    Mkfs(MkfsArgs),

    /// Check a file system and report what is wrong (read-only).
    #[command(long_about = "\
Check a famfs: superblock (magic, CRC, version, geometry), log header, \
every log entry (CRC, type, sequence, path, fmap), the namespace (duplicate \
paths, missing parents) and space (extents out of bounds, in the superblock \
or log, overlapping, or cross-linked between files). Never writes.

Exits 0 when clean, 3 when errors were found (warnings alone keep it 0).

Examples:
  famfs fsck /dev/dax0.0
  famfs fsck --json fs.img | jq .findings")]
    Fsck(FsckArgs),

    /// Replay the log and print the namespace it describes.
    #[command(long_about = "\
Replay the log and print every directory and file it creates: mode, owner, \
size and path. On an unmounted device nothing is changed, so --dry-run is \
implied (it is accepted for compatibility; in mounted mode it will mean \
'print only'). Entries that cannot be replayed are reported on stderr and \
make the exit status 3.

Examples:
  famfs logplay fs.img
  famfs logplay --json /dev/dax0.0")]
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
with verify). With --read-only, its log entry says all hosts may only read \
it: famfs_rs.ko refuses to open it for writing on every host, the master \
too (fill it through the raw device, -D, before mounting).

Examples:
  famfs creat -D fs.img -s 1G bigfile
  famfs creat -D fs.img -s 100M --randomize --seed 42 dir/data
  famfs creat -D fs.img -s 256M -N 4 -B 8 -C 2M striped
  famfs creat -D fs.img --daxdev sec.img -s 1G -N 2 --devices 0,1 spread
  famfs creat -D fs.img --daxdev sec.img -s 1G --devices 1 on-second")]
    Creat(CreatArgs),

    /// Create directories.
    #[command(long_about = "\
Create directories. With -p, create missing parents too and accept \
directories that already exist.

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
recursively. A progress bar is shown on a terminal for large copies.

Examples:
  famfs cp -D fs.img ./model.bin models/
  famfs cp -D fs.img -r ./dataset data
  famfs cp -D fs.img a.bin b.bin dir/")]
    Cp(CpArgs),

    /// Print a file's map: where its bytes are on which device.
    #[command(long_about = "\
Print a file's size and fmap: simple extents (device index, offset, length) \
or an interleaved extent (chunk size and strips).

Examples:
  famfs getmap -D fs.img dir/data
  famfs getmap -D fs.img --json striped")]
    Getmap(GetmapArgs),

    /// Check that files hold the data creat --randomize --seed wrote.
    #[command(long_about = "\
Read files and compare them with the data `creat --randomize --seed SEED` \
writes. Exits 3 and names the first differing offset on a mismatch.

Example:
  famfs verify -D fs.img --seed 42 dir/data")]
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

    /// The daemon of one mount (started by `famfs mount`; for tests).
    #[command(long_about = DAEMON_LONG)]
    Daemon(DaemonArgs),
}

const MOUNT_LONG: &str = "\
Mount the famfs on DEVICE (a devdax device or image holding a famfs \
superblock) at MOUNTPOINT (an existing directory) and run its daemon in \
the background. Reports success only once mount(2) returned, which means \
the kernel and the daemon completed their handshake.

By default the mount goes through famfs_rs.ko (/dev/famfs_rs, file system \
type famfs_rs): file data is mapped straight from the device. With \
--fuse it uses the kernel's own FUSE (/dev/fuse, type fuse.famfs), for \
machines without famfs_rs.ko: slow and read-only (data is copied by the \
daemon, READ by READ; no dax, no shared mappings).

The daemon logs to /var/log/famfs_rs/<mnt>.log (or /run/famfs_rs when \
/var/log is not writable; FAMFS_LOG_DIR overrides) and records its pid in \
/run/famfs_rs/<mnt>.pid (FAMFS_RUN_DIR), <mnt> being the mount point \
escaped like systemd does (/mnt/famfs -> mnt-famfs). Files added to the \
log later, by this host or another, appear in the mount on their own.

Test mode: --misbehave all (or CASE[,CASE...]) makes the daemon answer \
requests about root entries named bad-<CASE> with malformed replies; \
`famfs daemon --list-misbehave-cases [--verbose]` lists the cases.

Examples:
  famfs mount /dev/dax0.0 /mnt/famfs
  famfs mount --fuse /dev/dax0.0 /mnt/famfs
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
connection ends (unmount).

--list-misbehave-cases prints the names of the test cases that \
--misbehave all arms, one per line (hit each by accessing \
MNT/bad-<case>); with --verbose: name, action, expected outcome \
(fails/succeeds) and what is sent, tab separated, including the INIT \
cases that only --misbehave <case> arms (the mount itself fails).";

/// Options of `mkfs`.
#[derive(Debug, Args)]
pub struct MkfsArgs {
    /// Overwrite an existing famfs file system.
    #[arg(short, long)]
    pub force: bool,
    /// Destroy the superblock (the device stops being famfs) and exit.
    #[arg(short, long)]
    pub kill: bool,
    /// Log length: a power of two, at least 8M (default 8M).
    #[arg(short, long, value_parser = parse_size, value_name = "SIZE")]
    pub loglen: Option<u64>,
    /// devdax device (/dev/daxX.Y) or image file.
    pub device: PathBuf,
}

/// The device option of file verbs.
#[derive(Debug, Args)]
pub struct DeviceArgs {
    /// Primary devdax device or image file (unmounted); without it, paths
    /// must lie inside a famfs mount.
    #[arg(
        short = 'D',
        long,
        visible_alias = "image",
        env = "FAMFS_DEVICE",
        value_name = "PATH"
    )]
    pub device: Option<PathBuf>,
    /// Secondary device or image (repeatable); matched by UUID.
    #[arg(long, value_name = "PATH")]
    pub daxdev: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct FsckArgs {
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also print the namespace.
    #[arg(short, long)]
    pub verbose: bool,
    /// devdax device or image file, or a famfs mount point.
    pub device: PathBuf,
}

#[derive(Debug, Args)]
pub struct LogplayArgs {
    /// Print only (implied on an unmounted device).
    #[arg(short = 'n', long)]
    pub dry_run: bool,
    /// Print the namespace as JSON.
    #[arg(long)]
    pub json: bool,
    /// devdax device or image file, or a famfs mount point.
    pub device: PathBuf,
}

/// Owner and mode options.
#[derive(Debug, Args)]
pub struct OwnerArgs {
    /// Permission bits, octal (default 0644 for files, 0755 for directories,
    /// the source's for cp).
    #[arg(short, long, value_parser = parse_mode)]
    pub mode: Option<u32>,
    /// Owner uid (default: the caller's, the source's for cp).
    #[arg(short, long)]
    pub uid: Option<u32>,
    /// Owner gid (default: the caller's, the source's for cp).
    #[arg(short, long)]
    pub gid: Option<u32>,
}

/// Layout options (interleaving).
#[derive(Debug, Args)]
pub struct LayoutArgs {
    /// Interleave over this many strips (1-16), each in its own bucket.
    #[arg(short = 'N', long)]
    pub nstrips: Option<u32>,
    /// Buckets to divide the device into (nstrips-64; default nstrips).
    #[arg(short = 'B', long, requires = "nstrips")]
    pub nbuckets: Option<u32>,
    /// Interleave chunk size, a multiple of 2M (default 2M).
    #[arg(short = 'C', long, value_parser = parse_size, requires = "nstrips")]
    pub chunksize: Option<u64>,
    /// Devices the data goes on: indexes in log order (0 the primary, then
    /// adddev's), comma separated, or "all". Strip i goes on the
    /// (i mod n)th; without --nstrips, a single device (default 0).
    #[arg(long, value_parser = parse_devices, value_name = "LIST")]
    pub devices: Option<Devices>,
}

/// The `--devices` choice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Devices {
    /// Every device in the log, in index order.
    All,
    /// These indexes, in this order.
    List(Vec<u32>),
}

fn parse_devices(s: &str) -> Result<Devices, String> {
    if s == "all" {
        return Ok(Devices::All);
    }
    s.split(',')
        .map(|d| {
            d.trim()
                .parse::<u32>()
                .map_err(|_| format!("{d:?} is not a device index (0, 1, ...; or \"all\")"))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Devices::List)
}

#[derive(Debug, Args)]
pub struct CreatArgs {
    #[command(flatten)]
    pub dev: DeviceArgs,
    /// File size (bytes; suffixes K, M, G, T are powers of 1024).
    #[arg(short, long, value_parser = parse_size)]
    pub size: u64,
    /// Fill the file with data reproducible from --seed.
    #[arg(short, long, requires = "seed")]
    pub randomize: bool,
    /// Seed for --randomize.
    #[arg(short = 'S', long)]
    pub seed: Option<u64>,
    /// Every host may only read the file (the log entry's all-hosts
    /// read-only flag, which famfs_rs.ko enforces).
    #[arg(long)]
    pub read_only: bool,
    #[command(flatten)]
    pub owner: OwnerArgs,
    #[command(flatten)]
    pub layout: LayoutArgs,
    /// Path of the new file in famfs.
    pub path: String,
}

#[derive(Debug, Args)]
pub struct MkdirArgs {
    #[command(flatten)]
    pub dev: DeviceArgs,
    /// Create missing parents; existing directories are fine.
    #[arg(short, long)]
    pub parents: bool,
    #[command(flatten)]
    pub owner: OwnerArgs,
    /// Directories to create.
    #[arg(required = true)]
    pub paths: Vec<String>,
}

#[derive(Debug, Args)]
pub struct CpArgs {
    #[command(flatten)]
    pub dev: DeviceArgs,
    /// Copy directories recursively.
    #[arg(short, long)]
    pub recursive: bool,
    /// Print each file copied.
    #[arg(short, long)]
    pub verbose: bool,
    #[command(flatten)]
    pub owner: OwnerArgs,
    #[command(flatten)]
    pub layout: LayoutArgs,
    /// Host files (then the famfs destination last).
    #[arg(required = true, num_args = 2.., value_name = "SRC... DEST")]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct GetmapArgs {
    #[command(flatten)]
    pub dev: DeviceArgs,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
    /// File in famfs.
    pub path: String,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub dev: DeviceArgs,
    /// Seed the files were created with.
    #[arg(short = 'S', long)]
    pub seed: u64,
    /// Files in famfs.
    #[arg(required = true)]
    pub paths: Vec<String>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub dev: DeviceArgs,
    /// List every file checked.
    #[arg(short, long)]
    pub verbose: bool,
    /// A path in a mounted famfs (instead of --device).
    pub path: Option<String>,
}

#[derive(Debug, Args)]
pub struct AdddevArgs {
    #[command(flatten)]
    pub dev: DeviceArgs,
    /// The secondary devdax device or image to add.
    pub secondary: PathBuf,
}

/// What both `mount` and `daemon` pass to the daemon.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Use the kernel's FUSE (/dev/fuse) instead of famfs_rs.ko: slow,
    /// read-only, no dax.
    #[arg(long)]
    pub fuse: bool,
    /// Test mode: malformed replies for bad-<CASE> ("all", or names
    /// separated by commas).
    #[arg(long, value_name = "CASES")]
    pub misbehave: Option<String>,
    /// Secondary device path to try first (repeatable); matched by UUID.
    #[arg(long, value_name = "PATH")]
    pub daxdev: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct MountArgs {
    #[command(flatten)]
    pub serve: ServeArgs,
    /// Seconds to wait for the daemon to mount.
    #[arg(long, default_value_t = 60)]
    pub timeout: u64,
    /// The famfs devdax device or image.
    pub device: PathBuf,
    /// An existing directory.
    pub mountpoint: PathBuf,
}

#[derive(Debug, Args)]
pub struct UmountArgs {
    /// Detach now even if busy (umount -l).
    #[arg(short, long)]
    pub lazy: bool,
    /// Seconds to wait for the daemon to exit.
    #[arg(long, default_value_t = 10)]
    pub timeout: u64,
    /// The mount point.
    pub mountpoint: PathBuf,
}

#[derive(Debug, Args)]
pub struct DaemonArgs {
    /// Print the misbehave test cases and exit.
    #[arg(long)]
    pub list_misbehave_cases: bool,
    /// With --list-misbehave-cases: action, outcome and description too.
    #[arg(short, long, requires = "list_misbehave_cases")]
    pub verbose: bool,
    /// The famfs devdax device or image.
    #[arg(long, required_unless_present = "list_misbehave_cases")]
    pub device: Option<PathBuf>,
    /// Mount there once serving.
    #[arg(long)]
    pub mountpoint: Option<PathBuf>,
    /// Serve this open control device descriptor (default: open one).
    #[arg(long)]
    pub fd: Option<i32>,
    #[command(flatten)]
    pub serve: ServeArgs,
    /// Descriptor to report "ok" or "error: ..." on once mounted.
    #[arg(long, hide = true)]
    pub status_fd: Option<i32>,
    /// Log refresh period in milliseconds (a lookup miss refreshes too).
    #[arg(long, default_value_t = 1000)]
    pub refresh_ms: u64,
}

fn parse_mode(s: &str) -> Result<u32, String> {
    let m = u32::from_str_radix(s.trim_start_matches("0o"), 8)
        .map_err(|_| format!("{s:?} is not an octal mode"))?;
    if m > 0o7777 {
        return Err(format!("{s:?}: mode bits beyond 07777"));
    }
    Ok(m)
}

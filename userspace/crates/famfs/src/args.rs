// SPDX-License-Identifier: GPL-2.0
//! The options of each verb: famfs_rs's own and every option upstream
//! famfs's CLI takes (a superset, so upstream's scripts run unchanged).
//! Options that mean nothing here are accepted and say why when used
//! (see [`crate::compat`]); Documentation/famfs_rs.rst has the table.

use std::path::PathBuf;

use clap::{ArgAction, Args};

use crate::num::{parse_count, parse_id, parse_mode, parse_seed};
use crate::size::parse_size;

/// `-h`, `-?` and `--help`, as upstream's verbs take them.
#[derive(Debug, Args)]
pub struct HelpArg {
    /// Print help (also -?).
    #[arg(short = 'h', short_alias = '?', long, action = ArgAction::Help)]
    pub help: Option<bool>,
}

/// Options of `mkfs`.
#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct MkfsArgs {
    #[command(flatten)]
    pub help: HelpArg,
    /// Overwrite an existing famfs file system.
    #[arg(short, long)]
    pub force: bool,
    /// Destroy the superblock (the device stops being famfs); needs --force.
    #[arg(short, long)]
    pub kill: bool,
    /// Log length: a power of two, at least 8M (default 8M).
    #[arg(short, long, value_parser = parse_size, value_name = "SIZE")]
    pub loglen: Option<u64>,
    #[command(flatten)]
    pub upstream: MkfsUpstreamArgs,
    /// devdax device (/dev/daxX.Y) or image file.
    pub device: PathBuf,
}

/// Upstream mkfs's choice of how to reach the device (through a dummy
/// mount of its v1 module or fuse, or raw): famfs_rs's mkfs always
/// writes the device directly, so these say so and change nothing.
#[derive(Debug, Args)]
pub struct MkfsUpstreamArgs {
    /// Upstream: format through a dummy mount of the v1 module.
    #[arg(short = 'F', long, conflicts_with = "fuse")]
    pub nofuse: bool,
    /// Upstream: format through a dummy fuse mount.
    #[arg(long)]
    pub fuse: bool,
    /// Upstream: do not map the device raw (format through a dummy mount).
    #[arg(short = 'D', long)]
    pub nodax: bool,
    /// Upstream: switch the daxdev to famfs mode first (kernels >= 7.0).
    #[arg(short = 'M', long)]
    pub set_daxmode: bool,
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

/// Upstream's choice of how to reach the memory (`--mmap`/`--read`):
/// famfs_rs always maps, so both are accepted and change nothing, but
/// they stay mutually exclusive, as upstream has them.
#[derive(Debug, Args)]
pub struct AccessArgs {
    /// Upstream: access the log with mmap (famfs_rs always does).
    #[arg(short = 'm', long, conflicts_with = "read")]
    pub mmap: bool,
    /// Upstream: access the log with read (famfs_rs maps it instead).
    #[arg(short = 'r', long)]
    pub read: bool,
}

/// Upstream's daxdev mode and module options (kernels >= 7.0 and the
/// standalone v1 module): nothing to do with famfs_rs.ko.
#[derive(Debug, Args)]
pub struct ModeArgs {
    /// Upstream: switch the daxdev to famfs mode (famfs_rs moves the device
    /// to its dax driver while mounted; nothing to switch).
    #[arg(short = 'M', long)]
    pub set_daxmode: bool,
    /// Upstream: modprobe the v1 famfs module (not used by famfs_rs).
    #[arg(short = 'L', long)]
    pub load_module: bool,
}

#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct FsckArgs {
    /// Print help (-h is --human here, as upstream has it).
    #[arg(short = '?', long, action = ArgAction::Help)]
    pub help: Option<bool>,
    /// Print sizes in GiB instead of bytes.
    #[arg(short = 'h', long)]
    pub human: bool,
    /// Check the device even though it is mounted (read through the mount).
    #[arg(short, long)]
    pub force: bool,
    /// Also print how full each of N equal buckets of the device is.
    #[arg(short = 'B', long, value_parser = parse_count, value_name = "N")]
    pub nbuckets: Option<u32>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub access: AccessArgs,
    #[command(flatten)]
    pub mode: ModeArgs,
    /// Upstream: use the v1 module for an internal mount (famfs_rs reads the
    /// device directly).
    #[arg(short = 'F', long)]
    pub nofuse: bool,
    /// Upstream: use fuse for an internal mount (famfs_rs needs none).
    #[arg(long)]
    pub fuse: bool,
    /// Upstream (hidden): skip dax (no effect).
    #[arg(short = 'D', long, hide = true)]
    pub nodax: bool,
    /// devdax device or image file, or a famfs mount point.
    pub device: PathBuf,
}

#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct LogplayArgs {
    #[command(flatten)]
    pub help: HelpArg,
    /// Print only (implied on an unmounted device).
    #[arg(short = 'n', long, visible_alias = "dryrun")]
    pub dry_run: bool,
    /// Print the namespace as JSON.
    #[arg(long)]
    pub json: bool,
    /// Write upstream's shadow tree: DIR/root/PATH, one YAML file a file.
    #[arg(short = 'S', long, value_name = "DIR")]
    pub shadow: Option<PathBuf>,
    /// Upstream: shadow test mode (the YAML is written and read back).
    #[arg(short = 's', long)]
    pub shadowtest: bool,
    /// Replay as a client would (famfs_rs's replay is the same either way).
    #[arg(short, long)]
    pub client: bool,
    /// With --shadow: read this device instead of a mount.
    #[arg(short = 'd', long, value_name = "DEVICE", requires = "shadow")]
    pub daxdev: Option<PathBuf>,
    #[command(flatten)]
    pub access: AccessArgs,
    /// Upstream: switch the daxdev to famfs mode (nothing to switch).
    #[arg(short = 'M', long)]
    pub set_daxmode: bool,
    /// devdax device or image file, or a famfs mount point.
    #[arg(required_unless_present = "daxdev")]
    pub device: Option<PathBuf>,
}

/// Owner and mode options.
#[derive(Debug, Args)]
pub struct OwnerArgs {
    /// Permission bits, octal, or 0x hex (default 0644 for files, 0755 for
    /// directories, the source's for cp).
    #[arg(short, long, value_parser = parse_mode)]
    pub mode: Option<u32>,
    /// Owner uid: decimal, 0x hex or 0-prefixed octal, as upstream
    /// (default: the caller's, the source's for cp).
    #[arg(short, long, value_parser = parse_id)]
    pub uid: Option<u32>,
    /// Owner gid (default: the caller's, the source's for cp).
    #[arg(short, long, value_parser = parse_id)]
    pub gid: Option<u32>,
}

/// Layout options (interleaving).
#[derive(Debug, Args)]
pub struct LayoutArgs {
    /// Interleave over this many strips (1-16), each in its own bucket.
    #[arg(short = 'N', long, value_parser = parse_count)]
    pub nstrips: Option<u32>,
    /// Buckets to divide the device into (nstrips-64; default nstrips).
    #[arg(short = 'B', long, value_parser = parse_count, requires = "nstrips")]
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

/// One `creat --multi NAME,SIZE[,SEED]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MultiCreat {
    pub path: String,
    /// The size and seed (0: not randomized), or why they do not parse:
    /// as upstream, that file fails and the others are still created.
    pub spec: Result<(u64, u64), String>,
}

fn parse_multi_creat(s: &str) -> Result<MultiCreat, String> {
    let parts: Vec<&str> = s.split(',').collect();
    let (path, size, seed) = match parts[..] {
        [p, sz] => (p, sz, None),
        [p, sz, seed] => (p, sz, Some(seed)),
        _ => return Err(format!("{s:?}: expected NAME,SIZE or NAME,SIZE,SEED")),
    };
    let seed = seed.map(parse_seed).transpose();
    Ok(MultiCreat {
        path: path.to_owned(),
        spec: parse_size(size).and_then(|sz| Ok((sz, seed?.unwrap_or(0)))),
    })
}

/// One `verify --multi NAME,SEED`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MultiVerify {
    pub path: String,
    pub seed: u64,
}

fn parse_multi_verify(s: &str) -> Result<MultiVerify, String> {
    match s.split(',').collect::<Vec<_>>()[..] {
        [p, seed] => Ok(MultiVerify {
            path: p.to_owned(),
            seed: parse_seed(seed)?,
        }),
        _ => Err(format!("{s:?}: expected NAME,SEED")),
    }
}

/// Upstream's thread count check: 0 to 256.
fn parse_threadct(s: &str) -> Result<u32, String> {
    match s.trim().parse::<i64>() {
        Ok(n @ 0..=256) => Ok(n as u32),
        _ => Err(format!("{s:?}: the thread count must be 0 to 256")),
    }
}

/// Upstream's `-t/--threadct`.
#[derive(Debug, Args)]
pub struct ThreadArgs {
    /// Threads (0-256, checked as upstream; famfs_rs handles the files
    /// one after another).
    #[arg(short = 't', long, value_parser = parse_threadct, allow_hyphen_values = true)]
    pub threadct: Option<u32>,
}

#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct CreatArgs {
    #[command(flatten)]
    pub help: HelpArg,
    #[command(flatten)]
    pub dev: DeviceArgs,
    /// File size (bytes: decimal, 0x hex or 0-prefixed octal, as upstream;
    /// suffixes K, M, G, T are powers of 1024). Needed
    /// for a new file; for an existing file it must match its size.
    #[arg(short, long, value_parser = parse_size)]
    pub size: Option<u64>,
    /// Fill the file with data reproducible from --seed (upstream's
    /// generator; no seed or seed 0: the file is created, not filled).
    #[arg(short, long)]
    pub randomize: bool,
    /// Seed for --randomize (only its low 32 bits count, as upstream).
    #[arg(short = 'S', long, value_parser = parse_seed)]
    pub seed: Option<u64>,
    /// Create NAME of SIZE, filled from SEED if given and not 0
    /// (repeatable; not with a PATH, --size or --seed).
    #[arg(short = 'M', long, value_parser = parse_multi_creat, value_name = "NAME,SIZE[,SEED]",
          conflicts_with_all = ["size", "seed", "randomize", "path"])]
    pub multi: Vec<MultiCreat>,
    #[command(flatten)]
    pub threads: ThreadArgs,
    /// Every host may only read the new files (the log entry's all-hosts
    /// read-only flag, which famfs_rs.ko enforces).
    #[arg(long)]
    pub read_only: bool,
    #[command(flatten)]
    pub owner: OwnerArgs,
    #[command(flatten)]
    pub layout: LayoutArgs,
    /// Path of the file in famfs.
    #[arg(required_unless_present = "multi")]
    pub path: Option<String>,
}

#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct MkdirArgs {
    #[command(flatten)]
    pub help: HelpArg,
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
#[command(disable_help_flag = true)]
pub struct CpArgs {
    #[command(flatten)]
    pub help: HelpArg,
    #[command(flatten)]
    pub dev: DeviceArgs,
    /// Copy directories recursively.
    #[arg(short, long)]
    pub recursive: bool,
    /// Compare instead of copying: each destination must exist and hold
    /// the source's bytes.
    #[arg(short, long)]
    pub compare: bool,
    #[command(flatten)]
    pub threads: ThreadArgs,
    #[command(flatten)]
    pub owner: OwnerArgs,
    #[command(flatten)]
    pub layout: LayoutArgs,
    /// Host files (then the famfs destination last).
    #[arg(required = true, num_args = 2.., value_name = "SRC... DEST")]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct GetmapArgs {
    #[command(flatten)]
    pub help: HelpArg,
    #[command(flatten)]
    pub dev: DeviceArgs,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
    /// Print nothing: the exit status says whether it is a mapped famfs
    /// file (0), not in famfs (1), not mapped (2), missing (9), not a
    /// regular file (21).
    #[arg(short, long)]
    pub quiet: bool,
    /// Go on with the next file after an error.
    #[arg(short = 'c', long = "continue")]
    pub keep_going: bool,
    /// Files in famfs.
    #[arg(required = true)]
    pub paths: Vec<String>,
}

#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub help: HelpArg,
    #[command(flatten)]
    pub dev: DeviceArgs,
    /// Seed the files were created with.
    #[arg(short = 'S', long, value_parser = parse_seed)]
    pub seed: Option<u64>,
    /// A file to verify (upstream's form; repeatable).
    #[arg(short = 'f', long = "filename", value_name = "FILE")]
    pub files: Vec<String>,
    /// Verify FILE against SEED (repeatable; not with --seed or --filename).
    #[arg(short = 'm', long, value_parser = parse_multi_verify, value_name = "FILE,SEED",
          conflicts_with_all = ["seed", "files", "paths"])]
    pub multi: Vec<MultiVerify>,
    #[command(flatten)]
    pub threads: ThreadArgs,
    /// Print only failures.
    #[arg(short, long)]
    pub quiet: bool,
    /// Files in famfs (famfs_rs's form; same as --filename).
    pub paths: Vec<String>,
}

#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct CheckArgs {
    #[command(flatten)]
    pub help: HelpArg,
    #[command(flatten)]
    pub dev: DeviceArgs,
    /// Print only the unusable files, no summary (upstream accepts -q and
    /// ignores it).
    #[arg(short, long)]
    pub quiet: bool,
    /// A path in a mounted famfs (instead of --device).
    pub path: Option<String>,
}

#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct AdddevArgs {
    #[command(flatten)]
    pub help: HelpArg,
    #[command(flatten)]
    pub dev: DeviceArgs,
    /// The secondary devdax device or image to add.
    pub secondary: PathBuf,
}

/// Upstream's `flush`, `chkread`, `clone` and `mkmeta`.
#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct FlushArgs {
    #[command(flatten)]
    pub help: HelpArg,
    /// Files in a mounted famfs.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct ChkreadArgs {
    #[command(flatten)]
    pub help: HelpArg,
    /// The file is the superblock (.meta/.superblock): also print it.
    #[arg(short = 's', long)]
    pub superblock: bool,
    /// The file is the log (.meta/.log): also print its header.
    #[arg(short = 'l', long)]
    pub log: bool,
    /// A file in a mounted famfs.
    pub file: PathBuf,
}

#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct CloneArgs {
    #[command(flatten)]
    pub help: HelpArg,
    #[command(flatten)]
    pub dev: DeviceArgs,
    /// The file whose map the clone shares.
    pub src: String,
    /// The new, cross-linked file.
    pub dest: String,
}

#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct MkmetaArgs {
    #[command(flatten)]
    pub help: HelpArg,
    /// The famfs device (it must be mounted).
    pub device: PathBuf,
}

#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct BindArgs {
    #[command(flatten)]
    pub help: HelpArg,
    /// devdax devices (/dev/daxX.Y); none: list the bound ones.
    pub devices: Vec<PathBuf>,
}

#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct UnbindArgs {
    #[command(flatten)]
    pub help: HelpArg,
    /// devdax devices (/dev/daxX.Y), not mounted.
    #[arg(required = true)]
    pub devices: Vec<PathBuf>,
}

/// What both `mount` and `daemon` pass to the daemon.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Use the kernel's own FUSE (/dev/fuse) instead of famfs_rs.ko: slow,
    /// read-only, no dax (for machines without famfs_rs.ko).
    #[arg(long)]
    pub plain_fuse: bool,
    /// Test mode: malformed replies for bad-<CASE> ("all", or names
    /// separated by commas).
    #[arg(long, value_name = "CASES")]
    pub misbehave: Option<String>,
    /// Secondary device path to try first (repeatable); matched by UUID.
    #[arg(long, value_name = "PATH")]
    pub daxdev: Vec<PathBuf>,
    /// Speak at most this famfs_rs protocol version with famfs_rs.ko (as
    /// an older famfs would; 2: devices by name only). Default: the newest.
    #[arg(long, value_name = "VERSION", value_parser = clap::value_parser!(u16).range(
        i64::from(famfs_host::PROTO_MIN_VERSION)..=i64::from(famfs_host::PROTO_VERSION)
    ))]
    pub famfs_rs_proto: Option<u16>,
    /// Answer OPEN of files, as upstream famfs's daemon does, instead of
    /// letting famfs_rs.ko open files without a request (FUSE's no-open
    /// protocol, the default: a cold open is then LOOKUP and GET_FMAP).
    /// For comparisons.
    #[arg(long)]
    pub keep_open: bool,
}

#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct MountArgs {
    #[command(flatten)]
    pub help: HelpArg,
    #[command(flatten)]
    pub serve: ServeArgs,
    /// famfs over the FUSE protocol with dax: what famfs_rs.ko is, and
    /// the default (upstream's -f).
    #[arg(short = 'f', long, conflicts_with = "plain_fuse")]
    pub fuse: bool,
    /// Upstream: the standalone v1 famfs module (famfs_rs has none).
    #[arg(short = 'F', long)]
    pub nofuse: bool,
    /// Seconds to wait for the daemon to mount (upstream: the fuse cache
    /// timeout; famfs_rs caches entries 5 s).
    #[arg(short = 't', long, default_value_t = 60)]
    pub timeout: u64,
    /// Upstream: run the fuse daemon single-threaded (famfs_rs's daemon
    /// serves on one thread already).
    #[arg(short, long, action = ArgAction::Count)]
    pub debug: u8,
    /// Succeed if DEVICE is already mounted on MOUNTPOINT.
    #[arg(short = 'R', long)]
    pub remount: bool,
    /// Upstream: no allow_other (famfs_rs mounts are root's alone).
    #[arg(short = 'u', long)]
    pub nouseraccess: bool,
    /// Upstream: no default_permissions (no effect on famfs_rs).
    #[arg(short = 'p', long)]
    pub nodefaultperm: bool,
    /// Upstream: the daemon's shadow tree (famfs_rs's daemon keeps none;
    /// famfs logplay --shadow writes one).
    #[arg(short = 'S', long, value_name = "DIR")]
    pub shadow: Option<PathBuf>,
    #[command(flatten)]
    pub access: AccessArgs,
    #[command(flatten)]
    pub mode: ModeArgs,
    /// Upstream (hidden): fuse cache policy (no effect).
    #[arg(short = 'c', long, hide = true, value_name = "POLICY")]
    pub cache: Option<String>,
    /// Upstream (hidden): bounce the device through devdax mode (no effect).
    #[arg(short = 'b', long, hide = true)]
    pub bouncedax: bool,
    /// The famfs devdax device or image.
    pub device: PathBuf,
    /// An existing directory.
    pub mountpoint: PathBuf,
}

#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct UmountArgs {
    #[command(flatten)]
    pub help: HelpArg,
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
#[command(disable_help_flag = true)]
pub struct DaemonArgs {
    #[command(flatten)]
    pub help: HelpArg,
    /// Print the misbehave test cases and exit (-v: with action, outcome
    /// and description).
    #[arg(long)]
    pub list_misbehave_cases: bool,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_arguments_parse_as_upstream_writes_them() {
        assert_eq!(
            parse_multi_creat("a/b,2M,42").unwrap(),
            MultiCreat {
                path: "a/b".into(),
                spec: Ok((2 << 20, 42)),
            }
        );
        assert_eq!(parse_multi_creat("x,4k").unwrap().spec, Ok((4096, 0)));
        assert!(parse_multi_creat("x,4q").unwrap().spec.is_err());
        assert!(parse_multi_creat("x,4k,z").unwrap().spec.is_err());
        assert!(parse_multi_creat("x").is_err());
        assert!(parse_multi_creat("x,22,22,22").is_err());
        assert_eq!(parse_multi_verify("f,0x10").unwrap().seed, 16);
        assert!(parse_multi_verify("f").is_err());
        assert!(parse_multi_verify("f,1,extra").is_err());
        assert!(parse_threadct("-1").is_err());
        assert!(parse_threadct("257").is_err());
        assert_eq!(parse_threadct("0"), Ok(0));
    }
}

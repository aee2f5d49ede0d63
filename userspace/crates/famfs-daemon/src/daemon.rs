// SPDX-License-Identifier: GPL-2.0
//! Running as the daemon of one mount: replay the log, start the refresh
//! thread, open the control device, serve it on a thread of its own and,
//! if asked, call mount(2) from this process (so the connection and its
//! server live and die together: if the daemon dies, the descriptor
//! closes and the kernel aborts the connection; nothing can wait on a
//! daemon that is gone).
//!
//! `famfs mount` starts this through `famfs daemon` and waits on a status
//! pipe for one line: `ok` once mount(2) returned 0 (which implies INIT
//! succeeded), or `error: <why>`.
//!
//! famfs_rs mode, in order: replay the log from the raw device; have the
//! refresh thread let go of it (no mapping or descriptor of any device
//! left); move every device to famfs_rs.ko's dax driver, or fsdev_dax on
//! 7.x ([`famfs_host::held`]);
//! serve and mount(2); only then point the refresh thread at the mount's
//! `.meta/.log` ([`MountMeta`]). Between the handover and that switch,
//! requests are answered from the snapshot. When the connection ends (or
//! mount(2) fails) the devices are given back to `device_dax`. Plain FUSE
//! mode hands nothing over: it reads the raw device all along.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::fd::FromRawFd;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use famfs_host::dlog;
use famfs_host::handover::Sysfs;
use famfs_host::held::Held;
use famfs_host::mount::{self, CONTROL_DEV, FSTYPE_FAMFS, FSTYPE_FUSE, FUSE_DEV, MOUNT_FLAGS};
use famfs_host::paths;
use famfs_meta::{DaxDevice, Media, MetaError};

use crate::channel::{Channel, DevChannel};
use crate::devices::Devices;
use crate::misbehave::Case;
use crate::refresh::Refresher;
use crate::serve::{serve, FAMFS_BUFFER, FUSE_BUFFER};
use crate::server::{Config, Mode, Server};
use crate::snapshot::Snapshot;
use crate::source::{MetaSource, MountMeta, RawDevice};

/// Longest wait for the refresh thread to change its log source.
const SWITCH_WAIT: Duration = Duration::from_secs(10);

/// How to run.
#[derive(Clone, Debug)]
pub struct Options {
    /// The primary device or image.
    pub device: PathBuf,
    /// Mount here (from this process) once serving.
    pub mountpoint: Option<PathBuf>,
    /// Serve this inherited descriptor instead of opening the device.
    pub fd: Option<i32>,
    /// Plain FUSE (`/dev/fuse`) instead of famfs_rs.ko.
    pub plain: bool,
    /// Armed misbehave cases.
    pub misbehave: Vec<&'static Case>,
    /// Candidate paths of secondary devices.
    pub daxdevs: Vec<PathBuf>,
    /// The newest famfs_rs protocol version to speak.
    pub proto: u16,
    /// Take OPEN of files even when famfs_rs.ko offers to do without.
    pub keep_open: bool,
    /// Write `ok` / `error: ...` here, then close it.
    pub status_fd: Option<i32>,
    /// Log refresh period.
    pub refresh_period: Duration,
    /// Longest wait for a log refresh on a LOOKUP miss (`None`: the
    /// server's default). The serving thread waits that long, so a
    /// fuzzer that misses on purpose sets it to zero.
    pub refresh_wait: Option<Duration>,
    /// Serve through this wrapper of the control device instead of the
    /// device itself (`None`: the device). The hostile-daemon fuzzer
    /// (famfs-hostile) corrupts replies here; nothing else sets it.
    pub wrap: Option<ChannelWrap>,
}

/// Builds the channel the serving thread uses from the control device.
#[derive(Clone)]
pub struct ChannelWrap(pub Arc<dyn Fn(Arc<DevChannel>) -> Arc<dyn Channel> + Send + Sync>);

impl std::fmt::Debug for ChannelWrap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChannelWrap(..)")
    }
}

/// Why the daemon stopped.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The file system could not be read.
    #[error(transparent)]
    Meta(#[from] MetaError),
    /// The devices could not be moved to famfs_rs.ko.
    #[error("handing the devices to famfs_rs.ko: {0}")]
    Handover(String),
    /// A system call failed.
    #[error("{what}: {err}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        err: std::io::Error,
    },
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> DaemonError {
    let what = what.into();
    move |err| DaemonError::Io { what, err }
}

struct Status(Option<File>);

impl Status {
    fn send(&mut self, line: &str) {
        if let Some(mut f) = self.0.take() {
            // The parent may be gone; then nobody needs the line.
            let _ = writeln!(f, "{line}");
        }
    }
}

fn open_control(plain: bool) -> Result<DevChannel, DaemonError> {
    let path = if plain { FUSE_DEV } else { CONTROL_DEV };
    let f = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| {
            let hint = if plain {
                "is the fuse module loaded?"
            } else {
                "load the module (insmod famfs_rs.ko) or use --plain-fuse for the kernel's FUSE"
            };
            DaemonError::Io {
                what: format!("{path}: {hint}"),
                err: e,
            }
        })?;
    Ok(DevChannel::new(f))
}

fn mount_error(e: std::io::Error, plain: bool) -> DaemonError {
    let hint = match e.raw_os_error() {
        Some(libc::EPROTO) => {
            "the kernel and this daemon disagree on the protocol version (see the log)"
        }
        Some(libc::ENODEV) if !plain => {
            "the famfs_rs file system type is not registered: insmod famfs_rs.ko"
        }
        Some(libc::EPERM) => "mounting needs root (CAP_SYS_ADMIN)",
        Some(libc::ENOTCONN) => "the daemon connection closed during the mount",
        _ => "see the daemon log",
    };
    DaemonError::Io {
        what: format!("mount(2): {hint}"),
        err: e,
    }
}

/// Runs the daemon until the connection ends.
pub fn run(o: &Options) -> Result<(), DaemonError> {
    // SAFETY: the status descriptor is handed to us by our parent for
    // this purpose alone; nothing else in this process uses it.
    let mut status = Status(o.status_fd.map(|fd| unsafe { File::from_raw_fd(fd) }));
    let r = run_inner(o, &mut status);
    if let Err(e) = &r {
        dlog!("{e}");
        status.send(&format!("error: {e}"));
    }
    r
}

fn run_inner(o: &Options, status: &mut Status) -> Result<(), DaemonError> {
    // Hold no directory busy.
    let _ = std::env::set_current_dir("/");
    let mode = if o.plain { Mode::Plain } else { Mode::Famfs };
    dlog!(
        "starting: device {}, {}, misbehave cases armed: {}",
        o.device.display(),
        if o.plain {
            "plain FUSE (/dev/fuse)"
        } else {
            "famfs_rs.ko"
        },
        o.misbehave.len()
    );
    let source: Arc<dyn MetaSource> = Arc::new(RawDevice::new(&o.device));
    let store = source.open()?;
    let (replay, sb) = Snapshot::load(&store)?;
    let errors = replay.has_errors();
    let root = replay
        .ns
        .get(famfs_meta::ROOT_INO)
        .map_or((0o755, 0, 0), |r| (r.mode, r.uid, r.gid));
    dlog!(
        "replayed {} log entries ({} files and directories){}",
        replay.next_index,
        replay.ns.nodes().len() - 1,
        if errors {
            "; some entries were skipped: run famfs fsck"
        } else {
            ""
        }
    );
    let refresher = Arc::new(
        Refresher::start(source, store, replay, sb, o.refresh_period)
            .map_err(io("starting the refresh thread"))?,
    );
    let primary: Option<Arc<dyn Media>> = if o.plain {
        Some(DaxDevice::open(&o.device, false)?.map)
    } else {
        None
    };
    let mut devices = Devices::new(sb.fs_uuid, &o.device, primary, o.daxdevs.clone());
    let held = if o.plain {
        None
    } else {
        Some(hand_over(o, &refresher, &mut devices)?)
    };
    let r = serve_and_mount(o, status, mode, root, refresher, devices);
    if let Some(h) = held {
        let failed = h.give_back_all();
        if !failed.is_empty() {
            let list: Vec<String> = failed.iter().map(|e| e.to_string()).collect();
            dlog!(
                "devices not given back (famfs umount retries): {}",
                list.join("; ")
            );
        }
    }
    // Only now: while the pid file is there, others (famfs commands
    // opening the device, the selftests) know a give-back may be under way.
    if let Some(m) = &o.mountpoint {
        let _ = std::fs::remove_file(paths::pid_file(m));
    }
    r
}

/// Lets go of the raw device and moves every device to famfs_rs.
fn hand_over(
    o: &Options,
    refresher: &Refresher,
    devices: &mut Devices,
) -> Result<Arc<Held>, DaemonError> {
    if !refresher.set_source(None, SWITCH_WAIT) {
        return Err(DaemonError::Handover(
            "the refresh thread did not let go of the raw device in time".into(),
        ));
    }
    let known = refresher.current().replay.devices.clone();
    let record = o.mountpoint.as_deref().map(paths::devices_file);
    let held = Arc::new(Held::new(Sysfs::from_env(), record));
    if let Err(e) = devices.hand_over(&known, held.clone()) {
        held.give_back_all();
        return Err(DaemonError::Handover(e));
    }
    Ok(held)
}

fn serve_and_mount(
    o: &Options,
    status: &mut Status,
    mode: Mode,
    root: (u32, u32, u32),
    refresher: Arc<Refresher>,
    devices: Devices,
) -> Result<(), DaemonError> {
    let host = famfs_meta::host_system_uuid()
        .inspect_err(|e| dlog!("this host's identity is unknown ({e}): serving as a client"))
        .ok();
    let master = refresher.current().sb.master;
    dlog!(
        "this host ({}) is {}: the superblock names {master} as the master",
        host.map_or_else(|| "unknown".to_owned(), |h| h.to_string()),
        if host == Some(master) {
            "the master"
        } else {
            "a client (the log and superblock are read-only here)"
        }
    );
    let defaults = Config::default();
    let cfg = Config {
        mode,
        misbehave: o.misbehave.clone(),
        host,
        proto: o.proto,
        keep_open: o.keep_open,
        refresh_wait: o.refresh_wait.unwrap_or(defaults.refresh_wait),
        ..defaults
    };
    let mut server = Server::new(cfg, refresher.clone(), devices);
    let chan = Arc::new(match o.fd {
        Some(fd) => DevChannel::from_fd(fd).map_err(io(format!("descriptor {fd}")))?,
        None => open_control(o.plain)?,
    });
    let fd = chan.raw_fd();
    let bufsize = if o.plain { FUSE_BUFFER } else { FAMFS_BUFFER };
    let c2: Arc<dyn Channel> = match &o.wrap {
        Some(w) => (w.0)(chan.clone()),
        None => chan.clone(),
    };
    let serving = std::thread::Builder::new()
        .name("famfs-serve".into())
        .spawn(move || {
            let r = serve(c2.as_ref(), &mut server, bufsize);
            (r, server.stats)
        })
        .map_err(io("starting the serving thread"))?;
    let pid_file = o.mountpoint.as_ref().map(|m| paths::pid_file(m));
    if let Some(mnt) = &o.mountpoint {
        let fstype = if o.plain { FSTYPE_FUSE } else { FSTYPE_FAMFS };
        let data = mount::options(fd, root.0, root.1, root.2, o.plain);
        dlog!(
            "mounting {} on {} (-t {fstype} -o {data})",
            o.device.display(),
            mnt.display()
        );
        mount::mount(&o.device, mnt, fstype, MOUNT_FLAGS, &data)
            .map_err(|e| mount_error(e, o.plain))?;
        dlog!("mounted {} on {}", o.device.display(), mnt.display());
        if !o.plain {
            // On the refresh thread, never this one or the serving one:
            // opening .meta/.log sends LOOKUPs the serving thread answers.
            let meta: Arc<dyn MetaSource> = Arc::new(MountMeta::new(mnt));
            if !refresher.set_source(Some(meta), SWITCH_WAIT) {
                dlog!(
                    "the refresh thread did not switch to {} in time",
                    mnt.display()
                );
            }
        }
        if let Some(p) = &pid_file {
            let written = std::fs::create_dir_all(paths::run_dir())
                .and_then(|_| std::fs::write(p, format!("{}\n", std::process::id())));
            if let Err(e) = written {
                dlog!("cannot write the pid file {}: {e}", p.display());
            }
        }
    }
    status.send("ok");
    let joined = serving.join();
    // Close the connection before stopping the refresh thread, so a
    // refresh waiting on the mount gets an error instead of an answer.
    drop(chan);
    drop(refresher);
    let (result, stats) =
        joined.map_err(|_| io("serving thread")(std::io::Error::other("panicked")))?;
    let by_op: Vec<String> = stats
        .requests
        .iter()
        .map(|(op, n)| format!("{op}:{n}"))
        .collect();
    dlog!(
        "connection closed: served {} requests (opcode:count {}), {} malformed replies sent",
        stats.total(),
        by_op.join(" "),
        stats.malformed
    );
    result.map(|_| ()).map_err(io("serving"))
}

// SPDX-License-Identifier: GPL-2.0
//! `famfs mount`, `famfs umount` and `famfs daemon`.
//!
//! `famfs mount` checks what it can, then starts `famfs daemon` (this
//! very binary, /proc/self/exe, fork+exec, so no multithreaded process is
//! ever forked) in a session of its own with its output in the log file.
//! The daemon opens the control device, serves it, and calls mount(2)
//! itself; it reports `ok` or `error: ...` on a pipe. Doing the mount in
//! the daemon's process means the descriptor named by `fd=N` dies with
//! the daemon: a daemon that fails can never leave mount(2) waiting.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use famfs_daemon::daemon::{self, Options};
use famfs_daemon::misbehave::{self, CASES};
use famfs_host::handover::Sysfs;
use famfs_host::held::Held;
use famfs_host::mount::{CONTROL_DEV, FUSE_DEV};
use famfs_host::{mountinfo, paths};
use famfs_meta::store::read_superblock;
use famfs_meta::DaxDevice;
use famfs_omf::SbRole;

use crate::cli::{DaemonArgs, MountArgs, UmountArgs};
use crate::{compat, devwait, Status};

fn pipe() -> Result<(File, OwnedFd)> {
    let mut fds = [0i32; 2];
    // SAFETY: pipe2 fills the two-element array we pass.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error()).context("pipe");
    }
    // SAFETY: both descriptors were just created and are ours alone.
    let (r, w) = unsafe { (File::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    Ok((r, w))
}

/// Reads the daemon's status line, waiting at most `limit`.
fn status_line(mut r: File, limit: Duration) -> Result<Option<String>> {
    let deadline = Instant::now() + limit;
    let mut got = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(None);
        }
        let mut p = libc::pollfd {
            fd: r.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = i32::try_from(left.as_millis()).unwrap_or(i32::MAX);
        // SAFETY: one pollfd on our stack.
        let rc = unsafe { libc::poll(&mut p, 1, ms) };
        if rc < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e).context("waiting for the daemon");
        }
        if rc == 0 {
            continue;
        }
        let mut buf = [0u8; 4096];
        let n = r.read(&mut buf).context("reading the daemon status")?;
        if n == 0 {
            return Ok(Some(String::from_utf8_lossy(&got).trim().to_owned()));
        }
        got.extend_from_slice(&buf[..n]);
        if got.contains(&b'\n') {
            return Ok(Some(String::from_utf8_lossy(&got).trim().to_owned()));
        }
    }
}

fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let from = lines.len().saturating_sub(8);
    lines[from..].join("\n")
}

fn check_device(device: &Path) -> Result<()> {
    let dev = DaxDevice::open(device, false)?;
    let sb = read_superblock(dev.map.as_ref())
        .map_err(|e| anyhow!("{e} (is it a famfs? famfs mkfs creates one)"))?;
    if sb.role() != SbRole::Primary {
        bail!(
            "{}: a secondary device of a famfs; mount its primary device",
            device.display()
        );
    }
    if sb.alloc_unit() != famfs_omf::ALLOC_UNIT {
        bail!(
            "{}: formatted with a {:#x}-byte allocation unit; famfs_rs.ko maps files only in \
             2 MiB units, so it cannot mount this famfs (fsck, logplay, getmap and verify \
             still read it; reformat with famfs mkfs to use famfs_rs)",
            device.display(),
            sb.alloc_unit()
        );
    }
    Ok(())
}

/// Says which of upstream's mount options change nothing here, and why.
fn mount_compat(a: &MountArgs) -> Result<()> {
    if a.nofuse {
        bail!(
            "--nofuse asks for upstream's standalone v1 famfs module, which famfs_rs does not \
             use: famfs_rs.ko serves famfs over the FUSE protocol (drop --nofuse)"
        );
    }
    compat::no_effect(
        "mount",
        &[
            (
                a.fuse,
                "--fuse",
                "famfs_rs.ko is famfs over the FUSE protocol with dax: the default",
            ),
            (
                a.debug > 0,
                "--debug",
                "the daemon serves on one thread already; its log is in /var/log/famfs_rs",
            ),
            (
                a.nouseraccess,
                "--nouseraccess",
                "famfs_rs mounts carry no allow_other",
            ),
            (
                a.nodefaultperm,
                "--nodefaultperm",
                "the kernel checks permissions from the log's modes",
            ),
            (
                a.shadow.is_some(),
                "--shadow",
                "the daemon keeps no shadow tree (famfs logplay --shadow writes one)",
            ),
            (a.access.mmap, "--mmap", compat::ACCESS),
            (a.access.read, "--read", compat::ACCESS),
            (a.mode.set_daxmode, "--set-daxmode", compat::DAXMODE),
            (a.mode.load_module, "--load-module", compat::LOAD_MODULE),
            (
                a.cache.is_some(),
                "--cache",
                "entries and attributes are cached 5 s",
            ),
            (
                a.bouncedax,
                "-b/--bouncedax",
                "famfs_rs moves the device to its dax driver itself",
            ),
        ],
    );
    Ok(())
}

pub fn mount(a: &MountArgs) -> Result<Status> {
    mount_compat(a)?;
    if let Some(m) = &a.serve.misbehave {
        misbehave::parse_list(m).map_err(|e| anyhow!(e))?;
    }
    if a.remount {
        let mnt = a.mountpoint.canonicalize().ok();
        if let Some(m) = devwait::mounted_on(&a.device) {
            if Some(&m) == mnt.as_ref() {
                println!("{}: already mounted on {}", a.device.display(), m.display());
                return Ok(Status::Ok);
            }
        }
    }
    devwait::settle(&a.device, "mount")?;
    check_device(&a.device)?;
    let mnt = a
        .mountpoint
        .canonicalize()
        .with_context(|| format!("mount point {}", a.mountpoint.display()))?;
    if !mnt.is_dir() {
        bail!("{}: not a directory", mnt.display());
    }
    let mounts = mountinfo::read().context("reading /proc/self/mountinfo")?;
    if let Some(m) = mounts.iter().find(|m| m.mountpoint == mnt && m.is_famfs()) {
        bail!("{}: already a famfs mount (of {})", mnt.display(), m.source);
    }
    let ctl = if a.serve.plain_fuse {
        FUSE_DEV
    } else {
        CONTROL_DEV
    };
    if !Path::new(ctl).exists() {
        if a.serve.plain_fuse {
            bail!("{ctl} is missing: load the fuse module (modprobe fuse)");
        }
        bail!(
            "{ctl} is missing: famfs_rs.ko is not loaded. Load it (insmod famfs_rs.ko, or \
             modprobe famfs_rs where installed with DKMS), or mount through the kernel's FUSE \
             with --plain-fuse (slow, read-only)"
        );
    }
    let device = a
        .device
        .canonicalize()
        .with_context(|| format!("{}", a.device.display()))?;
    let log = paths::log_file(&mnt).context("creating the daemon log directory")?;
    let log_out = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .with_context(|| format!("daemon log {}", log.display()))?;
    let log_err = log_out.try_clone().context("daemon log")?;
    let (status_r, status_w) = pipe()?;
    let wfd = status_w.as_raw_fd();
    let mut cmd = Command::new("/proc/self/exe");
    cmd.arg("daemon")
        .arg("--device")
        .arg(&device)
        .arg("--mountpoint")
        .arg(&mnt)
        .arg("--status-fd")
        .arg(wfd.to_string());
    if a.serve.plain_fuse {
        cmd.arg("--plain-fuse");
    }
    if let Some(m) = &a.serve.misbehave {
        cmd.arg("--misbehave").arg(m);
    }
    for d in &a.serve.daxdev {
        cmd.arg("--daxdev").arg(d);
    }
    if let Some(v) = a.serve.famfs_rs_proto {
        cmd.arg("--famfs-rs-proto").arg(v.to_string());
    }
    if a.serve.keep_open {
        cmd.arg("--keep-open");
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::from(log_out))
        .stderr(Stdio::from(log_err));
    // SAFETY: between fork and exec the closure only makes two
    // async-signal-safe system calls (setsid, fcntl) on plain integers.
    unsafe {
        cmd.pre_exec(move || {
            libc::setsid();
            if libc::fcntl(wfd, libc::F_SETFD, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().context("starting famfs daemon")?;
    drop(status_w);
    let line = status_line(status_r, Duration::from_secs(a.timeout))?;
    match line.as_deref() {
        Some("ok") => {
            println!(
                "{}: mounted on {} ({}; daemon pid {}, log {})",
                device.display(),
                mnt.display(),
                if a.serve.plain_fuse {
                    "plain FUSE, read-only"
                } else {
                    "famfs_rs"
                },
                child.id(),
                log.display()
            );
            Ok(Status::Ok)
        }
        Some(l) if l.starts_with("error: ") => {
            let _ = child.wait();
            bail!(
                "mounting {} on {} failed: {}\n(daemon log {})",
                device.display(),
                mnt.display(),
                &l[7..],
                log.display()
            )
        }
        other => {
            let timed_out = other.is_none();
            if timed_out {
                let _ = child.kill();
            }
            let st = child.wait().ok();
            // A daemon that died before mounting gave nothing back, and
            // wrote no pid file that would tell the next command it died:
            // give its devices back now rather than leave the next mount
            // to wait for a give-back that will never come.
            let gave = give_back_leftovers(&mnt)
                .map(|n| {
                    if n > 0 {
                        "; its devices were given back"
                    } else {
                        ""
                    }
                })
                .unwrap_or("; giving its devices back failed (famfs umount retries)");
            bail!(
                "mounting {} on {} failed: the daemon {} ({}{gave})\nlast lines of {}:\n{}",
                device.display(),
                mnt.display(),
                if timed_out {
                    "did not mount in time and was killed"
                } else {
                    "exited without reporting"
                },
                st.map_or("no status".into(), |s| s.to_string()),
                log.display(),
                log_tail(&log)
            )
        }
    }
}

/// Whether process `pid` is gone (or a zombie: it exited, nobody reaped).
fn exited(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(s) => s
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state == "Z" || state == "X"),
    }
}

/// Gives back to device_dax the devices a mount's daemon recorded and
/// did not give back itself (it died, or was killed). Returns how many.
fn give_back_leftovers(mnt: &Path) -> Result<usize> {
    let held = Held::new(Sysfs::from_env(), Some(paths::devices_file(mnt)));
    let names = held.list();
    if names.is_empty() {
        return Ok(0);
    }
    let failed = held.give_back_all();
    if !failed.is_empty() {
        let list: Vec<String> = failed.iter().map(|e| e.to_string()).collect();
        bail!(
            "{}: devices not given back to device_dax: {} (record kept in {})",
            mnt.display(),
            list.join("; "),
            paths::devices_file(mnt).display()
        );
    }
    println!(
        "{}: gave {} back to device_dax (its daemon had not)",
        mnt.display(),
        names.join(", ")
    );
    Ok(names.len())
}

/// umount2, retried briefly on EBUSY: the daemon opens `.meta/.log`
/// for a moment on each log refresh.
fn umount_retrying(mnt: &Path, flags: i32) -> std::io::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        match famfs_host::mount::umount(mnt, flags) {
            Err(e) if e.raw_os_error() == Some(libc::EBUSY) && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(50));
            }
            r => return r,
        }
    }
}

pub fn umount(a: &UmountArgs) -> Result<Status> {
    // Lexically: stat on a mount whose daemon died fails (ENOTCONN).
    let mnt = mountinfo::absolute(&a.mountpoint).context("mount point")?;
    let mounts = mountinfo::read().context("reading /proc/self/mountinfo")?;
    let Some(m) = mounts.iter().rev().find(|m| m.mountpoint == mnt) else {
        if give_back_leftovers(&mnt)? > 0 {
            return Ok(Status::Ok);
        }
        bail!("{}: not mounted", mnt.display());
    };
    if !m.is_famfs() {
        bail!("{}: not a famfs mount (type {})", mnt.display(), m.fstype);
    }
    let pid_file = paths::pid_file(&mnt);
    let pid: Option<i32> = std::fs::read_to_string(&pid_file)
        .ok()
        .and_then(|s| s.trim().parse().ok());
    let flags = if a.lazy { libc::MNT_DETACH } else { 0 };
    umount_retrying(&mnt, flags).map_err(|e| {
        let hint = if e.raw_os_error() == Some(libc::EBUSY) {
            ": files under it are still open (fuser -m, lsof), or use --lazy"
        } else {
            ""
        };
        anyhow!("umount {}: {e}{hint}", mnt.display())
    })?;
    let Some(pid) = pid else {
        println!(
            "{}: unmounted (no daemon pid file at {})",
            mnt.display(),
            pid_file.display()
        );
        give_back_leftovers(&mnt)?;
        return Ok(Status::Ok);
    };
    let deadline = Instant::now() + Duration::from_secs(a.timeout);
    while !exited(pid) {
        if Instant::now() >= deadline {
            bail!(
                "{}: unmounted, but its daemon (pid {pid}) is still running after {} s; see \
                 its log in {}",
                mnt.display(),
                a.timeout,
                paths::log_file(&mnt).map_or_else(|_| "?".into(), |p| p.display().to_string())
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = std::fs::remove_file(&pid_file);
    println!("{}: unmounted; daemon {pid} exited", mnt.display());
    give_back_leftovers(&mnt)?;
    Ok(Status::Ok)
}

fn list_cases(verbose: bool) {
    for c in CASES {
        if verbose {
            println!(
                "{}\t{}\t{}\t{}",
                c.name,
                c.action().name(),
                if c.succeeds() { "succeeds" } else { "fails" },
                c.about
            );
        } else if c.runtime() {
            println!("{}", c.name);
        }
    }
}

pub fn daemon(a: &DaemonArgs) -> Result<Status> {
    if a.list_misbehave_cases {
        list_cases(crate::verbosity() > 0);
        return Ok(Status::Ok);
    }
    let device: PathBuf = a
        .device
        .clone()
        .ok_or_else(|| anyhow!("--device is required"))?;
    let misbehave = match &a.serve.misbehave {
        Some(m) => misbehave::parse_list(m).map_err(|e| anyhow!(e))?,
        None => Vec::new(),
    };
    let o = Options {
        device,
        mountpoint: a.mountpoint.clone(),
        fd: a.fd,
        plain: a.serve.plain_fuse,
        misbehave,
        daxdevs: a.serve.daxdev.clone(),
        proto: a.serve.famfs_rs_proto.unwrap_or(famfs_host::PROTO_VERSION),
        keep_open: a.serve.keep_open,
        status_fd: a.status_fd,
        refresh_period: Duration::from_millis(a.refresh_ms.max(10)),
        refresh_wait: None,
        wrap: None,
    };
    daemon::run(&o)?;
    Ok(Status::Ok)
}

// SPDX-License-Identifier: GPL-2.0
//! One mount served by the hostile daemon, end to end.
//!
//! The daemon runs in a child process (forked while this process has no
//! threads): the real famfs daemon ([`famfs_daemon::daemon::run`]: log
//! replay, device handover, mount(2), serving), with the hostile channel
//! ([`crate::hostile`]) between its server and the control device. The
//! coordinator (this process) then starts worker processes on the mount,
//! interrupts and kills some of them, evicts inodes (FORGETs, new
//! LOOKUPs and GET_FMAPs), and when the session has its replies ends it:
//! either cleanly (workers stopped, umount, the daemon gives the devices
//! back and reports its tally) or by killing the daemon (the connection
//! aborts: blocked calls must return, umount must work, the devices are
//! given back from the daemon's record, as `famfs umount` does).

use std::fs::File;
use std::io::Write;
use std::os::fd::IntoRawFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use famfs_daemon::channel::Channel;
use famfs_daemon::daemon::{self, ChannelWrap, Options};
use famfs_host::handover::Sysfs;
use famfs_host::held::Held;

use crate::hostile::{Hostile, Knobs};
use crate::proc::{self, Ended, Lines};
use crate::rng::Rng;
use crate::tally::Tally;
use crate::worker::SIGBUS_EXIT;

/// What every session shares.
#[derive(Clone, Debug)]
pub struct Setup {
    /// The famfs device (a devdax).
    pub device: PathBuf,
    /// Where to mount it.
    pub mnt: PathBuf,
    /// Worker processes per session.
    pub workers: usize,
    /// Where the daemons' logs go.
    pub log_dir: PathBuf,
    /// Longest a worker may take to stop, the daemon to mount or exit.
    pub bound: Duration,
}

/// One session's plan.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// Its number (names its log).
    pub index: u64,
    /// Its seed.
    pub seed: u64,
    /// Replies to reach before ending it.
    pub replies: u64,
    /// The hostility.
    pub knobs: Knobs,
    /// End by killing the daemon instead of unmounting.
    pub abort: bool,
    /// The daemon takes OPEN of files (else FUSE's no-open protocol: OPEN
    /// once per mount, RELEASE of files never).
    pub keep_open: bool,
}

/// What became of a session.
#[derive(Debug, Default)]
pub struct Report {
    /// The daemon's tally (replies, mismatches, ...).
    pub daemon: Tally,
    /// The workers' tallies added up.
    pub workers: Tally,
    /// The longest call any worker made, in ms.
    pub longest_call_ms: u64,
    /// Milliseconds from the daemon's death until every worker stopped.
    pub abort_ms: Option<u64>,
    /// Whether mount(2) succeeded.
    pub mounted: bool,
    /// Why the mount failed, when it did.
    pub mount_error: Option<String>,
    /// Things that went wrong outside the tallies.
    pub problems: Vec<String>,
}

fn serve_child(setup: &Setup, plan: &Plan, status: File, report: File) -> ! {
    proc::stderr_to(
        &setup
            .log_dir
            .join(format!("hostile-session-{}.log", plan.index)),
    );
    let knobs = plan.knobs;
    let seed = plan.seed;
    let report = std::sync::Mutex::new(Some(report));
    let wrap = ChannelWrap(Arc::new(move |dev| {
        let r = report.lock().ok().and_then(|mut r| r.take());
        Hostile::new(dev, knobs, seed, r) as Arc<dyn Channel>
    }));
    let o = Options {
        device: setup.device.clone(),
        mountpoint: Some(setup.mnt.clone()),
        fd: None,
        plain: false,
        misbehave: Vec::new(),
        daxdevs: Vec::new(),
        proto: famfs_host::PROTO_VERSION,
        keep_open: plan.keep_open,
        status_fd: Some(status.into_raw_fd()),
        refresh_period: Duration::from_secs(1),
        refresh_wait: Some(Duration::ZERO),
        wrap: Some(wrap),
    };
    let rc = i32::from(daemon::run(&o).is_err());
    // SAFETY: ends this forked child without running the parent's
    // destructors a second time.
    unsafe { libc::_exit(rc) }
}

fn spawn_worker(mnt: &Path, seed: u64) -> std::io::Result<Child> {
    Command::new(std::env::current_exe()?)
        .arg("worker")
        .arg(mnt)
        .arg(seed.to_string())
        .stdout(Stdio::piped())
        .spawn()
}

/// Stops the workers (SIGTERM), waits for them, and adds up their tallies.
fn stop_workers(workers: Vec<Child>, bound: Duration, r: &mut Report) {
    for w in &workers {
        proc::kill(w.id() as i32, libc::SIGTERM);
    }
    for w in workers {
        let pid = w.id() as i32;
        let ended = proc::wait_pid(pid, bound);
        if ended == Ended::Running {
            r.problems.push(format!(
                "worker {pid} still running {bound:?} after SIGTERM"
            ));
            proc::kill(pid, libc::SIGKILL);
            proc::wait_pid(pid, bound);
        }
        if ended == Ended::Exited(SIGBUS_EXIT) {
            r.problems.push(format!("worker {pid} got SIGBUS"));
        }
        let mut out = String::new();
        if let Some(mut so) = w.stdout {
            let _ = std::io::Read::read_to_string(&mut so, &mut out);
        }
        for l in out.lines() {
            if let Some(rest) = l.strip_prefix("worker ") {
                let mut t = Tally::from_line(rest);
                let m = t.n.remove("max_ms").unwrap_or(0);
                r.longest_call_ms = r.longest_call_ms.max(m);
                r.workers.merge(&t);
            }
        }
    }
}

fn umount(mnt: &Path, bound: Duration, r: &mut Report) {
    let deadline = Instant::now() + bound;
    loop {
        match famfs_host::mount::umount(mnt, 0) {
            Ok(()) => return,
            Err(e) if e.raw_os_error() == Some(libc::EBUSY) && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(100))
            }
            Err(e) => {
                r.problems.push(format!("umount {}: {e}", mnt.display()));
                let _ = famfs_host::mount::umount(mnt, libc::MNT_DETACH);
                return;
            }
        }
    }
}

fn drop_caches() {
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .write(true)
        .open("/proc/sys/vm/drop_caches")
    {
        let _ = f.write_all(b"2\n");
    }
}

/// Runs one session. This process must have no other threads (it forks).
pub fn run(setup: &Setup, plan: &Plan) -> std::io::Result<Report> {
    let mut r = Report::default();
    let (status_r, status_w) = proc::pipe()?;
    let (report_r, report_w) = proc::pipe()?;
    // SAFETY: this process is single-threaded here (the coordinator
    // never starts threads), so the child may go on running Rust code.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(std::io::Error::last_os_error());
    }
    if pid == 0 {
        drop(status_r);
        drop(report_r);
        serve_child(setup, plan, status_w, report_w);
    }
    drop(status_w);
    drop(report_w);
    let mut status = Lines::new(status_r);
    let mut report = Lines::new(report_r);
    let line = status.wait_line(setup.bound);
    r.mounted = line.as_deref() == Some("ok");
    let mut tally_line = None;
    let mut replies = 0;
    let absorb = |lines: Vec<String>, replies: &mut u64, tally: &mut Option<String>| {
        for l in lines {
            if let Some(n) = l.strip_prefix("progress ") {
                *replies = n.parse().unwrap_or(*replies);
            } else if let Some(t) = l.strip_prefix("tally ") {
                *tally = Some(t.to_owned());
            }
        }
    };
    if r.mounted {
        let mut rng = Rng::new(plan.seed ^ 0x5e55);
        let mut workers = Vec::new();
        for _ in 0..setup.workers {
            workers.push(spawn_worker(&setup.mnt, rng.next_u64())?);
        }
        let start = Instant::now();
        let mut last_drop = Instant::now();
        while replies < plan.replies && start.elapsed() < setup.bound * 10 {
            std::thread::sleep(Duration::from_millis(50));
            absorb(report.take(), &mut replies, &mut tally_line);
            if proc::wait_pid(pid, Duration::ZERO) != Ended::Running {
                r.problems
                    .push("the daemon exited during the session".into());
                break;
            }
            if let Some(w) = rng.pick(&workers) {
                let id = w.id() as i32;
                if rng.chance(20) {
                    proc::kill(id, libc::SIGUSR1);
                }
            }
            if rng.chance(2) && !workers.is_empty() {
                // A caller killed mid-request: its request is withdrawn.
                let i = rng.index(workers.len());
                let mut w = workers.swap_remove(i);
                let _ = w.kill();
                let _ = w.wait();
                workers.push(spawn_worker(&setup.mnt, rng.next_u64())?);
            }
            // Evicted inodes are looked up and mapped again: more LOOKUP,
            // GET_FMAP and FORGET traffic (a map is fetched once per inode).
            if last_drop.elapsed() > Duration::from_millis(250) {
                drop_caches();
                last_drop = Instant::now();
            }
        }
        if plan.abort {
            proc::kill(pid, libc::SIGKILL);
            let t0 = Instant::now();
            proc::wait_pid(pid, setup.bound);
            stop_workers(workers, setup.bound, &mut r);
            r.abort_ms = Some(t0.elapsed().as_millis() as u64);
            umount(&setup.mnt, setup.bound, &mut r);
            let held = Held::new(
                Sysfs::from_env(),
                Some(famfs_host::paths::devices_file(&setup.mnt)),
            );
            for e in held.give_back_all() {
                r.problems.push(format!("giving back after the abort: {e}"));
            }
            let _ = std::fs::remove_file(famfs_host::paths::pid_file(&setup.mnt));
        } else {
            stop_workers(workers, setup.bound, &mut r);
            umount(&setup.mnt, setup.bound, &mut r);
        }
    } else {
        r.mount_error = Some(line.unwrap_or_else(|| "no status from the daemon".into()));
    }
    match proc::wait_pid(pid, setup.bound) {
        Ended::Running => {
            r.problems.push(format!(
                "the daemon had not exited {:?} after the end of its mount",
                setup.bound
            ));
            proc::kill(pid, libc::SIGKILL);
            proc::wait_pid(pid, setup.bound);
        }
        Ended::Exited(0) => {}
        Ended::Exited(c) if !r.mounted || plan.abort => {
            let _ = c;
        }
        Ended::Signaled(libc::SIGKILL) if plan.abort => {}
        e => r.problems.push(format!("the daemon ended: {e:?}")),
    }
    absorb(report.take(), &mut replies, &mut tally_line);
    match tally_line {
        Some(t) => r.daemon = Tally::from_line(&t),
        None => r.daemon.add("replies", replies),
    }
    if !plan.abort && r.mounted && r.daemon.get("writes") == 0 {
        r.problems.push("the daemon reported no tally".into());
    }
    Ok(r)
}

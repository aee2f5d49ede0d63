// SPDX-License-Identifier: GPL-2.0
//! A worker process: uses the mount as programs do (stat, open and read,
//! mmap and fault pages, list directories, statfs) while the daemon
//! misbehaves, and counts what each call returned and how long the
//! longest took. Every failure must be a clean errno: one of the kernel's
//! own for a bad reply or a dead daemon, or one the fuzzer sent as the
//! daemon's answer. Anything else is counted as unexpected.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::mutate::DAEMON_ERRNOS;
use crate::rng::Rng;
use crate::tally::Tally;

/// Exit status of a worker that got SIGBUS (never expected: a file that
/// opened has its map cached, and faults need no daemon).
pub const SIGBUS_EXIT: i32 = 86;

/// Errnos the kernel itself gives for a refused reply, a dead or
/// departed daemon, a withdrawn or interrupted call, a node whose type
/// the daemon changed, or a LOOKUP answered with a directory that is an
/// ancestor of the name (the VFS refuses the loop: ELOOP, seen in a long
/// run).
const KERNEL_ERRNOS: [i32; 13] = [
    libc::ELOOP,
    libc::EIO,
    libc::EPROTO,
    libc::ENOTCONN,
    libc::ENOENT,
    libc::ESTALE,
    libc::EINTR,
    libc::ENXIO,
    libc::EISDIR,
    libc::ENOTDIR,
    libc::ETIMEDOUT,
    libc::ENODEV,
    libc::EACCES,
];

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_term(_: libc::c_int) {
    STOP.store(true, Ordering::Relaxed);
}

extern "C" fn on_usr1(_: libc::c_int) {}

extern "C" fn on_bus(_: libc::c_int) {
    let msg = b"famfs-hostile worker: SIGBUS\n";
    // SAFETY: write(2) and _exit(2) are async-signal-safe.
    unsafe {
        libc::write(2, msg.as_ptr().cast(), msg.len());
        libc::_exit(SIGBUS_EXIT);
    }
}

fn handle(sig: libc::c_int, f: extern "C" fn(libc::c_int)) {
    // SAFETY: a zeroed sigaction with a handler and no SA_RESTART, so
    // that a signal interrupts a waiting call (the kernel then sends an
    // INTERRUPT, or restarts an unread request).
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = f as usize;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(sig, &sa, std::ptr::null_mut());
    }
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn cpath(p: &Path) -> CString {
    CString::new(p.as_os_str().as_bytes()).unwrap_or_default()
}

/// Files and directories found under the mount.
#[derive(Default)]
struct Names {
    files: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
}

fn discover(mnt: &Path) -> Names {
    let mut n = Names {
        dirs: vec![mnt.to_owned(), mnt.join(".meta")],
        ..Names::default()
    };
    let mut i = 0;
    while i < n.dirs.len() && n.files.len() < 256 {
        let d = n.dirs[i].clone();
        i += 1;
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            match e.file_type() {
                Ok(t) if t.is_dir() && n.dirs.len() < 64 => n.dirs.push(e.path()),
                Ok(t) if t.is_file() => n.files.push(e.path()),
                _ => {}
            }
        }
    }
    n
}

/// One call: `Ok(())` or the errno.
type Call = Result<(), i32>;

fn check(rc: libc::c_long) -> Call {
    if rc < 0 {
        Err(errno())
    } else {
        Ok(())
    }
}

fn stat(p: &Path) -> Call {
    // SAFETY: a valid path string and a stat buffer on our stack.
    let rc = unsafe {
        let mut st: libc::stat = std::mem::zeroed();
        libc::stat(cpath(p).as_ptr(), &mut st)
    };
    check(rc.into())
}

fn statfs(p: &Path) -> Call {
    // SAFETY: as `stat`.
    let rc = unsafe {
        let mut st: libc::statfs = std::mem::zeroed();
        libc::statfs(cpath(p).as_ptr(), &mut st)
    };
    check(rc.into())
}

struct Fd(i32);

impl Drop for Fd {
    fn drop(&mut self) {
        // SAFETY: our own descriptor, closed once.
        unsafe { libc::close(self.0) };
    }
}

fn open(p: &Path, flags: i32) -> Result<Fd, i32> {
    // SAFETY: a valid path string.
    let fd = unsafe { libc::open(cpath(p).as_ptr(), flags | libc::O_CLOEXEC) };
    if fd < 0 {
        Err(errno())
    } else {
        Ok(Fd(fd))
    }
}

fn size_of(fd: &Fd) -> Result<u64, i32> {
    // SAFETY: an open descriptor and a stat buffer on our stack.
    unsafe {
        let mut st: libc::stat = std::mem::zeroed();
        if libc::fstat(fd.0, &mut st) < 0 {
            return Err(errno());
        }
        Ok(st.st_size as u64)
    }
}

fn read_at(p: &Path, rng: &mut Rng) -> Call {
    let fd = open(p, libc::O_RDONLY)?;
    let size = size_of(&fd)?;
    let mut buf = [0u8; 4096];
    let off = rng.below(size.max(1)) & !4095;
    // SAFETY: read into our own buffer, at most its length.
    let n = unsafe { libc::pread(fd.0, buf.as_mut_ptr().cast(), buf.len(), off as i64) };
    check(n as libc::c_long)
}

/// Maps the file shared and read-only and touches pages: the first of
/// every 2 MiB (PMD faults) and a few at random (PTE faults).
fn fault(p: &Path, rng: &mut Rng) -> Call {
    let fd = open(p, libc::O_RDONLY)?;
    let size = size_of(&fd)?.min(16 << 20) as usize;
    if size == 0 {
        return Ok(());
    }
    // SAFETY: a fresh shared read-only mapping of an open file; unmapped
    // below, touched only within its length.
    unsafe {
        let a = libc::mmap(
            std::ptr::null_mut(),
            size,
            libc::PROT_READ,
            libc::MAP_SHARED,
            fd.0,
            0,
        );
        if a == libc::MAP_FAILED {
            return Err(errno());
        }
        let base = a as *const u8;
        let mut sum = 0u8;
        for off in (0..size).step_by(2 << 20) {
            sum ^= std::ptr::read_volatile(base.add(off));
        }
        for _ in 0..8 {
            sum ^= std::ptr::read_volatile(base.add(rng.index(size)));
        }
        std::hint::black_box(sum);
        libc::munmap(a, size);
    }
    Ok(())
}

fn list(p: &Path) -> Call {
    match std::fs::read_dir(p) {
        Ok(rd) => {
            for e in rd {
                e.map_err(|e| e.raw_os_error().unwrap_or(0))?;
            }
            Ok(())
        }
        Err(e) => Err(e.raw_os_error().unwrap_or(0)),
    }
}

/// Runs until SIGTERM; prints its tally (`worker k=v ...`) on stdout.
pub fn run(mnt: &Path, seed: u64) -> i32 {
    handle(libc::SIGTERM, on_term);
    handle(libc::SIGUSR1, on_usr1);
    handle(libc::SIGBUS, on_bus);
    let mut rng = Rng::new(seed);
    let mut t = Tally::default();
    let mut names = discover(mnt);
    let mut max_ms = 0u64;
    while !STOP.load(Ordering::Relaxed) {
        if names.files.is_empty() || rng.chance(1) {
            names = discover(mnt);
        }
        let file = rng
            .pick(&names.files)
            .cloned()
            .unwrap_or_else(|| mnt.join("none"));
        let dir = rng
            .pick(&names.dirs)
            .cloned()
            .unwrap_or_else(|| mnt.to_owned());
        let start = Instant::now();
        // Misses are few: each makes the daemon ask for a log refresh.
        let (op, r) = match rng.below(40) {
            0..=7 => ("stat", stat(&file)),
            8..=15 => ("read", read_at(&file, &mut rng)),
            16..=23 => ("fault", fault(&file, &mut rng)),
            24..=29 => ("list", list(&dir)),
            30..=31 => ("statfs", statfs(mnt)),
            32 => (
                "miss",
                stat(&dir.join(format!("absent-{}", rng.below(1000)))),
            ),
            33 => ("meta", read_at(&mnt.join(".meta/.log"), &mut rng)),
            _ => ("stat-dir", stat(&dir)),
        };
        let took = start.elapsed();
        max_ms = max_ms.max(took.as_millis() as u64);
        t.add("calls", 1);
        t.add(&format!("op.{op}"), 1);
        t.add(&format!("us.{op}"), took.as_micros() as u64);
        match r {
            Ok(()) => t.add("ok", 1),
            Err(e) => {
                t.add("errors", 1);
                t.add(&format!("errno.{e}"), 1);
                if !KERNEL_ERRNOS.contains(&e) && !DAEMON_ERRNOS.contains(&e) {
                    t.add("unexpected", 1);
                    t.describe(format!("{op} {}: errno {e}", file.display()));
                }
            }
        }
    }
    t.add("max_ms", max_ms);
    println!("worker {}", t.to_line());
    0
}

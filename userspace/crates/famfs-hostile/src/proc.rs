// SPDX-License-Identifier: GPL-2.0
//! Small process helpers: pipes, non-blocking line reading, waiting for
//! a child with a deadline, signals.

use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

/// A pipe (read end, write end), both close-on-exec.
pub fn pipe() -> std::io::Result<(File, File)> {
    let mut fds = [0i32; 2];
    // SAFETY: pipe2 fills two descriptors we then own.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: both descriptors were just created and are ours alone.
    Ok(unsafe { (File::from_raw_fd(fds[0]), File::from_raw_fd(fds[1])) })
}

/// Whole lines from a descriptor read without blocking.
pub struct Lines {
    file: File,
    buf: Vec<u8>,
}

impl Lines {
    /// Reads `file` (made non-blocking).
    pub fn new(file: File) -> Self {
        // SAFETY: fcntl on a descriptor we own.
        unsafe {
            let fl = libc::fcntl(file.as_raw_fd(), libc::F_GETFL);
            libc::fcntl(file.as_raw_fd(), libc::F_SETFL, fl | libc::O_NONBLOCK);
        }
        Lines {
            file,
            buf: Vec::new(),
        }
    }

    /// The complete lines that arrived since the last call.
    pub fn take(&mut self) -> Vec<String> {
        let mut chunk = [0u8; 4096];
        while let Ok(n) = self.file.read(&mut chunk) {
            if n == 0 {
                break;
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
        let mut out = Vec::new();
        while let Some(i) = self.buf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.buf.drain(..=i).collect();
            out.push(String::from_utf8_lossy(&line[..i]).into_owned());
        }
        out
    }

    /// Waits (polling) up to `limit` for one line.
    pub fn wait_line(&mut self, limit: Duration) -> Option<String> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(l) = self.take().into_iter().next() {
                return Some(l);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// How a child ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// Exit status.
    Exited(i32),
    /// Killed by a signal.
    Signaled(i32),
    /// Still running at the deadline.
    Running,
}

/// Waits up to `limit` for child `pid`.
pub fn wait_pid(pid: i32, limit: Duration) -> Ended {
    let deadline = Instant::now() + limit;
    loop {
        let mut st = 0;
        // SAFETY: waitpid on our own child, status on our stack.
        let r = unsafe { libc::waitpid(pid, &mut st, libc::WNOHANG) };
        if r == pid {
            return if libc::WIFEXITED(st) {
                Ended::Exited(libc::WEXITSTATUS(st))
            } else {
                Ended::Signaled(libc::WTERMSIG(st))
            };
        }
        if r < 0 || Instant::now() >= deadline {
            return if r < 0 {
                Ended::Exited(-1)
            } else {
                Ended::Running
            };
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends `sig` to `pid`.
pub fn kill(pid: i32, sig: i32) {
    // SAFETY: kill(2) on a process we started.
    unsafe { libc::kill(pid, sig) };
}

/// Points the standard error of this process at `path` (appending).
pub fn stderr_to(path: &std::path::Path) {
    if let Ok(f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let fd = OwnedFd::from(f);
        // SAFETY: dup2 onto descriptor 2; ours is closed after.
        unsafe { libc::dup2(fd.as_raw_fd(), 2) };
    }
}

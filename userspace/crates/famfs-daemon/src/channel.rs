// SPDX-License-Identifier: GPL-2.0
//! The daemon's side of a FUSE connection: read one whole request, write
//! one whole reply.
//!
//! [`DevChannel`] serves a character device that speaks the FUSE framing:
//! `/dev/famfs_rs` (famfs_rs.ko) and the kernel's own `/dev/fuse` behave
//! the same way here (one `read` = one request, one `write` = one reply,
//! ENODEV once the mount is gone, ENOENT for a reply nobody waits for).
//! Tests use [`crate::testchan::MemChannel`].

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// What a read brought.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recv {
    /// One request of this many bytes is at the start of the buffer.
    Msg(usize),
    /// The connection is over (unmounted, aborted, or end of file).
    Closed,
}

/// What became of a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// Accepted.
    Ok,
    /// Nobody waits for this unique any more (ENOENT): the request was
    /// withdrawn (signal, INTERRUPT) or already failed. Not an error.
    Gone,
    /// The kernel refused the reply as malformed (the errno, EINVAL).
    Refused(i32),
    /// The connection is over.
    Closed,
}

/// A FUSE connection as the daemon sees it.
pub trait Channel: Send + Sync {
    /// Blocks for the next request and copies it to `buf`.
    fn recv(&self, buf: &mut [u8]) -> io::Result<Recv>;
    /// Sends one reply.
    fn send(&self, msg: &[u8]) -> io::Result<Sent>;
}

/// A FUSE control device (`/dev/famfs_rs` or `/dev/fuse`) opened by us or
/// inherited as a descriptor.
///
/// `/dev/fuse` refuses reads with EPERM until a mount has attached the
/// descriptor; the daemon starts serving before (or while) mount(2) runs,
/// so until the first request arrives EPERM means "not mounted yet" and
/// the read is retried.
pub struct DevChannel {
    file: File,
    attached: AtomicBool,
}

/// Pause between reads while the descriptor is not yet mounted.
const ATTACH_POLL: Duration = Duration::from_millis(10);

fn is_closed(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::ENODEV) | Some(libc::ENOTCONN) | Some(libc::ECONNABORTED)
    )
}

impl DevChannel {
    /// Wraps an open control device.
    pub fn new(file: File) -> Self {
        DevChannel {
            file,
            attached: AtomicBool::new(false),
        }
    }

    /// Takes over descriptor `fd` (e.g. `--fd 3` from the mounting shell).
    ///
    /// # Errors
    /// EBADF if `fd` is not open in this process.
    pub fn from_fd(fd: i32) -> io::Result<Self> {
        // SAFETY: F_GETFD only queries the descriptor table.
        if unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: the descriptor is open (checked above) and the caller
        // hands it to us: nothing else in this process owns it.
        let owned = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Self::new(File::from(owned)))
    }

    /// The descriptor (for the mount option `fd=N`).
    pub fn raw_fd(&self) -> i32 {
        self.file.as_raw_fd()
    }

    /// Waits until the device is readable (for descriptors opened with
    /// O_NONBLOCK).
    fn wait_readable(&self) -> io::Result<()> {
        let mut p = libc::pollfd {
            fd: self.file.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd on our stack, count 1.
        let rc = unsafe { libc::poll(&mut p, 1, -1) };
        if rc < 0 {
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
        Ok(())
    }
}

impl Channel for DevChannel {
    fn recv(&self, buf: &mut [u8]) -> io::Result<Recv> {
        loop {
            // SAFETY: read into our own buffer, at most its length.
            let n =
                unsafe { libc::read(self.file.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n > 0 {
                self.attached.store(true, Ordering::Relaxed);
                return Ok(Recv::Msg(n as usize));
            }
            if n == 0 {
                return Ok(Recv::Closed);
            }
            let e = io::Error::last_os_error();
            match e.raw_os_error() {
                Some(libc::EINTR) => continue,
                Some(libc::EAGAIN) => self.wait_readable()?,
                Some(libc::EPERM) if !self.attached.load(Ordering::Relaxed) => {
                    std::thread::sleep(ATTACH_POLL)
                }
                _ if is_closed(&e) => return Ok(Recv::Closed),
                _ => return Err(e),
            }
        }
    }

    fn send(&self, msg: &[u8]) -> io::Result<Sent> {
        loop {
            // SAFETY: write from our own buffer, exactly its length.
            let n = unsafe { libc::write(self.file.as_raw_fd(), msg.as_ptr().cast(), msg.len()) };
            if n >= 0 {
                return Ok(Sent::Ok);
            }
            let e = io::Error::last_os_error();
            match e.raw_os_error() {
                Some(libc::EINTR) => continue,
                Some(libc::ENOENT) => return Ok(Sent::Gone),
                Some(libc::EINVAL) => return Ok(Sent::Refused(libc::EINVAL)),
                _ if is_closed(&e) => return Ok(Sent::Closed),
                _ => return Err(e),
            }
        }
    }
}

// SPDX-License-Identifier: GPL-2.0

//! Linux errno values the core reports (positive; asm-generic numbering,
//! as on x86_64 and arm64). The kernel turns them into its own error type,
//! userspace into `std::io::Error`.

/// I/O error: a malformed or inconsistent message from the daemon.
pub const EIO: i32 = 5;
/// No such device or address: an offset outside the file's map.
pub const ENXIO: i32 = 6;
/// Invalid argument: a reply whose header cannot be accepted at all.
pub const EINVAL: i32 = 22;
/// No space left on device: a raw-node write at or past the device's end.
pub const ENOSPC: i32 = 28;
/// Result too large: a caller's buffer cannot hold the message.
pub const ERANGE: i32 = 34;
/// File name too long.
pub const ENAMETOOLONG: i32 = 36;
/// Protocol error: the peer speaks another famfs_rs or FUSE version.
pub const EPROTO: i32 = 71;
/// Largest errno a daemon may return; 512 and up are kernel-internal
/// (ERESTARTSYS and friends) and must never reach a system call's caller.
pub const MAX_DAEMON_ERRNO: i32 = 511;

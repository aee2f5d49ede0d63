// SPDX-License-Identifier: GPL-2.0
//! famfs host plumbing, shared by the famfs command and the famfs daemon:
//! what both do to the host outside the FUSE protocol.
//!
//! - [`mountinfo`]: finding famfs mounts in /proc/self/mountinfo;
//! - [`paths`]: where a mount's daemon keeps its pid file, device record
//!   and log;
//! - [`mount`]: mount(2), umount2(2), and the names and options famfs
//!   mounts use (from the ABI header);
//! - [`handover`], [`held`]: moving the devices to famfs_rs.ko's dax
//!   driver (or the kernel's fsdev_dax on 7.x) for a mount, and back, with
//!   the on-disk record `famfs umount` gives back from if the daemon could
//!   not; [`bound`]: keeping devices there across mounts (`famfs bind`);
//! - [`log`] ([`dlog!`]) and [`faults`]: the daemon's log line and its
//!   fault-injection points, which the handover uses too;
//! - [`PROTO_VERSION`], [`PROTO_MIN_VERSION`]: the famfs_rs protocol
//!   versions this userspace speaks, which `famfs mount --famfs-rs-proto`
//!   offers and the daemon answers with.

pub mod bound;
pub mod faults;
pub mod handover;
pub mod held;
pub mod log;
pub mod mount;
pub mod mountinfo;
pub mod paths;

/// The famfs_rs protocol versions this userspace speaks (the newest is the
/// default; `famfs mount --famfs-rs-proto` picks an older one).
pub use famfs_core::init::{PROTO_MIN_VERSION, PROTO_VERSION};

// SPDX-License-Identifier: GPL-2.0
//! The famfs daemon: serves the famfs namespace, replayed from the log,
//! over a FUSE connection.
//!
//! - [`channel`]: the connection (`/dev/famfs_rs`, `/dev/fuse`, or the
//!   in-process [`testchan`]);
//! - [`server`]: the protocol, request by request;
//! - [`serve`]: the loop that ties them;
//! - [`refresh`], [`source`], [`snapshot`]: the log, read on a thread of
//!   its own and served from immutable snapshots;
//! - [`nodes`], [`attrs`], [`readdir`], [`fmap`], [`devices`], [`read`],
//!   [`init`]: the answers;
//! - [`misbehave`]: the malformed-reply test mode; [`faults`]: dying at
//!   a chosen point (fault-injection tests);
//! - [`verdict`]: what the kernel does with a reply (the model of the
//!   test channel and of the hostile-daemon fuzzer);
//! - [`daemon`], [`mount`], [`mountinfo`], [`paths`]: running as a daemon,
//!   mounting, finding mounts;
//! - [`handover`], [`held`]: moving the devices to famfs_rs.ko's dax
//!   driver (or the kernel's fsdev_dax on 7.x) for a mount, and back.

pub mod attrs;
pub mod channel;
pub mod daemon;
pub mod devices;
pub mod faults;
pub mod fmap;
pub mod handover;
pub mod held;
pub mod init;
pub mod log;
pub mod misbehave;
pub mod mount;
pub mod mountinfo;
pub mod nodes;
pub mod paths;
pub mod read;
pub mod readdir;
pub mod refresh;
pub mod serve;
pub mod server;
pub mod snapshot;
pub mod source;
pub mod testchan;
pub mod verdict;

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
//! - [`misbehave`]: the malformed-reply test mode;
//! - [`verdict`]: what the kernel does with a reply (the model of the
//!   test channel and of the hostile-daemon fuzzer);
//! - [`daemon`]: running as a daemon: replay, device handover, mount(2),
//!   serve, give the devices back.
//!
//! The host plumbing the famfs command needs as well (mount table, paths,
//! mount(2), device handover and its record, the log line, the
//! fault-injection points) lives in the [`famfs_host`] crate.

pub mod attrs;
pub mod channel;
pub mod daemon;
pub mod devices;
pub mod fmap;
pub mod init;
pub mod misbehave;
pub mod nodes;
pub mod read;
pub mod readdir;
pub mod refresh;
pub mod serve;
pub mod server;
pub mod snapshot;
pub mod source;
pub mod testchan;
pub mod verdict;

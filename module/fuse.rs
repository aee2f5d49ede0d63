// SPDX-License-Identifier: GPL-2.0

//! Layer 2, FUSE, split as fs/fuse is. What fs/fuse/dev.c does: the control
//! device (`connection`: one open file is one daemon connection) and the
//! request queue a mount sends on and the daemon reads and answers
//! (`transport`, `background`), every reply checked by the shared core.
//! The client a mount sends through (`client`), with the requests where
//! fs/fuse has them (`inode`, `dir`, `readdir`, `file`). Built on the
//! kernel API (`crate::kapi`), with no unsafe code of its own; knows
//! nothing of famfs beyond the wire format (a map a LOOKUP reply carries
//! goes up unexamined).

#![forbid(unsafe_code)]

pub(crate) mod background;
pub(crate) mod client;
pub(crate) mod connection;
mod dir;
mod file;
pub(crate) mod inode;
mod readdir;
pub(crate) mod transport;

pub(crate) use client::Client;

// SPDX-License-Identifier: GPL-2.0
//! famfs metadata: where the bytes live, the log, replay into a namespace,
//! allocation, fsck and the master/client role.
//!
//! Layers, bottom up:
//! - [`media`]: bytes at offsets — a mapped devdax device or image file, a
//!   window into one, or memory — with writes flushed from the CPU cache;
//! - [`store`]: the superblock and the log on some media, and serialised
//!   log appends (flock);
//! - [`replay`] and [`namespace`]: log entries into a file tree;
//! - [`alloc`]: free space from the replayed fmaps;
//! - [`fs`]: an open file system (mkfs, creat, mkdir, data I/O);
//! - [`mod@fsck`]: the checker; [`fuzz`]: the fuzzing entry point.

pub mod alloc;
pub mod device;
mod error;
pub mod flush;
pub mod fs;
pub mod fsck;
pub mod fuzz;
pub mod media;
pub mod namespace;
pub mod pattern;
pub mod rawnode;
pub mod replay;
pub mod role;
pub mod stitched;
pub mod store;
mod xoroshiro;

pub use alloc::{Allocator, InterleaveParams};
pub use device::{DaxDevice, DeviceKind};
pub use error::MetaError;
pub use fs::{
    kill_superblock, mkfs, Attrs, Famfs, Layout, MkfsOptions, FM_ALL_HOSTS_RO, FM_ALL_HOSTS_RW,
};
pub use fsck::{fsck, FsckReport};
pub use media::{MappedFile, Media, MemMedia, SparseMedia, Window};
pub use namespace::{Ino, Namespace, Node, NodeKind, ROOT_INO};
pub use replay::{DaxdevInfo, Finding, Replay, Severity};
pub use role::host_system_uuid;
pub use stitched::Stitched;
pub use store::MetaStore;

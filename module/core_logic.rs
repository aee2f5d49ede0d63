// SPDX-License-Identifier: GPL-2.0

//! The shared `no_std` core (`module/core/src`), compiled into the module
//! from the very files the userspace crate `famfs-core` is built from.
//! Parsing and validation of everything the daemon sends lives there, so it
//! is unit-tested and fuzzed in userspace.

#![forbid(unsafe_code)]

#[path = "core/src"]
#[allow(dead_code, unreachable_pub)]
pub(crate) mod famfs_core {
    pub mod abi;
    pub mod attr;
    pub mod codec;
    pub mod daxdev;
    pub mod dirent;
    pub mod errno;
    pub mod fmap;
    pub mod init;
    pub mod meta_area;
    pub mod rawio;
    pub mod wire;
}

// SPDX-License-Identifier: GPL-2.0

//! famfs_rs core: the logic shared by the kernel module and userspace.
//!
//! `no_std`, no allocation, no `unsafe`, no panics on any input. The kernel
//! module compiles the module files below directly (it never sees this file),
//! so the files refer to each other only as `super::name`. Userspace builds
//! this file as the `famfs-core` crate (userspace/crates/famfs-core).

#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        clippy::panic,
        clippy::unwrap_used,
        clippy::expect_used
    )
)]

#[cfg(test)]
extern crate std;

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

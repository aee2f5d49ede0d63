// SPDX-License-Identifier: GPL-2.0

//! Layer 1, the kernel API: safe wrappers over the raw bindings, knowing
//! nothing of famfs or FUSE. Every `unsafe` block of the module lives in
//! here, each wrapper documents its `# Invariants` and every unsafe block
//! its `// SAFETY:` argument; the layers above (`fuse`, `famfs`) are
//! `#![forbid(unsafe_code)]`.
//!
//! The wrappers are shaped like the Rust-for-Linux abstractions that later
//! kernels merged (misc device, poll `CondVar`, `File`, `Completion`), so
//! that each can be swapped for the kernel crate's own once a newer kernel
//! is the floor. The raw bindings and the C helpers are private to this
//! layer.

use kernel::str::CStr;

mod bindings;
pub(crate) mod completion;
pub(crate) mod cred;
pub(crate) mod debugfs;
pub(crate) mod errno;
pub(crate) mod file;
pub(crate) mod fsdax;
pub(crate) mod log;
pub(crate) mod miscdev;
pub(crate) mod once;
pub(crate) mod poll;
pub(crate) mod time;
pub(crate) mod vec;
pub(crate) mod vfs;

/// A C string from bytes that end with their NUL (an ABI header's string
/// constant, as bindgen gives it), checked when the constant is built.
pub(crate) const fn c_str(bytes: &'static [u8]) -> &'static CStr {
    match CStr::from_bytes_with_nul(bytes) {
        Ok(s) => s,
        Err(_) => panic!("not a NUL-terminated string without inner NULs"),
    }
}

// SPDX-License-Identifier: GPL-2.0

//! The kernel API layer: safe wrappers over the raw bindings.
pub(crate) mod bindings;
pub(crate) mod completion;
pub(crate) mod debugfs;
pub(crate) mod fsdax;
pub(crate) mod miscdev;
pub(crate) mod poll;
pub(crate) mod vfs;

// SPDX-License-Identifier: GPL-2.0

//! The famfs layer.
pub(crate) mod daxtable;
pub(crate) mod fs;
pub(crate) mod mapped;
pub(crate) mod mount;

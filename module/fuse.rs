// SPDX-License-Identifier: GPL-2.0

//! The FUSE transport layer.
pub(crate) mod connection;
pub(crate) mod transport;

// SPDX-License-Identifier: GPL-2.0
//! Shared test fixtures: file systems on sparse in-memory devices.
#![allow(dead_code)]

use std::sync::Arc;

use famfs_meta::{mkfs, Attrs, Famfs, Media, MetaStore, MkfsOptions, SparseMedia};
use uuid::Uuid;

/// The master's system UUID in tests.
pub const MASTER: Uuid = Uuid::from_u128(0x6d61_7374_6572_0000_0000_0000_0000_0001);
/// Another host.
pub const CLIENT: Uuid = Uuid::from_u128(0x636c_6965_6e74_0000_0000_0000_0000_0002);

pub const ATTRS: Attrs = Attrs {
    mode: 0o644,
    uid: 1000,
    gid: 100,
};

/// A freshly formatted sparse device of `size` bytes.
pub fn media(size: u64) -> Arc<dyn Media> {
    let m: Arc<dyn Media> = Arc::new(SparseMedia::new(size, "test-dev"));
    mkfs(m.as_ref(), &MkfsOptions::new(MASTER, "test-dev")).expect("mkfs");
    m
}

/// Open the file system on `m` as host `host`.
pub fn open_as(m: &Arc<dyn Media>, host: Uuid) -> Famfs {
    let store = MetaStore::on_media(m.clone()).expect("store");
    Famfs::open(store, m.clone(), host).expect("open")
}

/// A fresh 4 GiB file system opened by its master.
pub fn fresh() -> (Arc<dyn Media>, Famfs) {
    let m = media(4 << 30);
    let fs = open_as(&m, MASTER);
    (m, fs)
}

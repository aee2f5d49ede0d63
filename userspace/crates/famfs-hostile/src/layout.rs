// SPDX-License-Identifier: GPL-2.0
//! Where the fields of each reply body are, from the ABI structs the
//! module checks (offsets by `offset_of!`, so a change of the ABI moves
//! them here too). Offsets are from the start of the body.

use std::mem::offset_of;

use famfs_core::abi::{
    fuse_attr, fuse_attr_out, fuse_dirent, fuse_entry_out, fuse_famfs_daxdev_out,
    fuse_famfs_fmap_header, fuse_famfs_iext, fuse_famfs_simple_ext, fuse_init_out, fuse_kstatfs,
    fuse_open_out,
};
use famfs_core::wire::Pending;

/// One field: its offset and width in bytes (1, 2, 4 or 8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fld {
    /// Offset in the body.
    pub at: usize,
    /// Width in bytes.
    pub width: usize,
}

macro_rules! flds {
    ($base:expr, $t:ty; $($f:ident : $w:expr),* $(,)?) => {
        [$(Fld { at: $base + offset_of!($t, $f), width: $w }),*]
    };
}

fn attr(base: usize) -> [Fld; 16] {
    flds!(base, fuse_attr;
        ino: 8, size: 8, blocks: 8, atime: 8, mtime: 8, ctime: 8, atimensec: 4,
        mtimensec: 4, ctimensec: 4, mode: 4, nlink: 4, uid: 4, gid: 4, rdev: 4,
        blksize: 4, flags: 4)
}

/// The fixed fields of the body a request's reply has (the variable
/// parts of GET_FMAP and READDIR replies are found by [`crate::mutate`]
/// in the reply itself).
pub fn fields(p: Pending) -> Vec<Fld> {
    let mut v = Vec::new();
    match p {
        Pending::Lookup | Pending::LookupFmap => {
            v.extend(flds!(0, fuse_entry_out;
                nodeid: 8, generation: 8, entry_valid: 8, attr_valid: 8,
                entry_valid_nsec: 4, attr_valid_nsec: 4));
            v.extend(attr(offset_of!(fuse_entry_out, attr)));
        }
        Pending::GetAttr => {
            v.extend(flds!(0, fuse_attr_out; attr_valid: 8, attr_valid_nsec: 4, dummy: 4));
            v.extend(attr(offset_of!(fuse_attr_out, attr)));
        }
        Pending::Open | Pending::OpenDir => {
            v.extend(flds!(0, fuse_open_out; fh: 8, open_flags: 4, backing_id: 4))
        }
        Pending::Statfs => v.extend(flds!(0, fuse_kstatfs;
            blocks: 8, bfree: 8, bavail: 8, files: 8, ffree: 8, bsize: 4, namelen: 4,
            frsize: 4, padding: 4, spare: 4)),
        Pending::Init { .. } => v.extend(flds!(0, fuse_init_out;
            major: 4, minor: 4, max_readahead: 4, flags: 4, max_background: 2,
            congestion_threshold: 2, max_write: 4, time_gran: 4, max_pages: 2,
            map_alignment: 2, flags2: 4, max_stack_depth: 4, famfs_rs_proto: 4)),
        Pending::GetDaxdev { .. } => v.extend(flds!(0, fuse_famfs_daxdev_out;
            index: 2, reserved: 2, reserved0: 4, dev_major: 4, dev_minor: 4,
            reserved1: 8, name: 8)),
        Pending::GetFmap => v.extend(flds!(0, fuse_famfs_fmap_header;
            file_type: 1, flags: 1, fmap_version: 2, ext_type: 4, nextents: 4,
            reserved0: 4, file_size: 8, reserved1: 8)),
        _ => {}
    }
    v
}

/// The fields of a simple extent (or strip) at `base`.
pub fn simple_ext(base: usize) -> [Fld; 4] {
    flds!(base, fuse_famfs_simple_ext; devindex: 4, reserved: 4, offset: 8, len: 8)
}

/// The fields of an interleaved extent's header at `base`.
pub fn iext(base: usize) -> [Fld; 4] {
    flds!(base, fuse_famfs_iext; nstrips: 4, chunk_size: 4, nbytes: 8, reserved: 8)
}

/// The fields of a directory entry's header at `base`.
pub fn dirent(base: usize) -> [Fld; 4] {
    flds!(base, fuse_dirent; ino: 8, off: 8, namelen: 4, type_: 4)
}

/// Reads field `f` of `body` (0 if the body is shorter).
pub fn get(body: &[u8], f: Fld) -> u64 {
    let mut b = [0u8; 8];
    if let Some(src) = body.get(f.at..f.at + f.width) {
        b[..f.width].copy_from_slice(src);
    }
    u64::from_le_bytes(b)
}

/// Writes `v` (truncated to the width) into field `f` of `body`, if the
/// body holds it.
pub fn set(body: &mut [u8], f: Fld, v: u64) {
    if let Some(dst) = body.get_mut(f.at..f.at + f.width) {
        dst.copy_from_slice(&v.to_le_bytes()[..f.width]);
    }
}

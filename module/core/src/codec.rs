// SPDX-License-Identifier: GPL-2.0

//! Reading and writing the ABI structs from and to byte buffers, without
//! `unsafe` and without copying layouts by hand: every field is accessed at
//! the offset the compiler computed for the generated struct
//! (`core::mem::offset_of!`), in host byte order (module and daemon share a
//! host). The header file stays the one definition of every layout.

/// A value with a fixed wire size that can be read from and written to
/// bytes.
pub trait Field: Copy {
    /// Size on the wire, in bytes.
    const SIZE: usize;
    /// Reads the value from the first `SIZE` bytes of `b`; `None` if `b` is
    /// shorter.
    fn get(b: &[u8]) -> Option<Self>;
    /// Writes the value to the first `SIZE` bytes of `b` (padding zeroed);
    /// `None` if `b` is shorter.
    fn put(self, b: &mut [u8]) -> Option<()>;
}

macro_rules! int_fields {
    ($($t:ty),*) => {$(
        impl Field for $t {
            const SIZE: usize = core::mem::size_of::<$t>();
            fn get(b: &[u8]) -> Option<Self> {
                Some(<$t>::from_ne_bytes(b.get(..Self::SIZE)?.try_into().ok()?))
            }
            fn put(self, b: &mut [u8]) -> Option<()> {
                b.get_mut(..Self::SIZE)?.copy_from_slice(&self.to_ne_bytes());
                Some(())
            }
        }

        impl<const N: usize> Field for [$t; N] {
            const SIZE: usize = core::mem::size_of::<[$t; N]>();
            fn get(b: &[u8]) -> Option<Self> {
                let mut out = [0; N];
                let mut rest = b.get(..Self::SIZE)?;
                for v in out.iter_mut() {
                    *v = <$t as Field>::get(rest)?;
                    rest = rest.get(<$t as Field>::SIZE..)?;
                }
                Some(out)
            }
            fn put(self, b: &mut [u8]) -> Option<()> {
                let mut rest = b.get_mut(..Self::SIZE)?;
                for v in self {
                    v.put(rest)?;
                    rest = rest.get_mut(<$t as Field>::SIZE..)?;
                }
                Some(())
            }
        }
    )*};
}

int_fields!(u8, u16, u32, u64, i32);

/// The empty body of a request or reply that has none.
impl Field for () {
    const SIZE: usize = 0;
    fn get(_: &[u8]) -> Option<Self> {
        Some(())
    }
    fn put(self, _: &mut [u8]) -> Option<()> {
        Some(())
    }
}

/// Size of the field `f` selects; used by the padding check of
/// [`wire_structs!`].
pub const fn field_size<S, T: Field>(_f: fn(&S) -> &T) -> usize {
    T::SIZE
}

/// Implements [`Field`] for generated structs. Every field must be listed
/// (the struct literal in `get` does not compile otherwise), and a
/// compile-time check proves the listed fields cover the whole struct, so no
/// implicit padding can carry stale bytes.
macro_rules! wire_structs {
    ($($t:ident { $($f:ident),* $(,)? })*) => {$(
        impl Field for $t {
            const SIZE: usize = core::mem::size_of::<$t>();
            fn get(b: &[u8]) -> Option<Self> {
                let b = b.get(..Self::SIZE)?;
                Some($t {
                    $($f: Field::get(b.get(core::mem::offset_of!($t, $f)..)?)?,)*
                })
            }
            fn put(self, b: &mut [u8]) -> Option<()> {
                let b = b.get_mut(..Self::SIZE)?;
                b.fill(0);
                $(Field::put(self.$f, b.get_mut(core::mem::offset_of!($t, $f)..)?)?;)*
                Some(())
            }
        }

        #[allow(clippy::arithmetic_side_effects)]
        const _: () = assert!(
            0 $(+ field_size(|s: &$t| &s.$f))* == core::mem::size_of::<$t>(),
            concat!("implicit padding in ", stringify!($t))
        );
    )*};
}

use super::abi::{
    fuse_attr, fuse_attr_out, fuse_batch_forget_in, fuse_dirent, fuse_entry_out,
    fuse_famfs_daxdev_out, fuse_famfs_fmap_header, fuse_famfs_iext, fuse_famfs_simple_ext,
    fuse_forget_in, fuse_forget_one, fuse_getattr_in, fuse_in_header, fuse_init_in, fuse_init_out,
    fuse_interrupt_in, fuse_kstatfs, fuse_open_in, fuse_open_out, fuse_out_header, fuse_read_in,
    fuse_release_in, fuse_statfs_out,
};

wire_structs! {
    fuse_in_header { len, opcode, unique, nodeid, uid, gid, pid, total_extlen, padding }
    fuse_out_header { len, error, unique }
    fuse_attr {
        ino, size, blocks, atime, mtime, ctime, atimensec, mtimensec, ctimensec, mode, nlink,
        uid, gid, rdev, blksize, flags,
    }
    fuse_entry_out {
        nodeid, generation, entry_valid, attr_valid, entry_valid_nsec, attr_valid_nsec, attr,
    }
    fuse_forget_in { nlookup }
    fuse_forget_one { nodeid, nlookup }
    fuse_batch_forget_in { count, dummy }
    fuse_getattr_in { getattr_flags, dummy, fh }
    fuse_attr_out { attr_valid, attr_valid_nsec, dummy, attr }
    fuse_open_in { flags, open_flags }
    fuse_open_out { fh, open_flags, backing_id }
    fuse_release_in { fh, flags, release_flags, lock_owner }
    fuse_read_in { fh, offset, size, read_flags, lock_owner, flags, padding }
    fuse_dirent { ino, off, namelen, type_ }
    fuse_interrupt_in { unique }
    fuse_kstatfs { blocks, bfree, bavail, files, ffree, bsize, namelen, frsize, padding, spare }
    fuse_statfs_out { st }
    fuse_init_in { major, minor, max_readahead, flags, flags2, unused, famfs_rs_flags,
        famfs_rs_proto }
    fuse_init_out {
        major, minor, max_readahead, flags, max_background, congestion_threshold, max_write,
        time_gran, max_pages, map_alignment, flags2, max_stack_depth, unused, famfs_rs_flags,
        famfs_rs_proto,
    }
    fuse_famfs_fmap_header {
        file_type, flags, fmap_version, ext_type, nextents, reserved0, file_size, reserved1,
    }
    fuse_famfs_simple_ext { devindex, reserved, offset, len }
    fuse_famfs_iext { nstrips, chunk_size, nbytes, reserved }
    fuse_famfs_daxdev_out { index, reserved, reserved0, dev_major, dev_minor, reserved1, name }
}

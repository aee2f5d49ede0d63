// SPDX-License-Identifier: GPL-2.0

//! Sanity rules for inode attributes and cache timeouts from the daemon.
//!
//! famfs has only regular files and directories, no device nodes, no
//! submounts; a reply that claims anything else is refused before the
//! module builds an inode from it.

use super::abi::fuse_attr;
use super::errno;

/// File type bits of a mode.
pub const S_IFMT: u32 = 0o170000;
/// Regular file.
pub const S_IFREG: u32 = 0o100000;
/// Directory.
pub const S_IFDIR: u32 = 0o040000;
/// Permission, set-id and sticky bits.
pub const S_IALLUGO: u32 = 0o7777;
/// Largest file size the VFS can represent (`loff_t`).
pub const MAX_FILE_SIZE: u64 = i64::MAX as u64;
/// Nanoseconds per second.
pub const NSEC_PER_SEC: u32 = 1_000_000_000;
/// Smallest non-zero `blksize`.
pub const MIN_BLKSIZE: u32 = 512;
/// Largest `blksize` (1 GiB).
pub const MAX_BLKSIZE: u32 = 1 << 30;

/// The two kinds of inode famfs has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A regular file (its data is mapped through an fmap).
    Regular,
    /// A directory.
    Directory,
}

impl FileKind {
    /// The kind a mode's type bits name, if famfs has it.
    pub const fn from_mode(mode: u32) -> Option<Self> {
        match mode & S_IFMT {
            S_IFREG => Some(Self::Regular),
            S_IFDIR => Some(Self::Directory),
            _ => None,
        }
    }

    /// `d_type` value (DT_REG or DT_DIR) used in dirents.
    pub const fn dtype(self) -> u32 {
        match self {
            Self::Regular => 8,
            Self::Directory => 4,
        }
    }

    /// The kind for a `d_type` value.
    pub const fn from_dtype(t: u32) -> Option<Self> {
        match t {
            8 => Some(Self::Regular),
            4 => Some(Self::Directory),
            _ => None,
        }
    }
}

/// Why an attribute block was refused. Every variant maps to EIO.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrError {
    /// The mode names a file type famfs does not have.
    FileType,
    /// Mode bits outside the type and permission bits.
    ModeBits,
    /// `ino` is zero.
    ZeroIno,
    /// `size` exceeds what `loff_t` holds.
    Size,
    /// `blocks` (512-byte units) count more bytes than `loff_t` holds.
    Blocks,
    /// `nlink` is zero.
    Nlink,
    /// A nanosecond field is 10^9 or more.
    Nsec,
    /// `rdev` is set: famfs has no device files.
    Rdev,
    /// `blksize` is neither 0 nor a power of two in 512..=1 GiB.
    Blksize,
    /// `flags` is set (submounts and per-inode DAX flags are not supported).
    Flags,
}

impl AttrError {
    /// The errno the failed request reports.
    pub const fn errno(self) -> i32 {
        errno::EIO
    }
}

/// Checks an attribute block and says which kind of inode it describes.
pub fn check_attr(a: &fuse_attr) -> Result<FileKind, AttrError> {
    let kind = FileKind::from_mode(a.mode).ok_or(AttrError::FileType)?;
    if a.mode & !(S_IFMT | S_IALLUGO) != 0 {
        return Err(AttrError::ModeBits);
    }
    if a.ino == 0 {
        return Err(AttrError::ZeroIno);
    }
    if a.size > MAX_FILE_SIZE {
        return Err(AttrError::Size);
    }
    if a.blocks > MAX_FILE_SIZE.div_ceil(512) {
        return Err(AttrError::Blocks);
    }
    if a.nlink == 0 {
        return Err(AttrError::Nlink);
    }
    if a.atimensec >= NSEC_PER_SEC || a.mtimensec >= NSEC_PER_SEC || a.ctimensec >= NSEC_PER_SEC {
        return Err(AttrError::Nsec);
    }
    if a.rdev != 0 {
        return Err(AttrError::Rdev);
    }
    if a.blksize != 0
        && (!a.blksize.is_power_of_two() || a.blksize < MIN_BLKSIZE || a.blksize > MAX_BLKSIZE)
    {
        return Err(AttrError::Blksize);
    }
    if a.flags != 0 {
        return Err(AttrError::Flags);
    }
    Ok(kind)
}

/// A cache timeout as the daemon sent it: seconds plus nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Timeout {
    /// Whole seconds.
    pub secs: u64,
    /// Nanoseconds; values of 10^9 and more count as 999999999.
    pub nsecs: u32,
}

impl Timeout {
    /// A timeout from the wire's two fields.
    pub const fn new(secs: u64, nsecs: u32) -> Self {
        Self { secs, nsecs }
    }

    const fn clamped_nsecs(self) -> u64 {
        if self.nsecs >= NSEC_PER_SEC {
            (NSEC_PER_SEC - 1) as u64
        } else {
            self.nsecs as u64
        }
    }

    /// The timeout in nanoseconds, saturating at `u64::MAX`.
    pub const fn as_nanos(self) -> u64 {
        self.secs
            .saturating_mul(NSEC_PER_SEC as u64)
            .saturating_add(self.clamped_nsecs())
    }

    /// The timeout in jiffies at `hz` ticks per second, rounded up so that a
    /// non-zero timeout never becomes zero, saturating at `u64::MAX`.
    pub const fn as_jiffies(self, hz: u32) -> u64 {
        let hz = hz as u64;
        let whole = self.secs.saturating_mul(hz);
        // nsecs < 10^9 and hz < 2^32: the product fits in u64.
        let part = match self.clamped_nsecs().checked_mul(hz) {
            Some(p) => p.div_ceil(NSEC_PER_SEC as u64),
            None => hz,
        };
        whole.saturating_add(part)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn good_attr(mode: u32) -> fuse_attr {
        fuse_attr {
            ino: 5,
            size: 4096,
            blocks: 8,
            atime: 1,
            mtime: 2,
            ctime: 3,
            atimensec: 0,
            mtimensec: 999_999_999,
            ctimensec: 0,
            mode,
            nlink: 1,
            uid: 0,
            gid: 0,
            rdev: 0,
            blksize: 4096,
            flags: 0,
        }
    }

    #[test]
    fn kinds() {
        assert_eq!(
            check_attr(&good_attr(S_IFREG | 0o644)),
            Ok(FileKind::Regular)
        );
        assert_eq!(
            check_attr(&good_attr(S_IFDIR | 0o7755)),
            Ok(FileKind::Directory)
        );
        assert_eq!(check_attr(&good_attr(0o120777)), Err(AttrError::FileType));
        assert_eq!(check_attr(&good_attr(0o020644)), Err(AttrError::FileType));
        assert_eq!(check_attr(&good_attr(0o1100644)), Err(AttrError::ModeBits));
    }

    #[test]
    fn fields() {
        let mut a = good_attr(S_IFREG | 0o600);
        a.ino = 0;
        assert_eq!(check_attr(&a), Err(AttrError::ZeroIno));
        let mut a = good_attr(S_IFREG | 0o600);
        a.size = u64::MAX;
        assert_eq!(check_attr(&a), Err(AttrError::Size));
        let mut a = good_attr(S_IFREG | 0o600);
        a.blocks = MAX_FILE_SIZE.div_ceil(512);
        assert!(check_attr(&a).is_ok());
        a.blocks += 1;
        assert_eq!(check_attr(&a), Err(AttrError::Blocks));
        let mut a = good_attr(S_IFREG | 0o600);
        a.nlink = 0;
        assert_eq!(check_attr(&a), Err(AttrError::Nlink));
        let mut a = good_attr(S_IFREG | 0o600);
        a.ctimensec = NSEC_PER_SEC;
        assert_eq!(check_attr(&a), Err(AttrError::Nsec));
        let mut a = good_attr(S_IFREG | 0o600);
        a.rdev = 1;
        assert_eq!(check_attr(&a), Err(AttrError::Rdev));
        for bad in [1, 511, 3000, 1 << 31] {
            let mut a = good_attr(S_IFREG | 0o600);
            a.blksize = bad;
            assert_eq!(check_attr(&a), Err(AttrError::Blksize));
        }
        let mut a = good_attr(S_IFREG | 0o600);
        a.blksize = 0;
        assert!(check_attr(&a).is_ok());
        a.flags = 1;
        assert_eq!(check_attr(&a), Err(AttrError::Flags));
    }

    #[test]
    fn timeouts_saturate() {
        assert_eq!(Timeout::new(1, 5).as_nanos(), 1_000_000_005);
        assert_eq!(Timeout::new(u64::MAX, u32::MAX).as_nanos(), u64::MAX);
        assert_eq!(Timeout::new(0, u32::MAX).as_nanos(), 999_999_999);
        assert_eq!(Timeout::new(2, 0).as_jiffies(250), 500);
        assert_eq!(Timeout::new(0, 1).as_jiffies(1000), 1);
        assert_eq!(Timeout::new(0, 0).as_jiffies(1000), 0);
        assert_eq!(
            Timeout::new(u64::MAX, 999_999_999).as_jiffies(u32::MAX),
            u64::MAX
        );
    }
}

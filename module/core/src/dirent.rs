// SPDX-License-Identifier: GPL-2.0

//! READDIR reply bodies: a sequence of `fuse_dirent` records, each followed
//! by its name and zero padding to the next multiple of 8 bytes.
//!
//! Rules checked on every record: the fixed part and the padded name fit in
//! the body; `namelen` is 1..=255; the name has no '/' and no NUL; the
//! padding is zero; `ino` is non-zero; `type` is DT_REG or DT_DIR; `off`
//! is greater than the requested offset and strictly increasing, so that a
//! directory walk always makes progress.
//!
//! "." and "..": accepted (a plain FUSE daemon sends them) and reported by
//! [`Dirent::is_dot_or_dotdot`]; the module lists them with its own inode
//! numbers and type, since those are the VFS's business, not the daemon's.

use core::mem::size_of;

use super::abi::{fuse_dirent, DIRENT_ALIGN, NAME_MAX};
use super::attr::FileKind;
use super::codec::Field;
use super::errno;

const FIXED: usize = size_of::<fuse_dirent>();

/// Why a READDIR reply was refused. Every variant maps to EIO except
/// [`DirentError::NoSpace`] (ERANGE, encoder only) and
/// [`DirentError::NameLen`] (ENAMETOOLONG, encoder only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirentError {
    /// A record runs past the end of the body.
    Truncated,
    /// `namelen` is 0 or more than 255.
    NameLen,
    /// The name contains '/' or NUL.
    NameByte,
    /// Padding after the name is not zero.
    Padding,
    /// `ino` is zero.
    ZeroIno,
    /// `type` is neither DT_REG nor DT_DIR.
    Type,
    /// `off` does not advance.
    Offset,
    /// The encoder's buffer is too small.
    NoSpace,
}

impl DirentError {
    /// The errno the failed operation reports.
    pub const fn errno(self) -> i32 {
        match self {
            Self::NoSpace => errno::ERANGE,
            _ => errno::EIO,
        }
    }
}

/// One directory entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dirent<'a> {
    /// Inode number (st_ino), non-zero.
    pub ino: u64,
    /// Cookie to continue reading after this entry.
    pub off: u64,
    /// Regular file or directory.
    pub kind: FileKind,
    /// Name bytes, without NUL.
    pub name: &'a [u8],
}

impl Dirent<'_> {
    /// Whether this is "." or "..".
    pub fn is_dot_or_dotdot(&self) -> bool {
        self.name == b"." || self.name == b".."
    }
}

/// Whether `name` may appear in a directory: 1..=255 bytes, no '/', no
/// NUL.
pub fn check_name(name: &[u8]) -> Result<(), DirentError> {
    if name.is_empty() || name.len() > NAME_MAX {
        return Err(DirentError::NameLen);
    }
    if name.iter().any(|&c| c == b'/' || c == 0) {
        return Err(DirentError::NameByte);
    }
    Ok(())
}

/// Record length for a name of `namelen` bytes, padding included.
pub fn record_len(namelen: usize) -> Option<usize> {
    FIXED
        .checked_add(namelen)?
        .checked_next_multiple_of(DIRENT_ALIGN)
}

/// Reads one record at the start of `b`: the entry and the record length.
fn read_record(b: &[u8]) -> Result<(Dirent<'_>, usize), DirentError> {
    let d = fuse_dirent::get(b).ok_or(DirentError::Truncated)?;
    let namelen = usize::try_from(d.namelen).map_err(|_| DirentError::NameLen)?;
    if namelen == 0 || namelen > NAME_MAX {
        return Err(DirentError::NameLen);
    }
    let reclen = record_len(namelen).ok_or(DirentError::NameLen)?;
    let rec = b.get(..reclen).ok_or(DirentError::Truncated)?;
    let name_end = FIXED.checked_add(namelen).ok_or(DirentError::NameLen)?;
    let name = rec.get(FIXED..name_end).ok_or(DirentError::Truncated)?;
    check_name(name)?;
    if rec.get(name_end..).unwrap_or(&[]).iter().any(|&c| c != 0) {
        return Err(DirentError::Padding);
    }
    if d.ino == 0 {
        return Err(DirentError::ZeroIno);
    }
    let kind = FileKind::from_dtype(d.type_).ok_or(DirentError::Type)?;
    Ok((
        Dirent {
            ino: d.ino,
            off: d.off,
            kind,
            name,
        },
        reclen,
    ))
}

/// A validated READDIR reply body.
#[derive(Debug, Clone, Copy)]
pub struct Dirents<'a> {
    bytes: &'a [u8],
}

impl<'a> Dirents<'a> {
    /// Validates a READDIR reply body for a request at cookie
    /// `request_offset` (see the module documentation). An empty body is
    /// the end of the directory.
    pub fn parse(bytes: &'a [u8], request_offset: u64) -> Result<Self, DirentError> {
        let mut rest = bytes;
        let mut last = request_offset;
        while !rest.is_empty() {
            let (d, reclen) = read_record(rest)?;
            if d.off <= last {
                return Err(DirentError::Offset);
            }
            last = d.off;
            rest = rest.get(reclen..).ok_or(DirentError::Truncated)?;
        }
        Ok(Self { bytes })
    }

    /// Whether there are no entries (end of directory).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The entries, in order.
    pub fn iter(&self) -> DirentIter<'a> {
        DirentIter { rest: self.bytes }
    }
}

/// Iterator over [`Dirents`].
#[derive(Debug, Clone)]
pub struct DirentIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for DirentIter<'a> {
    type Item = Dirent<'a>;
    fn next(&mut self) -> Option<Dirent<'a>> {
        let (d, reclen) = read_record(self.rest).ok()?;
        self.rest = self.rest.get(reclen..)?;
        Some(d)
    }
}

/// Builds a READDIR reply body in a caller's buffer (daemon side).
#[derive(Debug)]
pub struct DirentWriter<'a> {
    buf: &'a mut [u8],
    used: usize,
}

impl<'a> DirentWriter<'a> {
    /// A writer over `buf`, which the caller limits to the size the
    /// request asked for.
    pub fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, used: 0 }
    }

    /// Appends an entry; `Ok(false)` if it does not fit (the reply is then
    /// complete), an error if the entry itself is invalid.
    pub fn push(
        &mut self,
        ino: u64,
        off: u64,
        kind: FileKind,
        name: &[u8],
    ) -> Result<bool, DirentError> {
        check_name(name)?;
        if ino == 0 {
            return Err(DirentError::ZeroIno);
        }
        let reclen = record_len(name.len()).ok_or(DirentError::NameLen)?;
        let end = self.used.checked_add(reclen).ok_or(DirentError::NoSpace)?;
        let Some(rec) = self.buf.get_mut(self.used..end) else {
            return Ok(false);
        };
        rec.fill(0);
        let d = fuse_dirent {
            ino,
            off,
            // check_name bounds the length to 255.
            namelen: u32::try_from(name.len()).map_err(|_| DirentError::NameLen)?,
            type_: kind.dtype(),
        };
        d.put(rec).ok_or(DirentError::NoSpace)?;
        rec.get_mut(FIXED..)
            .and_then(|r| r.get_mut(..name.len()))
            .ok_or(DirentError::NoSpace)?
            .copy_from_slice(name);
        self.used = end;
        Ok(true)
    }

    /// Bytes written so far: the reply body length.
    pub fn len(&self) -> usize {
        self.used
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.used == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_then_parse() {
        let mut b = [0u8; 200];
        let mut w = DirentWriter::new(&mut b);
        assert!(w.push(1, 1, FileKind::Directory, b".").unwrap());
        assert!(w.push(7, 2, FileKind::Regular, b"hello").unwrap());
        assert!(w.push(8, 3, FileKind::Regular, b"exactly8").unwrap());
        let n = w.len();
        assert_eq!(n, 32 + 32 + 32);
        let d = Dirents::parse(&b[..n], 0).unwrap();
        let v: std::vec::Vec<_> = d.iter().collect();
        assert_eq!(v.len(), 3);
        assert!(v[0].is_dot_or_dotdot());
        assert_eq!(v[1].name, b"hello");
        assert_eq!(v[2].kind, FileKind::Regular);
        assert_eq!(Dirents::parse(&b[..n], 1).unwrap_err(), DirentError::Offset);
        assert_eq!(
            Dirents::parse(&b[..n - 1], 0).unwrap_err(),
            DirentError::Truncated
        );
    }

    #[test]
    fn full_and_bad() {
        let mut b = [0u8; 40];
        let mut w = DirentWriter::new(&mut b);
        assert!(w.push(1, 1, FileKind::Regular, b"a").unwrap());
        assert!(!w.push(2, 2, FileKind::Regular, b"b").unwrap());
        assert_eq!(
            w.push(2, 2, FileKind::Regular, b"a/b"),
            Err(DirentError::NameByte)
        );
        assert_eq!(
            w.push(2, 2, FileKind::Regular, b""),
            Err(DirentError::NameLen)
        );
        assert_eq!(
            w.push(0, 2, FileKind::Regular, b"x"),
            Err(DirentError::ZeroIno)
        );
        let mut b = [0u8; 32];
        DirentWriter::new(&mut b)
            .push(1, 1, FileKind::Regular, b"abc")
            .unwrap();
        b[28] = 1;
        assert_eq!(Dirents::parse(&b, 0).unwrap_err(), DirentError::Padding);
        b[28] = 0;
        b[20] = 2;
        assert_eq!(Dirents::parse(&b, 0).unwrap_err(), DirentError::Type);
    }
}

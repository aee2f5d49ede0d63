// SPDX-License-Identifier: GPL-2.0

//! GET_DAXDEV replies: which device backs a device index.
//!
//! The index is userspace's (log order, primary = 0); the module only asks
//! for indexes an fmap referenced and checks the answer is for that index.
//! The device is named by its path and, from famfs_rs protocol 3 on, may
//! also be named by the number of its node (which the module looks up
//! without any path walk).

use core::mem::size_of;

use super::abi::{fuse_famfs_daxdev_out, FUSE_FAMFS_DAXDEV_NAME_LEN, MAX_DAXDEVS};
use super::codec::Field;
use super::errno;

/// Size of a GET_DAXDEV reply body.
pub const DAXDEV_REPLY_LEN: usize = size_of::<fuse_famfs_daxdev_out>();
/// Longest device name, without its NUL.
pub const NAME_MAX: usize = FUSE_FAMFS_DAXDEV_NAME_LEN as usize - 1;

/// Why a GET_DAXDEV reply was refused. Every variant maps to EIO.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DaxdevError {
    /// The body is not exactly 280 bytes.
    Size,
    /// The requested index is outside the daxdev table.
    IndexRange,
    /// The reply is for another index than the one requested.
    IndexMismatch,
    /// A reserved field is not zero (the device number counts as one
    /// before protocol 3).
    Reserved,
    /// The name is empty.
    NameEmpty,
    /// The name has no NUL within its 256 bytes.
    NameUnterminated,
    /// The name has a control or non-ASCII byte.
    NameByte,
}

impl DaxdevError {
    /// The errno the failed request reports.
    pub const fn errno(self) -> i32 {
        errno::EIO
    }
}

/// A validated GET_DAXDEV reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DaxdevRef<'a> {
    /// The device index (equal to the requested one).
    pub index: u16,
    /// The device path, without NUL: printable ASCII, 1..=255 bytes.
    pub name: &'a [u8],
    /// The number (major, minor) of the device's node, if given.
    pub dev: Option<(u32, u32)>,
}

fn check_name(name: &[u8]) -> Result<(), DaxdevError> {
    if name.is_empty() {
        return Err(DaxdevError::NameEmpty);
    }
    if name.len() > NAME_MAX {
        return Err(DaxdevError::NameUnterminated);
    }
    if name.iter().any(|&c| !(0x20..0x7f).contains(&c)) {
        return Err(DaxdevError::NameByte);
    }
    Ok(())
}

/// Validates a GET_DAXDEV reply body for the request that asked for
/// `requested` (the request header's nodeid); `with_dev` when the agreed
/// protocol lets the reply name the device by number.
pub fn parse_daxdev_reply(
    body: &[u8],
    requested: u64,
    with_dev: bool,
) -> Result<DaxdevRef<'_>, DaxdevError> {
    if body.len() != DAXDEV_REPLY_LEN {
        return Err(DaxdevError::Size);
    }
    if requested >= u64::from(MAX_DAXDEVS) {
        return Err(DaxdevError::IndexRange);
    }
    let raw = fuse_famfs_daxdev_out::get(body).ok_or(DaxdevError::Size)?;
    if u64::from(raw.index) != requested {
        return Err(DaxdevError::IndexMismatch);
    }
    let dev = (raw.dev_major, raw.dev_minor);
    if raw.reserved != 0 || raw.reserved0 != 0 || raw.reserved1 != 0 || (!with_dev && dev != (0, 0))
    {
        return Err(DaxdevError::Reserved);
    }
    let name_field = body
        .get(core::mem::offset_of!(fuse_famfs_daxdev_out, name)..)
        .ok_or(DaxdevError::Size)?;
    let nul = name_field
        .iter()
        .position(|&c| c == 0)
        .ok_or(DaxdevError::NameUnterminated)?;
    let name = name_field.get(..nul).ok_or(DaxdevError::NameUnterminated)?;
    check_name(name)?;
    Ok(DaxdevRef {
        index: raw.index,
        name,
        dev: (dev != (0, 0)).then_some(dev),
    })
}

/// Encodes a GET_DAXDEV reply body into `buf`; returns its length (280).
/// `name` is the device path without NUL; `dev` the number of its node
/// (only for a peer that speaks protocol 3).
pub fn encode_daxdev_reply(
    buf: &mut [u8],
    index: u16,
    name: &[u8],
    dev: Option<(u32, u32)>,
) -> Result<usize, DaxdevError> {
    if u32::from(index) >= MAX_DAXDEVS {
        return Err(DaxdevError::IndexRange);
    }
    check_name(name)?;
    let mut field = [0u8; FUSE_FAMFS_DAXDEV_NAME_LEN as usize];
    field
        .get_mut(..name.len())
        .ok_or(DaxdevError::NameUnterminated)?
        .copy_from_slice(name);
    let (dev_major, dev_minor) = dev.unwrap_or((0, 0));
    let raw = fuse_famfs_daxdev_out {
        index,
        reserved: 0,
        reserved0: 0,
        dev_major,
        dev_minor,
        reserved1: 0,
        name: field,
    };
    raw.put(buf).ok_or(DaxdevError::Size)?;
    Ok(DAXDEV_REPLY_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut b = [0u8; 300];
        let n = encode_daxdev_reply(&mut b, 3, b"/dev/dax1.0", None).unwrap();
        assert_eq!(n, 280);
        let d = parse_daxdev_reply(&b[..n], 3, false).unwrap();
        assert_eq!(d.name, b"/dev/dax1.0");
        assert_eq!(
            parse_daxdev_reply(&b[..n], 2, false),
            Err(DaxdevError::IndexMismatch)
        );
        assert_eq!(
            parse_daxdev_reply(&b[..n], 99, false),
            Err(DaxdevError::IndexRange)
        );
        assert_eq!(
            parse_daxdev_reply(&b[..n - 1], 3, false),
            Err(DaxdevError::Size)
        );
    }

    #[test]
    fn names() {
        let mut b = [0u8; 280];
        assert_eq!(
            encode_daxdev_reply(&mut b, 0, b"", None),
            Err(DaxdevError::NameEmpty)
        );
        assert_eq!(
            encode_daxdev_reply(&mut b, 0, b"a\nb", None),
            Err(DaxdevError::NameByte)
        );
        assert_eq!(
            encode_daxdev_reply(&mut b, 0, &[b'x'; 256], None),
            Err(DaxdevError::NameUnterminated)
        );
        assert_eq!(
            encode_daxdev_reply(&mut b, 24, b"x", None),
            Err(DaxdevError::IndexRange)
        );
        encode_daxdev_reply(&mut b, 0, &[b'x'; 255], None).unwrap();
        assert_eq!(parse_daxdev_reply(&b, 0, false).unwrap().name.len(), 255);
        b[279] = b'x';
        assert_eq!(
            parse_daxdev_reply(&b, 0, false),
            Err(DaxdevError::NameUnterminated)
        );
        b[279] = 0;
        b[24] = 0;
        assert_eq!(
            parse_daxdev_reply(&b, 0, false),
            Err(DaxdevError::NameEmpty)
        );
        b[24] = b'x';
        b[5] = 1;
        assert_eq!(parse_daxdev_reply(&b, 0, false), Err(DaxdevError::Reserved));
    }

    #[test]
    fn device_numbers_from_protocol_3() {
        let mut b = [0u8; 280];
        encode_daxdev_reply(&mut b, 1, b"/dev/dax1.0", Some((252, 1))).unwrap();
        let d = parse_daxdev_reply(&b, 1, true).unwrap();
        assert_eq!((d.name, d.dev), (&b"/dev/dax1.0"[..], Some((252, 1))));
        // Before protocol 3 the number is a reserved field.
        assert_eq!(parse_daxdev_reply(&b, 1, false), Err(DaxdevError::Reserved));
        // 0:0 names no device by number: the name does.
        encode_daxdev_reply(&mut b, 1, b"/dev/dax1.0", None).unwrap();
        assert_eq!(parse_daxdev_reply(&b, 1, true).unwrap().dev, None);
        // The last reserved word stays reserved.
        b[16] = 1;
        assert_eq!(parse_daxdev_reply(&b, 1, true), Err(DaxdevError::Reserved));
    }
}

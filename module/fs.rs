// SPDX-License-Identifier: GPL-2.0

//! The famfs file system type: mounts served by a daemon over a control
//! device connection.

use crate::control::{self, Connection};
use crate::vfs::{self, FileSystem, InodeAttr, StatFs};
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::Arc;

/// `f_type` of a famfs mount, as upstream's fuse-based famfs (`0x87b282fd`).
const FAMFS_STATFS_MAGIC: u64 = 0x87b2_82fd;

/// FUSE's node id of the root directory.
const ROOT_NODEID: u64 = 1;

/// Mount options, all required as for FUSE: `fd`, `rootmode`, `user_id`,
/// `group_id`.
#[derive(Default)]
pub(crate) struct MountOptions {
    fd: Option<u32>,
    rootmode: Option<u32>,
    user_id: Option<u32>,
    group_id: Option<u32>,
}

/// One famfs mount.
pub(crate) struct Mount {
    _connection: Arc<Connection>,
}

/// Parses an unsigned number in `radix`, as mount(8) passes it.
fn parse_u32(value: Option<&CStr>, radix: u32) -> Result<u32> {
    let bytes = value.ok_or(EINVAL)?.as_bytes();
    if bytes.is_empty() {
        return Err(EINVAL);
    }
    let mut n: u32 = 0;
    for &b in bytes {
        let digit = (b as char).to_digit(radix).ok_or(EINVAL)?;
        n = n.checked_mul(radix).and_then(|n| n.checked_add(digit)).ok_or(EINVAL)?;
    }
    Ok(n)
}

/// The famfs file system type.
pub(crate) struct Famfs;

impl FileSystem for Famfs {
    const NAME: &'static CStr = kernel::c_str!("famfs_rs");
    const MAGIC: u64 = FAMFS_STATFS_MAGIC;
    type Options = MountOptions;
    type Info = Mount;

    fn parse(options: &mut MountOptions, key: &CStr, value: Option<&CStr>) -> Result {
        let slot = match key.as_bytes() {
            b"fd" => &mut options.fd,
            b"rootmode" => {
                options.rootmode = Some(parse_u32(value, 8)?);
                return Ok(());
            }
            b"user_id" => &mut options.user_id,
            b"group_id" => &mut options.group_id,
            _ => return Err(vfs::unknown_option()),
        };
        *slot = Some(parse_u32(value, 10)?);
        Ok(())
    }

    fn fill_super(options: MountOptions) -> Result<(KBox<Mount>, InodeAttr)> {
        let (Some(fd), Some(rootmode), Some(uid), Some(gid)) =
            (options.fd, options.rootmode, options.user_id, options.group_id)
        else {
            pr_err!("mount needs fd=, rootmode=, user_id= and group_id=\n");
            return Err(EINVAL);
        };
        if rootmode & vfs::S_IFMT != vfs::S_IFDIR {
            pr_err!("rootmode {:o} is not a directory\n", rootmode);
            return Err(EINVAL);
        }
        let connection = control::connection_from_fd(fd).inspect_err(|_| {
            pr_err!("fd={} is not an open /dev/{}\n", fd, control::NAME);
        })?;
        let root = InodeAttr {
            ino: ROOT_NODEID,
            mode: rootmode,
            uid,
            gid,
            nlink: 2,
            ..Default::default()
        };
        Ok((
            KBox::new(
                Mount {
                    _connection: connection,
                },
                GFP_KERNEL,
            )?,
            root,
        ))
    }

    fn statfs(_mount: &Mount) -> Result<StatFs> {
        Ok(StatFs {
            bsize: 1 << 21,
            namelen: 255,
            ..Default::default()
        })
    }

    fn kill(_mount: &Mount) {}
}

// SPDX-License-Identifier: GPL-2.0
//! mount(2) and umount2(2), and the option strings famfs mounts use.

use famfs_core::abi::{
    abi_str, FAMFS_RS_CTL_NAME, FAMFS_RS_DAX_DRIVER, FAMFS_RS_FS_TYPE, FAMFS_RS_OPT_FD,
    FAMFS_RS_OPT_GROUP_ID, FAMFS_RS_OPT_ROOTMODE, FAMFS_RS_OPT_USER_ID, FAMFS_RS_RAW_DIR,
    FAMFS_RS_RAW_FSDEV_NAME,
};
use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// A name from the ABI header (include/famfs_rs_abi.h) as text.
const fn abi_name(bytes: &'static [u8]) -> &'static str {
    match std::str::from_utf8(abi_str(bytes)) {
        Ok(s) => s,
        Err(_) => panic!("the ABI header's names are ASCII"),
    }
}

/// File system type of famfs_rs.ko mounts.
pub const FSTYPE_FAMFS: &str = abi_name(FAMFS_RS_FS_TYPE);
/// Name of famfs_rs.ko's control device, under /dev.
pub const CONTROL_NAME: &str = abi_name(FAMFS_RS_CTL_NAME);
/// famfs_rs.ko's dax bus driver, in /sys/bus/dax/drivers.
pub const DAX_DRIVER: &str = abi_name(FAMFS_RS_DAX_DRIVER);
/// File system type of plain-FUSE famfs mounts (`fuse` with subtype
/// `famfs`: /proc/mounts shows `fuse.famfs`).
pub const FSTYPE_FUSE: &str = "fuse.famfs";
/// Control device of famfs_rs.ko.
pub const CONTROL_DEV: &str = "/dev/famfs_rs";
const _: () = assert!(is_dev_node(CONTROL_DEV, CONTROL_NAME));
/// Where famfs_rs.ko's raw nodes of bound devices are (6.12): the
/// directory under /dev named by the ABI header.
pub const RAW_NODE_DIR: &str = "/dev/famfs_rs_raw";
const _: () = assert!(is_dev_node(RAW_NODE_DIR, abi_name(FAMFS_RS_RAW_DIR)));
/// The one raw node of 7.x kernels under [`RAW_NODE_DIR`], for devices
/// bound to fsdev_dax.
pub const RAW_FSDEV_NAME: &str = abi_name(FAMFS_RS_RAW_FSDEV_NAME);
/// Its ioctl, `FAMFS_RS_RAW_SET_FD`.
pub const RAW_SET_FD: u32 = famfs_core::abi::RAW_SET_FD;
/// Whether `path` is `/dev/` followed by `name` (checked at compile time:
/// the path is spelled out for `const` users, the name comes from the ABI).
const fn is_dev_node(path: &str, name: &str) -> bool {
    const DEV: &[u8] = b"/dev/";
    let (p, n) = (path.as_bytes(), name.as_bytes());
    if p.len() != DEV.len() + n.len() {
        return false;
    }
    let mut i = 0;
    while i < p.len() {
        let want = if i < DEV.len() {
            DEV[i]
        } else {
            n[i - DEV.len()]
        };
        if p[i] != want {
            return false;
        }
        i += 1;
    }
    true
}
/// The kernel's FUSE device.
pub const FUSE_DEV: &str = "/dev/fuse";

/// Mount flags of every famfs mount: no set-id programs, no device nodes.
pub const MOUNT_FLAGS: u64 = libc::MS_NOSUID | libc::MS_NODEV;

fn cpath(p: &Path) -> io::Result<CString> {
    CString::new(p.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains NUL"))
}

/// The options of a famfs mount on descriptor `fd` whose root has mode
/// `root_mode` (permission bits) and owner `uid`:`gid`. Plain FUSE mounts
/// add `default_permissions` (the kernel checks modes, as famfs_rs.ko
/// always does) and `allow_other` (every user sees the files, as with
/// famfs_rs).
pub fn options(fd: i32, root_mode: u32, uid: u32, gid: u32, plain: bool) -> String {
    let mut s = format!(
        "{}={fd},{}={:o},{}={uid},{}={gid}",
        abi_name(FAMFS_RS_OPT_FD),
        abi_name(FAMFS_RS_OPT_ROOTMODE),
        0o040000 | (root_mode & 0o7777),
        abi_name(FAMFS_RS_OPT_USER_ID),
        abi_name(FAMFS_RS_OPT_GROUP_ID),
    );
    if plain {
        s.push_str(",default_permissions,allow_other");
    }
    s
}

/// mount(2).
pub fn mount(source: &Path, target: &Path, fstype: &str, flags: u64, data: &str) -> io::Result<()> {
    let src = cpath(source)?;
    let tgt = cpath(target)?;
    let ty = CString::new(fstype)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "fstype contains NUL"))?;
    let d = CString::new(data)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "options contain NUL"))?;
    // SAFETY: every pointer is a NUL-terminated string that outlives the
    // call.
    let rc = unsafe {
        libc::mount(
            src.as_ptr(),
            tgt.as_ptr(),
            ty.as_ptr(),
            flags as libc::c_ulong,
            d.as_ptr().cast(),
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// umount2(2) with `flags` (0, or e.g. MNT_DETACH).
pub fn umount(target: &Path, flags: i32) -> io::Result<()> {
    let tgt = cpath(target)?;
    // SAFETY: a NUL-terminated path that outlives the call.
    if unsafe { libc::umount2(tgt.as_ptr(), flags) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

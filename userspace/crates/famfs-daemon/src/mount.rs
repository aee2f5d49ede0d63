// SPDX-License-Identifier: GPL-2.0
//! mount(2) and umount2(2), and the option strings famfs mounts use.

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// File system type of famfs_rs.ko mounts.
pub const FSTYPE_FAMFS: &str = "famfs_rs";
/// File system type of plain-FUSE famfs mounts (`fuse` with subtype
/// `famfs`: /proc/mounts shows `fuse.famfs`).
pub const FSTYPE_FUSE: &str = "fuse.famfs";
/// Control device of famfs_rs.ko.
pub const CONTROL_DEV: &str = "/dev/famfs_rs";
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
        "fd={fd},rootmode={:o},user_id={uid},group_id={gid}",
        0o040000 | (root_mode & 0o7777)
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

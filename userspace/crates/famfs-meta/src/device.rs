// SPDX-License-Identifier: GPL-2.0
//! Opening a devdax character device or an image file standing in for one.
//!
//! A devdax device kept bound between mounts (`famfs bind`) can be neither
//! read nor mapped: on Linux 6.12 (famfs_rs.ko's dax driver) it fails to
//! open with ENXIO, on 7.x (the kernel's fsdev_dax) it opens but maps
//! nothing. It is then read and written through famfs_rs.ko's raw node
//! (see [`crate::rawnode`]) with `pread`/`pwrite` instead of a mapping,
//! transparently: commands given `/dev/daxX.Y` work on a bound device as on
//! a free one.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use famfs_omf::ALLOC_UNIT;

use crate::media::{MappedFile, Media};
use crate::rawnode::{fsdev_node, raw_node, RawFile, RAW_NODE_DIR};
use crate::MetaError;

/// What kind of thing holds the file system.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceKind {
    /// A devdax character device (`/dev/daxX.Y`), mapped.
    Devdax,
    /// A devdax device bound to famfs_rs.ko's driver, through its raw
    /// node (`pread`/`pwrite`).
    RawNode,
    /// A regular file used as an image.
    Image,
}

/// A whole device (or image), mapped shared or read through its raw node.
pub struct DaxDevice {
    /// Its bytes.
    pub map: Arc<dyn Media>,
    pub kind: DeviceKind,
    /// Usable size: the device size rounded down to the allocation unit.
    pub size: u64,
    /// The path it was opened by (for [`DeviceKind::RawNode`] the raw node's
    /// on 6.12, the device's own on 7.x, where one node serves every
    /// device).
    pub path: PathBuf,
    /// The open file, to flock the log on.
    lock: File,
}

/// Reads a dax device size attribute (bytes, in decimal).
fn read_size(sys: &Path) -> Result<u64, MetaError> {
    let text = std::fs::read_to_string(sys).map_err(|e| MetaError::io(sys, "read", e))?;
    text.trim().parse().map_err(|_| MetaError::Invalid {
        media: sys.display().to_string(),
        msg: format!("unreadable size {:?}", text.trim()),
    })
}

/// The sysfs directory of the character device numbered `rdev`.
fn sys_char(rdev: u64) -> PathBuf {
    let (maj, min) = (libc::major(rdev), libc::minor(rdev));
    PathBuf::from(format!("/sys/dev/char/{maj}:{min}"))
}

/// The last component of the symbolic link `link` points to.
fn link_name(link: &Path) -> Option<String> {
    let target = std::fs::read_link(link).ok()?;
    Some(target.file_name()?.to_string_lossy().into_owned())
}

/// Size of a devdax device, from sysfs (st_size of the node is 0).
fn devdax_size(rdev: u64) -> Result<u64, MetaError> {
    read_size(&sys_char(rdev).join("size"))
}

/// The driver the character device numbered `rdev` is bound to, if any.
fn driver_of(rdev: u64) -> Option<String> {
    link_name(&sys_char(rdev).join("driver"))
}

/// The kernel's fs-dax devdax driver (Linux 7.x), whose devices go through
/// the fsdev raw node.
pub const FSDEV_DAX: &str = "fsdev_dax";

/// The dax bus name (`daxX.Y`) of the character device numbered `rdev`.
fn dax_name(rdev: u64) -> Option<String> {
    link_name(&sys_char(rdev)).filter(|name| name.starts_with("dax"))
}

/// The raw node standing in for `path` and the device's size: `path` is
/// a raw node itself, or a devdax node that failed with ENXIO whose device
/// has one.
fn raw_node_for(path: &Path, enxio: bool) -> Option<(PathBuf, u64)> {
    let in_raw_dir = path.parent() == Some(Path::new(RAW_NODE_DIR));
    let name = if in_raw_dir {
        path.file_name()?.to_string_lossy().into_owned()
    } else if enxio {
        dax_name(std::fs::metadata(path).ok()?.rdev())?
    } else {
        return None;
    };
    let raw = raw_node(&name);
    let size = read_size(&Path::new("/sys/bus/dax/devices").join(&name).join("size")).ok()?;
    raw.exists().then_some((raw, size))
}

fn usable(path: &Path, raw: u64) -> Result<u64, MetaError> {
    let size = raw - raw % ALLOC_UNIT;
    if size == 0 {
        return Err(MetaError::Invalid {
            media: path.display().to_string(),
            msg: format!("too small ({raw} bytes)"),
        });
    }
    Ok(size)
}

impl DaxDevice {
    /// Open `path` whole: regular files are images, character devices
    /// devdax (mapped), or bound to famfs_rs.ko's driver (through the raw
    /// node). Anything else is refused by name.
    pub fn open(path: &Path, writable: bool) -> Result<Self, MetaError> {
        if path == fsdev_node() {
            return Err(MetaError::Invalid {
                media: path.display().to_string(),
                msg: "the raw node of devices bound to fsdev_dax, not a device: give the \
                      device itself (/dev/daxX.Y), which famfs then reads through this node"
                    .into(),
            });
        }
        let opened = OpenOptions::new().read(true).write(writable).open(path);
        let enxio = matches!(&opened, Err(e) if e.raw_os_error() == Some(libc::ENXIO));
        if let Some((raw, size)) = raw_node_for(path, enxio) {
            return Self::open_raw(&raw, size, writable);
        }
        let file = opened.map_err(|e| MetaError::io(path, "open", e))?;
        let md = file
            .metadata()
            .map_err(|e| MetaError::io(path, "stat", e))?;
        let (kind, raw) = if md.file_type().is_file() {
            (DeviceKind::Image, md.len())
        } else if md.file_type().is_char_device()
            && driver_of(md.rdev()).as_deref() == Some(FSDEV_DAX)
        {
            let size = usable(path, devdax_size(md.rdev())?)?;
            return Self::open_fsdev(file, path, size, writable);
        } else if md.file_type().is_char_device() {
            (DeviceKind::Devdax, devdax_size(md.rdev())?)
        } else {
            return Err(MetaError::Invalid {
                media: path.display().to_string(),
                msg: "neither a devdax character device nor a regular image file".into(),
            });
        };
        let size = usable(path, raw)?;
        let lock = file
            .try_clone()
            .map_err(|e| MetaError::io(path, "dup", e))?;
        let map = MappedFile::map(file, path, 0, size, writable)?;
        Ok(DaxDevice {
            map: Arc::new(map),
            kind,
            size,
            path: path.to_owned(),
            lock,
        })
    }

    fn open_raw(raw: &Path, bytes: u64, writable: bool) -> Result<Self, MetaError> {
        let size = usable(raw, bytes)?;
        Self::through(RawFile::open(raw, size, writable)?, size, raw.to_owned())
    }

    /// `file`, an open `/dev/daxX.Y` bound to fsdev_dax, through the fsdev
    /// raw node.
    fn open_fsdev(file: File, path: &Path, size: u64, writable: bool) -> Result<Self, MetaError> {
        let node = RawFile::open_fsdev(file, path, size, writable)?;
        Self::through(node, size, path.to_owned())
    }

    /// The device of `size` usable bytes read through raw node `node`
    /// (opened by `path`).
    fn through(node: RawFile, size: u64, path: PathBuf) -> Result<Self, MetaError> {
        let lock = node
            .lock_file()
            .try_clone()
            .map_err(|e| MetaError::io(&path, "dup", e))?;
        Ok(DaxDevice {
            map: Arc::new(node),
            kind: DeviceKind::RawNode,
            size,
            path,
            lock,
        })
    }

    /// A descriptor of the device to flock the log on.
    pub fn lock_file(&self) -> Result<File, MetaError> {
        self.lock
            .try_clone()
            .map_err(|e| MetaError::io(&self.path, "dup", e))
    }
}

// SPDX-License-Identifier: GPL-2.0
//! Opening a devdax character device or an image file standing in for one.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileTypeExt;
use std::path::Path;
use std::sync::Arc;

use famfs_omf::ALLOC_UNIT;

use crate::media::MappedFile;
use crate::MetaError;

/// What kind of thing holds the file system.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceKind {
    /// A devdax character device (`/dev/daxX.Y`).
    Devdax,
    /// A regular file used as an image.
    Image,
}

/// A whole device (or image) mapped shared.
pub struct DaxDevice {
    pub map: Arc<MappedFile>,
    pub kind: DeviceKind,
    /// Usable size: the device size rounded down to the allocation unit.
    pub size: u64,
}

/// Size of a devdax device, from sysfs (st_size of the node is 0).
fn devdax_size(path: &Path, file: &File) -> Result<u64, MetaError> {
    use std::os::unix::fs::MetadataExt;
    let rdev = file
        .metadata()
        .map_err(|e| MetaError::io(path, "stat", e))?
        .rdev();
    let (maj, min) = (libc::major(rdev), libc::minor(rdev));
    let sys = format!("/sys/dev/char/{maj}:{min}/size");
    let text =
        std::fs::read_to_string(&sys).map_err(|e| MetaError::io(Path::new(&sys), "read", e))?;
    text.trim().parse().map_err(|_| MetaError::Invalid {
        media: sys,
        msg: format!("unreadable size {:?}", text.trim()),
    })
}

impl DaxDevice {
    /// Open and map `path` whole. Regular files are images; character
    /// devices must be devdax. Anything else is refused by name.
    pub fn open(path: &Path, writable: bool) -> Result<Self, MetaError> {
        let file = OpenOptions::new()
            .read(true)
            .write(writable)
            .open(path)
            .map_err(|e| MetaError::io(path, "open", e))?;
        let ft = file
            .metadata()
            .map_err(|e| MetaError::io(path, "stat", e))?
            .file_type();
        let (kind, raw) = if ft.is_file() {
            let len = file
                .metadata()
                .map_err(|e| MetaError::io(path, "stat", e))?
                .len();
            (DeviceKind::Image, len)
        } else if ft.is_char_device() {
            (DeviceKind::Devdax, devdax_size(path, &file)?)
        } else {
            return Err(MetaError::Invalid {
                media: path.display().to_string(),
                msg: "neither a devdax character device nor a regular image file".into(),
            });
        };
        let size = raw - raw % ALLOC_UNIT;
        if size == 0 {
            return Err(MetaError::Invalid {
                media: path.display().to_string(),
                msg: format!("too small ({raw} bytes)"),
            });
        }
        let map = MappedFile::map(file, path, 0, size, writable)?;
        Ok(DaxDevice {
            map: Arc::new(map),
            kind,
            size,
        })
    }
}

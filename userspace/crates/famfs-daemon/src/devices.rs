// SPDX-License-Identifier: GPL-2.0
//! The file system's dax devices on this host: index (log order, primary
//! = 0) to local path, and, in plain FUSE mode, their data.
//!
//! Devices are identified by UUID, never by path: a secondary's path is
//! found by reading the superblock of each candidate (the `--daxdev`
//! hints, then every `/dev/dax*`) and matching its device UUID and file
//! system UUID. Resolution happens when a device is first needed and is
//! remembered.
//!
//! In famfs_rs mode the devices are moved to famfs_rs.ko's dax driver, or
//! fsdev_dax on 7.x ([`famfs_host::held`]), once resolved: all known ones before mount(2)
//! ([`Devices::hand_over`]), one added later when first asked for. Each
//! is then named `/dev/daxX.Y` (its dax bus name), whatever path found it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use famfs_meta::store::read_superblock;
use famfs_meta::{DaxDevice, DaxdevInfo, Media};
use uuid::Uuid;

use famfs_host::dlog;
use famfs_host::handover::Sysfs;
use famfs_host::held::Held;

/// One resolved device.
struct Entry {
    path: PathBuf,
    name: String,
    media: Option<Arc<dyn Media>>,
}

/// Index → device on this host.
pub struct Devices {
    hints: Vec<PathBuf>,
    fs_uuid: Uuid,
    /// Open each device's data too (plain FUSE mode serves READ).
    open_data: bool,
    entries: Vec<Option<Entry>>,
    /// Devices move to famfs_rs as they are resolved (famfs_rs mode).
    held: Option<Arc<Held>>,
}

impl Devices {
    /// The devices of file system `fs_uuid`, whose primary is known as
    /// `primary_name` (its path) with data `primary_media` (plain mode).
    pub fn new(
        fs_uuid: Uuid,
        primary: &Path,
        primary_media: Option<Arc<dyn Media>>,
        hints: Vec<PathBuf>,
    ) -> Self {
        let open_data = primary_media.is_some();
        Devices {
            hints,
            fs_uuid,
            open_data,
            entries: vec![Some(Entry {
                path: primary.to_owned(),
                name: path_name(primary),
                media: primary_media,
            })],
            held: None,
        }
    }

    /// Moves every device of `known` (the primary, and each secondary
    /// found on this host) to famfs_rs through `held`, and every one
    /// resolved later too. Call with no mapping of them left open.
    pub fn hand_over(&mut self, known: &[DaxdevInfo], held: Arc<Held>) -> Result<(), String> {
        self.held = Some(held);
        for index in 0..known.len().max(1) {
            if self.entries.get(index).is_some_and(Option::is_some) {
                // Resolved before handover began (the primary): take it now.
                let mut e = self.entries[index].take().ok_or("device vanished")?;
                let r = self.take(&mut e);
                self.entries[index] = Some(e);
                r?;
            } else if self.resolve(index, known).is_none() {
                dlog!("device index {index}: not handed over (not found on this host)");
            }
        }
        Ok(())
    }

    /// Moves `e` to famfs_rs and names it by its dax bus name.
    fn take(&self, e: &mut Entry) -> Result<(), String> {
        let Some(held) = &self.held else {
            return Ok(());
        };
        let name = Sysfs::from_env()
            .dax_name(&e.path)
            .map_err(|err| format!("{}: {err}", e.path.display()))?;
        let Some(name) = name else {
            dlog!("{}: not a devdax device: not handed over", e.path.display());
            return Ok(());
        };
        held.take(&name).map_err(|err| err.to_string())?;
        e.name = format!("/dev/{name}");
        Ok(())
    }

    fn candidates(&self) -> Vec<PathBuf> {
        let mut c = self.hints.clone();
        if let Ok(rd) = std::fs::read_dir("/dev") {
            let mut devs: Vec<PathBuf> = rd
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("dax"))
                .map(|e| e.path())
                .collect();
            devs.sort();
            c.extend(devs);
        }
        c
    }

    fn find(&self, uuid: Uuid) -> Option<(PathBuf, Arc<dyn Media>)> {
        for p in self.candidates() {
            let Ok(dev) = DaxDevice::open(&p, false) else {
                continue;
            };
            let Ok(sb) = read_superblock(dev.map.as_ref()) else {
                continue;
            };
            if sb.dev_uuid() == uuid && sb.fs_uuid() == self.fs_uuid {
                return Some((p, dev.map));
            }
        }
        None
    }

    fn resolve(&mut self, index: usize, known: &[DaxdevInfo]) -> Option<&Entry> {
        if self.entries.get(index).is_some_and(Option::is_some) {
            return self.entries.get(index)?.as_ref();
        }
        let info = known.get(index)?;
        let Some((path, media)) = self.find(info.uuid) else {
            dlog!(
                "device index {index} (uuid {}) not found on this host (give it with --daxdev)",
                info.uuid
            );
            return None;
        };
        dlog!(
            "device index {index} (uuid {}) is {}",
            info.uuid,
            path.display()
        );
        if self.entries.len() <= index {
            self.entries.resize_with(index + 1, || None);
        }
        let mut e = Entry {
            name: path_name(&path),
            path,
            media: self.open_data.then_some(media),
        };
        if let Err(err) = self.take(&mut e) {
            dlog!("device index {index}: cannot hand it to famfs_rs: {err}");
            return None;
        }
        let slot = self.entries.get_mut(index)?;
        *slot = Some(e);
        slot.as_ref()
    }

    /// The local name (path) of device `index`, if it is on this host.
    pub fn name(&mut self, index: u64, known: &[DaxdevInfo]) -> Option<String> {
        let i = usize::try_from(index).ok()?;
        self.resolve(i, known).map(|e| e.name.clone())
    }

    /// The data of device `index` (plain mode only).
    pub fn media(&mut self, index: u64, known: &[DaxdevInfo]) -> Option<Arc<dyn Media>> {
        let i = usize::try_from(index).ok()?;
        self.resolve(i, known)?.media.clone()
    }
}

/// The number (major, minor) of character device node `p`, if it is one.
pub fn node_number(p: &Path) -> Option<(u32, u32)> {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let m = std::fs::metadata(p).ok()?;
    if !m.file_type().is_char_device() {
        return None;
    }
    let rdev = m.rdev();
    Some((libc::major(rdev), libc::minor(rdev)))
}

/// The path string of `p` for GET_DAXDEV (must be printable ASCII).
pub fn path_name(p: &Path) -> String {
    p.display().to_string()
}

// SPDX-License-Identifier: GPL-2.0
//! READ in plain FUSE mode: file bytes copied from the devices through the
//! file's map (famfs_rs.ko never sends READ; it maps the memory itself).

use famfs_host::dlog;
use famfs_meta::NodeKind;

use crate::attrs::meta_size;
use crate::devices::Devices;
use crate::nodes::{self, MetaFile, Target};
use crate::snapshot::Snapshot;

/// Reads up to `size` bytes at `offset` of `nodeid`; short at end of
/// file. Errors are errnos.
pub fn read(
    snap: &Snapshot,
    devices: &mut Devices,
    nodeid: u64,
    offset: u64,
    size: u32,
) -> Result<Vec<u8>, i32> {
    let known = &snap.replay.devices;
    match nodes::resolve(&snap.replay.ns, nodeid) {
        None => Err(libc::ESTALE),
        Some(Target::Log(n)) => match &n.kind {
            NodeKind::Dir { .. } => Err(libc::EISDIR),
            NodeKind::File {
                size: fsize, fmap, ..
            } => {
                let end = offset.saturating_add(u64::from(size)).min(*fsize);
                let mut out = Vec::with_capacity(end.saturating_sub(offset) as usize);
                let mut off = offset;
                while off < end {
                    let (dev, dev_off, contig) = fmap.resolve(off).ok_or(libc::EIO)?;
                    let Some(media) = devices.media(dev, known) else {
                        dlog!("READ of {}: device {dev} is not available here", n.path);
                        return Err(libc::EIO);
                    };
                    let n = contig.min(end - off) as usize;
                    let at = out.len();
                    out.resize(at + n, 0);
                    media.read_at(dev_off, &mut out[at..]).map_err(|e| {
                        dlog!("READ: {e}");
                        libc::EIO
                    })?;
                    off += n as u64;
                }
                Ok(out)
            }
        },
        Some(Target::Meta(f)) => {
            let len = meta_size(f, &snap.sb);
            let base = match f {
                MetaFile::Superblock => 0,
                MetaFile::Log => snap.sb.log_offset,
            };
            let end = offset.saturating_add(u64::from(size)).min(len);
            let mut out = vec![0u8; end.saturating_sub(offset) as usize];
            if !out.is_empty() {
                let media = devices.media(0, known).ok_or(libc::EIO)?;
                media.read_at(base + offset, &mut out).map_err(|e| {
                    dlog!("READ: {e}");
                    libc::EIO
                })?;
            }
            Ok(out)
        }
        Some(Target::MetaDir) => Err(libc::EISDIR),
        // Trigger files are empty.
        Some(Target::Trigger(_)) => Ok(Vec::new()),
    }
}

// SPDX-License-Identifier: GPL-2.0
//! Moving file data: through the raw device (unmounted, or plain FUSE),
//! or through the mounted files of a famfs_rs mount, which the kernel
//! serves from the memory itself (dax). Files never grow: the log entry
//! gives a file its size first, then data is written inside it.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use famfs_meta::{Famfs, Ino, MappedFile, Media};

/// How long a just-created file may take to appear under the mount (the
/// daemon finds it on its next log refresh, asked for by the LOOKUP).
const APPEAR: Duration = Duration::from_secs(5);

/// Where file data goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Data {
    /// Through the device mappings of the open [`Famfs`].
    Device,
    /// Through the files under this mount point.
    Mount(PathBuf),
}

/// One file's data.
pub enum FileData<'a> {
    /// Mapped device bytes.
    Device { fs: &'a Famfs, ino: Ino },
    /// A file under the mount.
    Mount { file: File, path: PathBuf },
}

/// Calls `f` until it stops failing with NotFound, for at most [`APPEAR`]:
/// a just-logged entry shows under the mount once the daemon has replayed it.
fn until_present<T>(mut f: impl FnMut() -> std::io::Result<T>) -> std::io::Result<T> {
    let deadline = Instant::now() + APPEAR;
    loop {
        match f() {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

fn open_retrying(path: &PathBuf, write: bool) -> Result<File> {
    until_present(|| OpenOptions::new().read(true).write(write).open(path)).with_context(|| {
        format!(
            "{}: opening it through the mount{}",
            path.display(),
            if write { " for writing" } else { "" }
        )
    })
}

impl Data {
    /// Under a mount, waits (up to 5 s) until `rel` shows there, so that a
    /// command that created it returns only once the mount serves it
    /// (`famfs creat MNT/x && stat MNT/x` works).
    pub fn wait_visible(&self, rel: &str) -> Result<()> {
        let Data::Mount(mnt) = self else {
            return Ok(());
        };
        let path = mnt.join(rel.trim_start_matches('/'));
        until_present(|| std::fs::symlink_metadata(&path)).with_context(|| {
            format!(
                "{}: logged, but the mount does not show it after {} s: is the famfs daemon running?",
                path.display(),
                APPEAR.as_secs()
            )
        })?;
        Ok(())
    }

    /// The data of file `ino`, at `rel` from the file system root. Opened
    /// for writing, the file gets zeros past its end first
    /// ([`FileData::zero_past_end`]): every way a file gets its data comes
    /// here.
    pub fn open<'a>(
        &self,
        fs: &'a Famfs,
        ino: Ino,
        rel: &str,
        write: bool,
    ) -> Result<FileData<'a>> {
        let data = match self {
            Data::Device => FileData::Device { fs, ino },
            Data::Mount(mnt) => {
                let path = mnt.join(rel.trim_start_matches('/'));
                let file = open_retrying(&path, write)?;
                FileData::Mount { file, path }
            }
        };
        if write {
            data.zero_past_end()?;
        }
        Ok(data)
    }
}

impl FileData<'_> {
    /// Zeroes the file's bytes past its end, which memory used before (a
    /// file of an earlier `famfs mkfs --force`) may still hold: through
    /// the device, to the end of the file's allocation; through the
    /// mount, the rest of the page that holds the end (all a mapping
    /// shows: the file system maps no page wholly past the end).
    pub fn zero_past_end(&self) -> Result<()> {
        match self {
            FileData::Device { fs, ino } => Ok(fs.zero_past_end(*ino)?),
            FileData::Mount { file, path } => {
                let size = file
                    .metadata()
                    .with_context(|| format!("{}: stat", path.display()))?
                    .len();
                // SAFETY: sysconf has no memory effects.
                let page =
                    u64::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096);
                let within = size % page;
                if within == 0 {
                    return Ok(());
                }
                let clone = file.try_clone().context("dup")?;
                let map = MappedFile::map(clone, path, size - within, page, true)?;
                map.write_at(within, &vec![0u8; (page - within) as usize])?;
                map.sync()?;
                Ok(())
            }
        }
    }

    /// Writes `buf` at `off` (inside the file's size).
    pub fn write_at(&self, off: u64, buf: &[u8]) -> Result<()> {
        match self {
            FileData::Device { fs, ino } => Ok(fs.write_file(*ino, off, buf)?),
            FileData::Mount { file, path } => file
                .write_all_at(buf, off)
                .with_context(|| format!("{}: write at {off:#x}", path.display())),
        }
    }

    /// Reads `buf.len()` bytes at `off`.
    pub fn read_at(&self, off: u64, buf: &mut [u8]) -> Result<()> {
        match self {
            FileData::Device { fs, ino } => Ok(fs.read_file(*ino, off, buf)?),
            FileData::Mount { file, path } => {
                let r = file.read_exact_at(buf, off);
                if let Err(e) = &r {
                    if e.kind() == std::io::ErrorKind::UnexpectedEof {
                        bail!(
                            "{}: ends before {:#x}",
                            path.display(),
                            off + buf.len() as u64
                        );
                    }
                }
                r.with_context(|| format!("{}: read at {off:#x}", path.display()))
            }
        }
    }

    /// Makes written data durable (dax writes are already in memory; a
    /// file system without fsync is not an error).
    pub fn sync(&self) -> Result<()> {
        if let FileData::Mount { file, path } = self {
            match file.sync_data() {
                Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {}
                r => r.with_context(|| format!("{}: fsync", path.display()))?,
            }
        }
        Ok(())
    }
}

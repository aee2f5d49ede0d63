// SPDX-License-Identifier: GPL-2.0
//! Where famfs bytes live: a devdax device or image file mapped with
//! `MAP_SHARED`, a window into one (the superblock, the log), or memory.
//!
//! Everything above this module reads and writes through [`Media`], so the
//! log layer does not care whether the log is the raw device at offset
//! 2 MiB (today, unmounted) or the mount's `.meta/.log` file (later,
//! mounted): both are a [`MappedFile`] of some file at some offset.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::sync::{Arc, Mutex};

use crate::flush::flush_cache;
use crate::MetaError;

/// Addressable famfs bytes. Accesses are bounds-checked; writes are made
/// visible to other hosts (CPU caches flushed) before they return, and
/// reads of shared memory evict stale cached copies first.
pub trait Media: Send + Sync {
    /// Length in bytes.
    fn len(&self) -> u64;
    /// Human name for messages (a path, or path plus range).
    fn name(&self) -> String;
    /// Copy `buf.len()` bytes at `off` into `buf`.
    fn read_at(&self, off: u64, buf: &mut [u8]) -> Result<(), MetaError>;
    /// Copy `data` to `off` and flush it from the CPU caches.
    fn write_at(&self, off: u64, data: &[u8]) -> Result<(), MetaError>;
    /// Make written bytes durable where that means something (msync for
    /// image files); a no-op elsewhere.
    fn sync(&self) -> Result<(), MetaError> {
        Ok(())
    }
    /// Whether the media is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

pub(crate) fn check_range(m: &dyn Media, off: u64, len: usize) -> Result<(), MetaError> {
    match off.checked_add(len as u64) {
        Some(end) if end <= m.len() => Ok(()),
        _ => Err(MetaError::OutOfRange {
            media: m.name(),
            offset: off,
            len: len as u64,
            size: m.len(),
        }),
    }
}

/// A file (devdax character device or regular file) mapped shared.
///
/// # Invariants
/// `ptr` points to a live `MAP_SHARED` mapping of `len` bytes (`len > 0`)
/// that this value owns and unmaps on drop. Other processes and hosts may
/// change those bytes at any time, so no Rust reference to them is ever
/// formed: they are only copied in and out through raw pointers.
pub struct MappedFile {
    ptr: NonNull<u8>,
    len: usize,
    path: PathBuf,
    writable: bool,
    regular: bool,
    // Keeps the descriptor (and any flock on it) alive with the mapping.
    file: File,
}

// SAFETY: the mapping is plain shared memory with no thread affinity; all
// access goes through raw-pointer copies of caller-owned buffers, which are
// sound from any thread (concurrent writers race on bytes, as with any
// shared memory, which the log's flock and the format tolerate).
unsafe impl Send for MappedFile {}
// SAFETY: as for Send: `&self` methods only copy through raw pointers.
unsafe impl Sync for MappedFile {}

impl MappedFile {
    /// Map `len` bytes of `file` from `offset`. For a devdax device both
    /// must be multiples of the device alignment (2 MiB at least).
    pub fn map(
        file: File,
        path: &Path,
        offset: u64,
        len: u64,
        writable: bool,
    ) -> Result<Self, MetaError> {
        let io = |e: std::io::Error| MetaError::io(path, "mmap", e);
        let len_usize =
            usize::try_from(len).map_err(|_| io(std::io::Error::from_raw_os_error(libc::EFBIG)))?;
        if len_usize == 0 {
            return Err(io(std::io::Error::from_raw_os_error(libc::EINVAL)));
        }
        let off = libc::off_t::try_from(offset)
            .map_err(|_| io(std::io::Error::from_raw_os_error(libc::EINVAL)))?;
        let prot = libc::PROT_READ | if writable { libc::PROT_WRITE } else { 0 };
        let regular = file.metadata().map_err(io)?.file_type().is_file();
        // SAFETY: a fresh mapping at an address the kernel chooses; the fd
        // is open and valid for the call, the length is non-zero. It aliases
        // no Rust object.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len_usize,
                prot,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                off,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io(std::io::Error::last_os_error()));
        }
        let ptr = NonNull::new(p.cast::<u8>())
            .ok_or_else(|| io(std::io::Error::from_raw_os_error(libc::EFAULT)))?;
        Ok(MappedFile {
            ptr,
            len: len_usize,
            path: path.to_owned(),
            writable,
            regular,
            file,
        })
    }

    /// The file the mapping is of (flock the log through it).
    pub fn file(&self) -> &File {
        &self.file
    }

    /// The path it was opened by.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Write back and evict this CPU's cache lines for the whole mapping
    /// (upstream's `famfs flush`: other hosts then see what this one
    /// wrote, and this one rereads what they wrote).
    pub fn flush_cpu_cache(&self) {
        // SAFETY: (ptr, len) is this object's own live mapping.
        unsafe { crate::flush::flush_cache(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for MappedFile {
    fn drop(&mut self) {
        // SAFETY: by the invariant, (ptr, len) is our own live mapping and
        // no reference into it exists.
        unsafe {
            libc::munmap(self.ptr.as_ptr().cast(), self.len);
        }
    }
}

impl Media for MappedFile {
    fn len(&self) -> u64 {
        self.len as u64
    }

    fn name(&self) -> String {
        self.path.display().to_string()
    }

    fn read_at(&self, off: u64, buf: &mut [u8]) -> Result<(), MetaError> {
        check_range(self, off, buf.len())?;
        // SAFETY: the range was checked to lie inside the mapping (invariant:
        // live for `len` bytes).
        let src = unsafe { self.ptr.as_ptr().add(off as usize) };
        // Another host may have written these bytes since this CPU cached
        // them, and hosts sharing CXL memory need not be cache-coherent:
        // evict the lines first, so the copy reads the memory.
        // SAFETY: src..src+len lies in our live mapping (checked above).
        unsafe { flush_cache(src.cast_const(), buf.len()) };
        // SAFETY: as above; `buf` is a distinct Rust buffer, so the regions
        // cannot overlap.
        unsafe { std::ptr::copy_nonoverlapping(src, buf.as_mut_ptr(), buf.len()) };
        Ok(())
    }

    fn write_at(&self, off: u64, data: &[u8]) -> Result<(), MetaError> {
        if !self.writable {
            return Err(MetaError::ReadOnly { media: self.name() });
        }
        check_range(self, off, data.len())?;
        // SAFETY: range checked inside the mapping, which is PROT_WRITE
        // (writable); `data` is a distinct Rust buffer.
        let dst = unsafe { self.ptr.as_ptr().add(off as usize) };
        // SAFETY: as above: dst..dst+len lies in our writable mapping.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), dst, data.len()) };
        // SAFETY: dst..dst+len lies in our live mapping (checked above).
        unsafe { flush_cache(dst.cast_const(), data.len()) };
        Ok(())
    }

    fn sync(&self) -> Result<(), MetaError> {
        if !self.regular || !self.writable {
            return Ok(());
        }
        // SAFETY: (ptr, len) is our own live mapping.
        let rc = unsafe { libc::msync(self.ptr.as_ptr().cast(), self.len, libc::MS_SYNC) };
        if rc != 0 {
            return Err(MetaError::io(
                &self.path,
                "msync",
                std::io::Error::last_os_error(),
            ));
        }
        Ok(())
    }
}

/// A sub-range of other media, e.g. the log inside the whole device.
pub struct Window {
    inner: Arc<dyn Media>,
    base: u64,
    len: u64,
    label: &'static str,
}

impl Window {
    /// `len` bytes of `inner` from `base`; fails if that is out of range.
    pub fn new(
        inner: Arc<dyn Media>,
        base: u64,
        len: u64,
        label: &'static str,
    ) -> Result<Self, MetaError> {
        match base.checked_add(len) {
            Some(end) if end <= inner.len() => Ok(Window {
                inner,
                base,
                len,
                label,
            }),
            _ => Err(MetaError::OutOfRange {
                media: inner.name(),
                offset: base,
                len,
                size: inner.len(),
            }),
        }
    }
}

impl Media for Window {
    fn len(&self) -> u64 {
        self.len
    }

    fn name(&self) -> String {
        format!("{} ({})", self.inner.name(), self.label)
    }

    fn read_at(&self, off: u64, buf: &mut [u8]) -> Result<(), MetaError> {
        check_range(self, off, buf.len())?;
        self.inner.read_at(self.base + off, buf)
    }

    fn write_at(&self, off: u64, data: &[u8]) -> Result<(), MetaError> {
        check_range(self, off, data.len())?;
        self.inner.write_at(self.base + off, data)
    }

    fn sync(&self) -> Result<(), MetaError> {
        self.inner.sync()
    }
}

/// Media in process memory: tests and the fuzzer.
pub struct MemMedia {
    bytes: Mutex<Vec<u8>>,
    label: String,
}

impl MemMedia {
    /// Zero-filled media of `len` bytes.
    pub fn zeroed(len: usize, label: &str) -> Self {
        Self::from_vec(vec![0; len], label)
    }

    /// Media holding `bytes`.
    pub fn from_vec(bytes: Vec<u8>, label: &str) -> Self {
        MemMedia {
            bytes: Mutex::new(bytes),
            label: label.to_owned(),
        }
    }

    /// A copy of the contents.
    pub fn to_vec(&self) -> Vec<u8> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<u8>> {
        // A poisoned lock only means another thread panicked mid-copy; the
        // bytes are still bytes.
        self.bytes.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Media for MemMedia {
    fn len(&self) -> u64 {
        self.lock().len() as u64
    }

    fn name(&self) -> String {
        self.label.clone()
    }

    fn read_at(&self, off: u64, buf: &mut [u8]) -> Result<(), MetaError> {
        check_range(self, off, buf.len())?;
        let b = self.lock();
        buf.copy_from_slice(&b[off as usize..off as usize + buf.len()]);
        Ok(())
    }

    fn write_at(&self, off: u64, data: &[u8]) -> Result<(), MetaError> {
        check_range(self, off, data.len())?;
        let mut b = self.lock();
        b[off as usize..off as usize + data.len()].copy_from_slice(data);
        Ok(())
    }
}

/// Large media that costs memory only where written: reads of untouched
/// pages return zeros. For tests and fuzzing with realistic geometry.
pub struct SparseMedia {
    len: u64,
    pages: Mutex<std::collections::HashMap<u64, Box<[u8]>>>,
    label: String,
}

const SPARSE_PAGE: u64 = 4096;

impl SparseMedia {
    /// `len` bytes of zeros.
    pub fn new(len: u64, label: &str) -> Self {
        SparseMedia {
            len,
            pages: Mutex::new(Default::default()),
            label: label.to_owned(),
        }
    }

    /// Walk the pages covering `off..off+len`: (page, offset in page,
    /// offset in the caller's buffer, length).
    fn pieces(off: u64, len: usize) -> impl Iterator<Item = (u64, usize, usize, usize)> {
        let mut done = 0usize;
        std::iter::from_fn(move || {
            if done >= len {
                return None;
            }
            let pos = off + done as u64;
            let in_page = (pos % SPARSE_PAGE) as usize;
            let n = (SPARSE_PAGE as usize - in_page).min(len - done);
            let item = (pos / SPARSE_PAGE, in_page, done, n);
            done += n;
            Some(item)
        })
    }
}

impl Media for SparseMedia {
    fn len(&self) -> u64 {
        self.len
    }

    fn name(&self) -> String {
        self.label.clone()
    }

    fn read_at(&self, off: u64, buf: &mut [u8]) -> Result<(), MetaError> {
        check_range(self, off, buf.len())?;
        let pages = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        for (page, at, from, n) in Self::pieces(off, buf.len()) {
            let dst = &mut buf[from..from + n];
            match pages.get(&page) {
                Some(p) => dst.copy_from_slice(&p[at..at + n]),
                None => dst.fill(0),
            }
        }
        Ok(())
    }

    fn write_at(&self, off: u64, data: &[u8]) -> Result<(), MetaError> {
        check_range(self, off, data.len())?;
        let mut pages = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        for (page, at, from, n) in Self::pieces(off, data.len()) {
            let p = pages
                .entry(page)
                .or_insert_with(|| vec![0u8; SPARSE_PAGE as usize].into_boxed_slice());
            p[at..at + n].copy_from_slice(&data[from..from + n]);
        }
        Ok(())
    }
}

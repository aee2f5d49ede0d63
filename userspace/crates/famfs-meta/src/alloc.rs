// SPDX-License-Identifier: GPL-2.0
//! Space allocation: a bitmap of 2 MiB units per device, rebuilt from the
//! replayed fmaps, first fit.
//!
//! Simple files get one contiguous extent when one is free, otherwise up to
//! 16 extents (the fmap's limit). Interleaved files follow upstream famfs's
//! parameters: the device is cut into `nbuckets` equal buckets and each of
//! the `nstrips` strips comes from a different bucket, so consecutive
//! `chunk_size` chunks of the file land in different parts of the memory
//! (and, on interleaved CXL hardware, on different media). The strips may
//! be spread over several devices (strip `i` on the `i % n`th of the `n`
//! devices given); each device is then cut into buckets, and the strips it
//! holds take distinct buckets of it: the buckets with the most free space
//! (ties: the lower bucket), first fit inside each, the strips in bucket
//! order. Taking the emptiest buckets keeps them level, so an interleaved
//! file fails only when fewer buckets than it needs still have a free run
//! for a strip (taking buckets in order used up the first ones and left
//! the last ones free). Upstream picks buckets at random; ours are
//! deterministic, which makes layouts reproducible.

use famfs_omf::{
    Extent, Fmap, Interleave, ALLOC_UNIT, MAX_BUCKETS, MAX_SIMPLE_EXTENTS, MAX_STRIPS,
};

use crate::namespace::NodeKind;
use crate::replay::{DaxdevInfo, Replay};

/// How to lay out an interleaved file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InterleaveParams {
    /// Strips (1..=16), each in its own bucket.
    pub nstrips: u32,
    /// Bytes per chunk: a non-zero multiple of 2 MiB.
    pub chunk_size: u64,
    /// Buckets the device is divided into (nstrips..=64).
    pub nbuckets: u32,
}

impl InterleaveParams {
    /// Check the parameters against the format's and the kernel's rules.
    pub fn check(&self) -> Result<(), String> {
        if self.nstrips == 0 || self.nstrips as usize > MAX_STRIPS {
            return Err(format!("nstrips {} must be 1..={MAX_STRIPS}", self.nstrips));
        }
        if self.nbuckets < self.nstrips || self.nbuckets as usize > MAX_BUCKETS {
            return Err(format!(
                "nbuckets {} must be at least nstrips ({}) and at most {MAX_BUCKETS}",
                self.nbuckets, self.nstrips
            ));
        }
        if self.chunk_size == 0 || self.chunk_size % ALLOC_UNIT != 0 {
            return Err(format!(
                "chunk size {:#x} must be a non-zero multiple of 2 MiB",
                self.chunk_size
            ));
        }
        Ok(())
    }
}

/// Why an allocation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AllocError {
    /// Not enough free space on device `dev` (in the form the layout
    /// needs).
    NoSpace {
        dev: u32,
        need: u64,
        free: u64,
        largest: u64,
    },
    /// No such device in the file system.
    NoDevice(u32),
    /// Layout parameters unusable.
    BadParams(String),
}

struct DevSpace {
    units: u64,
    first_data: u64,
    bits: Vec<u64>,
}

impl DevSpace {
    /// Space of device `d`, of which only `usable` bytes can be reached.
    fn new(d: &DaxdevInfo, usable: u64) -> Self {
        let units = d.size.min(usable) / ALLOC_UNIT;
        let first_data = d.reserved.div_ceil(ALLOC_UNIT).min(units);
        let mut s = DevSpace {
            units,
            first_data,
            bits: vec![0; units.div_ceil(64) as usize],
        };
        s.set(0, first_data);
        s
    }

    fn used(&self, u: u64) -> bool {
        self.bits[(u / 64) as usize] & (1 << (u % 64)) != 0
    }

    fn set(&mut self, from: u64, to: u64) {
        for u in from..to.min(self.units) {
            self.bits[(u / 64) as usize] |= 1 << (u % 64);
        }
    }

    /// First run of `n` free units inside `lo..hi`.
    fn find_run(&self, lo: u64, hi: u64, n: u64) -> Option<u64> {
        let hi = hi.min(self.units);
        let (mut start, mut u) = (lo, lo);
        while u < hi {
            if u % 64 == 0 && u + 64 <= hi && self.bits[(u / 64) as usize] == u64::MAX {
                u += 64;
                start = u;
                continue;
            }
            if self.used(u) {
                start = u + 1;
            } else if u + 1 - start == n {
                return Some(start);
            }
            u += 1;
        }
        None
    }

    /// Free units inside `lo..hi`.
    fn free_in(&self, lo: u64, hi: u64) -> u64 {
        let hi = hi.min(self.units);
        if lo >= hi {
            return 0;
        }
        let (first, last) = (lo / 64, (hi - 1) / 64);
        let used: u64 = (first..=last)
            .map(|w| {
                let mut bits = self.bits[w as usize];
                if w == first {
                    bits &= u64::MAX << (lo % 64);
                }
                if w == last && hi % 64 != 0 {
                    bits &= u64::MAX >> (64 - hi % 64);
                }
                u64::from(bits.count_ones())
            })
            .sum();
        hi - lo - used
    }

    /// Free runs in address order, as (start, length) in units.
    fn free_runs(&self) -> Vec<(u64, u64)> {
        let mut runs = Vec::new();
        let mut u = self.first_data;
        while u < self.units {
            if self.used(u) {
                u += 1;
                continue;
            }
            let start = u;
            while u < self.units && !self.used(u) {
                u += 1;
            }
            runs.push((start, u - start));
        }
        runs
    }
}

/// Free space of every device of a file system.
pub struct Allocator {
    devs: Vec<DevSpace>,
}

fn units_for(bytes: u64) -> u64 {
    bytes.div_ceil(ALLOC_UNIT).max(1)
}

impl Allocator {
    /// All data space of `devices` free. `usable[i]` caps device `i` at
    /// the size of the media actually open for it (0 when it is not open,
    /// or missing): sizes in the log are not trusted to size memory.
    pub fn new(devices: &[DaxdevInfo], usable: &[u64]) -> Self {
        Allocator {
            devs: devices
                .iter()
                .enumerate()
                .map(|(i, d)| DevSpace::new(d, usable.get(i).copied().unwrap_or(0)))
                .collect(),
        }
    }

    /// Free space as the replayed files leave it.
    pub fn from_replay(r: &Replay, usable: &[u64]) -> Self {
        let mut a = Self::new(&r.devices, usable);
        for n in r.ns.nodes() {
            if let NodeKind::File { fmap, .. } = &n.kind {
                a.mark_fmap(fmap);
            }
        }
        a
    }

    /// Mark the units an fmap covers as used (ranges outside any device
    /// are ignored: replay has already reported them).
    pub fn mark_fmap(&mut self, fmap: &Fmap) {
        for r in fmap.iter_ranges() {
            if let Some(d) = usize::try_from(r.devindex)
                .ok()
                .and_then(|i| self.devs.get_mut(i))
            {
                let end = r.end().unwrap_or(u64::MAX);
                d.set(r.offset / ALLOC_UNIT, end.div_ceil(ALLOC_UNIT));
            }
        }
    }

    fn dev(&self, dev: u32) -> Result<&DevSpace, AllocError> {
        self.devs.get(dev as usize).ok_or(AllocError::NoDevice(dev))
    }

    /// Free bytes on `dev`.
    pub fn free_bytes(&self, dev: u32) -> u64 {
        self.dev(dev).map_or(0, |d| {
            d.free_runs().iter().map(|r| r.1).sum::<u64>() * ALLOC_UNIT
        })
    }

    /// Largest contiguous free run on `dev`, in bytes.
    pub fn largest_free(&self, dev: u32) -> u64 {
        self.dev(dev).map_or(0, |d| {
            d.free_runs().iter().map(|r| r.1).max().unwrap_or(0) * ALLOC_UNIT
        })
    }

    fn no_space(&self, dev: u32, need: u64) -> AllocError {
        AllocError::NoSpace {
            dev,
            need,
            free: self.free_bytes(dev),
            largest: self.largest_free(dev),
        }
    }

    /// Allocate room for `bytes` (at least one unit) on `dev`: one extent,
    /// or failing that up to 16.
    pub fn alloc_simple(&mut self, dev: u32, bytes: u64) -> Result<Fmap, AllocError> {
        let n = units_for(bytes);
        let d = self.dev(dev)?;
        let runs = match d.find_run(d.first_data, d.units, n) {
            Some(start) => vec![(start, n)],
            None => {
                let mut runs = Vec::new();
                let mut got = 0;
                for (s, l) in d.free_runs() {
                    if got >= n || runs.len() == MAX_SIMPLE_EXTENTS {
                        break;
                    }
                    let take = l.min(n - got);
                    runs.push((s, take));
                    got += take;
                }
                if got < n {
                    return Err(self.no_space(dev, n * ALLOC_UNIT));
                }
                runs
            }
        };
        let d = &mut self.devs[dev as usize];
        let extents = runs
            .iter()
            .map(|&(s, l)| {
                d.set(s, s + l);
                Extent {
                    devindex: dev.into(),
                    offset: s * ALLOC_UNIT,
                    len: l * ALLOC_UNIT,
                }
            })
            .collect();
        Ok(Fmap::Simple(extents))
    }

    /// Allocate an interleaved fmap for `bytes`: strip `i` goes on device
    /// `devs[i % devs.len()]`, and the strips that share a device each get
    /// a bucket of their own on it. Nothing is taken unless every strip
    /// fits.
    pub fn alloc_interleaved(
        &mut self,
        devs: &[u32],
        bytes: u64,
        p: InterleaveParams,
    ) -> Result<Fmap, AllocError> {
        p.check().map_err(AllocError::BadParams)?;
        if devs.is_empty() || devs.len() > p.nstrips as usize {
            return Err(AllocError::BadParams(format!(
                "{} strips cannot spread over {} devices: give 1 to {} devices",
                p.nstrips,
                devs.len(),
                p.nstrips
            )));
        }
        let stripe = p.chunk_size * u64::from(p.nstrips);
        let strip_len = bytes.div_ceil(stripe).max(1) * p.chunk_size;
        let strip_units = strip_len / ALLOC_UNIT;
        // Distinct devices with their strip counts, and for each strip its
        // (device group, rank among the strips on that device).
        let mut groups: Vec<(u32, usize)> = Vec::new();
        let mut slots = Vec::with_capacity(p.nstrips as usize);
        for &dev in devs.iter().cycle().take(p.nstrips as usize) {
            let g = match groups.iter().position(|g| g.0 == dev) {
                Some(g) => g,
                None => {
                    groups.push((dev, 0));
                    groups.len() - 1
                }
            };
            slots.push((g, groups[g].1));
            groups[g].1 += 1;
        }
        let starts = groups
            .iter()
            .map(|&(dev, n)| self.strip_starts(dev, n, strip_units, p.nbuckets))
            .collect::<Result<Vec<_>, _>>()?;
        let strips = slots
            .iter()
            .map(|&(g, k)| {
                let (dev, s) = (groups[g].0, starts[g][k]);
                self.devs[dev as usize].set(s, s + strip_units);
                Extent {
                    devindex: dev.into(),
                    offset: s * ALLOC_UNIT,
                    len: strip_len,
                }
            })
            .collect();
        Ok(Fmap::Interleaved(vec![Interleave {
            chunk_size: p.chunk_size,
            strips,
        }]))
    }

    /// Starts of `count` free runs of `strip_units` on `dev`, each in a
    /// different one of its `nbuckets` buckets: the buckets with the most
    /// free space among those with such a run (ties: the lower bucket),
    /// first fit inside each, in bucket order; nothing is marked.
    fn strip_starts(
        &self,
        dev: u32,
        count: usize,
        strip_units: u64,
        nbuckets: u32,
    ) -> Result<Vec<u64>, AllocError> {
        let d = self.dev(dev)?;
        let bucket = d.units / u64::from(nbuckets);
        if bucket < strip_units {
            return Err(AllocError::BadParams(format!(
                "each strip needs {:#x} bytes but device {dev}'s {nbuckets} buckets are only \
                 {:#x} bytes each (use fewer buckets, -B)",
                strip_units * ALLOC_UNIT,
                bucket * ALLOC_UNIT
            )));
        }
        // (free units, bucket, start of its first fitting run).
        let mut fits: Vec<(u64, u64, u64)> = (0..u64::from(nbuckets))
            .filter_map(|b| {
                let (lo, hi) = ((b * bucket).max(d.first_data), (b + 1) * bucket);
                let free = d.free_in(lo, hi);
                if free < strip_units {
                    return None;
                }
                d.find_run(lo, hi, strip_units).map(|s| (free, b, s))
            })
            .collect();
        if fits.len() < count {
            return Err(self.no_space(dev, strip_units * ALLOC_UNIT * count as u64));
        }
        fits.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
        fits.truncate(count);
        fits.sort_by_key(|f| f.1);
        Ok(fits.into_iter().map(|f| f.2).collect())
    }
}

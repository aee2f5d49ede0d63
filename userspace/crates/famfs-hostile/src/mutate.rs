// SPDX-License-Identifier: GPL-2.0
//! Mutations of a correct reply. Structure-aware ones change one field of
//! the body the request expects (counts, offsets, lengths, alignments,
//! indexes, sizes, node ids, modes, timeouts...), or the shape of a map or
//! a directory listing (extents dropped, duplicated, swapped, borrowed
//! from another file's map; entries cut, repeated, reordered); generic
//! ones break the framing (partial writes, wrong `len`, bad `error`,
//! replies for other uniques, oversized). Values are drawn from edge
//! cases and from a pool of values seen in earlier correct replies, so
//! sizes change between replies and maps overlap other files' ranges.

use famfs_core::abi::{
    fuse_dirent, fuse_famfs_fmap_header, fuse_famfs_iext, fuse_famfs_simple_ext, MAX_REPLY,
    OUT_HEADER_LEN,
};
use famfs_core::codec::Field;
use famfs_core::wire::Pending;

use crate::layout::{self, Fld};
use crate::rng::Rng;

const MB2: u64 = 2 << 20;
/// Errnos the fuzzer hands callers as daemon errors: the workers accept
/// exactly these (and the kernel's own) from a failed call.
pub const DAEMON_ERRNOS: [i32; 8] = [
    libc::ENOENT,
    libc::EIO,
    libc::EACCES,
    libc::ENOMEM,
    libc::EAGAIN,
    libc::EBUSY,
    libc::EREMOTEIO,
    libc::ENOSPC,
];

/// Values seen in correct replies, to mix into mutations.
#[derive(Default)]
pub struct Pool {
    words: Vec<u64>,
    extents: Vec<[u8; 24]>,
}

const POOL_MAX: usize = 512;

impl Pool {
    /// Learns from a correct reply to `p`.
    pub fn learn(&mut self, rng: &mut Rng, p: Pending, msg: &[u8]) {
        let body = msg.get(OUT_HEADER_LEN..).unwrap_or(&[]);
        for w in body.chunks_exact(8).take(16) {
            let v = u64::from_le_bytes(w.try_into().unwrap_or([0; 8]));
            remember(&mut self.words, v, rng);
        }
        if p == Pending::GetFmap {
            let at = fuse_famfs_fmap_header::SIZE;
            for e in body.get(at..).unwrap_or(&[]).chunks_exact(24).take(8) {
                let ext: [u8; 24] = e.try_into().unwrap_or([0; 24]);
                remember(&mut self.extents, ext, rng);
            }
        }
    }
}

fn remember<T>(v: &mut Vec<T>, x: T, rng: &mut Rng) {
    if v.len() < POOL_MAX {
        v.push(x);
    } else {
        let i = rng.index(v.len());
        v[i] = x;
    }
}

/// What else the fuzzer knows when it mutates.
pub struct Ctx<'a> {
    /// Values from earlier replies.
    pub pool: &'a Pool,
    /// Uniques of other requests awaiting replies.
    pub others: &'a [u64],
}

/// An edge-case or borrowed value for a field of `width` bytes now `old`.
fn value(rng: &mut Rng, width: usize, old: u64, pool: &Pool) -> u64 {
    let max = if width >= 8 {
        u64::MAX
    } else {
        (1u64 << (8 * width)) - 1
    };
    let v = match rng.below(16) {
        0 => 0,
        1 => 1,
        2 => max,
        3 => max >> 1,
        4 => (max >> 1) + 1,
        5 => old.wrapping_add(1),
        6 => old.wrapping_sub(1),
        7 => old ^ (1 << rng.below(8 * width as u64)),
        8 => old.wrapping_add(MB2),
        9 => old.wrapping_sub(MB2),
        10 => old.wrapping_add(4096),
        11 => rng.below(1024) * MB2,
        12 => 1_000_000_000,
        13 => *rng.pick(&pool.words).unwrap_or(&old),
        14 => old.wrapping_mul(2),
        _ => rng.next_u64(),
    };
    v & max
}

fn set_len(msg: &mut [u8], len: usize) {
    let _ = (len as u32).put(msg);
}

fn fix_len(msg: &mut [u8]) {
    let n = msg.len();
    set_len(msg, n);
}

/// Changes one field of the body (offset `base` in the message).
fn field(rng: &mut Rng, msg: &mut [u8], base: usize, fields: &[Fld], pool: &Pool) -> bool {
    let Some(&f) = rng.pick(fields) else {
        return false;
    };
    let body = &mut msg[base..];
    let old = layout::get(body, f);
    let v = value(rng, f.width, old, pool);
    layout::set(body, f, v);
    true
}

/// The records of a GET_FMAP reply: (offset in body, fields).
fn fmap_fields(body: &[u8]) -> Vec<Fld> {
    let mut v: Vec<Fld> = layout::fields(Pending::GetFmap);
    let Some(h) = fuse_famfs_fmap_header::get(body) else {
        return v;
    };
    let mut at = fuse_famfs_fmap_header::SIZE;
    for _ in 0..h.nextents.min(32) {
        if at + 24 > body.len() {
            break;
        }
        if h.ext_type == 1 {
            let n = u32::get(&body[at..]).unwrap_or(0).min(32) as usize;
            v.extend(layout::iext(at));
            at += fuse_famfs_iext::SIZE;
            for _ in 0..n {
                v.extend(layout::simple_ext(at));
                at += fuse_famfs_simple_ext::SIZE;
            }
        } else {
            v.extend(layout::simple_ext(at));
            at += fuse_famfs_simple_ext::SIZE;
        }
    }
    v
}

/// Reshapes a map: a record (24 bytes) after the header is dropped,
/// repeated, replaced by one from another file's map, or two swapped;
/// `nextents` is kept or follows.
fn fmap_shape(rng: &mut Rng, body: &mut Vec<u8>, pool: &Pool) -> &'static str {
    let hdr = fuse_famfs_fmap_header::SIZE;
    let n = body.len().saturating_sub(hdr) / 24;
    if n == 0 {
        return "fmap-empty";
    }
    let rec = |i: usize| hdr + i * 24;
    let i = rng.index(n);
    let name = match rng.below(4) {
        0 => {
            body.drain(rec(i)..rec(i) + 24);
            "fmap-drop-record"
        }
        1 => {
            let r: Vec<u8> = body[rec(i)..rec(i) + 24].to_vec();
            body.splice(rec(i)..rec(i), r);
            "fmap-repeat-record"
        }
        2 => match rng.pick(&pool.extents) {
            Some(e) => {
                body[rec(i)..rec(i) + 24].copy_from_slice(e);
                "fmap-borrowed-extent"
            }
            None => "fmap-no-pool",
        },
        _ => {
            let j = rng.index(n);
            for k in 0..24 {
                body.swap(rec(i) + k, rec(j) + k);
            }
            "fmap-swap-records"
        }
    };
    if rng.chance(50) {
        let nf = layout::fields(Pending::GetFmap)[4];
        let cur = layout::get(body, nf);
        let adj = if name == "fmap-drop-record" {
            cur.saturating_sub(1)
        } else if name == "fmap-repeat-record" {
            cur + 1
        } else {
            cur
        };
        layout::set(body, nf, adj);
    }
    name
}

/// The records of a READDIR reply: (start, length) of each.
fn dirents(body: &[u8]) -> Vec<(usize, usize)> {
    let mut v = Vec::new();
    let mut at = 0;
    while let Some(d) = body.get(at..).and_then(fuse_dirent::get) {
        let len = (fuse_dirent::SIZE + d.namelen as usize).next_multiple_of(8);
        if at + len > body.len() {
            break;
        }
        v.push((at, len));
        at += len;
    }
    v
}

/// A READDIR change: a header field, a name byte, or the shape.
fn readdir(rng: &mut Rng, body: &mut Vec<u8>, pool: &Pool) -> &'static str {
    let recs = dirents(body);
    let Some(&(at, len)) = rng.pick(&recs) else {
        body.extend_from_slice(&[0u8; 32]);
        return "dirent-garbage";
    };
    match rng.below(6) {
        0 | 1 => {
            let f = *rng
                .pick(&layout::dirent(at))
                .unwrap_or(&layout::dirent(at)[0]);
            let old = layout::get(body, f);
            let v = value(rng, f.width, old, pool);
            layout::set(body, f, v);
            "dirent-field"
        }
        2 => {
            let bytes = [b'/', 0, b'.', 0xff, b'a'];
            let i = at + fuse_dirent::SIZE + rng.index(len - fuse_dirent::SIZE);
            body[i] = *rng.pick(&bytes).unwrap_or(&0);
            "dirent-name-byte"
        }
        3 => {
            let r: Vec<u8> = body[at..at + len].to_vec();
            body.extend(r);
            "dirent-repeat"
        }
        4 => {
            body.truncate(at + rng.index(len));
            "dirent-cut"
        }
        _ => {
            let r: Vec<u8> = body.drain(at..at + len).collect();
            body.extend(r);
            "dirent-reorder"
        }
    }
}

/// A GET_DAXDEV name change.
fn daxdev_name(rng: &mut Rng, body: &mut [u8]) -> &'static str {
    let at = 24;
    let names: [&[u8]; 6] = [
        b"",
        b"/dev/dax0.0",
        b"/dev/dax1.0",
        b"/dev/null",
        b"/dev/famfs_rs",
        b"/dev/dax0.0\x01",
    ];
    if let Some(name) = body.get_mut(at..) {
        if rng.chance(20) {
            name.fill(b'x');
            return "daxdev-unterminated";
        }
        name.fill(0);
        let n = rng.pick(&names).unwrap_or(&names[0]);
        name[..n.len()].copy_from_slice(n);
    }
    "daxdev-name"
}

/// A structure-aware change of the body of `good` for request `p`.
fn structured(rng: &mut Rng, msg: &mut Vec<u8>, p: Pending, pool: &Pool) -> &'static str {
    let mut body = msg.split_off(OUT_HEADER_LEN);
    let name = match p {
        Pending::GetFmap if rng.chance(30) => fmap_shape(rng, &mut body, pool),
        Pending::GetFmap => {
            let fs = fmap_fields(&body);
            field(rng, &mut body, 0, &fs, pool);
            "fmap-field"
        }
        Pending::ReadDir { .. } => readdir(rng, &mut body, pool),
        Pending::GetDaxdev { .. } if rng.chance(40) => daxdev_name(rng, &mut body),
        _ => {
            let fs = layout::fields(p);
            if field(rng, &mut body, 0, &fs, pool) {
                "field"
            } else {
                body.extend_from_slice(&rng.next_u64().to_le_bytes());
                "body-extra"
            }
        }
    };
    msg.extend(body);
    fix_len(msg);
    name
}

/// Breaks the framing of `good`.
fn framing(rng: &mut Rng, msg: &mut Vec<u8>, ctx: &Ctx<'_>) -> &'static str {
    let n = msg.len();
    match rng.below(11) {
        0 => {
            msg.truncate(rng.index(n));
            "partial-write"
        }
        1 => {
            let v = value(rng, 4, n as u64, ctx.pool);
            set_len(msg, v as usize);
            "len-field"
        }
        2 => {
            let bad = [1, 5, 512, 4095, -512, -4096, i32::MIN, i32::MAX];
            let _ = rng.pick(&bad).unwrap_or(&1).put(&mut msg[4..]);
            "errno-invalid"
        }
        3 => {
            let e = -*rng.pick(&DAEMON_ERRNOS).unwrap_or(&libc::EIO);
            let _ = e.put(&mut msg[4..]);
            if rng.chance(50) {
                msg.truncate(OUT_HEADER_LEN);
                fix_len(msg);
                "daemon-errno"
            } else {
                "errno-with-body"
            }
        }
        4 => {
            let u = rng.pick(ctx.others).copied().unwrap_or(1);
            let _ = u.put(&mut msg[8..]);
            "other-unique"
        }
        5 => {
            let u = [0, 1, 3, u64::MAX, rng.next_u64()];
            let _ = rng.pick(&u).unwrap_or(&0).put(&mut msg[8..]);
            "unknown-unique"
        }
        6 => {
            msg.resize(MAX_REPLY + 1 + rng.index(64), 0);
            if rng.chance(50) {
                fix_len(msg);
            }
            "oversized"
        }
        7 => {
            let k = 1 + rng.index(64);
            msg.extend((0..k).map(|_| rng.next_u64() as u8));
            fix_len(msg);
            "body-extend"
        }
        8 => {
            msg.truncate(OUT_HEADER_LEN + rng.index(n.saturating_sub(OUT_HEADER_LEN)));
            fix_len(msg);
            "body-truncate"
        }
        9 => {
            for _ in 0..1 + rng.below(4) {
                let i = OUT_HEADER_LEN + rng.index(n.saturating_sub(OUT_HEADER_LEN).max(1));
                if let Some(b) = msg.get_mut(i) {
                    *b ^= 1 << rng.below(8);
                }
            }
            "bit-flips"
        }
        _ => {
            msg.truncate(OUT_HEADER_LEN);
            fix_len(msg);
            "empty-body"
        }
    }
}

/// A mutant of the correct reply `good` to request `p`, and the name of
/// the mutation (for the summary).
pub fn mutate(rng: &mut Rng, good: &[u8], p: Pending, ctx: &Ctx<'_>) -> (Vec<u8>, &'static str) {
    let mut msg = good.to_vec();
    if msg.len() < OUT_HEADER_LEN {
        return (msg, "as-is");
    }
    let name = if rng.chance(65) {
        structured(rng, &mut msg, p, ctx.pool)
    } else {
        framing(rng, &mut msg, ctx)
    };
    (msg, name)
}

/// A correct reply made more demanding: LOOKUP and GETATTR replies with
/// zero cache timeouts, so every access asks the daemon again (more
/// requests per second for the other mutations).
pub fn no_cache(msg: &mut [u8], p: Pending) {
    let body = &mut msg[OUT_HEADER_LEN..];
    let zero: &[usize] = match p {
        Pending::Lookup | Pending::LookupFmap => &[2, 3, 4, 5],
        Pending::GetAttr => &[0, 1],
        _ => return,
    };
    let fs = layout::fields(p);
    for &i in zero {
        layout::set(body, fs[i], 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use famfs_core::wire::check_reply;

    #[test]
    fn mutants_of_a_statfs_reply_are_mostly_refused() {
        let mut good = vec![0u8; OUT_HEADER_LEN + 80];
        let _ = famfs_core::wire::finish_reply(&mut good, 4, 80);
        let body = &mut good[OUT_HEADER_LEN..];
        let fs = layout::fields(Pending::Statfs);
        for (i, v) in [
            (0, 10),
            (1, 5),
            (2, 5),
            (3, 10),
            (4, 5),
            (5, 4096),
            (6, 255),
            (7, 4096),
        ] {
            layout::set(body, fs[i], v);
        }
        assert!(check_reply(Pending::Statfs, &good, MAX_REPLY).is_ok());
        let (pool, mut rng) = (Pool::default(), Rng::new(7));
        let ctx = Ctx {
            pool: &pool,
            others: &[],
        };
        let refused = (0..1000)
            .filter(|_| {
                let (m, _) = mutate(&mut rng, &good, Pending::Statfs, &ctx);
                check_reply(Pending::Statfs, &m, MAX_REPLY).is_err()
            })
            .count();
        assert!((300..1000).contains(&refused), "{refused}");
    }
}

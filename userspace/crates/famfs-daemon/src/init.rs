// SPDX-License-Identifier: GPL-2.0
//! The INIT handshake, in both modes.
//!
//! famfs_rs.ko: the request must carry FUSE 7.x (x >= 36) and a famfs_rs
//! protocol word whose version we still speak; we answer with the older of
//! its version and ours (anything else is refused with EPROTO and a log
//! line that says which side to upgrade). We accept FUSE_DAX_FMAP when
//! offered, and of famfs_rs's own flags (protocol 4) those the caller
//! wants and the kernel offers (FAMFS_RS_INIT_LOOKUP_FMAP: maps with
//! LOOKUP replies).
//!
//! Plain `/dev/fuse`: the kernel's own FUSE knows nothing of famfs_rs. We
//! answer with its minor version or ours, whichever is older, never
//! accept FUSE_DAX_FMAP, and leave the protocol word out.

use famfs_core::abi::{
    fuse_init_in, fuse_init_out, FUSE_ASYNC_READ, FUSE_DAX_FMAP, FUSE_KERNEL_MINOR_VERSION,
    FUSE_KERNEL_VERSION, FUSE_MAX_PAGES, FUSE_PARALLEL_DIROPS,
};
use famfs_core::codec::Field;
use famfs_core::init::{
    build_init_out, check_init_request, request_flags, InitError, InitParams, PROTO_RS_FLAGS,
};
use famfs_host::dlog;

/// Largest write the daemon announces (it takes no writes).
pub const MAX_WRITE: u32 = 128 << 10;
/// Pages per request in plain mode (READ size up to 1 MiB).
pub const PLAIN_MAX_PAGES: u16 = 256;
/// Size of `fuse_init_out` for peers older than FUSE 7.23.
const COMPAT_22_INIT_OUT_SIZE: usize = 24;

fn params(minor: u32, flags: u64, max_readahead: u32, max_pages: u16) -> InitParams {
    InitParams {
        minor,
        flags,
        max_readahead,
        max_background: 16,
        congestion_threshold: 12,
        max_write: MAX_WRITE,
        time_gran: 1,
        max_pages,
        proto_version: 0,
        rs_flags: 0,
    }
}

/// famfs_rs.ko's INIT, for a daemon that speaks famfs_rs protocol versions
/// up to `ours` and would take famfs_rs flags `rs_wanted`: the reply body,
/// the version agreed and the famfs_rs flags accepted, or the errno to
/// refuse with.
pub fn famfs(i: &fuse_init_in, ours: u16, rs_wanted: u32) -> Result<(Vec<u8>, u16, u32), i32> {
    let (offered, version) = check_init_request(i, ours).map_err(|e| {
        let why = match e {
            InitError::ProtoMismatch { ours, theirs } => format!(
                "famfs_rs.ko speaks famfs_rs protocol {theirs}, this famfs speaks {ours}: \
                 install a famfs_rs.ko and famfs userspace of the same release"
            ),
            InitError::NotFamfsRs => {
                "the INIT request has no famfs_rs protocol word: is this /dev/fuse? \
                 (use famfs mount --plain-fuse for the kernel's FUSE)"
                    .to_owned()
            }
            other => format!("{other:?}"),
        };
        dlog!("refusing INIT (FUSE {}.{}): {why}", i.major, i.minor);
        e.errno()
    })?;
    if offered & FUSE_DAX_FMAP == 0 {
        dlog!("INIT: the kernel did not offer FUSE_DAX_FMAP; file data will not be mappable");
    }
    // The word was unused before protocol 4: whatever it holds then means
    // nothing.
    let rs_offered = if version >= PROTO_RS_FLAGS && offered & FUSE_DAX_FMAP != 0 {
        i.famfs_rs_flags
    } else {
        0
    };
    let p = InitParams {
        proto_version: version,
        rs_flags: rs_offered & rs_wanted,
        ..params(0, offered & FUSE_DAX_FMAP, i.max_readahead, 0)
    };
    dlog!(
        "INIT: FUSE {}.{}, famfs_rs protocol {version}, flags offered {offered:#x}, accepted {:#x}, \
         famfs_rs flags offered {rs_offered:#x}, accepted {:#x}",
        i.major,
        i.minor,
        p.flags,
        p.rs_flags
    );
    Ok((body(&build_init_out(&p), usize::MAX), version, p.rs_flags))
}

/// The kernel FUSE's INIT (plain mode).
pub fn plain(i: &fuse_init_in) -> Result<Vec<u8>, i32> {
    if i.major != FUSE_KERNEL_VERSION {
        dlog!(
            "refusing INIT: FUSE major {} (this famfs speaks {})",
            i.major,
            FUSE_KERNEL_VERSION
        );
        return Err(libc::EPROTO);
    }
    let minor = i.minor.min(FUSE_KERNEL_MINOR_VERSION);
    let want = u64::from(FUSE_ASYNC_READ | FUSE_PARALLEL_DIROPS | FUSE_MAX_PAGES);
    let flags = request_flags(i) & want;
    let pages = if flags & u64::from(FUSE_MAX_PAGES) != 0 {
        PLAIN_MAX_PAGES
    } else {
        0
    };
    let mut o = build_init_out(&params(minor, flags, i.max_readahead, pages));
    o.famfs_rs_proto = 0;
    dlog!(
        "INIT (plain FUSE): kernel FUSE {}.{}, answering 7.{minor}, flags {flags:#x}",
        i.major,
        i.minor
    );
    let max = if minor < 23 {
        COMPAT_22_INIT_OUT_SIZE
    } else {
        usize::MAX
    };
    Ok(body(&o, max))
}

fn body(o: &fuse_init_out, max: usize) -> Vec<u8> {
    let mut b = vec![0u8; fuse_init_out::SIZE];
    // The buffer is exactly the struct's size.
    let _ = o.put(&mut b);
    b.truncate(max.min(b.len()));
    b
}

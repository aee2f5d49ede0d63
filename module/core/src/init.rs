// SPDX-License-Identifier: GPL-2.0

//! INIT negotiation: the FUSE version, the INIT flags, and the famfs_rs
//! protocol version that module and daemon agree on. They are upgraded
//! separately: the module offers its version, the daemon answers with the
//! older of the two, and a version either side does not speak is refused
//! clearly on both sides.

use super::abi::{
    fuse_init_in, fuse_init_out, FAMFS_RS_INIT_LOOKUP_FMAP, FAMFS_RS_MIN_MINOR,
    FAMFS_RS_PROTO_MIN_VERSION, FAMFS_RS_PROTO_TAG, FAMFS_RS_PROTO_VERSION, FUSE_DAX_FMAP,
    FUSE_INIT_EXT, FUSE_KERNEL_MINOR_VERSION, FUSE_KERNEL_VERSION, PROTO_WORD,
};
use super::errno;

/// Largest `time_gran` (one second, in nanoseconds).
pub const MAX_TIME_GRAN: u32 = 1_000_000_000;

/// Why an INIT request or reply was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitError {
    /// FUSE major version is not 7 (EPROTO).
    Major(u32),
    /// FUSE minor version older than 36, the first with flags2 (EPROTO).
    Minor(u32),
    /// The peer is not famfs_rs: no protocol word (EPROTO).
    NotFamfsRs,
    /// The peer speaks no famfs_rs protocol version we speak (EPROTO).
    ProtoMismatch {
        /// Our version.
        ours: u16,
        /// The peer's version.
        theirs: u16,
    },
    /// The reply accepts flags the module did not offer (EIO).
    FlagsNotOffered(u64),
    /// The reply accepts famfs_rs flags the module did not offer, or any
    /// with a protocol older than [`PROTO_RS_FLAGS`] (EIO).
    RsFlagsNotOffered(u32),
    /// `time_gran` above one second (EIO).
    TimeGran,
}

impl InitError {
    /// The errno the failed INIT reports.
    pub const fn errno(self) -> i32 {
        match self {
            Self::FlagsNotOffered(_) | Self::RsFlagsNotOffered(_) | Self::TimeGran => errno::EIO,
            _ => errno::EPROTO,
        }
    }
}

/// The newest famfs_rs protocol version this build speaks.
pub const PROTO_VERSION: u16 = FAMFS_RS_PROTO_VERSION as u16;
/// The oldest it still speaks.
pub const PROTO_MIN_VERSION: u16 = FAMFS_RS_PROTO_MIN_VERSION as u16;
/// The first version whose GET_DAXDEV replies may name a device by number.
pub const PROTO_DAXDEV_BY_NUMBER: u16 = 3;
/// The first version with the famfs_rs INIT flags word.
pub const PROTO_RS_FLAGS: u16 = 4;
/// Every famfs_rs INIT flag this build knows.
pub const RS_FLAGS_KNOWN: u32 = FAMFS_RS_INIT_LOOKUP_FMAP;

/// The famfs_rs flags the module offers with `offered`: all it knows, with
/// the famfs extension (each is about file maps), none without.
pub const fn rs_flags_offered(offered: u64) -> u32 {
    if offered & FUSE_DAX_FMAP != 0 {
        RS_FLAGS_KNOWN
    } else {
        0
    }
}

/// The protocol word of `version`.
pub const fn proto_word(version: u16) -> u32 {
    (FAMFS_RS_PROTO_TAG << 16) | version as u32
}

/// The version a peer's protocol word names.
fn version_of(word: u32) -> Result<u16, InitError> {
    if word >> 16 != FAMFS_RS_PROTO_TAG {
        return Err(InitError::NotFamfsRs);
    }
    Ok((word & 0xffff) as u16)
}

/// Daemon side: the version to speak with a module whose INIT carries
/// `kernel_word`, for a daemon that speaks up to `ours`: the older of the
/// two, if we still speak it.
pub fn agree_version(kernel_word: u32, ours: u16) -> Result<u16, InitError> {
    let theirs = version_of(kernel_word)?;
    let agreed = theirs.min(ours);
    if agreed < PROTO_MIN_VERSION {
        return Err(InitError::ProtoMismatch { ours, theirs });
    }
    Ok(agreed)
}

/// Module side: the version the daemon answered, which must be one we
/// speak (it cannot be newer than the one we offered).
fn answered_version(daemon_word: u32) -> Result<u16, InitError> {
    let theirs = version_of(daemon_word)?;
    if !(PROTO_MIN_VERSION..=PROTO_VERSION).contains(&theirs) {
        return Err(InitError::ProtoMismatch {
            ours: PROTO_VERSION,
            theirs,
        });
    }
    Ok(theirs)
}

fn combine(flags: u32, flags2: u32) -> u64 {
    let lo = u64::from(flags);
    if lo & FUSE_INIT_EXT as u64 != 0 {
        lo | (u64::from(flags2) << 32)
    } else {
        lo
    }
}

fn split(flags: u64) -> (u32, u32) {
    let flags = if flags >> 32 != 0 {
        flags | FUSE_INIT_EXT as u64
    } else {
        flags
    };
    ((flags & 0xffff_ffff) as u32, (flags >> 32) as u32)
}

/// The 64-bit INIT flags of a request (flags2 counts only with
/// FUSE_INIT_EXT).
pub fn request_flags(i: &fuse_init_in) -> u64 {
    combine(i.flags, i.flags2)
}

/// The 64-bit INIT flags of a reply (flags2 counts only with
/// FUSE_INIT_EXT).
pub fn reply_flags(o: &fuse_init_out) -> u64 {
    combine(o.flags, o.flags2)
}

/// The module's INIT request body offering `offered` (FUSE_INIT_EXT is
/// added when a flag above bit 31 is offered).
pub fn build_init_in(offered: u64, max_readahead: u32) -> fuse_init_in {
    let (flags, flags2) = split(offered);
    fuse_init_in {
        major: FUSE_KERNEL_VERSION,
        minor: FUSE_KERNEL_MINOR_VERSION,
        max_readahead,
        flags,
        flags2,
        unused: [0; 9],
        famfs_rs_flags: rs_flags_offered(offered),
        famfs_rs_proto: PROTO_WORD,
    }
}

/// Daemon side: checks the module's INIT request; returns the flags it
/// offers and the famfs_rs protocol version to speak (see
/// [`agree_version`]; `ours` is the newest the daemon speaks). Refuses a
/// peer that is not famfs_rs or speaks no version we speak.
pub fn check_init_request(i: &fuse_init_in, ours: u16) -> Result<(u64, u16), InitError> {
    if i.major != FUSE_KERNEL_VERSION {
        return Err(InitError::Major(i.major));
    }
    if i.minor < FAMFS_RS_MIN_MINOR {
        return Err(InitError::Minor(i.minor));
    }
    let version = agree_version(i.famfs_rs_proto, ours)?;
    Ok((request_flags(i), version))
}

/// What the daemon answers at INIT (daemon side input, module side result).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InitParams {
    /// FUSE minor version of the reply.
    pub minor: u32,
    /// Accepted INIT flags (64-bit).
    pub flags: u64,
    /// Largest readahead, bytes.
    pub max_readahead: u32,
    /// Background request limit.
    pub max_background: u16,
    /// Congestion threshold.
    pub congestion_threshold: u16,
    /// Largest write, bytes.
    pub max_write: u32,
    /// Timestamp granularity, nanoseconds (0 = 1).
    pub time_gran: u32,
    /// Largest request, pages.
    pub max_pages: u16,
    /// The famfs_rs protocol version both speak (0 in a reply to build:
    /// the newest).
    pub proto_version: u16,
    /// Accepted famfs_rs INIT flags (FAMFS_RS_INIT_*).
    pub rs_flags: u32,
}

impl InitParams {
    /// Whether famfs mode (FUSE_DAX_FMAP) was accepted.
    pub fn famfs(&self) -> bool {
        self.flags & FUSE_DAX_FMAP != 0
    }

    /// Whether GET_DAXDEV replies may name a device by number.
    pub fn daxdev_by_number(&self) -> bool {
        self.proto_version >= PROTO_DAXDEV_BY_NUMBER
    }

    /// Whether a LOOKUP reply may carry the file's map.
    pub fn lookup_fmap(&self) -> bool {
        self.famfs() && self.rs_flags & FAMFS_RS_INIT_LOOKUP_FMAP != 0
    }
}

/// Daemon side: the INIT reply body for `p` (major 7; minor from `p`, or
/// ours if 0; the protocol word of `p`'s version, or of ours if 0).
pub fn build_init_out(p: &InitParams) -> fuse_init_out {
    let (flags, flags2) = split(p.flags);
    fuse_init_out {
        major: FUSE_KERNEL_VERSION,
        minor: if p.minor == 0 {
            FUSE_KERNEL_MINOR_VERSION
        } else {
            p.minor
        },
        max_readahead: p.max_readahead,
        flags,
        max_background: p.max_background,
        congestion_threshold: p.congestion_threshold,
        max_write: p.max_write,
        time_gran: p.time_gran,
        max_pages: p.max_pages,
        map_alignment: 0,
        flags2,
        max_stack_depth: 0,
        unused: [0; 4],
        famfs_rs_flags: p.rs_flags,
        famfs_rs_proto: if p.proto_version == 0 {
            PROTO_WORD
        } else {
            proto_word(p.proto_version)
        },
    }
}

/// Module side: checks the daemon's INIT reply to a request that offered
/// `offered`.
pub fn check_init_reply(o: &fuse_init_out, offered: u64) -> Result<InitParams, InitError> {
    if o.major != FUSE_KERNEL_VERSION {
        return Err(InitError::Major(o.major));
    }
    if o.minor < FAMFS_RS_MIN_MINOR {
        return Err(InitError::Minor(o.minor));
    }
    let proto_version = answered_version(o.famfs_rs_proto)?;
    let flags = reply_flags(o);
    let extra = flags & !(offered | FUSE_INIT_EXT as u64);
    if extra != 0 {
        return Err(InitError::FlagsNotOffered(extra));
    }
    if o.time_gran > MAX_TIME_GRAN {
        return Err(InitError::TimeGran);
    }
    let rs_offered = if proto_version >= PROTO_RS_FLAGS && flags & FUSE_DAX_FMAP != 0 {
        rs_flags_offered(offered)
    } else {
        0
    };
    if o.famfs_rs_flags & !rs_offered != 0 {
        return Err(InitError::RsFlagsNotOffered(o.famfs_rs_flags & !rs_offered));
    }
    Ok(InitParams {
        minor: o.minor,
        flags,
        max_readahead: o.max_readahead,
        max_background: o.max_background,
        congestion_threshold: o.congestion_threshold,
        max_write: o.max_write,
        time_gran: o.time_gran,
        max_pages: o.max_pages,
        proto_version,
        rs_flags: o.famfs_rs_flags,
    })
}

#[cfg(test)]
mod tests {
    use super::super::abi::FUSE_ASYNC_READ;
    use super::*;

    #[test]
    fn negotiate() {
        let offered = FUSE_DAX_FMAP | FUSE_ASYNC_READ as u64;
        let i = build_init_in(offered, 0);
        assert_eq!(i.flags2, 1 << 11);
        assert_eq!(
            check_init_request(&i, PROTO_VERSION),
            Ok((offered | FUSE_INIT_EXT as u64, PROTO_VERSION))
        );
        let p = InitParams {
            flags: FUSE_DAX_FMAP,
            ..Default::default()
        };
        let o = build_init_out(&p);
        let got = check_init_reply(&o, offered).unwrap();
        assert!(got.famfs());
        assert_eq!(got.proto_version, PROTO_VERSION);
        assert!(got.daxdev_by_number());
        assert!(!got.lookup_fmap());
        assert_eq!(i.famfs_rs_flags, FAMFS_RS_INIT_LOOKUP_FMAP);
        let with_map = build_init_out(&InitParams {
            rs_flags: FAMFS_RS_INIT_LOOKUP_FMAP,
            ..p
        });
        assert!(check_init_reply(&with_map, offered).unwrap().lookup_fmap());
        // Not offered without the famfs extension; unknown bits; too old.
        assert_eq!(build_init_in(FUSE_ASYNC_READ as u64, 0).famfs_rs_flags, 0);
        let mut bad = with_map;
        bad.famfs_rs_flags = 1 << 5;
        assert_eq!(
            check_init_reply(&bad, offered),
            Err(InitError::RsFlagsNotOffered(1 << 5))
        );
        bad = with_map;
        bad.famfs_rs_proto = proto_word(PROTO_RS_FLAGS - 1);
        assert_eq!(
            check_init_reply(&bad, offered),
            Err(InitError::RsFlagsNotOffered(FAMFS_RS_INIT_LOOKUP_FMAP))
        );
        assert_eq!(
            check_init_reply(&o, FUSE_ASYNC_READ as u64),
            Err(InitError::FlagsNotOffered(FUSE_DAX_FMAP))
        );
    }

    #[test]
    fn versions() {
        let mut o = build_init_out(&InitParams::default());
        o.famfs_rs_proto = 0;
        assert_eq!(check_init_reply(&o, 0), Err(InitError::NotFamfsRs));
        o.famfs_rs_proto = PROTO_WORD + 1;
        assert_eq!(
            check_init_reply(&o, 0),
            Err(InitError::ProtoMismatch {
                ours: FAMFS_RS_PROTO_VERSION as u16,
                theirs: FAMFS_RS_PROTO_VERSION as u16 + 1
            })
        );
        assert_eq!(InitError::NotFamfsRs.errno(), errno::EPROTO);
        // An older daemon: both speak its version.
        o.famfs_rs_proto = proto_word(PROTO_MIN_VERSION);
        let old = check_init_reply(&o, 0).unwrap();
        assert_eq!(old.proto_version, PROTO_MIN_VERSION);
        assert!(!old.daxdev_by_number());
        o.famfs_rs_proto = proto_word(PROTO_MIN_VERSION - 1);
        assert!(matches!(
            check_init_reply(&o, 0),
            Err(InitError::ProtoMismatch { .. })
        ));
        // The daemon side: the older of the two, never below the minimum.
        assert_eq!(agree_version(PROTO_WORD, 2), Ok(2));
        assert_eq!(agree_version(proto_word(2), PROTO_VERSION), Ok(2));
        assert_eq!(
            agree_version(proto_word(9), PROTO_VERSION),
            Ok(PROTO_VERSION)
        );
        assert!(agree_version(proto_word(1), PROTO_VERSION).is_err());
        o.famfs_rs_proto = PROTO_WORD;
        o.minor = 35;
        assert_eq!(check_init_reply(&o, 0), Err(InitError::Minor(35)));
        o.minor = 41;
        o.major = 8;
        assert_eq!(check_init_reply(&o, 0), Err(InitError::Major(8)));
    }
}

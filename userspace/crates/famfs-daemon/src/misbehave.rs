// SPDX-License-Identifier: GPL-2.0
//! Test mode: deliberately malformed replies, to prove the kernel refuses
//! every kind of bad reply cleanly (issue 4's hostility test).
//!
//! With `--misbehave all` (or a comma-separated list of case names) the
//! daemon serves, in the root directory, one trigger name per armed case:
//! `bad-<case>`. The request the case is about (its [`Trigger`]) gets the
//! malformed reply instead of the real one; everything else about the
//! trigger node is well-formed (its LOOKUP reply has zero timeouts, so
//! every access repeats the request). Trigger files are one 2 MiB unit
//! (empty for `fmap-empty-with-extents`), read-only, mapped onto the
//! device's last 2 MiB unit (no real file's bytes: the kernel refuses a
//! map that shares bytes with another file's); the trigger for READDIR
//! cases is a directory.
//!
//! After a malformed reply the daemon always sends a follow-up for the
//! same unique, so no request can hang: an error reply with EREMOTEIO
//! (the kernel should answer it with ENOENT, having already failed the
//! request; if it does not, the caller sees "Remote I/O error" and the
//! daemon log says the kernel kept the request). For `unknown-unique` the
//! follow-up is the correct reply, and `duplicate` sends the correct reply
//! twice: those two cases end in success, as do the well-formed
//! `alias-dir` and `readdir-dots` (the kernel copes with them).
//!
//! READDIR cases misbehave on the first page (cookie 0) only; later pages
//! are empty, so a kernel that accepts the bad page still sees an end.
//!
//! INIT cases break the mount itself and are armed only by name, as is
//! `release-unanswered`: RELEASE and RELEASEDIR of every node are read and
//! never answered (the kernel must not wait for them, nor run out of
//! anything: closes go on working).
//!
//! The cases target famfs_rs.ko, which checks every reply with the shared
//! core. The kernel's own FUSE (`--plain-fuse`) is more lenient (it takes, for
//! example, dirents with ino 0), and a LOOKUP answering the root's nodeid
//! with a file's attributes makes it mark the root bad, failing every
//! later call on that mount.

use famfs_core::abi::{
    fuse_attr_out, fuse_dirent, fuse_entry_out, fuse_famfs_fmap_header, fuse_famfs_simple_ext,
    fuse_init_out, fuse_kstatfs, fuse_open_out, fuse_out_header, FOPEN_PASSTHROUGH,
    FUSE_FAMFS_DAXDEV_NAME_LEN, MAX_DAXDEVS, MAX_REPLY, OUT_HEADER_LEN, PROTO_WORD, ROOT_ID,
};
use famfs_core::attr::{S_IFDIR, S_IFMT, S_IFREG};
use famfs_core::codec::Field;
use famfs_core::daxdev::DAXDEV_REPLY_LEN;

/// The request a case corrupts the reply to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// LOOKUP of the trigger name.
    Lookup,
    /// LOOKUP of any name in the trigger directory.
    LookupIn,
    /// GETATTR of the trigger node.
    GetAttr,
    /// READDIR of the trigger directory.
    ReadDir,
    /// OPEN of the trigger file.
    Open,
    /// STATFS after a LOOKUP of the trigger name (or on its nodeid).
    Statfs,
    /// GET_FMAP of the trigger file.
    GetFmap,
    /// GET_DAXDEV of the device index the trigger file's (valid) map names.
    GetDaxdev,
    /// INIT (the mount fails).
    Init,
    /// RELEASE and RELEASEDIR of every node (armed by name only).
    Release,
}

/// What a test does to hit a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// `stat MNT/bad-<case>`.
    Stat,
    /// `stat MNT/bad-<case>/x`.
    StatIn,
    /// `ls MNT/bad-<case>`.
    Ls,
    /// `stat -f MNT/bad-<case>`.
    Statfs,
    /// `cat MNT/bad-<case>` (open, which fetches the map).
    Open,
    /// `stat MNT/bad-<case>` while the file is held open (its map cached).
    OpenStat,
    /// `famfs mount --misbehave <case> ...` itself.
    Mount,
    /// Many opens and closes, then ordinary use.
    OpenClose,
}

impl Action {
    /// Lower-case name for listings.
    pub fn name(self) -> &'static str {
        match self {
            Action::Stat => "stat",
            Action::StatIn => "statin",
            Action::Ls => "ls",
            Action::Statfs => "statfs",
            Action::Open => "open",
            Action::OpenStat => "openstat",
            Action::Mount => "mount",
            Action::OpenClose => "openclose",
        }
    }
}

/// The device index the GET_DAXDEV cases' trigger map names.
pub const TRIGGER_DEVINDEX: u32 = MAX_DAXDEVS - 1;
/// The errno of the follow-up reply after a malformed one.
pub const FOLLOW_UP_ERRNO: i32 = libc::EREMOTEIO;

/// One misbehaviour.
#[derive(Debug)]
pub struct Case {
    /// Name (the trigger is `bad-<name>`).
    pub name: &'static str,
    /// The request whose reply is corrupted.
    pub trigger: Trigger,
    /// What is sent instead.
    pub bad: Bad,
    /// One line for `--list-misbehave-cases --verbose`.
    pub about: &'static str,
}

impl Case {
    /// The trigger name in the root directory.
    pub fn trigger_name(&self) -> String {
        format!("bad-{}", self.name)
    }

    /// How a test hits the case.
    pub fn action(&self) -> Action {
        match self.trigger {
            Trigger::GetAttr if self.bad == Bad::SizeMoves => Action::OpenStat,
            Trigger::Lookup | Trigger::GetAttr => Action::Stat,
            Trigger::LookupIn => Action::StatIn,
            Trigger::ReadDir => Action::Ls,
            Trigger::Statfs => Action::Statfs,
            Trigger::Open | Trigger::GetFmap | Trigger::GetDaxdev => Action::Open,
            Trigger::Init => Action::Mount,
            Trigger::Release => Action::OpenClose,
        }
    }

    /// Whether the caller's operation ends in success (the case is about
    /// uniques: the real reply follows) rather than an error.
    pub fn succeeds(&self) -> bool {
        matches!(
            self.bad,
            Bad::UnknownUnique
                | Bad::Duplicate
                | Bad::Unanswered
                | Bad::AliasDir
                | Bad::ReaddirDots
        )
    }

    /// The size of the trigger file (a file of one allocation `unit`, or
    /// empty for the case about empty files).
    pub fn trigger_size(&self, unit: u64) -> u64 {
        if self.bad == Bad::FmapEmptyWithExtents {
            0
        } else {
            unit
        }
    }

    /// Whether the trigger node is a directory.
    pub fn is_dir(&self) -> bool {
        matches!(self.trigger, Trigger::ReadDir | Trigger::LookupIn)
    }

    /// Whether `--misbehave all` arms it (INIT and RELEASE cases need
    /// their name: they are about the whole mount, not one trigger node).
    pub fn runtime(&self) -> bool {
        !matches!(self.trigger, Trigger::Init | Trigger::Release)
    }
}

/// What is wrong with the reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bad {
    /// Only 8 bytes: less than an out header.
    HeaderShort,
    /// `len` 8 less than the bytes written.
    LenShort,
    /// `len` 8 more than the bytes written.
    LenLong,
    /// `error` positive.
    ErrnoPositive,
    /// `error` -512 (kernel-internal ERESTARTSYS).
    ErrnoTooNegative,
    /// `error` i32::MIN.
    ErrnoIntMin,
    /// An error with a body.
    ErrorWithBody,
    /// More than 16 + 32768 bytes.
    Oversized,
    /// A reply to a unique nobody waits for (then the real reply).
    UnknownUnique,
    /// The real reply, twice.
    Duplicate,
    /// The right body minus its last 8 bytes.
    BodyShort,
    /// The right body plus 8 bytes.
    BodyLong,
    /// LOOKUP: nodeid 0.
    NodeidZero,
    /// LOOKUP: the root's nodeid.
    NodeidRoot,
    /// Attributes: a symlink's mode.
    AttrType,
    /// Attributes: mode bits beyond 07777.
    AttrModeBits,
    /// Attributes: ino 0.
    AttrInoZero,
    /// Attributes: nlink 0.
    AttrNlinkZero,
    /// Attributes: a nanosecond field of 10^9.
    AttrNsec,
    /// Attributes: rdev set.
    AttrRdev,
    /// Attributes: blksize not a power of two.
    AttrBlksize,
    /// Attributes: size beyond i64::MAX.
    AttrSize,
    /// Attributes: FUSE_ATTR_SUBMOUNT.
    AttrFlags,
    /// GETATTR: a directory where LOOKUP said regular file.
    TypeChange,
    /// GETATTR: a size 2 MiB larger than the one the file's cached map
    /// has (well-formed; the file system refuses it).
    SizeMoves,
    /// READDIR: namelen 0xffff_fff0.
    DirentNamelenOverflow,
    /// READDIR: namelen 0.
    DirentNamelenZero,
    /// READDIR: '/' in a name.
    DirentSlash,
    /// READDIR: NUL in a name.
    DirentNul,
    /// READDIR: ino 0.
    DirentInoZero,
    /// READDIR: d_type DT_LNK.
    DirentType,
    /// READDIR: cookies going backwards.
    DirentOffset,
    /// READDIR: a record cut short.
    DirentTruncated,
    /// READDIR: non-zero padding after a name.
    DirentPadding,
    /// READDIR: more bytes than the request's size.
    DirentTooLong,
    /// OPEN: FOPEN_PASSTHROUGH.
    OpenPassthrough,
    /// OPEN: a backing id.
    OpenBackingId,
    /// STATFS: more free blocks than blocks.
    StatfsInconsistent,
    /// STATFS: bsize 0.
    StatfsBsizeZero,
    /// GET_FMAP: an extent at a 4 KiB offset.
    FmapMisaligned,
    /// GET_FMAP: extents smaller than the file size.
    FmapTooSmall,
    /// GET_FMAP: device index 24.
    FmapDevIndex,
    /// GET_FMAP: 0 extents.
    FmapNoExtents,
    /// GET_FMAP: bytes after the last extent.
    FmapTrailing,
    /// GET_FMAP: two extents on the same device bytes.
    FmapSelfOverlap,
    /// GET_FMAP: a well-formed map onto the log's first 2 MiB, which the
    /// mount's `.meta/.log` maps (refused as a regular file's map in the
    /// superblock and log area).
    FmapOverlapsLog,
    /// GET_DAXDEV: the reply names another index.
    DaxdevIndex,
    /// GET_DAXDEV: no NUL in the name.
    DaxdevUnterminated,
    /// GET_DAXDEV: an empty name.
    DaxdevNameEmpty,
    /// GET_DAXDEV: a well-formed name of a device famfs_rs does not hold
    /// (the module refuses it when it claims the device).
    DaxdevNotBound,
    /// GET_DAXDEV (protocol 3): the number of /dev/null, not a dax device
    /// (well-formed; the module finds no such device).
    DaxdevNumberNull,
    /// GET_DAXDEV (protocol 3): the number of [`SECOND_DEVICE`], a dax
    /// device this mount does not hold (well-formed; the module refuses it
    /// unless it is bound to famfs_rs and free).
    DaxdevNumberOther,
    /// GET_DAXDEV (protocol 3): a number with the dax devices' major and a
    /// minor no dax device has (the module must not make one up: on 7.x
    /// `dax_dev_get()` would).
    DaxdevNumberUnallocated,
    /// GET_DAXDEV (protocol 3): the number of [`SECOND_DEVICE`] under the
    /// name /dev/null (well-formed; the module refuses the disagreement).
    DaxdevNumberNameMismatch,
    /// INIT: another famfs_rs protocol version.
    InitProtoMismatch,
    /// INIT: no famfs_rs protocol word.
    InitNotFamfs,
    /// INIT: a flag the kernel did not offer.
    InitFlagsNotOffered,
    /// INIT: major 8.
    InitMajor,
    /// No reply at all (RELEASE, RELEASEDIR).
    Unanswered,
    /// GET_FMAP: a regular file's well-formed map onto the superblock
    /// (device 0, offset 0).
    FmapInSuperblock,
    /// GET_FMAP: a regular file's well-formed map onto the log's last
    /// 2 MiB (refused whatever is open).
    FmapInLog,
    /// GET_FMAP: an empty file's map with an extent.
    FmapEmptyWithExtents,
    /// GET_FMAP: a regular file whose map says "log" (outside the log).
    FmapSaysLog,
    /// GET_FMAP: a well-formed map onto the first 2 MiB after the log,
    /// where the first file of a new file system lives (refused while
    /// that file's map is cached).
    FmapOverlapsFile,
    /// LOOKUP: `.meta`'s entry (a directory under a second name; the
    /// kernel moves its dentry).
    AliasDir,
    /// LOOKUP in the trigger directory: the directory itself (a "."
    /// alias; the kernel refuses the loop).
    AliasDot,
    /// LOOKUP in the trigger directory: its parent, the root (a ".."
    /// alias).
    AliasDotdot,
    /// READDIR: "." and ".." with made-up inode numbers and types, "."
    /// twice (well-formed; the kernel reports its own).
    ReaddirDots,
    /// LOOKUP (FAMFS_RS_INIT_LOOKUP_FMAP on): the entry, then a map whose
    /// extent sits at a 4 KiB offset.
    LookupFmapBad,
    /// LOOKUP: the entry, then a well-formed map, on a mount where the
    /// daemon declined FAMFS_RS_INIT_LOOKUP_FMAP (the daemon declines it
    /// whenever this case is armed).
    LookupFmapUnasked,
}

macro_rules! cases {
    ($($name:literal $trig:ident $bad:ident $about:literal;)*) => {
        /// Every case, in listing order.
        pub static CASES: &[Case] = &[
            $(Case { name: $name, trigger: Trigger::$trig, bad: Bad::$bad, about: $about },)*
        ];
    };
}

cases! {
    "header-short" Lookup HeaderShort "LOOKUP reply of 8 bytes (shorter than an out header)";
    "len-short" Lookup LenShort "LOOKUP reply whose header len is 8 less than the bytes written";
    "len-long" Lookup LenLong "LOOKUP reply whose header len is 8 more than the bytes written";
    "errno-positive" Lookup ErrnoPositive "LOOKUP reply with error +5";
    "errno-too-negative" Lookup ErrnoTooNegative "LOOKUP reply with error -512 (ERESTARTSYS)";
    "errno-int-min" Lookup ErrnoIntMin "LOOKUP reply with error i32::MIN";
    "error-with-body" Lookup ErrorWithBody "LOOKUP error reply (-ENOENT) carrying an entry body";
    "oversized" Lookup Oversized "LOOKUP reply longer than 16 + 32768 bytes";
    "unknown-unique" Lookup UnknownUnique "LOOKUP reply to a unique never sent, then the real reply (succeeds)";
    "duplicate" Lookup Duplicate "the real LOOKUP reply sent twice (succeeds)";
    "lookup-short-body" Lookup BodyShort "LOOKUP entry body 8 bytes short";
    "lookup-long-body" Lookup BodyLong "LOOKUP entry body 8 bytes long";
    "lookup-nodeid-zero" Lookup NodeidZero "LOOKUP entry with nodeid 0";
    "lookup-root-nodeid" Lookup NodeidRoot "LOOKUP entry with the root's nodeid";
    "lookup-bad-type" Lookup AttrType "LOOKUP attributes of a symlink";
    "lookup-mode-bits" Lookup AttrModeBits "LOOKUP attributes with mode bits beyond 07777";
    "lookup-ino-zero" Lookup AttrInoZero "LOOKUP attributes with ino 0";
    "lookup-nlink-zero" Lookup AttrNlinkZero "LOOKUP attributes with nlink 0";
    "lookup-nsec" Lookup AttrNsec "LOOKUP attributes with mtimensec 10^9";
    "lookup-rdev" Lookup AttrRdev "LOOKUP attributes with rdev set";
    "lookup-blksize" Lookup AttrBlksize "LOOKUP attributes with blksize 3000";
    "lookup-size" Lookup AttrSize "LOOKUP attributes with size 2^64-1";
    "lookup-attr-flags" Lookup AttrFlags "LOOKUP attributes with FUSE_ATTR_SUBMOUNT";
    "getattr-short-body" GetAttr BodyShort "GETATTR body 8 bytes short";
    "getattr-long-body" GetAttr BodyLong "GETATTR body 8 bytes long";
    "getattr-type-change" GetAttr TypeChange "GETATTR says directory where LOOKUP said regular file";
    "getattr-bad-type" GetAttr AttrType "GETATTR attributes of a symlink";
    "getattr-nlink-zero" GetAttr AttrNlinkZero "GETATTR attributes with nlink 0";
    "getattr-size-moves" GetAttr SizeMoves "GETATTR changes the size of an open file whose map is cached";
    "readdir-namelen-overflow" ReadDir DirentNamelenOverflow "READDIR entry with namelen 0xfffffff0";
    "readdir-namelen-zero" ReadDir DirentNamelenZero "READDIR entry with namelen 0";
    "readdir-slash" ReadDir DirentSlash "READDIR entry named \"a/b\"";
    "readdir-nul" ReadDir DirentNul "READDIR entry with a NUL in its name";
    "readdir-ino-zero" ReadDir DirentInoZero "READDIR entry with ino 0";
    "readdir-bad-type" ReadDir DirentType "READDIR entry of type DT_LNK";
    "readdir-offset-backwards" ReadDir DirentOffset "READDIR cookies that go backwards";
    "readdir-truncated" ReadDir DirentTruncated "READDIR record cut 4 bytes short";
    "readdir-padding" ReadDir DirentPadding "READDIR record with non-zero padding";
    "readdir-too-long" ReadDir DirentTooLong "READDIR body larger than the size asked for";
    "open-passthrough" Open OpenPassthrough "OPEN reply with FOPEN_PASSTHROUGH";
    "open-backing-id" Open OpenBackingId "OPEN reply with a backing id";
    "open-short-body" Open BodyShort "OPEN body 8 bytes short";
    "statfs-short-body" Statfs BodyShort "STATFS body 8 bytes short";
    "statfs-inconsistent" Statfs StatfsInconsistent "STATFS with more free blocks than blocks";
    "statfs-bsize-zero" Statfs StatfsBsizeZero "STATFS with bsize 0";
    "fmap-misaligned" GetFmap FmapMisaligned "GET_FMAP extent at a 4 KiB offset";
    "fmap-too-small" GetFmap FmapTooSmall "GET_FMAP extents smaller than the file size";
    "fmap-devindex" GetFmap FmapDevIndex "GET_FMAP extent on device index 24";
    "fmap-no-extents" GetFmap FmapNoExtents "GET_FMAP with 0 extents";
    "fmap-trailing" GetFmap FmapTrailing "GET_FMAP with 8 bytes after the last extent";
    "fmap-self-overlap" GetFmap FmapSelfOverlap "GET_FMAP with two extents on the same device bytes";
    "fmap-overlaps-log" GetFmap FmapOverlapsLog "GET_FMAP of a regular file onto the log's first 2 MiB (well-formed)";
    "daxdev-index" GetDaxdev DaxdevIndex "GET_DAXDEV reply for another index than asked";
    "daxdev-unterminated" GetDaxdev DaxdevUnterminated "GET_DAXDEV name without NUL";
    "daxdev-name-empty" GetDaxdev DaxdevNameEmpty "GET_DAXDEV with an empty name";
    "daxdev-not-bound" GetDaxdev DaxdevNotBound "GET_DAXDEV naming a device famfs_rs does not hold (well-formed)";
    "daxdev-number-null" GetDaxdev DaxdevNumberNull "GET_DAXDEV naming /dev/null by its number (not a dax device)";
    "daxdev-number-other" GetDaxdev DaxdevNumberOther "GET_DAXDEV naming /dev/dax1.0 by its number (not this mount's device)";
    "daxdev-number-unallocated" GetDaxdev DaxdevNumberUnallocated "GET_DAXDEV with the dax major and a minor no dax device has";
    "daxdev-number-name-mismatch" GetDaxdev DaxdevNumberNameMismatch "GET_DAXDEV with /dev/dax1.0's number and the name /dev/null";
    "init-proto-mismatch" Init InitProtoMismatch "INIT reply with another famfs_rs protocol version (mount fails, EPROTO)";
    "init-not-famfs" Init InitNotFamfs "INIT reply without the famfs_rs protocol word (mount fails, EPROTO)";
    "init-flags-not-offered" Init InitFlagsNotOffered "INIT reply accepting a flag not offered (mount fails)";
    "init-major" Init InitMajor "INIT reply with FUSE major 8 (mount fails, EPROTO)";
    "release-unanswered" Release Unanswered "RELEASE and RELEASEDIR never answered (closes must not block)";
    "fmap-in-superblock" GetFmap FmapInSuperblock "GET_FMAP of a regular file onto the superblock (well-formed)";
    "fmap-in-log" GetFmap FmapInLog "GET_FMAP of a regular file onto the log's last 2 MiB (well-formed)";
    "fmap-empty-with-extents" GetFmap FmapEmptyWithExtents "GET_FMAP of an empty file with an extent";
    "fmap-regular-says-log" GetFmap FmapSaysLog "GET_FMAP of a regular file whose map says log";
    "fmap-overlaps-file" GetFmap FmapOverlapsFile "GET_FMAP onto the first file's 2 MiB (open that file first)";
    "alias-dir" Lookup AliasDir "LOOKUP answered with .meta's entry: one directory under two names (succeeds)";
    "alias-dot" LookupIn AliasDot "LOOKUP in a directory answered with the directory itself (ELOOP)";
    "alias-dotdot" LookupIn AliasDotdot "LOOKUP in a directory answered with its parent, the root";
    "readdir-dots" ReadDir ReaddirDots "READDIR \".\" and \"..\" with made-up inode numbers and types, \".\" twice (succeeds)";
    "lookup-fmap-bad" Lookup LookupFmapBad "LOOKUP reply carrying a map with an extent at a 4 KiB offset";
    "lookup-fmap-unasked" Lookup LookupFmapUnasked "LOOKUP reply carrying a map the daemon declined at INIT to send";
}

/// The case called `name`.
pub fn by_name(name: &str) -> Option<&'static Case> {
    CASES.iter().find(|c| c.name == name)
}

/// Parses `--misbehave`: `all` (every runtime case) or names separated
/// by commas.
pub fn parse_list(spec: &str) -> Result<Vec<&'static Case>, String> {
    if spec == "all" {
        return Ok(CASES.iter().filter(|c| c.runtime()).collect());
    }
    spec.split(',')
        .map(|n| {
            by_name(n.trim()).ok_or_else(|| {
                format!(
                    "unknown misbehave case {n:?} (famfs daemon --list-misbehave-cases lists them)"
                )
            })
        })
        .collect()
}

fn header(len: usize, error: i32, unique: u64) -> Vec<u8> {
    let mut v = vec![0u8; OUT_HEADER_LEN];
    let h = fuse_out_header {
        len: len as u32,
        error,
        unique,
    };
    // The buffer is exactly a header long.
    let _ = h.put(&mut v);
    v
}

fn with_body(unique: u64, body: &[u8]) -> Vec<u8> {
    let mut v = header(OUT_HEADER_LEN + body.len(), 0, unique);
    v.extend_from_slice(body);
    v
}

fn set_len(msg: &mut [u8], len: usize) {
    let _ = (len as u32).put(msg);
}

/// Patches the body of `good` (a correct reply) as struct `T`.
fn patch<T: Field>(good: &[u8], unique: u64, f: impl FnOnce(&mut T)) -> Vec<u8> {
    let body = good.get(OUT_HEADER_LEN..).unwrap_or(&[]);
    match T::get(body) {
        Some(mut v) => {
            f(&mut v);
            let mut b = vec![0u8; T::SIZE];
            let _ = v.put(&mut b);
            with_body(unique, &b)
        }
        // Not the expected body: an oversized reply is malformed anyway.
        None => oversized(unique),
    }
}

/// Patches the header of `good`, a GET_FMAP reply, keeping its extents.
fn patch_fmap_header(
    good: &[u8],
    unique: u64,
    f: impl FnOnce(&mut fuse_famfs_fmap_header),
) -> Vec<u8> {
    let body = good.get(OUT_HEADER_LEN..).unwrap_or(&[]);
    let Some(mut h) = fuse_famfs_fmap_header::get(body) else {
        return oversized(unique);
    };
    f(&mut h);
    let mut b = body.to_vec();
    let _ = h.put(&mut b);
    with_body(unique, &b)
}

fn oversized(unique: u64) -> Vec<u8> {
    with_body(unique, &vec![0u8; MAX_REPLY - OUT_HEADER_LEN + 8])
}

/// Attribute patches shared by LOOKUP and GETATTR.
fn patch_attr(bad: Bad, a: &mut famfs_core::abi::fuse_attr) {
    match bad {
        Bad::AttrType => a.mode = 0o120777,
        Bad::AttrModeBits => a.mode |= 0o1000000,
        Bad::AttrInoZero => a.ino = 0,
        Bad::AttrNlinkZero => a.nlink = 0,
        Bad::AttrNsec => a.mtimensec = 1_000_000_000,
        Bad::AttrRdev => a.rdev = 0x0801,
        Bad::AttrBlksize => a.blksize = 3000,
        Bad::AttrSize => a.size = u64::MAX,
        Bad::AttrFlags => a.flags = famfs_core::abi::FUSE_ATTR_SUBMOUNT,
        Bad::TypeChange => a.mode = (a.mode & !S_IFMT) | S_IFDIR,
        Bad::SizeMoves => a.size = a.size.saturating_add(2 << 20),
        _ => {}
    }
}

fn dirent(ino: u64, off: u64, namelen: u32, type_: u32, name: &[u8]) -> Vec<u8> {
    let mut v = vec![0u8; fuse_dirent::SIZE];
    let _ = fuse_dirent {
        ino,
        off,
        namelen,
        type_,
    }
    .put(&mut v);
    v.extend_from_slice(name);
    while v.len() % 8 != 0 {
        v.push(0);
    }
    v
}

fn bad_dirents(bad: Bad, size: u32) -> Vec<u8> {
    const REG: u32 = 8;
    match bad {
        Bad::DirentNamelenOverflow => dirent(5, 1, 0xffff_fff0, REG, b"abcd"),
        Bad::DirentNamelenZero => dirent(5, 1, 0, REG, b""),
        Bad::DirentSlash => dirent(5, 1, 3, REG, b"a/b"),
        Bad::DirentNul => dirent(5, 1, 3, REG, b"a\0b"),
        Bad::DirentInoZero => dirent(0, 1, 1, REG, b"a"),
        Bad::DirentType => dirent(5, 1, 1, 10, b"a"),
        Bad::DirentOffset => {
            let mut v = dirent(5, 5, 1, REG, b"a");
            v.extend(dirent(6, 3, 1, REG, b"b"));
            v
        }
        Bad::DirentTruncated => {
            let mut v = dirent(5, 1, 6, REG, b"abcdef");
            v.truncate(v.len() - 4);
            v
        }
        Bad::DirentPadding => {
            let mut v = dirent(5, 1, 1, REG, b"a");
            if let Some(last) = v.last_mut() {
                *last = 0x55;
            }
            v
        }
        Bad::ReaddirDots => {
            let mut v = dirent(4242, 1, 1, REG, b".");
            v.extend(dirent(4343, 2, 2, REG, b".."));
            v.extend(dirent(4242, 3, 1, 4, b"."));
            v.extend(dirent(5, 4, 1, REG, b"a"));
            v
        }
        Bad::DirentTooLong => {
            let mut v = Vec::new();
            let mut i = 0u64;
            while v.len() <= size as usize {
                i += 1;
                v.extend(dirent(5 + i, i, 1, REG, b"x"));
            }
            v
        }
        _ => Vec::new(),
    }
}

fn fmap_header(nextents: u32, file_size: u64) -> Vec<u8> {
    let mut v = vec![0u8; fuse_famfs_fmap_header::SIZE];
    let _ = fuse_famfs_fmap_header {
        file_type: 0,
        flags: 0,
        fmap_version: 1,
        ext_type: 0,
        nextents,
        reserved0: 0,
        file_size,
        reserved1: 0,
    }
    .put(&mut v);
    v
}

fn fmap_ext(devindex: u32, offset: u64, len: u64) -> Vec<u8> {
    let mut v = vec![0u8; fuse_famfs_simple_ext::SIZE];
    let _ = fuse_famfs_simple_ext {
        devindex,
        reserved: 0,
        offset,
        len,
    }
    .put(&mut v);
    v
}

fn bad_fmap(bad: Bad) -> Vec<u8> {
    const MB2: u64 = 2 << 20;
    let (size, extents) = match bad {
        Bad::FmapNoExtents => (MB2, vec![]),
        Bad::FmapTooSmall => (2 * MB2, vec![(0, 0, MB2)]),
        Bad::FmapMisaligned => (MB2, vec![(0, 4096, MB2)]),
        Bad::FmapDevIndex => (MB2, vec![(MAX_DAXDEVS, 0, MB2)]),
        Bad::FmapSelfOverlap => (MB2, vec![(0, MB2, MB2), (0, MB2, MB2)]),
        _ => (MB2, vec![(0, 0, MB2)]),
    };
    let mut v = fmap_header(extents.len() as u32, size);
    for (devindex, offset, len) in extents {
        v.extend(fmap_ext(devindex, offset, len));
    }
    if bad == Bad::FmapTrailing {
        v.extend([0u8; 8]);
    }
    v
}

/// The device `daxdev-not-bound` names: a dax device name no test guest
/// has.
pub const UNBOUND_DAX: &[u8] = b"/dev/dax9.9";

fn bad_daxdev(bad: Bad, index: u64) -> Vec<u8> {
    let mut v = vec![0u8; DAXDEV_REPLY_LEN];
    let idx = match bad {
        Bad::DaxdevIndex => index.wrapping_add(1) as u16,
        _ => index as u16,
    };
    let _ = idx.put(&mut v);
    let name_at = DAXDEV_REPLY_LEN - FUSE_FAMFS_DAXDEV_NAME_LEN as usize;
    match bad {
        Bad::DaxdevUnterminated => v[name_at..].fill(b'x'),
        Bad::DaxdevNameEmpty => {}
        Bad::DaxdevNotBound => v[name_at..name_at + UNBOUND_DAX.len()].copy_from_slice(UNBOUND_DAX),
        _ => v[name_at..name_at + 9].copy_from_slice(b"/dev/dax0"),
    }
    v
}

/// A dax device that is not the mount's: the test guest's second device.
pub const SECOND_DEVICE: &str = "/dev/dax1.0";

/// What the GET_DAXDEV trigger's (otherwise correct) reply names for a
/// case: the name and, from protocol 3, the number of a device.
pub fn daxdev_target(bad: Bad) -> (&'static str, Option<(u32, u32)>) {
    let second = || crate::devices::node_number(std::path::Path::new(SECOND_DEVICE));
    match bad {
        // mem:null, the same on every Linux system.
        Bad::DaxdevNumberNull => ("/dev/null", Some((1, 3))),
        Bad::DaxdevNumberOther => (SECOND_DEVICE, second()),
        Bad::DaxdevNumberNameMismatch => ("/dev/null", second()),
        Bad::DaxdevNumberUnallocated => ("/dev/dax9.9", second().map(|(major, _)| (major, 4000))),
        _ => ("/dev/null", None),
    }
}

/// The malformed message for `case`, answering `unique`, given the
/// correct reply `good` (needed by the cases that patch it) and, for
/// READDIR, the size asked for and, for GET_DAXDEV, the index.
pub fn malformed(case: &Case, unique: u64, good: &[u8], size: u32, index: u64) -> Vec<u8> {
    let b = case.bad;
    match b {
        Bad::HeaderShort => good.get(..8).unwrap_or(&[0u8; 8]).to_vec(),
        Bad::LenShort | Bad::LenLong => {
            let mut v = good.to_vec();
            let n = v.len();
            set_len(
                &mut v,
                if b == Bad::LenShort {
                    n.saturating_sub(8)
                } else {
                    n + 8
                },
            );
            v
        }
        Bad::ErrnoPositive => header(OUT_HEADER_LEN, 5, unique),
        Bad::ErrnoTooNegative => header(OUT_HEADER_LEN, -512, unique),
        Bad::ErrnoIntMin => header(OUT_HEADER_LEN, i32::MIN, unique),
        Bad::ErrorWithBody => {
            let mut v = good.to_vec();
            let _ = (-libc::ENOENT).put(v.get_mut(4..).unwrap_or(&mut []));
            v
        }
        Bad::Oversized => oversized(unique),
        Bad::UnknownUnique => {
            let mut v = good.to_vec();
            let _ = (unique ^ (1 << 40)).put(v.get_mut(8..).unwrap_or(&mut []));
            v
        }
        Bad::Duplicate => good.to_vec(),
        Bad::BodyShort | Bad::BodyLong => {
            let body = good.get(OUT_HEADER_LEN..).unwrap_or(&[]);
            let mut b2 = body.to_vec();
            if b == Bad::BodyShort {
                b2.truncate(body.len().saturating_sub(8));
            } else {
                b2.extend([0u8; 8]);
            }
            with_body(unique, &b2)
        }
        Bad::NodeidZero => patch(good, unique, |e: &mut fuse_entry_out| e.nodeid = 0),
        Bad::NodeidRoot => patch(good, unique, |e: &mut fuse_entry_out| e.nodeid = ROOT_ID),
        Bad::AttrType
        | Bad::AttrModeBits
        | Bad::AttrInoZero
        | Bad::AttrNlinkZero
        | Bad::AttrNsec
        | Bad::AttrRdev
        | Bad::AttrBlksize
        | Bad::AttrSize
        | Bad::AttrFlags
        | Bad::TypeChange
        | Bad::SizeMoves => match case.trigger {
            Trigger::Lookup => patch(good, unique, |e: &mut fuse_entry_out| {
                patch_attr(b, &mut e.attr)
            }),
            _ => patch(good, unique, |a: &mut fuse_attr_out| {
                patch_attr(b, &mut a.attr)
            }),
        },
        Bad::DirentNamelenOverflow
        | Bad::DirentNamelenZero
        | Bad::DirentSlash
        | Bad::DirentNul
        | Bad::DirentInoZero
        | Bad::DirentType
        | Bad::DirentOffset
        | Bad::DirentTruncated
        | Bad::DirentPadding
        | Bad::DirentTooLong
        | Bad::ReaddirDots => with_body(unique, &bad_dirents(b, size)),
        Bad::OpenPassthrough => patch(good, unique, |o: &mut fuse_open_out| {
            o.open_flags = FOPEN_PASSTHROUGH
        }),
        Bad::OpenBackingId => patch(good, unique, |o: &mut fuse_open_out| o.backing_id = 1),
        Bad::StatfsInconsistent => patch(good, unique, |s: &mut fuse_kstatfs| {
            s.bfree = s.blocks + 1;
            s.bavail = s.bfree;
        }),
        Bad::StatfsBsizeZero => patch(good, unique, |s: &mut fuse_kstatfs| s.bsize = 0),
        Bad::FmapMisaligned
        | Bad::FmapTooSmall
        | Bad::FmapDevIndex
        | Bad::FmapNoExtents
        | Bad::FmapTrailing
        | Bad::FmapSelfOverlap => with_body(unique, &bad_fmap(b)),
        // Well-formed: the server built them pointing at the log or the
        // superblock.
        Bad::FmapOverlapsLog | Bad::FmapInSuperblock | Bad::FmapInLog | Bad::FmapOverlapsFile => {
            good.to_vec()
        }
        Bad::FmapEmptyWithExtents => patch_fmap_header(good, unique, |h| h.file_size = 0),
        Bad::FmapSaysLog => patch_fmap_header(good, unique, |h| {
            h.file_type = famfs_core::abi::FamfsFileType::Log.raw()
        }),
        Bad::DaxdevIndex | Bad::DaxdevUnterminated | Bad::DaxdevNameEmpty | Bad::DaxdevNotBound => {
            with_body(unique, &bad_daxdev(b, index))
        }
        // Well-formed: the server built them naming the wrong device.
        Bad::DaxdevNumberNull
        | Bad::DaxdevNumberOther
        | Bad::DaxdevNumberNameMismatch
        | Bad::DaxdevNumberUnallocated => good.to_vec(),
        Bad::InitProtoMismatch => patch(good, unique, |o: &mut fuse_init_out| {
            o.famfs_rs_proto = PROTO_WORD + 1
        }),
        Bad::InitNotFamfs => patch(good, unique, |o: &mut fuse_init_out| o.famfs_rs_proto = 0),
        Bad::InitFlagsNotOffered => patch(good, unique, |o: &mut fuse_init_out| {
            o.flags |= famfs_core::abi::FUSE_INIT_EXT;
            o.flags2 |= 1 << 30;
        }),
        Bad::InitMajor => patch(good, unique, |o: &mut fuse_init_out| o.major = 8),
        // Nothing is sent (the server never calls this for it).
        Bad::Unanswered => Vec::new(),
        // Well-formed: the server built them naming a directory that
        // already has a name (`.meta`; the trigger directory itself).
        Bad::AliasDir | Bad::AliasDot => good.to_vec(),
        Bad::AliasDotdot => patch(good, unique, |e: &mut fuse_entry_out| {
            e.nodeid = ROOT_ID;
            e.attr.ino = ROOT_ID;
        }),
        Bad::LookupFmapBad | Bad::LookupFmapUnasked => lookup_with_fmap(b, unique, good),
    }
}

/// The regular-file mode bits of trigger files (read-only: they are
/// empty anyway).
pub const TRIGGER_FILE_MODE: u32 = S_IFREG | 0o444;

/// Whether an armed case needs the daemon to decline
/// FAMFS_RS_INIT_LOOKUP_FMAP at INIT.
pub fn declines_lookup_fmap(armed: &[&Case]) -> bool {
    armed.iter().any(|c| c.bad == Bad::LookupFmapUnasked)
}

/// The trigger's LOOKUP reply `good` with a map after the entry: a
/// misaligned one, or a well-formed one for a file of the entry's size
/// (0: one 2 MiB extent at device offset 0).
fn lookup_with_fmap(bad: Bad, unique: u64, good: &[u8]) -> Vec<u8> {
    let mut body = good.get(OUT_HEADER_LEN..).unwrap_or(&[]).to_vec();
    body.extend(bad_fmap(if bad == Bad::LookupFmapBad {
        Bad::FmapMisaligned
    } else {
        bad
    }));
    with_body(unique, &body)
}

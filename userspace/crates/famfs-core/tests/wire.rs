// SPDX-License-Identifier: GPL-2.0

//! Request/reply framing and the reply validation rules, one by one.

use famfs_core::abi::*;
use famfs_core::attr::{AttrError, FileKind, S_IFDIR, S_IFREG};
use famfs_core::codec::Field;
use famfs_core::errno;
use famfs_core::init::{build_init_in, build_init_out, InitError, InitParams};
use famfs_core::wire::*;

fn hdr(opcode: Opcode) -> RequestHeader {
    RequestHeader {
        opcode,
        unique: 42,
        nodeid: 9,
        uid: 1,
        gid: 2,
        pid: 3,
    }
}

fn attr(mode: u32) -> fuse_attr {
    fuse_attr {
        ino: 9,
        size: 1 << 21,
        blocks: 4096,
        atime: 0,
        mtime: 0,
        ctime: 0,
        atimensec: 0,
        mtimensec: 0,
        ctimensec: 0,
        mode,
        nlink: 1,
        uid: 0,
        gid: 0,
        rdev: 0,
        blksize: 4096,
        flags: 0,
    }
}

fn entry(nodeid: u64, a: fuse_attr) -> fuse_entry_out {
    fuse_entry_out {
        nodeid,
        generation: 1,
        entry_valid: u64::MAX,
        attr_valid: 1,
        entry_valid_nsec: u32::MAX,
        attr_valid_nsec: 0,
        attr: a,
    }
}

fn reply_of<B: Field>(body: &B) -> Vec<u8> {
    let mut buf = vec![0u8; 512];
    let n = encode_reply(&mut buf, 42, body).unwrap();
    buf.truncate(n);
    buf
}

fn check(p: Pending, msg: &[u8]) -> Result<ReplyBody<'_>, ReplyError> {
    check_reply(p, msg, MAX_REPLY)
}

#[test]
fn request_round_trips() {
    let mut buf = [0u8; 512];
    let n = encode_lookup(&mut buf, &hdr(Opcode::Lookup), b"file.bin").unwrap();
    assert_eq!(n, 40 + 9);
    let r = decode_request(&buf[..n]).unwrap();
    assert_eq!(r.header.unique, 42);
    assert!(matches!(r.op, Op::Lookup(b"file.bin")));
    assert_eq!(
        encode_lookup(&mut buf, &hdr(Opcode::Lookup), b"a/b"),
        Err(WireError::Name)
    );
    assert_eq!(
        encode_lookup(&mut buf, &hdr(Opcode::Lookup), b""),
        Err(WireError::Name)
    );
    assert_eq!(
        encode_lookup(&mut buf[..45], &hdr(Opcode::Lookup), b"abcdef"),
        Err(WireError::NoSpace)
    );

    let init = build_init_in(FUSE_DAX_FMAP, 0);
    let n = encode_request(&mut buf, &hdr(Opcode::Init), &init, &[]).unwrap();
    match decode_request(&buf[..n]).unwrap().op {
        Op::Init(i) => assert_eq!(i, init),
        o => panic!("{o:?}"),
    }

    let items = [
        fuse_forget_one {
            nodeid: 5,
            nlookup: 2,
        },
        fuse_forget_one {
            nodeid: 6,
            nlookup: 1,
        },
    ];
    let n = encode_batch_forget(&mut buf, &hdr(Opcode::BatchForget), &items).unwrap();
    assert_eq!(n, 40 + 8 + 32);
    match decode_request(&buf[..n]).unwrap().op {
        Op::BatchForget(l) => assert_eq!(l.iter().collect::<Vec<_>>(), items),
        o => panic!("{o:?}"),
    }

    let n = encode_get_daxdev(&mut buf, 7, 3).unwrap();
    assert!(matches!(
        decode_request(&buf[..n]).unwrap().op,
        Op::GetDaxdev(3)
    ));
    assert_eq!(encode_get_daxdev(&mut buf, 7, 24), Err(WireError::DevIndex));

    let rd = fuse_read_in {
        fh: 1,
        offset: 2,
        size: 4096,
        read_flags: 0,
        lock_owner: 0,
        flags: 0,
        padding: 0,
    };
    let n = encode_request(&mut buf, &hdr(Opcode::ReadDir), &rd, &[]).unwrap();
    assert!(matches!(decode_request(&buf[..n]).unwrap().op, Op::ReadDir(r) if r == rd));
}

#[test]
fn request_decode_rules() {
    let mut buf = [0u8; 512];
    let n = encode_request(&mut buf, &hdr(Opcode::GetFmap), &(), &[]).unwrap();
    assert_eq!(
        decode_request(&buf[..n - 1]).unwrap_err(),
        WireError::Truncated
    );
    assert_eq!(
        decode_request(&buf[..n + 1]).unwrap_err(),
        WireError::Length
    );
    // An old kernel's 16-byte INIT body is zero-extended.
    let init = build_init_in(0, 0);
    let n = encode_request(&mut buf, &hdr(Opcode::Init), &init, &[]).unwrap();
    let short = 40 + 16;
    buf[..4].copy_from_slice(&(short as u32).to_ne_bytes());
    match decode_request(&buf[..short]).unwrap().op {
        Op::Init(i) => assert_eq!((i.major, i.flags2, i.famfs_rs_proto), (7, 0, 0)),
        o => panic!("{o:?}"),
    }
    let _ = n;
    // Extensions (total_extlen, 8-byte units) are stripped from the body.
    let n = encode_request(
        &mut buf,
        &hdr(Opcode::GetAttr),
        &fuse_getattr_in {
            getattr_flags: 0,
            dummy: 0,
            fh: 5,
        },
        &[0; 8],
    )
    .unwrap();
    buf[36..38].copy_from_slice(&1u16.to_ne_bytes());
    assert!(matches!(decode_request(&buf[..n]).unwrap().op, Op::GetAttr(g) if g.fh == 5));
    buf[36..38].copy_from_slice(&9u16.to_ne_bytes());
    assert_eq!(decode_request(&buf[..n]).unwrap_err(), WireError::Truncated);
    // Unknown opcodes come back raw; short fixed bodies are refused.
    buf[4..8].copy_from_slice(&4u32.to_ne_bytes());
    buf[36..38].copy_from_slice(&0u16.to_ne_bytes());
    assert!(matches!(decode_request(&buf[..n]).unwrap().op, Op::Other(4, b) if b.len() == 24));
    let n = encode_request(&mut buf, &hdr(Opcode::Open), &(), &[0; 4]).unwrap();
    assert_eq!(decode_request(&buf[..n]).unwrap_err(), WireError::Truncated);
    // LOOKUP names must be NUL-terminated and valid.
    let n = encode_request(&mut buf, &hdr(Opcode::Lookup), &(), b"abc").unwrap();
    assert_eq!(decode_request(&buf[..n]).unwrap_err(), WireError::Name);
}

#[test]
fn reply_header_rules() {
    let ok = reply_of(&());
    assert!(matches!(check(Pending::Release, &ok), Ok(ReplyBody::Empty)));
    assert_eq!(
        check(Pending::Release, &ok[..15]).unwrap_err(),
        ReplyError::ShortHeader
    );
    let mut long = ok.clone();
    long.push(0);
    assert_eq!(
        check(Pending::Release, &long).unwrap_err(),
        ReplyError::Length
    );
    assert_eq!(
        check_reply(Pending::Release, &ok, 15).unwrap_err(),
        ReplyError::TooLong
    );

    let mut buf = [0u8; 32];
    let n = encode_error(&mut buf, 42, 2).unwrap();
    let e = check(Pending::Lookup, &buf[..n]).unwrap_err();
    assert_eq!(e, ReplyError::Daemon(2));
    assert_eq!(e.errno(), 2);
    assert!(!e.is_malformed());
    assert_eq!(encode_error(&mut buf, 1, 0), Err(WireError::Errno));
    assert_eq!(encode_error(&mut buf, 1, 512), Err(WireError::Errno));

    for bad in [1i32, -512, -4095, i32::MIN] {
        buf[4..8].copy_from_slice(&bad.to_ne_bytes());
        let e = check(Pending::Lookup, &buf[..16]).unwrap_err();
        assert_eq!(e, ReplyError::Errno(bad));
        assert_eq!(e.errno(), errno::EINVAL);
    }
    let mut with_body = reply_of(&7u64);
    with_body[4..8].copy_from_slice(&(-5i32).to_ne_bytes());
    assert_eq!(
        check(Pending::GetAttr, &with_body).unwrap_err(),
        ReplyError::ErrorWithBody
    );
}

#[test]
fn fixed_size_bodies() {
    let e = reply_of(&entry(5, attr(S_IFREG | 0o644)));
    match check(Pending::Lookup, &e).unwrap() {
        ReplyBody::Entry(r) => {
            assert_eq!(r.kind, FileKind::Regular);
            assert_eq!(r.entry_timeout.as_nanos(), u64::MAX);
        }
        o => panic!("{o:?}"),
    }
    // The same bytes are the wrong size for every other fixed reply.
    for p in [
        Pending::GetAttr,
        Pending::Open,
        Pending::Statfs,
        Pending::Release,
        Pending::GetDaxdev {
            index: 0,
            with_dev: false,
        },
    ] {
        assert!(
            matches!(
                check(p, &e).unwrap_err(),
                ReplyError::BodySize { got: 128, .. } | ReplyError::Daxdev(_)
            ),
            "{p:?}"
        );
    }
    let mut short = e.clone();
    short.truncate(16 + 120);
    short[..4].copy_from_slice(&136u32.to_ne_bytes());
    assert_eq!(
        check(Pending::Lookup, &short).unwrap_err(),
        ReplyError::BodySize {
            opcode: Opcode::Lookup,
            got: 120
        }
    );

    assert_eq!(
        check(Pending::Lookup, &reply_of(&entry(0, attr(S_IFREG)))).unwrap_err(),
        ReplyError::ZeroNodeId
    );
    assert_eq!(
        check(Pending::Lookup, &reply_of(&entry(1, attr(S_IFDIR)))).unwrap_err(),
        ReplyError::RootNodeId
    );
    assert_eq!(
        check(Pending::Lookup, &reply_of(&entry(5, attr(0o120777)))).unwrap_err(),
        ReplyError::Attr(AttrError::FileType)
    );

    let ao = fuse_attr_out {
        attr_valid: 3,
        attr_valid_nsec: 5,
        dummy: 0,
        attr: attr(S_IFDIR | 0o755),
    };
    assert!(
        matches!(check(Pending::GetAttr, &reply_of(&ao)).unwrap(), ReplyBody::Attr(a) if a.kind == FileKind::Directory)
    );

    let open = |flags, backing_id| {
        reply_of(&fuse_open_out {
            fh: 1,
            open_flags: flags,
            backing_id,
        })
    };
    assert!(check(Pending::Open, &open(FOPEN_KEEP_CACHE, 0)).is_ok());
    assert_eq!(
        check(Pending::OpenDir, &open(FOPEN_PASSTHROUGH, 0)).unwrap_err(),
        ReplyError::OpenFlags
    );
    assert_eq!(
        check(Pending::Open, &open(1 << 8, 0)).unwrap_err(),
        ReplyError::OpenFlags
    );
    assert_eq!(
        check(Pending::Open, &open(0, 3)).unwrap_err(),
        ReplyError::OpenFlags
    );

    let st = |blocks, bfree, bsize| fuse_statfs_out {
        st: fuse_kstatfs {
            blocks,
            bfree,
            bavail: bfree,
            files: 10,
            ffree: 3,
            bsize,
            namelen: 255,
            frsize: bsize,
            padding: 0,
            spare: [0; 6],
        },
    };
    assert!(check(Pending::Statfs, &reply_of(&st(100, 50, 4096))).is_ok());
    assert_eq!(
        check(Pending::Statfs, &reply_of(&st(100, 101, 4096))).unwrap_err(),
        ReplyError::Statfs
    );
    assert_eq!(
        check(Pending::Statfs, &reply_of(&st(100, 1, 3000))).unwrap_err(),
        ReplyError::Statfs
    );

    assert_eq!(
        check(Pending::Destroy, &reply_of(&0u32)).unwrap_err(),
        ReplyError::BodySize {
            opcode: Opcode::Destroy,
            got: 4
        }
    );
    assert!(
        matches!(check(Pending::Read { size: 8 }, &reply_of(&0u64)).unwrap(), ReplyBody::Data(d) if d.len() == 8)
    );
    assert!(check(Pending::Read { size: 7 }, &reply_of(&0u64)).is_err());
}

#[test]
fn init_reply() {
    let o = build_init_out(&InitParams {
        flags: FUSE_DAX_FMAP,
        ..Default::default()
    });
    match check(
        Pending::Init {
            offered: FUSE_DAX_FMAP,
        },
        &reply_of(&o),
    )
    .unwrap()
    {
        ReplyBody::Init(p) => assert!(p.famfs()),
        x => panic!("{x:?}"),
    }
    let mut other = o;
    other.famfs_rs_proto = FAMFS_RS_PROTO_WORD + 1;
    let e = check(
        Pending::Init {
            offered: FUSE_DAX_FMAP,
        },
        &reply_of(&other),
    )
    .unwrap_err();
    assert_eq!(
        e,
        ReplyError::Init(InitError::ProtoMismatch {
            ours: FAMFS_RS_PROTO_VERSION as u16,
            theirs: FAMFS_RS_PROTO_VERSION as u16 + 1
        })
    );
    assert_eq!(e.errno(), errno::EPROTO);
}

#[test]
fn readdir_bounds() {
    let mut buf = vec![0u8; 16 + 64];
    let mut w = famfs_core::dirent::DirentWriter::new(reply_body_mut(&mut buf).unwrap());
    w.push(3, 10, FileKind::Regular, b"x").unwrap();
    w.push(4, 11, FileKind::Directory, b"d").unwrap();
    let n = w.len();
    let len = finish_reply(&mut buf, 42, n).unwrap();
    let msg = &buf[..len];
    assert!(
        matches!(check(Pending::ReadDir { size: 64, offset: 0 }, msg).unwrap(), ReplyBody::Dirents(d) if d.iter().count() == 2)
    );
    assert!(check(
        Pending::ReadDir {
            size: 63,
            offset: 0
        },
        msg
    )
    .is_err());
    assert!(matches!(
        check(
            Pending::ReadDir {
                size: 64,
                offset: 10
            },
            msg
        )
        .unwrap_err(),
        ReplyError::Dirent(_)
    ));
}

// SPDX-License-Identifier: GPL-2.0
//! Every misbehave case must produce a message the kernel refuses (so the
//! list cannot hold a harmless case), followed by something that lets the
//! waiting request finish (so nothing hangs).

mod common;

use common::*;
use famfs_core::abi::FamfsFileType;
use famfs_core::abi::{fuse_attr_out, fuse_release_in, Opcode, MAX_REPLY, ROOT_ID};
use famfs_core::attr::FileKind;
use famfs_core::codec::Field;
use famfs_core::fmap::{FmapError, FmapRef};
use famfs_core::meta_area::MetaArea;
use famfs_core::wire::{check_reply, parse_reply_header, Pending, ReplyBody};
use famfs_daemon::misbehave::{
    by_name, parse_list, Action, Bad, Case, Trigger, CASES, FOLLOW_UP_ERRNO, TRIGGER_DEVINDEX,
    UNBOUND_DAX,
};
use famfs_daemon::server::Config;
use famfs_daemon::testchan::Rejection;

fn armed(cases: Vec<&'static Case>) -> Config {
    Config {
        misbehave: cases,
        ..Config::default()
    }
}

/// Drives `case` up to its triggering request; returns that exchange and
/// the Pending it answers.
fn trigger(fs: &Fs, case: &'static Case) -> (Exchange, Pending) {
    if case.trigger == Trigger::Init {
        let mut h = Harness::new(fs.server(armed(vec![case])));
        return (h.init(OFFERED), Pending::Init { offered: OFFERED });
    }
    let mut h = Harness::famfs(fs, armed(parse_list("all").unwrap()));
    let name = case.trigger_name();
    if case.trigger == Trigger::Lookup {
        return (h.lookup(ROOT_ID, &name), Pending::Lookup);
    }
    let e = h.lookup(ROOT_ID, &name);
    let node = entry(&e).nodeid;
    assert_eq!(entry(&e).entry_valid, 0, "trigger entries are not cached");
    match case.trigger {
        Trigger::GetAttr => (h.getattr(node), Pending::GetAttr),
        Trigger::ReadDir => {
            assert_eq!(h.open(node, 0, true).errno(), 0);
            (
                h.readdir(node, 0, 4096),
                Pending::ReadDir {
                    size: 4096,
                    offset: 0,
                },
            )
        }
        Trigger::Open => (h.open(node, 0, false), Pending::Open),
        Trigger::Statfs => (h.statfs(ROOT_ID), Pending::Statfs),
        Trigger::GetFmap => (h.get_fmap(node), Pending::GetFmap),
        Trigger::GetDaxdev => {
            let f = h.get_fmap(node);
            let body = f.body().to_vec();
            let map = FmapRef::parse(&body).unwrap();
            assert_eq!(map.file_size(), 2 << 20);
            assert_eq!(map.devices().collect::<Vec<_>>(), [TRIGGER_DEVINDEX]);
            let index = u64::from(TRIGGER_DEVINDEX);
            (
                h.get_daxdev(index),
                Pending::GetDaxdev {
                    index,
                    with_dev: true,
                },
            )
        }
        Trigger::LookupIn => (h.lookup(node, "x"), Pending::Lookup),
        Trigger::Lookup | Trigger::Init | Trigger::Release => unreachable!(),
    }
}

/// The primary device's last 2 MiB unit, where trigger files live.
fn last_unit(fs: &Fs) -> u64 {
    (fs.whole.len() / (2 << 20) - 1) * (2 << 20)
}

#[test]
fn every_case_is_refused_and_nothing_hangs() {
    let fs = Fs::new();
    // release-unanswered sends nothing at all: its own test below.
    for case in CASES.iter().filter(|c| c.bad != Bad::Unanswered) {
        let (x, pending) = trigger(&fs, case);
        assert_eq!(x.verdicts.len(), 2, "{}: two messages", case.name);
        let (first, second) = (&x.verdicts[0], &x.verdicts[1]);
        match case.bad {
            Bad::UnknownUnique => {
                assert_eq!(first.result, Err(Rejection::NoSuchRequest), "{}", case.name);
                assert_ne!(first.unique, Some(x.unique));
                assert_eq!(second.result, Ok(()), "{}: the real reply", case.name);
            }
            Bad::Duplicate => {
                assert_eq!(first.result, Ok(()));
                assert_eq!(first.bytes, second.bytes);
                assert_eq!(
                    second.result,
                    Err(Rejection::NoSuchRequest),
                    "{}",
                    case.name
                );
            }
            Bad::TypeChange => {
                // Well-formed on its own; the module refuses the changed
                // kind (LOOKUP said regular file).
                match check_reply(pending, &first.bytes, MAX_REPLY).unwrap() {
                    ReplyBody::Attr(a) => assert_eq!(a.kind, FileKind::Directory),
                    other => panic!("{other:?}"),
                }
                let a = fuse_attr_out::get(&first.bytes[16..]).unwrap();
                assert_eq!(a.attr.mode & 0o170000, 0o040000);
            }
            Bad::SizeMoves => {
                // Well-formed; the module refuses a size that differs from
                // the cached map's (the trigger file maps 2 MiB).
                match check_reply(pending, &first.bytes, MAX_REPLY).unwrap() {
                    ReplyBody::Attr(a) => assert_eq!(a.raw.attr.size, 4 << 20),
                    other => panic!("{other:?}"),
                }
            }
            Bad::DaxdevNumberNull
            | Bad::DaxdevNumberOther
            | Bad::DaxdevNumberNameMismatch
            | Bad::DaxdevNumberUnallocated => {
                // Well-formed; the module refuses the device it names.
                match check_reply(pending, &first.bytes, MAX_REPLY).unwrap() {
                    ReplyBody::Daxdev(d) => {
                        let want = famfs_daemon::misbehave::daxdev_target(case.bad);
                        assert_eq!((d.name, d.dev), (want.0.as_bytes(), want.1));
                    }
                    other => panic!("{other:?}"),
                }
            }
            Bad::FmapOverlapsLog | Bad::FmapInSuperblock | Bad::FmapInLog | Bad::FmapSaysLog => {
                // Well-formed; the module refuses it against the
                // superblock and log area (a regular file's map).
                let log_len = fs.fs.superblock().log_len();
                let (offset, why) = match case.bad {
                    Bad::FmapOverlapsLog => (2 << 20, FmapError::InMetaArea),
                    Bad::FmapInSuperblock => (0, FmapError::InMetaArea),
                    Bad::FmapInLog => (log_len, FmapError::InMetaArea),
                    _ => (last_unit(&fs), FmapError::WrongFileType),
                };
                match check_reply(pending, &first.bytes, MAX_REPLY).unwrap() {
                    ReplyBody::Fmap(f) => {
                        let p: Vec<_> = f.pieces().collect();
                        assert_eq!((p.len(), p[0].devindex, p[0].offset), (1, 0, offset));
                        let area = MetaArea::from_log_len(log_len).unwrap();
                        assert_eq!(area.check(&f, FamfsFileType::Regular), Err(why));
                    }
                    other => panic!("{other:?}"),
                }
            }
            Bad::FmapOverlapsFile => {
                // Well-formed and outside the superblock and log area;
                // the module refuses the bytes another file maps.
                let end = (2 << 20) + fs.fs.superblock().log_len();
                match check_reply(pending, &first.bytes, MAX_REPLY).unwrap() {
                    ReplyBody::Fmap(f) => {
                        let p: Vec<_> = f.pieces().collect();
                        assert_eq!((p.len(), p[0].devindex, p[0].offset), (1, 0, end));
                        let area = MetaArea::from_log_len(end - (2 << 20)).unwrap();
                        assert_eq!(area.check(&f, FamfsFileType::Regular), Ok(()));
                    }
                    other => panic!("{other:?}"),
                }
            }
            Bad::AliasDir | Bad::AliasDot => {
                // Well-formed: a directory that has a name already
                // (`.meta`; the trigger directory itself). The module
                // moves the dentry, or refuses the loop.
                let want = if case.bad == Bad::AliasDir {
                    famfs_daemon::nodes::META_DIR_ID
                } else {
                    famfs_daemon::nodes::trigger_id(case)
                };
                match check_reply(pending, &first.bytes, MAX_REPLY).unwrap() {
                    ReplyBody::Entry(e) => {
                        assert_eq!((e.raw.nodeid, e.kind), (want, FileKind::Directory))
                    }
                    other => panic!("{other:?}"),
                }
            }
            Bad::ReaddirDots => {
                // Well-formed; the module reports its own "." and "..".
                match check_reply(pending, &first.bytes, MAX_REPLY).unwrap() {
                    ReplyBody::Dirents(d) => {
                        let dots = d.iter().filter(|e| e.is_dot_or_dotdot()).count();
                        assert_eq!((dots, d.iter().count()), (3, 4));
                    }
                    other => panic!("{other:?}"),
                }
            }
            Bad::DaxdevNotBound => {
                // Well-formed; the module refuses it when it finds no
                // such device among those it holds.
                match check_reply(pending, &first.bytes, MAX_REPLY).unwrap() {
                    ReplyBody::Daxdev(d) => assert_eq!(d.name, UNBOUND_DAX),
                    other => panic!("{other:?}"),
                }
            }
            _ => {
                let e = check_reply(pending, &first.bytes, MAX_REPLY)
                    .expect_err(&format!("{}: the kernel would accept this", case.name));
                assert!(e.is_malformed(), "{}: {e:?}", case.name);
                assert!(
                    matches!(first.result, Err(Rejection::Malformed(_))),
                    "{}",
                    case.name
                );
            }
        }
        if !case.succeeds() {
            // The follow-up: a well-formed error for the same unique.
            let (h, body) = parse_reply_header(&second.bytes, MAX_REPLY).unwrap();
            assert_eq!(
                (h.unique, h.errno, body.len()),
                (x.unique, FOLLOW_UP_ERRNO, 0)
            );
            let expect = if case.bad == Bad::HeaderShort {
                // Too short to name a unique: the request still waits.
                Ok(())
            } else {
                Err(Rejection::NoSuchRequest)
            };
            assert_eq!(second.result, expect, "{}", case.name);
        }
    }
}

#[test]
fn the_case_list_is_complete_and_named() {
    assert!(CASES.len() >= 50, "{} cases", CASES.len());
    let mut names: Vec<_> = CASES.iter().map(|c| c.name).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), CASES.len(), "duplicate names");
    for c in CASES {
        assert!(c
            .name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
        assert_eq!(by_name(c.name).map(|x| x.name), Some(c.name));
        assert_eq!(
            matches!(c.action(), Action::Mount | Action::OpenClose),
            !c.runtime()
        );
    }
    let all = parse_list("all").unwrap();
    assert_eq!(all.len(), CASES.iter().filter(|c| c.runtime()).count());
    assert!(parse_list("len-short,duplicate").unwrap().len() == 2);
    assert!(parse_list("nope").is_err());
}

#[test]
fn trigger_names_are_listed_only_when_armed() {
    let fs = Fs::new();
    let mut h = Harness::famfs(&fs, Config::default());
    assert_eq!(h.lookup(ROOT_ID, "bad-len-short").errno(), libc::ENOENT);
    let mut h = Harness::famfs(&fs, armed(vec![by_name("readdir-slash").unwrap()]));
    let x = h.readdir(ROOT_ID, 0, 4096);
    let d = famfs_core::dirent::Dirents::parse(x.body(), 0).unwrap();
    let names: Vec<_> = d.iter().map(|e| e.name.to_vec()).collect();
    assert!(names.contains(&b"bad-readdir-slash".to_vec()));
    assert_eq!(h.lookup(ROOT_ID, "bad-len-short").errno(), libc::ENOENT);
    // Everything else keeps working after a misbehaving exchange.
    let node = entry(&h.lookup(ROOT_ID, "bad-readdir-slash")).nodeid;
    let _ = h.readdir(node, 0, 4096);
    assert_eq!(entry(&h.lookup(ROOT_ID, "a")).attr.size, 3 << 20);
    assert_eq!(h.chan.outstanding(), 0);
}

#[test]
fn release_unanswered_reads_releases_and_sends_nothing() {
    let fs = Fs::new();
    let r = fuse_release_in {
        fh: 0,
        flags: 0,
        release_flags: 0,
        lock_owner: 0,
    };
    let case = by_name("release-unanswered").unwrap();
    assert!(!case.runtime() && case.succeeds());
    assert!(!parse_list("all")
        .unwrap()
        .iter()
        .any(|c| c.name == case.name));
    let mut h = Harness::famfs(&fs, armed(vec![case]));
    for op in [Opcode::Release, Opcode::ReleaseDir] {
        let x = h.request(op, ROOT_ID, &r, None);
        assert!(x.outs.is_empty(), "{op:?} answered");
    }
    // Everything else is still answered.
    assert_eq!(h.getattr(ROOT_ID).errno(), 0);
    // Unarmed, RELEASEDIR is answered.
    let mut h = Harness::famfs(&fs, armed(Vec::new()));
    let x = h.request(Opcode::ReleaseDir, ROOT_ID, &r, Some(Pending::ReleaseDir));
    assert_eq!((x.outs.len(), x.errno()), (1, 0));
}

// SPDX-License-Identifier: GPL-2.0

//! The kernel module includes the core's files as a nested module, not as a
//! crate (`#[path = "core/src"] mod famfs_core { pub mod abi; ... }`) and
//! never sees lib.rs. Compile them the same way here, so a `crate::` path
//! or a dependency on lib.rs breaks this test rather than the kernel build.

#[path = "../../../../module/core/src"]
#[allow(dead_code)]
mod famfs_core {
    pub mod abi;
    pub mod attr;
    pub mod codec;
    pub mod daxdev;
    pub mod dirent;
    pub mod errno;
    pub mod fmap;
    pub mod init;
    pub mod wire;
}

#[test]
fn nested_core_works() {
    use famfs_core::abi::{FamfsFileType, MAX_REPLY};
    use famfs_core::fmap::{encode_simple, SimpleExt};
    let mut buf = [0u8; 128];
    let body = famfs_core::wire::reply_body_mut(&mut buf).unwrap();
    let ext = SimpleExt {
        devindex: 0,
        offset: 0,
        len: 2 << 20,
    };
    let n = encode_simple(body, FamfsFileType::Regular, 1, &[ext]).unwrap();
    let len = famfs_core::wire::finish_reply(&mut buf, 1, n).unwrap();
    let r =
        famfs_core::wire::check_reply(famfs_core::wire::Pending::GetFmap, &buf[..len], MAX_REPLY);
    assert!(matches!(r, Ok(famfs_core::wire::ReplyBody::Fmap(_))));
}

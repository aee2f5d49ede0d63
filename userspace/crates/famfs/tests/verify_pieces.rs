// SPDX-License-Identifier: GPL-2.0
//! `famfs verify` checks a large file in pieces at once (the stream jumps
//! to each piece): a difference anywhere is found, at its exact offset,
//! and the first one is the one reported.

mod common;

use std::os::unix::fs::FileExt;

const MASTER: &str = "11111111-2222-3333-4444-555555555555";
/// The first file of a fresh image starts here (after superblock and log).
const DATA: u64 = 0xa0_0000;
const SIZE: u64 = 64 << 20;

fn famfs(args: &[&str]) -> (Option<i32>, String) {
    let o = common::run_as(MASTER, args);
    (o.status.code(), common::text(&o))
}

#[test]
fn differences_are_found_in_every_piece() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("fs.img");
    let img_s = img.to_str().unwrap();
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&img)
        .unwrap();
    f.set_len(1 << 30).unwrap();
    assert_eq!(famfs(&["mkfs", img_s]).0, Some(0));
    let size = SIZE.to_string();
    let (rc, out) = famfs(&["creat", "-D", img_s, "-s", &size, "-r", "-S", "77", "f"]);
    assert_eq!(rc, Some(0), "{out}");
    let (rc, out) = famfs(&["getmap", "-D", img_s, "f"]);
    assert!(rc == Some(0) && out.contains("offset 0xa00000"), "{out}");
    let (rc, out) = famfs(&["verify", "-D", img_s, "-S", "77", "f"]);
    assert_eq!(rc, Some(0), "{out}");
    // Last byte, a byte in the middle, then one near the start: each time
    // the first difference is the one reported.
    for at in [SIZE - 1, SIZE / 2 + 4097, 3] {
        let mut b = [0u8];
        f.read_exact_at(&mut b, DATA + at).unwrap();
        f.write_all_at(&[b[0] ^ 0x10], DATA + at).unwrap();
        let (rc, out) = famfs(&["verify", "-D", img_s, "-S", "77", "f"]);
        assert_eq!(rc, Some(3), "{out}");
        assert!(
            out.contains(&format!("at offset {at:#x}")),
            "{at:#x}: {out}"
        );
    }
}

// SPDX-License-Identifier: GPL-2.0

//! The generated Rust ABI types against the C compiler's view of the same
//! header: sizeof/offsetof of every struct and field, compiled with the host
//! `cc`. The standard FUSE structs are also checked against the host's
//! <linux/fuse.h> (in a separate program: the names collide).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use famfs_core::abi::*;

/// (struct, [fields]) -> entries "struct" => size, "struct.field" => offset,
/// plus the C lines that print the same entries.
macro_rules! layouts {
    ($($t:ident { $($f:ident $(= $cf:ident)?),* $(,)? })*) => {{
        let mut rust = BTreeMap::new();
        let mut c = String::new();
        $(
            rust.insert(stringify!($t).to_string(), std::mem::size_of::<$t>());
            c += &format!("P(\"{0}\", sizeof(struct {0}));\n", stringify!($t));
            $(
                let key = format!("{}.{}", stringify!($t), stringify!($f));
                rust.insert(key.clone(), std::mem::offset_of!($t, $f));
                let cfield = layouts!(@c $f $($cf)?);
                c += &format!("P(\"{key}\", offsetof(struct {}, {cfield}));\n", stringify!($t));
            )*
        )*
        (rust, c)
    }};
    (@c $f:ident $cf:ident) => { stringify!($cf) };
    (@c $f:ident) => { stringify!($f) };
}

fn famfs_rs_layouts() -> (BTreeMap<String, usize>, String) {
    layouts! {
        fuse_in_header { len, opcode, unique, nodeid, uid, gid, pid, total_extlen, padding }
        fuse_out_header { len, error, unique }
        fuse_attr { ino, size, blocks, atime, mtime, ctime, atimensec, mtimensec, ctimensec,
            mode, nlink, uid, gid, rdev, blksize, flags }
        fuse_entry_out { nodeid, generation, entry_valid, attr_valid, entry_valid_nsec,
            attr_valid_nsec, attr }
        fuse_forget_in { nlookup }
        fuse_forget_one { nodeid, nlookup }
        fuse_batch_forget_in { count, dummy }
        fuse_getattr_in { getattr_flags, dummy, fh }
        fuse_attr_out { attr_valid, attr_valid_nsec, dummy, attr }
        fuse_open_in { flags, open_flags }
        fuse_open_out { fh, open_flags, backing_id }
        fuse_release_in { fh, flags, release_flags, lock_owner }
        fuse_read_in { fh, offset, size, read_flags, lock_owner, flags, padding }
        fuse_dirent { ino, off, namelen, type_ = type }
        fuse_interrupt_in { unique }
        fuse_kstatfs { blocks, bfree, bavail, files, ffree, bsize, namelen, frsize, padding, spare }
        fuse_statfs_out { st }
        fuse_init_in { major, minor, max_readahead, flags, flags2, unused, famfs_rs_proto }
        fuse_init_out { major, minor, max_readahead, flags, max_background, congestion_threshold,
            max_write, time_gran, max_pages, map_alignment, flags2, max_stack_depth, unused,
            famfs_rs_proto }
        fuse_famfs_fmap_header { file_type, flags, fmap_version, ext_type, nextents,
            reserved0, file_size, reserved1 }
        fuse_famfs_simple_ext { devindex, reserved, offset, len }
        fuse_famfs_iext { nstrips, chunk_size, nbytes, reserved }
        fuse_famfs_daxdev_out { index, reserved, reserved0, reserved1, name }
    }
}

/// The standard structs as the host's <linux/fuse.h> (Linux 6.1) has them:
/// famfs_rs's renamed words and fields newer than 6.1 are left out.
fn standard_layouts() -> (BTreeMap<String, usize>, String) {
    layouts! {
        fuse_in_header { len, opcode, unique, nodeid, uid, gid, pid }
        fuse_out_header { len, error, unique }
        fuse_attr { ino, size, blocks, atime, mtime, ctime, atimensec, mtimensec, ctimensec,
            mode, nlink, uid, gid, rdev, blksize, flags }
        fuse_entry_out { nodeid, generation, entry_valid, attr_valid, entry_valid_nsec,
            attr_valid_nsec, attr }
        fuse_forget_in { nlookup }
        fuse_forget_one { nodeid, nlookup }
        fuse_batch_forget_in { count, dummy }
        fuse_getattr_in { getattr_flags, dummy, fh }
        fuse_attr_out { attr_valid, attr_valid_nsec, dummy, attr }
        fuse_open_in { flags, open_flags }
        fuse_open_out { fh, open_flags }
        fuse_release_in { fh, flags, release_flags, lock_owner }
        fuse_read_in { fh, offset, size, read_flags, lock_owner, flags, padding }
        fuse_dirent { ino, off, namelen, type_ = type }
        fuse_interrupt_in { unique }
        fuse_kstatfs { blocks, bfree, bavail, files, ffree, bsize, namelen, frsize, padding, spare }
        fuse_statfs_out { st }
        fuse_init_in { major, minor, max_readahead, flags, flags2, unused }
        fuse_init_out { major, minor, max_readahead, flags, max_background, congestion_threshold,
            max_write, time_gran, max_pages, map_alignment, flags2 }
    }
}

fn include_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../include")
}

/// Compiles and runs a C program printing "name value" lines.
fn c_layouts(name: &str, include: &str, body: &str) -> BTreeMap<String, usize> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("layout.c");
    let exe = dir.join("layout");
    let prog = format!(
        "#include <stddef.h>\n#include <stdio.h>\n#include {include}\n\
         #define P(n, v) printf(\"%s %zu\\n\", n, (size_t)(v))\n\
         int main(void) {{\n{body}return 0;\n}}\n"
    );
    std::fs::write(&src, prog).unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let st = Command::new(&cc)
        .arg("-Wall")
        .arg("-Werror")
        .arg("-I")
        .arg(include_dir())
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .status()
        .expect("the layout test needs a C compiler (cc)");
    assert!(st.success(), "cc failed on {}", src.display());
    let out = Command::new(&exe).output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (k, v) = l.rsplit_once(' ').unwrap();
            (k.to_string(), v.parse().unwrap())
        })
        .collect()
}

fn compare(rust: &BTreeMap<String, usize>, c: &BTreeMap<String, usize>) {
    assert_eq!(rust.len(), c.len());
    let diffs: Vec<_> = rust
        .iter()
        .filter(|(k, v)| c.get(*k) != Some(v))
        .map(|(k, v)| format!("{k}: rust {v}, C {:?}", c.get(k)))
        .collect();
    assert!(diffs.is_empty(), "layout differs:\n{}", diffs.join("\n"));
}

#[test]
fn generated_types_match_c_famfs_rs_abi_h() {
    let (rust, body) = famfs_rs_layouts();
    let c = c_layouts("famfs_rs_abi", "<famfs_rs_abi.h>", &body);
    compare(&rust, &c);
    // Every struct the header defines is covered above.
    let header = std::fs::read_to_string(include_dir().join("famfs_rs_abi.h")).unwrap();
    let defined = header
        .lines()
        .filter(|l| l.starts_with("struct ") && l.ends_with('{'))
        .count();
    assert_eq!(defined, rust.keys().filter(|k| !k.contains('.')).count());
}

#[test]
fn standard_structs_match_host_linux_fuse_h() {
    if !Path::new("/usr/include/linux/fuse.h").exists() {
        eprintln!("no /usr/include/linux/fuse.h: skipped");
        return;
    }
    let (rust, body) = standard_layouts();
    let c = c_layouts("linux_fuse", "<linux/fuse.h>", &body);
    compare(&rust, &c);
}

#[test]
fn constants_match_the_fuse_protocol() {
    // Values fixed by the FUSE protocol and famfs-in-fuse V10.
    assert_eq!(
        (
            FUSE_LOOKUP,
            FUSE_FORGET,
            FUSE_GETATTR,
            FUSE_OPEN,
            FUSE_READ,
            FUSE_STATFS,
            FUSE_RELEASE
        ),
        (1, 2, 3, 14, 15, 17, 18)
    );
    assert_eq!(
        (
            FUSE_INIT,
            FUSE_OPENDIR,
            FUSE_READDIR,
            FUSE_RELEASEDIR,
            FUSE_INTERRUPT,
            FUSE_DESTROY
        ),
        (26, 27, 28, 29, 36, 38)
    );
    assert_eq!(
        (FUSE_BATCH_FORGET, FUSE_GET_FMAP, FUSE_GET_DAXDEV),
        (42, 54, 55)
    );
    assert_eq!(FUSE_INIT_EXT, 1 << 30);
    assert_eq!(FUSE_DAX_FMAP, 1 << 43);
    assert_eq!(FAMFS_RS_STATFS_MAGIC, 0x87b2_82fd);
    assert_eq!(FUSE_FAMFS_MAX_EXTENTS, 32);
    assert_eq!(FUSE_FAMFS_MAX_STRIPS, 32);
    assert_eq!(FUSE_FAMFS_FMAP_MAX, 32768);
    assert_eq!(FUSE_FAMFS_MAX_DAXDEVS, 24);
    assert_eq!(FAMFS_RS_CTL_NAME, b"famfs_rs\0");
    assert_eq!(
        [
            FAMFS_RS_OPT_FD as &[u8],
            FAMFS_RS_OPT_ROOTMODE,
            FAMFS_RS_OPT_USER_ID,
            FAMFS_RS_OPT_GROUP_ID
        ],
        [b"fd\0" as &[u8], b"rootmode\0", b"user_id\0", b"group_id\0"]
    );
}

#[test]
#[should_panic(expected = "layout differs")]
fn comparison_can_fail() {
    let (rust, _) = famfs_rs_layouts();
    let mut c = rust.clone();
    *c.get_mut("fuse_attr.mode").unwrap() += 4;
    compare(&rust, &c);
}

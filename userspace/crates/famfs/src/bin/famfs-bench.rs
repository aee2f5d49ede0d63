// SPDX-License-Identifier: GPL-2.0
//! `famfs-bench`: prints the userspace figures famfs_rs tracks.
//!
//! - replay of a full 8 MiB log (15,420 entries);
//! - mkfs of a 4 GiB sparse image;
//! - creat of 1,000 files, each its own locked log append as in the CLI.
//!
//! Figures, not pass/fail: run `cargo run --release --bin famfs-bench`
//! (options: `--dir DIR` for the images, default the temp dir; `--runs N`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use famfs_meta::{mkfs, Attrs, DaxDevice, Famfs, Layout, MetaStore, MkfsOptions, Replay};
use uuid::Uuid;

const HOST: Uuid = Uuid::from_u128(0xbe4c_0000_0000_0000_0000_0000_0000_0001);
const ATTRS: Attrs = Attrs {
    mode: 0o644,
    uid: 0,
    gid: 0,
};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn sparse_image(path: &Path, size: u64) -> Res<()> {
    let _ = std::fs::remove_file(path);
    std::fs::File::create(path)?.set_len(size)?;
    Ok(())
}

fn format(path: &Path) -> Res<()> {
    let dev = DaxDevice::open(path, true)?;
    let mut opts = MkfsOptions::new(HOST, "bench");
    opts.force = true;
    mkfs(dev.map.as_ref(), &opts)?;
    Ok(())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// Fill the log of a fresh file system: one directory per 63 files, files
/// of 2 MiB, until every slot is used.
fn fill_log(path: &Path) -> Res<u64> {
    let mut fs = Famfs::open_path(path, true, HOST)?;
    let slots = famfs_omf::log_slots(fs.superblock().log_len());
    let mut tx = fs.begin()?;
    let mut dir = String::new();
    for i in 0..slots {
        if i % 64 == 0 {
            dir = format!("dir{}", i / 64);
            tx.mkdir(&dir, ATTRS, false)?;
        } else {
            tx.creat(&format!("{dir}/file{i}"), 2 << 20, ATTRS, Layout::default())?;
        }
    }
    Ok(slots)
}

fn main() -> Res<()> {
    let mut args = std::env::args().skip(1);
    let mut dir = std::env::temp_dir();
    let mut runs = 5usize;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--dir" => dir = PathBuf::from(args.next().ok_or("--dir needs a value")?),
            "--runs" => runs = args.next().ok_or("--runs needs a value")?.parse()?,
            _ => {
                eprintln!("usage: famfs-bench [--dir DIR] [--runs N]");
                std::process::exit(2);
            }
        }
    }
    let runs = runs.max(1);
    let img = dir.join(format!("famfs-bench-{}.img", std::process::id()));
    let log_img = dir.join(format!("famfs-bench-log-{}.img", std::process::id()));

    // 1. Full-log replay.
    sparse_image(&log_img, 40 << 30)?;
    format(&log_img)?;
    let t = Instant::now();
    let slots = fill_log(&log_img)?;
    let fill = t.elapsed();
    let mut open_times = Vec::new();
    let mut replay_times = Vec::new();
    let mut files = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let fs = Famfs::open_path(&log_img, false, HOST)?;
        open_times.push(t.elapsed());
        files = fs.namespace().counts().0;
        let dev = DaxDevice::open(&log_img, false)?;
        let store = MetaStore::on_device(&dev)?;
        let sb = store.superblock()?;
        let t = Instant::now();
        let mut r = Replay::new(&sb);
        r.catch_up(&store)?;
        replay_times.push(t.elapsed());
        assert_eq!(r.next_index, slots);
    }
    println!("replay of a full 8 MiB log ({slots} entries, {files} files):");
    println!(
        "  replay only (median of {runs}):          {}",
        ms(median(replay_times))
    );
    println!(
        "  open = map + replay + allocator (median): {}",
        ms(median(open_times))
    );
    println!("  (filling it took {} in one locked batch)", ms(fill));
    let _ = std::fs::remove_file(&log_img);

    // 2. mkfs of a 4 GiB sparse image.
    let mut mkfs_times = Vec::new();
    for _ in 0..runs {
        sparse_image(&img, 4 << 30)?;
        let t = Instant::now();
        format(&img)?;
        mkfs_times.push(t.elapsed());
    }
    println!(
        "mkfs of a 4 GiB sparse image (median of {runs}): {}",
        ms(median(mkfs_times))
    );

    // 3. creat of 1,000 files (each: flock, catch up, allocate, append).
    let mut fs = Famfs::open_path(&img, true, HOST)?;
    fs.mkdir("bench", ATTRS, false)?;
    let t = Instant::now();
    for i in 0..1000 {
        fs.creat(&format!("bench/f{i}"), 1 << 20, ATTRS, Layout::default())?;
    }
    let d = t.elapsed();
    println!(
        "creat of 1,000 files: {} ({:.1} us per file)",
        ms(d),
        d.as_secs_f64() * 1e6 / 1000.0
    );
    drop(fs);
    let _ = std::fs::remove_file(&img);
    Ok(())
}

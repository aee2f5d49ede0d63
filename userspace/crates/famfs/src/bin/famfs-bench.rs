// SPDX-License-Identifier: GPL-2.0
//! `famfs-bench`: prints the userspace figures famfs_rs tracks.
//!
//! - replay of a full 8 MiB log (15,420 entries);
//! - mkfs of a 4 GiB sparse image;
//! - creat of 1,000 files, each its own locked log append as in the CLI;
//! - `famfs fsck` of a 10,000-entry log and `famfs verify` of a 64 MiB
//!   file, each a whole process (the `famfs` binary next to this one), as
//!   upstream's CLI is timed against it; with `--upstream CLI`, upstream's
//!   `verify -f` of the same bytes (copied to a host file) as well.
//!
//! Figures, not pass/fail: run `cargo run --release --bin famfs-bench`
//! (options: `--dir DIR` for the images, default the temp dir; `--runs N`;
//! `--upstream CLI`).

use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
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

/// Fill the log of a fresh file system: every slot used.
fn fill_log(path: &Path) -> Res<u64> {
    let slots = famfs_omf::log_slots(Famfs::open_path(path, false, HOST)?.superblock().log_len());
    fill_entries(path, slots)?;
    Ok(slots)
}

/// Log entries of the fsck case, as upstream's figure was taken.
const FSCK_ENTRIES: u64 = 10_000;
/// The verify case's file, and its seed.
const VERIFY_SIZE: u64 = 64 << 20;
const VERIFY_SEED: u64 = 42;

/// Fill a fresh file system with `entries` log entries: one directory per
/// 63 files of 2 MiB.
fn fill_entries(path: &Path, entries: u64) -> Res<()> {
    let mut fs = Famfs::open_path(path, true, HOST)?;
    let mut tx = fs.begin()?;
    let mut dir = String::new();
    for i in 0..entries {
        if i % 64 == 0 {
            dir = format!("dir{}", i / 64);
            tx.mkdir(&dir, ATTRS, false)?;
        } else {
            tx.creat(&format!("{dir}/file{i}"), 2 << 20, ATTRS, Layout::default())?;
        }
    }
    Ok(())
}

/// CPU time (user and system) of this process's finished children.
fn children_cpu() -> Duration {
    let mut ru = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes one rusage into the buffer it is given,
    // which is ours, of that type and zeroed.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, ru.as_mut_ptr()) };
    if rc != 0 {
        return Duration::ZERO;
    }
    // SAFETY: zero-initialised, and getrusage succeeded.
    let ru = unsafe { ru.assume_init() };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// Median wall and CPU times of `runs` runs of `cmd` (after one
/// unmeasured run, so that every measured one finds the image in the page
/// cache; on a busy machine the CPU time is the steadier figure); it must
/// exit 0.
fn time_process(cmd: &mut Command, runs: usize) -> Res<String> {
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    let (mut wall, mut cpu) = (Vec::new(), Vec::new());
    for i in 0..=runs {
        let (t, c) = (Instant::now(), children_cpu());
        let st = cmd.status()?;
        if !st.success() {
            return Err(format!("{cmd:?} failed: {st}").into());
        }
        if i > 0 {
            wall.push(t.elapsed());
            cpu.push(children_cpu().saturating_sub(c));
        }
    }
    Ok(format!("{} (CPU {})", ms(median(wall)), ms(median(cpu))))
}

/// 4. and 5.: `famfs fsck` and `famfs verify` as processes.
fn cli_cases(dir: &Path, runs: usize, upstream: Option<&Path>) -> Res<()> {
    let famfs = std::env::current_exe()?.with_file_name("famfs");
    if !famfs.exists() {
        println!(
            "fsck and verify: skipped, no {} (build it)",
            famfs.display()
        );
        return Ok(());
    }
    let img = dir.join(format!("famfs-bench-cli-{}.img", std::process::id()));
    sparse_image(&img, 24 << 30)?;
    format(&img)?;
    fill_entries(&img, FSCK_ENTRIES)?;
    let d = time_process(Command::new(&famfs).arg("fsck").arg(&img), runs)?;
    println!("famfs fsck of a {FSCK_ENTRIES}-entry log (process, median of {runs}): {d}");
    sparse_image(&img, 1 << 30)?;
    format(&img)?;
    let mut fs = Famfs::open_path(&img, true, HOST)?;
    let ino = fs.creat("data", VERIFY_SIZE, ATTRS, Layout::default())?;
    let mut buf = vec![0u8; VERIFY_SIZE as usize];
    famfs_meta::pattern::Pattern::new(VERIFY_SEED).fill(&mut buf);
    fs.write_file(ino, 0, &buf)?;
    drop(fs);
    let seed = VERIFY_SEED.to_string();
    let d = time_process(
        Command::new(&famfs)
            .args(["verify", "-D"])
            .arg(&img)
            .args(["-S", &seed, "data"]),
        runs,
    )?;
    println!("famfs verify of a 64 MiB file (process, median of {runs}): {d}");
    if let Some(cli) = upstream {
        let host = dir.join(format!("famfs-bench-verify-{}.bin", std::process::id()));
        std::fs::File::create(&host)?.write_all_at(&buf, 0)?;
        let d = time_process(
            Command::new(cli)
                .args(["verify", "-S", &seed, "-f"])
                .arg(&host),
            runs,
        )?;
        println!("  upstream's verify -f of the same bytes (median of {runs}): {d}");
        let _ = std::fs::remove_file(&host);
    }
    let _ = std::fs::remove_file(&img);
    Ok(())
}

fn main() -> Res<()> {
    let mut args = std::env::args().skip(1);
    let mut dir = std::env::temp_dir();
    let mut runs = 5usize;
    let mut upstream = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--dir" => dir = PathBuf::from(args.next().ok_or("--dir needs a value")?),
            "--runs" => runs = args.next().ok_or("--runs needs a value")?.parse()?,
            "--upstream" => {
                upstream = Some(PathBuf::from(
                    args.next().ok_or("--upstream needs upstream's famfs CLI")?,
                ))
            }
            _ => {
                eprintln!("usage: famfs-bench [--dir DIR] [--runs N] [--upstream CLI]");
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

    cli_cases(&dir, runs, upstream.as_deref())
}

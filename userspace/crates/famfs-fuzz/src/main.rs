// SPDX-License-Identifier: GPL-2.0
//! `famfs-fuzz`: long fuzzing runs on stable Rust, and replay of inputs.
//!
//! ```text
//! famfs-fuzz [--seconds S | --iterations N] [--seed N] [--crash-dir DIR] [--corpus DIR]
//! famfs-fuzz --stdin            # one input from stdin (AFL++: afl-fuzz -n ... -- famfs-fuzz --stdin)
//! famfs-fuzz FILE...            # re-run saved inputs (e.g. a crash)
//! ```

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use famfs_fuzz::{check, run};

fn usage() -> ExitCode {
    eprintln!(
        "usage: famfs-fuzz [--seconds S | --iterations N] [--seed N] [--crash-dir DIR] [--corpus DIR]\n       famfs-fuzz --stdin\n       famfs-fuzz FILE..."
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (mut seconds, mut iterations, mut seed) = (None, None, 1u64);
    let mut crash_dir = PathBuf::from(".");
    let mut corpus_dir = None;
    let mut files = Vec::new();
    while let Some(a) = args.next() {
        let mut val = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        let r: Result<(), String> = (|| {
            match a.as_str() {
                "--seconds" => {
                    seconds = Some(val("--seconds")?.parse().map_err(|e| format!("{e}"))?)
                }
                "--iterations" => {
                    iterations = Some(val("--iterations")?.parse().map_err(|e| format!("{e}"))?)
                }
                "--seed" => seed = val("--seed")?.parse().map_err(|e| format!("{e}"))?,
                "--crash-dir" => crash_dir = PathBuf::from(val("--crash-dir")?),
                "--corpus" => corpus_dir = Some(PathBuf::from(val("--corpus")?)),
                "--stdin" => files.push(PathBuf::from("-")),
                "-h" | "--help" => return Err(String::new()),
                f if !f.starts_with('-') => files.push(PathBuf::from(f)),
                other => return Err(format!("unknown option {other}")),
            }
            Ok(())
        })();
        if let Err(e) = r {
            if !e.is_empty() {
                eprintln!("famfs-fuzz: {e}");
            }
            return usage();
        }
    }
    if !files.is_empty() {
        return replay_files(&files);
    }
    let extra: Vec<Vec<u8>> = corpus_dir
        .map(|d| {
            std::fs::read_dir(&d)
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|e| std::fs::read(e.path()).ok())
                .collect()
        })
        .unwrap_or_default();
    let deadline = seconds.map(|s| Instant::now() + Duration::from_secs(s));
    let batch = 2_000;
    let (mut done, mut round) = (0u64, 0u64);
    let mut deep = (0u64, 0u64, 0u64);
    loop {
        if iterations.is_some_and(|n| done >= n) || deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        if iterations.is_none() && deadline.is_none() && done >= 10_000 {
            break;
        }
        let n = iterations.map_or(batch, |t| (t - done).min(batch));
        match run(
            n,
            seed.wrapping_add(round),
            if round == 0 {
                extra.clone()
            } else {
                Vec::new()
            },
        ) {
            Ok(s) => {
                done += s.executions;
                deep = (deep.0 + s.parsed, deep.1 + s.replayed, deep.2 + s.wrote);
            }
            Err(input) => {
                let path = crash_dir.join(format!("crash-{}-{round}.bin", seed));
                let _ = std::fs::write(&path, &input);
                eprintln!("famfs-fuzz: panic; input saved to {}", path.display());
                return ExitCode::from(1);
            }
        }
        round += 1;
    }
    println!(
        "famfs-fuzz: {done} inputs, no panic (seed {seed}); parsed {}, replayed {}, written to {}",
        deep.0, deep.1, deep.2
    );
    ExitCode::SUCCESS
}

fn replay_files(files: &[PathBuf]) -> ExitCode {
    for f in files {
        let data = if f.as_os_str() == "-" {
            let mut v = Vec::new();
            if std::io::stdin().read_to_end(&mut v).is_err() {
                return ExitCode::from(2);
            }
            v
        } else {
            match std::fs::read(f) {
                Ok(v) => v,
                Err(e) => {
                    eprintln!("famfs-fuzz: {}: {e}", f.display());
                    return ExitCode::from(2);
                }
            }
        };
        if check(&data).is_err() {
            eprintln!("famfs-fuzz: {}: panicked", f.display());
            // Abort so AFL-style drivers see a crash.
            std::process::abort();
        }
    }
    ExitCode::SUCCESS
}

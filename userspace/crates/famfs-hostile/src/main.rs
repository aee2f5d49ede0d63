// SPDX-License-Identifier: GPL-2.0
//! `famfs-hostile`: a hostile famfs daemon, the fuzzer of famfs_rs.ko's
//! reply checks on a live kernel.
//!
//! ```text
//! famfs-hostile run --device /dev/dax1.0 --mountpoint /mnt/hostile \
//!     [--seed N] [--replies N | --seconds S] [--workers N] ...
//! famfs-hostile worker MNT SEED        (started by `run`)
//! ```
//!
//! `run` mounts the famfs on the device again and again, each time
//! served by the real famfs daemon whose replies pass through the
//! hostile channel (mutated, held back, repeated, sent for other
//! requests), while worker processes use the mount. It prints a summary
//! and exits 1 if the kernel ever treated a reply otherwise than its own
//! checks say, a call failed with an errno nobody should give, a call or
//! a shutdown took longer than the bound, or the run fell short of its
//! replies.

mod hostile;
mod judge;
mod layout;
mod mutate;
mod proc;
mod rng;
mod session;
mod summary;
mod tally;
mod worker;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "A hostile famfs daemon: fuzzes famfs_rs.ko's handling of replies")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Mount, serve hostile replies to workers, repeat; print a summary.
    Run(summary::RunArgs),
    /// A worker process (started by `run`).
    Worker {
        /// The mount point.
        mnt: PathBuf,
        /// Its seed.
        seed: u64,
    },
}

fn main() -> ExitCode {
    match Cli::parse().cmd {
        Cmd::Worker { mnt, seed } => ExitCode::from(worker::run(&mnt, seed) as u8),
        Cmd::Run(a) => {
            let bound = Duration::from_secs(a.bound_secs);
            summary::run(&a, bound)
        }
    }
}

// SPDX-License-Identifier: GPL-2.0

//! Long-run fuzzing of the core's reply validators on stable Rust.
//!
//! cargo run --release -p famfs-core --example fuzz_replies -- [SECONDS] [SEED]
//!
//! Runs batches of seeded mutations until SECONDS (default 60) have passed;
//! a broken invariant panics and prints the seed of the failing batch, which
//! replays with `-- 1 SEED`.

use std::time::{Duration, Instant};

#[path = "../fuzz/engine.rs"]
mod engine;

fn main() {
    let mut args = std::env::args().skip(1);
    let secs: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(60);
    let mut seed: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
    });
    let deadline = Instant::now() + Duration::from_secs(secs);
    let (mut batches, mut accepted) = (0u64, 0u64);
    loop {
        eprintln!("batch seed {seed}");
        accepted += engine::run(seed, 10_000);
        batches += 1;
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        if Instant::now() >= deadline {
            break;
        }
    }
    println!(
        "fuzz_replies: {} inputs, {} accepted, no invariant broken",
        batches * 10_000 * 2,
        accepted
    );
}

// SPDX-License-Identifier: GPL-2.0
//! What the `famfs` end-to-end tests share: running the binary as a host.

use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_famfs");

/// Runs `famfs ARGS` as host `host` (its system UUID), never on a device
/// named by the environment.
pub fn run_as(host: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("FAMFS_SYSTEM_UUID", host)
        .env_remove("FAMFS_DEVICE")
        .output()
        .unwrap()
}

/// A run's stdout then stderr.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

// SPDX-License-Identifier: GPL-2.0
//! `famfs`: the famfs command line (also `mkfs.famfs`, chosen by `argv[0]`).

mod cli;
mod commands;
mod data;
mod mount_cmd;
mod output;
mod size;
mod target;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command, MkfsCli};

/// Exit statuses (documented in --help and userspace/README.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Success; for fsck and check, nothing wrong.
    Ok = 0,
    /// The operation failed.
    Failed = 1,
    /// A check ran and found problems (fsck, check, verify, logplay).
    CheckFailed = 3,
}

fn main() -> ExitCode {
    let argv0 = std::env::args_os().next().unwrap_or_default();
    let invoked_as = std::path::Path::new(&argv0)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let result = if invoked_as == "mkfs.famfs" {
        commands::mkfs(&MkfsCli::parse().args)
    } else {
        let cli = Cli::parse();
        match &cli.command {
            Command::Mkfs(a) => commands::mkfs(a),
            Command::Fsck(a) => commands::fsck(a),
            Command::Logplay(a) => commands::logplay(a),
            Command::Creat(a) => commands::creat(a),
            Command::Mkdir(a) => commands::mkdir(a),
            Command::Cp(a) => commands::cp(a),
            Command::Getmap(a) => commands::getmap(a),
            Command::Verify(a) => commands::verify(a),
            Command::Check(a) => commands::check(a),
            Command::Adddev(a) => commands::adddev(a),
            Command::Mount(a) => mount_cmd::mount(a),
            Command::Umount(a) => mount_cmd::umount(a),
            Command::Daemon(a) => mount_cmd::daemon(a),
        }
    };
    match result {
        Ok(status) => ExitCode::from(status as u8),
        Err(e) => {
            eprintln!("famfs: {e:#}");
            ExitCode::from(Status::Failed as u8)
        }
    }
}

#[cfg(test)]
mod mounted_tests;

// SPDX-License-Identifier: GPL-2.0
//! `famfs`: the famfs command line (also `mkfs.famfs`, chosen by `argv[0]`).

mod args;
mod bind_cmd;
mod cli;
mod commands;
mod compat;
mod cp;
mod creat;
mod data;
mod devwait;
mod errmsg;
mod extra;
mod getmap;
mod mount_cmd;
mod num;
mod output;
mod shadow;
mod size;
mod target;
mod verify;

use std::process::ExitCode;
use std::sync::atomic::{AtomicU8, Ordering};

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
    /// getmap's own codes (upstream's): not mapped, missing, not a file.
    GetmapUnmapped = 2,
    GetmapMissing = 9,
    GetmapNotFile = 21,
}

/// -v count, for every verb.
static VERBOSE: AtomicU8 = AtomicU8::new(0);

/// How many -v were given.
pub fn verbosity() -> u8 {
    VERBOSE.load(Ordering::Relaxed)
}

fn main() -> ExitCode {
    let argv0 = std::env::args_os().next().unwrap_or_default();
    let invoked_as = std::path::Path::new(&argv0)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let args = compat::upstream_argv(std::env::args_os().collect());
    let verb = if invoked_as == "mkfs.famfs" {
        "mkfs".to_owned()
    } else {
        compat::verb(&args)
            .map(|v| args[v].to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let result = if invoked_as == "mkfs.famfs" {
        let cli = MkfsCli::parse_from(args);
        VERBOSE.store(cli.verbose, Ordering::Relaxed);
        commands::mkfs(&cli.args)
    } else {
        let cli = Cli::parse_from(args);
        VERBOSE.store(cli.verbose, Ordering::Relaxed);
        if cli.dryrun {
            eprintln!(
                "famfs: --dryrun before the verb has no effect (upstream's CLI ignores it too); \
                 for a dry run give the verb's own, as in famfs logplay --dryrun"
            );
        }
        match &cli.command {
            Command::Mkfs(a) => commands::mkfs(a),
            Command::Fsck(a) => commands::fsck(a),
            Command::Logplay(a) => commands::logplay(a),
            Command::Creat(a) => creat::creat(a),
            Command::Mkdir(a) => commands::mkdir(a),
            Command::Cp(a) => cp::cp(a),
            Command::Getmap(a) => getmap::getmap(a),
            Command::Verify(a) => verify::verify(a),
            Command::Check(a) => commands::check(a),
            Command::Adddev(a) => commands::adddev(a),
            Command::Flush(a) => extra::flush(a),
            Command::Chkread(a) => extra::chkread(a),
            Command::Clone(a) => extra::clone(a),
            Command::Mkmeta(a) => extra::mkmeta(a),
            Command::Mount(a) => mount_cmd::mount(a),
            Command::Umount(a) => mount_cmd::umount(a),
            Command::Bind(a) => bind_cmd::bind(a),
            Command::Unbind(a) => bind_cmd::unbind(a),
            Command::Daemon(a) => mount_cmd::daemon(a),
        }
    };
    match result {
        Ok(status) => ExitCode::from(status as u8),
        Err(e) => {
            eprintln!("famfs {verb}: {}", errmsg::render(&e, &verb));
            ExitCode::from(Status::Failed as u8)
        }
    }
}

#[cfg(test)]
mod mounted_tests;

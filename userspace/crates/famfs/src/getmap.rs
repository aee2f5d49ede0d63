// SPDX-License-Identifier: GPL-2.0
//! `famfs getmap`, with upstream's exit codes, which scripts test: 0 a
//! mapped famfs file, 1 not in a famfs, 2 in a famfs but not (validly)
//! mapped, 9 (EBADF) missing, 21 (EISDIR) not a regular file.

use anyhow::Result;
use famfs_meta::{Node, NodeKind};
use famfs_omf::{Extent, Fmap, LOG_OFFSET, SB_REGION_LEN};

use crate::cli::GetmapArgs;
use crate::commands::open_one;
use crate::output;
use crate::target::resolve;
use crate::Status;

/// The maps of a famfs_rs mount's `.meta` files, which are not in the log.
fn meta_node(rel: &str, log_len: u64) -> Option<Node> {
    let (offset, len) = match rel.trim_matches('/') {
        ".meta/.superblock" => (0, SB_REGION_LEN),
        ".meta/.log" => (LOG_OFFSET, log_len),
        _ => return None,
    };
    Some(Node {
        ino: 0,
        parent: 0,
        path: rel.trim_matches('/').to_owned(),
        mode: 0o444,
        uid: 0,
        gid: 0,
        log_index: None,
        kind: NodeKind::File {
            size: len,
            flags: 0,
            fmap: Fmap::Simple(vec![Extent {
                devindex: 0,
                offset,
                len,
            }]),
        },
    })
}

/// One file: its status, having printed its map or (unless quiet) why not.
fn one(a: &GetmapArgs, p: &str) -> Status {
    let say = |msg: String| {
        if !a.quiet {
            eprintln!("famfs getmap: {msg}");
        }
    };
    if a.dev.device.is_none() {
        // A path on this host: upstream's order of checks.
        match std::fs::metadata(p) {
            Err(e) => {
                let hint = if resolve(&a.dev, &[p]).is_err() {
                    " (for an unmounted device or image, give it with --device/-D)"
                } else {
                    ""
                };
                say(format!("{p}: {e}{hint}"));
                return Status::GetmapMissing;
            }
            Ok(m) if !m.is_file() => {
                say(format!("{p}: not a regular file"));
                return Status::GetmapNotFile;
            }
            Ok(_) => {}
        }
        if resolve(&a.dev, &[p]).is_err() {
            say(format!("{p}: not in a famfs file system"));
            return Status::Failed;
        }
    }
    let (fs, rel, _) = match open_one(&a.dev, p, false) {
        Ok(t) => t,
        Err(e) => {
            say(crate::errmsg::causes(&e));
            return Status::Failed;
        }
    };
    let meta = meta_node(&rel, fs.superblock().log_len());
    let node = match (meta.as_ref(), fs.namespace().lookup(&rel)) {
        (Some(m), _) => m,
        (None, Some(n)) => n,
        (None, None) if a.dev.device.is_some() => {
            say(format!("{}: {p}: no such file", fs.name()));
            return Status::GetmapMissing;
        }
        (None, None) => {
            say(format!("{p}: in a famfs mount, but not in its log: no map"));
            return Status::GetmapUnmapped;
        }
    };
    let NodeKind::File { size, fmap, .. } = &node.kind else {
        say(format!("{p}: not a regular file"));
        return Status::GetmapNotFile;
    };
    if let Err(e) = fmap.check_in_units(*size, fs.superblock().alloc_unit()) {
        say(format!("{p}: in a famfs, but its map is unusable: {e}"));
        return Status::GetmapUnmapped;
    }
    if !a.quiet {
        if a.json {
            match serde_json::to_string_pretty(node) {
                Ok(j) => println!("{j}"),
                Err(e) => say(e.to_string()),
            }
        } else {
            output::print_getmap(node);
        }
    }
    Status::Ok
}

pub fn getmap(a: &GetmapArgs) -> Result<Status> {
    let mut last = Status::Ok;
    for p in &a.paths {
        let st = one(a, p);
        if st != Status::Ok {
            last = st;
            if !a.keep_going {
                break;
            }
        }
    }
    Ok(last)
}

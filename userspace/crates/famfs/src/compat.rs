// SPDX-License-Identifier: GPL-2.0
//! Upstream options that mean nothing to famfs_rs: accepted, so that
//! upstream's scripts run, with one line on stderr saying why they have
//! no effect.

use std::ffi::OsString;

/// Says, for each `(given, option, why)` with `given` set, that the
/// option has no effect here and why.
pub fn no_effect(verb: &str, opts: &[(bool, &str, &str)]) {
    for (given, opt, why) in opts {
        if *given {
            eprintln!("famfs {verb}: {opt} has no effect with famfs_rs: {why}");
        }
    }
}

/// Why upstream's --mmap/--read change nothing.
pub const ACCESS: &str = "famfs_rs always maps the log";
/// Why upstream's --set-daxmode changes nothing.
pub const DAXMODE: &str = "famfs_rs moves the device to its dax driver while mounted \
     (famfs_rs.ko's own, or the kernel's fsdev_dax on 7.x kernels); there is no mode to switch";
/// Why upstream's --load-module changes nothing.
pub const LOAD_MODULE: &str =
    "it loads upstream's standalone v1 module, which famfs_rs does not use";

/// Where the verb is in `args`: the first word after the program's name
/// that is not an option (the global options take no values).
pub fn verb(args: &[OsString]) -> Option<usize> {
    let v = args
        .iter()
        .skip(1)
        .position(|a| !a.to_string_lossy().starts_with('-'));
    v.map(|v| v + 1)
}

/// Upstream's logplay takes `-S` without a value in its short form, so its
/// scripts write `-Ss DIR MOUNTPOINT` for a shadow logplay into DIR (with
/// -s, shadow test). Here -S takes DIR as its value, so `-Ss` is read as
/// `-s -S`: the verb's `-Ss` becomes those two options.
pub fn upstream_argv(args: Vec<OsString>) -> Vec<OsString> {
    let Some(verb) = verb(&args) else {
        return args;
    };
    if args[verb] != "logplay" {
        return args;
    }
    let mut out = Vec::with_capacity(args.len() + 1);
    let mut options = true;
    for (i, a) in args.into_iter().enumerate() {
        if i > verb && options && a == "-Ss" {
            out.push("-s".into());
            out.push("-S".into());
            continue;
        }
        options &= a != "--";
        out.push(a);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<OsString> {
        s.split(' ').map(OsString::from).collect()
    }

    #[test]
    fn logplay_shadow_short_form() {
        assert_eq!(
            upstream_argv(argv("famfs -v logplay -Ss d m")),
            argv("famfs -v logplay -s -S d m")
        );
        assert_eq!(
            upstream_argv(argv("famfs logplay -- -Ss")),
            argv("famfs logplay -- -Ss")
        );
        assert_eq!(
            upstream_argv(argv("famfs fsck -Ss")),
            argv("famfs fsck -Ss")
        );
    }
}

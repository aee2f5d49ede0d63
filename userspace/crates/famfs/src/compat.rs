// SPDX-License-Identifier: GPL-2.0
//! Upstream options that mean nothing to famfs_rs: accepted, so that
//! upstream's scripts run, with one line on stderr saying why they have
//! no effect.

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

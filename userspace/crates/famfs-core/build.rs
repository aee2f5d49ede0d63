// SPDX-License-Identifier: GPL-2.0

//! Generates the famfs_rs ABI types from include/famfs_rs_abi.h with the
//! bindgen CLI and the shared flags file, exactly as the kernel build does,
//! and hands the result to the core through the FAMFS_ABI_RS variable.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    );
    let include = manifest.join("../../../include");
    let header = include.join("famfs_rs_abi.h");
    let flags_file = include.join("famfs_rs_abi.bindgen");
    println!("cargo:rerun-if-changed={}", header.display());
    println!("cargo:rerun-if-changed={}", flags_file.display());
    println!("cargo:rerun-if-env-changed=BINDGEN");

    let flags = std::fs::read_to_string(&flags_file)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", flags_file.display()));
    let args: Vec<&str> = flags
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();

    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("famfs_abi.rs");
    let bindgen = find_bindgen();
    let status = Command::new(&bindgen)
        .arg(&header)
        .args(&args)
        .arg("-o")
        .arg(&out)
        .status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => panic!("{} failed ({s}) on {}", bindgen.display(), header.display()),
        Err(e) => panic!(
            "cannot run bindgen ({}): {e}\n\
             famfs-core generates its ABI types from include/famfs_rs_abi.h with the \
             bindgen CLI. Install it with scripts/setup-toolchain.sh (it puts bindgen \
             in ~/.cargo/bin), or point BINDGEN at a bindgen binary.",
            bindgen.display()
        ),
    }
    println!("cargo:rustc-env=FAMFS_ABI_RS={}", out.display());
}

/// `$BINDGEN`, else `bindgen` on PATH, else ~/.cargo/bin/bindgen.
fn find_bindgen() -> PathBuf {
    if let Some(b) = std::env::var_os("BINDGEN") {
        return PathBuf::from(b);
    }
    let on_path = std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join("bindgen"))
                .find(|c| c.is_file())
        })
        .unwrap_or_default();
    if let Some(b) = on_path {
        return b;
    }
    if let Some(home) = std::env::var_os("HOME") {
        let b = Path::new(&home).join(".cargo/bin/bindgen");
        if b.is_file() {
            return b;
        }
    }
    PathBuf::from("bindgen")
}

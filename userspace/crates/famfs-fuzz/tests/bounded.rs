// SPDX-License-Identifier: GPL-2.0
//! A bounded fuzzing run inside `cargo test`: regressions fail CI.

#[test]
fn seed_corpus_is_realistic() {
    let corpus = famfs_fuzz::seed_corpus();
    assert!(corpus.len() >= 5);
    // The richest seed holds every entry written (6 slots).
    assert!(corpus.iter().any(|c| c.len() == 1 + 200 + 48 + 6 * 544));
}

#[test]
fn bounded_fuzz_run() {
    let n = std::env::var("FAMFS_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let stats = match famfs_fuzz::run(n, 0x5eed, Vec::new()) {
        Ok(s) => s,
        Err(input) => {
            let path = std::env::temp_dir().join("famfs-fuzz-failure.bin");
            let _ = std::fs::write(&path, &input);
            panic!(
                "fuzz input panicked; saved to {} (replay: famfs-fuzz FILE)",
                path.display()
            );
        }
    };
    eprintln!("{stats:?}");
    // The mutations must get past the checksums, or the run proves little.
    assert_eq!(stats.executions, n);
    assert!(stats.parsed * 2 > n, "{stats:?}");
    assert!(stats.replayed * 3 > n, "{stats:?}");
    assert!(stats.wrote * 10 > n, "{stats:?}");
}

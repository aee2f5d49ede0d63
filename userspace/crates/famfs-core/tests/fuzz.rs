// SPDX-License-Identifier: GPL-2.0

//! Bounded, seeded fuzz run of the reply and fmap validators (a few
//! thousand inputs); the long run is examples/fuzz_replies.rs.

#[path = "../fuzz/engine.rs"]
mod engine;

#[test]
fn bounded_fuzz_replies() {
    for seed in [1, 0x5eed, 0xfa5f_0001] {
        let accepted = engine::run(seed, 1500);
        // Unmutated inputs (1 in 8) must pass; mutations must not all pass.
        assert!(accepted > 100, "seed {seed}: only {accepted} accepted");
        assert!(accepted < 1500, "seed {seed}: every mutation accepted");
    }
}

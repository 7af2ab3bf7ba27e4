//! Seeded randomness for the testbenches: every random test prints its seed, and running it
//! again with `SEED=<seed>` in the environment repeats it exactly.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The seed from `SEED` (decimal or `0x` hex), or a fresh random one.
pub fn seed() -> u64 {
    match std::env::var("SEED") {
        Ok(s) => parse(&s).unwrap_or_else(|e| panic!("SEED={s:?}: {e}")),
        Err(_) => rand::random(),
    }
}

/// A seed written in decimal or `0x` hex.
pub fn parse(s: &str) -> Result<u64, String> {
    let s = s.trim();
    match s.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => s.parse(),
    }
    .map_err(|_| format!("{s:?} is not a decimal or 0x-hex u64"))
}

/// [`seed`], printed for test `name` (`SEED=<seed> cargo test ... <name>` reruns it).
pub fn seed_logged(name: &str) -> u64 {
    let seed = seed();
    println!("{name}: SEED={seed:#x}");
    seed
}

/// A ChaCha RNG for test `name`, seeded by [`seed`]. The seed is printed; the test harness
/// shows it when the test fails (`SEED=<seed> cargo test ... <name>` reruns it).
pub fn rng(name: &str) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed_logged(name))
}

/// The reset seed (see `sim::reset_seed_for`) a replay command with `--seed seed` gives its
/// NIC: its registers' initial state follows the one seed it prints nothing for, so a run
/// repeats exactly and stderr carries only errors. Never 0 (that would start from zeros).
pub fn replay_reset_seed(seed: u64) -> u32 {
    ((seed ^ (seed >> 32)) as u32).max(1)
}

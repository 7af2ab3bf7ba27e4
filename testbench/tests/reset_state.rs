//! The random initial state (`sim::reset_seed_for`) against `rtl/reset_probe.v`: a register
//! without reset differs between seeds after reset, one with reset does not, the same seed
//! gives the same state (on any thread, whatever was constructed before), and seed 0 starts
//! from zeros. This is what makes a forgotten reset in the RTL fail the tests.

use testbench::models::ResetProbe;

/// Everything the probe shows one cycle after a one-cycle reset, memory words included.
fn after_reset(seed: u32) -> (u64, u64, Vec<u32>, Vec<u64>) {
    let d = ResetProbe::with_reset_seed(seed);
    assert_eq!(d.core().reset_seed(), seed);
    d.rst.set(1);
    d.tick().unwrap();
    d.rst.set(0);
    d.tick().unwrap();
    let mem = (0..4)
        .map(|a| {
            d.addr.set(a);
            d.eval().unwrap();
            d.mem_word.get()
        })
        .collect();
    (d.counted.get(), d.forgot.get(), d.wide.get_words(), mem)
}

#[test]
fn a_missing_reset_differs_between_seeds() {
    let runs: Vec<_> = (1..=4).map(after_reset).collect();
    for (i, (counted, forgot, wide, mem)) in runs.iter().enumerate() {
        assert_eq!(*counted, 1, "seed {}: the reset counter", i + 1);
        for (j, other) in runs.iter().enumerate().skip(i + 1) {
            assert_ne!(
                *forgot,
                other.1,
                "seeds {} and {}: the counter without reset",
                i + 1,
                j + 1
            );
            assert_ne!(
                *wide,
                other.2,
                "seeds {} and {}: the wide register",
                i + 1,
                j + 1
            );
            assert_ne!(*mem, other.3, "seeds {} and {}: the memory", i + 1, j + 1);
        }
    }
}

#[test]
fn the_same_seed_gives_the_same_state() {
    let first = after_reset(0x5eed);
    // Another seed in between on this thread, and the same seed on other threads while
    // this one constructs models too.
    let _ = after_reset(0x1234);
    let others: Vec<_> = (0..3)
        .map(|_| std::thread::spawn(|| after_reset(0x5eed)))
        .collect();
    for _ in 0..3 {
        assert_eq!(after_reset(0x5eed), first);
    }
    for t in others {
        assert_eq!(t.join().unwrap(), first);
    }
}

#[test]
fn seed_zero_starts_from_zeros() {
    let (counted, forgot, wide, mem) = after_reset(0);
    assert_eq!((counted, forgot), (1, 2), "two edges from 0");
    assert!(wide.iter().all(|w| *w == 0));
    assert_eq!(mem, vec![0; 4]);
}

/// `new()` takes `NICSIM_RESET_SEED` when it is set, else a fresh seed per model.
#[test]
fn new_draws_a_fresh_seed_unless_one_is_given() {
    let seeds: Vec<u32> = (0..4)
        .map(|_| ResetProbe::new().core().reset_seed())
        .collect();
    match std::env::var("NICSIM_RESET_SEED") {
        Ok(_) => assert!(seeds.windows(2).all(|w| w[0] == w[1]), "{seeds:x?}"),
        Err(_) => {
            assert!(seeds.iter().all(|s| *s != 0), "{seeds:x?}");
            assert!(seeds.windows(2).all(|w| w[0] != w[1]), "{seeds:x?}");
        }
    }
}

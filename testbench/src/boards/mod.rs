//! The board cores (`hdl::boards`) run by the whole NICs' host models at their clocks,
//! stepped by `sim::clocks`.

pub mod enzian;
pub mod vcu118;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Clock frequencies (MHz) drawn from `rng` for a core's host side (150–300) and its MAC
/// (200–400); with `mac_slower`, the MAC's at least 20 MHz below the host side's (which is
/// then 240–300).
pub fn random_clocks(rng: &mut ChaCha8Rng, mac_slower: bool) -> (f64, f64) {
    if mac_slower {
        let host = rng.gen_range(240.0..300.0);
        (host, rng.gen_range(200.0..host - 20.0))
    } else {
        (rng.gen_range(150.0..300.0), rng.gen_range(200.0..400.0))
    }
}

/// A period in ps as MHz, for a figure.
pub fn mhz(ps: u64) -> String {
    format!("{:.1}", 1e6 / ps as f64)
}

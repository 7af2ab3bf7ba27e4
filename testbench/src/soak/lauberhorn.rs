//! The Lauberhorn soak.

use super::Tally;
use sim_models::lauberhorn::host::NicPins;

/// Not written yet.
pub fn run(_p: &NicPins, _frames: u64, _seed: u64, _progress: &mut dyn FnMut(u64)) -> Tally {
    todo!("the Lauberhorn soak")
}

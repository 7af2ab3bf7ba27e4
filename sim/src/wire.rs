//! Ports between two Rust models.
//!
//! A model written against ports (`&dyn PortRead` / `&dyn PortWrite`) usually talks to a
//! Verilated model. When a Rust model stands in between — a board's shell translating the
//! Lauberhorn CPU model's coherence link into the channels a board core exposes — it hands
//! the inner model [`Wire`]s instead, reads what the inner model drives and drives what it
//! reads, through the same traits, and counts its own clock's edges in an [`EdgeCount`]
//! where the inner model expects a model's cycle counter ([`Cycles`]).

use crate::ports::sealed;
use crate::{ModelCore, PortRead, PortWrite};
use std::cell::Cell;

/// A clock's rising edges so far, as a model that checks it runs every cycle reads them.
pub trait Cycles {
    /// Rising edges so far.
    fn cycle(&self) -> u64;
}

impl Cycles for ModelCore {
    fn cycle(&self) -> u64 {
        ModelCore::cycle(self)
    }
}

/// The edges of one clock domain of a multi-clock run, counted by whoever steps it.
#[derive(Debug, Default)]
pub struct EdgeCount(Cell<u64>);

impl EdgeCount {
    /// One more rising edge.
    pub fn tick(&self) {
        self.0.set(self.0.get() + 1);
    }
}

impl Cycles for EdgeCount {
    fn cycle(&self) -> u64 {
        self.0.get()
    }
}

/// A value of `width` bits that both sides read and either writes: a port without a model.
#[derive(Debug)]
pub struct Wire {
    name: &'static str,
    width: u32,
    words: Box<[Cell<u32>]>,
}

impl Wire {
    /// A wire named `name` (for panics) of `width` bits, all zero.
    pub fn new(name: &'static str, width: u32) -> Wire {
        assert!(width > 0, "wire `{name}` has no bits");
        Wire {
            name,
            width,
            words: (0..width.div_ceil(32)).map(|_| Cell::new(0)).collect(),
        }
    }
}

impl sealed::Words for Wire {
    fn word_count(&self) -> usize {
        self.words.len()
    }
    fn top_mask(&self) -> u32 {
        match self.width % 32 {
            0 => u32::MAX,
            r => (1 << r) - 1,
        }
    }
    fn load_word(&self, index: usize) -> u32 {
        self.words[index].get()
    }
    fn store_word(&self, index: usize, word: u32) {
        self.words[index].set(word);
    }
}

impl PortRead for Wire {
    fn name(&self) -> &'static str {
        self.name
    }
    fn width(&self) -> u32 {
        self.width
    }
}

impl PortWrite for Wire {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wire_holds_what_was_written_and_refuses_what_does_not_fit() {
        let w = Wire::new("w", 70);
        w.set_bits(60, 8, 0xa5);
        assert_eq!(w.get_bits(60, 8), 0xa5);
        assert_eq!(w.get_words(), [0, 0x5000_0000, 0xa]);
        w.set_bytes(&[1, 2]);
        assert_eq!(w.get_bits(0, 16), 0x0201);
        assert!(w.get_bits(16, 54) == 0);
        let too_wide = std::panic::catch_unwind(|| Wire::new("n", 3).set_bits(0, 4, 8));
        assert!(too_wide.is_err());
        let e = EdgeCount::default();
        e.tick();
        assert_eq!(Cycles::cycle(&e), 1);
    }
}

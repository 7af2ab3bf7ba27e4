//! `hdl::blocks::sync_fifo` against a Rust model: random traffic and back-pressure in
//! phases that fill and drain the FIFO, plus directed full/empty/throughput cases.
//!
//! The model is a queue of `depth` words. Checked in every cycle: `count` equals the words
//! held, `s_ready` is `count != depth`, `m_data` is the oldest word whenever `m_valid`, and
//! `m_valid` is high from the second cycle after the oldest word was pushed (latency 2, no
//! bubbles after that).

use rand::{Rng, SeedableRng};
use sim::prelude::*;
use std::collections::VecDeque;
use testbench::models::{SyncFifoW512D1024Bram, SyncFifoW8D16Dist};
use testbench::seed;

/// Cycles from a push to the word being poppable.
const LATENCY: u64 = 2;

/// The ports of one FIFO model, whatever its width.
struct Fifo<'a> {
    dut: &'a dyn Model,
    rst: &'a dyn PortWrite,
    s_valid: &'a dyn PortWrite,
    s_ready: &'a dyn PortRead,
    s_data: &'a dyn PortWrite,
    m_valid: &'a dyn PortRead,
    m_ready: &'a dyn PortWrite,
    m_data: &'a dyn PortRead,
    count: &'a dyn PortRead,
    width: u32,
    depth: usize,
}

macro_rules! fifo {
    ($dut:expr, $depth:expr) => {
        Fifo {
            dut: &$dut,
            rst: &$dut.rst,
            s_valid: &$dut.s_valid,
            s_ready: &$dut.s_ready,
            s_data: &$dut.s_data,
            m_valid: &$dut.m_valid,
            m_ready: &$dut.m_ready,
            m_data: &$dut.m_data,
            count: &$dut.count,
            width: $dut.s_data.width(),
            depth: $depth,
        }
    };
}

/// What happened in one cycle.
#[derive(Debug, Default)]
struct Cycle {
    pushed: bool,
    popped: Option<Vec<u8>>,
}

/// The DUT and the model side by side.
struct Bench<'a> {
    f: Fifo<'a>,
    /// Words held, each with the cycle it was pushed in.
    model: VecDeque<(Vec<u8>, u64)>,
    cycle: u64,
    /// Cycles in which the FIFO was full / empty, for coverage.
    full_cycles: u64,
    empty_cycles: u64,
}

impl<'a> Bench<'a> {
    fn new(f: Fifo<'a>) -> Self {
        let mut b = Bench {
            f,
            model: VecDeque::new(),
            cycle: 0,
            full_cycles: 0,
            empty_cycles: 0,
        };
        b.reset();
        b
    }

    fn reset(&mut self) {
        self.f.rst.set_bit(0, true);
        self.f.s_valid.set_bit(0, false);
        self.f.m_ready.set_bit(0, false);
        self.f.dut.tick().unwrap();
        self.f.rst.set_bit(0, false);
        self.model.clear();
    }

    /// A random word of the FIFO's width.
    fn random_word(&self, rng: &mut impl Rng) -> Vec<u8> {
        let mut w: Vec<u8> = (0..self.f.width.div_ceil(8)).map(|_| rng.gen()).collect();
        if self.f.width % 8 != 0 {
            *w.last_mut().unwrap() &= (1 << (self.f.width % 8)) - 1;
        }
        w
    }

    /// One clock cycle offering `push` (if any) and `m_ready`; checks every output.
    fn step(&mut self, push: Option<&[u8]>, m_ready: bool) -> Cycle {
        let f = &self.f;
        f.s_valid.set_bit(0, push.is_some());
        if let Some(d) = push {
            f.s_data.set_bytes(d);
        }
        f.m_ready.set_bit(0, m_ready);
        f.dut.eval().unwrap();

        let t = self.cycle;
        let held = self.model.len();
        assert_eq!(
            f.count.get_bits(0, f.count.width()) as usize,
            held,
            "cycle {t}: count"
        );
        assert_eq!(
            f.s_ready.bit(0),
            held < f.depth,
            "cycle {t}: s_ready with {held} held"
        );
        let want_valid = self.model.front().is_some_and(|(_, at)| at + LATENCY <= t);
        assert_eq!(
            f.m_valid.bit(0),
            want_valid,
            "cycle {t}: m_valid with {held} held"
        );
        let mut out = Cycle::default();
        if want_valid {
            assert_eq!(
                f.m_data.get_bytes(),
                self.model.front().unwrap().0,
                "cycle {t}: m_data"
            );
        }
        if held == f.depth {
            self.full_cycles += 1;
        }
        if held == 0 {
            self.empty_cycles += 1;
        }
        if want_valid && m_ready {
            out.popped = Some(self.model.pop_front().unwrap().0);
        }
        if let (Some(d), true) = (push, held < f.depth) {
            self.model.push_back((d.to_vec(), t));
            out.pushed = true;
        }
        f.dut.tick().unwrap();
        self.cycle += 1;
        out
    }
}

/// Traffic in phases of random length, each with its own push and pop probabilities, so
/// the FIFO runs full, runs dry and streams at full rate in turn; with a reset now and then.
fn random_traffic(f: Fifo<'_>, name: &str, cycles: u64) {
    let mut rng = seed::rng(name);
    let mut b = Bench::new(f);
    const PHASES: [(f64, f64); 7] = [
        (1.0, 1.0),
        (1.0, 0.0),
        (0.0, 1.0),
        (0.9, 0.3),
        (0.3, 0.9),
        (0.5, 0.5),
        (0.95, 0.95),
    ];
    let (mut pushed, mut popped, mut resets) = (0u64, 0u64, 0u64);
    let mut phase_end = 0;
    let (mut p_push, mut p_pop) = (0.5, 0.5);
    let mut word = b.random_word(&mut rng);
    while b.cycle < cycles {
        if b.cycle >= phase_end {
            (p_push, p_pop) = PHASES[rng.gen_range(0..PHASES.len())];
            phase_end = b.cycle + rng.gen_range(1..4 * b.f.depth as u64 + 50);
            if rng.gen_bool(0.03) {
                b.reset();
                resets += 1;
            }
        }
        let offer = rng.gen_bool(p_push);
        let c = b.step(offer.then_some(&word[..]), rng.gen_bool(p_pop));
        // A word offered but not taken stays on the bus (AXI-Stream style).
        if c.pushed || (!offer && rng.gen_bool(0.5)) {
            word = b.random_word(&mut rng);
        }
        pushed += c.pushed as u64;
        popped += c.popped.is_some() as u64;
    }
    println!(
        "{name}: {cycles} cycles, {pushed} pushed, {popped} popped, {} cycles full, {} empty, \
         {resets} resets",
        b.full_cycles, b.empty_cycles
    );
    assert!(
        b.full_cycles > 100 && b.empty_cycles > 100,
        "traffic reached both edges"
    );
}

/// Fill with `m_ready` low, then drain: exactly `depth` words fit and come out in order.
fn fill_and_drain(f: Fifo<'_>) {
    let depth = f.depth;
    let mut b = Bench::new(f);
    let words: Vec<Vec<u8>> = (0..depth + 3)
        .map(|i| {
            // Distinct words: multiplying by an odd constant is a bijection mod 256.
            let v = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            let mut w: Vec<u8> = (0..b.f.width.div_ceil(8))
                .map(|k| (v >> (8 * (k % 8))) as u8)
                .collect();
            w[0] = (i as u8).wrapping_mul(0x4f);
            w
        })
        .collect();
    let mut accepted = 0;
    for w in &words {
        accepted += b.step(Some(w), false).pushed as usize;
    }
    assert_eq!(accepted, depth, "a full FIFO takes no more words");
    // Full and popped in the same cycle: s_ready stays low (it does not look at m_ready).
    let c = b.step(Some(&words[depth]), true);
    assert!(!c.pushed && c.popped.as_deref() == Some(&words[0][..]));
    // One word out: room for exactly one.
    assert!(b.step(Some(&words[depth]), false).pushed);
    let mut out = vec![words[0].clone()];
    while let Some(p) = b.step(None, true).popped {
        out.push(p);
    }
    let mut want: Vec<Vec<u8>> = words[..depth].to_vec();
    want.push(words[depth].clone());
    assert_eq!(out, want);
    assert!(b.model.is_empty());
    assert!(b.step(None, true).popped.is_none(), "empty stays empty");
}

/// Pushing and popping every cycle moves one word per cycle, 2 cycles after the first push.
fn full_throughput(f: Fifo<'_>) {
    let mut b = Bench::new(f);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let mut first_pop = None;
    let mut pops = 0;
    for i in 0..1000u64 {
        let w = b.random_word(&mut rng);
        let c = b.step(Some(&w), true);
        assert!(c.pushed, "cycle {i}: a streaming FIFO always has room");
        if c.popped.is_some() {
            first_pop.get_or_insert(i);
            pops += 1;
        }
    }
    assert_eq!(first_pop, Some(LATENCY));
    assert_eq!(pops, 1000 - LATENCY);
    assert!(b.model.len() as u64 <= LATENCY);
}

#[test]
fn w8_d16_distributed_random() {
    let dut = SyncFifoW8D16Dist::new();
    random_traffic(fifo!(dut, 16), "w8_d16_distributed_random", 100_000);
}

#[test]
fn w512_d1024_block_random() {
    let dut = SyncFifoW512D1024Bram::new();
    random_traffic(fifo!(dut, 1024), "w512_d1024_block_random", 100_000);
}

#[test]
fn fill_and_drain_both() {
    let a = SyncFifoW8D16Dist::new();
    fill_and_drain(fifo!(a, 16));
    let b = SyncFifoW512D1024Bram::new();
    fill_and_drain(fifo!(b, 1024));
}

#[test]
fn full_throughput_both() {
    let a = SyncFifoW8D16Dist::new();
    full_throughput(fifo!(a, 16));
    let b = SyncFifoW512D1024Bram::new();
    full_throughput(fifo!(b, 1024));
}

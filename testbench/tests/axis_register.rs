//! `hdl::blocks::axis_register` against a cycle-exact model: a register slice behaves as a
//! two-entry queue whose outputs are registers, so in every cycle
//! `s_axis_tready == (held < 2)`, `m_axis_tvalid == (held > 0)` and the output beat is the
//! oldest held one. Random beats, random input gaps (with junk on idle inputs) and random
//! output back-pressure, at 8, 64 and 512 bits; plus exact full-throughput checks.

use rand::Rng;
use sim::axis::keep_mask;
use sim::prelude::*;
use std::collections::VecDeque;
use testbench::models::{AxisRegisterW512u1, AxisRegisterW64u1, AxisRegisterW8u1};
use testbench::seed;

/// The ports of one register slice model, whatever its width.
struct Pins<'a> {
    dut: &'a dyn Model,
    rst: &'a dyn PortWrite,
    s: AxisIn<'a>,
    m: AxisOut<'a>,
}

macro_rules! pins {
    ($dut:expr) => {
        Pins {
            dut: &$dut,
            rst: &$dut.rst,
            s: axis_in!($dut.s_axis),
            m: axis_out!($dut.m_axis),
        }
    };
}

impl Pins<'_> {
    fn reset(&self) {
        self.rst.set_bits(0, 1, 1);
        self.dut.ticks(2).unwrap();
        self.rst.set_bits(0, 1, 0);
    }

    /// Offers `beat`, or idles with `junk` on the other inputs.
    fn drive(&self, beat: Option<&Beat>, junk: &Beat) {
        match beat {
            Some(b) => self.s.drive(b),
            None => self.s.idle_with(junk),
        }
    }
}

fn random_beat(rng: &mut impl Rng, bytes: usize) -> Beat {
    Beat {
        data: (0..bytes).map(|_| rng.gen()).collect(),
        keep: rng.gen::<u64>() & keep_mask(bytes),
        last: rng.gen(),
        user: rng.gen::<bool>().into(),
    }
}

/// Runs `cycles` random cycles, checking every output against the two-entry queue model.
fn random_run(p: &Pins, name: &str, cycles: u64) {
    let mut rng = seed::rng(name);
    let bytes = p.s.lanes();
    p.reset();
    let mut held: VecDeque<Beat> = VecDeque::new();
    let mut offered: Option<Beat> = None;
    let (mut sent, mut received) = (0u64, 0u64);
    // Traffic phases change the odds of input gaps and output stalls every 1000 cycles.
    let (mut p_valid, mut p_ready) = (0.5, 0.5);
    for cycle in 0..cycles {
        if cycle % 1000 == 0 {
            p_valid = [0.1, 0.5, 0.9, 1.0][rng.gen_range(0..4)];
            p_ready = [0.1, 0.5, 0.9, 1.0][rng.gen_range(0..4)];
        }
        // AXI-Stream: once offered, a beat stays until it is taken.
        if offered.is_none() && rng.gen_bool(p_valid) {
            offered = Some(random_beat(&mut rng, bytes));
        }
        let junk = random_beat(&mut rng, bytes);
        p.drive(offered.as_ref(), &junk);
        let ready = rng.gen_bool(p_ready);
        p.m.set_ready(ready);
        p.dut.eval().unwrap();

        let ctx = || format!("{name}: cycle {cycle}, {} held", held.len());
        assert_eq!(p.s.ready(), held.len() < 2, "s_axis_tready, {}", ctx());
        assert_eq!(p.m.valid(), !held.is_empty(), "m_axis_tvalid, {}", ctx());
        if let Some(front) = held.front() {
            assert_eq!(&p.m.beat(), front, "output beat {received}, {}", ctx());
            if ready {
                held.pop_front();
                received += 1;
            }
        }
        if p.s.ready() {
            if let Some(b) = offered.take() {
                held.push_back(b);
                sent += 1;
            }
        }
        p.dut.tick().unwrap();
    }
    assert!(
        received > cycles / 10,
        "{name}: only {received} beats in {cycles} cycles"
    );
    assert!(sent >= received);
}

/// Always-valid input and always-ready output: one beat per cycle after one cycle of latency.
fn full_throughput(p: &Pins) {
    p.reset();
    let bytes = p.s.lanes();
    let mut rng = seed::rng("full_throughput");
    let beats: Vec<Beat> = (0..64).map(|_| random_beat(&mut rng, bytes)).collect();
    p.m.set_ready(true);
    let mut out = Vec::new();
    for cycle in 0..beats.len() + 1 {
        p.drive(beats.get(cycle), &beats[0]);
        p.dut.eval().unwrap();
        if cycle < beats.len() {
            assert!(p.s.ready(), "input stalled at cycle {cycle}");
        }
        // The beat accepted in cycle c is on the output in cycle c + 1.
        assert_eq!(p.m.valid(), cycle > 0, "m_axis_tvalid at cycle {cycle}");
        if cycle > 0 {
            out.push(p.m.beat());
        }
        p.dut.tick().unwrap();
    }
    assert_eq!(out, beats);
}

/// A stalled output fills the slice after exactly two beats, and releasing it drains them
/// in order while the input resumes without a lost cycle.
fn stall_and_release(p: &Pins) {
    p.reset();
    let bytes = p.s.lanes();
    let mut rng = seed::rng("stall_and_release");
    let beats: Vec<Beat> = (0..4).map(|_| random_beat(&mut rng, bytes)).collect();
    p.m.set_ready(false);
    let mut next = 0;
    let mut readies = Vec::new();
    for _ in 0..4 {
        p.drive(beats.get(next), &beats[0]);
        p.dut.eval().unwrap();
        readies.push(p.s.ready());
        if p.s.ready() {
            next += 1;
        }
        p.dut.tick().unwrap();
    }
    assert_eq!(readies, [true, true, false, false]);
    assert_eq!(next, 2);
    p.m.set_ready(true);
    let mut out = Vec::new();
    for _ in 0..6 {
        p.drive(beats.get(next), &beats[0]);
        p.dut.eval().unwrap();
        if p.m.valid() {
            out.push(p.m.beat());
        }
        if p.s.ready() && next < beats.len() {
            next += 1;
        }
        p.dut.tick().unwrap();
    }
    assert_eq!(out, beats);
}

macro_rules! tests_for {
    ($modname:ident, $model:ty, $cycles:expr) => {
        mod $modname {
            use super::*;

            #[test]
            fn random_traffic_matches_the_model() {
                let dut = <$model>::new();
                random_run(&pins!(dut), stringify!($modname), $cycles);
            }

            #[test]
            fn full_throughput_one_beat_per_cycle() {
                let dut = <$model>::new();
                full_throughput(&pins!(dut));
            }

            #[test]
            fn stall_fills_two_and_drains_in_order() {
                let dut = <$model>::new();
                stall_and_release(&pins!(dut));
            }
        }
    };
}

tests_for!(w8, AxisRegisterW8u1, 100_000);
tests_for!(w64, AxisRegisterW64u1, 200_000);
tests_for!(w512, AxisRegisterW512u1, 200_000);

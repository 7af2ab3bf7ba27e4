//! `hdl::blocks::axis_register` against a cycle-exact model: a register slice behaves as a
//! two-entry queue whose outputs are registers, so in every cycle
//! `s_axis_tready == (held < 2)`, `m_axis_tvalid == (held > 0)` and the output beat is the
//! oldest held one. Random beats, random input gaps (with junk on idle inputs) and random
//! output back-pressure, at 8, 64 and 512 bits; plus exact full-throughput checks.

use rand::Rng;
use sim::axis::keep_mask;
use sim::prelude::*;
use std::collections::VecDeque;
use testbench::models::views::AxisRegister;
use testbench::models::{AxisRegisterW512u1, AxisRegisterW64u1, AxisRegisterW8u1};
use testbench::seed;

/// Holds reset for two cycles.
fn reset(p: &AxisRegister) {
    p.rst.set_bits(0, 1, 1);
    p.dut.ticks(2).unwrap();
    p.rst.set_bits(0, 1, 0);
}

/// Offers `beat`, or idles with `junk` on the other inputs.
fn offer(p: &AxisRegister, beat: Option<&Beat>, junk: &Beat) {
    match beat {
        Some(b) => p.s_axis.drive(b),
        None => p.s_axis.idle_with(junk),
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
fn random_run(p: &AxisRegister, name: &str, cycles: u64) {
    let mut rng = seed::rng(name);
    let bytes = p.s_axis.lanes();
    reset(p);
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
        offer(p, offered.as_ref(), &junk);
        let ready = rng.gen_bool(p_ready);
        p.m_axis.set_ready(ready);
        p.dut.eval().unwrap();

        let ctx = || format!("{name}: cycle {cycle}, {} held", held.len());
        assert_eq!(p.s_axis.ready(), held.len() < 2, "s_axis_tready, {}", ctx());
        assert_eq!(
            p.m_axis.valid(),
            !held.is_empty(),
            "m_axis_tvalid, {}",
            ctx()
        );
        if let Some(front) = held.front() {
            assert_eq!(&p.m_axis.beat(), front, "output beat {received}, {}", ctx());
            if ready {
                held.pop_front();
                received += 1;
            }
        }
        if p.s_axis.ready() {
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
fn full_throughput(p: &AxisRegister) {
    reset(p);
    let bytes = p.s_axis.lanes();
    let mut rng = seed::rng("full_throughput");
    let beats: Vec<Beat> = (0..64).map(|_| random_beat(&mut rng, bytes)).collect();
    p.m_axis.set_ready(true);
    let mut out = Vec::new();
    for cycle in 0..beats.len() + 1 {
        offer(p, beats.get(cycle), &beats[0]);
        p.dut.eval().unwrap();
        if cycle < beats.len() {
            assert!(p.s_axis.ready(), "input stalled at cycle {cycle}");
        }
        // The beat accepted in cycle c is on the output in cycle c + 1.
        assert_eq!(
            p.m_axis.valid(),
            cycle > 0,
            "m_axis_tvalid at cycle {cycle}"
        );
        if cycle > 0 {
            out.push(p.m_axis.beat());
        }
        p.dut.tick().unwrap();
    }
    assert_eq!(out, beats);
}

/// A stalled output fills the slice after exactly two beats, and releasing it drains them
/// in order while the input resumes without a lost cycle.
fn stall_and_release(p: &AxisRegister) {
    reset(p);
    let bytes = p.s_axis.lanes();
    let mut rng = seed::rng("stall_and_release");
    let beats: Vec<Beat> = (0..4).map(|_| random_beat(&mut rng, bytes)).collect();
    p.m_axis.set_ready(false);
    let mut next = 0;
    let mut readies = Vec::new();
    for _ in 0..4 {
        offer(p, beats.get(next), &beats[0]);
        p.dut.eval().unwrap();
        readies.push(p.s_axis.ready());
        if p.s_axis.ready() {
            next += 1;
        }
        p.dut.tick().unwrap();
    }
    assert_eq!(readies, [true, true, false, false]);
    assert_eq!(next, 2);
    p.m_axis.set_ready(true);
    let mut out = Vec::new();
    for _ in 0..6 {
        offer(p, beats.get(next), &beats[0]);
        p.dut.eval().unwrap();
        if p.m_axis.valid() {
            out.push(p.m_axis.beat());
        }
        if p.s_axis.ready() && next < beats.len() {
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
                random_run(&dut.view(), stringify!($modname), $cycles);
            }

            #[test]
            fn full_throughput_one_beat_per_cycle() {
                let dut = <$model>::new();
                full_throughput(&dut.view());
            }

            #[test]
            fn stall_fills_two_and_drains_in_order() {
                let dut = <$model>::new();
                stall_and_release(&dut.view());
            }
        }
    };
}

tests_for!(w8, AxisRegisterW8u1, 100_000);
tests_for!(w64, AxisRegisterW64u1, 200_000);
tests_for!(w512, AxisRegisterW512u1, 200_000);

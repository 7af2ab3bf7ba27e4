//! `hdl::blocks::axis_packet_fifo` against a Rust model: random frames (good, bad, too
//! long, exactly filling) with random input gaps and output back-pressure, plus directed
//! cases, in both full-handling modes at 64 and 512 bits.
//!
//! The model follows the documented architecture: the memory holds `depth` beats, which are
//! the beats of committed frames not yet moved to the output register plus those of the
//! frame being written; the output register (visible as `m_axis_tvalid`) holds one more.
//! From that the model knows, per beat, whether it fits, and so which frames are dropped
//! and when `s_axis_tready` is low. Checked in every cycle: every output beat (data, keep,
//! last, tuser = 0) in order, `m_axis_tvalid` exactly from the second cycle after a frame's
//! last beat went in (no bubbles after that), `s_axis_tready`, and the `drop_bad` /
//! `drop_full` pulses one cycle after the last beat of a dropped frame.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim::axis::keep_mask;
use sim::prelude::*;
use std::collections::VecDeque;
use testbench::models::views::AxisPacketFifo;
use testbench::models::{
    AxisPacketFifoW512u1D512BramBp, AxisPacketFifoW512u1D512BramDrop, AxisPacketFifoW64u1D64DistBp,
    AxisPacketFifoW64u1D64DistDrop,
};
use testbench::seed;

/// Cycles from a frame's last beat going in to its first beat being valid at the output.
const LATENCY: u64 = 2;

/// A frame's beats; `user` is the bad-frame flag, which the FIFO looks at on the last beat
/// only.
type Frame = Vec<Beat>;

/// One packet FIFO model, whatever its width, and its parameters.
struct Fifo<'a> {
    v: AxisPacketFifo<'a>,
    depth: usize,
    drop_when_full: bool,
}

/// Frames as the FIFO outputs them: `tuser` 0.
fn clean(frames: &[Frame]) -> Vec<Frame> {
    frames
        .iter()
        .map(|f| {
            f.iter()
                .map(|b| Beat {
                    user: 0,
                    ..b.clone()
                })
                .collect()
        })
        .collect()
}

/// What happened in one cycle.
#[derive(Debug, Default)]
struct Cycle {
    accepted: bool,
    popped: Option<Beat>,
    drop_bad: bool,
    drop_full: bool,
}

/// Totals, also for coverage.
#[derive(Debug, Default)]
struct Stats {
    frames_in: u64,
    delivered: u64,
    dropped_bad: u64,
    dropped_full: u64,
    /// Frames of exactly `depth` beats delivered.
    exact_fill: u64,
    /// Frames longer than `depth` beats (all dropped).
    oversize: u64,
    /// Cycles with a beat offered and `s_axis_tready` low.
    backpressured: u64,
    /// Cycles with a frame's beat offered while the memory was full.
    full_offers: u64,
}

/// The DUT and the model side by side.
struct Bench<'a> {
    p: Fifo<'a>,
    /// Beats of committed frames not yet popped, each with the first cycle it may be valid.
    committed: VecDeque<(Beat, u64)>,
    /// Beats of the frame being written.
    cur: Vec<Beat>,
    dropping: bool,
    /// Pulses due in the next cycle.
    pulse_bad: bool,
    pulse_full: bool,
    cycle: u64,
    /// Output beats since the last frame end, to assemble delivered frames.
    out_frame: Vec<Beat>,
    delivered: Vec<Frame>,
    stats: Stats,
}

impl<'a> Bench<'a> {
    fn new(p: Fifo<'a>) -> Self {
        let b = Bench {
            p,
            committed: VecDeque::new(),
            cur: Vec::new(),
            dropping: false,
            pulse_bad: false,
            pulse_full: false,
            cycle: 0,
            out_frame: Vec::new(),
            delivered: Vec::new(),
            stats: Stats::default(),
        };
        b.p.v.rst.set_bit(0, true);
        b.p.v.s_axis.idle();
        b.p.v.m_axis.set_ready(false);
        b.p.v.dut.tick().unwrap();
        b.p.v.rst.set_bit(0, false);
        b
    }

    /// One clock cycle offering `beat` (if any) with `m_axis_tready` = `ready`.
    fn step(&mut self, beat: Option<&Beat>, ready: bool) -> Cycle {
        let p = &self.p;
        match beat {
            Some(b) => p.v.s_axis.drive(b),
            None => p.v.s_axis.idle(),
        }
        p.v.m_axis.set_ready(ready);
        p.v.dut.eval().unwrap();
        let t = self.cycle;

        // The memory holds everything committed or written but not yet in the output
        // register (state before this cycle's edge).
        let m_valid = p.v.m_axis.valid();
        let in_mem = self.committed.len() + self.cur.len() - m_valid as usize;
        let full = in_mem == p.depth;
        let committed_in_mem = self.committed.len() - m_valid as usize;

        // Output side.
        let head_ready = self.committed.front().is_some_and(|(_, at)| *at <= t);
        assert_eq!(
            m_valid,
            head_ready,
            "cycle {t}: m_axis_tvalid ({} beats committed)",
            self.committed.len()
        );
        let mut out = Cycle::default();
        if m_valid {
            let got = p.v.m_axis.beat();
            let want = &self.committed.front().unwrap().0;
            let want = Beat {
                user: 0,
                ..want.clone()
            };
            assert_eq!(got, want, "cycle {t}: output beat");
            if ready {
                self.committed.pop_front();
                self.out_frame.push(got.clone());
                if got.last {
                    self.delivered.push(std::mem::take(&mut self.out_frame));
                    self.stats.delivered += 1;
                }
                out.popped = Some(got);
            }
        }

        // Drop pulses for frames that ended in the previous cycle.
        out.drop_bad = p.v.drop_bad.bit(0);
        out.drop_full = p.v.drop_full.bit(0);
        assert_eq!(out.drop_bad, self.pulse_bad, "cycle {t}: drop_bad");
        assert_eq!(out.drop_full, self.pulse_full, "cycle {t}: drop_full");
        self.pulse_bad = false;
        self.pulse_full = false;

        // Input side.
        let want_ready = p.drop_when_full || !full || committed_in_mem == 0 || self.dropping;
        assert_eq!(
            p.v.s_axis.ready(),
            want_ready,
            "cycle {t}: s_axis_tready ({in_mem} beats in memory, {} of the current frame)",
            self.cur.len()
        );
        if let Some(b) = beat {
            if full && !self.dropping {
                self.stats.full_offers += 1;
            }
            if !want_ready {
                self.stats.backpressured += 1;
            } else {
                out.accepted = true;
                if self.dropping || full {
                    self.cur.clear();
                    self.dropping = !b.last;
                    if b.last {
                        self.pulse_full = true;
                        self.stats.dropped_full += 1;
                    }
                } else {
                    self.cur.push(b.clone());
                    if b.last && b.user != 0 {
                        self.cur.clear();
                        self.pulse_bad = true;
                        self.stats.dropped_bad += 1;
                    } else if b.last {
                        if self.cur.len() == p.depth {
                            self.stats.exact_fill += 1;
                        }
                        let at = t + LATENCY;
                        self.committed
                            .extend(self.cur.drain(..).map(|beat| (beat, at)));
                    }
                }
            }
        }
        self.p.v.dut.tick().unwrap();
        self.cycle += 1;
        out
    }

    /// Offers `frames` back to back (input always valid) with `m_axis_tready` = `ready`.
    fn send<'f>(&mut self, frames: impl IntoIterator<Item = &'f Frame>, ready: bool) {
        for f in frames {
            for b in f {
                while !self.step(Some(b), ready).accepted {}
            }
        }
    }

    /// Cycles with `m_axis_tready` high and no input until the output has been idle a while.
    fn drain(&mut self) -> Vec<Frame> {
        let mut idle = 0;
        while idle < 8 {
            idle = if self.step(None, true).popped.is_some() {
                0
            } else {
                idle + 1
            };
        }
        assert!(self.committed.is_empty());
        std::mem::take(&mut self.delivered)
    }

    /// A frame of `len` beats with random data, a random partial last beat, and `tuser`
    /// random on the others (it must be ignored there).
    fn frame(&self, rng: &mut impl Rng, len: usize, bad: bool) -> Frame {
        (0..len)
            .map(|i| {
                let last = i + 1 == len;
                let lanes = self.p.v.s_axis.lanes();
                let n = if last {
                    rng.gen_range(1..=lanes)
                } else {
                    lanes
                };
                let mut data: Vec<u8> = (0..lanes).map(|_| rng.gen()).collect();
                // Lanes beyond keep carry whatever the source left there; the FIFO keeps them.
                if rng.gen_bool(0.5) {
                    data[n..].fill(0);
                }
                Beat {
                    data,
                    keep: keep_mask(n),
                    last,
                    user: if last { bad } else { rng.gen_bool(0.5) }.into(),
                }
            })
            .collect()
    }
}

/// Random frame lengths around the interesting sizes.
fn random_len(rng: &mut impl Rng, depth: usize) -> usize {
    match rng.gen_range(0..100) {
        0..=14 => 1,
        15..=44 => rng.gen_range(2..=8),
        45..=74 => rng.gen_range(9..=depth / 2),
        75..=89 => rng.gen_range(depth - 2..=depth),
        90..=94 => depth,
        _ => rng.gen_range(depth + 1..=2 * depth),
    }
}

fn random_traffic(p: Fifo<'_>, name: &str, cycles: u64) {
    let mut rng = seed::rng(name);
    let depth = p.depth;
    let mut b = Bench::new(p);
    // (input valid, output ready) probabilities; each phase lasts a random while.
    const PHASES: [(f64, f64); 6] = [
        (1.0, 1.0),
        (1.0, 0.0),
        (0.0, 1.0),
        (0.8, 0.4),
        (0.5, 0.9),
        (0.95, 0.95),
    ];
    let (mut p_in, mut p_out) = (1.0, 1.0);
    let mut phase_end = 0;
    let mut frame: Frame = Vec::new();
    let mut pos = 0;
    while b.cycle < cycles {
        if b.cycle >= phase_end {
            (p_in, p_out) = PHASES[rng.gen_range(0..PHASES.len())];
            phase_end = b.cycle + rng.gen_range(1..3 * depth as u64 + 20);
        }
        if pos == frame.len() {
            let len = random_len(&mut rng, depth);
            let bad = rng.gen_bool(0.15);
            frame = b.frame(&mut rng, len, bad);
            pos = 0;
            b.stats.frames_in += 1;
            b.stats.oversize += (len > depth) as u64;
        }
        let offer = rng.gen_bool(p_in);
        let c = b.step(offer.then(|| &frame[pos]), rng.gen_bool(p_out));
        pos += c.accepted as usize;
    }
    let s = &b.stats;
    println!("{name}: {cycles} cycles: {s:?}");
    assert!(s.delivered > 100 && s.dropped_bad > 10 && s.dropped_full > 10);
    assert!(s.exact_fill > 0 && s.oversize > 0 && s.full_offers > 0);
    if !b.p.drop_when_full {
        assert!(s.backpressured > 0);
    }
}

/// Good, bad, good back to back: the bad one vanishes, the others arrive intact.
fn bad_between_good(p: Fifo<'_>) {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut b = Bench::new(p);
    for (la, lb, lc) in [(3, 5, 2), (1, 1, 1), (7, 1, 4)] {
        let a = b.frame(&mut rng, la, false);
        let bad = b.frame(&mut rng, lb, true);
        let c = b.frame(&mut rng, lc, false);
        b.send([&a, &bad, &c], false);
        assert_eq!(b.drain(), clean(&[a, c]));
        assert_eq!(b.stats.dropped_bad, 1);
        b.stats.dropped_bad = 0;
    }
}

/// A frame of exactly `depth` beats fits an empty FIFO; the output register then takes its
/// first beat, which leaves room for one more beat.
fn exactly_filling(p: Fifo<'_>) {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let depth = p.depth;
    let drop_mode = p.drop_when_full;
    let mut b = Bench::new(p);
    let big = b.frame(&mut rng, depth, false);
    let one = b.frame(&mut rng, 1, false);
    let two = b.frame(&mut rng, 2, false);
    b.send([&big], false);
    // The memory is full until the output register has taken the first beat.
    for _ in 0..LATENCY {
        b.step(None, false);
    }
    b.send([&one], false);
    assert_eq!(b.stats.dropped_full, 0);
    if drop_mode {
        // No room for a third frame: dropped.
        b.send([&two], false);
        assert_eq!(b.stats.dropped_full, 1);
        assert_eq!(b.drain(), clean(&[big, one]));
    } else {
        // No room: back-pressure until the output drains.
        for _ in 0..10 {
            assert!(!b.step(Some(&two[0]), false).accepted);
        }
        b.send([&two], true);
        assert_eq!(b.drain(), clean(&[big, one, two]));
        assert_eq!(b.stats.dropped_full, 0);
    }
}

/// A frame one beat longer than the FIFO is dropped (also in back-pressure mode, where it
/// could never fit); the frame after it is not harmed.
fn too_long(p: Fifo<'_>) {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let depth = p.depth;
    let mut b = Bench::new(p);
    let long = b.frame(&mut rng, depth + 1, false);
    let next = b.frame(&mut rng, 3, false);
    b.send([&long, &next], false);
    assert_eq!(b.stats.dropped_full, 1);
    assert_eq!(b.drain(), clean(&[next]));
    // Also while the reader drains in parallel: no difference for a frame that never fits.
    let long = b.frame(&mut rng, 2 * depth, false);
    let next = b.frame(&mut rng, 1, false);
    b.send([&long, &next], true);
    assert_eq!(b.drain(), clean(&[next]));
    assert_eq!(b.stats.dropped_full, 2);
}

/// Back-to-back frames of one length go in at one beat per cycle and come out at one beat
/// per cycle, starting `LATENCY` cycles after the first frame's last beat, without a gap.
fn full_throughput(p: Fifo<'_>) {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let mut b = Bench::new(p);
    for len in [1, 2, 5, 8] {
        let frames: Vec<Frame> = (0..30).map(|_| b.frame(&mut rng, len, false)).collect();
        let beats = frames.len() * len;
        let start = b.cycle;
        let mut input = frames.iter().flatten();
        let mut offer = input.next();
        let mut pops = Vec::new();
        while pops.len() < beats {
            let c = b.step(offer, true);
            if offer.is_some() {
                assert!(c.accepted, "input never waits");
                offer = input.next();
            }
            if c.popped.is_some() {
                pops.push(b.cycle - 1 - start);
            }
        }
        let first = (len - 1) as u64 + LATENCY;
        assert_eq!(pops, (first..first + beats as u64).collect::<Vec<_>>());
        assert_eq!(b.drain(), clean(&frames));
    }
}

macro_rules! variant {
    ($mod:ident, $ty:ident, $depth:expr, $drop:expr) => {
        mod $mod {
            use super::*;

            fn fifo(dut: &$ty) -> Fifo<'_> {
                Fifo {
                    v: dut.view(),
                    depth: $depth,
                    drop_when_full: $drop,
                }
            }

            #[test]
            fn random() {
                let dut = $ty::new();
                // Enough cycles for a few thousand frames at any depth.
                let cycles = 100_000.max(1_000 * $depth);
                random_traffic(fifo(&dut), stringify!($mod), cycles);
            }

            #[test]
            fn bad_frame_between_good_frames() {
                let dut = $ty::new();
                bad_between_good(fifo(&dut));
            }

            #[test]
            fn frame_exactly_filling() {
                let dut = $ty::new();
                exactly_filling(fifo(&dut));
            }

            #[test]
            fn frame_too_long() {
                let dut = $ty::new();
                too_long(fifo(&dut));
            }

            #[test]
            fn one_beat_per_cycle() {
                let dut = $ty::new();
                full_throughput(fifo(&dut));
            }
        }
    };
}

variant!(w64_drop, AxisPacketFifoW64u1D64DistDrop, 64, true);
variant!(w64_backpressure, AxisPacketFifoW64u1D64DistBp, 64, false);
variant!(w512_drop, AxisPacketFifoW512u1D512BramDrop, 512, true);
variant!(
    w512_backpressure,
    AxisPacketFifoW512u1D512BramBp,
    512,
    false
);

//! `byte_shifter_w{8,64,512}u1_o*` against `hdl::blocks::byte_shifter::reference`: random
//! frames and offsets (shorter than, equal to and longer than the offset) with random input
//! gaps and output back-pressure; every output beat is compared (`tkeep`, `tlast`, `tuser`
//! exactly, `tdata` on kept lanes), stalled outputs must hold still, and with a free output
//! the input must never stall.

use hdl::blocks::byte_shifter::reference;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sim::axis::{beats_to_frame, frame_to_beats, keep_mask};
use sim::prelude::*;
use std::collections::VecDeque;
use testbench::models::{ByteShifterW512u1O256, ByteShifterW64u1O256, ByteShifterW8u1O64};

/// An input frame: its bytes, the offset to strip, its bad flag, and whether a frame of
/// whole beats ends with an extra beat with `tkeep` 0.
#[derive(Clone, Debug)]
struct Frame {
    data: Vec<u8>,
    offset: usize,
    user: bool,
    empty_tail: bool,
}

impl Frame {
    /// The input beats: packed, plus the `tkeep` = 0 tail beat if asked for.
    fn beats(&self, b: usize) -> Vec<Beat> {
        let mut out = frame_to_beats(&self.data, b, u64::from(self.user));
        if self.empty_tail && self.data.len() % b == 0 {
            let end = out.last_mut().unwrap();
            end.last = false;
            end.user = 0;
            out.extend(frame_to_beats(&[], b, u64::from(self.user)));
        }
        out
    }

    /// The output beats the reference model expects (unkept lanes 0).
    fn expected(&self, b: usize) -> Vec<Beat> {
        let (bytes, user) = reference(&self.data, self.offset, u64::from(self.user));
        frame_to_beats(&bytes, b, user)
    }
}

/// The ports of any width.
struct Dut<'a> {
    model: &'a dyn Model,
    bytes: usize,
    max_offset: usize,
    rst: &'a dyn PortWrite,
    s: AxisIn<'a>,
    s_offset: &'a dyn PortWrite,
    m: AxisOut<'a>,
}

macro_rules! dut {
    ($m:expr, $bytes:expr, $max_offset:expr) => {
        Dut {
            model: &$m,
            bytes: $bytes,
            max_offset: $max_offset,
            rst: &$m.rst,
            s: axis_in!($m.s_axis),
            s_offset: &$m.s_offset,
            m: axis_out!($m.m_axis),
        }
    };
}

fn set(p: &dyn PortWrite, v: u64) {
    p.set_bits(0, p.width(), v);
}

/// How hard a run pushes: probabilities of an idle input cycle and of `m_axis_tready`.
#[derive(Clone, Copy, Debug)]
struct Traffic {
    gap: f64,
    ready: f64,
}

const FREE: Traffic = Traffic {
    gap: 0.0,
    ready: 1.0,
};

impl Dut<'_> {
    fn reset(&self) {
        set(self.rst, 1);
        self.m.set_ready(false);
        self.s.idle();
        self.model.tick().unwrap();
        set(self.rst, 0);
    }

    /// Idles the input with junk on every other input line.
    fn junk(&self, rng: &mut ChaCha8Rng) {
        let b = self.bytes;
        let junk = Beat {
            data: (0..b).map(|_| rng.gen()).collect(),
            keep: rng.gen::<u64>() & keep_mask(b),
            last: rng.gen_range(0..2u64) == 1,
            user: rng.gen_range(0..2),
        };
        self.s.idle_with(&junk);
        set(
            self.s_offset,
            rng.gen::<u64>() & (u64::MAX >> (64 - self.s_offset.width())),
        );
    }

    /// Streams `frames` through and checks every output beat; returns the cycles taken.
    fn run(&self, frames: &[Frame], t: Traffic, rng: &mut ChaCha8Rng) -> u64 {
        let b = self.bytes;
        let start = self.model.cycle();
        // (frame, beat, is the frame's first beat)
        let mut input: VecDeque<(usize, Beat, bool)> = VecDeque::new();
        let mut expect: VecDeque<(usize, Beat)> = VecDeque::new();
        for (n, f) in frames.iter().enumerate() {
            assert!(f.offset < self.max_offset);
            for (i, beat) in f.beats(b).into_iter().enumerate() {
                input.push_back((n, beat, i == 0));
            }
            expect.extend(f.expected(b).into_iter().map(|e| (n, e)));
        }
        let mut presented = false;
        let mut stalled: Option<(bool, Beat)> = None;
        let mut idle = 0;
        while !input.is_empty() || !expect.is_empty() {
            let now = self.model.cycle();
            self.m.set_ready(rng.gen_bool(t.ready));
            // A presented beat stays until it is taken; gaps come between beats.
            if !presented && !input.is_empty() && !rng.gen_bool(t.gap) {
                presented = true;
                let (n, beat, first) = &input[0];
                self.junk(rng);
                // Unkept lanes carry junk, and tuser counts on the last beat only.
                let mut beat = beat.with_unkept(0xee);
                if !beat.last {
                    beat.user = rng.gen::<bool>().into();
                }
                self.s.drive(&beat);
                if *first {
                    set(self.s_offset, frames[*n].offset as u64);
                }
            } else if !presented {
                self.junk(rng);
            }
            self.model.eval().unwrap();

            let out = (self.m.valid(), self.m.beat());
            if let Some(prev) = stalled.take() {
                assert_eq!(prev, out, "cycle {now}: output changed while stalled");
            }
            if self.m.fires() {
                let (n, want) = expect
                    .pop_front()
                    .unwrap_or_else(|| panic!("cycle {now}: output beat with none expected"));
                let f = &frames[n];
                assert_eq!(
                    out.1.with_unkept(0),
                    want,
                    "cycle {now}: frame {n} (length {}, offset {}, user {}, empty tail {})",
                    f.data.len(),
                    f.offset,
                    f.user,
                    f.empty_tail
                );
                idle = 0;
            } else if out.0 {
                stalled = Some(out);
            }
            if presented && self.s.ready() {
                input.pop_front();
                presented = false;
                idle = 0;
            } else if presented && t.ready == 1.0 {
                panic!("cycle {now}: input stalled although the output is always ready");
            }
            idle += 1;
            assert!(idle < 1000, "cycle {now}: no progress (deadlock?)");
            self.model.tick().unwrap();
        }
        // Nothing more may come out.
        self.s.idle();
        self.m.set_ready(true);
        for _ in 0..4 {
            self.model.eval().unwrap();
            assert!(!self.m.valid(), "extra output beat");
            self.model.tick().unwrap();
        }
        self.model.cycle() - start
    }
}

fn random_frame(d: &Dut, rng: &mut ChaCha8Rng) -> Frame {
    let len = match rng.gen_range(0..10) {
        0 => rng.gen_range(1..=4),
        1..=3 => rng.gen_range(1..=3 * d.bytes.max(8)),
        _ => rng.gen_range(1..=2000),
    };
    let offset = if rng.gen_bool(0.3) {
        // Around the frame's length: short, exact and one-byte payloads.
        (len + rng.gen_range(0..5)).saturating_sub(2)
    } else {
        rng.gen_range(0..d.max_offset)
    }
    .min(d.max_offset - 1);
    Frame {
        data: (0..len).map(|_| rng.gen()).collect(),
        offset,
        user: rng.gen_bool(0.1),
        empty_tail: rng.gen_bool(0.2),
    }
}

fn random_test(d: &Dut, cycles: u64) {
    let mut rng = testbench::seed::rng("byte_shifter random");
    d.reset();
    let (mut done, mut count) = (0, 0);
    while done < cycles {
        let t = Traffic {
            gap: [0.0, 0.1, 0.5][rng.gen_range(0..3)],
            ready: [1.0, 0.9, 0.5, 0.2][rng.gen_range(0..4)],
        };
        let frames: Vec<Frame> = (0..20).map(|_| random_frame(d, &mut rng)).collect();
        done += d.run(&frames, t, &mut rng);
        count += frames.len();
    }
    println!("{count} frames in {done} cycles");
}

#[test]
fn random_frames_w8() {
    let m = ByteShifterW8u1O64::new();
    random_test(&dut!(m, 1, 64), 100_000);
}

#[test]
fn random_frames_w64() {
    let m = ByteShifterW64u1O256::new();
    random_test(&dut!(m, 8, 256), 400_000);
}

#[test]
fn random_frames_w512() {
    let m = ByteShifterW512u1O256::new();
    random_test(&dut!(m, 64, 256), 400_000);
}

/// Every length up to three beats against offsets at and around beat boundaries: frames
/// shorter than, as long as, and one byte longer than their offset, tails that fit and
/// tails that need a flush beat, back to back at full rate and then under back-pressure.
fn boundary_test(d: &Dut) {
    let mut rng = testbench::seed::rng("byte_shifter boundaries");
    d.reset();
    let b = d.bytes;
    let mut offsets = vec![
        0,
        1,
        2,
        b - 1,
        b,
        b + 1,
        2 * b - 1,
        2 * b,
        2 * b + 1,
        d.max_offset - 1,
    ];
    offsets.retain(|&o| o < d.max_offset);
    offsets.sort();
    offsets.dedup();
    let mut frames = Vec::new();
    for len in 1..=3 * b + 2 {
        for &offset in &offsets {
            for empty_tail in [false, true] {
                frames.push(Frame {
                    data: (0..len).map(|_| rng.gen()).collect(),
                    offset,
                    user: rng.gen_bool(0.2),
                    empty_tail,
                });
            }
        }
    }
    // Lengths around the largest offset too.
    let o = d.max_offset - 1;
    for len in o - 1..=o + 2 * b + 1 {
        frames.push(Frame {
            data: (0..len).map(|_| rng.gen()).collect(),
            offset: o,
            user: false,
            empty_tail: false,
        });
    }
    let beats: usize = frames.iter().map(|f| f.beats(b).len()).sum();
    // Full rate: `run` fails if the input ever stalls; the output adds no cycles but the
    // pipeline's fill and the final flush (and the idle check at the end).
    let cycles = d.run(&frames, FREE, &mut rng);
    assert!(
        cycles <= beats as u64 + 2 + 4,
        "{cycles} cycles for {beats} beats"
    );
    d.run(
        &frames,
        Traffic {
            gap: 0.2,
            ready: 0.6,
        },
        &mut rng,
    );
}

#[test]
fn boundaries_w8() {
    let m = ByteShifterW8u1O64::new();
    boundary_test(&dut!(m, 1, 64));
}

#[test]
fn boundaries_w64() {
    let m = ByteShifterW64u1O256::new();
    boundary_test(&dut!(m, 8, 256));
}

#[test]
fn boundaries_w512() {
    let m = ByteShifterW512u1O256::new();
    boundary_test(&dut!(m, 64, 256));
}

/// Frames not longer than their offset: one `tkeep` = 0 beat each, bad unless the frame
/// ended exactly at the offset; the frames around them are unaffected.
fn short_frames_test(d: &Dut) {
    let mut rng = testbench::seed::rng("byte_shifter short frames");
    d.reset();
    let b = d.bytes;
    let f = |len: usize, offset, user| Frame {
        data: (1..=len as u8).collect(),
        offset,
        user,
        empty_tail: false,
    };
    let frames = vec![
        f(10, 20, false),       // short: bad
        f(20, 20, false),       // exactly the header: empty, good
        f(20, 20, true),        // empty, and bad at the MAC
        f(21, 20, false),       // one byte
        f(b, b + 1, false),     // one beat, offset past it
        f(2 * b, 2 * b, false), // whole beats dropped, nothing left
        f(3, 0, false),
    ];
    let want = |n: usize| frames[n].expected(b);
    assert_eq!(want(0)[0].keep, 0);
    assert!(want(0)[0].user == 1 && want(0)[0].last);
    assert!(want(1)[0].user == 0 && want(1)[0].keep == 0);
    assert_eq!(want(2)[0].user, 1);
    assert_eq!(beats_to_frame(&want(3)), vec![21]);
    d.run(&frames, FREE, &mut rng);
    d.run(
        &frames,
        Traffic {
            gap: 0.5,
            ready: 0.5,
        },
        &mut rng,
    );
}

#[test]
fn short_frames_w8() {
    let m = ByteShifterW8u1O64::new();
    short_frames_test(&dut!(m, 1, 64));
}

#[test]
fn short_frames_w64() {
    let m = ByteShifterW64u1O256::new();
    short_frames_test(&dut!(m, 8, 256));
}

#[test]
fn short_frames_w512() {
    let m = ByteShifterW512u1O256::new();
    short_frames_test(&dut!(m, 64, 256));
}

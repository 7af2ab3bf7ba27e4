//! `checksum_w64` and `checksum_w512` against `hdl::blocks::checksum::reference`: random
//! frames with random keep masks and input gaps, and the peer bugs as regressions (sums
//! that carry twice, small frames back to back). Every `csum_valid` pulse must come exactly
//! `latency(width)` cycles after its frame's last beat, and at no other time.

use hdl::blocks::checksum::{latency, reference};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sim::prelude::*;
use std::collections::VecDeque;
use testbench::models::{ChecksumW512, ChecksumW64};

/// A frame as beats of `bytes` lanes: data and keep for every lane of every beat.
#[derive(Clone, Debug)]
struct Frame {
    data: Vec<u8>,
    keep: Vec<bool>,
}

/// The ports of either width.
struct Dut<'a> {
    model: &'a dyn Model,
    bytes: usize,
    rst: &'a dyn PortWrite,
    s: AxisIn<'a>,
    csum_valid: &'a dyn PortRead,
    csum: &'a dyn PortRead,
}

macro_rules! dut {
    ($m:expr, $bytes:expr) => {
        Dut {
            model: &$m,
            bytes: $bytes,
            rst: &$m.rst,
            s: axis_in!($m.s_axis, no_tuser),
            csum_valid: &$m.csum_valid,
            csum: &$m.csum,
        }
    };
}

fn keep_bits(keep: &[bool]) -> u64 {
    keep.iter()
        .enumerate()
        .map(|(i, &k)| u64::from(k) << i)
        .sum()
}

impl Dut<'_> {
    fn reset(&self) {
        self.rst.set_bits(0, 1, 1);
        self.model.tick().unwrap();
        self.rst.set_bits(0, 1, 0);
    }

    /// Feeds `frames` (with an idle cycle before a beat with probability `gap`) and checks
    /// every cycle's `csum_valid`/`csum`. Returns the cycles simulated.
    fn run(&self, frames: &[Frame], gap: f64, rng: &mut ChaCha8Rng) -> u64 {
        let lat = u64::from(latency(self.bytes as u32 * 8));
        let b = self.bytes;
        let start = self.model.cycle();
        let mut due: VecDeque<(u64, u16, usize)> = VecDeque::new();
        let mut beats = frames.iter().enumerate().flat_map(|(n, f)| {
            let count = f.data.len() / b;
            (0..count).map(move |i| (n, f, i, i + 1 == count))
        });
        let mut next = beats.next();
        loop {
            let now = self.model.cycle();
            assert!(self.s.ready(), "s_axis_tready must always be 1");
            let want = due.front().filter(|d| d.0 == now).copied();
            let got = self.csum_valid.bit(0);
            match want {
                Some((_, sum, n)) => {
                    assert!(got, "cycle {now}: no csum_valid for frame {n}");
                    let csum = self.csum.get_bits(0, 16) as u16;
                    let f = &frames[n];
                    let kept = f.keep.iter().filter(|&&k| k).count();
                    assert_eq!(
                        csum,
                        sum,
                        "cycle {now}: frame {n} ({} beats, {kept} bytes kept)",
                        f.data.len() / b
                    );
                    due.pop_front();
                }
                None => assert!(
                    !got,
                    "cycle {now}: csum_valid with no frame due (next: {:?})",
                    due.front()
                ),
            }
            if next.is_none() && due.is_empty() {
                // Leave this (checked) cycle, so a following run starts on a fresh one.
                self.s.idle();
                self.model.tick().unwrap();
                return now - start;
            }
            match next {
                Some((n, f, i, last)) if !rng.gen_bool(gap) => {
                    let lanes = i * b..(i + 1) * b;
                    let keep = keep_bits(&f.keep[lanes.clone()]);
                    self.s.drive_parts(&f.data[lanes], keep, last, 0);
                    if last {
                        due.push_back((now + lat, reference(&f.data, &f.keep), n));
                    }
                    next = beats.next();
                }
                _ => {
                    // Idle: garbage on every other input must be ignored.
                    let junk = Beat {
                        data: (0..b).map(|_| rng.gen()).collect(),
                        keep: rng.gen::<u64>() >> (64 - b),
                        last: rng.gen_range(0..2u64) == 1,
                        user: 0,
                    };
                    self.s.idle_with(&junk);
                }
            }
            self.model.tick().unwrap();
        }
    }
}

/// A frame of `len` bytes (lanes past the end have keep 0) with the given keep rule.
fn frame(bytes: usize, data: Vec<u8>, keep: impl Fn(usize) -> bool) -> Frame {
    let len = data.len();
    let padded = len.div_ceil(bytes).max(1) * bytes;
    let mut d = data;
    d.resize(padded, 0x5a);
    Frame {
        keep: (0..padded).map(|i| i < len && keep(i)).collect(),
        data: d,
    }
}

/// A frame of 16-bit words (network order), all kept.
fn words(bytes: usize, w: &[u16]) -> Frame {
    let data = w.iter().flat_map(|x| x.to_be_bytes()).collect();
    frame(bytes, data, |_| true)
}

fn random_frame(bytes: usize, rng: &mut ChaCha8Rng) -> Frame {
    let len = match rng.gen_range(0..10) {
        0 => rng.gen_range(1..=4),
        1..=3 => rng.gen_range(1..=64),
        _ => rng.gen_range(1..=2000),
    };
    // Some frames are made of extreme bytes, so the sums run into the carries.
    let extreme = rng.gen_bool(0.2);
    let data: Vec<u8> = (0..len)
        .map(|_| match extreme {
            true => [0xff, 0xff, 0xff, 0xfe, 0x00, 0x01][rng.gen_range(0..6)],
            false => rng.gen(),
        })
        .collect();
    match rng.gen_range(0..5) {
        // The whole frame.
        0 => frame(bytes, data, |_| true),
        // A window, like a header or a payload selected by the caller.
        1 => {
            let a = rng.gen_range(0..len);
            let b = rng.gen_range(a..=len);
            frame(bytes, data, |i| (a..b).contains(&i))
        }
        // Nothing.
        2 if rng.gen_bool(0.1) => frame(bytes, data, |_| false),
        // Any bytes at all (odd counts, holes).
        _ => {
            let density = rng.gen_range(0.05..1.0);
            let mask: Vec<bool> = (0..len).map(|_| rng.gen_bool(density)).collect();
            frame(bytes, data, |i| mask[i])
        }
    }
}

/// Random frames with random gaps for at least `cycles` cycles.
fn random_test(dut: &Dut, cycles: u64) {
    let mut rng = testbench::seed::rng("checksum random");
    dut.reset();
    let (mut done, mut count) = (0, 0);
    while done < cycles {
        let gap = [0.0, 0.1, 0.5][rng.gen_range(0..3)];
        let frames: Vec<Frame> = (0..50).map(|_| random_frame(dut.bytes, &mut rng)).collect();
        done += dut.run(&frames, gap, &mut rng);
        count += frames.len();
    }
    println!("{count} frames in {done} cycles");
}

#[test]
fn random_frames_w64() {
    let m = ChecksumW64::new();
    random_test(&dut!(m, 8), 400_000);
}

#[test]
fn random_frames_w512() {
    let m = ChecksumW512::new();
    random_test(&dut!(m, 64), 400_000);
}

#[test]
fn latency_is_as_documented() {
    // The tests above check every pulse against these; this pins the numbers.
    assert_eq!(latency(64), 4);
    assert_eq!(latency(512), 6);
}

/// A valid IPv4 header whose sum without the checksum field is at least 0x20000: the
/// sum over the whole header is 0x2fffd, which folds to 0xffff only if the fold keeps
/// both carries (verilog-ethernet added back one carry bit and rejected it).
fn ipv4_header_summing_to_0x2fffd() -> Vec<u16> {
    let mut h: Vec<u16> = vec![
        0x4500, 0x0054, 0x7eef, 0x4000, 0x4011, 0, 0xc0a8, 0x0001, 0xc0a8, 0x0002,
    ];
    let s: u32 = h.iter().map(|&w| u32::from(w)).sum();
    assert!(
        s >= 0x20000,
        "the addresses and fields make the sum carry twice"
    );
    let folded = ((s & 0xffff) + (s >> 16)) as u16; // no third carry at this size
    h[5] = !folded;
    let total: u32 = h.iter().map(|&w| u32::from(w)).sum();
    assert_eq!(total, 0x2fffd);
    h
}

/// Frames whose sums carry twice, at the end of the tree, across beats, and in the final
/// fold, each split over beats in several ways.
fn carry_frames(bytes: usize) -> Vec<(Frame, u16)> {
    let mut out = vec![(words(bytes, &ipv4_header_summing_to_0x2fffd()), 0xffff)];
    let cases: Vec<(Vec<u16>, u16)> = vec![
        (vec![0xffff, 0xffff], 0xffff),                 // 0x1fffe
        (vec![0xffff, 0xffff, 0xffff], 0xffff),         // 0x2fffd
        (vec![0xffff, 0x0001], 0x0001),                 // 0x10000
        (vec![0xffff, 0xffff, 0x0001], 0x0001),         // 0x1ffff: carries twice
        (vec![0xffff, 0xffff, 0xffff, 0x0002], 0x0002), // 0x2ffff
        (vec![0x8000, 0x8000], 0x0001),
        (vec![0; 5], 0x0000),
    ];
    for (w, sum) in cases {
        // Shift the words across beat boundaries with leading zero words.
        for pad in [0, 1, bytes / 2 - 1, bytes / 2] {
            let mut v = vec![0u16; pad];
            v.extend(&w);
            out.push((words(bytes, &v), sum));
        }
    }
    // Long runs of 0xffff words plus a small tail: the accumulator carries every beat.
    for n in [1, 31, 32, 33, 64, 65, 500] {
        for tail in [0x0001u16, 0x0002, 0xfffe] {
            let mut v = vec![0xffff; n];
            v.push(tail);
            let r = reference(&words(bytes, &v).data, &words(bytes, &v).keep);
            out.push((words(bytes, &v), r));
        }
    }
    out
}

fn carry_test(dut: &Dut) {
    let mut rng = testbench::seed::rng("checksum carry");
    dut.reset();
    let cases = carry_frames(dut.bytes);
    for (f, sum) in &cases {
        assert_eq!(reference(&f.data, &f.keep), *sum, "reference model: {f:x?}");
    }
    let frames: Vec<Frame> = cases.into_iter().map(|c| c.0).collect();
    dut.run(&frames, 0.0, &mut rng);
    dut.run(&frames, 0.3, &mut rng);
}

#[test]
fn sums_that_carry_twice_w64() {
    let m = ChecksumW64::new();
    carry_test(&dut!(m, 8));
}

#[test]
fn sums_that_carry_twice_w512() {
    let m = ChecksumW512::new();
    carry_test(&dut!(m, 64));
}

/// Frames of one beat or less, back to back: one result per cycle, each for its own
/// frame (verilog-ethernet misaligned small payloads' checksums).
fn small_frames_test(dut: &Dut) {
    let mut rng = testbench::seed::rng("checksum small frames");
    dut.reset();
    let b = dut.bytes;
    let mut frames = vec![frame(b, vec![0xab], |_| true)];
    for len in 1..=b {
        let data: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
        frames.push(frame(b, data.clone(), |_| true));
        // Only the odd bytes: each is the low half of its word.
        frames.push(frame(b, data, |i| i % 2 == 1));
    }
    // Single-byte frames, then a multi-beat frame, then single bytes again.
    frames.extend((0..=255u8).map(|x| frame(b, vec![x], |_| true)));
    frames.push(frame(b, vec![0xff; 3 * b + 1], |_| true));
    frames.extend((0..20u8).map(|x| frame(b, vec![x, !x, x], |_| true)));
    assert_eq!(reference(&frames[0].data, &frames[0].keep), 0xab00);
    let cycles = dut.run(&frames, 0.0, &mut rng);
    let beats: usize = frames.iter().map(|f| f.data.len() / b).sum();
    assert_eq!(
        cycles,
        beats as u64 - 1 + u64::from(latency(8 * b as u32)),
        "one beat per cycle"
    );
}

#[test]
fn small_frames_back_to_back_w64() {
    let m = ChecksumW64::new();
    small_frames_test(&dut!(m, 8));
}

#[test]
fn small_frames_back_to_back_w512() {
    let m = ChecksumW512::new();
    small_frames_test(&dut!(m, 64));
}

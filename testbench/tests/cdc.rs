//! The clock-domain-crossing blocks at unrelated clock frequencies, stepped by
//! `sim::clocks::Clocks`: 322.265625 MHz (3103 ps, a 100G CMAC's clock) against 250 MHz
//! (4000 ps) in both directions, and random period pairs with random phase, with random
//! back-pressure on both sides.
//!
//! - `async_fifo`: every word read is the oldest word written and not yet read (a Rust
//!   queue), none lost, duplicated or reordered; each Gray pointer changes in exactly one
//!   bit at an edge that moves it and in none otherwise, and holds the Gray code of the
//!   words moved so far; each synchronized copy only ever shows values its source pointer
//!   had, in the order it had them. Both full and empty are reached.
//! - `axis_async_packet_fifo`: random frames (good, bad, longer than the FIFO): with
//!   back-pressure exactly the good frames that fit come out, whole and in order, and the
//!   others are counted by `drop_bad` / `drop_full`; when dropping for space, what comes
//!   out is a subsequence of the good frames and every frame is delivered or counted. The
//!   output never shows a frame before its last beat went in, and never pauses inside one.
//! - `pulse_sync`: each accepted source pulse arrives exactly once.
//! - `handshake_sync`: the values arrive equal and in order, each once.
//! - `reset_sync`: asserts without a clock edge, releases exactly `stages` edges later.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sim::clocks::{period_ps, Clocks};
use sim::prelude::*;
use std::collections::VecDeque;
use testbench::models::{
    AsyncFifoW16D16S2Dist, AsyncFifoW64D512S3Bram, AxisAsyncPacketFifoW64u1D64DistBpS2,
    AxisAsyncPacketFifoW64u1D64DistDropS2, HandshakeSyncW32S2, PulseSyncP16S2, ResetSyncS2,
    ResetSyncS3,
};
use testbench::seed;

/// 322.265625 MHz and 250 MHz.
const FAST: u64 = 3103;
const SLOW: u64 = 4000;

/// Clock 0 drives the write (source) side, clock 1 the read (destination) side.
const WR: usize = 0;
const RD: usize = 1;

/// The two sides of a bench over a model with two clocks.
trait Sides {
    /// Just before the edges at which `side`'s clock rises, outputs settled: note what the
    /// edge completes.
    fn before(&mut self, side: usize);
    /// Just after them: check what changed and set `side`'s inputs for its next edge.
    fn after(&mut self, side: usize, rng: &mut ChaCha8Rng);
    /// Nothing left to do.
    fn done(&self) -> bool;
}

/// Steps `b` until it is done; panics after `max_edges` edges of either clock.
fn run(
    dut: &impl Model,
    clks: [&dyn PortWrite; 2],
    clocks: &mut Clocks,
    b: &mut impl Sides,
    rng: &mut ChaCha8Rng,
    max_edges: u64,
) {
    while !b.done() {
        let due = clocks.advance();
        clocks.settle(dut).unwrap();
        for side in [WR, RD].into_iter().filter(|&s| due.has(s)) {
            b.before(side);
        }
        clocks.edge(dut, &clks).unwrap();
        for side in [WR, RD].into_iter().filter(|&s| due.has(s)) {
            b.after(side, rng);
        }
        assert!(
            clocks.edges(WR).max(clocks.edges(RD)) < max_edges,
            "no progress after {max_edges} edges"
        );
    }
}

/// Resets as a board does from one source through a `reset_sync` per domain: both resets
/// rise together and stay high until each clock has risen four times (registers without a
/// reset start random, so a side released before the other's first edge would read the
/// other's random pointer); then each falls right after an edge of its own clock.
fn reset(dut: &impl Model, clks: [&dyn PortWrite; 2], rsts: [&dyn PortWrite; 2], c: &mut Clocks) {
    rsts.iter().for_each(|r| r.set_bit(0, true));
    let start = [c.edges(WR), c.edges(RD)];
    while rsts.iter().any(|r| r.bit(0)) {
        let due = c.advance();
        c.settle(dut).unwrap();
        c.edge(dut, &clks).unwrap();
        let held = [WR, RD].iter().all(|&s| c.edges(s) >= start[s] + 4);
        for side in [WR, RD] {
            if due.has(side) && held {
                rsts[side].set_bit(0, false);
            }
        }
    }
}

/// The clock pairs every crossing is tested at: both directions of 322/250 MHz and
/// `random` pairs of periods from 1 to 10 ns with random phase.
fn clock_pairs(rng: &mut ChaCha8Rng, random: usize) -> Vec<Clocks> {
    let mut out = vec![
        Clocks::new(&[FAST, SLOW]),
        Clocks::with_first_edges(&[SLOW, FAST], &[SLOW, 1000]),
    ];
    for _ in 0..random {
        let p = [rng.gen_range(1000..=10_000), rng.gen_range(1000..=10_000)];
        let first = [rng.gen_range(1..=p[0]), rng.gen_range(1..=p[1])];
        out.push(Clocks::with_first_edges(&p, &first));
    }
    out
}

fn ratio(c: &Clocks) -> String {
    format!(
        "{:.2} MHz -> {:.2} MHz",
        1e6 / c.period(WR) as f64,
        1e6 / c.period(RD) as f64
    )
}

fn to_gray(v: u64) -> u64 {
    v ^ (v >> 1)
}

/// A Gray pointer as its source domain holds it and as the other domain's synchronizer
/// shows it.
struct GrayWatch {
    name: &'static str,
    mask: u64,
    /// The source register's value after the last edge.
    value: u64,
    /// Values the source had that the synchronized copy has not passed yet, oldest first.
    history: VecDeque<u64>,
    /// Changes of the synchronized copy, and how many of them were of exactly one bit.
    synced_changes: u64,
    synced_one_bit: u64,
    synced_last: u64,
}

impl GrayWatch {
    fn new(name: &'static str, bits: u32) -> Self {
        GrayWatch {
            name,
            mask: (1 << bits) - 1,
            value: 0,
            history: VecDeque::from([0]),
            synced_changes: 0,
            synced_one_bit: 0,
            synced_last: 0,
        }
    }

    /// After an edge of the source domain: `gray` is the register, `moved` the pointer
    /// count so far (binary), `stepped` whether this edge moved it.
    fn source(&mut self, gray: u64, moved: u64, stepped: bool) {
        let changed = (gray ^ self.value).count_ones();
        assert_eq!(
            changed,
            u32::from(stepped),
            "{}: {:#x} -> {gray:#x} at an edge that {} it",
            self.name,
            self.value,
            if stepped { "moved" } else { "did not move" }
        );
        assert_eq!(
            gray,
            to_gray(moved & self.mask),
            "{}: not the Gray code of {moved}",
            self.name
        );
        if stepped {
            self.history.push_back(gray);
        }
        self.value = gray;
    }

    /// After an edge of the other domain: `synced` is the synchronizer's last flop.
    fn synced(&mut self, synced: u64) {
        while self.history.front() != Some(&synced) {
            assert!(
                self.history.pop_front().is_some(),
                "{}: synchronized copy {synced:#x} is no value the pointer had since the last",
                self.name
            );
        }
        if synced != self.synced_last {
            self.synced_changes += 1;
            self.synced_one_bit += u64::from((synced ^ self.synced_last).count_ones() == 1);
            self.synced_last = synced;
        }
    }
}

/// The ports of one asynchronous FIFO model, whatever its size.
struct FifoPorts<'a> {
    s_valid: &'a dyn PortWrite,
    s_ready: &'a dyn PortRead,
    s_data: &'a dyn PortWrite,
    m_valid: &'a dyn PortRead,
    m_ready: &'a dyn PortWrite,
    m_data: &'a dyn PortRead,
    /// dbg_wr_gray, dbg_rd_gray, dbg_wr_gray_synced, dbg_rd_gray_synced.
    dbg: [&'a dyn PortRead; 4],
}

/// An asynchronous FIFO against a Rust queue.
struct FifoBench<'a> {
    p: FifoPorts<'a>,
    width: u32,
    model: VecDeque<u64>,
    /// The word offered on `s_data` while `s_valid`.
    offered: Option<u64>,
    to_send: u64,
    pushed: u64,
    popped: u64,
    /// Words moved from the memory into the output register.
    fetched: u64,
    push_now: bool,
    pop_now: bool,
    /// Probabilities of offering a word and of `m_ready`, changed in phases if `phases`.
    p_valid: f64,
    p_ready: f64,
    phases: bool,
    wr: GrayWatch,
    rd: GrayWatch,
    full_edges: u64,
    empty_edges: u64,
}

impl Sides for FifoBench<'_> {
    fn before(&mut self, side: usize) {
        let p = &self.p;
        if side == WR {
            self.push_now = p.s_valid.bit(0) && p.s_ready.bit(0);
            self.full_edges += u64::from(!p.s_ready.bit(0));
            if self.push_now {
                self.model.push_back(self.offered.take().expect("offered"));
                self.pushed += 1;
            }
        } else {
            self.pop_now = p.m_valid.bit(0) && p.m_ready.bit(0);
            self.empty_edges += u64::from(!p.m_valid.bit(0));
            if self.pop_now {
                let got = p.m_data.get_bits(0, self.width);
                let n = self.popped;
                assert_eq!(Some(got), self.model.pop_front(), "word {n} read");
                self.popped += 1;
            }
        }
    }

    fn after(&mut self, side: usize, rng: &mut ChaCha8Rng) {
        let p = &self.p;
        if side == WR {
            self.wr.source(
                p.dbg[0].get_bits(0, p.dbg[0].width()),
                self.pushed,
                self.push_now,
            );
            self.rd.synced(p.dbg[3].get_bits(0, p.dbg[3].width()));
            if self.phases && self.pushed % 700 == 0 && self.push_now {
                self.p_valid = [0.2, 0.6, 1.0][rng.gen_range(0..3)];
            }
            if self.offered.is_none() && self.to_send > 0 && rng.gen_bool(self.p_valid) {
                let w = rng.gen::<u64>() & (u64::MAX >> (64 - self.width));
                self.offered = Some(w);
                self.to_send -= 1;
                p.s_data.set_bits(0, self.width, w);
            }
            p.s_valid.set_bit(0, self.offered.is_some());
        } else {
            // The read pointer counts words moved from the memory into the output
            // register: those read plus the one the register holds.
            let fetched = self.popped + u64::from(p.m_valid.bit(0));
            let stepped = fetched != self.fetched;
            self.fetched = fetched;
            self.rd
                .source(p.dbg[1].get_bits(0, p.dbg[1].width()), fetched, stepped);
            self.wr.synced(p.dbg[2].get_bits(0, p.dbg[2].width()));
            if self.phases && self.popped % 500 == 0 && self.pop_now {
                self.p_ready = [0.1, 0.5, 1.0][rng.gen_range(0..3)];
            }
            p.m_ready.set_bit(0, rng.gen_bool(self.p_ready));
        }
    }

    fn done(&self) -> bool {
        self.to_send == 0 && self.offered.is_none() && self.model.is_empty()
    }
}

impl<'a> FifoBench<'a> {
    /// `words` to send, `m_ready` with probability `p_ready`, in random phases or not.
    fn new(p: FifoPorts<'a>, words: u64, p_ready: f64, phases: bool) -> Self {
        let (width, ptr_bits) = (p.m_data.width(), p.dbg[0].width());
        FifoBench {
            p,
            width,
            model: VecDeque::new(),
            offered: None,
            to_send: words,
            pushed: 0,
            popped: 0,
            fetched: 0,
            push_now: false,
            pop_now: false,
            p_valid: 1.0,
            p_ready,
            phases,
            wr: GrayWatch::new("wr_ptr_gray", ptr_bits),
            rd: GrayWatch::new("rd_ptr_gray", ptr_bits),
            full_edges: 0,
            empty_edges: 0,
        }
    }
}

macro_rules! fifo_ports {
    ($d:expr) => {
        FifoPorts {
            s_valid: &$d.s_valid,
            s_ready: &$d.s_ready,
            s_data: &$d.s_data,
            m_valid: &$d.m_valid,
            m_ready: &$d.m_ready,
            m_data: &$d.m_data,
            dbg: [
                &$d.dbg_wr_gray,
                &$d.dbg_rd_gray,
                &$d.dbg_wr_gray_synced,
                &$d.dbg_rd_gray_synced,
            ],
        }
    };
}

/// `words` through a fresh async FIFO model at each clock pair.
macro_rules! async_fifo_runs {
    ($model:ty, $name:expr, $words:expr, $random:expr) => {{
        let mut rng = seed::rng($name);
        let mut coverage = [0, 0];
        for mut clocks in clock_pairs(&mut rng, $random) {
            let d = <$model>::new();
            let clks: [&dyn PortWrite; 2] = [&d.wr_clk, &d.rd_clk];
            reset(&d, clks, [&d.wr_rst, &d.rd_rst], &mut clocks);
            let mut b = FifoBench::new(fifo_ports!(d), $words, 0.5, true);
            run(&d, clks, &mut clocks, &mut b, &mut rng, 400 * $words);
            assert_eq!(b.popped, $words);
            coverage[0] += b.full_edges;
            coverage[1] += b.empty_edges;
            println!(
                "{}: {} words, {}, {}/{} edges full/empty, synced pointer changes one bit: \
                 wr {}/{}, rd {}/{}",
                $name,
                b.popped,
                ratio(&clocks),
                b.full_edges,
                b.empty_edges,
                b.wr.synced_one_bit,
                b.wr.synced_changes,
                b.rd.synced_one_bit,
                b.rd.synced_changes
            );
        }
        assert!(
            coverage.iter().all(|&n| n > 0),
            "full and empty both reached"
        );
    }};
}

#[test]
fn async_fifo_shallow_no_loss_duplication_or_reordering() {
    async_fifo_runs!(AsyncFifoW16D16S2Dist, "async_fifo_w16_d16", 4000, 4);
}

/// Both sides never wait on their own: from 250 to 322 MHz the writer is never refused a
/// word (16 words cover the pointers' round trip through the synchronizers); from 322 to
/// 250 MHz the reader gets a word at every edge once the first has crossed.
#[test]
fn async_fifo_keeps_up_at_line_rate() {
    let mut rng = seed::rng("async_fifo_line_rate");
    for (periods, slow_side) in [([SLOW, FAST], WR), ([FAST, SLOW], RD)] {
        let mut clocks = Clocks::new(&periods);
        let d = AsyncFifoW16D16S2Dist::new();
        let clks: [&dyn PortWrite; 2] = [&d.wr_clk, &d.rd_clk];
        reset(&d, clks, [&d.wr_rst, &d.rd_rst], &mut clocks);
        let mut b = FifoBench::new(fifo_ports!(d), 5000, 1.0, false);
        run(&d, clks, &mut clocks, &mut b, &mut rng, 100_000);
        if slow_side == WR {
            assert_eq!(b.full_edges, 0, "the writer waited");
        } else {
            // Before the first word: the writer's first offer and push (two of its edges,
            // at most two of the reader's), the synchronizer and the read (three).
            assert!(
                b.empty_edges <= 5,
                "{} empty edges: the reader waited",
                b.empty_edges
            );
        }
        println!(
            "async_fifo line rate: {}: 5000 words, {} edges refused / {} edges empty",
            ratio(&clocks),
            b.full_edges,
            b.empty_edges
        );
    }
}

#[test]
fn async_fifo_deep_three_stage_synchronizers() {
    async_fifo_runs!(AsyncFifoW64D512S3Bram, "async_fifo_w64_d512", 6000, 2);
}

/// A frame as driven: its beats (`user` on the last beat = bad frame).
type Frame = Vec<Beat>;

/// The packet FIFO against the rules in the module docs.
struct PacketBench<'a> {
    s: AxisIn<'a>,
    m: AxisOut<'a>,
    drop_bad: &'a dyn PortRead,
    drop_full: &'a dyn PortRead,
    depth: usize,
    drop_when_full: bool,
    /// Frames still to send, and the beat of the first one being offered.
    to_send: VecDeque<Frame>,
    beat: usize,
    offering: bool,
    accepted_now: bool,
    /// Frames whose last beat went in that could come out (good, fit), oldest first.
    candidates: VecDeque<Frame>,
    /// The frame coming out.
    out: Frame,
    /// `rd_clk` edges since `m_axis_tvalid` was last high or a frame last went in.
    idle_rd_edges: u64,
    delivered: u64,
    skipped: u64,
    bad: u64,
    oversize: u64,
    drop_bad_seen: u64,
    drop_full_seen: u64,
    /// Beats the writer offered that the FIFO did not take.
    stalls: u64,
    p_valid: f64,
    p_ready: f64,
    phases: bool,
}

impl Sides for PacketBench<'_> {
    fn before(&mut self, side: usize) {
        if side == WR {
            self.accepted_now = self.offering && self.s.ready();
            self.stalls += u64::from(self.offering && !self.s.ready());
            if self.drop_when_full {
                assert!(self.s.ready(), "a dropping FIFO never back-pressures");
            }
            if !self.accepted_now {
                return;
            }
            let frame = &self.to_send[0];
            self.beat += 1;
            if self.beat == frame.len() {
                let frame = self.to_send.pop_front().unwrap();
                self.idle_rd_edges = 0;
                self.beat = 0;
                let bad = frame.last().unwrap().user == 1;
                if frame.len() > self.depth {
                    self.oversize += 1;
                } else if bad {
                    self.bad += 1;
                } else {
                    let clean = frame.into_iter().map(|b| Beat { user: 0, ..b }).collect();
                    self.candidates.push_back(clean);
                }
            }
        } else {
            if !self.out.is_empty() {
                assert!(self.m.valid(), "the output paused inside a frame");
            }
            self.idle_rd_edges = if self.m.valid() {
                0
            } else {
                self.idle_rd_edges + 1
            };
            if self.m.valid() {
                assert!(
                    !self.candidates.is_empty(),
                    "a beat came out before its frame's last beat went in"
                );
            }
            if !self.m.fires() {
                return;
            }
            let beat = self.m.beat();
            let last = beat.last;
            self.out.push(beat);
            if last {
                let got = std::mem::take(&mut self.out);
                while self.candidates.front() != Some(&got) {
                    assert!(
                        self.drop_when_full && self.candidates.pop_front().is_some(),
                        "frame {} came out wrong: {got:?}",
                        self.delivered
                    );
                    self.skipped += 1;
                }
                self.candidates.pop_front();
                self.delivered += 1;
            }
        }
    }

    fn after(&mut self, side: usize, rng: &mut ChaCha8Rng) {
        if side == WR {
            self.drop_bad_seen += u64::from(self.drop_bad.bit(0));
            self.drop_full_seen += u64::from(self.drop_full.bit(0));
            if self.accepted_now || !self.offering {
                self.offering = !self.to_send.is_empty() && rng.gen_bool(self.p_valid);
            }
            if self.offering {
                self.s.drive(&self.to_send[0][self.beat]);
            } else {
                self.s.idle();
            }
        } else {
            if self.phases && self.delivered % 40 == 0 && self.out.is_empty() {
                self.p_ready = [0.05, 0.5, 1.0][rng.gen_range(0..3)];
                self.p_valid = [0.3, 0.8, 1.0][rng.gen_range(0..3)];
            }
            self.m.set_ready(rng.gen_bool(self.p_ready));
        }
    }

    /// Done when all is sent and out; a dropping FIFO may have dropped the last frames for
    /// space, so for it, once the output has been idle for a long while.
    fn done(&self) -> bool {
        self.to_send.is_empty()
            && self.out.is_empty()
            && (self.candidates.is_empty() || (self.drop_when_full && self.idle_rd_edges > 500))
    }
}

/// A [`PacketBench`] over model `d` (64 beats deep).
macro_rules! packet_bench {
    ($d:expr, $drop:expr, $frames:expr, $phases:expr) => {
        PacketBench {
            s: axis_in!($d.s_axis),
            m: axis_out!($d.m_axis),
            drop_bad: &$d.drop_bad,
            drop_full: &$d.drop_full,
            depth: 64,
            drop_when_full: $drop,
            to_send: $frames,
            beat: 0,
            offering: false,
            accepted_now: false,
            candidates: VecDeque::new(),
            out: Vec::new(),
            idle_rd_edges: 0,
            delivered: 0,
            skipped: 0,
            bad: 0,
            oversize: 0,
            drop_bad_seen: 0,
            drop_full_seen: 0,
            stalls: 0,
            p_valid: 1.0,
            p_ready: 1.0,
            phases: $phases,
        }
    };
}

/// Random frames of 8-byte beats: mostly fitting, some exactly `depth` beats, some longer,
/// a tenth bad.
fn random_frames(rng: &mut ChaCha8Rng, n: usize, depth: usize) -> VecDeque<Frame> {
    (0..n)
        .map(|_| {
            let len = match rng.gen_range(0..100) {
                0..=39 => rng.gen_range(1..=4),
                40..=79 => rng.gen_range(5..=depth / 2),
                80..=89 => rng.gen_range(depth - 2..=depth),
                _ => rng.gen_range(depth + 1..=depth + 8),
            };
            let bad = rng.gen_bool(0.1);
            (0..len)
                .map(|i| {
                    let last = i + 1 == len;
                    Beat {
                        data: (0..8).map(|_| rng.gen()).collect(),
                        keep: if last {
                            sim::axis::keep_mask(rng.gen_range(1..=8))
                        } else {
                            0xff
                        },
                        last,
                        user: u64::from(if last { bad } else { rng.gen_bool(0.5) }),
                    }
                })
                .collect()
        })
        .collect()
}

macro_rules! packet_fifo_runs {
    ($model:ty, $name:expr, $drop:expr) => {{
        let mut rng = seed::rng($name);
        for mut clocks in clock_pairs(&mut rng, 3) {
            let d = <$model>::new();
            let clks: [&dyn PortWrite; 2] = [&d.wr_clk, &d.rd_clk];
            reset(&d, clks, [&d.wr_rst, &d.rd_rst], &mut clocks);
            let depth = 64;
            let frames = random_frames(&mut rng, 400, depth);
            let mut b = packet_bench!(d, $drop, frames, true);
            b.m.set_ready(true);
            run(&d, clks, &mut clocks, &mut b, &mut rng, 2_000_000);
            // The last drop pulse follows the last beat by an edge.
            for _ in 0..4 {
                let due = clocks.advance();
                clocks.settle(&d).unwrap();
                clocks.edge(&d, &clks).unwrap();
                if due.has(WR) {
                    b.drop_bad_seen += u64::from(b.drop_bad.bit(0));
                    b.drop_full_seen += u64::from(b.drop_full.bit(0));
                }
            }
            assert!(!b.m.valid(), "nothing more comes out");
            // Frames that went in whole but never came out were dropped for space.
            b.skipped += b.candidates.len() as u64;
            let dropped = b.drop_bad_seen + b.drop_full_seen;
            assert_eq!(
                dropped,
                b.bad + b.oversize + b.skipped,
                "every drop counted once"
            );
            if $drop {
                assert!(b.drop_bad_seen <= b.bad);
            } else {
                assert_eq!(b.skipped, 0);
                assert_eq!((b.drop_bad_seen, b.drop_full_seen), (b.bad, b.oversize));
            }
            println!(
                "{}: {}: 400 frames, {} delivered, dropped: {} bad, {} too long, {} for space \
                 (drop_bad {}, drop_full {})",
                $name,
                ratio(&clocks),
                b.delivered,
                b.bad,
                b.oversize,
                b.skipped,
                b.drop_bad_seen,
                b.drop_full_seen
            );
        }
    }};
}

/// A writer at 250 MHz offering good frames of 1 to 8 beats back to back is never
/// refused by the 322 MHz side: commits cross in batches, one per handshake round trip,
/// and 64 beats cover it.
#[test]
fn async_packet_fifo_keeps_up_at_line_rate() {
    let mut rng = seed::rng("async_packet_fifo_line_rate");
    let mut clocks = Clocks::new(&[SLOW, FAST]);
    let d = AxisAsyncPacketFifoW64u1D64DistBpS2::new();
    let clks: [&dyn PortWrite; 2] = [&d.wr_clk, &d.rd_clk];
    reset(&d, clks, [&d.wr_rst, &d.rd_rst], &mut clocks);
    let frames: VecDeque<Frame> = random_frames(&mut rng, 2000, 64)
        .into_iter()
        .map(|f| {
            let n = 1 + f.len() % 8;
            let mut f: Frame = f.into_iter().take(n).collect();
            let last = f.last_mut().unwrap();
            (last.last, last.user) = (true, 0);
            f
        })
        .collect();
    let beats: usize = frames.iter().map(Vec::len).sum();
    let mut b = packet_bench!(d, false, frames, false);
    b.m.set_ready(true);
    run(&d, clks, &mut clocks, &mut b, &mut rng, 1_000_000);
    assert_eq!(b.delivered, 2000);
    assert_eq!(b.stalls, 0, "the writer was refused a beat");
    println!(
        "async_packet_fifo line rate: {}: 2000 frames, {beats} beats in {} writer edges",
        ratio(&clocks),
        clocks.edges(WR)
    );
}

#[test]
fn async_packet_fifo_back_pressure_delivers_every_good_frame_whole() {
    packet_fifo_runs!(
        AxisAsyncPacketFifoW64u1D64DistBpS2,
        "async_packet_fifo_bp",
        false
    );
}

#[test]
fn async_packet_fifo_dropping_delivers_whole_frames_and_counts_the_rest() {
    packet_fifo_runs!(
        AxisAsyncPacketFifoW64u1D64DistDropS2,
        "async_packet_fifo_drop",
        true
    );
}

/// Source pulses against the destination's.
struct PulseBench<'a> {
    d: &'a PulseSyncP16S2,
    /// Probability of a pulse per source cycle.
    p: f64,
    to_send: u64,
    accepted: u64,
    lost: u64,
    arrived: u64,
}

impl Sides for PulseBench<'_> {
    fn before(&mut self, side: usize) {
        if side == WR {
            if self.d.src_pulse.bit(0) {
                if self.d.src_full.bit(0) {
                    self.lost += 1;
                } else {
                    self.accepted += 1;
                }
            }
        } else if self.d.dst_pulse.bit(0) {
            self.arrived += 1;
            assert!(
                self.arrived <= self.accepted,
                "a pulse arrived twice or from nowhere"
            );
        }
    }

    fn after(&mut self, side: usize, rng: &mut ChaCha8Rng) {
        if side == WR {
            let pulse = self.to_send > 0 && rng.gen_bool(self.p);
            self.to_send -= u64::from(pulse);
            self.d.src_pulse.set_bit(0, pulse);
        }
    }

    fn done(&self) -> bool {
        self.to_send == 0 && self.arrived == self.accepted && !self.d.src_pulse.bit(0)
    }
}

#[test]
fn pulse_sync_each_pulse_arrives_exactly_once() {
    let mut rng = seed::rng("pulse_sync");
    for mut clocks in clock_pairs(&mut rng, 4) {
        let d = PulseSyncP16S2::new();
        let clks: [&dyn PortWrite; 2] = [&d.src_clk, &d.dst_clk];
        reset(&d, clks, [&d.src_rst, &d.dst_rst], &mut clocks);
        // Fast enough to queue up, slow enough on average for the destination to follow.
        let rate = clocks.period(WR) as f64 / clocks.period(RD) as f64;
        let mut b = PulseBench {
            d: &d,
            p: (0.6 * rate).min(1.0),
            to_send: 3000,
            accepted: 0,
            lost: 0,
            arrived: 0,
        };
        run(&d, clks, &mut clocks, &mut b, &mut rng, 1_000_000);
        assert_eq!(b.lost, 0, "never full at this rate");
        println!(
            "pulse_sync: {}: {} pulses, each arrived once",
            ratio(&clocks),
            b.arrived
        );
    }
    // A source much faster than the destination, pulsing in every cycle: pulses that find
    // it full are lost (src_full said so), every other one arrives once.
    let mut clocks = Clocks::new(&[1000, 7000]);
    let d = PulseSyncP16S2::new();
    let clks: [&dyn PortWrite; 2] = [&d.src_clk, &d.dst_clk];
    reset(&d, clks, [&d.src_rst, &d.dst_rst], &mut clocks);
    let mut b = PulseBench {
        d: &d,
        p: 1.0,
        to_send: 500,
        accepted: 0,
        lost: 0,
        arrived: 0,
    };
    run(&d, clks, &mut clocks, &mut b, &mut rng, 1_000_000);
    assert!(b.lost > 0);
    println!(
        "pulse_sync: {}: {} accepted arrived once, {} refused while src_full",
        ratio(&clocks),
        b.arrived,
        b.lost
    );
}

/// Values across the handshake against a queue.
struct HandshakeBench<'a> {
    d: &'a HandshakeSyncW32S2,
    offered: Option<u64>,
    to_send: u64,
    sent: VecDeque<u64>,
    received: u64,
}

impl Sides for HandshakeBench<'_> {
    fn before(&mut self, side: usize) {
        let d = self.d;
        if side == WR {
            if d.src_valid.bit(0) && d.src_ready.bit(0) {
                self.sent.push_back(self.offered.take().unwrap());
            }
        } else if d.dst_valid.bit(0) {
            let got = d.dst_data.get_bits(0, 32);
            assert_eq!(Some(got), self.sent.pop_front(), "value {}", self.received);
            self.received += 1;
        }
    }

    fn after(&mut self, side: usize, rng: &mut ChaCha8Rng) {
        if side == WR {
            if self.offered.is_none() && self.to_send > 0 && rng.gen_bool(0.7) {
                let v = u64::from(rng.gen::<u32>());
                self.offered = Some(v);
                self.to_send -= 1;
                self.d.src_data.set_bits(0, 32, v);
            }
            self.d.src_valid.set_bit(0, self.offered.is_some());
        }
    }

    fn done(&self) -> bool {
        self.to_send == 0 && self.offered.is_none() && self.sent.is_empty()
    }
}

#[test]
fn handshake_sync_values_arrive_equal_and_once() {
    let mut rng = seed::rng("handshake_sync");
    for mut clocks in clock_pairs(&mut rng, 4) {
        let d = HandshakeSyncW32S2::new();
        let clks: [&dyn PortWrite; 2] = [&d.src_clk, &d.dst_clk];
        reset(&d, clks, [&d.src_rst, &d.dst_rst], &mut clocks);
        let mut b = HandshakeBench {
            d: &d,
            offered: None,
            to_send: 500,
            sent: VecDeque::new(),
            received: 0,
        };
        run(&d, clks, &mut clocks, &mut b, &mut rng, 1_000_000);
        assert_eq!(b.received, 500);
        println!(
            "handshake_sync: {}: 500 values in {} source cycles",
            ratio(&clocks),
            clocks.edges(WR)
        );
    }
}

macro_rules! reset_sync_case {
    ($model:ty, $stages:expr) => {{
        let d = <$model>::new();
        // Verilator's first evaluation sees no edge on `rst_in`: start from a low one.
        d.rst_in.set_bit(0, false);
        d.eval().unwrap();
        d.rst_in.set_bit(0, true);
        d.eval().unwrap();
        assert!(d.rst_out.bit(0), "asserted without a clock edge");
        d.ticks(3).unwrap();
        d.rst_in.set_bit(0, false);
        for edge in 1..=$stages {
            assert!(d.rst_out.bit(0), "still in reset before edge {edge}");
            d.tick().unwrap();
        }
        assert!(!d.rst_out.bit(0), "released at edge {}", $stages);
        d.ticks(5).unwrap();
        assert!(!d.rst_out.bit(0));
        // Asserted again between edges: at once.
        d.rst_in.set_bit(0, true);
        d.eval().unwrap();
        assert!(d.rst_out.bit(0));
        d.rst_in.set_bit(0, false);
        d.eval().unwrap();
        assert!(
            d.rst_out.bit(0),
            "a short pulse still resets for the whole chain"
        );
        d.ticks($stages).unwrap();
        assert!(!d.rst_out.bit(0));
    }};
}

#[test]
fn reset_sync_asserts_at_once_and_releases_after_the_chain() {
    reset_sync_case!(ResetSyncS2, 2);
    reset_sync_case!(ResetSyncS3, 3);
}

#[test]
fn clock_periods() {
    assert_eq!(period_ps(322.265625), FAST);
    assert_eq!(period_ps(250.0), SLOW);
}

//! `hdl::lauberhorn::dma_fallback` (8 slots, 4 ICT entries, a 2 KiB engine buffer) at 64
//! and 512 bits. The testbench sends too-large calls of random sizes (some larger than the
//! engine's whole buffer) with their slots, and plays the Accio receive engine behind it
//! as its contract says: frames buffered as they arrive, decided in order after a random
//! delay (a ring, or not), leaving the buffer in order after their decision, ring frames
//! completing in order after they left, with the entry's new RX_TAIL; random
//! back-pressure everywhere. Checked: the engine's buffer never holds more than it can
//! (no frame would be lost), at most `INFLIGHT` calls are between the block and their
//! taken outcome, frames pass unchanged, a frame too big for the buffer never reaches the
//! engine and fails, and every call's outcome is the right one: delivered with its slot,
//! entry, record pointer (RX_TAIL before it) and arguments offset, or failed.

use hdl::lauberhorn::dma_fallback::INFLIGHT;
use rand::Rng;
use sim::axis::{beats_to_frame, frame_to_beats, Beat};
use sim::prelude::*;
use std::collections::VecDeque;
use testbench::models::{LauberhornDmaFallbackW512S8N4B2048, LauberhornDmaFallbackW64S8N4B2048};
use testbench::seed;

const BUFFER_BYTES: usize = 2048;

/// A too-large call as the receive path hands it over, and what the engine makes of it.
#[derive(Clone, Debug)]
struct Call {
    slot: u64,
    udp_len: u64,
    args_at: u64,
    frame: Vec<u8>,
    ring: bool,
    entry: u64,
}

fn get(p: &dyn PortRead) -> u64 {
    p.get_bits(0, p.width())
}

macro_rules! run {
    ($d:expr, $w:expr, $name:expr) => {{
        let d = &$d;
        let w: usize = $w;
        let bb = w / 8;
        let mut rng = seed::rng($name);
        let s = sim::axis_in!(d.s_axis);
        let m = sim::axis_out!(d.m_axis);
        d.rst.set_bit(0, true);
        s.idle();
        d.tick().unwrap();
        d.rst.set_bit(0, false);
        let n = 400;
        let calls: Vec<Call> = (0..n)
            .map(|k| {
                let udp_len = if rng.gen_bool(0.05) {
                    rng.gen_range(2100..4000) // more than the whole buffer
                } else {
                    rng.gen_range(400..1400)
                };
                let frame: Vec<u8> = (0..34 + udp_len).map(|_| rng.gen()).collect();
                Call {
                    slot: k % 8,
                    udp_len: udp_len as u64,
                    args_at: rng.gen_range(80..300),
                    frame,
                    ring: rng.gen_bool(0.7),
                    entry: rng.gen_range(0..4),
                }
            })
            .collect();
        let fits = |c: &Call| (34 + c.udp_len as usize).div_ceil(bb) <= BUFFER_BYTES / bb;
        let mut beats: VecDeque<(usize, Beat)> = VecDeque::new();
        for (k, c) in calls.iter().enumerate() {
            for b in frame_to_beats(&c.frame, bb, 0) {
                beats.push_back((k, b));
            }
        }
        // The engine.
        let mut rx: Vec<Beat> = Vec::new();
        let mut passing: VecDeque<usize> = VecDeque::new(); // calls on their way in, in order
        let mut buffer: VecDeque<(usize, usize)> = VecDeque::new(); // (call, beats) held
        let mut undecided: VecDeque<(usize, u64)> = VecDeque::new(); // (call, due)
        let mut to_leave: VecDeque<(usize, u64)> = VecDeque::new(); // decided, in the buffer
        let mut ring_wait: VecDeque<(usize, bool)> = VecDeque::new(); // ring calls, left yet
        let mut tails = [0u64; 4];
        let mut expect_delivered: VecDeque<(u64, u64, u64, u64)> = VecDeque::new();
        let mut expect_failed: VecDeque<u64> = VecDeque::new();
        let (mut out_now, mut taken) = (0u64, 0usize);
        let mut started = vec![false; calls.len()];
        let mut cycle = 0u64;
        while taken < calls.len() {
            cycle += 1;
            assert!(
                cycle < 2_000_000,
                "stuck: {taken} of {} outcomes",
                calls.len()
            );
            let beat = beats.front().cloned();
            match &beat {
                Some((k, b)) => {
                    let c = &calls[*k];
                    s.drive(b);
                    d.s_call.slot.set_bits(0, 3, c.slot);
                    d.s_call.udp_len.set_bits(0, 16, c.udp_len);
                    d.s_call.args_at.set_bits(0, 16, c.args_at);
                }
                None => s.idle(),
            }
            m.set_ready(rng.gen_bool(0.8));
            // The engine's decisions, departures and completions, each in order.
            let decide = undecided
                .front()
                .filter(|(_, due)| *due <= cycle)
                .map(|x| x.0);
            d.decided.valid.set_bit(0, decide.is_some());
            d.decided
                .ring
                .set_bit(0, decide.is_some_and(|k| calls[k].ring));
            let leave = to_leave
                .front()
                .filter(|(_, due)| *due <= cycle)
                .map(|x| x.0);
            d.frame_left.set_bit(0, leave.is_some());
            let complete = ring_wait
                .front()
                .filter(|(_, left)| *left && rng.gen_bool(0.3))
                .map(|x| x.0);
            d.ring_done.valid.set_bit(0, complete.is_some());
            if let Some(k) = complete {
                let c = &calls[k];
                let e = c.entry as usize;
                let before = tails[e];
                tails[e] = before.wrapping_add((c.udp_len + 8).div_ceil(64) * 64) & 0xffff_ffff;
                d.ring_done.index.set_bits(0, 2, c.entry);
                d.ring_done.tail.set_bits(0, 32, tails[e]);
                expect_delivered.push_back((c.slot, c.entry, before, c.args_at));
            }
            d.delivered.ready.set_bit(0, rng.gen_bool(0.5));
            d.failed.ready.set_bit(0, rng.gen_bool(0.5));
            d.eval().unwrap();

            if let Some((k, _)) = &beat {
                if s.ready() {
                    if !started[*k] {
                        started[*k] = true;
                        out_now += 1;
                        if fits(&calls[*k]) {
                            passing.push_back(*k);
                        } else {
                            expect_failed.push_back(calls[*k].slot);
                        }
                    }
                    beats.pop_front();
                }
            }
            assert!(out_now <= INFLIGHT, "cycle {cycle}: {out_now} calls out");
            if m.fires() {
                let b = m.beat();
                let last = b.last;
                rx.push(b);
                if last {
                    let f = beats_to_frame(&rx);
                    let k = passing.pop_front().expect("a call that started");
                    assert_eq!(f, calls[k].frame, "cycle {cycle}: call {k} unchanged");
                    buffer.push_back((k, rx.len()));
                    let held: usize = buffer.iter().map(|x| x.1).sum();
                    assert!(
                        held <= BUFFER_BYTES / bb,
                        "cycle {cycle}: the engine's buffer holds {held} beats"
                    );
                    undecided.push_back((k, cycle + rng.gen_range(2..30)));
                    rx.clear();
                }
            }
            if let Some(k) = decide {
                undecided.pop_front();
                // The mover is slower than the MAC at times: up to three cycles a beat.
                let held = buffer.iter().find(|x| x.0 == k).map_or(1, |x| x.1) as u64;
                to_leave.push_back((k, cycle + rng.gen_range(1..40 + 3 * held)));
                if calls[k].ring {
                    ring_wait.push_back((k, false));
                } else {
                    expect_failed.push_back(calls[k].slot);
                }
            }
            if let Some(k) = leave {
                to_leave.pop_front();
                assert_eq!(buffer.pop_front().map(|x| x.0), Some(k));
                if let Some(r) = ring_wait.iter_mut().find(|r| r.0 == k) {
                    r.1 = true;
                }
            }
            if complete.is_some() {
                ring_wait.pop_front();
            }
            if d.delivered.valid.bit(0) && d.delivered.ready.get_bits(0, 1) == 1 {
                let got = (
                    get(&d.delivered.slot),
                    get(&d.delivered.entry),
                    get(&d.delivered.record),
                    get(&d.delivered.args_at),
                );
                assert_eq!(
                    Some(got),
                    expect_delivered.pop_front(),
                    "cycle {cycle}: delivered"
                );
                taken += 1;
                out_now -= 1;
            }
            if d.failed.valid.bit(0) && d.failed.ready.get_bits(0, 1) == 1 {
                assert_eq!(
                    Some(get(&d.failed.slot)),
                    expect_failed.pop_front(),
                    "cycle {cycle}: failed"
                );
                taken += 1;
                out_now -= 1;
            }
            d.tick().unwrap();
        }
        let delivered = calls.iter().filter(|c| fits(c) && c.ring).count();
        let big = calls.iter().filter(|c| !fits(c)).count();
        println!(
            "{}: {n} calls, {delivered} delivered, {big} too big, in {cycle} cycles",
            $name
        );
        assert!(big > 5 && delivered > 200);
    }};
}

#[test]
fn outcomes_match_calls_and_the_engine_never_overflows_w64() {
    let d = LauberhornDmaFallbackW64S8N4B2048::new();
    run!(d, 64, "dma_fallback_w64");
}

#[test]
fn outcomes_match_calls_and_the_engine_never_overflows_w512() {
    let d = LauberhornDmaFallbackW512S8N4B2048::new();
    run!(d, 512, "dma_fallback_w512");
}

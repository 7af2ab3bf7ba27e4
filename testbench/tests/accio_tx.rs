//! The Accio TX offload engine (`hdl::accio::tx_offload`) at 64 and 512 bits, with an ICT
//! emulated at the real one's timing (registered `tx_info`, doorbells), host memory holding
//! TX rings and normal-path frames, and random back-pressure on the MAC stream and memory.
//!
//! Checked against `sim_models::accio::tx_model`: every frame on the wire byte for byte (headers,
//! both checksums, the record's or the entry's destination, IPv4 identifications counting
//! up in wire order), per entry in ring order; every normal-path frame unchanged and in
//! order; records that are too long or run past the posted bytes skipped and counted;
//! TX_HEAD moving record by record to exactly TX_TAIL. Exact cycle counts: doorbell to
//! first beat out, and back-to-back 60- and 1514-byte frames leaving at one beat per
//! cycle.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim::axis::Beat;
use sim::prelude::*;
use sim_models::accio::tx_model::{frame_of, parse_turn, record_header, TxEntry, TxOutcome};
use sim_models::axi_slave_ports;
use sim_models::hostmem::{HostMem, HostMemCfg};
use std::collections::{BTreeMap, VecDeque};
use testbench::models::views::AccioTx;
use testbench::models::{
    AccioTxOffloadW512N4P1472F1514O16 as Tx512, AccioTxOffloadW64N4P1472F1514O16 as Tx64,
};
use testbench::seed;

const MAX_PAYLOAD: usize = 1472;
const MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];

fn get(p: &dyn PortRead) -> u64 {
    p.get_bits(0, p.width().min(64))
}

/// One entry's ring and what the host posts: batches of records, each made visible by a
/// TX_TAIL write (a doorbell) at a random time.
struct Ring {
    entry: TxEntry,
    batches: Vec<Vec<u8>>,
}

struct Scenario {
    rings: Vec<Ring>,
    /// Normal-path frames, posted as descriptors from the start.
    np_frames: Vec<Vec<u8>>,
    /// Per cycle, the probability that the host posts an entry's next batch.
    post: f64,
    /// Post a batch only once the engine has consumed the previous one, so each batch is
    /// a turn of its own (a record running past the posted bytes consumes its turn).
    batch_is_turn: bool,
    /// Probability the MAC takes a beat in a cycle.
    mac_ready: f64,
    mem: HostMemCfg,
}

#[derive(Default)]
struct Outcome {
    /// Every frame on the wire, in order, with the cycle of its first beat.
    frames: Vec<(Vec<u8>, u64)>,
    heads: Vec<Vec<u32>>,
    final_heads: Vec<u32>,
    stats: BTreeMap<&'static str, u64>,
    np_done: usize,
    dma_events: usize,
    /// Cycle of each doorbell.
    doorbells: Vec<(usize, u64)>,
}

fn np_addr(k: usize) -> u64 {
    0x9_0000_0000 + k as u64 * 0x1000
}

fn run(p: &AccioTx, rng: &mut ChaCha8Rng, sc: &Scenario) -> Outcome {
    let lanes = p.m_axis_tx.lanes();
    let axi = axi_slave_ports!(p.m_axi, read);
    let stats = [
        ("frames", p.stat_frames),
        ("bad_record", p.stat_bad_record),
        ("bad_doorbell", p.stat_bad_doorbell),
        ("dma_error", p.stat_dma_error),
        ("np_frames", p.stat_np_frames),
    ];
    let mut mem = HostMem::new(sc.mem.clone(), ChaCha8Rng::seed_from_u64(rng.gen()));
    let mut table: Vec<TxEntry> = sc.rings.iter().map(|r| r.entry.clone()).collect();
    // Write every batch into its ring up front; the tail moves batch by batch.
    let mut ends: Vec<VecDeque<u32>> = Vec::new();
    for r in &sc.rings {
        let mut off = r.entry.tail;
        let mut q = VecDeque::new();
        for b in &r.batches {
            for (i, x) in b.iter().enumerate() {
                mem.write_byte(r.entry.addr(off.wrapping_add(i as u32)), *x);
            }
            off = off.wrapping_add(b.len() as u32);
            q.push_back(off);
        }
        ends.push(q);
    }
    let mut nps: VecDeque<(u64, usize)> = VecDeque::new();
    for (k, f) in sc.np_frames.iter().enumerate() {
        mem.write(np_addr(k), f);
        nps.push_back((np_addr(k), f.len()));
    }
    let mut out = Outcome {
        heads: vec![Vec::new(); table.len()],
        ..Outcome::default()
    };
    let mac = MAC.iter().fold(0u64, |a, b| a << 8 | u64::from(*b));
    p.mac_addr.set_bits(0, 48, mac);
    p.rst.set_bit(0, true);
    p.dut.tick().unwrap();
    p.rst.set_bit(0, false);
    let mut doorbells: VecDeque<usize> = VecDeque::new();
    let mut info_at: Option<usize> = None;
    let mut beats: Vec<Beat> = Vec::new();
    let mut first = 0;
    let (mut cycle, mut idle) = (0u64, 0u64);
    loop {
        // The host posts batches.
        for (e, q) in ends.iter_mut().enumerate() {
            let drained = table[e].head == table[e].tail;
            if !q.is_empty() && (drained || !sc.batch_is_turn) && rng.gen_bool(sc.post) {
                table[e].tail = q.pop_front().unwrap();
                if !doorbells.contains(&e) {
                    doorbells.push_back(e);
                }
                out.doorbells.push((e, cycle));
            }
        }
        let db = &p.db_tx;
        db.valid.set_bit(0, !doorbells.is_empty());
        db.index.set_bits(
            0,
            db.index.width(),
            doorbells.front().copied().unwrap_or(0) as u64,
        );
        // The ICT's registered read of the entry indexed in the previous cycle.
        if let Some(i) = info_at {
            let (e, t) = (&table[i], &p.tx_info);
            for (port, x) in [
                (t.enabled, e.enabled as u64),
                (t.accelerated, e.accelerated as u64),
                (t.local_ip, e.local_ip as u64),
                (t.local_port, e.local_port as u64),
                (t.remote, e.remote()),
                (t.remote_mac, e.mac()),
                (t.base, e.base),
                (t.size, e.size as u64),
                (t.head, e.head as u64),
                (t.tail, e.tail as u64),
            ] {
                port.set_bits(0, port.width(), x);
            }
        }
        p.np_tx.valid.set_bit(0, !nps.is_empty());
        let (a, l) = nps.front().copied().unwrap_or((0, 0));
        p.np_tx.addr.set_bits(0, 64, a);
        p.np_tx.len.set_bits(0, 16, l as u64);
        p.m_axis_tx.set_ready(rng.gen_bool(sc.mac_ready));
        mem.drive(&axi);
        p.dut.eval().unwrap();

        let mut busy = false;
        if db.valid.bit(0) && db.ready.bit(0) {
            doorbells.pop_front();
        }
        info_at = Some(get(p.tx_info.index) as usize);
        if p.np_tx.valid.bit(0) && p.np_tx.ready.bit(0) {
            nps.pop_front();
        }
        if p.m_axis_tx.fires() {
            let b = p.m_axis_tx.beat();
            if beats.is_empty() {
                first = cycle;
            }
            let last = b.last;
            beats.push(b);
            if last {
                assert_eq!(beats.last().unwrap().user, 0, "tuser on a sent frame");
                out.frames.push((sim::axis::beats_to_frame(&beats), first));
                beats.clear();
            }
            busy = true;
        }
        if p.tx_upd.valid.bit(0) {
            let e = get(p.tx_upd.index) as usize;
            let h = get(p.tx_upd.head) as u32;
            let t = &mut table[e];
            let step = h.wrapping_sub(t.head);
            assert!(
                step > 0
                    && step as usize % lanes == 0
                    && t.tail.wrapping_sub(h) <= t.tail.wrapping_sub(t.head),
                "entry {e}: head {:#x} -> {h:#x}, tail {:#x}",
                t.head,
                t.tail
            );
            t.head = h;
            out.heads[e].push(h);
            busy = true;
        }
        if p.np_tx_done.valid.bit(0) {
            assert!(!p.np_tx_done.error.bit(0));
            out.np_done += 1;
        }
        if p.ev_dma.valid.bit(0) {
            out.dma_events += 1;
        }
        for (name, port) in stats {
            if port.bit(0) {
                *out.stats.entry(name).or_default() += 1;
            }
        }
        mem.sample(&axi);
        p.dut.tick().unwrap();
        cycle += 1;
        let posted_all =
            ends.iter().all(|q| q.is_empty()) && doorbells.is_empty() && nps.is_empty();
        idle = if busy || !posted_all { 0 } else { idle + 1 };
        // Long enough for a skipped record (no output) of 4000 bytes from a stalling memory.
        if idle > 5000 {
            break;
        }
        assert!(cycle < 3_000_000, "stuck");
    }
    assert!(mem.violations.is_empty(), "AXI: {:#?}", mem.violations);
    assert!(beats.is_empty(), "a frame was left unfinished");
    out.final_heads = table.iter().map(|e| e.head).collect();
    out
}

/// The frames on the wire are the model's: per entry in ring order, normal-path frames
/// in posting order, built frames numbered 0, 1, 2, ... in wire order.
fn compare(sc: &Scenario, out: &Outcome, data_width: u32) {
    let mut want: Vec<VecDeque<(u32, u16, Vec<u8>)>> = Vec::new();
    let (mut too_long, mut overrun) = (0, 0);
    for r in &sc.rings {
        let mut q = VecDeque::new();
        for b in &r.batches {
            for o in parse_turn(&r.entry, b, data_width, MAX_PAYLOAD) {
                match o {
                    TxOutcome::Sent {
                        dst_ip,
                        dst_port,
                        payload,
                    } => q.push_back((dst_ip, dst_port, payload)),
                    TxOutcome::TooLong => too_long += 1,
                    TxOutcome::Overrun => overrun += 1,
                }
            }
        }
        want.push(q);
    }
    let mut np: VecDeque<&Vec<u8>> = sc.np_frames.iter().collect();
    let mut id = 0u16;
    for (k, (f, _)) in out.frames.iter().enumerate() {
        // Built frames come from an entry's local address and port; normal-path frames in
        // these tests never do.
        let src = (f.len() >= 38).then(|| {
            (
                u32::from_be_bytes(f[26..30].try_into().unwrap()),
                u16::from_be_bytes([f[34], f[35]]),
            )
        });
        let e = sc.rings.iter().position(|r| {
            f[12..14] == [0x08, 0x00]
                && src == Some((r.entry.local_ip, r.entry.local_port))
                && f[23] == 17
        });
        match e {
            Some(e) => {
                let (ip, port, payload) = want[e]
                    .pop_front()
                    .unwrap_or_else(|| panic!("frame {k}: entry {e} sent more than it posted"));
                let r = frame_of(&sc.rings[e].entry, MAC, ip, port, &payload, id);
                assert_eq!(f, &r, "frame {k} (entry {e}, id {id})");
                id = id.wrapping_add(1);
            }
            None => {
                let w = np.pop_front().expect("an unexpected frame");
                let mut w = w.clone();
                w.resize(w.len().max(f.len()), 0);
                assert_eq!(f, &w, "frame {k}: normal path");
            }
        }
    }
    for (e, q) in want.iter().enumerate() {
        assert!(q.is_empty(), "entry {e}: {} records never sent", q.len());
    }
    assert!(np.is_empty(), "normal-path frames never sent");
    let sent: usize = sc.rings.iter().map(|r| r.batches.len()).sum();
    let _ = sent;
    for (e, r) in sc.rings.iter().enumerate() {
        let posted: usize = r.batches.iter().map(|b| b.len()).sum();
        assert_eq!(
            out.final_heads[e],
            r.entry.tail.wrapping_add(posted as u32),
            "entry {e}: TX_HEAD ends at TX_TAIL"
        );
    }
    let st = |n: &str| out.stats.get(n).copied().unwrap_or(0);
    assert_eq!(st("frames"), u64::from(id), "stat_frames");
    assert_eq!(st("bad_record"), too_long + overrun, "stat_bad_record");
    assert_eq!(st("np_frames"), sc.np_frames.len() as u64);
    assert_eq!(out.np_done, sc.np_frames.len());
    assert_eq!(st("dma_error") + st("bad_doorbell"), 0);
    assert_eq!(out.dma_events, 0);
}

/// Records for one batch: random payloads, a random destination now and then, and (with
/// `bad`) a record too long to send now and then.
fn batch(rng: &mut ChaCha8Rng, n: usize, max: usize, data_width: u32, bad: bool) -> Vec<u8> {
    let mut b = Vec::new();
    for _ in 0..n {
        let len = if bad && rng.gen_bool(0.05) {
            rng.gen_range(MAX_PAYLOAD + 1..4000)
        } else {
            rng.gen_range(0..=max)
        };
        let (ip, port) = if rng.gen_bool(0.3) {
            (rng.gen::<u32>() | 1, rng.gen::<u16>() | 1)
        } else {
            (0, 0)
        };
        b.extend(record_header(ip, port, len as u16));
        b.extend((0..len).map(|_| rng.gen::<u8>()));
        b.resize(
            b.len().div_ceil(data_width as usize / 8) * (data_width as usize / 8),
            0xee,
        );
    }
    b
}

fn entries() -> Vec<TxEntry> {
    (0..4u32)
        .map(|i| TxEntry {
            enabled: true,
            accelerated: true,
            local_ip: 0x0a01_0000 | i,
            local_port: 5000 + i as u16,
            remote_ip: 0x0a02_0000 | i,
            remote_port: 6000 + i as u16,
            remote_mac: [0x02, 0, 0, 0, 1, i as u8],
            base: 0x1_0000_0000 + u64::from(i) * 0x100_0000,
            size: 1 << 20,
            head: 0u32.wrapping_sub(4096 * (i + 1)),
            tail: 0u32.wrapping_sub(4096 * (i + 1)),
        })
        .collect()
}

/// The entries of [`entries`] with nothing posted yet.
fn empty_rings() -> Vec<Ring> {
    entries()
        .into_iter()
        .map(|entry| Ring {
            batches: Vec::new(),
            entry,
        })
        .collect()
}

/// A normal-path frame no entry could have built (ARP-like, random bytes).
fn np_frame(rng: &mut ChaCha8Rng) -> Vec<u8> {
    let mut f: Vec<u8> = (0..rng.gen_range(60..=1514)).map(|_| rng.gen()).collect();
    f[12..14].copy_from_slice(&[0x08, 0x06]);
    f
}

fn random_traffic(p: AccioTx, name: &str, data_width: u32) {
    let mut rng = seed::rng(name);
    let lanes = data_width as usize / 8;
    for round in 0..3 {
        let rings = entries()
            .into_iter()
            .map(|entry| Ring {
                batches: (0..rng.gen_range(1..6))
                    .map(|_| {
                        let n = rng.gen_range(1..20);
                        batch(&mut rng, n, MAX_PAYLOAD, data_width, true)
                    })
                    .collect(),
                entry,
            })
            .collect();
        let sc = Scenario {
            rings,
            np_frames: (0..rng.gen_range(0..20))
                .map(|_| np_frame(&mut rng))
                .collect(),
            post: [0.01, 0.002, 0.05][round],
            batch_is_turn: false,
            mac_ready: [1.0, 0.5, 0.8][round],
            mem: HostMemCfg {
                beat_bytes: lanes,
                latency: rng.gen_range(1..30),
                stall: [0.0, 0.3, 0.1][round],
                max_outstanding: 64,
            },
        };
        let out = run(&p, &mut rng, &sc);
        println!(
            "round {round}: {} frames, {:?}",
            out.frames.len(),
            out.stats
        );
        compare(&sc, &out, data_width);
    }
}

#[test]
fn w64_random_records_match_the_model() {
    let d = Tx64::new();
    random_traffic(d.view(), "accio_tx_w64", 64);
}

#[test]
fn w512_random_records_match_the_model() {
    let d = Tx512::new();
    random_traffic(d.view(), "accio_tx_w512", 512);
}

/// Records that lie: one longer than the posted bytes (it and the rest of its batch are
/// consumed unsent), a header cut off by the tail, lengths past the MTU; the batches after
/// them are sent normally. Also a doorbell on a disabled entry: nothing is read.
fn lying_records(p: AccioTx, name: &str, data_width: u32) {
    let mut rng = seed::rng(name);
    let lanes = data_width as usize / 8;
    let mut rings = empty_rings();
    // Entry 0: a good batch, a batch whose second record claims 300 bytes but only 64
    // follow, then a good batch.
    rings[0]
        .batches
        .push(batch(&mut rng, 3, 100, data_width, false));
    let mut b = batch(&mut rng, 1, 50, data_width, false);
    b.extend(record_header(0, 0, 300));
    b.extend((0..64 - 16).map(|_| rng.gen::<u8>()));
    b.resize(b.len().div_ceil(lanes) * lanes, 0);
    rings[0].batches.push(b);
    rings[0]
        .batches
        .push(batch(&mut rng, 2, 100, data_width, false));
    // Entry 1: records too long to send between good ones.
    let mut b = batch(&mut rng, 2, 100, data_width, false);
    for len in [MAX_PAYLOAD + 1, 9000] {
        b.extend(record_header(0, 0, len as u16));
        b.extend((0..len).map(|_| rng.gen::<u8>()));
        b.resize(b.len().div_ceil(lanes) * lanes, 0);
    }
    b.extend(batch(&mut rng, 2, MAX_PAYLOAD, data_width, false));
    rings[1].batches.push(b);
    // Entry 2: a batch ending inside a record header (possible only on a 64-bit bus).
    if lanes < 16 {
        let mut b = batch(&mut rng, 2, 30, data_width, false);
        b.extend(&record_header(0, 0, 10)[..lanes]);
        rings[2].batches.push(b);
        rings[2]
            .batches
            .push(batch(&mut rng, 1, 30, data_width, false));
    }
    let sc = Scenario {
        rings,
        np_frames: vec![np_frame(&mut rng)],
        post: 0.002,
        batch_is_turn: true,
        mac_ready: 0.7,
        mem: HostMemCfg {
            beat_bytes: lanes,
            latency: 7,
            stall: 0.2,
            max_outstanding: 64,
        },
    };
    let out = run(&p, &mut rng, &sc);
    compare(&sc, &out, data_width);
    assert!(out.stats["bad_record"] >= 3, "{:?}", out.stats);
}

#[test]
fn w64_lying_records_are_skipped() {
    let d = Tx64::new();
    lying_records(d.view(), "accio_tx_lies_w64", 64);
}

#[test]
fn w512_lying_records_are_skipped() {
    let d = Tx512::new();
    lying_records(d.view(), "accio_tx_lies_w512", 512);
}

/// Exact figures with an always-ready MAC and a memory answering after `latency` cycles:
/// a doorbell for one 60-byte frame to its first beat on the wire; and one batch of
/// back-to-back 60-byte and 1514-byte frames (64 and 1518 on the wire with the FCS) leaves
/// at one beat per cycle: each frame's first beat follows the previous frame's last.
fn line_rate(p: AccioTx, name: &str, data_width: u32, doorbell_to_wire: u64) {
    let mut rng = seed::rng(name);
    let lanes = data_width as usize / 8;
    let mem = HostMemCfg {
        beat_bytes: lanes,
        latency: 4,
        stall: 0.0,
        max_outstanding: 64,
    };
    let mut rings = empty_rings();
    rings[0]
        .batches
        .push(batch(&mut rng, 1, 0, data_width, false));
    // One 60-byte frame: payload 18.
    let mut one = Vec::new();
    one.extend(record_header(0, 0, 18));
    one.extend([7u8; 18]);
    one.resize(one.len().div_ceil(lanes) * lanes, 0);
    rings[0].batches[0] = one;
    let sc = Scenario {
        rings,
        np_frames: Vec::new(),
        post: 1.0,
        batch_is_turn: false,
        mac_ready: 1.0,
        mem: mem.clone(),
    };
    let out = run(&p, &mut rng, &sc);
    compare(&sc, &out, data_width);
    let latency = out.frames[0].1 - out.doorbells[0].1;
    assert_eq!(
        latency, doorbell_to_wire,
        "{data_width} bits: doorbell to first beat"
    );
    for payload in [18usize, 1472] {
        let mut rings = empty_rings();
        let mut b = Vec::new();
        for _ in 0..200 {
            b.extend(record_header(0, 0, payload as u16));
            b.extend((0..payload).map(|_| rng.gen::<u8>()));
            b.resize(b.len().div_ceil(lanes) * lanes, 0);
        }
        rings[0].batches.push(b);
        let sc = Scenario {
            rings,
            np_frames: Vec::new(),
            post: 1.0,
            batch_is_turn: false,
            mac_ready: 1.0,
            mem: mem.clone(),
        };
        let out = run(&p, &mut rng, &sc);
        compare(&sc, &out, data_width);
        let beats = (42 + payload).max(60).div_ceil(lanes) as u64;
        let gaps: Vec<u64> = out
            .frames
            .windows(2)
            .map(|w| w[1].1 - w[0].1 - beats)
            .collect();
        assert!(
            gaps.iter().all(|g| *g == 0),
            "{data_width} bits, {}-byte frames: idle cycles between frames {gaps:?}",
            42 + payload
        );
    }
}

#[test]
fn w64_sends_at_line_rate_in_exact_cycles() {
    let d = Tx64::new();
    line_rate(d.view(), "accio_tx_rate_w64", 64, 29);
}

#[test]
fn w512_sends_at_line_rate_in_exact_cycles() {
    let d = Tx512::new();
    line_rate(d.view(), "accio_tx_rate_w512", 512, 27);
}

/// Peer regressions: payloads of 0 to 18 bytes (verilog-ethernet's small-payload checksum
/// deadlock and misalignment) back to back while the MAC back-pressures hard, so the header
/// FIFOs fill (the header/payload drift it suffered when they did). Every frame exact.
fn tiny_payloads_under_back_pressure(p: AccioTx, name: &str, data_width: u32) {
    let mut rng = seed::rng(name);
    let lanes = data_width as usize / 8;
    let rings = entries()
        .into_iter()
        .map(|entry| Ring {
            batches: (0..3)
                .map(|_| batch(&mut rng, 100, 18, data_width, false))
                .collect(),
            entry,
        })
        .collect();
    let sc = Scenario {
        rings,
        np_frames: (0..10).map(|_| np_frame(&mut rng)).collect(),
        post: 0.05,
        batch_is_turn: false,
        mac_ready: 0.2,
        mem: HostMemCfg {
            beat_bytes: lanes,
            latency: 3,
            stall: 0.0,
            max_outstanding: 64,
        },
    };
    let out = run(&p, &mut rng, &sc);
    compare(&sc, &out, data_width);
    assert_eq!(out.stats["frames"], 1200);
}

#[test]
fn w64_tiny_payloads_under_back_pressure() {
    let d = Tx64::new();
    tiny_payloads_under_back_pressure(d.view(), "accio_tx_tiny_w64", 64);
}

#[test]
fn w512_tiny_payloads_under_back_pressure() {
    let d = Tx512::new();
    tiny_payloads_under_back_pressure(d.view(), "accio_tx_tiny_w512", 512);
}

/// The golden transmit run: a payload sweep (every length 0 to 130, so every tkeep
/// alignment at every width, then up to 1472), per-record destinations, a datagram whose
/// UDP checksum computes to 0 (sent as 0xFFFF), a record too long and one cut short by the
/// tail. The frames are the same at 64 and 512 bits; they are an insta snapshot as a pcap
/// (`snapshots/accio_tx__tx_golden.snap.pcap`, opens in Wireshark) and as a dissection.
#[test]
fn golden_transmit_frames() {
    let mut rng = ChaCha8Rng::seed_from_u64(0x7478_676f_6c64); // "txgold"
    let sweep: Vec<Vec<u8>> = (0..=130)
        .chain([200, 511, 1000, 1471, 1472])
        .map(|n| (0..n).map(|_| rng.gen()).collect())
        .collect();
    let ents = entries();
    // A two-byte payload whose UDP checksum computes to zero.
    let zero = (0..=u16::MAX)
        .map(|v| v.to_be_bytes().to_vec())
        .find(|p| {
            let e = &ents[1];
            let f = frame_of(e, MAC, e.remote_ip, e.remote_port, p, 0);
            f[40..42] == [0xff, 0xff]
        })
        .expect("some payload sums to zero");
    let frames_for = |data_width: u32, rng: &mut ChaCha8Rng| {
        let lanes = data_width as usize / 8;
        let rec = |ip: u32, port: u16, p: &[u8]| {
            let mut r = record_header(ip, port, p.len() as u16).to_vec();
            r.extend(p);
            r.resize(r.len().div_ceil(lanes) * lanes, 0);
            r
        };
        let mut rings = empty_rings();
        rings[0]
            .batches
            .push(sweep.iter().flat_map(|p| rec(0, 0, p)).collect());
        let mut b = rec(0, 0, &zero);
        b.extend(rec(0xc0a8_0001, 53, b"to 192.168.0.1:53"));
        b.extend(rec(0, 9999, b"to the entry's address, port 9999"));
        rings[1].batches.push(b);
        let mut b = rec(0, 0, b"before the bad ones");
        b.extend(rec(0, 0, &vec![0xab; MAX_PAYLOAD + 1]));
        b.extend(rec(0, 0, b"after a record too long"));
        b.extend(&record_header(0, 0, 400)[..]);
        b.resize((b.len() + 48).div_ceil(lanes) * lanes, 0);
        rings[2].batches.push(b);
        let sc = Scenario {
            rings,
            np_frames: Vec::new(),
            post: 1.0,
            batch_is_turn: true,
            mac_ready: 0.7,
            mem: HostMemCfg {
                beat_bytes: lanes,
                latency: 5,
                stall: 0.1,
                max_outstanding: 64,
            },
        };
        (sc, rng.gen::<u64>())
    };
    let mut wires = Vec::new();
    for w in [64u32, 512] {
        let (d64, d512) = (Tx64::new(), Tx512::new());
        let p = if w == 64 { d64.view() } else { d512.view() };
        let (sc, seed) = frames_for(w, &mut ChaCha8Rng::seed_from_u64(3));
        let out = run(&p, &mut ChaCha8Rng::seed_from_u64(seed), &sc);
        compare(&sc, &out, w);
        assert_eq!(out.stats["bad_record"], 2);
        wires.push(out.frames.into_iter().map(|(f, _)| f).collect::<Vec<_>>());
    }
    assert_eq!(
        wires[0], wires[1],
        "512 bits sends other frames than 64 bits"
    );
    let mut text = String::new();
    for (k, f) in wires[0].iter().enumerate() {
        let ip = |i: usize| format!("{}.{}.{}.{}", f[i], f[i + 1], f[i + 2], f[i + 3]);
        let be = |i: usize| u16::from_be_bytes([f[i], f[i + 1]]);
        text += &format!(
            "{k:3} {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x} {}:{} -> {}:{} id {:5} ttl {} udp_len {:4} udp_csum {:04x} ip_csum {:04x} {:4} B\n",
            f[0], f[1], f[2], f[3], f[4], f[5],
            ip(26), be(34), ip(30), be(36), be(18), f[22], be(38), be(40), be(24), f.len()
        );
    }
    insta::assert_snapshot!("tx_golden_dissection", text);
    insta::assert_binary_snapshot!(
        "tx_golden.pcap",
        sim_models::pcap::to_bytes(&wires[0]).unwrap()
    );
}

/// Fairness: four entries with a batch each and a queue of normal-path frames, all posted
/// at once. Entries take their turns in round-robin order, normal-path descriptors get a
/// turn between entry turns, and the MAC alternates between the two kinds of frame: the
/// k-th normal-path frame leaves before entry k+1's last frame does.
#[test]
fn turns_alternate_between_entries_and_the_normal_path() {
    for w in [64u32, 512] {
        let (d64, d512) = (Tx64::new(), Tx512::new());
        let p = if w == 64 { d64.view() } else { d512.view() };
        let mut rng = seed::rng("accio_tx_fairness");
        let lanes = w as usize / 8;
        let rings = entries()
            .into_iter()
            .map(|entry| Ring {
                batches: vec![(0..8)
                    .flat_map(|_| {
                        let mut r = record_header(0, 0, 200).to_vec();
                        r.extend((0..200).map(|_| rng.gen::<u8>()));
                        r.resize(r.len().div_ceil(lanes) * lanes, 0);
                        r
                    })
                    .collect()],
                entry,
            })
            .collect();
        let sc = Scenario {
            rings,
            np_frames: (0..6)
                .map(|_| {
                    let mut f = np_frame(&mut rng);
                    f.truncate(300);
                    f
                })
                .collect(),
            post: 1.0,
            batch_is_turn: false,
            mac_ready: 1.0,
            mem: HostMemCfg {
                beat_bytes: lanes,
                latency: 4,
                stall: 0.0,
                max_outstanding: 64,
            },
        };
        let out = run(&p, &mut rng, &sc);
        compare(&sc, &out, w);
        let src = |f: &Vec<u8>| -> Option<usize> {
            entries().iter().position(|e| {
                f[12..14] == [8, 0] && u16::from_be_bytes([f[34], f[35]]) == e.local_port
            })
        };
        let order: Vec<Option<usize>> = out.frames.iter().map(|(f, _)| src(f)).collect();
        // Entries' frames come in whole turns, in index order.
        let entry_seq: Vec<usize> = order.iter().flatten().copied().collect();
        let mut sorted = entry_seq.clone();
        sorted.sort();
        assert_eq!(
            entry_seq, sorted,
            "{w} bits: entries out of round-robin order: {order:?}"
        );
        let nps: Vec<usize> = order
            .iter()
            .enumerate()
            .filter(|(_, s)| s.is_none())
            .map(|(k, _)| k)
            .collect();
        for k in 0..3 {
            let last_of_next = order.iter().rposition(|s| *s == Some(k + 1)).unwrap();
            assert!(
                nps[k] < last_of_next,
                "{w} bits: normal-path frame {k} only at {}, after entry {}'s turn: {order:?}",
                nps[k],
                k + 1
            );
        }
    }
}

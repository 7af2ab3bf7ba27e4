//! `hdl::lauberhorn::rpc_rx` (3 AUX lines, 8 slots, 4 services) with the MAC at 64 and
//! 512 bits and slot words of 512 and 128 bits. The testbench writes the service table,
//! sends a random mix of frames (matching calls with every credential and verifier
//! length, calls too large for the lines, unmatched and malformed calls, datagrams for
//! other addresses and ports, random broken frames, MAC-bad frames) with random gaps, and
//! plays the slot RAM, the scheduler (back-pressure and refusals) and the reply path
//! (freeing slots). Each frame's fate is worked out from `sim_models::net::classify` and
//! `sim_models::net::rpc_call`; every slot must hold the descriptor and the call's arguments
//! (or, with error replies on, an unmatched call's error response: PROG_UNAVAIL,
//! PROG_MISMATCH with the port's version range, PROC_UNAVAIL), every other frame must
//! come out unchanged and in order, and every counter must agree.

use hdl::lauberhorn::coherence::ctrl;
use hdl::lauberhorn::rpc_rx::{accept, RpcRxCfg};
use hdl::lauberhorn::service_table::word;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sim::axis::{beats_to_frame, frame_to_beats, Beat};
use sim::prelude::*;
use sim_models::net::{classify, rpc_call};
use sim_models::traces::{random_rx_frame, rpc_call_frame, RpcCallSpec};
use std::collections::{BTreeMap, VecDeque};
use testbench::models::views::RpcRx;
use testbench::models::{
    LauberhornRpcRxW512C128A3S8N4P4B8192, LauberhornRpcRxW512C512A3S8N4P4B8192,
    LauberhornRpcRxW64C512A3S8N4P4B8192,
};
use testbench::seed;

const LOCAL_IP: [u8; 4] = [10, 1, 0, 1];

/// A service-table entry: program, version, procedure (None: any), port, process.
#[derive(Clone, Copy)]
struct Svc {
    prog: u32,
    vers: u32,
    proc_: Option<u32>,
    port: u16,
    process: u64,
    enabled: bool,
}

const SERVICES: [Svc; 4] = [
    Svc {
        prog: 0x2000_0001,
        vers: 1,
        proc_: Some(1),
        port: 4000,
        process: 0,
        enabled: true,
    },
    Svc {
        prog: 0x2000_0001,
        vers: 1,
        proc_: None,
        port: 4000,
        process: 1,
        enabled: true,
    },
    Svc {
        prog: 0x2000_0002,
        vers: 2,
        proc_: Some(7),
        port: 5000,
        process: 2,
        enabled: true,
    },
    Svc {
        prog: 0x2000_0003,
        vers: 1,
        proc_: Some(1),
        port: 6000,
        process: 3,
        enabled: false,
    },
];

fn func_of(i: usize) -> u64 {
    0xffff_0000_0000_1000 + i as u64 * 0x100
}
fn data_of(i: usize) -> u64 {
    0x0000_7f00_0000_0000 + i as u64 * 0x40
}

fn lookup(prog: u32, vers: u32, proc_: u32, port: u16) -> Option<usize> {
    SERVICES.iter().position(|s| {
        s.enabled
            && s.prog == prog
            && s.vers == vers
            && s.port == port
            && s.proc_.is_none_or(|p| p == proc_)
    })
}

fn port_known(port: u16) -> bool {
    SERVICES.iter().any(|s| s.enabled && s.port == port)
}

/// The error response to an unmatched call: accept_stat and, for PROG_MISMATCH, the
/// lowest and highest version of the program on the port.
fn error_of(prog: u32, vers: u32, port: u16) -> (u64, Option<(u32, u32)>) {
    let on: Vec<u32> = SERVICES
        .iter()
        .filter(|s| s.enabled && s.port == port && s.prog == prog)
        .map(|s| s.vers)
        .collect();
    if on.is_empty() {
        (accept::PROG_UNAVAIL, None)
    } else if !on.contains(&vers) {
        let range = (*on.iter().min().unwrap(), *on.iter().max().unwrap());
        (accept::PROG_MISMATCH, Some(range))
    } else {
        (accept::PROC_UNAVAIL, None)
    }
}

/// Where a frame goes.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Fate {
    Slot {
        entry: usize,
        frame: Vec<u8>,
    },
    Error {
        stat: u64,
        range: Option<(u32, u32)>,
        frame: Vec<u8>,
    },
    Other,
    Drop,
}

#[derive(Default, Debug, PartialEq, Eq)]
struct Counts {
    other: u64,
    malformed: u64,
    unmatched: u64,
    too_large: u64,
    mac_bad: u64,
    slots: u64,
    errors: u64,
}

/// The receive policy: CTRL.REJECT_TO_OTHER and CTRL.ERROR_REPLIES.
#[derive(Clone, Copy)]
struct Policy {
    reject_to_other: bool,
    error_replies: bool,
}

fn fate(f: &[u8], bad: bool, pol: Policy, cap: usize, n: &mut Counts) -> Fate {
    if bad {
        n.mac_bad += 1;
        return Fate::Drop;
    }
    let m = classify(f, false);
    if !m.offload || m.dst_ip != u32::from_be_bytes(LOCAL_IP) || !port_known(m.dst_port) {
        n.other += 1;
        return Fate::Other;
    }
    let reject = || {
        if pol.reject_to_other {
            Fate::Other
        } else {
            Fate::Drop
        }
    };
    let c = rpc_call(f);
    let out = if !c.ok {
        n.malformed += 1;
        reject()
    } else {
        match lookup(c.prog, c.vers, c.proc_, m.dst_port) {
            None if pol.error_replies => {
                n.unmatched += 1;
                n.errors += 1;
                let (stat, range) = error_of(c.prog, c.vers, m.dst_port);
                Fate::Error {
                    stat,
                    range,
                    frame: f.to_vec(),
                }
            }
            None => {
                n.unmatched += 1;
                reject()
            }
            Some(_) if c.args_len > cap => {
                n.too_large += 1;
                Fate::Other
            }
            Some(entry) => {
                n.slots += 1;
                Fate::Slot {
                    entry,
                    frame: f.to_vec(),
                }
            }
        }
    };
    if out == Fate::Other {
        n.other += 1;
    }
    out
}

fn body(rng: &mut ChaCha8Rng) -> Vec<u8> {
    let n = match rng.gen_range(0..6) {
        0..=2 => 0,
        3 => 400,
        _ => rng.gen_range(0..=400),
    };
    (0..n).map(|_| rng.gen()).collect()
}

/// A random frame for the mix the module docs describe, and whether the MAC marks it bad;
/// with `only_calls`, calls that match a service and fit.
fn frame(rng: &mut ChaCha8Rng, cap: usize, only_calls: bool) -> (Vec<u8>, bool) {
    let s = SERVICES[if only_calls { 2 } else { rng.gen_range(0..3) }];
    let args_len = match if only_calls { 2 } else { rng.gen_range(0..10) } {
        0 => cap,
        1 => rng.gen_range(cap + 1..cap + 300),
        2 => rng.gen_range(0..8),
        _ => rng.gen_range(0..=cap),
    };
    let mut spec = RpcCallSpec {
        xid: rng.gen(),
        prog: s.prog,
        vers: s.vers,
        proc_: s.proc_.unwrap_or_else(|| rng.gen_range(0..20)),
        cred: (rng.gen_range(0..3), body(rng)),
        verf: (rng.gen_range(0..3), body(rng)),
        args: (0..args_len).map(|_| rng.gen()).collect(),
        dst_ip: LOCAL_IP,
        dst_port: s.port,
    };
    let k = if only_calls { 19 } else { rng.gen_range(0..21) };
    match k {
        0 => spec.vers += 1,                   // unmatched
        20 => spec.prog ^= 0x100,              // a program the port does not have
        1 => spec.proc_ = 99,                  // unmatched unless ANY
        2 => spec.dst_ip = [10, 1, 0, 2],      // not for us
        3 => spec.dst_port = 4001,             // no service there
        4 => spec.dst_port = SERVICES[3].port, // a disabled service
        _ => {}
    }
    let mut f = rpc_call_frame(rng, &spec);
    match k {
        5 => {
            f[42 + 7] = 1; // a reply, not a call
            sim_models::traces::fix_udp_checksum(&mut f);
        }
        6 => {
            f[42 + 11] = 3; // RPC version 3
            sim_models::traces::fix_udp_checksum(&mut f);
        }
        7 => {
            // The UDP datagram ends inside the header.
            let cut = rng.gen_range(8..40u16);
            f[38..40].copy_from_slice(&cut.to_be_bytes());
            f[16..18].copy_from_slice(&(20 + cut).to_be_bytes());
            f.truncate(42 + cut as usize - 8);
            sim_models::traces::fix_ip_checksum(&mut f);
            sim_models::traces::fix_udp_checksum(&mut f);
            f = sim_models::traces::pad(f, rng);
        }
        8 | 9 => return random_rx_frame(rng),
        10 => return (f, true),
        _ => {}
    }
    (f, false)
}

fn get(p: &dyn PortRead) -> u64 {
    p.get_bits(0, p.width())
}

/// What the testbench plays around the block.
struct Play {
    frames: usize,
    policy: Policy,
    /// Probabilities per cycle: a beat gap, slot RAM ready, scheduler ready, a request
    /// queued (else refused), the other output ready.
    gaps: f64,
    wr_ready: f64,
    req_ready: f64,
    queued: f64,
    other_ready: f64,
    /// Cycles the reply path keeps a slot; None: never frees.
    hold: Option<u64>,
    /// Only calls that match and fit.
    only_calls: bool,
}

#[derive(Default)]
struct Seen {
    counts: BTreeMap<&'static str, u64>,
    slots_checked: u64,
    errors_checked: u64,
    /// Error replies checked, by accept_stat.
    error_stats: BTreeMap<u64, u64>,
}

fn run(p: &RpcRx, cfg: RpcRxCfg, play: &Play, rng: &mut ChaCha8Rng) -> (Seen, Counts) {
    let cap = cfg.capacity() as usize;
    let stats = [
        ("other", p.stat_other),
        ("malformed", p.stat_malformed),
        ("unmatched", p.stat_unmatched),
        ("too_large", p.stat_too_large),
        ("mac_bad", p.stat_mac_bad),
        ("calls", p.stat_calls),
        ("refused", p.stat_refused),
        ("no_slot", p.stat_no_slot),
        ("overrun", p.stat_overrun),
        ("error_replies", p.stat_error_replies),
    ];
    p.rst.set_bit(0, true);
    p.s_axis_rx.idle();
    p.dut.tick().unwrap();
    p.rst.set_bit(0, false);
    p.local_ip
        .set_bits(0, 32, u64::from(u32::from_be_bytes(LOCAL_IP)));
    p.reject_to_other.set_bit(0, play.policy.reject_to_other);
    p.error_replies.set_bit(0, play.policy.error_replies);
    // The kernel fills the service table.
    for (i, s) in SERVICES.iter().enumerate() {
        let sel = u64::from(s.proc_.unwrap_or(0)) << 32
            | u64::from(s.port) << 16
            | (s.proc_.is_none() as u64) << word::ANY_PROC
            | (s.enabled as u64) << word::ENABLE;
        let words = [
            u64::from(s.prog) << 32 | u64::from(s.vers),
            sel,
            func_of(i),
            data_of(i),
            s.process,
        ];
        for (k, v) in words.iter().enumerate() {
            p.wr.valid.set_bit(0, true);
            p.wr.index.set_bits(0, p.wr.index.width(), i as u64);
            p.wr.word.set_bits(0, 3, k as u64);
            p.wr.data.set_bits(0, 64, *v);
            p.dut.tick().unwrap();
        }
    }
    p.wr.valid.set_bit(0, false);
    for _ in 0..2 * cfg.slots {
        p.dut.tick().unwrap(); // the free-slot list fills
    }

    let mut counts = Counts::default();
    let mut want_slots: VecDeque<(usize, Vec<u8>)> = VecDeque::new();
    let mut want_other: VecDeque<Vec<u8>> = VecDeque::new();
    let mut want_errors: VecDeque<(u64, Option<(u32, u32)>, Vec<u8>)> = VecDeque::new();
    let mut beats: VecDeque<Beat> = VecDeque::new();
    for _ in 0..play.frames {
        let (f, bad) = frame(rng, cap, play.only_calls);
        match fate(&f, bad, play.policy, cap, &mut counts) {
            Fate::Slot { entry, frame } => want_slots.push_back((entry, frame)),
            Fate::Error { stat, range, frame } => want_errors.push_back((stat, range, frame)),
            Fate::Other => want_other.push_back(f.clone()),
            Fate::Drop => {}
        }
        beats.extend(frame_to_beats(&f, cfg.net_width as usize / 8, bad as u64));
    }
    let wbytes = (cfg.coh_width / 8) as usize;
    let sw = cfg.slot_words() as u64;
    let mut ram: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
    let mut frees: Vec<(u64, u32)> = Vec::new();
    let mut out: Vec<Beat> = Vec::new();
    let mut seen = Seen::default();
    let mut quiet = 0;
    let mut cycle = 0u64;
    while quiet < 3000 {
        cycle += 1;
        let beat = if rng.gen_bool(play.gaps) {
            None
        } else {
            beats.front().cloned()
        };
        match &beat {
            Some(b) => p.s_axis_rx.drive(&b.with_unkept(rng.gen())),
            None => p.s_axis_rx.idle(),
        }
        p.m_axis_other.set_ready(rng.gen_bool(play.other_ready));
        p.slot_wr.ready.set_bit(0, rng.gen_bool(play.wr_ready));
        p.req.ready.set_bit(0, rng.gen_bool(play.req_ready));
        p.req.queued.set_bit(0, rng.gen_bool(play.queued));
        let free_now = frees.iter().position(|&(at, _)| at <= cycle);
        p.free.valid.set_bit(0, free_now.is_some());
        if let Some(k) = free_now {
            let slot = u64::from(frees[k].1);
            p.free.slot.set_bits(0, p.free.slot.width(), slot);
        }
        // The reply path looks at a request's slot, or else at an error reply's.
        let req_now = p.req.valid.bit(0);
        let slot_pending = if req_now {
            get(p.req.slot)
        } else {
            get(p.err_done.slot)
        };
        p.meta.slot.set_bits(0, p.meta.slot.width(), slot_pending);
        p.err_done
            .ready
            .set_bit(0, !req_now && rng.gen_bool(play.req_ready));
        p.dut.eval().unwrap();

        let mut active = beat.is_some();
        if beat.is_some() {
            beats.pop_front();
        }
        for (name, s) in stats {
            if s.bit(0) {
                *seen.counts.entry(name).or_default() += 1;
            }
        }
        if p.m_axis_other.fires() {
            let b = p.m_axis_other.beat();
            let last = b.last;
            out.push(b);
            if last {
                let f = beats_to_frame(&out);
                out.clear();
                assert_eq!(
                    Some(f),
                    want_other.pop_front(),
                    "cycle {cycle}: the next frame to m_axis_other"
                );
            }
            active = true;
        }
        if p.slot_wr.valid.bit(0) && p.slot_wr.ready.bit(0) {
            ram.insert(get(p.slot_wr.addr), p.slot_wr.data.get_bytes());
            active = true;
        }
        if let Some(k) = free_now {
            if p.free.ready.bit(0) {
                frees.swap_remove(k);
            }
        }
        // The caller of a slot, for the reply path.
        let caller = |f: &[u8]| {
            let c = rpc_call(f);
            let m = classify(f, false);
            let mac = u64::from_be_bytes([0, 0, f[6], f[7], f[8], f[9], f[10], f[11]]);
            [
                mac,
                u64::from(m.src_ip),
                u64::from(m.dst_ip),
                u64::from(m.src_port),
                u64::from(m.dst_port),
                u64::from(c.xid),
            ]
        };
        let slot_bytes = |ram: &BTreeMap<u64, Vec<u8>>, slot: u64, bytes: usize| {
            let mut out = Vec::new();
            for k in 0..bytes.div_ceil(wbytes) as u64 {
                let w = ram
                    .get(&(slot * sw + k))
                    .unwrap_or_else(|| panic!("cycle {cycle}: word {k} of slot {slot} written"));
                out.extend(w);
            }
            out
        };
        if p.err_done.valid.bit(0) && p.err_done.ready.bit(0) {
            active = true;
            let slot = get(p.err_done.slot);
            let (stat, range, f) = want_errors
                .pop_front()
                .expect("an error reply the model expects");
            assert_eq!(
                meta(p),
                caller(&f),
                "cycle {cycle}: error slot {slot}'s caller"
            );
            let bytes = slot_bytes(&ram, slot, 32);
            let w0 = u64::from_le_bytes(bytes[..8].try_into().unwrap());
            let len = if range.is_some() { 8 } else { 0 };
            assert_eq!(
                w0,
                len << ctrl::LEN_LSB | stat << ctrl::STAT_LSB,
                "cycle {cycle}: error response word 0"
            );
            if let Some((lo, hi)) = range {
                let r = ctrl::RESULT as usize;
                assert_eq!(
                    &bytes[r..r + 8],
                    &[lo.to_be_bytes(), hi.to_be_bytes()].concat()[..],
                    "cycle {cycle}: PROG_MISMATCH's versions"
                );
            }
            seen.errors_checked += 1;
            *seen.error_stats.entry(stat).or_default() += 1;
            for k in 0..sw {
                ram.remove(&(slot * sw + k));
            }
            if let Some(h) = play.hold {
                frees.push((cycle + rng.gen_range(0..=h), slot as u32));
            }
        }
        if p.req.valid.bit(0) && p.req.ready.bit(0) {
            active = true;
            let slot = get(p.req.slot);
            let (entry, f) = want_slots.pop_front().expect("a request the model expects");
            let c = rpc_call(&f);
            assert_eq!(meta(p), caller(&f), "cycle {cycle}: slot {slot}'s caller");
            // The slot: descriptor, then the arguments.
            let bytes = slot_bytes(&ram, slot, 32 + c.args_len);
            let word = |i: usize| u64::from_le_bytes(bytes[i * 8..i * 8 + 8].try_into().unwrap());
            let w0 = 1 | (c.args_len as u64) << ctrl::LEN_LSB | u64::from(c.xid) << ctrl::XID_LSB;
            let w3 = SERVICES[entry].process
                | (entry as u64) << ctrl::SERVICE_LSB
                | u64::from(c.proc_) << ctrl::PROC_LSB;
            assert_eq!(
                [word(0), word(1), word(2), word(3)],
                [w0, func_of(entry), data_of(entry), w3],
                "cycle {cycle}: descriptor"
            );
            assert_eq!(
                &bytes[32..32 + c.args_len],
                &f[c.args_offset..c.args_offset + c.args_len],
                "cycle {cycle}: arguments"
            );
            assert_eq!(
                get(p.req.process),
                SERVICES[entry].process,
                "cycle {cycle}: process"
            );
            seen.slots_checked += 1;
            for k in 0..sw {
                ram.remove(&(slot * sw + k));
            }
            if p.req.queued.bit(0) {
                if let Some(h) = play.hold {
                    frees.push((cycle + rng.gen_range(0..=h), slot as u32));
                }
            }
        }
        p.dut.tick().unwrap();
        quiet = if active || !beats.is_empty() {
            0
        } else {
            quiet + 1
        };
        assert!(cycle < 2_000_000, "stuck");
    }
    assert!(
        want_other.is_empty() && want_errors.is_empty(),
        "{} frames never came out, {} error replies never made",
        want_other.len(),
        want_errors.len()
    );
    (seen, counts)
}

/// The call the receive path shows for the slot on `meta_slot`: source MAC, source and
/// destination IP, source and destination port, xid.
fn meta(p: &RpcRx) -> [u64; 6] {
    let m = &p.meta;
    [m.src_mac, m.src_ip, m.dst_ip, m.src_port, m.dst_port, m.xid].map(get)
}

fn random_mix(p: &RpcRx, cfg: RpcRxCfg, name: &str, policy: Policy) {
    let mut rng = seed::rng(name);
    // Slots are taken when a frame is decided, so the MAC's pace must leave the mover
    // (wn / wc cycles per beat into narrower slot words) time enough to keep them free.
    let ratio = f64::from(cfg.coh_width.min(cfg.net_width)) / f64::from(cfg.net_width);
    let play = Play {
        frames: 1500,
        policy,
        gaps: 1.0 - 0.7 * ratio,
        wr_ready: 0.8,
        req_ready: 0.7,
        queued: 0.9,
        other_ready: 0.8,
        hold: Some(30),
        only_calls: false,
    };
    let (seen, want) = run(p, cfg, &play, &mut rng);
    let c = |n: &str| seen.counts.get(n).copied().unwrap_or(0);
    println!("{name}: {want:?}; seen {:?}", seen.counts);
    assert_eq!(
        c("no_slot") + c("overrun"),
        0,
        "enough slots and buffer in this mix"
    );
    assert_eq!(
        Counts {
            other: c("other"),
            malformed: c("malformed"),
            unmatched: c("unmatched"),
            too_large: c("too_large"),
            mac_bad: c("mac_bad"),
            slots: c("calls") + c("refused"),
            errors: c("error_replies"),
        },
        want
    );
    assert_eq!(
        (seen.slots_checked, seen.errors_checked),
        (want.slots, want.errors)
    );
    assert!(want.slots > 300 && want.malformed > 20 && want.unmatched > 20 && want.too_large > 20);
    assert!(
        !policy.error_replies || seen.error_stats.len() == 3,
        "PROG_UNAVAIL, PROG_MISMATCH and PROC_UNAVAIL all seen: {:?}",
        seen.error_stats
    );
}

#[test]
fn random_mix_w64_c512_drop_rejects_error_replies() {
    let d = LauberhornRpcRxW64C512A3S8N4P4B8192::new();
    random_mix(
        &d.view(),
        hdl::library::small_rpc_rx(64, 512),
        "rpc_rx_w64_c512",
        Policy {
            reject_to_other: false,
            error_replies: true,
        },
    );
}

#[test]
fn random_mix_w512_c512_rejects_to_other() {
    let d = LauberhornRpcRxW512C512A3S8N4P4B8192::new();
    random_mix(
        &d.view(),
        hdl::library::small_rpc_rx(512, 512),
        "rpc_rx_w512_c512",
        Policy {
            reject_to_other: true,
            error_replies: false,
        },
    );
}

#[test]
fn random_mix_w512_c128_rejects_to_other_error_replies() {
    let d = LauberhornRpcRxW512C128A3S8N4P4B8192::new();
    random_mix(
        &d.view(),
        hdl::library::small_rpc_rx(512, 128),
        "rpc_rx_w512_c128",
        Policy {
            reject_to_other: true,
            error_replies: true,
        },
    );
}

/// With no slot ever freed, exactly as many calls as there are slots are delivered; every
/// later call is dropped and counted as `no_slot`, nothing else is lost.
#[test]
fn calls_beyond_the_free_slots_are_dropped_and_counted() {
    let d = LauberhornRpcRxW512C512A3S8N4P4B8192::new();
    let cfg = hdl::library::small_rpc_rx(512, 512);
    let mut rng = seed::rng("rpc_rx_no_slot");
    let play = Play {
        frames: 40,
        policy: Policy {
            reject_to_other: false,
            error_replies: false,
        },
        gaps: 0.3,
        wr_ready: 0.8,
        req_ready: 0.7,
        queued: 1.0,
        other_ready: 1.0,
        hold: None,
        only_calls: true,
    };
    let (seen, want) = run(&d.view(), cfg, &play, &mut rng);
    let c = |n: &str| seen.counts.get(n).copied().unwrap_or(0);
    assert_eq!(want.slots, 40);
    assert_eq!((c("calls"), c("no_slot"), seen.slots_checked), (8, 32, 8));
}

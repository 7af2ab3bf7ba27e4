//! `hdl::lauberhorn::endpoints` (2 cores, 3 AUX lines, 8 slots) at 1, 2 and 8 beats per
//! line, with `sim_models::lauberhorn::cpu` on its coherence link. The testbench plays the rest
//! of the NIC: it writes requests into free slots, assigns them to waiting endpoints,
//! preempts and retires cores like a kernel would, reads each finished slot back, and
//! plays the transmitter: it reads every TX buffer the endpoints queue and hands it back
//! after a while.
//!
//! Checked: every request is served exactly once, by the core it was assigned to, and its
//! response (the handler's result, written back through evictions and invalidations) is
//! what the reply path reads; every datagram a core sends through its TX lines is queued
//! exactly once, in order, with the bytes it wrote; no assignment is accepted for an
//! endpoint that is not waiting; no line is ever granted to two holders (the CPU model
//! asserts it); every held load is answered within the timeout; and, with nothing random,
//! the exact cycles from an assignment or a load to the answer, and from a doorbell to the
//! queued message.

use hdl::lauberhorn::coherence::{ctrl, tx, ENDPOINT_LINES, KERNEL, LINE_BYTES, USER};
use hdl::lauberhorn::endpoints::EndpointsCfg;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sim::prelude::*;
use sim_models::coh_ports;
use sim_models::lauberhorn::cpu::{is_tx, Cpu, CpuCfg, Datagram, Request, Sends};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use testbench::models::views::Endpoints;
use testbench::models::{
    LauberhornEndpointsC2W1024A3S8, LauberhornEndpointsC2W128A3S8, LauberhornEndpointsC2W512A3S8,
};
use testbench::seed;

fn get(p: &dyn PortRead) -> u64 {
    p.get_bits(0, p.width())
}

/// What a run does around the endpoints.
#[derive(Clone)]
struct Setup {
    requests: usize,
    timeout: u64,
    /// Per core and cycle, the probability the kernel preempts it, and retires it.
    preempt: f64,
    retire: f64,
    /// Datagrams sent per request: up to this many.
    sends: usize,
    /// Largest number of cycles the transmitter keeps a TX buffer.
    tx_hold: u64,
    /// Probability the testbench tries a non-waiting endpoint in a cycle.
    bad_assign: f64,
    /// Probability the reply path takes a finished slot in a cycle.
    done_ready: f64,
    /// Cycles between assignments (none while the slots are being written).
    assign_gap: u32,
    /// Per cycle, the probability that no new requests come for up to 3 timeouts.
    pause: f64,
    /// Cores held in their interrupt handler (preempted) for the whole run.
    parked: u64,
    cpu: CpuCfg,
}

fn setup(ecfg: &EndpointsCfg, requests: usize) -> Setup {
    Setup {
        requests,
        timeout: 300,
        preempt: 0.001,
        retire: 0.0005,
        sends: 3,
        tx_hold: 400,
        bad_assign: 0.05,
        done_ready: 0.6,
        assign_gap: 40,
        pause: 0.002,
        parked: 0,
        cpu: CpuCfg {
            cores: ecfg.cores,
            coh_width: ecfg.coh_width,
            aux_lines: ecfg.aux_lines,
            evict: 0.02,
            n2c_ready: 0.7,
            c2n_gaps: 0.2,
            inv_delay: 12,
            work: 30,
        },
    }
}

/// The handler every core runs: a result that depends on every argument byte and on the
/// request's sequence number (so a stale or swapped line shows), of a length that varies.
fn handler(max: usize) -> sim_models::lauberhorn::cpu::Handler {
    Box::new(move |_core, req: &Request| {
        let seq = u32::from_le_bytes(req.control[4..8].try_into().unwrap());
        let len = (req.args.len() + seq as usize % 53).min(max);
        let out = (0..len)
            .map(|i| {
                let a = req
                    .args
                    .get(i % req.args.len().max(1))
                    .copied()
                    .unwrap_or(0);
                a ^ (seq as u8).wrapping_mul(31) ^ i as u8
            })
            .collect();
        (out, (seq % 6) as u8)
    })
}

/// The datagrams a core sends for a request: up to `max` of them, their bytes and
/// addresses from the request's sequence number and arguments.
fn sends(max: usize) -> Sends {
    Box::new(move |core, req: &Request| {
        let seq = u32::from_le_bytes(req.control[4..8].try_into().unwrap());
        let n = (seq as usize * 7 + core) % (max + 1);
        (0..n)
            .map(|k| {
                let len = 1 + (seq as usize * 13 + k * 29) % tx::PAYLOAD as usize;
                Datagram {
                    payload: (0..len)
                        .map(|i| (seq as u8) ^ (k as u8).wrapping_mul(97) ^ i as u8)
                        .collect(),
                    dst_mac: 0x02_00_00_00_00_00 | u64::from(seq),
                    dst_ip: 0x0a00_0000 | seq,
                    dst_port: 7000 + k as u16,
                    src_port: seq as u16,
                }
            })
            .collect()
    })
}

/// A request: its CONTROL line and AUX lines as the RPC path would write them.
fn make_request(rng: &mut ChaCha8Rng, seq: u32, max: usize) -> (Vec<u8>, Vec<u8>) {
    let len = match rng.gen_range(0..4) {
        0 => rng.gen_range(0..=ctrl::INLINE as usize),
        1 => max,
        _ => rng.gen_range(0..=max),
    };
    let args: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
    let mut lines = vec![0u8; ctrl::DATA as usize];
    rng.fill(&mut lines[8..]);
    let w0 = 1u64 << ctrl::VALID | (len as u64) << ctrl::LEN_LSB | u64::from(seq) << 32;
    lines[..8].copy_from_slice(&w0.to_le_bytes());
    lines.extend_from_slice(&args);
    let n = lines.len().div_ceil(LINE_BYTES as usize) * LINE_BYTES as usize;
    lines.resize(n, 0);
    (lines, args)
}

#[derive(Default)]
struct Outcome {
    /// Sequence numbers answered, with the endpoint that served them.
    answered: BTreeMap<u32, u32>,
    cycles: u64,
    tryagains: u64,
    /// Held loads answered TRYAGAIN because of a timeout, a preemption, a retirement;
    /// TX loads answered TRYAGAIN.
    timeouts: usize,
    preemptions: usize,
    retirements: usize,
    tx_tryagains: usize,
    /// Datagrams the cores sent, each checked as the transmitter read it.
    datagrams: usize,
    /// Cycles from each doorbell load's acceptance to its message at `tx_send` (loads
    /// whose line the core still held: an INV round trip).
    bell_to_send: Vec<u64>,
    /// Longest wait of a held load answered TRYAGAIN (not preempted), in cycles.
    max_tryagain_wait: u64,
    /// Cycles from each accepted assignment to the last beat of its CONTROL line at the core.
    assign_to_data: Vec<u64>,
    /// Cycles from each timed-out load's acceptance to the last beat of its TRYAGAIN (loads
    /// that did not acknowledge a request: those wait for the collection first).
    timeout_waits: Vec<u64>,
}

fn run(p: &Endpoints, ecfg: EndpointsCfg, s: &Setup, rng: &mut ChaCha8Rng) -> Outcome {
    use rand::SeedableRng;
    let bytes = (ecfg.coh_width / 8) as usize;
    let beats = ecfg.beats() as usize;
    let max = (ctrl::INLINE + LINE_BYTES * ecfg.aux_lines) as usize;
    let mut cpu = Cpu::new(
        s.cpu.clone(),
        handler(max),
        ChaCha8Rng::seed_from_u64(rng.gen()),
    );
    if s.sends > 0 {
        cpu.set_sends(sends(s.sends));
    }
    let coh = coh_ports!(p);
    p.timeout.set_bits(0, 24, s.timeout);
    p.preempt.set_bits(0, ecfg.cores, 0);
    p.retire.set_bits(0, ecfg.cores, 0);
    p.rst.set_bit(0, true);
    p.dut.tick().unwrap();
    p.rst.set_bit(0, false);

    let mut free: VecDeque<u32> = (0..ecfg.slots).collect();
    let mut next_seq = 0u32;
    // The slot being written: its words, and the request.
    let mut writing: Option<(u32, VecDeque<(u64, Vec<u8>)>, u32, Vec<u8>)> = None;
    let mut ready: VecDeque<u32> = VecDeque::new(); // slots written, not yet assigned
    let mut in_slot: BTreeMap<u32, (u32, Vec<u8>, Option<u32>)> = BTreeMap::new();
    let mut reads = 0usize; // slot reads asked for, data not yet back
                            // The reply path or the transmitter reading: a slot or a TX buffer.
    let mut task: Option<Task> = None;
    // TX buffers read, to hand back at a cycle; messages taken per endpoint.
    let mut tx_back: Vec<(u64, u32, u32)> = Vec::new();
    let mut taken = vec![0usize; ecfg.endpoints() as usize];
    // Per cycle: a message is queued (tx_send valid), and whose.
    let mut send_log: Vec<Option<u32>> = Vec::new();
    let mut preempted_until = vec![None::<u64>; ecfg.cores as usize];
    let mut retired_until = vec![None::<u64>; ecfg.cores as usize];
    let mut preempt_mask = s.parked;
    let mut retire_mask = 0u64;
    for c in 0..ecfg.cores as usize {
        if s.parked >> c & 1 == 1 {
            cpu.interrupt(c);
        }
    }
    let mut out = Outcome::default();
    let mut written = BTreeMap::new(); // sequence number -> arguments
    let mut gap = 0u32;
    let mut pause = 0u64;
    let mut assigned_at = Vec::new();
    let mut cycle = 0u64;
    let limit = 4000 + s.requests as u64 * 3000;
    // After the last answer, two timeouts more: every core's held load times out.
    let mut tail = 2 * s.timeout + 100;
    while out.answered.len() < s.requests || !cpu.quiet() || tail > 0 {
        if out.answered.len() == s.requests {
            tail = tail.saturating_sub(1);
        }
        assert!(
            cycle < limit,
            "stuck after {cycle} cycles: {} of {} answered; {}",
            out.answered.len(),
            s.requests,
            (0..ecfg.cores as usize)
                .map(|c| cpu.describe(c))
                .collect::<Vec<_>>()
                .join("; ")
        );
        // Write the next request into a free slot.
        if pause > 0 {
            pause -= 1;
        } else if rng.gen_bool(s.pause) {
            pause = rng.gen_range(0..3 * s.timeout);
        }
        if writing.is_none() && (next_seq as usize) < s.requests && pause == 0 {
            if let Some(slot) = free.pop_front() {
                let (lines, args) = make_request(rng, next_seq, max);
                let words = (0..lines.len() / bytes)
                    .map(|k| {
                        let (l, b) = (k / beats, k % beats);
                        let w = ecfg.word(slot, l as u32, b as u32);
                        (w, lines[k * bytes..(k + 1) * bytes].to_vec())
                    })
                    .collect();
                writing = Some((slot, words, next_seq, args));
                next_seq += 1;
            }
        }
        match writing.as_ref().and_then(|w| w.1.front()) {
            Some((addr, data)) => {
                p.slot_wr.valid.set_bit(0, true);
                p.slot_wr.addr.set_bits(0, p.slot_wr.addr.width(), *addr);
                p.slot_wr.data.set_bytes(data);
            }
            None => p.slot_wr.valid.set_bit(0, false),
        }
        // Kernel: preempt or retire a core now and then; let it go once it took the
        // interrupt or left its loop.
        for c in 0..ecfg.cores as usize {
            let idle = preempted_until[c].is_none() && retired_until[c].is_none();
            let pick = |rng: &mut ChaCha8Rng| if rng.gen_bool(0.3) { KERNEL } else { USER };
            if idle && s.parked >> c & 1 == 0 && rng.gen_bool(s.preempt) {
                preempted_until[c] = Some(cycle + rng.gen_range(50..400));
                preempt_mask |= 1 << c;
                cpu.interrupt(c);
            } else if idle && s.parked >> c & 1 == 0 && rng.gen_bool(s.retire) {
                retired_until[c] = Some(cycle + rng.gen_range(50..400));
                retire_mask |= 1 << c;
            } else if preempted_until[c].is_some_and(|t| t <= cycle) && cpu.interrupted(c) {
                preempted_until[c] = None;
                preempt_mask &= !(1 << c);
                let ep = pick(rng);
                cpu.resume(c, ep);
            } else if retired_until[c].is_some_and(|t| t <= cycle) && cpu.retired(c) {
                retired_until[c] = None;
                retire_mask &= !(1 << c);
                let ep = pick(rng);
                cpu.resume(c, ep);
            }
        }
        p.preempt.set_bits(0, ecfg.cores, preempt_mask);
        p.retire.set_bits(0, ecfg.cores, retire_mask);
        for c in 0..ecfg.cores as usize {
            if cpu.retired(c) && retired_until[c].is_none() {
                let w: Vec<_> = cpu
                    .waits
                    .iter()
                    .filter(|w| w.core == c)
                    .rev()
                    .take(4)
                    .collect();
                panic!("cycle {cycle}: {} retired unasked; {w:?}", cpu.describe(c));
            }
        }
        // Scheduler: a ready request to a waiting endpoint, or a deliberate wrong try.
        let waiting_before = get(p.waiting);
        let n_ep = ecfg.endpoints();
        let mut try_ep = None;
        if gap > 0 {
            gap -= 1;
        } else if let Some(&slot) = ready.front() {
            let cands: Vec<u32> = (0..n_ep).filter(|e| waiting_before >> e & 1 == 1).collect();
            if rng.gen_bool(s.bad_assign) {
                try_ep = Some((rng.gen_range(0..n_ep), slot));
            } else if !cands.is_empty() {
                try_ep = Some((cands[rng.gen_range(0..cands.len())], slot));
            }
        }
        match try_ep {
            Some((ep, slot)) => {
                p.assign.valid.set_bit(0, true);
                p.assign.ep.set_bits(0, p.assign.ep.width(), u64::from(ep));
                p.assign
                    .slot
                    .set_bits(0, p.assign.slot.width(), u64::from(slot));
            }
            None => p.assign.valid.set_bit(0, false),
        }
        // Reply path: take finished slots, read them back; transmitter: take rung TX
        // buffers, read them, hand them back later.
        // One of them may start in a cycle: they take turns.
        let reader_free = task.is_none() && rng.gen_bool(s.done_ready);
        p.done.ready.set_bit(0, reader_free && cycle % 2 == 0);
        p.tx_send.ready.set_bit(0, reader_free && cycle % 2 == 1);
        let read_now = task.as_ref().and_then(|t| t.next_read(&ecfg));
        let back_now = tx_back.iter().position(|b| b.0 <= cycle);
        match back_now {
            Some(i) => {
                p.tx_done.valid.set_bit(0, true);
                p.tx_done
                    .ep
                    .set_bits(0, p.tx_done.ep.width(), u64::from(tx_back[i].1));
                p.tx_done.buf.set_bits(0, 1, u64::from(tx_back[i].2));
                tx_back.remove(i);
            }
            None => p.tx_done.valid.set_bit(0, false),
        }
        match read_now {
            Some(w) => {
                p.slot_rd.valid.set_bit(0, rng.gen_bool(0.8));
                p.slot_rd.addr.set_bits(0, p.slot_rd.addr.width(), w);
            }
            None => p.slot_rd.valid.set_bit(0, false),
        }
        cpu.drive(&coh);
        p.dut.eval().unwrap();

        // What happened this cycle.
        assert!(
            !p.ev_violation.bit(0),
            "cycle {cycle}: the endpoints saw a protocol violation"
        );
        if p.ev_tryagain.bit(0) {
            out.tryagains += 1;
        }
        if p.slot_wr.valid.get_bits(0, 1) == 1 && p.slot_wr.ready.bit(0) {
            let w = writing.as_mut().unwrap();
            w.1.pop_front();
            if w.1.is_empty() {
                let (slot, _, seq, args) = writing.take().unwrap();
                in_slot.insert(slot, (seq, args, None));
                ready.push_back(slot);
            }
        }
        if let Some((ep, slot)) = try_ep {
            let ok = p.assign.ok.bit(0);
            let waiting_now = get(p.waiting) >> ep & 1 == 1;
            assert!(
                !ok || waiting_now,
                "cycle {cycle}: assignment to endpoint {ep}, which is not waiting, accepted"
            );
            assert!(
                !ok || (preempt_mask | retire_mask) >> (ep / 2) & 1 == 0,
                "cycle {cycle}: assignment to a preempted or retired core"
            );
            if ok {
                assert_eq!(ready.pop_front(), Some(slot));
                in_slot.get_mut(&slot).unwrap().2 = Some(ep);
                assigned_at.push((ep, cycle));
                gap = s.assign_gap;
            }
        }
        if p.done.ready.get_bits(0, 1) == 1 && p.done.valid.bit(0) {
            let (ep, slot, wrote) = (
                get(p.done.ep) as u32,
                get(p.done.slot) as u32,
                p.done.wrote.bit(0),
            );
            let (seq, _, assigned) = &in_slot[&slot];
            assert_eq!(
                *assigned,
                Some(ep),
                "request {seq} finished on endpoint {ep}"
            );
            assert!(
                wrote,
                "request {seq}: the handler's write-back reached the slot"
            );
            task = Some(Task::new(ep, slot, false));
        }
        let send_valid = p.tx_send.valid.bit(0);
        send_log.push(send_valid.then(|| get(p.tx_send.ep) as u32));
        if p.tx_send.ready.get_bits(0, 1) == 1 && send_valid {
            task = Some(Task::new(
                get(p.tx_send.ep) as u32,
                get(p.tx_send.buf) as u32,
                true,
            ));
        }
        if let (Some(t), true) = (
            task.as_mut(),
            p.slot_rd.valid.get_bits(0, 1) == 1 && p.slot_rd.ready.bit(0),
        ) {
            reads += 1;
            t.asked += 1;
        }
        if p.slot_rd.data_valid.bit(0) {
            assert!(reads > 0, "read data was asked for");
            reads -= 1;
            let t = task.as_mut().unwrap();
            t.data.extend(p.slot_rd.data.get_bytes());
            if t.data.len() == t.words(&ecfg) * bytes {
                let t = task.take().unwrap();
                if t.tx {
                    // The next message of this endpoint, as its core wrote it.
                    let ep = t.ep;
                    let sent: Vec<Datagram> = cpu
                        .served((ep / 2) as usize)
                        .iter()
                        .filter(|sv| sv.endpoint == ep % 2)
                        .flat_map(|sv| sv.sends.clone())
                        .collect();
                    let k = taken[ep as usize];
                    assert!(k < sent.len(), "endpoint {ep}: a message no core sent");
                    assert_eq!(
                        t.data,
                        sent[k].line().to_vec(),
                        "endpoint {ep}: message {k} as the transmitter reads it"
                    );
                    taken[ep as usize] += 1;
                    out.datagrams += 1;
                    let at = cycle + rng.gen_range(0..=s.tx_hold);
                    tx_back.push((at, ep, t.slot));
                } else {
                    let (ep, slot) = (t.ep, t.slot);
                    let (seq, args, _) = in_slot.remove(&slot).unwrap();
                    check_response(&t.data, seq, &args, max);
                    written.insert(seq, args);
                    assert!(
                        out.answered.insert(seq, ep).is_none(),
                        "request {seq} finished twice"
                    );
                    free.push_back(slot);
                }
            }
        }
        cpu.sample(&coh);
        p.dut.tick().unwrap();
        cycle += 1;
    }
    // Every request served once, by the assigned endpoint's core; no error answers.
    assert_eq!(cpu.link_errors(&coh), 0, "error answers on the link");
    let mut served = BTreeSet::new();
    for c in 0..ecfg.cores as usize {
        for sv in cpu.served(c) {
            let seq = u32::from_le_bytes(sv.request.control[4..8].try_into().unwrap());
            assert!(served.insert(seq), "request {seq} was served twice");
            let ep = out.answered[&seq];
            assert_eq!(
                (ep / 2) as usize,
                c,
                "request {seq} served by core {c}, assigned to endpoint {ep}"
            );
            assert_eq!(
                ep % 2,
                sv.endpoint,
                "request {seq}: on the endpoint kind assigned"
            );
            assert_eq!(
                sv.request.args, written[&seq],
                "request {seq}: the arguments the core read"
            );
        }
    }
    assert_eq!(served.len(), s.requests, "every request was served");
    // Every datagram queued once.
    for ep in 0..ecfg.endpoints() {
        let n: usize = cpu
            .served((ep / 2) as usize)
            .iter()
            .filter(|sv| sv.endpoint == ep % 2)
            .map(|sv| sv.sends.len())
            .sum();
        assert_eq!(taken[ep as usize], n, "endpoint {ep}: every message queued");
    }
    assert!(task.is_none(), "nothing is left half read");
    out.timeouts = cpu
        .waits
        .iter()
        .filter(|w| w.tryagain && !w.preempt && !w.retire)
        .count();
    out.preemptions = cpu.waits.iter().filter(|w| w.tryagain && w.preempt).count();
    out.retirements = cpu.waits.iter().filter(|w| w.tryagain && w.retire).count();
    out.tx_tryagains = cpu
        .waits
        .iter()
        .filter(|w| w.tryagain && is_tx(w.line))
        .count();
    // Doorbells rung while no message was queued: the next one queued is theirs.
    for w in cpu.waits.iter().filter(|w| is_tx(w.line) && w.acknowledges) {
        let ep = (w.line / u64::from(ENDPOINT_LINES)) as u32;
        let from = w.sent as usize;
        if send_log.get(from).is_some_and(|q| q.is_none()) {
            if let Some(at) = (from..send_log.len()).find(|&c| send_log[c].is_some()) {
                if send_log[at] == Some(ep) {
                    out.bell_to_send.push((at - from) as u64);
                }
            }
        }
    }
    for wt in &cpu.waits {
        if wt.tryagain && !wt.preempt {
            out.max_tryagain_wait = out.max_tryagain_wait.max(wt.answered - wt.sent);
        }
    }
    for &(ep, at) in &assigned_at {
        let w = cpu
            .waits
            .iter()
            .find(|w| {
                w.core == (ep / 2) as usize
                    && w.line / u64::from(ENDPOINT_LINES) == u64::from(ep)
                    && w.line % u64::from(ENDPOINT_LINES) < 2
                    && w.answered >= at
            })
            .expect("an assignment answers a load");
        assert!(!w.tryagain);
        out.assign_to_data.push(w.answered - at);
    }
    out.timeout_waits = cpu
        .waits
        .iter()
        .filter(|w| w.tryagain && !w.preempt && !w.retire && !w.acknowledges && !is_tx(w.line))
        .map(|w| w.answered - w.sent)
        .collect();
    out.cycles = cycle;
    out
}

/// A read of a finished slot (the reply path) or of a rung TX buffer (the transmitter).
struct Task {
    ep: u32,
    /// The slot, or the TX buffer.
    slot: u32,
    tx: bool,
    data: Vec<u8>,
    asked: usize,
}

impl Task {
    fn new(ep: u32, slot: u32, tx: bool) -> Task {
        Task {
            ep,
            slot,
            tx,
            data: Vec::new(),
            asked: 0,
        }
    }

    fn words(&self, ecfg: &EndpointsCfg) -> usize {
        let beats = ecfg.beats() as usize;
        if self.tx {
            beats
        } else {
            (1 + ecfg.aux_lines as usize) * beats
        }
    }

    fn next_read(&self, ecfg: &EndpointsCfg) -> Option<u64> {
        let beats = ecfg.beats() as usize;
        if self.asked == self.words(ecfg) {
            return None;
        }
        let (l, b) = ((self.asked / beats) as u32, (self.asked % beats) as u32);
        Some(if self.tx {
            ecfg.rd_tx(ecfg.tx_word(self.ep, self.slot, b))
        } else {
            ecfg.word(self.slot, l, b)
        })
    }
}

/// The slot as the reply path reads it holds the handler's result for request `seq`.
fn check_response(data: &[u8], seq: u32, args: &[u8], max: usize) {
    let mut control = [0u8; LINE_BYTES as usize];
    control[4..8].copy_from_slice(&seq.to_le_bytes());
    let req = Request {
        control,
        args: args.to_vec(),
    };
    let (want, status) = handler(max)(0, &req);
    let w0 = u64::from_le_bytes(data[..8].try_into().unwrap());
    let len = (w0 >> ctrl::LEN_LSB & 0xffff) as usize;
    assert_eq!(len, want.len(), "request {seq}: result length");
    assert_eq!(
        (w0 >> ctrl::STAT_LSB & 0xff) as u8,
        status,
        "request {seq}: status"
    );
    let got: Vec<u8> = data[ctrl::RESULT as usize..ctrl::RESULT as usize + len].to_vec();
    assert_eq!(got, want, "request {seq}: result bytes");
}

/// `runs` runs of `requests` requests each (the model reset between them), every one
/// without a protocol violation or an error answer (`run` asserts both).
fn random_run(p: &Endpoints, ecfg: EndpointsCfg, name: &str, runs: usize, requests: usize) {
    let mut rng = seed::rng(name);
    for _ in 0..runs {
        random_run_once(p, ecfg, name, requests, &mut rng);
    }
}

fn random_run_once(
    p: &Endpoints,
    ecfg: EndpointsCfg,
    name: &str,
    requests: usize,
    rng: &mut ChaCha8Rng,
) {
    let s = setup(&ecfg, requests);
    let o = run(p, ecfg, &s, rng);
    println!(
        "{name}: {} requests and {} datagrams in {} cycles, {} TRYAGAINs ({} timeouts, {} \
         preemptions, {} retirements, {} on TX lines, seen by the cores), longest \
         timeout wait {} cycles",
        o.answered.len(),
        o.datagrams,
        o.cycles,
        o.tryagains,
        o.timeouts,
        o.preemptions,
        o.retirements,
        o.tx_tryagains,
        o.max_tryagain_wait
    );
    assert!(
        o.timeouts > 0 && o.preemptions > 0 && o.retirements > 0 && o.tx_tryagains > 0,
        "the run exercised timeouts, preemptions, retirements and TX TRYAGAINs"
    );
    assert!(o.datagrams > s.requests / 2, "the cores sent datagrams");
    let kernel = o.answered.values().filter(|e| *e % 2 == 1).count();
    assert!(kernel > 0, "some requests went to kernel endpoints");
    // A held load waits for the timeout, then for the INV round trip of a line the core
    // still held, and for the answers ahead of it on a back-pressured link.
    assert!(
        o.max_tryagain_wait <= s.timeout + 120,
        "longest TRYAGAIN wait {}",
        o.max_tryagain_wait
    );
}

#[test]
fn random_requests_evictions_and_preemptions_w512() {
    let d = LauberhornEndpointsC2W512A3S8::new();
    random_run(
        &d.view(),
        hdl::library::small_endpoints(512),
        "endpoints_w512",
        3,
        2_000,
    );
}

#[test]
fn random_requests_evictions_and_preemptions_w128() {
    let d = LauberhornEndpointsC2W128A3S8::new();
    random_run(
        &d.view(),
        hdl::library::small_endpoints(128),
        "endpoints_w128",
        3,
        2_000,
    );
}

#[test]
fn random_requests_evictions_and_preemptions_w1024() {
    let d = LauberhornEndpointsC2W1024A3S8::new();
    random_run(
        &d.view(),
        hdl::library::small_endpoints(1024),
        "endpoints_w1024",
        3,
        2_000,
    );
}

/// Nothing random: the link always ready, no evictions, handlers that take no time.
fn exact(ecfg: EndpointsCfg) -> Outcome {
    let mut s = setup(&ecfg, 60);
    s.preempt = 0.0;
    s.retire = 0.0;
    s.tx_hold = 0;
    s.bad_assign = 0.0;
    s.done_ready = 1.0;
    s.assign_gap = 0;
    s.pause = 0.004;
    s.cpu.evict = 0.0;
    s.cpu.n2c_ready = 1.0;
    s.cpu.c2n_gaps = 0.0;
    s.cpu.inv_delay = 0;
    s.cpu.work = 0;
    // One core, so no answer waits behind another core's beats on the link.
    s.parked = !1 & ((1 << ecfg.cores) - 1);
    let mut rng = seed::rng("endpoints_exact");
    let w = ecfg.coh_width;
    let o = match w {
        512 => {
            let d = LauberhornEndpointsC2W512A3S8::new();
            run(&d.view(), ecfg, &s, &mut rng)
        }
        128 => {
            let d = LauberhornEndpointsC2W128A3S8::new();
            run(&d.view(), ecfg, &s, &mut rng)
        }
        _ => {
            let d = LauberhornEndpointsC2W1024A3S8::new();
            run(&d.view(), ecfg, &s, &mut rng)
        }
    };
    println!(
        "w{w}: assignment -> last CONTROL beat {:?}, load -> last TRYAGAIN beat {:?}, \
         doorbell -> tx_send {:?}",
        o.assign_to_data.iter().min()..=o.assign_to_data.iter().max(),
        o.timeout_waits.iter().min()..=o.timeout_waits.iter().max(),
        o.bell_to_send.iter().min()..=o.bell_to_send.iter().max()
    );
    o
}

/// Exact cycles: an assignment reaches the held core `5 + beats - 1` cycles later (the
/// event, the job FIFO, the RAM read, the output FIFO, then the line's beats); a held load
/// with nothing to deliver is answered `timeout + 6 + beats - 1` cycles after the NIC took
/// it (its timer starts the cycle after the load's event); a doorbell whose TX line the
/// core holds dirty queues its message `10 + beats - 1` cycles after the NIC took the load
/// (the INV out in 4, the core's answer at once, its `beats` beats of data, the
/// completion, the queue).
#[test]
fn exact_cycles_assignment_and_timeout() {
    for w in [1024, 512, 128] {
        let ecfg = hdl::library::small_endpoints(w);
        let o = exact(ecfg);
        let beats = u64::from(ecfg.beats());
        assert!(!o.assign_to_data.is_empty() && !o.timeout_waits.is_empty());
        for &c in &o.assign_to_data {
            assert_eq!(
                c,
                5 + beats - 1,
                "w{w}: assignment to the last beat of the line"
            );
        }
        for &c in &o.timeout_waits {
            assert_eq!(
                c,
                300 + 6 + beats - 1,
                "w{w}: timeout to the last beat of TRYAGAIN"
            );
        }
        assert!(!o.bell_to_send.is_empty());
        for &c in &o.bell_to_send {
            assert_eq!(c, 11 + beats - 1, "w{w}: doorbell to the queued message");
        }
    }
}

/// A message on the link, as the directed test sends and expects them.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Msg {
    op: u64,
    line: u64,
    id: u64,
    err: bool,
    data: Vec<u8>,
}

/// `msgs` with their data zeroed: a TX line's buffer is a memory without reset, so a line
/// no core has written yet is loaded with whatever it holds.
fn unwritten(msgs: Vec<Msg>) -> Vec<Msg> {
    msgs.into_iter()
        .map(|m| Msg {
            data: vec![0; m.data.len()],
            ..m
        })
        .collect()
}

/// Drives the link by hand: messages in, and every `n2c` message out (always ready).
struct Link<'a, 'b> {
    p: &'b Endpoints<'a>,
    bytes: usize,
    got: Vec<Msg>,
    partial: Vec<u8>,
    violations: u32,
}

impl<'a, 'b> Link<'a, 'b> {
    /// Resets the endpoints (held loads time out after `timeout` cycles, no core preempted
    /// or retired) to drive their link by hand.
    fn start(p: &'b Endpoints<'a>, timeout: u64) -> Self {
        p.timeout.set_bits(0, 24, timeout);
        p.preempt.set_bits(0, p.preempt.width(), 0);
        p.retire.set_bits(0, p.retire.width(), 0);
        p.rst.set_bit(0, true);
        p.dut.tick().unwrap();
        p.rst.set_bit(0, false);
        Link {
            p,
            bytes: (p.c2n.data.width() / 8) as usize,
            got: Vec::new(),
            partial: Vec::new(),
            violations: 0,
        }
    }

    fn cycle(&mut self) {
        let p = self.p;
        p.n2c.ready.set_bit(0, true);
        p.dut.eval().unwrap();
        self.violations += p.ev_violation.bit(0) as u32;
        if p.n2c.valid.bit(0) {
            self.partial.extend(p.n2c.data.get_bytes());
            if p.n2c.last.bit(0) {
                self.got.push(Msg {
                    op: get(p.n2c.op),
                    line: get(p.n2c.line),
                    id: get(p.n2c.id),
                    err: p.n2c.err.bit(0),
                    data: std::mem::take(&mut self.partial),
                });
            }
        }
        p.dut.tick().unwrap();
    }

    fn send(&mut self, op: u64, line: u64, id: u64, data: Option<&[u8]>) {
        let p = self.p;
        let chunks: Vec<&[u8]> = match data {
            Some(d) => d.chunks(self.bytes).collect(),
            None => vec![&[]],
        };
        for (i, c) in chunks.iter().enumerate() {
            p.c2n.valid.set_bit(0, true);
            p.c2n.op.set_bits(0, 3, op);
            p.c2n.line.set_bits(0, 25, line);
            p.c2n.id.set_bits(0, p.c2n.id.width(), id);
            p.c2n.data.set_bytes(c);
            p.c2n.last.set_bit(0, i + 1 == chunks.len());
            loop {
                p.dut.eval().unwrap();
                let taken = p.c2n.ready.bit(0);
                self.cycle();
                if taken {
                    break;
                }
            }
        }
        p.c2n.valid.set_bit(0, false);
    }

    /// Runs `n` cycles and returns what came out.
    fn wait(&mut self, n: u32) -> Vec<Msg> {
        for _ in 0..n {
            self.cycle();
        }
        std::mem::take(&mut self.got)
    }
}

/// Protocol violations get an `err` line and change nothing: a load from the wrong core, of
/// a line past the AUX lines, of an AUX line with no request, a second held load, a load
/// while a response is being collected, an undefined opcode. Around them the normal
/// sequence runs: held load, assignment, acknowledgement, invalidation with dirty data,
/// `done`, and the slot holding the response.
#[test]
fn protocol_violations_are_answered_with_err_and_change_nothing() {
    use hdl::lauberhorn::coherence::{down, line, line_addr, up};
    let d = LauberhornEndpointsC2W512A3S8::new();
    let p = d.view();
    let ecfg = hdl::library::small_endpoints(512);
    let mut l = Link::start(&p, 5000);
    let err = |line: u64, id: u64| Msg {
        op: down::DATA,
        line,
        id,
        err: true,
        data: vec![0; 128],
    };
    // The request in slot 3.
    let request: Vec<u8> = (0..128u32).map(|i| (i * 7 + 1) as u8).collect();
    for b in 0..2u32 {
        p.slot_wr.valid.set_bit(0, true);
        p.slot_wr
            .addr
            .set_bits(0, p.slot_wr.addr.width(), ecfg.word(3, 0, b));
        p.slot_wr
            .data
            .set_bytes(&request[b as usize * 64..(b as usize + 1) * 64]);
        l.cycle();
    }
    p.slot_wr.valid.set_bit(0, false);
    let (c0, c1) = (
        line_addr(0, line::control(0)),
        line_addr(0, line::control(1)),
    );
    let aux0 = line_addr(0, line::aux(0));
    l.send(up::RD_EXCL, c0, 1, None); // core 1 loads core 0's line
    l.send(up::RD_EXCL, line_addr(0, line::aux(3)), 0, None); // past the 3 AUX lines
    l.send(up::RD_SHARED, aux0, 0, None); // no request bound
    assert_eq!(
        l.wait(10),
        vec![err(c0, 1), err(line_addr(0, 5), 0), err(aux0, 0)]
    );
    l.send(up::RD_EXCL, c0, 0, None); // held
    assert_eq!(l.wait(10), vec![]);
    assert_eq!(get(p.waiting), 1, "endpoint 0 waits");
    l.send(up::RD_EXCL, c0, 0, None); // a second held load
    assert_eq!(l.wait(10), vec![err(c0, 0)]);
    l.send(6, c0, 0, None); // not an opcode
    assert_eq!(l.wait(10), vec![]);
    assert_eq!(l.violations, 5);
    // The assignment answers the held load with the slot's line.
    p.assign.valid.set_bit(0, true);
    p.assign.ep.set_bits(0, p.assign.ep.width(), 0);
    p.assign.slot.set_bits(0, p.assign.slot.width(), 3);
    p.dut.eval().unwrap();
    assert!(p.assign.ok.bit(0));
    l.cycle();
    p.assign.valid.set_bit(0, false);
    let data = |line: u64, data: &[u8]| Msg {
        op: down::DATA,
        line,
        id: 0,
        err: false,
        data: data.to_vec(),
    };
    assert_eq!(l.wait(10), vec![data(c0, &request)]);
    // The acknowledgement: the NIC takes the CONTROL line back; meanwhile a load of it is
    // a violation.
    l.send(up::RD_EXCL, c1, 0, None);
    let inv = Msg {
        op: down::INV,
        line: c0,
        id: 0,
        err: false,
        data: vec![0; 64],
    };
    assert_eq!(l.wait(10), vec![inv]);
    l.send(up::RD_EXCL, c0, 0, None);
    assert_eq!(l.wait(10), vec![err(c0, 0)]);
    assert!(!p.done.valid.bit(0), "nothing done before the answer");
    let response: Vec<u8> = (0..128u32).map(|i| (i * 13 + 5) as u8).collect();
    l.send(up::ACK_DATA, c0, 0, Some(&response));
    l.wait(3);
    p.dut.eval().unwrap();
    assert!(p.done.valid.bit(0));
    assert_eq!(
        (get(p.done.ep), get(p.done.slot), p.done.wrote.bit(0)),
        (0, 3, true)
    );
    assert_eq!(l.violations, 6);
    // The slot holds the response; the acknowledging load now waits for the next request.
    let mut back = Vec::new();
    for b in 0..2u32 {
        p.slot_rd.valid.set_bit(0, true);
        p.slot_rd
            .addr
            .set_bits(0, p.slot_rd.addr.width(), ecfg.word(3, 0, b));
        l.cycle();
        p.slot_rd.valid.set_bit(0, false);
        p.dut.eval().unwrap();
        assert!(p.slot_rd.data_valid.bit(0));
        back.extend(p.slot_rd.data.get_bytes());
    }
    assert_eq!(back, response);
    assert_eq!(get(p.waiting), 1, "the load of CONTROL 1 is held");
}

/// The TX lines by hand: a load of the current TX line is answered with its free buffer;
/// the doorbell (a load of the other one) takes the line back, queues the written buffer
/// and is answered with the other buffer; a doorbell with nothing written queues nothing;
/// a load whose buffer is still being sent is held, then answered TRYAGAIN (length
/// `TRYAGAIN_LEN`) and taken back; the buffer handed back is loaded again with what it
/// holds; a write-back before the doorbell is what is sent; a retired core's held TX load
/// is answered TRYAGAIN with RETIRE at once. Loads from another core, during a doorbell,
/// or a second held load are violations that change nothing.
#[test]
fn tx_lines_by_hand() {
    use hdl::lauberhorn::coherence::{down, line, line_addr, up};
    let d = LauberhornEndpointsC2W512A3S8::new();
    let p = d.view();
    let ecfg = hdl::library::small_endpoints(512);
    let mut l = Link::start(&p, 40);
    let msg = |op: u64, line: u64, err: bool, data: &[u8]| Msg {
        op,
        line,
        id: 0,
        err,
        data: data.to_vec(),
    };
    let zero = vec![0u8; 128];
    let inv = |line: u64| msg(down::INV, line, false, &zero[..64]);
    let tryagain = |line: u64, retire: bool| {
        let mut t = zero.clone();
        t[0] = u8::from(retire) << ctrl::RETIRE;
        t[tx::ADDR_WORD * 8 + 6..tx::ADDR_WORD * 8 + 8].copy_from_slice(&[0xff, 0xff]);
        msg(down::DATA, line, false, &t)
    };
    let (t0, t1) = (line_addr(0, line::tx(0)), line_addr(0, line::tx(1)));
    // What the transmitter sees queued, and the buffer it reads.
    let queued = |p: &Endpoints| {
        p.dut.eval().unwrap();
        p.tx_send
            .valid
            .bit(0)
            .then(|| (get(p.tx_send.ep), get(p.tx_send.buf)))
    };
    let take = |l: &mut Link| {
        l.p.tx_send.ready.set_bit(0, true);
        l.cycle();
        l.p.tx_send.ready.set_bit(0, false);
    };
    let read_buffer = |l: &mut Link, ep: u32, buf: u32| {
        let mut back = Vec::new();
        for b in 0..2 {
            l.p.slot_rd.valid.set_bit(0, true);
            l.p.slot_rd.addr.set_bits(
                0,
                l.p.slot_rd.addr.width(),
                ecfg.rd_tx(ecfg.tx_word(ep, buf, b)),
            );
            l.cycle();
            l.p.slot_rd.valid.set_bit(0, false);
            l.p.dut.eval().unwrap();
            assert!(l.p.slot_rd.data_valid.bit(0));
            back.extend(l.p.slot_rd.data.get_bytes());
        }
        back
    };
    let hand_back = |l: &mut Link, ep: u64, buf: u64| {
        l.p.tx_done.valid.set_bit(0, true);
        l.p.tx_done.ep.set_bits(0, l.p.tx_done.ep.width(), ep);
        l.p.tx_done.buf.set_bits(0, 1, buf);
        l.cycle();
        l.p.tx_done.valid.set_bit(0, false);
    };

    // The first message: load TX 0, write it, ring the doorbell.
    l.send(up::RD_EXCL, t0, 0, None);
    assert_eq!(
        unwritten(l.wait(10)),
        vec![msg(down::DATA, t0, false, &zero)]
    );
    l.send(up::RD_EXCL, t0, 1, None); // core 1 loads core 0's TX line
    assert_eq!(
        l.wait(10),
        vec![Msg {
            id: 1,
            ..msg(down::DATA, t0, true, &zero)
        }]
    );
    l.send(up::RD_EXCL, t1, 0, None);
    assert_eq!(l.wait(10), vec![inv(t0)]);
    l.send(up::RD_EXCL, t0, 0, None); // during the doorbell
    assert_eq!(l.wait(10), vec![msg(down::DATA, t0, true, &zero)]);
    assert_eq!(queued(&p), None, "nothing queued before the answer");
    let first: Vec<u8> = (0..128u32).map(|i| (i * 5 + 3) as u8).collect();
    l.send(up::ACK_DATA, t0, 0, Some(&first));
    assert_eq!(
        unwritten(l.wait(10)),
        vec![msg(down::DATA, t1, false, &zero)]
    );
    assert_eq!(queued(&p), Some((0, 0)));
    take(&mut l);
    assert_eq!(queued(&p), None);
    assert_eq!(read_buffer(&mut l, 0, 0), first);
    assert_eq!(l.violations, 2);

    // A doorbell with TX 1 unwritten queues nothing; TX 0 is still being sent, so the
    // load is held, then answered TRYAGAIN and taken back.
    l.send(up::RD_EXCL, t0, 0, None);
    assert_eq!(l.wait(10), vec![inv(t1)]);
    l.send(up::ACK, t1, 0, None);
    assert_eq!(l.wait(10), vec![]);
    assert_eq!(queued(&p), None, "an unwritten buffer is not sent");
    l.send(up::RD_EXCL, t0, 0, None); // a second held load
    assert_eq!(l.wait(8), vec![msg(down::DATA, t0, true, &zero)]);
    assert_eq!(l.violations, 3);
    assert_eq!(l.wait(60), vec![tryagain(t0, false), inv(t0)]);
    l.send(up::ACK, t0, 0, None);

    // Handed back, TX 0 is loaded with what it holds; a write-back before the doorbell
    // is what goes out.
    hand_back(&mut l, 0, 0);
    l.send(up::RD_EXCL, t0, 0, None);
    assert_eq!(l.wait(10), vec![msg(down::DATA, t0, false, &first)]);
    let second: Vec<u8> = (0..128u32).map(|i| (i * 11 + 7) as u8).collect();
    l.send(up::EVICT_DIRTY, t0, 0, Some(&second));
    l.send(up::RD_EXCL, t1, 0, None);
    assert_eq!(
        unwritten(l.wait(10)),
        vec![msg(down::DATA, t1, false, &zero)]
    );
    assert_eq!(queued(&p), Some((0, 0)));
    take(&mut l);
    assert_eq!(read_buffer(&mut l, 0, 0), second);

    // Retired: the held load of busy TX 0 is answered at once.
    l.send(up::RD_EXCL, t0, 0, None);
    assert_eq!(l.wait(10), vec![inv(t1)]);
    l.send(up::ACK, t1, 0, None);
    assert_eq!(l.wait(10), vec![]);
    p.retire.set_bits(0, 2, 1);
    assert_eq!(l.wait(10), vec![tryagain(t0, true), inv(t0)]);
    assert_eq!(l.violations, 3);
}

/// Issue 17's interleaving, by hand at every line width: a held load times out, the NIC
/// answers TRYAGAIN and takes the line back, and the core, having answered the INV, loads
/// the line again. That load is held (legal); the same message seen a second time (what a
/// harness that clocked the model without the CPU presented) is a second held load: a
/// violation answered `err` that changes nothing, so the first load still gets the
/// request. The legal race beside it: the core evicts the TRYAGAIN line while the INV is
/// on its way and loads the line again before answering the INV (rule 2: the INV is
/// answered even so): no violation, and the load is held until the answer is in.
fn tryagain_then_reload(p: &Endpoints, ecfg: EndpointsCfg) {
    use hdl::lauberhorn::coherence::{down, line, line_addr, up};
    let w = ecfg.coh_width;
    let timeout = 40;
    let mut l = Link::start(p, u64::from(timeout));
    let c0 = line_addr(0, line::control(0));
    let msg = |op: u64, err: bool, data: Vec<u8>| Msg {
        op,
        line: c0,
        id: 0,
        err,
        data,
    };
    let mut tryagain = vec![0u8; 128];
    tryagain[tx::ADDR_WORD * 8 + 6..tx::ADDR_WORD * 8 + 8].copy_from_slice(&[0xff, 0xff]);
    // A timed-out held load: TRYAGAIN, and the line taken back.
    let timed_out = vec![
        msg(down::DATA, false, tryagain),
        msg(down::INV, false, vec![0; (w / 8) as usize]),
    ];
    // The request, in slot 5.
    let request: Vec<u8> = (0..128u32).map(|i| (i * 3 + 9) as u8).collect();
    for (b, chunk) in request.chunks((w / 8) as usize).enumerate() {
        p.slot_wr.valid.set_bit(0, true);
        p.slot_wr
            .addr
            .set_bits(0, p.slot_wr.addr.width(), ecfg.word(5, 0, b as u32));
        p.slot_wr.data.set_bytes(chunk);
        l.cycle();
    }
    p.slot_wr.valid.set_bit(0, false);
    let assign = |l: &mut Link| {
        p.assign.valid.set_bit(0, true);
        p.assign.ep.set_bits(0, p.assign.ep.width(), 0);
        p.assign.slot.set_bits(0, p.assign.slot.width(), 5);
        p.dut.eval().unwrap();
        let ok = p.assign.ok.bit(0);
        l.cycle();
        p.assign.valid.set_bit(0, false);
        ok
    };

    // The stale second message.
    l.send(up::RD_EXCL, c0, 0, None);
    assert_eq!(
        l.wait(timeout + 20),
        timed_out,
        "w{w}: the held load times out"
    );
    l.send(up::ACK, c0, 0, None);
    l.send(up::RD_EXCL, c0, 0, None);
    assert_eq!(l.wait(5), vec![], "w{w}: the reload is held");
    assert_eq!(l.violations, 0, "w{w}: the reload is legal");
    l.send(up::RD_EXCL, c0, 0, None);
    assert_eq!(
        l.wait(20),
        vec![msg(down::DATA, true, vec![0; 128])],
        "w{w}: the same load again is answered err"
    );
    assert_eq!(l.violations, 1, "w{w}: and counted");
    assert_eq!(get(p.waiting), 1, "w{w}: the first load still waits");

    // The legal race, on the same held load's next timeout.
    assert_eq!(l.wait(timeout + 20), timed_out, "w{w}: and times out again");
    l.send(up::EVICT_CLEAN, c0, 0, None);
    l.send(up::RD_EXCL, c0, 0, None);
    assert_eq!(get(p.waiting), 0, "w{w}: not waiting while the INV is open");
    assert!(!assign(&mut l), "w{w}: no assignment while the INV is open");
    l.send(up::ACK, c0, 0, None);
    assert_eq!(l.wait(2), vec![]);
    assert_eq!(
        get(p.waiting),
        1,
        "w{w}: the reload waits once the INV is answered"
    );
    assert!(assign(&mut l), "w{w}: the assignment is taken");
    assert_eq!(
        l.wait(20),
        vec![msg(down::DATA, false, request.clone())],
        "w{w}: the held load gets the request"
    );
    assert_eq!(l.violations, 1, "w{w}: the race is no violation");
}

#[test]
fn tryagain_then_reload_w128() {
    let d = LauberhornEndpointsC2W128A3S8::new();
    tryagain_then_reload(&d.view(), hdl::library::small_endpoints(128));
}

#[test]
fn tryagain_then_reload_w512() {
    let d = LauberhornEndpointsC2W512A3S8::new();
    tryagain_then_reload(&d.view(), hdl::library::small_endpoints(512));
}

#[test]
fn tryagain_then_reload_w1024() {
    let d = LauberhornEndpointsC2W1024A3S8::new();
    tryagain_then_reload(&d.view(), hdl::library::small_endpoints(1024));
}

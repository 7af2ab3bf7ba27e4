//! The Lauberhorn soak: the whole `lauberhorn_nic` (2 cores, 8 slots, 3 AUX lines) in one
//! continuous run of `sim_models::lauberhorn::host::stream`, set up as in
//! `tests/lauberhorn_nic.rs` (core 0 in process 0's user loop, core 1 in the kernel's
//! dispatch loop, a notification per request, the DMA fallback with a 4 KiB ICT ring for
//! process 1's port and none for process 0's), with random evictions, random gaps and
//! back-pressure on the MAC and the coherence link, and random host-memory latency and
//! stalls.
//!
//! Each frame is made as the MAC needs it: 60% calls with up to 700 bytes of arguments
//! (process 1's past 480 go through the DMA fallback's ring), 10% calls to process 0 too
//! large for the lines (no ring: the NIC must drop them, DMA_DROPPED), 10% calls broken at
//! the RPC layer (`RpcDefect`), 20% other datagrams. Checked as they come: every reply
//! against its call (by xid, each once), every notification, every other frame unchanged
//! and in order, every request served where the scheduling state says; every DMA write
//! inside a ring and off the records of requests served but not yet given back (RX_HEAD
//! not past them). At the end: the calls unanswered are the ones the NIC must drop, as
//! many as its drop counters say, and the counters.

use super::{Tally, PROGRESS_EVERY};
use crate::lauberhorn_check::{
    busy_cpu, call, call_to, dispatch_problem, host, notification_problem, reply_problem, xid_of,
    Call, NOTIFY,
};
use hdl::lauberhorn::coherence::ctrl;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim_models::lauberhorn::host::{
    dma_ports, dma_record, stream, HostCfg, NicPins, Role, Seen, Traffic, DMA_RING_BASE,
    DMA_RING_STRIDE,
};
use sim_models::traces::{udp_frame, RpcDefect};
use std::collections::{BTreeMap, VecDeque};

/// Bytes of each DMA-fallback ring.
const RING: u32 = 4096;

/// The soak's traffic and checker.
struct Soak<'p> {
    host: HostCfg,
    frames: u64,
    rng: ChaCha8Rng,
    next_xid: u32,
    /// Calls not yet answered / notified, by xid.
    replies: BTreeMap<u32, Call>,
    notes: BTreeMap<u32, Call>,
    others: VecDeque<Vec<u8>>,
    calls: u64,
    big: u64,
    /// Calls too large for the lines to the service without a ring: the NIC drops them.
    too_large: u64,
    malformed: u64,
    other_count: u64,
    /// Per ring: bytes of served records not yet given back, and RX_HEAD.
    protected: Vec<Vec<bool>>,
    heads: Vec<u64>,
    progress: &'p mut dyn FnMut(u64),
    t: Tally,
}

/// Runs `frames` frames through the NIC; `progress` is told the frames sent so far now and
/// then. The random choices all follow `seed`. With `scale` (the NIC of
/// `hdl::library::scale_lauberhorn_nic`: 48 cores), each core runs process 0's user loop
/// or the kernel's dispatch loop at random (at least one core each), and the MAC keeps 64
/// calls waiting.
pub fn run(
    p: &NicPins,
    scale: bool,
    frames: u64,
    seed: u64,
    progress: &mut dyn FnMut(u64),
) -> Tally {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut cpu = busy_cpu();
    let cfg = if scale {
        cpu.cores = 48;
        hdl::library::scale_lauberhorn_nic()
    } else {
        hdl::library::small_lauberhorn_nic()
    };
    let mut h = host(cpu, 0.3, 0.8, if scale { 64 } else { 4 });
    if scale {
        let user = rng.gen_range(1..48);
        h.roles = (0..48)
            .map(|c| {
                if c < user {
                    Role::User(0)
                } else {
                    Role::Kernel
                }
            })
            .collect();
        h.roles.shuffle(&mut rng);
    }
    h.notify = Some(NOTIFY);
    h.dma_ring = Some(RING);
    // Process 0's port gets no ring: its calls too large for the lines are dropped.
    h.services[0].ring = false;
    h.mem_latency = rng.gen_range(1..40);
    let rings = dma_ports(&h.services).len();
    let mut s = Soak {
        host: h.clone(),
        frames,
        next_xid: rng.gen(),
        rng: ChaCha8Rng::seed_from_u64(rng.gen()),
        replies: BTreeMap::new(),
        notes: BTreeMap::new(),
        others: VecDeque::new(),
        calls: 0,
        big: 0,
        too_large: 0,
        malformed: 0,
        other_count: 0,
        protected: vec![vec![false; RING as usize]; rings],
        heads: vec![0; rings],
        progress,
        t: Tally::default(),
    };
    let end = stream(p, &cfg, &h, &mut s, rng.gen());
    let mut t = s.t;
    if let Some(why) = end.stop {
        t.mismatch(|| format!("the run stopped: {why}"));
    }
    t.cycles = end.cycles;
    t.expect(end.link_errors, 0, || {
        "error answers on the coherence link".into()
    });
    let n = |k: &str| end.counters.get(k).copied().unwrap_or(u64::MAX);
    t.drops_nic = n("NO_SLOT") + n("REFUSED") + n("DMA_DROPPED");
    // The calls the NIC must drop, and any other it never answered.
    t.drops_model = s.too_large + s.replies.len() as u64;
    for (name, want) in [
        ("CALLS", s.calls),
        ("TOO_LARGE", s.big + s.too_large),
        ("DMA_DROPPED", s.too_large),
        ("REPLIES", s.calls),
        ("OTHER", s.other_count),
        ("MALFORMED", s.malformed),
        ("DMA_CALLS", s.big),
        ("SENT", s.calls),
        ("UNMATCHED", 0),
        ("OVERRUN", 0),
        ("MAC_BAD", 0),
        ("BAD_RESULTS", 0),
        ("VIOLATIONS", 0),
        ("TX_DROPPED", 0),
    ] {
        t.expect(n(name), want, || name.into());
    }
    t.seen = format!(
        "calls answered {}, through the DMA fallback {}, dropped as too large {}, \
         RPC-malformed {}, other frames {}, TRYAGAINS {}",
        s.calls,
        s.big,
        s.too_large,
        s.malformed,
        s.other_count,
        n("TRYAGAINS")
    );
    t.expect((s.notes.len(), s.others.len()), (0, 0), || {
        "notifications and other frames never seen".into()
    });
    t
}

impl Soak<'_> {
    /// Which DMA ring (ICT entry) `addr` is in, and the offset.
    fn ring_of(&self, addr: u64) -> Option<(usize, u64)> {
        let e = addr.checked_sub(DMA_RING_BASE)? / DMA_RING_STRIDE;
        let off = addr - DMA_RING_BASE - e * DMA_RING_STRIDE;
        ((e as usize) < self.protected.len() && off < u64::from(RING)).then_some((e as usize, off))
    }
}

impl Traffic for Soak<'_> {
    fn next_frame(&mut self) -> Option<Vec<u8>> {
        if self.t.frames >= self.frames {
            return None;
        }
        self.t.frames += 1;
        if self.t.frames % (PROGRESS_EVERY / 64) == 0 {
            (self.progress)(self.t.frames);
        }
        let rng = &mut self.rng;
        let kind = rng.gen_range(0..10);
        if kind < 8 {
            let xid = self.next_xid;
            self.next_xid = xid.wrapping_add(1);
            if kind == 6 {
                // Too large for the lines, for the service whose port has no ring.
                let n = rng.gen_range(481..=700);
                let c = call_to(rng, xid, 0, n);
                self.too_large += 1;
                return Some(c.0);
            }
            let mut c = call(rng, xid, 700);
            if kind == 7 {
                RpcDefect::ALL[rng.gen_range(0..RpcDefect::ALL.len())].apply(&mut c.0);
                self.malformed += 1;
                return Some(c.0);
            }
            self.calls += 1;
            self.big += u64::from(c.3.len() > 480);
            let f = c.0.clone();
            self.notes.insert(xid, c.clone());
            self.replies.insert(xid, c);
            Some(f)
        } else {
            let n = rng.gen_range(0..300);
            let f = udp_frame(rng, n);
            self.others.push_back(f.clone());
            self.other_count += 1;
            Some(f)
        }
    }

    fn unsent(&self) -> usize {
        (self.frames - self.t.frames) as usize
    }

    fn seen(&mut self, s: Seen) {
        match s {
            Seen::CallIn(_) | Seen::Control(_) | Seen::Load(_) | Seen::RingBell(_) => {}
            Seen::Reply(f, _) => match xid_of(&f).and_then(|x| self.replies.remove(&x)) {
                Some(c) => {
                    if let Some(why) = reply_problem(&self.host, &c, &f) {
                        self.t.mismatch(|| why);
                    }
                    self.t.tx += 1;
                }
                None => self
                    .t
                    .mismatch(|| format!("a reply to no call waiting: {f:02x?}")),
            },
            Seen::Notification(f) => match xid_of(&f).and_then(|x| self.notes.remove(&x)) {
                Some(c) => {
                    if let Some(why) = notification_problem(&self.host, &c, &f) {
                        self.t.mismatch(|| why);
                    }
                }
                None => self
                    .t
                    .mismatch(|| format!("a notification for no call waiting: {f:02x?}")),
            },
            Seen::Other(f) => {
                let want = self.others.pop_front();
                self.t
                    .expect(Some(&f), want.as_ref(), || "a frame passed on".into());
            }
            Seen::Served(sv) => {
                if let Some(why) = dispatch_problem(&self.host, &sv) {
                    self.t.mismatch(|| why);
                }
                let w0 = u64::from_le_bytes(sv.request.control[..8].try_into().unwrap());
                if w0 >> ctrl::KIND_LSB & 3 == ctrl::KIND_DMA {
                    let (e, at, fp) = dma_record(&sv.request.control);
                    match self.protected.get_mut(e) {
                        Some(p) => {
                            (at..at + fp).for_each(|k| p[(k % u64::from(RING)) as usize] = true)
                        }
                        None => self
                            .t
                            .mismatch(|| format!("a KIND_DMA request names ICT entry {e}")),
                    }
                }
            }
            Seen::Released(e, head) => {
                if let Some(p) = self.protected.get_mut(e) {
                    let from = self.heads[e];
                    let n = head.wrapping_sub(from) & 0xffff_ffff;
                    (0..n).for_each(|k| p[((from + k) % u64::from(RING)) as usize] = false);
                    self.heads[e] = head;
                }
            }
            Seen::Write(w) => {
                let bytes = (0..w.bytes.len() as u64).filter(|k| w.strb >> k & 1 == 1);
                match self.ring_of(w.addr) {
                    Some((e, off)) => {
                        let p = &self.protected[e];
                        if bytes
                            .clone()
                            .any(|k| off + k >= u64::from(RING) || p[(off + k) as usize])
                        {
                            self.t.overwrites += 1;
                            self.t.note(|| {
                                format!(
                                    "ring {e}: write of {:#x} over a record not given back",
                                    w.addr
                                )
                            });
                        }
                    }
                    None => {
                        self.t.outside += 1;
                        self.t
                            .note(|| format!("write of {:#x} outside the rings", w.addr));
                    }
                }
            }
        }
    }
}

//! The Accio soak: the whole NIC (16 entries, 4 cores) in one continuous run, fed
//! random frames (datagrams to four connections, one not accelerated, and to nobody;
//! random and malformed frames) with random gaps, random back-pressure on the MAC's
//! transmit side and random host-memory latency and stalls.
//!
//! The host polls like a driver: RX_TAIL of every entry, TX_HEAD of every accelerated
//! entry, TX_DONE, RX_COMP, the event queue. Each RX record is checked as it is published
//! against the RX model's (which sees each frame as the MAC starts it, with rings that
//! never fill); at random times the host holds a ring's RX_HEAD back, so its 4 KiB ring
//! fills and the NIC drops. A connection's records must then be the model's in order with
//! some missing, FLAG_LOSS on exactly the record after a gap, and the number missing equal
//! to its DROPS. Each TX ring (4 KiB) is refilled with random datagrams as TX_HEAD frees
//! it, the normal path's transmit queue with random frames as TX_DONE frees their buffers;
//! each frame on the wire is checked against the TX model, or is the next normal-path
//! frame unchanged. Every byte the NIC writes to host memory must land in an accelerated
//! ring on bytes not published and unreleased (a published record stays protected until
//! the host moves RX_HEAD past it) or in a posted normal-path buffer (the host posts from a
//! pool twice the queue's size, so a buffer it got back is not posted again at once).

use super::{Tally, PROGRESS_EVERY};
use crate::accio_check::{
    conns, np_frames, random_frame_to, rx_entry, sender, spread_conns, stat_names, wire_frame, MAC,
};
use hdl::accio::regs::event;
use hdl::accio::rx_offload::record;
use hdl::accio::tx_offload::record as tx_record;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim::axis::{beats_to_frame, frame_to_beats, Beat};
use sim_models::accio::host::{
    kr, kw, np_buffer, np_tx_buffer, rx_base, rx_record_at, setup_writes, write_tx_record, Conn,
    HostCfg, Map, NicPins,
};
use sim_models::accio::rx_model::{RxAction, RxModel};
use sim_models::axil::{AxilMaster, Completion};
use sim_models::hostmem::{HostMem, HostMemCfg, WriteRecord};
use std::collections::VecDeque;

/// Bytes of every RX and TX ring: a few records, so they wrap thousands of times.
const RING: u32 = 4096;
/// Normal-path buffers posted at once (the pool is twice as large).
const NP_POSTED: usize = 32;
/// Bytes of a normal-path buffer (`rx.np_buffer_bytes`).
const NP_BYTES: usize = 2048;
/// Normal-path transmit buffers (frames queued with TX_POST at once, at most).
const NP_TX: usize = 8;
/// Cycles without activity after the last frame before the statistics are read.
const QUIET: u64 = 3000;
/// Cycles without activity before then: the NIC stopped.
const STALL: u64 = 200_000;

/// What a queued register access is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Why {
    Write,
    RxTail(usize),
    TxHead(usize),
    TxDone,
    RxComp,
    Event,
    Stat(usize),
    Drops(usize),
    EvqLost,
}

/// The host's view of an accelerated connection's RX ring.
struct RxRing {
    /// RX_HEAD as last written, and the offset up to which records were read and checked.
    head: u32,
    seen: u32,
    /// Bytes of published records not yet released (RX_HEAD not past them).
    protected: Vec<bool>,
    /// RX_HEAD stays where it is until this cycle; the next hold starts at `next_hold`.
    hold_until: u64,
    next_hold: u64,
    /// The model's records not yet seen, and those the NIC left out.
    expect: VecDeque<Vec<u8>>,
    missing: u64,
    /// Records the NIC published.
    records: u64,
}

/// The host's view of a TX ring, and the datagrams queued in it not yet on the wire.
struct TxRing {
    head: u32,
    tail: u32,
    sent: VecDeque<Vec<u8>>,
}

/// The soak's host, MAC and checker.
struct Soak<'a> {
    p: &'a NicPins<'a>,
    width: u32,
    frames: u64,
    conns: Vec<Conn>,
    map: Map,
    rng: ChaCha8Rng,
    mem: HostMem,
    mmio: AxilMaster,
    why: VecDeque<Why>,
    polls: Vec<Why>,
    poll: usize,
    model: RxModel,
    rx: Vec<Option<RxRing>>,
    tx: Vec<TxRing>,
    /// Normal-path buffers posted, in order, and the ones free to post.
    posted: VecDeque<u64>,
    free: VecDeque<u64>,
    /// Normal-path transmit buffers queued with TX_POST (in order) and free; the frames
    /// queued, not yet on the wire; TX_DONE.COUNT as last read; frames queued in all.
    np_tx_posted: VecDeque<u64>,
    np_tx_free: VecDeque<u64>,
    np_tx_sent: VecDeque<Vec<u8>>,
    np_tx_done: u32,
    np_tx_count: u64,
    /// The model's normal-path frames (bytes, RX_COMP reason, class) and MALFORMED event
    /// classes, not yet seen; the normal-path frames the NIC left out (it drops a frame
    /// when no buffer is posted: the host, polling every ring before RX_COMP, may take
    /// longer to repost than the posted buffers last).
    normal: VecDeque<(Vec<u8>, u64, u64)>,
    np_missing: u64,
    malformed: VecDeque<u64>,
    beats: VecDeque<Beat>,
    out: Vec<Beat>,
    ip_id: u16,
    stats: Vec<u64>,
    drops: Vec<u64>,
    evq_lost: u64,
    /// MALFORMED events the model raised and the host never saw, RING_OVERFLOW events seen:
    /// with the drops, they account for EVQ_LOST.
    events_missing: u64,
    overflow_events: u64,
    /// MALFORMED events the model raised (malformed frames, MAC-bad ones included).
    malformed_raised: u64,
    /// Mean hold length in cycles (long enough to fill a ring at this width).
    hold: u64,
    cycle: u64,
    quiet: u64,
    /// The kernel's setup is done.
    started: bool,
    draining: bool,
    t: Tally,
}

/// Runs `frames` frames through the NIC at `width` bits; `progress` is told the frames sent
/// so far every [`PROGRESS_EVERY`] cycles. The random choices all follow `seed`. With
/// `scale` (the NIC of `hdl::library::scale_nic`: 256 entries, 64 cores), 192 connections
/// spread over the 64 cores instead of four.
pub fn run(
    p: &NicPins,
    width: u32,
    scale: bool,
    frames: u64,
    seed: u64,
    progress: &mut dyn FnMut(u64),
) -> Tally {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut conns = if scale {
        spread_conns(&mut rng, 192, 64, 0)
    } else {
        conns(&mut rng, 0)
    };
    for c in &mut conns {
        c.rx_ring_bytes = RING;
        c.tx_ring_bytes = RING;
    }
    let host = HostCfg {
        mac: MAC,
        malformed_to_np: rng.gen(),
        np_buffers: NP_POSTED,
        np_send: Vec::new(),
        mem: HostMemCfg {
            beat_bytes: width as usize / 8,
            latency: rng.gen_range(1..20),
            stall: 0.1,
            max_outstanding: 64,
        },
        rx_gaps: 0.3,
        tx_ready: 0.8,
        quiet: QUIET,
    };
    let mut s = Soak::new(p, width, frames, conns, &host, &mut rng);
    p.link_up.set_bit(0, true);
    p.rst.set_bit(0, true);
    p.rx.idle();
    p.dut.tick().unwrap();
    p.rst.set_bit(0, false);
    while !s.cycle_once(&host) {
        if s.cycle % PROGRESS_EVERY == 0 {
            progress(s.t.frames);
        }
    }
    s.finish()
}

impl<'a> Soak<'a> {
    fn new(
        p: &'a NicPins<'a>,
        width: u32,
        frames: u64,
        conns: Vec<Conn>,
        host: &HostCfg,
        rng: &mut ChaCha8Rng,
    ) -> Self {
        let map = Map::default();
        let mem = HostMem::new(host.mem.clone(), ChaCha8Rng::seed_from_u64(rng.gen()));
        let mut mmio = AxilMaster::new(ChaCha8Rng::seed_from_u64(rng.gen()));
        let mut why = VecDeque::new();
        let pool: Vec<u64> = (0..2 * NP_POSTED).map(np_buffer).collect();
        let mut setup = setup_writes(&map, &conns, host);
        setup.extend(pool[..NP_POSTED].iter().map(|a| (map.nic("RX_POST"), *a)));
        for (a, v) in setup {
            mmio.push(kw(a, v));
            why.push_back(Why::Write);
        }
        // The model: rings that never fill (the NIC's drops depend on timing it does not
        // know), a normal-path buffer for every frame (the host keeps them posted).
        let entries = conns.iter().map(|c| rx_entry(c, 1 << 30)).collect();
        let mut model = RxModel::new(entries, NP_BYTES);
        model.malformed_to_np = host.malformed_to_np;
        let n = conns.len();
        let mut polls: Vec<Why> = (0..n).map(Why::RxTail).collect();
        polls.extend((0..n).filter(|i| conns[*i].accelerated).map(Why::TxHead));
        polls.extend([Why::TxDone, Why::RxComp, Why::Event]);
        let hold = 40_000 / (width as u64 / 8);
        let rx = conns
            .iter()
            .map(|c| {
                c.accelerated.then(|| RxRing {
                    head: 0,
                    seen: 0,
                    protected: vec![false; RING as usize],
                    hold_until: 0,
                    next_hold: rng.gen_range(0..6 * hold),
                    expect: VecDeque::new(),
                    missing: 0,
                    records: 0,
                })
            })
            .collect();
        Soak {
            p,
            width,
            frames,
            map,
            rng: ChaCha8Rng::seed_from_u64(rng.gen()),
            mem,
            mmio,
            why,
            polls,
            poll: 0,
            model,
            rx,
            tx: (0..n)
                .map(|_| TxRing {
                    head: 0,
                    tail: 0,
                    sent: VecDeque::new(),
                })
                .collect(),
            np_tx_posted: VecDeque::new(),
            np_tx_free: (0..NP_TX).map(np_tx_buffer).collect(),
            np_tx_sent: VecDeque::new(),
            np_tx_done: 0,
            np_tx_count: 0,
            posted: pool[..NP_POSTED].iter().copied().collect(),
            free: pool[NP_POSTED..].iter().copied().collect(),
            normal: VecDeque::new(),
            np_missing: 0,
            malformed: VecDeque::new(),
            beats: VecDeque::new(),
            out: Vec::new(),
            ip_id: 0,
            stats: vec![0; stat_names().len()],
            drops: vec![0; n],
            evq_lost: 0,
            events_missing: 0,
            overflow_events: 0,
            malformed_raised: 0,
            hold,
            cycle: 0,
            quiet: 0,
            started: false,
            draining: false,
            conns,
            t: Tally::default(),
        }
    }

    fn push(&mut self, w: Why, a: sim_models::axil::Access) {
        self.mmio.push(a);
        self.why.push_back(w);
    }

    /// All frames are in: the host stops holding rings and refilling TX rings.
    fn ending(&self) -> bool {
        self.t.frames >= self.frames && self.beats.is_empty()
    }

    /// One clock cycle of MAC, host and NIC. True when the run is over.
    fn cycle_once(&mut self, host: &HostCfg) -> bool {
        let p = self.p;
        self.started |= self.why.is_empty();
        let setup = self.started;
        if setup && self.beats.is_empty() && self.t.frames < self.frames {
            self.next_frame();
        }
        let beat = (setup && !self.rng.gen_bool(host.rx_gaps))
            .then(|| self.beats.front())
            .flatten();
        match beat {
            Some(b) => p.rx.drive(&b.with_unkept(self.rng.gen())),
            None => p.rx.idle(),
        }
        let driving = beat.is_some();
        p.tx.set_ready(self.rng.gen_bool(host.tx_ready));
        if setup && !self.draining && self.mmio.idle() {
            let w = self.polls[self.poll % self.polls.len()];
            self.poll += 1;
            let a = match w {
                Why::RxTail(i) => self.map.entry(i, "RX_TAIL"),
                Why::TxHead(i) => self.map.entry(i, "TX_HEAD"),
                Why::TxDone => self.map.nic("TX_DONE"),
                Why::RxComp => self.map.nic("RX_COMP"),
                _ => self.map.at("GLOBAL", 0, "EVQ_POP"),
            };
            self.push(w, kr(a));
        }
        self.mmio.drive(&p.axil);
        self.mem.drive(&p.axi);
        p.dut.eval().unwrap();
        let mut active = driving;
        if driving {
            if !p.rx.ready() {
                self.t
                    .mismatch(|| "the NIC held the MAC's receive stream back".into());
            }
            self.beats.pop_front();
        }
        if p.tx.fires() {
            let b = p.tx.beat();
            let last = b.last;
            self.out.push(b);
            if last {
                let f = beats_to_frame(&self.out);
                self.out.clear();
                self.wire(&f);
            }
            active = true;
        }
        let (_, done) = self.mmio.sample(&p.axil);
        if let Some(c) = done {
            active |= self.complete(c);
        }
        self.mem.sample(&p.axi);
        for w in std::mem::take(&mut self.mem.writes) {
            self.check_write(&w);
        }
        self.mem.write_bursts.clear();
        self.mem.read_bursts.clear();
        p.dut.tick().unwrap();
        self.cycle += 1;
        self.quiet = if active { 0 } else { self.quiet + 1 };
        if !self.draining && (self.ending() && self.quiet > QUIET || self.quiet > STALL) {
            if !self.ending() {
                self.t.mismatch(|| {
                    format!("nothing moved for {STALL} cycles at cycle {}", self.cycle)
                });
            }
            self.draining = true;
            for (k, name) in stat_names().iter().enumerate() {
                let a = kr(self.map.nic(name));
                self.push(Why::Stat(k), a);
            }
            for i in 0..self.conns.len() {
                let a = kr(self.map.entry(i, "DROPS"));
                self.push(Why::Drops(i), a);
            }
            let a = kr(self.map.at("GLOBAL", 0, "EVQ_LOST"));
            self.push(Why::EvqLost, a);
        }
        self.draining && self.why.is_empty()
    }

    /// The next frame at the MAC, and what the model does with it.
    fn next_frame(&mut self) {
        let (f, bad) = random_frame_to(&mut self.rng, self.conns.len() as u8);
        self.model.np_buffers.push_back(0);
        match self.model.frame(&f, bad) {
            RxAction::Ring { entry, record, .. } => {
                let r = self.rx[entry].as_mut().expect("an accelerated entry");
                r.expect.push_back(record);
            }
            RxAction::Normal {
                bytes,
                reason,
                class,
                ..
            } => self
                .normal
                .push_back((bytes, u64::from(reason), u64::from(class))),
            RxAction::Dropped(_) => {}
        }
        self.model.np_buffers.clear();
        self.malformed_raised += self.model.malformed_events.len() as u64;
        self.malformed
            .extend(self.model.malformed_events.drain(..).map(u64::from));
        let lanes = self.width as usize / 8;
        self.beats.extend(frame_to_beats(&f, lanes, bad as u64));
        self.t.frames += 1;
    }

    /// A frame on the wire: the next datagram of its connection, as the TX model builds it,
    /// or else the next normal-path frame, unchanged.
    fn wire(&mut self, f: &[u8]) {
        let Some(i) = sender(&self.conns, f) else {
            return match self.np_tx_sent.pop_front() {
                Some(want) => self
                    .t
                    .expect(f, &want[..], || "a normal-path frame on the wire".into()),
                None => self
                    .t
                    .mismatch(|| format!("a frame on the wire nobody sent: {f:02x?}")),
            };
        };
        let Some(d) = self.tx[i].sent.pop_front() else {
            return self.t.mismatch(|| {
                format!("connection {i}: a frame on the wire nothing was queued for")
            });
        };
        let want = wire_frame(&self.conns[i], &d, self.ip_id);
        let id = self.ip_id;
        self.t.expect(f, &want[..], || {
            format!("connection {i}: wire frame (id {id})")
        });
        self.ip_id = self.ip_id.wrapping_add(1);
        self.t.tx += 1;
    }

    /// What the host does with an answer. True if something moved.
    fn complete(&mut self, c: Completion) -> bool {
        let w = self.why.pop_front().expect("every access has a purpose");
        if c.resp != 0 {
            self.t
                .mismatch(|| format!("{w:?}: {:?} answered {}", c.access, c.resp));
            return false;
        }
        match w {
            Why::Write => false,
            Why::RxTail(i) => self.rx_tail(i, c.data as u32),
            Why::TxHead(i) => self.tx_head(i, c.data as u32),
            Why::TxDone => self.tx_done(c.data),
            Why::RxComp => self.rx_comp(c.data),
            Why::Event => self.event(c.data),
            Why::Stat(k) => {
                self.stats[k] = c.data;
                false
            }
            Why::Drops(i) => {
                self.drops[i] = c.data;
                false
            }
            Why::EvqLost => {
                self.evq_lost = c.data;
                false
            }
        }
    }

    /// RX_TAIL of entry `i` read: its new records checked and protected; RX_HEAD moved
    /// past them unless the host holds it.
    fn rx_tail(&mut self, i: usize, tail: u32) -> bool {
        let cycle = self.cycle;
        let ending = self.ending();
        let hold = self.hold;
        let Some(r) = self.rx[i].as_mut() else {
            self.t
                .expect(tail, 0, || format!("entry {i} (not accelerated): RX_TAIL"));
            return false;
        };
        if tail.wrapping_sub(r.head) > RING || tail.wrapping_sub(r.seen) > RING {
            self.t.mismatch(|| {
                format!(
                    "entry {i}: RX_TAIL {tail:#x} outside the ring (head {:#x})",
                    r.head
                )
            });
            return false;
        }
        let moved = tail != r.seen;
        for k in r.seen..tail {
            r.protected[(k & (RING - 1)) as usize] = true;
        }
        while r.seen != tail {
            let got = rx_record_at(&self.mem, i, RING, r.seen);
            let len = got.len() - record::PAYLOAD;
            r.seen = r.seen.wrapping_add(record::footprint(len) as u32);
            r.records += 1;
            let same = |want: &Vec<u8>| {
                want.len() == got.len()
                    && want[..record::FLAGS] == got[..record::FLAGS]
                    && want[record::PAYLOAD..] == got[record::PAYLOAD..]
            };
            let flags = u16::from_le_bytes([got[record::FLAGS], got[record::FLAGS + 1]]);
            match r.expect.iter().position(same) {
                Some(gap) => {
                    r.expect.drain(..=gap);
                    r.missing += gap as u64;
                    let want = if gap > 0 { record::FLAG_LOSS } else { 0 };
                    self.t.expect(flags, want, || {
                        format!("entry {i}: flags of the record after {gap} missing")
                    });
                }
                None => self.t.mismatch(|| {
                    format!(
                        "entry {i}: record at {:#x} is none of the {} the model expects: {got:02x?}",
                        r.seen,
                        r.expect.len()
                    )
                }),
            }
        }
        if ending {
            r.hold_until = 0;
            r.next_hold = u64::MAX;
        } else if cycle >= r.next_hold {
            r.hold_until = cycle + self.rng.gen_range(0..2 * hold);
            r.next_hold = r.hold_until + self.rng.gen_range(0..6 * hold);
        }
        if r.head != r.seen && cycle >= r.hold_until {
            for k in r.head..r.seen {
                r.protected[(k & (RING - 1)) as usize] = false;
            }
            r.head = r.seen;
            let a = kw(self.map.entry(i, "RX_HEAD"), u64::from(r.head));
            self.push(Why::Write, a);
        }
        moved
    }

    /// TX_HEAD of entry `i` read: the space it freed refilled with new datagrams (until
    /// all frames are in), and the doorbell.
    fn tx_head(&mut self, i: usize, head: u32) -> bool {
        let ending = self.ending();
        let t = &mut self.tx[i];
        if t.tail.wrapping_sub(head) > t.tail.wrapping_sub(t.head) {
            let (old, tail) = (t.head, t.tail);
            self.t.mismatch(|| {
                format!("entry {i}: TX_HEAD {head:#x} went back or past TX_TAIL (was {old:#x}, tail {tail:#x})")
            });
            return false;
        }
        let moved = head != t.head;
        t.head = head;
        if ending {
            return moved;
        }
        let before = t.tail;
        loop {
            let n = self.rng.gen_range(0..=1472);
            let fp = tx_record::footprint(n, self.width) as u32;
            if fp > RING - t.tail.wrapping_sub(t.head) {
                break;
            }
            let mut d = vec![0u8; n];
            self.rng.fill(&mut d[..]);
            t.tail = write_tx_record(&mut self.mem, i, RING, t.tail, &d, self.width);
            t.sent.push_back(d);
        }
        if t.tail != before {
            let a = kw(self.map.entry(i, "TX_TAIL"), u64::from(t.tail));
            self.push(Why::Write, a);
        }
        moved
    }

    /// TX_DONE read: the buffers of the frames the NIC has read are free again; until all
    /// frames are in, some of them queued again with new frames.
    fn tx_done(&mut self, word: u64) -> bool {
        let count = self.map.get("NIC", "TX_DONE", "COUNT", word) as u32;
        let errors = self.map.get("NIC", "TX_DONE", "ERRORS", word);
        self.t.expect(errors, 0, || "TX_DONE.ERRORS".into());
        let n = count.wrapping_sub(self.np_tx_done) as usize;
        if n > self.np_tx_posted.len() {
            let queued = self.np_tx_posted.len();
            self.t.mismatch(|| {
                format!("TX_DONE.COUNT {count} says {n} frames were read, {queued} were queued")
            });
            return false;
        }
        self.np_tx_done = count;
        let freed: Vec<u64> = self.np_tx_posted.drain(..n).collect();
        self.np_tx_free.extend(freed);
        if self.ending() {
            return n > 0;
        }
        while !self.np_tx_free.is_empty() && self.rng.gen_bool(0.5) {
            let a = self.np_tx_free.pop_front().unwrap();
            let f = np_frames(&mut self.rng, 1).remove(0);
            self.mem.write(a, &f);
            let post = self
                .map
                .pack("NIC", "TX_POST", &[("ADDR", a), ("LEN", f.len() as u64)]);
            let w = kw(self.map.nic("TX_POST"), post);
            self.push(Why::Write, w);
            self.np_tx_posted.push_back(a);
            self.np_tx_sent.push_back(f);
            self.np_tx_count += 1;
        }
        n > 0
    }

    /// An RX_COMP word: the frame in the oldest posted buffer is the model's next normal-path
    /// frame; a free buffer posted in its place, and RX_COMP read again.
    fn rx_comp(&mut self, word: u64) -> bool {
        let get = |f: &str| self.map.get("NIC", "RX_COMP", f, word);
        if get("VALID") == 0 {
            return false;
        }
        let (len, reason, class, err) = (
            get("LEN") as usize,
            get("REASON"),
            get("CLASS"),
            get("ERROR"),
        );
        let Some(a) = self.posted.pop_front() else {
            self.t
                .mismatch(|| "a completion without a posted buffer".into());
            return true;
        };
        let got = self.mem.read(a, len);
        self.t
            .expect(err, 0, || "normal-path frame: DMA error".into());
        match self
            .normal
            .iter()
            .position(|(bytes, r, cl)| (&bytes[..], *r, *cl) == (&got[..], reason, class))
        {
            Some(gap) => {
                self.normal.drain(..=gap);
                self.np_missing += gap as u64;
            }
            None => self.t.mismatch(|| {
                format!(
                    "a normal-path frame (reason {reason}, class {class}) none of the model's {} \
                     next: {got:02x?}",
                    self.normal.len()
                )
            }),
        }
        self.free.push_back(a);
        let b = self.free.pop_front().unwrap();
        self.posted.push_back(b);
        let (post, comp) = (kw(self.map.nic("RX_POST"), b), kr(self.map.nic("RX_COMP")));
        self.push(Why::Write, post);
        self.push(Why::RxComp, comp);
        true
    }

    /// An EVQ_POP word: MALFORMED events in the model's order (some may be lost when the
    /// queue fills: EVQ_LOST counts them), RING_OVERFLOW naming an accelerated entry; the
    /// queue drained before polling on.
    fn event(&mut self, ev: u64) -> bool {
        let get = |f: &str| self.map.get("GLOBAL", "EVQ_POP", f, ev);
        let (ty, data) = (get("TYPE"), get("DATA"));
        if ty == 0 {
            return false;
        }
        if ty == event::MALFORMED {
            let class = data & 0xff;
            match self.malformed.iter().position(|c| *c == class) {
                Some(k) => {
                    self.malformed.drain(..=k);
                    self.events_missing += k as u64;
                }
                None => self.t.mismatch(|| {
                    format!(
                        "MALFORMED event class {class}, none of the model's {:?}",
                        self.malformed
                    )
                }),
            }
        } else if ty == event::RING_OVERFLOW {
            let e = (data & 0xffff) as usize;
            if self.rx.get(e).is_none_or(Option::is_none) {
                self.t
                    .mismatch(|| format!("RING_OVERFLOW of entry {e}, not accelerated"));
            }
            self.overflow_events += 1;
        } else if ty != event::LINK_UP {
            self.t.mismatch(|| format!("unexpected event {ev:#x}"));
        }
        let a = kr(self.map.at("GLOBAL", 0, "EVQ_POP"));
        self.push(Why::Event, a);
        true
    }

    /// A DMA write beat: each byte written inside an accelerated ring, off protected bytes,
    /// or inside a posted normal-path buffer.
    fn check_write(&mut self, w: &WriteRecord) {
        let bytes = (0..w.bytes.len() as u64).filter(|k| w.strb >> k & 1 == 1);
        let ring = self.rx.iter().enumerate().find_map(|(i, r)| {
            let r = r.as_ref()?;
            (w.addr >= rx_base(i) && w.addr < rx_base(i) + u64::from(RING)).then_some((i, r))
        });
        if let Some((i, r)) = ring {
            let off = w.addr - rx_base(i);
            if bytes
                .clone()
                .any(|k| off + k >= u64::from(RING) || r.protected[(off + k) as usize])
            {
                let (head, seen) = (r.head, r.seen);
                self.t.overwrites += 1;
                self.t.note(|| {
                    format!(
                        "entry {i}: write of {:#x} (strobes {:#x}) over unconsumed data (RX_HEAD {head:#x}, published to {seen:#x})",
                        w.addr, w.strb
                    )
                });
            }
            return;
        }
        let inside = |a: u64| {
            self.posted
                .iter()
                .any(|b| a >= *b && a < b + NP_BYTES as u64)
        };
        if !bytes.clone().all(|k| inside(w.addr + k)) {
            self.t.outside += 1;
            self.t.note(|| {
                format!(
                    "write of {:#x} (strobes {:#x}) outside every ring and posted buffer",
                    w.addr, w.strb
                )
            });
        }
    }

    /// The final checks, once the statistics are in.
    fn finish(mut self) -> Tally {
        let names = stat_names();
        let stat = |n: &str| self.stats[names.iter().position(|x| *x == n).unwrap()];
        let mut missing = 0;
        for (i, r) in self.rx.iter().enumerate() {
            let m = r.as_ref().map_or(0, |r| r.missing + r.expect.len() as u64);
            self.t.expect(self.drops[i], m, || {
                format!("entry {i}: DROPS vs. the datagrams missing from its ring")
            });
            missing += m;
        }
        // Normal-path frames left out: those before the ones received and those never seen,
        // each dropped with no buffer posted, none for another reason.
        let np_missing = self.np_missing + self.normal.len() as u64;
        self.t.np_dropped = np_missing;
        self.t.drops_model = missing + np_missing + self.model.stats.no_buffer;
        self.t.drops_nic = stat("RX_RING_FULL") + stat("RX_NO_BUFFER");
        self.t
            .expect(self.drops.iter().sum::<u64>(), stat("RX_RING_FULL"), || {
                "the entries' DROPS vs. RX_RING_FULL".into()
            });
        let s = self.model.stats.clone();
        for (name, want) in [
            ("RX_FRAMES", s.frames),
            ("RX_MAC_BAD", s.mac_bad),
            ("RX_OVERRUN", 0),
            ("RX_OFFLOADED", s.offloaded - missing),
            ("RX_NORMAL", s.normal - np_missing),
            ("RX_NO_BUFFER", s.no_buffer + np_missing),
            ("RX_MALFORMED_DROPPED", s.malformed_dropped),
            ("RX_DMA_ERROR", 0),
            ("TX_FRAMES", self.t.tx),
            ("TX_BAD_RECORD", 0),
            ("TX_BAD_DOORBELL", 0),
            ("TX_NORMAL", self.np_tx_count),
            ("TX_DMA_ERROR", 0),
        ] {
            self.t.expect(stat(name), want, || name.into());
        }
        // One RING_OVERFLOW event per drop, one MALFORMED event per malformed frame: those
        // the host did not see are the ones the queue lost.
        let events_missing = self.events_missing + self.malformed.len() as u64;
        let overflows_missing = stat("RX_RING_FULL").checked_sub(self.overflow_events);
        self.t.expect(
            Some(self.evq_lost),
            overflows_missing.map(|o| o + events_missing),
            || "EVQ_LOST vs. the MALFORMED and RING_OVERFLOW events never seen".into(),
        );
        let left = (
            self.np_tx_sent.len(),
            self.tx.iter().map(|t| t.sent.len()).sum::<usize>(),
        );
        self.t.expect(left, (0, 0), || {
            "normal-path frames sent and queued datagrams never seen".into()
        });
        let records: u64 = self.rx.iter().flatten().map(|r| r.records).sum();
        self.t.seen = format!(
            "RX records {records}, RX_RING_FULL {}, normal-path frames in {} (RX_NO_BUFFER {}) \
             and out {}, MALFORMED events {}, MAC-bad {}, EVQ_LOST {}, MALFORMED_TO_NP {}",
            stat("RX_RING_FULL"),
            stat("RX_NORMAL"),
            stat("RX_NO_BUFFER"),
            self.np_tx_count,
            self.malformed_raised,
            stat("RX_MAC_BAD"),
            self.evq_lost,
            self.model.malformed_to_np as u8,
        );
        for v in std::mem::take(&mut self.mem.violations) {
            self.t.mismatch(|| format!("AXI: {v}"));
        }
        self.t.cycles = self.cycle;
        self.t
    }
}

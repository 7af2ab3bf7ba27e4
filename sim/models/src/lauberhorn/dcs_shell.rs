//! The Enzian ECI shell's two directory-controller slices (DCS) as an application sees
//! them, with the [`Cpu`](super::cpu::Cpu) behind them: the side of
//! [`hdl::lauberhorn::dcs_adapter`] that faces the shell, driven by the CPU model's
//! coherence-link messages. The adapter's mapping, inverted:
//!
//! | the CPU's `c2n`            | the DCS                                                 |
//! |----------------------------|---------------------------------------------------------|
//! | `RD_SHARED` / `RD_EXCL` L  | an AXI read burst of L (an upgrade: see below)          |
//! | `EVICT_DIRTY` L            | an AXI write burst of L                                 |
//! | `EVICT_CLEAN` L            | nothing: the directory keeps it                         |
//! | `ACK` L / `ACK_DATA` L     | (the write burst, then) LCIA of L, locked until the UL  |
//!
//! and the R burst of a read becomes `DATA` to the core that asked (`err` for SLVERR), an
//! LCI of L an `INV` to the core whose endpoint page holds L.
//!
//! The CPU reaches the shell over [`Wire`]s ([`Shell::link`]) counted by the shell's own
//! clock ([`EdgeCount`]), so it runs in `shell_clk`, as the CPU's ECI traffic does.
//!
//! What the directory does on its own, as the adapter assumes (its docs list why):
//! * an `RD_EXCL` of a line the core holds shared, with no `INV` of it in flight, is
//!   granted from the directory's copy, without a read;
//! * the CPU's messages become DCS operations in their order, and per line nothing passes
//!   a write-back before its B, nor a line locked from its LCIA until its UL.
//!
//! Checked as it runs: R and B only to ids that wait for them, two R beats a line, B
//! `OKAY`, AW taken with the last W beat, LCI words (opcode, fields, VC, slice), one UL
//! per LCIA with its address and VC, and an answer from the CPU only to an `INV` sent.

use super::cpu::CohPorts;
use hdl::lauberhorn::coherence::{down, up, LINE_ADDR_WIDTH, LINE_BYTES, OP_WIDTH};
use hdl::lauberhorn::dcs_adapter::{
    alias, core_of, lcl, slice_of, unalias, DcsAdapterCfg, DATA_WIDTH,
};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sim::{EdgeCount, PortRead, PortWrite, Wire};
use std::collections::{BTreeMap, VecDeque};

/// One slice's ports: the DCS's AXI4 master and its LCI, LCIA and UL channels, as the
/// application's side sees them (`dcs_ports!`).
#[allow(missing_docs)]
pub struct DcsPorts<'a> {
    pub ar_valid: &'a dyn PortWrite,
    pub ar_ready: &'a dyn PortRead,
    pub ar_id: &'a dyn PortWrite,
    pub ar_addr: &'a dyn PortWrite,
    pub r_valid: &'a dyn PortRead,
    pub r_ready: &'a dyn PortWrite,
    pub r_id: &'a dyn PortRead,
    pub r_data: &'a dyn PortRead,
    pub r_resp: &'a dyn PortRead,
    pub r_last: &'a dyn PortRead,
    pub aw_valid: &'a dyn PortWrite,
    pub aw_ready: &'a dyn PortRead,
    pub aw_id: &'a dyn PortWrite,
    pub aw_addr: &'a dyn PortWrite,
    pub w_valid: &'a dyn PortWrite,
    pub w_ready: &'a dyn PortRead,
    pub w_data: &'a dyn PortWrite,
    pub w_last: &'a dyn PortWrite,
    pub b_valid: &'a dyn PortRead,
    pub b_ready: &'a dyn PortWrite,
    pub b_id: &'a dyn PortRead,
    pub b_resp: &'a dyn PortRead,
    pub lci_valid: &'a dyn PortRead,
    pub lci_ready: &'a dyn PortWrite,
    pub lci_data: &'a dyn PortRead,
    pub lci_vc: &'a dyn PortRead,
    pub lcia_valid: &'a dyn PortWrite,
    pub lcia_ready: &'a dyn PortRead,
    pub lcia_data: &'a dyn PortWrite,
    pub ul_valid: &'a dyn PortRead,
    pub ul_ready: &'a dyn PortWrite,
    pub ul_data: &'a dyn PortRead,
    pub ul_vc: &'a dyn PortRead,
}

/// [`DcsPorts`] of one slice: its AXI4 bundle and its LCI, LCIA and UL bundles.
#[macro_export]
macro_rules! dcs_slice_ports {
    ($a:expr, $lci:expr, $lcia:expr, $ul:expr) => {
        $crate::lauberhorn::dcs_shell::DcsPorts {
            ar_valid: &$a.arvalid,
            ar_ready: &$a.arready,
            ar_id: &$a.arid,
            ar_addr: &$a.araddr,
            r_valid: &$a.rvalid,
            r_ready: &$a.rready,
            r_id: &$a.rid,
            r_data: &$a.rdata,
            r_resp: &$a.rresp,
            r_last: &$a.rlast,
            aw_valid: &$a.awvalid,
            aw_ready: &$a.awready,
            aw_id: &$a.awid,
            aw_addr: &$a.awaddr,
            w_valid: &$a.wvalid,
            w_ready: &$a.wready,
            w_data: &$a.wdata,
            w_last: &$a.wlast,
            b_valid: &$a.bvalid,
            b_ready: &$a.bready,
            b_id: &$a.bid,
            b_resp: &$a.bresp,
            lci_valid: &$lci.valid,
            lci_ready: &$lci.ready,
            lci_data: &$lci.data,
            lci_vc: &$lci.vc,
            lcia_valid: &$lcia.valid,
            lcia_ready: &$lcia.ready,
            lcia_data: &$lcia.data,
            ul_valid: &$ul.valid,
            ul_ready: &$ul.ready,
            ul_data: &$ul.data,
            ul_vc: &$ul.vc,
        }
    };
}

/// Both slices' [`DcsPorts`] of a model handle, in the order of `dcs_adapter::SLICES`.
#[macro_export]
macro_rules! dcs_ports {
    ($d:expr) => {
        [
            $crate::dcs_slice_ports!($d.s_axi_even, $d.lci_even, $d.lcia_even, $d.ul_even),
            $crate::dcs_slice_ports!($d.s_axi_odd, $d.lci_odd, $d.lcia_odd, $d.ul_odd),
        ]
    };
}

/// Idle DCS inputs: nothing offered, nothing taken (before reset).
pub fn idle(p: &[DcsPorts; 2]) {
    for s in p {
        for x in [
            s.ar_valid,
            s.aw_valid,
            s.w_valid,
            s.lcia_valid,
            s.b_ready,
            s.r_ready,
            s.lci_ready,
            s.ul_ready,
        ] {
            x.set_bit(0, false);
        }
    }
}

/// Bits of an AXI id and address at the DCS, bytes of its beats, beats of a line.
const ID_BITS: u32 = 7;
const ADDR_BITS: u32 = 38;
const AXI_BYTES: usize = DATA_WIDTH as usize / 8;
const AXI_BEATS: usize = LINE_BYTES as usize / AXI_BYTES;

/// The link between the CPU model and the shell.
struct Link {
    clock: EdgeCount,
    c2n: [Wire; 7],
    n2c: [Wire; 8],
}

/// Indices into [`Link`]'s wires, in [`CohPorts`]' order.
const VALID: usize = 0;
const READY: usize = 1;
const OP: usize = 2;
const LINE: usize = 3;
const ID: usize = 4;
const DATA: usize = 5;
const LAST: usize = 6;
const ERR: usize = 7;

impl Link {
    fn new(id_width: u32, data_width: u32) -> Link {
        let widths = [1, 1, OP_WIDTH, LINE_ADDR_WIDTH, id_width, data_width, 1, 1];
        let names = ["valid", "ready", "op", "line", "id", "data", "last", "err"];
        let c2n = std::array::from_fn(|i| Wire::new(names[i], widths[i]));
        let n2c = std::array::from_fn(|i| Wire::new(names[i], widths[i]));
        Link {
            clock: EdgeCount::default(),
            c2n,
            n2c,
        }
    }
}

/// Back-pressure and the link's width.
#[derive(Clone, Debug)]
pub struct ShellCfg {
    /// Cores on the link (the width of its core id, as the adapter's).
    pub cores: u32,
    /// Bits per link beat (the CPU model's `coh_width`).
    pub coh_width: u32,
    /// Probability the shell takes an R beat, a B, an LCI or a UL in a cycle.
    pub ready: f64,
    /// Probability the shell takes a `c2n` beat from the CPU in a cycle.
    pub c2n_ready: f64,
}

/// A DCS operation the CPU's messages asked for, in their order.
#[derive(Debug)]
enum Op {
    Read { line: u64, core: usize, excl: bool },
    Write { line: u64, data: Vec<u8> },
    Lcia { line: u64 },
}

impl Op {
    fn line(&self) -> u64 {
        match self {
            Op::Read { line, .. } | Op::Write { line, .. } | Op::Lcia { line } => *line,
        }
    }
}

/// A message to the CPU: op, line, core, err, the line's bytes (none for `INV`).
type Down = (u64, u64, usize, bool, Vec<u8>);

/// A read on the AXI port: id, line, the core, exclusive.
type Read = (u64, u64, usize, bool);

#[derive(Debug, Default)]
struct Slice {
    ar: Option<Read>,
    /// Write burst: id, line, data, beats sent.
    aw: Option<(u64, u64, Vec<u8>, usize)>,
    /// B expected: id -> line.
    b_wait: BTreeMap<u64, u64>,
    /// Reads outstanding by id, and the R beats so far.
    reads: BTreeMap<u64, Read>,
    r_beats: Vec<u8>,
    lcia: Option<u64>,
    /// LCIAs taken whose UL has not come (their addresses).
    ul_wait: VecDeque<u64>,
}

/// The shell (see the module docs).
pub struct Shell {
    cfg: ShellCfg,
    rng: ChaCha8Rng,
    link: Link,
    c2n_beats: Vec<u8>,
    ops: VecDeque<Op>,
    down: VecDeque<Down>,
    down_beat: usize,
    slices: [Slice; 2],
    next_id: u64,
    /// Lines the CPU holds, as the directory knows it: the core, shared, the data granted.
    held: BTreeMap<u64, (usize, bool, Vec<u8>)>,
    /// INVs sent to the CPU and not answered, per (core, line).
    inv_open: BTreeMap<(usize, u64), u32>,
    /// Write-backs whose B has not come, and lines locked from LCIA to UL, per line.
    writing: BTreeMap<u64, u32>,
    locked: BTreeMap<u64, u32>,
    /// What crossed, by kind (for the tests' coverage and figures).
    pub counts: BTreeMap<&'static str, u64>,
}

impl Shell {
    /// A shell with nothing in flight.
    pub fn new(cfg: ShellCfg, rng: ChaCha8Rng) -> Shell {
        let id_width = DcsAdapterCfg { cores: cfg.cores }.id_width();
        Shell {
            link: Link::new(id_width, cfg.coh_width),
            cfg,
            rng,
            c2n_beats: Vec::new(),
            ops: VecDeque::new(),
            down: VecDeque::new(),
            down_beat: 0,
            slices: Default::default(),
            next_id: 0,
            held: BTreeMap::new(),
            inv_open: BTreeMap::new(),
            writing: BTreeMap::new(),
            locked: BTreeMap::new(),
            counts: BTreeMap::new(),
        }
    }

    /// The CPU model's side of the link.
    pub fn link(&self) -> CohPorts<'_> {
        let (u, n) = (&self.link.c2n, &self.link.n2c);
        CohPorts {
            clock: &self.link.clock,
            c2n_valid: &u[VALID],
            c2n_ready: &u[READY],
            c2n_op: &u[OP],
            c2n_line: &u[LINE],
            c2n_id: &u[ID],
            c2n_data: &u[DATA],
            c2n_last: &u[LAST],
            n2c_valid: &n[VALID],
            n2c_ready: &n[READY],
            n2c_op: &n[OP],
            n2c_line: &n[LINE],
            n2c_id: &n[ID],
            n2c_data: &n[DATA],
            n2c_last: &n[LAST],
            n2c_err: &n[ERR],
        }
    }

    /// What is in flight, for a stuck run's message.
    pub fn describe(&self) -> String {
        let slices: Vec<String> = self
            .slices
            .iter()
            .map(|s| {
                format!(
                    "AR {:?}, AW {:?}, reads {:?}, B {:?}, LCIA {:?}, UL {:x?}",
                    s.ar,
                    s.aw.as_ref().map(|w| (w.0, w.1)),
                    s.reads,
                    s.b_wait,
                    s.lcia,
                    s.ul_wait
                )
            })
            .collect();
        let down: Vec<(u64, u64, usize)> = self.down.iter().map(|d| (d.0, d.1, d.2)).collect();
        format!(
            "ops {:?}; to the CPU {down:x?}; INVs open {:x?}; writing {:x?}; locked {:x?}; \
             slices {slices:x?}; {:?}",
            self.ops.iter().map(|o| o.line()).collect::<Vec<_>>(),
            self.inv_open,
            self.writing,
            self.locked,
            self.counts
        )
    }

    fn count(&mut self, what: &'static str) {
        *self.counts.entry(what).or_default() += 1;
    }

    fn beats(&self) -> usize {
        (LINE_BYTES / (self.cfg.coh_width / 8)) as usize
    }

    /// Just before the shell clock's edge (the model settled, before the CPU samples the
    /// link): the handshakes the edge completes.
    pub fn sample(&mut self, p: &[DcsPorts; 2]) {
        let (u, n) = (&self.link.c2n, &self.link.n2c);
        let delivered = n[VALID].bit(0) && n[READY].bit(0);
        if u[VALID].bit(0) && u[READY].bit(0) {
            self.c2n_beats.extend(u[DATA].get_bytes());
            if u[LAST].bit(0) {
                let op = u[OP].get_bits(0, OP_WIDTH);
                let line = u[LINE].get_bits(0, LINE_ADDR_WIDTH);
                let core = u[ID].get_bits(0, u[ID].width()) as usize;
                let data = std::mem::take(&mut self.c2n_beats);
                self.on_message(op, line, core, data);
            }
        }
        if delivered {
            self.down_beat += 1;
            let &(op, ..) = self.down.front().expect("a message offered");
            if op == down::INV || self.down_beat == self.beats() {
                self.down.pop_front();
                self.down_beat = 0;
            }
        }
        for (s, p) in p.iter().enumerate() {
            self.sample_slice(s, p);
        }
    }

    fn on_message(&mut self, op: u64, line: u64, core: usize, data: Vec<u8>) {
        let forget = |held: &mut BTreeMap<u64, (usize, bool, Vec<u8>)>| {
            if held.get(&line).is_some_and(|h| h.0 == core) {
                held.remove(&line);
            }
        };
        match op {
            up::RD_SHARED | up::RD_EXCL => self.ops.push_back(Op::Read {
                line,
                core,
                excl: op == up::RD_EXCL,
            }),
            up::EVICT_CLEAN => {
                forget(&mut self.held);
                self.count("evict_clean");
            }
            up::EVICT_DIRTY => {
                forget(&mut self.held);
                self.ops.push_back(Op::Write { line, data });
            }
            up::ACK | up::ACK_DATA => {
                let open = self.inv_open.get_mut(&(core, line)).unwrap_or_else(|| {
                    panic!("core {core} answers an INV of {line:#x} never sent")
                });
                *open -= 1;
                if *open == 0 {
                    self.inv_open.remove(&(core, line));
                }
                forget(&mut self.held);
                if op == up::ACK_DATA {
                    self.ops.push_back(Op::Write { line, data });
                }
                self.ops.push_back(Op::Lcia { line });
            }
            _ => panic!("c2n opcode {op} from core {core}"),
        }
    }

    fn sample_slice(&mut self, s: usize, p: &DcsPorts) {
        if p.ar_valid.bit(0) && p.ar_ready.bit(0) {
            let read = self.slices[s].ar.take().expect("AR offered");
            self.slices[s].reads.insert(read.0, read);
        }
        if p.w_valid.bit(0) && p.w_ready.bit(0) {
            let aw = self.slices[s].aw.as_mut().expect("W offered");
            aw.3 += 1;
            let last = aw.3 == AXI_BEATS;
            assert_eq!(p.aw_ready.bit(0), last, "AW taken with the last W beat");
            if last {
                let (id, line, ..) = self.slices[s].aw.take().unwrap();
                self.slices[s].b_wait.insert(id, line);
            }
        }
        if p.b_valid.bit(0) && p.b_ready.bit(0) {
            let id = p.b_id.get_bits(0, ID_BITS);
            let line = self.slices[s]
                .b_wait
                .remove(&id)
                .unwrap_or_else(|| panic!("B to id {id}, which waits for none"));
            assert_eq!(p.b_resp.get_bits(0, 2), 0, "B of line {line:#x}: OKAY");
            release(&mut self.writing, line);
            self.count("write");
        }
        if p.r_valid.bit(0) && p.r_ready.bit(0) {
            let sl = &mut self.slices[s];
            sl.r_beats.extend(p.r_data.get_bytes());
            if p.r_last.bit(0) {
                let id = p.r_id.get_bits(0, ID_BITS);
                let (_, line, core, excl) = sl
                    .reads
                    .remove(&id)
                    .unwrap_or_else(|| panic!("R to id {id}, no read outstanding"));
                let data = std::mem::take(&mut sl.r_beats);
                assert_eq!(data.len(), LINE_BYTES as usize, "two R beats a line");
                let err = match p.r_resp.get_bits(0, 2) {
                    0 => false,
                    2 => true,
                    r => panic!("R of line {line:#x}: rresp {r}"),
                };
                if !err {
                    self.held.insert(line, (core, !excl, data.clone()));
                }
                self.down.push_back((down::DATA, line, core, err, data));
                self.count("read");
            }
        }
        if p.lci_valid.bit(0) && p.lci_ready.bit(0) {
            let line = lci_line(p, s);
            let id_width = DcsAdapterCfg {
                cores: self.cfg.cores,
            }
            .id_width();
            let core = core_of(line, id_width) as usize;
            *self.inv_open.entry((core, line)).or_default() += 1;
            self.down
                .push_back((down::INV, line, core, false, Vec::new()));
            self.count("lci");
        }
        if p.lcia_valid.bit(0) && p.lcia_ready.bit(0) {
            let a = self.slices[s].lcia.take().expect("LCIA offered");
            self.slices[s].ul_wait.push_back(a);
        }
        if p.ul_valid.bit(0) && p.ul_ready.bit(0) {
            let a = self.slices[s]
                .ul_wait
                .pop_front()
                .expect("UL without an LCIA");
            check_ul(p, s, a);
            release(&mut self.locked, unalias(a >> 7));
            self.count("ul");
        }
    }

    /// Right after the shell clock's edge: the next operation, and what the shell offers
    /// and takes until the next edge, on the link and at the DCS.
    pub fn drive(&mut self, p: &[DcsPorts; 2]) {
        self.link.clock.tick();
        self.issue();
        let n = &self.link.n2c;
        n[VALID].set_bit(0, !self.down.is_empty());
        if let Some((op, line, core, err, data)) = self.down.front() {
            let bytes = (self.cfg.coh_width / 8) as usize;
            let b = self.down_beat;
            n[OP].set_bits(0, OP_WIDTH, *op);
            n[LINE].set_bits(0, LINE_ADDR_WIDTH, *line);
            n[ID].set_bits(0, n[ID].width(), *core as u64);
            n[ERR].set_bit(0, *err);
            match data.is_empty() {
                true => n[DATA].set_bytes(&[]),
                false => n[DATA].set_bytes(&data[b * bytes..(b + 1) * bytes]),
            }
            n[LAST].set_bit(0, *op == down::INV || b + 1 == self.beats());
        }
        let ready = self.rng.gen_bool(self.cfg.c2n_ready);
        self.link.c2n[READY].set_bit(0, ready);
        for (s, p) in p.iter().enumerate() {
            let sl = &self.slices[s];
            p.ar_valid.set_bit(0, sl.ar.is_some());
            if let Some((id, line, ..)) = sl.ar {
                p.ar_id.set_bits(0, ID_BITS, id);
                p.ar_addr.set_bits(0, ADDR_BITS, line << 7);
            }
            p.aw_valid.set_bit(0, sl.aw.is_some());
            p.w_valid.set_bit(0, sl.aw.is_some());
            if let Some((id, line, data, beat)) = &sl.aw {
                p.aw_id.set_bits(0, ID_BITS, *id);
                p.aw_addr.set_bits(0, ADDR_BITS, line << 7);
                p.w_data
                    .set_bytes(&data[beat * AXI_BYTES..(beat + 1) * AXI_BYTES]);
                p.w_last.set_bit(0, beat + 1 == AXI_BEATS);
            }
            p.lcia_valid.set_bit(0, sl.lcia.is_some());
            if let Some(a) = sl.lcia {
                p.lcia_data.set_bits(0, 64, a);
            }
            for r in [p.b_ready, p.r_ready, p.lci_ready, p.ul_ready] {
                r.set_bit(0, self.rng.gen_bool(self.cfg.ready));
            }
        }
    }

    /// Starts the operation at the head of the queue if its line and channel let it.
    fn issue(&mut self) {
        let Some(op) = self.ops.front() else {
            return;
        };
        let line = op.line();
        let s = slice_of(line);
        if self.writing.contains_key(&line) {
            return;
        }
        match op {
            Op::Read { core, excl, .. } => {
                let (core, excl) = (*core, *excl);
                if self.locked.contains_key(&line) {
                    return;
                }
                let upgrade = excl
                    && !self.inv_open.contains_key(&(core, line))
                    && self.held.get(&line).is_some_and(|h| h.0 == core && h.1);
                if upgrade {
                    let data = self.held[&line].2.clone();
                    self.held.insert(line, (core, false, data.clone()));
                    self.down.push_back((down::DATA, line, core, false, data));
                    self.count("upgrade");
                } else if self.slices[s].ar.is_none() {
                    let id = self.new_id();
                    self.slices[s].ar = Some((id, line, core, excl));
                } else {
                    return;
                }
            }
            Op::Write { .. } => {
                if self.slices[s].aw.is_some() {
                    return;
                }
                let id = self.new_id();
                let Some(Op::Write { data, .. }) = self.ops.pop_front() else {
                    unreachable!()
                };
                self.slices[s].aw = Some((id, line, data, 0));
                *self.writing.entry(line).or_default() += 1;
                return;
            }
            Op::Lcia { .. } => {
                if self.slices[s].lcia.is_some() {
                    return;
                }
                self.slices[s].lcia = Some(alias(line) << 7);
                *self.locked.entry(line).or_default() += 1;
                self.count("lcia");
            }
        }
        self.ops.pop_front();
    }

    /// An AXI id no read or write in flight uses.
    fn new_id(&mut self) -> u64 {
        let used = |id: u64, s: &Slice| {
            s.reads.contains_key(&id)
                || s.b_wait.contains_key(&id)
                || s.ar.is_some_and(|r| r.0 == id)
                || s.aw.as_ref().is_some_and(|w| w.0 == id)
        };
        loop {
            self.next_id = (self.next_id + 1) % (1 << ID_BITS);
            if !self.slices.iter().any(|s| used(self.next_id, s)) {
                return self.next_id;
            }
        }
    }
}

/// The line of the LCI offered on slice `s`, its word checked: opcode, fixed fields, the
/// aliased address, the slice's VC, the line's slice.
pub fn lci_line(p: &DcsPorts, s: usize) -> u64 {
    let w = p.lci_data.get_bits(0, 64);
    let line = unalias(w >> 7 & ((1 << LINE_ADDR_WIDTH) - 1));
    assert_eq!(w, lcl::lci(alias(line)), "LCI word of line {line:#x}");
    assert_eq!(p.lci_vc.get_bits(0, lcl::VC_WIDTH), lcl::LCI_VC + s as u64);
    assert_eq!(slice_of(line), s, "LCI of {line:#x} on the wrong slice");
    line
}

/// Checks the UL offered on slice `s` unlocks LCIA address `a`, on the slice's VC.
pub fn check_ul(p: &DcsPorts, s: usize, a: u64) {
    assert_eq!(
        p.ul_data.get_bits(0, 64),
        lcl::ul(a),
        "UL of the LCIA's address"
    );
    assert_eq!(p.ul_vc.get_bits(0, lcl::VC_WIDTH), lcl::UL_VC + s as u64);
}

/// One fewer of `line` in a per-line count.
fn release(counts: &mut BTreeMap<u64, u32>, line: u64) {
    let n = counts.get_mut(&line).expect("a count of the line");
    *n -= 1;
    if *n == 0 {
        counts.remove(&line);
    }
}

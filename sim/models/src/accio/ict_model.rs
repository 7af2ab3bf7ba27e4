//! Reference model of `accio_ict`: the ICT, ready queues, interrupts and event queue, with
//! the behaviour the hdl docs and the register map promise, at the same cycle timing. It is
//! written from the documentation, not from the RTL: the address decode and the protection
//! check read the register map's table, the ready bits are derived (`RX_HEAD != RX_TAIL`)
//! rather than maintained, and round robin is "first after the last one taken".
//!
//! Drive it with the same pin values as the RTL: [`IctModel::outputs`] gives what the
//! outputs show in the cycle, [`IctModel::edge`] applies the clock edge.

// Pin mirrors and result structs: each field is the port of the same name.
#![allow(missing_docs)]

use crate::axil::AxilPins;
use hdl::accio::regs::{self, event};
use hdl::config::IctConfig;
use hdl::regmap::RegMap;
use std::collections::VecDeque;

/// Input pins of one cycle (names as on the module, without the bundle prefix).
#[derive(Clone, Debug, Default)]
pub struct IctIn {
    /// The AXI4-Lite pins the MMIO master drives.
    pub axil: AxilPins,
    pub lookup_valid: bool,
    pub lookup_ip: u32,
    pub lookup_port: u16,
    pub rx_upd_valid: bool,
    pub rx_upd_index: usize,
    pub rx_upd_advance: bool,
    pub rx_upd_tail: u32,
    pub rx_upd_drop: bool,
    pub tx_upd_valid: bool,
    pub tx_upd_index: usize,
    pub tx_upd_head: u32,
    pub tx_info_index: usize,
    pub db_rx_ready: bool,
    pub db_tx_ready: bool,
    pub link_up: bool,
    pub malformed_valid: bool,
    pub malformed_class: u8,
    pub dma_valid: bool,
    pub dma_info: u64,
}

/// A lookup result (`res_*`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LookupResult {
    pub hit: bool,
    pub miss: bool,
    pub index: usize,
    pub accelerated: bool,
    pub core: u8,
    pub conn_id: u32,
    pub rx_base: u64,
    pub rx_size: u32,
    pub rx_head: u32,
    pub rx_tail: u32,
}

/// The TX sideband (`tx_info_*`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TxInfo {
    pub enabled: bool,
    pub accelerated: bool,
    pub local_ip: u32,
    pub local_port: u16,
    pub remote: u64,
    pub remote_mac: u64,
    pub base: u64,
    pub size: u32,
    pub head: u32,
    pub tail: u32,
}

/// Output pins of one cycle.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IctOut {
    pub awready: bool,
    pub wready: bool,
    pub arready: bool,
    pub bvalid: bool,
    pub bresp: u8,
    pub rvalid: bool,
    pub rresp: u8,
    pub rdata: u64,
    /// `res_valid` and, when it is set, the result.
    pub res: Option<LookupResult>,
    pub tx_info: TxInfo,
    pub db_rx: Option<usize>,
    pub db_tx: Option<usize>,
    pub irq: u32,
    pub evq_irq: bool,
}

#[derive(Clone, Debug, Default)]
struct Entry {
    enabled: bool,
    accelerated: bool,
    protocol: u8,
    irq_prio: u8,
    core: u8,
    local_port: u16,
    local_ip: u32,
    remote: u64,
    remote_mac: u64,
    conn_id: u32,
    asid: u16,
    handle: u64,
    rx_base: u64,
    rx_size: u32,
    rx_head: u32,
    rx_tail: u32,
    tx_base: u64,
    tx_size: u32,
    tx_head: u32,
    tx_tail: u32,
    rx_waiting: bool,
    tx_waiting: bool,
    tx_freed: bool,
    used: bool,
    drops: u32,
    db_rx: bool,
    db_tx: bool,
}

impl Entry {
    fn ready_rx(&self) -> bool {
        self.enabled && self.rx_waiting && self.rx_head != self.rx_tail
    }
    fn ready_tx(&self) -> bool {
        self.enabled && self.tx_waiting && self.tx_freed
    }
    fn ready(&self) -> bool {
        self.ready_rx() || self.ready_tx()
    }
}

#[derive(Clone, Debug, Default)]
struct Core {
    asid: u16,
    accel: bool,
    prio: u8,
    irq_en: bool,
    handle: u64,
    /// Round robin: the search starts here (one past the entry popped last).
    rr_from: usize,
    irq_line: bool,
    /// The head pipeline (see `ready_queue`): the pick made at the last edge, and the head
    /// reads show (the pick of the edge before); `eligible` likewise registered.
    pick: Option<usize>,
    head: Option<usize>,
    eligible: bool,
}

#[derive(Clone, Debug)]
struct Request {
    write: bool,
    addr: u64,
    privileged: bool,
    user: u8,
    wdata: u64,
    wstrb: u8,
}

/// Where an address points in the register map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub block: String,
    pub instance: usize,
    pub reg: String,
    pub word: usize,
    pub kernel: hdl::regmap::Access,
    pub user: hdl::regmap::Access,
}

/// Finds the register at `addr` (byte address; the low three bits select bytes).
pub fn decode(map: &RegMap, addr: u64) -> Option<Target> {
    for b in &map.blocks {
        if addr < b.base || addr >= b.base + b.stride * b.count as u64 {
            continue;
        }
        let rel = addr - b.base;
        let (instance, off) = ((rel / b.stride) as usize, (rel % b.stride) & !7);
        for r in &b.regs {
            if off >= r.offset && off < r.offset + 8 * r.count as u64 {
                return Some(Target {
                    block: b.name.clone(),
                    instance,
                    reg: r.name.clone(),
                    word: ((off - r.offset) / 8) as usize,
                    kernel: r.kernel,
                    user: r.user,
                });
            }
        }
    }
    None
}

/// First index `i >= from` (wrapping to 0) with `f(i)`.
fn rr_first(n: usize, from: usize, f: impl Fn(usize) -> bool) -> Option<usize> {
    (from..n).chain(0..from.min(n)).find(|&i| f(i))
}

const EVQ_SOURCES: usize = 6;

/// The model. See the module docs.
pub struct IctModel {
    cfg: IctConfig,
    map: RegMap,
    entries: Vec<Entry>,
    cores: Vec<Core>,
    evq_irq_en: bool,
    evq_line: bool,
    victim_from: usize,
    /// The victim as of the last edge (slot, free, unused): what VICTIM reads.
    victim_q: (usize, bool, bool),
    db_rx_from: usize,
    db_tx_from: usize,
    link: bool,
    filter: Vec<u64>,
    miss_last: Option<u64>,
    lost: u32,
    /// Events lost in the previous cycle: the counter adds them one cycle late.
    lost_pending: u64,
    /// A kernel write of EVQ_LOST in the previous cycle: it too lands one cycle late.
    lost_write_pending: Option<u32>,
    held: [Option<u64>; EVQ_SOURCES],
    fifo_mem: VecDeque<u64>,
    fifo_out: Option<u64>,
    /// The request in its decode cycle, then in execution.
    decode: Option<Request>,
    exec: Option<Request>,
    bvalid: bool,
    bresp: u8,
    rvalid: bool,
    rresp: u8,
    rdata: u64,
    /// Lookup stage 1: valid, first matching entry, key, its miss-filter bit.
    lk1: Option<(Option<usize>, u64, bool)>,
    /// Lookup stage 2: hit, index, miss.
    lk2: Option<(bool, usize, bool)>,
    res: Option<LookupResult>,
    tx_info: TxInfo,
    /// Each entry's core as of the last edge (the ready queue's registered compare).
    owner_core: Vec<u8>,
    /// Edges until the ready queue's head and the victim show the last MMIO write, pop or
    /// VICTIM read; reads of them wait.
    views_settle: u32,
}

/// Edges from a change to the ready queue's head showing it (`HEAD_LATENCY` in hdl).
const HEAD_LATENCY: u32 = 3;

const OKAY: u8 = 0;
const SLVERR: u8 = 2;
const DECERR: u8 = 3;

impl IctModel {
    pub fn new(cfg: &IctConfig) -> Self {
        let n = cfg.entries as usize;
        IctModel {
            cfg: cfg.clone(),
            map: regs::regmap(cfg).only(&regs::ICT_BLOCKS),
            entries: vec![Entry::default(); n],
            cores: vec![Core::default(); cfg.cores as usize],
            evq_irq_en: false,
            evq_line: false,
            victim_from: 0,
            victim_q: (0, true, false),
            db_rx_from: 0,
            db_tx_from: 0,
            link: false,
            filter: vec![0; (cfg.miss_filter_bits / 64) as usize],
            miss_last: None,
            lost: 0,
            lost_pending: 0,
            lost_write_pending: None,
            held: [None; EVQ_SOURCES],
            fifo_mem: VecDeque::new(),
            fifo_out: None,
            decode: None,
            exec: None,
            bvalid: false,
            bresp: 0,
            rvalid: false,
            rresp: 0,
            rdata: 0,
            lk1: None,
            lk2: None,
            res: None,
            tx_info: TxInfo::default(),
            owner_core: vec![0; n],
            views_settle: 0,
        }
    }

    pub fn map(&self) -> &RegMap {
        &self.map
    }

    fn n(&self) -> usize {
        self.entries.len()
    }

    fn idle(&self) -> bool {
        self.decode.is_none() && self.exec.is_none() && !self.bvalid && !self.rvalid
    }

    fn take_write(&self, i: &IctIn) -> bool {
        self.idle() && i.axil.awvalid && i.axil.wvalid
    }

    fn take_read(&self, i: &IctIn) -> bool {
        self.idle() && i.axil.arvalid && !(i.axil.awvalid && i.axil.wvalid)
    }

    /// The head reads show.
    fn rq_head(&self, core: usize) -> Option<usize> {
        self.cores[core].head
    }

    /// The round robin's pick now, over the owners of the last edge.
    fn rq_pick(&self, core: usize) -> Option<usize> {
        let c = &self.cores[core];
        rr_first(self.n(), c.rr_from, |i| {
            self.entries[i].ready() && self.owner_core[i] as usize == core
        })
    }

    /// Some ready entry of `core` may interrupt it now.
    fn eligible_now(&self, core: usize) -> bool {
        let c = &self.cores[core];
        self.entries.iter().enumerate().any(|(i, e)| {
            e.ready()
                && self.owner_core[i] as usize == core
                && e.irq_prio != 0
                && (!c.accel || e.irq_prio > c.prio)
        })
    }

    /// (slot, free, unused) that VICTIM reads now.
    fn victim(&self) -> (usize, bool, bool) {
        let n = self.n();
        let from = self.victim_from;
        if let Some(i) = rr_first(n, from, |i| !self.entries[i].enabled) {
            (i, true, false)
        } else if let Some(i) = rr_first(n, from, |i| {
            self.entries[i].enabled && !self.entries[i].used
        }) {
            (i, false, true)
        } else {
            (if from < n { from } else { 0 }, false, false)
        }
    }

    fn doorbell(&self, from: usize, f: impl Fn(&Entry) -> bool) -> Option<usize> {
        rr_first(self.n(), from, |i| f(&self.entries[i]))
    }

    /// The value register `t` reads as now (0 for a register nobody may read).
    fn read_value(&self, t: &Target) -> u64 {
        let f = |blk: &str, reg: &str, field: &str, v: u64| {
            let r = self.map.reg(blk, reg).unwrap();
            let fl = r.get_field(field).unwrap();
            let mask = if fl.width == 64 {
                u64::MAX
            } else {
                (1 << fl.width) - 1
            };
            (v & mask) << fl.lsb
        };
        let e = self.entries.get(t.instance);
        match (t.block.as_str(), t.reg.as_str()) {
            ("GLOBAL", "ID") => self.map.reg("GLOBAL", "ID").unwrap().reset,
            ("GLOBAL", "PARAMS") => {
                f("GLOBAL", "PARAMS", "ENTRIES", self.cfg.entries as u64)
                    | f("GLOBAL", "PARAMS", "CORES", self.cfg.cores as u64)
                    | f(
                        "GLOBAL",
                        "PARAMS",
                        "FILTER_LOG2",
                        self.cfg.miss_filter_bits.trailing_zeros() as u64,
                    )
                    | f(
                        "GLOBAL",
                        "PARAMS",
                        "EVQ_LOG2",
                        self.cfg.event_queue_depth.trailing_zeros() as u64,
                    )
            }
            ("GLOBAL", "EVQ_POP") => self.fifo_out.unwrap_or(0),
            ("GLOBAL", "EVQ_STATUS") => {
                (self.fifo_mem.len() + self.fifo_out.is_some() as usize) as u64
            }
            ("GLOBAL", "EVQ_LOST") => self.lost as u64,
            ("GLOBAL", "EVQ_CTRL") => self.evq_irq_en as u64,
            ("GLOBAL", "VICTIM") => {
                let (i, free, unused) = self.victim_q;
                f("GLOBAL", "VICTIM", "INDEX", i as u64)
                    | f("GLOBAL", "VICTIM", "FREE", free as u64)
                    | f("GLOBAL", "VICTIM", "UNUSED", unused as u64)
            }
            ("GLOBAL", "LINK") => self.link as u64,
            ("GLOBAL", "USAGE") => (0..64)
                .filter(|j| self.entries.get(t.word * 64 + j).is_some_and(|e| e.used))
                .fold(0, |a, j| a | 1 << j),
            ("GLOBAL", "MISS_FILTER") => self.filter[t.word],
            ("CORE", reg) => {
                let c = &self.cores[t.instance];
                match reg {
                    "CTX" => {
                        f("CORE", "CTX", "ASID", c.asid as u64)
                            | f("CORE", "CTX", "ACCEL", c.accel as u64)
                            | f("CORE", "CTX", "PRIO", c.prio as u64)
                    }
                    "RQ_POP" | "RQ_PEEK" => match self.rq_head(t.instance) {
                        None => 0,
                        Some(i) => {
                            f("CORE", reg, "INDEX", i as u64)
                                | f("CORE", reg, "RX", self.entries[i].ready_rx() as u64)
                                | f("CORE", reg, "TX", self.entries[i].ready_tx() as u64)
                                | f("CORE", reg, "VALID", 1)
                        }
                    },
                    "RQ_HANDLE" => c.handle,
                    "IRQ_CTRL" => c.irq_en as u64,
                    "IRQ_STATUS" => {
                        f("CORE", reg, "LINE", c.irq_line as u64)
                            | f(
                                "CORE",
                                reg,
                                "READY",
                                self.rq_head(t.instance).is_some() as u64,
                            )
                            | f("CORE", reg, "ELIGIBLE", c.eligible as u64)
                    }
                    _ => unreachable!("CORE.{reg}"),
                }
            }
            ("ENTRY", reg) => {
                let e = e.unwrap();
                let g = |field: &str, v: u64| f("ENTRY", reg, field, v);
                match reg {
                    "CTRL" => {
                        g("ENABLED", e.enabled as u64)
                            | g("ACCELERATED", e.accelerated as u64)
                            | g("PROTOCOL", e.protocol as u64)
                            | g("IRQ_PRIO", e.irq_prio as u64)
                    }
                    "LOCAL" => g("PORT", e.local_port as u64) | g("IP", e.local_ip as u64),
                    "REMOTE" => e.remote,
                    "REMOTE_MAC" => e.remote_mac,
                    "CONN_ID" => e.conn_id as u64,
                    "OWNER" => g("ASID", e.asid as u64) | g("CORE", e.core as u64),
                    "HANDLE" => e.handle,
                    "RX_BASE" => e.rx_base,
                    "RX_SIZE" => e.rx_size as u64,
                    "RX_HEAD" => e.rx_head as u64,
                    "RX_TAIL" => e.rx_tail as u64,
                    "TX_BASE" => e.tx_base,
                    "TX_SIZE" => e.tx_size as u64,
                    "TX_HEAD" => e.tx_head as u64,
                    "TX_TAIL" => e.tx_tail as u64,
                    "WAIT" => g("RX", e.rx_waiting as u64) | g("TX", e.tx_waiting as u64),
                    "STATUS" => {
                        g("RX_PENDING", (e.rx_head != e.rx_tail) as u64)
                            | g("TX_FREED", e.tx_freed as u64)
                            | g("READY", e.ready() as u64)
                            | g("USED", e.used as u64)
                    }
                    "DROPS" => e.drops as u64,
                    _ => unreachable!("ENTRY.{reg}"),
                }
            }
            _ => 0,
        }
    }

    /// What the outputs show in this cycle, for inputs `i`.
    pub fn outputs(&self, i: &IctIn) -> IctOut {
        let tw = self.take_write(i);
        IctOut {
            awready: tw,
            wready: tw,
            arready: self.take_read(i),
            bvalid: self.bvalid,
            bresp: self.bresp,
            rvalid: self.rvalid,
            rresp: self.rresp,
            rdata: self.rdata,
            res: self.res.clone(),
            tx_info: self.tx_info.clone(),
            db_rx: self.doorbell(self.db_rx_from, |e| e.db_rx),
            db_tx: self.doorbell(self.db_tx_from, |e| e.db_tx),
            irq: self
                .cores
                .iter()
                .enumerate()
                .fold(0, |a, (k, c)| a | (c.irq_line as u32) << k),
            evq_irq: self.evq_line,
        }
    }

    /// Applies the clock edge with inputs `i` (everything is decided from the state before
    /// the edge, as in the RTL).
    pub fn edge(&mut self, i: &IctIn) {
        let out = self.outputs(i);
        let upd_adv = i.rx_upd_valid && i.rx_upd_advance;
        let upd_drop = i.rx_upd_valid && i.rx_upd_drop;
        let mut ev: [Option<u64>; EVQ_SOURCES] = [None; EVQ_SOURCES];
        let (take_w, take_r) = (self.take_write(i), self.take_read(i));

        // ---- MMIO: the request in execution, decided on the state before the edge.
        let mut write: Option<(Target, u64)> = None;
        let mut read: Option<Target> = None;
        let mut finished = false;
        if let Some(req) = self.exec.clone() {
            let t = decode(&self.map, req.addr);
            let stall = t.as_ref().is_some_and(|t| {
                if req.write {
                    t.block == "ENTRY"
                        && ((t.reg == "RX_TAIL" && upd_adv)
                            || (t.reg == "DROPS" && upd_drop)
                            || (t.reg == "TX_HEAD" && i.tx_upd_valid))
                } else {
                    t.block == "CORE"
                        && matches!(t.reg.as_str(), "RQ_POP" | "RQ_PEEK" | "IRQ_STATUS")
                        && self.views_settle != 0
                        || t.block == "GLOBAL" && t.reg == "VICTIM" && self.views_settle != 0
                }
            });
            if !stall {
                finished = true;
                let core_ok = (req.user as usize) < self.cores.len();
                let asid = if core_ok {
                    self.cores[req.user as usize].asid
                } else {
                    0
                };
                let (known, permitted) = match &t {
                    None => (false, false),
                    Some(t) => {
                        let a = if req.privileged { t.kernel } else { t.user };
                        let right = if req.write {
                            a.can_write()
                        } else {
                            a.can_read()
                        };
                        let owner =
                            t.block == "ENTRY" && core_ok && self.entries[t.instance].asid == asid;
                        (true, right && (req.privileged || owner))
                    }
                };
                let ok = known && permitted;
                let resp = if !known {
                    DECERR
                } else if ok {
                    OKAY
                } else {
                    SLVERR
                };
                let cur = t.as_ref().map_or(0, |t| self.read_value(t));
                if known && !permitted {
                    let t = t.as_ref().unwrap();
                    let entry = if t.block == "ENTRY" {
                        t.instance as u64
                    } else {
                        0xffff
                    };
                    let data = entry
                        | (req.user as u64) << 16
                        | (asid as u64) << 24
                        | (req.write as u64) << 40
                        | (req.privileged as u64) << 41
                        | ((req.addr >> 3) & 0x3fff) << 42;
                    ev[0] = Some(regs::event_word(event::PROT_FAULT, data));
                }
                if req.write {
                    self.bvalid = true;
                    self.bresp = resp;
                    if ok {
                        let mask = (0..8)
                            .filter(|b| req.wstrb >> b & 1 == 1)
                            .fold(0u64, |m, b| m | 0xff << (8 * b));
                        write = Some((t.unwrap(), (cur & !mask) | (req.wdata & mask)));
                    }
                } else {
                    self.rvalid = true;
                    self.rresp = resp;
                    self.rdata = if ok { cur } else { 0 };
                    if ok {
                        read = t;
                    }
                }
            }
        }
        if finished {
            self.exec = None;
        }
        if self.bvalid && i.axil.bready && !finished {
            self.bvalid = false;
        }
        if self.rvalid && i.axil.rready && !finished {
            self.rvalid = false;
        }

        let wrote = write.is_some();

        // ---- Lookup pipeline.
        let key_of = |e: &Entry| (e.local_ip as u64) << 16 | e.local_port as u64;
        let key0 = (i.lookup_ip as u64) << 16 | i.lookup_port as u64;
        // The miss filter is read with the request, as the CAM is.
        let lk1_new = i.lookup_valid.then(|| {
            let h = regs::miss_filter_hash(i.lookup_ip, i.lookup_port, self.cfg.miss_filter_bits);
            (
                self.entries
                    .iter()
                    .position(|e| e.enabled && key_of(e) == key0),
                key0,
                self.filter[(h / 64) as usize] >> (h % 64) & 1 == 1,
            )
        });
        let mut lk2_new = None;
        let mut used_set = None;
        if let Some((first, key, marked)) = self.lk1 {
            let miss = first.is_none() && marked;
            if miss && self.miss_last != Some(key) {
                ev[1] = Some(regs::event_word(event::ICT_MISS, key));
            }
            used_set = first;
            lk2_new = Some((first.is_some(), first.unwrap_or(0), miss));
        }
        let res_new = self.lk2.map(|(hit, index, miss)| {
            let e = &self.entries[index];
            LookupResult {
                hit,
                miss,
                index,
                accelerated: e.accelerated,
                core: e.core,
                conn_id: e.conn_id,
                rx_base: e.rx_base,
                rx_size: e.rx_size,
                rx_head: e.rx_head,
                rx_tail: e.rx_tail,
            }
        });
        let tx_info_new = self
            .entries
            .get(i.tx_info_index)
            .map_or_else(TxInfo::default, |e| TxInfo {
                enabled: e.enabled,
                accelerated: e.accelerated,
                local_ip: e.local_ip,
                local_port: e.local_port,
                remote: e.remote,
                remote_mac: e.remote_mac,
                base: e.tx_base,
                size: e.tx_size,
                head: e.tx_head,
                tail: e.tx_tail,
            });

        // ---- Interrupt lines and other registered views of the old state.
        let lines: Vec<bool> = (0..self.cores.len())
            .map(|k| self.cores[k].irq_en && self.eligible_now(k))
            .collect();
        let picks: Vec<Option<usize>> = (0..self.cores.len()).map(|k| self.rq_pick(k)).collect();
        let eligibles: Vec<bool> = (0..self.cores.len())
            .map(|k| self.eligible_now(k))
            .collect();
        let owners: Vec<u8> = self.entries.iter().map(|e| e.core).collect();
        let evq_line = self.evq_irq_en && self.fifo_out.is_some();
        let rq_heads: Vec<Option<usize>> = (0..self.cores.len()).map(|k| self.rq_head(k)).collect();
        let (victim, victim_next) = (self.victim_q.0, self.victim());

        // ---- Engine and event inputs.
        if upd_drop {
            ev[2] = Some(regs::event_word(
                event::RING_OVERFLOW,
                i.rx_upd_index as u64,
            ));
        }
        if i.dma_valid {
            ev[3] = Some(regs::event_word(event::DMA_ERROR, i.dma_info));
        }
        if self.link != i.link_up {
            ev[4] = Some(regs::event_word(
                if i.link_up {
                    event::LINK_UP
                } else {
                    event::LINK_DOWN
                },
                0,
            ));
        }
        if i.malformed_valid {
            ev[5] = Some(regs::event_word(event::MALFORMED, i.malformed_class as u64));
        }

        // ---- Apply: doorbells taken (before MMIO sets new ones).
        if let (Some(d), true) = (out.db_rx, i.db_rx_ready) {
            self.entries[d].db_rx = false;
            self.db_rx_from = d + 1;
        }
        if let (Some(d), true) = (out.db_tx, i.db_tx_ready) {
            self.entries[d].db_tx = false;
            self.db_tx_from = d + 1;
        }

        // ---- Apply: MMIO read side effects.
        let mut evq_pop = false;
        let mut hand_moved = false;
        if let Some(t) = read {
            match (t.block.as_str(), t.reg.as_str()) {
                ("GLOBAL", "EVQ_POP") => evq_pop = self.fifo_out.is_some(),
                ("GLOBAL", "VICTIM") => {
                    self.victim_from = victim + 1;
                    hand_moved = true;
                }
                ("CORE", "RQ_POP") | ("CORE", "RQ_PEEK") => {
                    let k = t.instance;
                    let head = rq_heads[k];
                    self.cores[k].handle = head.map_or(0, |h| self.entries[h].handle);
                    if let (Some(h), "RQ_POP") = (head, t.reg.as_str()) {
                        hand_moved = true;
                        self.cores[k].rr_from = h + 1;
                        self.entries[h].rx_waiting = false;
                        self.entries[h].tx_waiting = false;
                    }
                }
                _ => {}
            }
        }

        // ---- Apply: MMIO writes.
        let mut lost_write = None;
        let mut clear_used = false;
        let mut miss_clear = false;
        if let Some((t, wd)) = write {
            let fld = |reg: &str, field: &str| {
                let f = self
                    .map
                    .reg(&t.block, reg)
                    .unwrap()
                    .get_field(field)
                    .unwrap()
                    .clone();
                let mask = if f.width == 64 {
                    u64::MAX
                } else {
                    (1u64 << f.width) - 1
                };
                (wd >> f.lsb) & mask
            };
            let (p48, p32) = (wd & 0xffff_ffff_ffff, wd as u32);
            match (t.block.as_str(), t.reg.as_str()) {
                ("GLOBAL", "EVQ_LOST") => lost_write = Some(wd as u32),
                ("GLOBAL", "EVQ_CTRL") => self.evq_irq_en = wd & 1 == 1,
                ("GLOBAL", "USAGE_CLEAR") => clear_used = wd & 1 == 1,
                ("GLOBAL", "MISS_FILTER") => self.filter[t.word] = wd,
                ("CORE", "CTX") => {
                    let (asid, accel, prio) =
                        (fld("CTX", "ASID"), fld("CTX", "ACCEL"), fld("CTX", "PRIO"));
                    let c = &mut self.cores[t.instance];
                    c.asid = asid as u16;
                    c.accel = accel == 1;
                    c.prio = prio as u8;
                }
                ("CORE", "IRQ_CTRL") => self.cores[t.instance].irq_en = wd & 1 == 1,
                ("ENTRY", reg) => {
                    let v = |f: &str| fld(reg, f);
                    let (a, b, c2, d) = match reg {
                        "CTRL" => (v("ENABLED"), v("ACCELERATED"), v("PROTOCOL"), v("IRQ_PRIO")),
                        "LOCAL" => (v("PORT"), v("IP"), 0, 0),
                        "OWNER" => (v("ASID"), v("CORE"), 0, 0),
                        "WAIT" => (v("RX"), v("TX"), 0, 0),
                        _ => (0, 0, 0, 0),
                    };
                    let e = &mut self.entries[t.instance];
                    match reg {
                        "CTRL" => {
                            (e.enabled, e.accelerated, e.protocol, e.irq_prio) =
                                (a == 1, b == 1, c2 as u8, d as u8);
                            miss_clear = true;
                        }
                        "LOCAL" => {
                            (e.local_port, e.local_ip) = (a as u16, b as u32);
                            miss_clear = true;
                        }
                        "REMOTE" => e.remote = p48,
                        "REMOTE_MAC" => e.remote_mac = p48,
                        "CONN_ID" => e.conn_id = p32,
                        "OWNER" => (e.asid, e.core) = (a as u16, b as u8),
                        "HANDLE" => e.handle = wd,
                        "RX_BASE" => e.rx_base = wd,
                        "RX_SIZE" => e.rx_size = p32,
                        "RX_HEAD" => {
                            e.rx_head = p32;
                            e.db_rx = true;
                        }
                        "RX_TAIL" => e.rx_tail = p32,
                        "TX_BASE" => e.tx_base = wd,
                        "TX_SIZE" => e.tx_size = p32,
                        "TX_HEAD" => e.tx_head = p32,
                        "TX_TAIL" => {
                            e.tx_tail = p32;
                            e.db_tx = true;
                        }
                        "WAIT" => {
                            (e.rx_waiting, e.tx_waiting) = (a == 1, b == 1);
                            if b == 1 {
                                e.tx_freed = false;
                            }
                        }
                        "DROPS" => e.drops = p32,
                        _ => unreachable!("write to ENTRY.{reg}"),
                    }
                }
                (b, r) => unreachable!("write to {b}.{r}"),
            }
        }

        // ---- Apply: engine updates (an MMIO write of the same register was stalled).
        if upd_adv {
            self.entries[i.rx_upd_index].rx_tail = i.rx_upd_tail;
        }
        if upd_drop {
            let e = &mut self.entries[i.rx_upd_index];
            e.drops = e.drops.saturating_add(1);
        }
        if i.tx_upd_valid {
            let e = &mut self.entries[i.tx_upd_index];
            e.tx_head = i.tx_upd_head;
            e.tx_freed = true;
        }
        if clear_used {
            self.entries.iter_mut().for_each(|e| e.used = false);
        }
        if let Some(u) = used_set {
            self.entries[u].used = true;
        }
        if ev[1].is_some() {
            self.miss_last = Some(self.lk1.unwrap().1);
        }
        if miss_clear {
            self.miss_last = None;
        }
        self.link = i.link_up;

        // ---- Apply: the event queue (holding registers, then the FIFO).
        let depth = self.cfg.event_queue_depth as usize;
        let used = self.fifo_mem.len() + self.fifo_out.is_some() as usize;
        let drain = if used != depth {
            self.held.iter().position(Option::is_some)
        } else {
            None
        };
        let pushed = drain.map(|s| self.held[s].unwrap());
        let mut losses = 0u64;
        for (s, e) in ev.iter().enumerate() {
            let free = self.held[s].is_none() || drain == Some(s);
            if drain == Some(s) {
                self.held[s] = None;
            }
            if let Some(w) = e {
                if free {
                    self.held[s] = Some(*w);
                } else {
                    losses += 1;
                }
            }
        }
        let base = self.lost_write_pending.unwrap_or(self.lost) as u64;
        self.lost = (base + self.lost_pending).min(u32::MAX as u64) as u32;
        self.lost_pending = losses;
        self.lost_write_pending = lost_write;
        let fetch = !self.fifo_mem.is_empty() && (self.fifo_out.is_none() || evq_pop);
        if evq_pop {
            self.fifo_out = None;
        }
        if fetch {
            self.fifo_out = self.fifo_mem.pop_front();
        }
        if let Some(w) = pushed {
            self.fifo_mem.push_back(w);
        }

        // ---- Registered outputs and the new request.
        for (k, l) in lines.into_iter().enumerate() {
            let c = &mut self.cores[k];
            c.irq_line = l;
            c.head = c.pick;
            c.pick = picks[k];
            c.eligible = eligibles[k];
        }
        self.owner_core = owners;
        self.victim_q = victim_next;
        self.views_settle = if wrote || hand_moved {
            HEAD_LATENCY
        } else {
            self.views_settle.saturating_sub(1)
        };
        self.evq_line = evq_line;
        self.lk1 = lk1_new;
        self.lk2 = lk2_new;
        self.res = res_new;
        self.tx_info = tx_info_new;
        if let Some(r) = self.decode.take() {
            self.exec = Some(r);
        }
        if take_w {
            self.decode = Some(Request {
                write: true,
                addr: i.axil.awaddr,
                privileged: i.axil.awprot & 1 == 1,
                user: i.axil.awuser,
                wdata: i.axil.wdata,
                wstrb: i.axil.wstrb,
            });
        } else if take_r {
            self.decode = Some(Request {
                write: false,
                addr: i.axil.araddr,
                privileged: i.axil.arprot & 1 == 1,
                user: i.axil.aruser,
                wdata: 0,
                wstrb: 0,
            });
        }
    }

    /// Reset: everything back to its reset value (the RTL's LUTRAM contents are not reset;
    /// the model assumes the zeros they hold after configuration).
    pub fn reset(&mut self) {
        *self = IctModel::new(&self.cfg.clone());
    }
}

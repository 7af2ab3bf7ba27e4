//! Host memory behind an AXI4 slave, for the NIC's DMA master (`m_axi_*`): sparse byte
//! memory, a fixed response latency, random back-pressure on every channel, error regions,
//! and protocol checks (INCR bursts of full-width beats only, no burst across a 4 KiB
//! boundary, `wlast` exactly on a burst's last beat, at most `max_outstanding` bursts of
//! each direction in flight). A violation is recorded in [`HostMem::violations`], so a
//! test fails on it with the cycle and the burst.
//!
//! It is cycle-stepped like [`crate::axil::AxilMaster`]: per cycle [`HostMem::drive`], then
//! `eval()`, then [`HostMem::sample`], then `tick()`.

// Port views: each field is the port of the same name.
#![allow(missing_docs)]

use crate::{PortRead, PortWrite};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, VecDeque};

/// The ports of one AXI4 master as the slave sees them: `axi_slave_ports!(dut.m_axi)`.
pub struct AxiPorts<'a> {
    pub awid: &'a dyn PortRead,
    pub awaddr: &'a dyn PortRead,
    pub awlen: &'a dyn PortRead,
    pub awsize: &'a dyn PortRead,
    pub awburst: &'a dyn PortRead,
    pub awvalid: &'a dyn PortRead,
    pub awready: &'a dyn PortWrite,
    pub wdata: &'a dyn PortRead,
    pub wstrb: &'a dyn PortRead,
    pub wlast: &'a dyn PortRead,
    pub wvalid: &'a dyn PortRead,
    pub wready: &'a dyn PortWrite,
    pub bid: &'a dyn PortWrite,
    pub bresp: &'a dyn PortWrite,
    pub bvalid: &'a dyn PortWrite,
    pub bready: &'a dyn PortRead,
    pub arid: &'a dyn PortRead,
    pub araddr: &'a dyn PortRead,
    pub arlen: &'a dyn PortRead,
    pub arsize: &'a dyn PortRead,
    pub arburst: &'a dyn PortRead,
    pub arvalid: &'a dyn PortRead,
    pub arready: &'a dyn PortWrite,
    pub rid: &'a dyn PortWrite,
    pub rdata: &'a dyn PortWrite,
    pub rresp: &'a dyn PortWrite,
    pub rlast: &'a dyn PortWrite,
    pub rvalid: &'a dyn PortWrite,
    pub rready: &'a dyn PortRead,
}

/// [`AxiPorts`] of a model's AXI4 master bundle.
#[macro_export]
macro_rules! axi_slave_ports {
    ($b:expr) => {{
        let b = &$b;
        $crate::hostmem::AxiPorts {
            awid: &b.awid,
            awaddr: &b.awaddr,
            awlen: &b.awlen,
            awsize: &b.awsize,
            awburst: &b.awburst,
            awvalid: &b.awvalid,
            awready: &b.awready,
            wdata: &b.wdata,
            wstrb: &b.wstrb,
            wlast: &b.wlast,
            wvalid: &b.wvalid,
            wready: &b.wready,
            bid: &b.bid,
            bresp: &b.bresp,
            bvalid: &b.bvalid,
            bready: &b.bready,
            arid: &b.arid,
            araddr: &b.araddr,
            arlen: &b.arlen,
            arsize: &b.arsize,
            arburst: &b.arburst,
            arvalid: &b.arvalid,
            arready: &b.arready,
            rid: &b.rid,
            rdata: &b.rdata,
            rresp: &b.rresp,
            rlast: &b.rlast,
            rvalid: &b.rvalid,
            rready: &b.rready,
        }
    }};
}

/// AXI response codes.
pub const OKAY: u8 = 0;
pub const SLVERR: u8 = 2;
pub const DECERR: u8 = 3;

/// How the memory behaves.
#[derive(Clone, Debug)]
pub struct HostMemCfg {
    /// Bytes per data beat (the bus width / 8).
    pub beat_bytes: usize,
    /// Cycles from a burst's last write beat (or its read address) to its response.
    pub latency: u64,
    /// Probability that a ready or valid this side drives is low in a cycle.
    pub stall: f64,
    /// Bursts of each direction accepted but not yet answered, at most.
    pub max_outstanding: usize,
}

/// A burst as accepted on AW or AR.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Burst {
    pub id: u64,
    pub addr: u64,
    pub beats: u64,
    /// Cycle of the address handshake.
    pub cycle: u64,
}

/// Written bytes: one record per write beat, for checks like "nothing outside the ring".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriteRecord {
    pub addr: u64,
    pub bytes: Vec<u8>,
    /// The strobes (bit i = byte addr + i written).
    pub strb: u64,
    pub cycle: u64,
}

struct WriteBurst {
    burst: Burst,
    beats_seen: u64,
    resp: u8,
}

struct Response {
    id: u64,
    resp: u8,
    due: u64,
}

struct ReadBurst {
    burst: Burst,
    next_beat: u64,
    resp: u8,
    due: u64,
}

/// See the module docs.
pub struct HostMem {
    pub cfg: HostMemCfg,
    pages: BTreeMap<u64, Box<[u8; 4096]>>,
    errors: Vec<(u64, u64, u8)>,
    rng: ChaCha8Rng,
    cycle: u64,
    aw_queue: VecDeque<WriteBurst>,
    b_queue: VecDeque<Response>,
    ar_queue: VecDeque<ReadBurst>,
    /// What this side drives in the current cycle.
    awready: bool,
    wready: bool,
    arready: bool,
    bvalid: bool,
    rvalid: bool,
    pub writes: Vec<WriteRecord>,
    pub write_bursts: Vec<Burst>,
    pub read_bursts: Vec<Burst>,
    pub violations: Vec<String>,
}

impl HostMem {
    pub fn new(cfg: HostMemCfg, rng: ChaCha8Rng) -> Self {
        HostMem {
            cfg,
            pages: BTreeMap::new(),
            errors: Vec::new(),
            rng,
            cycle: 0,
            aw_queue: VecDeque::new(),
            b_queue: VecDeque::new(),
            ar_queue: VecDeque::new(),
            awready: false,
            wready: false,
            arready: false,
            bvalid: false,
            rvalid: false,
            writes: Vec::new(),
            write_bursts: Vec::new(),
            read_bursts: Vec::new(),
            violations: Vec::new(),
        }
    }

    /// Accesses touching `[start, end)` answer `resp` (SLVERR or DECERR) and change nothing.
    pub fn error_region(&mut self, start: u64, end: u64, resp: u8) {
        self.errors.push((start, end, resp));
    }

    fn error_at(&self, addr: u64, len: u64) -> u8 {
        self.errors
            .iter()
            .find(|(s, e, _)| addr < *e && addr + len > *s)
            .map_or(OKAY, |r| r.2)
    }

    pub fn read_byte(&self, addr: u64) -> u8 {
        self.pages
            .get(&(addr >> 12))
            .map_or(0, |p| p[(addr & 0xfff) as usize])
    }

    pub fn write_byte(&mut self, addr: u64, v: u8) {
        let p = self
            .pages
            .entry(addr >> 12)
            .or_insert_with(|| Box::new([0; 4096]));
        p[(addr & 0xfff) as usize] = v;
    }

    pub fn read(&self, addr: u64, len: usize) -> Vec<u8> {
        (0..len as u64).map(|i| self.read_byte(addr + i)).collect()
    }

    pub fn write(&mut self, addr: u64, bytes: &[u8]) {
        for (i, b) in bytes.iter().enumerate() {
            self.write_byte(addr + i as u64, *b);
        }
    }

    /// No burst accepted and unanswered.
    pub fn idle(&self) -> bool {
        self.aw_queue.is_empty() && self.b_queue.is_empty() && self.ar_queue.is_empty()
    }

    fn chance(&mut self) -> bool {
        !self.rng.gen_bool(self.cfg.stall)
    }

    /// Sets this side's outputs for the cycle.
    pub fn drive(&mut self, p: &AxiPorts) {
        let room_w = self.aw_queue.len() + self.b_queue.len() < self.cfg.max_outstanding;
        let room_r = self.ar_queue.len() < self.cfg.max_outstanding;
        self.awready = room_w && self.chance();
        self.wready = !self.aw_queue.is_empty() && self.chance();
        self.arready = room_r && self.chance();
        let cycle = self.cycle;
        let b = self
            .b_queue
            .front()
            .filter(|r| r.due <= cycle)
            .map(|r| (r.id, r.resp));
        self.bvalid = b.is_some() && (self.bvalid || self.chance());
        let set = |port: &dyn PortWrite, v: u64| port.set_bits(0, port.width(), v);
        set(p.awready, self.awready as u64);
        set(p.wready, self.wready as u64);
        set(p.arready, self.arready as u64);
        set(p.bvalid, self.bvalid as u64);
        let (bid, bresp) = b.unwrap_or((0, 0));
        set(p.bid, bid);
        set(p.bresp, bresp as u64);
        let r = self.ar_queue.front().filter(|r| r.due <= cycle);
        let beat = r.map(|r| {
            let bb = self.cfg.beat_bytes as u64;
            let addr = r.burst.addr + r.next_beat * bb;
            let data = if r.resp == OKAY {
                self.read(addr, bb as usize)
            } else {
                vec![0; bb as usize]
            };
            (r.burst.id, data, r.resp, r.next_beat + 1 == r.burst.beats)
        });
        self.rvalid = beat.is_some() && (self.rvalid || self.chance());
        set(p.rvalid, self.rvalid as u64);
        let (rid, data, rresp, last) = beat.unwrap_or((0, vec![0; self.cfg.beat_bytes], 0, false));
        set(p.rid, rid);
        p.rdata.set_bytes(&data);
        set(p.rresp, rresp as u64);
        set(p.rlast, last as u64);
    }

    fn check_burst(&mut self, kind: &str, addr: u64, len: u64, size: u64, burst: u64) {
        let bb = self.cfg.beat_bytes as u64;
        let bytes = (len + 1) * bb;
        let c = self.cycle;
        if burst != 1 {
            self.violations
                .push(format!("cycle {c}: {kind} burst type {burst}, not INCR"));
        }
        if 1 << size != bb {
            self.violations.push(format!(
                "cycle {c}: {kind} size {} bytes, not the bus width",
                1u64 << size
            ));
        }
        if addr % bb != 0 {
            self.violations.push(format!(
                "cycle {c}: {kind} address {addr:#x} not beat aligned"
            ));
        }
        if addr >> 12 != (addr + bytes - 1) >> 12 {
            self.violations.push(format!(
                "cycle {c}: {kind} burst {addr:#x}+{bytes} crosses 4 KiB"
            ));
        }
    }

    /// After `eval()`: takes this cycle's handshakes.
    pub fn sample(&mut self, p: &AxiPorts) {
        let cycle = self.cycle;
        self.cycle += 1;
        let bb = self.cfg.beat_bytes as u64;
        let get = |port: &dyn PortRead| port.get_bits(0, port.width().min(64));
        if self.awready && p.awvalid.bit(0) {
            let (addr, len) = (get(p.awaddr), get(p.awlen));
            self.check_burst("AW", addr, len, get(p.awsize), get(p.awburst));
            let burst = Burst {
                id: get(p.awid),
                addr,
                beats: len + 1,
                cycle,
            };
            self.write_bursts.push(burst.clone());
            let resp = self.error_at(addr, (len + 1) * bb);
            self.aw_queue.push_back(WriteBurst {
                burst,
                beats_seen: 0,
                resp,
            });
        }
        if self.wready && p.wvalid.bit(0) {
            let data = p.wdata.get_bytes();
            let strb = p.wstrb.get_bits(0, p.wstrb.width());
            let last = p.wlast.bit(0);
            let wb = self
                .aw_queue
                .front_mut()
                .expect("wready only with an accepted AW");
            let addr = wb.burst.addr + wb.beats_seen * bb;
            wb.beats_seen += 1;
            let is_last = wb.beats_seen == wb.burst.beats;
            let resp = wb.resp;
            if last != is_last {
                let b = wb.burst.clone();
                self.violations.push(format!(
                    "cycle {cycle}: wlast {last} on beat {} of {b:?}",
                    b.beats
                ));
            }
            if resp == OKAY {
                for i in 0..bb {
                    if strb >> i & 1 == 1 {
                        self.write_byte(addr + i, data[i as usize]);
                    }
                }
                self.writes.push(WriteRecord {
                    addr,
                    bytes: data,
                    strb,
                    cycle,
                });
            }
            if is_last {
                let wb = self.aw_queue.pop_front().unwrap();
                let due = cycle + self.cfg.latency;
                self.b_queue.push_back(Response {
                    id: wb.burst.id,
                    resp: wb.resp,
                    due,
                });
            }
        }
        if self.bvalid && p.bready.bit(0) {
            self.b_queue.pop_front();
            self.bvalid = false;
        }
        if self.arready && p.arvalid.bit(0) {
            let (addr, len) = (get(p.araddr), get(p.arlen));
            self.check_burst("AR", addr, len, get(p.arsize), get(p.arburst));
            let burst = Burst {
                id: get(p.arid),
                addr,
                beats: len + 1,
                cycle,
            };
            self.read_bursts.push(burst.clone());
            let resp = self.error_at(addr, (len + 1) * bb);
            let due = cycle + self.cfg.latency;
            self.ar_queue.push_back(ReadBurst {
                burst,
                next_beat: 0,
                resp,
                due,
            });
        }
        if self.rvalid && p.rready.bit(0) {
            let r = self.ar_queue.front_mut().unwrap();
            r.next_beat += 1;
            if r.next_beat == r.burst.beats {
                self.ar_queue.pop_front();
            }
            self.rvalid = false;
        }
    }
}

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

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sim::{PortRead, PortWrite};
use std::collections::{BTreeMap, VecDeque};

/// The write channels of an AXI4 master as the slave sees them.
pub struct AxiWritePorts<'a> {
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
}

/// The read channels of an AXI4 master as the slave sees them.
pub struct AxiReadPorts<'a> {
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

/// The ports of one AXI4 master (either half may be absent): `axi_slave_ports!(dut.m_axi)`,
/// or `axi_slave_ports!(dut.m_axi, write)` / `(.., read)` for a master with one half; `dut`
/// a handle or a view.
pub struct AxiPorts<'a> {
    pub write: Option<AxiWritePorts<'a>>,
    pub read: Option<AxiReadPorts<'a>>,
}

/// [`AxiPorts`] of a model's AXI4 master bundle.
#[macro_export]
macro_rules! axi_slave_ports {
    ($b:expr) => {
        $crate::hostmem::AxiPorts {
            write: Some($crate::__axi_write_ports!($b)),
            read: Some($crate::__axi_read_ports!($b)),
        }
    };
    ($b:expr, write) => {
        $crate::hostmem::AxiPorts {
            write: Some($crate::__axi_write_ports!($b)),
            read: None,
        }
    };
    ($b:expr, read) => {
        $crate::hostmem::AxiPorts {
            write: None,
            read: Some($crate::__axi_read_ports!($b)),
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __axi_write_ports {
    ($b:expr) => {{
        let b = &$b;
        $crate::hostmem::AxiWritePorts {
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
        }
    }};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __axi_read_ports {
    ($b:expr) => {{
        let b = &$b;
        $crate::hostmem::AxiReadPorts {
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
        let set = |port: &dyn PortWrite, v: u64| port.set_bits(0, port.width(), v);
        let cycle = self.cycle;
        if let Some(w) = &p.write {
            let room = self.aw_queue.len() + self.b_queue.len() < self.cfg.max_outstanding;
            self.awready = room && self.chance();
            self.wready = !self.aw_queue.is_empty() && self.chance();
            let b = self
                .b_queue
                .front()
                .filter(|r| r.due <= cycle)
                .map(|r| (r.id, r.resp));
            self.bvalid = b.is_some() && (self.bvalid || self.chance());
            set(w.awready, self.awready as u64);
            set(w.wready, self.wready as u64);
            set(w.bvalid, self.bvalid as u64);
            let (bid, bresp) = b.unwrap_or((0, 0));
            set(w.bid, bid);
            set(w.bresp, bresp as u64);
        }
        if let Some(r) = &p.read {
            self.arready = self.ar_queue.len() < self.cfg.max_outstanding && self.chance();
            set(r.arready, self.arready as u64);
            let front = self.ar_queue.front().filter(|r| r.due <= cycle);
            let beat = front.map(|f| {
                let bb = self.cfg.beat_bytes as u64;
                let addr = f.burst.addr + f.next_beat * bb;
                let data = if f.resp == OKAY {
                    self.read(addr, bb as usize)
                } else {
                    vec![0; bb as usize]
                };
                (f.burst.id, data, f.resp, f.next_beat + 1 == f.burst.beats)
            });
            self.rvalid = beat.is_some() && (self.rvalid || self.chance());
            set(r.rvalid, self.rvalid as u64);
            let (rid, data, rresp, last) =
                beat.unwrap_or((0, vec![0; self.cfg.beat_bytes], 0, false));
            set(r.rid, rid);
            r.rdata.set_bytes(&data);
            set(r.rresp, rresp as u64);
            set(r.rlast, last as u64);
        }
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
        if let Some(w) = &p.write {
            if self.awready && w.awvalid.bit(0) {
                let (addr, len) = (get(w.awaddr), get(w.awlen));
                self.check_burst("AW", addr, len, get(w.awsize), get(w.awburst));
                let burst = Burst {
                    id: get(w.awid),
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
            if self.wready && w.wvalid.bit(0) {
                let data = w.wdata.get_bytes();
                let strb = w.wstrb.get_bits(0, w.wstrb.width());
                let last = w.wlast.bit(0);
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
            if self.bvalid && w.bready.bit(0) {
                self.b_queue.pop_front();
                self.bvalid = false;
            }
        }
        if let Some(r) = &p.read {
            if self.arready && r.arvalid.bit(0) {
                let (addr, len) = (get(r.araddr), get(r.arlen));
                self.check_burst("AR", addr, len, get(r.arsize), get(r.arburst));
                let burst = Burst {
                    id: get(r.arid),
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
            if self.rvalid && r.rready.bit(0) {
                let f = self.ar_queue.front_mut().unwrap();
                f.next_beat += 1;
                if f.next_beat == f.burst.beats {
                    self.ar_queue.pop_front();
                }
                self.rvalid = false;
            }
        }
    }
}

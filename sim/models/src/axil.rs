//! An AXI4-Lite master for testbenches and host models: it issues queued accesses one at a
//! time over a model's `s_axil` ports, with random gaps before each request and random
//! `bready`/`rready` back-pressure, and reports when each request was accepted and answered.
//!
//! It is cycle-stepped so other traffic can run alongside: per cycle call
//! [`AxilMaster::drive`] (sets the inputs), `eval()`, [`AxilMaster::sample`] (sees the
//! handshakes), then `tick()`.

// Pin mirrors and result structs: each field is the port of the same name.
#![allow(missing_docs)]

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sim::{PortRead, PortWrite};
use std::collections::VecDeque;

/// The ports of one AXI4-Lite slave: `axil_master!(dut.s_axil)`, `dut` a handle or a view.
pub struct AxilPorts<'a> {
    pub awaddr: &'a dyn PortWrite,
    pub awprot: &'a dyn PortWrite,
    pub awuser: Option<&'a dyn PortWrite>,
    pub awvalid: &'a dyn PortWrite,
    pub awready: &'a dyn PortRead,
    pub wdata: &'a dyn PortWrite,
    pub wstrb: &'a dyn PortWrite,
    pub wvalid: &'a dyn PortWrite,
    pub wready: &'a dyn PortRead,
    pub bresp: &'a dyn PortRead,
    pub bvalid: &'a dyn PortRead,
    pub bready: &'a dyn PortWrite,
    pub araddr: &'a dyn PortWrite,
    pub arprot: &'a dyn PortWrite,
    pub aruser: Option<&'a dyn PortWrite>,
    pub arvalid: &'a dyn PortWrite,
    pub arready: &'a dyn PortRead,
    pub rdata: &'a dyn PortRead,
    pub rresp: &'a dyn PortRead,
    pub rvalid: &'a dyn PortRead,
    pub rready: &'a dyn PortWrite,
}

/// [`AxilPorts`] of a bundle with `awuser`/`aruser` (the requesting core).
#[macro_export]
macro_rules! axil_master {
    ($b:expr) => {{
        let b = &$b;
        $crate::axil::AxilPorts {
            awaddr: &b.awaddr,
            awprot: &b.awprot,
            awuser: Some(&b.awuser),
            awvalid: &b.awvalid,
            awready: &b.awready,
            wdata: &b.wdata,
            wstrb: &b.wstrb,
            wvalid: &b.wvalid,
            wready: &b.wready,
            bresp: &b.bresp,
            bvalid: &b.bvalid,
            bready: &b.bready,
            araddr: &b.araddr,
            arprot: &b.arprot,
            aruser: Some(&b.aruser),
            arvalid: &b.arvalid,
            arready: &b.arready,
            rdata: &b.rdata,
            rresp: &b.rresp,
            rvalid: &b.rvalid,
            rready: &b.rready,
        }
    }};
}

/// One register access.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Access {
    pub write: bool,
    pub addr: u64,
    pub data: u64,
    pub strb: u8,
    /// AxPROT\[0\].
    pub privileged: bool,
    /// AxUSER: the requesting core.
    pub core: u8,
}

impl Access {
    pub fn read(addr: u64, privileged: bool, core: u8) -> Self {
        Access {
            write: false,
            addr,
            data: 0,
            strb: 0,
            privileged,
            core,
        }
    }
    pub fn write(addr: u64, data: u64, privileged: bool, core: u8) -> Self {
        Access {
            write: true,
            addr,
            data,
            strb: 0xff,
            privileged,
            core,
        }
    }
}

/// An answered access.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    pub access: Access,
    /// BRESP or RRESP.
    pub resp: u8,
    /// RDATA (0 for a write).
    pub data: u64,
    /// Cycle of the address handshake (AW/W together, or AR).
    pub accepted: u64,
    /// Cycle of the response handshake.
    pub answered: u64,
}

/// What the master drove in a cycle (for a reference model fed the same pins).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AxilPins {
    pub awvalid: bool,
    pub awaddr: u64,
    pub awprot: u8,
    pub awuser: u8,
    pub wvalid: bool,
    pub wdata: u64,
    pub wstrb: u8,
    pub bready: bool,
    pub arvalid: bool,
    pub araddr: u64,
    pub arprot: u8,
    pub aruser: u8,
    pub rready: bool,
}

enum Phase {
    /// Waiting this many more cycles before raising valid.
    Gap(u32),
    /// Valid is up; which of AW and W have handshaken (reads use `aw` for AR).
    Request {
        aw: bool,
        w: bool,
    },
    Response {
        accepted: u64,
    },
}

/// See the module docs.
pub struct AxilMaster {
    queue: VecDeque<Access>,
    current: Option<(Access, Phase)>,
    rng: ChaCha8Rng,
    /// Largest random gap before a request, in cycles (0 = back to back).
    pub max_gap: u32,
    /// Probability that `bready`/`rready` is low in a cycle.
    pub stall: f64,
    cycle: u64,
    pins: AxilPins,
}

impl AxilMaster {
    pub fn new(rng: ChaCha8Rng) -> Self {
        AxilMaster {
            queue: VecDeque::new(),
            current: None,
            rng,
            max_gap: 0,
            stall: 0.0,
            cycle: 0,
            pins: AxilPins::default(),
        }
    }

    pub fn push(&mut self, a: Access) {
        self.queue.push_back(a);
    }

    /// No access queued or in flight.
    pub fn idle(&self) -> bool {
        self.queue.is_empty() && self.current.is_none()
    }

    fn start_next(&mut self) {
        if self.current.is_none() {
            if let Some(a) = self.queue.pop_front() {
                let gap = if self.max_gap > 0 {
                    self.rng.gen_range(0..=self.max_gap)
                } else {
                    0
                };
                let phase = if gap == 0 {
                    Phase::Request {
                        aw: false,
                        w: false,
                    }
                } else {
                    Phase::Gap(gap)
                };
                self.current = Some((a, phase));
            }
        }
    }

    /// Sets the master's inputs of the slave for this cycle and returns them.
    pub fn drive(&mut self, p: &AxilPorts) -> AxilPins {
        self.start_next();
        let mut pins = AxilPins::default();
        if let Some((a, Phase::Request { aw, w })) = &self.current {
            let prot = a.privileged as u8;
            if a.write {
                pins.awvalid = !aw;
                pins.wvalid = !w;
                (pins.awaddr, pins.awprot, pins.awuser) = (a.addr, prot, a.core);
                (pins.wdata, pins.wstrb) = (a.data, a.strb);
            } else {
                pins.arvalid = true;
                (pins.araddr, pins.arprot, pins.aruser) = (a.addr, prot, a.core);
            }
        }
        let stall = self.stall;
        pins.bready = !self.rng.gen_bool(stall);
        pins.rready = !self.rng.gen_bool(stall);
        let set = |port: &dyn PortWrite, v: u64| port.set_bits(0, port.width(), v);
        set(p.awvalid, pins.awvalid as u64);
        set(p.awaddr, pins.awaddr);
        set(p.awprot, pins.awprot as u64);
        if let Some(u) = p.awuser {
            set(u, pins.awuser as u64);
        }
        set(p.wvalid, pins.wvalid as u64);
        set(p.wdata, pins.wdata);
        set(p.wstrb, pins.wstrb as u64);
        set(p.bready, pins.bready as u64);
        set(p.arvalid, pins.arvalid as u64);
        set(p.araddr, pins.araddr);
        set(p.arprot, pins.arprot as u64);
        if let Some(u) = p.aruser {
            set(u, pins.aruser as u64);
        }
        set(p.rready, pins.rready as u64);
        self.pins = pins.clone();
        pins
    }

    /// After `eval()`: sees this cycle's handshakes. Returns the access whose address was
    /// accepted in this cycle, if any, and the access answered in this cycle, if any.
    pub fn sample(&mut self, p: &AxilPorts) -> (Option<Access>, Option<Completion>) {
        let cycle = self.cycle;
        self.cycle += 1;
        let mut accepted = None;
        let mut done = None;
        let pins = self.pins.clone();
        match self.current.take() {
            None => {}
            Some((a, Phase::Gap(g))) => {
                let phase = if g <= 1 {
                    Phase::Request {
                        aw: false,
                        w: false,
                    }
                } else {
                    Phase::Gap(g - 1)
                };
                self.current = Some((a, phase));
            }
            Some((a, Phase::Request { aw, w })) => {
                let (aw, w) = if a.write {
                    (aw || p.awready.bit(0), w || p.wready.bit(0))
                } else {
                    (p.arready.bit(0), true)
                };
                if aw && w {
                    accepted = Some(a.clone());
                    self.current = Some((a, Phase::Response { accepted: cycle }));
                } else {
                    self.current = Some((a, Phase::Request { aw, w }));
                }
            }
            Some((a, Phase::Response { accepted: at })) => {
                let (valid, ready) = if a.write {
                    (p.bvalid.bit(0), pins.bready)
                } else {
                    (p.rvalid.bit(0), pins.rready)
                };
                if valid && ready {
                    let resp = if a.write {
                        p.bresp.get_bits(0, 2)
                    } else {
                        p.rresp.get_bits(0, 2)
                    } as u8;
                    let data = if a.write { 0 } else { p.rdata.get_bits(0, 64) };
                    done = Some(Completion {
                        access: a,
                        resp,
                        data,
                        accepted: at,
                        answered: cycle,
                    });
                } else {
                    self.current = Some((a, Phase::Response { accepted: at }));
                }
            }
        }
        (accepted, done)
    }
}

/// [`AxilPorts`] of a bundle without `awuser`/`aruser` (a kernel-only register block).
#[macro_export]
macro_rules! axil_master_no_user {
    ($b:expr) => {{
        let b = &$b;
        $crate::axil::AxilPorts {
            awaddr: &b.awaddr,
            awprot: &b.awprot,
            awuser: None,
            awvalid: &b.awvalid,
            awready: &b.awready,
            wdata: &b.wdata,
            wstrb: &b.wstrb,
            wvalid: &b.wvalid,
            wready: &b.wready,
            bresp: &b.bresp,
            bvalid: &b.bvalid,
            bready: &b.bready,
            araddr: &b.araddr,
            arprot: &b.arprot,
            aruser: None,
            arvalid: &b.arvalid,
            arready: &b.arready,
            rdata: &b.rdata,
            rresp: &b.rresp,
            rvalid: &b.rvalid,
            rready: &b.rready,
        }
    }};
}

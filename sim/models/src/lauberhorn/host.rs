//! A host around a Verilated `lauberhorn_nic`: a kernel that sets it up over AXI4-Lite
//! (addresses, timeout, policy, the service table, each core's scheduling state), the
//! [`Cpu`] on its coherence link running the services' handlers, and a MAC that sends
//! frames and takes the replies and the frames passed on.
//!
//! With [`HostCfg::notify`] set, every core also sends a notification datagram through its
//! TX lines for each request it serves ([`notification`]), and the kernel gives each user
//! core the source port its process may send from (CORE.TX_PORT).
//!
//! With [`HostCfg::dma_ring`] set, the kernel turns the DMA fallback on and gives every
//! service port an accelerated ICT entry with an RX ring in host memory (the NIC's
//! `m_axi` writes land in a [`HostMem`]); cores read `KIND_DMA` requests' arguments from
//! those rings, and the kernel gives the space back: RX_HEAD moves past each record once
//! its request was served, in ring order (`RingHeads`). Each such entry also has a TX ring
//! (as large, at [`DMA_TX_RING_BASE`]) and [`HostCfg::next_hop`] as REMOTE_MAC: a result
//! too large for the lines goes out through it ([`RingSender`]), the record to the caller
//! its RX record names, TX_TAIL written by the kernel's ICT master.
//!
//! The MAC starts a frame only while fewer than [`HostCfg::outstanding`] of the calls it
//! sent (frames [`expects_reply`] says a slot will take) wait for their reply, so a replay
//! measures the NIC, not the overflow of its slots.
//!
//! [`run`], [`try_run`] and [`stream`] run a `lauberhorn_nic` model ([`NicPins`]) on its one
//! clock; their `_on` forms take the ports but the clock, reset and coherence link
//! ([`IoPins`]) and a [`Clocking`] that steps those, a board core's unrelated clocks with a
//! shell model in front of the link among them.

// Fields are the registers' and the frames' own.
#![allow(missing_docs)]

use super::cpu::{
    CohPorts, Cpu, CpuCfg, Datagram, Handler, LoadWait, Request, RingSender, Sends, Served,
};
use super::rx_fate::Way;
use crate::accio::host::write_tx_record_to;
use crate::axil::{Access, AxilMaster, AxilPorts, Completion};
use crate::hostmem::{AxiPorts, HostMem, HostMemCfg, WriteRecord};
use hdl::config::LauberhornConfig;
use hdl::lauberhorn::coherence::{ctrl, tx, KERNEL, USER};
use hdl::lauberhorn::scheduler::mode;
use hdl::regmap::RegMap;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim::axis::{beats_to_frame, frame_to_beats, AxisIn, AxisOut, Beat};
use sim::{Model, PortRead, PortWrite};
use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;
use std::sync::Arc;

/// The ports of a `lauberhorn_nic` model: `lauberhorn_pins!(dut)`.
pub struct NicPins<'a> {
    pub dut: &'a dyn Model,
    pub rst: &'a dyn PortWrite,
    pub coh: CohPorts<'a>,
    pub io: IoPins<'a>,
}

/// The NIC's ports but its clock, reset and coherence link, which a board core has too
/// (its streams named after its MAC's).
pub struct IoPins<'a> {
    pub axil: AxilPorts<'a>,
    /// The ICT's registers and the rings' host memory (the DMA fallback).
    pub ict: AxilPorts<'a>,
    pub mem: AxiPorts<'a>,
    pub rx: AxisIn<'a>,
    pub tx: AxisOut<'a>,
    pub other: AxisOut<'a>,
    /// One interrupt line per core (its CORE.PREEMPT.REQ).
    pub irq: &'a dyn PortRead,
}

/// [`NicPins`] of a `lauberhorn_nic` model handle.
#[macro_export]
macro_rules! lauberhorn_pins {
    ($d:expr) => {
        $crate::lauberhorn::host::NicPins {
            dut: &$d,
            rst: &$d.rst,
            coh: $crate::coh_ports!($d),
            io: $crate::lauberhorn::host::IoPins {
                axil: $crate::axil_master_no_user!($d.s_axil),
                ict: $crate::axil_master!($d.s_axil_ict),
                mem: $crate::axi_slave_ports!($d.m_axi),
                rx: $crate::sim::axis_in!($d.s_axis_rx),
                tx: $crate::sim::axis_out!($d.m_axis_tx),
                other: $crate::sim::axis_out!($d.m_axis_other),
                irq: &$d.irq,
            },
        }
    };
}

/// The sides of the NIC a run works, each on its own clock in a board core: the MAC's
/// streams (`rx`, `tx`), the host's (registers, host memory, `other`, `irq`) and the
/// coherence link.
#[derive(Clone, Copy, Debug)]
pub struct Sides {
    pub mac: bool,
    pub host: bool,
    pub link: bool,
}

impl Sides {
    pub const ALL: Sides = Sides {
        mac: true,
        host: true,
        link: true,
    };
}

/// How a run clocks the NIC and reaches its coherence link: a `lauberhorn_nic` model's one
/// clock and its link pins ([`NicPins`]), or a board core's unrelated clocks with a model
/// of what sits in front of the link (`testbench::boards::enzian`). A run's step is: the
/// inputs of the sides whose clocks ticked last driven (the link's through
/// [`drive_link`]), [`next`], [`eval`], the handshakes of the sides it names sampled (the
/// link's through [`sample_link`]), [`tick`]. A run counts cycles of the host side's
/// clock.
///
/// [`drive_link`]: Clocking::drive_link
/// [`next`]: Clocking::next
/// [`eval`]: Clocking::eval
/// [`sample_link`]: Clocking::sample_link
/// [`tick`]: Clocking::tick
pub trait Clocking {
    /// Holds the NIC in reset and lets it go (the inputs idle).
    fn reset(&mut self);
    /// Moves to the next clock edges: the sides whose clocks rise there.
    fn next(&mut self) -> Sides;
    /// Evaluates the model just before the edges, the inputs as driven.
    fn eval(&mut self);
    /// The edges.
    fn tick(&mut self);
    /// The link as the CPU model sees it.
    fn link(&self) -> CohPorts<'_>;
    /// The link side's inputs for its next edge, the CPU's among them.
    fn drive_link(&mut self, cpu: &mut Cpu);
    /// The link side's handshakes at the edge, the CPU's among them.
    fn sample_link(&mut self, cpu: &mut Cpu);
}

/// A `lauberhorn_nic` model's one clock.
struct OneClock<'p, 'a>(&'p NicPins<'a>);

impl Clocking for OneClock<'_, '_> {
    fn reset(&mut self) {
        self.0.rst.set_bit(0, true);
        self.0.dut.tick().unwrap();
        self.0.rst.set_bit(0, false);
    }

    fn next(&mut self) -> Sides {
        Sides::ALL
    }

    fn eval(&mut self) {
        self.0.dut.eval().unwrap();
    }

    fn tick(&mut self) {
        self.0.dut.tick().unwrap();
    }

    fn link(&self) -> CohPorts<'_> {
        self.0.coh
    }

    fn drive_link(&mut self, cpu: &mut Cpu) {
        cpu.drive(&self.0.coh);
    }

    fn sample_link(&mut self, cpu: &mut Cpu) {
        cpu.sample(&self.0.coh);
    }
}

/// What a service runs for a call: its result bytes for the call's arguments (the reply is
/// SUCCESS). Results larger than the lines go out through a TX ring (a DMA call's only:
/// see [`cpu`](super::cpu)).
pub type Procedure = Arc<dyn Fn(&[u8]) -> Vec<u8> + Send + Sync>;

/// Procedures by name, for the replay's services file (`handler = "echo"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    /// The arguments, unchanged.
    Echo,
    /// The arguments, bytes in reverse order.
    Reverse,
    /// The arguments as big-endian 32-bit XDR integers (a short tail zero-padded); the
    /// result is their sum as one XDR integer (wrapping).
    Sum,
}

impl Builtin {
    /// The name [`from_name`](Self::from_name) takes.
    pub fn name(self) -> &'static str {
        match self {
            Builtin::Echo => "echo",
            Builtin::Reverse => "reverse",
            Builtin::Sum => "sum",
        }
    }

    /// By name: `echo`, `reverse` or `sum`.
    pub fn from_name(name: &str) -> Option<Builtin> {
        match name {
            "echo" => Some(Builtin::Echo),
            "reverse" => Some(Builtin::Reverse),
            "sum" => Some(Builtin::Sum),
            _ => None,
        }
    }

    /// The procedure this name stands for.
    pub fn procedure(self) -> Procedure {
        Arc::new(move |args| self.apply(args))
    }

    pub fn apply(self, args: &[u8]) -> Vec<u8> {
        match self {
            Builtin::Echo => args.to_vec(),
            Builtin::Reverse => args.iter().rev().copied().collect(),
            Builtin::Sum => {
                let s = args.chunks(4).fold(0u32, |a, c| {
                    let mut w = [0u8; 4];
                    w[..c.len()].copy_from_slice(c);
                    a.wrapping_add(u32::from_be_bytes(w))
                });
                s.to_be_bytes().to_vec()
            }
        }
    }
}

/// A service-table entry and the procedure its calls run ([`HostCfg::register`]).
#[derive(Clone)]
pub struct Service {
    pub prog: u32,
    pub vers: u32,
    /// None: any procedure.
    pub proc_: Option<u32>,
    pub port: u16,
    pub process: u32,
    pub func: u64,
    pub data: u64,
    /// The procedure's name, for logs (a [`Builtin`]'s for the replay's services).
    pub name: String,
    pub handler: Procedure,
    /// With the DMA fallback, its port gets an ICT entry and ring (else its too-large calls
    /// find none and are dropped).
    pub ring: bool,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("prog", &self.prog)
            .field("vers", &self.vers)
            .field("proc_", &self.proc_)
            .field("port", &self.port)
            .field("process", &self.process)
            .field("func", &self.func)
            .field("data", &self.data)
            .field("name", &self.name)
            .field("ring", &self.ring)
            .finish_non_exhaustive()
    }
}

/// What a core does: the scheduling state the kernel gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The user dispatch loop of a process.
    User(u32),
    /// The kernel's dispatch loop (requests for processes no core runs).
    Kernel,
    /// Something else: no requests.
    Other,
}

/// Where the cores send their notifications.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Notify {
    pub mac: [u8; 6],
    pub ip: u32,
    pub port: u16,
}

#[derive(Clone, Debug)]
pub struct HostCfg {
    pub local_ip: u32,
    pub local_mac: [u8; 6],
    pub timeout: u64,
    pub reject_to_other: bool,
    /// CTRL.ERROR_REPLIES: unmatched calls are answered with an RFC 5531 error.
    pub error_replies: bool,
    pub services: Vec<Service>,
    pub roles: Vec<Role>,
    pub cpu: CpuCfg,
    /// Probability of an idle cycle before each received beat.
    pub rx_gaps: f64,
    /// Probability the MAC takes a beat of either output in a cycle.
    pub tx_ready: f64,
    pub outstanding: usize,
    /// Cores send a notification per request served, to here.
    pub notify: Option<Notify>,
    /// The DMA fallback, with an RX ring and a TX ring of this many bytes per service port.
    pub dma_ring: Option<u32>,
    /// The MAC of the next hop towards the callers: the destination of the frames the TX
    /// rings send (their entries' REMOTE_MAC).
    pub next_hop: [u8; 6],
    /// Host memory: cycles to a write's response, and the probability of a stall cycle.
    pub mem_latency: u64,
    pub mem_stall: f64,
    /// Per cycle, the probability the kernel preempts a core running a process's user loop
    /// (CORE.PREEMPT.REQ), and retires a core in its dispatch loop (CORE.PREEMPT.RETIRE: a
    /// kernel thread is not preempted), each for a while ([`Stops`]). 0 and 0: never.
    pub preempt: f64,
    pub retire: f64,
}

impl HostCfg {
    /// Registers an RPC service: calls of program `prog`, version `vers` and procedure
    /// `proc_` (None: any) to UDP `port` go to `process`, whose dispatch loop (a core's
    /// user loop, else the kernel's) runs `procedure` on their arguments. The entry's code
    /// and data pointers are made up from its index; with the DMA fallback its port gets a
    /// ring. Returns the service-table entry.
    pub fn register(
        &mut self,
        (prog, vers, proc_): (u32, u32, Option<u32>),
        port: u16,
        process: u32,
        (name, procedure): (&str, impl Fn(&[u8]) -> Vec<u8> + Send + Sync + 'static),
    ) -> usize {
        let i = self.services.len();
        self.services.push(Service {
            prog,
            vers,
            proc_,
            port,
            process,
            func: 0x1000 + i as u64,
            data: 0x2000 + i as u64,
            name: name.to_string(),
            handler: Arc::new(procedure),
            ring: true,
        });
        i
    }
}

/// Host memory of the DMA fallback's rings: ring `i` (the `i`-th distinct service port's
/// ICT entry) at `DMA_RING_BASE + i * DMA_RING_STRIDE`.
pub const DMA_RING_BASE: u64 = 0x1_0000_0000;
pub const DMA_RING_STRIDE: u64 = 0x100_0000;
/// Ring `i`'s TX ring at `DMA_TX_RING_BASE + i * DMA_RING_STRIDE`.
pub const DMA_TX_RING_BASE: u64 = 0x2_0000_0000;

/// The distinct ports of the services with a ring, in order: ICT entry `i` serves
/// `ports[i]`.
pub fn dma_ports(services: &[Service]) -> Vec<u16> {
    let mut ports: Vec<u16> = Vec::new();
    for s in services.iter().filter(|s| s.ring) {
        if !ports.contains(&s.port) {
            ports.push(s.port);
        }
    }
    ports
}

/// Where a `KIND_DMA` request's record is: (ICT entry, ring pointer, footprint in bytes).
pub fn dma_record(control: &[u8]) -> (usize, u64, u64) {
    let word = |k: usize| u64::from_le_bytes(control[8 * k..8 * k + 8].try_into().unwrap());
    let (w0, w4) = (word(0), word(ctrl::DMA_WORD));
    let len = w0 >> ctrl::LEN_LSB & 0xffff;
    let args_at = w4 >> ctrl::DMA_ARGS_LSB & 0xffff;
    let align = hdl::accio::rx_offload::record::ALIGN as u64;
    (
        (w4 & 0xffff) as usize,
        w4 >> ctrl::DMA_RECORD_LSB,
        (args_at + len).div_ceil(align) * align,
    )
}

/// The kernel's side of the DMA fallback's rings: records served, RX_HEAD past those
/// served in ring order (cores may serve them out of order).
#[derive(Default)]
struct RingHeads {
    heads: BTreeMap<usize, u64>,
    served: BTreeMap<(usize, u64), u64>,
}

impl RingHeads {
    /// The RX_HEAD write (entry, value) once request `sv` was served, if it moves one.
    fn update(&mut self, sv: &Served) -> Option<(usize, u64)> {
        let w0 = u64::from_le_bytes(sv.request.control[..8].try_into().unwrap());
        if w0 >> ctrl::KIND_LSB & 3 != ctrl::KIND_DMA {
            return None;
        }
        let (e, at, fp) = dma_record(&sv.request.control);
        self.served.insert((e, at), (at + fp) & 0xffff_ffff);
        let head = self.heads.entry(e).or_insert(0);
        let before = *head;
        while let Some(end) = self.served.remove(&(e, *head)) {
            *head = end;
        }
        (*head != before).then_some((e, *head))
    }
}

/// A `KIND_DMA` request's arguments, from the ring in `mem` its CONTROL line names.
pub fn dma_args(mem: &HostMem, ring_bytes: u32, control: &[u8]) -> Vec<u8> {
    let word = |k: usize| u64::from_le_bytes(control[8 * k..8 * k + 8].try_into().unwrap());
    let (w0, w4) = (word(0), word(ctrl::DMA_WORD));
    let len = w0 >> ctrl::LEN_LSB & 0xffff;
    let (entry, record, _) = dma_record(control);
    let at = record + (w4 >> ctrl::DMA_ARGS_LSB & 0xffff);
    let base = DMA_RING_BASE + entry as u64 * DMA_RING_STRIDE;
    (0..len)
        .map(|i| mem.read_byte(base + (at + i) % u64::from(ring_bytes)))
        .collect()
}

/// The TX rings' producer side: each entry's TX_TAIL, and the doorbells (entry, TX_TAIL)
/// the kernel is still to write.
#[derive(Default)]
pub struct TxRings {
    tails: BTreeMap<usize, u32>,
    pub doorbells: VecDeque<(usize, u32)>,
}

/// The cores' [`RingSender`]: the reply as a TX record (`data_width`-bit engine) to the
/// caller the `KIND_DMA` request's RX record names, in the TX ring of that record's entry.
/// The rings must hold the records of every call the MAC lets wait at once.
pub fn ring_sender(
    mem: Rc<RefCell<HostMem>>,
    rings: Rc<RefCell<TxRings>>,
    ring_bytes: u32,
    data_width: u32,
) -> RingSender {
    use hdl::accio::rx_offload::record as rx;
    Box::new(move |control, reply| {
        let (entry, at, _) = dma_record(control);
        let mut m = mem.borrow_mut();
        let rx_base = DMA_RING_BASE + entry as u64 * DMA_RING_STRIDE;
        let field = |off: usize, n: usize| -> u64 {
            (0..n as u64).fold(0, |v, i| {
                let a = (at + off as u64 + i) % u64::from(ring_bytes);
                v << 8 | u64::from(m.read_byte(rx_base + a))
            })
        };
        let caller = (field(rx::SRC_IP, 4) as u32, field(rx::SRC_PORT, 2) as u16);
        let mut r = rings.borrow_mut();
        let tail = r.tails.entry(entry).or_insert(0);
        let base = DMA_TX_RING_BASE + entry as u64 * DMA_RING_STRIDE;
        *tail = write_tx_record_to(
            &mut m,
            base,
            ring_bytes,
            *tail,
            Some(caller),
            reply,
            data_width,
        );
        let t = *tail;
        r.doorbells.push_back((entry, t));
    })
}

/// What happened.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Frames on `m_axis_tx` (replies, and the notifications the cores sent) and on
    /// `m_axis_other`, in order.
    pub replies: Vec<Vec<u8>>,
    pub notifications: Vec<Vec<u8>>,
    pub others: Vec<Vec<u8>>,
    /// Per core, the requests it served.
    pub served: Vec<Vec<Served>>,
    /// GLOBAL statistics counters by register name.
    pub counters: BTreeMap<String, u64>,
    /// Per frame expecting a reply, in order: the cycle of its last beat in.
    pub last_in: Vec<u64>,
    /// Cycles of each request's CONTROL line reaching its core, and of each reply's first
    /// beat out, in order.
    pub ctrl_at: Vec<u64>,
    pub first_out: Vec<u64>,
    /// Cycles of each TX_TAIL doorbell of a TX ring the NIC took (address and data).
    pub ring_bells: Vec<u64>,
    /// Cycles until every frame was in, every reply out and nothing moved for a while
    /// (the statistics are read after).
    pub cycles: u64,
    /// Error answers on the coherence link.
    pub link_errors: u64,
    /// Lines the cores evicted of their own accord.
    pub evictions: u64,
    /// The kernel's preemptions and retirements.
    pub stops: Stops,
}

/// What the kernel's preemptions and retirements ([`HostCfg::preempt`]) did, as the kernel
/// and the cores saw it (the tests judge it).
#[derive(Clone, Debug, Default)]
pub struct Stops {
    /// TRYAGAINs the cores saw carrying PREEMPT, and RETIRE.
    pub preemptions: u64,
    pub retirements: u64,
    /// Every load a core had answered after the kernel's write stopping it was answered,
    /// until the write letting it go.
    pub loads: Vec<StopLoad>,
    /// (core, cycle): `irq` was not CORE.PREEMPT.REQ as last written (outside the writes'
    /// address-to-response cycles, when it may change).
    pub irq_mismatches: Vec<(usize, u64)>,
}

/// A load answered while its core was stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StopLoad {
    pub core: usize,
    /// RETIRE (else PREEMPT.REQ) stopped the core.
    pub retire: bool,
    pub line: u64,
    /// The NIC took the load after the write's response: the core was stopped by then.
    pub after_stop: bool,
    /// Cycles with no `n2c` beat offered from the write's response to the load's answer,
    /// and from the later of that and the NIC taking the core's last message (the load, or
    /// an answer to an INV the NIC had to wait for: [`LoadWait::settled`]).
    pub idle_since_stop: u64,
    pub idle_since_load: u64,
    pub acknowledges: bool,
    pub answer: StopAnswer,
}

/// How a [`StopLoad`] was answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopAnswer {
    Tryagain {
        preempt: bool,
        retire: bool,
    },
    /// A new request on the expected (or acknowledging) CONTROL line.
    Request,
    /// Anything else: a line of the request being served, a TX buffer.
    Data,
}

/// A core the kernel stopped.
struct Stop {
    retire: bool,
    /// The cycle the setting write was answered.
    set: Option<u64>,
    /// From then on, the kernel lets the core go once it left its loop.
    until: u64,
    clearing: bool,
}

/// The kernel's preemptions and retirements: it stops a core at random with a CORE.PREEMPT
/// write, lets it go (a write of 0) once the core left its loop and its time is up, and
/// resumes it on its endpoint when that write is answered. Its own random stream, so a run
/// without stops keeps the timing it had before they existed.
struct Kernel {
    rng: ChaCha8Rng,
    preempt: f64,
    retire: f64,
    roles: Vec<Role>,
    /// CORE[c].PREEMPT, and its fields' bits.
    addr: Vec<u64>,
    req: u64,
    ret: u64,
    stop: Vec<Option<Stop>>,
    /// REQ as last written, and a write between its address and response handshakes.
    req_now: Vec<bool>,
    writing: Vec<bool>,
    /// Cycles without an `n2c` beat offered, up to each cycle (kept only when the kernel
    /// stops cores).
    idle: Vec<u64>,
    log: Stops,
}

impl Kernel {
    fn new(host: &HostCfg, map: &RegMap, seed: u64) -> Kernel {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(1);
        let reg = map.reg("CORE", "PREEMPT").expect("CORE.PREEMPT");
        let bit = |f: &str| 1 << reg.get_field(f).expect(f).lsb;
        let n = host.roles.len();
        Kernel {
            rng,
            preempt: host.preempt,
            retire: host.retire,
            roles: host.roles.clone(),
            addr: (0..n).map(|c| addr(map, "CORE", c, "PREEMPT")).collect(),
            req: bit("REQ"),
            ret: bit("RETIRE"),
            stop: (0..n).map(|_| None).collect(),
            req_now: vec![false; n],
            writing: vec![false; n],
            idle: vec![0],
            log: Stops::default(),
        }
    }

    /// Cycle `k`: stops a core in its loop (`may`) at random, lets go of those whose time
    /// is up.
    fn schedule(&mut self, k: u64, may: &dyn Fn(usize) -> bool, cpu: &Cpu, mmio: &mut AxilMaster) {
        for c in 0..self.roles.len() {
            match &mut self.stop[c] {
                None if may(c) => {
                    let (p, retire) = match self.roles[c] {
                        Role::User(_) => (self.preempt, false),
                        Role::Kernel => (self.retire, true),
                        Role::Other => (0.0, false),
                    };
                    if p > 0.0 && self.rng.gen_bool(p) {
                        let v = if retire { self.ret } else { self.req };
                        mmio.push(Access::write(self.addr[c], v, true, 0));
                        self.stop[c] = Some(Stop {
                            retire,
                            set: None,
                            until: k + self.rng.gen_range(50..300),
                            clearing: false,
                        });
                    }
                }
                Some(st) if st.set.is_some() && !st.clearing && k >= st.until => {
                    let out = if st.retire {
                        cpu.retired(c)
                    } else {
                        cpu.interrupted(c)
                    };
                    if out {
                        mmio.push(Access::write(self.addr[c], 0, true, 0));
                        st.clearing = true;
                    }
                }
                _ => {}
            }
        }
    }

    /// Cycle `k`, the model settled: `irq` against REQ, the interrupts it raises, and
    /// whether the link idles.
    fn sample(&mut self, k: u64, irq: u64, n2c_valid: bool, cpu: &mut Cpu) {
        for (c, (&want, &writing)) in self.req_now.iter().zip(&self.writing).enumerate() {
            let high = irq >> c & 1 == 1;
            if !writing && high != want {
                self.log.irq_mismatches.push((c, k));
            }
            if high {
                cpu.interrupt(c);
            }
        }
        if self.preempt > 0.0 || self.retire > 0.0 {
            let last = *self.idle.last().unwrap();
            self.idle.push(last + u64::from(!n2c_valid));
        }
    }

    /// Cycle `k`'s register address handshake and answer: the core to resume (and its
    /// endpoint) when the write letting it go was answered.
    fn mmio(
        &mut self,
        k: u64,
        accepted: Option<&Access>,
        done: Option<&Completion>,
    ) -> Option<(usize, u32)> {
        let core = |a: &Access| self.addr.iter().position(|&x| a.write && x == a.addr);
        if let Some(c) = accepted.and_then(core) {
            self.writing[c] = true;
        }
        let d = done?;
        let c = core(&d.access)?;
        self.writing[c] = false;
        self.req_now[c] = d.access.data & self.req != 0;
        let st = self.stop[c].as_mut().expect("a stop in progress");
        if !st.clearing {
            st.set = Some(k);
            return None;
        }
        self.stop[c] = None;
        Some((
            c,
            if self.roles[c] == Role::Kernel {
                KERNEL
            } else {
                USER
            },
        ))
    }

    /// The loads answered in this cycle.
    fn loads(&mut self, waits: &[LoadWait]) {
        for w in waits {
            self.log.preemptions += u64::from(w.tryagain && w.preempt);
            self.log.retirements += u64::from(w.tryagain && w.retire);
            let Some((retire, s)) = self.stop[w.core]
                .as_ref()
                .and_then(|st| st.set.map(|s| (st.retire, s)))
            else {
                continue;
            };
            if w.answered <= s {
                continue;
            }
            let idle = |a: u64| self.idle[w.answered as usize + 1] - self.idle[a as usize + 1];
            let answer = if w.tryagain {
                StopAnswer::Tryagain {
                    preempt: w.preempt,
                    retire: w.retire,
                }
            } else if w.request {
                StopAnswer::Request
            } else {
                StopAnswer::Data
            };
            let load = StopLoad {
                core: w.core,
                retire,
                line: w.line,
                after_stop: w.sent > s,
                idle_since_stop: idle(s),
                idle_since_load: idle(s.max(w.settled)),
                acknowledges: w.acknowledges,
                answer,
            };
            self.log.loads.push(load);
        }
    }
}

/// Address of register `reg` of instance `i` of `block` in the LAUBERHORN map.
pub fn addr(map: &RegMap, block: &str, i: usize, reg: &str) -> u64 {
    let b = map.block(block).expect("a block of the map");
    let r = map.reg(block, reg).expect("a register of the block");
    b.base + b.stride * i as u64 + r.offset
}

/// The kernel's set-up of the NIC for `host`, as register writes (address, value) in
/// order: addresses, timeout, policy, the service table, each core's scheduling state. A
/// core not in a user loop starts in the kernel: `cpu` has its interrupt raised (it waits
/// on its kernel endpoint, or idles).
pub fn kernel_setup(host: &HostCfg, map: &RegMap, cpu: &mut Cpu) -> Vec<(u64, u64)> {
    let g = |r: &str| addr(map, "GLOBAL", 0, r);
    let mut setup = vec![
        (g("LOCAL_IP"), u64::from(host.local_ip)),
        (
            g("LOCAL_MAC"),
            host.local_mac.iter().fold(0, |a, b| a << 8 | u64::from(*b)),
        ),
        (g("TIMEOUT"), host.timeout),
        (g("CTRL"), {
            let ctrl = map.reg("GLOBAL", "CTRL").expect("CTRL");
            let bit = |f: &str, on: bool| u64::from(on) << ctrl.get_field(f).expect(f).lsb;
            bit("REJECT_TO_OTHER", host.reject_to_other)
                | bit("ERROR_REPLIES", host.error_replies)
                | bit("DMA_FALLBACK", host.dma_ring.is_some())
        }),
    ];
    for (i, s) in host.services.iter().enumerate() {
        let a = |r: &str| addr(map, "SERVICE", i, r);
        setup.push((a("MATCH"), u64::from(s.prog) << 32 | u64::from(s.vers)));
        setup.push((a("FUNC"), s.func));
        setup.push((a("DATA"), s.data));
        setup.push((a("PROCESS"), u64::from(s.process)));
        let sel = u64::from(s.proc_.unwrap_or(0)) << 32
            | u64::from(s.port) << 16
            | (s.proc_.is_none() as u64) << 1
            | 1;
        setup.push((a("SELECT"), sel));
    }
    for (c, role) in host.roles.iter().enumerate() {
        let v = match role {
            Role::User(pr) => mode::USER | u64::from(*pr) << 8,
            Role::Kernel => mode::KERNEL,
            Role::Other => mode::OTHER,
        };
        setup.push((addr(map, "CORE", c, "SCHED"), v));
        if let Role::User(pr) = role {
            let port = tx_port(&host.services, *pr);
            setup.push((addr(map, "CORE", c, "TX_PORT"), u64::from(port)));
        }
        if !matches!(role, Role::User(_)) {
            cpu.interrupt(c);
        }
    }
    setup
}

/// The service a call is for, by the table's rule: the lowest enabled entry matching.
pub fn service_of(
    services: &[Service],
    prog: u32,
    vers: u32,
    proc_: u32,
    port: u16,
) -> Option<(usize, &Service)> {
    services.iter().enumerate().find(|(_, s)| {
        s.prog == prog && s.vers == vers && s.port == port && s.proc_.is_none_or(|p| p == proc_)
    })
}

/// The frame is a call the NIC will answer (see [`rx_fate`](super::rx_fate)): a call
/// for a service whose arguments fit the lines (or go through the DMA fallback), or with
/// error replies on, a call no service matches.
pub fn expects_reply(frame: &[u8], host: &HostCfg, lh: &LauberhornConfig) -> bool {
    matches!(
        super::rx_fate::fate(frame, host, lh).way,
        Way::Served { .. } | Way::Error
    )
}

/// The service-table entry a request names.
fn entry_of(r: &Request) -> usize {
    let w3 = u64::from_le_bytes(r.control[24..32].try_into().unwrap());
    (w3 >> ctrl::SERVICE_LSB & 0xff) as usize
}

/// The handler every core runs (the body of the dispatch loop): the service's procedure,
/// by the descriptor's service entry.
pub fn handler(services: &[Service]) -> Handler {
    let table: Vec<Procedure> = services.iter().map(|s| Arc::clone(&s.handler)).collect();
    Box::new(move |_core, r: &Request| {
        let out = table.get(entry_of(r)).map_or_else(Vec::new, |h| h(&r.args));
        (out, 0)
    })
}

/// The source port a process's datagrams come from: its first service's port (the
/// kernel's CORE.TX_PORT for a core running it).
pub fn tx_port(services: &[Service], process: u32) -> u16 {
    services
        .iter()
        .find(|s| s.process == process)
        .map_or(0, |s| s.port)
}

/// The notification a core sends for a request: to `n`, from its process's port, the
/// call's xid (big-endian) then as much of the result as fits the TX line.
pub fn notification(services: &[Service], n: &Notify, r: &Request) -> Datagram {
    let w0 = u64::from_le_bytes(r.control[..8].try_into().unwrap());
    let process = u32::from(r.control[24]) | u32::from(r.control[25]) << 8;
    let result = services
        .get(entry_of(r))
        .map_or_else(Vec::new, |s| (s.handler)(&r.args));
    let mut payload = ((w0 >> ctrl::XID_LSB) as u32).to_be_bytes().to_vec();
    let room = tx::PAYLOAD as usize - payload.len();
    payload.extend(&result[..result.len().min(room)]);
    Datagram {
        payload,
        dst_mac: n.mac.iter().fold(0, |a, b| a << 8 | u64::from(*b)),
        dst_ip: n.ip,
        dst_port: n.port,
        src_port: tx_port(services, process),
    }
}

fn notifier(services: &[Service], n: Notify) -> Sends {
    let services = services.to_vec();
    Box::new(move |_core, r: &Request| vec![notification(&services, &n, r)])
}

/// The frame is addressed to the notifications' IP and port.
fn is_notification(f: &[u8], n: &Notify) -> bool {
    f.len() >= 38 && f[30..34] == n.ip.to_be_bytes() && f[36..38] == n.port.to_be_bytes()
}

/// A run that could not finish: why, and what happened until then (the statistics read
/// after it stopped).
#[derive(Debug)]
pub struct Failed {
    pub why: String,
    pub report: Box<Report>,
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.why)
    }
}

impl std::error::Error for Failed {}

/// Cycles without any frame, reply or request moving after which a run has stalled.
pub const STALL_CYCLES: u64 = 200_000;

/// [`try_run`] for tests: a run that cannot finish panics with the reason.
pub fn run(
    p: &NicPins,
    cfg: &hdl::config::Config,
    host: &HostCfg,
    frames: &[Vec<u8>],
    seed: u64,
) -> Report {
    try_run(p, cfg, host, frames, seed).unwrap_or_else(|f| panic!("{f}"))
}

/// What a stalled run waits for, as far as the host can tell.
fn stall_reason(host: &HostCfg, replies: usize, expected: usize, unsent: usize) -> String {
    let mut why =
        format!("no progress for {STALL_CYCLES} cycles: {replies} of {expected} replies out");
    if unsent > 0 {
        why += &format!(
            ", {unsent} frames not sent (the MAC lets {} calls wait at once)",
            host.outstanding
        );
    }
    let kernel = host.roles.contains(&Role::Kernel);
    let mut unserved: Vec<u32> = host
        .services
        .iter()
        .map(|s| s.process)
        .filter(|p| !kernel && !host.roles.contains(&Role::User(*p)))
        .collect();
    unserved.sort_unstable();
    unserved.dedup();
    if !unserved.is_empty() {
        why += &format!(
            "; calls for process(es) {unserved:?} wait: no core runs them and none is in the kernel"
        );
    }
    why
}

/// Runs `frames` through the NIC built from `cfg` (its `[lauberhorn]` and, for the DMA
/// fallback's ICT, `[ict]`). Fails, with the statistics read, when a core's program cannot
/// go on ([`Cpu::failure`]) or nothing moves for [`STALL_CYCLES`].
pub fn try_run(
    p: &NicPins,
    cfg: &hdl::config::Config,
    host: &HostCfg,
    frames: &[Vec<u8>],
    seed: u64,
) -> Result<Report, Failed> {
    try_run_on(&p.io, &mut OneClock(p), cfg, host, frames, seed)
}

/// [`try_run`] through the ports `io` clocked by `clk` (a board core's).
pub fn try_run_on(
    io: &IoPins,
    clk: &mut dyn Clocking,
    cfg: &hdl::config::Config,
    host: &HostCfg,
    frames: &[Vec<u8>],
    seed: u64,
) -> Result<Report, Failed> {
    let mut c = Collect {
        frames: frames.iter(),
        rep: Report {
            served: vec![Vec::new(); host.roles.len()],
            ..Report::default()
        },
    };
    let end = stream_on(io, clk, cfg, host, &mut c, seed);
    let mut rep = c.rep;
    rep.counters = end.counters;
    rep.cycles = end.cycles;
    rep.link_errors = end.link_errors;
    rep.evictions = end.evictions;
    rep.stops = end.stops;
    match end.stop {
        None => Ok(rep),
        Some(why) => Err(Failed {
            why,
            report: Box::new(rep),
        }),
    }
}

/// What a streamed run sees, as it happens.
pub enum Seen<'a> {
    /// The last beat of a frame [`expects_reply`] says a slot will take went in, at this
    /// cycle.
    CallIn(u64),
    /// A request's CONTROL line reached a core, at this cycle.
    Control(u64),
    /// A reply left on `m_axis_tx`; the cycle of its first beat.
    Reply(Vec<u8>, u64),
    /// A notification (see [`HostCfg::notify`]) left on `m_axis_tx`.
    Notification(Vec<u8>),
    /// A frame left on `m_axis_other`.
    Other(Vec<u8>),
    /// A core served a request.
    Served(Served),
    /// The NIC wrote a beat into host memory (the DMA fallback's rings).
    Write(&'a WriteRecord),
    /// The NIC took a TX_TAIL doorbell of a TX ring (a reply too large for the lines), at
    /// this cycle.
    RingBell(u64),
    /// The kernel moved RX_HEAD of the DMA fallback's ICT entry to this offset.
    Released(usize, u64),
    /// A core's load was answered (the CPU model's record of it).
    Load(&'a LoadWait),
}

/// Where a streamed run's frames come from, and where what it sees goes: [`try_run`]
/// takes a list and collects a [`Report`]; a soak makes and checks them as they come.
pub trait Traffic {
    /// The next frame for the MAC; None when there are no more (or, from a
    /// [`live`](Self::live) source, none now).
    fn next_frame(&mut self) -> Option<Vec<u8>>;
    /// Frames come as they arrive (a network's): no frame now is not the end, and while
    /// nothing is in flight the run is waiting, not stalled. False by default.
    fn live(&self) -> bool {
        false
    }
    /// Frames [`next_frame`](Self::next_frame) still has (for a stall's reason).
    fn unsent(&self) -> usize;
    fn seen(&mut self, s: Seen);
}

/// How a streamed run ended.
#[derive(Clone, Debug, Default)]
pub struct End {
    /// GLOBAL statistics counters by register name.
    pub counters: BTreeMap<String, u64>,
    /// Cycles until every frame was in, every reply out and nothing moved for a while.
    pub cycles: u64,
    pub link_errors: u64,
    /// Lines the cores evicted of their own accord.
    pub evictions: u64,
    pub stops: Stops,
    /// Why the run stopped early (a stall, a core's program that cannot go on), if it did.
    pub stop: Option<String>,
}

/// [`Traffic`] of [`try_run`]: a list of frames in, a [`Report`] out.
struct Collect<'a> {
    frames: std::slice::Iter<'a, Vec<u8>>,
    rep: Report,
}

impl Traffic for Collect<'_> {
    fn next_frame(&mut self) -> Option<Vec<u8>> {
        self.frames.next().cloned()
    }

    fn unsent(&self) -> usize {
        self.frames.len()
    }

    fn seen(&mut self, s: Seen) {
        let r = &mut self.rep;
        match s {
            Seen::CallIn(c) => r.last_in.push(c),
            Seen::Control(c) => r.ctrl_at.push(c),
            Seen::Reply(f, c) => {
                r.replies.push(f);
                r.first_out.push(c);
            }
            Seen::Notification(f) => r.notifications.push(f),
            Seen::Other(f) => r.others.push(f),
            Seen::Served(sv) => r.served[sv.core].push(sv),
            Seen::RingBell(c) => r.ring_bells.push(c),
            Seen::Write(_) | Seen::Released(..) | Seen::Load(_) => {}
        }
    }
}

/// Runs the frames of `traffic` through the NIC built from `cfg`, telling it what happens
/// as it happens. Stops early, with the statistics read, when a core's program cannot go
/// on ([`Cpu::failure`]) or nothing moves for [`STALL_CYCLES`].
pub fn stream(
    p: &NicPins,
    cfg: &hdl::config::Config,
    host: &HostCfg,
    traffic: &mut dyn Traffic,
    seed: u64,
) -> End {
    stream_on(&p.io, &mut OneClock(p), cfg, host, traffic, seed)
}

/// [`stream`] through the ports `p` clocked by `clk` (a board core's). The cycles it counts
/// are the host side's.
pub fn stream_on(
    p: &IoPins,
    clk: &mut dyn Clocking,
    cfg: &hdl::config::Config,
    host: &HostCfg,
    traffic: &mut dyn Traffic,
    seed: u64,
) -> End {
    let lh = &cfg.lauberhorn;
    let map = hdl::lauberhorn::regs::regmap(lh);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut mmio = AxilMaster::new(ChaCha8Rng::seed_from_u64(rng.gen()));
    let mut kernel = Kernel::new(host, &map, seed);
    let mut cpu = Cpu::new(
        host.cpu.clone(),
        handler(&host.services),
        ChaCha8Rng::seed_from_u64(rng.gen()),
    );
    if let Some(n) = host.notify {
        cpu.set_sends(notifier(&host.services, n));
    }
    let mem = Rc::new(RefCell::new(HostMem::new(
        HostMemCfg {
            beat_bytes: p.rx.lanes(),
            latency: host.mem_latency,
            stall: host.mem_stall,
            max_outstanding: 8,
        },
        ChaCha8Rng::seed_from_u64(rng.gen()),
    )));
    let mut ict = AxilMaster::new(ChaCha8Rng::seed_from_u64(rng.gen()));
    let amap = hdl::accio::regs::regmap(&cfg.ict);
    let entry_reg = |i: usize, r: &str| addr(&amap, "ENTRY", i, r);
    let mut rings = RingHeads::default();
    let tx_rings = Rc::new(RefCell::new(TxRings::default()));
    if let Some(bytes) = host.dma_ring {
        let m = Rc::clone(&mem);
        cpu.set_dma_reader(Box::new(move |l| dma_args(&m.borrow(), bytes, l)));
        cpu.set_ring_sender(ring_sender(
            Rc::clone(&mem),
            Rc::clone(&tx_rings),
            bytes,
            8 * p.rx.lanes() as u32,
        ));
        assert!(
            dma_ports(&host.services).len() <= cfg.ict.entries as usize,
            "an ICT entry per service port"
        );
        let e = entry_reg;
        let field =
            |r: &str, f: &str, v: u64| v << amap.reg("ENTRY", r).unwrap().get_field(f).unwrap().lsb;
        for (i, port) in dma_ports(&host.services).into_iter().enumerate() {
            let local = field("LOCAL", "IP", u64::from(host.local_ip))
                | field("LOCAL", "PORT", u64::from(port));
            let ctrl = field("CTRL", "ENABLED", 1)
                | field("CTRL", "ACCELERATED", 1)
                | field("CTRL", "PROTOCOL", 17);
            let mac = host.next_hop.iter().fold(0, |a, b| a << 8 | u64::from(*b));
            for (a, v) in [
                (e(i, "LOCAL"), local),
                (e(i, "REMOTE_MAC"), mac),
                (e(i, "RX_BASE"), DMA_RING_BASE + i as u64 * DMA_RING_STRIDE),
                (e(i, "RX_SIZE"), u64::from(bytes)),
                (e(i, "RX_HEAD"), 0),
                (e(i, "RX_TAIL"), 0),
                (
                    e(i, "TX_BASE"),
                    DMA_TX_RING_BASE + i as u64 * DMA_RING_STRIDE,
                ),
                (e(i, "TX_SIZE"), u64::from(bytes)),
                (e(i, "TX_HEAD"), 0),
                (e(i, "TX_TAIL"), 0),
                (e(i, "CTRL"), ctrl),
            ] {
                ict.push(Access::write(a, v, true, 0));
            }
        }
    }
    let tx_tails: Vec<u64> = (0..cfg.ict.entries as usize)
        .map(|i| entry_reg(i, "TX_TAIL"))
        .collect();
    p.rx.idle();
    clk.reset();
    // The kernel's setup.
    let g = |r: &str| addr(&map, "GLOBAL", 0, r);
    let setup = kernel_setup(host, &map, &mut cpu);
    for (a, v) in &setup {
        mmio.push(Access::write(*a, *v, true, 0));
    }
    // Beats of the frame at the MAC, each with whether it ends a call.
    let mut beats: VecDeque<(Beat, bool)> = VecDeque::new();
    let lanes = p.rx.lanes();
    let (mut calls_in, mut expected, mut replies, mut exhausted) = (0usize, 0usize, 0usize, false);
    let mut end = End::default();
    let (mut txb, mut ob): (Vec<Beat>, Vec<Beat>) = (Vec::new(), Vec::new());
    let mut started = vec![false; host.roles.len()];
    let (mut ctrl_beat, mut ctrl_req) = (0u32, false);
    let (mut setup_done, mut at_boundary) = (false, true);
    let (mut cycle, mut idle) = (0u64, 0u64);
    let mut tx_start = 0u64;
    // The statistics, read once every frame is in, every expected reply out, and nothing
    // moved for long. Every cycle runs the whole system, the cores too: a cycle in which
    // the CPU did not drive the link would send its last beat again.
    let mut stats: Option<VecDeque<&str>> = None;
    // The sides whose inputs to drive (all, before the first edges), the beat offered at
    // the MAC, and whether anything moved in the host side's cycle.
    let mut due = Sides::ALL;
    let mut beat: Option<(Beat, bool)> = None;
    let mut moved = false;
    loop {
        if beats.is_empty() && !exhausted {
            match traffic.next_frame() {
                Some(f) => {
                    let e = expects_reply(&f, host, lh);
                    expected += usize::from(e);
                    let bs = frame_to_beats(&f, lanes, 0);
                    let n = bs.len();
                    beats.extend(
                        bs.into_iter()
                            .enumerate()
                            .map(|(i, b)| (b, e && i + 1 == n)),
                    );
                }
                None => exhausted = !traffic.live(),
            }
        }
        if stats.is_none() && end.stop.is_none() {
            end.stop = cpu.failure().map(str::to_string).or_else(|| {
                (idle >= STALL_CYCLES).then(|| {
                    let unsent = traffic.unsent() + usize::from(!beats.is_empty());
                    stall_reason(host, replies, expected, unsent)
                })
            });
        }
        if stats.is_none()
            && (end.stop.is_some()
                || exhausted
                    && beats.is_empty()
                    && replies >= expected
                    && idle > 4 * host.timeout.max(500))
        {
            let names: VecDeque<&str> = hdl::lauberhorn::regs::STATS.iter().map(|s| s.0).collect();
            for name in &names {
                mmio.push(Access::read(g(name), true, 0));
            }
            stats = Some(names);
            end.cycles = cycle;
        }
        if stats.as_ref().is_some_and(VecDeque::is_empty) {
            break;
        }
        if due.host {
            cycle += 1;
            for (c, role) in host.roles.iter().enumerate() {
                if !started[c] && cpu.interrupted(c) && setup_done {
                    started[c] = true;
                    if *role == Role::Kernel {
                        cpu.resume(c, KERNEL);
                    }
                }
            }
            // No stops once the statistics are read; a kernel core only once in its loop.
            let in_loop = |c: usize| {
                setup_done && stats.is_none() && (started[c] || host.roles[c] != Role::Kernel)
            };
            kernel.schedule(cycle - 1, &in_loop, &cpu, &mut mmio);
        }
        // The cycle as the register master and the CPU count it.
        let k = cycle - 1;
        if due.mac {
            let room = !at_boundary || calls_in.saturating_sub(replies) < host.outstanding;
            beat = if setup_done && room && !rng.gen_bool(host.rx_gaps) {
                beats.front().cloned()
            } else {
                None
            };
            match &beat {
                Some((b, _)) => p.rx.drive(&b.with_unkept(rng.gen())),
                None => p.rx.idle(),
            }
            p.tx.set_ready(rng.gen_bool(host.tx_ready));
        }
        if due.host {
            p.other.set_ready(rng.gen_bool(host.tx_ready));
            mmio.drive(&p.axil);
            ict.drive(&p.ict);
            mem.borrow_mut().drive(&p.mem);
        }
        if due.link {
            clk.drive_link(&mut cpu);
        }
        due = clk.next();
        clk.eval();
        if due.host {
            let irq = p.irq.get_bits(0, host.roles.len() as u32);
            kernel.sample(k, irq, clk.link().n2c_valid.bit(0), &mut cpu);
        }
        if due.mac {
            moved |= beat.is_some();
            if let Some((b, last_call)) = beat.take() {
                beats.pop_front();
                at_boundary = b.last;
                if last_call {
                    calls_in += 1;
                    traffic.seen(Seen::CallIn(cycle));
                }
            }
        }
        for (port, buf, is_tx, due) in [
            (&p.tx, &mut txb, true, due.mac),
            (&p.other, &mut ob, false, due.host),
        ] {
            if due && port.fires() {
                let b = port.beat();
                if buf.is_empty() && is_tx {
                    tx_start = cycle;
                }
                let last = b.last;
                buf.push(b);
                if last {
                    let f = beats_to_frame(buf);
                    buf.clear();
                    traffic.seen(if !is_tx {
                        Seen::Other(f)
                    } else if host.notify.is_some_and(|n| is_notification(&f, &n)) {
                        Seen::Notification(f)
                    } else {
                        replies += 1;
                        Seen::Reply(f, tx_start)
                    });
                }
                moved = true;
            }
        }
        let coh = clk.link();
        if due.link && coh.n2c_valid.bit(0) && coh.n2c_ready.get_bits(0, 1) == 1 {
            let line = coh.n2c_line.get_bits(0, 25);
            if ctrl_beat == 0 && coh.n2c_op.get_bits(0, 3) == 0 && line % 32 < 2 {
                ctrl_req = coh.n2c_data.get_bits(0, 1) == 1;
            }
            ctrl_beat += 1;
            if coh.n2c_last.bit(0) {
                if ctrl_req {
                    traffic.seen(Seen::Control(cycle));
                    moved = true;
                }
                ctrl_beat = 0;
                ctrl_req = false;
            }
        }
        if due.host {
            let (accepted, done) = mmio.sample(&p.axil);
            if let Some((c, ep)) = kernel.mmio(k, accepted.as_ref(), done.as_ref()) {
                cpu.resume(c, ep);
            }
            if let Some(c) = done {
                assert_eq!(c.resp, 0, "register access {:?}", c.access);
                let stat = !c.access.write;
                if let Some(name) = stats
                    .as_mut()
                    .filter(|_| stat)
                    .and_then(VecDeque::pop_front)
                {
                    end.counters.insert(name.to_string(), c.data);
                }
            }
            let (taken, done) = ict.sample(&p.ict);
            if let Some(c) = done {
                assert_eq!(c.resp, 0, "ICT register access {:?}", c.access);
            }
            if taken.is_some_and(|a| setup_done && tx_tails.contains(&a.addr)) {
                traffic.seen(Seen::RingBell(cycle));
            }
            let mut m = mem.borrow_mut();
            m.sample(&p.mem);
            for w in std::mem::take(&mut m.writes) {
                traffic.seen(Seen::Write(&w));
            }
            m.write_bursts.clear();
            m.read_bursts.clear();
            setup_done |= mmio.idle() && ict.idle();
        }
        if due.link {
            clk.sample_link(&mut cpu);
            // Only the kernel and the traffic read the load log; a long run must not keep it.
            for w in &cpu.waits {
                traffic.seen(Seen::Load(w));
            }
            kernel.loads(&cpu.waits);
            cpu.waits.clear();
            for c in 0..host.roles.len() {
                for sv in cpu.take_served(c) {
                    let release = rings.update(&sv);
                    traffic.seen(Seen::Served(sv));
                    if let Some((e, head)) = release {
                        ict.push(Access::write(entry_reg(e, "RX_HEAD"), head, true, 0));
                        traffic.seen(Seen::Released(e, head));
                    }
                }
            }
            while let Some((e, tail)) = tx_rings.borrow_mut().doorbells.pop_front() {
                ict.push(Access::write(
                    entry_reg(e, "TX_TAIL"),
                    u64::from(tail),
                    true,
                    0,
                ));
            }
        }
        clk.tick();
        if due.host {
            let waiting = !exhausted && beats.is_empty() && replies >= expected && traffic.live();
            idle = if moved || !setup_done || waiting {
                0
            } else {
                idle + 1
            };
            moved = false;
        }
    }
    end.link_errors = cpu.link_errors(&clk.link());
    end.evictions = cpu.evictions;
    end.stops = kernel.log;
    let violations = &mem.borrow().violations;
    assert!(violations.is_empty(), "host memory: {violations:?}");
    if let Some(why) = &mut end.stop {
        let dropped: Vec<String> = ["NO_SLOT", "REFUSED", "DMA_DROPPED"]
            .iter()
            .filter_map(|n| {
                end.counters
                    .get(*n)
                    .filter(|v| **v > 0)
                    .map(|v| format!("{n} {v}"))
            })
            .collect();
        if !dropped.is_empty() {
            *why += &format!(
                "; the NIC dropped calls, which are never answered ({})",
                dropped.join(", ")
            );
        }
    }
    end
}

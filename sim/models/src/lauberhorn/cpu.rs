//! A CPU on the coherence link of a Verilated Lauberhorn model: cores running a dispatch
//! loop, their caches, random voluntary evictions, answers to the NIC's invalidations,
//! and an interrupt controller.
//!
//! Each core's program is the loop of the paper's Figure 4: load the expected CONTROL line
//! (the load blocks at the NIC until a request is ready, or returns TRYAGAIN), read the
//! arguments (loading AUX lines as needed), compute the result with the [`Handler`],
//! write it into the CONTROL and AUX lines, and load the other CONTROL line, which
//! acknowledges the request and waits for the next. A TRYAGAIN marked PREEMPT sends the
//! core into its interrupt handler until [`Cpu::resume`]; one marked RETIRE leaves the
//! loop the same way, without an interrupt.
//!
//! Before acknowledging, a core sends the datagrams its [`Sends`] hook asks for through
//! its endpoint's TX lines: load the current TX line (again, while it is a TRYAGAIN), write
//! the message into it, and load the other TX line (the doorbell).
//!
//! A result larger than the lines hold goes out through a TX ring ([`RingSender`]): the
//! core writes the whole reply ([`accepted_reply`]) as a TX record to the caller and rings
//! TX_TAIL when its work is done, then writes only word 0 of its response, with
//! [`ctrl::RING`] set. It needs the caller's address, which only a `KIND_DMA` request's
//! RX record carries (the CONTROL line has no room for it).
//!
//! The caches behave like a write-allocate cache of 128-byte lines with MESI-like states
//! (shared, exclusive clean, modified): a store to a line not held exclusive first
//! fetches it with `RD_EXCL`; every cycle each core evicts one of its lines with
//! probability [`CpuCfg::evict`] (dirty lines with their data); an `INV` is answered after
//! a random delay, with the data if the line is dirty, and with a plain `ACK` if the line
//! is gone. The model asserts the link's rules: a line is granted to at most one core at
//! a time, never twice to the same holder without an upgrade, and every `INV` gets one
//! answer.

// The port fields are the bundles' signals, named as in the Verilog.
#![allow(missing_docs)]

use hdl::lauberhorn::coherence::{
    ctrl, down, line, line_addr, tx, up, ENDPOINT_LINES, LINE_BYTES, USER,
};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sim::{Cycles, PortRead, PortWrite};
use std::collections::{BTreeMap, VecDeque};

/// The coherence ports of a model: `coh_ports!(dut)` for a handle or a view (`dut.view()`)
/// with `c2n`/`n2c` bundles.
#[derive(Clone, Copy)]
pub struct CohPorts<'a> {
    /// The clock of the link's far side (a model's, or a shell model's [`sim::EdgeCount`]):
    /// the CPU checks it runs every cycle that side is clocked.
    pub clock: &'a dyn Cycles,
    pub c2n_valid: &'a dyn PortWrite,
    pub c2n_ready: &'a dyn PortRead,
    pub c2n_op: &'a dyn PortWrite,
    pub c2n_line: &'a dyn PortWrite,
    pub c2n_id: &'a dyn PortWrite,
    pub c2n_data: &'a dyn PortWrite,
    pub c2n_last: &'a dyn PortWrite,
    pub n2c_valid: &'a dyn PortRead,
    pub n2c_ready: &'a dyn PortWrite,
    pub n2c_op: &'a dyn PortRead,
    pub n2c_line: &'a dyn PortRead,
    pub n2c_id: &'a dyn PortRead,
    pub n2c_data: &'a dyn PortRead,
    pub n2c_last: &'a dyn PortRead,
    pub n2c_err: &'a dyn PortRead,
}

/// [`CohPorts`] of a model handle with `c2n` and `n2c` bundles.
#[macro_export]
macro_rules! coh_ports {
    ($d:expr) => {{
        use $crate::sim::Model as _;
        let (u, n) = (&$d.c2n, &$d.n2c);
        $crate::lauberhorn::cpu::CohPorts {
            clock: $d.core(),
            c2n_valid: &u.valid,
            c2n_ready: &u.ready,
            c2n_op: &u.op,
            c2n_line: &u.line,
            c2n_id: &u.id,
            c2n_data: &u.data,
            c2n_last: &u.last,
            n2c_valid: &n.valid,
            n2c_ready: &n.ready,
            n2c_op: &n.op,
            n2c_line: &n.line,
            n2c_id: &n.id,
            n2c_data: &n.data,
            n2c_last: &n.last,
            n2c_err: &n.err,
        }
    }};
}

/// A 128-byte line.
pub type Line = [u8; LINE_BYTES as usize];

/// What the CPU does besides running its programs.
#[derive(Clone, Debug)]
pub struct CpuCfg {
    pub cores: u32,
    /// Bits per link beat.
    pub coh_width: u32,
    /// AUX lines per endpoint.
    pub aux_lines: u32,
    /// Per core and cycle, the probability of evicting one of its lines.
    pub evict: f64,
    /// Probability the CPU takes an `n2c` beat in a cycle.
    pub n2c_ready: f64,
    /// Probability of an idle cycle before each `c2n` beat.
    pub c2n_gaps: f64,
    /// Largest delay, in cycles, before an `INV` is answered.
    pub inv_delay: u32,
    /// Largest number of cycles a handler works before writing its result.
    pub work: u32,
}

/// A request as the handler sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The CONTROL line as loaded (descriptor words and the first arguments).
    pub control: Line,
    /// The argument bytes (`ctrl::LEN` of them, from the CONTROL and AUX lines).
    pub args: Vec<u8>,
}

/// Computes a result from a request: the result bytes and the accept status.
pub type Handler = Box<dyn Fn(usize, &Request) -> (Vec<u8>, u8)>;

/// A UDP datagram a core sends through its TX lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Datagram {
    /// 1 to `tx::PAYLOAD` bytes (the model writes whatever it is given).
    pub payload: Vec<u8>,
    pub dst_mac: u64,
    pub dst_ip: u32,
    pub dst_port: u16,
    pub src_port: u16,
}

impl Datagram {
    /// The TX line holding this message.
    pub fn line(&self) -> Line {
        let mut l: Line = [0; LINE_BYTES as usize];
        let n = self.payload.len().min(tx::PAYLOAD as usize);
        l[..n].copy_from_slice(&self.payload[..n]);
        let a = self.dst_mac | (self.payload.len() as u64) << tx::LEN_LSB;
        let p = u64::from(self.dst_ip)
            | u64::from(self.dst_port) << tx::DST_PORT_LSB
            | u64::from(self.src_port) << tx::SRC_PORT_LSB;
        l[tx::ADDR_WORD * 8..tx::ADDR_WORD * 8 + 8].copy_from_slice(&a.to_le_bytes());
        l[tx::PORT_WORD * 8..tx::PORT_WORD * 8 + 8].copy_from_slice(&p.to_le_bytes());
        l
    }
}

/// The datagrams a core sends while serving a request (before acknowledging it).
pub type Sends = Box<dyn Fn(usize, &Request) -> Vec<Datagram>>;

/// Reads a `KIND_DMA` request's arguments from the ICT ring its CONTROL line names (host
/// memory is the host's).
pub type DmaReader = Box<dyn Fn(&Line) -> Vec<u8>>;

/// Sends the reply to a `KIND_DMA` request (its CONTROL line) through the TX ring of the ICT
/// entry whose RX ring held the call: writes the reply's UDP payload as a TX record to the
/// caller the RX record names, and rings TX_TAIL (host memory and the ICT's registers are
/// the host's).
pub type RingSender = Box<dyn Fn(&Line, &[u8])>;

/// The UDP payload of an accepted ONC-RPC reply (RFC 5531): `xid`, REPLY, MSG_ACCEPTED, an
/// AUTH_NONE verifier, `accept_stat`, then the results as they are.
pub fn accepted_reply(xid: u32, accept_stat: u8, results: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(24 + results.len());
    for word in [xid, 1, 0, 0, 0, u32::from(accept_stat)] {
        p.extend(word.to_be_bytes());
    }
    p.extend(results);
    p
}

/// One request a core served, for the tests and the replay's dispatch log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Served {
    pub core: usize,
    /// `USER` or `KERNEL`.
    pub endpoint: u32,
    pub request: Request,
    /// Cycle the CONTROL line's load was answered with the request.
    pub cycle: u64,
    /// The datagrams it sent through the TX lines while serving it.
    pub sends: Vec<Datagram>,
}

/// A held load, for the timeout checks: which line, and how long it waited.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadWait {
    pub core: usize,
    pub line: u64,
    /// Cycle the NIC took the request, and the cycle its answer's last beat arrived.
    pub sent: u64,
    pub answered: u64,
    /// Cycle the NIC took the core's last message before the answer: the load, or a later
    /// answer to an INV (the NIC waits for those before it answers the load).
    pub settled: u64,
    pub tryagain: bool,
    pub preempt: bool,
    pub retire: bool,
    /// The load acknowledged a request (its wait began with collecting the response).
    pub acknowledges: bool,
    /// A load of the expected CONTROL line (or an acknowledging one) answered with a new
    /// request, not a reload of the one being served.
    pub request: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Shared,
    Exclusive,
    Modified,
}

struct Msg {
    op: u64,
    line: u64,
    core: usize,
    data: Option<Line>,
}

/// Where a core's program is.
#[derive(Clone, Debug)]
enum Pc {
    /// Load the expected CONTROL line of `endpoint`.
    Fetch,
    /// Read argument line `k` (0 = the CONTROL line) of the current request.
    ReadArgs(u32),
    /// Working until a cycle, then writing.
    Work(u64),
    /// Store result line `k` (0 = the CONTROL line).
    Write(u32),
    /// Send datagram `k`: load the current TX line, write the message into it.
    Send(usize),
    /// Ring the doorbell of datagram `k`: load the other TX line.
    Bell(usize),
    /// Load the other CONTROL line: the acknowledgement and the next request's load.
    Ack,
    /// In the interrupt handler (preempted), until resumed.
    Interrupted,
    /// Out of the dispatch loop (retired), until resumed.
    Retired,
}

struct Core {
    cache: BTreeMap<u64, (State, Line)>,
    /// INV answers waiting for their cycle.
    answers: VecDeque<(u64, u64)>,
    pc: Pc,
    endpoint: u32,
    /// Per endpoint (user, kernel), the CONTROL line the next request comes on, and the
    /// current TX line.
    parity: [u32; 2],
    tx_parity: [u32; 2],
    /// The line this core waits for (an outstanding miss) and since when.
    miss: Option<(u64, bool, u64)>,
    /// The outstanding miss is an acknowledging load.
    acking: bool,
    /// The cycle the NIC took this core's last message.
    last_up: u64,
    /// A new request arrived and the program has not taken it yet: if the line is evicted
    /// before then, the next load of it is a reload, not a new request.
    unread: bool,
    request: Option<Request>,
    result: Vec<u8>,
    status: u8,
    /// A reply for the TX ring, sent when the work is done; then the response says RING.
    ring: Option<Vec<u8>>,
    by_ring: bool,
    sends: Vec<Datagram>,
    served: Vec<Served>,
}

/// The CPU.
pub struct Cpu {
    cfg: CpuCfg,
    rng: ChaCha8Rng,
    handler: Handler,
    sender: Option<Sends>,
    dma_reader: Option<DmaReader>,
    ring_sender: Option<RingSender>,
    cores: Vec<Core>,
    /// The ordered CPU-to-NIC channel, and the beat of its head being sent.
    up: VecDeque<Msg>,
    up_beat: u32,
    up_driven: bool,
    /// Beats of the NIC-to-CPU message being received.
    down: Vec<u8>,
    /// Which core holds each line (the link's single-owner rule).
    owner: BTreeMap<u64, usize>,
    /// INVs sent to a core and not answered yet, per line.
    inv_open: BTreeMap<(usize, u64), u32>,
    /// Pending interrupts per core.
    irq: Vec<bool>,
    pub waits: Vec<LoadWait>,
    /// Error answers (protocol violations the NIC saw).
    errors: u64,
    /// Voluntary evictions sent (for the tests' coverage).
    pub evictions: u64,
    /// Why a core stopped: a program that cannot go on (see [`Cpu::failure`]).
    failure: Option<String>,
    cycle: u64,
    /// The model's clock when the CPU last sampled the link.
    sampled_at: Option<u64>,
}

impl Cpu {
    pub fn new(cfg: CpuCfg, handler: Handler, rng: ChaCha8Rng) -> Cpu {
        let cores = (0..cfg.cores)
            .map(|_| Core {
                cache: BTreeMap::new(),
                answers: VecDeque::new(),
                pc: Pc::Fetch,
                endpoint: USER,
                parity: [0; 2],
                tx_parity: [0; 2],
                miss: None,
                acking: false,
                unread: false,
                last_up: 0,
                request: None,
                result: Vec::new(),
                status: 0,
                ring: None,
                by_ring: false,
                sends: Vec::new(),
                served: Vec::new(),
            })
            .collect();
        Cpu {
            irq: vec![false; cfg.cores as usize],
            cfg,
            rng,
            handler,
            sender: None,
            dma_reader: None,
            ring_sender: None,
            cores,
            up: VecDeque::new(),
            up_beat: 0,
            up_driven: false,
            down: Vec::new(),
            owner: BTreeMap::new(),
            failure: None,
            inv_open: BTreeMap::new(),
            waits: Vec::new(),
            errors: 0,
            evictions: 0,
            cycle: 0,
            sampled_at: None,
        }
    }

    fn beats(&self) -> u32 {
        LINE_BYTES * 8 / self.cfg.coh_width
    }

    /// Every core sends the datagrams `sends` asks for with each request it serves.
    pub fn set_sends(&mut self, sends: Sends) {
        self.sender = Some(sends);
    }

    /// Cores read the arguments of `KIND_DMA` requests with `reader`.
    pub fn set_dma_reader(&mut self, reader: DmaReader) {
        self.dma_reader = Some(reader);
    }

    /// Cores send results too large for the lines with `sender`.
    pub fn set_ring_sender(&mut self, sender: RingSender) {
        self.ring_sender = Some(sender);
    }

    /// Raises `core`'s interrupt (the kernel preempting it).
    pub fn interrupt(&mut self, core: usize) {
        self.irq[core] = true;
    }

    /// Returns `core` from its interrupt handler (or retirement) to the dispatch loop of
    /// `endpoint`. Like a kernel re-entering the loop, it first flushes the CONTROL lines
    /// from its cache: the TRYAGAIN that sent it away may still be there (until the NIC
    /// takes it back), and must not send it away again.
    pub fn resume(&mut self, core: usize, endpoint: u32) {
        assert!(
            matches!(self.cores[core].pc, Pc::Interrupted | Pc::Retired),
            "core {core} is not interrupted or retired"
        );
        let stale: Vec<u64> = self.cores[core]
            .cache
            .keys()
            .copied()
            .filter(|&l| is_control(l))
            .collect();
        for l in stale {
            self.give_back(core, l, up::EVICT_CLEAN, up::EVICT_DIRTY);
        }
        let c = &mut self.cores[core];
        self.irq[core] = false;
        c.endpoint = endpoint;
        c.pc = Pc::Fetch;
    }

    /// The core is in its interrupt handler.
    pub fn interrupted(&self, core: usize) -> bool {
        matches!(self.cores[core].pc, Pc::Interrupted)
    }

    /// Where `core`'s program is and what it waits for, for a stuck run's message.
    pub fn describe(&self, core: usize) -> String {
        let c = &self.cores[core];
        format!(
            "core {core}: {:?} on endpoint {}, miss {:?}, holds {:x?}",
            c.pc,
            c.endpoint,
            c.miss,
            c.cache.keys().collect::<Vec<_>>()
        )
    }

    /// The core left its dispatch loop on a RETIRE.
    pub fn retired(&self, core: usize) -> bool {
        matches!(self.cores[core].pc, Pc::Retired)
    }

    /// Why a core's program stopped, if one did: a handler's result larger than the lines
    /// hold that cannot go through a TX ring (no [`RingSender`], or an inline request, whose
    /// caller the core does not know). That core stays out of its loop.
    pub fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }

    /// Requests each core served, in order, since the last [`take_served`](Self::take_served).
    pub fn served(&self, core: usize) -> &[Served] {
        &self.cores[core].served
    }

    /// The requests core `core` served since the last call (a long run's memory stays
    /// bounded).
    pub fn take_served(&mut self, core: usize) -> Vec<Served> {
        std::mem::take(&mut self.cores[core].served)
    }

    /// Nothing in flight on the link and no answer pending.
    pub fn quiet(&self) -> bool {
        self.up.is_empty() && self.down.is_empty() && self.inv_open.is_empty()
    }

    fn ep_index(&self, core: usize, endpoint: u32) -> u32 {
        2 * core as u32 + endpoint
    }

    /// Drives the link for this cycle. The CPU must drive and sample the link in every
    /// cycle the model is clocked once it has started: a cycle without it would present
    /// the last `c2n` beat again, which the NIC rightly takes as a second message (a
    /// harness that once read the statistics this way saw phantom protocol violations).
    pub fn drive(&mut self, p: &CohPorts) {
        self.check_clock(p, 1);
        p.n2c_ready
            .set_bit(0, self.rng.gen_bool(self.cfg.n2c_ready));
        let beats = self.beats();
        // A message's beats go back to back once started; gaps come before it.
        let go = self.up_beat > 0 || !self.rng.gen_bool(self.cfg.c2n_gaps);
        self.up_driven = false;
        match self.up.front() {
            Some(msg) if go => {
                let bytes = (self.cfg.coh_width / 8) as usize;
                let b = self.up_beat as usize;
                let n = if msg.data.is_some() { beats } else { 1 };
                p.c2n_valid.set_bit(0, true);
                p.c2n_op.set_bits(0, 3, msg.op);
                p.c2n_line.set_bits(0, p.c2n_line.width(), msg.line);
                p.c2n_id.set_bits(0, p.c2n_id.width(), msg.core as u64);
                match &msg.data {
                    Some(d) => p.c2n_data.set_bytes(&d[b * bytes..(b + 1) * bytes]),
                    None => p.c2n_data.set_bytes(&[]),
                }
                p.c2n_last.set_bit(0, self.up_beat + 1 == n);
                self.up_driven = true;
            }
            _ => p.c2n_valid.set_bit(0, false),
        }
    }

    /// Panics unless the model was clocked `ticks` times since the CPU last sampled the link.
    fn check_clock(&self, p: &CohPorts, ticks: u64) {
        if let Some(at) = self.sampled_at {
            let now = p.clock.cycle();
            assert_eq!(
                now - at,
                ticks,
                "the model was clocked {} times since the CPU last sampled the coherence \
                 link: drive and sample it every cycle",
                now - at
            );
        }
    }

    /// Error answers on the link (protocol violations the NIC saw) in a run that ends now:
    /// the CPU must have run up to the model's last clock edge (see [`Cpu::drive`]).
    pub fn link_errors(&self, p: &CohPorts) -> u64 {
        self.check_clock(p, 1);
        self.errors
    }

    /// Samples the link after the model settled, then runs every core for one cycle.
    pub fn sample(&mut self, p: &CohPorts) {
        self.sampled_at = Some(p.clock.cycle());
        if self.up_driven && p.c2n_ready.bit(0) {
            let msg = self.up.front().unwrap();
            let n = if msg.data.is_some() { self.beats() } else { 1 };
            self.up_beat += 1;
            if self.up_beat == n {
                self.up_beat = 0;
                let msg = self.up.pop_front().unwrap();
                let c = &mut self.cores[msg.core];
                c.last_up = self.cycle;
                if msg.op <= up::RD_EXCL {
                    if let Some((l, _, t)) = &mut c.miss {
                        if *l == msg.line {
                            *t = self.cycle;
                        }
                    }
                }
            }
        }
        if p.n2c_valid.bit(0) && p.n2c_ready.get_bits(0, 1) == 1 {
            self.down.extend(p.n2c_data.get_bytes());
            if p.n2c_last.bit(0) {
                let op = p.n2c_op.get_bits(0, 3);
                let line = p.n2c_line.get_bits(0, p.n2c_line.width());
                let core = p.n2c_id.get_bits(0, p.n2c_id.width()) as usize;
                let err = p.n2c_err.bit(0);
                let data = std::mem::take(&mut self.down);
                self.receive(op, line, core, err, data);
            }
        }
        for core in 0..self.cores.len() {
            self.step(core);
        }
        self.cycle += 1;
    }

    fn receive(&mut self, op: u64, line: u64, core: usize, err: bool, data: Vec<u8>) {
        assert!(
            core < self.cores.len(),
            "n2c to core {core}, which does not exist"
        );
        match op {
            down::DATA => {
                assert_eq!(
                    data.len(),
                    LINE_BYTES as usize,
                    "DATA of line {line:#x}: a whole line"
                );
                let c = &mut self.cores[core];
                let Some((want, excl, sent)) = c.miss else {
                    panic!("core {core}: DATA for line {line:#x} it did not ask for");
                };
                assert_eq!(
                    want, line,
                    "core {core}: DATA for line {line:#x}, asked for {want:#x}"
                );
                c.miss = None;
                let mut l: Line = [0; LINE_BYTES as usize];
                l.copy_from_slice(&data);
                let w0 = u64::from_le_bytes(l[..8].try_into().unwrap());
                let tryagain = !err
                    && if is_tx(line) {
                        tx_tryagain(&l)
                    } else {
                        is_control(line) && w0 >> ctrl::VALID & 1 == 0
                    };
                let request = !err && !tryagain && matches!(c.pc, Pc::Fetch | Pc::Ack) && !c.unread;
                self.waits.push(LoadWait {
                    core,
                    line,
                    sent,
                    answered: self.cycle,
                    settled: c.last_up,
                    tryagain,
                    preempt: tryagain && w0 >> ctrl::PREEMPT & 1 == 1,
                    retire: tryagain && w0 >> ctrl::RETIRE & 1 == 1,
                    acknowledges: c.acking && !c.unread,
                    request,
                });
                c.unread |= request;
                c.acking = false;
                if err {
                    self.errors += 1;
                    return;
                }
                match (self.owner.get(&line), c.cache.get(&line)) {
                    (Some(&o), _) if o != core => {
                        panic!("line {line:#x} granted to core {core} while core {o} holds it")
                    }
                    (_, Some((State::Shared, _))) if excl => {} // an upgrade
                    (_, Some(_)) => panic!("line {line:#x} granted twice to core {core}"),
                    _ => {}
                }
                self.owner.insert(line, core);
                let st = if excl {
                    State::Exclusive
                } else {
                    State::Shared
                };
                c.cache.insert(line, (st, l));
            }
            down::INV => {
                *self.inv_open.entry((core, line)).or_default() += 1;
                let d = self.rng.gen_range(0..=self.cfg.inv_delay) as u64;
                self.cores[core].answers.push_back((self.cycle + d, line));
            }
            _ => panic!("n2c opcode {op} is not defined"),
        }
    }

    /// The line leaves `core`'s cache with message `op` (an eviction or an INV answer).
    fn give_back(&mut self, core: usize, line: u64, clean: u64, dirty: u64) {
        let msg = match self.cores[core].cache.remove(&line) {
            Some((st, data)) => {
                assert_eq!(self.owner.remove(&line), Some(core));
                match st {
                    State::Modified => Msg {
                        op: dirty,
                        line,
                        core,
                        data: Some(data),
                    },
                    _ => Msg {
                        op: clean,
                        line,
                        core,
                        data: None,
                    },
                }
            }
            None => Msg {
                op: clean,
                line,
                core,
                data: None,
            },
        };
        self.up.push_back(msg);
    }

    fn step(&mut self, core: usize) {
        // INV answers that are due.
        while let Some(&(at, line)) = self.cores[core].answers.front() {
            if at > self.cycle {
                break;
            }
            self.cores[core].answers.pop_front();
            let open = self
                .inv_open
                .get_mut(&(core, line))
                .expect("an answer has its INV");
            *open -= 1;
            if *open == 0 {
                self.inv_open.remove(&(core, line));
            }
            self.give_back(core, line, up::ACK, up::ACK_DATA);
        }
        // A voluntary eviction of one of its lines, at random; never of a shared line
        // being upgraded (a cache keeps a line with an outstanding request).
        if self.rng.gen_bool(self.cfg.evict) && !self.cores[core].cache.is_empty() {
            let c = &self.cores[core];
            let k = self.rng.gen_range(0..c.cache.len());
            let line = *c.cache.keys().nth(k).unwrap();
            if c.miss.is_none_or(|(l, _, _)| l != line) {
                self.give_back(core, line, up::EVICT_CLEAN, up::EVICT_DIRTY);
                self.evictions += 1;
            }
        }
        if self.cores[core].miss.is_some() {
            return;
        }
        let ep = self.ep_index(core, self.cores[core].endpoint);
        let par = self.cores[core].parity[self.cores[core].endpoint as usize];
        let ctrl_line = |p: u32| line_addr(ep, line::control(p));
        let line_k = |k: u32| {
            if k == 0 {
                ctrl_line(par)
            } else {
                line_addr(ep, line::aux(k - 1))
            }
        };
        let tx_line = |p: u32| line_addr(ep, line::tx(p));
        let tpar = self.cores[core].tx_parity[self.cores[core].endpoint as usize];
        let pc = self.cores[core].pc.clone();
        match pc {
            Pc::Interrupted | Pc::Retired => {}
            Pc::Fetch | Pc::Ack => {
                if self.irq[core] && matches!(pc, Pc::Fetch) {
                    self.cores[core].pc = Pc::Interrupted;
                    return;
                }
                let l = if matches!(pc, Pc::Ack) {
                    ctrl_line(1 - par)
                } else {
                    ctrl_line(par)
                };
                self.cores[core].acking = matches!(pc, Pc::Ack);
                let Some(data) = self.load(core, l, true) else {
                    return;
                };
                self.cores[core].unread = false;
                if matches!(pc, Pc::Ack) {
                    let c = &mut self.cores[core];
                    c.parity[c.endpoint as usize] ^= 1;
                }
                let w0 = u64::from_le_bytes(data[..8].try_into().unwrap());
                if w0 >> ctrl::VALID & 1 == 0 {
                    // TRYAGAIN: load the (same) expected line again, take the interrupt, or
                    // leave the loop.
                    let c = &mut self.cores[core];
                    c.pc = if w0 >> ctrl::PREEMPT & 1 == 1 || self.irq[core] {
                        Pc::Interrupted
                    } else if w0 >> ctrl::RETIRE & 1 == 1 {
                        Pc::Retired
                    } else {
                        Pc::Fetch
                    };
                    return;
                }
                let len = (w0 >> ctrl::LEN_LSB & 0xffff) as usize;
                // A DMA request's arguments are in its ring, not the lines.
                let args = if w0 >> ctrl::KIND_LSB & 3 == ctrl::KIND_DMA {
                    let read = self
                        .dma_reader
                        .as_ref()
                        .expect("host memory for DMA requests");
                    let a = read(&data);
                    assert_eq!(a.len(), len, "core {core}: the DMA request's arguments");
                    a
                } else {
                    Vec::with_capacity(len)
                };
                let c = &mut self.cores[core];
                c.request = Some(Request {
                    control: data,
                    args,
                });
                c.pc = Pc::ReadArgs(0);
            }
            Pc::ReadArgs(k) => {
                let req = self.cores[core].request.clone().unwrap();
                let w0 = u64::from_le_bytes(req.control[..8].try_into().unwrap());
                let len = (w0 >> ctrl::LEN_LSB & 0xffff) as usize;
                if req.args.len() < len {
                    let excl = self.rng.gen_bool(0.5);
                    let Some(data) = self.load(core, line_k(k), excl) else {
                        return;
                    };
                    let from = if k == 0 { ctrl::DATA as usize } else { 0 };
                    let take = (len - req.args.len()).min(LINE_BYTES as usize - from);
                    let req = self.cores[core].request.as_mut().unwrap();
                    req.args.extend_from_slice(&data[from..from + take]);
                    self.cores[core].pc = Pc::ReadArgs(k + 1);
                    return;
                }
                let (result, status) = (self.handler)(core, &req);
                let max = (ctrl::RESULT_INLINE + LINE_BYTES * self.cfg.aux_lines) as usize;
                let xid = (w0 >> ctrl::XID_LSB) as u32;
                let dma = w0 >> ctrl::KIND_LSB & 3 == ctrl::KIND_DMA;
                if result.len() > max && !(dma && self.ring_sender.is_some()) {
                    self.failure = Some(format!(
                        "core {core}: the result for xid {xid:#010x} is {} bytes, more than the \
                         {max} the CONTROL and AUX lines hold, and {}",
                        result.len(),
                        if dma {
                            "the host gave no TX ring"
                        } else {
                            "only a DMA request's record names the caller a TX ring record needs"
                        }
                    ));
                    self.cores[core].pc = Pc::Retired;
                    return;
                }
                let ring = (result.len() > max).then(|| accepted_reply(xid, status, &result));
                let sends = self.sender.as_ref().map_or(Vec::new(), |f| f(core, &req));
                let endpoint = self.cores[core].endpoint;
                let work = self.rng.gen_range(0..=self.cfg.work) as u64;
                let cycle = self.cycle;
                let c = &mut self.cores[core];
                c.served.push(Served {
                    core,
                    endpoint,
                    request: req,
                    cycle,
                    sends: sends.clone(),
                });
                c.result = result;
                c.status = status;
                c.ring = ring;
                c.sends = sends;
                c.pc = Pc::Work(cycle + work);
            }
            Pc::Work(until) => {
                if self.cycle >= until {
                    let c = &mut self.cores[core];
                    if let Some(reply) = c.ring.take() {
                        let control = c.request.as_ref().unwrap().control;
                        (self.ring_sender.as_ref().unwrap())(&control, &reply);
                        c.by_ring = true;
                    }
                    c.pc = Pc::Write(0);
                }
            }
            Pc::Write(k) => {
                let c = &self.cores[core];
                let inline = ctrl::RESULT_INLINE as usize;
                let lines = if c.by_ring {
                    1
                } else {
                    1 + c
                        .result
                        .len()
                        .saturating_sub(inline)
                        .div_ceil(LINE_BYTES as usize)
                };
                if k as usize == lines {
                    let c = &mut self.cores[core];
                    c.by_ring = false;
                    c.pc = next_send(&c.sends, 0);
                    return;
                }
                let mut bytes = vec![0u8; LINE_BYTES as usize];
                let (from, to) = if c.by_ring {
                    bytes[..8].copy_from_slice(&(1u64 << ctrl::RING).to_le_bytes());
                    (0, 0)
                } else if k == 0 {
                    let w0 = (c.result.len() as u64) << ctrl::LEN_LSB
                        | u64::from(c.status) << ctrl::STAT_LSB;
                    bytes[..8].copy_from_slice(&w0.to_le_bytes());
                    (0, inline.min(c.result.len()))
                } else {
                    let s = inline + (k as usize - 1) * LINE_BYTES as usize;
                    (s, (s + LINE_BYTES as usize).min(c.result.len()))
                };
                let at = if k == 0 { ctrl::RESULT as usize } else { 0 };
                bytes[at..at + to - from].copy_from_slice(&c.result[from..to]);
                if self.store(core, line_k(k), &bytes) {
                    self.cores[core].pc = Pc::Write(k + 1);
                }
            }
            Pc::Send(k) => {
                let msg = self.cores[core].sends[k].line();
                // The line is the buffer only if the load was not answered TRYAGAIN; a
                // TRYAGAIN stays in the cache until the NIC takes it back. (A doorbell
                // that hit in the cache left `acking` set.)
                self.cores[core].acking = false;
                let Some(data) = self.load(core, tx_line(tpar), true) else {
                    return;
                };
                if tx_tryagain(&data) {
                    return;
                }
                assert!(self.store(core, tx_line(tpar), &msg));
                self.cores[core].pc = Pc::Bell(k);
            }
            Pc::Bell(k) => {
                self.cores[core].acking = true;
                if self.load(core, tx_line(1 - tpar), true).is_none() {
                    return;
                }
                let c = &mut self.cores[core];
                c.tx_parity[c.endpoint as usize] ^= 1;
                c.pc = next_send(&c.sends, k + 1);
            }
        }
    }

    /// A load: the line if it is in the cache (exclusively, if `excl`), else a miss is sent.
    fn load(&mut self, core: usize, l: u64, excl: bool) -> Option<Line> {
        let c = &mut self.cores[core];
        match c.cache.get(&l) {
            Some((st, data)) if !excl || *st != State::Shared => Some(*data),
            _ => {
                let op = if excl { up::RD_EXCL } else { up::RD_SHARED };
                c.miss = Some((l, excl, self.cycle));
                self.up.push_back(Msg {
                    op,
                    line: l,
                    core,
                    data: None,
                });
                None
            }
        }
    }

    /// A store of a whole line: done if the line is held exclusively, else fetched first.
    fn store(&mut self, core: usize, l: u64, bytes: &[u8]) -> bool {
        if self.load(core, l, true).is_none() {
            return false;
        }
        let entry = self.cores[core].cache.get_mut(&l).unwrap();
        entry.0 = State::Modified;
        entry.1.copy_from_slice(bytes);
        true
    }
}

/// After the results (or datagram `k - 1`): send datagram `k`, or acknowledge.
fn next_send(sends: &[Datagram], k: usize) -> Pc {
    if k < sends.len() {
        Pc::Send(k)
    } else {
        Pc::Ack
    }
}

/// The line is a CONTROL line of some endpoint.
fn is_control(l: u64) -> bool {
    (l % u64::from(ENDPOINT_LINES)) < 2
}

/// The line is a TX line of some endpoint.
pub fn is_tx(l: u64) -> bool {
    (l % u64::from(ENDPOINT_LINES)) >= u64::from(line::tx(0))
}

/// A TX line as loaded is a TRYAGAIN (its buffer is still being sent).
pub fn tx_tryagain(l: &Line) -> bool {
    let a = u64::from_le_bytes(
        l[tx::ADDR_WORD * 8..tx::ADDR_WORD * 8 + 8]
            .try_into()
            .unwrap(),
    );
    a >> tx::LEN_LSB == tx::TRYAGAIN_LEN
}

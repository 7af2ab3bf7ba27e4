//! An operating system on the Verilated `accio_nic`: cores running threads in address
//! spaces, a scheduler fed by the NIC's hardware ready queues, per-core I/O interrupts, an
//! ICT driver that multiplexes more accelerated sockets than the table has slots, the
//! control event queue and the normal path, and a POSIX-like socket API for the programs
//! the threads run.
//!
//! The model is synchronous: every register access runs the NIC (MAC, host memory, pins)
//! until it is answered, and the cores take turns, one system call or kernel action at a
//! time, so their accesses are serialised as on the NIC's one AXI4-Lite port. A user
//! thread's accesses to its ICT entry go through the NIC unprivileged, with its core in
//! AxUSER; the scheduler writes the core's `CTX` (the thread's ASID) on every switch, so the
//! hardware checks them. Kernel work (interrupts, the event queue, the normal path, the ICT
//! driver) is privileged and happens in the turns of the core it serves.

// Fields and calls are named after the socket API and register fields they mirror.
#![allow(missing_docs)]

use super::host::{kr, kw, mac_u64, rx_record_in, write_tx_record_to, Map, NicPins};
use crate::axil::{Access, AxilMaster, Completion};
use crate::hostmem::{HostMem, HostMemCfg};
use hdl::accio::regs::{event, miss_filter_hash};
use hdl::accio::rx_offload::record as rx_record;
use hdl::accio::tx_offload::record as tx_record;
use hdl::config::IctConfig;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim::axis::{beats_to_frame, frame_to_beats, Beat};
use sim::PortRead;
use std::collections::VecDeque;

/// An IPv4 address and UDP port.
pub type Addr = (u32, u16);

/// The NIC at the pin level, run one cycle at a time: MAC streams, host memory, one
/// register access at a time, and what the pins did.
pub struct Nic<'a> {
    p: NicPins<'a>,
    irq: &'a dyn PortRead,
    evq_irq: &'a dyn PortRead,
    np_irq: &'a dyn PortRead,
    pub mem: HostMem,
    mmio: AxilMaster,
    beats: VecDeque<(Beat, bool)>,
    out: Vec<Beat>,
    /// Frames the NIC transmitted, in order, and the cycles of their last beats.
    pub wire: Vec<Vec<u8>>,
    pub wire_cycles: Vec<u64>,
    /// Cycles run so far.
    pub cycle: u64,
    /// Cycles at which a received frame's first beat entered the NIC.
    pub first_beats: Vec<u64>,
    /// Per core, cycles at which its `irq` rose.
    pub irq_rises: Vec<Vec<u64>>,
    /// Cycle of each write beat host memory took (parallel to `mem.writes`).
    pub write_cycles: Vec<u64>,
    irq_level: u64,
}

impl<'a> Nic<'a> {
    /// The NIC out of reset with its link up; `irq`, `evq_irq` and `np_irq` are its
    /// interrupt outputs.
    pub fn new(
        p: NicPins<'a>,
        irq: &'a dyn PortRead,
        evq_irq: &'a dyn PortRead,
        np_irq: &'a dyn PortRead,
        cores: usize,
        mem: HostMemCfg,
        seed: u64,
    ) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        p.rst.set_bit(0, true);
        p.rx.idle();
        p.dut.tick().unwrap();
        p.rst.set_bit(0, false);
        p.link_up.set_bit(0, true);
        Nic {
            p,
            irq,
            evq_irq,
            np_irq,
            mem: HostMem::new(mem, ChaCha8Rng::seed_from_u64(rng.gen())),
            mmio: AxilMaster::new(ChaCha8Rng::seed_from_u64(rng.gen())),
            beats: VecDeque::new(),
            out: Vec::new(),
            wire: Vec::new(),
            wire_cycles: Vec::new(),
            cycle: 0,
            first_beats: Vec::new(),
            irq_rises: vec![Vec::new(); cores],
            write_cycles: Vec::new(),
            irq_level: 0,
        }
    }

    /// Queues `frame` at the MAC behind the frames still waiting.
    pub fn receive(&mut self, frame: &[u8], bus_bytes: usize) {
        for (k, b) in frame_to_beats(frame, bus_bytes, 0).into_iter().enumerate() {
            self.beats.push_back((b, k == 0));
        }
    }

    /// Frames still waiting at the MAC (partly sent ones included).
    pub fn frames_waiting(&self) -> usize {
        self.beats.iter().filter(|(_, first)| *first).count()
    }

    /// One clock cycle; the access answered in it, if any.
    pub fn cycle(&mut self) -> Option<Completion> {
        match self.beats.front() {
            Some((b, _)) => self.p.rx.drive(b),
            None => self.p.rx.idle(),
        }
        self.p.tx.set_ready(true);
        self.mmio.drive(&self.p.axil);
        self.mem.drive(&self.p.axi);
        self.p.dut.eval().unwrap();
        if self.p.rx.fires() {
            let (_, first) = self.beats.pop_front().unwrap();
            if first {
                self.first_beats.push(self.cycle);
            }
        }
        if self.p.tx.fires() {
            let b = self.p.tx.beat();
            let last = b.last;
            self.out.push(b);
            if last {
                self.wire.push(beats_to_frame(&self.out));
                self.wire_cycles.push(self.cycle);
                self.out.clear();
            }
        }
        let (_, done) = self.mmio.sample(&self.p.axil);
        let before = self.mem.writes.len();
        self.mem.sample(&self.p.axi);
        let n = self.mem.writes.len() - before;
        self.write_cycles.extend(std::iter::repeat_n(self.cycle, n));
        let level = self.irq.get_bits(0, self.irq_rises.len() as u32);
        for (c, rises) in self.irq_rises.iter_mut().enumerate() {
            if level >> c & 1 == 1 && self.irq_level >> c & 1 == 0 {
                rises.push(self.cycle);
            }
        }
        self.irq_level = level;
        self.p.dut.tick().unwrap();
        self.cycle += 1;
        done
    }

    /// Runs `n` cycles.
    pub fn run(&mut self, n: u64) {
        for _ in 0..n {
            self.cycle();
        }
    }

    /// One register access, run to its answer.
    pub fn access(&mut self, a: Access) -> Completion {
        self.mmio.push(a);
        loop {
            if let Some(c) = self.cycle() {
                return c;
            }
        }
    }

    /// Core `c`'s `irq` as last sampled.
    pub fn irq(&self, c: usize) -> bool {
        self.irq_level >> c & 1 == 1
    }

    pub fn evq_irq(&self) -> bool {
        self.evq_irq.bit(0)
    }

    pub fn np_irq(&self) -> bool {
        self.np_irq.bit(0)
    }
}

/// How the OS is set up.
#[derive(Clone, Debug)]
pub struct OsCfg {
    /// The NIC's ICT configuration (slots, cores, miss filter).
    pub ict: IctConfig,
    /// Cores that run threads (0..cores).
    pub cores: usize,
    pub mac: [u8; 6],
    /// The next hop of every datagram sent (one router, no ARP): the ICT entries'
    /// REMOTE_MAC and the normal path's destination MAC.
    pub gateway: [u8; 6],
    /// Bytes of each accelerated socket's RX and TX ring (powers of two).
    pub rx_ring_bytes: u32,
    pub tx_ring_bytes: u32,
    /// Normal-path receive buffers kept posted.
    pub np_buffers: usize,
    /// Bus width in bits (TX records are aligned to it).
    pub data_width: u32,
}

/// Errors of the socket API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Errno {
    /// The call would block: the thread now sleeps; the program calls again when it runs.
    WouldBlock,
    /// Nothing to receive now ([`Sys::poll_recvfrom`]); the thread runs on.
    Again,
    /// No such socket of this thread.
    BadFd,
    /// The call needs a bound (or connected) socket.
    NotBound,
    /// The address is taken by another socket.
    AddrInUse,
    /// No destination given and none connected.
    NoRoute,
    /// The datagram does not fit a record or a frame.
    TooBig,
    /// The socket's RX ring overflowed: `dropped` datagrams lost (RING_OVERFLOW events).
    Overflow { dropped: u32 },
    /// A DMA transfer of the socket failed (DMA_ERROR event data).
    Dma(u64),
    /// The NIC refused a user access (SLVERR): the thread's address space does not own it.
    Fault(Access),
}

/// A received datagram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Datagram {
    pub from: Addr,
    pub data: Vec<u8>,
    /// The NIC dropped datagrams of this socket before this one (the record's FLAG_LOSS).
    pub lost_before: bool,
}

/// A protection fault the NIC reported (PROT_FAULT), delivered to the thread it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// Entry, 0xFFFF outside the ENTRY block.
    pub entry: u16,
    pub core: u8,
    pub asid: u16,
    pub write: bool,
    pub privileged: bool,
    /// Byte address of the register.
    pub addr: u64,
}

impl Fault {
    fn from_event(data: u64) -> Self {
        Fault {
            entry: data as u16,
            core: (data >> 16) as u8,
            asid: (data >> 24) as u16,
            write: data >> 40 & 1 == 1,
            privileged: data >> 41 & 1 == 1,
            addr: (data >> 42 & 0x3fff) << 3,
        }
    }
}

/// What a program does when it runs: one step is one system call (or a few without
/// blocking); a call answering [`Errno::WouldBlock`] has put the thread to sleep, and the
/// program repeats it when the thread runs again.
pub trait Program {
    fn step(&mut self, sys: &mut Sys) -> Step;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Continue,
    Exit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Runnable,
    Running,
    /// Sleeping until socket `fd` has data (RX) or TX ring space (TX).
    Blocked {
        fd: usize,
        tx: bool,
    },
    Exited,
}

/// A thread: its core, address space and priority (its sockets' IRQ_PRIO and, while it
/// runs, the core's CTX.PRIO).
pub struct Thread {
    pub core: usize,
    pub asid: u16,
    pub prio: u8,
    state: State,
    program: Option<Box<dyn Program>>,
    /// Protection faults the NIC reported for this thread's accesses.
    pub faults: Vec<Fault>,
    /// Times the thread was switched in.
    pub runs: u64,
}

struct Socket {
    owner: usize,
    local: Option<Addr>,
    remote: Option<Addr>,
    accel: bool,
    slot: Option<usize>,
    rx_base: u64,
    tx_base: u64,
    rx_head: u32,
    tx_tail: u32,
    tx_head: u32,
    /// Datagrams taken by the kernel (normal path, or left in the ring at an eviction),
    /// all older than anything in the ring.
    queue: VecDeque<Datagram>,
    errors: VecDeque<Errno>,
}

struct Core {
    current: Option<usize>,
    runnable: VecDeque<usize>,
    /// A woken thread outranks the running one.
    resched: bool,
}

/// What the kernel did, for tests and reports.
#[derive(Clone, Debug, Default)]
pub struct Log {
    /// Every control event popped (EVQ_POP words), in order.
    pub events: Vec<u64>,
    /// Per core, every RQ_POP word that named an entry, and its RQ_HANDLE.
    pub pops: Vec<Vec<(u64, u64)>>,
    /// ICT slots refilled (victim slot, evicted socket, installed socket).
    pub refills: Vec<(usize, Option<usize>, usize)>,
    /// Normal-path frames no socket claimed.
    pub unclaimed: Vec<Vec<u8>>,
    /// Context switches per core.
    pub switches: Vec<u64>,
}

/// Where socket `fd`'s rings live in host memory.
fn rx_ring(fd: usize) -> u64 {
    0x10_0000_0000 + fd as u64 * 0x100_0000
}

fn tx_ring(fd: usize) -> u64 {
    0x20_0000_0000 + fd as u64 * 0x100_0000
}

fn np_rx_buffer(k: usize) -> u64 {
    0x30_0000_0000 + k as u64 * 0x1000
}

fn np_tx_buffer(k: u64) -> u64 {
    0x40_0000_0000 + k * 0x4000
}

/// Normal-path transmit buffers, as many as the NIC's transmit descriptors.
const NP_TX_SLOTS: u64 = super::host::NP_TX_SLOTS;

/// Statistics whose sum is every received frame's fate.
const FATES: [&str; 7] = [
    "RX_MAC_BAD",
    "RX_OVERRUN",
    "RX_OFFLOADED",
    "RX_RING_FULL",
    "RX_NORMAL",
    "RX_NO_BUFFER",
    "RX_MALFORMED_DROPPED",
];

/// See the module docs.
pub struct Os<'a> {
    pub nic: Nic<'a>,
    pub cfg: OsCfg,
    map: Map,
    cores: Vec<Core>,
    pub threads: Vec<Thread>,
    socks: Vec<Option<Socket>>,
    slots: Vec<Option<usize>>,
    filter: Vec<u64>,
    /// Keys of ICT_MISS events not yet handled.
    misses: VecDeque<Addr>,
    posted: VecDeque<u64>,
    /// Normal-path completions taken, frames posted for sending, sends completed.
    np_taken: u64,
    np_sent: u64,
    np_done: u64,
    pub log: Log,
}

impl<'a> Os<'a> {
    /// Boots on `nic`: the NIC's MAC address, normal-path buffers, the event-queue,
    /// normal-path and per-core interrupts enabled, every core idle.
    pub fn boot(nic: Nic<'a>, cfg: OsCfg) -> Self {
        let map = Map::new(&cfg.ict);
        let mut os = Os {
            nic,
            map,
            cores: (0..cfg.cores)
                .map(|_| Core {
                    current: None,
                    runnable: VecDeque::new(),
                    resched: false,
                })
                .collect(),
            threads: Vec::new(),
            socks: Vec::new(),
            slots: vec![None; cfg.ict.entries as usize],
            filter: vec![0; cfg.ict.miss_filter_bits as usize / 64],
            misses: VecDeque::new(),
            posted: VecDeque::new(),
            np_taken: 0,
            np_sent: 0,
            np_done: 0,
            log: Log {
                pops: vec![Vec::new(); cfg.cores],
                switches: vec![0; cfg.cores],
                ..Log::default()
            },
            cfg,
        };
        os.kwrite(os.map.nic("MAC_ADDR"), mac_u64(os.cfg.mac));
        for k in 0..os.cfg.np_buffers {
            os.kwrite(os.map.nic("RX_POST"), np_rx_buffer(k));
            os.posted.push_back(np_rx_buffer(k));
        }
        let v = os.map.pack("NIC", "IRQ_CTRL", &[("RX", 1)]);
        os.kwrite(os.map.nic("IRQ_CTRL"), v);
        let v = os.map.pack("GLOBAL", "EVQ_CTRL", &[("IRQ_EN", 1)]);
        os.kwrite(os.map.at("GLOBAL", 0, "EVQ_CTRL"), v);
        for c in 0..os.cfg.cores {
            let v = os.map.pack("CORE", "IRQ_CTRL", &[("EN", 1)]);
            os.kwrite(os.map.at("CORE", c, "IRQ_CTRL"), v);
            os.kwrite(os.map.at("CORE", c, "CTX"), 0);
        }
        os
    }

    /// Starts a thread on `core` in address space `asid` running `program`; its id.
    pub fn spawn(&mut self, core: usize, asid: u16, prio: u8, program: Box<dyn Program>) -> usize {
        assert!(asid != 0, "ASID 0 is the idle context");
        self.threads.push(Thread {
            core,
            asid,
            prio,
            state: State::Runnable,
            program: Some(program),
            faults: Vec::new(),
            runs: 0,
        });
        let t = self.threads.len() - 1;
        self.cores[core].runnable.push_back(t);
        t
    }

    /// Thread `t` sleeps in a system call.
    pub fn blocked(&self, t: usize) -> bool {
        matches!(self.threads[t].state, State::Blocked { .. })
    }

    /// The ICT slot socket `fd` occupies, if resident.
    pub fn slot_of(&self, fd: usize) -> Option<usize> {
        self.socks.get(fd)?.as_ref()?.slot
    }

    /// Every thread has exited and no frame waits at the MAC.
    pub fn done(&self) -> bool {
        self.threads.iter().all(|t| t.state == State::Exited) && self.nic.frames_waiting() == 0
    }

    /// One round: the kernel's interrupt work, then each core's interrupt, scheduling and
    /// one step of its thread (or one idle cycle).
    pub fn turn(&mut self) {
        if self.nic.evq_irq() {
            self.drain_events();
        }
        if self.nic.np_irq() {
            self.drain_normal();
        }
        for c in 0..self.cfg.cores {
            if self.nic.irq(c) {
                self.pop_ready(c);
            }
            let cur = self.cores[c].current;
            if cur.is_none_or(|t| self.threads[t].state != State::Running) || self.cores[c].resched
            {
                self.schedule(c);
            }
            match self.cores[c].current {
                Some(t) => {
                    self.step(t);
                    // A thread that blocked or exited leaves the core at once, so `CTX`
                    // never names a sleeping thread (its priority would gate `irq`).
                    if self.threads[t].state != State::Running {
                        self.schedule(c);
                    }
                }
                None => {
                    self.nic.cycle();
                }
            }
        }
    }

    /// A kernel write.
    pub fn kwrite(&mut self, addr: u64, v: u64) {
        let c = self.nic.access(kw(addr, v));
        assert_eq!(c.resp, 0, "kernel write of {addr:#x}");
    }

    /// A kernel read (for tests and tools as much as for the kernel).
    pub fn kread(&mut self, addr: u64) -> u64 {
        let c = self.nic.access(kr(addr));
        assert_eq!(c.resp, 0, "kernel read of {addr:#x}");
        c.data
    }

    fn entry(&self, i: usize, reg: &str) -> u64 {
        self.map.entry(i, reg)
    }

    /// Interrupt handler of core `c`: every ready entry popped, its thread woken.
    fn pop_ready(&mut self, c: usize) {
        let pop = self.map.at("CORE", c, "RQ_POP");
        let handle = self.map.at("CORE", c, "RQ_HANDLE");
        loop {
            let v = self.kread(pop);
            if self.map.get("CORE", "RQ_POP", "VALID", v) == 0 {
                return;
            }
            let h = self.kread(handle);
            self.log.pops[c].push((v, h));
            // HANDLE is the socket's descriptor + 1; a socket evicted since is no one's.
            let fd = (h as usize).wrapping_sub(1);
            if let Some(s) = self.socks.get(fd).and_then(|s| s.as_ref()) {
                let i = self.map.get("CORE", "RQ_POP", "INDEX", v) as usize;
                if s.slot == Some(i) {
                    self.wake(s.owner, fd);
                }
            }
        }
    }

    /// Wakes thread `t` if it sleeps on socket `fd`.
    fn wake(&mut self, t: usize, fd: usize) {
        if let State::Blocked { fd: f, .. } = self.threads[t].state {
            if f == fd {
                self.threads[t].state = State::Runnable;
                let c = self.threads[t].core;
                self.cores[c].runnable.push_back(t);
                if let Some(cur) = self.cores[c].current {
                    if self.threads[cur].state == State::Running
                        && self.threads[t].prio > self.threads[cur].prio
                    {
                        self.cores[c].resched = true;
                    }
                }
            }
        }
    }

    /// A context switch on core `c`: the hardware ready queue drained into the run queue,
    /// the next thread (highest priority first, in order of waking) switched in and `CTX`
    /// written with its ASID and priority.
    fn schedule(&mut self, c: usize) {
        self.pop_ready(c);
        self.cores[c].resched = false;
        if let Some(cur) = self.cores[c].current {
            if self.threads[cur].state == State::Running {
                self.threads[cur].state = State::Runnable;
                self.cores[c].runnable.push_back(cur);
            }
        }
        let q = &self.cores[c].runnable;
        let best = (0..q.len()).max_by_key(|&k| (self.threads[q[k]].prio, std::cmp::Reverse(k)));
        let next = best.and_then(|k| self.cores[c].runnable.remove(k));
        let ctx = match next {
            Some(t) => {
                let th = &mut self.threads[t];
                th.state = State::Running;
                th.runs += 1;
                let (asid, prio) = (th.asid, th.prio);
                self.map.pack(
                    "CORE",
                    "CTX",
                    &[("ASID", asid.into()), ("ACCEL", 1), ("PRIO", prio.into())],
                )
            }
            None => 0,
        };
        if next != self.cores[c].current {
            self.log.switches[c] += 1;
            self.kwrite(self.map.at("CORE", c, "CTX"), ctx);
        }
        self.cores[c].current = next;
    }

    /// One step of thread `t`'s program; at least one cycle, as the work between its
    /// system calls takes time too.
    fn step(&mut self, t: usize) {
        let start = self.nic.cycle;
        let mut p = self.threads[t]
            .program
            .take()
            .expect("a running thread has its program");
        let r = p.step(&mut Sys {
            os: self,
            thread: t,
        });
        self.threads[t].program = Some(p);
        if self.nic.cycle == start {
            self.nic.cycle();
        }
        if r == Step::Exit {
            self.threads[t].state = State::Exited;
        }
    }

    /// The control event queue, drained, then the ICT misses it reported refilled.
    fn drain_events(&mut self) {
        self.take_events();
        while let Some(key) = self.misses.pop_front() {
            let fd = self.socks.iter().position(|s| {
                s.as_ref()
                    .is_some_and(|s| s.accel && s.slot.is_none() && s.local == Some(key))
            });
            if let Some(fd) = fd {
                self.install(fd);
            }
        }
    }

    /// Every queued event taken: overflows and DMA errors to the socket in the slot they
    /// name (so an eviction takes them before the slot changes hands), protection faults
    /// to the thread, ICT misses kept for [`drain_events`](Self::drain_events).
    fn take_events(&mut self) {
        let pop = self.map.at("GLOBAL", 0, "EVQ_POP");
        loop {
            let v = self.kread(pop);
            let kind = self.map.get("GLOBAL", "EVQ_POP", "TYPE", v);
            let data = self.map.get("GLOBAL", "EVQ_POP", "DATA", v);
            if kind == event::NONE {
                return;
            }
            self.log.events.push(v);
            let fd_of = |os: &Self, i: u64| os.slots.get(i as usize & 0xffff).copied().flatten();
            match kind {
                event::RING_OVERFLOW => {
                    if let Some(fd) = fd_of(self, data) {
                        let s = self.socks[fd].as_mut().unwrap();
                        match s.errors.back_mut() {
                            Some(Errno::Overflow { dropped }) => *dropped += 1,
                            _ => s.errors.push_back(Errno::Overflow { dropped: 1 }),
                        }
                        let owner = s.owner;
                        self.wake(owner, fd);
                    }
                }
                event::DMA_ERROR => {
                    if let Some(fd) = fd_of(self, data) {
                        let s = self.socks[fd].as_mut().unwrap();
                        s.errors.push_back(Errno::Dma(data));
                        let owner = s.owner;
                        self.wake(owner, fd);
                    }
                }
                event::PROT_FAULT => {
                    let f = Fault::from_event(data);
                    let t = self
                        .threads
                        .iter()
                        .position(|t| t.core == f.core as usize && t.asid == f.asid);
                    if let Some(t) = t {
                        self.threads[t].faults.push(f);
                    }
                }
                event::ICT_MISS => self.misses.push_back(((data >> 16) as u32, data as u16)),
                _ => {}
            }
        }
    }

    /// Normal-path completions taken until none waits: UDP datagrams to the socket bound
    /// to their destination, buffers posted again.
    fn drain_normal(&mut self) {
        while self.take_normal() {}
    }

    fn take_normal(&mut self) -> bool {
        let v = self.kread(self.map.nic("RX_COMP"));
        if self.map.get("NIC", "RX_COMP", "VALID", v) == 0 {
            return false;
        }
        self.np_taken += 1;
        let a = self
            .posted
            .pop_front()
            .expect("a completion has its buffer");
        let len = self.map.get("NIC", "RX_COMP", "LEN", v) as usize;
        let frame = self.nic.mem.read(a, len);
        self.kwrite(self.map.nic("RX_POST"), a);
        self.posted.push_back(a);
        match udp_of(&frame) {
            Some((from, to, data)) => {
                let fd = self
                    .socks
                    .iter()
                    .position(|s| s.as_ref().is_some_and(|s| s.local == Some(to)));
                match fd {
                    Some(fd) => {
                        let s = self.socks[fd].as_mut().unwrap();
                        s.queue.push_back(Datagram {
                            from,
                            data,
                            lost_before: false,
                        });
                        let owner = s.owner;
                        self.wake(owner, fd);
                    }
                    None => self.log.unclaimed.push(frame),
                }
            }
            None => self.log.unclaimed.push(frame),
        }
        true
    }

    fn sock(&self, fd: usize) -> &Socket {
        self.socks[fd].as_ref().unwrap()
    }

    fn sock_mut(&mut self, fd: usize) -> &mut Socket {
        self.socks[fd].as_mut().unwrap()
    }

    /// Sets or clears socket `fd`'s miss-filter bit: set while some accelerated socket
    /// hashing to it is not resident.
    fn update_filter(&mut self, fd: usize) {
        let bits = self.cfg.ict.miss_filter_bits;
        let Some((ip, port)) = self.sock(fd).local else {
            return;
        };
        let h = miss_filter_hash(ip, port, bits);
        let on = self.socks.iter().flatten().any(|s| {
            s.accel
                && s.slot.is_none()
                && s.local
                    .is_some_and(|(i, p)| miss_filter_hash(i, p, bits) == h)
        });
        let (w, b) = (h as usize / 64, h % 64);
        let v = self.filter[w] & !(1 << b) | u64::from(on) << b;
        if v != self.filter[w] {
            self.filter[w] = v;
            self.kwrite(self.map.at("GLOBAL", 0, "MISS_FILTER") + 8 * w as u64, v);
        }
    }

    /// Waits until the NIC has decided the fate of every frame it had received (and this
    /// kernel has taken every normal-path frame among them), so nothing looked up before
    /// now is still in flight.
    fn rx_fence(&mut self) {
        let frames = self.kread(self.map.nic("RX_FRAMES"));
        for _ in 0..10_000 {
            let fates: u64 = FATES.iter().map(|n| self.kread(self.map.nic(n))).sum();
            if fates >= frames {
                let normal = self.kread(self.map.nic("RX_NORMAL"));
                while self.np_taken < normal {
                    if !self.take_normal() {
                        self.nic.cycle();
                    }
                }
                return;
            }
        }
        panic!("received frames never found their fate");
    }

    /// ICT driver: socket `fd` made resident in the slot VICTIM names, evicting its
    /// socket. The RX fence after enabling takes every datagram of the flow the normal
    /// path got before, so the ring holds only newer ones; the owner is woken to look.
    fn install(&mut self, fd: usize) {
        let v = self.kread(self.map.at("GLOBAL", 0, "VICTIM"));
        let i = self.map.get("GLOBAL", "VICTIM", "INDEX", v) as usize;
        let old = self.slots[i];
        if let Some(o) = old {
            self.evict(o);
        }
        self.log.refills.push((i, old, fd));
        let s = self.sock(fd);
        let t = &self.threads[s.owner];
        let (local, remote) = (s.local.unwrap(), s.remote.unwrap_or((0, 0)));
        let next_hop = self.cfg.gateway;
        let m = &self.map;
        let writes = [
            (
                "LOCAL",
                m.pack(
                    "ENTRY",
                    "LOCAL",
                    &[("IP", local.0.into()), ("PORT", local.1.into())],
                ),
            ),
            (
                "REMOTE",
                m.pack(
                    "ENTRY",
                    "REMOTE",
                    &[("IP", remote.0.into()), ("PORT", remote.1.into())],
                ),
            ),
            ("REMOTE_MAC", mac_u64(next_hop)),
            ("CONN_ID", fd as u64),
            (
                "OWNER",
                m.pack(
                    "ENTRY",
                    "OWNER",
                    &[("ASID", t.asid.into()), ("CORE", t.core as u64)],
                ),
            ),
            ("HANDLE", fd as u64 + 1),
            ("RX_BASE", s.rx_base),
            ("RX_SIZE", self.cfg.rx_ring_bytes.into()),
            ("RX_HEAD", s.rx_head.into()),
            ("RX_TAIL", s.rx_head.into()),
            ("TX_BASE", s.tx_base),
            ("TX_SIZE", self.cfg.tx_ring_bytes.into()),
            ("TX_HEAD", s.tx_tail.into()),
            ("TX_TAIL", s.tx_tail.into()),
            ("DROPS", 0),
            ("WAIT", 0),
            (
                "CTRL",
                m.pack(
                    "ENTRY",
                    "CTRL",
                    &[
                        ("ENABLED", 1),
                        ("ACCELERATED", 1),
                        ("PROTOCOL", 17),
                        ("IRQ_PRIO", t.prio.into()),
                    ],
                ),
            ),
        ];
        for (r, v) in writes {
            self.kwrite(self.entry(i, r), v);
        }
        self.slots[i] = Some(fd);
        let s = self.sock_mut(fd);
        s.slot = Some(i);
        s.tx_head = s.tx_tail;
        self.update_filter(fd);
        self.rx_fence();
        let owner = self.sock(fd).owner;
        self.wake(owner, fd);
    }

    /// Socket `fd` out of its slot: its TX ring sent, the slot disabled, the records left
    /// in its RX ring taken into its queue and the slot's events taken; the owner is
    /// woken to look (its wait bits were the slot's).
    fn evict(&mut self, fd: usize) {
        let i = self.sock(fd).slot.expect("a resident socket");
        let mut polls = 0;
        while self.kread(self.entry(i, "TX_HEAD")) as u32 != self.sock(fd).tx_tail {
            polls += 1;
            assert!(
                polls < 100_000,
                "socket {fd}: the NIC never sent its TX ring"
            );
        }
        self.kwrite(self.entry(i, "CTRL"), 0);
        self.rx_fence();
        let tail = self.kread(self.entry(i, "RX_TAIL")) as u32;
        self.take_ring(fd, tail);
        self.take_events();
        self.slots[i] = None;
        self.sock_mut(fd).slot = None;
        self.update_filter(fd);
        let owner = self.sock(fd).owner;
        self.wake(owner, fd);
    }

    /// Socket `fd`'s RX records up to `tail` moved into its queue.
    fn take_ring(&mut self, fd: usize, tail: u32) {
        while self.sock(fd).rx_head != tail {
            let d = self.read_record(fd);
            self.sock_mut(fd).queue.push_back(d);
        }
    }

    /// The record at socket `fd`'s RX head, consumed.
    fn read_record(&mut self, fd: usize) -> Datagram {
        let size = self.cfg.rx_ring_bytes;
        let s = self.sock(fd);
        let r = rx_record_in(&self.nic.mem, s.rx_base, size, s.rx_head);
        let be32 = |k: usize| u32::from_be_bytes(r[k..k + 4].try_into().unwrap());
        let port = u16::from_be_bytes([r[rx_record::SRC_PORT], r[rx_record::SRC_PORT + 1]]);
        let flags = u16::from_le_bytes([r[rx_record::FLAGS], r[rx_record::FLAGS + 1]]);
        let len = r.len() - rx_record::PAYLOAD;
        let s = self.sock_mut(fd);
        s.rx_head = s.rx_head.wrapping_add(rx_record::footprint(len) as u32);
        Datagram {
            from: (be32(rx_record::SRC_IP), port),
            data: r[rx_record::PAYLOAD..].to_vec(),
            lost_before: flags & rx_record::FLAG_LOSS != 0,
        }
    }

    /// Sends `frame` on the normal path (TX_POST), waiting for a transmit buffer.
    fn post_normal(&mut self, frame: &[u8]) {
        while self.np_sent - self.np_done >= NP_TX_SLOTS {
            let v = self.kread(self.map.nic("TX_DONE"));
            let count = self.map.get("NIC", "TX_DONE", "COUNT", v);
            self.np_done += count.wrapping_sub(self.np_done) & 0xffff_ffff;
        }
        let a = np_tx_buffer(self.np_sent % NP_TX_SLOTS);
        self.nic.mem.write(a, frame);
        self.np_sent += 1;
        let v = self.map.pack(
            "NIC",
            "TX_POST",
            &[("ADDR", a), ("LEN", frame.len() as u64)],
        );
        self.kwrite(self.map.nic("TX_POST"), v);
    }
}

/// (source, destination, payload) of a UDP/IPv4 frame.
fn udp_of(frame: &[u8]) -> Option<(Addr, Addr, Vec<u8>)> {
    use etherparse::{NetSlice, SlicedPacket, TransportSlice};
    let p = SlicedPacket::from_ethernet(frame).ok()?;
    let (Some(NetSlice::Ipv4(ip)), Some(TransportSlice::Udp(udp))) = (p.net, p.transport) else {
        return None;
    };
    let h = ip.header();
    Some((
        (u32::from(h.source_addr()), udp.source_port()),
        (u32::from(h.destination_addr()), udp.destination_port()),
        udp.payload().to_vec(),
    ))
}

/// The system calls of the thread running a [`Program`] step.
pub struct Sys<'o, 'a> {
    os: &'o mut Os<'a>,
    thread: usize,
}

impl Sys<'_, '_> {
    /// A new UDP socket.
    pub fn socket(&mut self) -> usize {
        let fd = self.os.socks.len();
        self.os.socks.push(Some(Socket {
            owner: self.thread,
            local: None,
            remote: None,
            accel: false,
            slot: None,
            rx_base: rx_ring(fd),
            tx_base: tx_ring(fd),
            rx_head: 0,
            tx_tail: 0,
            tx_head: 0,
            queue: VecDeque::new(),
            errors: VecDeque::new(),
        }));
        fd
    }

    fn mine(&self, fd: usize) -> Result<(), Errno> {
        match self.os.socks.get(fd) {
            Some(Some(s)) if s.owner == self.thread => Ok(()),
            _ => Err(Errno::BadFd),
        }
    }

    pub fn bind(&mut self, fd: usize, local: Addr) -> Result<(), Errno> {
        self.mine(fd)?;
        if self
            .os
            .socks
            .iter()
            .flatten()
            .any(|s| s.local == Some(local))
        {
            return Err(Errno::AddrInUse);
        }
        self.os.sock_mut(fd).local = Some(local);
        Ok(())
    }

    /// Sets the default destination (a resident socket's entry's REMOTE too).
    pub fn connect(&mut self, fd: usize, remote: Addr) -> Result<(), Errno> {
        self.mine(fd)?;
        self.os.sock_mut(fd).remote = Some(remote);
        if let Some(i) = self.os.sock(fd).slot {
            let m = &self.os.map;
            let v = m.pack(
                "ENTRY",
                "REMOTE",
                &[("IP", remote.0.into()), ("PORT", remote.1.into())],
            );
            self.os.kwrite(m.entry(i, "REMOTE"), v);
        }
        Ok(())
    }

    /// Moves a bound socket onto the NIC's accelerated path: an ICT entry (the VICTIM
    /// slot, evicting its socket when all are taken) with rings in this thread's memory.
    pub fn accelerate(&mut self, fd: usize) -> Result<(), Errno> {
        self.mine(fd)?;
        if self.os.sock(fd).local.is_none() {
            return Err(Errno::NotBound);
        }
        self.os.sock_mut(fd).accel = true;
        self.os.install(fd);
        Ok(())
    }

    pub fn close(&mut self, fd: usize) -> Result<(), Errno> {
        self.mine(fd)?;
        if self.os.sock(fd).slot.is_some() {
            self.os.evict(fd);
        }
        self.os.sock_mut(fd).accel = false;
        self.os.update_filter(fd);
        self.os.socks[fd] = None;
        Ok(())
    }

    /// A user access to this thread's socket's entry register `reg`.
    fn user(&mut self, a: Access) -> Result<u64, Errno> {
        let c = self.os.nic.access(a);
        if c.resp != 0 {
            return Err(Errno::Fault(c.access));
        }
        Ok(c.data)
    }

    /// A user read of register `reg` of entry `i`.
    pub fn user_read(&mut self, i: usize, reg: &str) -> Result<u64, Errno> {
        let core = self.os.threads[self.thread].core as u8;
        self.user(Access::read(self.os.entry(i, reg), false, core))
    }

    /// A user write of register `reg` of entry `i`.
    pub fn user_write(&mut self, i: usize, reg: &str, v: u64) -> Result<(), Errno> {
        let core = self.os.threads[self.thread].core as u8;
        self.user(Access::write(self.os.entry(i, reg), v, false, core))
            .map(|_| ())
    }

    /// The ICT slot socket `fd` occupies, if resident.
    pub fn slot(&self, fd: usize) -> Option<usize> {
        self.os.slot_of(fd)
    }

    fn block(&mut self, fd: usize, tx: bool) -> Errno {
        self.os.threads[self.thread].state = State::Blocked { fd, tx };
        Errno::WouldBlock
    }

    /// The next datagram of socket `fd`: first an error the NIC reported for it, then
    /// what the kernel holds, then the RX ring (read in user mode: RX_TAIL, the record,
    /// RX_HEAD). With nothing there it sets WAIT.RX, looks once more and sleeps.
    pub fn recvfrom(&mut self, fd: usize) -> Result<Datagram, Errno> {
        self.receive(fd, true)
    }

    /// [`recvfrom`](Self::recvfrom) busy polling: with nothing there it answers
    /// [`Errno::Again`] at once, sets no WAIT bit and never sleeps.
    pub fn poll_recvfrom(&mut self, fd: usize) -> Result<Datagram, Errno> {
        self.receive(fd, false)
    }

    /// The current cycle (programs time themselves with it).
    pub fn cycle(&self) -> u64 {
        self.os.nic.cycle
    }

    fn receive(&mut self, fd: usize, sleep: bool) -> Result<Datagram, Errno> {
        self.mine(fd)?;
        let os = &mut *self.os;
        if let Some(e) = os.sock_mut(fd).errors.pop_front() {
            return Err(e);
        }
        if let Some(d) = os.sock_mut(fd).queue.pop_front() {
            return Ok(d);
        }
        let s = os.sock(fd);
        let Some(i) = s.slot else {
            return Err(if sleep {
                self.block(fd, false)
            } else {
                Errno::Again
            });
        };
        let head = s.rx_head;
        let mut tail = self.user_read(i, "RX_TAIL")? as u32;
        if tail == head && !sleep {
            return Err(Errno::Again);
        }
        if tail == head {
            self.user_write(i, "WAIT", 1)?;
            tail = self.user_read(i, "RX_TAIL")? as u32;
            if tail == head {
                return Err(self.block(fd, false));
            }
        }
        let d = self.os.read_record(fd);
        let head = self.os.sock(fd).rx_head;
        self.user_write(i, "RX_HEAD", head.into())?;
        Ok(d)
    }

    /// Sends `data` to `to` (or the connected peer): through the TX ring when the socket
    /// is resident (record, then TX_TAIL, in user mode; with the ring full it sets WAIT.TX,
    /// looks at TX_HEAD once more and sleeps), else as a frame on the normal path.
    pub fn sendto(&mut self, fd: usize, data: &[u8], to: Option<Addr>) -> Result<(), Errno> {
        self.mine(fd)?;
        let w = self.os.cfg.data_width;
        let s = self.os.sock(fd);
        let local = s.local.ok_or(Errno::NotBound)?;
        let dest = to.or(s.remote).ok_or(Errno::NoRoute)?;
        let hop = self.os.cfg.gateway;
        if data.len() > 1472 {
            return Err(Errno::TooBig);
        }
        let Some(i) = s.slot else {
            let mut f = Vec::new();
            etherparse::PacketBuilder::ethernet2(self.os.cfg.mac, hop)
                .ipv4(local.0.to_be_bytes(), dest.0.to_be_bytes(), 64)
                .udp(local.1, dest.1)
                .write(&mut f, data)
                .expect("a frame is built in memory");
            self.os.post_normal(&f);
            return Ok(());
        };
        let size = self.os.cfg.tx_ring_bytes;
        let need = tx_record::footprint(data.len(), w) as u32;
        if need > size {
            return Err(Errno::TooBig);
        }
        let room = |s: &Socket| s.tx_tail.wrapping_sub(s.tx_head) + need <= size;
        if !room(self.os.sock(fd)) {
            self.os.sock_mut(fd).tx_head = self.user_read(i, "TX_HEAD")? as u32;
            if !room(self.os.sock(fd)) {
                self.user_write(i, "WAIT", 2)?;
                self.os.sock_mut(fd).tx_head = self.user_read(i, "TX_HEAD")? as u32;
                if !room(self.os.sock(fd)) {
                    return Err(self.block(fd, true));
                }
            }
        }
        let s = self.os.sock(fd);
        let (base, tail) = (s.tx_base, s.tx_tail);
        let to = to.filter(|d| Some(*d) != s.remote);
        let tail = write_tx_record_to(&mut self.os.nic.mem, base, size, tail, to, data, w);
        self.os.sock_mut(fd).tx_tail = tail;
        self.user_write(i, "TX_TAIL", tail.into())
    }
}

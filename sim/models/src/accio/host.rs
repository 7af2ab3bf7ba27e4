//! A host driving a Verilated `accio_nic`: host memory behind its AXI4 master, a kernel and
//! applications reaching its registers over AXI4-Lite, and a MAC on its streams.
//!
//! The host sets the NIC up from a list of [`Conn`]ections (one ICT entry each, with an RX
//! and a TX ring in host memory), posts normal-path receive buffers, queues datagrams
//! into TX rings and frames on the normal path, and then, while frames arrive from the
//! MAC, polls like a driver would: RX_TAIL of each entry (consuming the records and
//! moving RX_HEAD), RX_COMP until it is empty (taking each frame and posting its buffer
//! again), the control event queue. What the NIC put on the wire, the records each ring received, the
//! normal-path frames, the events and the statistics make up the [`Report`].

// Connection fields are documented by the TOML format in the README.
#![allow(missing_docs)]

use crate::axil::{Access, AxilMaster, AxilPorts, Completion};
use crate::hostmem::{AxiPorts, HostMem, HostMemCfg};
use hdl::accio::rx_offload::record as rx_record;
use hdl::accio::tx_offload::record as tx_record;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim::axis::{beats_to_frame, frame_to_beats, AxisIn, AxisOut, Beat};
use sim::{Model, PortWrite};
use std::collections::{BTreeMap, VecDeque};

/// One connection: an ICT entry and its rings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conn {
    pub local_ip: u32,
    pub local_port: u16,
    pub remote_ip: u32,
    pub remote_port: u16,
    pub remote_mac: [u8; 6],
    pub accelerated: bool,
    pub rx_ring_bytes: u32,
    pub tx_ring_bytes: u32,
    /// The core whose ready queue and interrupt its entry uses (OWNER.CORE).
    pub core: u32,
    /// Datagram payloads the application sends on the connection (to the entry's peer).
    pub send: Vec<Vec<u8>>,
}

impl Conn {
    /// Bytes of TX ring its datagrams take as records at `data_width` bits (the host writes
    /// them all before the first doorbell, so they must fit the ring).
    pub fn tx_footprint(&self, data_width: u32) -> u64 {
        self.send
            .iter()
            .map(|d| tx_record::footprint(d.len(), data_width) as u64)
            .sum()
    }
}

/// What the host does besides its connections.
#[derive(Clone, Debug)]
pub struct HostCfg {
    pub mac: [u8; 6],
    pub malformed_to_np: bool,
    /// Normal-path receive buffers kept posted.
    pub np_buffers: usize,
    /// Frames the OS sends on the normal path.
    pub np_send: Vec<Vec<u8>>,
    pub mem: HostMemCfg,
    /// Probability of an idle cycle before each received beat.
    pub rx_gaps: f64,
    /// Probability the MAC takes a transmitted beat in a cycle.
    pub tx_ready: f64,
    /// Cycles without any NIC activity after the last frame before the run ends.
    pub quiet: u64,
}

/// What happened.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Per connection, the RX records in ring order.
    pub rings: Vec<Vec<Vec<u8>>>,
    /// Normal-path frames received, with their RX_COMP words.
    pub normal: Vec<(Vec<u8>, u64)>,
    /// Frames on the wire, in order.
    pub wire: Vec<Vec<u8>>,
    /// Control events (EVQ_POP words), in order.
    pub events: Vec<u64>,
    /// NIC statistics registers by name, and per entry its DROPS.
    pub stats: BTreeMap<String, u64>,
    pub drops: Vec<u64>,
    pub cycles: u64,
}

/// The ports of an `accio_nic` model: `nic_pins!(dut)`.
pub struct NicPins<'a> {
    pub dut: &'a dyn Model,
    pub rst: &'a dyn PortWrite,
    pub link_up: &'a dyn PortWrite,
    pub axil: AxilPorts<'a>,
    pub axi: AxiPorts<'a>,
    pub rx: AxisIn<'a>,
    pub tx: AxisOut<'a>,
}

#[macro_export]
macro_rules! nic_pins {
    ($d:expr) => {
        $crate::accio::host::NicPins {
            dut: &$d,
            rst: &$d.rst,
            link_up: &$d.link_up,
            axil: $crate::axil_master!($d.s_axil),
            axi: $crate::axi_slave_ports!($d.m_axi),
            rx: $crate::sim::axis_in!($d.s_axis_rx),
            tx: $crate::sim::axis_out!($d.m_axis_tx),
        }
    };
}

/// What a queued register access is for, so its answer can be acted on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Why {
    Setup,
    RxTail(usize),
    RxComp,
    Event,
    Stat(usize),
    Drops(usize),
    TxHead(usize),
    TxDone,
}

/// Normal-path transmit buffers [`Host::send_normal`] cycles through (and so descriptors it
/// keeps in flight): the transmit descriptors of `hdl::library::small_nic`.
pub const NP_TX_SLOTS: u64 = 16;

/// Where connection `i`'s RX ring is in host memory.
pub fn rx_base(i: usize) -> u64 {
    0x1_0000_0000 + i as u64 * 0x100_0000
}

/// Where connection `i`'s TX ring is in host memory.
pub fn tx_base(i: usize) -> u64 {
    0x2_0000_0000 + i as u64 * 0x100_0000
}

/// Normal-path receive buffer `k` (one per 4 KiB page).
pub fn np_buffer(k: usize) -> u64 {
    0x3_0000_0000 + k as u64 * 0x1000
}

/// Normal-path transmit buffer `k` (16 KiB each).
pub fn np_tx_buffer(k: usize) -> u64 {
    0x4_0000_0000 + k as u64 * 0x4000
}

/// Addresses of the ACCIO register map, from its one definition in `hdl`.
pub struct Map(hdl::regmap::RegMap);

impl Default for Map {
    fn default() -> Self {
        Map::new(&hdl::config::IctConfig::default())
    }
}

impl Map {
    /// The map of an ICT built with `cfg` (the miss filter's size depends on it).
    pub fn new(cfg: &hdl::config::IctConfig) -> Self {
        Map(hdl::accio::regs::regmap(cfg))
    }

    /// Register `reg` of instance `i` of `block`.
    pub fn at(&self, block: &str, i: usize, reg: &str) -> u64 {
        let b = self
            .0
            .block(block)
            .unwrap_or_else(|| panic!("no block {block}"));
        let r = self
            .0
            .reg(block, reg)
            .unwrap_or_else(|| panic!("no register {block}.{reg}"));
        b.base + b.stride * i as u64 + r.offset
    }

    pub fn entry(&self, i: usize, reg: &str) -> u64 {
        self.at("ENTRY", i, reg)
    }

    pub fn nic(&self, reg: &str) -> u64 {
        self.at("NIC", 0, reg)
    }

    /// A value of `block.reg` with `fields` set.
    pub fn pack(&self, block: &str, reg: &str, fields: &[(&str, u64)]) -> u64 {
        let r = self.0.reg(block, reg).unwrap();
        fields.iter().fold(0, |v, (f, x)| {
            let f = r
                .get_field(f)
                .unwrap_or_else(|| panic!("no field {block}.{reg}.{f}"));
            v | (x & ((1u128 << f.width) - 1) as u64) << f.lsb
        })
    }

    /// Field `field` of a `block.reg` value.
    pub fn get(&self, block: &str, reg: &str, field: &str, v: u64) -> u64 {
        let f = self.0.reg(block, reg).unwrap().get_field(field).unwrap();
        v >> f.lsb & ((1u128 << f.width) - 1) as u64
    }
}

pub fn mac_u64(m: [u8; 6]) -> u64 {
    m.iter().fold(0, |a, b| a << 8 | u64::from(*b))
}

/// Runs `frames` (bytes, MAC-bad flag) through the NIC with the host behaving as described.
/// `stat_names` are the NIC block registers read into the report's statistics.
pub fn run(
    p: &NicPins,
    conns: &[Conn],
    host: &HostCfg,
    frames: &[(Vec<u8>, bool)],
    stat_names: &[&str],
    data_width: u32,
    seed: u64,
) -> Report {
    let mut h = Host::new(conns, host, frames, stat_names, data_width, seed);
    p.link_up.set_bit(0, true);
    p.rst.set_bit(0, true);
    p.rx.idle();
    p.dut.tick().unwrap();
    p.rst.set_bit(0, false);
    loop {
        h.mac_drive(&p.rx, &p.tx);
        h.host_drive(&p.axil, &p.axi);
        p.dut.eval().unwrap();
        h.mac_sample(&p.rx, &p.tx);
        let done = h.host_sample(&p.axil, &p.axi);
        p.dut.tick().unwrap();
        if done {
            break;
        }
    }
    h.finish()
}

/// The host and the MAC of [`run`], in two halves that may run on different clocks: the
/// MAC side (`mac_drive`, `mac_sample`: the received frames, the transmit stream) and the
/// host side (`host_drive`, `host_sample`: the driver's register accesses over AXI4-Lite,
/// host memory behind the AXI4 master). Each clock cycle of a side is its `_drive` (the
/// inputs for the coming edge) and, once the outputs have settled, its `_sample` (the
/// handshakes the edge completes). [`run`] runs both on the NIC's one clock; a board test
/// runs the MAC side on the MAC's clock. The run is over when `host_sample` says so, after
/// [`HostCfg::quiet`] host cycles without activity on either side.
pub struct Host<'a> {
    conns: &'a [Conn],
    cfg: &'a HostCfg,
    stat_names: &'a [&'a str],
    map: Map,
    rng: ChaCha8Rng,
    mem: HostMem,
    mmio: AxilMaster,
    why: VecDeque<Why>,
    heads: Vec<u32>,
    posted: VecDeque<u64>,
    report: Report,
    beats: VecDeque<Beat>,
    out: Vec<Beat>,
    /// A received beat is on the MAC stream this MAC cycle.
    driving: bool,
    /// Something happened on either side since the last host cycle.
    active: bool,
    quiet: u64,
    poll: usize,
    draining: bool,
    setup_done: bool,
    data_width: u32,
    /// Per connection, the free-running TX ring offsets written so far and last read back.
    tx_tails: Vec<u32>,
    tx_heads: Vec<u32>,
    /// Normal-path frames posted for transmission and those the NIC has read (TX_DONE).
    np_posted: u64,
    np_done: u64,
    /// A TX_DONE or TX_HEAD read is queued, so a full queue asks only once.
    asked: Vec<Why>,
}

impl<'a> Host<'a> {
    /// The host set up for `conns`: the setup accesses queued, the TX rings and the
    /// normal-path frames written into host memory, `frames` waiting at the MAC.
    pub fn new(
        conns: &'a [Conn],
        host: &'a HostCfg,
        frames: &[(Vec<u8>, bool)],
        stat_names: &'a [&'a str],
        data_width: u32,
        seed: u64,
    ) -> Self {
        let map = Map::default();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut mem = HostMem::new(host.mem.clone(), ChaCha8Rng::seed_from_u64(rng.gen()));
        let mut mmio = AxilMaster::new(ChaCha8Rng::seed_from_u64(rng.gen()));
        let mut why: VecDeque<Why> = VecDeque::new();
        let mut setup = setup_writes(&map, conns, host);
        let mut tx_tails = vec![0u32; conns.len()];
        // The TX rings' records, written before their doorbells.
        for (i, c) in conns.iter().enumerate() {
            assert!(
                c.tx_footprint(data_width) <= u64::from(c.tx_ring_bytes),
                "connection {i}: datagrams to send exceed the TX ring"
            );
            let mut tail = 0u32;
            for d in &c.send {
                tail = write_tx_record(&mut mem, i, c.tx_ring_bytes, tail, d, data_width);
            }
            if tail != 0 {
                setup.push((map.entry(i, "TX_TAIL"), u64::from(tail)));
            }
            tx_tails[i] = tail;
        }
        let mut posted: VecDeque<u64> = VecDeque::new();
        for k in 0..host.np_buffers {
            setup.push((map.nic("RX_POST"), np_buffer(k)));
            posted.push_back(np_buffer(k));
        }
        for (k, f) in host.np_send.iter().enumerate() {
            let a = np_tx_buffer(k);
            mem.write(a, f);
            setup.push((
                map.nic("TX_POST"),
                map.pack("NIC", "TX_POST", &[("ADDR", a), ("LEN", f.len() as u64)]),
            ));
        }
        for (a, v) in setup {
            mmio.push(kw(a, v));
            why.push_back(Why::Setup);
        }
        let heads: Vec<u32> = vec![0; conns.len()];
        let beats = frames
            .iter()
            .flat_map(|(f, bad)| frame_to_beats(f, data_width as usize / 8, *bad as u64))
            .collect();
        Host {
            conns,
            cfg: host,
            stat_names,
            map,
            rng,
            mem,
            mmio,
            why,
            heads,
            posted,
            report: Report {
                rings: vec![Vec::new(); conns.len()],
                drops: vec![0; conns.len()],
                ..Report::default()
            },
            beats,
            out: Vec::new(),
            driving: false,
            active: false,
            quiet: 0,
            poll: 0,
            draining: false,
            setup_done: false,
            data_width,
            tx_heads: vec![0; conns.len()],
            tx_tails,
            np_posted: host.np_send.len() as u64,
            np_done: 0,
            asked: Vec::new(),
        }
    }

    /// Queues `frame` at the MAC behind the frames still waiting (a frame arriving now).
    pub fn receive(&mut self, frame: &[u8]) {
        let bytes = self.data_width as usize / 8;
        self.beats.extend(frame_to_beats(frame, bytes, 0));
    }

    /// Host cycles so far.
    pub fn cycles(&self) -> u64 {
        self.report.cycles
    }

    /// Host cycles since the last activity on either side (a frame moving, a record or
    /// completion consumed).
    pub fn quiet_cycles(&self) -> u64 {
        self.quiet
    }

    /// Frames the NIC transmitted since the last call.
    pub fn take_wire(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.report.wire)
    }

    /// Normal-path frames received since the last call, with their RX_COMP words.
    pub fn take_normal(&mut self) -> Vec<(Vec<u8>, u64)> {
        std::mem::take(&mut self.report.normal)
    }

    /// RX records connection `i`'s ring received since the last call.
    pub fn take_ring(&mut self, i: usize) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.report.rings[i])
    }

    /// Queues datagram `d` on connection `i` (a record and a doorbell); false when the ring
    /// has no room as far as the host last read `TX_HEAD` (it reads it again).
    #[must_use]
    pub fn send_datagram(&mut self, i: usize, d: &[u8]) -> bool {
        let size = self.conns[i].tx_ring_bytes;
        let need = tx_record::footprint(d.len(), self.data_width) as u32;
        if self.tx_tails[i].wrapping_sub(self.tx_heads[i]) + need > size {
            self.ask(Why::TxHead(i), kr(self.map.entry(i, "TX_HEAD")));
            return false;
        }
        let tail = write_tx_record(&mut self.mem, i, size, self.tx_tails[i], d, self.data_width);
        self.tx_tails[i] = tail;
        let a = kw(self.map.entry(i, "TX_TAIL"), u64::from(tail));
        self.push(a, Why::Setup);
        true
    }

    /// Queues `frame` on the normal path (`TX_POST`); false when all [`NP_TX_SLOTS`]
    /// buffers wait for the NIC as far as the host last read `TX_DONE` (it reads it again).
    #[must_use]
    pub fn send_normal(&mut self, frame: &[u8]) -> bool {
        if self.np_posted - self.np_done >= NP_TX_SLOTS {
            self.ask(Why::TxDone, kr(self.map.nic("TX_DONE")));
            return false;
        }
        // Past the buffers of `HostCfg::np_send`, which are never reused.
        let k = self.cfg.np_send.len() + (self.np_posted % NP_TX_SLOTS) as usize;
        let a = np_tx_buffer(k);
        self.mem.write(a, frame);
        self.np_posted += 1;
        let v = self.map.pack(
            "NIC",
            "TX_POST",
            &[("ADDR", a), ("LEN", frame.len() as u64)],
        );
        let post = kw(self.map.nic("TX_POST"), v);
        self.push(post, Why::Setup);
        true
    }

    fn ask(&mut self, w: Why, a: Access) {
        if !self.asked.contains(&w) {
            self.asked.push(w);
            self.push(a, w);
        }
    }

    /// MAC side, after its clock edge: the next received beat (once the NIC is set up,
    /// with random gaps) and the transmit side's random ready.
    pub fn mac_drive(&mut self, rx: &AxisIn, tx: &AxisOut) {
        let beat = if self.setup_done && !self.rng.gen_bool(self.cfg.rx_gaps) {
            self.beats.front().cloned()
        } else {
            None
        };
        match &beat {
            Some(b) => rx.drive(&b.with_unkept(self.rng.gen())),
            None => rx.idle(),
        }
        self.driving = beat.is_some();
        tx.set_ready(self.rng.gen_bool(self.cfg.tx_ready));
    }

    /// Host side, after its clock edge: the driver's next poll when nothing is pending
    /// (RX_TAIL of each entry, RX_COMP, the event queue, in turn), the register and
    /// memory ports.
    pub fn host_drive(&mut self, axil: &AxilPorts, axi: &AxiPorts) {
        let map = &self.map;
        if self.setup_done && !self.draining && self.mmio.idle() {
            let n = self.conns.len();
            let k = self.poll % (n + 2);
            self.poll += 1;
            let (a, w) = if k < n {
                (kr(map.entry(k, "RX_TAIL")), Why::RxTail(k))
            } else if k == n {
                (kr(map.nic("RX_COMP")), Why::RxComp)
            } else {
                (kr(map.at("GLOBAL", 0, "EVQ_POP")), Why::Event)
            };
            self.push(a, w);
        }
        self.mmio.drive(axil);
        self.mem.drive(axi);
    }

    /// MAC side, outputs settled before its edge: the beat the NIC takes (it never holds
    /// the receive side back), the beat it sends.
    pub fn mac_sample(&mut self, rx: &AxisIn, tx: &AxisOut) {
        if self.driving {
            assert!(rx.ready(), "the NIC held the MAC's receive stream back");
            self.beats.pop_front();
            self.active = true;
        }
        if tx.fires() {
            let b = tx.beat();
            let last = b.last;
            self.out.push(b);
            if last {
                self.report.wire.push(beats_to_frame(&self.out));
                self.out.clear();
            }
            self.active = true;
        }
    }

    /// Host side, outputs settled before its edge: the completed access and what the
    /// driver does about it, the memory's handshakes. True when the run is over.
    pub fn host_sample(&mut self, axil: &AxilPorts, axi: &AxiPorts) -> bool {
        let (_, done) = self.mmio.sample(axil);
        if let Some(c) = done {
            self.complete(c);
        }
        if !self.setup_done && self.why.iter().all(|w| *w != Why::Setup) {
            self.setup_done = true;
        }
        self.mem.sample(axi);
        self.report.cycles += 1;
        self.quiet = if self.active || !self.beats.is_empty() || !self.setup_done {
            0
        } else {
            self.quiet + 1
        };
        self.active = false;
        if self.quiet > self.cfg.quiet && !self.draining {
            // Read the statistics and every entry's drop count, then stop.
            self.draining = true;
            for (k, name) in self.stat_names.iter().enumerate() {
                let a = kr(self.map.nic(name));
                self.push(a, Why::Stat(k));
            }
            for i in 0..self.conns.len() {
                let a = kr(self.map.entry(i, "DROPS"));
                self.push(a, Why::Drops(i));
            }
        }
        assert!(self.report.cycles < 50_000_000, "the NIC never went quiet");
        self.draining && self.why.is_empty()
    }

    /// The report, once [`host_sample`](Self::host_sample) said the run is over.
    pub fn finish(self) -> Report {
        assert!(
            self.mem.violations.is_empty(),
            "AXI: {:#?}",
            self.mem.violations
        );
        self.report
    }

    fn push(&mut self, a: Access, w: Why) {
        self.mmio.push(a);
        self.why.push_back(w);
    }

    /// What the driver does with the answer to an access.
    fn complete(&mut self, c: Completion) {
        let w = self.why.pop_front().expect("every access has a purpose");
        assert_eq!(c.resp, 0, "{w:?}: {:?} answered {}", c.access, c.resp);
        let map = &self.map;
        match w {
            Why::Setup => {}
            Why::RxTail(i) => {
                let t = c.data as u32;
                let size = self.conns[i].rx_ring_bytes;
                let mut h = self.heads[i];
                while h != t {
                    let r = rx_record_at(&self.mem, i, size, h);
                    h = h.wrapping_add(rx_record::footprint(r.len() - rx_record::PAYLOAD) as u32);
                    self.report.rings[i].push(r);
                    self.active = true;
                }
                if h != self.heads[i] {
                    self.heads[i] = h;
                    let a = kw(map.entry(i, "RX_HEAD"), u64::from(h));
                    self.push(a, Why::Setup);
                }
            }
            Why::RxComp => {
                if map.get("NIC", "RX_COMP", "VALID", c.data) == 1 {
                    let a = self
                        .posted
                        .pop_front()
                        .expect("a completion has its buffer");
                    let len = map.get("NIC", "RX_COMP", "LEN", c.data) as usize;
                    self.report.normal.push((self.mem.read(a, len), c.data));
                    self.posted.push_back(a);
                    let (post, comp) = (kw(map.nic("RX_POST"), a), kr(map.nic("RX_COMP")));
                    self.push(post, Why::Setup);
                    // Drain the completions before polling anything else.
                    self.push(comp, Why::RxComp);
                    self.active = true;
                }
            }
            Why::Event => {
                if c.data != 0 {
                    self.report.events.push(c.data);
                    self.active = true;
                }
            }
            Why::Stat(k) => {
                self.report
                    .stats
                    .insert(self.stat_names[k].to_string(), c.data);
            }
            Why::Drops(i) => self.report.drops[i] = c.data,
            Why::TxHead(i) => {
                self.asked.retain(|a| *a != w);
                self.tx_heads[i] = c.data as u32;
            }
            Why::TxDone => {
                self.asked.retain(|a| *a != w);
                let count = map.get("NIC", "TX_DONE", "COUNT", c.data);
                // COUNT is free-running over 32 bits; the host's count is not.
                self.np_done += count.wrapping_sub(self.np_done) & 0xffff_ffff;
            }
        }
    }
}

/// The kernel's setup writes (address, value) for `conns`: the NIC block, then every
/// entry with its rings empty, enabled last.
pub fn setup_writes(map: &Map, conns: &[Conn], host: &HostCfg) -> Vec<(u64, u64)> {
    let mut w = vec![
        (map.nic("MAC_ADDR"), mac_u64(host.mac)),
        (map.nic("CTRL"), host.malformed_to_np as u64),
    ];
    for (i, c) in conns.iter().enumerate() {
        let e = |r: &str| map.entry(i, r);
        w.extend([
            (
                e("LOCAL"),
                map.pack(
                    "ENTRY",
                    "LOCAL",
                    &[("IP", c.local_ip.into()), ("PORT", c.local_port.into())],
                ),
            ),
            (
                e("REMOTE"),
                map.pack(
                    "ENTRY",
                    "REMOTE",
                    &[("IP", c.remote_ip.into()), ("PORT", c.remote_port.into())],
                ),
            ),
            (e("REMOTE_MAC"), mac_u64(c.remote_mac)),
            (e("RX_BASE"), rx_base(i)),
            (e("RX_SIZE"), u64::from(c.rx_ring_bytes)),
            (e("RX_HEAD"), 0),
            (e("RX_TAIL"), 0),
            (e("TX_BASE"), tx_base(i)),
            (e("TX_SIZE"), u64::from(c.tx_ring_bytes)),
            (e("TX_HEAD"), 0),
            (e("TX_TAIL"), 0),
            (e("DROPS"), 0),
        ]);
        // OWNER resets to 0 (ASID 0, core 0): written only for another core.
        if c.core != 0 {
            w.push((
                e("OWNER"),
                map.pack("ENTRY", "OWNER", &[("CORE", c.core.into())]),
            ));
        }
        w.extend([(
            e("CTRL"),
            map.pack(
                "ENTRY",
                "CTRL",
                &[
                    ("ENABLED", 1),
                    ("ACCELERATED", c.accelerated as u64),
                    ("PROTOCOL", 17),
                ],
            ),
        )]);
    }
    w
}

/// Writes datagram `d` as a TX record at free-running offset `tail` of connection `i`'s
/// TX ring of `size` bytes; the offset past it.
pub fn write_tx_record(
    mem: &mut HostMem,
    i: usize,
    size: u32,
    tail: u32,
    d: &[u8],
    data_width: u32,
) -> u32 {
    write_tx_record_to(mem, tx_base(i), size, tail, None, d, data_width)
}

/// Writes datagram `d` as a TX record at free-running offset `tail` of the TX ring at `base`
/// of `size` bytes, to `dest` (IPv4, port; `None`: the entry's REMOTE); the offset past it.
pub fn write_tx_record_to(
    mem: &mut HostMem,
    base: u64,
    size: u32,
    tail: u32,
    dest: Option<(u32, u16)>,
    d: &[u8],
    data_width: u32,
) -> u32 {
    let mut r = vec![0u8; tx_record::PAYLOAD];
    if let Some((ip, port)) = dest {
        r[tx_record::DST_IP..tx_record::DST_IP + 4].copy_from_slice(&ip.to_be_bytes());
        r[tx_record::DST_PORT..tx_record::DST_PORT + 2].copy_from_slice(&port.to_be_bytes());
    }
    r[tx_record::LEN..tx_record::LEN + 2].copy_from_slice(&(d.len() as u16).to_le_bytes());
    r.extend(d);
    r.resize(tx_record::footprint(d.len(), data_width), 0);
    for (k, b) in r.iter().enumerate() {
        let off = tail.wrapping_add(k as u32) & (size - 1);
        mem.write_byte(base + u64::from(off), *b);
    }
    tail.wrapping_add(r.len() as u32)
}

/// The RX record (header and payload) at free-running offset `off` of connection `i`'s RX
/// ring of `size` bytes.
pub fn rx_record_at(mem: &HostMem, i: usize, size: u32, off: u32) -> Vec<u8> {
    rx_record_in(mem, rx_base(i), size, off)
}

/// The RX record (header and payload) at free-running offset `off` of the RX ring at `base`
/// of `size` bytes.
pub fn rx_record_in(mem: &HostMem, base: u64, size: u32, off: u32) -> Vec<u8> {
    let rd = |at: u32, n: usize| -> Vec<u8> {
        (0..n)
            .map(|k| mem.read_byte(base + u64::from(at.wrapping_add(k as u32) & (size - 1))))
            .collect()
    };
    let hdr = rd(off, rx_record::PAYLOAD);
    let len = u16::from_le_bytes([hdr[rx_record::LEN], hdr[rx_record::LEN + 1]]) as usize;
    rd(off, rx_record::PAYLOAD + len)
}

/// A kernel write.
pub fn kw(addr: u64, v: u64) -> Access {
    Access::write(addr, v, true, 0)
}

/// A kernel read.
pub fn kr(addr: u64) -> Access {
    Access::read(addr, true, 0)
}

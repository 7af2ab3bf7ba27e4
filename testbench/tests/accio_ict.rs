//! `accio_ict` (ICT + ready queues + interrupts + event queue) against the reference model
//! `sim_models::accio::ict_model`, compared on every output pin in every cycle, plus directed
//! checks of what the issue promises: the exhaustive protection matrix, exact round-robin
//! order, interrupt gating, TX-completion wake-up, ICT miss → event → refill → hit, event
//! queue overflow counting, and the exact latencies.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim::prelude::*;
use sim_models::accio::ict_model::{IctIn, IctModel, IctOut, LookupResult, TxInfo};
use sim_models::axil::{Access, AxilMaster, Completion};
use sim_models::axil_master;
use testbench::accio_regs::{self as regs, core, entry, global, Reg};
use testbench::models::AccioIctN64C4F1024E64 as Dut;
use testbench::seed;

const N: usize = 64;
const CORES: usize = 4;
const OKAY: u8 = 0;
const SLVERR: u8 = 2;
const DECERR: u8 = 3;

/// `o` with what its consumers may not read set to 0, as an AXI checker sees it: BRESP
/// without BVALID, RRESP and RDATA without RVALID, and the TX sideband of a disabled entry
/// (the TX engine reads an entry only when `enabled`). These come from registers and
/// memories that need no reset, so they hold the random initial state until written.
fn defined(o: &IctOut) -> IctOut {
    let mut o = o.clone();
    if !o.bvalid {
        o.bresp = 0;
    }
    if !o.rvalid {
        o.rresp = 0;
        o.rdata = 0;
    }
    if !o.tx_info.enabled {
        o.tx_info = TxInfo::default();
    }
    o
}

/// The DUT, the model, an MMIO master and the engine-side inputs, stepped together; every
/// output is compared with the model in every cycle.
struct Bench {
    dut: Dut,
    model: IctModel,
    mmio: AxilMaster,
    /// Engine and event inputs for the next cycle (the AXI pins come from `mmio`).
    pub inp: IctIn,
    cycle: u64,
    done: Vec<Completion>,
    /// Cycle of each `res_valid`.
    results: Vec<(u64, LookupResult)>,
    seed_note: String,
}

impl Bench {
    fn new(name: &str) -> (Self, ChaCha8Rng) {
        let mut rng = seed::rng(name);
        let seed_note = format!("{name}: rerun with the SEED printed above");
        let dut = Dut::new();
        let model = IctModel::new(&hdl::config::IctConfig::default());
        let mmio = AxilMaster::new(ChaCha8Rng::seed_from_u64(rng.gen()));
        let mut b = Bench {
            dut,
            model,
            mmio,
            inp: IctIn::default(),
            cycle: 0,
            done: Vec::new(),
            results: Vec::new(),
            seed_note,
        };
        b.dut.rst.set(1);
        b.dut.tick().unwrap();
        b.dut.rst.set(0);
        b.init_table();
        (b, rng)
    }

    /// What a driver does once after reset: writes 0 to every entry register held in LUTRAM,
    /// which has no reset (see the `ict` module doc), with the doorbells it rings taken at
    /// once. Registers held in reset flip-flops (LOCAL, WAIT) are left alone, so a missing
    /// reset there still shows.
    fn init_table(&mut self) {
        const IN_LUTRAM: &[&str] = &[
            "CTRL",
            "REMOTE",
            "REMOTE_MAC",
            "CONN_ID",
            "OWNER",
            "HANDLE",
            "RX_BASE",
            "RX_SIZE",
            "RX_HEAD",
            "RX_TAIL",
            "TX_BASE",
            "TX_SIZE",
            "TX_HEAD",
            "TX_TAIL",
            "DROPS",
        ];
        self.inp.db_rx_ready = true;
        self.inp.db_tx_ready = true;
        for i in 0..N {
            for r in entry::ALL.iter().filter(|r| IN_LUTRAM.contains(&r.name)) {
                self.kwrite(Self::e(i, *r), 0);
            }
        }
        while self.dut.db_rx.valid.bit(0) || self.dut.db_tx.valid.bit(0) {
            self.step();
        }
        self.inp.db_rx_ready = false;
        self.inp.db_tx_ready = false;
    }

    fn drive_engine(&self) {
        let d = &self.dut;
        let i = &self.inp;
        d.lookup.valid.set(i.lookup_valid as u64);
        d.lookup.ip.set(i.lookup_ip as u64);
        d.lookup.port.set(i.lookup_port as u64);
        d.rx_upd.valid.set(i.rx_upd_valid as u64);
        d.rx_upd.index.set(i.rx_upd_index as u64);
        d.rx_upd.advance.set(i.rx_upd_advance as u64);
        d.rx_upd.tail.set(i.rx_upd_tail as u64);
        d.rx_upd.drop.set(i.rx_upd_drop as u64);
        d.tx_upd.valid.set(i.tx_upd_valid as u64);
        d.tx_upd.index.set(i.tx_upd_index as u64);
        d.tx_upd.head.set(i.tx_upd_head as u64);
        d.tx_info.index.set(i.tx_info_index as u64);
        d.db_rx.ready.set(i.db_rx_ready as u64);
        d.db_tx.ready.set(i.db_tx_ready as u64);
        d.link_up.set(i.link_up as u64);
        d.ev_malformed.valid.set(i.malformed_valid as u64);
        d.ev_malformed.class.set(i.malformed_class as u64);
        d.ev_dma.valid.set(i.dma_valid as u64);
        d.ev_dma.info.set(i.dma_info);
    }

    fn outputs(&self) -> IctOut {
        let d = &self.dut;
        let s = &d.s_axil;
        let b = |p: &dyn PortRead| p.bit(0);
        let v = |p: &dyn PortRead| p.get_bits(0, p.width());
        let res = b(&d.res.valid).then(|| LookupResult {
            hit: b(&d.res.hit),
            miss: b(&d.res.miss),
            index: v(&d.res.index) as usize,
            accelerated: b(&d.res.accelerated),
            core: v(&d.res.core) as u8,
            conn_id: v(&d.res.conn_id) as u32,
            rx_base: v(&d.res.rx_base),
            rx_size: v(&d.res.rx_size) as u32,
            rx_head: v(&d.res.rx_head) as u32,
            rx_tail: v(&d.res.rx_tail) as u32,
        });
        let t = &d.tx_info;
        IctOut {
            awready: b(&s.awready),
            wready: b(&s.wready),
            arready: b(&s.arready),
            bvalid: b(&s.bvalid),
            bresp: v(&s.bresp) as u8,
            rvalid: b(&s.rvalid),
            rresp: v(&s.rresp) as u8,
            rdata: v(&s.rdata),
            res,
            tx_info: TxInfo {
                enabled: b(&t.enabled),
                accelerated: b(&t.accelerated),
                local_ip: v(&t.local_ip) as u32,
                local_port: v(&t.local_port) as u16,
                remote: v(&t.remote),
                remote_mac: v(&t.remote_mac),
                base: v(&t.base),
                size: v(&t.size) as u32,
                head: v(&t.head) as u32,
                tail: v(&t.tail) as u32,
            },
            db_rx: b(&d.db_rx.valid).then(|| v(&d.db_rx.index) as usize),
            db_tx: b(&d.db_tx.valid).then(|| v(&d.db_tx.index) as usize),
            irq: v(&d.irq) as u32,
            evq_irq: b(&d.evq_irq),
        }
    }

    /// One cycle: drive, compare every defined output with the model (see [`defined`]),
    /// clock both.
    fn step(&mut self) -> IctOut {
        let ports = axil_master!(self.dut.s_axil);
        let pins = self.mmio.drive(&ports);
        self.inp.axil = pins;
        self.drive_engine();
        self.dut.eval().unwrap();
        let got = self.outputs();
        let want = self.model.outputs(&self.inp);
        assert_eq!(
            defined(&got),
            defined(&want),
            "cycle {}: outputs differ from the model ({})",
            self.cycle,
            self.seed_note
        );
        let (_, done) = self.mmio.sample(&ports);
        if let Some(c) = done {
            self.done.push(c);
        }
        if let Some(r) = &got.res {
            self.results.push((self.cycle, r.clone()));
        }
        self.model.edge(&self.inp);
        self.dut.tick().unwrap();
        self.cycle += 1;
        got
    }

    /// Steps until the MMIO master has answered everything queued.
    fn drain(&mut self) {
        let limit = self.cycle + 100_000;
        while !self.mmio.idle() {
            self.step();
            assert!(
                self.cycle < limit,
                "MMIO never answered ({})",
                self.seed_note
            );
        }
    }

    /// One access, waited for; returns (resp, data).
    fn access(&mut self, a: Access) -> (u8, u64) {
        self.mmio.push(a);
        self.drain();
        let c = self.done.pop().unwrap();
        (c.resp, c.data)
    }

    fn kread(&mut self, addr: u64) -> u64 {
        let (resp, data) = self.access(Access::read(addr, true, 0));
        assert_eq!(resp, OKAY, "kernel read of {addr:#x}");
        data
    }

    fn kwrite(&mut self, addr: u64, data: u64) {
        let (resp, _) = self.access(Access::write(addr, data, true, 0));
        assert_eq!(resp, OKAY, "kernel write of {addr:#x}");
    }

    fn e(i: usize, r: Reg) -> u64 {
        entry::addr(i as u32, r, 0)
    }
    fn c(k: usize, r: Reg) -> u64 {
        core::addr(k as u32, r, 0)
    }
    fn g(r: Reg, k: u32) -> u64 {
        global::addr(0, r, k)
    }

    /// Kernel sets up entry `i`: enabled, accelerated, key, owner, rings.
    fn program(&mut self, i: usize, ip: u32, port: u16, asid: u16, core_: u8, prio: u8) {
        let ctrl = entry::CTRL::ENABLED.put(0, 1);
        let ctrl = entry::CTRL::ACCELERATED.put(ctrl, 1);
        let ctrl = entry::CTRL::PROTOCOL.put(ctrl, 17);
        let ctrl = entry::CTRL::IRQ_PRIO.put(ctrl, prio as u64);
        self.kwrite(
            Self::e(i, entry::LOCAL),
            entry::LOCAL::IP.put(entry::LOCAL::PORT.put(0, port as u64), ip as u64),
        );
        let owner = entry::OWNER::CORE.put(entry::OWNER::ASID.put(0, asid as u64), core_ as u64);
        self.kwrite(Self::e(i, entry::OWNER), owner);
        self.kwrite(
            Self::e(i, entry::HANDLE),
            0xffff_8000_0000_0000 | (i as u64) << 12,
        );
        self.kwrite(
            Self::e(i, entry::RX_BASE),
            0x1_0000_0000 + (i as u64) * 0x10000,
        );
        self.kwrite(Self::e(i, entry::RX_SIZE), 8192);
        self.kwrite(Self::e(i, entry::CTRL), ctrl);
    }

    fn set_ctx(&mut self, k: usize, asid: u16, accel: bool, prio: u8) {
        let v = core::CTX::ASID.put(0, asid as u64);
        let v = core::CTX::ACCEL.put(v, accel as u64);
        let v = core::CTX::PRIO.put(v, prio as u64);
        self.kwrite(Self::c(k, core::CTX), v);
    }

    /// One RX update in the next cycle (then idle).
    fn rx_advance(&mut self, i: usize, tail: u32) {
        self.inp.rx_upd_valid = true;
        self.inp.rx_upd_index = i;
        self.inp.rx_upd_advance = true;
        self.inp.rx_upd_tail = tail;
        self.step();
        self.inp.rx_upd_valid = false;
        self.inp.rx_upd_advance = false;
    }

    /// Reads every register without a read side effect, every instance and word, as the
    /// kernel: each read is compared with the model's state (see `step`).
    fn dump_all(&mut self) -> usize {
        let blocks: [(&[Reg], u32, fn(u32, Reg, u32) -> u64); 3] = [
            (global::ALL, global::COUNT, global::addr),
            (core::ALL, core::COUNT, core::addr),
            (entry::ALL, entry::COUNT, entry::addr),
        ];
        let mut n = 0;
        for (regs, count, addr) in blocks {
            for blk in 0..count {
                for r in regs
                    .iter()
                    .filter(|r| r.kernel.can_read() && !r.read_effect)
                {
                    for k in 0..r.count {
                        self.kread(addr(blk, *r, k));
                        n += 1;
                    }
                }
            }
        }
        n
    }

    fn pop_event(&mut self) -> u64 {
        self.kread(Self::g(global::EVQ_POP, 0))
    }

    /// Steps until the event queue has drained its holding registers into the FIFO.
    fn settle(&mut self) {
        for _ in 0..8 {
            self.step();
        }
    }
}

fn ev_type(w: u64) -> u64 {
    global::EVQ_POP::TYPE.get(w)
}

#[test]
fn random_mmio_and_engine_traffic_matches_the_model() {
    let (mut b, mut rng) = Bench::new("random_mmio_and_engine_traffic");
    b.mmio.max_gap = 3;
    b.mmio.stall = 0.3;
    // A small key pool, so lookups hit, miss and hit disabled slots.
    let keys: Vec<(u32, u16)> = (0..24)
        .map(|k| (0x0a00_0000 | rng.gen_range(0..4u32), 4000 + k as u16))
        .collect();
    let asids = [0x11u16, 0x22, 0x33];
    for i in 0..N {
        if rng.gen_bool(0.7) {
            let (ip, port) = keys[rng.gen_range(0..keys.len())];
            let asid = asids[rng.gen_range(0..3)];
            b.program(
                i,
                ip,
                port,
                asid,
                rng.gen_range(0..CORES as u8 + 1),
                rng.gen_range(0..4),
            );
        }
    }
    for k in 0..CORES {
        b.kwrite(Bench::c(k, core::IRQ_CTRL), 1);
    }
    b.kwrite(Bench::g(global::EVQ_CTRL, 0), 1);
    for k in 0..16 {
        b.kwrite(Bench::g(global::MISS_FILTER, k), rng.gen());
    }
    let entry_regs = entry::ALL;
    let mut ops = 0;
    while b.cycle < 200_000 {
        if b.mmio.idle() {
            ops += 1;
            let privileged = rng.gen_bool(0.4);
            let core_ = rng.gen_range(0..CORES as u8 + 1);
            let addr = match rng.gen_range(0..20) {
                0 => Bench::g(
                    global::ALL[rng.gen_range(0..global::ALL.len())],
                    rng.gen_range(0..2),
                ),
                1 => Bench::c(
                    rng.gen_range(0..CORES),
                    core::ALL[rng.gen_range(0..core::ALL.len())],
                ),
                2 => rng.gen_range(0..0x2_0000u64) & !7,
                3 if privileged => {
                    // Context switch.
                    let v = core::CTX::ASID.put(0, asids[rng.gen_range(0..3)] as u64);
                    let v = core::CTX::ACCEL.put(v, rng.gen_range(0..2));
                    let v = core::CTX::PRIO.put(v, rng.gen_range(0..4));
                    b.mmio.push(Access::write(
                        Bench::c(rng.gen_range(0..CORES), core::CTX),
                        v,
                        true,
                        0,
                    ));
                    continue;
                }
                _ => Bench::e(
                    rng.gen_range(0..N),
                    entry_regs[rng.gen_range(0..entry_regs.len())],
                ),
            };
            let mut a = if rng.gen_bool(0.5) {
                let data = match rng.gen_range(0..3) {
                    0 => rng.gen::<u64>(),
                    1 => rng.gen_range(0..16),
                    _ => rng.gen::<u64>() & 0x3_0000_0003,
                };
                Access::write(addr, data, privileged, core_)
            } else {
                Access::read(addr, privileged, core_)
            };
            if a.write && rng.gen_bool(0.1) {
                a.strb = rng.gen();
            }
            b.mmio.push(a);
        }
        let i = &mut b.inp;
        i.lookup_valid = rng.gen_bool(0.5);
        let (ip, port) = if rng.gen_bool(0.8) {
            keys[rng.gen_range(0..keys.len())]
        } else {
            (rng.gen(), rng.gen())
        };
        (i.lookup_ip, i.lookup_port) = (ip, port);
        i.rx_upd_valid = rng.gen_bool(0.2);
        i.rx_upd_index = rng.gen_range(0..N);
        i.rx_upd_advance = rng.gen_bool(0.7);
        i.rx_upd_tail = rng.gen_range(0..64) * 64;
        i.rx_upd_drop = !i.rx_upd_advance && rng.gen_bool(0.5);
        i.tx_upd_valid = rng.gen_bool(0.1);
        i.tx_upd_index = rng.gen_range(0..N);
        i.tx_upd_head = rng.gen_range(0..64) * 64;
        i.tx_info_index = rng.gen_range(0..N);
        i.db_rx_ready = rng.gen_bool(0.5);
        i.db_tx_ready = rng.gen_bool(0.5);
        if rng.gen_bool(0.001) {
            i.link_up = !i.link_up;
        }
        i.malformed_valid = rng.gen_bool(0.01);
        i.malformed_class = rng.gen();
        i.dma_valid = rng.gen_bool(0.005);
        i.dma_info = rng.gen::<u64>() & 0xff_ffff_ffff;
        // Pop a ready entry and an event now and then, as the kernel would.
        if rng.gen_bool(0.002) {
            b.mmio.push(Access::read(
                Bench::c(rng.gen_range(0..CORES), core::RQ_POP),
                true,
                0,
            ));
            b.mmio
                .push(Access::read(Bench::g(global::EVQ_POP, 0), true, 0));
        }
        b.step();
    }
    b.drain();
    b.inp = IctIn::default();
    b.mmio.stall = 0.0;
    let regs_read = b.dump_all();
    assert!(regs_read > N * 15, "{regs_read}");
    let denied = b.done.iter().filter(|c| c.resp == SLVERR).count();
    let decerr = b.done.iter().filter(|c| c.resp == DECERR).count();
    println!(
        "{ops} random accesses, {denied} SLVERR, {decerr} DECERR, {} lookups",
        b.results.len()
    );
    assert!(
        denied > 100
            && decerr > 10
            && b.results.iter().any(|r| r.1.hit)
            && b.results.iter().any(|r| r.1.miss)
    );
}

/// Every entry × every ENTRY register × {kernel, owner, other ASID} × {read, write}; then
/// the GLOBAL and CORE registers from user code.
#[test]
fn protection_matrix_is_exhaustive() {
    let (mut b, mut rng) = Bench::new("protection_matrix");
    b.mmio.max_gap = 1;
    b.mmio.stall = 0.2;
    const OWNER_CORE: u8 = 1;
    const OTHER_CORE: u8 = 2;
    // Each entry has its own ASID; the other core's differs from it in one bit, a different
    // bit for each entry, so every bit of the comparison is exercised.
    let owner_of = |i: usize| 0x4000 + i as u16;
    let other_of = |i: usize| owner_of(i) ^ 1 << (i % 16);
    for i in 0..N {
        b.program(i, 0x0a00_0001, 5000 + i as u16, owner_of(i), 0, 1);
    }
    let mut checked = 0;
    for i in 0..N {
        let owner_asid = owner_of(i);
        b.set_ctx(OWNER_CORE as usize, owner_asid, true, 1);
        b.set_ctx(OTHER_CORE as usize, other_of(i), true, 1);
        for r in entry::ALL {
            let addr = Bench::e(i, *r);
            for who in ["kernel", "owner", "other"] {
                let (privileged, core_) = match who {
                    "kernel" => (true, 0),
                    "owner" => (false, OWNER_CORE),
                    _ => (false, OTHER_CORE),
                };
                let rights = if privileged { r.kernel } else { r.user };
                for write in [false, true] {
                    let allowed = (if write {
                        rights.can_write()
                    } else {
                        rights.can_read()
                    }) && who != "other";
                    let before = b.kread(addr);
                    let data = rng.gen::<u64>();
                    let a = if write {
                        Access::write(addr, data, privileged, core_)
                    } else {
                        Access::read(addr, privileged, core_)
                    };
                    let (resp, rdata) = b.access(a);
                    let what = format!(
                        "entry {i} {} by {who}, {}",
                        r.name,
                        if write { "write" } else { "read" }
                    );
                    checked += 1;
                    if allowed {
                        assert_eq!(resp, OKAY, "{what}");
                        if write {
                            // Put the old value back so the entry keeps its owner and key.
                            b.kwrite(addr, before);
                        } else {
                            assert_eq!(rdata, before, "{what}: read value");
                        }
                        continue;
                    }
                    assert_eq!(resp, SLVERR, "{what}");
                    assert_eq!(rdata, 0, "{what}: a denied read returns zeros");
                    assert_eq!(b.kread(addr), before, "{what}: register changed");
                    b.settle();
                    let ev = b.pop_event();
                    assert_eq!(ev_type(ev), regs::EV_PROT_FAULT, "{what}: event {ev:#x}");
                    let d = global::EVQ_POP::DATA.get(ev);
                    assert_eq!(d & 0xffff, i as u64, "{what}: event entry");
                    assert_eq!(d >> 16 & 0xff, core_ as u64, "{what}: event core");
                    let asid = match who {
                        "kernel" => 0, // core 0's CTX.ASID
                        "owner" => owner_asid,
                        _ => other_of(i),
                    };
                    assert_eq!(d >> 24 & 0xffff, asid as u64, "{what}: event ASID");
                    assert_eq!(d >> 40 & 1, write as u64, "{what}: event write bit");
                    assert_eq!(
                        d >> 42 & 0x3fff,
                        (addr >> 3) & 0x3fff,
                        "{what}: event address"
                    );
                }
            }
        }
    }
    // GLOBAL and CORE registers: user code may touch none of them, even with a matching ASID.
    for r in global::ALL.iter().chain(core::ALL) {
        let addr = if global::ALL.contains(r) {
            Bench::g(*r, 0)
        } else {
            Bench::c(0, *r)
        };
        for write in [false, true] {
            let a = if write {
                Access::write(addr, 0, false, OWNER_CORE)
            } else {
                Access::read(addr, false, OWNER_CORE)
            };
            assert_eq!(b.access(a).0, SLVERR, "user access to {}", r.name);
            checked += 1;
        }
    }
    // A core number past the last core matches no ASID.
    let (resp, _) = b.access(Access::read(
        Bench::e(0, entry::RX_HEAD),
        false,
        CORES as u8,
    ));
    assert_eq!(resp, SLVERR);
    // Unmapped addresses answer DECERR for everyone.
    assert_eq!(b.access(Access::read(0x7f8, true, 0)).0, DECERR);
    assert_eq!(
        b.access(Access::write(0x1_0000 + N as u64 * 0x100, 1, true, 0))
            .0,
        DECERR
    );
    b.dump_all();
    println!("{checked} protection cases");
    assert_eq!(
        checked,
        N * entry::ALL.len() * 6 + (global::ALL.len() + core::ALL.len()) * 2
    );
}

#[test]
fn ready_queue_pops_in_exact_round_robin_order() {
    let (mut b, _) = Bench::new("ready_queue_round_robin");
    let members = [3usize, 7, 12, 40, 63];
    for &i in &members {
        b.program(i, 0x0a00_0002, 6000 + i as u16, 0x10, 2, 0);
    }
    b.program(20, 0x0a00_0002, 6020, 0x10, 1, 0); // another core's entry
    let pop = |b: &mut Bench| {
        let v = b.kread(Bench::c(2, core::RQ_POP));
        core::RQ_POP::VALID
            .get(v)
            .eq(&1)
            .then(|| core::RQ_POP::INDEX.get(v) as usize)
    };
    let wake = |b: &mut Bench, i: usize, tail: u32| {
        b.kwrite(Bench::e(i, entry::WAIT), 1);
        b.rx_advance(i, tail);
    };
    for (n, &i) in members.iter().enumerate() {
        wake(&mut b, i, 64 * (n as u32 + 1));
    }
    wake(&mut b, 20, 64);
    assert_eq!(pop(&mut b), Some(3));
    assert_eq!(
        b.kread(Bench::c(2, core::RQ_HANDLE)),
        0xffff_8000_0000_0000 | 3 << 12
    );
    let peek = b.kread(Bench::c(2, core::RQ_PEEK));
    assert_eq!(core::RQ_PEEK::INDEX.get(peek), 7);
    assert_eq!(core::RQ_PEEK::RX.get(peek), 1);
    assert_eq!(pop(&mut b), Some(7));
    assert_eq!(pop(&mut b), Some(12));
    // 3 becomes ready again: it waits its turn after 40 and 63.
    wake(&mut b, 3, 4096);
    assert_eq!(pop(&mut b), Some(40));
    assert_eq!(pop(&mut b), Some(63));
    assert_eq!(pop(&mut b), Some(3));
    assert_eq!(pop(&mut b), None);
    assert_eq!(b.kread(Bench::c(2, core::RQ_POP)), regs::RQ_EMPTY);
    assert_eq!(b.kread(Bench::c(2, core::RQ_HANDLE)), 0);
    // Popping cleared the wait bits, so new data alone does not make them ready.
    b.rx_advance(7, 9000);
    assert_eq!(pop(&mut b), None);
    // Core 1 still has its entry.
    let v = b.kread(Bench::c(1, core::RQ_POP));
    assert_eq!(
        (core::RQ_POP::VALID.get(v), core::RQ_POP::INDEX.get(v)),
        (1, 20)
    );
}

/// The ready queue's head is a pipeline (`HEAD_LATENCY` edges): pops, peeks and interrupt
/// status read back to back while the RX and TX engines make entries ready at random
/// cycles, so every cycle offset between a change and a read occurs; the model follows
/// the pipeline pin for pin.
#[test]
fn ready_queue_head_follows_engine_updates_cycle_by_cycle() {
    let (mut b, mut rng) = Bench::new("ready_queue_pipeline");
    const MEMBERS: usize = 24;
    for i in 0..MEMBERS {
        b.program(i * 2, 0x0a00_0003, 7000 + i as u16, 0x20, (i % 2) as u8, 1);
    }
    for k in 0..2 {
        b.kwrite(Bench::c(k, core::IRQ_CTRL), 1);
    }
    let mut tails = [0u32; MEMBERS];
    let (mut pops, mut empty) = (0, 0);
    while b.cycle < 40_000 {
        if b.mmio.idle() {
            let k = rng.gen_range(0..2);
            let a = match rng.gen_range(0..10) {
                0..=3 => Access::read(Bench::c(k, core::RQ_POP), true, 0),
                4..=6 => Access::read(Bench::c(k, core::RQ_PEEK), true, 0),
                7 => Access::read(Bench::c(k, core::IRQ_STATUS), true, 0),
                // The thread waits again (RX, TX or both).
                _ => Access::write(
                    Bench::e(rng.gen_range(0..MEMBERS) * 2, entry::WAIT),
                    rng.gen_range(1..4),
                    true,
                    0,
                ),
            };
            b.mmio.push(a);
        }
        let i = rng.gen_range(0..MEMBERS);
        b.inp.rx_upd_valid = rng.gen_bool(0.1);
        b.inp.rx_upd_index = i * 2;
        b.inp.rx_upd_advance = true;
        tails[i] = (tails[i] + 64) % 8192;
        b.inp.rx_upd_tail = tails[i];
        b.inp.tx_upd_valid = rng.gen_bool(0.05);
        b.inp.tx_upd_index = rng.gen_range(0..MEMBERS) * 2;
        b.inp.tx_upd_head = rng.gen_range(0..64) * 64;
        b.step();
        if let Some(c) = b.done.pop() {
            let head_read = (0..2).any(|k| {
                [core::RQ_POP, core::RQ_PEEK]
                    .map(|r| Bench::c(k, r))
                    .contains(&c.access.addr)
            });
            if head_read && core::RQ_POP::VALID.get(c.data) == 1 {
                pops += 1;
            } else if head_read {
                empty += 1;
            }
        }
    }
    b.inp = IctIn::default();
    b.drain();
    println!("{pops} reads found a head, {empty} did not");
    assert!(pops > 500 && empty > 200, "{pops} {empty}");
}

/// VICTIM reads a registered victim: lookups mark slots used at random cycles while the
/// kernel reads VICTIM back to back, ages the slots and frees some, so the clock hand's
/// every case (free, unused, at the hand) meets every cycle offset; the model follows
/// pin for pin.
#[test]
fn victim_follows_lookups_cycle_by_cycle() {
    let (mut b, mut rng) = Bench::new("victim_pipeline");
    let key = |i: usize| (0x0a00_0100 + i as u32, 8000 + i as u16);
    for i in 0..N {
        b.program(i, key(i).0, key(i).1, 0x30, 0, 0);
    }
    let (mut free, mut unused, mut at_hand) = (0, 0, 0);
    while b.cycle < 30_000 {
        if b.mmio.idle() {
            let a = match rng.gen_range(0..40) {
                0..=29 => Access::read(Bench::g(global::VICTIM, 0), true, 0),
                30 => Access::write(Bench::g(global::USAGE_CLEAR, 0), 1, true, 0),
                31 => {
                    // A connection closes: its slot is free.
                    Access::write(Bench::e(rng.gen_range(0..N), entry::CTRL), 0, true, 0)
                }
                _ => Access::read(Bench::e(rng.gen_range(0..N), entry::STATUS), true, 0),
            };
            b.mmio.push(a);
        }
        b.inp.lookup_valid = rng.gen_bool(0.9);
        (b.inp.lookup_ip, b.inp.lookup_port) = key(rng.gen_range(0..N));
        b.step();
        if let Some(c) = b.done.pop() {
            if !c.access.write && c.access.addr == Bench::g(global::VICTIM, 0) {
                match (
                    global::VICTIM::FREE.get(c.data),
                    global::VICTIM::UNUSED.get(c.data),
                ) {
                    (1, _) => {
                        // The kernel fills the free slot it was given.
                        let i = global::VICTIM::INDEX.get(c.data) as usize;
                        let on = entry::CTRL::ENABLED.put(0, 1);
                        b.mmio
                            .push(Access::write(Bench::e(i, entry::CTRL), on, true, 0));
                        free += 1
                    }
                    (_, 1) => unused += 1,
                    _ => at_hand += 1,
                }
            }
        }
    }
    b.inp = IctIn::default();
    b.drain();
    println!("VICTIM: {free} free, {unused} unused, {at_hand} at the hand");
    assert!(
        free > 100 && unused > 100 && at_hand > 20,
        "{free} {unused} {at_hand}"
    );
}

#[test]
fn interrupt_gating_and_wake_latency() {
    let (mut b, _) = Bench::new("interrupt_gating");
    b.program(5, 0x0a00_0003, 7000, 0x10, 0, 2); // IRQ_PRIO 2 on core 0
    b.program(6, 0x0a00_0003, 7001, 0x10, 0, 0); // IRQ_PRIO 0: never interrupts
    b.kwrite(Bench::c(0, core::IRQ_CTRL), 1);
    // Arrival with the entry's thread waiting → interrupt exactly WAKE_IRQ_LATENCY later.
    let arrive = |b: &mut Bench, i: usize, tail: u32| -> Option<u64> {
        b.kwrite(Bench::e(i, entry::WAIT), 1);
        let t0 = b.cycle;
        b.rx_advance(i, tail);
        for _ in 0..6 {
            if b.step().irq & 1 == 1 {
                return Some(b.cycle - 1 - t0);
            }
        }
        None
    };
    let cases = [
        (
            "idle core",
            false,
            0,
            Some(hdl::accio::regs::WAKE_IRQ_LATENCY),
        ),
        (
            "lower-priority thread running",
            true,
            1,
            Some(hdl::accio::regs::WAKE_IRQ_LATENCY),
        ),
        ("same-priority thread running", true, 2, None),
        ("higher-priority thread running", true, 3, None),
        (
            "ordinary thread running",
            false,
            3,
            Some(hdl::accio::regs::WAKE_IRQ_LATENCY),
        ),
    ];
    let mut tail = 0;
    for (what, accel, prio, want) in cases {
        b.set_ctx(0, 0x99, accel, prio);
        tail += 64;
        assert_eq!(arrive(&mut b, 5, tail), want, "{what}");
        let st = b.kread(Bench::c(0, core::IRQ_STATUS));
        assert_eq!(core::IRQ_STATUS::READY.get(st), 1, "{what}");
        assert_eq!(
            core::IRQ_STATUS::ELIGIBLE.get(st),
            want.is_some() as u64,
            "{what}"
        );
        // Acknowledge: pop it; the line falls.
        assert_eq!(
            core::RQ_POP::INDEX.get(b.kread(Bench::c(0, core::RQ_POP))),
            5
        );
        b.step();
        assert_eq!(b.step().irq & 1, 0, "{what}: line after pop");
        b.kwrite(Bench::e(5, entry::RX_HEAD), tail as u64);
    }
    // Flag off: ready, never an interrupt.
    b.set_ctx(0, 0x99, false, 0);
    assert_eq!(arrive(&mut b, 6, 64), None, "IRQ_PRIO 0");
    b.kread(Bench::c(0, core::RQ_POP));
    // Interrupt disabled: no line.
    b.kwrite(Bench::c(0, core::IRQ_CTRL), 0);
    assert_eq!(arrive(&mut b, 5, tail + 64), None, "IRQ_CTRL.EN = 0");
    // Enabling it with the entry still ready raises the line (level-sensitive).
    b.kwrite(Bench::c(0, core::IRQ_CTRL), 1);
    b.step();
    assert_eq!(b.step().irq & 1, 1, "line after enable");
    // A context switch to an equal-priority accelerated thread lowers it.
    b.set_ctx(0, 0x99, true, 2);
    b.step();
    assert_eq!(b.step().irq & 1, 0, "line after context switch");
}

#[test]
fn tx_completion_wakes_a_sender_waiting_for_space() {
    let (mut b, _) = Bench::new("tx_completion");
    b.program(9, 0x0a00_0004, 8000, 0x10, 3, 1);
    b.kwrite(Bench::c(3, core::IRQ_CTRL), 1);
    // A TX advance before the thread waits does not count.
    b.inp.tx_upd_valid = true;
    b.inp.tx_upd_index = 9;
    b.inp.tx_upd_head = 128;
    b.step();
    b.inp.tx_upd_valid = false;
    b.kwrite(Bench::e(9, entry::WAIT), 2);
    b.settle();
    assert_eq!(b.kread(Bench::c(3, core::RQ_PEEK)), regs::RQ_EMPTY);
    // The TX engine frees space: ready with TX set, and the interrupt rises.
    b.inp.tx_upd_valid = true;
    b.inp.tx_upd_head = 256;
    b.step();
    b.inp.tx_upd_valid = false;
    b.step();
    assert_eq!(b.step().irq >> 3 & 1, 1);
    let v = b.kread(Bench::c(3, core::RQ_POP));
    assert_eq!(
        (
            core::RQ_POP::INDEX.get(v),
            core::RQ_POP::TX.get(v),
            core::RQ_POP::RX.get(v)
        ),
        (9, 1, 0)
    );
    assert_eq!(entry::WAIT::TX.get(b.kread(Bench::e(9, entry::WAIT))), 0);
    assert_eq!(b.kread(Bench::e(9, entry::TX_HEAD)), 256);
    // An advance in the very cycle WAIT.TX = 1 is written counts: the write is executed
    // two cycles after its address handshake (decode, then execute), and the update wins.
    b.mmio
        .push(Access::write(Bench::e(9, entry::WAIT), 2, true, 0));
    b.step(); // AW/W handshake
    b.step(); // decode
    b.inp.tx_upd_valid = true;
    b.inp.tx_upd_head = 384;
    b.step(); // executed here, with the update
    b.inp.tx_upd_valid = false;
    b.drain();
    let v = b.kread(Bench::c(3, core::RQ_POP));
    assert_eq!(
        (core::RQ_POP::VALID.get(v), core::RQ_POP::TX.get(v)),
        (1, 1),
        "same-cycle advance lost"
    );
}

#[test]
fn ict_miss_raises_an_event_and_a_refilled_slot_hits() {
    let (mut b, _) = Bench::new("ict_miss_refill");
    for i in 0..N {
        b.program(i, 0x0a00_0005, 9000 + i as u16, 0x10, 0, 0);
    }
    let (ip, port) = (0xc0a8_0107u32, 4791u16);
    let h = hdl::accio::regs::miss_filter_hash(ip, port, 1024);
    b.kwrite(Bench::g(global::MISS_FILTER, h / 64), 1 << (h % 64));
    let lookup = |b: &mut Bench, ip: u32, port: u16| -> (u64, LookupResult) {
        b.inp.lookup_valid = true;
        (b.inp.lookup_ip, b.inp.lookup_port) = (ip, port);
        let t0 = b.cycle;
        b.step();
        b.inp.lookup_valid = false;
        loop {
            if let Some(r) = b.step().res {
                return (b.cycle - 1 - t0, r);
            }
        }
    };
    // Slots 0..N are used once each, slot 17 again; USAGE_CLEAR ages them all, then every
    // slot but 17 is looked up again, so 17 is the only unused one.
    b.kwrite(Bench::g(global::USAGE_CLEAR, 0), 1);
    for i in (0..N).filter(|&i| i != 17) {
        let (lat, r) = lookup(&mut b, 0x0a00_0005, 9000 + i as u16);
        assert_eq!(lat, regs::LOOKUP_LATENCY, "lookup latency");
        assert!(r.hit && r.index == i && r.accelerated);
        assert_eq!(r.rx_base, 0x1_0000_0000 + i as u64 * 0x10000);
    }
    let (_, r) = lookup(&mut b, ip, port);
    assert!(!r.hit && r.miss, "{r:?}");
    // A second packet of the same flow raises no second event.
    lookup(&mut b, ip, port);
    b.settle();
    let ev = b.pop_event();
    assert_eq!(ev_type(ev), regs::EV_ICT_MISS);
    assert_eq!(
        global::EVQ_POP::DATA.get(ev),
        (ip as u64) << 16 | port as u64
    );
    assert_eq!(b.pop_event(), 0, "the repeated miss is reported once");
    // An unmarked flow misses without an event.
    let (_, r) = lookup(&mut b, ip, port + 1);
    assert!(!r.hit && !r.miss);
    let v = b.kread(Bench::g(global::VICTIM, 0));
    assert_eq!(
        (global::VICTIM::INDEX.get(v), global::VICTIM::UNUSED.get(v)),
        (17, 1)
    );
    // Refill slot 17 with the missing flow.
    b.program(17, ip, port, 0x20, 1, 0);
    let (_, r) = lookup(&mut b, ip, port);
    assert!(r.hit && r.index == 17 && r.core == 1, "{r:?}");
    assert_eq!(b.kread(Bench::g(global::USAGE, 0)) >> 17 & 1, 1);
    // Disabling a slot makes it the next victim.
    b.kwrite(Bench::e(30, entry::CTRL), 0);
    let v = b.kread(Bench::g(global::VICTIM, 0));
    assert_eq!(
        (global::VICTIM::INDEX.get(v), global::VICTIM::FREE.get(v)),
        (30, 1)
    );
}

#[test]
fn event_queue_overflow_is_counted_exactly() {
    let (mut b, _) = Bench::new("event_queue_overflow");
    let depth = 64;
    let offered = 200u64;
    for k in 0..offered {
        b.inp.malformed_valid = true;
        b.inp.malformed_class = k as u8;
        b.step();
    }
    b.inp.malformed_valid = false;
    b.settle();
    // The FIFO holds `depth`, the source's holding register one more.
    assert_eq!(b.kread(Bench::g(global::EVQ_STATUS, 0)), depth);
    assert_eq!(b.kread(Bench::g(global::EVQ_LOST, 0)), offered - depth - 1);
    for k in 0..depth + 1 {
        let ev = b.pop_event();
        assert_eq!(ev_type(ev), regs::EV_MALFORMED);
        assert_eq!(
            global::EVQ_POP::DATA.get(ev),
            k & 0xff,
            "events stay in order"
        );
        b.settle();
    }
    assert_eq!(b.pop_event(), 0);
    b.kwrite(Bench::g(global::EVQ_LOST, 0), 0);
    assert_eq!(b.kread(Bench::g(global::EVQ_LOST, 0)), 0);
    // Link changes and DMA errors arrive too, with the queue interrupt.
    b.kwrite(Bench::g(global::EVQ_CTRL, 0), 1);
    b.inp.link_up = true;
    b.inp.dma_valid = true;
    b.inp.dma_info = 0x1_0005;
    b.step();
    b.inp.dma_valid = false;
    b.settle();
    assert!(b.step().evq_irq);
    assert_eq!(b.kread(Bench::g(global::LINK, 0)), 1);
    assert_eq!(ev_type(b.pop_event()), regs::EV_DMA_ERROR);
    b.settle();
    assert_eq!(ev_type(b.pop_event()), regs::EV_LINK_UP);
}

#[test]
fn mmio_read_latency_is_exact() {
    let (mut b, _) = Bench::new("mmio_latency");
    b.mmio.push(Access::read(Bench::g(global::ID, 0), true, 0));
    b.drain();
    let c = b.done.pop().unwrap();
    assert_eq!(c.data, global::ID.reset);
    assert_eq!(c.answered - c.accepted, regs::MMIO_READ_LATENCY);
    // Doorbells: a user write of TX_TAIL queues the entry for the TX engine.
    b.program(4, 0x0a00_0006, 100, 0x10, 0, 0);
    b.set_ctx(1, 0x10, true, 0);
    assert_eq!(
        b.access(Access::write(Bench::e(4, entry::TX_TAIL), 512, false, 1))
            .0,
        OKAY
    );
    assert_eq!(b.step().db_tx, Some(4));
    b.inp.db_tx_ready = true;
    b.step();
    assert_eq!(b.step().db_tx, None);
}

//! The Accio I/O Connection Table (ICT) behind its protected AXI4-Lite slave, with the
//! ready queues ([`ready_queue`](super::ready_queue)) and the control event queue
//! ([`event_queue`](super::event_queue)) as children. The registers are the ones
//! [`regs::regmap`] defines; the decode and the protection check come from that table.
//!
//! **Storage.** What must be seen for every entry at once lives in flip-flops: the lookup
//! key (a CAM), the enable/accelerated bits, the core and interrupt priority, the wait bits
//! and the derived RX-pending bit. Everything else (ring addresses and pointers, peer,
//! handle, ...) lives in LUTRAM with one asynchronous read port per reader. LUTRAM has no
//! reset: those fields hold whatever they held (random in simulation) until the kernel
//! writes them, so a driver writes every one of an entry's registers once after reset
//! (OWNER.ASID gates user access, and the pointers are the engines' ring state). The engines
//! read them only for an enabled entry; `tx_info_enabled` and the miss filter's
//! written-since-reset bit per word (an unwritten word reads as 0) do reset.
//!
//! **Protection.** A privileged access (AxPROT[0] = 1) may do what the map's kernel column
//! says. A user access needs the map's user column to allow it *and* an ENTRY register
//! whose OWNER.ASID equals CTX.ASID of the requesting core (AxUSER; a core number past the
//! last core matches nothing). Anything else answers SLVERR, changes nothing and raises a
//! PROT_FAULT event; an address that is no register answers DECERR.
//!
//! **Engines.** The RX engine looks up (destination IPv4, UDP port) on `lookup_*`, one per
//! cycle, with the result on `res_*` exactly [`LOOKUP_LATENCY`] cycles later, and reports
//! on `rx_upd_*` (advance RX_TAIL, or count a drop and raise RING_OVERFLOW). The TX engine
//! reads an entry on `tx_info_*` (registered: one cycle) and advances TX_HEAD on `tx_upd_*`.
//! Writes of RX_HEAD and TX_TAIL are doorbells: the entry is queued on `db_rx_*` /
//! `db_tx_*` (valid/ready, round robin across entries) until the engine takes it. A kernel
//! write of a pointer or counter an engine updates in the same cycle waits a cycle, so
//! neither update is lost.
//!
//! **Slot multiplexing.** A lookup that misses, for a key whose bit is set in MISS_FILTER
//! (flows the OS marked accelerated but not resident), raises ICT_MISS with the key (once
//! per key until the next CTRL or LOCAL write) and reports `res_miss`; the kernel reads
//! VICTIM (clock replacement over the USED bits lookups set), refills that slot, and later
//! packets hit.

use super::event_queue::{event_queue, LOST_WIDTH};
use super::ready_queue::{ready_queue, CORE_WIDTH, HEAD_LATENCY, PRIO_WIDTH};
use super::regs::{self, event};
use crate::blocks::onehot::{above, encode, lowest_set, rr_pick, select};
use crate::blocks::reg_slave::{RegSlave, Rules};
use crate::bundles::{Axil, AxilCfg, Side};
use crate::config::IctConfig;
use crate::ir::{
    cat, clog2, lit, Expr, HdlErrors, Inst, Mem, Module, ModuleBuilder, PortDir, RamStyle, Sig,
};
use crate::regmap::RegMap;
use std::rc::Rc;

/// Bits of AxUSER: the requesting core.
pub const USER_WIDTH: u32 = 8;
const PTR: u32 = 32;

/// The sources of the control event queue, in priority order.
const EVENT_SOURCES: [&str; 6] = ["prot", "miss", "overflow", "dma", "link", "malformed"];

/// The module name for a configuration.
pub fn module_name(cfg: &IctConfig) -> String {
    format!(
        "accio_ict_n{}_c{}_f{}_e{}",
        cfg.entries, cfg.cores, cfg.miss_filter_bits, cfg.event_queue_depth
    )
}

crate::port_group! {
    /// A lookup by (destination IPv4, UDP port), one per cycle, from the receive engine.
    pub struct IctLookup = "lookup" { valid: forward, ip: forward, port: forward }
}

crate::port_group! {
    /// A lookup's result, [`LOOKUP_LATENCY`] cycles after it: the entry and its RX ring.
    pub struct IctResult = "res" {
        valid: forward,
        hit: forward,
        /// A flow marked in MISS_FILTER (accelerated, not resident) missed.
        miss: forward,
        index: forward,
        accelerated: forward,
        core: forward,
        conn_id: forward,
        rx_base: forward,
        rx_size: forward,
        rx_head: forward,
        rx_tail: forward,
    }
}

crate::port_group! {
    /// The receive engine's ring update: advance RX_TAIL, or count a drop.
    pub struct RxUpdate = "rx_upd" {
        valid: forward,
        index: forward,
        advance: forward,
        tail: forward,
        drop: forward,
    }
}

crate::port_group! {
    /// A malformed frame (its class) for the event queue.
    pub struct MalformedEvent = "ev_malformed" { valid: forward, class: forward }
}

crate::port_group! {
    /// A DMA error (its information) for the event queue.
    pub struct DmaEvent = "ev_dma" { valid: forward, info: forward }
}

crate::port_group! {
    /// An entry's TX state for the transmit engine, for the `index` it names.
    pub struct TxInfo = "tx_info" {
        index: backward,
        enabled: forward,
        accelerated: forward,
        local_ip: forward,
        local_port: forward,
        remote: forward,
        remote_mac: forward,
        base: forward,
        size: forward,
        head: forward,
        tail: forward,
    }
}

crate::port_group! {
    /// The transmit engine's TX_HEAD advance.
    pub struct TxUpdate = "tx_upd" { valid: forward, index: forward, head: forward }
}

crate::port_group! {
    /// A TX_TAIL doorbell for the transmit engine.
    pub struct TxDoorbell = "db_tx" { valid: forward, index: forward, ready: backward }
}

impl IctLookup<u32> {
    pub fn widths() -> Self {
        IctLookup {
            valid: 1,
            ip: 32,
            port: 16,
        }
    }
}

impl IctResult<u32> {
    /// With `index_bits` bits of an entry index.
    pub fn widths(index_bits: u32) -> Self {
        IctResult {
            valid: 1,
            hit: 1,
            miss: 1,
            index: index_bits,
            accelerated: 1,
            core: CORE_WIDTH,
            conn_id: 32,
            rx_base: 64,
            rx_size: 32,
            rx_head: PTR,
            rx_tail: PTR,
        }
    }
}

impl RxUpdate<u32> {
    /// With `index_bits` bits of an entry index.
    pub fn widths(index_bits: u32) -> Self {
        RxUpdate {
            valid: 1,
            index: index_bits,
            advance: 1,
            tail: PTR,
            drop: 1,
        }
    }
}

impl MalformedEvent<u32> {
    pub fn widths() -> Self {
        MalformedEvent { valid: 1, class: 8 }
    }
}

impl DmaEvent<u32> {
    pub fn widths() -> Self {
        DmaEvent { valid: 1, info: 40 }
    }
}

/// One LUTRAM per memory-backed register. `mmio` holds the word of the addressed entry:
/// a register loaded every cycle from `next`, the LUTRAM read at the incoming address
/// (stable from a request's decode cycle through its execution), so that no LUTRAM read
/// lies on the path from the register read multiplexer to the response. It is exactly the
/// memory's word during execution: an engine's write in the same cycle is forwarded (see
/// [`EntryMem::refresh`]), and MMIO writes end cycles before the next request executes.
struct EntryMem {
    mem: Mem,
    next: Sig,
    mmio: Sig,
}

impl EntryMem {
    /// Loads `mmio` from `next`, or from `data` while an engine writes it there (`hit`).
    fn refresh(&self, m: &mut ModuleBuilder, forward: Option<(Expr, &Expr)>) {
        let v = match forward {
            Some((hit, data)) => hit.mux(data, &self.next),
            None => self.next.clone().into(),
        };
        m.set(&self.mmio, v);
    }
}

pub fn accio_ict(cfg: &IctConfig) -> Result<Rc<Module>, HdlErrors> {
    let name = module_name(cfg);
    let problems = cfg.problems();
    if !problems.is_empty() {
        return Err(HdlErrors::param(&name, problems.join("; ")));
    }
    let full = regs::regmap(cfg);
    full.validate().map_err(|e| HdlErrors::param(&name, e))?;
    let map = full.only(&regs::ICT_BLOCKS);
    let dims = Dims::new(cfg);
    let rq = ready_queue(dims.entries, dims.cores)?;
    let evq = event_queue(&EVENT_SOURCES, cfg.event_queue_depth as u64)?;

    let mut m = ModuleBuilder::new(&name);
    m.doc(format!(
        "Accio I/O Connection Table: {} slots, {} cores, {}-bit miss filter,\n\
         {}-event control queue. Registers: see the ACCIO register map.",
        dims.entries, dims.cores, cfg.miss_filter_bits, cfg.event_queue_depth
    ));
    let axil_cfg = AxilCfg::for_map(&map, USER_WIDTH);
    let s = Axil::new(&mut m, "s_axil", Side::Sink, axil_cfg);
    let eng = Engines::ports(&mut m, &dims);
    let flops = EntryFlops::new(&mut m, &dims);
    let (mut rs, mmio) = mmio_front(&mut m, &s, &map, &dims, &eng);
    let kids = Children::new(&mut m, &rq, &evq, &flops, &mmio.cores);
    let global = global_registers(&mut m, &mut rs, &map, cfg, &dims, &eng, &flops, &kids);
    let pops = core_registers(&mut m, &mut rs, &dims, &flops, &mmio, &kids);
    let writes = entry_registers(&mut m, &mut rs, &dims, &eng, &flops, &mmio);
    let lookup = lookup(&mut m, &dims, &eng, &flops, &mmio.mems, &global, &writes);
    tx_info(&mut m, &eng, &flops, &mmio.mems);
    doorbells(&mut m, &dims, &eng, &flops, &mmio, &writes);
    entry_updates(
        &mut m, &mut rs, &dims, &eng, &flops, &mmio, &global, &pops, &writes, &lookup,
    );
    events(&mut m, &rs, &eng, &mmio, &kids, &global, &lookup);
    settle_views(&mut m, &mut rs, &mmio, &pops, &global);
    m.set(&eng.irq, &kids.rq_irq);
    m.set(&eng.evq_irq, &global.evq_irq_line);
    // A denied read returns zeros, never the register's value (the front end masks it).
    rs.finish(&mut m, &s)?;
    // The transmit engine's groups, declared by hand in port order.
    TxUpdate::mark(&mut m, Side::Sink);
    TxInfo::mark(&mut m, Side::Source);
    TxDoorbell::mark(&mut m, Side::Source);
    m.finish()
}

/// Sizes derived from the configuration.
struct Dims {
    entries: u32,
    cores: u32,
    /// Bits of an entry index and of a core number.
    index_bits: u32,
    core_bits: u32,
    /// Words of each per-entry LUTRAM (at least two, so its address has a bit).
    mem_depth: u64,
    /// Bits of a miss-filter bit's address, and the filter's 64-bit words.
    filter_bits: u32,
    filter_words: u32,
}

impl Dims {
    fn new(cfg: &IctConfig) -> Dims {
        Dims {
            entries: cfg.entries,
            cores: cfg.cores,
            index_bits: clog2(cfg.entries as u64),
            core_bits: clog2(cfg.cores as u64),
            mem_depth: (cfg.entries as u64).max(2),
            filter_bits: cfg.miss_filter_bits.trailing_zeros(),
            filter_words: cfg.miss_filter_bits / 64,
        }
    }
}

/// The ports to the engines, the MAC and the interrupt controller.
struct Engines {
    lookup: IctLookup<Sig>,
    rx_upd: RxUpdate<Sig>,
    tu_valid: Sig,
    tu_index: Sig,
    tu_head: Sig,
    ti_index: Sig,
    dbr_ready: Sig,
    dbt_ready: Sig,
    link_up: Sig,
    malformed: MalformedEvent<Sig>,
    dma_event: DmaEvent<Sig>,
    irq: Sig,
    evq_irq: Sig,
}

impl Engines {
    fn ports(m: &mut ModuleBuilder, d: &Dims) -> Engines {
        let gin = |m: &mut ModuleBuilder, g: &str, f: &str, w| m.group_port(g, f, w, PortDir::In);
        let iw = d.index_bits;
        Engines {
            lookup: IctLookup::widths().sink(m),
            rx_upd: RxUpdate::widths(iw).sink(m),
            tu_valid: gin(m, "tx_upd", "valid", 1),
            tu_index: gin(m, "tx_upd", "index", iw),
            tu_head: gin(m, "tx_upd", "head", PTR),
            ti_index: gin(m, "tx_info", "index", iw),
            dbr_ready: gin(m, "db_rx", "ready", 1),
            dbt_ready: gin(m, "db_tx", "ready", 1),
            link_up: m.input("link_up", 1),
            malformed: MalformedEvent::widths().sink(m),
            dma_event: DmaEvent::widths().sink(m),
            irq: m.output("irq", d.cores),
            evq_irq: m.output("evq_irq", 1),
        }
    }
}

/// What must be seen for every entry at once, in flip-flops, and the ready vectors.
struct EntryFlops {
    enabled: Vec<Sig>,
    accel: Vec<Sig>,
    prio: Vec<Sig>,
    core: Vec<Sig>,
    lport: Vec<Sig>,
    lip: Vec<Sig>,
    rx_wait: Vec<Sig>,
    tx_wait: Vec<Sig>,
    tx_freed: Vec<Sig>,
    rx_pend: Vec<Sig>,
    used: Vec<Sig>,
    db_rx_pend: Vec<Sig>,
    db_tx_pend: Vec<Sig>,
    ready_rx: Sig,
    ready_tx: Sig,
    ready: Sig,
}

impl EntryFlops {
    fn new(m: &mut ModuleBuilder, d: &Dims) -> EntryFlops {
        let n = d.entries;
        let per = |m: &mut ModuleBuilder, f: &str, w: u32| -> Vec<Sig> {
            (0..n)
                .map(|i| m.reg_reset(&format!("e{i}_{f}"), w, 0))
                .collect()
        };
        let enabled = per(m, "enabled", 1);
        let accel = per(m, "accelerated", 1);
        let prio = per(m, "irq_prio", PRIO_WIDTH);
        let core = per(m, "core", CORE_WIDTH);
        let lport = per(m, "local_port", 16);
        let lip = per(m, "local_ip", 32);
        let rx_wait = per(m, "rx_waiting", 1);
        let tx_wait = per(m, "tx_waiting", 1);
        let tx_freed = per(m, "tx_freed", 1);
        let rx_pend = per(m, "rx_pending", 1);
        let used = per(m, "used", 1);
        let db_rx_pend = per(m, "db_rx_pending", 1);
        let db_tx_pend = per(m, "db_tx_pending", 1);
        let vec_map = |f: &dyn Fn(usize) -> Expr| cat((0..n as usize).rev().map(f));
        let ready_rx = m.node(
            "ready_rx",
            vec_map(&|i| &enabled[i] & &rx_wait[i] & &rx_pend[i]),
        );
        let ready_tx = m.node(
            "ready_tx",
            vec_map(&|i| &enabled[i] & &tx_wait[i] & &tx_freed[i]),
        );
        let ready = m.node("ready", &ready_rx | &ready_tx);
        EntryFlops {
            enabled,
            accel,
            prio,
            core,
            lport,
            lip,
            rx_wait,
            tx_wait,
            tx_freed,
            rx_pend,
            used,
            db_rx_pend,
            db_tx_pend,
            ready_rx,
            ready_tx,
            ready,
        }
    }
}

/// Entry `i`'s bits of a per-entry vector, entry 0 in bit 0.
fn vec_of(v: &[Sig]) -> Expr {
    cat(v.iter().rev().map(Expr::from))
}

/// `v[index]` of per-entry (or per-core) signals.
fn pick(v: &[Sig], index: &Expr) -> Expr {
    select(&v.iter().map(Expr::from).collect::<Vec<_>>(), index)
}

/// The per-core state the kernel writes.
struct CoreRegs {
    ctx_asid: Vec<Sig>,
    ctx_accel: Vec<Sig>,
    ctx_prio: Vec<Sig>,
    irq_en: Vec<Sig>,
    rq_handle: Vec<Sig>,
}

impl CoreRegs {
    fn new(m: &mut ModuleBuilder, cores: u32) -> CoreRegs {
        let per = |m: &mut ModuleBuilder, f: &str, w: u32| -> Vec<Sig> {
            (0..cores)
                .map(|k| m.reg_reset(&format!("core{k}_{f}"), w, 0))
                .collect()
        };
        CoreRegs {
            ctx_asid: per(m, "ctx_asid", 16),
            ctx_accel: per(m, "ctx_accel", 1),
            ctx_prio: per(m, "ctx_prio", PRIO_WIDTH),
            irq_en: per(m, "irq_en", 1),
            rq_handle: per(m, "rq_handle", 64),
        }
    }
}

/// Everything else per entry, in LUTRAM with a read port at the addressed entry.
/// `rx_tail`, `tx_head` and `drops`, which engines write too, are refreshed by
/// [`entry_registers`]; the others here.
struct EntryMems {
    protocol: EntryMem,
    remote: EntryMem,
    mac: EntryMem,
    conn: EntryMem,
    asid: EntryMem,
    handle: EntryMem,
    rx_base: EntryMem,
    rx_size: EntryMem,
    rx_head: EntryMem,
    rx_tail: EntryMem,
    tx_base: EntryMem,
    tx_size: EntryMem,
    tx_head: EntryMem,
    tx_tail: EntryMem,
    drops: EntryMem,
}

impl EntryMems {
    fn new(m: &mut ModuleBuilder, d: &Dims, at: &Expr) -> EntryMems {
        let mut emem = |f: &'static str, w: u32| {
            let mem = m.memory(&format!("mem_{f}"), w, d.mem_depth, RamStyle::Distributed);
            let next = m.mem_read_async(mem, &format!("{f}_next"), at);
            let mmio = m.reg(&format!("{f}_mmio"), w);
            EntryMem { mem, next, mmio }
        };
        let mems = EntryMems {
            protocol: emem("protocol", 8),
            remote: emem("remote", 48),
            mac: emem("remote_mac", 48),
            conn: emem("conn_id", 32),
            asid: emem("asid", 16),
            handle: emem("handle", 64),
            rx_base: emem("rx_base", 64),
            rx_size: emem("rx_size", 32),
            rx_head: emem("rx_head", PTR),
            rx_tail: emem("rx_tail", PTR),
            tx_base: emem("tx_base", 64),
            tx_size: emem("tx_size", 32),
            tx_head: emem("tx_head", PTR),
            tx_tail: emem("tx_tail", PTR),
            drops: emem("drops", 32),
        };
        for mm in [
            &mems.protocol,
            &mems.remote,
            &mems.mac,
            &mems.conn,
            &mems.asid,
            &mems.handle,
            &mems.rx_base,
            &mems.rx_size,
            &mems.rx_head,
            &mems.tx_base,
            &mems.tx_size,
            &mems.tx_tail,
        ] {
            mm.refresh(m, None);
        }
        mems
    }
}

/// The executing MMIO request as the registers see it.
struct Mmio {
    /// The addressed entry and core, and per entry "this one is addressed".
    entry: Expr,
    /// The entry the incoming address names (the same as `entry` during execution).
    entry_next: Expr,
    core: Expr,
    entry_sel: Vec<Expr>,
    in_entry: Expr,
    cores: CoreRegs,
    mems: EntryMems,
    req_core_ok: Sig,
    req_asid: Sig,
    /// The RX engine advances a tail, or drops, this cycle.
    upd_adv: Sig,
    upd_drop: Sig,
    fault: Sig,
    /// Edges until the ready queue's head and the victim are up to date (see
    /// [`mmio_front`]); a pop or a VICTIM read restarts it.
    views_settle: Sig,
}

/// The register front end with the ICT's rules: user code reaches only the entries its
/// address space owns, and a kernel write of a register an engine updates in the same
/// cycle waits a cycle. Decode and protection are worked out as a request is accepted
/// and registered for its execution in the next cycle (nothing they depend on changes
/// in between: only MMIO writes ASIDs and contexts, one access at a time).
fn mmio_front<'a>(
    m: &mut ModuleBuilder,
    s: &Axil,
    map: &'a RegMap,
    d: &Dims,
    eng: &Engines,
) -> (RegSlave<'a>, Mmio) {
    let mut pending = RegSlave::start(m, s, map);
    let entry = pending.dec.index("ENTRY");
    let core = pending.dec.index("CORE");
    let entry_sel: Vec<Expr> = (0..d.entries).map(|i| entry.eq(i as u64)).collect();
    let cores = CoreRegs::new(m, d.cores);
    let asid_of = |user: &Expr| pick(&cores.ctx_asid, &user.trunc(d.core_bits));
    let req = &pending.req;
    m.describe(
        &req.addr,
        "Decoded at accept; a fault event reports its word address.",
    );
    m.unused(&req.addr);
    let req_core_ok = m.node("req_core_ok", req.user.lt(d.cores as u64));
    let req_asid = m.node("req_asid", asid_of(&req.user));
    let entry_next = pending.dec.index_incoming("ENTRY");
    let mems = EntryMems::new(m, d, &entry_next);

    let in_entry = pending.dec.block_hit("ENTRY");
    let inc = &pending.req.incoming;
    let owner_asid = &mems.asid.next;
    let owner_ok = pending.dec.block_hit_incoming("ENTRY")
        & inc.user.lt(d.cores as u64)
        & owner_asid.eq(asid_of(&inc.user));
    let upd_adv = m.node("rx_upd_advances", &eng.rx_upd.valid & &eng.rx_upd.advance);
    let upd_drop = m.node("rx_upd_drops", &eng.rx_upd.valid & &eng.rx_upd.drop);
    let hit_rx_tail = pending.dec.hit("ENTRY", "RX_TAIL");
    let hit_drops = pending.dec.hit("ENTRY", "DROPS");
    let hit_tx_head = pending.dec.hit("ENTRY", "TX_HEAD");
    // The ready queue's head and the victim are registered views of the entries (the head
    // HEAD_LATENCY edges behind them): a read of a view waits until the last write, pop
    // or VICTIM read has passed through (`views_settle` counts that down).
    let views_settle = m.reg_reset("views_settle", clog2(HEAD_LATENCY as u64 + 1), 0);
    m.describe(
        &views_settle,
        "Edges until the ready queue's head and the victim show the last MMIO write, pop or VICTIM read.",
    );
    let reads_view = pending.dec.hit("CORE", "RQ_POP")
        | pending.dec.hit("CORE", "RQ_PEEK")
        | pending.dec.hit("CORE", "IRQ_STATUS")
        | pending.dec.hit("GLOBAL", "VICTIM");
    let stall = (&pending.req.write
        & ((&hit_rx_tail & &upd_adv) | (&hit_drops & &upd_drop) | (&hit_tx_head & &eng.tu_valid)))
        | (!&pending.req.write & reads_view & views_settle.ne(0u64));
    let rules = Rules {
        user_check: Some(owner_ok),
        stall: Some(stall),
        refusable: false,
    };
    let rs = pending.check(m, rules);
    let fault = rs.fault(m);
    let mmio = Mmio {
        entry,
        entry_next,
        core,
        entry_sel,
        in_entry,
        cores,
        mems,
        req_core_ok,
        req_asid,
        upd_adv,
        upd_drop,
        fault,
        views_settle,
    };
    (rs, mmio)
}

/// The ready queue and the event queue.
struct Children {
    rqi: Inst,
    rq_valid: Sig,
    rq_index: Sig,
    rq_eligible: Sig,
    rq_irq: Sig,
    eq: Inst,
    ev_valid: Sig,
    ev_data: Sig,
    ev_count: Sig,
    ev_lost: Sig,
}

impl Children {
    fn new(
        m: &mut ModuleBuilder,
        rq: &Rc<Module>,
        evq: &Rc<Module>,
        f: &EntryFlops,
        cores: &CoreRegs,
    ) -> Children {
        let rqi = m.instance("ready_queue", rq);
        m.connect(rqi, "ready", &f.ready);
        m.connect(rqi, "entry_core", vec_of(&f.core));
        m.connect(rqi, "entry_prio", vec_of(&f.prio));
        m.connect(rqi, "ctx_accel", vec_of(&cores.ctx_accel));
        m.connect(rqi, "ctx_prio", vec_of(&cores.ctx_prio));
        m.connect(rqi, "irq_en", vec_of(&cores.irq_en));
        let rq_valid = m.inst_output(rqi, "head_valid");
        let rq_index = m.inst_output(rqi, "head_index");
        let rq_eligible = m.inst_output(rqi, "core_eligible");
        let rq_irq = m.inst_output(rqi, "irq");
        let eq = m.instance("event_queue", evq);
        Children {
            rqi,
            rq_valid,
            rq_index,
            rq_eligible,
            rq_irq,
            eq,
            ev_valid: m.inst_output(eq, "head_valid"),
            ev_data: m.inst_output(eq, "head_data"),
            ev_count: m.inst_output(eq, "count"),
            ev_lost: m.inst_output(eq, "lost"),
        }
    }
}

/// What the GLOBAL registers give the rest.
struct Global {
    evq_irq_line: Sig,
    clear_used: Sig,
    link_state: Sig,
    filter: Mem,
    /// Per filter word: written since reset (an unwritten word reads as 0).
    filter_written: Sig,
    /// A VICTIM read moves the clock hand.
    victim_read: Sig,
}

/// The GLOBAL block: identification, the event queue, slot replacement, the link and the
/// miss filter.
#[allow(clippy::too_many_arguments)]
fn global_registers(
    m: &mut ModuleBuilder,
    rs: &mut RegSlave,
    map: &RegMap,
    cfg: &IctConfig,
    d: &Dims,
    eng: &Engines,
    f: &EntryFlops,
    kids: &Children,
) -> Global {
    let (n, iw) = (d.entries, d.index_bits);
    let id = map.reg("GLOBAL", "ID").expect("GLOBAL.ID").reset;
    rs.dec.read(
        "GLOBAL",
        "ID",
        &[
            ("VERSION", lit(id & 0xffff, 16)),
            ("MAGIC", lit(id >> 32, 32)),
        ],
    );
    rs.dec.read(
        "GLOBAL",
        "PARAMS",
        &[
            ("ENTRIES", lit(n as u64, 16)),
            ("CORES", lit(d.cores as u64, 8)),
            ("FILTER_LOG2", lit(d.filter_bits as u64, 8)),
            (
                "EVQ_LOG2",
                lit(cfg.event_queue_depth.trailing_zeros() as u64, 8),
            ),
        ],
    );
    let ev_head = kids.ev_valid.repeat(64) & &kids.ev_data;
    rs.dec.read(
        "GLOBAL",
        "EVQ_POP",
        &[
            ("TYPE", ev_head.slice(56, 8)),
            ("DATA", ev_head.slice(0, 56)),
        ],
    );
    let rd_evq_pop = rs.read(m, "GLOBAL", "EVQ_POP");
    m.connect(kids.eq, "pop", &rd_evq_pop & &kids.ev_valid);
    rs.dec
        .read("GLOBAL", "EVQ_STATUS", &[("COUNT", kids.ev_count.zext(16))]);
    rs.dec.read(
        "GLOBAL",
        "EVQ_LOST",
        &[("COUNT", kids.ev_lost.clone().into())],
    );
    let wr_lost = rs.write(m, "GLOBAL", "EVQ_LOST");
    m.connect(kids.eq, "lost_we", &wr_lost);
    let lost_wdata = rs.written("GLOBAL", "EVQ_LOST", LOST_WIDTH);
    m.connect(kids.eq, "lost_wdata", lost_wdata);
    let evq_irq_en = m.reg_reset("evq_irq_en", 1, 0);
    rs.dec.read(
        "GLOBAL",
        "EVQ_CTRL",
        &[("IRQ_EN", evq_irq_en.clone().into())],
    );
    let wr_evq_ctrl = rs.write(m, "GLOBAL", "EVQ_CTRL");
    let irq_en = rs.field("GLOBAL", "EVQ_CTRL", "IRQ_EN");
    m.when(&wr_evq_ctrl, |m| m.set(&evq_irq_en, irq_en));
    let evq_irq_line = m.reg_reset("evq_irq_line", 1, 0);
    m.set(&evq_irq_line, &evq_irq_en & &kids.ev_valid);

    // Clock replacement: free slots first, then enabled slots not used since the last
    // USAGE_CLEAR, else the slot at the hand.
    let hand = m.reg_reset("victim_after", n, 0);
    m.describe(&hand, "Slots after the last victim: the clock hand.");
    let free_vec = m.node("slot_free", !vec_of(&f.enabled));
    let unused_vec = m.node("slot_unused", vec_of(&f.enabled) & !vec_of(&f.used));
    let pick_free = rr_pick(m, "victim_free", &free_vec, &hand);
    let pick_unused = rr_pick(m, "victim_unused", &unused_vec, &hand);
    let at_hand = hand.any().mux(lowest_set(&hand), lit(1, n));
    let victim = m.node(
        "victim",
        free_vec
            .any()
            .mux(&pick_free, unused_vec.any().mux(&pick_unused, at_hand)),
    );
    if n == 1 {
        m.unused(&victim); // the only slot: index and hand are constants
    }
    // VICTIM reads a registered copy, so the pick and the hand's move are not one path.
    let victim_q = m.reg_reset("victim_q", n, 1);
    m.describe(
        &victim_q,
        "The victim as of the last edge, one-hot: what VICTIM reads.",
    );
    m.set(&victim_q, &victim);
    let victim_free = m.reg_reset("victim_is_free", 1, 1);
    m.set(&victim_free, free_vec.any());
    let victim_unused = m.reg_reset("victim_is_unused", 1, 0);
    m.set(&victim_unused, !free_vec.any() & unused_vec.any());
    if n == 1 {
        m.unused(&victim_q);
    }
    rs.dec.read(
        "GLOBAL",
        "VICTIM",
        &[
            ("INDEX", encode(&victim_q, iw).zext(16)),
            ("FREE", victim_free.into()),
            ("UNUSED", victim_unused.into()),
        ],
    );
    let victim_read = rs.read(m, "GLOBAL", "VICTIM");
    m.when(&victim_read, |m| m.set(&hand, above(&victim_q)));
    let wr_usage_clear = rs.write(m, "GLOBAL", "USAGE_CLEAR");
    let clear_all = rs.field("GLOBAL", "USAGE_CLEAR", "ALL");
    let clear_used = m.node("clear_used", &wr_usage_clear & clear_all);
    let link_state = m.reg_reset("link_state", 1, 0);
    m.set(&link_state, &eng.link_up);
    rs.dec
        .read("GLOBAL", "LINK", &[("UP", link_state.clone().into())]);
    let used_vec = vec_of(&f.used);
    let usage_words: Vec<Expr> = (0..regs::words_of(n))
        .map(|k| {
            let lo = k * 64;
            let w = (n - lo).min(64);
            used_vec.slice(lo, w).zext(64)
        })
        .collect();
    let usage_k = rs.dec.word("GLOBAL", "USAGE");
    rs.dec.read(
        "GLOBAL",
        "USAGE",
        &[("BITS", select(&usage_words, &usage_k))],
    );
    let filter_depth = d.filter_words.max(2);
    let filter = m.memory(
        "mem_miss_filter",
        64,
        filter_depth as u64,
        RamStyle::Distributed,
    );
    // The memory has no reset: a word reads as 0 until the kernel has written it.
    let filter_written = m.reg_reset("miss_filter_written", filter_depth, 0);
    let filter_k = rs.dec.word("GLOBAL", "MISS_FILTER");
    let filter_mmio = m.mem_read_async(filter, "miss_filter_mmio", &filter_k);
    rs.dec.read(
        "GLOBAL",
        "MISS_FILTER",
        &[(
            "BITS",
            filter_written
                .index(&filter_k)
                .mux(&filter_mmio, lit(0, 64)),
        )],
    );
    let wr_filter = rs.write(m, "GLOBAL", "MISS_FILTER");
    let filter_word = rs.written("GLOBAL", "MISS_FILTER", 64);
    m.mem_write(filter, &wr_filter, &filter_k, &filter_word);
    m.when(&wr_filter, |m| {
        m.set(
            &filter_written,
            &filter_written | lit(1, filter_depth).shl_by(&filter_k),
        )
    });
    Global {
        evq_irq_line,
        clear_used,
        link_state,
        filter,
        filter_written,
        victim_read,
    }
}

/// A ready-queue pop: which core's head it took.
struct Pops {
    rq_head: Sig,
    popped: Sig,
}

/// Restarts `views_settle` on every change the registered views (the ready queue's head,
/// the victim) must catch up with: an MMIO write, a pop, a VICTIM read.
fn settle_views(m: &mut ModuleBuilder, rs: &mut RegSlave, mmio: &Mmio, pops: &Pops, g: &Global) {
    let changed = rs.do_write(m) | &pops.popped | &g.victim_read;
    let settle = &mmio.views_settle;
    m.when(changed, |m| m.set(settle, HEAD_LATENCY as u64))
        .elif(settle.ne(0u64), |m| m.set(settle, settle - 1u64));
}

/// The CORE block: context, the ready queue's head (pop and peek), interrupts.
fn core_registers(
    m: &mut ModuleBuilder,
    rs: &mut RegSlave,
    d: &Dims,
    f: &EntryFlops,
    mmio: &Mmio,
    kids: &Children,
) -> Pops {
    let (c, iw) = (d.cores, d.index_bits);
    let (kidx, cores) = (&mmio.core, &mmio.cores);
    let bit_of = |v: &Sig, k: &Expr| {
        if v.width() == 1 {
            v.clone().into()
        } else {
            v.index(k)
        }
    };
    rs.dec.read(
        "CORE",
        "CTX",
        &[
            ("ASID", pick(&cores.ctx_asid, kidx)),
            ("ACCEL", pick(&cores.ctx_accel, kidx)),
            ("PRIO", pick(&cores.ctx_prio, kidx)),
        ],
    );
    let wr_ctx = rs.write(m, "CORE", "CTX");
    let head_of: Vec<Expr> = (0..c).map(|k| kids.rq_index.slice(k * iw, iw)).collect();
    let rq_head = m.node("rq_head", select(&head_of, kidx));
    let rq_head_valid = m.node("rq_head_valid", bit_of(&kids.rq_valid, kidx));
    let rq_head_rx = bit_of(&f.ready_rx, &rq_head) & &rq_head_valid;
    let rq_head_tx = bit_of(&f.ready_tx, &rq_head) & &rq_head_valid;
    let rq_fields = [
        ("INDEX", (rq_head_valid.repeat(iw) & &rq_head).zext(16)),
        ("RX", rq_head_rx),
        ("TX", rq_head_tx),
        ("VALID", rq_head_valid.clone().into()),
    ];
    rs.dec.read("CORE", "RQ_POP", &rq_fields);
    rs.dec.read("CORE", "RQ_PEEK", &rq_fields);
    let rd_pop = rs.read(m, "CORE", "RQ_POP");
    let rd_peek = rs.read(m, "CORE", "RQ_PEEK");
    let popped = m.node("rq_popped", &rd_pop & &rq_head_valid);
    let handle_at_head = m.mem_read_async(mmio.mems.handle.mem, "handle_rq", &rq_head);
    rs.dec.read(
        "CORE",
        "RQ_HANDLE",
        &[("HANDLE", pick(&cores.rq_handle, kidx))],
    );
    rs.dec
        .read("CORE", "IRQ_CTRL", &[("EN", pick(&cores.irq_en, kidx))]);
    let wr_irq_ctrl = rs.write(m, "CORE", "IRQ_CTRL");
    rs.dec.read(
        "CORE",
        "IRQ_STATUS",
        &[
            ("LINE", bit_of(&kids.rq_irq, kidx)),
            ("READY", rq_head_valid.clone().into()),
            ("ELIGIBLE", bit_of(&kids.rq_eligible, kidx)),
        ],
    );
    let pops = cat((0..c).rev().map(|k| &popped & kidx.eq(k as u64)));
    m.connect(kids.rqi, "pop", pops);
    for k in 0..c as usize {
        let here = kidx.eq(k as u64);
        m.when(&wr_ctx & &here, |m| {
            m.set(&cores.ctx_asid[k], rs.field("CORE", "CTX", "ASID"));
            m.set(&cores.ctx_accel[k], rs.field("CORE", "CTX", "ACCEL"));
            m.set(&cores.ctx_prio[k], rs.field("CORE", "CTX", "PRIO"));
        });
        let en = rs.field("CORE", "IRQ_CTRL", "EN");
        m.when(&wr_irq_ctrl & &here, |m| m.set(&cores.irq_en[k], en));
        m.when((&rd_pop | &rd_peek) & &here, |m| {
            m.set(
                &cores.rq_handle[k],
                rq_head_valid.repeat(64) & &handle_at_head,
            )
        });
    }
    Pops { rq_head, popped }
}

/// The ENTRY block's write strobes, and the RX-pending bit after an MMIO or engine
/// pointer change.
struct EntryWrites {
    ctrl: Sig,
    local: Sig,
    owner: Sig,
    wait: Sig,
    rx_head: Sig,
    rx_tail: Sig,
    tx_tail: Sig,
    pend_mmio: Sig,
    pend_upd: Sig,
}

/// The ENTRY block: every per-entry register's read and write, in flip-flops or LUTRAM.
fn entry_registers(
    m: &mut ModuleBuilder,
    rs: &mut RegSlave,
    d: &Dims,
    eng: &Engines,
    f: &EntryFlops,
    mmio: &Mmio,
) -> EntryWrites {
    let (eidx, mems) = (&mmio.entry, &mmio.mems);
    let sel_entry = |v: &[Sig]| pick(v, eidx);
    rs.dec.read(
        "ENTRY",
        "CTRL",
        &[
            ("ENABLED", sel_entry(&f.enabled)),
            ("ACCELERATED", sel_entry(&f.accel)),
            ("PROTOCOL", mems.protocol.mmio.clone().into()),
            ("IRQ_PRIO", sel_entry(&f.prio)),
        ],
    );
    rs.dec.read(
        "ENTRY",
        "LOCAL",
        &[("PORT", sel_entry(&f.lport)), ("IP", sel_entry(&f.lip))],
    );
    rs.dec.read(
        "ENTRY",
        "REMOTE",
        &[
            ("PORT", mems.remote.mmio.slice(0, 16)),
            ("IP", mems.remote.mmio.slice(16, 32)),
        ],
    );
    rs.dec.read(
        "ENTRY",
        "REMOTE_MAC",
        &[("MAC", mems.mac.mmio.clone().into())],
    );
    rs.dec
        .read("ENTRY", "CONN_ID", &[("ID", mems.conn.mmio.clone().into())]);
    rs.dec.read(
        "ENTRY",
        "OWNER",
        &[
            ("ASID", mems.asid.mmio.clone().into()),
            ("CORE", sel_entry(&f.core)),
        ],
    );
    rs.dec.read(
        "ENTRY",
        "HANDLE",
        &[("HANDLE", mems.handle.mmio.clone().into())],
    );
    for (reg, field, mm) in [
        ("RX_BASE", "ADDR", &mems.rx_base),
        ("RX_SIZE", "BYTES", &mems.rx_size),
        ("RX_HEAD", "PTR", &mems.rx_head),
        ("RX_TAIL", "PTR", &mems.rx_tail),
        ("TX_BASE", "ADDR", &mems.tx_base),
        ("TX_SIZE", "BYTES", &mems.tx_size),
        ("TX_HEAD", "PTR", &mems.tx_head),
        ("TX_TAIL", "PTR", &mems.tx_tail),
        ("DROPS", "COUNT", &mems.drops),
    ] {
        rs.dec
            .read("ENTRY", reg, &[(field, mm.mmio.clone().into())]);
    }
    rs.dec.read(
        "ENTRY",
        "WAIT",
        &[("RX", sel_entry(&f.rx_wait)), ("TX", sel_entry(&f.tx_wait))],
    );
    let ready_bits: Vec<Expr> = (0..d.entries).map(|i| f.ready.bit(i)).collect();
    rs.dec.read(
        "ENTRY",
        "STATUS",
        &[
            ("RX_PENDING", sel_entry(&f.rx_pend)),
            ("TX_FREED", sel_entry(&f.tx_freed)),
            ("READY", select(&ready_bits, eidx)),
            ("USED", sel_entry(&f.used)),
        ],
    );

    let w_ctrl = rs.write(m, "ENTRY", "CTRL");
    let w_local = rs.write(m, "ENTRY", "LOCAL");
    let w_owner = rs.write(m, "ENTRY", "OWNER");
    let w_wait = rs.write(m, "ENTRY", "WAIT");
    let w_rx_head = rs.write(m, "ENTRY", "RX_HEAD");
    let w_rx_tail = rs.write(m, "ENTRY", "RX_TAIL");
    let w_tx_head = rs.write(m, "ENTRY", "TX_HEAD");
    let w_tx_tail = rs.write(m, "ENTRY", "TX_TAIL");
    let w_drops = rs.write(m, "ENTRY", "DROPS");
    // Registers kept whole in their own memory, written only by MMIO.
    for (reg, mm, width) in [
        ("REMOTE", &mems.remote, 48),
        ("REMOTE_MAC", &mems.mac, 48),
        ("CONN_ID", &mems.conn, 32),
        ("HANDLE", &mems.handle, 64),
        ("RX_BASE", &mems.rx_base, 64),
        ("RX_SIZE", &mems.rx_size, 32),
        ("TX_BASE", &mems.tx_base, 64),
        ("TX_SIZE", &mems.tx_size, 32),
    ] {
        let w = rs.write(m, "ENTRY", reg);
        let v = rs.written("ENTRY", reg, width);
        m.mem_write(mm.mem, &w, eidx, &v);
    }
    // What a write of each pointer (and of DROPS) stores, merged with its own old value.
    let mut written = |reg: &str, width: u32| {
        let v = rs.written("ENTRY", reg, width);
        m.node(&format!("written_{}", reg.to_lowercase()), v)
    };
    let new_rx_head = written("RX_HEAD", PTR);
    let new_rx_tail = written("RX_TAIL", PTR);
    let new_tx_head = written("TX_HEAD", PTR);
    let new_tx_tail = written("TX_TAIL", PTR);
    let new_drops = written("DROPS", 32);
    m.mem_write(mems.rx_head.mem, &w_rx_head, eidx, &new_rx_head);
    m.mem_write(mems.tx_tail.mem, &w_tx_tail, eidx, &new_tx_tail);
    m.mem_write(
        mems.protocol.mem,
        &w_ctrl,
        eidx,
        &rs.field("ENTRY", "CTRL", "PROTOCOL"),
    );
    m.mem_write(
        mems.asid.mem,
        &w_owner,
        eidx,
        &rs.field("ENTRY", "OWNER", "ASID"),
    );
    // Memories an engine also writes: the engine's update has the port; MMIO stalled.
    let (upd_adv, upd_drop) = (&mmio.upd_adv, &mmio.upd_drop);
    m.mem_write(
        mems.rx_tail.mem,
        upd_adv | &w_rx_tail,
        &upd_adv.mux(&eng.rx_upd.index, eidx),
        &upd_adv.mux(&eng.rx_upd.tail, &new_rx_tail),
    );
    m.mem_write(
        mems.tx_head.mem,
        &eng.tu_valid | &w_tx_head,
        &eng.tu_valid.mux(&eng.tu_index, eidx),
        &eng.tu_valid.mux(&eng.tu_head, &new_tx_head),
    );
    let drops_at_upd = m.mem_read_async(mems.drops.mem, "drops_upd", &eng.rx_upd.index);
    let drops_inc = drops_at_upd.add_carry(1u64);
    let drops_next = drops_inc
        .msb()
        .mux(lit(u32::MAX as u64, 32), drops_inc.trunc(32));
    m.mem_write(
        mems.drops.mem,
        upd_drop | &w_drops,
        &upd_drop.mux(&eng.rx_upd.index, eidx),
        &upd_drop.mux(&drops_next, &new_drops),
    );
    // The addressed words, with the engines' writes of this cycle forwarded.
    let at = &mmio.entry_next;
    let rx_here = m.node("rx_upd_at_next", eng.rx_upd.index.eq(at));
    let tx_here = &eng.tu_valid & eng.tu_index.eq(at);
    let (rx_tail, tx_head) = (eng.rx_upd.tail.clone().into(), eng.tu_head.clone().into());
    mems.rx_tail
        .refresh(m, Some((upd_adv & &rx_here, &rx_tail)));
    mems.drops
        .refresh(m, Some((upd_drop & &rx_here, &drops_next)));
    mems.tx_head.refresh(m, Some((tx_here, &tx_head)));

    // RX pending = RX_HEAD != RX_TAIL, kept per entry as the pointers change.
    let head_at_upd = m.mem_read_async(mems.rx_head.mem, "rx_head_upd", &eng.rx_upd.index);
    let same = m.node("upd_is_mmio_entry", eng.rx_upd.index.eq(eidx));
    let mmio_head = w_rx_head.mux(&new_rx_head, &mems.rx_head.mmio);
    let mmio_tail = w_rx_tail.mux(
        &new_rx_tail,
        (upd_adv & &same).mux(&eng.rx_upd.tail, &mems.rx_tail.mmio),
    );
    let pend_mmio = m.node("pending_after_mmio", mmio_head.ne(mmio_tail));
    let upd_head = (&w_rx_head & &same).mux(&new_rx_head, &head_at_upd);
    let pend_upd = m.node("pending_after_upd", upd_head.ne(&eng.rx_upd.tail));
    EntryWrites {
        ctrl: w_ctrl,
        local: w_local,
        owner: w_owner,
        wait: w_wait,
        rx_head: w_rx_head,
        rx_tail: w_rx_tail,
        tx_tail: w_tx_tail,
        pend_mmio,
        pend_upd,
    }
}

/// A lookup's outcome the updates and events need.
struct Lookup {
    miss_event: Sig,
    key: Sig,
    hit_onehot: Sig,
}

/// An output port `g_f`, driven by a register of `v`.
fn registered(m: &mut ModuleBuilder, g: &str, f: &str, v: Expr) {
    let port = m.group_port(g, f, v.width(), PortDir::Out);
    drive_registered(m, &port, &format!("{g}_{f}_r"), v);
}

/// Drives output `port` from register `name` of `v`.
fn drive_registered(m: &mut ModuleBuilder, port: &Sig, name: &str, v: Expr) {
    let r = m.reg(name, v.width());
    m.set(&r, v);
    m.set(port, &r);
}

/// The lookup pipeline: a CAM compare registered as a match vector, the miss filter, then
/// the entry's fields: the result [`LOOKUP_LATENCY`] cycles after the request.
fn lookup(
    m: &mut ModuleBuilder,
    d: &Dims,
    eng: &Engines,
    f: &EntryFlops,
    mems: &EntryMems,
    global: &Global,
    w: &EntryWrites,
) -> Lookup {
    let (n, iw, fw) = (d.entries, d.index_bits, d.filter_bits);
    let key0 = cat([Expr::from(&eng.lookup.ip), Expr::from(&eng.lookup.port)]);
    let lk1_valid = m.reg_reset("lk1_valid", 1, 0);
    let lk1_match = m.reg("lk1_match", n);
    let lk1_key = m.reg("lk1_key", 48);
    m.set(&lk1_valid, &eng.lookup.valid);
    m.set(
        &lk1_match,
        cat((0..n as usize).rev().map(|i| {
            &f.enabled[i] & cat([Expr::from(&f.lip[i]), Expr::from(&f.lport[i])]).eq(&key0)
        })),
    );
    m.set(&lk1_key, &key0);
    let first = m.node("lk1_first", lowest_set(&lk1_match));
    let hit1 = m.node("lk1_hit", lk1_match.any());
    // The request's miss-filter bit is read in two halves around a register: the LUTRAM
    // word and its quarter as the request comes, beside the CAM compare; the bit in that
    // quarter with the match vector. Read whole in either cycle, the LUTRAM, the 64-way
    // select and the miss logic ran on to seven levels.
    let hash = m.node(
        "lk0_hash",
        (0..48u32.div_ceil(fw))
            .map(|j| key0.slice(j * fw, fw.min(48 - j * fw)).zext(fw))
            .reduce(|a, b| a ^ b)
            .unwrap(),
    );
    let fword_addr = if d.filter_words > 1 {
        hash.slice(6, fw - 6)
    } else {
        lit(0, 1)
    };
    let fword = m.mem_read_async(global.filter, "miss_filter_lookup", &fword_addr);
    let quarters: Vec<Expr> = (0..4).map(|q| fword.slice(16 * q, 16)).collect();
    let quarter = m.reg("lk1_filter_quarter", 16);
    m.set(&quarter, select(&quarters, &hash.slice(4, 2)));
    let bit = m.reg("lk1_filter_bit", 4);
    m.set(&bit, hash.trunc(4));
    let written = m.reg("lk1_filter_written", 1);
    m.set(&written, global.filter_written.index(&fword_addr));
    let marked = m.node("lk1_marked", quarter.index(&bit.clone().into()) & &written);
    let miss_last_valid = m.reg_reset("miss_last_valid", 1, 0);
    let miss_last_key = m.reg("miss_last_key", 48);
    m.describe(
        &miss_last_key,
        "The key of the last ICT_MISS event: repeats are not reported again.",
    );
    let miss1 = m.node("lk1_miss", &lk1_valid & !&hit1 & &marked);
    let miss_event = m.node(
        "miss_event",
        &miss1 & !(&miss_last_valid & miss_last_key.eq(&lk1_key)),
    );
    m.when(&miss_event, |m| {
        m.set(&miss_last_valid, 1);
        m.set(&miss_last_key, &lk1_key);
    });
    m.when(&w.ctrl | &w.local, |m| m.set(&miss_last_valid, 0));
    let lk2_valid = m.reg_reset("lk2_valid", 1, 0);
    let lk2_hit = m.reg("lk2_hit", 1);
    let lk2_index = m.reg("lk2_index", iw);
    let lk2_miss = m.reg("lk2_miss", 1);
    m.set(&lk2_valid, &lk1_valid);
    m.set(&lk2_hit, &hit1);
    m.set(&lk2_index, encode(&first, iw));
    m.set(&lk2_miss, &miss1);
    let hit_onehot = m.node("lk1_hit_onehot", lk1_valid.repeat(n) & &first);

    let res = IctResult::widths(iw).source(m);
    let res_valid_r = m.reg_reset("res_valid_r", 1, 0);
    m.set(&res_valid_r, &lk2_valid);
    m.set(&res.valid, &res_valid_r);
    let at2: Expr = lk2_index.clone().into();
    let read = |m: &mut ModuleBuilder, field: &str, mm: &EntryMem| -> Expr {
        m.mem_read_async(mm.mem, &format!("{field}_lookup"), &at2)
            .into()
    };
    for (port, name, v) in [
        (&res.hit, "hit", lk2_hit.clone().into()),
        (&res.miss, "miss", lk2_miss.clone().into()),
        (&res.index, "index", at2.clone()),
        (&res.accelerated, "accelerated", pick(&f.accel, &at2)),
        (&res.core, "core", pick(&f.core, &at2)),
    ] {
        drive_registered(m, port, &format!("res_{name}_r"), v);
    }
    for (port, name, mm) in [
        (&res.conn_id, "conn_id", &mems.conn),
        (&res.rx_base, "rx_base", &mems.rx_base),
        (&res.rx_size, "rx_size", &mems.rx_size),
        (&res.rx_head, "rx_head", &mems.rx_head),
        (&res.rx_tail, "rx_tail", &mems.rx_tail),
    ] {
        let v = read(m, name, mm);
        drive_registered(m, port, &format!("res_{name}_r"), v);
    }
    Lookup {
        miss_event,
        key: lk1_key,
        hit_onehot,
    }
}

/// The TX engine's view of an entry, registered: one cycle.
fn tx_info(m: &mut ModuleBuilder, eng: &Engines, f: &EntryFlops, mems: &EntryMems) {
    let at: Expr = eng.ti_index.clone().into();
    // `enabled` qualifies the rest (the TX engine reads nothing else of a disabled entry),
    // so it resets: the edge that resets the entries would otherwise load a stale one.
    let port = m.group_port("tx_info", "enabled", 1, PortDir::Out);
    let enabled = m.reg_reset("tx_info_enabled_r", 1, 0);
    m.set(&enabled, pick(&f.enabled, &at));
    m.set(&port, &enabled);
    registered(m, "tx_info", "accelerated", pick(&f.accel, &at));
    registered(m, "tx_info", "local_ip", pick(&f.lip, &at));
    registered(m, "tx_info", "local_port", pick(&f.lport, &at));
    let reads = [
        ("remote", &mems.remote),
        ("remote_mac", &mems.mac),
        ("base", &mems.tx_base),
        ("size", &mems.tx_size),
        ("head", &mems.tx_head),
        ("tail", &mems.tx_tail),
    ];
    registered_reads(m, "tx_info", "tx_info", &at, &reads);
}

/// Registered outputs `<g>_<field>` of entry memories read at `at`, through read ports
/// named `<field>_<port>`.
fn registered_reads(
    m: &mut ModuleBuilder,
    g: &str,
    port: &str,
    at: &Expr,
    reads: &[(&str, &EntryMem)],
) {
    for (field, mm) in reads {
        let v = m.mem_read_async(mm.mem, &format!("{field}_{port}"), at);
        registered(m, g, field, v.into());
    }
}

/// Doorbells: RX_HEAD and TX_TAIL writes queue their entry, handed out round robin.
fn doorbells(
    m: &mut ModuleBuilder,
    d: &Dims,
    eng: &Engines,
    f: &EntryFlops,
    mmio: &Mmio,
    w: &EntryWrites,
) {
    let (n, iw) = (d.entries, d.index_bits);
    let doorbell = |m: &mut ModuleBuilder, g: &str, pend: &[Sig], ready: &Sig, set: &Sig| {
        let pv = m.node(&format!("{g}_pending"), vec_of(pend));
        let after = m.reg_reset(&format!("{g}_after"), n, 0);
        let chosen = rr_pick(m, &format!("{g}_pick"), &pv, &after);
        let valid = m.group_port(g, "valid", 1, PortDir::Out);
        let index = m.group_port(g, "index", iw, PortDir::Out);
        m.set(&valid, pv.any());
        m.set(&index, encode(&chosen, iw));
        let take = m.node(&format!("{g}_take"), pv.any() & ready);
        m.when(&take, |m| m.set(&after, above(&chosen)));
        for (i, p) in pend.iter().enumerate() {
            m.when(&take & chosen.bit(i as u32), |m| m.set(p, 0));
            m.when(set & &mmio.entry_sel[i], |m| m.set(p, 1));
        }
    };
    doorbell(m, "db_rx", &f.db_rx_pend, &eng.dbr_ready, &w.rx_head);
    doorbell(m, "db_tx", &f.db_tx_pend, &eng.dbt_ready, &w.tx_tail);
}

/// Every per-entry flip-flop's update: MMIO writes, pops, the engines, lookups.
#[allow(clippy::too_many_arguments)]
fn entry_updates(
    m: &mut ModuleBuilder,
    rs: &mut RegSlave,
    d: &Dims,
    eng: &Engines,
    f: &EntryFlops,
    mmio: &Mmio,
    global: &Global,
    pops: &Pops,
    w: &EntryWrites,
    lookup: &Lookup,
) {
    let f_en = rs.field("ENTRY", "CTRL", "ENABLED");
    let f_acc = rs.field("ENTRY", "CTRL", "ACCELERATED");
    let f_prio = rs.field("ENTRY", "CTRL", "IRQ_PRIO");
    let f_port = rs.field("ENTRY", "LOCAL", "PORT");
    let f_ip = rs.field("ENTRY", "LOCAL", "IP");
    let f_core = rs.field("ENTRY", "OWNER", "CORE");
    let f_wrx = rs.field("ENTRY", "WAIT", "RX");
    let f_wtx = rs.field("ENTRY", "WAIT", "TX");
    let w_ptrs = m.node("wr_entry_rx_ptr", &w.rx_head | &w.rx_tail);
    for i in 0..d.entries as usize {
        let here = &mmio.entry_sel[i];
        m.when(&w.ctrl & here, |m| {
            m.set(&f.enabled[i], &f_en);
            m.set(&f.accel[i], &f_acc);
            m.set(&f.prio[i], &f_prio);
        });
        m.when(&w.local & here, |m| {
            m.set(&f.lport[i], &f_port);
            m.set(&f.lip[i], &f_ip);
        });
        m.when(&w.owner & here, |m| m.set(&f.core[i], &f_core));
        // Popping wakes the thread: it no longer waits.
        m.when(&pops.popped & pops.rq_head.eq(i as u64), |m| {
            m.set(&f.rx_wait[i], 0);
            m.set(&f.tx_wait[i], 0);
        });
        m.when(&w.wait & here, |m| {
            m.set(&f.rx_wait[i], &f_wrx);
            m.set(&f.tx_wait[i], &f_wtx);
        });
        m.when(&w.wait & here & &f_wtx, |m| m.set(&f.tx_freed[i], 0));
        m.when(&eng.tu_valid & eng.tu_index.eq(i as u64), |m| {
            m.set(&f.tx_freed[i], 1)
        });
        m.when(&mmio.upd_adv & eng.rx_upd.index.eq(i as u64), |m| {
            m.set(&f.rx_pend[i], &w.pend_upd)
        })
        .elif(&w_ptrs & here, |m| m.set(&f.rx_pend[i], &w.pend_mmio));
        m.when(&global.clear_used, |m| m.set(&f.used[i], 0));
        m.when(lookup.hit_onehot.bit(i as u32), |m| m.set(&f.used[i], 1));
    }
}

/// The control event queue's sources, in priority order.
fn events(
    m: &mut ModuleBuilder,
    rs: &RegSlave,
    eng: &Engines,
    mmio: &Mmio,
    kids: &Children,
    global: &Global,
    lookup: &Lookup,
) {
    let ev = |kind: u64, data: Expr| cat([lit(kind, 8), data.zext(56)]);
    let fault_entry = mmio.in_entry.mux(mmio.entry.zext(16), lit(0xffff, 16));
    let fault_data = cat([
        rs.req.addr.slice(3, 14),
        rs.req.privileged.clone().into(),
        rs.req.write.clone().into(),
        (mmio.req_core_ok.repeat(16) & &mmio.req_asid),
        rs.req.user.clone().into(),
        fault_entry,
    ]);
    let link_changed = m.node("link_changed", global.link_state.ne(&eng.link_up));
    let sources = [
        (
            "prot",
            Expr::from(&mmio.fault),
            ev(event::PROT_FAULT, fault_data),
        ),
        (
            "miss",
            lookup.miss_event.clone().into(),
            ev(event::ICT_MISS, lookup.key.clone().into()),
        ),
        (
            "overflow",
            mmio.upd_drop.clone().into(),
            ev(event::RING_OVERFLOW, eng.rx_upd.index.zext(16)),
        ),
        (
            "dma",
            eng.dma_event.valid.clone().into(),
            ev(event::DMA_ERROR, eng.dma_event.info.clone().into()),
        ),
        (
            "link",
            link_changed.into(),
            cat([
                eng.link_up
                    .mux(lit(event::LINK_UP, 8), lit(event::LINK_DOWN, 8)),
                lit(0, 56),
            ]),
        ),
        (
            "malformed",
            eng.malformed.valid.clone().into(),
            ev(event::MALFORMED, eng.malformed.class.clone().into()),
        ),
    ];
    debug_assert!(sources.iter().map(|s| s.0).eq(EVENT_SOURCES));
    for (s_name, v, data) in sources {
        m.connect(kids.eq, &format!("{s_name}_valid"), v);
        m.connect(kids.eq, &format!("{s_name}_data"), data);
    }
}

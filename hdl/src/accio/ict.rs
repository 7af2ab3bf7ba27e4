//! The Accio I/O Connection Table (ICT) behind its protected AXI4-Lite slave, with the
//! ready queues ([`ready_queue`](super::ready_queue)) and the control event queue
//! ([`event_queue`](super::event_queue)) as children. The registers are the ones
//! [`regs::regmap`] defines; the decode and the protection check come from that table.
//!
//! **Storage.** What must be seen for every entry at once lives in flip-flops: the lookup
//! key (a CAM), the enable/accelerated bits, the core and interrupt priority, the wait bits
//! and the derived RX-pending bit. Everything else (ring addresses and pointers, peer,
//! handle, ...) lives in LUTRAM with one asynchronous read port per reader.
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
use super::ready_queue::{ready_queue, CORE_WIDTH, PRIO_WIDTH};
use super::regs::{self, event};
use crate::blocks::onehot::{above, encode, lowest_set, rr_pick, select};
use crate::blocks::reg_slave::{RegSlave, Rules};
use crate::bundles::{Axil, AxilCfg, Side};
use crate::config::IctConfig;
use crate::ir::{
    cat, clog2, lit, Expr, HdlErrors, Mem, Module, ModuleBuilder, PortDir, RamStyle, Sig,
};
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

/// One LUTRAM per memory-backed register: `mmio` reads it at the addressed entry.
struct EntryMem {
    mem: Mem,
    mmio: Sig,
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
    let (n, c) = (cfg.entries, cfg.cores);
    let iw = clog2(n as u64);
    let cw = clog2(c as u64);
    let depth = (n as u64).max(2);
    let fbits = cfg.miss_filter_bits;
    let fw = fbits.trailing_zeros();
    let fwords = fbits / 64;

    let rq = ready_queue(n, c)?;
    let evq = event_queue(&EVENT_SOURCES, cfg.event_queue_depth as u64)?;

    let mut m = ModuleBuilder::new(&name);
    m.doc(format!(
        "Accio I/O Connection Table: {n} slots, {c} cores, {fbits}-bit miss filter,\n\
         {}-event control queue. Registers: see the ACCIO register map.",
        cfg.event_queue_depth
    ));
    let axil_cfg = AxilCfg {
        addr_width: map.addr_width(),
        data_width: map.data_width,
        user_width: USER_WIDTH,
    };
    let s = Axil::new(&mut m, "s_axil", Side::Sink, axil_cfg);
    let gin = |m: &mut ModuleBuilder, g: &str, f: &str, w| m.group_port(g, f, w, PortDir::In);
    let lk_valid = gin(&mut m, "lookup", "valid", 1);
    let lk_ip = gin(&mut m, "lookup", "ip", 32);
    let lk_port = gin(&mut m, "lookup", "port", 16);
    let ru_valid = gin(&mut m, "rx_upd", "valid", 1);
    let ru_index = gin(&mut m, "rx_upd", "index", iw);
    let ru_advance = gin(&mut m, "rx_upd", "advance", 1);
    let ru_tail = gin(&mut m, "rx_upd", "tail", PTR);
    let ru_drop = gin(&mut m, "rx_upd", "drop", 1);
    let tu_valid = gin(&mut m, "tx_upd", "valid", 1);
    let tu_index = gin(&mut m, "tx_upd", "index", iw);
    let tu_head = gin(&mut m, "tx_upd", "head", PTR);
    let ti_index = gin(&mut m, "tx_info", "index", iw);
    let dbr_ready = gin(&mut m, "db_rx", "ready", 1);
    let dbt_ready = gin(&mut m, "db_tx", "ready", 1);
    let link_up = m.input("link_up", 1);
    let evm_valid = gin(&mut m, "ev_malformed", "valid", 1);
    let evm_class = gin(&mut m, "ev_malformed", "class", 8);
    let evd_valid = gin(&mut m, "ev_dma", "valid", 1);
    let evd_info = gin(&mut m, "ev_dma", "info", 40);
    let irq = m.output("irq", c);
    let evq_irq = m.output("evq_irq", 1);

    // ---- Per-entry flip-flops -------------------------------------------------------
    let per = |m: &mut ModuleBuilder, f: &str, w: u32| -> Vec<Sig> {
        (0..n)
            .map(|i| m.reg_reset(&format!("e{i}_{f}"), w, 0))
            .collect()
    };
    let enabled = per(&mut m, "enabled", 1);
    let accel = per(&mut m, "accelerated", 1);
    let prio = per(&mut m, "irq_prio", PRIO_WIDTH);
    let core = per(&mut m, "core", CORE_WIDTH);
    let lport = per(&mut m, "local_port", 16);
    let lip = per(&mut m, "local_ip", 32);
    let rx_wait = per(&mut m, "rx_waiting", 1);
    let tx_wait = per(&mut m, "tx_waiting", 1);
    let tx_freed = per(&mut m, "tx_freed", 1);
    let rx_pend = per(&mut m, "rx_pending", 1);
    let used = per(&mut m, "used", 1);
    let db_rx_pend = per(&mut m, "db_rx_pending", 1);
    let db_tx_pend = per(&mut m, "db_tx_pending", 1);
    let vec_of = |v: &[Sig]| cat(v.iter().rev().map(Expr::from));
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

    // ---- MMIO request, decode, protection -------------------------------------------
    let mut pending = RegSlave::start(&mut m, &s, &map);
    // Decode and protection are worked out as a request is accepted and registered for its
    // execution in the next cycle (nothing they depend on changes in between: only MMIO
    // writes ASIDs and contexts, one access at a time).
    let eidx = pending.dec.index("ENTRY");
    let kidx = pending.dec.index("CORE");
    let esel: Vec<Expr> = (0..n).map(|i| eidx.eq(i as u64)).collect();

    let ctx_asid: Vec<Sig> = (0..c)
        .map(|k| m.reg_reset(&format!("core{k}_ctx_asid"), 16, 0))
        .collect();
    let ctx_accel: Vec<Sig> = (0..c)
        .map(|k| m.reg_reset(&format!("core{k}_ctx_accel"), 1, 0))
        .collect();
    let ctx_prio: Vec<Sig> = (0..c)
        .map(|k| m.reg_reset(&format!("core{k}_ctx_prio"), PRIO_WIDTH, 0))
        .collect();
    let irq_en: Vec<Sig> = (0..c)
        .map(|k| m.reg_reset(&format!("core{k}_irq_en"), 1, 0))
        .collect();
    let rq_handle: Vec<Sig> = (0..c)
        .map(|k| m.reg_reset(&format!("core{k}_rq_handle"), 64, 0))
        .collect();

    let asid_of = |user: &Expr| {
        select(
            &ctx_asid.iter().map(Expr::from).collect::<Vec<_>>(),
            &user.trunc(cw),
        )
    };
    let req = &pending.req;
    m.describe(
        &req.addr,
        "Decoded at accept; a fault event reports its word address.",
    );
    m.unused(&req.addr);
    let req_core_ok = m.node("req_core_ok", req.user.lt(c as u64));
    let req_asid = m.node("req_asid", asid_of(&req.user));

    let emem = |m: &mut ModuleBuilder, f: &'static str, w: u32| {
        let mem = m.memory(&format!("mem_{f}"), w, depth, RamStyle::Distributed);
        let mmio = m.mem_read_async(mem, &format!("{f}_mmio"), &eidx);
        EntryMem { mem, mmio }
    };
    let m_protocol = emem(&mut m, "protocol", 8);
    let m_remote = emem(&mut m, "remote", 48);
    let m_mac = emem(&mut m, "remote_mac", 48);
    let m_conn = emem(&mut m, "conn_id", 32);
    let m_asid = emem(&mut m, "asid", 16);
    let m_handle = emem(&mut m, "handle", 64);
    let m_rx_base = emem(&mut m, "rx_base", 64);
    let m_rx_size = emem(&mut m, "rx_size", 32);
    let m_rx_head = emem(&mut m, "rx_head", PTR);
    let m_rx_tail = emem(&mut m, "rx_tail", PTR);
    let m_tx_base = emem(&mut m, "tx_base", 64);
    let m_tx_size = emem(&mut m, "tx_size", 32);
    let m_tx_head = emem(&mut m, "tx_head", PTR);
    let m_tx_tail = emem(&mut m, "tx_tail", PTR);
    let m_drops = emem(&mut m, "drops", 32);

    // User code may reach only the entries its address space owns.
    let in_entry = pending.dec.block_hit("ENTRY");
    let inc = &pending.req.incoming;
    let owner_asid = m.mem_read_async(
        m_asid.mem,
        "asid_incoming",
        &pending.dec.index_incoming("ENTRY"),
    );
    let owner_ok = pending.dec.block_hit_incoming("ENTRY")
        & inc.user.lt(c as u64)
        & owner_asid.eq(asid_of(&inc.user));
    // A kernel write of a register an engine updates this cycle waits a cycle.
    let upd_adv = m.node("rx_upd_advances", &ru_valid & &ru_advance);
    let upd_drop = m.node("rx_upd_drops", &ru_valid & &ru_drop);
    let hit_rx_tail = pending.dec.hit("ENTRY", "RX_TAIL");
    let hit_drops = pending.dec.hit("ENTRY", "DROPS");
    let hit_tx_head = pending.dec.hit("ENTRY", "TX_HEAD");
    let stall = &pending.req.write
        & ((&hit_rx_tail & &upd_adv) | (&hit_drops & &upd_drop) | (&hit_tx_head & &tu_valid));
    let rules = Rules {
        user_check: Some(owner_ok),
        stall: Some(stall),
        refusable: false,
    };
    let mut rs = pending.check(&mut m, rules);
    let wd = rs.write_value.clone();
    let wptr = wd.trunc(PTR);
    let fault = rs.fault(&mut m);
    let privileged = rs.req.privileged.clone();

    // ---- Children: ready queue and event queue --------------------------------------
    let rqi = m.instance("ready_queue", &rq);
    m.connect(rqi, "ready", &ready);
    m.connect(rqi, "entry_core", vec_of(&core));
    m.connect(rqi, "entry_prio", vec_of(&prio));
    m.connect(rqi, "ctx_accel", vec_of(&ctx_accel));
    m.connect(rqi, "ctx_prio", vec_of(&ctx_prio));
    m.connect(rqi, "irq_en", vec_of(&irq_en));
    let rq_valid = m.inst_output(rqi, "head_valid");
    let rq_index = m.inst_output(rqi, "head_index");
    let rq_eligible = m.inst_output(rqi, "core_eligible");
    let rq_irq = m.inst_output(rqi, "irq");
    let eq = m.instance("event_queue", &evq);
    let ev_valid = m.inst_output(eq, "head_valid");
    let ev_data = m.inst_output(eq, "head_data");
    let ev_count = m.inst_output(eq, "count");
    let ev_lost = m.inst_output(eq, "lost");

    // ---- GLOBAL registers -----------------------------------------------------------
    let id = &map.reg("GLOBAL", "ID").unwrap().reset;
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
            ("CORES", lit(c as u64, 8)),
            ("FILTER_LOG2", lit(fw as u64, 8)),
            (
                "EVQ_LOG2",
                lit(cfg.event_queue_depth.trailing_zeros() as u64, 8),
            ),
        ],
    );
    let ev_head = ev_valid.repeat(64) & &ev_data;
    rs.dec.read(
        "GLOBAL",
        "EVQ_POP",
        &[
            ("TYPE", ev_head.slice(56, 8)),
            ("DATA", ev_head.slice(0, 56)),
        ],
    );
    let rd_evq_pop = rs.read(&mut m, "GLOBAL", "EVQ_POP");
    m.connect(eq, "pop", &rd_evq_pop & &ev_valid);
    rs.dec
        .read("GLOBAL", "EVQ_STATUS", &[("COUNT", ev_count.zext(16))]);
    rs.dec
        .read("GLOBAL", "EVQ_LOST", &[("COUNT", ev_lost.clone().into())]);
    let wr_lost = rs.write(&mut m, "GLOBAL", "EVQ_LOST");
    m.connect(eq, "lost_we", &wr_lost);
    m.connect(eq, "lost_wdata", wd.trunc(LOST_WIDTH));
    let evq_irq_en = m.reg_reset("evq_irq_en", 1, 0);
    rs.dec.read(
        "GLOBAL",
        "EVQ_CTRL",
        &[("IRQ_EN", evq_irq_en.clone().into())],
    );
    let wr_evq_ctrl = rs.write(&mut m, "GLOBAL", "EVQ_CTRL");
    m.when(&wr_evq_ctrl, |m| m.set(&evq_irq_en, wd.bit(0)));
    let evq_irq_r = m.reg_reset("evq_irq_line", 1, 0);
    m.set(&evq_irq_r, &evq_irq_en & &ev_valid);

    // Clock replacement: free slots first, then enabled slots not used since the last
    // USAGE_CLEAR, else the slot at the hand.
    let hand = m.reg_reset("victim_after", n, 0);
    m.describe(&hand, "Slots after the last victim: the clock hand.");
    let free_vec = m.node("slot_free", !vec_of(&enabled));
    let unused_vec = m.node("slot_unused", vec_of(&enabled) & !vec_of(&used));
    let pick_free = rr_pick(&mut m, "victim_free", &free_vec, &hand);
    let pick_unused = rr_pick(&mut m, "victim_unused", &unused_vec, &hand);
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
    rs.dec.read(
        "GLOBAL",
        "VICTIM",
        &[
            ("INDEX", encode(&victim, iw).zext(16)),
            ("FREE", free_vec.any()),
            ("UNUSED", !free_vec.any() & unused_vec.any()),
        ],
    );
    let rd_victim = rs.read(&mut m, "GLOBAL", "VICTIM");
    m.when(&rd_victim, |m| m.set(&hand, above(&victim)));
    let wr_usage_clear = rs.write(&mut m, "GLOBAL", "USAGE_CLEAR");
    let clear_used = m.node("clear_used", &wr_usage_clear & wd.bit(0));
    let link_r = m.reg_reset("link_state", 1, 0);
    m.set(&link_r, &link_up);
    rs.dec
        .read("GLOBAL", "LINK", &[("UP", link_r.clone().into())]);
    let used_vec = vec_of(&used);
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
    let filter = m.memory(
        "mem_miss_filter",
        64,
        (fwords as u64).max(2),
        RamStyle::Distributed,
    );
    let filter_k = rs.dec.word("GLOBAL", "MISS_FILTER");
    let filter_mmio = m.mem_read_async(filter, "miss_filter_mmio", &filter_k);
    rs.dec.read(
        "GLOBAL",
        "MISS_FILTER",
        &[("BITS", filter_mmio.clone().into())],
    );
    let wr_filter = rs.write(&mut m, "GLOBAL", "MISS_FILTER");
    m.mem_write(filter, &wr_filter, &filter_k, &wd);

    // ---- CORE registers ---------------------------------------------------------------
    let sel_core = |v: &[Sig]| select(&v.iter().map(Expr::from).collect::<Vec<_>>(), &kidx);
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
            ("ASID", sel_core(&ctx_asid)),
            ("ACCEL", sel_core(&ctx_accel)),
            ("PRIO", sel_core(&ctx_prio)),
        ],
    );
    let wr_ctx = rs.write(&mut m, "CORE", "CTX");
    let head_of: Vec<Expr> = (0..c).map(|k| rq_index.slice(k * iw, iw)).collect();
    let rq_head = m.node("rq_head", select(&head_of, &kidx));
    let rq_head_valid = m.node("rq_head_valid", bit_of(&rq_valid, &kidx));
    let rq_head_rx = bit_of(&ready_rx, &rq_head) & &rq_head_valid;
    let rq_head_tx = bit_of(&ready_tx, &rq_head) & &rq_head_valid;
    let rq_fields = [
        ("INDEX", (rq_head_valid.repeat(iw) & &rq_head).zext(16)),
        ("RX", rq_head_rx),
        ("TX", rq_head_tx),
        ("VALID", rq_head_valid.clone().into()),
    ];
    rs.dec.read("CORE", "RQ_POP", &rq_fields);
    rs.dec.read("CORE", "RQ_PEEK", &rq_fields);
    let rd_pop = rs.read(&mut m, "CORE", "RQ_POP");
    let rd_peek = rs.read(&mut m, "CORE", "RQ_PEEK");
    let popped = m.node("rq_popped", &rd_pop & &rq_head_valid);
    let handle_at_head = m.mem_read_async(m_handle.mem, "handle_rq", &rq_head);
    rs.dec
        .read("CORE", "RQ_HANDLE", &[("HANDLE", sel_core(&rq_handle))]);
    rs.dec
        .read("CORE", "IRQ_CTRL", &[("EN", sel_core(&irq_en))]);
    let wr_irq_ctrl = rs.write(&mut m, "CORE", "IRQ_CTRL");
    rs.dec.read(
        "CORE",
        "IRQ_STATUS",
        &[
            ("LINE", bit_of(&rq_irq, &kidx)),
            ("READY", rq_head_valid.clone().into()),
            ("ELIGIBLE", bit_of(&rq_eligible, &kidx)),
        ],
    );
    let pops = cat((0..c).rev().map(|k| &popped & kidx.eq(k as u64)));
    m.connect(rqi, "pop", pops);
    for k in 0..c as usize {
        let here = kidx.eq(k as u64);
        m.when(&wr_ctx & &here, |m| {
            m.set(&ctx_asid[k], rs.field("CORE", "CTX", "ASID"));
            m.set(&ctx_accel[k], rs.field("CORE", "CTX", "ACCEL"));
            m.set(&ctx_prio[k], rs.field("CORE", "CTX", "PRIO"));
        });
        m.when(&wr_irq_ctrl & &here, |m| m.set(&irq_en[k], wd.bit(0)));
        m.when((&rd_pop | &rd_peek) & &here, |m| {
            m.set(&rq_handle[k], rq_head_valid.repeat(64) & &handle_at_head)
        });
    }

    // ---- ENTRY registers ----------------------------------------------------------------
    let sel_entry = |v: &[Sig]| select(&v.iter().map(Expr::from).collect::<Vec<_>>(), &eidx);
    rs.dec.read(
        "ENTRY",
        "CTRL",
        &[
            ("ENABLED", sel_entry(&enabled)),
            ("ACCELERATED", sel_entry(&accel)),
            ("PROTOCOL", m_protocol.mmio.clone().into()),
            ("IRQ_PRIO", sel_entry(&prio)),
        ],
    );
    rs.dec.read(
        "ENTRY",
        "LOCAL",
        &[("PORT", sel_entry(&lport)), ("IP", sel_entry(&lip))],
    );
    rs.dec.read(
        "ENTRY",
        "REMOTE",
        &[
            ("PORT", m_remote.mmio.slice(0, 16)),
            ("IP", m_remote.mmio.slice(16, 32)),
        ],
    );
    rs.dec
        .read("ENTRY", "REMOTE_MAC", &[("MAC", m_mac.mmio.clone().into())]);
    rs.dec
        .read("ENTRY", "CONN_ID", &[("ID", m_conn.mmio.clone().into())]);
    rs.dec.read(
        "ENTRY",
        "OWNER",
        &[
            ("ASID", m_asid.mmio.clone().into()),
            ("CORE", sel_entry(&core)),
        ],
    );
    rs.dec.read(
        "ENTRY",
        "HANDLE",
        &[("HANDLE", m_handle.mmio.clone().into())],
    );
    for (reg, f, mm) in [
        ("RX_BASE", "ADDR", &m_rx_base),
        ("RX_SIZE", "BYTES", &m_rx_size),
        ("RX_HEAD", "PTR", &m_rx_head),
        ("RX_TAIL", "PTR", &m_rx_tail),
        ("TX_BASE", "ADDR", &m_tx_base),
        ("TX_SIZE", "BYTES", &m_tx_size),
        ("TX_HEAD", "PTR", &m_tx_head),
        ("TX_TAIL", "PTR", &m_tx_tail),
        ("DROPS", "COUNT", &m_drops),
    ] {
        rs.dec.read("ENTRY", reg, &[(f, mm.mmio.clone().into())]);
    }
    rs.dec.read(
        "ENTRY",
        "WAIT",
        &[("RX", sel_entry(&rx_wait)), ("TX", sel_entry(&tx_wait))],
    );
    rs.dec.read(
        "ENTRY",
        "STATUS",
        &[
            ("RX_PENDING", sel_entry(&rx_pend)),
            ("TX_FREED", sel_entry(&tx_freed)),
            (
                "READY",
                select(&(0..n).map(|i| ready.bit(i)).collect::<Vec<_>>(), &eidx),
            ),
            ("USED", sel_entry(&used)),
        ],
    );

    let w_ctrl = rs.write(&mut m, "ENTRY", "CTRL");
    let w_local = rs.write(&mut m, "ENTRY", "LOCAL");
    let w_owner = rs.write(&mut m, "ENTRY", "OWNER");
    let w_wait = rs.write(&mut m, "ENTRY", "WAIT");
    let w_rx_head = rs.write(&mut m, "ENTRY", "RX_HEAD");
    let w_rx_tail = rs.write(&mut m, "ENTRY", "RX_TAIL");
    let w_tx_head = rs.write(&mut m, "ENTRY", "TX_HEAD");
    let w_tx_tail = rs.write(&mut m, "ENTRY", "TX_TAIL");
    let w_drops = rs.write(&mut m, "ENTRY", "DROPS");
    // Registers kept whole in their own memory, written only by MMIO.
    for (reg, mm, width) in [
        ("REMOTE", &m_remote, 48),
        ("REMOTE_MAC", &m_mac, 48),
        ("CONN_ID", &m_conn, 32),
        ("HANDLE", &m_handle, 64),
        ("RX_BASE", &m_rx_base, 64),
        ("RX_SIZE", &m_rx_size, 32),
        ("TX_BASE", &m_tx_base, 64),
        ("TX_SIZE", &m_tx_size, 32),
    ] {
        let w = rs.write(&mut m, "ENTRY", reg);
        m.mem_write(mm.mem, &w, &eidx, &wd.trunc(width));
    }
    m.mem_write(m_rx_head.mem, &w_rx_head, &eidx, &wptr);
    m.mem_write(m_tx_tail.mem, &w_tx_tail, &eidx, &wptr);
    m.mem_write(
        m_protocol.mem,
        &w_ctrl,
        &eidx,
        &rs.field("ENTRY", "CTRL", "PROTOCOL"),
    );
    m.mem_write(
        m_asid.mem,
        &w_owner,
        &eidx,
        &rs.field("ENTRY", "OWNER", "ASID"),
    );
    // Memories an engine also writes: the engine's update has the port; MMIO stalled.
    m.mem_write(
        m_rx_tail.mem,
        &upd_adv | &w_rx_tail,
        &upd_adv.mux(&ru_index, &eidx),
        &upd_adv.mux(&ru_tail, &wptr),
    );
    m.mem_write(
        m_tx_head.mem,
        &tu_valid | &w_tx_head,
        &tu_valid.mux(&tu_index, &eidx),
        &tu_valid.mux(&tu_head, &wptr),
    );
    let drops_at_upd = m.mem_read_async(m_drops.mem, "drops_upd", &ru_index);
    let drops_inc = drops_at_upd.add_carry(1u64);
    let drops_next = drops_inc
        .msb()
        .mux(lit(u32::MAX as u64, 32), drops_inc.trunc(32));
    m.mem_write(
        m_drops.mem,
        &upd_drop | &w_drops,
        &upd_drop.mux(&ru_index, &eidx),
        &upd_drop.mux(drops_next, wd.trunc(32)),
    );

    // RX pending = RX_HEAD != RX_TAIL, kept per entry as the pointers change.
    let head_at_upd = m.mem_read_async(m_rx_head.mem, "rx_head_upd", &ru_index);
    let same = m.node("upd_is_mmio_entry", ru_index.eq(&eidx));
    let mmio_head = w_rx_head.mux(&wptr, &m_rx_head.mmio);
    let mmio_tail = w_rx_tail.mux(
        wptr.clone(),
        (&upd_adv & &same).mux(&ru_tail, &m_rx_tail.mmio),
    );
    let pend_mmio = m.node("pending_after_mmio", mmio_head.ne(mmio_tail));
    let upd_head = (&w_rx_head & &same).mux(&wptr, &head_at_upd);
    let pend_upd = m.node("pending_after_upd", upd_head.ne(&ru_tail));
    let tsel = |i: usize| tu_index.eq(i as u64);
    let rsel = |i: usize| ru_index.eq(i as u64);

    // ---- Lookup pipeline ------------------------------------------------------------------
    let key0 = cat([Expr::from(&lk_ip), Expr::from(&lk_port)]);
    let lk1_valid = m.reg_reset("lk1_valid", 1, 0);
    let lk1_match = m.reg("lk1_match", n);
    let lk1_key = m.reg("lk1_key", 48);
    m.set(&lk1_valid, &lk_valid);
    m.set(
        &lk1_match,
        vec_map(&|i| &enabled[i] & cat([Expr::from(&lip[i]), Expr::from(&lport[i])]).eq(&key0)),
    );
    m.set(&lk1_key, &key0);
    let first = m.node("lk1_first", lowest_set(&lk1_match));
    let hit1 = m.node("lk1_hit", lk1_match.any());
    // The miss-filter bit's address is hashed from the request, ahead of its use.
    let hash = m.reg("lk1_hash", fw);
    m.set(
        &hash,
        (0..48u32.div_ceil(fw))
            .map(|j| key0.slice(j * fw, fw.min(48 - j * fw)).zext(fw))
            .reduce(|a, b| a ^ b)
            .unwrap(),
    );
    let fword_addr = if fwords > 1 {
        hash.slice(6, fw - 6)
    } else {
        lit(0, 1)
    };
    let fword = m.mem_read_async(filter, "miss_filter_lookup", &fword_addr);
    let marked = m.node("lk1_marked", fword.index(&hash.trunc(6)));
    let miss_last_valid = m.reg_reset("miss_last_valid", 1, 0);
    let miss_last_key = m.reg("miss_last_key", 48);
    m.describe(
        &miss_last_key,
        "The key of the last ICT_MISS event: repeats are not reported again.",
    );
    let miss1 = m.node("lk1_miss", &lk1_valid & !&hit1 & &marked);
    let miss_new = m.node(
        "miss_event",
        &miss1 & !(&miss_last_valid & miss_last_key.eq(&lk1_key)),
    );
    m.when(&miss_new, |m| {
        m.set(&miss_last_valid, 1);
        m.set(&miss_last_key, &lk1_key);
    });
    m.when(&w_ctrl | &w_local, |m| m.set(&miss_last_valid, 0));
    let lk2_valid = m.reg_reset("lk2_valid", 1, 0);
    let lk2_hit = m.reg("lk2_hit", 1);
    let lk2_index = m.reg("lk2_index", iw);
    let lk2_miss = m.reg("lk2_miss", 1);
    m.set(&lk2_valid, &lk1_valid);
    m.set(&lk2_hit, &hit1);
    m.set(&lk2_index, encode(&first, iw));
    m.set(&lk2_miss, &miss1);
    let lk_hit_vec = m.node("lk1_hit_onehot", lk1_valid.repeat(n) & &first);

    let gout = |m: &mut ModuleBuilder, g: &str, f: &str, w| m.group_port(g, f, w, PortDir::Out);
    let rd_at =
        |m: &mut ModuleBuilder, mm: &EntryMem, nm: &str, a: &Expr| m.mem_read_async(mm.mem, nm, a);
    let registered = |m: &mut ModuleBuilder, g: &str, f: &str, v: Expr| {
        let port = gout(m, g, f, v.width());
        let r = m.reg(&format!("{g}_{f}_r"), v.width());
        m.set(&r, v);
        m.set(&port, &r);
    };
    let res_valid = gout(&mut m, "res", "valid", 1);
    let res_valid_r = m.reg_reset("res_valid_r", 1, 0);
    m.set(&res_valid_r, &lk2_valid);
    m.set(&res_valid, &res_valid_r);
    registered(&mut m, "res", "hit", lk2_hit.clone().into());
    registered(&mut m, "res", "miss", lk2_miss.clone().into());
    registered(&mut m, "res", "index", lk2_index.clone().into());
    let sel2 = |v: &[Sig]| select(&v.iter().map(Expr::from).collect::<Vec<_>>(), &lk2_index);
    registered(&mut m, "res", "accelerated", sel2(&accel));
    registered(&mut m, "res", "core", sel2(&core));
    for (f, mm) in [
        ("conn_id", &m_conn),
        ("rx_base", &m_rx_base),
        ("rx_size", &m_rx_size),
        ("rx_head", &m_rx_head),
        ("rx_tail", &m_rx_tail),
    ] {
        let v = rd_at(&mut m, mm, &format!("{f}_lookup"), &lk2_index);
        registered(&mut m, "res", f, v.into());
    }

    // ---- TX sideband (registered) ---------------------------------------------------------
    let selt = |v: &[Sig]| select(&v.iter().map(Expr::from).collect::<Vec<_>>(), &ti_index);
    registered(&mut m, "tx_info", "enabled", selt(&enabled));
    registered(&mut m, "tx_info", "accelerated", selt(&accel));
    registered(&mut m, "tx_info", "local_ip", selt(&lip));
    registered(&mut m, "tx_info", "local_port", selt(&lport));
    for (f, mm) in [
        ("remote", &m_remote),
        ("remote_mac", &m_mac),
        ("base", &m_tx_base),
        ("size", &m_tx_size),
        ("head", &m_tx_head),
        ("tail", &m_tx_tail),
    ] {
        let v = rd_at(&mut m, mm, &format!("{f}_tx_info"), &ti_index);
        registered(&mut m, "tx_info", f, v.into());
    }

    // ---- Doorbells ----------------------------------------------------------------------
    let doorbell = |m: &mut ModuleBuilder, g: &str, pend: &[Sig], ready: &Sig, set: &Expr| {
        let pv = m.node(&format!("{g}_pending"), vec_of(pend));
        let after = m.reg_reset(&format!("{g}_after"), n, 0);
        let pick = rr_pick(m, &format!("{g}_pick"), &pv, &after);
        let valid = gout(m, g, "valid", 1);
        let index = gout(m, g, "index", iw);
        m.set(&valid, pv.any());
        m.set(&index, encode(&pick, iw));
        let take = m.node(&format!("{g}_take"), pv.any() & ready);
        m.when(&take, |m| m.set(&after, above(&pick)));
        for (i, p) in pend.iter().enumerate() {
            m.when(&take & pick.bit(i as u32), |m| m.set(p, 0));
            m.when(set & &esel[i], |m| m.set(p, 1));
        }
    };
    doorbell(
        &mut m,
        "db_rx",
        &db_rx_pend,
        &dbr_ready,
        &w_rx_head.clone().into(),
    );
    doorbell(
        &mut m,
        "db_tx",
        &db_tx_pend,
        &dbt_ready,
        &w_tx_tail.clone().into(),
    );

    // ---- Per-entry updates ----------------------------------------------------------------
    let f_en = rs.field("ENTRY", "CTRL", "ENABLED");
    let f_acc = rs.field("ENTRY", "CTRL", "ACCELERATED");
    let f_prio = rs.field("ENTRY", "CTRL", "IRQ_PRIO");
    let f_port = rs.field("ENTRY", "LOCAL", "PORT");
    let f_ip = rs.field("ENTRY", "LOCAL", "IP");
    let f_core = rs.field("ENTRY", "OWNER", "CORE");
    let f_wrx = rs.field("ENTRY", "WAIT", "RX");
    let f_wtx = rs.field("ENTRY", "WAIT", "TX");
    let w_ptrs = m.node("wr_entry_rx_ptr", &w_rx_head | &w_rx_tail);
    for i in 0..n as usize {
        let here = &esel[i];
        m.when(&w_ctrl & here, |m| {
            m.set(&enabled[i], &f_en);
            m.set(&accel[i], &f_acc);
            m.set(&prio[i], &f_prio);
        });
        m.when(&w_local & here, |m| {
            m.set(&lport[i], &f_port);
            m.set(&lip[i], &f_ip);
        });
        m.when(&w_owner & here, |m| m.set(&core[i], &f_core));
        // Popping wakes the thread: it no longer waits.
        m.when(&popped & rq_head.eq(i as u64), |m| {
            m.set(&rx_wait[i], 0);
            m.set(&tx_wait[i], 0);
        });
        m.when(&w_wait & here, |m| {
            m.set(&rx_wait[i], &f_wrx);
            m.set(&tx_wait[i], &f_wtx);
        });
        m.when(&w_wait & here & &f_wtx, |m| m.set(&tx_freed[i], 0));
        m.when(&tu_valid & tsel(i), |m| m.set(&tx_freed[i], 1));
        m.when(&upd_adv & rsel(i), |m| m.set(&rx_pend[i], &pend_upd))
            .elif(&w_ptrs & here, |m| m.set(&rx_pend[i], &pend_mmio));
        m.when(&clear_used, |m| m.set(&used[i], 0));
        m.when(lk_hit_vec.bit(i as u32), |m| m.set(&used[i], 1));
    }

    // ---- Events ---------------------------------------------------------------------------
    let ev = |kind: u64, data: Expr| cat([lit(kind, 8), data.zext(56)]);
    let fault_entry = in_entry.mux(eidx.zext(16), lit(0xffff, 16));
    let fault_data = cat([
        rs.req.addr.slice(3, 14),
        privileged.clone().into(),
        rs.req.write.clone().into(),
        (req_core_ok.repeat(16) & &req_asid),
        rs.req.user.clone().into(),
        fault_entry,
    ]);
    let link_changed = m.node("link_changed", link_r.ne(&link_up));
    let sources = [
        (
            "prot",
            Expr::from(&fault),
            ev(event::PROT_FAULT, fault_data),
        ),
        (
            "miss",
            miss_new.clone().into(),
            ev(event::ICT_MISS, lk1_key.clone().into()),
        ),
        (
            "overflow",
            upd_drop.clone().into(),
            ev(event::RING_OVERFLOW, ru_index.zext(16)),
        ),
        (
            "dma",
            evd_valid.clone().into(),
            ev(event::DMA_ERROR, evd_info.clone().into()),
        ),
        (
            "link",
            link_changed.into(),
            cat([
                link_up.mux(lit(event::LINK_UP, 8), lit(event::LINK_DOWN, 8)),
                lit(0, 56),
            ]),
        ),
        (
            "malformed",
            evm_valid.clone().into(),
            ev(event::MALFORMED, evm_class.clone().into()),
        ),
    ];
    debug_assert!(sources.iter().map(|s| s.0).eq(EVENT_SOURCES));
    for (s_name, v, d) in sources {
        m.connect(eq, &format!("{s_name}_valid"), v);
        m.connect(eq, &format!("{s_name}_data"), d);
    }

    // ---- Outputs ----------------------------------------------------------------------------
    m.set(&irq, &rq_irq);
    m.set(&evq_irq, &evq_irq_r);
    // A denied read returns zeros, never the register's value (the front end masks it).
    rs.finish(&mut m, &s)?;
    m.finish()
}

//! The NIC block of the Accio register map ([`regs::nic_block`]) behind its own AXI4-Lite
//! slave: the normal path the OS uses for ARP, ICMP and non-accelerated traffic
//! (IceNIC-like: receive buffers the driver posts and their completions, transmit
//! descriptors and a completion count, an interrupt), the receive policy, the MAC address
//! and the NIC's statistics.
//!
//! * **Receive.** RX_POST writes queue buffer addresses (`np_buf_*` hands the oldest to the
//!   receive engine); the engine's completions (`np_done_*`) queue for RX_COMP reads, in
//!   posting order. Both queues hold [`NicBlockCfg::rx_buffers`] entries, so a completion
//!   always finds room: a buffer is either posted, in use or completed.
//! * **Transmit.** TX_POST writes queue descriptors for the transmit engine (`np_tx_*`);
//!   TX_DONE counts the frames it has read, TX_ACK is the driver's count.
//! * **Interrupt.** `np_irq` is high while receive completions wait (IRQ_CTRL.RX) or
//!   TX_DONE.COUNT differs from TX_ACK.COUNT (IRQ_CTRL.TX).
//! * **Protection.** Every register is the kernel's: a user access answers SLVERR and
//!   changes nothing, as does a post to a full queue or of a malformed descriptor.

use super::regs::{self, NIC_STATS};
use crate::blocks::reg_slave::{RegSlave, Rules};
use crate::blocks::sync_fifo::{sync_fifo, SyncFifoCfg};
use crate::bundles::{Axil, AxilCfg, Side};
use crate::config::IctConfig;
use crate::ir::{clog2, lit, Expr, HdlErrors, Layout, Module, ModuleBuilder, PortDir, Sig};
use std::rc::Rc;

crate::port_group! {
    /// A normal-path receive buffer for the receive engine.
    pub struct NpBuffer = "np_buf" { valid: forward, addr: forward, ready: backward }
}

crate::port_group! {
    /// A frame the receive engine wrote into a normal-path buffer.
    pub struct NpDone = "np_done" {
        valid: forward,
        len: forward,
        reason: forward,
        class: forward,
        error: forward,
        ready: backward,
    }
}

crate::port_group! {
    /// A normal-path frame for the transmit engine to send.
    pub struct NpTx = "np_tx" { valid: forward, addr: forward, len: forward, ready: backward }
}

crate::port_group! {
    /// The transmit engine sent a normal-path frame.
    pub struct NpTxDone = "np_tx_done" { valid: forward, error: forward }
}

/// Normal-path parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NicBlockCfg {
    /// Bus width in bits (buffer and descriptor alignment, PARAMS.BUS_BYTES).
    pub data_width: u32,
    /// Receive buffers that can be posted at once (a power of two, at least 64).
    pub rx_buffers: u32,
    /// Transmit descriptors that can be queued at once (a power of two, at least 2).
    pub tx_descriptors: u32,
    /// Bytes of a receive buffer.
    pub np_buffer_bytes: u32,
    /// Longest frame a descriptor may carry.
    pub max_frame: u32,
}

/// AXI4-Lite address bits of the NIC block's slave (its registers' offsets in the map).
pub fn addr_width() -> u32 {
    clog2(regs::NIC_BASE + regs::NIC_SPAN)
}

pub fn nic_block(cfg: NicBlockCfg) -> Result<Rc<Module>, HdlErrors> {
    let name = format!(
        "accio_nic_block_w{}_r{}_t{}",
        cfg.data_width, cfg.rx_buffers, cfg.tx_descriptors
    );
    if !cfg.rx_buffers.is_power_of_two()
        || cfg.rx_buffers < 64
        || !cfg.tx_descriptors.is_power_of_two()
        || cfg.tx_descriptors < 2
    {
        return Err(HdlErrors::param(
            &name,
            "rx_buffers must be a power of two >= 64, tx_descriptors a power of two >= 2",
        ));
    }
    let map = regs::regmap(&IctConfig::default()).only(&regs::NIC_BLOCKS);
    let rxq = sync_fifo(SyncFifoCfg::new(48, u64::from(cfg.rx_buffers)))?;
    let cq = sync_fifo(SyncFifoCfg::new(
        completion().width(),
        u64::from(cfg.rx_buffers),
    ))?;
    let txq = sync_fifo(SyncFifoCfg::new(
        descriptor().width(),
        u64::from(cfg.tx_descriptors),
    ))?;
    let mut m = ModuleBuilder::new(&name);
    m.doc(format!(
        "Accio NIC block: normal-path queues ({} receive buffers, {} transmit descriptors),\n\
         settings and statistics. Registers: the NIC block of the ACCIO register map.",
        cfg.rx_buffers, cfg.tx_descriptors
    ));
    let s = Axil::new(
        &mut m,
        "s_axil",
        Side::Sink,
        AxilCfg {
            addr_width: addr_width(),
            data_width: map.data_width,
            user_width: super::ict::USER_WIDTH,
        },
    );
    let malformed_to_np = m.output("malformed_to_np", 1);
    let mac_out = m.output("mac_addr", 48);
    let np_irq = m.output("np_irq", 1);

    let rs = RegSlave::start(&mut m, &s, &map);
    // Kernel only: the core does not matter, and the map allows user code nothing.
    m.unused(&rs.req.user);
    m.unused(&rs.req.addr);
    m.unused(&rs.req.incoming.user);
    let rules = Rules {
        refusable: true,
        ..Rules::default()
    };
    let mut rs = rs.check(&mut m, rules);
    settings(&mut m, &mut rs, &cfg, &malformed_to_np, &mac_out);
    let posts = Posts::new(&mut m, &mut rs);
    let rx = receive(&mut m, &mut rs, &rxq, &cq, &posts);
    let tx = transmit(&mut m, &mut rs, &txq, &posts);
    // A post the queue cannot take, or a malformed one, is refused: SLVERR, nothing queued.
    // Whether a post is malformed is worked out in the request's decode cycle, from the
    // write data registered then: in the execution cycle the compares came before the
    // refusal, the strobes and the queues' counters, a path of eight LUT levels.
    let align = cfg.data_width.trailing_zeros() - 3;
    let bad_rx = m.reg("post_bad_rx", 1);
    let bad_tx = m.reg("post_bad_tx", 1);
    m.when(&rs.req.incoming.accept, |m| {
        m.set(&bad_rx, posts.rx_addr.trunc(6).ne(0u64));
        m.set(
            &bad_tx,
            posts.tx_len.lt(14u64)
                | posts.tx_len.gt(u64::from(cfg.max_frame))
                | posts.tx_addr.trunc(align).ne(0u64),
        );
    });
    let refuse = (&posts.hit_rx & (!&rx.posted_room | &bad_rx))
        | (&posts.hit_tx & (!&tx.queued_room | &bad_tx));
    let refused = rs.refused.clone().expect("refusable");
    m.set(&refused, &rs.req.write & refuse);
    interrupt(&mut m, &mut rs, &np_irq, &rx, &tx);
    statistics(&mut m, &mut rs);
    rs.finish(&mut m, &s)?;
    // Port groups declared by hand where they are used, in port order.
    NpBuffer::mark(&mut m, Side::Source);
    NpDone::mark(&mut m, Side::Sink);
    NpTx::mark(&mut m, Side::Source);
    NpTxDone::mark(&mut m, Side::Sink);
    m.finish()
}

/// Settings: the receive policy, the MAC address, the parameters.
fn settings(
    m: &mut ModuleBuilder,
    rs: &mut RegSlave,
    cfg: &NicBlockCfg,
    malformed_to_np: &Sig,
    mac_out: &Sig,
) {
    let ctrl = m.reg_reset("malformed_to_np_r", 1, 0);
    let mac = m.reg_reset("mac_addr_r", 48, 0);
    let w_ctrl = rs.write(m, "NIC", "CTRL");
    let w_mac = rs.write(m, "NIC", "MAC_ADDR");
    let v = rs.field_from("NIC", "CTRL", "MALFORMED_TO_NP", &ctrl.clone().into());
    m.when(&w_ctrl, |m| m.set(&ctrl, v));
    let v = rs.field_from("NIC", "MAC_ADDR", "MAC", &mac.clone().into());
    m.when(&w_mac, |m| m.set(&mac, v));
    m.set(malformed_to_np, &ctrl);
    m.set(mac_out, &mac);
    rs.dec
        .read("NIC", "CTRL", &[("MALFORMED_TO_NP", ctrl.clone().into())]);
    rs.dec
        .read("NIC", "MAC_ADDR", &[("MAC", mac.clone().into())]);
    rs.dec.read(
        "NIC",
        "PARAMS",
        &[
            ("BUS_BYTES", lit(u64::from(cfg.data_width / 8), 8)),
            ("RX_POST_DEPTH", lit(u64::from(cfg.rx_buffers), 16)),
            ("TX_POST_DEPTH", lit(u64::from(cfg.tx_descriptors), 16)),
            ("NP_BUFFER_BYTES", lit(u64::from(cfg.np_buffer_bytes), 16)),
        ],
    );
}

/// The driver's posts: RX_POST (a receive buffer) and TX_POST (a frame to send).
struct Posts {
    hit_rx: Expr,
    hit_tx: Expr,
    write_rx: Sig,
    write_tx: Sig,
    rx_addr: Expr,
    tx_addr: Expr,
    tx_len: Expr,
}

impl Posts {
    fn new(m: &mut ModuleBuilder, rs: &mut RegSlave) -> Posts {
        let hit_rx = rs.dec.hit("NIC", "RX_POST");
        let hit_tx = rs.dec.hit("NIC", "TX_POST");
        let write_rx = rs.write(m, "NIC", "RX_POST");
        let write_tx = rs.write(m, "NIC", "TX_POST");
        Posts {
            hit_rx,
            hit_tx,
            write_rx,
            write_tx,
            rx_addr: rs.field("NIC", "RX_POST", "ADDR"),
            tx_addr: rs.field("NIC", "TX_POST", "ADDR"),
            tx_len: rs.field("NIC", "TX_POST", "LEN"),
        }
    }
}

/// What the receive queues tell the refusal and the interrupt.
struct Receive {
    posted_room: Sig,
    completed: Sig,
}

/// A receive completion as it waits for its RX_COMP read.
fn completion() -> Layout {
    Layout::new(&[("len", 16), ("reason", 2), ("class", 3), ("error", 1)])
}

/// A transmit descriptor as it waits for the engine.
fn descriptor() -> Layout {
    Layout::new(&[("addr", 48), ("len", 16)])
}

/// Receive: posted buffers to the engine, its completions back for RX_COMP reads.
fn receive(
    m: &mut ModuleBuilder,
    rs: &mut RegSlave,
    rxq: &Rc<Module>,
    cq: &Rc<Module>,
    posts: &Posts,
) -> Receive {
    let pq = m.instance("rx_posted", rxq);
    let pq_room = m.inst_output(pq, "s_ready");
    let pq_count = m.inst_output(pq, "count");
    m.connect(pq, "s_valid", &posts.write_rx);
    m.connect(pq, "s_data", &posts.rx_addr);
    let npb_valid = group_out(m, "np_buf", "valid", 1);
    let npb_addr = group_out(m, "np_buf", "addr", 64);
    let npb_ready = group_in(m, "np_buf", "ready", 1);
    let pv = m.inst_output(pq, "m_valid");
    let pd = m.inst_output(pq, "m_data");
    m.set(&npb_valid, &pv);
    m.set(&npb_addr, pd.zext(64));
    m.connect(pq, "m_ready", &npb_ready);
    let cqi = m.instance("rx_completions", cq);
    let cq_count = m.inst_output(cqi, "count");
    let cq_room = m.inst_output(cqi, "s_ready");
    m.unused(&cq_room); // as deep as the posted queue: never full when a buffer completes
    let npd_valid = group_in(m, "np_done", "valid", 1);
    let npd_ready = group_out(m, "np_done", "ready", 1);
    let comp = completion();
    let npd: Vec<(&str, _)> = [("len", 16), ("reason", 2), ("class", 3), ("error", 1)]
        .map(|(f, w)| (f, group_in(m, "np_done", f, w).into()))
        .to_vec();
    m.set(&npd_ready, 1);
    m.connect(cqi, "s_valid", &npd_valid);
    m.connect(cqi, "s_data", comp.pack(&npd));
    let cv = m.inst_output(cqi, "m_valid");
    let cd = m.inst_output(cqi, "m_data");
    let cd = comp.unpack(m, "rx_comp", &cd);
    let rd_rx_comp = rs.read(m, "NIC", "RX_COMP");
    m.connect(cqi, "m_ready", &rd_rx_comp & &cv);
    // Zero while no completion waits.
    let shown = |f: &str| {
        let v = cd.get(f);
        let w = v.width();
        v & cv.repeat(w)
    };
    rs.dec.read(
        "NIC",
        "RX_COMP",
        &[
            ("LEN", shown("len")),
            ("REASON", shown("reason")),
            ("CLASS", shown("class")),
            ("ERROR", shown("error")),
            ("VALID", cv.clone().into()),
        ],
    );
    rs.dec.read(
        "NIC",
        "RX_STATUS",
        &[("POSTED", pq_count.zext(16)), ("DONE", cq_count.zext(16))],
    );
    Receive {
        posted_room: pq_room,
        completed: cq_count,
    }
}

/// What the transmit side tells the refusal and the interrupt.
struct Transmit {
    queued_room: Sig,
    done: Sig,
    acked: Sig,
}

/// Transmit: descriptors for the engine, the count of frames it has read, the driver's
/// acknowledgement.
fn transmit(m: &mut ModuleBuilder, rs: &mut RegSlave, txq: &Rc<Module>, posts: &Posts) -> Transmit {
    let tq = m.instance("tx_descriptors", txq);
    let tq_room = m.inst_output(tq, "s_ready");
    let tq_count = m.inst_output(tq, "count");
    m.connect(tq, "s_valid", &posts.write_tx);
    let desc = descriptor();
    let posted = [
        ("addr", posts.tx_addr.clone()),
        ("len", posts.tx_len.clone()),
    ];
    m.connect(tq, "s_data", desc.pack(&posted));
    let tv = m.inst_output(tq, "m_valid");
    let td = m.inst_output(tq, "m_data");
    let td = desc.unpack(m, "tx_desc", &td);
    let npt_valid = group_out(m, "np_tx", "valid", 1);
    let npt_addr = group_out(m, "np_tx", "addr", 64);
    let npt_len = group_out(m, "np_tx", "len", 16);
    let npt_ready = group_in(m, "np_tx", "ready", 1);
    m.set(&npt_valid, &tv);
    m.set(&npt_addr, td.get("addr").zext(64));
    m.set(&npt_len, td.get("len"));
    m.connect(tq, "m_ready", &npt_ready);
    rs.dec
        .read("NIC", "TX_STATUS", &[("QUEUED", tq_count.zext(16))]);
    let ntd_valid = group_in(m, "np_tx_done", "valid", 1);
    let ntd_error = group_in(m, "np_tx_done", "error", 1);
    let tx_done = m.reg_reset("tx_done_count", 32, 0);
    let tx_errs = m.reg_reset("tx_error_count", 32, 0);
    m.when(&ntd_valid, |m| m.set(&tx_done, &tx_done + 1u64));
    m.when(&ntd_valid & &ntd_error, |m| {
        m.set(&tx_errs, &tx_errs + 1u64)
    });
    rs.dec.read(
        "NIC",
        "TX_DONE",
        &[
            ("COUNT", tx_done.clone().into()),
            ("ERRORS", tx_errs.clone().into()),
        ],
    );
    let tx_ack = m.reg_reset("tx_ack_count", 32, 0);
    let w_ack = rs.write(m, "NIC", "TX_ACK");
    let v = rs.field_from("NIC", "TX_ACK", "COUNT", &tx_ack.clone().into());
    m.when(&w_ack, |m| m.set(&tx_ack, v));
    rs.dec
        .read("NIC", "TX_ACK", &[("COUNT", tx_ack.clone().into())]);
    Transmit {
        queued_room: tq_room,
        done: tx_done,
        acked: tx_ack,
    }
}

/// The interrupt: `np_irq` while completions wait (IRQ_CTRL.RX) or frames sent are not
/// yet acknowledged (IRQ_CTRL.TX).
fn interrupt(m: &mut ModuleBuilder, rs: &mut RegSlave, np_irq: &Sig, rx: &Receive, tx: &Transmit) {
    let irq_rx_en = m.reg_reset("irq_rx_en", 1, 0);
    let irq_tx_en = m.reg_reset("irq_tx_en", 1, 0);
    let w_irq = rs.write(m, "NIC", "IRQ_CTRL");
    let (a, b) = (
        rs.field_from("NIC", "IRQ_CTRL", "RX", &irq_rx_en.clone().into()),
        rs.field_from("NIC", "IRQ_CTRL", "TX", &irq_tx_en.clone().into()),
    );
    m.when(&w_irq, |m| {
        m.set(&irq_rx_en, a);
        m.set(&irq_tx_en, b);
    });
    rs.dec.read(
        "NIC",
        "IRQ_CTRL",
        &[
            ("RX", irq_rx_en.clone().into()),
            ("TX", irq_tx_en.clone().into()),
        ],
    );
    let rx_pend = m.node("irq_rx_pending", rx.completed.ne(0u64));
    let tx_pend = m.node("irq_tx_pending", tx.done.ne(&tx.acked));
    let line = m.reg_reset("np_irq_r", 1, 0);
    m.set(&line, (&irq_rx_en & &rx_pend) | (&irq_tx_en & &tx_pend));
    m.set(np_irq, &line);
    rs.dec.read(
        "NIC",
        "IRQ_STATUS",
        &[
            ("LINE", line.clone().into()),
            ("RX", rx_pend.clone().into()),
            ("TX", tx_pend.clone().into()),
        ],
    );
}

/// Statistics: saturating counters of the engines' pulses.
fn statistics(m: &mut ModuleBuilder, rs: &mut RegSlave) {
    for (reg, _) in NIC_STATS {
        let pulse = m.input(&format!("stat_{}", reg.to_lowercase()), 1);
        let c = m.reg_reset(&format!("count_{}", reg.to_lowercase()), 32, 0);
        let w = rs.write(m, "NIC", reg);
        let v = rs.field_from("NIC", reg, "COUNT", &c.clone().into());
        m.when(&w, |m| m.set(&c, v))
            .elif(&pulse & !c.all(), |m| m.set(&c, &c + 1u64));
        rs.dec.read("NIC", reg, &[("COUNT", c.clone().into())]);
    }
}

/// Port `<g>_<f>` of the normal path's groups, an input or an output.
fn group_in(m: &mut ModuleBuilder, g: &str, f: &str, width: u32) -> Sig {
    m.group_port(g, f, width, PortDir::In)
}

fn group_out(m: &mut ModuleBuilder, g: &str, f: &str, width: u32) -> Sig {
    m.group_port(g, f, width, PortDir::Out)
}

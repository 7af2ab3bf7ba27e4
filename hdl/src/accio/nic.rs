//! The Accio NIC: the ICT with its ready queues, interrupts and event queue
//! ([`ict`](super::ict)), the UDP receive and transmit offload engines
//! ([`rx_offload`](super::rx_offload), [`tx_offload`](super::tx_offload)) and the NIC block
//! with the normal path ([`nic_block`](super::nic_block)), behind
//!
//! * `s_axil_*`: one AXI4-Lite slave for the whole ACCIO register map (the NIC block's
//!   addresses go to the NIC block, everything else to the ICT); AxUSER is the core;
//! * `m_axi_*`: one AXI4 master to host memory, the receive engine writing, the transmit
//!   engine reading;
//! * `s_axis_rx_*` / `m_axis_tx_*`: the MAC's AXI4-Stream ports;
//! * `irq` (one per core), `evq_irq` and `np_irq`; `link_up` from the MAC.

use super::ict::{
    accio_ict, IctLookup, IctResult, MalformedEvent, RxUpdate, TxDoorbell, TxInfo, TxUpdate,
    USER_WIDTH,
};
use super::nic_block::{self, nic_block, NicBlockCfg, NpBuffer, NpDone, NpTx, NpTxDone};
use super::regs::{self, NIC_STATS};
use super::rx_offload::{accio_rx_offload, RxOffloadCfg};
use super::tx_offload::{accio_tx_offload, TxOffloadCfg};
use crate::blocks::axil_split::{axil_split, Target};
use crate::blocks::sync_fifo::{sync_fifo, SyncFifoCfg};
use crate::bundles::{Axil, AxilCfg, Axis, AxisCfg, Side};
use crate::config::Config;
use crate::ir::{HdlErrors, Inst, Module, ModuleBuilder, Sig};
use crate::regmap::RegMap;
use std::rc::Rc;

/// The engines' parameters at bus width `w` from the configuration.
pub fn parts(c: &Config, w: u32) -> (RxOffloadCfg, TxOffloadCfg, NicBlockCfg) {
    (
        RxOffloadCfg {
            data_width: w,
            entries: c.ict.entries,
            buffer_bytes: c.rx.buffer_bytes,
            np_buffer_bytes: c.rx.np_buffer_bytes,
            dma_outstanding: c.rx.dma_outstanding,
        },
        TxOffloadCfg {
            data_width: w,
            entries: c.ict.entries,
            max_payload: c.tx.max_payload,
            max_frame: c.tx.max_frame,
            dma_outstanding: c.tx.dma_outstanding,
        },
        NicBlockCfg {
            data_width: w,
            rx_buffers: c.np.rx_buffers,
            tx_descriptors: c.np.tx_descriptors,
            np_buffer_bytes: c.rx.np_buffer_bytes,
            max_frame: c.tx.max_frame,
        },
    )
}

/// Which engine pulse each NIC statistic counts: (engine, its `stat_*` output).
fn stat_source(reg: &str) -> (&'static str, String) {
    let (engine, pulse) = reg.split_once('_').expect("RX_... or TX_...");
    let pulse = match pulse {
        "NORMAL" if engine == "TX" => "NP_FRAMES".to_string(),
        "MALFORMED_DROPPED" => "MALFORMED_DROPPED".to_string(),
        p => p.to_string(),
    };
    (
        if engine == "RX" { "rx" } else { "tx" },
        format!("stat_{}", pulse.to_lowercase()),
    )
}

/// Wires the receive engine `ri` to the ICT `ii`: lookups and their results, the engine's
/// ring updates, malformed-frame events.
pub fn link_rx_ict(m: &mut ModuleBuilder, ri: Inst, ii: Inst) {
    IctLookup::connect(m, ri, ii);
    IctResult::connect(m, ii, ri);
    RxUpdate::connect(m, ri, ii);
    MalformedEvent::connect(m, ri, ii);
}

/// The top's own ports, declared in this order.
struct Ports {
    s_axil: Axil,
    s_rx: Axis,
    m_tx: Axis,
    link_up: Sig,
    irq: Sig,
    evq_irq: Sig,
    np_irq: Sig,
}

/// The instances: the ICT, the receive and transmit engines, the NIC block.
#[derive(Clone, Copy)]
struct Insts {
    ict: Inst,
    rx: Inst,
    tx: Inst,
    nic: Inst,
}

pub fn accio_nic(c: &Config, w: u32) -> Result<Rc<Module>, HdlErrors> {
    let (rx_cfg, tx_cfg, np_cfg) = parts(c, w);
    let name = format!("accio_nic_w{w}_n{}_c{}", c.ict.entries, c.ict.cores);
    let ict = accio_ict(&c.ict)?;
    let rx = accio_rx_offload(rx_cfg)?;
    let tx = accio_tx_offload(tx_cfg)?;
    let nb = nic_block(np_cfg)?;
    let map = regs::regmap(&c.ict);
    let mut m = ModuleBuilder::new(&name);
    m.doc(format!(
        "Accio NIC, {w}-bit: ICT ({} entries, {} cores), UDP offload, normal path.\n\
         Registers: the ACCIO register map.",
        c.ict.entries, c.ict.cores
    ));
    let net = AxisCfg::net(w);
    let p = Ports {
        s_axil: Axil::new(
            &mut m,
            "s_axil",
            Side::Sink,
            AxilCfg::for_map(&map, USER_WIDTH),
        ),
        s_rx: Axis::sink(&mut m, "s_axis_rx", net),
        m_tx: Axis::source(&mut m, "m_axis_tx", net),
        link_up: m.input("link_up", 1),
        irq: m.output("irq", c.ict.cores),
        evq_irq: m.output("evq_irq", 1),
        np_irq: m.output("np_irq", 1),
    };
    let t = Insts {
        ict: m.instance("ict", &ict),
        rx: m.instance("rx", &rx),
        tx: m.instance("tx", &tx),
        nic: m.instance("nic", &nb),
    };
    split_registers(&mut m, &p.s_axil, t, &map);
    mac_and_host_memory(&mut m, &p, t);
    receive_engine_to_ict(&mut m, t);
    link_tx_ict(&mut m, t.tx, t.ict);
    m.connect(t.ict, "link_up", &p.link_up);
    dma_events(&mut m, t.rx, t.tx, t.ict)?;
    engines_to_nic_block(&mut m, t);
    interrupts(&mut m, &p, t);
    m.finish()
}

/// The NIC block's addresses go to the NIC block, everything else to the ICT.
fn split_registers(m: &mut ModuleBuilder, s_axil: &Axil, t: Insts, map: &RegMap) {
    axil_split(
        m,
        s_axil,
        &Target {
            inst: t.ict,
            prefix: "s_axil",
            addr_width: map.only(&regs::ICT_BLOCKS).addr_width(),
        },
        &Target {
            inst: t.nic,
            prefix: "s_axil",
            addr_width: nic_block::addr_width(),
        },
        |a| {
            // The window is aligned to its power-of-two span, so the bits above the span
            // decide: one compare, not two carry chains on the path from the bus.
            const _: () = assert!(
                regs::NIC_SPAN.is_power_of_two() && regs::NIC_BASE.is_multiple_of(regs::NIC_SPAN)
            );
            let k = regs::NIC_SPAN.trailing_zeros();
            a.slice(k, a.width() - k).eq(regs::NIC_BASE >> k)
        },
    );
}

/// The MAC streams into the receive engine and out of the transmit engine; both engines'
/// host memory masters.
fn mac_and_host_memory(m: &mut ModuleBuilder, p: &Ports, t: Insts) {
    let (ri, ti, s_rx, m_tx) = (t.rx, t.tx, &p.s_rx, &p.m_tx);
    for f in ["tdata", "tkeep", "tvalid", "tlast", "tuser"] {
        let port = match f {
            "tdata" => &s_rx.tdata,
            "tkeep" => &s_rx.tkeep,
            "tvalid" => &s_rx.tvalid,
            "tlast" => &s_rx.tlast,
            _ => s_rx.tuser.as_ref().unwrap(),
        };
        m.connect(ri, &format!("s_axis_rx_{f}"), port);
    }
    let rx_ready = m.inst_output(ri, "s_axis_rx_tready");
    m.set(&s_rx.tready, &rx_ready);
    for (f, port) in [
        ("tdata", &m_tx.tdata),
        ("tkeep", &m_tx.tkeep),
        ("tvalid", &m_tx.tvalid),
        ("tlast", &m_tx.tlast),
        ("tuser", m_tx.tuser.as_ref().unwrap()),
    ] {
        let v = m.inst_output(ti, &format!("m_axis_tx_{f}"));
        m.set(port, &v);
    }
    m.connect(ti, "m_axis_tx_tready", &m_tx.tready);
    m.expose(ri, "m_axi_");
    m.expose(ti, "m_axi_");
}

/// Wires between two instances: `from`'s output `out` drives `to`'s input `inp`.
fn wire(m: &mut ModuleBuilder, from: Inst, out: &str, to: Inst, inp: &str) {
    let v = m.inst_output(from, out);
    m.connect(to, inp, &v);
}

/// Lookups, ring updates and events; the receive engine needs neither back-pressure nor
/// doorbells.
fn receive_engine_to_ict(m: &mut ModuleBuilder, t: Insts) {
    link_rx_ict(m, t.rx, t.ict);
    let left = m.inst_output(t.rx, "frame_left");
    m.unused(&left); // the engine paces itself: the MAC is never held back
                     // RX_HEAD doorbells: the RX engine reads RX_HEAD with every lookup, so it needs none.
    m.connect(t.ict, "db_rx_ready", 1);
    for f in ["valid", "index"] {
        let x = m.inst_output(t.ict, &format!("db_rx_{f}"));
        m.unused(&x);
    }
}

/// Wires the transmit engine `ti` to the ICT `ii`: it reads an entry's TX state, updates
/// its head, takes its doorbells.
pub fn link_tx_ict(m: &mut ModuleBuilder, ti: Inst, ii: Inst) {
    TxInfo::connect(m, ii, ti);
    TxUpdate::connect(m, ti, ii);
    TxDoorbell::connect(m, ii, ti);
}

/// DMA errors from the receive engine `ri` and the transmit engine `ti` into the one event
/// source of the ICT `ii`: the receive engine's go first, the transmit engine's wait in a
/// small queue.
pub fn dma_events(m: &mut ModuleBuilder, ri: Inst, ti: Inst, ii: Inst) -> Result<(), HdlErrors> {
    let rx_ev = m.inst_output(ri, "ev_dma_valid");
    let rx_info = m.inst_output(ri, "ev_dma_info");
    let tx_ev = m.inst_output(ti, "ev_dma_valid");
    let tx_info = m.inst_output(ti, "ev_dma_info");
    let q = m.instance("tx_dma_events", &sync_fifo(SyncFifoCfg::new(40, 4))?);
    m.connect(q, "s_valid", &tx_ev);
    m.connect(q, "s_data", &tx_info);
    let qv = m.inst_output(q, "m_valid");
    let qd = m.inst_output(q, "m_data");
    for o in ["s_ready", "count"] {
        let x = m.inst_output(q, o);
        m.unused(&x); // a DMA error per record at most, and the receive side's are rare
    }
    m.connect(q, "m_ready", &qv & !&rx_ev);
    m.connect(ii, "ev_dma_valid", &rx_ev | &qv);
    m.connect(ii, "ev_dma_info", rx_ev.mux(&rx_info, &qd));
    Ok(())
}

/// The normal path's buffers and frames through the engines; the engines' counters.
fn engines_to_nic_block(m: &mut ModuleBuilder, t: Insts) {
    let (ri, ti, ni) = (t.rx, t.tx, t.nic);
    wire(m, ni, "malformed_to_np", ri, "malformed_to_np");
    wire(m, ni, "mac_addr", ti, "mac_addr");
    NpBuffer::connect(m, ni, ri);
    NpDone::connect(m, ri, ni);
    NpTx::connect(m, ni, ti);
    NpTxDone::connect(m, ti, ni);
    for (reg, _) in NIC_STATS {
        let (engine, pulse) = stat_source(reg);
        let inst = if engine == "rx" { ri } else { ti };
        wire(m, inst, &pulse, ni, &format!("stat_{}", reg.to_lowercase()));
    }
}

/// The ICT's per-core and event-queue interrupts, the NIC block's.
fn interrupts(m: &mut ModuleBuilder, p: &Ports, t: Insts) {
    for (port, inst, out) in [
        (&p.irq, t.ict, "irq"),
        (&p.evq_irq, t.ict, "evq_irq"),
        (&p.np_irq, t.nic, "np_irq"),
    ] {
        let v = m.inst_output(inst, out);
        m.set(port, &v);
    }
}

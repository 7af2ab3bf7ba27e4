//! The Lauberhorn NIC: the ONC-RPC receive path, the scheduler, the CONTROL-line endpoints
//! on the coherence link, the reply path and the kernel's registers, as one top.
//!
//! For the DMA fallback it also holds an Accio ICT with its receive and transmit engines:
//! too-large calls go through [`dma_fallback`](super::dma_fallback) into the RX ring of
//! the ICT entry of their port, in host memory; results too large for the lines go out
//! through that entry's TX ring (the handler writes the reply's UDP payload as a TX record
//! to the caller, rings TX_TAIL and sets [`ctrl::RING`](super::coherence::ctrl::RING) in
//! its response, so the reply path frees the slot without sending). The transmit engine's
//! frames and the reply path's take turns on `m_axis_tx`, whole frames at a time
//! ([`merge_frames`]). A TX record's destination MAC is the entry's REMOTE_MAC (the next
//! hop), as on any Accio TX ring.
//!
//! Ports: the MAC streams (`s_axis_rx`; `m_axis_tx` for replies and TX-line datagrams;
//! `m_axis_other` for every frame that is not a call for a service, for the normal path),
//! the coherence link (`c2n_*`, `n2c_*`), the LAUBERHORN register map (`s_axil`), the
//! ICT's registers (`s_axil_ict`, the ACCIO map's ICT blocks, AxUSER the core) and host
//! memory (`m_axi_*`: the RX rings' writes, the TX rings' reads), one interrupt line per
//! core (its PREEMPT.REQ), `backlog_irq` (BACKLOG.PENDING: a request waits for a process
//! no core runs), and the ICT's interrupts, `accio_irq` (per core) and `accio_evq_irq`.

use super::csr::csr;
use super::dma_fallback::{dma_fallback, DmaFallbackCfg};
use super::endpoints::{
    endpoints, EndpointsCfg, RequestDone, SlotAssign, SlotRead, SlotWrite, TxBufferDone, TxSend,
};
use super::regs::STATS;
use super::rpc_reply::{rpc_reply, RpcReplyCfg};
use super::rpc_rx::{rpc_rx, CallMeta, ErrorDone, FreeSlot, RpcRxCfg};
use super::scheduler::{scheduler, Request, SchedulerCfg};
use crate::accio::ict::accio_ict;
use crate::accio::nic::{dma_events, link_rx_ict, link_tx_ict};
use crate::accio::rx_offload::accio_rx_offload;
use crate::accio::tx_offload::accio_tx_offload;
use crate::blocks::frame_merge::merge_frames;
use crate::bundles::{Axis, AxisCfg};
use crate::config::Config;
use crate::ir::{Expr, HdlErrors, Inst, Module, ModuleBuilder};
use std::rc::Rc;

/// The blocks of a Lauberhorn NIC with a `net_width`-bit MAC.
pub fn parts(cfg: &Config, net_width: u32) -> (RpcRxCfg, RpcReplyCfg, EndpointsCfg, SchedulerCfg) {
    let l = &cfg.lauberhorn;
    (
        RpcRxCfg {
            net_width,
            coh_width: l.coh_width,
            aux_lines: l.aux_lines,
            slots: l.slots,
            services: l.services,
            processes: l.processes,
            buffer_bytes: l.buffer_bytes,
        },
        RpcReplyCfg {
            net_width,
            cores: l.cores,
            coh_width: l.coh_width,
            aux_lines: l.aux_lines,
            slots: l.slots,
        },
        EndpointsCfg::new(l),
        SchedulerCfg::new(l),
    )
}

/// The instances of the top, named once for the sub-generators that wire them.
#[derive(Clone, Copy)]
struct Insts {
    /// The ONC-RPC receive path.
    rx: Inst,
    reply: Inst,
    endpoints: Inst,
    scheduler: Inst,
    /// The LAUBERHORN register map.
    regs: Inst,
    /// The DMA fallback's ICT, ring engines and the fallback itself.
    ict: Inst,
    ring_rx: Inst,
    ring_tx: Inst,
    fallback: Inst,
}

pub fn lauberhorn_nic(cfg: &Config, net_width: u32) -> Result<Rc<Module>, HdlErrors> {
    let l = &cfg.lauberhorn;
    let name = format!("lauberhorn_nic_w{net_width}_c{}_s{}", l.cores, l.slots);
    let (rx_cfg, reply_cfg, ep_cfg, sched_cfg) = parts(cfg, net_width);
    let (rx, reply, eps, sched, regs) = (
        rpc_rx(rx_cfg)?,
        rpc_reply(reply_cfg)?,
        endpoints(ep_cfg)?,
        scheduler(sched_cfg)?,
        csr(l)?,
    );
    let (ring_cfg, ring_tx_cfg, _) = crate::accio::nic::parts(cfg, net_width);
    let (ict, ring_rx, ring_tx, fallback) = (
        accio_ict(&cfg.ict)?,
        accio_rx_offload(ring_cfg)?,
        accio_tx_offload(ring_tx_cfg)?,
        dma_fallback(DmaFallbackCfg {
            data_width: net_width,
            slots: l.slots,
            entries: cfg.ict.entries,
            buffer_bytes: cfg.rx.buffer_bytes,
        })?,
    );
    let mut m = ModuleBuilder::new(&name);
    m.doc(format!(
        "The Lauberhorn NIC, {net_width}-bit MAC: ONC-RPC calls into {} slots, dispatched by the\n\
         kernel's scheduling state to {} cores' CONTROL lines, replies built from the\n\
         responses. Registers: the LAUBERHORN map.",
        l.slots, l.cores
    ));
    let t = Insts {
        rx: m.instance("rpc_rx", &rx),
        reply: m.instance("reply", &reply),
        endpoints: m.instance("endpoints", &eps),
        scheduler: m.instance("scheduler", &sched),
        regs: m.instance("regs", &regs),
        ict: m.instance("ict", &ict),
        ring_rx: m.instance("ring_rx", &ring_rx),
        ring_tx: m.instance("ring_tx", &ring_tx),
        fallback: m.instance("dma_fallback", &fallback),
    };
    expose_ports(&mut m, t);
    link_settings(&mut m, t);
    link_requests(&mut m, t);
    link_replies(&mut m, t);
    link_statistics(&mut m, t);
    link_dma_fallback(&mut m, t);
    ring_engine_without_normal_path(&mut m, t);
    ict_for_rings(&mut m, t)?;
    transmit_ring(&mut m, t);
    frames_out(&mut m, t, net_width)?;
    CallMeta::connect(&mut m, t.rx, t.reply);
    link_receive_statistics(&mut m, t);
    interrupts(&mut m, t, l.cores);
    m.finish()
}

/// Output `from.p` drives input `to.q`, for each `(from, p, to, q)`.
fn link_all(m: &mut ModuleBuilder, links: &[(Inst, &str, Inst, &str)]) {
    for &(from, p, to, q) in links {
        let w = m.inst_output(from, p);
        m.connect(to, q, &w);
    }
}

/// Outputs of an instance nothing here reads.
fn ignore(m: &mut ModuleBuilder, inst: Inst, outs: &[&str]) {
    for f in outs {
        let x = m.inst_output(inst, f);
        m.unused(&x);
    }
}

/// The top's ports, each an instance's own; the ring engine's ICT traffic.
fn expose_ports(m: &mut ModuleBuilder, t: Insts) {
    m.expose_as(t.ict, "s_axil", "s_axil_ict");
    m.expose(t.ring_rx, "m_axi_");
    m.expose(t.ring_tx, "m_axi_");
    link_rx_ict(m, t.ring_rx, t.ict);
    for (inst, prefix) in [
        (t.rx, "s_axis_rx"),
        (t.rx, "m_axis_other"),
        (t.endpoints, "c2n_"),
        (t.endpoints, "n2c_"),
        (t.regs, "s_axil"),
    ] {
        m.expose(inst, prefix);
    }
}

/// The kernel's settings from the registers, and the service table inside the receive path.
fn link_settings(m: &mut ModuleBuilder, t: Insts) {
    let (ci, ri, pi, ei, si) = (t.regs, t.rx, t.reply, t.endpoints, t.scheduler);
    link_all(
        m,
        &[
            (ci, "local_ip", ri, "local_ip"),
            (ci, "reject_to_other", ri, "reject_to_other"),
            (ci, "dma_fallback", ri, "dma_fallback"),
            (ci, "error_replies", ri, "error_replies"),
            (ci, "local_mac", pi, "local_mac"),
            (ci, "timeout", ei, "timeout"),
            (ci, "preempt", ei, "preempt"),
            (ci, "retire", ei, "retire"),
            (ci, "local_ip", pi, "local_ip"),
            (ci, "tx_port", pi, "tx_port"),
            (ci, "core_mode", si, "core_mode"),
            (ci, "core_process", si, "core_process"),
            // The service table.
            (ci, "svc_wr_valid", ri, "wr_valid"),
            (ci, "svc_wr_index", ri, "wr_index"),
            (ci, "svc_wr_word", ri, "wr_word"),
            (ci, "svc_wr_data", ri, "wr_data"),
            (ci, "svc_rd_index", ri, "rd_index"),
            (ci, "svc_rd_word", ri, "rd_word"),
            (ri, "rd_data", ci, "svc_rd_data"),
        ],
    );
}

/// Requests into slots, to the scheduler, to the endpoints.
fn link_requests(m: &mut ModuleBuilder, t: Insts) {
    SlotWrite::connect(m, t.rx, t.endpoints);
    Request::connect(m, t.rx, t.scheduler);
    link_all(m, &[(t.endpoints, "waiting", t.scheduler, "waiting")]);
    SlotAssign::connect(m, t.scheduler, t.endpoints);
}

/// Finished requests to the reply path, which frees their slots; rung TX buffers to the
/// transmit path, which hands them back; error replies from the receive path's slots.
fn link_replies(m: &mut ModuleBuilder, t: Insts) {
    let (ri, pi, ei) = (t.rx, t.reply, t.endpoints);
    RequestDone::connect(m, ei, pi);
    SlotRead::connect(m, pi, ei);
    TxSend::connect(m, ei, pi);
    TxBufferDone::connect(m, pi, ei);
    ErrorDone::connect(m, ri, pi);
    link_all(m, &[(pi, "meta_slot", ri, "meta_slot")]);
    FreeSlot::connect(m, pi, ri);
}

/// The scheduler's, reply path's and endpoints' counters into the registers.
fn link_statistics(m: &mut ModuleBuilder, t: Insts) {
    let (ci, pi, ei, si) = (t.regs, t.reply, t.endpoints, t.scheduler);
    link_all(
        m,
        &[
            (si, "backlog", ci, "backlog"),
            (ci, "proc_stat_process", si, "stat_process"),
            (si, "stat_queued", ci, "proc_stat_queued"),
            (si, "stat_arrived", ci, "proc_stat_arrived"),
            (si, "stat_dispatched", ci, "proc_stat_dispatched"),
            (si, "stat_refused", ci, "proc_stat_refused"),
            (pi, "stat_replies", ci, "stat_replies"),
            (pi, "stat_bad_result", ci, "stat_bad_results"),
            (pi, "stat_sent", ci, "stat_sent"),
            (pi, "stat_tx_dropped", ci, "stat_tx_dropped"),
            (pi, "stat_ring_replies", ci, "stat_ring_replies"),
            (t.ring_tx, "stat_bad_record", ci, "stat_ring_dropped"),
            (ei, "ev_tryagain", ci, "stat_tryagains"),
            (ei, "ev_violation", ci, "stat_violations"),
        ],
    );
}

/// The DMA fallback: too-large calls through it into the ring engine; its outcomes back
/// to the receive path.
fn link_dma_fallback(m: &mut ModuleBuilder, t: Insts) {
    let (ri, di, ai) = (t.rx, t.fallback, t.ring_rx);
    for f in ["tdata", "tkeep", "tvalid", "tlast", "tuser"] {
        let (dma, s, rx) = (
            format!("m_axis_dma_{f}"),
            format!("s_axis_{f}"),
            format!("s_axis_rx_{f}"),
        );
        link_all(
            m,
            &[(ri, &dma, di, &s), (di, &format!("m_axis_{f}"), ai, &rx)],
        );
    }
    link_all(
        m,
        &[
            (di, "s_axis_tready", ri, "m_axis_dma_tready"),
            (ai, "s_axis_rx_tready", di, "m_axis_tready"),
        ],
    );
    for f in ["slot", "udp_len", "args_at"] {
        link_all(
            m,
            &[(ri, &format!("m_call_{f}"), di, &format!("s_call_{f}"))],
        );
    }
    for f in ["valid", "slot", "entry", "record", "args_at"] {
        let o = format!("dma_delivered_{f}");
        link_all(m, &[(di, &format!("delivered_{f}"), ri, &o)]);
    }
    link_all(m, &[(ri, "dma_delivered_ready", di, "delivered_ready")]);
    for f in ["valid", "slot"] {
        link_all(
            m,
            &[(di, &format!("failed_{f}"), ri, &format!("dma_failed_{f}"))],
        );
    }
    link_all(m, &[(ri, "dma_failed_ready", di, "failed_ready")]);
    let st = |m: &mut ModuleBuilder, f: &str| m.inst_output(ai, &format!("stat_{f}"));
    let ring = st(m, "offloaded");
    let mut decided = Expr::from(&ring);
    for f in ["ring_full", "normal", "no_buffer", "malformed_dropped"] {
        decided = decided | st(m, f);
    }
    m.connect(di, "decided_valid", decided);
    m.connect(di, "decided_ring", &ring);
    let upd = |m: &mut ModuleBuilder, f: &str| m.inst_output(ai, &format!("rx_upd_{f}"));
    let (uv, ua) = (upd(m, "valid"), upd(m, "advance"));
    m.connect(di, "ring_done_valid", &uv & &ua);
    let ui = upd(m, "index");
    m.connect(di, "ring_done_index", &ui);
    let ut = upd(m, "tail");
    m.connect(di, "ring_done_tail", &ut);
    link_all(m, &[(ai, "frame_left", di, "frame_left")]);
}

/// The ring engine has no normal path behind it: calls that find no ring are dropped.
fn ring_engine_without_normal_path(m: &mut ModuleBuilder, t: Insts) {
    let ai = t.ring_rx;
    // Nothing is lost there (the fallback's credits); DMA errors are events.
    ignore(
        m,
        ai,
        &[
            "stat_frames",
            "stat_mac_bad",
            "stat_overrun",
            "stat_dma_error",
        ],
    );
    m.connect(ai, "malformed_to_np", 0);
    m.connect(ai, "np_buf_valid", 0);
    m.connect(ai, "np_buf_addr", 0);
    m.connect(ai, "np_done_ready", 1);
    ignore(
        m,
        ai,
        &[
            "np_buf_ready",
            "np_done_valid",
            "np_done_len",
            "np_done_reason",
            "np_done_class",
            "np_done_error",
        ],
    );
}

/// The ICT serves the rings: both engines' DMA errors as events; RX_HEAD doorbells
/// unneeded (the receive engine reads RX_HEAD with every lookup). Its interrupts are the
/// top's.
fn ict_for_rings(m: &mut ModuleBuilder, t: Insts) -> Result<(), HdlErrors> {
    let ii = t.ict;
    dma_events(m, t.ring_rx, t.ring_tx, ii)?;
    link_tx_ict(m, t.ring_tx, ii);
    m.connect(ii, "link_up", 1);
    m.connect(ii, "db_rx_ready", 1);
    ignore(m, ii, &["db_rx_valid", "db_rx_index"]);
    for (out, from) in [("accio_irq", "irq"), ("accio_evq_irq", "evq_irq")] {
        let x = m.inst_output(ii, from);
        let o = m.output(out, x.width());
        m.set(&o, &x);
    }
    Ok(())
}

/// The transmit engine sends TX ring records only, from LOCAL_MAC: no normal path here.
fn transmit_ring(m: &mut ModuleBuilder, t: Insts) {
    let ti = t.ring_tx;
    link_all(m, &[(t.regs, "local_mac", ti, "mac_addr")]);
    for f in ["valid", "addr", "len"] {
        m.connect(ti, &format!("np_tx_{f}"), 0);
    }
    ignore(
        m,
        ti,
        &[
            "np_tx_ready",
            "np_tx_done_valid",
            "np_tx_done_error",
            "stat_frames",
            "stat_np_frames",
            "stat_bad_doorbell",
            "stat_dma_error",
        ],
    );
}

/// Replies and TX-line datagrams from the reply path, and the TX rings' frames, take turns
/// on the MAC stream.
fn frames_out(m: &mut ModuleBuilder, t: Insts, net_width: u32) -> Result<(), HdlErrors> {
    let net = AxisCfg::net(net_width);
    let port = Axis::source(m, "m_axis_tx", net);
    let (replies, ring) = (
        Axis::of_instance(t.reply, "m_axis_tx", net),
        Axis::of_instance(t.ring_tx, "m_axis_tx", net),
    );
    merge_frames(m, &[(&replies, "reply"), (&ring, "ring")], &port)?;
    Ok(())
}

/// The receive path's counters into the registers: every statistic counted nowhere else.
fn link_receive_statistics(m: &mut ModuleBuilder, t: Insts) {
    let elsewhere = [
        "replies",
        "ring_replies",
        "ring_dropped",
        "bad_results",
        "tryagains",
        "violations",
        "sent",
        "tx_dropped",
    ];
    for (reg, _) in STATS {
        let s = reg.to_lowercase();
        if !elsewhere.contains(&s.as_str()) {
            let p = format!("stat_{s}");
            link_all(m, &[(t.rx, &p, t.regs, &p)]);
        }
    }
}

/// One PREEMPT.REQ line per core, and BACKLOG.PENDING; the one endpoint output unread.
fn interrupts(m: &mut ModuleBuilder, t: Insts, cores: u32) {
    let done_ep = m.inst_output(t.endpoints, "done_ep");
    m.unused(&done_ep); // the slot says it all
    let irq = m.output("irq", cores);
    let i = m.inst_output(t.regs, "irq");
    m.set(&irq, &i);
    let backlog = m.output("backlog_irq", 1);
    let b = m.inst_output(t.scheduler, "backlog");
    m.set(&backlog, &b);
}

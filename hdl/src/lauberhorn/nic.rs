//! The Lauberhorn NIC: the ONC-RPC receive path, the scheduler, the CONTROL-line endpoints
//! on the coherence link, the reply path and the kernel's registers, as one top.
//!
//! Ports: the MAC streams (`s_axis_rx`, `m_axis_tx` for replies, and `m_axis_other` for
//! every frame that is not a call for a service, for the normal path or a DMA ring), the
//! coherence link (`c2n_*`, `n2c_*`), the LAUBERHORN register map (`s_axil`), one
//! interrupt line per core (its PREEMPT.REQ) and `backlog_irq` (BACKLOG.PENDING: a
//! request waits for a process no core runs).

use super::csr::csr;
use super::endpoints::{endpoints, EndpointsCfg};
use super::regs::STATS;
use super::rpc_reply::{rpc_reply, RpcReplyCfg};
use super::rpc_rx::{rpc_rx, RpcRxCfg};
use super::scheduler::{scheduler, SchedulerCfg};
use crate::config::Config;
use crate::ir::{HdlErrors, Inst, Module, ModuleBuilder};
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
    let mut m = ModuleBuilder::new(&name);
    m.doc(format!(
        "The Lauberhorn NIC, {net_width}-bit MAC: ONC-RPC calls into {} slots, dispatched by the\n\
         kernel's scheduling state to {} cores' CONTROL lines, replies built from the\n\
         responses. Registers: the LAUBERHORN map.",
        l.slots, l.cores
    ));
    let ri = m.instance("rpc_rx", &rx);
    let pi = m.instance("reply", &reply);
    let ei = m.instance("endpoints", &eps);
    let si = m.instance("scheduler", &sched);
    let ci = m.instance("regs", &regs);
    for (inst, prefix) in [
        (ri, "s_axis_rx"),
        (ri, "m_axis_other"),
        (pi, "m_axis_tx"),
        (ei, "c2n_"),
        (ei, "n2c_"),
        (ci, "s_axil"),
    ] {
        m.expose(inst, prefix);
    }
    // Output `from.p` drives input `to.q`.
    let link = |m: &mut ModuleBuilder, from: Inst, p: &str, to: Inst, q: &str| {
        let w = m.inst_output(from, p);
        m.connect(to, q, &w);
    };
    let links: Vec<(Inst, &str, Inst, &str)> = vec![
        // Settings.
        (ci, "local_ip", ri, "local_ip"),
        (ci, "reject_to_other", ri, "reject_to_other"),
        (ci, "error_replies", ri, "error_replies"),
        (ci, "local_mac", pi, "local_mac"),
        (ci, "timeout", ei, "timeout"),
        (ci, "preempt", ei, "preempt"),
        (ci, "retire", ei, "retire"),
        (ci, "local_ip", pi, "local_ip"),
        (ci, "tx_port", pi, "tx_port"),
        (ci, "core_mode", si, "core_mode"),
        (ci, "core_process", si, "core_process"),
        // The service table, inside the receive path.
        (ci, "svc_wr_valid", ri, "wr_valid"),
        (ci, "svc_wr_index", ri, "wr_index"),
        (ci, "svc_wr_word", ri, "wr_word"),
        (ci, "svc_wr_data", ri, "wr_data"),
        (ci, "svc_rd_index", ri, "rd_index"),
        (ci, "svc_rd_word", ri, "rd_word"),
        (ri, "rd_data", ci, "svc_rd_data"),
        // Requests into slots, to the scheduler, to the endpoints.
        (ri, "slot_wr_valid", ei, "slot_wr_valid"),
        (ri, "slot_wr_addr", ei, "slot_wr_addr"),
        (ri, "slot_wr_data", ei, "slot_wr_data"),
        (ei, "slot_wr_ready", ri, "slot_wr_ready"),
        (ri, "req_valid", si, "req_valid"),
        (ri, "req_slot", si, "req_slot"),
        (ri, "req_process", si, "req_process"),
        (si, "req_ready", ri, "req_ready"),
        (si, "req_queued", ri, "req_queued"),
        (ei, "waiting", si, "waiting"),
        (si, "assign_valid", ei, "assign_valid"),
        (si, "assign_ep", ei, "assign_ep"),
        (si, "assign_slot", ei, "assign_slot"),
        (ei, "assign_ok", si, "assign_ok"),
        // Finished requests to the reply path, which frees their slots.
        (ei, "done_valid", pi, "done_valid"),
        (ei, "done_slot", pi, "done_slot"),
        (ei, "done_wrote", pi, "done_wrote"),
        (pi, "done_ready", ei, "done_ready"),
        (pi, "slot_rd_valid", ei, "slot_rd_valid"),
        (pi, "slot_rd_addr", ei, "slot_rd_addr"),
        (ei, "slot_rd_ready", pi, "slot_rd_ready"),
        (ei, "slot_rd_data", pi, "slot_rd_data"),
        (ei, "slot_rd_data_valid", pi, "slot_rd_data_valid"),
        // Rung TX buffers to the transmit path, which hands them back.
        (ei, "tx_send_valid", pi, "tx_send_valid"),
        (ei, "tx_send_ep", pi, "tx_send_ep"),
        (ei, "tx_send_buf", pi, "tx_send_buf"),
        (pi, "tx_send_ready", ei, "tx_send_ready"),
        (pi, "tx_done_valid", ei, "tx_done_valid"),
        (pi, "tx_done_ep", ei, "tx_done_ep"),
        (pi, "tx_done_buf", ei, "tx_done_buf"),
        // Error replies, from the receive path's slots.
        (ri, "err_done_valid", pi, "err_done_valid"),
        (ri, "err_done_slot", pi, "err_done_slot"),
        (pi, "err_done_ready", ri, "err_done_ready"),
        (pi, "meta_slot", ri, "meta_slot"),
        (pi, "free_valid", ri, "free_valid"),
        (pi, "free_slot", ri, "free_slot"),
        (ri, "free_ready", pi, "free_ready"),
        // Statistics.
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
        (ei, "ev_tryagain", ci, "stat_tryagains"),
        (ei, "ev_violation", ci, "stat_violations"),
    ];
    for (a, p, b, q) in links {
        link(&mut m, a, p, b, q);
    }
    for f in ["src_mac", "src_ip", "dst_ip", "src_port", "dst_port", "xid"] {
        link(&mut m, ri, &format!("meta_{f}"), pi, &format!("meta_{f}"));
    }
    for (reg, _) in STATS {
        let s = reg.to_lowercase();
        let elsewhere = [
            "replies",
            "bad_results",
            "tryagains",
            "violations",
            "sent",
            "tx_dropped",
        ];
        if !elsewhere.contains(&s.as_str()) {
            link(&mut m, ri, &format!("stat_{s}"), ci, &format!("stat_{s}"));
        }
    }
    let done_ep = m.inst_output(ei, "done_ep");
    m.unused(&done_ep); // the slot says it all
    let irq = m.output("irq", l.cores);
    let i = m.inst_output(ci, "irq");
    m.set(&irq, &i);
    let backlog = m.output("backlog_irq", 1);
    let b = m.inst_output(si, "backlog");
    m.set(&backlog, &b);
    m.finish()
}

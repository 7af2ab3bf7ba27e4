//! DMA write engine: commands (ring base, mask, offset, length; see
//! [`dma_burst`](super::dma_burst)) plus a stream of their bytes become AXI4 write bursts;
//! each command completes, in order, once every one of its bursts has been answered, so
//! its data is in host memory when `done_valid` rises (a consumer may then publish it, e.g.
//! move a ring pointer).
//!
//! The data stream `s_axis` carries each command's bytes packed from lane 0, one beat per
//! bus width, `tkeep` marking the valid bytes of the last beat (they become `wstrb`); the
//! engine counts beats from `cmd_len`, so `tlast` is not needed. One command's data follows
//! another's directly. At most `outstanding` bursts are in flight; with a memory that keeps
//! up, data moves at one beat per cycle. `done_error` reports that some burst of the
//! command was answered with an error (SLVERR or DECERR).

use super::dma_burst::{burst_planner, CmdPorts, DmaCfg};
use super::sync_fifo::{sync_fifo, SyncFifoCfg};
use crate::bundles::{AxiCfg, AxiWrite, Axis, AxisCfg, Side};
use crate::ir::{lit, HdlErrors, Layout, Module, ModuleBuilder, PortDir};
use std::rc::Rc;

/// Width of `cmd_tag` / `done_tag`.
pub const TAG_WIDTH: u32 = 16;

pub fn dma_write(cfg: DmaCfg) -> Result<Rc<Module>, HdlErrors> {
    let name = format!("dma_write_{}", cfg.tag());
    cfg.validate().map_err(|e| HdlErrors::param(&name, e))?;
    let bw = cfg.beats_width();
    let depth = cfg.outstanding as u64;
    // Per burst: its beats for the W side; its "last of command" flag and tag for the B side.
    let w_fifo = sync_fifo(SyncFifoCfg::new(bw, depth))?;
    let b_layout = Layout::new(&[("tag", TAG_WIDTH), ("last", 1)]);
    let b_fifo = sync_fifo(SyncFifoCfg::new(b_layout.width(), depth))?;
    let mut m = ModuleBuilder::new(&name);
    m.doc(format!(
        "DMA write engine: {}-bit AXI4 master, bursts of up to {} beats that never cross\n\
         4 KiB or a ring's end, {} in flight; commands complete in order.",
        cfg.data_width, cfg.max_beats, cfg.outstanding
    ));
    let cmd = CmdPorts::sink(&mut m, "cmd");
    let cmd_tag = m.group_port("cmd", "tag", TAG_WIDTH, PortDir::In);
    let s = Axis::sink(
        &mut m,
        "s_axis",
        AxisCfg {
            data_width: cfg.data_width,
            user_width: 0,
        },
    );
    m.unused(&s.tlast);
    let axi = AxiWrite::new(
        &mut m,
        "m_axi",
        Side::Source,
        AxiCfg {
            addr_width: 64,
            data_width: cfg.data_width,
            id_width: 1,
        },
    );
    m.unused(&axi.b.id);
    let done_valid = m.group_port("done", "valid", 1, PortDir::Out);
    let done_ready = m.group_port("done", "ready", 1, PortDir::In);
    let done_tag = m.group_port("done", "tag", TAG_WIDTH, PortDir::Out);
    let done_error = m.group_port("done", "error", 1, PortDir::Out);

    // Address channel: bursts from the planner, while both FIFOs have room.
    let wq = m.instance("w_bursts", &w_fifo);
    let bq = m.instance("b_bursts", &b_fifo);
    let (w_room, b_room) = (m.inst_output(wq, "s_ready"), m.inst_output(bq, "s_ready"));
    let room = m.node("burst_room", &w_room & &b_room);
    for q in [wq, bq] {
        let fill = m.inst_output(q, "count");
        m.unused(&fill); // room is all that matters
    }
    let issue = m.wire("aw_issue", 1);
    let plan = burst_planner(
        &mut m,
        cfg,
        &cmd,
        &cmd_tag.clone().into(),
        &issue.clone().into(),
    );
    let handshake = plan.drive_channel(&mut m, cfg, &axi.aw, &room.clone().into());
    m.set(&issue, handshake);
    m.connect(wq, "s_valid", &issue);
    m.connect(wq, "s_data", &plan.beats);
    m.connect(bq, "s_valid", &issue);
    let burst = [("tag", (&plan.extra).into()), ("last", (&plan.last).into())];
    m.connect(bq, "s_data", b_layout.pack(&burst));

    // Write data: the stream, cut into the bursts in order.
    let w_valid = m.inst_output(wq, "m_valid");
    let w_beats = m.inst_output(wq, "m_data");
    let beat = m.reg_reset("w_beat", bw, 0);
    let w = &axi.w;
    let w_last = m.node("w_last", (&beat + lit(1, bw)).eq(&w_beats));
    let w_fire = m.node("w_fire", &w_valid & &s.tvalid & &w.ready);
    m.set(&w.valid, &w_valid & &s.tvalid);
    m.set(&s.tready, &w_valid & &w.ready);
    m.set(&w.data, &s.tdata);
    m.set(&w.strb, &s.tkeep);
    m.set(&w.last, &w_last);
    m.when(&w_fire, |m| {
        m.set(&beat, w_last.mux(lit(0, bw), &beat + lit(1, bw)))
    });
    m.connect(wq, "m_ready", &w_fire & &w_last);

    // Responses: one per burst, in order; the command is done at its last burst's.
    let b_info = m.inst_output(bq, "m_data");
    let b_info = b_layout.unpack(&mut m, "b_info", &b_info);
    let b_valid_info = m.inst_output(bq, "m_valid");
    let done_v = m.reg_reset("done_valid_r", 1, 0);
    let done_t = m.reg("done_tag_r", TAG_WIDTH);
    let done_e = m.reg("done_error_r", 1);
    let err_acc = m.reg_reset("error_so_far", 1, 0);
    m.describe(
        &err_acc,
        "An earlier burst of the current command was answered with an error.",
    );
    let b = &axi.b;
    let b_take = m.node("b_take", &b_valid_info & (!&done_v | &done_ready));
    m.set(&b.ready, &b_take);
    let b_fire = m.node("b_fire", &b_take & &b.valid);
    let b_err = b.resp.ne(0u64);
    let cmd_last = b_info.get("last");
    m.connect(bq, "m_ready", &b_fire);
    m.when(&done_v & &done_ready, |m| m.set(&done_v, 0));
    m.when(&b_fire, |m| {
        m.when(&cmd_last, |m| {
            m.set(&done_v, 1);
            m.set(&done_t, b_info.get("tag"));
            m.set(&done_e, &err_acc | &b_err);
            m.set(&err_acc, 0);
        })
        .otherwise(|m| m.set(&err_acc, &err_acc | &b_err));
    });
    m.set(&done_valid, &done_v);
    m.set(&done_tag, &done_t);
    m.set(&done_error, &done_e);
    m.finish()
}

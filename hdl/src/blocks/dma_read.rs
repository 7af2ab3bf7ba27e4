//! DMA read engine: commands (ring base, mask, offset, length; see
//! [`dma_burst`](super::dma_burst)) become AXI4 read bursts, and the bytes come back in
//! command order on `m_axis`, packed from lane 0: `tlast` on each command's last beat,
//! `tkeep` marking its valid bytes there (all bytes elsewhere), `tuser` set on beats the
//! memory answered with an error. At most `outstanding` bursts are in flight; with a
//! memory that keeps up and a ready consumer, data moves at one beat per cycle.

use super::dma_burst::{burst_planner, CmdPorts, DmaCfg};
use super::sync_fifo::{sync_fifo, SyncFifoCfg};
use crate::bundles::{AxiCfg, AxiRead, Axis, AxisCfg, Side};
use crate::ir::{cat, lit, HdlErrors, Layout, Module, ModuleBuilder};
use std::rc::Rc;

pub fn dma_read(cfg: DmaCfg) -> Result<Rc<Module>, HdlErrors> {
    let name = format!("dma_read_{}", cfg.tag());
    cfg.validate().map_err(|e| HdlErrors::param(&name, e))?;
    let bb = cfg.beat_bytes();
    let lb = bb.trailing_zeros();
    // Per burst: the valid bytes - 1 of its command's last beat, and "last of its command".
    let info_layout = Layout::new(&[("tail", lb), ("last", 1)]);
    let info_fifo = sync_fifo(SyncFifoCfg::new(
        info_layout.width(),
        cfg.outstanding as u64,
    ))?;
    let mut m = ModuleBuilder::new(&name);
    m.doc(format!(
        "DMA read engine: {}-bit AXI4 master, bursts of up to {} beats that never cross\n\
         4 KiB or a ring's end, {} in flight; data returns in command order.",
        cfg.data_width, cfg.max_beats, cfg.outstanding
    ));
    let cmd = CmdPorts::sink(&mut m, "cmd");
    let axi = AxiRead::new(
        &mut m,
        "m_axi",
        Side::Source,
        AxiCfg {
            addr_width: 64,
            data_width: cfg.data_width,
            id_width: 1,
        },
    );
    m.unused(&axi.r.id);
    let out = Axis::source(&mut m, "m_axis", AxisCfg::net(cfg.data_width));

    let iq = m.instance("bursts", &info_fifo);
    let room = m.inst_output(iq, "s_ready");
    let fill = m.inst_output(iq, "count");
    m.unused(&fill); // room is all that matters
    let issue = m.wire("ar_issue", 1);
    // With each burst: the valid bytes - 1 of its command's last beat.
    let tail = (&cmd.len - lit(1, 16)).trunc(lb);
    let plan = burst_planner(&mut m, cfg, &cmd, &tail, &issue.clone().into());
    let handshake = plan.drive_channel(&mut m, cfg, &axi.ar, &room.clone().into());
    m.set(&issue, handshake);
    m.connect(iq, "s_valid", &issue);
    let burst = [
        ("tail", (&plan.extra).into()),
        ("last", (&plan.last).into()),
    ];
    m.connect(iq, "s_data", info_layout.pack(&burst));

    let info_valid = m.inst_output(iq, "m_valid");
    let info = m.inst_output(iq, "m_data");
    let info = info_layout.unpack(&mut m, "info", &info);
    let r = &axi.r;
    let end = m.node("cmd_end", &r.last & info.get("last"));
    let keep_last = cat((0..bb).rev().map(|i| match i {
        0 => lit(1, 1), // byte 0 is always valid
        _ => info.get("tail").ge(i as u64),
    }));
    m.set(&r.ready, &out.tready & &info_valid);
    m.set(&out.tvalid, &r.valid & &info_valid);
    m.set(&out.tdata, &r.data);
    m.set(&out.tlast, &end);
    m.set(&out.tkeep, end.mux(keep_last, !lit(0, bb)));
    m.set(out.tuser.as_ref().unwrap(), r.resp.ne(0u64));
    m.connect(iq, "m_ready", &r.valid & &r.ready & &r.last);
    m.finish()
}

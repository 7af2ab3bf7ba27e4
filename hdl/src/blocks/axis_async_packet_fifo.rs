//! AXI4-Stream packet FIFO across clock domains: whole frames from `wr_clk` to `rd_clk`.
//!
//! The write side is `axis_packet_fifo`'s (`write_side`): beats go into the memory, a
//! good frame's last beat commits it, a bad frame (`tuser`) or one that does not fit is
//! rolled back and counted (`drop_bad`, `drop_full`: one-cycle pulses in `wr_clk`; a
//! `pulse_sync` moves them to another clock). Only the commit pointer tells the reader
//! what it may read, and it jumps by a whole frame, so it cannot cross as a Gray code (that
//! changes one bit per step only): it crosses by a `handshake_sync`, which always carries
//! the latest commit (`src_valid` held high), so a frame reaches the reader whole, at most
//! one handshake round trip after its last beat, and the output never waits inside a
//! frame. The read pointer advances one beat at a time and returns to the writer as a
//! Gray code through a synchronizer, converted to binary in a register of its own (one
//! more cycle of lag, which only makes the writer see less space).
//!
//! The read side is `sync_fifo`'s prefetching output stage. `wr_rst` and `rd_rst` reset
//! their sides; reset both together, as for `async_fifo`.

use super::axis_packet_fifo::{check_cfg, drop_pulses, write_side, PacketFifoCfg};
use super::cdc_sync::{check_stages, sync_chain};
use super::gray::{from_gray, gray_ptr};
use super::handshake_sync::handshake_sync;
use super::sync_fifo::read_stage;
use crate::bundles::Axis;
use crate::ir::{cat, clog2, lit, HdlErrors, Module, ModuleBuilder};
use std::rc::Rc;

/// `axis_async_packet_fifo_{cfg.tag()}_s{stages}`: `cfg` as for `axis_packet_fifo`,
/// `stages` synchronizer flops per crossing.
pub fn axis_async_packet_fifo(cfg: PacketFifoCfg, stages: u32) -> Result<Rc<Module>, HdlErrors> {
    let name = format!("axis_async_packet_fifo_{}_s{stages}", cfg.tag());
    check_cfg(&name, &cfg)?;
    check_stages(&name, stages)?;
    let depth = cfg.depth;
    let mut m = ModuleBuilder::new(&name);
    m.doc(format!(
        "AXI4-Stream packet FIFO from wr_clk to rd_clk, {depth} beats: a frame is released once\n\
         its last beat is in; bad frames (tuser on the last beat) are dropped.\n{}",
        if cfg.drop_when_full {
            "Frames that do not fit the free space are dropped; never back-pressures."
        } else {
            "Back-pressures while full; frames longer than the FIFO are dropped."
        }
    ));
    let wr = m.domain("wr_clk", Some("wr_rst"));
    let s = Axis::sink(&mut m, "s_axis", cfg.axis);
    let drop_bad = m.output("drop_bad", 1);
    let drop_full = m.output("drop_full", 1);
    let rd = m.domain("rd_clk", Some("rd_rst"));
    let out = Axis::source(&mut m, "m_axis", cfg.axis);

    let a = clog2(depth);
    let pop = m.wire("pop", 1);
    let rd_ptr = m.in_domain(&rd, |m| gray_ptr(m, "rd_ptr", a + 1, &pop));
    let ws = m.in_domain(&wr, |m| {
        let ws = write_side(m, &cfg, &s, |m| {
            let synced = sync_chain(m, "rd_ptr_gray", &rd_ptr.gray, stages, 0);
            let rd_ptr_wr = m.reg_reset("rd_ptr_wr", a + 1, 0);
            m.set(&rd_ptr_wr, from_gray(&synced));
            rd_ptr_wr
        });
        drop_pulses(m, &ws, &drop_bad, &drop_full);
        ws
    });

    let hs = m.instance("commit_sync", &handshake_sync(a + 1, stages)?);
    m.connect(hs, "src_clk", &wr.clk);
    m.connect(hs, "src_rst", wr.rst.as_ref().expect("declared"));
    m.connect(hs, "src_valid", lit(1, 1));
    m.connect(hs, "src_data", &ws.commit_ptr);
    m.connect(hs, "dst_clk", &rd.clk);
    m.connect(hs, "dst_rst", rd.rst.as_ref().expect("declared"));
    let hs_ready = m.inst_output(hs, "src_ready");
    m.unused(&hs_ready);
    let (hs_valid, hs_data) = (
        m.inst_output(hs, "dst_valid"),
        m.inst_output(hs, "dst_data"),
    );

    m.in_domain(&rd, |m| {
        let commit_rd = m.reg_reset("commit_rd", a + 1, 0);
        m.describe(
            &commit_rd,
            "The writer's commit pointer, as last handed over.",
        );
        m.when(&hs_valid, |m| m.set(&commit_rd, &hs_data));
        let avail = commit_rd.ne(&rd_ptr.bin);
        let stage = read_stage(m, ws.mem, &rd_ptr.bin.trunc(a), &avail, &out.tready);
        m.set(&pop, &stage.fetch);
        out.drive(m, &stage.valid, &cat([lit(0, 1), (&stage.data).into()]));
    });
    m.finish()
}

//! The receive front end of both receive engines (the Accio RX offload and Lauberhorn's
//! RPC receive path), built inside the engine: the MAC stream, never back-pressured, feeds
//! a parser tap (and any further taps, such as an RPC decoder) and a store-and-forward
//! packet buffer side by side, and each frame's verdict is paired with the frame it
//! describes.
//!
//! **Why a fate FIFO.** The parser reports every frame, in order, a fixed time after its
//! last beat. The buffer keeps only some of them: it rolls back a frame the MAC marked bad
//! or that found no room, and says so by a pulse (`drop_bad`, `drop_full`) one cycle after
//! the frame's last beat. Each frame's end pushes whether the buffer kept it into the
//! *fate* FIFO, and each verdict pops it, so the engine knows which verdicts belong to a
//! buffered frame ([`RxFront::kept`]) and which to discard; without it, the verdicts and
//! the buffer's frames would fall out of step at the first drop. Other things learnt about
//! a frame before its verdict (the caller's MAC, a decoded call) wait beside it the same
//! way ([`RxFront::await_verdict`]).
//!
//! **Frame slots.** At most `frame_slots` frames are between their last beat and the
//! engine's end of them (their completion); one ending while all slots are taken is marked
//! bad for the buffer, which drops it like one that finds the buffer full (an overrun).
//! This bounds every queue behind the buffer, so none of them ever back-pressures the
//! engine's fixed-latency decision. The engine says when a frame leaves
//! ([`RxFront::count_slots`]).
//!
//! The front end declares no ports of its own: the engine counts [`RxFront::mac_bad`] and
//! [`RxFront::overrun`] its own way.

use crate::blocks::axis_packet_fifo::{axis_packet_fifo, PacketFifoCfg};
use crate::blocks::frame_tap::FrameTap;
use crate::blocks::sync_fifo::{sync_fifo, SyncFifoCfg};
use crate::bundles::Axis;
use crate::ir::{clog2, Expr, HdlErrors, Inst, Module, ModuleBuilder, Sig};
use std::rc::Rc;

/// Parameters of [`RxFront`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RxFrontCfg {
    /// Beats of the packet buffer (a power of two, at least 2).
    pub buffer_beats: u64,
    /// Frames between their last beat and their completion, at most.
    pub frame_slots: u64,
    /// Frames whose verdicts are still being worked out, at most: the depth of the fate
    /// FIFO and of every FIFO beside it. Each entry waits at most the parser's latency.
    pub verdict_depth: u64,
    /// Leading bytes of each frame kept by a [`FrameTap`] for the engine (0: no tap).
    pub header_bytes: u32,
    /// A frame refused for want of a slot counts as one until the buffer's drop pulse a
    /// cycle after its end (so a frame ending then is refused even if a slot was freed
    /// meanwhile), instead of never taking one. Lauberhorn's receive path counts so; the
    /// Accio engine does not.
    pub refused_take_slot: bool,
}

/// See the module docs. Built by [`RxFront::new`]; its signals are the engine's.
pub struct RxFront {
    cfg: RxFrontCfg,
    /// The parser (`parse`); its `meta_*` outputs are the verdicts.
    pub parse: Inst,
    /// The further taps, in the order given.
    pub taps: Vec<Inst>,
    /// The packet buffer (`buffer`); the engine drains its `m_axis`.
    pub buffer: Inst,
    /// The leading bytes of the frame, with `header_bytes` > 0.
    pub header: Option<FrameTap>,
    /// A frame's last beat comes in.
    pub in_end: Sig,
    /// Frame slots taken.
    slots: Sig,
    /// No slot is free: a frame ending now is refused.
    full: Sig,
    /// `in_end` and `full`, a cycle later: when the buffer's drop pulses come.
    end_r: Sig,
    forced_r: Sig,
    drop_bad: Sig,
    drop_full: Sig,
    /// The frame that ended a cycle ago is not in the buffer.
    lost: Sig,
    /// The parser's verdict on a frame (`meta_valid`).
    pub verdict: Sig,
    /// The frame of this verdict is in the buffer (the fate FIFO's head).
    pub kept: Sig,
}

impl RxFront {
    /// Taps `s` (driving its `tready` high) with `parser` (instance `parse`), `taps` and a
    /// buffer of `cfg.buffer_beats`, and pairs each verdict with its frame's fate. Every
    /// tap is a module with an always-ready `s_axis_*` sink; the parser has `meta_valid`.
    pub fn new(
        m: &mut ModuleBuilder,
        s: &Axis,
        cfg: RxFrontCfg,
        parser: &Rc<Module>,
        taps: &[(&str, &Rc<Module>)],
    ) -> Result<RxFront, HdlErrors> {
        let buffer = axis_packet_fifo(PacketFifoCfg::new(s.cfg, cfg.buffer_beats, true))?;
        let header = if cfg.header_bytes > 0 {
            let tap = FrameTap::new(m, s, cfg.header_bytes);
            m.unused(&tap.fire);
            Some(tap)
        } else {
            m.set(&s.tready, 1);
            None
        };
        let parse = m.instance("parse", parser);
        let taps: Vec<Inst> = taps.iter().map(|(n, t)| m.instance(n, t)).collect();
        let pf = m.instance("buffer", &buffer);
        let bad_in = s.tuser.clone().expect("net streams carry tuser");
        let in_end = m.node("in_frame_end", &s.tvalid & &s.tlast);
        let slots = m.reg_reset("slots_used", clog2(cfg.frame_slots + 1), 0);
        m.describe(
            &slots,
            "Frames between their last beat and their completion.",
        );
        let full = m.node("slots_full", slots.ge(cfg.frame_slots));
        m.describe(
            &full,
            "No frame slot is free: a frame ending now is dropped.",
        );
        let sinks: Vec<Inst> = [parse].into_iter().chain(taps.iter().copied()).collect();
        for &inst in sinks.iter().chain([&pf]) {
            m.connect(inst, "s_axis_tdata", &s.tdata);
            m.connect(inst, "s_axis_tkeep", &s.tkeep);
            m.connect(inst, "s_axis_tvalid", &s.tvalid);
            m.connect(inst, "s_axis_tlast", &s.tlast);
            let r = m.inst_output(inst, "s_axis_tready");
            m.unused(&r); // all always ready
        }
        for &inst in &sinks {
            m.connect(inst, "s_axis_tuser", &bad_in);
        }
        // A frame without a slot is marked bad so the buffer rolls it back.
        m.connect(pf, "s_axis_tuser", &bad_in | (&s.tlast & &full));
        let end_r = m.reg_reset("frame_end_r", 1, 0);
        let forced_r = m.reg("frame_forced_r", 1);
        m.set(&end_r, &in_end);
        m.set(&forced_r, &full);
        let drop_bad = m.inst_output(pf, "drop_bad");
        let drop_full = m.inst_output(pf, "drop_full");
        let lost = m.node("frame_not_buffered", &end_r & (&drop_bad | &drop_full));
        let verdict = m.inst_output(parse, "meta_valid");
        let kept = waiting(m, &cfg, &verdict, "fate", end_r.clone().into(), !&lost)?;
        Ok(RxFront {
            cfg,
            parse,
            taps,
            buffer: pf,
            header,
            in_end,
            slots,
            full,
            end_r,
            forced_r,
            drop_bad,
            drop_full,
            lost,
            verdict,
            kept,
        })
    }

    /// A FIFO `name` beside the fate FIFO: `data` pushed with `valid` (once per frame, in
    /// frame order, before the frame's verdict), popped by the verdict. Returns its head,
    /// which belongs to the current verdict.
    pub fn await_verdict(
        &self,
        m: &mut ModuleBuilder,
        name: &str,
        valid: impl Into<Expr>,
        data: impl Into<Expr>,
    ) -> Result<Sig, HdlErrors> {
        let (valid, data) = (valid.into(), data.into());
        waiting(m, &self.cfg, &self.verdict, name, valid, data)
    }

    /// The MAC marked the frame that ended a cycle ago bad (a pulse).
    pub fn mac_bad(&self) -> Expr {
        &self.drop_bad & !&self.forced_r
    }

    /// The frame that ended a cycle ago found no room or no slot (a pulse).
    pub fn overrun(&self) -> Expr {
        &self.drop_full | (&self.drop_bad & &self.forced_r)
    }

    /// Counts the frame slots: one taken by each frame that ends (see
    /// [`RxFrontCfg::refused_take_slot`]), one freed by each the buffer did not keep and
    /// by each pulse in `left` (a frame the engine is done with).
    pub fn count_slots(&self, m: &mut ModuleBuilder, left: &[Expr]) {
        let (taken, dropped): (Expr, Expr) = if self.cfg.refused_take_slot {
            (self.in_end.clone().into(), self.lost.clone().into())
        } else {
            (
                &self.in_end & !&self.full,
                &self.end_r & !&self.forced_r & (&self.drop_bad | &self.drop_full),
            )
        };
        // Modulo 2^width: the count itself never leaves 0..=frame_slots + 1.
        let sw = self.slots.width();
        let next = [dropped]
            .iter()
            .chain(left)
            .fold(&self.slots + taken.zext(sw), |a, x| a - x.zext(sw));
        m.set(&self.slots, next);
    }
}

/// A FIFO `name` of `data`, pushed with `valid` and popped by `verdict`; its head.
fn waiting(
    m: &mut ModuleBuilder,
    cfg: &RxFrontCfg,
    verdict: &Sig,
    name: &str,
    valid: Expr,
    data: Expr,
) -> Result<Sig, HdlErrors> {
    let q = m.instance(
        name,
        &sync_fifo(SyncFifoCfg::new(data.width(), cfg.verdict_depth))?,
    );
    m.connect(q, "s_valid", valid);
    m.connect(q, "s_data", data);
    m.connect(q, "m_ready", verdict);
    for o in ["s_ready", "m_valid", "count"] {
        let x = m.inst_output(q, o);
        m.unused(&x); // each waits at most the parser's latency for its verdict
    }
    Ok(m.inst_output(q, "m_data"))
}

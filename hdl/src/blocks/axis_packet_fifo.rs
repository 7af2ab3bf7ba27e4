//! AXI4-Stream store-and-forward packet FIFO.
//!
//! A frame becomes visible to the reader only once its last beat is in, so the output never
//! stalls inside a frame for want of input (what a MAC's TX side needs) and frames can be
//! dropped after the fact (what a MAC's RX side needs):
//!
//! - Beats are written at `wr_ptr`; the reader reads up to `commit_ptr`, the end of the last
//!   complete good frame. A good last beat moves `commit_ptr` past it.
//! - A last beat with `tuser` = 1 (bad frame) rolls `wr_ptr` back to `commit_ptr`: the frame
//!   vanishes and the next one is written over it. `drop_bad` pulses.
//! - A beat that finds the memory full drops the frame it belongs to (rollback as above, the
//!   rest of the frame is discarded up to its last beat, where `drop_full` pulses). With
//!   `drop_when_full` the FIFO never back-pressures (`s_axis_tready` = 1: a MAC's RX side
//!   cannot wait) and drops whatever does not fit in the free space. Without it, it
//!   back-pressures while full and drops only a frame longer than `depth` beats, which could
//!   never fit.
//!
//! A frame whose last beat goes in at one edge is valid at the output from the cycle after
//! the next edge (latency 2), and then leaves at one beat per cycle while `m_axis_tready`.
//! The memory holds `depth` beats; the output register holds one more beat of a committed
//! frame. A frame of exactly `depth` beats fits into an empty FIFO. `tuser` of the output is
//! 0: bad frames never leave.

use super::sync_fifo::{check_depth, ram_style_for, read_stage, style_tag};
use crate::bundles::{Axis, AxisCfg};
use crate::ir::{cat, clog2, lit, Expr, HdlErrors, Mem, Module, ModuleBuilder, RamStyle, Sig};
use std::rc::Rc;

/// Parameters of [`axis_packet_fifo`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PacketFifoCfg {
    /// The stream; `tuser` must be the 1-bit bad-frame flag.
    pub axis: AxisCfg,
    /// Beats of memory; a power of two, at least 2.
    pub depth: u64,
    pub style: RamStyle,
    /// Drop frames that do not fit the free space instead of back-pressuring.
    pub drop_when_full: bool,
}

impl PacketFifoCfg {
    /// A FIFO of `depth` beats in the RAM style the depth calls for.
    pub fn new(axis: AxisCfg, depth: u64, drop_when_full: bool) -> Self {
        PacketFifoCfg {
            axis,
            depth,
            style: ram_style_for(depth),
            drop_when_full,
        }
    }

    /// The part of a module name that identifies these parameters, e.g. `w64u1_d64_dist_drop`.
    pub fn tag(&self) -> String {
        format!(
            "{}_d{}_{}_{}",
            self.axis.tag(),
            self.depth,
            style_tag(self.style),
            if self.drop_when_full { "drop" } else { "bp" }
        )
    }
}

/// What the write side keeps and tells the read side.
pub(crate) struct WriteSide {
    /// The beats, `{tlast, tkeep, tdata}`.
    pub mem: Mem,
    /// End of the last complete good frame: the reader's limit (with a wrap bit).
    pub commit_ptr: Sig,
    /// The read pointer as the write side knows it (from `rd_ptr` of [`write_side`]).
    pub rd_ptr: Sig,
    /// A bad frame's last beat is in: the frame is dropped.
    pub bad: Sig,
    /// A frame that did not fit has ended: it is dropped.
    pub lost: Expr,
}

/// The write side: beats into the memory, commit or roll back at each frame's end, drop
/// what does not fit (see the module docs). `rd_ptr` declares the read pointer as this
/// side sees it (the pointer itself in one clock, its synchronized copy across clocks).
pub(crate) fn write_side(
    m: &mut ModuleBuilder,
    cfg: &PacketFifoCfg,
    s: &Axis,
    rd_ptr: impl FnOnce(&mut ModuleBuilder) -> Sig,
) -> WriteSide {
    let depth = cfg.depth;
    let bad_flag = s.tuser.clone().expect("user_width is 1");

    // Pointers carry a wrap bit, so a full memory differs from an empty one.
    let pw = clog2(depth) + 1;
    let wr_ptr = m.reg_reset("wr_ptr", pw, 0);
    let commit_ptr = m.reg_reset("commit_ptr", pw, 0);
    let rd_ptr = rd_ptr(m);
    let dropping = m.reg_reset("dropping", 1, 0);
    m.describe(
        &commit_ptr,
        "End of the last complete good frame: the reader's limit.",
    );
    m.describe(
        &dropping,
        "Discarding the rest of a frame that did not fit.",
    );

    let full = m.node("full", (&wr_ptr ^ &rd_ptr).eq(depth));
    if cfg.drop_when_full {
        m.set(&s.tready, 1);
    } else {
        // While full, take beats only to discard them: those of a frame that fills the whole
        // memory (it can never fit) or one already being dropped.
        m.set(&s.tready, !&full | commit_ptr.eq(&rd_ptr) | &dropping);
    }
    let s_fire = m.node("s_fire", s.fire());
    let lose = m.node("lose", &s_fire & (&dropping | &full));
    let store = m.node("store", &s_fire & !&lose);
    let frame_end = m.node("frame_end", &store & &s.tlast);
    let bad = m.node("bad", &frame_end & &bad_flag);
    let commit = m.node("commit", &frame_end & !&bad_flag);

    let a = clog2(depth);
    let mem = m.memory(
        "mem",
        cfg.axis.data_width + cfg.axis.keep_width() + 1,
        depth,
        cfg.style,
    );
    let beat = cat([&s.tlast, &s.tkeep, &s.tdata]);
    m.mem_write(mem, &store, &wr_ptr.trunc(a), &beat);
    let wr_next = m.node("wr_next", &wr_ptr + 1);
    m.when(&lose | &bad, |m| m.set(&wr_ptr, &commit_ptr))
        .elif(&store, |m| m.set(&wr_ptr, &wr_next));
    m.when(&commit, |m| m.set(&commit_ptr, &wr_next));
    m.when(&lose, |m| m.set(&dropping, !&s.tlast));
    WriteSide {
        mem,
        commit_ptr,
        rd_ptr,
        bad,
        lost: &lose & &s.tlast,
    }
}

/// `drop_bad` and `drop_full` as registered pulses: the drop reporting adds no path from
/// the input.
pub(crate) fn drop_pulses(m: &mut ModuleBuilder, ws: &WriteSide, drop_bad: &Sig, drop_full: &Sig) {
    let bad_pulse = m.reg_reset("bad_pulse", 1, 0);
    let full_pulse = m.reg_reset("full_pulse", 1, 0);
    m.set(&bad_pulse, &ws.bad);
    m.set(&full_pulse, &ws.lost);
    m.set(drop_bad, &bad_pulse);
    m.set(drop_full, &full_pulse);
}

/// Rejects a stream or depth the packet FIFOs cannot take.
pub(crate) fn check_cfg(name: &str, cfg: &PacketFifoCfg) -> Result<(), HdlErrors> {
    cfg.axis.validate(name)?;
    check_depth(name, cfg.depth)?;
    if cfg.axis.user_width != 1 {
        return Err(HdlErrors::param(
            name,
            format!(
                "tuser is the 1-bit bad-frame flag, not {} bits",
                cfg.axis.user_width
            ),
        ));
    }
    Ok(())
}

pub fn axis_packet_fifo(cfg: PacketFifoCfg) -> Result<Rc<Module>, HdlErrors> {
    let name = format!("axis_packet_fifo_{}", cfg.tag());
    check_cfg(&name, &cfg)?;
    let depth = cfg.depth;
    let mut m = ModuleBuilder::new(&name);
    m.doc(format!(
        "AXI4-Stream store-and-forward packet FIFO, {depth} beats: a frame is released once its\n\
         last beat is in; bad frames (tuser on the last beat) are dropped.\n{}",
        if cfg.drop_when_full {
            "Frames that do not fit the free space are dropped; never back-pressures."
        } else {
            "Back-pressures while full; frames longer than the FIFO are dropped."
        }
    ));
    let s = Axis::sink(&mut m, "s_axis", cfg.axis);
    let out = Axis::source(&mut m, "m_axis", cfg.axis);
    let drop_bad = m.output("drop_bad", 1);
    let drop_full = m.output("drop_full", 1);
    let pw = clog2(depth) + 1;
    let ws = write_side(&mut m, &cfg, &s, |m| m.reg_reset("rd_ptr", pw, 0));
    let rd_ptr = ws.rd_ptr.clone();
    let rd = read_stage(
        &mut m,
        ws.mem,
        &rd_ptr.trunc(pw - 1),
        &ws.commit_ptr.ne(&rd_ptr),
        &out.tready,
    );
    m.when(&rd.fetch, |m| m.set(&rd_ptr, &rd_ptr + 1));
    out.drive(&mut m, &rd.valid, &cat([lit(0, 1), (&rd.data).into()]));
    drop_pulses(&mut m, &ws, &drop_bad, &drop_full);
    m.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_checked() {
        let e = axis_packet_fifo(PacketFifoCfg::new(AxisCfg::net(64), 100, true)).unwrap_err();
        assert!(
            e.to_string().contains("depth 100 is not a power of two"),
            "{e}"
        );
        let no_user = AxisCfg {
            data_width: 64,
            user_width: 0,
        };
        assert!(axis_packet_fifo(PacketFifoCfg::new(no_user, 64, true)).is_err());
        let m = axis_packet_fifo(PacketFifoCfg::new(AxisCfg::net(512), 1024, false)).unwrap();
        assert_eq!(m.name(), "axis_packet_fifo_w512u1_d1024_bram_bp");
    }
}

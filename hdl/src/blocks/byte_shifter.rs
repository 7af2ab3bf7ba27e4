//! AXI-Stream byte aligner: drops the first `offset` bytes of each frame (a header of any
//! length, more than a beat if need be) and realigns the rest so its first byte is in
//! lane 0.
//!
//! * **Offset.** `s_offset` is sampled with each frame's first beat. Whole beats are
//!   dropped while the offset left is at least a beat; the remainder `r < bytes per beat`
//!   is the frame's rotation. `max_offset` only sizes the port: any value it can carry
//!   works.
//! * **Input.** Packed frames: every beat but the last has all `tkeep` bits set, the last
//!   beat's `tkeep` is contiguous from lane 0 (it may be 0: the frame then ends at the
//!   previous beat's boundary). `tuser` (bad frame) counts on the last beat only, as the
//!   MAC sets it.
//! * **Output.** The frame's bytes from `offset` on, packed the same way; `tuser` on the
//!   last beat (0 on the others). An input frame ending in a beat whose bytes from `r` on
//!   spill into one more output beat is followed by a flush beat; one whose tail fits
//!   ends one beat early.
//! * **Frames not longer than the offset** still produce exactly one output frame: a
//!   single beat with `tkeep` 0 and `tlast`. If the frame ended before the offset, `tuser`
//!   bit 0 is set (bad: truncated header); if it ended exactly at the offset it is an
//!   empty payload (a UDP datagram without data) and `tuser` is the input's. One output
//!   frame per input frame keeps a downstream header FIFO and this payload stream in step,
//!   the header/payload drift verilog-ethernet suffered when it dropped frames on one side.
//! * **Throughput.** One beat per cycle in and out in steady state, also across frame
//!   boundaries: a frame's flush beat leaves while the next frame's first beat arrives.
//!   Dropped beats take a cycle each and produce nothing.
//!
//! How: the head register holds the last accepted beat as it came. An output beat is the
//! head's lanes from `r` up followed by the next beat's lanes below `r`: the two are merged
//! in place (one 2:1 mux per bit, steered by a registered lane mask) and rotated down by
//! `r` lanes (a log shifter, `log2(bytes)` levels of 2:1 muxes) into the output register.
//! Rotating after the merge needs one rotator, steered by a register; rotating each input
//! beat instead needs the rotation before the frame state settles, and Yosys then copies
//! that select logic into every rotator LUT (1.4x the LUTs at 512 bits). The output is
//! registered; `s_axis_tready` depends combinationally on `m_axis_tready` (put an
//! `axis_register` in front to break that path where it matters).

use crate::bundles::{Axis, AxisCfg};
use crate::ir::{cat, clog2, lit, Expr, HdlErrors, Module, ModuleBuilder};
use std::rc::Rc;

/// Parameters of a [`byte_shifter`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ByteShifterCfg {
    pub axis: AxisCfg,
    /// Offsets are `0 .. max_offset`; sizes `s_offset` (`clog2(max_offset)` bits).
    pub max_offset: u32,
}

impl ByteShifterCfg {
    /// A network stream (1-bit bad-frame `tuser`) of `data_width` bits.
    pub fn new(data_width: u32, max_offset: u32) -> Self {
        ByteShifterCfg {
            axis: AxisCfg::net(data_width),
            max_offset,
        }
    }

    /// Width of `s_offset`.
    pub fn offset_width(&self) -> u32 {
        clog2(u64::from(self.max_offset))
    }
}

/// One output frame of the shifter for one input frame: the bytes and the `tuser` of the
/// last beat (an empty `bytes` is the single `tkeep` = 0 beat). The tests' reference model.
pub fn reference(frame: &[u8], offset: usize, user: u64) -> (Vec<u8>, u64) {
    match frame.len() {
        n if n > offset => (frame[offset..].to_vec(), user),
        n if n == offset => (Vec::new(), user),
        _ => (Vec::new(), user | 1),
    }
}

/// `v` (lanes of `lane` bits) rotated towards lane 0 by `amount` lanes: lane `j` of the
/// result is lane `(j + amount) % lanes` of `v`. One 2:1 mux level per bit of `amount`.
fn rotate_lanes(m: &mut ModuleBuilder, name: &str, v: &Expr, lane: u32, amount: &Expr) -> Expr {
    let lanes = v.width() / lane;
    let mut cur = v.clone();
    for k in 0..amount.width() {
        let n = (1u32 << k) % lanes;
        if n == 0 {
            continue;
        }
        let rotated = cat([cur.trunc(n * lane), cur.slice(n * lane, (lanes - n) * lane)]);
        cur = m
            .node(&format!("{name}{k}"), amount.bit(k).mux(rotated, &cur))
            .into();
    }
    cur
}

pub fn byte_shifter(cfg: ByteShifterCfg) -> Result<Rc<Module>, HdlErrors> {
    let a = cfg.axis;
    let name = format!("byte_shifter_{}_o{}", a.tag(), cfg.max_offset);
    a.validate(&name)?;
    if a.user_width == 0 || cfg.max_offset == 0 {
        return Err(HdlErrors::param(
            &name,
            "needs a tuser (it flags short frames) and max_offset >= 1",
        ));
    }
    let (w, bytes, uw) = (a.data_width, a.keep_width(), a.user_width);
    let rot_w = clog2(u64::from(bytes));
    let off_w = cfg.offset_width();

    let mut m = ModuleBuilder::new(&name);
    m.doc(format!(
        "Drops the first s_offset bytes (< {}) of each frame and realigns the rest to lane 0.\n\
         A frame not longer than its offset becomes one beat with tkeep 0 (tuser set if shorter).",
        cfg.max_offset
    ));
    let s = Axis::sink(&mut m, "s_axis", a);
    let s_offset = m.input("s_offset", off_w);
    let out = Axis::source(&mut m, "m_axis", a);
    let s_user = s.tuser.clone().expect("checked: user_width > 0");

    // Frame state: the offset still to drop, from s_offset on a frame's first beat.
    let in_frame = m.reg_reset("in_frame", 1, 0);
    m.describe(&in_frame, "A beat without tlast was accepted.");
    let left = m.reg("left", off_w);
    m.describe(
        &left,
        "Offset still to drop at the next beat of this frame.",
    );
    let left_now = m.node("left_now", in_frame.mux(&left, &s_offset));
    let beat = u64::from(bytes);
    let (drop, left_after, drop_exact): (Expr, Expr, Expr) = if (1u64 << off_w) > beat {
        let drop = m.node("drop", left_now.ge(lit(beat, off_w)));
        let after = drop.mux(&left_now - lit(beat, off_w), &left_now);
        // The frame's last dropped beat, and full: the frame is exactly `offset` long.
        let exact = left_now.eq(lit(beat, off_w)) & s.tkeep.msb();
        (drop.into(), after, exact)
    } else {
        (lit(0, 1), left_now.clone().into(), lit(0, 1))
    };
    let rot = m.node("rot", left_now.resize(rot_w));
    m.describe(
        &rot,
        "Rotation of a kept beat: the offset left, below one beat.",
    );
    // tkeep at lane `rot`, and at lane `rot - 1` (1 for rot = 0).
    let (keep_at_rot, keep_before_rot): (Expr, Expr) = if bytes == 1 {
        (s.tkeep.clone().into(), lit(1, 1))
    } else {
        let up = m.node("keep_up", cat([s.tkeep.trunc(bytes - 1), lit(1, 1)]));
        m.describe(
            &up,
            "tkeep one lane up, lane 0 set: lane r holds tkeep[r - 1].",
        );
        (s.tkeep.index(&rot), up.index(&rot))
    };

    // The head: the last accepted beat, as it came, with its frame's rotation.
    let head_valid = m.reg_reset("head_valid", 1, 0);
    let head_final = m.reg("head_final", 1);
    m.describe(
        &head_final,
        "The head is its frame's last output beat (flush).",
    );
    let head_data = m.reg("head_data", w);
    let head_keep = m.reg("head_keep", bytes);
    let head_user = m.reg("head_user", uw);
    // (A one-byte stream never rotates.)
    let head_rot = (bytes > 1).then(|| m.reg("head_rot", rot_w));
    let head_lanes = m.reg("head_lanes", bytes);
    m.describe(
        &head_lanes,
        "Lanes from head_rot up: the head's part of an output beat.",
    );

    let out_valid = m.reg_reset("out_valid", 1, 0);
    let out_data = m.reg("out_data", w);
    let out_keep = m.reg("out_keep", bytes);
    let out_last = m.reg("out_last", 1);
    let out_user = m.reg("out_user", uw);
    m.set(&out.tvalid, &out_valid);
    m.set(&out.tdata, &out_data);
    m.set(&out.tkeep, &out_keep);
    m.set(&out.tlast, &out_last);
    m.set(out.tuser.as_ref().unwrap(), &out_user);

    // Handshakes: the output register can take a beat (`advance`); a beat is accepted when
    // the head is empty or leaves in this cycle.
    let advance = m.node("advance", !&out_valid | &out.tready);
    m.set(&s.tready, !&head_valid | &advance);
    let s_fire = m.node("s_fire", &s.tvalid & &s.tready);
    let emit = m.node("emit", &advance & &head_valid & (&head_final | &s.tvalid));
    // The first kept beat of a frame: nothing of this frame is in the head.
    let starts = m.node("starts", !&head_valid | &head_final);
    // Nothing of this beat from lane `rot` on: the frame's output ends with this beat.
    let ends_here = m.node("ends_here", &s.tlast & !keep_at_rot);
    // A frame that ends before or at its offset: empty unless it ended short of it.
    let short = m.node(
        "short",
        drop.mux(!&drop_exact, !(rot.eq(0) | keep_before_rot)),
    );

    // The output beat: the head's lanes from head_rot up and the new beat's lanes below
    // it, merged in place and rotated down by head_rot. A flush takes no new lanes.
    let head_bits = m.node(
        "head_bits",
        cat((0..bytes).rev().map(|lane| head_lanes.bit(lane).repeat(8))),
    );
    let take_in = !&head_final;
    let merged_data = m.node(
        "merged_data",
        (&head_data & &head_bits) | (&s.tdata & !&head_bits),
    );
    let merged_keep = m.node(
        "merged_keep",
        (&head_keep & &head_lanes) | (&s.tkeep & !&head_lanes & take_in.repeat(bytes)),
    );
    let (next_data, next_keep): (Expr, Expr) = match &head_rot {
        Some(r) => (
            rotate_lanes(&mut m, "data_rot", &merged_data, 8, r),
            rotate_lanes(&mut m, "keep_rot", &merged_keep, 1, r),
        ),
        None => (merged_data.into(), merged_keep.into()),
    };
    let next_last = &head_final | &ends_here;
    let next_user = head_final.mux(&head_user, ends_here.mux(&s_user, lit(0, uw)));
    m.when(&advance, |m| {
        m.set(&out_valid, &emit);
        m.set(&out_data, next_data);
        m.set(&out_keep, next_keep);
        m.set(&out_last, next_last);
        m.set(&out_user, next_user);
    });

    m.when(&s_fire, |m| {
        m.set(&in_frame, !&s.tlast);
        m.set(&left, &left_after);
        // By default the beat becomes the head (also as the final head when it is last).
        m.set(&head_valid, 1);
        m.set(&head_final, &s.tlast);
        m.set(&head_data, &s.tdata);
        m.set(&head_keep, &s.tkeep);
        m.set(&head_user, &s_user);
        if let Some(r) = &head_rot {
            m.set(r, &rot);
        }
        m.set(&head_lanes, lit(1, 1).repeat(bytes).shl_by(&rot));
        m.when(&drop, |m| {
            // A dropped beat. If the frame ends here, the head becomes its empty beat.
            m.set(&head_valid, &s.tlast);
            m.set(&head_keep, lit(0, bytes));
            m.set(&head_user, &s_user | short.zext(uw));
        })
        .elif(&ends_here & &starts, |m| {
            // The frame ends before any byte from the offset on: an empty beat.
            m.set(&head_keep, lit(0, bytes));
            m.set(&head_user, &s_user | short.zext(uw));
        })
        .elif(&ends_here, |m| {
            // The frame's tail fits the output beat leaving now.
            m.set(&head_valid, 0);
        });
    })
    .elif(&emit, |m| {
        m.set(&head_valid, 0);
    });
    m.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_checked() {
        assert!(byte_shifter(ByteShifterCfg::new(12, 64)).is_err());
        assert!(byte_shifter(ByteShifterCfg::new(64, 0)).is_err());
        let no_user = ByteShifterCfg {
            axis: AxisCfg {
                data_width: 64,
                user_width: 0,
            },
            max_offset: 64,
        };
        let e = byte_shifter(no_user).unwrap_err().to_string();
        assert!(
            e.contains("byte_shifter_w64u0_o64") && e.contains("tuser"),
            "{e}"
        );
        // Odd lane counts and offsets that never reach a whole beat are fine.
        for (w, o) in [(24, 100), (512, 16), (8, 1)] {
            assert!(byte_shifter(ByteShifterCfg::new(w, o)).is_ok(), "{w} {o}");
        }
    }

    #[test]
    fn reference_strips_or_flags() {
        assert_eq!(reference(&[1, 2, 3], 1, 0), (vec![2, 3], 0));
        assert_eq!(reference(&[1, 2, 3], 3, 0), (vec![], 0));
        assert_eq!(reference(&[1, 2, 3], 4, 0), (vec![], 1));
        assert_eq!(reference(&[1, 2, 3], 0, 1), (vec![1, 2, 3], 1));
    }
}

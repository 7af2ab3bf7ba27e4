//! Frames of several AXI4-Stream sources merged onto one MAC port, whole frames at a time:
//! a round-robin [`rr_arbiter`] picks the source, which keeps the grant until its frame's
//! last beat has gone out (through gaps inside the frame too), so frames never interleave.
//! The port is driven through a register slice, so the sources' last-beat logic and the
//! arbiter's mux end at a flop, not at the MAC. A frame waits a cycle for its grant when
//! the port was idle, and a cycle in the slice.

use super::axis_register::register_source;
use super::rr_arbiter::rr_arbiter;
use crate::bundles::{Axis, InstAxis};
use crate::ir::{cat, Expr, HdlErrors, ModuleBuilder};

/// A stream whose beats the merge takes: `take` drives its ready and returns its valid and
/// packed payload (`{tuser, tlast, tkeep, tdata}`).
pub trait FrameSource {
    fn take(&self, m: &mut ModuleBuilder, ready: Expr) -> (Expr, Expr);
}

impl FrameSource for InstAxis {
    fn take(&self, m: &mut ModuleBuilder, ready: Expr) -> (Expr, Expr) {
        self.source(m, ready)
    }
}

/// What the merge tells its user.
pub struct Merged {
    /// The source holding the grant, one-hot.
    pub grant: Expr,
    /// A frame's last beat enters the slice this cycle (from the granted source).
    pub frame_end: Expr,
}

/// Merges `sources` (each with a name for its `{name}_mid_frame` register) onto `port`,
/// a source stream of this module, through slice `mac_reg` and arbiter `mac_arbiter`.
pub fn merge_frames(
    m: &mut ModuleBuilder,
    sources: &[(&dyn FrameSource, &str)],
    port: &Axis,
) -> Result<Merged, HdlErrors> {
    let c = port.cfg;
    let last_bit = c.data_width + c.keep_width();
    let out = register_source(m, "mac_reg", port)?;
    let arb = m.instance("mac_arbiter", &rr_arbiter(sources.len() as u32)?);
    let grant = m.inst_output(arb, "grant");
    let grant_index = m.inst_output(arb, "grant_index");
    let grant_valid = m.inst_output(arb, "grant_valid");
    m.unused(&grant_index);
    let mut requests = Vec::new();
    let mut payloads = Vec::new();
    let mut valids = Vec::new();
    for (k, (source, name)) in sources.iter().enumerate() {
        let ready = &grant.bit(k as u32) & &out.tready;
        let (valid, payload) = source.take(m, ready);
        let mid_frame = m.reg_reset(&format!("{name}_mid_frame"), 1, 0);
        m.describe(&mid_frame, "Inside a frame: keep the grant through gaps.");
        let beat_out = &valid & grant.bit(k as u32) & &out.tready;
        m.when(&beat_out, |m| m.set(&mid_frame, !payload.bit(last_bit)));
        requests.push(&valid | &mid_frame);
        payloads.push(payload);
        valids.push(valid);
    }
    m.connect(arb, "req", cat(requests.into_iter().rev()));
    let pick = |v: &[Expr]| {
        v.iter()
            .enumerate()
            .skip(1)
            .fold(v[0].clone(), |acc, (k, x)| {
                grant.bit(k as u32).mux(x.clone(), acc)
            })
    };
    let payload = pick(&payloads);
    let out_valid = &grant_valid & pick(&valids);
    out.drive(m, out_valid.clone(), &payload);
    let frame_end = &out_valid & &out.tready & payload.bit(last_bit);
    m.connect(arb, "ack", frame_end.clone());
    Ok(Merged {
        grant: grant.into(),
        frame_end,
    })
}

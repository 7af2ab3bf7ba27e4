//! AXI4-Stream register slice with a skid buffer.
//!
//! Breaks every combinational path between its two sides (`tready` included) and still
//! moves one beat per cycle: while the output is stalled, the beat accepted in that cycle
//! waits in the skid register, and `s_axis_tready` drops only once the skid is full.

use crate::bundles::{Axis, AxisCfg};
use crate::ir::{HdlErrors, Module, ModuleBuilder};
use std::rc::Rc;

pub fn axis_register(cfg: AxisCfg) -> Result<Rc<Module>, HdlErrors> {
    let name = format!("axis_register_{}", cfg.tag());
    cfg.validate(&name)?;
    let mut m = ModuleBuilder::new(&name);
    m.doc("AXI4-Stream register slice: full throughput, all outputs registered.");
    let s = Axis::sink(&mut m, "s_axis", cfg);
    let out = Axis::source(&mut m, "m_axis", cfg);
    let w = cfg.payload_width();

    let out_valid = m.reg_reset("out_valid", 1, 0);
    let out_payload = m.reg("out_payload", w);
    let skid_valid = m.reg_reset("skid_valid", 1, 0);
    let skid_payload = m.reg("skid_payload", w);
    m.describe(&skid_valid, "A beat arrived while the output was stalled.");

    m.set(&s.tready, !&skid_valid);
    out.drive(&mut m, &out_valid, &out_payload);

    let s_fire = m.node("s_fire", &s.tvalid & !&skid_valid);
    let out_free = m.node("out_free", !&out_valid | &out.tready);
    m.when(&out_free, |m| {
        m.when(&skid_valid, |m| {
            m.set(&out_payload, &skid_payload);
            m.set(&out_valid, 1);
            m.set(&skid_valid, 0);
        })
        .otherwise(|m| {
            m.set(&out_payload, s.payload());
            m.set(&out_valid, &s_fire);
        });
    })
    .elif(&s_fire, |m| {
        m.set(&skid_payload, s.payload());
        m.set(&skid_valid, 1);
    });
    m.finish()
}

/// Drives source stream `out` (a port) through a register slice instance named `name`,
/// so nothing combinational reaches the port; returns the stream to drive in its place
/// (wires `{name}_in_*`).
pub fn register_source(m: &mut ModuleBuilder, name: &str, out: &Axis) -> Result<Axis, HdlErrors> {
    let slice = m.instance(name, &axis_register(out.cfg)?);
    let into = Axis::wires(m, &format!("{name}_in"), out.cfg);
    Axis::of_instance(slice, "s_axis", out.cfg).connect_sink(m, &into);
    let (valid, payload) = Axis::of_instance(slice, "m_axis", out.cfg).source(m, &out.tready);
    out.drive(m, valid, &payload);
    Ok(into)
}

//! Every block variant the project checks on its own: each is snapshot-tested, linted
//! with `verilator -Wall` and synthesized by the test gate. Add a new block here.

use crate::blocks::axis_register::axis_register;
use crate::bundles::AxisCfg;
use crate::ir::{HdlErrors, Module};
use std::rc::Rc;

/// The library blocks at the widths we test (8-bit, 64-bit and 512-bit streams).
pub fn blocks() -> Result<Vec<Rc<Module>>, HdlErrors> {
    let mut out = Vec::new();
    for w in [8, 64, 512] {
        out.push(axis_register(AxisCfg::net(w))?);
    }
    Ok(out)
}

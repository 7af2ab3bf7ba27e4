//! Reset synchronizer: asserts at once, deasserts in step with the clock.
//!
//! A reset that comes from another clock domain, a button or a PLL lock may arrive at any
//! time. Assertion need not wait for a clock (the clock may not run yet), so the chain is
//! set asynchronously. Deassertion must be synchronous: if flops saw a reset release too
//! close to an edge, some would leave reset a cycle before others. The release shifts
//! through `stages` flops marked `ASYNC_REG`, so `rst_out` falls at a clock edge, `stages`
//! edges after `rst_in` did, and feeds the synchronous resets of the domain's logic.

use super::cdc_sync::{check_stages, sync_chain};
use crate::ir::{lit, HdlErrors, Module, ModuleBuilder};
use std::rc::Rc;

/// `reset_sync_s{stages}`: `rst_in` (any clock, active high) → `rst_out` (of `clk`).
pub fn reset_sync(stages: u32) -> Result<Rc<Module>, HdlErrors> {
    let name = format!("reset_sync_s{stages}");
    check_stages(&name, stages)?;
    let mut m = ModuleBuilder::new(&name);
    m.doc(format!(
        "Reset synchronizer: rst_out rises with rst_in (asynchronously) and falls {stages} clk\n\
         edges after rst_in falls."
    ));
    let dom = m.domain_async_reset("clk", "rst_in");
    let rst_out = m.output("rst_out", 1);
    let last = m.in_domain(&dom, |m| sync_chain(m, "rst", &lit(0, 1), stages, 1));
    m.set(&rst_out, &last);
    m.finish()
}

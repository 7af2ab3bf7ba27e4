//! The synchronizer flop chain every clock-domain crossing goes through.
//!
//! A signal from another clock can change at any time relative to this domain's clock, so
//! the first flop sampling it can go metastable. Further flops give it whole clock periods
//! to resolve before logic sees the value: two are the usual minimum, more buy MTBF at
//! high clock rates. Each flop carries `(* ASYNC_REG = "TRUE" *)`, which tells Vivado to
//! place the chain in one slice and keep it out of retiming and SRL inference. What is
//! synchronized must come straight from a flop of the source domain (no logic between
//! clocks, which could glitch) and be either one bit or a Gray code, which changes in one
//! bit per step; anything wider crosses by a handshake (`handshake_sync`).

use crate::ir::{Expr, HdlErrors, ModuleBuilder, Sig};

/// The fewest flops a synchronizer may have.
pub const MIN_STAGES: u32 = 2;

/// Rejects a chain too short to resolve metastability.
pub fn check_stages(module: &str, stages: u32) -> Result<(), HdlErrors> {
    if stages < MIN_STAGES {
        return Err(HdlErrors::param(
            module,
            format!("{stages} synchronizer stages; at least {MIN_STAGES} are needed"),
        ));
    }
    Ok(())
}

/// `value` (from another clock domain) through `stages` flops `{name}_sync0`, ... of the
/// current domain, each reset to `reset`; returns the last one.
pub fn sync_chain(m: &mut ModuleBuilder, name: &str, value: &Expr, stages: u32, reset: u64) -> Sig {
    let mut from = value.clone();
    let mut last = None;
    for i in 0..stages {
        let q = m.reg_reset(&format!("{name}_sync{i}"), value.width(), reset);
        m.mark_async_reg(&q);
        m.set(&q, &from);
        from = (&q).into();
        last = Some(q);
    }
    last.expect("at least one stage")
}

//! Pulse synchronizer: every one-cycle pulse of the source domain becomes exactly one
//! one-cycle pulse of the destination domain, for status events (a frame dropped, a
//! counter to bump) raised in one clock and counted in another.
//!
//! A toggle synchronizer loses a pulse that follows another before the first has crossed.
//! Here the pulses are counted instead: it is an asynchronous FIFO without a payload (the
//! same Gray pointers, `async_fifo::gray_pointers`). A source pulse advances the write
//! pointer; the destination emits one pulse per cycle while its read pointer lags the
//! synchronized write pointer, and advances it. Up to `pending` pulses may be in flight;
//! `src_full` says the next one would be lost (it is then dropped), which a destination
//! clock at least as fast as the source's never allows. Latency: `stages` destination
//! edges, plus one per pulse queued before it.

use super::async_fifo::gray_pointers;
use super::cdc_sync::check_stages;
use super::sync_fifo::check_depth;
use crate::ir::{clog2, HdlErrors, Module, ModuleBuilder};
use std::rc::Rc;

/// `pulse_sync_p{pending}_s{stages}`: up to `pending` pulses in flight (a power of two),
/// `stages` synchronizer flops.
pub fn pulse_sync(pending: u64, stages: u32) -> Result<Rc<Module>, HdlErrors> {
    let name = format!("pulse_sync_p{pending}_s{stages}");
    check_depth(&name, pending)?;
    check_stages(&name, stages)?;
    let mut m = ModuleBuilder::new(&name);
    m.doc(format!(
        "Pulse synchronizer: each src_pulse becomes exactly one dst_pulse; up to {pending}\n\
         pulses in flight (src_full: the next would be lost)."
    ));
    let src = m.domain("src_clk", Some("src_rst"));
    let src_pulse = m.input("src_pulse", 1);
    let src_full = m.output("src_full", 1);
    let dst = m.domain("dst_clk", Some("dst_rst"));
    let dst_pulse = m.output("dst_pulse", 1);

    let p = gray_pointers(&mut m, &src, &dst, clog2(pending) + 1, stages);
    m.set(&p.push, &src_pulse & !&p.full);
    m.set(&src_full, &p.full);
    m.set(&p.pop, !&p.empty);
    m.set(&dst_pulse, !&p.empty);
    m.finish()
}

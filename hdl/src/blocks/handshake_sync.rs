//! Handshake synchronizer: a multi-bit value (a counter, a status word, a pointer that
//! jumps) crosses between clock domains whole.
//!
//! A wide value cannot go through synchronizer flops: its bits would arrive in different
//! cycles. Instead the source captures the value into a register it then holds still and
//! toggles a request bit; only that bit is synchronized. When the destination sees the
//! toggle, the held value has been stable for `stages` of its cycles, so it captures it,
//! pulses `dst_valid` and returns the toggle as an acknowledgement through another
//! synchronizer. The source takes the next value once the acknowledgement is back
//! (`src_ready`): one value per round trip of about `2 * stages + 2` cycles. To move a
//! counter, hold `src_valid` high with the counter's current value on `src_data`: the
//! destination sees a fresh sample every round trip.

use super::cdc_sync::{check_stages, sync_chain};
use crate::ir::{HdlErrors, Module, ModuleBuilder};
use std::rc::Rc;

/// `handshake_sync_w{width}_s{stages}`.
pub fn handshake_sync(width: u32, stages: u32) -> Result<Rc<Module>, HdlErrors> {
    let name = format!("handshake_sync_w{width}_s{stages}");
    check_stages(&name, stages)?;
    if width == 0 {
        return Err(HdlErrors::param(&name, "width is 0"));
    }
    let mut m = ModuleBuilder::new(&name);
    m.doc(format!(
        "Handshake synchronizer: {width}-bit values from src_clk to dst_clk by req/ack toggles\n\
         through {stages}-flop synchronizers; dst_valid pulses once per value."
    ));
    let src = m.domain("src_clk", Some("src_rst"));
    let src_valid = m.input("src_valid", 1);
    let src_ready = m.output("src_ready", 1);
    let src_data = m.input("src_data", width);
    let dst = m.domain("dst_clk", Some("dst_rst"));
    let dst_valid = m.output("dst_valid", 1);
    let dst_data = m.output("dst_data", width);

    let (req, held) = m.in_domain(&src, |m| {
        let req = m.reg_reset("req", 1, 0);
        let held = m.reg("held", width);
        m.describe(
            &held,
            "Stable from the request toggle until it is acknowledged.",
        );
        (req, held)
    });
    let (ack, taken, valid_q) = m.in_domain(&dst, |m| {
        let req_synced = sync_chain(m, "req", &req, stages, 0);
        let ack = m.reg_reset("ack", 1, 0);
        let taken = m.reg("taken", width);
        let valid_q = m.reg_reset("valid_q", 1, 0);
        let fresh = m.node("fresh", req_synced.ne(&ack));
        m.set(&valid_q, &fresh);
        m.when(&fresh, |m| {
            m.set(&ack, &req_synced);
            m.set(&taken, &held);
        });
        (ack, taken, valid_q)
    });
    m.in_domain(&src, |m| {
        let ack_synced = sync_chain(m, "ack", &ack, stages, 0);
        let ready = m.node("ready", req.eq(&ack_synced));
        m.when(&src_valid & &ready, |m| {
            m.set(&req, !&req);
            m.set(&held, &src_data);
        });
        m.set(&src_ready, &ready);
    });
    m.set(&dst_valid, &valid_q);
    m.set(&dst_data, &taken);
    m.finish()
}

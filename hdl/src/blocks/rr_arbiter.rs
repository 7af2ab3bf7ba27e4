//! Round-robin arbiter with a held grant.
//!
//! Made for a consumer that serves one requester for several cycles (e.g. the TX engine
//! sending a whole frame from one queue): the winner keeps the grant until it is done.
//!
//! Exactly, at each rising edge:
//! - the grant is *released* if `ack` is high, or the holder's `req` is low, or no grant is
//!   held; otherwise it stays as it is;
//! - on release, the new grant goes to the first requester with `req` high in the order
//!   `last+1, last+2, ..., N-1, 0, ..., last`, where `last` is the previous winner (so the
//!   previous winner can win again only if nobody else asks); with no `req` high,
//!   `grant_valid` goes low.
//!
//! All outputs are registers: a request raised in cycle t can be granted from cycle t+1;
//! after `ack` in cycle t the next winner holds the grant from t+1 (no idle cycle). `ack`
//! while no grant is held has no effect. If the holder drops `req` without `ack`, the grant
//! still shows it for that one cycle and moves at the next edge. A requester that keeps
//! `req` high is granted after at most N-1 grants to others, so none starves if every holder
//! eventually acks or drops its request. `grant_index` is meaningful only with
//! `grant_valid`; `grant` is all zeros without it.

use super::onehot::{above, encode, lowest_set};
use crate::ir::{clog2, HdlErrors, Module, ModuleBuilder};
use std::rc::Rc;

pub fn rr_arbiter(n: u32) -> Result<Rc<Module>, HdlErrors> {
    let name = format!("rr_arbiter_n{n}");
    if n == 0 {
        return Err(HdlErrors::param(
            &name,
            "an arbiter needs at least 1 requester",
        ));
    }
    let iw = clog2(n as u64);
    let mut m = ModuleBuilder::new(&name);
    m.doc(format!(
        "Round-robin arbiter over {n} requesters. The grant (registered) is held until `ack`\n\
         or until the holder drops `req`; then it passes to the next requester after it."
    ));
    let req = m.input("req", n);
    let ack = m.input("ack", 1);
    let grant = m.output("grant", n);
    let grant_index = m.output("grant_index", iw);
    let grant_valid = m.output("grant_valid", 1);

    let grant_r = m.reg_reset("grant_r", n, 0);
    let valid_r = m.reg_reset("valid_r", 1, 0);
    let index_r = m.reg_reset("index_r", iw, 0);
    let after_last = m.reg_reset("after_last", n, 0);
    m.describe(
        &after_last,
        "Requesters after the latest winner: they come first in the next round.",
    );

    let held = m.node("held", (&grant_r & &req).any());
    let regrant = m.node("regrant", &ack | !&held);
    let after = m.node("after", &req & &after_last);
    let first_after = m.node("first_after", lowest_set(&after));
    let first = m.node("first", lowest_set(&req));
    let pick = m.node("pick", after.any().mux(&first_after, &first));
    m.when(&regrant, |m| {
        m.set(&grant_r, &pick);
        m.set(&valid_r, req.any());
        m.when(req.any(), |m| {
            m.set(&index_r, encode(&pick, iw));
            m.set(&after_last, above(&pick));
        });
    });

    m.set(&grant, &grant_r);
    m.set(&grant_valid, &valid_r);
    m.set(&grant_index, &index_r);
    m.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_a_requester() {
        assert!(rr_arbiter(0).is_err());
        for n in [1, 2, 4, 5, 16] {
            assert_eq!(rr_arbiter(n).unwrap().name(), format!("rr_arbiter_n{n}"));
        }
    }
}

//! The hardware ready queues and prioritised I/O interrupts, one of each per core.
//!
//! An entry is *ready* (computed by the ICT) while its thread waits on RX and its ring has
//! data, or waits on TX and the TX engine has freed ring space. Entry i belongs to the core
//! `entry_core[i]`. Per core c:
//! - `head_index[c]` is the ready entry RQ_POP returns: the first ready entry of core c
//!   after the one popped last, wrapping (exact round robin); `head_valid[c]` says there is
//!   one. `pop[c]` moves the round robin past the head.
//! - The head is a pipeline, so that no path runs from the entries' state through a
//!   64-entry round robin into the register file: the entries a core owns are a registered
//!   compare (stage 0), the pick is registered one-hot (stage 1) and encoded into a
//!   registered index (stage 2). The head thus shows the state of [`HEAD_LATENCY`] edges
//!   ago; the ICT holds a read of the head until a change it made has passed through.
//!   `core_eligible[c]` is registered as well.
//! - `irq[c]` (registered) is high while `irq_en[c]` and some ready entry of core c is
//!   *eligible*: its `entry_prio` is not 0 and the core does not run an accelerated thread
//!   of equal or higher priority (`ctx_accel[c]` and `ctx_prio[c] >= entry_prio`). The line
//!   is level-sensitive: it falls when no eligible entry is left, i.e. once the kernel has
//!   popped them (popping clears the waiting bits), or when the context changes.

use crate::blocks::onehot::{encode, rr_pick};
use crate::ir::{cat, clog2, lit, Expr, HdlErrors, Module, ModuleBuilder};
use std::rc::Rc;

/// Bits of an entry's interrupt priority and of a core's context priority.
pub const PRIO_WIDTH: u32 = 4;
/// Clock edges from a change of `ready` or `entry_core` to the head showing it.
pub const HEAD_LATENCY: u32 = 3;

/// Bits of an entry's core number.
pub const CORE_WIDTH: u32 = 8;

pub fn ready_queue(entries: u32, cores: u32) -> Result<Rc<Module>, HdlErrors> {
    let name = format!("ready_queue_n{entries}_c{cores}");
    if entries == 0 || cores == 0 {
        return Err(HdlErrors::param(
            &name,
            "needs at least one entry and one core",
        ));
    }
    let (n, c) = (entries, cores);
    let iw = clog2(n as u64);
    let mut m = ModuleBuilder::new(&name);
    m.doc(format!(
        "Hardware ready queues and prioritised I/O interrupts: {n} entries, {c} cores.\n\
         Round-robin pop per core; level-sensitive interrupt gated by the core's context."
    ));
    let ready = m.input("ready", n);
    let entry_core = m.input("entry_core", n * CORE_WIDTH);
    let entry_prio = m.input("entry_prio", n * PRIO_WIDTH);
    let ctx_accel = m.input("ctx_accel", c);
    let ctx_prio = m.input("ctx_prio", c * PRIO_WIDTH);
    let irq_en = m.input("irq_en", c);
    let pop = m.input("pop", c);
    let head_valid = m.output("head_valid", c);
    let head_index = m.output("head_index", c * iw);
    let core_eligible = m.output("core_eligible", c);
    let irq = m.output("irq", c);

    let prio = |i: u32| entry_prio.slice(i * PRIO_WIDTH, PRIO_WIDTH);
    let (mut valids, mut indices, mut eligibles, mut irqs) = (vec![], vec![], vec![], vec![]);
    for k in 0..c {
        let mine = m.reg_reset(&format!("core{k}_mine"), n, 0);
        m.describe(
            &mine,
            "The entries this core owns (a registered compare of entry_core).",
        );
        m.set(
            &mine,
            cat((0..n)
                .rev()
                .map(|i| entry_core.slice(i * CORE_WIDTH, CORE_WIDTH).eq(k as u64))),
        );
        let cand = m.node(&format!("core{k}_ready"), &ready & &mine);
        let after = m.reg_reset(&format!("core{k}_after"), n, 0);
        m.describe(
            &after,
            "Entries after the one popped last: they come first.",
        );
        let pick = rr_pick(&mut m, &format!("core{k}_pick"), &cand, &after);
        let head = m.reg_reset(&format!("core{k}_head"), n, 0);
        m.describe(
            &head,
            "The round robin's pick, one-hot: stage 1 of the head.",
        );
        m.set(&head, &pick);
        let index = m.reg_reset(&format!("core{k}_index"), iw, 0);
        m.describe(&index, "The head's index: stage 2, what RQ_POP returns.");
        m.set(&index, encode(&head, iw));
        let valid = m.reg_reset(&format!("core{k}_valid"), 1, 0);
        m.set(&valid, head.any());
        // Past the popped index: `index < i`, straight from the registered index.
        let past = cat((0..n).rev().map(|i| {
            if i == 0 {
                lit(0, 1)
            } else {
                index.lt(i as u64)
            }
        }));
        m.when(pop.bit(k) & &valid, |m| m.set(&after, past));
        let cp = ctx_prio.slice(k * PRIO_WIDTH, PRIO_WIDTH);
        let accel = ctx_accel.bit(k);
        let elig = cat((0..n)
            .rev()
            .map(|i| cand.bit(i) & prio(i).ne(0u64) & (!&accel | prio(i).gt(&cp))));
        let elig = m.node(&format!("core{k}_eligible"), elig);
        let any_elig = m.reg_reset(&format!("core{k}_any_eligible"), 1, 0);
        m.set(&any_elig, elig.any());
        let line = m.reg_reset(&format!("core{k}_irq"), 1, 0);
        m.set(&line, irq_en.bit(k) & elig.any());
        valids.push(Expr::from(&valid));
        indices.push(Expr::from(&index));
        eligibles.push(Expr::from(&any_elig));
        irqs.push(Expr::from(&line));
    }
    let msb_first = |v: Vec<Expr>| cat(v.into_iter().rev());
    m.set(&head_valid, msb_first(valids));
    m.set(&head_index, msb_first(indices));
    m.set(&core_eligible, msb_first(eligibles));
    m.set(&irq, msb_first(irqs));
    m.finish()
}

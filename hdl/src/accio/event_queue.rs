//! The control event queue: link changes, malformed frames, ring overflows, ICT misses,
//! protection faults and DMA errors, merged into one kernel-readable FIFO.
//!
//! Every source offers at most one 64-bit event word per cycle (`<source>_valid`,
//! `<source>_data`) and is never stalled. Each source has a one-word holding register; each
//! cycle the lowest-numbered held event moves into the FIFO if it has room. An event that
//! finds its source's holding register still full is lost and counted in `lost`
//! (saturating, one cycle after the loss), so nothing disappears silently; a kernel write
//! of `lost` takes effect a cycle after the write strobe, and the losses of that cycle add
//! to the written value. An event offered
//! in cycle t is at the head of an empty queue from cycle t+3 (holding register, FIFO write,
//! FIFO read stage).

use crate::blocks::onehot::lowest_set;
use crate::blocks::sync_fifo::{sync_fifo, SyncFifoCfg};
use crate::ir::{cat, clog2, lit, Expr, HdlErrors, Module, ModuleBuilder};
use std::rc::Rc;

/// Width of `lost`.
pub const LOST_WIDTH: u32 = 32;

/// `sources` in priority order (first wins the FIFO in a cycle), `depth` FIFO words.
pub fn event_queue(sources: &[&str], depth: u64) -> Result<Rc<Module>, HdlErrors> {
    let n = sources.len() as u32;
    let name = format!("event_queue_s{n}_d{depth}");
    if n == 0 {
        return Err(HdlErrors::param(&name, "an event queue needs a source"));
    }
    let fifo = sync_fifo(SyncFifoCfg::new(64, depth))?;
    let mut m = ModuleBuilder::new(&name);
    m.doc(format!(
        "Control event queue: {n} sources ({}) merged into a {depth}-word FIFO; events that\n\
         find their source's holding register full are counted in `lost`.",
        sources.join(", ")
    ));
    let mut offered = Vec::new();
    for s in sources {
        let v = m.input(&format!("{s}_valid"), 1);
        let d = m.input(&format!("{s}_data"), 64);
        offered.push((v, d));
    }
    let pop = m.input("pop", 1);
    let head_valid = m.output("head_valid", 1);
    let head_data = m.output("head_data", 64);
    let count = m.output("count", clog2(depth + 1));
    let lost_we = m.input("lost_we", 1);
    let lost_wdata = m.input("lost_wdata", LOST_WIDTH);
    let lost = m.output("lost", LOST_WIDTH);

    let held: Vec<_> = sources
        .iter()
        .map(|s| {
            (
                m.reg_reset(&format!("{s}_held"), 1, 0),
                m.reg(&format!("{s}_word"), 64),
            )
        })
        .collect();
    let held_vec = m.node("held", cat(held.iter().rev().map(|(v, _)| Expr::from(v))));
    let q = m.instance("fifo", &fifo);
    let room = m.inst_output(q, "s_ready");
    let first = m.node("first_held", lowest_set(&held_vec));
    let drain = m.node("drain", &first & room.repeat(n));
    let word = held
        .iter()
        .enumerate()
        .map(|(i, (_, d))| first.bit(i as u32).repeat(64) & d)
        .reduce(|a, b| a | b)
        .unwrap();
    m.connect(q, "s_valid", held_vec.any() & &room);
    m.connect(q, "s_data", word);
    m.connect(q, "m_ready", &pop);
    let fifo_valid = m.inst_output(q, "m_valid");
    let fifo_data = m.inst_output(q, "m_data");
    let fifo_count = m.inst_output(q, "count");

    let mut losses = Vec::new();
    for (i, ((v, d), (hv, hd))) in offered.iter().zip(&held).enumerate() {
        let free = !hv | drain.bit(i as u32);
        m.when(drain.bit(i as u32), |m| m.set(hv, 0));
        m.when(v & &free, |m| {
            m.set(hv, 1);
            m.set(hd, d);
        });
        losses.push(v & !free);
    }
    // Losses are counted a cycle later, off a register, to keep the sources' logic out of
    // the counter's adder.
    let lost_bits = m.reg_reset("lost_bits", n, 0);
    m.set(&lost_bits, cat(losses.into_iter().rev()));
    let lost_now = m.node(
        "lost_now",
        (0..n)
            .map(|i| lost_bits.bit(i).zext(clog2(n as u64 + 1)))
            .reduce(|a, b| a + b)
            .unwrap(),
    );
    // The kernel's write too lands a cycle later, off registers: the write strobe comes
    // out of the register front end's decode, which with the adder and the saturation
    // would be seven LUT levels.
    let set_r = m.reg_reset("lost_set", 1, 0);
    let set_value = m.reg("lost_set_value", LOST_WIDTH);
    m.set(&set_r, &lost_we);
    m.set(&set_value, &lost_wdata);
    let lost_r = m.reg_reset("lost_count", LOST_WIDTH, 0);
    let base = m.node("lost_base", set_r.mux(&set_value, &lost_r));
    let sum = base.add_carry(lost_now.zext(LOST_WIDTH));
    let saturated = sum.msb();
    m.set(
        &lost_r,
        saturated.mux(lit(u32::MAX as u64, LOST_WIDTH), sum.trunc(LOST_WIDTH)),
    );

    m.set(&head_valid, &fifo_valid);
    m.set(&head_data, &fifo_data);
    m.set(&count, &fifo_count);
    m.set(&lost, &lost_r);
    m.finish()
}

//! Synchronous FIFO with a registered, prefetching read side.
//!
//! Block RAM reads are registered: a word appears a cycle after its address. That read
//! register is the output stage here. A word is fetched into it whenever the memory holds
//! one and the output is empty or being popped, so `m_data` is valid whenever `m_valid` and
//! one word can be pushed and one popped in every cycle. A word pushed at one edge can be
//! popped from the cycle after the next edge (latency 2).
//!
//! Capacity is exactly `depth` words (memory plus output register); `count` is the number
//! of words held. `s_ready` is `count != depth`: it does not look at `m_ready`, so no
//! combinational path crosses the FIFO.

use crate::ir::{clog2, Expr, HdlErrors, Mem, Module, ModuleBuilder, RamStyle, Sig};
use std::rc::Rc;

/// Parameters of [`sync_fifo`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SyncFifoCfg {
    pub width: u32,
    /// Words held; a power of two, at least 2.
    pub depth: u64,
    pub style: RamStyle,
}

impl SyncFifoCfg {
    /// `depth` words of `width` bits, in the RAM style [`ram_style_for`] picks.
    pub fn new(width: u32, depth: u64) -> Self {
        SyncFifoCfg {
            width,
            depth,
            style: ram_style_for(depth),
        }
    }

    /// The part of a module name that identifies these parameters, e.g. `w8_d16_dist`.
    pub fn tag(&self) -> String {
        format!("w{}_d{}_{}", self.width, self.depth, style_tag(self.style))
    }
}

/// LUTRAM up to 64 words (one LUT6 addresses 64, so a bit costs about one LUT); block RAM
/// beyond, where LUTRAM cost keeps growing with depth while a BRAM column holds 512+ words.
pub fn ram_style_for(depth: u64) -> RamStyle {
    if depth <= 64 {
        RamStyle::Distributed
    } else {
        RamStyle::Block
    }
}

/// Short RAM-style name for module names.
pub fn style_tag(style: RamStyle) -> &'static str {
    match style {
        RamStyle::Block => "bram",
        RamStyle::Distributed => "dist",
        RamStyle::Ultra => "uram",
    }
}

/// Rejects a depth the pointer arithmetic cannot handle (it wraps at a power of two).
pub(crate) fn check_depth(module: &str, depth: u64) -> Result<(), HdlErrors> {
    if depth < 2 || !depth.is_power_of_two() {
        return Err(HdlErrors::param(
            module,
            format!("FIFO depth {depth} is not a power of two of at least 2"),
        ));
    }
    Ok(())
}

/// The prefetching output stage shared by the FIFOs (see the module docs).
pub(crate) struct ReadStage {
    /// The output register holds a word.
    pub valid: Sig,
    /// The output register (the memory's registered read port).
    pub data: Sig,
    /// A word moves from the memory into the output register at this edge: advance the
    /// read pointer.
    pub fetch: Sig,
}

/// Builds the output stage reading `mem` at `addr` while `avail` (the memory holds a word)
/// and the consumer takes the output when `ready`.
pub(crate) fn read_stage(
    m: &mut ModuleBuilder,
    mem: Mem,
    addr: &Expr,
    avail: &Expr,
    ready: &Expr,
) -> ReadStage {
    let valid = m.reg_reset("out_valid", 1, 0);
    let fetch = m.node("fetch", avail & (!&valid | ready));
    let data = m.mem_read_sync(mem, "out_data", &fetch, addr);
    m.when(&fetch, |m| m.set(&valid, 1))
        .elif(ready, |m| m.set(&valid, 0));
    ReadStage { valid, data, fetch }
}

pub fn sync_fifo(cfg: SyncFifoCfg) -> Result<Rc<Module>, HdlErrors> {
    let name = format!("sync_fifo_{}", cfg.tag());
    check_depth(&name, cfg.depth)?;
    if cfg.width == 0 {
        return Err(HdlErrors::param(&name, "FIFO width is 0"));
    }
    let (w, depth) = (cfg.width, cfg.depth);
    let mut m = ModuleBuilder::new(&name);
    m.doc(format!(
        "Synchronous FIFO: {depth} words of {w} bits, registered output, one push and one\n\
         pop per cycle. s_ready = count != {depth} (independent of m_ready)."
    ));
    let s_valid = m.input("s_valid", 1);
    let s_ready = m.output("s_ready", 1);
    let s_data = m.input("s_data", w);
    let m_valid = m.output("m_valid", 1);
    let m_ready = m.input("m_ready", 1);
    let m_data = m.output("m_data", w);
    let count = m.output("count", clog2(depth + 1));

    let a = clog2(depth);
    let wr_ptr = m.reg_reset("wr_ptr", a, 0);
    let rd_ptr = m.reg_reset("rd_ptr", a, 0);
    let used = m.reg_reset("used", clog2(depth + 1), 0);
    m.describe(
        &rd_ptr,
        "The memory never holds all `depth` words (whenever the FIFO holds two or more,\n\
         one is in the output register), so equal pointers mean an empty memory.",
    );
    let space = m.node("space", used.ne(depth));
    let push = m.node("push", &s_valid & &space);

    let mem = m.memory("mem", w, depth, cfg.style);
    m.mem_write(mem, &push, &wr_ptr, &s_data);
    m.when(&push, |m| m.set(&wr_ptr, &wr_ptr + 1));

    let avail = wr_ptr.ne(&rd_ptr);
    let out = read_stage(&mut m, mem, &rd_ptr, &avail, &m_ready);
    m.when(&out.fetch, |m| m.set(&rd_ptr, &rd_ptr + 1));
    let pop = m.node("pop", &out.valid & &m_ready);

    m.when(&push & !&pop, |m| m.set(&used, &used + 1))
        .elif(&pop & !&push, |m| m.set(&used, &used - 1));

    m.set(&s_ready, &space);
    m.set(&m_valid, &out.valid);
    m.set(&m_data, &out.data);
    m.set(&count, &used);
    m.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_must_be_a_power_of_two() {
        let e = sync_fifo(SyncFifoCfg::new(8, 12)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "module `sync_fifo_w8_d12_dist`: FIFO depth 12 is not a power of two of at least 2"
        );
        assert!(sync_fifo(SyncFifoCfg::new(8, 1)).is_err());
        assert!(sync_fifo(SyncFifoCfg::new(0, 4)).is_err());
    }

    #[test]
    fn style_follows_depth() {
        assert_eq!(SyncFifoCfg::new(512, 1024).style, RamStyle::Block);
        assert_eq!(SyncFifoCfg::new(8, 16).style, RamStyle::Distributed);
        assert_eq!(
            sync_fifo(SyncFifoCfg::new(512, 1024)).unwrap().name(),
            "sync_fifo_w512_d1024_bram"
        );
    }
}

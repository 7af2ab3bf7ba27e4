//! Asynchronous FIFO: words cross from a writer's clock to a reader's unrelated clock.
//!
//! The classic Gray-pointer design (Cummings, "Simulation and Synthesis Techniques for
//! Asynchronous FIFO Design"; PULP `cdc_fifo_gray`): each side keeps its own pointer, one
//! bit wider than the address so a full memory differs from an empty one, and publishes it
//! in Gray code (`gray`) through a synchronizer chain to the other side. Each side
//! compares its own pointer with the other's synchronized copy, which lags the truth: the
//! writer may see the FIFO full when a word was just read, the reader empty when one was
//! just written. Both mistakes are safe; neither side ever sees space or data that is not
//! there.
//!
//! The payload is a 1R1W memory written in `wr_clk` and read in `rd_clk` through the
//! registered, prefetching output stage of `sync_fifo` (first-word fall-through: `m_data`
//! is valid whenever `m_valid`). Capacity is `depth` words in the memory plus one in the
//! output register. A word written at a `wr_clk` edge reaches `m_valid` after the
//! synchronizer (`stages` `rd_clk` edges) and one more edge for the read. `s_ready` and
//! `m_valid` come from registers and the synchronizers only, so no path crosses.
//!
//! `wr_rst` and `rd_rst` reset their own side, synchronously. Reset both together: raise
//! both and hold them until each clock has risen at least once (as `reset_sync`s in each
//! domain from one source do when the source lasts a slow-clock edge), then release each in
//! its own clock. A side released before the other side's pointer was reset would read that
//! stale pointer; a side reset alone leaves the other's pointer where it was.

use super::cdc_sync::{check_stages, sync_chain};
use super::gray::{gray_ptr, GrayPtr};
use super::sync_fifo::{check_depth, ram_style_for, read_stage, style_tag};
use crate::ir::{
    clog2, lit, ClockDomain, Expr, HdlErrors, Inst, Module, ModuleBuilder, RamStyle, Sig,
};
use std::rc::Rc;

/// Parameters of [`async_fifo`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AsyncFifoCfg {
    pub width: u32,
    /// Words of memory; a power of two, at least 2.
    pub depth: u64,
    /// Synchronizer flops per crossing pointer, at least 2.
    pub stages: u32,
    pub style: RamStyle,
}

impl AsyncFifoCfg {
    /// `depth` words of `width` bits, two-flop synchronizers, RAM style by depth.
    pub fn new(width: u32, depth: u64) -> Self {
        AsyncFifoCfg {
            width,
            depth,
            stages: 2,
            style: ram_style_for(depth),
        }
    }

    /// The part of a module name that identifies these parameters, e.g. `w8_d16_s2_dist`.
    pub fn tag(&self) -> String {
        let style = style_tag(self.style);
        format!("w{}_d{}_s{}_{style}", self.width, self.depth, self.stages)
    }
}

/// The two pointers of an asynchronous FIFO and what each side knows of the other's.
pub(crate) struct GrayPointers {
    /// Advance the write pointer (drive it in the write domain).
    pub push: Sig,
    /// Advance the read pointer (drive it in the read domain).
    pub pop: Sig,
    pub wr: GrayPtr,
    pub rd: GrayPtr,
    /// The read pointer as the write side sees it (Gray).
    pub rd_synced: Sig,
    /// The write pointer as the read side sees it (Gray).
    pub wr_synced: Sig,
    /// Write side: `depth` entries are in use.
    pub full: Sig,
    /// Read side: nothing to read.
    pub empty: Sig,
}

/// Pointers `wr_ptr` (in `wr`) and `rd_ptr` (in `rd`) of `width` bits (address + wrap
/// bit), each synchronized into the other domain through `stages` flops.
pub(crate) fn gray_pointers(
    m: &mut ModuleBuilder,
    wr: &ClockDomain,
    rd: &ClockDomain,
    width: u32,
    stages: u32,
) -> GrayPointers {
    let push = m.wire("push", 1);
    let pop = m.wire("pop", 1);
    let wr_ptr = m.in_domain(wr, |m| gray_ptr(m, "wr_ptr", width, &push));
    let rd_ptr = m.in_domain(rd, |m| gray_ptr(m, "rd_ptr", width, &pop));
    let rd_synced = m.in_domain(wr, |m| {
        sync_chain(m, "rd_ptr_gray", &rd_ptr.gray, stages, 0)
    });
    let wr_synced = m.in_domain(rd, |m| {
        sync_chain(m, "wr_ptr_gray", &wr_ptr.gray, stages, 0)
    });
    // Full: the writer is a whole lap ahead, which in Gray code is the two top bits
    // inverted and the rest equal.
    let lap = lit(0b11 << (width - 2), width);
    let full = m.node("full", wr_ptr.gray.eq(&rd_synced ^ lap));
    let empty = m.node("empty", rd_ptr.gray.eq(&wr_synced));
    GrayPointers {
        push,
        pop,
        wr: wr_ptr,
        rd: rd_ptr,
        rd_synced,
        wr_synced,
        full,
        empty,
    }
}

/// Debug outputs: the Gray pointers and their synchronized copies, for tests that check
/// each steps by one bit (they cost no logic, only ports).
pub(crate) fn expose_pointers(m: &mut ModuleBuilder, p: &GrayPointers) {
    let named: [(&str, &Sig); 4] = [
        ("dbg_wr_gray", &p.wr.gray),
        ("dbg_rd_gray", &p.rd.gray),
        ("dbg_wr_gray_synced", &p.wr_synced),
        ("dbg_rd_gray_synced", &p.rd_synced),
    ];
    for (name, sig) in named {
        let out = m.output(name, sig.width());
        m.set(&out, sig);
    }
}

pub fn async_fifo(cfg: AsyncFifoCfg) -> Result<Rc<Module>, HdlErrors> {
    let name = format!("async_fifo_{}", cfg.tag());
    check_depth(&name, cfg.depth)?;
    check_stages(&name, cfg.stages)?;
    if cfg.width == 0 {
        return Err(HdlErrors::param(&name, "FIFO width is 0"));
    }
    let (w, depth) = (cfg.width, cfg.depth);
    let mut m = ModuleBuilder::new(&name);
    m.doc(format!(
        "Asynchronous FIFO: {depth} words of {w} bits (+1 in the output register) from wr_clk\n\
         to rd_clk; Gray pointers through {}-flop synchronizers; first-word fall-through.",
        cfg.stages
    ));
    let wr = m.domain("wr_clk", Some("wr_rst"));
    let s_valid = m.input("s_valid", 1);
    let s_ready = m.output("s_ready", 1);
    let s_data = m.input("s_data", w);
    let rd = m.domain("rd_clk", Some("rd_rst"));
    let m_valid = m.output("m_valid", 1);
    let m_ready = m.input("m_ready", 1);
    let m_data = m.output("m_data", w);

    let a = clog2(depth);
    let p = gray_pointers(&mut m, &wr, &rd, a + 1, cfg.stages);
    expose_pointers(&mut m, &p);
    let mem = m.in_domain(&wr, |m| {
        let mem = m.memory("mem", w, depth, cfg.style);
        m.mem_write(mem, &p.push, &p.wr.bin.trunc(a), &s_data);
        mem
    });
    m.set(&p.push, &s_valid & !&p.full);
    m.set(&s_ready, !&p.full);
    let avail: Expr = !&p.empty;
    let out = m.in_domain(&rd, |m| {
        read_stage(m, mem, &p.rd.bin.trunc(a), &avail, &m_ready)
    });
    m.set(&p.pop, &out.fetch);
    m.set(&m_valid, &out.valid);
    m.set(&m_data, &out.data);
    m.finish()
}

/// An instance of a clock-crossing `fifo` (an [`async_fifo`] or a block built on one, with
/// `wr_clk`/`wr_rst` and `rd_clk`/`rd_rst`) written in `wr` and read in `rd`, both domains
/// reset by a `reset_sync` of their own (the FIFO's reset contract).
pub fn crossing(
    m: &mut ModuleBuilder,
    name: &str,
    fifo: &Rc<Module>,
    wr: &ClockDomain,
    rd: &ClockDomain,
) -> Inst {
    let f = m.instance(name, fifo);
    for (side, d) in [("wr", wr), ("rd", rd)] {
        m.connect(f, &format!("{side}_clk"), &d.clk);
        m.connect(
            f,
            &format!("{side}_rst"),
            d.rst.as_ref().expect("a domain with a reset"),
        );
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_checked() {
        assert!(async_fifo(AsyncFifoCfg::new(8, 12)).is_err());
        let short = AsyncFifoCfg {
            stages: 1,
            ..AsyncFifoCfg::new(8, 16)
        };
        let e = async_fifo(short).unwrap_err().to_string();
        assert!(e.contains("at least 2"), "{e}");
        let m = async_fifo(AsyncFifoCfg::new(64, 512)).unwrap();
        assert_eq!(m.name(), "async_fifo_w64_d512_s2_bram");
    }
}

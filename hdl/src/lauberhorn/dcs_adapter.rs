//! `dcs_adapter`: our coherence link ([`coherence`](super::coherence)) in the NIC's
//! application clock, from the interface the Enzian shell's two directory-controller
//! slices (DCS) give an application in the shell's clock, as the public Lauberhorn
//! prototype uses it (enzian-pio-nic, `vivado/eci/rtl/lauberhorn_eci.vhd` and
//! `EciInterfacePlugin.scala`).
//!
//! # The DCS side (`shell_clk`, 322.265625 MHz on Enzian)
//! The CPU's L2 talks ECI to the DCSs; the DCSs keep the directory and show the
//! application, per slice (`even`, `odd`), only:
//! * an AXI4 master `s_axi_{slice}_*` (512-bit data, 38-bit address, 7-bit id): a read
//!   burst of one 128-byte line (two beats, INCR, 64-byte beats) when the CPU misses on a
//!   line, a write burst of one line when it writes a dirty line back;
//! * `lci_{slice}_*`: the application's Local Clean-Invalidate of a line (one ECI word,
//!   LCL VC 16 even / 17 odd): the DCS takes the line from the CPU, writing it back through
//!   the AXI port if dirty, then answers `lcia_{slice}_*` (LCIA) and holds the line locked
//!   until the application's unlock, `ul_{slice}_*` (UL, VC 18 / 19).
//!
//! # The mapping
//! | DCS side                                  | coherence link (`c2n`/`n2c`)             |
//! |-------------------------------------------|------------------------------------------|
//! | AXI read of line L                        | `RD_EXCL` L (one beat)                    |
//! | AXI write of line L (two beats)           | `EVICT_DIRTY` L with the line; B after it |
//! | LCIA of line L                            | `ACK` L; then UL L to the DCS             |
//! | R beats to the read of L (`rresp` SLVERR and zero data if `err`) | `DATA` L      |
//! | LCI of line L                             | `INV` L                                   |
//!
//! The core id on `c2n` is the owner of the line's endpoint page (line / 64: two 4 KiB
//! pages per core, `coherence::ENDPOINT_BYTES`), since ECI names no core; a read's AXI id
//! waits in a table per slice and core until its `DATA` comes back.
//!
//! # Assumptions (the DCS's and the ECI toolkit's sources are not public)
//! * Every read is `RD_EXCL`: the DCS's AXI read does not say whether the CPU asked for a
//!   shared or an exclusive copy, and the CPU may write any NIC line. A shared-to-exclusive
//!   upgrade is granted by the directory without a read, so the NIC never sees it.
//! * A clean eviction (VICC) stays in the directory and never reaches the application: the
//!   NIC keeps the line in its `held` set and its later `INV` gets an LCIA at once (an
//!   `ACK` for a line no longer held, rule 2).
//! * The DCS sends LCIA of a line only after the B of its write-back, and issues a read of
//!   a line only after the B of an earlier write-back of it; B is given only once the
//!   `EVICT_DIRTY` is in the crossing FIFO, so both orders of rule 4 hold on `c2n`.
//! * The DCS applies an LCI only after the R beats of a read of the same line it already
//!   took (its per-line serialization), so `DATA` before `INV` (rule 4) holds: `n2c` is
//!   handled in order, one message at a time.
//! * AXI addresses are unaliased byte addresses with the NIC's 4 GiB aperture at 0 (bits
//!   37:32 and 6:0 ignored); LCL words carry aliased addresses (the ThunderX-1 aliasing
//!   of `EciCmdDefs.aliasAddress`, [`alias`]); a line belongs to the even slice when its
//!   aliased index is odd (the prototype's `dcsIdx = ~addr(7)`).
//! * Write bursts are whole lines (`wstrb` all ones); a read whose core already has one
//!   outstanding on the same slice waits (the CPU model has one miss per core).
//! * LCI words: opcode 1, dmask 1111, ns 1, rnode 01, hreqId 0 (the prototype's datapath
//!   LCI); UL: opcode 2. LCIA's hreqId, size and VC are not checked.
//!
//! # Clocks
//! The crossing is on the coherence link itself, one asynchronous FIFO per direction of
//! whole beats (Gray pointers, [`async_fifo`]), rather than on the DCS's eight channels per
//! slice: the translation runs in `shell_clk`, the link leaves in `app_clk`. Reset both
//! domains through `reset_sync`s from one source (the FIFOs' contract).

use super::coherence::{down, up, CohCfg, CohChannel, ENDPOINT_LINES, LINE_ADDR_WIDTH, OP_WIDTH};
use crate::blocks::async_fifo::{async_fifo, crossing, AsyncFifoCfg};
use crate::bundles::{declarer, Axi, AxiCfg, Side};
use crate::ir::{cat, clog2, lit, Expr, HdlErrors, Layout, Module, ModuleBuilder, Sig};
use std::rc::Rc;

/// Bits per link beat: the DCS's AXI data width, so a line is two beats on both sides.
pub const DATA_WIDTH: u32 = 512;
/// The DCS's AXI4 master (`dcs_2_axi`'s parameters).
pub const DCS_AXI: AxiCfg = AxiCfg {
    addr_width: 38,
    data_width: DATA_WIDTH,
    id_width: 7,
};
/// The two slices, in the order of their LCL VCs (even: 16/18, odd: 17/19).
pub const SLICES: [&str; 2] = ["even", "odd"];
/// Words per crossing FIFO.
pub const FIFO_DEPTH: u64 = 16;
/// Lines per core: its user and kernel endpoint pages.
const CORE_LINE_BITS: u32 = 6;
const _: () = assert!(1 << CORE_LINE_BITS == 2 * ENDPOINT_LINES);

/// ECI words of the LCL channels (`EciCmdDefs.scala`: `LclMfwd`, `LclMrsp2`).
pub mod lcl {
    /// Opcodes, bits 63:59.
    pub const LCI: u64 = 0b00001;
    pub const UL: u64 = 0b00010;
    pub const OPCODE_LSB: u32 = 59;
    /// The first LCI and UL virtual channel (the even slice's; the odd one's is one more).
    pub const LCI_VC: u64 = 16;
    pub const UL_VC: u64 = 18;
    /// Bits of the `size` and `vc` fields beside each word.
    pub const SIZE_WIDTH: u32 = 5;
    pub const VC_WIDTH: u32 = 5;
    /// The address, bits 39:0; the line index starts at bit 7.
    pub const ADDR_WIDTH: u32 = 40;
    /// LCI's fixed fields above the address: rnode 01 (43:42), ns (45), dmask 1111 (49:46).
    pub const LCI_FIELDS: u64 = 0b01 << 42 | 1 << 45 | 0b1111 << 46;

    /// The LCI word of aliased line index `aliased`.
    pub fn lci(aliased: u64) -> u64 {
        LCI << OPCODE_LSB | LCI_FIELDS | aliased << 7
    }

    /// The UL word of the LCIA word `lcia` (its address).
    pub fn ul(lcia: u64) -> u64 {
        UL << OPCODE_LSB | lcia & ((1 << ADDR_WIDTH) - 1)
    }
}

/// Output bits `lsb..lsb + width` are the XOR of the input's bits at each source `lsb`;
/// bits 13 and up pass through.
type XorMap = &'static [(u32, u32, &'static [u32])];

/// ThunderX-1 line-index aliasing (`EciCmdDefs.aliasCachelineIndex`), fields from the top.
const ALIAS: XorMap = &[
    (8, 5, &[8, 13]),
    (5, 3, &[5, 18]),
    (3, 2, &[3, 16, 5]),
    (0, 3, &[0, 13, 5]),
];
/// Its inverse (`unaliasCachelineIndex`).
const UNALIAS: XorMap = &[
    (8, 5, &[8, 13]),
    (5, 3, &[5, 18]),
    (3, 2, &[3, 18, 16, 5]),
    (0, 3, &[0, 18, 13, 5]),
];
const PASS_LSB: u32 = 13;

fn xor_map(map: XorMap, x: u64) -> u64 {
    map.iter().fold(x, |out, &(lsb, width, srcs)| {
        let mask = (1u64 << width) - 1;
        let v = srcs.iter().fold(0, |a, &s| a ^ (x >> s & mask));
        out & !(mask << lsb) | v << lsb
    })
}

fn xor_map_expr(map: XorMap, x: &Expr) -> Expr {
    let mut parts = vec![x.slice(PASS_LSB, x.width() - PASS_LSB)];
    for &(_, width, srcs) in map {
        let mut v = x.slice(srcs[0], width);
        for &s in &srcs[1..] {
            v = v ^ x.slice(s, width);
        }
        parts.push(v);
    }
    cat(parts)
}

/// The aliased index of line `line` (what LCL words carry).
pub fn alias(line: u64) -> u64 {
    xor_map(ALIAS, line)
}

/// The line of aliased index `aliased`.
pub fn unalias(aliased: u64) -> u64 {
    xor_map(UNALIAS, aliased)
}

/// The slice (index into [`SLICES`]) that is home to `line`.
pub fn slice_of(line: u64) -> usize {
    usize::from(alias(line) & 1 == 0)
}

/// The core whose endpoint page holds `line`, as the adapter names it on `c2n`.
pub fn core_of(line: u64, id_width: u32) -> u64 {
    line >> CORE_LINE_BITS & ((1 << id_width) - 1)
}

/// Parameters of [`dcs_adapter`]: the cores on the link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DcsAdapterCfg {
    pub cores: u32,
}

impl DcsAdapterCfg {
    pub fn id_width(&self) -> u32 {
        clog2(u64::from(self.cores)).max(1)
    }

    pub fn coh(&self) -> CohCfg {
        CohCfg {
            data_width: DATA_WIDTH,
            id_width: self.id_width(),
        }
    }

    /// A beat as it crosses: `n2c` has `err`, `c2n` not.
    fn beat(&self, with_err: bool) -> Layout {
        let mut f = vec![
            ("data", DATA_WIDTH),
            ("last", 1),
            ("op", OP_WIDTH),
            ("line", LINE_ADDR_WIDTH),
            ("id", self.id_width()),
        ];
        if with_err {
            f.push(("err", 1));
        }
        Layout::new(&f)
    }
}

/// One LCL channel of the DCS: an ECI word with its packet size and VC.
struct Lcl {
    data: Sig,
    size: Sig,
    vc: Sig,
    valid: Sig,
    ready: Sig,
}

impl Lcl {
    fn new(m: &mut ModuleBuilder, prefix: &str, side: Side) -> Lcl {
        let mut f = declarer(m, prefix, side);
        Lcl {
            data: f("data", 64, true),
            size: f("size", lcl::SIZE_WIDTH, true),
            vc: f("vc", lcl::VC_WIDTH, true),
            valid: f("valid", 1, true),
            ready: f("ready", 1, false),
        }
    }
}

/// A slice's ports.
struct Slice {
    axi: Axi,
    lci: Lcl,
    lcia: Lcl,
    ul: Lcl,
}

/// A message offered to `c2n`: `take` is driven by the arbiter when its beat goes.
struct Offer {
    valid: Expr,
    beat: Expr,
    last: Expr,
    take: Sig,
}

pub fn dcs_adapter(cfg: DcsAdapterCfg) -> Result<Rc<Module>, HdlErrors> {
    let name = format!("dcs_adapter_c{}", cfg.cores);
    let (c2n_beat, n2c_beat) = (cfg.beat(false), cfg.beat(true));
    let up_fifo = async_fifo(AsyncFifoCfg::new(c2n_beat.width(), FIFO_DEPTH))?;
    let down_fifo = async_fifo(AsyncFifoCfg::new(n2c_beat.width(), FIFO_DEPTH))?;
    let mut m = ModuleBuilder::new(&name);
    m.doc(format!(
        "The coherence link of {} cores in app_clk from the Enzian shell's two DCS slices in\n\
         shell_clk (AXI4 line reads and write-backs, LCI/LCIA/UL); see dcs_adapter.rs.",
        cfg.cores
    ));
    let shell = m.domain("shell_clk", Some("shell_rst"));
    let slices: Vec<Slice> = SLICES
        .iter()
        .map(|s| Slice {
            axi: Axi::new(&mut m, &format!("s_axi_{s}"), Side::Sink, DCS_AXI),
            lci: Lcl::new(&mut m, &format!("lci_{s}"), Side::Source),
            lcia: Lcl::new(&mut m, &format!("lcia_{s}"), Side::Sink),
            ul: Lcl::new(&mut m, &format!("ul_{s}"), Side::Source),
        })
        .collect();
    let app = m.domain("app_clk", Some("app_rst"));
    let c2n = CohChannel::new(&mut m, "c2n", Side::Source, cfg.coh(), false);
    let n2c = CohChannel::new(&mut m, "n2c", Side::Sink, cfg.coh(), true);

    // Up: the slices' messages, one at a time, into the crossing.
    let upf = crossing(&mut m, "c2n_fifo", &up_fifo, &shell, &app);
    let downf = crossing(&mut m, "n2c_fifo", &down_fifo, &app, &shell);
    let pending = (0..slices.len())
        .map(|s| pending_reads(&mut m, &shell, s, cfg))
        .collect::<Vec<_>>();
    let mut offers = Vec::new();
    m.in_domain(&shell, |m| {
        for (s, sl) in slices.iter().enumerate() {
            offers.push(acknowledge(m, s, sl, &c2n_beat, cfg));
        }
        for (s, sl) in slices.iter().enumerate() {
            offers.push(write_back(m, s, sl, &c2n_beat, cfg));
        }
        for (s, sl) in slices.iter().enumerate() {
            offers.push(read(m, s, sl, &pending[s], &c2n_beat, cfg));
        }
        arbitrate(m, &offers, upf);
    });
    let out = m.inst_output(upf, "m_data");
    let beat = c2n_beat.unpack(&mut m, "c2n_out", &out.into());
    for (port, field) in [
        (&c2n.op, "op"),
        (&c2n.line, "line"),
        (&c2n.id, "id"),
        (&c2n.data, "data"),
        (&c2n.last, "last"),
    ] {
        m.set(port, beat.get(field));
    }
    let v = m.inst_output(upf, "m_valid");
    m.set(&c2n.valid, &v);
    m.connect(upf, "m_ready", &c2n.ready);

    // Down: the NIC's messages into the crossing, then to the slices in order.
    m.connect(downf, "s_valid", &n2c.valid);
    let r = m.inst_output(downf, "s_ready");
    m.set(&n2c.ready, &r);
    let err = n2c.err.clone().expect("n2c has err");
    let word = n2c_beat.pack(&[
        ("data", n2c.data.clone().into()),
        ("last", n2c.last.clone().into()),
        ("op", n2c.op.clone().into()),
        ("line", n2c.line.clone().into()),
        ("id", n2c.id.clone().into()),
        ("err", err.into()),
    ]);
    m.connect(downf, "s_data", word);
    m.in_domain(&shell, |m| dispatch(m, &slices, &pending, downf, &n2c_beat));
    for f in [upf, downf] {
        for dbg in [
            "dbg_wr_gray",
            "dbg_rd_gray",
            "dbg_wr_gray_synced",
            "dbg_rd_gray_synced",
        ] {
            let x = m.inst_output(f, dbg);
            m.unused(&x);
        }
    }
    for sl in &slices {
        let a = &sl.axi;
        for sig in [
            &a.aw.len,
            &a.aw.size,
            &a.aw.burst,
            &a.aw.cache,
            &a.aw.prot,
            &a.ar.len,
            &a.ar.size,
            &a.ar.burst,
            &a.ar.cache,
            &a.ar.prot,
            &a.w.strb,
            &sl.lcia.size,
            &sl.lcia.vc,
            &a.aw.addr,
            &a.ar.addr,
            &sl.lcia.data,
        ] {
            m.unused(sig);
        }
    }
    m.finish()
}

/// The outstanding reads of slice `s`, one per core: valid bit and AXI id.
struct Pending {
    valid: Vec<Sig>,
    id: Vec<Sig>,
}

fn pending_reads(
    m: &mut ModuleBuilder,
    shell: &crate::ir::ClockDomain,
    s: usize,
    cfg: DcsAdapterCfg,
) -> Pending {
    let n = 1 << cfg.id_width();
    let slice = SLICES[s];
    m.in_domain(shell, |m| Pending {
        valid: (0..n)
            .map(|c| m.reg_reset(&format!("{slice}_read{c}_valid"), 1, 0))
            .collect(),
        id: (0..n)
            .map(|c| m.reg(&format!("{slice}_read{c}_id"), DCS_AXI.id_width))
            .collect(),
    })
}

/// The line of an AXI byte address.
fn axi_line(addr: &Sig) -> Expr {
    Expr::from(addr).slice(7, LINE_ADDR_WIDTH)
}

/// The core of line `line` (its endpoint page's owner).
fn core_expr(line: &Expr, cfg: DcsAdapterCfg) -> Expr {
    line.slice(CORE_LINE_BITS, cfg.id_width())
}

fn header(
    layout: &Layout,
    op: u64,
    line: Expr,
    data: Expr,
    last: Expr,
    cfg: DcsAdapterCfg,
) -> Expr {
    layout.pack(&[
        ("data", data),
        ("last", last),
        ("op", lit(op, OP_WIDTH)),
        ("id", core_expr(&line, cfg)),
        ("line", line),
    ])
}

/// LCIA → `ACK`, then UL to the DCS (one LCIA at a time: the next waits for the UL).
fn acknowledge(
    m: &mut ModuleBuilder,
    s: usize,
    sl: &Slice,
    layout: &Layout,
    cfg: DcsAdapterCfg,
) -> Offer {
    let slice = SLICES[s];
    let take = m.wire(&format!("{slice}_ack_take"), 1);
    let ul_pending = m.reg_reset(&format!("{slice}_ul_pending"), 1, 0);
    let ul_addr = m.reg(&format!("{slice}_ul_addr"), lcl::ADDR_WIDTH);
    let aliased = Expr::from(&sl.lcia.data).slice(7, LINE_ADDR_WIDTH);
    let line = m.node(
        &format!("{slice}_lcia_line"),
        xor_map_expr(UNALIAS, &aliased),
    );
    m.set(&sl.lcia.ready, &take);
    // `ul.ready` with no UL pending must not clear the one being taken.
    m.when(&sl.ul.ready, |m| m.set(&ul_pending, 0));
    m.when(&take, |m| {
        m.set(&ul_pending, 1);
        m.set(&ul_addr, Expr::from(&sl.lcia.data).trunc(lcl::ADDR_WIDTH));
    });
    m.set(&sl.ul.valid, &ul_pending);
    let ul_word = cat([
        lit(lcl::UL, 5),
        lit(0, lcl::OPCODE_LSB - lcl::ADDR_WIDTH),
        (&ul_addr).into(),
    ]);
    m.set(&sl.ul.data, ul_word);
    m.set(&sl.ul.size, lit(1, lcl::SIZE_WIDTH));
    m.set(&sl.ul.vc, lit(lcl::UL_VC + s as u64, lcl::VC_WIDTH));
    Offer {
        valid: &sl.lcia.valid & !&ul_pending,
        beat: header(
            layout,
            up::ACK,
            line.into(),
            lit(0, DATA_WIDTH),
            lit(1, 1),
            cfg,
        ),
        last: lit(1, 1),
        take,
    }
}

/// An AXI write burst → `EVICT_DIRTY`, beat for beat; B once its last beat is taken.
fn write_back(
    m: &mut ModuleBuilder,
    s: usize,
    sl: &Slice,
    layout: &Layout,
    cfg: DcsAdapterCfg,
) -> Offer {
    let slice = SLICES[s];
    let (aw, w, b) = (&sl.axi.aw, &sl.axi.w, &sl.axi.b);
    let take = m.wire(&format!("{slice}_evict_take"), 1);
    let b_pending = m.reg_reset(&format!("{slice}_b_pending"), 1, 0);
    let b_id = m.reg(&format!("{slice}_b_id"), DCS_AXI.id_width);
    let done = m.node(&format!("{slice}_evict_done"), &take & &w.last);
    m.set(&w.ready, &take);
    m.set(&aw.ready, &done);
    m.when(&b.ready, |m| m.set(&b_pending, 0));
    m.when(&done, |m| {
        m.set(&b_pending, 1);
        m.set(&b_id, &aw.id);
    });
    m.set(&b.valid, &b_pending);
    m.set(&b.id, &b_id);
    m.set(&b.resp, lit(0, 2));
    Offer {
        valid: &aw.valid & &w.valid & !&b_pending,
        beat: header(
            layout,
            up::EVICT_DIRTY,
            axi_line(&aw.addr),
            (&w.data).into(),
            (&w.last).into(),
            cfg,
        ),
        last: (&w.last).into(),
        take,
    }
}

/// An AXI read → `RD_EXCL`, its id kept for the `DATA` (one per core and slice).
fn read(
    m: &mut ModuleBuilder,
    s: usize,
    sl: &Slice,
    p: &Pending,
    layout: &Layout,
    cfg: DcsAdapterCfg,
) -> Offer {
    let slice = SLICES[s];
    let ar = &sl.axi.ar;
    let take = m.wire(&format!("{slice}_read_take"), 1);
    let line = axi_line(&ar.addr);
    let core = m.node(&format!("{slice}_read_core"), core_expr(&line, cfg));
    let busy = m.node(
        &format!("{slice}_read_busy"),
        cat(p.valid.iter().rev().map(Expr::from)).index(&(&core).into()),
    );
    m.set(&ar.ready, &take);
    for (c, (v, id)) in p.valid.iter().zip(&p.id).enumerate() {
        let here = m.node(
            &format!("{slice}_read{c}_start"),
            &take & Expr::from(&core).eq(c as u64),
        );
        m.when(&here, |m| {
            m.set(v, 1);
            m.set(id, &ar.id);
        });
    }
    Offer {
        valid: &ar.valid & !&busy,
        beat: header(
            layout,
            up::RD_EXCL,
            line,
            lit(0, DATA_WIDTH),
            lit(1, 1),
            cfg,
        ),
        last: lit(1, 1),
        take,
    }
}

/// One message at a time onto `c2n`: the first offer in order (acknowledgements first,
/// they finish the NIC's invalidations), kept until its last beat.
fn arbitrate(m: &mut ModuleBuilder, offers: &[Offer], fifo: crate::ir::Inst) {
    let n = offers.len() as u32;
    let locked = m.reg_reset("up_locked", 1, 0);
    let lock_sel = m.reg("up_lock_sel", n);
    let ready = m.inst_output(fifo, "s_ready");
    let mut earlier: Expr = lit(0, 1);
    let mut grants = Vec::new();
    for (i, o) in offers.iter().enumerate() {
        let g = m.node(
            &format!("up_grant{i}"),
            locked.mux(Expr::from(&lock_sel).bit(i as u32), !&earlier) & &o.valid,
        );
        earlier = earlier | &o.valid;
        grants.push(g);
    }
    let any = m.node("up_valid", cat(grants.iter().map(Expr::from)).any());
    let pick = |f: &dyn Fn(&Offer) -> Expr| {
        grants
            .iter()
            .zip(offers)
            .map(|(g, o)| Expr::from(g).repeat(f(o).width()) & f(o))
            .reduce(|a, b| a | b)
            .unwrap()
    };
    let beat = pick(&|o| o.beat.clone());
    let last = m.node("up_last", pick(&|o| o.last.clone()));
    m.connect(fifo, "s_valid", &any);
    m.connect(fifo, "s_data", beat);
    for (g, o) in grants.iter().zip(offers) {
        m.set(&o.take, g & &ready);
    }
    let fire = m.node("up_fire", &any & &ready);
    m.when(&fire, |m| {
        m.set(&locked, !&last);
        m.set(&lock_sel, cat(grants.iter().rev().map(Expr::from)));
    });
}

/// The head of `n2c` to its slice: `DATA` as R beats to the read's AXI id, `INV` as LCI.
fn dispatch(
    m: &mut ModuleBuilder,
    slices: &[Slice],
    pending: &[Pending],
    fifo: crate::ir::Inst,
    layout: &Layout,
) {
    let valid = m.inst_output(fifo, "m_valid");
    let word = m.inst_output(fifo, "m_data");
    let head = layout.unpack(m, "n2c_head", &word.into());
    let op = head.get("op");
    let line = head.get("line");
    let aliased = m.node("n2c_aliased", xor_map_expr(ALIAS, &line));
    let is_data = m.node("n2c_is_data", &valid & op.eq(down::DATA));
    let is_inv = m.node("n2c_is_inv", &valid & op.eq(down::INV));
    let even = Expr::from(&aliased).bit(0);
    let err = head.get("err");
    let id = head.get("id");
    let mut taken: Expr = &valid & op.gt(down::INV);
    for (s, (sl, p)) in slices.iter().zip(pending).enumerate() {
        let slice = SLICES[s];
        let here = if s == 0 { even.clone() } else { !even.clone() };
        let r = &sl.axi.r;
        m.set(&r.valid, &is_data & &here);
        let rid =
            p.id.iter()
                .enumerate()
                .fold(lit(0, DCS_AXI.id_width), |acc, (c, x)| {
                    id.eq(c as u64).mux(x, acc)
                });
        m.set(&r.id, rid);
        m.set(&r.data, err.mux(lit(0, DATA_WIDTH), head.get("data")));
        m.set(&r.resp, err.mux(lit(2, 2), lit(0, 2)));
        m.set(&r.last, head.get("last"));
        let r_done = m.node(&format!("{slice}_r_done"), &r.valid & &r.ready & &r.last);
        for (c, v) in p.valid.iter().enumerate() {
            m.when(&r_done & id.eq(c as u64), |m| m.set(v, 0));
        }
        let lci = &sl.lci;
        m.set(&lci.valid, &is_inv & &here);
        m.set(
            &lci.data,
            cat([
                lit((lcl::LCI << lcl::OPCODE_LSB | lcl::LCI_FIELDS) >> 40, 24),
                lit(0, 8),
                Expr::from(&aliased),
                lit(0, 7),
            ]),
        );
        m.set(&lci.size, lit(1, lcl::SIZE_WIDTH));
        m.set(&lci.vc, lit(lcl::LCI_VC + s as u64, lcl::VC_WIDTH));
        taken = taken | (&r.valid & &r.ready) | (&lci.valid & &lci.ready);
    }
    m.connect(fifo, "m_ready", taken);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliasing_inverts_and_matches_the_prototype() {
        for line in [0u64, 1, 0x80, 0x1234, 0x1ff_ffff, 0x0a5_a5a5] {
            assert_eq!(unalias(alias(line)), line, "{line:#x}");
        }
        // Bit 13 of the index flips index bits 8 and 0 (EciCmdDefs.aliasCachelineIndex).
        assert_eq!(alias(1 << 13), 1 << 13 | 1 << 8 | 1);
        assert_eq!(lcl::lci(0x3) >> lcl::OPCODE_LSB, lcl::LCI);
        assert_eq!(lcl::lci(0x3) & 0xfff, 0x3 << 7);
    }

    #[test]
    fn builds() {
        let m = dcs_adapter(DcsAdapterCfg { cores: 4 }).unwrap();
        assert_eq!(m.name(), "dcs_adapter_c4");
    }
}

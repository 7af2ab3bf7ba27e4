//! The single-source register map: every register and field is defined once, in Rust, and
//! from that one definition come the AXI4-Lite address decode and access checks in the RTL
//! ([`RegDecode`]), a C header for drivers ([`RegMap::c_header`]), Rust constants for host
//! models and testbenches ([`RegMap::rust_module`]) and a Markdown reference
//! ([`RegMap::markdown`]).
//!
//! A map is a list of blocks (`GLOBAL`, `CORE[c]`, `ENTRY[i]`, ...); a block is repeated
//! `count` times at a power-of-two `stride` and holds registers at 8-byte aligned offsets.
//! A register may itself be an array of `count` words. Each register says what the kernel
//! (AxPROT[0] = 1) and user code may do with it; the RTL decode derives its protection
//! check from exactly these entries.

use crate::ir::{cat, clog2, lit, Expr, HdlError, HdlErrors, ModuleBuilder, Sig};
use std::collections::BTreeSet;
use std::fmt::Write;

/// What one privilege level may do with a register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Any access answers SLVERR.
    None,
    ReadOnly,
    ReadWrite,
    WriteOnly,
}

impl Access {
    pub fn can_read(self) -> bool {
        matches!(self, Access::ReadOnly | Access::ReadWrite)
    }
    pub fn can_write(self) -> bool {
        matches!(self, Access::ReadWrite | Access::WriteOnly)
    }
    /// The short name used in the documents (`RO`, `RW`, `WO`, `-`).
    pub fn tag(self) -> &'static str {
        match self {
            Access::None => "-",
            Access::ReadOnly => "RO",
            Access::ReadWrite => "RW",
            Access::WriteOnly => "WO",
        }
    }
    fn rust(self) -> &'static str {
        match self {
            Access::None => "Access::None",
            Access::ReadOnly => "Access::ReadOnly",
            Access::ReadWrite => "Access::ReadWrite",
            Access::WriteOnly => "Access::WriteOnly",
        }
    }
}

/// A bit field of a register.
#[derive(Clone, Debug)]
pub struct Field {
    pub name: String,
    pub lsb: u32,
    pub width: u32,
    pub doc: String,
}

/// One register (or an array of `count` consecutive 8-byte words).
#[derive(Clone, Debug)]
pub struct Register {
    pub name: String,
    /// Byte offset inside its block, a multiple of 8.
    pub offset: u64,
    pub count: u32,
    pub kernel: Access,
    pub user: Access,
    pub reset: u64,
    pub doc: String,
    /// What a read does besides returning the value (e.g. "pops the queue").
    pub read_effect: Option<String>,
    /// What a write does besides storing the value (e.g. "doorbell to the TX engine").
    pub write_effect: Option<String>,
    pub fields: Vec<Field>,
}

impl Register {
    /// A register with the given access rights and no fields yet.
    pub fn new(name: &str, offset: u64, kernel: Access, user: Access, doc: &str) -> Self {
        Register {
            name: name.into(),
            offset,
            count: 1,
            kernel,
            user,
            reset: 0,
            doc: doc.into(),
            read_effect: None,
            write_effect: None,
            fields: Vec::new(),
        }
    }
    pub fn field(mut self, name: &str, lsb: u32, width: u32, doc: &str) -> Self {
        self.fields.push(Field {
            name: name.into(),
            lsb,
            width,
            doc: doc.into(),
        });
        self
    }
    pub fn array(mut self, count: u32) -> Self {
        self.count = count;
        self
    }
    pub fn reset(mut self, value: u64) -> Self {
        self.reset = value;
        self
    }
    pub fn on_read(mut self, effect: &str) -> Self {
        self.read_effect = Some(effect.into());
        self
    }
    pub fn on_write(mut self, effect: &str) -> Self {
        self.write_effect = Some(effect.into());
        self
    }
    /// The field called `name`.
    pub fn get_field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// A block of registers repeated `count` times at `stride` bytes from `base`.
#[derive(Clone, Debug)]
pub struct RegBlock {
    pub name: String,
    pub base: u64,
    pub count: u32,
    pub stride: u64,
    pub doc: String,
    pub regs: Vec<Register>,
}

/// A whole register map behind one AXI4-Lite slave.
#[derive(Clone, Debug)]
pub struct RegMap {
    /// Prefix of every C and Rust name (`ACCIO` → `ACCIO_ENTRY_RX_HEAD`).
    pub name: String,
    pub doc: String,
    /// Register width in bits (the AXI4-Lite data width).
    pub data_width: u32,
    pub blocks: Vec<RegBlock>,
    /// Named values that go with the registers (event codes, empty sentinels, latencies):
    /// `(name, value, doc)`, emitted into every output next to the registers.
    pub consts: Vec<(String, u64, String)>,
    /// C helpers that go with the map (e.g. a hash the hardware computes), appended to the
    /// header as written.
    pub c_code: String,
}

impl RegMap {
    pub fn block(&self, name: &str) -> Option<&RegBlock> {
        self.blocks.iter().find(|b| b.name == name)
    }

    pub fn reg(&self, block: &str, reg: &str) -> Option<&Register> {
        self.block(block)?.regs.iter().find(|r| r.name == reg)
    }

    /// The map with only the named blocks (at the same addresses): what one of several
    /// AXI4-Lite slaves behind an address split decodes.
    pub fn only(&self, names: &[&str]) -> RegMap {
        RegMap {
            blocks: self
                .blocks
                .iter()
                .filter(|b| names.contains(&b.name.as_str()))
                .cloned()
                .collect(),
            ..self.clone()
        }
    }

    /// Bytes of address space the map spans (the end of its last block).
    pub fn span(&self) -> u64 {
        self.blocks
            .iter()
            .map(|b| b.base + b.stride * b.count as u64)
            .max()
            .unwrap_or(0)
    }

    /// Address bits the AXI4-Lite slave needs.
    pub fn addr_width(&self) -> u32 {
        clog2(self.span())
    }

    /// Checks the map is consistent: names unique, blocks disjoint, registers inside their
    /// block and disjoint, fields inside the register and disjoint, reset values in fields.
    pub fn validate(&self) -> Result<(), String> {
        let mut errs = Vec::new();
        let word = (self.data_width / 8) as u64;
        let mut spans: Vec<(u64, u64, &str)> = Vec::new();
        let mut bnames = BTreeSet::new();
        for b in &self.blocks {
            if !bnames.insert(&b.name) {
                errs.push(format!("block {} defined twice", b.name));
            }
            if !b.stride.is_power_of_two() || b.base % b.stride != 0 {
                errs.push(format!(
                    "block {}: stride {:#x} must be a power of two dividing base {:#x}",
                    b.name, b.stride, b.base
                ));
            }
            if b.count == 0 {
                errs.push(format!("block {} has count 0", b.name));
            }
            spans.push((b.base, b.base + b.stride * b.count as u64, &b.name));
            let mut rnames = BTreeSet::new();
            let mut words: Vec<(u64, u64, &str)> = Vec::new();
            for r in &b.regs {
                let rn = format!("{}.{}", b.name, r.name);
                if !rnames.insert(&r.name) {
                    errs.push(format!("{rn} defined twice"));
                }
                if r.offset % word != 0 || r.count == 0 {
                    errs.push(format!("{rn}: offset {:#x} is not word aligned", r.offset));
                }
                let end = r.offset + word * r.count as u64;
                if end > b.stride {
                    errs.push(format!("{rn}: ends at {end:#x}, past the block stride"));
                }
                words.push((r.offset, end, &r.name));
                let mut used = 0u128;
                for f in &r.fields {
                    if f.width == 0 || f.lsb + f.width > self.data_width {
                        errs.push(format!("{rn}.{}: bits outside the register", f.name));
                        continue;
                    }
                    let mask = ((1u128 << f.width) - 1) << f.lsb;
                    if used & mask != 0 {
                        errs.push(format!("{rn}.{}: overlaps another field", f.name));
                    }
                    used |= mask;
                }
                if r.fields.is_empty() {
                    errs.push(format!("{rn}: no fields"));
                }
                if (r.reset as u128) & !used != 0 {
                    errs.push(format!("{rn}: reset value sets bits outside its fields"));
                }
            }
            errs.extend(overlaps(&mut words).map(|(a, c)| format!("{}.{a} overlaps {c}", b.name)));
        }
        errs.extend(overlaps(&mut spans).map(|(a, c)| format!("block {a} overlaps block {c}")));
        if errs.is_empty() {
            Ok(())
        } else {
            Err(errs.join("\n"))
        }
    }

    /// The C header for drivers: block bases and strides, register offsets and address
    /// macros, field shifts and masks, access rights as comments.
    pub fn c_header(&self) -> String {
        let p = self.name.to_uppercase();
        let mut o = String::new();
        let guard = format!("{p}_REGS_H");
        writeln!(
            o,
            "/* {p} register map. Generated by `cargo run -p gen` from the Rust"
        )
        .unwrap();
        writeln!(o, " * definition in hdl/; do not edit. */").unwrap();
        writeln!(
            o,
            "#ifndef {guard}\n#define {guard}\n\n#include <stdint.h>\n"
        )
        .unwrap();
        for (n, v, d) in &self.consts {
            writeln!(o, "/* {} */\n#define {p}_{n} 0x{v:x}ull", one_line(d)).unwrap();
        }
        if !self.consts.is_empty() {
            writeln!(o).unwrap();
        }
        for b in &self.blocks {
            let bp = format!("{p}_{}", b.name);
            writeln!(o, "/* {}: {} */", b.name, one_line(&b.doc)).unwrap();
            writeln!(o, "#define {bp}_BASE 0x{:x}ull", b.base).unwrap();
            writeln!(o, "#define {bp}_STRIDE 0x{:x}ull", b.stride).unwrap();
            writeln!(o, "#define {bp}_COUNT {}u", b.count).unwrap();
            for r in &b.regs {
                let rp = format!("{bp}_{}", r.name);
                writeln!(
                    o,
                    "\n/* {} (kernel {}, user {}): {} */",
                    r.name,
                    r.kernel.tag(),
                    r.user.tag(),
                    one_line(&r.doc)
                )
                .unwrap();
                writeln!(o, "#define {rp} 0x{:x}ull", r.offset).unwrap();
                let blk = if b.count > 1 { "(blk)" } else { "" };
                let blk_arg = if b.count > 1 { "(uint64_t)(blk)" } else { "0" };
                if r.count > 1 {
                    writeln!(o, "#define {rp}_COUNT {}u", r.count).unwrap();
                    let args = if b.count > 1 { "(blk, k)" } else { "(k)" };
                    writeln!(
                        o,
                        "#define {rp}_ADDR{args} ({bp}_BASE + {blk_arg} * {bp}_STRIDE + {rp} + (uint64_t)(k) * 8u)"
                    )
                    .unwrap();
                } else {
                    writeln!(
                        o,
                        "#define {rp}_ADDR{blk} ({bp}_BASE + {blk_arg} * {bp}_STRIDE + {rp})"
                    )
                    .unwrap();
                }
                if r.reset != 0 {
                    writeln!(o, "#define {rp}_RESET 0x{:x}ull", r.reset).unwrap();
                }
                for f in &r.fields {
                    let fp = format!("{rp}_{}", f.name);
                    writeln!(o, "#define {fp}_SHIFT {}u", f.lsb).unwrap();
                    writeln!(o, "#define {fp}_MASK 0x{:x}ull", field_mask(f) << f.lsb).unwrap();
                }
            }
            writeln!(o).unwrap();
        }
        if !self.c_code.is_empty() {
            writeln!(o, "{}", self.c_code.trim_end()).unwrap();
            writeln!(o).unwrap();
        }
        writeln!(o, "#endif /* {guard} */").unwrap();
        o
    }

    /// A self-contained Rust module: per block a module with `BASE`, `STRIDE`, `COUNT`,
    /// `addr()`, one [`Reg`]-like constant per register with its fields, and `ALL`.
    pub fn rust_module(&self) -> String {
        let mut o = String::new();
        writeln!(
            o,
            "// {} register map. Generated by `cargo run -p gen` from the Rust",
            self.name
        )
        .unwrap();
        writeln!(o, "// definition in hdl/; do not edit.").unwrap();
        o.push_str(RUST_PRELUDE);
        for (n, v, d) in &self.consts {
            writeln!(o, "/// {}\npub const {n}: u64 = {v:#x};", one_line(d)).unwrap();
        }
        for b in &self.blocks {
            writeln!(o, "\n/// {}", one_line(&b.doc)).unwrap();
            writeln!(o, "pub mod {} {{", b.name.to_lowercase()).unwrap();
            writeln!(o, "    use super::{{Access, Field, Reg}};").unwrap();
            writeln!(o, "    pub const BASE: u64 = {:#x};", b.base).unwrap();
            writeln!(o, "    pub const STRIDE: u64 = {:#x};", b.stride).unwrap();
            writeln!(o, "    pub const COUNT: u32 = {};", b.count).unwrap();
            writeln!(
                o,
                "    /// The address of word `k` of `reg` in instance `blk` of this block."
            )
            .unwrap();
            writeln!(
                o,
                "    pub const fn addr(blk: u32, reg: Reg, k: u32) -> u64 {{"
            )
            .unwrap();
            writeln!(
                o,
                "        BASE + blk as u64 * STRIDE + reg.offset + k as u64 * 8"
            )
            .unwrap();
            writeln!(o, "    }}").unwrap();
            for r in &b.regs {
                writeln!(o, "    /// {}", one_line(&r.doc)).unwrap();
                writeln!(
                    o,
                    "    pub const {}: Reg = Reg {{ name: \"{}\", offset: {:#x}, count: {}, kernel: {}, user: {}, reset: {:#x}, read_effect: {}, mask: {:#x} }};",
                    r.name,
                    r.name,
                    r.offset,
                    r.count,
                    r.kernel.rust(),
                    r.user.rust(),
                    r.reset,
                    r.read_effect.is_some(),
                    reg_mask(r)
                )
                .unwrap();
                writeln!(o, "    #[allow(non_snake_case)]").unwrap();
                writeln!(o, "    pub mod {} {{", r.name).unwrap();
                writeln!(o, "        use super::Field;").unwrap();
                for f in &r.fields {
                    writeln!(o, "        /// {}", one_line(&f.doc)).unwrap();
                    writeln!(
                        o,
                        "        pub const {}: Field = Field {{ lsb: {}, width: {} }};",
                        f.name, f.lsb, f.width
                    )
                    .unwrap();
                }
                writeln!(o, "    }}").unwrap();
            }
            let all: Vec<&str> = b.regs.iter().map(|r| r.name.as_str()).collect();
            writeln!(
                o,
                "    /// Every register of the block, in address order of definition."
            )
            .unwrap();
            writeln!(o, "    pub const ALL: &[Reg] = &[{}];", all.join(", ")).unwrap();
            writeln!(o, "}}").unwrap();
        }
        o
    }

    /// The register reference for people: one table of registers per block, one table of
    /// fields per register.
    pub fn markdown(&self) -> String {
        let mut o = String::new();
        writeln!(o, "# {} register map\n", self.name).unwrap();
        writeln!(
            o,
            "Generated by `cargo run -p gen` from the Rust definition in hdl/; do not edit.\n"
        )
        .unwrap();
        writeln!(o, "{}\n", self.doc).unwrap();
        writeln!(
            o,
            "Registers are {} bits wide. Kernel = AxPROT[0] set; user = AxPROT[0] clear. An access \
             the table does not allow answers SLVERR and changes nothing; an address that is no \
             register answers DECERR.\n",
            self.data_width
        )
        .unwrap();
        writeln!(
            o,
            "| block | base | instances | stride |\n|---|---|---|---|"
        )
        .unwrap();
        for b in &self.blocks {
            writeln!(
                o,
                "| {} | {:#x} | {} | {:#x} |",
                b.name, b.base, b.count, b.stride
            )
            .unwrap();
        }
        if !self.consts.is_empty() {
            writeln!(
                o,
                "\n## Constants\n\n| name | value | meaning |\n|---|---|---|"
            )
            .unwrap();
            for (n, v, d) in &self.consts {
                writeln!(o, "| {n} | {v:#x} | {} |", one_line(d)).unwrap();
            }
        }
        for b in &self.blocks {
            writeln!(o, "\n## {}\n\n{}\n", b.name, b.doc).unwrap();
            writeln!(
                o,
                "| offset | register | kernel | user | reset | description |"
            )
            .unwrap();
            writeln!(o, "|---|---|---|---|---|---|").unwrap();
            for r in &b.regs {
                let off = if r.count > 1 {
                    format!("{:#x} + 8·k (k < {})", r.offset, r.count)
                } else {
                    format!("{:#x}", r.offset)
                };
                let mut desc = one_line(&r.doc);
                if let Some(e) = &r.read_effect {
                    write!(desc, " **Read:** {e}").unwrap();
                }
                if let Some(e) = &r.write_effect {
                    write!(desc, " **Write:** {e}").unwrap();
                }
                writeln!(
                    o,
                    "| {off} | {} | {} | {} | {:#x} | {desc} |",
                    r.name,
                    r.kernel.tag(),
                    r.user.tag(),
                    r.reset
                )
                .unwrap();
            }
            for r in &b.regs {
                writeln!(o, "\n### {}.{}\n", b.name, r.name).unwrap();
                writeln!(o, "| bits | field | description |\n|---|---|---|").unwrap();
                for f in &r.fields {
                    let bits = if f.width == 1 {
                        format!("{}", f.lsb)
                    } else {
                        format!("{}:{}", f.lsb + f.width - 1, f.lsb)
                    };
                    writeln!(o, "| {bits} | {} | {} |", f.name, one_line(&f.doc)).unwrap();
                }
            }
        }
        o
    }
}

/// `lo <= v < hi`, leaving out comparisons that are always true (Verilator warns on them).
fn range_check(v: &Expr, lo: u64, hi: u64) -> Expr {
    let w = v.width();
    let above = (lo > 0).then(|| v.ge(lit(lo, w)));
    let below = (hi < 1u64 << w).then(|| v.lt(lit(hi, w)));
    match (above, below) {
        (Some(a), Some(b)) => a & b,
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => lit(1, 1),
    }
}

fn overlaps<'a>(spans: &mut [(u64, u64, &'a str)]) -> impl Iterator<Item = (&'a str, &'a str)> {
    spans.sort();
    let pairs: Vec<_> = spans
        .windows(2)
        .filter(|w| w[1].0 < w[0].1)
        .map(|w| (w[1].2, w[0].2))
        .collect();
    pairs.into_iter()
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn field_mask(f: &Field) -> u64 {
    if f.width >= 64 {
        u64::MAX
    } else {
        (1u64 << f.width) - 1
    }
}

/// The bits of a register that some field defines.
fn reg_mask(r: &Register) -> u64 {
    r.fields.iter().fold(0, |m, f| m | field_mask(f) << f.lsb)
}

const RUST_PRELUDE: &str = r#"
/// What one privilege level may do with a register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    None,
    ReadOnly,
    ReadWrite,
    WriteOnly,
}

impl Access {
    pub const fn can_read(self) -> bool {
        matches!(self, Access::ReadOnly | Access::ReadWrite)
    }
    pub const fn can_write(self) -> bool {
        matches!(self, Access::ReadWrite | Access::WriteOnly)
    }
}

/// A register: its offset in the block, array length, access rights, reset value, whether
/// a read has a side effect, and the bits its fields define.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reg {
    pub name: &'static str,
    pub offset: u64,
    pub count: u32,
    pub kernel: Access,
    pub user: Access,
    pub reset: u64,
    pub read_effect: bool,
    pub mask: u64,
}

/// A bit field: `get` extracts it from a register value, `put` inserts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    pub lsb: u32,
    pub width: u32,
}

impl Field {
    pub const fn mask(self) -> u64 {
        if self.width >= 64 { u64::MAX } else { (1u64 << self.width) - 1 }
    }
    pub const fn get(self, reg: u64) -> u64 {
        (reg >> self.lsb) & self.mask()
    }
    pub const fn put(self, reg: u64, value: u64) -> u64 {
        (reg & !(self.mask() << self.lsb)) | ((value & self.mask()) << self.lsb)
    }
}
"#;

/// The AXI4-Lite address decode of a [`RegMap`] inside a module, and the bookkeeping that
/// makes the RTL implement every register of the map exactly once.
///
/// Build it from the registered request address; ask it for `hit(block, reg)` strobes,
/// the instance index of each block and the word index of array registers; give every
/// readable register its value with [`read`](Self::read) and claim every writable one with
/// [`write`](Self::write). [`finish`](Self::finish) then drives the read data and fails if
/// a register of the map was left without its RTL.
pub struct RegDecode<'a> {
    map: &'a RegMap,
    blocks: Vec<DecBlock>,
    /// `(block, reg, value)` of the readable registers given so far.
    reads: Vec<(usize, usize, Expr)>,
    writes: BTreeSet<(usize, usize)>,
    errors: Vec<String>,
}

struct DecBlock {
    hit_in: Expr,
    index: Option<Sig>,
    index_in: Option<Expr>,
    regs: Vec<DecReg>,
}

struct DecReg {
    hit: Sig,
    hit_in: Expr,
    word: Option<Sig>,
}

impl<'a> RegDecode<'a> {
    /// Decodes `addr` (byte address, `map.addr_width()` bits). Signals are named
    /// `dec_<block>`, `dec_<block>_index`, `dec_<block>_<reg>`, `dec_<block>_<reg>_k`.
    /// With `load`, they are registers loaded from `addr` when `load` is high (decode the
    /// request as it is accepted, use the result while it executes); the `*_incoming`
    /// methods then give the decode of `addr` itself.
    pub fn new(m: &mut ModuleBuilder, map: &'a RegMap, addr: &Expr, load: Option<&Expr>) -> Self {
        let aw = addr.width();
        let word_bits = clog2((map.data_width / 8) as u64);
        let keep = |m: &mut ModuleBuilder, name: &str, e: Expr| -> Sig {
            match load {
                Some(l) => {
                    let r = m.reg(name, e.width());
                    m.when(l, |m| m.set(&r, e));
                    r
                }
                None => m.node(name, e),
            }
        };
        let mut blocks = Vec::new();
        for b in &map.blocks {
            let bn = b.name.to_lowercase();
            let end = b.base + b.stride * b.count as u64;
            let hit_in = m.node(&format!("dec_{bn}"), range_check(addr, b.base, end));
            let sb = b.stride.trailing_zeros();
            // (addr - base) >> log2(stride), in the index's width: base is a multiple of the
            // stride, so only the index bits need the subtraction, and often not even those.
            let index_in = (b.count > 1).then(|| {
                let iw = clog2(b.count as u64);
                let bits = addr.slice(sb, iw.min(aw - sb)).zext(iw);
                match (b.base >> sb) & ((1 << iw) - 1) {
                    0 => bits,
                    off => bits - lit(off, iw),
                }
            });
            let index = index_in
                .clone()
                .map(|e| keep(m, &format!("dec_{bn}_index"), e));
            let off = addr.slice(0, sb);
            let mut regs = Vec::new();
            for r in &b.regs {
                let rn = format!("dec_{bn}_{}", r.name.to_lowercase());
                let word = off.slice(word_bits, sb - word_bits);
                let first = r.offset >> word_bits;
                let ww = sb - word_bits;
                let sel = if r.count == 1 {
                    word.eq(lit(first, ww))
                } else {
                    range_check(&word, first, first + r.count as u64)
                };
                let h_in = &hit_in & sel;
                let h = keep(m, &rn, h_in.clone());
                let k = (r.count > 1).then(|| {
                    let kw = clog2(r.count as u64);
                    keep(m, &format!("{rn}_k"), (&word - lit(first, ww)).trunc(kw))
                });
                regs.push(DecReg {
                    hit: h,
                    hit_in: h_in,
                    word: k,
                });
            }
            blocks.push(DecBlock {
                hit_in: hit_in.into(),
                index,
                index_in,
                regs,
            });
        }
        RegDecode {
            map,
            blocks,
            reads: Vec::new(),
            writes: BTreeSet::new(),
            errors: Vec::new(),
        }
    }

    fn find(&mut self, block: &str, reg: &str) -> Option<(usize, usize)> {
        let b = self.map.blocks.iter().position(|b| b.name == block);
        let r = b.and_then(|b| self.map.blocks[b].regs.iter().position(|r| r.name == reg));
        match (b, r) {
            (Some(b), Some(r)) => Some((b, r)),
            _ => {
                self.errors
                    .push(format!("no register {block}.{reg} in the map"));
                None
            }
        }
    }

    /// The address selects register `reg` of block `block`.
    pub fn hit(&mut self, block: &str, reg: &str) -> Expr {
        match self.find(block, reg) {
            Some((b, r)) => self.blocks[b].regs[r].hit.clone().into(),
            None => lit(0, 1),
        }
    }

    /// The address selects a register of (some instance of) block `block`.
    pub fn block_hit(&self, block: &str) -> Expr {
        let b = self.map.blocks.iter().position(|b| b.name == block);
        b.and_then(|b| {
            self.blocks[b]
                .regs
                .iter()
                .map(|r| Expr::from(&r.hit))
                .reduce(|x, y| x | y)
        })
        .unwrap_or_else(|| lit(0, 1))
    }

    /// The incoming address falls in the range of block `block` (registers or not).
    pub fn block_hit_incoming(&self, block: &str) -> Expr {
        let b = self.map.blocks.iter().position(|b| b.name == block);
        b.map_or_else(|| lit(0, 1), |b| self.blocks[b].hit_in.clone())
    }

    /// The instance of block `block` the address selects (`lit(0, 1)` if it does not
    /// repeat).
    pub fn index(&self, block: &str) -> Expr {
        let b = self.map.blocks.iter().position(|b| b.name == block);
        b.and_then(|b| self.blocks[b].index.clone())
            .map_or_else(|| lit(0, 1), Into::into)
    }

    /// [`index`](Self::index) of the incoming address.
    pub fn index_incoming(&self, block: &str) -> Expr {
        let b = self.map.blocks.iter().position(|b| b.name == block);
        b.and_then(|b| self.blocks[b].index_in.clone())
            .unwrap_or_else(|| lit(0, 1))
    }

    /// The word of array register `reg` the address selects.
    pub fn word(&mut self, block: &str, reg: &str) -> Expr {
        match self.find(block, reg) {
            Some((b, r)) => self.blocks[b].regs[r]
                .word
                .clone()
                .map_or_else(|| lit(0, 1), Into::into),
            None => lit(0, 1),
        }
    }

    /// Any register of the map is selected (else the access answers DECERR).
    pub fn any_hit(&self) -> Expr {
        self.or_over(|_, r| Some(r.hit.clone().into()))
    }

    /// [`any_hit`](Self::any_hit) of the incoming address.
    pub fn any_hit_incoming(&self) -> Expr {
        self.or_over(|_, r| Some(r.hit_in.clone()))
    }

    /// The selected register allows this access at this privilege, from the map's table:
    /// `OR(hit & allowed)` over the registers (`write` selects write access).
    pub fn allowed(&self, privileged: bool, write: bool) -> Expr {
        self.or_over(|reg, r| Self::rights(reg, privileged, write).then(|| r.hit.clone().into()))
    }

    /// [`allowed`](Self::allowed) for the incoming address.
    pub fn allowed_incoming(&self, privileged: bool, write: bool) -> Expr {
        self.or_over(|reg, r| Self::rights(reg, privileged, write).then(|| r.hit_in.clone()))
    }

    fn rights(reg: &Register, privileged: bool, write: bool) -> bool {
        let a = if privileged { reg.kernel } else { reg.user };
        if write {
            a.can_write()
        } else {
            a.can_read()
        }
    }

    fn or_over(&self, term: impl Fn(&Register, &DecReg) -> Option<Expr>) -> Expr {
        let mut terms = Vec::new();
        for (b, blk) in self.map.blocks.iter().enumerate() {
            for (r, reg) in blk.regs.iter().enumerate() {
                terms.extend(term(reg, &self.blocks[b].regs[r]));
            }
        }
        terms
            .into_iter()
            .reduce(|a, b| a | b)
            .unwrap_or_else(|| lit(0, 1))
    }

    /// The value register `block.reg` reads as; `fields` gives every field by name, at its
    /// width. Registers that no privilege may read need no value.
    pub fn read(&mut self, block: &str, reg: &str, fields: &[(&str, Expr)]) {
        let Some((b, r)) = self.find(block, reg) else {
            return;
        };
        match self.pack(block, reg, fields) {
            Ok(v) => self.reads.push((b, r, v)),
            Err(e) => self.errors.push(e),
        }
    }

    /// A register value with `fields` at their places (zero elsewhere).
    pub fn pack(&self, block: &str, reg: &str, fields: &[(&str, Expr)]) -> Result<Expr, String> {
        let r = self
            .map
            .reg(block, reg)
            .ok_or_else(|| format!("no register {block}.{reg} in the map"))?;
        let dw = self.map.data_width;
        let mut pieces: Vec<(u32, Expr)> = Vec::new();
        for f in &r.fields {
            let Some((_, e)) = fields.iter().find(|(n, _)| *n == f.name) else {
                return Err(format!("{block}.{reg}: no value for field {}", f.name));
            };
            if e.width() != f.width {
                return Err(format!(
                    "{block}.{reg}.{}: value is {} bits, field is {}",
                    f.name,
                    e.width(),
                    f.width
                ));
            }
            pieces.push((f.lsb, e.clone()));
        }
        for (n, _) in fields {
            if r.get_field(n).is_none() {
                return Err(format!("{block}.{reg} has no field {n}"));
            }
        }
        pieces.sort_by_key(|(lsb, _)| *lsb);
        let mut parts: Vec<Expr> = Vec::new();
        let mut pos = 0;
        for (lsb, e) in pieces {
            if lsb > pos {
                parts.push(lit(0, lsb - pos));
            }
            pos = lsb + e.width();
            parts.push(e);
        }
        if pos < dw {
            parts.push(lit(0, dw - pos));
        }
        parts.reverse();
        Ok(cat(parts))
    }

    /// Claims the writes of `block.reg`: the caller implements them, gated by `hit`.
    pub fn write(&mut self, block: &str, reg: &str) -> Expr {
        if let Some(k) = self.find(block, reg) {
            self.writes.insert(k);
        }
        self.hit(block, reg)
    }

    /// Bits `lsb..lsb+width` of field `block.reg.field` in a register-wide value.
    pub fn field(&mut self, value: &Expr, block: &str, reg: &str, field: &str) -> Expr {
        match self.map.reg(block, reg).and_then(|r| r.get_field(field)) {
            Some(f) => value.slice(f.lsb, f.width),
            None => {
                self.errors
                    .push(format!("no field {block}.{reg}.{field} in the map"));
                lit(0, 1)
            }
        }
    }

    /// The read data of the selected register (zero when none is selected), the value a
    /// write merges its strobed bytes into (the same, over the writable registers only, so
    /// read-only logic stays off the write path), and the check that every readable
    /// register has a value and every writable one was claimed.
    pub fn finish(mut self, m: &mut ModuleBuilder) -> Result<(Expr, Expr), HdlErrors> {
        for (b, blk) in self.map.blocks.iter().enumerate() {
            for (r, reg) in blk.regs.iter().enumerate() {
                let readable = reg.kernel.can_read() || reg.user.can_read();
                let writable = reg.kernel.can_write() || reg.user.can_write();
                let has_read = self.reads.iter().any(|(bb, rr, _)| (*bb, *rr) == (b, r));
                if readable && !has_read {
                    self.errors.push(format!(
                        "{}.{} is readable but has no value",
                        blk.name, reg.name
                    ));
                }
                if writable && !self.writes.contains(&(b, r)) {
                    self.errors.push(format!(
                        "{}.{} is writable but no RTL writes it",
                        blk.name, reg.name
                    ));
                }
            }
        }
        if !self.errors.is_empty() {
            let module = m.name().to_string();
            return Err(HdlErrors(
                self.errors
                    .into_iter()
                    .map(|message| HdlError {
                        module: module.clone(),
                        signal: None,
                        message: format!("register map {}: {message}", self.map.name),
                    })
                    .collect(),
            ));
        }
        let dw = self.map.data_width;
        let mux = |only_writable: bool| {
            self.reads
                .iter()
                .filter(|(b, r, _)| !only_writable || self.writes.contains(&(*b, *r)))
                .map(|(b, r, v)| self.blocks[*b].regs[*r].hit.repeat(dw) & v)
                .reduce(|a, b| a | b)
                .unwrap_or_else(|| lit(0, dw))
        };
        Ok((mux(false), mux(true)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Access::{ReadOnly as RO, ReadWrite as RW};

    fn map(regs: Vec<Register>) -> RegMap {
        RegMap {
            name: "T".into(),
            doc: String::new(),
            data_width: 64,
            blocks: vec![RegBlock {
                name: "B".into(),
                base: 0,
                count: 2,
                stride: 0x20,
                doc: String::new(),
                regs,
            }],
            consts: vec![],
            c_code: String::new(),
        }
    }

    #[test]
    fn validate_names_every_inconsistency() {
        let r = |n: &str, off| Register::new(n, off, RW, RO, "").field("V", 0, 8, "");
        assert!(map(vec![r("A", 0), r("B", 8)]).validate().is_ok());
        let e = map(vec![r("A", 0), r("A", 8)]).validate().unwrap_err();
        assert!(e.contains("B.A defined twice"), "{e}");
        let e = map(vec![r("A", 0), r("C", 0)]).validate().unwrap_err();
        assert!(e.contains("overlaps"), "{e}");
        let e = map(vec![r("A", 0x20)]).validate().unwrap_err();
        assert!(e.contains("past the block stride"), "{e}");
        let e = map(vec![r("A", 4)]).validate().unwrap_err();
        assert!(e.contains("not word aligned"), "{e}");
        let bad = Register::new("A", 0, RW, RO, "")
            .field("X", 0, 8, "")
            .field("Y", 4, 8, "");
        assert!(map(vec![bad])
            .validate()
            .unwrap_err()
            .contains("overlaps another field"));
        let bad = Register::new("A", 0, RW, RO, "").field("X", 60, 8, "");
        assert!(map(vec![bad])
            .validate()
            .unwrap_err()
            .contains("outside the register"));
        let bad = r("A", 0).reset(0x100);
        assert!(map(vec![bad])
            .validate()
            .unwrap_err()
            .contains("reset value"));
    }

    #[test]
    fn decode_insists_on_rtl_for_every_register() {
        let m0 = map(vec![
            Register::new("A", 0, RW, RO, "").field("V", 0, 8, ""),
            Register::new("C", 8, RO, RO, "").field("V", 0, 8, ""),
        ]);
        let mut m = ModuleBuilder::new("t");
        let addr = m.input("addr", m0.addr_width());
        let mut dec = RegDecode::new(&mut m, &m0, &addr, None);
        dec.read("B", "A", &[("V", lit(1, 8))]);
        let e = dec.finish(&mut m).map(|_| ()).unwrap_err().to_string();
        assert!(e.contains("B.A is writable but no RTL writes it"), "{e}");
        assert!(e.contains("B.C is readable but has no value"), "{e}");
        let mut dec = RegDecode::new(&mut m, &m0, &addr, None);
        dec.read("B", "A", &[("V", lit(1, 4))]);
        let e = dec.finish(&mut m).map(|_| ()).unwrap_err().to_string();
        assert!(e.contains("B.A.V: value is 4 bits, field is 8"), "{e}");
    }
}

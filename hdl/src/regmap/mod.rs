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

mod c;
mod md;
mod rtl;
mod rust;

pub use rtl::RegDecode;

use crate::ir::clog2;
use std::collections::BTreeSet;

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

#[cfg(test)]
mod tests {
    use super::*;
    use Access::{ReadOnly as RO, ReadWrite as RW};

    pub(super) fn map(regs: Vec<Register>) -> RegMap {
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
}

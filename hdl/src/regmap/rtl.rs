//! The RTL side of the map: the AXI4-Lite address decode and its protection check.

use super::{RegMap, Register};
use crate::ir::{cat, clog2, lit, Expr, HdlError, HdlErrors, ModuleBuilder, Sig};
use std::collections::BTreeSet;

/// `lo <= v < hi`. A range made of few aligned power-of-two pieces (a block of the map
/// usually is one) is decoded as bit patterns, `v[w-1:k] == lo[w-1:k]` per piece: a LUT
/// tree, not a compare on the carry chain behind it. Comparisons that are always true are
/// left out (Verilator warns on them).
fn range_check(v: &Expr, lo: u64, hi: u64) -> Expr {
    let w = v.width();
    let pieces = aligned_pieces(lo, hi.min(1u64 << w));
    if pieces.len() <= 2 {
        return pieces
            .into_iter()
            .map(|(start, k)| match k {
                _ if k >= w => lit(1, 1),
                _ => v.slice(k, w - k).eq(lit(start >> k, w - k)),
            })
            .reduce(|a, b| a | b)
            .unwrap_or_else(|| lit(0, 1));
    }
    let above = (lo > 0).then(|| v.ge(lit(lo, w)));
    let below = (hi < 1u64 << w).then(|| v.lt(lit(hi, w)));
    match (above, below) {
        (Some(a), Some(b)) => a & b,
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => lit(1, 1),
    }
}

/// `[lo, hi)` as the fewest aligned pieces `(start, log2 size)`, each `start` a multiple
/// of its size.
fn aligned_pieces(mut lo: u64, hi: u64) -> Vec<(u64, u32)> {
    let mut pieces = Vec::new();
    while lo < hi {
        let mut k = if lo == 0 { 63 } else { lo.trailing_zeros() };
        while k > 0 && (k >= 64 || lo + (1u64 << k) > hi) {
            k -= 1;
        }
        pieces.push((lo, k));
        lo += 1u64 << k;
    }
    pieces
}

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

    /// The value `block.reg` reads as, as given to [`read`](Self::read): zero for a
    /// register no privilege may read, an error for a readable one not given yet.
    pub fn value(&mut self, block: &str, reg: &str) -> Expr {
        let dw = self.map.data_width;
        let Some((b, r)) = self.find(block, reg) else {
            return lit(0, dw);
        };
        if let Some((_, _, v)) = self.reads.iter().find(|(bb, rr, _)| (*bb, *rr) == (b, r)) {
            return v.clone();
        }
        if self.readable(block, reg) {
            self.errors.push(format!(
                "{block}.{reg}: a write needs the register's read value; give it first"
            ));
        }
        lit(0, dw)
    }

    /// Some privilege may read `block.reg`.
    pub fn readable(&self, block: &str, reg: &str) -> bool {
        self.map
            .reg(block, reg)
            .is_some_and(|r| r.kernel.can_read() || r.user.can_read())
    }

    /// `(lsb, width)` of `block.reg.field`, or an error.
    pub fn field_bits(&mut self, block: &str, reg: &str, field: &str) -> Option<(u32, u32)> {
        let f = self.map.reg(block, reg).and_then(|r| r.get_field(field));
        if f.is_none() {
            self.errors
                .push(format!("no field {block}.{reg}.{field} in the map"));
        }
        f.map(|f| (f.lsb, f.width))
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

    /// The read data of the selected register (zero when none is selected), and the check
    /// that every readable register has a value and every writable one was claimed.
    pub fn finish(mut self, m: &mut ModuleBuilder) -> Result<Expr, HdlErrors> {
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
        Ok(self
            .reads
            .iter()
            .map(|(b, r, v)| self.blocks[*b].regs[*r].hit.repeat(dw) & v)
            .reduce(|a, b| a | b)
            .unwrap_or_else(|| lit(0, dw)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_split_into_aligned_pieces() {
        assert_eq!(aligned_pieces(0x1_0000, 0x1_4000), vec![(0x1_0000, 14)]);
        assert_eq!(aligned_pieces(0, 1 << 20), vec![(0, 20)]);
        assert_eq!(aligned_pieces(3, 8), vec![(3, 0), (4, 2)]);
        assert_eq!(aligned_pieces(5, 5), vec![]);
        for (lo, hi) in [(1u64, 100u64), (7, 9), (0, 37), (64, 1000)] {
            let pieces = aligned_pieces(lo, hi);
            let covered: u64 = pieces.iter().map(|&(_, k)| 1u64 << k).sum();
            assert_eq!(covered, hi - lo);
            assert!(pieces
                .iter()
                .all(|&(s, k)| s % (1 << k) == 0 && s >= lo && s < hi));
        }
    }
    use crate::regmap::tests::map;
    use crate::regmap::Access::{ReadOnly as RO, ReadWrite as RW};

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

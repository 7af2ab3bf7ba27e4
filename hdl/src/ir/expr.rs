//! Width-carrying expressions.
//!
//! Every node knows its width. Operators never extend silently: `a + b` needs equal widths
//! and has that width, exactly as the emitted Verilog computes it. A mismatch does not
//! panic; it yields an error node, and the module that uses it reports the error with its
//! own name and the name of the signal being driven (see `ModuleBuilder::finish`).

use super::bits::Bits;
use std::ops;
use std::rc::Rc;

/// Identifies a signal inside one module (index into that module's signal table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SigId(pub(crate) u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    And,
    Or,
    Xor,
    Add,
    Sub,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl BinOp {
    pub(crate) fn verilog(self) -> &'static str {
        match self {
            BinOp::And => "&",
            BinOp::Or => "|",
            BinOp::Xor => "^",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
        }
    }

    /// `(a op b) op c` prints as `a op b op c`: Verilog groups it from the left, and a
    /// person writes it so (comparisons are not chained).
    pub(crate) fn chains(self) -> bool {
        matches!(
            self,
            BinOp::And | BinOp::Or | BinOp::Xor | BinOp::Add | BinOp::Sub
        )
    }

    fn is_compare(self) -> bool {
        matches!(
            self,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnOp {
    Not,
    ReduceAnd,
    ReduceOr,
    ReduceXor,
}

#[derive(Debug)]
pub(crate) enum Kind {
    Const(Bits),
    /// A signal of the module identified by `module` (a process-unique builder id).
    Sig {
        id: SigId,
        module: u64,
        name: Rc<str>,
    },
    Un(UnOp, Expr),
    Bin(BinOp, Expr, Expr),
    Mux(Expr, Expr, Expr),
    /// Most significant part first, as in Verilog `{a, b}`.
    Concat(Vec<Expr>),
    Slice(Expr, u32),
    /// One bit chosen at run time: `v[i]`.
    Index(Expr, Expr),
    /// `width` bits starting at a run-time bit offset: `v[base +: width]`.
    PartSel(Expr, Expr),
    ShlVar(Expr, Expr),
    ShrVar(Expr, Expr),
    Repeat(Expr, u32),
    /// A width or construction error; the message is reported by the module that uses it.
    Error(Rc<str>),
}

#[derive(Debug)]
pub(crate) struct Node {
    pub(crate) width: u32,
    pub(crate) kind: Kind,
}

/// An expression of a known width. Cheap to clone (reference counted).
#[derive(Clone, Debug)]
pub struct Expr(pub(crate) Rc<Node>);

fn mk(width: u32, kind: Kind) -> Expr {
    Expr(Rc::new(Node { width, kind }))
}

pub(crate) fn err(msg: String) -> Expr {
    mk(1, Kind::Error(msg.into()))
}

/// Width of the index needed to address `n` positions (at least 1 bit).
pub fn clog2(n: u64) -> u32 {
    if n <= 2 {
        1
    } else {
        64 - (n - 1).leading_zeros()
    }
}

/// A `width`-bit constant. A value that does not fit is an error reported where it is used.
pub fn lit(value: u64, width: u32) -> Expr {
    match Bits::from_u64(value, width) {
        Some(b) if width > 0 => mk(width, Kind::Const(b)),
        _ => err(format!("constant {value} does not fit in {width} bits")),
    }
}

pub fn konst(bits: Bits) -> Expr {
    mk(bits.width(), Kind::Const(bits))
}

/// `{parts[0], parts[1], ...}`: the first part is most significant.
pub fn cat(parts: impl IntoIterator<Item = impl Into<Expr>>) -> Expr {
    let parts: Vec<Expr> = parts.into_iter().map(Into::into).collect();
    if let Some(e) = parts.iter().find(|p| p.is_error()) {
        return e.clone();
    }
    // Neighbouring slices of one value become one slice (`{x[7:4], x[3:0]}` is `x[7:0]`,
    // or plain `x`), so the emitted Verilog reads as written by hand.
    let mut merged: Vec<Expr> = Vec::with_capacity(parts.len());
    for p in parts {
        match merged.last().and_then(|hi| joined(hi, &p)) {
            Some(j) => *merged.last_mut().unwrap() = j,
            None => merged.push(p),
        }
    }
    match merged.len() {
        0 => err("concatenation of nothing".into()),
        1 => merged.into_iter().next().unwrap(),
        _ => mk(merged.iter().map(|p| p.width()).sum(), Kind::Concat(merged)),
    }
}

/// The value `e` reads bits of, and the lowest of those bits.
fn view(e: &Expr) -> (&Expr, u32) {
    match e.kind() {
        Kind::Slice(inner, lo) => (inner, *lo),
        _ => (e, 0),
    }
}

/// `{hi, lo}` as one slice, when `hi` continues `lo` upwards in the same value.
fn joined(hi: &Expr, lo: &Expr) -> Option<Expr> {
    let ((hb, hl), (lb, ll)) = (view(hi), view(lo));
    let same = hb.ptr_eq(lb)
        || matches!((hb.kind(), lb.kind()),
            (Kind::Sig { id, module, .. }, Kind::Sig { id: i2, module: m2, .. })
                if id == i2 && module == m2);
    (same && hl == ll + lo.width()).then(|| lb.slice(ll, lo.width() + hi.width()))
}

/// A value usable as an operand: an expression, or an integer that takes the width of the
/// other operand (`count + 1`, `state.eq(3)`).
pub trait Operand {
    fn into_operand(self, width: u32) -> Expr;
    /// The operand's own width, if it has one (integers take their width from context).
    fn known_width(&self) -> Option<u32> {
        None
    }
}

impl Operand for Expr {
    fn into_operand(self, _: u32) -> Expr {
        self
    }
    fn known_width(&self) -> Option<u32> {
        Some(self.width())
    }
}
impl Operand for &Expr {
    fn into_operand(self, _: u32) -> Expr {
        self.clone()
    }
    fn known_width(&self) -> Option<u32> {
        Some(self.width())
    }
}
macro_rules! int_operand {
    ($($t:ty),*) => {$(
        impl Operand for $t {
            fn into_operand(self, width: u32) -> Expr {
                match u64::try_from(self) {
                    Ok(v) => lit(v, width),
                    Err(_) => err(format!("negative constant {self}")),
                }
            }
        }
    )*};
}
int_operand!(u8, u16, u32, u64, usize, i32, i64, bool);

impl Expr {
    pub fn width(&self) -> u32 {
        self.0.width
    }

    pub(crate) fn kind(&self) -> &Kind {
        &self.0.kind
    }

    pub(crate) fn sig(id: SigId, module: u64, name: Rc<str>, width: u32) -> Expr {
        mk(width, Kind::Sig { id, module, name })
    }

    pub fn is_error(&self) -> bool {
        matches!(self.0.kind, Kind::Error(_))
    }

    /// The constant value, if this expression is a constant.
    pub fn as_const(&self) -> Option<&Bits> {
        match &self.0.kind {
            Kind::Const(b) => Some(b),
            _ => None,
        }
    }

    pub(crate) fn ptr_eq(&self, other: &Expr) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    /// Structural equality: the same operators over the same signals and constants, so two
    /// separately built `state == 3` compare equal (`ptr_eq` asks for the same node).
    pub fn same_value(&self, other: &Expr) -> bool {
        if self.ptr_eq(other) {
            return true;
        }
        if self.width() != other.width() {
            return false;
        }
        match (self.kind(), other.kind()) {
            (Kind::Const(a), Kind::Const(b)) => a == b,
            (
                Kind::Sig { id, module, .. },
                Kind::Sig {
                    id: i2, module: m2, ..
                },
            ) => id == i2 && module == m2,
            (Kind::Un(o1, a1), Kind::Un(o2, a2)) => o1 == o2 && a1.same_value(a2),
            (Kind::Bin(o1, a1, b1), Kind::Bin(o2, a2, b2)) => {
                o1 == o2 && a1.same_value(a2) && b1.same_value(b2)
            }
            (Kind::Mux(c1, a1, b1), Kind::Mux(c2, a2, b2)) => {
                c1.same_value(c2) && a1.same_value(a2) && b1.same_value(b2)
            }
            (Kind::Concat(p1), Kind::Concat(p2)) => {
                p1.len() == p2.len() && p1.iter().zip(p2).all(|(a, b)| a.same_value(b))
            }
            (Kind::Slice(a1, l1), Kind::Slice(a2, l2)) => l1 == l2 && a1.same_value(a2),
            (Kind::Repeat(a1, n1), Kind::Repeat(a2, n2)) => n1 == n2 && a1.same_value(a2),
            (Kind::Index(a1, b1), Kind::Index(a2, b2))
            | (Kind::PartSel(a1, b1), Kind::PartSel(a2, b2))
            | (Kind::ShlVar(a1, b1), Kind::ShlVar(a2, b2))
            | (Kind::ShrVar(a1, b1), Kind::ShrVar(a2, b2)) => {
                a1.same_value(a2) && b1.same_value(b2)
            }
            _ => false,
        }
    }

    fn bin(&self, op: BinOp, rhs: impl Operand) -> Expr {
        let rhs = rhs.into_operand(self.width());
        for e in [self, &rhs] {
            if e.is_error() {
                return e.clone();
            }
        }
        if self.width() != rhs.width() {
            return err(format!(
                "width mismatch in `{}`: left is {} bits, right is {} bits",
                op.verilog(),
                self.width(),
                rhs.width()
            ));
        }
        let w = if op.is_compare() { 1 } else { self.width() };
        mk(w, Kind::Bin(op, self.clone(), rhs))
    }

    fn un(&self, op: UnOp) -> Expr {
        if self.is_error() {
            return self.clone();
        }
        // `~~x` is `x` (and not every Verilog parser takes `~~`).
        if let (UnOp::Not, Kind::Un(UnOp::Not, inner)) = (op, self.kind()) {
            return inner.clone();
        }
        let w = if op == UnOp::Not { self.width() } else { 1 };
        mk(w, Kind::Un(op, self.clone()))
    }

    pub fn eq(&self, rhs: impl Operand) -> Expr {
        self.bin(BinOp::Eq, rhs)
    }
    pub fn ne(&self, rhs: impl Operand) -> Expr {
        self.bin(BinOp::Ne, rhs)
    }
    pub fn lt(&self, rhs: impl Operand) -> Expr {
        self.bin(BinOp::Lt, rhs)
    }
    pub fn le(&self, rhs: impl Operand) -> Expr {
        self.bin(BinOp::Le, rhs)
    }
    pub fn gt(&self, rhs: impl Operand) -> Expr {
        self.bin(BinOp::Gt, rhs)
    }
    pub fn ge(&self, rhs: impl Operand) -> Expr {
        self.bin(BinOp::Ge, rhs)
    }

    /// `&v`: all bits set.
    pub fn all(&self) -> Expr {
        self.un(UnOp::ReduceAnd)
    }
    /// `|v`: any bit set.
    pub fn any(&self) -> Expr {
        self.un(UnOp::ReduceOr)
    }
    /// `^v`: odd parity.
    pub fn parity(&self) -> Expr {
        self.un(UnOp::ReduceXor)
    }

    /// `self ? then : otherwise` (self must be 1 bit; both arms the same width).
    pub fn mux(&self, then: impl Operand, otherwise: impl Operand) -> Expr {
        let Some(w) = then.known_width().or(otherwise.known_width()) else {
            return err("mux of two integers has no width; make one arm a lit()".into());
        };
        let then_e = then.into_operand(w);
        let else_e = otherwise.into_operand(w);
        for e in [self, &then_e, &else_e] {
            if e.is_error() {
                return e.clone();
            }
        }
        if self.width() != 1 {
            return err(format!("mux condition is {} bits, not 1", self.width()));
        }
        if then_e.width() != else_e.width() {
            return err(format!(
                "width mismatch in mux: arms are {} and {} bits",
                then_e.width(),
                else_e.width()
            ));
        }
        // Fold what needs no multiplexer: a constant condition, or equal constant arms.
        match (self.as_const(), then_e.as_const(), else_e.as_const()) {
            (Some(c), _, _) => {
                if c.is_zero() {
                    else_e
                } else {
                    then_e
                }
            }
            (_, Some(a), Some(b)) if a == b => then_e,
            _ => mk(then_e.width(), Kind::Mux(self.clone(), then_e, else_e)),
        }
    }

    /// Bits `lo .. lo+width` (Verilog `v[lo+width-1:lo]`).
    pub fn slice(&self, lo: u32, width: u32) -> Expr {
        if self.is_error() {
            return self.clone();
        }
        if width == 0 || lo.checked_add(width).is_none_or(|hi| hi > self.width()) {
            return err(format!(
                "slice of {width} bits at {lo} is outside a {}-bit value",
                self.width()
            ));
        }
        if lo == 0 && width == self.width() {
            return self.clone();
        }
        match &self.0.kind {
            // Fold slices of slices, constants and concatenations so the emitter needs
            // no temporaries for them (Verilog-2005 can only slice a name).
            Kind::Slice(inner, lo0) => inner.slice(lo0 + lo, width),
            Kind::Const(b) => {
                let mut out = Bits::zero(width);
                for i in 0..width {
                    out.set_bit(i, b.bit(lo + i));
                }
                konst(out)
            }
            Kind::Concat(parts) => {
                let mut pieces = Vec::new();
                let mut pos = self.width();
                for p in parts {
                    let p_lo = pos - p.width();
                    let (a, b) = (p_lo.max(lo), pos.min(lo + width));
                    if a < b {
                        pieces.push(p.slice(a - p_lo, b - a));
                    }
                    pos = p_lo;
                }
                cat(pieces)
            }
            _ => mk(width, Kind::Slice(self.clone(), lo)),
        }
    }

    pub fn bit(&self, i: u32) -> Expr {
        self.slice(i, 1)
    }

    /// The most significant bit.
    pub fn msb(&self) -> Expr {
        self.bit(self.width().saturating_sub(1))
    }

    /// Byte `i` (bits `8i+7 : 8i`), the AXI-Stream lane order.
    pub fn byte(&self, i: u32) -> Expr {
        self.slice(i * 8, 8)
    }

    /// The low `width` bits.
    pub fn trunc(&self, width: u32) -> Expr {
        self.slice(0, width)
    }

    /// Zero-extended to `width` bits.
    pub fn zext(&self, width: u32) -> Expr {
        if self.is_error() {
            return self.clone();
        }
        match width.cmp(&self.width()) {
            std::cmp::Ordering::Less => err(format!(
                "zext to {width} bits of a {}-bit value",
                self.width()
            )),
            std::cmp::Ordering::Equal => self.clone(),
            std::cmp::Ordering::Greater => cat([lit(0, width - self.width()), self.clone()]),
        }
    }

    /// Zero-extended or truncated to `width` bits.
    pub fn resize(&self, width: u32) -> Expr {
        if width <= self.width() {
            self.trunc(width)
        } else {
            self.zext(width)
        }
    }

    /// The bit at run-time position `index`; the index must be exactly clog2(width) bits,
    /// so every index is meaningful and Verilator sees no width change.
    pub fn index(&self, index: &Expr) -> Expr {
        self.dyn_select(index, 1)
    }

    /// `width` bits at a run-time bit offset `base` (`v[base +: width]`).
    pub fn part(&self, base: &Expr, width: u32) -> Expr {
        self.dyn_select(base, width)
    }

    fn dyn_select(&self, base: &Expr, width: u32) -> Expr {
        for e in [self, base] {
            if e.is_error() {
                return e.clone();
            }
        }
        let need = clog2(self.width() as u64);
        if base.width() != need {
            return err(format!(
                "run-time select into a {}-bit value needs a {need}-bit index, got {} bits",
                self.width(),
                base.width()
            ));
        }
        if width > self.width() {
            return err(format!(
                "select of {width} bits from a {}-bit value",
                self.width()
            ));
        }
        if width == 1 {
            mk(1, Kind::Index(self.clone(), base.clone()))
        } else {
            mk(width, Kind::PartSel(self.clone(), base.clone()))
        }
    }

    /// Shift left by a constant, filling with zeros (emitted as a concatenation).
    pub fn shl(&self, n: u32) -> Expr {
        if n == 0 || self.is_error() {
            return self.clone();
        }
        if n >= self.width() {
            return lit(0, self.width());
        }
        cat([self.trunc(self.width() - n), lit(0, n)])
    }

    /// Logical shift right by a constant.
    pub fn shr(&self, n: u32) -> Expr {
        if n == 0 || self.is_error() {
            return self.clone();
        }
        if n >= self.width() {
            return lit(0, self.width());
        }
        cat([lit(0, n), self.slice(n, self.width() - n)])
    }

    /// Shift left by a run-time amount.
    pub fn shl_by(&self, amount: &Expr) -> Expr {
        self.shift_var(amount, true)
    }

    /// Logical shift right by a run-time amount.
    pub fn shr_by(&self, amount: &Expr) -> Expr {
        self.shift_var(amount, false)
    }

    fn shift_var(&self, amount: &Expr, left: bool) -> Expr {
        for e in [self, amount] {
            if e.is_error() {
                return e.clone();
            }
        }
        let kind = if left {
            Kind::ShlVar(self.clone(), amount.clone())
        } else {
            Kind::ShrVar(self.clone(), amount.clone())
        };
        mk(self.width(), kind)
    }

    /// `self + rhs` one bit wider, so the carry out is kept (`a + b` keeps the operand
    /// width, as the Verilog does; extending the sum afterwards would lose the carry).
    pub fn add_carry(&self, rhs: impl Operand) -> Expr {
        let rhs = rhs.into_operand(self.width());
        let w = self.width().max(rhs.width()) + 1;
        self.zext(w) + rhs.zext(w)
    }

    /// Each bit repeated `n` times in place: a byte-lane mask `spread(8)` becomes a bit mask.
    pub fn spread(&self, n: u32) -> Expr {
        cat((0..self.width()).rev().map(|i| self.bit(i).repeat(n)))
    }

    /// `{n{self}}`.
    pub fn repeat(&self, n: u32) -> Expr {
        if self.is_error() || n == 1 {
            return self.clone();
        }
        if n == 0 {
            return err("repeat zero times".into());
        }
        mk(self.width() * n, Kind::Repeat(self.clone(), n))
    }

    /// Visits every sub-expression once per occurrence (pre-order).
    pub(crate) fn visit(&self, f: &mut impl FnMut(&Expr)) {
        f(self);
        match &self.0.kind {
            Kind::Const(_) | Kind::Sig { .. } | Kind::Error(_) => {}
            Kind::Un(_, a) | Kind::Slice(a, _) | Kind::Repeat(a, _) => a.visit(f),
            Kind::Bin(_, a, b)
            | Kind::Index(a, b)
            | Kind::PartSel(a, b)
            | Kind::ShlVar(a, b)
            | Kind::ShrVar(a, b) => {
                a.visit(f);
                b.visit(f);
            }
            Kind::Mux(c, a, b) => {
                c.visit(f);
                a.visit(f);
                b.visit(f);
            }
            Kind::Concat(parts) => parts.iter().for_each(|p| p.visit(f)),
        }
    }

    /// The first error inside this expression, if any.
    pub(crate) fn error(&self) -> Option<Rc<str>> {
        match &self.0.kind {
            Kind::Error(m) => Some(m.clone()),
            _ => None,
        }
    }
}

impl From<&Expr> for Expr {
    fn from(e: &Expr) -> Expr {
        e.clone()
    }
}

macro_rules! binop {
    ($tr:ident, $f:ident, $op:expr) => {
        impl<T: Operand> ops::$tr<T> for Expr {
            type Output = Expr;
            fn $f(self, rhs: T) -> Expr {
                self.bin($op, rhs)
            }
        }
        impl<T: Operand> ops::$tr<T> for &Expr {
            type Output = Expr;
            fn $f(self, rhs: T) -> Expr {
                self.bin($op, rhs)
            }
        }
    };
}
binop!(BitAnd, bitand, BinOp::And);
binop!(BitOr, bitor, BinOp::Or);
binop!(BitXor, bitxor, BinOp::Xor);
binop!(Add, add, BinOp::Add);
binop!(Sub, sub, BinOp::Sub);

impl ops::Not for Expr {
    type Output = Expr;
    fn not(self) -> Expr {
        self.un(UnOp::Not)
    }
}
impl ops::Not for &Expr {
    type Output = Expr;
    fn not(self) -> Expr {
        self.un(UnOp::Not)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_propagate_and_mismatch_is_an_error() {
        let a = lit(3, 8);
        let b = lit(4, 8);
        assert_eq!((&a + &b).width(), 8);
        assert_eq!(a.eq(&b).width(), 1);
        assert_eq!(cat([a.clone(), b.clone()]).width(), 16);
        let bad = &a + lit(1, 9);
        assert!(bad
            .error()
            .unwrap()
            .contains("left is 8 bits, right is 9 bits"));
        // errors survive further operations
        assert!((bad & lit(0, 1)).is_error());
        assert!(lit(300, 8).is_error());
        assert_eq!((a + 1u32).width(), 8);
        assert_eq!(lit(255, 8).add_carry(lit(1, 8)).width(), 9);
        assert_eq!(lit(0b10, 2).spread(3).width(), 6);
    }

    #[test]
    fn adjacent_slices_merge_in_a_concatenation() {
        let x = Expr::sig(SigId(0), 1, "x".into(), 8);
        let y = Expr::sig(SigId(1), 1, "y".into(), 8);
        assert!(cat([x.slice(4, 4), x.slice(0, 4)]).ptr_eq(&x));
        let e = cat([y.clone(), x.slice(5, 2), x.slice(2, 3), x.slice(0, 1)]);
        let Kind::Concat(parts) = e.kind() else {
            panic!("{e:?}")
        };
        assert_eq!(parts.len(), 3);
        assert!(matches!(parts[1].kind(), Kind::Slice(_, 2)) && parts[1].width() == 5);
        // The wrong order is a byte swap, not a slice.
        assert!(matches!(
            cat([x.slice(0, 4), x.slice(4, 4)]).kind(),
            Kind::Concat(_)
        ));
    }

    #[test]
    fn same_value_is_structural() {
        let x = Expr::sig(SigId(0), 1, "x".into(), 4);
        let x2 = Expr::sig(SigId(0), 1, "x".into(), 4);
        let y = Expr::sig(SigId(1), 1, "y".into(), 4);
        let other_module = Expr::sig(SigId(0), 2, "x".into(), 4);
        assert!((&x + &y).eq(3).same_value(&(&x2 + &y).eq(3)));
        assert!(!(&x + &y).eq(3).same_value(&(&x + &y).eq(4)));
        assert!(!(&x + &y).same_value(&(&y + &x)));
        assert!(!x.same_value(&other_module));
        assert!(x.slice(1, 2).same_value(&x2.slice(1, 2)));
        assert!(!x.slice(1, 2).same_value(&x2.slice(2, 2)));
        assert!(lit(5, 4).same_value(&lit(5, 4)) && !lit(5, 4).same_value(&lit(5, 8)));
    }

    #[test]
    fn clog2_matches_index_widths() {
        assert_eq!(clog2(1), 1);
        assert_eq!(clog2(2), 1);
        assert_eq!(clog2(3), 2);
        assert_eq!(clog2(64), 6);
        assert_eq!(clog2(65), 7);
        assert_eq!(clog2(1024), 10);
    }
}

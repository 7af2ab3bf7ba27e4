//! Gray-coded pointers: how a counter crosses between clock domains.
//!
//! A binary counter going from 0111 to 1000 changes four bits at once; a destination
//! sampling it mid-change can see any mix (1111, 0000, ...), a value the counter never had.
//! Its Gray code changes exactly one bit per step, so a sample taken during a step is
//! either the old or the new value: the destination's copy lags, but is always a value the
//! pointer really had. That is why a pointer only ever advances by one per clock before it
//! crosses, and why the Gray code is held in a register of its own (logic between the
//! clocks could glitch through several values).

use crate::ir::{cat, Expr, ModuleBuilder, Sig};

/// The Gray code of `bin`: `bin ^ (bin >> 1)`.
pub fn to_gray(bin: &Expr) -> Expr {
    bin ^ bin.shr(1)
}

/// The binary value of Gray code `gray`: bit i is the XOR of bits i and above.
pub fn from_gray(gray: &Expr) -> Expr {
    let w = gray.width();
    cat((0..w).rev().map(|i| gray.slice(i, w - i).parity()))
}

/// A pointer kept in binary for its own side's arithmetic and published in Gray code.
pub struct GrayPtr {
    /// `{name}_bin`: the pointer, for addressing and comparisons in its own domain.
    pub bin: Sig,
    /// `{name}_gray`: the same pointer in Gray code, a register of its own: what crosses.
    pub gray: Sig,
}

/// A `width`-bit pointer of the current clock domain that advances by one when `step`.
pub fn gray_ptr(m: &mut ModuleBuilder, name: &str, width: u32, step: &Expr) -> GrayPtr {
    let bin = m.reg_reset(&format!("{name}_bin"), width, 0);
    let gray = m.reg_reset(&format!("{name}_gray"), width, 0);
    let next = m.node(&format!("{name}_next"), &bin + 1);
    m.when(step, |m| {
        m.set(&bin, &next);
        m.set(&gray, to_gray(&next));
    });
    GrayPtr { bin, gray }
}

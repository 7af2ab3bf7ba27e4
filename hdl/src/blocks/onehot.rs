//! One-hot helpers shared by the arbiters and queues: lowest set bit, round-robin pick,
//! one-hot to index, and a run-time select from a list of values (by index or one-hot).

use crate::ir::{cat, clog2, konst, lit, Bits, Expr, ModuleBuilder, Sig};

/// The lowest set bit of `x` as a one-hot vector (zero if none). Measured with Yosys
/// `synth_xilinx`: bit by bit (`x[i] & ~|x[i-1:0]`) is shallower for up to 16 requesters
/// (N = 4: 1 LUT level instead of 3); beyond that `x & -x` on the carry chain is smaller
/// (N = 64: 413 LUTs instead of 521).
pub fn lowest_set(x: &Expr) -> Expr {
    if x.width() > 16 {
        return x & (!x + 1);
    }
    cat((0..x.width()).rev().map(|i| match i {
        0 => x.bit(0),
        _ => x.bit(i) & !x.slice(0, i).any(),
    }))
}

/// For a one-hot (or zero) `x`: the positions after its set bit (`out[i]` = some bit below
/// `i` is set). Past 16 bits it is `~(x | (x - 1))` on the carry chain (zero for zero).
pub fn above(x: &Expr) -> Expr {
    if x.width() > 16 {
        return !(x | (x - 1));
    }
    cat((0..x.width()).rev().map(|i| match i {
        0 => lit(0, 1),
        _ => x.slice(0, i).any(),
    }))
}

/// The index of the set bit of a one-hot vector, `width` bits wide: bit b is the OR of the
/// positions whose index has bit b set. Past 16 positions each bit is written as one masked
/// reduction, so a wide vector does not become a line of thousands of terms.
pub fn encode(onehot: &Expr, width: u32) -> Expr {
    let n = onehot.width();
    let bits = (0..width).rev().map(|b| {
        let set = (0..n).filter(|i| i >> b & 1 == 1);
        if n <= 16 {
            return set
                .map(|i| onehot.bit(i))
                .reduce(|a, c| a | c)
                .unwrap_or_else(|| lit(0, 1));
        }
        let mut mask = Bits::zero(n);
        set.for_each(|i| mask.set_bit(i, true));
        if mask.is_zero() {
            lit(0, 1)
        } else {
            (onehot & konst(mask)).any()
        }
    });
    cat(bits)
}

/// A round-robin pick among `req`: the first set bit after the positions `after` marks
/// (`after` = [`above`] of the previous pick), else the first set bit. One-hot, zero when
/// `req` is zero.
pub fn rr_pick(m: &mut ModuleBuilder, name: &str, req: &Expr, after: &Expr) -> Sig {
    let later = req & after;
    let pick = m.node(name, later.any().mux(lowest_set(&later), lowest_set(req)));
    if req.width() == 1 {
        // One requester: its index is the constant 0, so callers may not read the pick.
        m.unused(&pick);
    }
    pick
}

/// The item a one-hot (or zero) `onehot` picks (zero for zero), every item the same width:
/// an AND-OR, two LUT levels for up to 18 items, where a binary index is a level deeper.
pub fn select_onehot(items: &[Expr], onehot: &Expr) -> Expr {
    let w = items[0].width();
    (0..items.len())
        .map(|i| onehot.bit(i as u32).mux(&items[i], lit(0, w)))
        .reduce(|a, b| a | b)
        .expect("at least one item")
}

/// `items[index]`, every item the same width, `index` exactly `clog2(items.len())` bits
/// (an index past the end reads zero). Emitted as one indexed part-select of the packed
/// items, each padded to a power-of-two width so the offset is a concatenation.
pub fn select(items: &[Expr], index: &Expr) -> Expr {
    if items.len() == 1 {
        return items[0].clone();
    }
    let w = items[0].width();
    let wp = w.next_power_of_two();
    let slots = 1usize << index.width();
    let pad = |e: &Expr| {
        if wp > w {
            cat([lit(0, wp - w), e.clone()])
        } else {
            e.clone()
        }
    };
    let mut parts: Vec<Expr> = (0..slots)
        .map(|i| items.get(i).map_or_else(|| lit(0, wp), pad))
        .collect();
    parts.reverse();
    let vector = cat(parts);
    let lw = clog2(wp as u64);
    let base = if wp == 1 {
        index.clone()
    } else {
        cat([index.clone(), lit(0, lw)])
    };
    debug_assert_eq!(base.width(), clog2(vector.width() as u64));
    vector.part(&base, wp).trunc(w)
}

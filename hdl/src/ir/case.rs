//! `case` statements for chains that compare one selector against constants.
//!
//! A `switch`, an `if`/`elif` chain or a nested `?:` whose conditions are all
//! `sel == K` for one selector `sel` and constants `K` is a multiplexer indexed by `sel`;
//! written as a `case` it reads as the table it is, and the synthesis tools see one
//! parallel multiplexer (`$pmux`) instead of a priority chain. The recogniser runs at emit
//! time over the value trees the checks derived, so generators need not change:
//!
//! ```text
//! assign y = (s == 2'd0) ? a : (s == 2'd2) ? b : c;     always @* begin
//!                                                  =>       case (s)
//!                                                               2'd0: y = a;
//!                                                               2'd2: y = b;
//!                                                               default: y = c;
//!                                                           endcase
//!                                                       end
//! ```
//!
//! Why the rewrite keeps the behaviour: a `case` tries its items in order and takes the
//! first equal one, exactly as the chain does; an item whose constant an earlier item
//! already has can never be taken, so it is dropped (which also keeps Verilator's
//! CASEOVERLAP quiet); whatever follows the last comparison is the `default`, so every
//! path assigns (no CASEINCOMPLETE, no latch). A chain stops at the first condition that
//! is not such a comparison of the same selector; the rest is the default.

use super::bits::Bits;
use super::expr::{BinOp, Expr, Kind};
use super::netlist::Val;

/// Fewer distinct items than this stay a `?:` (one comparison is an `if`, not a table).
const MIN_ITEMS: usize = 2;

/// One side of a chain: a value tree (a `when` chain) or an expression (a `?:` chain).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Arm<'a> {
    Val(&'a Val),
    Expr(&'a Expr),
}

/// A chain recognised as a `case`: items in priority order, distinct constants.
#[derive(Debug)]
pub(crate) struct Case<'a> {
    pub(crate) sel: &'a Expr,
    pub(crate) items: Vec<(&'a Bits, Arm<'a>)>,
    pub(crate) default: Arm<'a>,
}

/// `cond ? then : otherwise`, if `arm` is a choice.
fn split(arm: Arm<'_>) -> Option<(&Expr, Arm<'_>, Arm<'_>)> {
    match arm {
        Arm::Val(Val::If(c, a, b)) => Some((c, Arm::Val(a), Arm::Val(b))),
        Arm::Val(Val::E(e)) => split(Arm::Expr(e)),
        Arm::Val(Val::Hold) => None,
        Arm::Expr(e) => match e.kind() {
            Kind::Mux(c, a, b) => Some((c, Arm::Expr(a), Arm::Expr(b))),
            _ => None,
        },
    }
}

pub(crate) fn is_hold(arm: Arm<'_>) -> bool {
    matches!(arm, Arm::Val(Val::Hold))
}

/// `(x, K)` if `cond` is `x == K` (or `K == x`) with a constant `K`.
pub(crate) fn compare(cond: &Expr) -> Option<(&Expr, &Bits)> {
    let Kind::Bin(BinOp::Eq, a, b) = cond.kind() else {
        return None;
    };
    match (a.as_const(), b.as_const()) {
        (None, Some(k)) => Some((a, k)),
        (Some(k), None) => Some((b, k)),
        _ => None,
    }
}

/// The chain at `arm` as a `case`, if it compares one selector with at least
/// [`MIN_ITEMS`] distinct constants.
pub(crate) fn recognise(arm: Arm<'_>) -> Option<Case<'_>> {
    let (c, _, _) = split(arm)?;
    let (sel, _) = compare(c)?;
    let mut items: Vec<(&Bits, Arm<'_>)> = Vec::new();
    let mut rest = arm;
    while let Some((c, then, otherwise)) = split(rest) {
        let Some((x, k)) = compare(c) else { break };
        if !x.same_value(sel) {
            break;
        }
        // An earlier item with this constant already took every such value.
        if !items.iter().any(|(k0, _)| *k0 == k) {
            items.push((k, then));
        }
        rest = otherwise;
    }
    // In a register's tree, an item that holds when the default holds too says nothing:
    // its value falls through to the default, which no later item has (keys are distinct).
    if is_hold(rest) {
        items.retain(|(_, a)| !is_hold(*a));
    }
    (items.len() >= MIN_ITEMS).then_some(Case {
        sel,
        items,
        default: rest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::expr::{lit, SigId};

    fn sig(id: u32, name: &str, w: u32) -> Expr {
        Expr::sig(SigId(id), 1, name.into(), w)
    }

    /// A selector `s` of `sel_width` bits and values `a`, `b`, `d` of `width` bits.
    fn parts(sel_width: u32, width: u32) -> (Expr, Expr, Expr, Expr) {
        let v = |i, n| sig(i, n, width);
        (sig(0, "s", sel_width), v(1, "a"), v(2, "b"), v(3, "d"))
    }

    fn keys(c: &Case<'_>) -> Vec<u64> {
        c.items.iter().map(|(k, _)| k.to_u64().unwrap()).collect()
    }

    #[test]
    fn a_mux_chain_on_one_selector_is_a_case() {
        let (s, a, b, d) = parts(2, 8);
        let e = s.eq(0).mux(&a, lit(2, 2).eq(&s).mux(&b, &d));
        let c = recognise(Arm::Expr(&e)).expect("a case");
        assert!(c.sel.same_value(&s));
        assert_eq!(keys(&c), [0, 2]);
        assert!(matches!(c.default, Arm::Expr(x) if x.same_value(&d)));
    }

    #[test]
    fn a_selector_rebuilt_elsewhere_is_the_same_selector() {
        let (x, a, b, d) = parts(8, 4);
        // `x[3:0]` built twice: two nodes, one value.
        let e = x.trunc(4).eq(1).mux(&a, x.trunc(4).eq(7).mux(&b, &d));
        assert_eq!(keys(&recognise(Arm::Expr(&e)).unwrap()), [1, 7]);
    }

    #[test]
    fn duplicate_items_are_dead_and_dropped() {
        let (s, a, b, d) = parts(2, 1);
        let e = s.eq(1).mux(&a, s.eq(1).mux(&b, s.eq(3).mux(&b, &d)));
        let c = recognise(Arm::Expr(&e)).unwrap();
        assert_eq!(keys(&c), [1, 3]);
        assert!(matches!(c.items[0].1, Arm::Expr(x) if x.same_value(&a)));
    }

    #[test]
    fn value_trees_chain_into_their_expressions() {
        let (s, a, b, d) = parts(3, 8);
        let v = Val::If(
            s.eq(4),
            Box::new(Val::E(a.clone())),
            Box::new(Val::E(s.eq(5).mux(&b, &d))),
        );
        let c = recognise(Arm::Val(&v)).unwrap();
        assert_eq!(keys(&c), [4, 5]);
        assert!(matches!(c.default, Arm::Expr(x) if x.same_value(&d)));
    }

    #[test]
    fn held_items_before_a_held_default_fall_through_to_it() {
        let s = sig(0, "s", 2);
        let e = |i| Box::new(Val::E(sig(i, "v", 8)));
        let hold = || Box::new(Val::Hold);
        let chain = |a0, a1, a2, d| {
            Val::If(
                s.eq(0),
                a0,
                Box::new(Val::If(s.eq(1), a1, Box::new(Val::If(s.eq(2), a2, d)))),
            )
        };
        let v = chain(e(1), hold(), e(2), hold());
        let c = recognise(Arm::Val(&v)).unwrap();
        assert_eq!(keys(&c), [0, 2]);
        assert!(is_hold(c.default));
        // A held item before a default that assigns must stay: it holds where the
        // default would assign.
        let v = chain(e(1), hold(), e(2), e(3));
        assert_eq!(keys(&recognise(Arm::Val(&v)).unwrap()), [0, 1, 2]);
        // One assigning item left is an `if`, not a table.
        let v = chain(hold(), hold(), e(2), hold());
        assert!(recognise(Arm::Val(&v)).is_none());
    }

    #[test]
    fn the_chain_stops_at_another_selector_or_a_non_constant_compare() {
        let (s, a, b, d) = parts(2, 8);
        let t = sig(4, "t", 2);
        // s, s, then t: two items and the `t` test as the default.
        let e = s.eq(0).mux(&a, s.eq(1).mux(&b, t.eq(2).mux(&a, &d)));
        let c = recognise(Arm::Expr(&e)).unwrap();
        assert_eq!(keys(&c), [0, 1]);
        assert!(matches!(c.default, Arm::Expr(x) if matches!(x.kind(), Kind::Mux(..))));
    }

    #[test]
    fn chains_that_are_not_tables_stay_muxes() {
        let (s, a, b, d) = parts(2, 8);
        let t = sig(4, "t", 2);
        let not_case = [
            // Different selectors.
            s.eq(0).mux(&a, t.eq(1).mux(&b, &d)),
            // A compare with a signal, not a constant.
            s.eq(&t).mux(&a, s.eq(1).mux(&b, &d)),
            s.eq(0).mux(&a, s.eq(&t).mux(&b, &d)),
            // Other operators.
            s.ne(0).mux(&a, s.ne(1).mux(&b, &d)),
            s.lt(1).mux(&a, s.eq(1).mux(&b, &d)),
            // One comparison only, and the same one twice.
            s.eq(0).mux(&a, &d),
            s.eq(0).mux(&a, s.eq(0).mux(&b, &d)),
            // No choice at all.
            &a & &b,
        ];
        for e in &not_case {
            assert!(recognise(Arm::Expr(e)).is_none(), "{e:?}");
        }
        assert!(recognise(Arm::Val(&Val::Hold)).is_none());
    }
}

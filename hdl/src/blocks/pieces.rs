//! Words made of narrower pieces, for streams that change width (MAC beats into slot
//! words and back): a word assembled piece by piece in an accumulator, and a piece picked
//! out of a word.

use crate::blocks::onehot::select;
use crate::ir::{cat, lit, Expr};

/// The word of `n` pieces of `piece`'s width with `piece` at position `at` (0 = the low
/// end) and the pieces below it from `acc` (the earlier ones, `n - 1` pieces wide); the
/// positions above are `acc`'s stale pieces, and the top one zero. Registering the low
/// `n - 1` pieces of the result as the next `acc` assembles a word one piece per step.
pub fn place(acc: &Expr, at: &Expr, piece: &Expr, n: u32) -> Expr {
    let w = piece.width();
    cat((0..n)
        .map(|i| {
            let held = if i + 1 == n {
                lit(0, w)
            } else {
                acc.slice(i * w, w)
            };
            at.eq(u64::from(i)).mux(piece, held)
        })
        .rev())
}

/// Piece `at` of `word`, cut into pieces `width` bits wide.
pub fn pick(word: &Expr, at: &Expr, width: u32) -> Expr {
    let n = word.width() / width;
    select(
        &(0..n)
            .map(|i| word.slice(i * width, width))
            .collect::<Vec<_>>(),
        at,
    )
}

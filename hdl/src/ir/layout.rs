//! Line breaking for emitted expressions. A value is written on one line when it fits;
//! otherwise it breaks at its top-level operators or concatenation commas, the pieces
//! aligned under its first operand, the way long RTL expressions are written by hand:
//!
//! ```text
//! assign x = (a & b)
//!            | (c & d);
//! assign y = sel
//!            ? {p0, p1, p2,
//!               p3, p4}
//!            : z;
//! ```

/// The longest line the emitter writes, unless one name or constant is longer.
pub(crate) const MAX_LINE: usize = 160;

/// An expression laid out as text with the places it may break.
#[derive(Clone, Debug)]
pub(crate) enum Doc {
    /// Unbreakable text.
    Text(String),
    /// Pieces written one after the other; only lists inside them break.
    Seq(Vec<Doc>),
    /// `open item sep item ... close`.
    List {
        open: &'static str,
        items: Vec<Doc>,
        sep: Sep,
        close: &'static str,
    },
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Sep {
    /// `a, b`: a broken list keeps each comma at the line end and fills its lines.
    Comma,
    /// `a op b`: a broken list starts each continuation line with the operator.
    Op(&'static str),
}

impl Doc {
    pub(crate) fn text(s: impl Into<String>) -> Doc {
        Doc::Text(s.into())
    }

    /// Pieces in sequence; all-text pieces become one text, so it counts as an atom.
    pub(crate) fn seq(parts: Vec<Doc>) -> Doc {
        let mut out: Vec<Doc> = Vec::with_capacity(parts.len());
        for p in parts {
            match (out.last_mut(), p) {
                (Some(Doc::Text(a)), Doc::Text(b)) => a.push_str(&b),
                (_, p) => out.push(p),
            }
        }
        if out.len() == 1 {
            out.pop().unwrap()
        } else {
            Doc::Seq(out)
        }
    }

    pub(crate) fn list(items: Vec<Doc>, sep: Sep) -> Doc {
        Doc::List {
            open: "",
            items,
            sep,
            close: "",
        }
    }

    /// `(self)`; a bare list takes the parentheses as its own brackets, so its broken
    /// lines align inside them.
    pub(crate) fn paren(self) -> Doc {
        match self {
            Doc::Text(s) => Doc::Text(format!("({s})")),
            Doc::List {
                open: "",
                items,
                sep,
                close: "",
            } => Doc::List {
                open: "(",
                items,
                sep,
                close: ")",
            },
            d => Doc::seq(vec![Doc::text("("), d, Doc::text(")")]),
        }
    }

    fn flat_len(&self) -> usize {
        match self {
            Doc::Text(s) => s.len(),
            Doc::Seq(parts) => parts.iter().map(Doc::flat_len).sum(),
            Doc::List {
                open,
                items,
                sep,
                close,
            } => {
                let sep = match sep {
                    Sep::Comma => 2,
                    Sep::Op(op) => op.len() + 2,
                };
                open.len()
                    + close.len()
                    + items.iter().map(Doc::flat_len).sum::<usize>()
                    + sep * items.len().saturating_sub(1)
            }
        }
    }

    fn write_flat(&self, out: &mut String) {
        match self {
            Doc::Text(s) => out.push_str(s),
            Doc::Seq(parts) => parts.iter().for_each(|p| p.write_flat(out)),
            Doc::List {
                open,
                items,
                sep,
                close,
            } => {
                out.push_str(open);
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        match sep {
                            Sep::Comma => out.push_str(", "),
                            Sep::Op(op) => {
                                out.push(' ');
                                out.push_str(op);
                                out.push(' ');
                            }
                        }
                    }
                    item.write_flat(out);
                }
                out.push_str(close);
            }
        }
    }

    /// Writes at column `col` with `trail` characters to follow on the last line; returns
    /// the column after it.
    pub(crate) fn write(&self, out: &mut String, col: usize, trail: usize) -> usize {
        let len = self.flat_len();
        if col + len + trail <= MAX_LINE {
            self.write_flat(out);
            return col + len;
        }
        match self {
            Doc::Text(s) => {
                out.push_str(s);
                col + s.len()
            }
            Doc::Seq(parts) => {
                let mut col = col;
                for (i, p) in parts.iter().enumerate() {
                    // Text after a piece stays on its line; a list after it may break.
                    let rest = &parts[i + 1..];
                    let texts = rest.iter().take_while(|q| matches!(q, Doc::Text(_)));
                    let mut after: usize = texts.clone().map(Doc::flat_len).sum();
                    if texts.count() == rest.len() {
                        after += trail;
                    }
                    col = p.write(out, col, after);
                }
                col
            }
            Doc::List {
                open,
                items,
                sep,
                close,
            } => {
                out.push_str(open);
                let col = write_items(out, col + open.len(), items, *sep, close.len() + trail);
                out.push_str(close);
                col + close.len()
            }
        }
    }
}

/// The items of a list too long for its line, from column `ic`. Comma lists and lists of
/// atoms fill their lines; operator lists of compound terms take one term per line, and
/// a term that itself breaks is never followed on its last line.
fn write_items(out: &mut String, ic: usize, items: &[Doc], sep: Sep, trail: usize) -> usize {
    let fill = match sep {
        Sep::Comma => true,
        Sep::Op(_) => items.iter().all(|d| matches!(d, Doc::Text(_))),
    };
    let mut col = ic;
    let mut broke = false;
    for (i, item) in items.iter().enumerate() {
        let last = i + 1 == items.len();
        let tail = match (last, sep) {
            (true, _) => trail,
            (false, Sep::Comma) => 1,
            (false, Sep::Op(_)) => 0,
        };
        let lead = match sep {
            Sep::Comma => 0,
            Sep::Op(op) => op.len() + 1,
        };
        let fits = col + 1 + lead + item.flat_len() + tail <= MAX_LINE;
        if i > 0 && fill && !broke && fits {
            out.push(' ');
            col += 1;
        } else if i > 0 {
            out.push('\n');
            out.push_str(&" ".repeat(ic));
            col = ic;
        }
        if let (true, Sep::Op(op)) = (i > 0, sep) {
            out.push_str(op);
            out.push(' ');
            col += lead;
        }
        broke = col + item.flat_len() + tail > MAX_LINE;
        col = item.write(out, col, tail);
        if !last {
            if let Sep::Comma = sep {
                out.push(',');
                col += 1;
            }
        }
    }
    col
}

/// `prefix`, `doc` laid out from the end of the prefix, `suffix` and a newline.
pub(crate) fn line(out: &mut String, prefix: &str, doc: &Doc, suffix: &str) {
    out.push_str(prefix);
    doc.write(out, prefix.len(), suffix.len());
    out.push_str(suffix);
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn atoms(n: usize, w: usize) -> Vec<Doc> {
        (0..n).map(|i| Doc::text(format!("{i:0w$}"))).collect()
    }

    #[test]
    fn short_values_stay_on_one_line() {
        let mut out = String::new();
        line(&mut out, "x = ", &Doc::list(atoms(3, 1), Sep::Op("|")), ";");
        assert_eq!(out, "x = 0 | 1 | 2;\n");
    }

    #[test]
    fn long_lists_break_aligned_and_within_the_limit() {
        let terms = atoms(4, 60).into_iter().map(|a| a.paren()).collect();
        let ors = Doc::list(
            vec![Doc::list(terms, Sep::Op("&")).paren(); 2],
            Sep::Op("|"),
        );
        let cat = Doc::List {
            open: "{",
            items: atoms(40, 10),
            sep: Sep::Comma,
            close: "}",
        };
        for doc in [ors, cat] {
            let mut out = String::new();
            line(&mut out, "    assign x = ", &doc, ";");
            assert!(out.lines().count() > 1, "{out}");
            assert!(out.lines().all(|l| l.len() <= MAX_LINE), "{out}");
            let mut flat = String::new();
            doc.write_flat(&mut flat);
            let squash = |s: &str| s.split_whitespace().collect::<String>();
            assert_eq!(squash(&out), squash(&format!("    assign x = {flat};")));
        }
    }

    #[test]
    fn operator_lines_start_under_the_first_operand() {
        let pair = || Doc::list(atoms(2, 30), Sep::Op("&")).paren();
        let terms = vec![pair(), pair(), pair()];
        let mut out = String::new();
        line(&mut out, "y = ", &Doc::list(terms, Sep::Op("|")), ";");
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[1].starts_with("    | ("), "{out}");
    }
}

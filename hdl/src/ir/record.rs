//! Record layouts: named fields packed into one vector, like Amaranth's `data.Struct`.
//!
//! A FIFO or a register carries a record as one word; the layout says once where each
//! field lies, so the writer packs by name and the reader gets named wires instead of
//! slicing by hand (`completions_m_data[20:5]` becomes `completion_len`):
//!
//! ```text
//! let done = Layout::new(&[("len", 16), ("reason", 2), ("class", 3), ("error", 1)]);
//! m.connect(q, "s_data", done.pack(&[("len", len), ("reason", r), ("class", c), ("error", e)]));
//! let out = done.unpack(m, "completion", &m.inst_output(q, "m_data"));
//! out.get("len")                            // the wire `completion_len`
//! ```
//!
//! Fields are listed from the least significant bit up (as in Amaranth), without gaps.
//! Mistakes are values, as everywhere in the IR: packing a missing, unknown or
//! wrongly sized field, or a word of the wrong width, yields an error expression that the
//! module using it reports with its own name and the signal's.

use super::expr::{cat, err, Expr};
use super::module::{ModuleBuilder, Sig};

/// Named fields of given widths, least significant first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    fields: Vec<(String, u32)>,
}

/// A record unpacked into one named wire per field.
#[derive(Clone, Debug)]
pub struct Record {
    fields: Vec<(String, Sig)>,
}

impl Layout {
    /// `fields` from the least significant bit up.
    pub fn new(fields: &[(&str, u32)]) -> Layout {
        Layout {
            fields: fields.iter().map(|(n, w)| (n.to_string(), *w)).collect(),
        }
    }

    /// The packed width: the sum of the fields'.
    pub fn width(&self) -> u32 {
        self.fields.iter().map(|(_, w)| w).sum()
    }

    /// The lowest bit and the width of field `name`.
    pub fn place(&self, name: &str) -> Option<(u32, u32)> {
        let mut lsb = 0;
        for (n, w) in &self.fields {
            if n == name {
                return Some((lsb, *w));
            }
            lsb += w;
        }
        None
    }

    /// One word holding every field's value at its place; `values` names each field once,
    /// in any order.
    pub fn pack(&self, values: &[(&str, Expr)]) -> Expr {
        for (n, _) in values {
            if self.place(n).is_none() {
                return err(format!("record has no field `{n}`"));
            }
        }
        let mut parts = Vec::with_capacity(self.fields.len());
        for (name, w) in self.fields.iter().rev() {
            let mut given = values.iter().filter(|(n, _)| n == name);
            let (Some((_, v)), None) = (given.next(), given.next()) else {
                return err(format!("record field `{name}` needs exactly one value"));
            };
            if v.width() != *w && !v.is_error() {
                return err(format!(
                    "record field `{name}` is {w} bits, its value {}",
                    v.width()
                ));
            }
            parts.push(v.clone());
        }
        cat(parts)
    }

    /// Field `name` of `word`, unnamed (for a port or register that is its name already).
    pub fn get(&self, word: &Expr, name: &str) -> Expr {
        match (self.place(name), word.width() == self.width()) {
            (Some((lsb, w)), true) => word.slice(lsb, w),
            (None, _) => err(format!("record has no field `{name}`")),
            (_, false) => self.wrong_word(word),
        }
    }

    /// `word` as one wire `{prefix}_{field}` per field.
    pub fn unpack(&self, m: &mut ModuleBuilder, prefix: &str, word: &Expr) -> Record {
        let fields = self
            .fields
            .iter()
            .map(|(name, _)| {
                let value = self.get(word, name);
                (name.clone(), m.node(&format!("{prefix}_{name}"), value))
            })
            .collect();
        Record { fields }
    }

    fn wrong_word(&self, word: &Expr) -> Expr {
        if word.is_error() {
            return word.clone();
        }
        err(format!(
            "record of {} bits read from a {}-bit word",
            self.width(),
            word.width()
        ))
    }
}

impl Record {
    /// The wire of field `name`.
    pub fn get(&self, name: &str) -> Expr {
        match self.fields.iter().find(|(n, _)| n == name) {
            Some((_, s)) => s.into(),
            None => err(format!("record has no field `{name}`")),
        }
    }

    /// The wire of field `name`, as a signal (to mark it unused, or to describe it).
    pub fn sig(&self, name: &str) -> Option<&Sig> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, s)| s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::expr::{lit, Kind};

    fn done() -> Layout {
        Layout::new(&[("len", 16), ("reason", 2), ("class", 3), ("error", 1)])
    }

    #[test]
    fn fields_lie_from_the_least_significant_bit_up() {
        let l = done();
        assert_eq!(l.width(), 22);
        assert_eq!(l.place("len"), Some((0, 16)));
        assert_eq!(l.place("class"), Some((18, 3)));
        assert_eq!(l.place("nope"), None);
        let w = l.pack(&[
            ("error", lit(1, 1)),
            ("len", lit(0x1234, 16)),
            ("class", lit(5, 3)),
            ("reason", lit(2, 2)),
        ]);
        let Kind::Concat(parts) = w.kind() else {
            panic!("{w:?}")
        };
        let values: Vec<u64> = parts
            .iter()
            .map(|p| p.as_const().unwrap().to_u64().unwrap())
            .collect();
        assert_eq!(values, [1, 5, 2, 0x1234]); // most significant first, as in `{..}`
        assert_eq!(w.width(), 22);
    }

    #[test]
    fn mistakes_are_error_values() {
        let l = done();
        let all = |extra: Option<(&'static str, Expr)>| {
            let mut v = vec![
                ("len", lit(0, 16)),
                ("reason", lit(0, 2)),
                ("class", lit(0, 3)),
                ("error", lit(0, 1)),
            ];
            v.extend(extra);
            v
        };
        let msg = |e: Expr| e.error().map(|m| m.to_string()).unwrap_or_default();
        assert!(msg(l.pack(&all(Some(("flag", lit(0, 1)))))).contains("no field `flag`"));
        assert!(msg(l.pack(&all(Some(("len", lit(0, 16)))))).contains("exactly one"));
        assert!(msg(l.pack(&all(None)[1..])).contains("`len` needs exactly one"));
        let mut wide = all(None);
        wide[2].1 = lit(0, 4);
        assert!(msg(l.pack(&wide)).contains("`class` is 3 bits, its value 4"));
        assert!(msg(l.get(&lit(0, 21), "len")).contains("22 bits read from a 21-bit word"));
        assert!(msg(l.get(&lit(0, 22), "size")).contains("no field `size`"));
    }

    #[test]
    fn unpacked_fields_are_named_wires() {
        let l = done();
        let mut m = ModuleBuilder::new("t");
        let word = m.input("word", 22);
        let r = l.unpack(&mut m, "completion", &word);
        assert_eq!(r.sig("class").unwrap().width(), 3);
        assert!(
            matches!(r.get("class").kind(), Kind::Sig { name, .. } if &**name == "completion_class")
        );
        assert!(r.get("size").is_error());
    }
}

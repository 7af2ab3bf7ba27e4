//! The service table (Lauberhorn §5.1): what the kernel tells the NIC about each RPC
//! service, so a decoded call becomes a code pointer, a data pointer and a process.
//!
//! An entry matches a call by ONC-RPC program, version and procedure (or any procedure,
//! for a service whose one entry point dispatches by procedure itself) and UDP destination
//! port, and names the function to jump to, its data pointer and the process that runs it. The kernel writes
//! entries a 64-bit word at a time ([`word`]) and can read them back. A lookup answers
//! one cycle later with the lowest matching entry, and also says whether some entry
//! listens on the port (so the datagram is an RPC at all) and knew the program (and the
//! version) there, so the receive path can answer `PROG_UNAVAIL`, `PROG_MISMATCH` or
//! `PROC_UNAVAIL` as RFC 5531 asks; for `PROG_MISMATCH`, the lowest and highest version
//! of the program on the port come [`versions_lag`] cycles after the other results
//! (`vers_low`, `vers_high`: a tree of comparisons over the registered hits, off the
//! lookup's path, as the table holds the entries a cycle after the lookup).
//!
//! **Timing.** A lookup is four LUT levels of compares per entry and their AND, registered
//! as the hit vector and as the four `*_known`/`hit` flags. In the result cycle the lowest
//! hit, one-hot, picks the entry's words (`index`, `func`, `data`, `process`) by an AND-OR
//! from those registers (about four levels, combinational: register them before use); the
//! words are the entry's as the table holds them in that cycle, like the versions. Picking
//! the words in the lookup's cycle put compare, priority and select in one path of seven
//! levels. The version tree is cut by registers every [`TREE_LEVELS_PER_STAGE`] levels (a
//! 32-bit compare and a mux each, three LUT levels).

use crate::blocks::onehot::{encode, lowest_set, select, select_onehot};
use crate::ir::{cat, clog2, Expr, HdlErrors, Module, ModuleBuilder, PortDir, Sig};
use std::rc::Rc;

/// The words of an entry, as the kernel writes them.
pub mod word {
    /// Program (bits 63:32) and version (31:0).
    pub const MATCH: u64 = 0;
    /// Procedure (63:32), UDP port (31:16), ANY_PROC (bit 1), ENABLE (bit 0).
    pub const SELECT: u64 = 1;
    /// The function pointer (the code to jump to).
    pub const FUNC: u64 = 2;
    /// The data pointer (the service's state, handed to the function).
    pub const DATA: u64 = 3;
    /// The process (low bits; the rest read as zero).
    pub const PROCESS: u64 = 4;
    /// Words per entry.
    pub const COUNT: usize = 5;
    /// Bits of a word index.
    pub const INDEX_WIDTH: u32 = 3;
    pub const ENABLE: u32 = 0;
    pub const ANY_PROC: u32 = 1;
}

/// Levels of the version tree between two registers.
pub const TREE_LEVELS_PER_STAGE: u32 = 2;

/// Cycles from the results of a lookup to its `vers_low` and `vers_high`, for `services`
/// entries.
pub fn versions_lag(services: u32) -> u32 {
    clog2(u64::from(services)).div_ceil(TREE_LEVELS_PER_STAGE)
}

/// Parameters of [`service_table`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ServiceTableCfg {
    /// Entries, 2 to 64.
    pub services: u32,
    /// Processes (sizes the process field).
    pub processes: u32,
}

pub fn service_table(cfg: ServiceTableCfg) -> Result<Rc<Module>, HdlErrors> {
    let name = format!(
        "lauberhorn_service_table_n{}_p{}",
        cfg.services, cfg.processes
    );
    if !(2..=64).contains(&cfg.services) || !(1..=64).contains(&cfg.processes) {
        return Err(HdlErrors::param(
            &name,
            "2 to 64 services and 1 to 64 processes",
        ));
    }
    let n = cfg.services;
    let iw = clog2(u64::from(n));
    let pw = clog2(u64::from(cfg.processes));
    let mut m = ModuleBuilder::new(&name);
    m.doc(format!(
        "Lauberhorn service table: {n} entries (program, version, procedure, port ->\n\
         function, process), written by the kernel; lookups answer a cycle later."
    ));
    let gp = |m: &mut ModuleBuilder, g: &str, f: &str, w: u32, d| m.group_port(g, f, w, d);
    let wr_valid = gp(&mut m, "wr", "valid", 1, PortDir::In);
    let wr_index = gp(&mut m, "wr", "index", iw, PortDir::In);
    let wr_word = gp(&mut m, "wr", "word", word::INDEX_WIDTH, PortDir::In);
    let wr_data = gp(&mut m, "wr", "data", 64, PortDir::In);
    let rd_index = gp(&mut m, "rd", "index", iw, PortDir::In);
    let rd_word = gp(&mut m, "rd", "word", word::INDEX_WIDTH, PortDir::In);
    let rd_data = gp(&mut m, "rd", "data", 64, PortDir::Out);

    struct Entry {
        words: [Sig; word::COUNT],
    }
    let entries: Vec<Entry> = (0..n)
        .map(|i| Entry {
            words: [
                m.reg(&format!("e{i}_match"), 64),
                m.reg_reset(&format!("e{i}_select"), 64, 0),
                m.reg(&format!("e{i}_func"), 64),
                m.reg(&format!("e{i}_data"), 64),
                m.reg(&format!("e{i}_process"), pw),
            ],
        })
        .collect();
    for (i, e) in entries.iter().enumerate() {
        for (k, r) in e.words.iter().enumerate() {
            let hit =
                &wr_valid & Expr::from(&wr_index).eq(i as u64) & Expr::from(&wr_word).eq(k as u64);
            m.when(hit, |m| m.set(r, wr_data.trunc(r.width())));
        }
    }
    // The entry first, then its word: the index's mux trees are shared by the bits of
    // a word.
    let rd_words: Vec<Expr> = (0..word::COUNT)
        .map(|k| {
            let of_entries: Vec<Expr> = entries
                .iter()
                .map(|e| Expr::from(&e.words[k]).zext(64))
                .collect();
            select(&of_entries, &rd_index.clone().into())
        })
        .collect();
    m.set(&rd_data, select(&rd_words, &rd_word.clone().into()));

    // Lookup: compare with every entry at once.
    let lk_valid = gp(&mut m, "lookup", "valid", 1, PortDir::In);
    let lk_prog = gp(&mut m, "lookup", "prog", 32, PortDir::In);
    let lk_vers = gp(&mut m, "lookup", "vers", 32, PortDir::In);
    let lk_proc = gp(&mut m, "lookup", "proc", 32, PortDir::In);
    let lk_port = gp(&mut m, "lookup", "port", 16, PortDir::In);
    let (mut full, mut port_hit, mut prog_hit, mut vers_hit) = (vec![], vec![], vec![], vec![]);
    for e in &entries {
        let (mt, sel) = (Expr::from(&e.words[0]), Expr::from(&e.words[1]));
        let on = sel.bit(word::ENABLE) & sel.slice(16, 16).eq(&lk_port);
        port_hit.push(on.clone());
        let prog = on & mt.slice(32, 32).eq(&lk_prog);
        let vers = prog.clone() & mt.trunc(32).eq(&lk_vers);
        let proc_ok = sel.bit(word::ANY_PROC) | sel.slice(32, 32).eq(&lk_proc);
        full.push(vers.clone() & proc_ok);
        prog_hit.push(prog);
        vers_hit.push(vers);
    }
    let msb_first = |v: Vec<Expr>| cat(v.into_iter().rev());
    let hits = m.node("hits", msb_first(full));
    let prog_hits = m.node("prog_hits", msb_first(prog_hit));
    let out = |m: &mut ModuleBuilder, f: &str, v: Expr| {
        let p = m.group_port("result", f, v.width(), PortDir::Out);
        let r = m.reg(&format!("result_{f}_r"), v.width());
        m.when(&lk_valid, |m| m.set(&r, v));
        m.set(&p, &r);
    };
    let rv = m.group_port("result", "valid", 1, PortDir::Out);
    let rv_r = m.reg_reset("result_valid_r", 1, 0);
    m.set(&rv_r, &lk_valid);
    m.set(&rv, &rv_r);
    out(&mut m, "hit", hits.any());
    out(&mut m, "port_known", msb_first(port_hit).any());
    out(&mut m, "prog_known", prog_hits.any());
    out(&mut m, "vers_known", msb_first(vers_hit).any());
    // The entry's words, selected by the registered hits.
    let hits_r = m.reg("hits_r", n);
    m.when(&lk_valid, |m| m.set(&hits_r, &hits));
    let first = m.node("hit_first", lowest_set(&hits_r.into()));
    let word_of = |m: &mut ModuleBuilder, f: &str, k: usize| {
        let words: Vec<Expr> = entries.iter().map(|e| Expr::from(&e.words[k])).collect();
        let p = m.group_port("result", f, words[0].width(), PortDir::Out);
        m.set(&p, select_onehot(&words, &first.clone().into()));
    };
    let index = m.group_port("result", "index", iw, PortDir::Out);
    m.set(&index, encode(&first.clone().into(), iw));
    word_of(&mut m, "func", word::FUNC as usize);
    word_of(&mut m, "data", word::DATA as usize);
    word_of(&mut m, "process", word::PROCESS as usize);

    // The program's versions on the port, `versions_lag` cycles after the results.
    let hits_r = m.reg("prog_hits_r", n);
    m.when(&lk_valid, |m| m.set(&hits_r, &prog_hits));
    let versions: Vec<(Expr, Expr)> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (hits_r.bit(i as u32), e.words[0].trunc(32)))
        .collect();
    for (f, lower) in [("vers_low", true), ("vers_high", false)] {
        let v = staged_tree(&mut m, f, versions.clone(), lower);
        let p = m.group_port("result", f, 32, PortDir::Out);
        let r = m.reg(&format!("result_{f}_r"), 32);
        m.set(&r, v);
        m.set(&p, &r);
    }
    m.finish()
}

/// [`reduce`], registered after every [`TREE_LEVELS_PER_STAGE`] levels but the last ones;
/// the value.
fn staged_tree(
    m: &mut ModuleBuilder,
    name: &str,
    mut items: Vec<(Expr, Expr)>,
    lower: bool,
) -> Expr {
    let mut stage = 0;
    while items.len() > 1 << TREE_LEVELS_PER_STAGE {
        items = items
            .chunks(1 << TREE_LEVELS_PER_STAGE)
            .enumerate()
            .map(|(k, c)| {
                let (v, x) = reduce(c.to_vec(), lower);
                let valid = m.reg(&format!("{name}_s{stage}_{k}_valid"), 1);
                let value = m.reg(&format!("{name}_s{stage}_{k}"), x.width());
                m.set(&valid, v);
                m.set(&value, x);
                (valid.into(), value.into())
            })
            .collect();
        stage += 1;
    }
    reduce(items, lower).1
}

/// The lowest (or highest) value of the valid ones among (valid, value) pairs, by a tree of
/// pairwise comparisons; (valid of any, value).
fn reduce(mut items: Vec<(Expr, Expr)>, lower: bool) -> (Expr, Expr) {
    while items.len() > 1 {
        items = items
            .chunks(2)
            .map(|pair| match pair {
                [(va, a), (vb, b)] => {
                    let better = if lower { a.le(b) } else { a.ge(b) };
                    let take_a = va.clone() & (!vb.clone() | better);
                    (va.clone() | vb.clone(), take_a.mux(a, b))
                }
                [one] => one.clone(),
                _ => unreachable!(),
            })
            .collect();
    }
    items.pop().expect("at least one entry")
}

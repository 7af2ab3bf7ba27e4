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
//! of the program on the port come a cycle after the other results (`vers_low`,
//! `vers_high`: a tree of comparisons over the registered hits, off the lookup's path).

use crate::blocks::onehot::{encode, lowest_set, select};
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
    let rd_items: Vec<Expr> = entries
        .iter()
        .map(|e| {
            select(
                &e.words
                    .iter()
                    .map(|r| Expr::from(r).zext(64))
                    .collect::<Vec<_>>(),
                &rd_word.clone().into(),
            )
        })
        .collect();
    m.set(&rd_data, select(&rd_items, &rd_index.clone().into()));

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
    let index = m.node("hit_index", encode(&lowest_set(&hits.clone().into()), iw));
    let funcs: Vec<Expr> = entries.iter().map(|e| Expr::from(&e.words[2])).collect();
    let datas: Vec<Expr> = entries.iter().map(|e| Expr::from(&e.words[3])).collect();
    let procs: Vec<Expr> = entries.iter().map(|e| Expr::from(&e.words[4])).collect();
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
    let prog_hits = m.node("prog_hits", msb_first(prog_hit));
    out(&mut m, "prog_known", prog_hits.any());
    out(&mut m, "vers_known", msb_first(vers_hit).any());
    out(&mut m, "index", index.clone().into());
    out(&mut m, "func", select(&funcs, &index.clone().into()));
    out(&mut m, "data", select(&datas, &index.clone().into()));
    out(&mut m, "process", select(&procs, &index.into()));

    // The program's versions on the port, a cycle later.
    let hits_r = m.reg("prog_hits_r", n);
    m.when(&lk_valid, |m| m.set(&hits_r, &prog_hits));
    let versions: Vec<(Expr, Expr)> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (hits_r.bit(i as u32), e.words[0].trunc(32)))
        .collect();
    for (f, lower) in [("vers_low", true), ("vers_high", false)] {
        let (_, v) = reduce(versions.clone(), lower);
        let p = m.group_port("result", f, 32, PortDir::Out);
        let r = m.reg(&format!("result_{f}_r"), 32);
        m.set(&r, v);
        m.set(&p, &r);
    }
    m.finish()
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

//! `hdl::lauberhorn::service_table` (6 entries, 5 processes): random kernel writes (whole
//! entries and single words, entries disabled and re-enabled, duplicates, ANY_PROC) and
//! read-backs, interleaved with lookups drawn mostly from what the table holds (and
//! near misses: another version, procedure or port). Every result is compared with the
//! lowest matching entry of a model of the table, one cycle after the lookup (that
//! entry's words as the table holds them in the result's cycle); and
//! `versions_lag` cycles later the lowest and highest version of the program on the port
//! (for PROG_MISMATCH), over the entries the lookup saw, as the table holds them a cycle
//! after the lookup.

use hdl::lauberhorn::service_table::{versions_lag, word};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sim::prelude::*;
use std::collections::VecDeque;
use testbench::models::LauberhornServiceTableN6P5;
use testbench::seed;

fn get(p: &dyn PortRead) -> u64 {
    p.get_bits(0, p.width())
}

/// The table as the kernel wrote it: per entry, its words.
type Table = Vec<[u64; word::COUNT]>;

struct Call {
    prog: u32,
    vers: u32,
    proc_: u32,
    port: u16,
}

/// What a lookup must answer: (hit, port_known, prog_known, vers_known, index).
fn expect(t: &Table, c: &Call) -> (bool, bool, bool, bool, u64) {
    let port = |e: &[u64; word::COUNT]| {
        e[1] >> word::ENABLE & 1 == 1 && (e[1] >> 16 & 0xffff) as u16 == c.port
    };
    let on = |e: &[u64; word::COUNT]| port(e) && (e[0] >> 32) as u32 == c.prog;
    let vers = |e: &[u64; word::COUNT]| on(e) && e[0] as u32 == c.vers;
    let full = |e: &[u64; word::COUNT]| {
        vers(e) && (e[1] >> word::ANY_PROC & 1 == 1 || (e[1] >> 32) as u32 == c.proc_)
    };
    let port_known = t.iter().any(port);
    let prog_known = t.iter().any(on);
    let vers_known = t.iter().any(vers);
    match t.iter().position(full) {
        Some(i) => (true, port_known, prog_known, vers_known, i as u64),
        None => (false, port_known, prog_known, vers_known, 0),
    }
}

/// The entries enabled on the call's port with its program (PROG_MISMATCH's candidates).
fn program_entries(t: &Table, c: &Call) -> Vec<usize> {
    (0..t.len())
        .filter(|&i| {
            let e = &t[i];
            e[1] >> word::ENABLE & 1 == 1
                && (e[1] >> 16 & 0xffff) as u16 == c.port
                && (e[0] >> 32) as u32 == c.prog
        })
        .collect()
}

fn random_entry(rng: &mut ChaCha8Rng, processes: u32) -> [u64; word::COUNT] {
    let prog = 100_000 + rng.gen_range(0..4u64);
    let vers = rng.gen_range(1..4u64);
    let proc_ = rng.gen_range(0..5u64);
    let port = [111u64, 2049, 4000][rng.gen_range(0..3)];
    let any = rng.gen_bool(0.2) as u64;
    let en = rng.gen_bool(0.85) as u64;
    [
        prog << 32 | vers,
        proc_ << 32 | port << 16 | any << word::ANY_PROC | en << word::ENABLE,
        rng.gen(),
        rng.gen(),
        rng.gen_range(0..u64::from(processes)),
    ]
}

#[test]
fn lookups_match_the_lowest_entry_the_kernel_wrote() {
    let cfg = hdl::library::small_services();
    let d = LauberhornServiceTableN6P5::new();
    let mut rng = seed::rng("service_table");
    let n = cfg.services as usize;
    d.rst.set_bit(0, true);
    d.tick().unwrap();
    d.rst.set_bit(0, false);
    // The kernel first writes every word of every entry, disabled (reset disables them;
    // the other words hold nothing until written).
    let mut table: Table = vec![[0; word::COUNT]; n];
    for (i, e) in table.iter_mut().enumerate() {
        *e = random_entry(&mut rng, cfg.processes);
        e[1] &= !(1 << word::ENABLE);
        for (k, v) in e.iter().enumerate() {
            d.wr.valid.set_bit(0, true);
            d.wr.index.set_bits(0, 3, i as u64);
            d.wr.word.set_bits(0, 3, k as u64);
            d.wr.data.set_bits(0, 64, *v);
            d.tick().unwrap();
        }
    }
    let mut pending: Option<(bool, bool, bool, bool, u64)> = None;
    let (mut hits, mut near) = (0, 0);
    // Entries a lookup found the program in, for the versions a cycle after its result;
    // then those versions as the table holds them.
    let mut prog_pending: Option<Vec<usize>> = None;
    // The versions of the lookups of the last `versions_lag` cycles, oldest first.
    let lag = versions_lag(cfg.services) as usize;
    let mut versions_due: VecDeque<Option<(u32, u32)>> = vec![None; lag].into();
    let mut ranges = 0;
    for cycle in 0..20_000 {
        // The kernel: a write now and then (whole entries are written word by word).
        let write = rng.gen_bool(0.1).then(|| {
            let i = rng.gen_range(0..n);
            let k = rng.gen_range(0..word::COUNT);
            let v = random_entry(&mut rng, cfg.processes)[k];
            (i, k, v)
        });
        d.wr.valid.set_bit(0, write.is_some());
        if let Some((i, k, v)) = write {
            d.wr.index.set_bits(0, 3, i as u64);
            d.wr.word.set_bits(0, 3, k as u64);
            d.wr.data.set_bits(0, 64, v);
        }
        let (ri, rk) = (rng.gen_range(0..n), rng.gen_range(0..word::COUNT));
        d.rd.index.set_bits(0, 3, ri as u64);
        d.rd.word.set_bits(0, 3, rk as u64);
        // A lookup: mostly of an entry's own call, sometimes slightly off.
        let look = rng.gen_bool(0.7).then(|| {
            let e = table[rng.gen_range(0..n)];
            let mut c = Call {
                prog: (e[0] >> 32) as u32,
                vers: e[0] as u32,
                proc_: (e[1] >> 32) as u32,
                port: (e[1] >> 16) as u16,
            };
            match rng.gen_range(0..8) {
                0 => c.vers ^= 1,
                1 => c.proc_ = c.proc_.wrapping_add(1),
                2 => c.port ^= 0x10,
                3 => c.prog = rng.gen(),
                _ => {}
            }
            c
        });
        d.lookup.valid.set_bit(0, look.is_some());
        if let Some(c) = &look {
            d.lookup.prog.set_bits(0, 32, u64::from(c.prog));
            d.lookup.vers.set_bits(0, 32, u64::from(c.vers));
            d.lookup.proc.set_bits(0, 32, u64::from(c.proc_));
            d.lookup.port.set_bits(0, 16, u64::from(c.port));
        }
        d.eval().unwrap();
        // Read-back of what was written (a process word reads back its low bits).
        let want = if rk == word::PROCESS as usize {
            table[ri][rk] & 7
        } else {
            table[ri][rk]
        };
        assert_eq!(get(&d.rd.data), want, "cycle {cycle}: entry {ri} word {rk}");
        assert_eq!(
            d.result.valid.bit(0),
            pending.is_some(),
            "cycle {cycle}: result_valid"
        );
        if let Some(w) = pending.take() {
            let got = (
                d.result.hit.bit(0),
                d.result.port_known.bit(0),
                d.result.prog_known.bit(0),
                d.result.vers_known.bit(0),
                get(&d.result.index),
                get(&d.result.func),
                get(&d.result.data),
                get(&d.result.process),
            );
            if w.0 {
                // The words as the table holds them now (before this cycle's write).
                let e = &table[w.4 as usize];
                let want = (w.0, w.1, w.2, w.3, w.4, e[2], e[3], e[4]);
                assert_eq!(got, want, "cycle {cycle}: lookup result");
                hits += 1;
            } else {
                assert_eq!(
                    (got.0, got.1, got.2, got.3),
                    (w.0, w.1, w.2, w.3),
                    "cycle {cycle}: lookup miss"
                );
                near += w.2 as u32;
            }
        }
        if let Some((lo, hi)) = versions_due.pop_front().flatten() {
            assert_eq!(
                (get(&d.result.vers_low), get(&d.result.vers_high)),
                (u64::from(lo), u64::from(hi)),
                "cycle {cycle}: the program's versions on the port"
            );
            ranges += 1;
        }
        // The versions come from the table a cycle after the lookup (before that cycle's
        // write).
        let due = prog_pending.take().and_then(|ids| {
            let v: Vec<u32> = ids.iter().map(|&i| table[i][0] as u32).collect();
            Some((*v.iter().min()?, *v.iter().max()?))
        });
        versions_due.push_back(due);
        // The lookup sees the table as it was before this cycle's write.
        prog_pending = look.as_ref().map(|c| program_entries(&table, c));
        pending = look.map(|c| expect(&table, &c));
        if let Some((i, k, v)) = write {
            table[i][k] = v;
        }
        d.tick().unwrap();
    }
    println!("service_table: {hits} hits, {near} misses of a known program");
    assert!(hits > 3000 && near > 300 && ranges > 3000);
}

//! `hdl::lauberhorn::dcs_adapter` (four cores) between a Rust model of the Enzian shell's
//! two DCS slices in `shell_clk` and a Rust model of the NIC's side of the coherence link
//! in `app_clk`, at 322.265625 / 250 MHz both ways round and at random period pairs with a
//! random phase, random back-pressure everywhere.
//!
//! The shell model plays the CPU behind the directory: it reads lines of every core's
//! endpoint pages (AXI reads, one outstanding per core and slice), writes dirty lines back
//! (AXI writes of random data), and answers each LCI once the line is quiet, after
//! writing it back if it holds it dirty (at random), with an LCIA, then waits for the UL.
//! The home model answers reads with its memory (out of order across cores, some with
//! `err`) and invalidates granted lines at random.
//!
//! Checked: every read is one `RD_EXCL` of its line from the page's core and gets exactly
//! one R burst, to its AXI id, with the home's line (zero and SLVERR for `err`); every
//! write-back is one `EVICT_DIRTY` with its data, then one B to its id; every `INV` is one
//! LCI on the line's slice (aliased address, LCI opcode and VC), answered by exactly one
//! `ACK` after any write-back of the line; every LCIA is followed by one UL of its address;
//! nothing else crosses.

use hdl::lauberhorn::coherence::{down, up, LINE_BYTES};
use hdl::lauberhorn::dcs_adapter::{alias, core_of, slice_of, unalias};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sim::clocks::{period_ps, Clocks};
use sim::prelude::*;
use sim_models::lauberhorn::dcs_shell::{self, DcsPorts};
use std::collections::{BTreeMap, VecDeque};
use testbench::models::DcsAdapterC4 as Dut;
use testbench::seed;

const SHELL: usize = 0;
const APP: usize = 1;
const CORES: u64 = 4;
const ID_WIDTH: u32 = 2;
const BEAT: usize = 64;
type Line = Vec<u8>;

/// The line's state at the CPU, as the shell model keeps it.
#[derive(Clone, Debug, PartialEq)]
enum St {
    Reading,
    Held,
    Writing,
    /// Answered an LCI; waiting for the UL.
    Locked,
}

/// A message the shell model is presenting on one of its channels.
#[derive(Default)]
struct Slice {
    ar: Option<(u64, u64)>,
    /// Write-back: id, line, data, beats sent; and whether it answers an LCI.
    aw: Option<(u64, u64, Line, usize, bool)>,
    /// B expected: id -> (line, answers an LCI).
    b_wait: BTreeMap<u64, (u64, bool)>,
    /// Reads outstanding: id -> line; with the R beats so far.
    reads: BTreeMap<u64, u64>,
    r_beats: Vec<u8>,
    /// LCIs taken and not yet answered (the aliased address).
    lci: VecDeque<u64>,
    lcia: Option<u64>,
    /// LCIAs sent whose UL has not come.
    ul_wait: VecDeque<u64>,
}

struct Bench {
    lines: BTreeMap<u64, St>,
    slices: [Slice; 2],
    next_id: u64,
    /// Reads still to issue.
    to_read: u64,
    /// What the home sent for each line, for the R check: (data, err).
    sent: BTreeMap<u64, VecDeque<(Line, bool)>>,
    /// Write-backs the shell started, per line, for the home's check.
    written: BTreeMap<u64, VecDeque<Line>>,
    // The home.
    mem: BTreeMap<u64, Line>,
    c2n_beats: Vec<u8>,
    c2n_ready: bool,
    /// Reads to answer, per core.
    to_answer: Vec<VecDeque<u64>>,
    granted: Vec<u64>,
    inv_open: BTreeMap<u64, u32>,
    /// The n2c message being sent: op, line, err, data, beats sent.
    n2c: Option<(u64, u64, bool, Line, usize)>,
    counts: BTreeMap<&'static str, u64>,
}

fn count(b: &mut Bench, what: &'static str) {
    *b.counts.entry(what).or_default() += 1;
}

impl Bench {
    fn new(reads: u64) -> Bench {
        Bench {
            lines: BTreeMap::new(),
            slices: Default::default(),
            next_id: 0,
            to_read: reads,
            sent: BTreeMap::new(),
            written: BTreeMap::new(),
            mem: BTreeMap::new(),
            c2n_beats: Vec::new(),
            c2n_ready: false,
            to_answer: vec![VecDeque::new(); CORES as usize],
            granted: Vec::new(),
            inv_open: BTreeMap::new(),
            n2c: None,
            counts: BTreeMap::new(),
        }
    }

    fn done(&self) -> bool {
        self.to_read == 0
            && self.lines.values().all(|s| *s == St::Held)
            && self.inv_open.is_empty()
            && self.written.values().all(|q| q.is_empty())
            && self.n2c.is_none()
            && self.slices.iter().all(|s| {
                s.ar.is_none()
                    && s.aw.is_none()
                    && s.reads.is_empty()
                    && s.b_wait.is_empty()
                    && s.lci.is_empty()
                    && s.lcia.is_none()
                    && s.ul_wait.is_empty()
            })
    }

    /// Shell side, just before its edge: the handshakes the edge completes.
    fn shell_sample(&mut self, d: &Dut) {
        for s in 0..2 {
            let p = ports(d, s);
            if p.ar_valid.bit(0) && p.ar_ready.bit(0) {
                let (id, line) = self.slices[s].ar.take().unwrap();
                self.slices[s].reads.insert(id, line);
            }
            if p.w_valid.bit(0) && p.w_ready.bit(0) {
                let aw = self.slices[s].aw.as_mut().unwrap();
                aw.3 += 1;
                assert_eq!(
                    p.aw_ready.bit(0),
                    aw.3 == 2,
                    "AW taken with the last W beat"
                );
                if aw.3 == 2 {
                    let (id, line, _, _, answers) = self.slices[s].aw.take().unwrap();
                    self.slices[s].b_wait.insert(id, (line, answers));
                }
            }
            if p.b_valid.bit(0) && p.b_ready.get_bits(0, 1) == 1 {
                let id = p.b_id.get_bits(0, 7);
                let (line, answers) = self.slices[s]
                    .b_wait
                    .remove(&id)
                    .unwrap_or_else(|| panic!("B to id {id}, which waits for none"));
                assert_eq!(p.b_resp.get_bits(0, 2), 0);
                count(self, "b");
                if answers {
                    // The LCI it answers comes next.
                    self.slices[s].lci.push_front(alias(line) << 7);
                    self.lines.insert(line, St::Locked);
                } else {
                    self.lines.remove(&line);
                }
            }
            if p.r_valid.bit(0) && p.r_ready.get_bits(0, 1) == 1 {
                let sl = &mut self.slices[s];
                sl.r_beats.extend(p.r_data.get_bytes());
                if p.r_last.bit(0) {
                    let id = p.r_id.get_bits(0, 7);
                    let line = sl
                        .reads
                        .remove(&id)
                        .unwrap_or_else(|| panic!("R to id {id}, no read outstanding"));
                    let data = std::mem::take(&mut sl.r_beats);
                    assert_eq!(data.len(), LINE_BYTES as usize, "two R beats a line");
                    let (want, err) = self.sent.get_mut(&line).unwrap().pop_front().unwrap();
                    let resp = p.r_resp.get_bits(0, 2);
                    assert_eq!(
                        (resp, &data),
                        (if err { 2 } else { 0 }, &want),
                        "line {line:#x}"
                    );
                    count(self, "r");
                    if err {
                        count(self, "r_err");
                    }
                    self.lines.insert(line, St::Held);
                }
            }
            if p.lci_valid.bit(0) && p.lci_ready.get_bits(0, 1) == 1 {
                let line = dcs_shell::lci_line(&p, s);
                count(self, "lci");
                self.slices[s].lci.push_back(alias(line) << 7);
            }
            if p.lcia_valid.get_bits(0, 1) == 1 && p.lcia_ready.bit(0) {
                let a = self.slices[s].lcia.take().unwrap();
                self.slices[s].ul_wait.push_back(a);
            }
            if p.ul_valid.bit(0) && p.ul_ready.get_bits(0, 1) == 1 {
                let a = self.slices[s]
                    .ul_wait
                    .pop_front()
                    .expect("UL without an LCIA");
                dcs_shell::check_ul(&p, s, a);
                count(self, "ul");
                self.lines.remove(&unalias(a >> 7));
            }
        }
    }

    /// Shell side, after its edge: what it presents next.
    fn shell_drive(&mut self, d: &Dut, rng: &mut ChaCha8Rng) {
        for s in 0..2 {
            let p = ports(d, s);
            // A new read of a line of this slice no one uses, one per core and slice.
            if self.slices[s].ar.is_none() && self.to_read > 0 && rng.gen_bool(0.3) {
                let core = rng.gen_range(0..CORES);
                let line = core * 64 + rng.gen_range(0..64);
                let busy = self.slices[s]
                    .reads
                    .values()
                    .any(|&l| core_of(l, ID_WIDTH) == core);
                if slice_of(line) == s && !self.lines.contains_key(&line) && !busy {
                    self.next_id = (self.next_id + 1) % 128;
                    self.slices[s].ar = Some((self.next_id, line));
                    self.lines.insert(line, St::Reading);
                    self.to_read -= 1;
                }
            }
            // The LCI at the head, once its line is quiet: write back (at random) or answer.
            if self.slices[s].lcia.is_none() && self.slices[s].aw.is_none() {
                if let Some(&a) = self.slices[s].lci.front() {
                    let line = unalias(a >> 7);
                    match self.lines.get(&line) {
                        Some(St::Held) if rng.gen_bool(0.5) => {
                            self.slices[s].lci.pop_front();
                            count(self, "lci_write_back");
                            self.write_back(s, line, true, rng);
                        }
                        Some(St::Reading) | Some(St::Writing) => {}
                        _ => {
                            self.slices[s].lci.pop_front();
                            self.slices[s].lcia = Some(a);
                            self.lines.insert(line, St::Locked);
                        }
                    }
                }
            }
            // A voluntary write-back of a held line.
            if self.slices[s].aw.is_none() && rng.gen_bool(0.05) {
                let held: Vec<u64> = self
                    .lines
                    .iter()
                    .filter(|(&l, st)| **st == St::Held && slice_of(l) == s)
                    .map(|(&l, _)| l)
                    .collect();
                if !held.is_empty() {
                    let line = held[rng.gen_range(0..held.len())];
                    self.write_back(s, line, false, rng);
                }
            }
            let sl = &self.slices[s];
            p.ar_valid.set_bit(0, sl.ar.is_some());
            if let Some((id, line)) = sl.ar {
                p.ar_id.set_bits(0, 7, id);
                p.ar_addr.set_bits(0, 38, line << 7);
            }
            p.aw_valid.set_bit(0, sl.aw.is_some());
            p.w_valid.set_bit(0, sl.aw.is_some());
            if let Some((id, line, data, beat, _)) = &sl.aw {
                p.aw_id.set_bits(0, 7, *id);
                p.aw_addr.set_bits(0, 38, line << 7);
                p.w_data.set_bytes(&data[beat * BEAT..(beat + 1) * BEAT]);
                p.w_last.set_bit(0, *beat == 1);
            }
            p.lcia_valid.set_bit(0, sl.lcia.is_some());
            if let Some(a) = sl.lcia {
                p.lcia_data.set_bits(0, 64, a);
            }
            for r in [p.b_ready, p.r_ready, p.lci_ready, p.ul_ready] {
                r.set_bit(0, rng.gen_bool(0.7));
            }
        }
    }

    fn write_back(&mut self, s: usize, line: u64, answers: bool, rng: &mut ChaCha8Rng) {
        let data: Line = (0..LINE_BYTES).map(|_| rng.gen()).collect();
        self.written
            .entry(line)
            .or_default()
            .push_back(data.clone());
        self.next_id = (self.next_id + 1) % 128;
        self.slices[s].aw = Some((self.next_id, line, data, 0, answers));
        self.lines.insert(line, St::Writing);
    }

    /// App side, just before its edge.
    fn app_sample(&mut self, d: &Dut) {
        let (u, n) = (&d.c2n, &d.n2c);
        if u.valid.bit(0) && self.c2n_ready {
            self.c2n_beats.extend(u.data.get_bytes());
            if u.last.bit(0) {
                let beats = std::mem::take(&mut self.c2n_beats);
                let (op, line) = (u.op.get_bits(0, 3), u.line.get_bits(0, 25));
                assert_eq!(
                    u.id.get_bits(0, ID_WIDTH),
                    core_of(line, ID_WIDTH),
                    "id of {line:#x}"
                );
                match op {
                    up::RD_EXCL => {
                        assert_eq!(beats.len(), BEAT);
                        self.to_answer[core_of(line, ID_WIDTH) as usize].push_back(line);
                    }
                    up::EVICT_DIRTY => {
                        assert_eq!(beats.len(), LINE_BYTES as usize);
                        let want = self.written.get_mut(&line).and_then(|q| q.pop_front());
                        assert_eq!(Some(&beats), want.as_ref(), "write-back of {line:#x}");
                        self.mem.insert(line, beats);
                        self.granted.retain(|&l| l != line);
                        count(self, "evict");
                    }
                    up::ACK => {
                        let open = self.inv_open.get_mut(&line).expect("ACK without INV");
                        *open -= 1;
                        if *open == 0 {
                            self.inv_open.remove(&line);
                        }
                        count(self, "ack");
                    }
                    _ => panic!("c2n opcode {op}"),
                }
            }
        }
        if n.valid.get_bits(0, 1) == 1 && n.ready.bit(0) {
            let m = self.n2c.as_mut().unwrap();
            m.4 += 1;
            if m.0 == down::INV || m.4 == 2 {
                self.n2c = None;
            }
        }
    }

    /// App side, after its edge.
    fn app_drive(&mut self, d: &Dut, rng: &mut ChaCha8Rng) {
        if self.n2c.is_none() {
            let cores: Vec<usize> = (0..CORES as usize)
                .filter(|&c| !self.to_answer[c].is_empty())
                .collect();
            if !cores.is_empty() && rng.gen_bool(0.3) {
                let line = self.to_answer[cores[rng.gen_range(0..cores.len())]]
                    .pop_front()
                    .unwrap();
                let err = rng.gen_bool(0.05);
                let data = match err {
                    true => vec![0; LINE_BYTES as usize],
                    false => self
                        .mem
                        .entry(line)
                        .or_insert_with(|| (0..LINE_BYTES).map(|_| rng.gen()).collect())
                        .clone(),
                };
                self.sent
                    .entry(line)
                    .or_default()
                    .push_back((data.clone(), err));
                if !err {
                    self.granted.push(line);
                }
                self.n2c = Some((down::DATA, line, err, data, 0));
            } else if !self.granted.is_empty() && rng.gen_bool(0.05) {
                let line = self
                    .granted
                    .swap_remove(rng.gen_range(0..self.granted.len()));
                *self.inv_open.entry(line).or_default() += 1;
                count(self, "inv");
                self.n2c = Some((down::INV, line, false, vec![0; BEAT], 0));
            }
        }
        let n = &d.n2c;
        n.valid.set_bit(0, self.n2c.is_some());
        if let Some((op, line, err, data, beat)) = &self.n2c {
            n.op.set_bits(0, 3, *op);
            n.line.set_bits(0, 25, *line);
            n.id.set_bits(0, ID_WIDTH, core_of(*line, ID_WIDTH));
            n.err.set_bit(0, *err);
            n.data.set_bytes(&data[beat * BEAT..(beat + 1) * BEAT]);
            n.last.set_bit(0, *op == down::INV || *beat == 1);
        }
        self.c2n_ready = rng.gen_bool(0.7);
        d.c2n.ready.set_bit(0, self.c2n_ready);
    }
}

/// One slice's ports.
fn ports(d: &Dut, s: usize) -> DcsPorts<'_> {
    let slices = sim_models::dcs_ports!(d);
    slices.into_iter().nth(s).expect("a slice")
}

/// Idle inputs, then both resets for four edges of each clock.
fn reset(d: &Dut, c: &mut Clocks) {
    dcs_shell::idle(&sim_models::dcs_ports!(d));
    d.n2c.valid.set_bit(0, false);
    d.c2n.ready.set_bit(0, false);
    let clks: [&dyn PortWrite; 2] = [&d.shell_clk, &d.app_clk];
    for release in [true, false] {
        d.shell_rst.set_bit(0, release);
        d.app_rst.set_bit(0, release);
        let start = [c.edges(0), c.edges(1)];
        while (0..2).any(|i| c.edges(i) < start[i] + 4) {
            c.advance();
            c.settle(d).unwrap();
            c.edge(d, &clks).unwrap();
        }
    }
}

fn run(rng: &mut ChaCha8Rng, d: &Dut, periods: [u64; 2], reads: u64) {
    let first = [rng.gen_range(1..=periods[0]), rng.gen_range(1..=periods[1])];
    let mut clocks = Clocks::with_first_edges(&periods, &first);
    reset(d, &mut clocks);
    let clks: [&dyn PortWrite; 2] = [&d.shell_clk, &d.app_clk];
    let mut b = Bench::new(reads);
    b.shell_drive(d, rng);
    b.app_drive(d, rng);
    while !b.done() {
        assert!(clocks.edges(SHELL) < 400 * reads, "stuck: {:?}", b.counts);
        let due = clocks.advance();
        clocks.settle(d).unwrap();
        if due.has(SHELL) {
            b.shell_sample(d);
        }
        if due.has(APP) {
            b.app_sample(d);
        }
        clocks.edge(d, &clks).unwrap();
        if due.has(SHELL) {
            b.shell_drive(d, rng);
        }
        if due.has(APP) {
            b.app_drive(d, rng);
        }
    }
    let c = &b.counts;
    assert_eq!(c["r"], reads, "every read answered once");
    assert_eq!(c["evict"], c["b"], "every write-back crossed once");
    for k in ["lci", "ack", "ul"] {
        assert_eq!(c[k], c["inv"], "{k} per INV");
    }
    // Not vacuous: invalidations, write-backs (some answering an LCI) and err answers.
    assert!(c["inv"] > 10 && c["evict"] > 10, "not vacuous: {c:?}");
    assert!(
        c.contains_key("lci_write_back") && c.contains_key("r_err"),
        "{c:?}"
    );
    println!(
        "periods {periods:?} ps: {c:?}, {} shell / {} app edges",
        clocks.edges(SHELL),
        clocks.edges(APP)
    );
}

#[test]
fn every_dcs_request_is_answered_once_with_its_data_across_the_clocks() {
    let mut rng = seed::rng("dcs_adapter");
    let d = Dut::new();
    let (fast, slow) = (period_ps(322.265625), period_ps(250.0));
    for periods in [[fast, slow], [slow, fast]] {
        run(&mut rng, &d, periods, 400);
    }
    for _ in 0..2 {
        let periods = [rng.gen_range(1000..8000), rng.gen_range(1000..8000)];
        run(&mut rng, &d, periods, 300);
    }
}

//! Cycle-accurate reference of `hdl::lauberhorn::scheduler`: the same queues, the same
//! round-robin picks, the same outputs for the same inputs in every cycle.

// Fields are the RTL ports of the same names.
#![allow(missing_docs)]

use hdl::lauberhorn::scheduler::{mode, SchedulerCfg};
use std::collections::VecDeque;

/// The scheduler's inputs in one cycle.
#[derive(Clone, Debug, Default)]
pub struct SchedIn {
    /// Per core, its mode and process.
    pub modes: Vec<u64>,
    pub processes: Vec<u32>,
    /// Waiting endpoints (bit `e`).
    pub waiting: u64,
    /// The endpoints accept the assignment offered.
    pub assign_ok: bool,
    /// A request: its slot and process.
    pub req: Option<(u32, u32)>,
}

/// The scheduler's outputs in one cycle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchedOut {
    /// The assignment offered: endpoint, slot.
    pub assign: Option<(u32, u32)>,
    pub req_ready: bool,
    /// The request (if any) would join its queue, rather than be refused.
    pub req_queued: bool,
    pub backlog: bool,
}

/// Per-process statistics.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProcStats {
    pub arrived: u64,
    pub dispatched: u64,
    pub refused: u64,
}

/// The model.
pub struct SchedModel {
    cfg: SchedulerCfg,
    pub queues: Vec<VecDeque<u32>>,
    pub stats: Vec<ProcStats>,
    /// Positions after the last pick (the `above` masks of the RTL).
    e_after: u64,
    k_after: u64,
}

/// The first set bit of `req` above the positions `after` marks, else its first set bit.
fn rr(req: u64, after: u64) -> Option<u32> {
    let later = req & after;
    let v = if later != 0 { later } else { req };
    (v != 0).then(|| v.trailing_zeros())
}

/// Positions strictly above `i`.
fn above(i: u32) -> u64 {
    u64::MAX.checked_shl(i + 1).unwrap_or(0)
}

impl SchedModel {
    pub fn new(cfg: SchedulerCfg) -> Self {
        SchedModel {
            queues: vec![VecDeque::new(); cfg.processes as usize],
            stats: vec![ProcStats::default(); cfg.processes as usize],
            cfg,
            e_after: 0,
            k_after: 0,
        }
    }

    fn served(&self, i: &SchedIn) -> u64 {
        (0..self.cfg.cores as usize)
            .filter(|&c| i.modes[c] == mode::USER)
            .fold(0, |a, c| a | 1 << i.processes[c])
    }

    fn nonempty(&self) -> u64 {
        (0..self.queues.len())
            .filter(|&p| !self.queues[p].is_empty())
            .fold(0, |a, p| a | 1 << p)
    }

    /// The endpoint and process picked this cycle.
    fn pick(&self, i: &SchedIn) -> Option<(u32, u32)> {
        let orphans = self.nonempty() & !self.served(i);
        let mut cand = 0u64;
        for e in 0..2 * self.cfg.cores {
            let c = (e / 2) as usize;
            let ok = if e % 2 == 0 {
                i.modes[c] == mode::USER && self.nonempty() >> i.processes[c] & 1 == 1
            } else {
                i.modes[c] == mode::KERNEL && orphans != 0
            };
            if ok && i.waiting >> e & 1 == 1 {
                cand |= 1 << e;
            }
        }
        let e = rr(cand, self.e_after)?;
        let p = if e % 2 == 0 {
            i.processes[(e / 2) as usize]
        } else {
            rr(orphans, self.k_after).unwrap()
        };
        Some((e, p))
    }

    pub fn outputs(&self, i: &SchedIn) -> SchedOut {
        let pick = self.pick(i);
        let req_ready = match (pick, i.req) {
            (Some((_, p)), Some((_, rp))) => p != rp,
            _ => true,
        };
        let req_queued = i
            .req
            .is_none_or(|(_, p)| self.queues[p as usize].len() < self.cfg.queue_limit as usize);
        SchedOut {
            assign: pick.map(|(e, p)| (e, self.queues[p as usize][0])),
            req_ready,
            req_queued,
            backlog: self.nonempty() & !self.served(i) != 0,
        }
    }

    /// The clock edge.
    pub fn step(&mut self, i: &SchedIn) {
        let out = self.outputs(i);
        if let (Some((e, p)), true) = (self.pick(i), i.assign_ok) {
            self.e_after = above(e);
            if e % 2 == 1 {
                self.k_after = above(p);
            }
            self.queues[p as usize].pop_front();
            self.stats[p as usize].dispatched += 1;
        }
        if let (Some((slot, p)), true) = (i.req, out.req_ready) {
            if out.req_queued {
                self.queues[p as usize].push_back(slot);
                self.stats[p as usize].arrived += 1;
            } else {
                self.stats[p as usize].refused += 1;
            }
        }
    }
}

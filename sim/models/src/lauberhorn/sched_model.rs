//! Cycle-accurate reference of `hdl::lauberhorn::scheduler`: the same queues, the same
//! round-robin picks, the same pipeline (inputs registered, pick, offer, the queue
//! updated a cycle after the take), the same outputs for the same inputs in every
//! cycle.

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

/// An assignment in the pipeline: endpoint, process, slot.
type Offer = (u32, u32, u32);

/// The model.
pub struct SchedModel {
    cfg: SchedulerCfg,
    pub queues: Vec<VecDeque<u32>>,
    pub stats: Vec<ProcStats>,
    /// Positions after the last pick (the `above` masks of the RTL).
    e_after: u64,
    k_after: u64,
    /// The inputs registered on entry: per core its mode and process, waiting endpoints.
    modes: Vec<u64>,
    processes: Vec<u32>,
    waiting: u64,
    /// The pick, offered now: endpoint, the kernel endpoints' process, the cores'
    /// processes it saw.
    picked: Option<u32>,
    picked_kernel: Option<u32>,
    picked_processes: Vec<u32>,
    /// The assignment taken last cycle: its queue updates now.
    taken: Option<Offer>,
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
        let nc = cfg.cores as usize;
        SchedModel {
            queues: vec![VecDeque::new(); cfg.processes as usize],
            stats: vec![ProcStats::default(); cfg.processes as usize],
            cfg,
            e_after: 0,
            k_after: 0,
            modes: vec![mode::OTHER; nc],
            processes: vec![0; nc],
            waiting: 0,
            picked: None,
            picked_kernel: None,
            picked_processes: vec![0; nc],
            taken: None,
        }
    }

    /// Processes some core runs in user mode, by the registered scheduling state.
    fn served(&self) -> u64 {
        (0..self.cfg.cores as usize)
            .filter(|&c| self.modes[c] == mode::USER)
            .fold(0, |a, c| a | 1 << self.processes[c])
    }

    fn nonempty(&self) -> u64 {
        (0..self.queues.len())
            .filter(|&p| !self.queues[p].is_empty())
            .fold(0, |a, p| a | 1 << p)
    }

    fn orphans(&self) -> u64 {
        self.nonempty() & !self.served()
    }

    /// The endpoint picked this cycle: round robin over the waiting endpoints with work,
    /// but the one taken last cycle.
    fn pick(&self) -> Option<u32> {
        let mut cand = 0u64;
        for e in 0..2 * self.cfg.cores {
            let c = (e / 2) as usize;
            let ok = if e % 2 == 0 {
                self.modes[c] == mode::USER && self.nonempty() >> self.processes[c] & 1 == 1
            } else {
                self.modes[c] == mode::KERNEL && self.orphans() != 0
            };
            let just_taken = self.taken.is_some_and(|t| t.0 == e);
            if ok && self.waiting >> e & 1 == 1 && !just_taken {
                cand |= 1 << e;
            }
        }
        rr(cand, self.e_after)
    }

    /// The assignment offered this cycle: last cycle's pick, its process and the head of
    /// that queue, unless a taken assignment updates the queues.
    fn offering(&self) -> Option<Offer> {
        let e = self.picked.filter(|_| self.taken.is_none())?;
        let p = if e % 2 == 0 {
            self.picked_processes[(e / 2) as usize]
        } else {
            self.picked_kernel
                .expect("a kernel endpoint is picked with an orphan")
        };
        let head = *self.queues[p as usize]
            .front()
            .expect("the queue of a pick is not empty");
        Some((e, p, head))
    }

    pub fn outputs(&self, i: &SchedIn) -> SchedOut {
        let req_ready = match (self.taken, i.req) {
            (Some((_, p, _)), Some((_, rp))) => p != rp,
            _ => true,
        };
        let req_queued = i
            .req
            .is_none_or(|(_, p)| self.queues[p as usize].len() < self.cfg.queue_limit as usize);
        SchedOut {
            assign: self.offering().map(|(e, _, slot)| (e, slot)),
            req_ready,
            req_queued,
            backlog: self.orphans() != 0,
        }
    }

    /// The clock edge.
    pub fn step(&mut self, i: &SchedIn) {
        let out = self.outputs(i);
        // A pick made while the queues update does not see the update: dropped.
        let picked = self.pick().filter(|_| self.taken.is_none());
        let picked_kernel = rr(self.orphans(), self.k_after);
        let taken = self.offering().filter(|_| i.assign_ok);
        if let Some((e, p, slot)) = self.taken {
            self.e_after = above(e);
            if e % 2 == 1 {
                self.k_after = above(p);
            }
            assert_eq!(self.queues[p as usize].pop_front(), Some(slot));
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
        self.picked_processes = self.processes.clone();
        self.picked = picked;
        self.picked_kernel = picked_kernel;
        self.taken = taken;
        self.modes = i.modes.clone();
        self.processes = i.processes.clone();
        self.waiting = i.waiting;
    }
}

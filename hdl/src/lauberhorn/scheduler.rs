//! The scheduler (Lauberhorn §5.2): the kernel's scheduling state decides which endpoint
//! a request goes to.
//!
//! The kernel tells the NIC, per core, which process it runs and in which mode
//! (`core_mode`, `core_process`; see [`mode`]). Requests (a slot already holding the
//! request, and the process the service table named) join their process's queue, a
//! linked list through the slots, up to `queue_limit` per process (past it the request is
//! refused and the caller frees the slot). Waiting endpoints are served one at a time:
//! * the user endpoint of a core in [`mode::USER`] takes the head of its process's queue;
//! * the kernel endpoint of a core in [`mode::KERNEL`] takes the head of a queue whose
//!   process no core runs in user mode (the kernel then switches to that process), so
//!   requests for a running process stay with its cores;
//! * a core in [`mode::OTHER`] gets nothing.
//!
//! Endpoints and, for kernel endpoints, processes are picked round robin, in a pipeline
//! that keeps every stage shallow: the scheduling state and `waiting` are registered on
//! entry; a cycle picks the endpoint (and the kernel endpoints' process), the next offers
//! the head of the pick's queue. A taken offer updates its queue one cycle later, and the
//! pick made before that update is dropped, so an assignment is offered at most every
//! third cycle.
//! `backlog` says a request waits for a process no core runs, so the kernel knows to
//! dispatch (or to move a core over); the per-process counters (`stat_*`, read by process) are the load
//! statistics it reallocates cores by.

use crate::blocks::onehot::{above, encode, rr_pick, select};
use crate::config::LauberhornConfig;
use crate::ir::{
    cat, clog2, lit, Expr, HdlErrors, Mem, Module, ModuleBuilder, PortDir, RamStyle, Sig,
};
use std::rc::Rc;

/// Core modes, as the kernel writes them.
pub mod mode {
    /// Running something else: its endpoints get no requests.
    pub const OTHER: u64 = 0;
    /// In the process's user-mode dispatch loop, on its user endpoint.
    pub const USER: u64 = 1;
    /// In the kernel's dispatch loop, on its kernel endpoint: requests for any process
    /// that no core runs.
    pub const KERNEL: u64 = 2;
    /// Bits of a mode.
    pub const WIDTH: u32 = 2;
}

/// Bits of each statistics counter.
pub const STAT_WIDTH: u32 = 32;

crate::port_group! {
    /// A request in a slot for a process, from the receive path; `queued` when it waits.
    pub struct Request = "req" {
        valid: forward,
        slot: forward,
        process: forward,
        ready: backward,
        queued: backward,
    }
}

/// Parameters of [`scheduler`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SchedulerCfg {
    pub cores: u32,
    pub processes: u32,
    pub slots: u32,
    pub queue_limit: u32,
}

impl SchedulerCfg {
    pub fn new(cfg: &LauberhornConfig) -> Self {
        SchedulerCfg {
            cores: cfg.cores,
            processes: cfg.processes,
            slots: cfg.slots,
            queue_limit: cfg.queue_limit,
        }
    }

    /// Bits of a process index.
    pub fn process_width(&self) -> u32 {
        clog2(u64::from(self.processes))
    }

    /// Bits of a queue length.
    pub fn count_width(&self) -> u32 {
        clog2(u64::from(self.queue_limit) + 1)
    }

    fn validate(&self, module: &str) -> Result<(), HdlErrors> {
        let c = LauberhornConfig {
            cores: self.cores,
            processes: self.processes,
            slots: self.slots,
            queue_limit: self.queue_limit,
            ..LauberhornConfig::default()
        };
        let problems = c.problems();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(HdlErrors::param(module, problems.join("; ")))
        }
    }
}

pub fn scheduler(cfg: SchedulerCfg) -> Result<Rc<Module>, HdlErrors> {
    let name = format!(
        "lauberhorn_scheduler_c{}_p{}_s{}_q{}",
        cfg.cores, cfg.processes, cfg.slots, cfg.queue_limit
    );
    cfg.validate(&name)?;
    let (nc, np) = (cfg.cores, cfg.processes);
    let n_ep = 2 * nc;
    let ew = clog2(u64::from(n_ep));
    let pw = cfg.process_width();
    let sw = clog2(u64::from(cfg.slots));
    let mut m = ModuleBuilder::new(&name);
    m.doc(format!(
        "Lauberhorn scheduler: {nc} cores (user and kernel endpoints), {np} process queues of\n\
         up to {} requests in {} slots; picks, resolves and offers in a pipeline.",
        cfg.queue_limit, cfg.slots
    ));
    let port =
        |m: &mut ModuleBuilder, g: &str, f: &str, w: u32, d: PortDir| m.group_port(g, f, w, d);
    let req = Req {
        valid: port(&mut m, "req", "valid", 1, PortDir::In),
        ready: port(&mut m, "req", "ready", 1, PortDir::Out),
        slot: port(&mut m, "req", "slot", sw, PortDir::In),
        process: port(&mut m, "req", "process", pw, PortDir::In),
        queued: port(&mut m, "req", "queued", 1, PortDir::Out),
    };
    let core_mode = m.input("core_mode", mode::WIDTH * nc);
    let core_process = m.input("core_process", pw * nc);
    let waiting = m.input("waiting", n_ep);
    let assign = Assign {
        valid: port(&mut m, "assign", "valid", 1, PortDir::Out),
        ep: port(&mut m, "assign", "ep", ew, PortDir::Out),
        slot: port(&mut m, "assign", "slot", sw, PortDir::Out),
        ok: port(&mut m, "assign", "ok", 1, PortDir::In),
    };
    let backlog = m.output("backlog", 1);
    let q = Queues::new(&mut m, cfg);

    // The scheduling state and the waiting endpoints, registered on entry: the pick reads
    // them one cycle late, together.
    let mode_r = m.reg_reset("core_mode_r", mode::WIDTH * nc, 0);
    let proc_r = m.reg("core_process_r", pw * nc);
    let waiting_r = m.reg_reset("waiting_r", n_ep, 0);
    let served_now = cat((0..np).rev().map(|p| {
        (0..nc)
            .map(|c| {
                core_mode.slice(c * mode::WIDTH, mode::WIDTH).eq(mode::USER)
                    & core_process.slice(c * pw, pw).eq(u64::from(p))
            })
            .reduce(|a, b| a | b)
            .unwrap()
    }));
    let served = m.reg_reset("served", np, 0);
    m.set(&mode_r, &core_mode);
    m.set(&proc_r, &core_process);
    m.set(&waiting_r, &waiting);
    m.set(&served, served_now);
    let nonempty = m.node(
        "nonempty",
        cat((0..np)
            .rev()
            .map(|p| Expr::from(&q.count[p as usize]).ne(0u64))),
    );
    let orphans = m.node("orphans", &nonempty & !&served);
    m.set(&backlog, orphans.any());

    // A taken assignment updates its queue one cycle later (`taken`), from registers.
    let taken = Taken {
        valid: m.reg_reset("taken", 1, 0),
        pick: m.reg("taken_pick", n_ep),
        process: m.reg("taken_proc", pw),
        slot: m.reg("taken_slot", sw),
    };
    let entry = Entry {
        mode: mode_r,
        process: proc_r,
        waiting: waiting_r,
        nonempty,
        orphans,
    };
    pick_and_offer(&mut m, cfg, &q, &entry, &taken, &assign);
    let after_head = m.mem_read_async(q.next, "next_of_head", &taken.slot.clone().into());
    update_queues(&mut m, cfg, &q, &req, &taken, &after_head);
    statistics(&mut m, &q, pw);
    // Port groups declared by hand where they are used, in port order.
    Request::mark(&mut m, crate::bundles::Side::Sink);
    crate::lauberhorn::endpoints::SlotAssign::mark(&mut m, crate::bundles::Side::Source);
    m.finish()
}

/// The request port ([`Request`]).
struct Req {
    valid: Sig,
    ready: Sig,
    slot: Sig,
    process: Sig,
    queued: Sig,
}

/// The assignment port (`SlotAssign`).
struct Assign {
    valid: Sig,
    ep: Sig,
    slot: Sig,
    ok: Sig,
}

/// Per process: its queue (head, tail, length) and counters.
struct Queues {
    head: Vec<Sig>,
    tail: Vec<Sig>,
    count: Vec<Sig>,
    arrived: Vec<Sig>,
    dispatched: Vec<Sig>,
    refused: Vec<Sig>,
    next: Mem,
}

impl Queues {
    fn new(m: &mut ModuleBuilder, cfg: SchedulerCfg) -> Queues {
        let np = cfg.processes;
        let sw = clog2(u64::from(cfg.slots));
        let per_process = |m: &mut ModuleBuilder, what: &str, w: u32, reset: bool| -> Vec<Sig> {
            (0..np)
                .map(|p| match reset {
                    true => m.reg_reset(&format!("p{p}_{what}"), w, 0),
                    false => m.reg(&format!("p{p}_{what}"), w),
                })
                .collect()
        };
        let head = per_process(m, "head", sw, false);
        let tail = per_process(m, "tail", sw, false);
        let count = per_process(m, "count", cfg.count_width(), true);
        let arrived = per_process(m, "arrived", STAT_WIDTH, true);
        let dispatched = per_process(m, "dispatched", STAT_WIDTH, true);
        let refused = per_process(m, "refused", STAT_WIDTH, true);
        let next = m.memory("next", sw, u64::from(cfg.slots), RamStyle::Distributed);
        m.describe(
            &head[0],
            "Queues are linked lists through the slots: `next[slot]`.",
        );
        Queues {
            head,
            tail,
            count,
            arrived,
            dispatched,
            refused,
            next,
        }
    }
}

/// The scheduling state registered on entry, and the queues it makes candidates.
struct Entry {
    mode: Sig,
    process: Sig,
    waiting: Sig,
    nonempty: Sig,
    orphans: Sig,
}

/// The assignment taken last cycle.
struct Taken {
    valid: Sig,
    pick: Sig,
    process: Sig,
    slot: Sig,
}

/// Pick: the endpoint (round robin over the candidates) and, for kernel endpoints, the
/// process (round robin over the orphaned queues); the next cycle offers the head of the
/// pick's queue.
fn pick_and_offer(
    m: &mut ModuleBuilder,
    cfg: SchedulerCfg,
    q: &Queues,
    entry: &Entry,
    taken: &Taken,
    assign: &Assign,
) {
    let (nc, np) = (cfg.cores, cfg.processes);
    let n_ep = 2 * nc;
    let ew = clog2(u64::from(n_ep));
    let pw = cfg.process_width();
    let c_mode = |c: u32| entry.mode.slice(c * mode::WIDTH, mode::WIDTH);
    let c_proc = |c: u32| entry.process.slice(c * pw, pw);
    let (orphans, nonempty) = (&entry.orphans, &entry.nonempty);
    // Endpoint 2c is core c's user endpoint, 2c + 1 its kernel endpoint; the one just taken
    // is no candidate.
    let k_after = m.reg_reset("kernel_after", np, 0);
    let k_pick = rr_pick(
        m,
        "kernel_pick",
        &orphans.clone().into(),
        &k_after.clone().into(),
    );
    let cand = m.node(
        "candidates",
        cat((0..n_ep).rev().map(|e| {
            let c = e / 2;
            let free = entry.waiting.bit(e) & !(&taken.valid & taken.pick.bit(e));
            if e % 2 == 0 {
                free & c_mode(c).eq(mode::USER) & nonempty.index(&c_proc(c))
            } else {
                free & c_mode(c).eq(mode::KERNEL) & orphans.any()
            }
        })),
    );
    let e_after = m.reg_reset("endpoint_after", n_ep, 0);
    let e_pick = rr_pick(
        m,
        "endpoint_pick",
        &cand.clone().into(),
        &e_after.clone().into(),
    );
    // The pick is the offer of the next cycle: its queue is non-empty then, unless a taken
    // assignment updates the queues now (the pick does not see that update).
    let offer_valid = m.reg_reset("offer_valid", 1, 0);
    let picked = m.reg("picked", n_ep);
    let offer_ep = m.reg("offer_ep", ew);
    // One-hot: its index is its encoding, so bit 0 is never read.
    let picked_kernel = m.reg("picked_kernel", np);
    m.unused(&picked_kernel);
    let picked_procs = m.reg("picked_procs", pw * nc);
    m.set(&offer_valid, e_pick.any() & !&taken.valid);
    m.set(&picked, &e_pick);
    m.set(&offer_ep, encode(&e_pick.clone().into(), ew));
    m.set(&picked_kernel, &k_pick);
    m.set(&picked_procs, &entry.process);

    // Offer: the pick's process and the head of its queue; taken when the endpoints
    // accept.
    let k_proc = encode(&picked_kernel.clone().into(), pw);
    let procs: Vec<Expr> = (0..n_ep)
        .map(|e| {
            if e % 2 == 0 {
                picked_procs.slice(e / 2 * pw, pw)
            } else {
                k_proc.clone()
            }
        })
        .collect();
    let proc_ = m.node("offer_process", select(&procs, &offer_ep.clone().into()));
    let heads: Vec<Expr> = q.head.iter().map(Expr::from).collect();
    let slot = m.node("offer_slot", select(&heads, &proc_.clone().into()));
    let offering = m.node("offering", &offer_valid & !&taken.valid);
    m.set(&assign.valid, &offering);
    m.set(&assign.ep, &offer_ep);
    m.set(&assign.slot, &slot);
    m.set(&taken.valid, &offering & &assign.ok);
    m.set(&taken.pick, &picked);
    m.set(&taken.process, &proc_);
    m.set(&taken.slot, &slot);
    m.when(&taken.valid, |m| {
        m.set(&e_after, above(&taken.pick.clone().into()));
    });
    let taken_kernel = (0..nc)
        .map(|c| taken.pick.bit(2 * c + 1))
        .reduce(|a, b| a | b)
        .unwrap();
    m.when(&taken.valid & taken_kernel, |m| {
        m.set(
            &k_after,
            cat((0..np).rev().map(|p| match p {
                0 => lit(0, 1),
                _ => Expr::from(&taken.process).lt(u64::from(p)),
            })),
        );
    });
}

/// A request joins its queue, and a taken assignment leaves it (`after_head` is the slot
/// behind the taken one).
fn update_queues(
    m: &mut ModuleBuilder,
    cfg: SchedulerCfg,
    q: &Queues,
    req: &Req,
    taken: &Taken,
    after_head: &Sig,
) {
    let (np, cw) = (cfg.processes, cfg.count_width());
    // A request joins unless its queue is being updated this cycle.
    let clash = m.node(
        "clash",
        &taken.valid & Expr::from(&taken.process).eq(&req.process),
    );
    m.set(&req.ready, !&clash);
    let counts: Vec<Expr> = q.count.iter().map(Expr::from).collect();
    let tails: Vec<Expr> = q.tail.iter().map(Expr::from).collect();
    let r_count = m.node("req_count", select(&counts, &req.process.clone().into()));
    let fits = m.node("req_fits", r_count.lt(u64::from(cfg.queue_limit)));
    m.set(&req.queued, &fits);
    let fire = m.node("req_fire", &req.valid & !&clash);
    let join = m.node("req_join", &fire & &fits);
    m.mem_write(
        q.next,
        &join & r_count.ne(0u64),
        &select(&tails, &req.process.clone().into()),
        &req.slot.clone().into(),
    );
    for p in 0..np as usize {
        let me_req = Expr::from(&req.process).eq(p as u64);
        let me_take = &taken.valid & Expr::from(&taken.process).eq(p as u64);
        m.when(&join & &me_req, |m| {
            m.when(Expr::from(&q.count[p]).eq(0u64), |m| {
                m.set(&q.head[p], &req.slot)
            });
            m.set(&q.tail[p], &req.slot);
            m.set(&q.count[p], &q.count[p] + lit(1, cw));
            m.set(&q.arrived[p], &q.arrived[p] + lit(1, STAT_WIDTH));
        });
        m.when(&fire & !&fits & &me_req, |m| {
            m.set(&q.refused[p], &q.refused[p] + lit(1, STAT_WIDTH));
        });
        m.when(&me_take, |m| {
            m.set(&q.head[p], after_head);
            m.set(&q.count[p], &q.count[p] - lit(1, cw));
            m.set(&q.dispatched[p], &q.dispatched[p] + lit(1, STAT_WIDTH));
        });
    }
}

/// Load statistics, read by process.
fn statistics(m: &mut ModuleBuilder, q: &Queues, pw: u32) {
    let stat_process = m.input("stat_process", pw);
    let read = |m: &mut ModuleBuilder, f: &str, regs: &[Sig]| {
        let items: Vec<Expr> = regs.iter().map(Expr::from).collect();
        let wd = items[0].width();
        let o = m.group_port("stat", f, wd, PortDir::Out);
        m.set(&o, select(&items, &stat_process.clone().into()));
    };
    read(m, "queued", &q.count);
    read(m, "arrived", &q.arrived);
    read(m, "dispatched", &q.dispatched);
    read(m, "refused", &q.refused);
}

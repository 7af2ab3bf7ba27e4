//! The scheduler (Lauberhorn §5.2): the kernel's scheduling state decides which endpoint
//! a request goes to.
//!
//! The kernel tells the NIC, per core, which process it runs and in which mode
//! (`core_mode`, `core_process`; see [`mode`]). Requests (a slot already holding the
//! request, and the process the service table named) join their process's queue, a
//! linked list through the slots, up to `queue_limit` per process (past it the request is
//! refused and the caller frees the slot). Each cycle one waiting endpoint is served:
//! * the user endpoint of a core in [`mode::USER`] takes the head of its process's queue;
//! * the kernel endpoint of a core in [`mode::KERNEL`] takes the head of a queue whose
//!   process no core runs in user mode (the kernel then switches to that process), so
//!   requests for a running process stay with its cores;
//! * a core in [`mode::OTHER`] gets nothing.
//!
//! Endpoints and, for kernel endpoints, processes are picked round robin. `backlog` says a
//! request waits for a process no core runs, so the kernel knows to dispatch (or to move
//! a core over); the per-process counters (`stat_*`, read by process) are the load
//! statistics it reallocates cores by.

use crate::blocks::onehot::{above, encode, rr_pick, select};
use crate::config::LauberhornConfig;
use crate::ir::{cat, clog2, lit, Expr, HdlErrors, Module, ModuleBuilder, PortDir, RamStyle};
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
    let cw = cfg.count_width();
    let mut m = ModuleBuilder::new(&name);
    m.doc(format!(
        "Lauberhorn scheduler: {nc} cores (user and kernel endpoints), {np} process queues of\n\
         up to {} requests in {} slots; one assignment per cycle.",
        cfg.queue_limit, cfg.slots
    ));
    let port =
        |m: &mut ModuleBuilder, g: &str, f: &str, w: u32, d: PortDir| m.group_port(g, f, w, d);
    let req_valid = port(&mut m, "req", "valid", 1, PortDir::In);
    let req_ready = port(&mut m, "req", "ready", 1, PortDir::Out);
    let req_slot = port(&mut m, "req", "slot", sw, PortDir::In);
    let req_process = port(&mut m, "req", "process", pw, PortDir::In);
    let req_queued = port(&mut m, "req", "queued", 1, PortDir::Out);
    let core_mode = m.input("core_mode", mode::WIDTH * nc);
    let core_process = m.input("core_process", pw * nc);
    let waiting = m.input("waiting", n_ep);
    let assign_valid = port(&mut m, "assign", "valid", 1, PortDir::Out);
    let assign_ep = port(&mut m, "assign", "ep", ew, PortDir::Out);
    let assign_slot = port(&mut m, "assign", "slot", sw, PortDir::Out);
    let assign_ok = port(&mut m, "assign", "ok", 1, PortDir::In);
    let backlog = m.output("backlog", 1);

    // Per process: its queue (head, tail, length) and counters.
    let head: Vec<_> = (0..np).map(|p| m.reg(&format!("p{p}_head"), sw)).collect();
    let tail: Vec<_> = (0..np).map(|p| m.reg(&format!("p{p}_tail"), sw)).collect();
    let count: Vec<_> = (0..np)
        .map(|p| m.reg_reset(&format!("p{p}_count"), cw, 0))
        .collect();
    let ctr = |m: &mut ModuleBuilder, what: &str| -> Vec<_> {
        (0..np)
            .map(|p| m.reg_reset(&format!("p{p}_{what}"), STAT_WIDTH, 0))
            .collect()
    };
    let (arrived, dispatched, refused) = (
        ctr(&mut m, "arrived"),
        ctr(&mut m, "dispatched"),
        ctr(&mut m, "refused"),
    );
    let next = m.memory("next", sw, u64::from(cfg.slots), RamStyle::Distributed);
    m.describe(
        &head[0],
        "Queues are linked lists through the slots: `next[slot]`.",
    );

    // Which processes run in user mode somewhere, and which have requests.
    let c_mode = |c: u32| core_mode.slice(c * mode::WIDTH, mode::WIDTH);
    let c_proc = |c: u32| core_process.slice(c * pw, pw);
    let served = m.node(
        "served",
        cat((0..np).rev().map(|p| {
            (0..nc)
                .map(|c| c_mode(c).eq(mode::USER) & c_proc(c).eq(u64::from(p)))
                .reduce(|a, b| a | b)
                .unwrap()
        })),
    );
    let nonempty = m.node(
        "nonempty",
        cat((0..np)
            .rev()
            .map(|p| Expr::from(&count[p as usize]).ne(0u64))),
    );
    let orphans = m.node("orphans", &nonempty & !&served);
    m.set(&backlog, orphans.any());

    // The kernel endpoints' process: round robin over the orphaned queues.
    let k_after = m.reg_reset("kernel_after", np, 0);
    let k_pick = rr_pick(
        &mut m,
        "kernel_pick",
        &orphans.clone().into(),
        &k_after.clone().into(),
    );
    let k_proc = m.node("kernel_process", encode(&k_pick.clone().into(), pw));
    // Candidates: endpoint 2c is core c's user endpoint, 2c + 1 its kernel endpoint.
    let cand = m.node(
        "candidates",
        cat((0..n_ep).rev().map(|e| {
            let c = e / 2;
            if e % 2 == 0 {
                waiting.bit(e) & c_mode(c).eq(mode::USER) & nonempty.index(&c_proc(c))
            } else {
                waiting.bit(e) & c_mode(c).eq(mode::KERNEL) & orphans.any()
            }
        })),
    );
    let e_after = m.reg_reset("endpoint_after", n_ep, 0);
    let e_pick = rr_pick(
        &mut m,
        "endpoint_pick",
        &cand.clone().into(),
        &e_after.clone().into(),
    );
    let ep = m.node("pick_ep", encode(&e_pick.clone().into(), ew));
    let user_procs: Vec<Expr> = (0..n_ep)
        .map(|e| {
            if e % 2 == 0 {
                c_proc(e / 2)
            } else {
                k_proc.clone().into()
            }
        })
        .collect();
    let proc_ = m.node("pick_process", select(&user_procs, &ep.clone().into()));
    let is_kernel = ep.bit(0);
    let heads: Vec<Expr> = head.iter().map(Expr::from).collect();
    let slot = m.node("pick_slot", select(&heads, &proc_.clone().into()));
    let any = m.node("pick_any", cand.any());
    m.set(&assign_valid, &any);
    m.set(&assign_ep, &ep);
    m.set(&assign_slot, &slot);
    let take = m.node("dispatch", &any & &assign_ok);
    m.when(&take, |m| {
        m.set(&e_after, above(&e_pick.clone().into()));
    });
    m.when(&take & &is_kernel, |m| {
        m.set(&k_after, above(&k_pick.clone().into()));
    });
    let after_head = m.mem_read_async(next, "next_of_head", &slot.clone().into());

    // A request joins its queue, unless its process is being dispatched this cycle.
    let clash = m.node("clash", &any & Expr::from(&proc_).eq(&req_process));
    m.set(&req_ready, !&clash);
    let counts: Vec<Expr> = count.iter().map(Expr::from).collect();
    let tails: Vec<Expr> = tail.iter().map(Expr::from).collect();
    let r_count = m.node("req_count", select(&counts, &req_process.clone().into()));
    let fits = m.node("req_fits", r_count.lt(u64::from(cfg.queue_limit)));
    m.set(&req_queued, &fits);
    let fire = m.node("req_fire", &req_valid & !&clash);
    let join = m.node("req_join", &fire & &fits);
    m.mem_write(
        next,
        &join & r_count.ne(0u64),
        &select(&tails, &req_process.clone().into()),
        &req_slot.clone().into(),
    );
    for p in 0..np as usize {
        let me_req = Expr::from(&req_process).eq(p as u64);
        let me_take = &take & Expr::from(&proc_).eq(p as u64);
        m.when(&join & &me_req, |m| {
            m.when(Expr::from(&count[p]).eq(0u64), |m| {
                m.set(&head[p], &req_slot)
            });
            m.set(&tail[p], &req_slot);
            m.set(&count[p], &count[p] + lit(1, cw));
            m.set(&arrived[p], &arrived[p] + lit(1, STAT_WIDTH));
        });
        m.when(&fire & !&fits & &me_req, |m| {
            m.set(&refused[p], &refused[p] + lit(1, STAT_WIDTH));
        });
        m.when(&me_take, |m| {
            m.set(&head[p], &after_head);
            m.set(&count[p], &count[p] - lit(1, cw));
            m.set(&dispatched[p], &dispatched[p] + lit(1, STAT_WIDTH));
        });
    }

    // Load statistics, read by process.
    let stat_process = m.input("stat_process", pw);
    let read = |m: &mut ModuleBuilder, f: &str, regs: &[crate::ir::Sig]| {
        let items: Vec<Expr> = regs.iter().map(Expr::from).collect();
        let wd = items[0].width();
        let o = m.group_port("stat", f, wd, PortDir::Out);
        m.set(&o, select(&items, &stat_process.clone().into()));
    };
    read(&mut m, "queued", &count);
    read(&mut m, "arrived", &arrived);
    read(&mut m, "dispatched", &dispatched);
    read(&mut m, "refused", &refused);
    // Port groups declared by hand where they are used, in port order.
    Request::mark(&mut m, crate::bundles::Side::Sink);
    crate::lauberhorn::endpoints::SlotAssign::mark(&mut m, crate::bundles::Side::Source);
    m.finish()
}

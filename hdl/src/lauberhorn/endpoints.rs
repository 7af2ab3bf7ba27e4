//! The CONTROL-line endpoints (Lauberhorn §5.1): the coherence home of every NIC-homed
//! line, with one state machine per endpoint (a user and a kernel endpoint per core).
//!
//! Requests wait in *slots* (a CONTROL line and its AUX lines each, in one block RAM).
//! An endpoint's lines are a window onto the slot bound to it, so a request is never
//! copied: the core's loads read the slot, its write-backs land in it, and the reply path
//! reads the response from it.
//!
//! Per endpoint, with `p` its parity (the CONTROL line carrying the current request):
//! * A load of CONTROL `p` with no request bound is **held** (`want`). The scheduler
//!   binds a slot to a waiting endpoint (`assign`), which answers the load with the slot's
//!   CONTROL line. After `timeout` cycles, or at once when the core is preempted, the
//!   load is answered TRYAGAIN instead, and the NIC takes that line back right away (so
//!   the core's next load misses again).
//! * With a request bound, loads of CONTROL `p` (after an eviction) and of the AUX lines
//!   are answered from the slot at once.
//! * A load of CONTROL `1 - p` acknowledges the request: every line the core holds is
//!   invalidated, the answers' dirty data written into the slot, and once every answer is
//!   in, the slot is handed to the reply path (`done`), `p` flips and the load is held as
//!   the next request's.
//! * Anything else (a load from the wrong core, of a line the state does not allow, a
//!   second held load) is a protocol violation, answered with an `err` line and counted.
//!
//! One event is handled per cycle, in priority order: a completed acknowledgement, an
//! assignment, a TRYAGAIN, an invalidation, then the `c2n` message. Every event but the
//! last is bounded by earlier work, so `c2n` never waits for long. Answers queue in a job
//! FIFO; the serializer turns each into `n2c` beats, reading slot lines from the RAM.

use crate::blocks::onehot::{encode, lowest_set, select};
use crate::blocks::sync_fifo::{sync_fifo, SyncFifoCfg};
use crate::bundles::{CohCfg, CohChannel, Side};
use crate::config::LauberhornConfig;
use crate::ir::{cat, clog2, lit, Expr, HdlErrors, Module, ModuleBuilder, RamStyle, Sig};
use crate::lauberhorn::coherence::{ctrl, down, line_beats, up, LINE_ADDR_WIDTH, OP_WIDTH};
use std::rc::Rc;

/// Parameters of [`endpoints`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EndpointsCfg {
    pub cores: u32,
    pub coh_width: u32,
    pub aux_lines: u32,
    pub slots: u32,
}

/// Bits of an endpoint's held-load timer and of `timeout`.
pub const TIMER_WIDTH: u32 = 24;
/// Entries of the job and output FIFOs.
const JOB_DEPTH: u64 = 8;
const OUT_DEPTH: u64 = 4;
const DONE_DEPTH: u64 = 4;

/// Job kinds: what a queued answer sends.
mod job {
    /// `DATA` of a slot line.
    pub const SLOT: u64 = 0;
    /// `DATA` of a TRYAGAIN line.
    pub const TRYAGAIN: u64 = 1;
    /// `DATA` with `err`.
    pub const ERR: u64 = 2;
    /// `INV`.
    pub const INV: u64 = 3;
}

impl EndpointsCfg {
    pub fn new(cfg: &LauberhornConfig) -> Self {
        EndpointsCfg {
            cores: cfg.cores,
            coh_width: cfg.coh_width,
            aux_lines: cfg.aux_lines,
            slots: cfg.slots,
        }
    }

    /// Endpoints: a user and a kernel endpoint per core.
    pub fn endpoints(&self) -> u32 {
        2 * self.cores
    }

    /// Lines an endpoint tracks: two CONTROL lines and the AUX lines.
    pub fn lines(&self) -> u32 {
        2 + self.aux_lines
    }

    /// Lines of a slot in the RAM: the CONTROL line and the AUX lines, rounded up to a
    /// power of two so a slot line's word address is a concatenation.
    pub fn slot_lines(&self) -> u32 {
        (1 + self.aux_lines).next_power_of_two()
    }

    pub fn beats(&self) -> u32 {
        line_beats(self.coh_width)
    }

    /// Bits of a core id on the link.
    pub fn id_width(&self) -> u32 {
        clog2(u64::from(self.cores)).max(1)
    }

    pub fn coh(&self) -> CohCfg {
        CohCfg {
            data_width: self.coh_width,
            id_width: self.id_width(),
        }
    }

    /// Words of the slot RAM.
    pub fn words(&self) -> u64 {
        u64::from(self.slots * self.slot_lines() * self.beats())
    }

    /// Word address of beat `beat` of line `line` (0 = CONTROL, 1 + k = AUX k) of `slot`.
    pub fn word(&self, slot: u32, line: u32, beat: u32) -> u64 {
        u64::from((slot * self.slot_lines() + line) * self.beats() + beat)
    }

    pub fn validate(&self, module: &str) -> Result<(), HdlErrors> {
        let c = LauberhornConfig {
            cores: self.cores,
            coh_width: self.coh_width,
            aux_lines: self.aux_lines,
            slots: self.slots,
            queue_limit: self.slots, // the scheduler's, checked there
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

/// Per-endpoint state registers.
struct Ep {
    par: Sig,
    bound: Sig,
    slot: Sig,
    want: Sig,
    flip: Sig,
    wrote: Sig,
    /// Lines the core may hold (bit j = endpoint line j).
    held: Sig,
    /// Lines to invalidate.
    todo: Sig,
    /// Invalidations sent and not yet answered.
    outst: Sig,
    timer: Sig,
}

pub fn endpoints(cfg: EndpointsCfg) -> Result<Rc<Module>, HdlErrors> {
    let name = format!(
        "lauberhorn_endpoints_c{}_w{}_a{}_s{}",
        cfg.cores, cfg.coh_width, cfg.aux_lines, cfg.slots
    );
    cfg.validate(&name)?;
    let n_ep = cfg.endpoints();
    let ew = clog2(u64::from(n_ep));
    let idw = cfg.id_width();
    let sw = clog2(u64::from(cfg.slots));
    let slw = clog2(u64::from(cfg.slot_lines()));
    let nl = cfg.lines();
    let beats = cfg.beats();
    let bw = beats.trailing_zeros(); // 0 when a line is one beat
    let w = cfg.coh_width;
    let ow = clog2(u64::from(nl) + 1);
    let word_w = clog2(cfg.words());

    let mut m = ModuleBuilder::new(&name);
    m.doc(format!(
        "Lauberhorn CONTROL-line endpoints: {} cores x (user, kernel), {} AUX lines each,\n\
         {} request slots, {w}-bit coherence channels ({beats} beats per line).",
        cfg.cores, cfg.aux_lines, cfg.slots
    ));
    let c2n = CohChannel::new(&mut m, "c2n", Side::Sink, cfg.coh(), false);
    let n2c = CohChannel::new(&mut m, "n2c", Side::Source, cfg.coh(), true);
    let timeout = m.input("timeout", TIMER_WIDTH);
    let preempt = m.input("preempt", cfg.cores);
    let assign_valid = m.group_port("assign", "valid", 1, crate::ir::PortDir::In);
    let assign_ep = m.group_port("assign", "ep", ew, crate::ir::PortDir::In);
    let assign_slot = m.group_port("assign", "slot", sw, crate::ir::PortDir::In);
    let assign_ok = m.group_port("assign", "ok", 1, crate::ir::PortDir::Out);
    let waiting = m.output("waiting", n_ep);

    // The endpoints' state.
    let eps: Vec<Ep> = (0..n_ep)
        .map(|i| {
            let r =
                |m: &mut ModuleBuilder, f: &str, wd: u32| m.reg_reset(&format!("ep{i}_{f}"), wd, 0);
            Ep {
                par: r(&mut m, "par", 1),
                bound: r(&mut m, "bound", 1),
                slot: m.reg(&format!("ep{i}_slot"), sw),
                want: r(&mut m, "want", 1),
                flip: r(&mut m, "flip", 1),
                wrote: m.reg(&format!("ep{i}_wrote"), 1),
                held: r(&mut m, "held", nl),
                todo: r(&mut m, "todo", nl),
                outst: r(&mut m, "outst", ow),
                timer: m.reg(&format!("ep{i}_timer"), TIMER_WIDTH),
            }
        })
        .collect();
    let core_of = |i: u32| i / 2;
    let quiet: Vec<Expr> = eps
        .iter()
        .map(|e| Expr::from(&e.todo).eq(0u64) & Expr::from(&e.outst).eq(0u64))
        .collect();
    let ready_for: Vec<Expr> = eps
        .iter()
        .zip(&quiet)
        .map(|(e, q)| &e.want & !&e.bound & !&e.flip & q)
        .collect();
    let wait_v = m.node(
        "waiting_now",
        cat((0..n_ep)
            .rev()
            .map(|i| ready_for[i as usize].clone() & !preempt.bit(core_of(i)))),
    );
    m.set(&waiting, &wait_v);

    // Queues: answers to send, finished requests, beats out.
    let job_w = 2 + idw + LINE_ADDR_WIDTH + sw + slw + 1;
    let jobs = m.instance("jobs", &sync_fifo(SyncFifoCfg::new(job_w, JOB_DEPTH))?);
    let job_room = m.inst_output(jobs, "s_ready");
    let jobs_count = m.inst_output(jobs, "count");
    m.unused(&jobs_count);
    let done_w = ew + sw + 1;
    let dones = m.instance("dones", &sync_fifo(SyncFifoCfg::new(done_w, DONE_DEPTH))?);
    let done_room = m.inst_output(dones, "s_ready");
    let dones_count = m.inst_output(dones, "count");
    m.unused(&dones_count);
    let d_data = m.inst_output(dones, "m_data");
    let d_valid = m.inst_output(dones, "m_valid");
    let done_valid = m.group_port("done", "valid", 1, crate::ir::PortDir::Out);
    let done_ready = m.group_port("done", "ready", 1, crate::ir::PortDir::In);
    m.set(&done_valid, &d_valid);
    m.connect(dones, "m_ready", &done_ready);
    for (f, lo, wd) in [("ep", sw + 1, ew), ("slot", 1, sw), ("wrote", 0, 1)] {
        let p = m.group_port("done", f, wd, crate::ir::PortDir::Out);
        m.set(&p, d_data.slice(lo, wd));
    }

    // Event selection: one per cycle.
    let cmp_req = m.node(
        "complete_req",
        cat((0..n_ep as usize).rev().map(|i| &eps[i].flip & &quiet[i])),
    );
    let cmp_pick = m.node("complete_pick", lowest_set(&cmp_req.clone().into()));
    let do_cmp = m.node("do_complete", cmp_req.any() & &done_room);
    let assign_fits = m.node("assign_fits", wait_v.index(&assign_ep.clone().into()));
    let ok = m.node("assign_accept", !&do_cmp & &job_room & &assign_fits);
    m.set(&assign_ok, &ok);
    let do_assign = m.node("do_assign", &ok & &assign_valid);
    let expired: Vec<Expr> = (0..n_ep as usize)
        .map(|i| {
            ready_for[i].clone()
                & (Expr::from(&eps[i].timer).ge(&timeout) | preempt.bit(core_of(i as u32)))
        })
        .collect();
    let exp_req = m.node("expire_req", cat(expired.iter().rev().cloned()));
    let exp_pick = m.node("expire_pick", lowest_set(&exp_req.clone().into()));
    let free1 = m.node("free_after_assign", !&do_cmp & !&do_assign & &job_room);
    let do_exp = m.node("do_expire", &free1 & exp_req.any());
    let inv_req = m.node(
        "inv_req",
        cat((0..n_ep as usize)
            .rev()
            .map(|i| Expr::from(&eps[i].todo).any())),
    );
    let inv_pick = m.node("inv_pick", lowest_set(&inv_req.clone().into()));
    let do_inv = m.node("do_inv", &free1 & !exp_req.any() & inv_req.any());
    let up_take = m.node("c2n_take", &free1 & !exp_req.any() & !inv_req.any());
    let inv_ep = m.node("inv_ep", encode(&inv_pick.clone().into(), ew));
    let inv_todo = select(
        &eps.iter().map(|e| Expr::from(&e.todo)).collect::<Vec<_>>(),
        &inv_ep.clone().into(),
    );
    let inv_line_1h = m.node("inv_line_onehot", lowest_set(&inv_todo));
    let inv_line = m.node("inv_line", encode(&inv_line_1h.clone().into(), 5));

    // The c2n message: decode its line.
    let idx = m.node("c2n_index", c2n.line.slice(0, 5));
    let up_ep = m.node("c2n_ep", c2n.line.slice(5, ew));
    let hi = c2n.line.slice(5 + ew, LINE_ADDR_WIDTH - 5 - ew);
    let core_bits = ew - 1;
    // The core an endpoint belongs to.
    let core_w = |ep: &Expr| -> Expr {
        if core_bits == 0 {
            lit(0, idw)
        } else {
            ep.slice(1, core_bits).resize(idw)
        }
    };
    let up_core = core_w(&up_ep.clone().into());
    let ep_in_range = if n_ep.is_power_of_two() {
        lit(1, 1)
    } else {
        Expr::from(&up_ep).lt(u64::from(n_ep))
    };
    let target_ok = m.node(
        "c2n_target_ok",
        hi.eq(0u64)
            & ep_in_range
            & Expr::from(&idx).lt(u64::from(nl))
            & Expr::from(&c2n.id).eq(up_core),
    );
    let sel = |f: &dyn Fn(&Ep) -> Expr| -> Expr {
        select(
            &eps.iter().map(f).collect::<Vec<_>>(),
            &up_ep.clone().into(),
        )
    };
    let s_par = m.node("c2n_ep_par", sel(&|e| (&e.par).into()));
    let s_bound = m.node("c2n_ep_bound", sel(&|e| (&e.bound).into()));
    let s_slot = m.node("c2n_ep_slot", sel(&|e| (&e.slot).into()));
    let s_want = m.node("c2n_ep_want", sel(&|e| (&e.want).into()));
    let s_flip = m.node("c2n_ep_flip", sel(&|e| (&e.flip).into()));
    let is_ctrl = m.node("c2n_is_control", Expr::from(&idx).lt(2u64));
    let at_p = m.node("c2n_at_parity", &is_ctrl & idx.bit(0).eq(&s_par));
    let at_q = m.node("c2n_at_other", &is_ctrl & idx.bit(0).ne(&s_par));
    let is_aux = m.node("c2n_is_aux", !&is_ctrl);
    let op: Expr = (&c2n.op).into();
    let is_rd = m.node("c2n_is_read", op.le(up::RD_EXCL));
    let is_evict = m.node(
        "c2n_is_evict",
        op.eq(up::EVICT_CLEAN) | op.eq(up::EVICT_DIRTY),
    );
    let is_ack = m.node("c2n_is_ack", op.eq(up::ACK) | op.eq(up::ACK_DATA));
    let has_data = m.node("c2n_has_data", op.eq(up::EVICT_DIRTY) | op.eq(up::ACK_DATA));
    let live = m.node("c2n_live", &s_bound & !&s_flip);
    let rd = |m: &mut ModuleBuilder, n: &str, e: Expr| m.node(n, &is_rd & &target_ok & e);
    let rd_serve = rd(&mut m, "rd_serve", (&at_p | &is_aux) & &live);
    let rd_hold = rd(&mut m, "rd_hold", &at_p & !&s_bound & !&s_want & !&s_flip);
    let rd_ack = rd(&mut m, "rd_ack", &at_q & !&s_want & !&s_flip);
    let rd_err = m.node("rd_error", &is_rd & !(&rd_serve | &rd_hold | &rd_ack));
    // The slot line a served load or a write-back addresses.
    let aux_k = (Expr::from(&idx) - lit(1, 5)).trunc(slw);
    let s_line = m.node("c2n_slot_line", at_p.mux(lit(0, slw), aux_k));

    // Beats of multi-beat messages; state changes at the message's last beat.
    let c2n_ready = m.node("c2n_ready_now", !&c2n.last | &up_take);
    m.set(&c2n.ready, &c2n_ready);
    let up_fire = m.node("c2n_fire", &c2n.valid & &c2n_ready);
    let up_event = m.node("c2n_event", &up_fire & &c2n.last);
    let up_beat = (bw > 0).then(|| {
        let b = m.reg_reset("c2n_beat", bw, 0);
        m.when(&up_fire, |m| {
            m.set(&b, c2n.last.mux(lit(0, bw), &b + lit(1, bw)));
        });
        b
    });
    let wb = m.node(
        "writeback",
        &up_fire & &has_data & &target_ok & &s_bound & (&at_p | &is_aux),
    );
    let beat_of = |b: &Option<Sig>| -> Vec<Expr> { b.iter().map(Expr::from).collect() };
    let mut wb_addr = vec![Expr::from(&s_slot), Expr::from(&s_line)];
    wb_addr.extend(beat_of(&up_beat));
    let wb_addr = m.node("writeback_word", cat(wb_addr));
    let violation = m.node(
        "violation_now",
        &up_event & (&rd_err | (!&is_rd & !&target_ok) | op.gt(up::ACK_DATA)),
    );
    let ev_violation = m.output("ev_violation", 1);
    let ev_violation_r = m.reg_reset("ev_violation_r", 1, 0);
    m.set(&ev_violation_r, &violation);
    m.set(&ev_violation, &ev_violation_r);

    // Per-endpoint state updates.
    let line_1h = m.node(
        "c2n_line_onehot",
        cat((0..nl).rev().map(|j| Expr::from(&idx).eq(u64::from(j)))),
    );
    for (i, e) in eps.iter().enumerate() {
        let me = |v: &Sig| v.bit(i as u32);
        let hit = m.node(
            &format!("ep{i}_c2n"),
            &up_event & Expr::from(&up_ep).eq(i as u64) & &target_ok,
        );
        let par_1h = e.par.mux(lit(2, nl), lit(1, nl));
        let t_exp = m.node(&format!("ep{i}_expire"), &do_exp & me(&exp_pick));
        let t_inv = m.node(&format!("ep{i}_invalidate"), &do_inv & me(&inv_pick));
        let t_cmp = m.node(&format!("ep{i}_complete"), &do_cmp & me(&cmp_pick));
        let t_asg = m.node(
            &format!("ep{i}_assign"),
            &do_assign & Expr::from(&assign_ep).eq(i as u64),
        );
        // Timer: counts while a load is held, saturating.
        m.when(&e.want & !Expr::from(&e.timer).all(), |m| {
            m.set(&e.timer, &e.timer + lit(1, TIMER_WIDTH))
        });
        m.when(&hit & &rd_serve, |m| m.set(&e.held, &e.held | &line_1h));
        m.when(&hit & &rd_hold, |m| {
            m.set(&e.want, 1);
            m.set(&e.timer, lit(0, TIMER_WIDTH));
        });
        m.when(&hit & &rd_ack, |m| {
            m.set(&e.flip, 1);
            m.set(&e.todo, &e.held);
            m.set(&e.held, lit(0, nl));
        });
        m.when(&hit & &is_evict, |m| {
            m.set(&e.held, &e.held & !Expr::from(&line_1h))
        });
        m.when(&hit & &is_ack & Expr::from(&e.outst).ne(0u64), |m| {
            m.set(&e.outst, &e.outst - lit(1, ow))
        });
        m.when(&wb & Expr::from(&up_ep).eq(i as u64) & &at_p, |m| {
            m.set(&e.wrote, 1)
        });
        m.when(&t_asg, |m| {
            m.set(&e.bound, 1);
            m.set(&e.slot, &assign_slot);
            m.set(&e.want, 0);
            m.set(&e.wrote, 0);
            m.set(&e.held, &e.held | par_1h.clone());
        });
        m.when(&t_exp, |m| {
            m.set(&e.want, 0);
            m.set(&e.todo, &e.todo | par_1h.clone());
        });
        m.when(&t_inv, |m| {
            m.set(&e.todo, &e.todo & !Expr::from(&inv_line_1h));
            m.set(&e.outst, &e.outst + lit(1, ow));
        });
        m.when(&t_cmp, |m| {
            m.set(&e.bound, 0);
            m.set(&e.par, !&e.par);
            m.set(&e.flip, 0);
            m.set(&e.want, 1);
            m.set(&e.timer, lit(0, TIMER_WIDTH));
        });
    }

    // The finished request, to the reply path.
    let cmp_ep = m.node("complete_ep", encode(&cmp_pick.clone().into(), ew));
    let pick = |f: &dyn Fn(&Ep) -> Expr| -> Expr {
        select(
            &eps.iter().map(f).collect::<Vec<_>>(),
            &cmp_ep.clone().into(),
        )
    };
    let cmp_bound = pick(&|e| (&e.bound).into());
    m.connect(dones, "s_valid", &do_cmp & cmp_bound);
    m.connect(
        dones,
        "s_data",
        cat([
            Expr::from(&cmp_ep),
            pick(&|e| (&e.slot).into()),
            pick(&|e| (&e.wrote).into()),
        ]),
    );

    // Jobs: {kind, endpoint, line, slot, slot line, preempt}.
    let exp_ep = m.node("expire_ep", encode(&exp_pick.clone().into(), ew));
    let exp_par = select(
        &eps.iter().map(|e| Expr::from(&e.par)).collect::<Vec<_>>(),
        &exp_ep.clone().into(),
    );
    let asg_par = select(
        &eps.iter().map(|e| Expr::from(&e.par)).collect::<Vec<_>>(),
        &assign_ep.clone().into(),
    );
    let exp_preempt =
        cat((0..n_ep).rev().map(|i| preempt.bit(core_of(i)))).index(&exp_ep.clone().into());
    let jk = |k: u64| lit(k, 2);
    // Jobs of an endpoint go to its core, at one of its lines.
    let job_of = |kind: Expr, ep: Expr, line: Expr, slot: Expr, sline: Expr, pre: Expr| {
        let addr = cat([ep.clone(), line]).zext(LINE_ADDR_WIDTH);
        cat([kind, core_w(&ep), addr, slot, sline, pre])
    };
    let job_assign = job_of(
        jk(job::SLOT),
        (&assign_ep).into(),
        asg_par.zext(5),
        (&assign_slot).into(),
        lit(0, slw),
        lit(0, 1),
    );
    let job_expire = job_of(
        jk(job::TRYAGAIN),
        (&exp_ep).into(),
        exp_par.zext(5),
        lit(0, sw),
        lit(0, slw),
        exp_preempt,
    );
    let job_inv = job_of(
        jk(job::INV),
        (&inv_ep).into(),
        (&inv_line).into(),
        lit(0, sw),
        lit(0, slw),
        lit(0, 1),
    );
    // Answers to c2n loads go to the requester, at the line it asked for.
    let job_up = cat([
        rd_serve.mux(jk(job::SLOT), jk(job::ERR)),
        Expr::from(&c2n.id),
        Expr::from(&c2n.line),
        Expr::from(&s_slot),
        Expr::from(&s_line),
        lit(0, 1),
    ]);
    let up_job = m.node("c2n_job", &up_event & (&rd_serve | &rd_err));
    m.connect(jobs, "s_valid", &do_assign | &do_exp | &do_inv | &up_job);
    m.connect(
        jobs,
        "s_data",
        do_assign.mux(
            job_assign,
            do_exp.mux(job_expire, do_inv.mux(job_inv, job_up)),
        ),
    );
    let ev_tryagain = m.output("ev_tryagain", 1);
    let ev_tryagain_r = m.reg_reset("ev_tryagain_r", 1, 0);
    m.set(&ev_tryagain_r, &do_exp);
    m.set(&ev_tryagain, &ev_tryagain_r);

    // The slot RAM: write-backs before the request writer, serializer reads before the
    // reply reader.
    let ram = m.memory("slots", w, cfg.words(), RamStyle::Block);
    let wr_valid = m.group_port("slot_wr", "valid", 1, crate::ir::PortDir::In);
    let wr_ready = m.group_port("slot_wr", "ready", 1, crate::ir::PortDir::Out);
    let wr_addr = m.group_port("slot_wr", "addr", word_w, crate::ir::PortDir::In);
    let wr_data = m.group_port("slot_wr", "data", w, crate::ir::PortDir::In);
    let wr_free = m.node("slot_wr_free", !&wb);
    m.set(&wr_ready, &wr_free);
    m.mem_write(
        ram,
        &wb | (&wr_valid & &wr_free),
        &wb.mux(&wb_addr, &wr_addr),
        &wb.mux(&c2n.data, &wr_data),
    );

    // The serializer: the job at the FIFO's head, beat by beat.
    let j_valid = m.inst_output(jobs, "m_valid");
    let j_data = m.inst_output(jobs, "m_data");
    let mut off = job_w;
    let mut field = |wd: u32| {
        off -= wd;
        j_data.slice(off, wd)
    };
    let j_kind = m.node("job_kind", field(2));
    let j_id = m.node("job_id", field(idw));
    let j_line = m.node("job_line", field(LINE_ADDR_WIDTH));
    let j_slot = m.node("job_slot", field(sw));
    let j_sline = m.node("job_slot_line", field(slw));
    let j_pre = m.node("job_preempt", field(1));
    let outq_w = OP_WIDTH + LINE_ADDR_WIDTH + idw + 1 + 1 + w;
    let outq = m.instance(
        "beats_out",
        &sync_fifo(SyncFifoCfg::new(outq_w, OUT_DEPTH))?,
    );
    let out_count = m.inst_output(outq, "count");
    let s1_valid = m.reg_reset("s1_valid", 1, 0);
    // Room for this beat and the one in stage 1.
    let space = m.node("out_space", Expr::from(&out_count).lt(OUT_DEPTH - 1));
    let issue = m.node("issue", &j_valid & &space);
    let is_inv = m.node("job_is_inv", Expr::from(&j_kind).eq(job::INV));
    let beat = (bw > 0).then(|| m.reg_reset("issue_beat", bw, 0));
    let at_last = match &beat {
        Some(b) => Expr::from(b).eq(u64::from(beats - 1)) | &is_inv,
        None => lit(1, 1),
    };
    let issue_last = m.node("issue_last", &issue & at_last);
    m.connect(jobs, "m_ready", &issue_last);
    if let Some(b) = &beat {
        m.when(&issue, |m| {
            m.set(b, issue_last.mux(lit(0, bw), b + lit(1, bw)));
        });
    }
    let from_ram = m.node("issue_reads", &issue & Expr::from(&j_kind).eq(job::SLOT));
    let rd_valid = m.group_port("slot_rd", "valid", 1, crate::ir::PortDir::In);
    let rd_ready = m.group_port("slot_rd", "ready", 1, crate::ir::PortDir::Out);
    let rd_addr = m.group_port("slot_rd", "addr", word_w, crate::ir::PortDir::In);
    let rd_data = m.group_port("slot_rd", "data", w, crate::ir::PortDir::Out);
    let rd_data_valid = m.group_port("slot_rd", "data_valid", 1, crate::ir::PortDir::Out);
    let rd_free = m.node("slot_rd_free", !&from_ram);
    m.set(&rd_ready, &rd_free);
    let mut ser_addr = vec![Expr::from(&j_slot), Expr::from(&j_sline)];
    ser_addr.extend(beat_of(&beat));
    let ram_q = m.mem_read_sync(
        ram,
        "slots_q",
        &from_ram | (&rd_valid & &rd_free),
        &from_ram.mux(cat(ser_addr), &rd_addr),
    );
    m.set(&rd_data, &ram_q);
    let rd_dv = m.reg_reset("slot_rd_data_valid_r", 1, 0);
    m.set(&rd_dv, &rd_valid & &rd_free);
    m.set(&rd_data_valid, &rd_dv);

    // Stage 1: the RAM word arrives; other kinds are made up here.
    let s1_kind = m.reg("s1_kind", 2);
    let s1_first = m.reg("s1_first", 1);
    let s1_pre = m.reg("s1_preempt", 1);
    let out_hdr_w = OP_WIDTH + LINE_ADDR_WIDTH + idw + 1 + 1;
    let s1_hdr = m.reg("s1_header", out_hdr_w);
    m.set(&s1_valid, &issue);
    let first = match &beat {
        Some(b) => Expr::from(b).eq(0u64),
        None => lit(1, 1),
    };
    m.when(&issue, |m| {
        m.set(&s1_kind, &j_kind);
        m.set(&s1_first, first);
        m.set(&s1_pre, &j_pre);
        m.set(
            &s1_hdr,
            cat([
                is_inv.mux(lit(down::INV, OP_WIDTH), lit(down::DATA, OP_WIDTH)),
                Expr::from(&j_line),
                Expr::from(&j_id),
                Expr::from(&j_kind).eq(job::ERR),
                Expr::from(&issue_last),
            ]),
        );
    });
    let tryagain_word = cat([lit(0, 62), Expr::from(&s1_pre), lit(0, 1)]);
    debug_assert_eq!(ctrl::VALID, 0);
    debug_assert_eq!(ctrl::PREEMPT, 1);
    let made_up =
        (&s1_first & Expr::from(&s1_kind).eq(job::TRYAGAIN)).mux(tryagain_word.zext(w), lit(0, w));
    let s1_data = m.node(
        "s1_data",
        Expr::from(&s1_kind).eq(job::SLOT).mux(&ram_q, made_up),
    );
    m.connect(outq, "s_valid", &s1_valid);
    m.connect(
        outq,
        "s_data",
        cat([Expr::from(&s1_hdr), Expr::from(&s1_data)]),
    );
    let o_valid = m.inst_output(outq, "m_valid");
    let o_data = m.inst_output(outq, "m_data");
    let out_ready = m.inst_output(outq, "s_ready");
    m.unused(&out_ready); // `out_space` keeps a place free
    let mut off = outq_w;
    let mut ofield = |wd: u32| {
        off -= wd;
        o_data.slice(off, wd)
    };
    m.set(&n2c.op, ofield(OP_WIDTH));
    m.set(&n2c.line, ofield(LINE_ADDR_WIDTH));
    m.set(&n2c.id, ofield(idw));
    m.set(n2c.err.as_ref().unwrap(), ofield(1));
    m.set(&n2c.last, ofield(1));
    m.set(&n2c.data, ofield(w));
    m.set(&n2c.valid, &o_valid);
    m.connect(outq, "m_ready", &n2c.ready);
    m.finish()
}

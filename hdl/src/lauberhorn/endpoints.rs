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
//! The TX lines ([`coherence`](super::coherence) has the protocol) work the same way
//! around two TX buffers per endpoint (a small RAM of their own): a load of the current TX
//! line is held until its buffer is free, then answered from it (`grant`); a load of the
//! other one rings the doorbell: the line is invalidated, and once the answer is in a
//! written buffer is queued to the transmitter (`tx_send`), busy until it comes back
//! (`tx_done`), and the parity flips. A CORE.PREEMPT.RETIRE answers held loads TRYAGAIN
//! with RETIRE, as a preemption does with PREEMPT.
//!
//! One event is handled per cycle, in priority order: a completed acknowledgement, a
//! completed doorbell, an assignment, a TX grant, a TRYAGAIN, an invalidation, then the
//! `c2n` message. Every event but the
//! last is bounded by earlier work, so `c2n` never waits for long. Answers queue in a job
//! FIFO; the serializer turns each into `n2c` beats, reading slot lines from the RAM.

use crate::blocks::onehot::{encode, lowest_set, select};
use crate::blocks::pieces::pick;
use crate::blocks::sync_fifo::{sync_fifo, SyncFifoCfg};
use crate::bundles::Side;
use crate::config::LauberhornConfig;
use crate::ir::{cat, clog2, lit, Expr, HdlErrors, Module, ModuleBuilder, PortDir, RamStyle, Sig};
use crate::lauberhorn::coherence::{
    ctrl, down, line, line_beats, tx, up, CohCfg, CohChannel, LINE_ADDR_WIDTH, LINE_BITS, OP_WIDTH,
};
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
const SEND_DEPTH: u64 = 4;

/// Job kinds: what a queued answer sends.
mod job {
    pub const WIDTH: u32 = 3;
    /// `DATA` of a slot line.
    pub const SLOT: u64 = 0;
    /// `DATA` of a TRYAGAIN line.
    pub const TRYAGAIN: u64 = 1;
    /// `DATA` with `err`.
    pub const ERR: u64 = 2;
    /// `INV`.
    pub const INV: u64 = 3;
    /// `DATA` of a TX buffer.
    pub const TX: u64 = 4;
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

    /// Receive lines of an endpoint: two CONTROL lines and the AUX lines.
    pub fn lines(&self) -> u32 {
        2 + self.aux_lines
    }

    /// Bits of an endpoint number.
    pub fn ep_width(&self) -> u32 {
        clog2(u64::from(self.endpoints()))
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

    /// Bits of a slot word address.
    pub fn word_width(&self) -> u32 {
        clog2(self.words())
    }

    /// Bits of a TX-buffer word address: endpoint, buffer, beat.
    pub fn tx_word_width(&self) -> u32 {
        self.ep_width() + 1 + self.beats().trailing_zeros()
    }

    /// Word address of beat `beat` of TX buffer `buf` of endpoint `ep`.
    pub fn tx_word(&self, ep: u32, buf: u32, beat: u32) -> u64 {
        u64::from((2 * ep + buf) * self.beats() + beat)
    }

    /// Bits of `slot_rd_addr`: a region bit (1 = the TX buffers) over the wider address.
    pub fn rd_addr_width(&self) -> u32 {
        1 + self.word_width().max(self.tx_word_width())
    }

    /// `slot_rd_addr` of a TX-buffer word (a slot word is its own address).
    pub fn rd_tx(&self, tx_word: u64) -> u64 {
        1 << (self.rd_addr_width() - 1) | tx_word
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
    /// Lines the core may hold (bit j = receive line j; bits `lines`, `lines + 1`: TX 0, 1).
    held: Sig,
    /// Lines to invalidate.
    todo: Sig,
    /// Invalidations sent and not yet answered.
    outst: Sig,
    timer: Sig,
    /// TX: the current TX line, a held TX load and its timer, a doorbell being collected,
    /// and per buffer: written since it was last sent, being sent.
    tpar: Sig,
    twant: Sig,
    ttimer: Sig,
    tflip: Sig,
    twrote: Sig,
    tbusy: Sig,
}

pub fn endpoints(cfg: EndpointsCfg) -> Result<Rc<Module>, HdlErrors> {
    let name = format!(
        "lauberhorn_endpoints_c{}_w{}_a{}_s{}",
        cfg.cores, cfg.coh_width, cfg.aux_lines, cfg.slots
    );
    cfg.validate(&name)?;
    let n_ep = cfg.endpoints();
    let ew = cfg.ep_width();
    let idw = cfg.id_width();
    let sw = clog2(u64::from(cfg.slots));
    let slw = clog2(u64::from(cfg.slot_lines()));
    let nl = cfg.lines();
    // Tracked lines: the receive lines, then TX 0 and TX 1.
    let nt = nl + 2;
    let beats = cfg.beats();
    let bw = beats.trailing_zeros(); // 0 when a line is one beat
    let w = cfg.coh_width;
    let ow = clog2(u64::from(nt) + 1);
    let word_w = cfg.word_width();
    let tw = cfg.tx_word_width();
    let aw = cfg.rd_addr_width() - 1;
    // The TX lines' index in the page, but for its last bit (the parity).
    let tx_hi = u64::from(line::tx(0) >> 1);

    let mut m = ModuleBuilder::new(&name);
    m.doc(format!(
        "Lauberhorn CONTROL-line endpoints: {} cores x (user, kernel), {} AUX lines and two TX\n\
         lines each, {} request slots, {w}-bit coherence channels ({beats} beats per line).",
        cfg.cores, cfg.aux_lines, cfg.slots
    ));
    let c2n = CohChannel::new(&mut m, "c2n", Side::Sink, cfg.coh(), false);
    let n2c = CohChannel::new(&mut m, "n2c", Side::Source, cfg.coh(), true);
    let timeout = m.input("timeout", TIMER_WIDTH);
    let preempt = m.input("preempt", cfg.cores);
    let retire = m.input("retire", cfg.cores);
    // A preempted or retired core gets no requests, and its held loads are answered.
    let stop = m.node("stop", &preempt | &retire);
    let gp = |m: &mut ModuleBuilder, g: &str, f: &str, w: u32, d| m.group_port(g, f, w, d);
    let assign_valid = gp(&mut m, "assign", "valid", 1, PortDir::In);
    let assign_ep = gp(&mut m, "assign", "ep", ew, PortDir::In);
    let assign_slot = gp(&mut m, "assign", "slot", sw, PortDir::In);
    let assign_ok = gp(&mut m, "assign", "ok", 1, PortDir::Out);
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
                held: r(&mut m, "held", nt),
                todo: r(&mut m, "todo", nt),
                outst: r(&mut m, "outst", ow),
                timer: m.reg(&format!("ep{i}_timer"), TIMER_WIDTH),
                tpar: r(&mut m, "tx_par", 1),
                twant: r(&mut m, "tx_want", 1),
                ttimer: m.reg(&format!("ep{i}_tx_timer"), TIMER_WIDTH),
                tflip: r(&mut m, "tx_flip", 1),
                twrote: r(&mut m, "tx_wrote", 2),
                tbusy: r(&mut m, "tx_busy", 2),
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
            .map(|i| ready_for[i as usize].clone() & !stop.bit(core_of(i)))),
    );
    m.set(&waiting, &wait_v);
    // The tracked-line bit of TX line `t`, and a 2-bit one-hot of a buffer.
    let tx_bit = |t: &Expr| t.mux(lit(1 << (nl + 1), nt), lit(1 << nl, nt));
    let buf_1h = |t: &Expr| cat([t.clone(), !t.clone()]);

    // Queues: answers to send, finished requests, messages to send, beats out.
    let job_w = job::WIDTH + idw + LINE_ADDR_WIDTH + sw + slw + ew + 1 + 2;
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
    let done_valid = gp(&mut m, "done", "valid", 1, PortDir::Out);
    let done_ready = gp(&mut m, "done", "ready", 1, PortDir::In);
    m.set(&done_valid, &d_valid);
    m.connect(dones, "m_ready", &done_ready);
    for (f, lo, wd) in [("ep", sw + 1, ew), ("slot", 1, sw), ("wrote", 0, 1)] {
        let p = gp(&mut m, "done", f, wd, PortDir::Out);
        m.set(&p, d_data.slice(lo, wd));
    }
    let sends = m.instance("sends", &sync_fifo(SyncFifoCfg::new(ew + 1, SEND_DEPTH))?);
    let send_room = m.inst_output(sends, "s_ready");
    let sends_count = m.inst_output(sends, "count");
    m.unused(&sends_count);
    let sd_data = m.inst_output(sends, "m_data");
    let sd_valid = m.inst_output(sends, "m_valid");
    let send_valid = gp(&mut m, "tx_send", "valid", 1, PortDir::Out);
    let send_ready = gp(&mut m, "tx_send", "ready", 1, PortDir::In);
    m.set(&send_valid, &sd_valid);
    m.connect(sends, "m_ready", &send_ready);
    for (f, lo, wd) in [("ep", 1, ew), ("buf", 0, 1)] {
        let p = gp(&mut m, "tx_send", f, wd, PortDir::Out);
        m.set(&p, sd_data.slice(lo, wd));
    }
    let sent_valid = gp(&mut m, "tx_done", "valid", 1, PortDir::In);
    let sent_ep = gp(&mut m, "tx_done", "ep", ew, PortDir::In);
    let sent_buf = gp(&mut m, "tx_done", "buf", 1, PortDir::In);

    // Event selection: one per cycle.
    let cmp_req = m.node(
        "complete_req",
        cat((0..n_ep as usize).rev().map(|i| &eps[i].flip & &quiet[i])),
    );
    let cmp_pick = m.node("complete_pick", lowest_set(&cmp_req.clone().into()));
    let do_cmp = m.node("do_complete", cmp_req.any() & &done_room);
    let tcmp_req = m.node(
        "tx_complete_req",
        cat((0..n_ep as usize).rev().map(|i| &eps[i].tflip & &quiet[i])),
    );
    let tcmp_pick = m.node("tx_complete_pick", lowest_set(&tcmp_req.clone().into()));
    let do_tcmp = m.node("do_tx_complete", !&do_cmp & tcmp_req.any() & &send_room);
    let assign_fits = m.node("assign_fits", wait_v.index(&assign_ep.clone().into()));
    let ok = m.node(
        "assign_accept",
        !&do_cmp & !&do_tcmp & &job_room & &assign_fits,
    );
    m.set(&assign_ok, &ok);
    let do_assign = m.node("do_assign", &ok & &assign_valid);
    let tx_free_now: Vec<Expr> = eps
        .iter()
        .map(|e| !e.tbusy.index(&e.tpar.clone().into()))
        .collect();
    let grant_req = m.node(
        "tx_grant_req",
        cat((0..n_ep as usize)
            .rev()
            .map(|i| &eps[i].twant & !&eps[i].tflip & &quiet[i] & tx_free_now[i].clone())),
    );
    let grant_pick = m.node("tx_grant_pick", lowest_set(&grant_req.clone().into()));
    let free0 = m.node(
        "free_after_assign",
        !&do_cmp & !&do_tcmp & !&do_assign & &job_room,
    );
    let do_grant = m.node("do_tx_grant", &free0 & grant_req.any());
    let free1 = m.node("free_after_grant", &free0 & !grant_req.any());
    let rx_expired = (0..n_ep as usize).map(|i| {
        ready_for[i].clone()
            & (Expr::from(&eps[i].timer).ge(&timeout) | stop.bit(core_of(i as u32)))
    });
    let exp_rx = m.node("expire_req", cat(rx_expired.rev()));
    let tx_expired = (0..n_ep as usize).map(|i| {
        let e = &eps[i];
        &e.twant
            & !&e.tflip
            & &quiet[i]
            & !tx_free_now[i].clone()
            & (Expr::from(&e.ttimer).ge(&timeout) | stop.bit(core_of(i as u32)))
    });
    let exp_txs = m.node("tx_expire_req", cat(tx_expired.rev()));
    // Receive lines first, then TX lines.
    let exp_tx = m.node("expire_tx", !exp_rx.any());
    let exp_pick = m.node("expire_pick", lowest_set(&exp_tx.mux(&exp_txs, &exp_rx)));
    let exp_any = m.node("expire_any", exp_rx.any() | exp_txs.any());
    let do_exp = m.node("do_expire", &free1 & &exp_any);
    let inv_req = m.node(
        "inv_req",
        cat((0..n_ep as usize)
            .rev()
            .map(|i| Expr::from(&eps[i].todo).any())),
    );
    let inv_pick = m.node("inv_pick", lowest_set(&inv_req.clone().into()));
    let do_inv = m.node("do_inv", &free1 & !&exp_any & inv_req.any());
    let up_take = m.node("c2n_take", &free1 & !&exp_any & !inv_req.any());
    let inv_ep = m.node("inv_ep", encode(&inv_pick.clone().into(), ew));
    let inv_todo = select(
        &eps.iter().map(|e| Expr::from(&e.todo)).collect::<Vec<_>>(),
        &inv_ep.clone().into(),
    );
    let inv_line_1h = m.node("inv_line_onehot", lowest_set(&inv_todo));
    // Tracked line to page line: the receive lines at 0.., the TX lines at the page's end.
    let mut page = vec![inv_line_1h.slice(nl, 2)];
    if line::tx(0) > nl {
        page.push(lit(0, line::tx(0) - nl));
    }
    page.push(inv_line_1h.slice(0, nl));
    let inv_line = m.node("inv_line", encode(&cat(page), 5));

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
    let is_tx = m.node("c2n_is_tx", idx.slice(1, 4).eq(tx_hi));
    let tx_b = m.node("c2n_tx_buf", idx.bit(0));
    let target_ok = m.node(
        "c2n_target_ok",
        hi.eq(0u64)
            & ep_in_range
            & (Expr::from(&idx).lt(u64::from(nl)) | &is_tx)
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
    let s_tpar = m.node("c2n_ep_tx_par", sel(&|e| (&e.tpar).into()));
    let s_twant = m.node("c2n_ep_tx_want", sel(&|e| (&e.twant).into()));
    let s_tflip = m.node("c2n_ep_tx_flip", sel(&|e| (&e.tflip).into()));
    let s_tbusy = m.node("c2n_ep_tx_busy", sel(&|e| (&e.tbusy).into()));
    let is_ctrl = m.node("c2n_is_control", Expr::from(&idx).lt(2u64));
    let at_p = m.node("c2n_at_parity", &is_ctrl & idx.bit(0).eq(&s_par));
    let at_q = m.node("c2n_at_other", &is_ctrl & idx.bit(0).ne(&s_par));
    let is_aux = m.node("c2n_is_aux", !&is_ctrl & !&is_tx);
    let at_tp = m.node("c2n_at_tx_parity", &is_tx & Expr::from(&tx_b).eq(&s_tpar));
    let at_tq = m.node("c2n_at_tx_other", &is_tx & Expr::from(&tx_b).ne(&s_tpar));
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
    let tx_idle = m.node("c2n_tx_idle", !&s_twant & !&s_tflip);
    let rd_thold = rd(&mut m, "rd_tx_hold", &at_tp & &tx_idle);
    let rd_bell = rd(&mut m, "rd_doorbell", &at_tq & &tx_idle);
    let rd_err = m.node(
        "rd_error",
        &is_rd & !(&rd_serve | &rd_hold | &rd_ack | &rd_thold | &rd_bell),
    );
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
    // A TX buffer takes write-backs until it is queued to be sent.
    let tx_wb = m.node(
        "tx_writeback",
        &up_fire & &has_data & &target_ok & &is_tx & !s_tbusy.index(&tx_b.clone().into()),
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
        cat((0..nt).rev().map(|j| {
            let page_line = if j < nl { j } else { line::tx(j - nl) };
            Expr::from(&idx).eq(u64::from(page_line))
        })),
    );
    let rx_lines = lit((1 << nl) - 1, nt);
    for (i, e) in eps.iter().enumerate() {
        let me = |v: &Sig| v.bit(i as u32);
        let hit = m.node(
            &format!("ep{i}_c2n"),
            &up_event & Expr::from(&up_ep).eq(i as u64) & &target_ok,
        );
        let par_1h = e.par.mux(lit(2, nt), lit(1, nt));
        let tpar_1h = tx_bit(&e.tpar.clone().into());
        let t_exp = m.node(&format!("ep{i}_expire"), &do_exp & !&exp_tx & me(&exp_pick));
        let t_texp = m.node(
            &format!("ep{i}_tx_expire"),
            &do_exp & &exp_tx & me(&exp_pick),
        );
        let t_inv = m.node(&format!("ep{i}_invalidate"), &do_inv & me(&inv_pick));
        let t_cmp = m.node(&format!("ep{i}_complete"), &do_cmp & me(&cmp_pick));
        let t_tcmp = m.node(&format!("ep{i}_tx_complete"), &do_tcmp & me(&tcmp_pick));
        let t_grant = m.node(&format!("ep{i}_tx_grant"), &do_grant & me(&grant_pick));
        let t_asg = m.node(
            &format!("ep{i}_assign"),
            &do_assign & Expr::from(&assign_ep).eq(i as u64),
        );
        // Timers: count while a load is held, saturating.
        for (want, timer) in [(&e.want, &e.timer), (&e.twant, &e.ttimer)] {
            m.when(want & !Expr::from(timer).all(), |m| {
                m.set(timer, timer + lit(1, TIMER_WIDTH))
            });
        }
        m.when(&hit & &rd_serve, |m| m.set(&e.held, &e.held | &line_1h));
        m.when(&hit & &rd_hold, |m| {
            m.set(&e.want, 1);
            m.set(&e.timer, lit(0, TIMER_WIDTH));
        });
        m.when(&hit & &rd_ack, |m| {
            m.set(&e.flip, 1);
            m.set(&e.todo, &e.todo | (&e.held & rx_lines.clone()));
            m.set(&e.held, &e.held & !rx_lines.clone());
        });
        m.when(&hit & &rd_thold, |m| {
            m.set(&e.twant, 1);
            m.set(&e.ttimer, lit(0, TIMER_WIDTH));
        });
        m.when(&hit & &rd_bell, |m| {
            m.set(&e.tflip, 1);
            m.set(&e.todo, &e.todo | (&e.held & tpar_1h.clone()));
            m.set(&e.held, &e.held & !tpar_1h.clone());
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
        m.when(&t_grant, |m| {
            m.set(&e.twant, 0);
            m.set(&e.held, &e.held | tpar_1h.clone());
        });
        m.when(&t_exp, |m| {
            m.set(&e.want, 0);
            m.set(&e.todo, &e.todo | par_1h.clone());
        });
        m.when(&t_texp, |m| {
            m.set(&e.twant, 0);
            m.set(&e.todo, &e.todo | tpar_1h.clone());
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
        // A completed doorbell queues the written buffer and holds the load for the next.
        m.when(&t_tcmp, |m| {
            m.set(&e.tpar, !&e.tpar);
            m.set(&e.tflip, 0);
            m.set(&e.twant, 1);
            m.set(&e.ttimer, lit(0, TIMER_WIDTH));
        });
        // Buffer bits: set and cleared by independent events in the same cycle.
        let tpar_b = buf_1h(&e.tpar.clone().into());
        let wb_mine = &tx_wb & Expr::from(&up_ep).eq(i as u64);
        let sent_mine = &sent_valid & Expr::from(&sent_ep).eq(i as u64);
        let queued = &t_tcmp & e.twrote.index(&e.tpar.clone().into());
        m.set(
            &e.twrote,
            (&e.twrote & !(t_tcmp.repeat(2) & tpar_b.clone()))
                | (wb_mine.repeat(2) & buf_1h(&tx_b.clone().into())),
        );
        m.set(
            &e.tbusy,
            (&e.tbusy & !(sent_mine.repeat(2) & buf_1h(&sent_buf.clone().into())))
                | (queued.repeat(2) & tpar_b),
        );
    }

    // The finished request, to the reply path.
    let cmp_ep = m.node("complete_ep", encode(&cmp_pick.clone().into(), ew));
    let pick_ep = |ep: &Sig, f: &dyn Fn(&Ep) -> Expr| -> Expr {
        select(&eps.iter().map(f).collect::<Vec<_>>(), &ep.clone().into())
    };
    let cmp_bound = pick_ep(&cmp_ep, &|e| (&e.bound).into());
    m.connect(dones, "s_valid", &do_cmp & cmp_bound);
    m.connect(
        dones,
        "s_data",
        cat([
            Expr::from(&cmp_ep),
            pick_ep(&cmp_ep, &|e| (&e.slot).into()),
            pick_ep(&cmp_ep, &|e| (&e.wrote).into()),
        ]),
    );
    // The written TX buffer of a completed doorbell, to the transmitter.
    let tcmp_ep = m.node("tx_complete_ep", encode(&tcmp_pick.clone().into(), ew));
    let tcmp_par = m.node("tx_complete_par", pick_ep(&tcmp_ep, &|e| (&e.tpar).into()));
    let tcmp_wrote = pick_ep(&tcmp_ep, &|e| e.twrote.index(&e.tpar.clone().into()));
    m.connect(sends, "s_valid", &do_tcmp & tcmp_wrote);
    m.connect(
        sends,
        "s_data",
        cat([Expr::from(&tcmp_ep), Expr::from(&tcmp_par)]),
    );

    // Jobs: {kind, core, line, slot, slot line, TX buffer, retire, preempt}.
    let exp_ep = m.node("expire_ep", encode(&exp_pick.clone().into(), ew));
    let exp_line = exp_tx.mux(
        cat([lit(tx_hi, 4), pick_ep(&exp_ep, &|e| (&e.tpar).into())]),
        pick_ep(&exp_ep, &|e| (&e.par).into()).zext(5),
    );
    let asg_par = select(
        &eps.iter().map(|e| Expr::from(&e.par)).collect::<Vec<_>>(),
        &assign_ep.clone().into(),
    );
    let per_ep = |v: &Sig| cat((0..n_ep).rev().map(|i| v.bit(core_of(i))));
    let exp_stop = cat([
        per_ep(&retire).index(&exp_ep.clone().into()),
        per_ep(&preempt).index(&exp_ep.clone().into()),
    ]);
    let grant_ep = m.node("tx_grant_ep", encode(&grant_pick.clone().into(), ew));
    let grant_par = m.node("tx_grant_par", pick_ep(&grant_ep, &|e| (&e.tpar).into()));
    let jk = |k: u64| lit(k, job::WIDTH);
    let no_tx = || lit(0, ew + 1);
    // Jobs of an endpoint go to its core, at one of its lines.
    let job_of =
        |kind: Expr, ep: Expr, line: Expr, slot: Expr, sline: Expr, txb: Expr, st: Expr| {
            let addr = cat([ep.clone(), line]).zext(LINE_ADDR_WIDTH);
            cat([kind, core_w(&ep), addr, slot, sline, txb, st])
        };
    let job_assign = job_of(
        jk(job::SLOT),
        (&assign_ep).into(),
        asg_par.zext(5),
        (&assign_slot).into(),
        lit(0, slw),
        no_tx(),
        lit(0, 2),
    );
    let job_grant = job_of(
        jk(job::TX),
        (&grant_ep).into(),
        cat([lit(tx_hi, 4), Expr::from(&grant_par)]),
        lit(0, sw),
        lit(0, slw),
        cat([Expr::from(&grant_ep), Expr::from(&grant_par)]),
        lit(0, 2),
    );
    let job_expire = job_of(
        jk(job::TRYAGAIN),
        (&exp_ep).into(),
        exp_line,
        lit(0, sw),
        lit(0, slw),
        no_tx(),
        exp_stop,
    );
    let job_inv = job_of(
        jk(job::INV),
        (&inv_ep).into(),
        (&inv_line).into(),
        lit(0, sw),
        lit(0, slw),
        no_tx(),
        lit(0, 2),
    );
    // Answers to c2n loads go to the requester, at the line it asked for.
    let job_up = cat([
        rd_serve.mux(jk(job::SLOT), jk(job::ERR)),
        Expr::from(&c2n.id),
        Expr::from(&c2n.line),
        Expr::from(&s_slot),
        Expr::from(&s_line),
        no_tx(),
        lit(0, 2),
    ]);
    let up_job = m.node("c2n_job", &up_event & (&rd_serve | &rd_err));
    m.connect(
        jobs,
        "s_valid",
        &do_assign | &do_grant | &do_exp | &do_inv | &up_job,
    );
    m.connect(
        jobs,
        "s_data",
        do_assign.mux(
            job_assign,
            do_grant.mux(
                job_grant,
                do_exp.mux(job_expire, do_inv.mux(job_inv, job_up)),
            ),
        ),
    );
    let ev_tryagain = m.output("ev_tryagain", 1);
    let ev_tryagain_r = m.reg_reset("ev_tryagain_r", 1, 0);
    m.set(&ev_tryagain_r, &do_exp);
    m.set(&ev_tryagain, &ev_tryagain_r);

    // The slot RAM: write-backs before the request writer, serializer reads before the
    // reply reader. The TX buffers: written by write-backs only.
    let ram = m.memory("slots", w, cfg.words(), RamStyle::Block);
    let wr_valid = gp(&mut m, "slot_wr", "valid", 1, PortDir::In);
    let wr_ready = gp(&mut m, "slot_wr", "ready", 1, PortDir::Out);
    let wr_addr = gp(&mut m, "slot_wr", "addr", word_w, PortDir::In);
    let wr_data = gp(&mut m, "slot_wr", "data", w, PortDir::In);
    let wr_free = m.node("slot_wr_free", !&wb);
    m.set(&wr_ready, &wr_free);
    m.mem_write(
        ram,
        &wb | (&wr_valid & &wr_free),
        &wb.mux(&wb_addr, &wr_addr),
        &wb.mux(&c2n.data, &wr_data),
    );
    let txram = m.memory("tx_buffers", w, 1 << tw, RamStyle::Distributed);
    let mut tx_wb_addr = vec![Expr::from(&up_ep), Expr::from(&tx_b)];
    tx_wb_addr.extend(beat_of(&up_beat));
    m.mem_write(txram, &tx_wb, &cat(tx_wb_addr), &c2n.data.clone().into());

    // The serializer: the job at the FIFO's head, beat by beat.
    let j_valid = m.inst_output(jobs, "m_valid");
    let j_data = m.inst_output(jobs, "m_data");
    let mut off = job_w;
    let mut field = |wd: u32| {
        off -= wd;
        j_data.slice(off, wd)
    };
    let j_kind = m.node("job_kind", field(job::WIDTH));
    let j_id = m.node("job_id", field(idw));
    let j_line = m.node("job_line", field(LINE_ADDR_WIDTH));
    let j_slot = m.node("job_slot", field(sw));
    let j_sline = m.node("job_slot_line", field(slw));
    let j_txb = m.node("job_tx_buffer", field(ew + 1));
    let j_stop = m.node("job_stop", field(2));
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
    let from_tx = m.node("issue_reads_tx", &issue & Expr::from(&j_kind).eq(job::TX));
    // The read port: slot words, or (region bit set) TX-buffer words.
    let rd_valid = gp(&mut m, "slot_rd", "valid", 1, PortDir::In);
    let rd_ready = gp(&mut m, "slot_rd", "ready", 1, PortDir::Out);
    let rd_addr = gp(&mut m, "slot_rd", "addr", aw + 1, PortDir::In);
    let rd_data = gp(&mut m, "slot_rd", "data", w, PortDir::Out);
    let rd_data_valid = gp(&mut m, "slot_rd", "data_valid", 1, PortDir::Out);
    let rd_tx = m.node("slot_rd_tx", rd_addr.bit(aw));
    let rd_free = m.node("slot_rd_free", rd_tx.mux(!&from_tx, !&from_ram));
    m.set(&rd_ready, &rd_free);
    let rd_go = m.node("slot_rd_go", &rd_valid & &rd_free);
    let mut ser_addr = vec![Expr::from(&j_slot), Expr::from(&j_sline)];
    ser_addr.extend(beat_of(&beat));
    let ram_q = m.mem_read_sync(
        ram,
        "slots_q",
        &from_ram | (&rd_go & !&rd_tx),
        &from_ram.mux(cat(ser_addr), rd_addr.trunc(word_w)),
    );
    let mut ser_tx_addr = vec![Expr::from(&j_txb)];
    ser_tx_addr.extend(beat_of(&beat));
    let tx_q = m.mem_read_sync(
        txram,
        "tx_buffers_q",
        &from_tx | (&rd_go & &rd_tx),
        &from_tx.mux(cat(ser_tx_addr), rd_addr.trunc(tw)),
    );
    let rd_tx_r = m.reg("slot_rd_tx_r", 1);
    m.when(&rd_go, |m| m.set(&rd_tx_r, &rd_tx));
    m.set(&rd_data, rd_tx_r.mux(&tx_q, &ram_q));
    let rd_dv = m.reg_reset("slot_rd_data_valid_r", 1, 0);
    m.set(&rd_dv, &rd_go);
    m.set(&rd_data_valid, &rd_dv);

    // Stage 1: the RAM word arrives; other kinds are made up here.
    let s1_kind = m.reg("s1_kind", job::WIDTH);
    let s1_stop = m.reg("s1_stop", 2);
    let s1_beat = beat.as_ref().map(|_| m.reg("s1_beat", bw));
    let out_hdr_w = OP_WIDTH + LINE_ADDR_WIDTH + idw + 1 + 1;
    let s1_hdr = m.reg("s1_header", out_hdr_w);
    m.set(&s1_valid, &issue);
    m.when(&issue, |m| {
        m.set(&s1_kind, &j_kind);
        m.set(&s1_stop, &j_stop);
        if let (Some(s), Some(b)) = (&s1_beat, &beat) {
            m.set(s, b);
        }
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
    // The TRYAGAIN line answers a CONTROL load (word 0 not VALID, PREEMPT and RETIRE as
    // the core's state) and a TX load (length TRYAGAIN_LEN) alike.
    debug_assert_eq!((ctrl::VALID, ctrl::PREEMPT, ctrl::RETIRE), (0, 1, 4));
    debug_assert_eq!((tx::ADDR_WORD, tx::LEN_LSB, tx::PORT_WORD), (14, 48, 15));
    let tryagain_line = cat([
        lit(0, 64),
        lit(tx::TRYAGAIN_LEN, 16),
        lit(0, 48 + 13 * 64 + 59),
        s1_stop.bit(1),
        lit(0, 2),
        s1_stop.bit(0),
        lit(0, 1),
    ]);
    debug_assert_eq!(tryagain_line.width(), LINE_BITS);
    let tryagain_beat = match &s1_beat {
        Some(b) => pick(&tryagain_line, &b.clone().into(), w),
        None => tryagain_line,
    };
    let k1: Expr = (&s1_kind).into();
    let s1_data = m.node(
        "s1_data",
        k1.eq(job::SLOT).mux(
            &ram_q,
            k1.eq(job::TX)
                .mux(&tx_q, k1.eq(job::TRYAGAIN).mux(tryagain_beat, lit(0, w))),
        ),
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

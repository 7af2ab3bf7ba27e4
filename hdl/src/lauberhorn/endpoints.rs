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

use crate::blocks::onehot::{above, encode, lowest_set, rr_pick, select, select_onehot};
use crate::blocks::pieces::pick;
use crate::blocks::sync_fifo::{sync_fifo, SyncFifoCfg};
use crate::bundles::Side;
use crate::config::LauberhornConfig;
use crate::ir::{
    cat, clog2, lit, Expr, HdlErrors, Inst, Layout, Mem, Module, ModuleBuilder, PortDir, RamStyle,
    Sig,
};
use crate::lauberhorn::coherence::{
    ctrl, down, line, line_beats, tx, up, CohCfg, CohChannel, LINE_ADDR_WIDTH, LINE_BITS, OP_WIDTH,
};
use std::rc::Rc;

crate::port_group! {
    /// The receive path's writes of a request's lines into a slot.
    pub struct SlotWrite = "slot_wr" { valid: forward, addr: forward, data: forward, ready: backward }
}

crate::port_group! {
    /// The scheduler binds a slot to a waiting endpoint; `ok` when it took it.
    pub struct SlotAssign = "assign" { valid: forward, ep: forward, slot: forward, ok: backward }
}

crate::port_group! {
    /// A request acknowledged by its core, its slot handed to the reply path.
    pub struct RequestDone = "done" { valid: forward, slot: forward, wrote: forward, ready: backward }
}

crate::port_group! {
    /// The reply path's reads of a response from its slot.
    pub struct SlotRead = "slot_rd" {
        valid: forward,
        addr: forward,
        ready: backward,
        data: backward,
        data_valid: backward,
    }
}

crate::port_group! {
    /// A rung TX buffer queued to the transmitter.
    pub struct TxSend = "tx_send" { valid: forward, ep: forward, buf: forward, ready: backward }
}

crate::port_group! {
    /// A sent TX buffer handed back to its endpoint.
    pub struct TxBufferDone = "tx_done" { valid: forward, ep: forward, buf: forward }
}

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

/// Sizes derived from [`EndpointsCfg`], named once for every part of the generator.
struct Dims {
    endpoints: u32,
    ep_bits: u32,
    id_bits: u32,
    slot_bits: u32,
    /// Bits of a line's index inside a slot.
    slot_line_bits: u32,
    /// Receive lines of an endpoint: two CONTROL lines and the AUX lines.
    rx_lines: u32,
    /// Tracked lines of an endpoint: the receive lines, then TX 0 and TX 1.
    tracked_lines: u32,
    beats: u32,
    /// Bits of a beat number: 0 when a line is one beat.
    beat_bits: u32,
    data_bits: u32,
    /// Bits of an endpoint's count of unanswered invalidations.
    outstanding_bits: u32,
    slot_words: u64,
    slot_word_bits: u32,
    tx_word_bits: u32,
    /// Bits of `slot_rd_addr` below its region bit.
    rd_word_bits: u32,
    /// The TX lines' index in the page, but for its last bit (the parity).
    tx_line_hi: u64,
}

impl Dims {
    fn new(cfg: &EndpointsCfg) -> Self {
        let tracked_lines = cfg.lines() + 2;
        Dims {
            endpoints: cfg.endpoints(),
            ep_bits: cfg.ep_width(),
            id_bits: cfg.id_width(),
            slot_bits: clog2(u64::from(cfg.slots)),
            slot_line_bits: clog2(u64::from(cfg.slot_lines())),
            rx_lines: cfg.lines(),
            tracked_lines,
            beats: cfg.beats(),
            beat_bits: cfg.beats().trailing_zeros(),
            data_bits: cfg.coh_width,
            outstanding_bits: clog2(u64::from(tracked_lines) + 1),
            slot_words: cfg.words(),
            slot_word_bits: cfg.word_width(),
            tx_word_bits: cfg.tx_word_width(),
            rd_word_bits: cfg.rd_addr_width() - 1,
            tx_line_hi: u64::from(line::tx(0) >> 1),
        }
    }

    /// The core endpoint `ep` belongs to.
    fn core_of(ep: u32) -> u32 {
        ep / 2
    }

    /// The core id (on the link) of the endpoint numbered `ep`.
    fn core_id(&self, ep: &Expr) -> Expr {
        let core_bits = self.ep_bits - 1;
        if core_bits == 0 {
            lit(0, self.id_bits)
        } else {
            ep.slice(1, core_bits).resize(self.id_bits)
        }
    }

    /// A job for the serializer: its kind, the core and line it answers, the slot line or
    /// TX buffer it reads, and for a TRYAGAIN the stop bits {retire, preempt}.
    fn job_layout(&self) -> Layout {
        Layout::new(&[
            ("stop", 2),
            ("tx_buffer", self.ep_bits + 1),
            ("slot_line", self.slot_line_bits),
            ("slot", self.slot_bits),
            ("line", LINE_ADDR_WIDTH),
            ("id", self.id_bits),
            ("kind", job::WIDTH),
        ])
    }

    /// A request handed to the reply path: the endpoint, its slot, whether the core wrote.
    fn done_layout(&self) -> Layout {
        Layout::new(&[("wrote", 1), ("slot", self.slot_bits), ("ep", self.ep_bits)])
    }

    /// A TX line the core rang: the endpoint and its TX buffer.
    fn send_layout(&self) -> Layout {
        Layout::new(&[("buf", 1), ("ep", self.ep_bits)])
    }

    /// The header of an `n2c` beat.
    fn out_header_layout(&self) -> Layout {
        Layout::new(&out_header_fields(self.id_bits))
    }

    /// An `n2c` beat as it waits to leave: its data under its header.
    fn out_beat_layout(&self) -> Layout {
        Layout::new(
            &[
                &[("data", self.data_bits)][..],
                &out_header_fields(self.id_bits),
            ]
            .concat(),
        )
    }
}

/// A held load's timer, counting up and saturating, and whether it reached the timeout:
/// a register set as the count steps, so no compare lies between the count and the events
/// it starts.
struct Timer {
    count: Sig,
    reached: Sig,
}

/// The held-load timeout, registered: the steps that set a timer's `reached` compare with
/// it. A new timeout applies to a timer's next step.
struct Timeout {
    /// `timeout` - 1, and `timeout` is 0.
    less_one: Sig,
    zero: Sig,
}

impl Timeout {
    fn new(m: &mut ModuleBuilder, timeout: &Sig) -> Self {
        let less_one = m.reg("timeout_less_one", TIMER_WIDTH);
        let zero = m.reg("timeout_zero", 1);
        m.set(&less_one, timeout - lit(1, TIMER_WIDTH));
        m.set(&zero, Expr::from(timeout).eq(0u64));
        Timeout { less_one, zero }
    }
}

impl Timer {
    fn new(m: &mut ModuleBuilder, name: &str) -> Self {
        Timer {
            count: m.reg(name, TIMER_WIDTH),
            reached: m.reg(&format!("{name}_reached"), 1),
        }
    }

    /// Counts while `run`; the step to `count + 1` reaches the timeout when `count` is at
    /// least `timeout - 1`.
    fn tick(&self, m: &mut ModuleBuilder, run: &Sig, t: &Timeout) {
        m.when(run & !Expr::from(&self.count).all(), |m| {
            m.set(&self.count, &self.count + lit(1, TIMER_WIDTH));
            m.set(
                &self.reached,
                &t.zero | Expr::from(&self.count).ge(&t.less_one),
            );
        });
    }

    /// From 0 (under the enclosing conditions).
    fn restart(&self, m: &mut ModuleBuilder, t: &Timeout) {
        m.set(&self.count, lit(0, TIMER_WIDTH));
        m.set(&self.reached, &t.zero);
    }
}

/// Per-endpoint state registers.
struct Ep {
    /// The CONTROL line carrying the current request.
    parity: Sig,
    /// A slot is bound to the endpoint.
    bound: Sig,
    slot: Sig,
    /// A load of CONTROL `parity` is held.
    wanted: Sig,
    /// An acknowledgement is being collected: once quiet, the request is done.
    completing: Sig,
    /// The core wrote back CONTROL `parity` since the slot was bound.
    written: Sig,
    /// Lines the core may hold (bit j = receive line j; bits `lines`, `lines + 1`: TX 0, 1).
    held: Sig,
    /// Lines to invalidate.
    to_invalidate: Sig,
    /// Invalidations sent and not yet answered.
    outstanding: Sig,
    timer: Timer,
    /// TX: the current TX line, a held TX load and its timer, a doorbell being collected,
    /// and per buffer: written since it was last sent, being sent.
    tx_parity: Sig,
    tx_wanted: Sig,
    tx_timer: Timer,
    tx_completing: Sig,
    tx_written: Sig,
    tx_busy: Sig,
}

/// The endpoints' state and the conditions the event selection reads of it.
struct EpState {
    eps: Vec<Ep>,
    /// Per endpoint: no invalidation left to send or to be answered.
    quiet: Vec<Expr>,
    /// Per endpoint: a load held with no slot bound and nothing in flight.
    ready_for: Vec<Expr>,
    /// `waiting_now`: the endpoints a slot may be assigned to.
    waiting: Sig,
}

impl EpState {
    fn new(m: &mut ModuleBuilder, d: &Dims, stop: &Sig) -> Self {
        let eps: Vec<Ep> = (0..d.endpoints)
            .map(|i| {
                let r = |m: &mut ModuleBuilder, f: &str, wd: u32| {
                    m.reg_reset(&format!("ep{i}_{f}"), wd, 0)
                };
                Ep {
                    parity: r(m, "par", 1),
                    bound: r(m, "bound", 1),
                    slot: m.reg(&format!("ep{i}_slot"), d.slot_bits),
                    wanted: r(m, "want", 1),
                    completing: r(m, "flip", 1),
                    written: m.reg(&format!("ep{i}_wrote"), 1),
                    held: r(m, "held", d.tracked_lines),
                    to_invalidate: r(m, "todo", d.tracked_lines),
                    outstanding: r(m, "outst", d.outstanding_bits),
                    timer: Timer::new(m, &format!("ep{i}_timer")),
                    tx_parity: r(m, "tx_par", 1),
                    tx_wanted: r(m, "tx_want", 1),
                    tx_timer: Timer::new(m, &format!("ep{i}_tx_timer")),
                    tx_completing: r(m, "tx_flip", 1),
                    tx_written: r(m, "tx_wrote", 2),
                    tx_busy: r(m, "tx_busy", 2),
                }
            })
            .collect();
        let quiet: Vec<Expr> = eps
            .iter()
            .map(|e| Expr::from(&e.to_invalidate).eq(0u64) & Expr::from(&e.outstanding).eq(0u64))
            .collect();
        let ready_for: Vec<Expr> = eps
            .iter()
            .zip(&quiet)
            .map(|(e, q)| &e.wanted & !&e.bound & !&e.completing & q)
            .collect();
        let waiting = m.node(
            "waiting_now",
            cat((0..d.endpoints)
                .rev()
                .map(|i| ready_for[i as usize].clone() & !stop.bit(Dims::core_of(i)))),
        );
        EpState {
            eps,
            quiet,
            ready_for,
            waiting,
        }
    }

    /// `f` of the endpoint numbered `ep`.
    fn pick(&self, ep: &Sig, f: impl Fn(&Ep) -> Expr) -> Expr {
        select(
            &self.eps.iter().map(f).collect::<Vec<_>>(),
            &ep.clone().into(),
        )
    }

    /// One bit per endpoint (the last endpoint's first), `f` of each.
    fn each(&self, f: impl Fn(usize, &Ep) -> Expr) -> Expr {
        cat(self.eps.iter().enumerate().rev().map(|(i, e)| f(i, e)))
    }
}

/// The scheduler's side: the held-load timeout, the cores' preemption and retirement, and
/// slot assignments.
struct Scheduler {
    timeout: Timeout,
    preempt: Sig,
    retire: Sig,
    /// A preempted or retired core gets no requests, and its held loads are answered.
    stop: Sig,
    assign: Assign,
}

/// The scheduler's assignment of a slot to a waiting endpoint.
struct Assign {
    valid: Sig,
    ep: Sig,
    slot: Sig,
    ok: Sig,
}

/// A TX buffer back from the transmitter.
struct TxDone {
    valid: Sig,
    ep: Sig,
    buf: Sig,
}

/// Queues: answers to send (`jobs`), finished requests (`dones`, to the reply path),
/// written TX buffers (`sends`, to the transmitter).
struct Queues {
    jobs: Inst,
    job_room: Sig,
    dones: Inst,
    done_room: Sig,
    sends: Inst,
    send_room: Sig,
    tx_done: TxDone,
}

/// The event handled this cycle (at most one `do_*` is set) and its endpoint.
struct Events {
    do_complete: Sig,
    complete_pick: Sig,
    do_tx_complete: Sig,
    tx_complete_pick: Sig,
    do_assign: Sig,
    do_grant: Sig,
    grant_pick: Sig,
    do_expire: Sig,
    /// The expiring load is a TX load.
    expire_tx: Sig,
    expire_pick: Sig,
    do_inv: Sig,
    inv_pick: Sig,
    inv_ep: Sig,
    /// The line to invalidate, as a tracked-line one-hot and as a page line.
    inv_line_onehot: Sig,
    inv_line: Sig,
    /// No other event: the `c2n` message may complete.
    c2n_take: Sig,
}

/// The `c2n` message decoded against the state of the endpoint it addresses.
struct C2nMsg {
    /// The line's index in the endpoint's page.
    index: Sig,
    ep: Sig,
    tx_buf: Sig,
    /// The line exists and belongs to the sender's endpoints.
    target_ok: Sig,
    ep_slot: Sig,
    at_parity: Sig,
    is_evict: Sig,
    is_ack: Sig,
    /// What a load does: answered from the slot, held, acknowledging, a held TX load, a
    /// doorbell, or a violation.
    rd_serve: Sig,
    rd_hold: Sig,
    rd_ack: Sig,
    rd_tx_hold: Sig,
    rd_doorbell: Sig,
    rd_error: Sig,
    slot_line: Sig,
    /// The message's last beat is taken.
    event: Sig,
    beat: Option<Sig>,
    writeback: Sig,
    tx_writeback: Sig,
    writeback_word: Sig,
}

/// The job at the serializer's head and the beat being issued from it.
struct Issue {
    kind: Sig,
    id: Sig,
    line: Sig,
    slot: Sig,
    slot_line: Sig,
    tx_buffer: Sig,
    stop: Sig,
    beats_out: Inst,
    s1_valid: Sig,
    issue: Sig,
    is_inv: Sig,
    beat: Option<Sig>,
    last: Sig,
    reads_slot: Sig,
    reads_tx: Sig,
}

/// The beat counter as an address field: none when a line is one beat.
fn beat_part(beat: &Option<Sig>) -> Vec<Expr> {
    beat.iter().map(Expr::from).collect()
}

/// The fields of an `n2c` beat's header, least significant first.
fn out_header_fields(id_bits: u32) -> [(&'static str, u32); 5] {
    [
        ("last", 1),
        ("err", 1),
        ("id", id_bits),
        ("line", LINE_ADDR_WIDTH),
        ("op", OP_WIDTH),
    ]
}

pub fn endpoints(cfg: EndpointsCfg) -> Result<Rc<Module>, HdlErrors> {
    let name = format!(
        "lauberhorn_endpoints_c{}_w{}_a{}_s{}",
        cfg.cores, cfg.coh_width, cfg.aux_lines, cfg.slots
    );
    cfg.validate(&name)?;
    let d = Dims::new(&cfg);
    let mut m = ModuleBuilder::new(&name);
    m.doc(format!(
        "Lauberhorn CONTROL-line endpoints: {} cores x (user, kernel), {} AUX lines and two TX\n\
         lines each, {} request slots, {}-bit coherence channels ({} beats per line).",
        cfg.cores, cfg.aux_lines, cfg.slots, d.data_bits, d.beats
    ));
    let c2n = CohChannel::new(&mut m, "c2n", Side::Sink, cfg.coh(), false);
    let n2c = CohChannel::new(&mut m, "n2c", Side::Source, cfg.coh(), true);
    let timeout = m.input("timeout", TIMER_WIDTH);
    let preempt = m.input("preempt", cfg.cores);
    let retire = m.input("retire", cfg.cores);
    let stop = m.node("stop", &preempt | &retire);
    let sched = Scheduler {
        timeout: Timeout::new(&mut m, &timeout),
        preempt,
        retire,
        stop,
        assign: Assign {
            valid: m.group_port("assign", "valid", 1, PortDir::In),
            ep: m.group_port("assign", "ep", d.ep_bits, PortDir::In),
            slot: m.group_port("assign", "slot", d.slot_bits, PortDir::In),
            ok: m.group_port("assign", "ok", 1, PortDir::Out),
        },
    };
    let waiting = m.output("waiting", d.endpoints);
    let st = EpState::new(&mut m, &d, &sched.stop);
    m.set(&waiting, &st.waiting);
    let q = queues(&mut m, &d)?;
    let ev = select_events(&mut m, &d, &st, &q, &sched);
    let msg = decode_c2n(&mut m, &d, &st, &c2n, &ev.c2n_take);
    update_endpoints(&mut m, &d, &st, &ev, &msg, &sched, &q.tx_done);
    hand_off(&mut m, &d, &st, &ev, &q);
    queue_jobs(&mut m, &d, &st, &ev, &c2n, &msg, &q, &sched);
    let (ram, txram) = slot_rams(&mut m, &d, &c2n, &msg);
    let head = issue(&mut m, &d, &q)?;
    let (ram_q, tx_q) = read_port(&mut m, &d, ram, txram, &head);
    serialize(&mut m, &d, &head, &ram_q, &tx_q, &n2c);
    // Port groups declared by hand where they are used, in port order.
    SlotAssign::mark(&mut m, Side::Sink);
    // With the endpoint whose core acknowledged (the NIC leaves it unread).
    RequestDone::mark_with(&mut m, Side::Source, &[("ep", true)]);
    TxSend::mark(&mut m, Side::Source);
    TxBufferDone::mark(&mut m, Side::Sink);
    SlotWrite::mark(&mut m, Side::Sink);
    SlotRead::mark(&mut m, Side::Sink);
    m.finish()
}

/// The job, finished-request and TX-send FIFOs and the ports of the latter two.
fn queues(m: &mut ModuleBuilder, d: &Dims) -> Result<Queues, HdlErrors> {
    let (ep_bits, slot_bits) = (d.ep_bits, d.slot_bits);
    let jobs = m.instance(
        "jobs",
        &sync_fifo(SyncFifoCfg::new(d.job_layout().width(), JOB_DEPTH))?,
    );
    let job_room = m.inst_output(jobs, "s_ready");
    let jobs_count = m.inst_output(jobs, "count");
    m.unused(&jobs_count);
    let dones = m.instance(
        "dones",
        &sync_fifo(SyncFifoCfg::new(d.done_layout().width(), DONE_DEPTH))?,
    );
    let done_room = m.inst_output(dones, "s_ready");
    let dones_count = m.inst_output(dones, "count");
    m.unused(&dones_count);
    let done_data = m.inst_output(dones, "m_data");
    let done_head_valid = m.inst_output(dones, "m_valid");
    let done_valid = m.group_port("done", "valid", 1, PortDir::Out);
    let done_ready = m.group_port("done", "ready", 1, PortDir::In);
    m.set(&done_valid, &done_head_valid);
    m.connect(dones, "m_ready", &done_ready);
    for (f, wd) in [("ep", ep_bits), ("slot", slot_bits), ("wrote", 1)] {
        let p = m.group_port("done", f, wd, PortDir::Out);
        m.set(&p, d.done_layout().get(&done_data, f));
    }
    let sends = m.instance(
        "sends",
        &sync_fifo(SyncFifoCfg::new(d.send_layout().width(), SEND_DEPTH))?,
    );
    let send_room = m.inst_output(sends, "s_ready");
    let sends_count = m.inst_output(sends, "count");
    m.unused(&sends_count);
    let send_data = m.inst_output(sends, "m_data");
    let send_head_valid = m.inst_output(sends, "m_valid");
    let send_valid = m.group_port("tx_send", "valid", 1, PortDir::Out);
    let send_ready = m.group_port("tx_send", "ready", 1, PortDir::In);
    m.set(&send_valid, &send_head_valid);
    m.connect(sends, "m_ready", &send_ready);
    for (f, wd) in [("ep", ep_bits), ("buf", 1)] {
        let p = m.group_port("tx_send", f, wd, PortDir::Out);
        m.set(&p, d.send_layout().get(&send_data, f));
    }
    let tx_done = TxDone {
        valid: m.group_port("tx_done", "valid", 1, PortDir::In),
        ep: m.group_port("tx_done", "ep", ep_bits, PortDir::In),
        buf: m.group_port("tx_done", "buf", 1, PortDir::In),
    };
    Ok(Queues {
        jobs,
        job_room,
        dones,
        done_room,
        sends,
        send_room,
        tx_done,
    })
}

/// Event selection: one per cycle, in the priority order of the module doc.
fn select_events(
    m: &mut ModuleBuilder,
    d: &Dims,
    st: &EpState,
    q: &Queues,
    sched: &Scheduler,
) -> Events {
    let (eps, quiet, assign) = (&st.eps, &st.quiet, &sched.assign);
    let stop = &sched.stop;
    let complete_req = m.node("complete_req", st.each(|i, e| &e.completing & &quiet[i]));
    // Completions take turns (round robin after the last one): the reply path takes one at
    // a time, and with a fixed priority the low endpoints' completions, under load, kept
    // the high ones from ever completing (at 48 cores, cores past 17 served one request
    // each while cores 0 to 3 served the rest).
    let complete_after = m.reg_reset("complete_after", d.endpoints, 0);
    let complete_pick = rr_pick(
        m,
        "complete_pick",
        &complete_req.clone().into(),
        &complete_after.clone().into(),
    );
    let do_complete = m.node("do_complete", complete_req.any() & &q.done_room);
    m.when(&do_complete, |m| {
        m.set(&complete_after, above(&complete_pick.clone().into()))
    });
    let tx_complete_req = m.node(
        "tx_complete_req",
        st.each(|i, e| &e.tx_completing & &quiet[i]),
    );
    let tx_complete_pick = m.node(
        "tx_complete_pick",
        lowest_set(&tx_complete_req.clone().into()),
    );
    let do_tx_complete = m.node(
        "do_tx_complete",
        !&do_complete & tx_complete_req.any() & &q.send_room,
    );
    let assign_fits = m.node("assign_fits", st.waiting.index(&assign.ep.clone().into()));
    let ok = m.node(
        "assign_accept",
        !&do_complete & !&do_tx_complete & &q.job_room & &assign_fits,
    );
    m.set(&assign.ok, &ok);
    let do_assign = m.node("do_assign", &ok & &assign.valid);
    let tx_free_now: Vec<Expr> = eps
        .iter()
        .map(|e| !e.tx_busy.index(&e.tx_parity.clone().into()))
        .collect();
    let grant_req = m.node(
        "tx_grant_req",
        st.each(|i, e| &e.tx_wanted & !&e.tx_completing & &quiet[i] & tx_free_now[i].clone()),
    );
    let grant_pick = m.node("tx_grant_pick", lowest_set(&grant_req.clone().into()));
    let free_after_assign = m.node(
        "free_after_assign",
        !&do_complete & !&do_tx_complete & !&do_assign & &q.job_room,
    );
    let do_grant = m.node("do_tx_grant", &free_after_assign & grant_req.any());
    let free_after_grant = m.node("free_after_grant", &free_after_assign & !grant_req.any());
    let stopped = |i: usize| stop.bit(Dims::core_of(i as u32));
    let rx_expired = m.node(
        "expire_req",
        st.each(|i, e| st.ready_for[i].clone() & (Expr::from(&e.timer.reached) | stopped(i))),
    );
    let tx_expired = m.node(
        "tx_expire_req",
        st.each(|i, e| {
            &e.tx_wanted
                & !&e.tx_completing
                & &quiet[i]
                & !tx_free_now[i].clone()
                & (Expr::from(&e.tx_timer.reached) | stopped(i))
        }),
    );
    // Receive lines first, then TX lines.
    let expire_tx = m.node("expire_tx", !rx_expired.any());
    let expire_pick = m.node(
        "expire_pick",
        lowest_set(&expire_tx.mux(&tx_expired, &rx_expired)),
    );
    let expire_any = m.node("expire_any", rx_expired.any() | tx_expired.any());
    let do_expire = m.node("do_expire", &free_after_grant & &expire_any);
    // The next line to invalidate, picked a cycle ahead into registers: the lowest
    // endpoint with lines to invalidate, its lowest such line (picked per endpoint in
    // parallel, then by the endpoint's one-hot). Picked in the cycle it is sent, the two
    // priority picks and their encoders made a path of seven LUT levels into the job
    // queue. Only an invalidation clears a line's bit, so the candidate stays true until
    // it is sent; the cycle after, it is the one just sent, and waits for the next pick.
    let inv_req = m.node(
        "inv_req",
        st.each(|_, e| Expr::from(&e.to_invalidate).any()),
    );
    let line_first: Vec<Expr> = st
        .eps
        .iter()
        .map(|e| lowest_set(&e.to_invalidate.clone().into()))
        .collect();
    let ep_first = m.node("inv_ep_first", lowest_set(&inv_req.clone().into()));
    let inv_pick = m.reg("inv_pick", d.endpoints);
    let inv_line_onehot = m.reg("inv_line_onehot", d.tracked_lines);
    let inv_ready = m.reg_reset("inv_ready", 1, 0);
    m.set(&inv_pick, &ep_first);
    m.set(
        &inv_line_onehot,
        select_onehot(&line_first, &ep_first.clone().into()),
    );
    let do_inv = m.node("do_inv", &free_after_grant & !&expire_any & &inv_ready);
    m.set(&inv_ready, inv_req.any() & !&do_inv);
    let c2n_take = m.node("c2n_take", &free_after_grant & !&expire_any & !&inv_ready);
    let inv_ep = m.node("inv_ep", encode(&inv_pick.clone().into(), d.ep_bits));
    // Tracked line to page line: the receive lines at 0.., the TX lines at the page's end.
    let mut page = vec![inv_line_onehot.slice(d.rx_lines, 2)];
    if line::tx(0) > d.rx_lines {
        page.push(lit(0, line::tx(0) - d.rx_lines));
    }
    page.push(inv_line_onehot.slice(0, d.rx_lines));
    let inv_line = m.node("inv_line", encode(&cat(page), 5));
    Events {
        do_complete,
        complete_pick,
        do_tx_complete,
        tx_complete_pick,
        do_assign,
        do_grant,
        grant_pick,
        do_expire,
        expire_tx,
        expire_pick,
        do_inv,
        inv_pick,
        inv_ep,
        inv_line_onehot,
        inv_line,
        c2n_take,
    }
}

/// The `c2n` message: its line decoded, what it does to its endpoint, its beats and
/// where its data goes.
fn decode_c2n(
    m: &mut ModuleBuilder,
    d: &Dims,
    st: &EpState,
    c2n: &CohChannel,
    c2n_take: &Sig,
) -> C2nMsg {
    let (ep_bits, beat_bits) = (d.ep_bits, d.beat_bits);
    let index = m.node("c2n_index", c2n.line.slice(0, 5));
    let ep = m.node("c2n_ep", c2n.line.slice(5, ep_bits));
    let above_ep = c2n.line.slice(5 + ep_bits, LINE_ADDR_WIDTH - 5 - ep_bits);
    let ep_in_range = if d.endpoints.is_power_of_two() {
        lit(1, 1)
    } else {
        Expr::from(&ep).lt(u64::from(d.endpoints))
    };
    let is_tx = m.node("c2n_is_tx", index.slice(1, 4).eq(d.tx_line_hi));
    let tx_buf = m.node("c2n_tx_buf", index.bit(0));
    let target_ok = m.node(
        "c2n_target_ok",
        above_ep.eq(0u64)
            & ep_in_range
            & (Expr::from(&index).lt(u64::from(d.rx_lines)) | &is_tx)
            & Expr::from(&c2n.id).eq(d.core_id(&ep.clone().into())),
    );
    let ep_parity = m.node("c2n_ep_par", st.pick(&ep, |e| (&e.parity).into()));
    let ep_bound = m.node("c2n_ep_bound", st.pick(&ep, |e| (&e.bound).into()));
    let ep_slot = m.node("c2n_ep_slot", st.pick(&ep, |e| (&e.slot).into()));
    let ep_wanted = m.node("c2n_ep_want", st.pick(&ep, |e| (&e.wanted).into()));
    let ep_completing = m.node("c2n_ep_flip", st.pick(&ep, |e| (&e.completing).into()));
    let ep_tx_parity = m.node("c2n_ep_tx_par", st.pick(&ep, |e| (&e.tx_parity).into()));
    let ep_tx_wanted = m.node("c2n_ep_tx_want", st.pick(&ep, |e| (&e.tx_wanted).into()));
    let ep_tx_completing = m.node(
        "c2n_ep_tx_flip",
        st.pick(&ep, |e| (&e.tx_completing).into()),
    );
    let ep_tx_busy = m.node("c2n_ep_tx_busy", st.pick(&ep, |e| (&e.tx_busy).into()));
    let is_ctrl = m.node("c2n_is_control", Expr::from(&index).lt(2u64));
    let at_parity = m.node("c2n_at_parity", &is_ctrl & index.bit(0).eq(&ep_parity));
    let at_other = m.node("c2n_at_other", &is_ctrl & index.bit(0).ne(&ep_parity));
    let is_aux = m.node("c2n_is_aux", !&is_ctrl & !&is_tx);
    let at_tx_parity = m.node(
        "c2n_at_tx_parity",
        &is_tx & Expr::from(&tx_buf).eq(&ep_tx_parity),
    );
    let at_tx_other = m.node(
        "c2n_at_tx_other",
        &is_tx & Expr::from(&tx_buf).ne(&ep_tx_parity),
    );
    let op: Expr = (&c2n.op).into();
    let is_rd = m.node("c2n_is_read", op.le(up::RD_EXCL));
    let is_evict = m.node(
        "c2n_is_evict",
        op.eq(up::EVICT_CLEAN) | op.eq(up::EVICT_DIRTY),
    );
    let is_ack = m.node("c2n_is_ack", op.eq(up::ACK) | op.eq(up::ACK_DATA));
    let has_data = m.node("c2n_has_data", op.eq(up::EVICT_DIRTY) | op.eq(up::ACK_DATA));
    let live = m.node("c2n_live", &ep_bound & !&ep_completing);
    let rd = |m: &mut ModuleBuilder, n: &str, e: Expr| m.node(n, &is_rd & &target_ok & e);
    let rd_serve = rd(m, "rd_serve", (&at_parity | &is_aux) & &live);
    let rd_hold = rd(
        m,
        "rd_hold",
        &at_parity & !&ep_bound & !&ep_wanted & !&ep_completing,
    );
    let rd_ack = rd(m, "rd_ack", &at_other & !&ep_wanted & !&ep_completing);
    let tx_idle = m.node("c2n_tx_idle", !&ep_tx_wanted & !&ep_tx_completing);
    let rd_tx_hold = rd(m, "rd_tx_hold", &at_tx_parity & &tx_idle);
    let rd_doorbell = rd(m, "rd_doorbell", &at_tx_other & &tx_idle);
    let rd_error = m.node(
        "rd_error",
        &is_rd & !(&rd_serve | &rd_hold | &rd_ack | &rd_tx_hold | &rd_doorbell),
    );
    // The slot line a served load or a write-back addresses.
    let aux_k = (Expr::from(&index) - lit(1, 5)).trunc(d.slot_line_bits);
    let slot_line = m.node(
        "c2n_slot_line",
        at_parity.mux(lit(0, d.slot_line_bits), aux_k),
    );

    // Beats of multi-beat messages; state changes at the message's last beat.
    let ready = m.node("c2n_ready_now", !&c2n.last | c2n_take);
    m.set(&c2n.ready, &ready);
    let fire = m.node("c2n_fire", &c2n.valid & &ready);
    let event = m.node("c2n_event", &fire & &c2n.last);
    let beat = (beat_bits > 0).then(|| {
        let b = m.reg_reset("c2n_beat", beat_bits, 0);
        m.when(&fire, |m| {
            m.set(&b, c2n.last.mux(lit(0, beat_bits), &b + lit(1, beat_bits)));
        });
        b
    });
    let writeback = m.node(
        "writeback",
        &fire & &has_data & &target_ok & &ep_bound & (&at_parity | &is_aux),
    );
    // A TX buffer takes write-backs until it is queued to be sent.
    let tx_writeback = m.node(
        "tx_writeback",
        &fire & &has_data & &target_ok & &is_tx & !ep_tx_busy.index(&tx_buf.clone().into()),
    );
    let mut word = vec![Expr::from(&ep_slot), Expr::from(&slot_line)];
    word.extend(beat_part(&beat));
    let writeback_word = m.node("writeback_word", cat(word));
    let violation = m.node(
        "violation_now",
        &event & (&rd_error | (!&is_rd & !&target_ok) | op.gt(up::ACK_DATA)),
    );
    let ev_violation = m.output("ev_violation", 1);
    let ev_violation_r = m.reg_reset("ev_violation_r", 1, 0);
    m.set(&ev_violation_r, &violation);
    m.set(&ev_violation, &ev_violation_r);
    C2nMsg {
        index,
        ep,
        tx_buf,
        target_ok,
        ep_slot,
        at_parity,
        is_evict,
        is_ack,
        rd_serve,
        rd_hold,
        rd_ack,
        rd_tx_hold,
        rd_doorbell,
        rd_error,
        slot_line,
        event,
        beat,
        writeback,
        tx_writeback,
        writeback_word,
    }
}

/// Per-endpoint state updates: the event chosen for it and the `c2n` message at it.
fn update_endpoints(
    m: &mut ModuleBuilder,
    d: &Dims,
    st: &EpState,
    ev: &Events,
    msg: &C2nMsg,
    sched: &Scheduler,
    tx_done: &TxDone,
) {
    let (assign, timeout) = (&sched.assign, &sched.timeout);
    let (rx_count, tracked) = (d.rx_lines, d.tracked_lines);
    let line_onehot = m.node(
        "c2n_line_onehot",
        cat((0..tracked).rev().map(|j| {
            let page_line = if j < rx_count {
                j
            } else {
                line::tx(j - rx_count)
            };
            Expr::from(&msg.index).eq(u64::from(page_line))
        })),
    );
    let rx_mask = lit((1 << rx_count) - 1, tracked);
    // The tracked-line bit of TX line `t`, and a 2-bit one-hot of a buffer.
    let tx_bit = |t: &Expr| {
        t.mux(
            lit(1 << (rx_count + 1), tracked),
            lit(1 << rx_count, tracked),
        )
    };
    let buf_onehot = |t: &Expr| cat([t.clone(), !t.clone()]);
    let one = lit(1, d.outstanding_bits);
    for (i, e) in st.eps.iter().enumerate() {
        let me = |v: &Sig| v.bit(i as u32);
        let at_me = |ep: &Sig| Expr::from(ep).eq(i as u64);
        let msg_here = m.node(
            &format!("ep{i}_c2n"),
            &msg.event & at_me(&msg.ep) & &msg.target_ok,
        );
        let parity_line = e.parity.mux(lit(2, tracked), lit(1, tracked));
        let tx_parity_line = tx_bit(&e.tx_parity.clone().into());
        let expire = m.node(
            &format!("ep{i}_expire"),
            &ev.do_expire & !&ev.expire_tx & me(&ev.expire_pick),
        );
        let tx_expire = m.node(
            &format!("ep{i}_tx_expire"),
            &ev.do_expire & &ev.expire_tx & me(&ev.expire_pick),
        );
        let invalidate = m.node(&format!("ep{i}_invalidate"), &ev.do_inv & me(&ev.inv_pick));
        let complete = m.node(
            &format!("ep{i}_complete"),
            &ev.do_complete & me(&ev.complete_pick),
        );
        let tx_complete = m.node(
            &format!("ep{i}_tx_complete"),
            &ev.do_tx_complete & me(&ev.tx_complete_pick),
        );
        let grant = m.node(
            &format!("ep{i}_tx_grant"),
            &ev.do_grant & me(&ev.grant_pick),
        );
        let assigned = m.node(&format!("ep{i}_assign"), &ev.do_assign & at_me(&assign.ep));
        // Timers: count while a load is held, saturating.
        e.timer.tick(m, &e.wanted, timeout);
        e.tx_timer.tick(m, &e.tx_wanted, timeout);
        m.when(&msg_here & &msg.rd_serve, |m| {
            m.set(&e.held, &e.held | &line_onehot)
        });
        m.when(&msg_here & &msg.rd_hold, |m| {
            m.set(&e.wanted, 1);
            e.timer.restart(m, timeout);
        });
        m.when(&msg_here & &msg.rd_ack, |m| {
            m.set(&e.completing, 1);
            m.set(
                &e.to_invalidate,
                &e.to_invalidate | (&e.held & rx_mask.clone()),
            );
            m.set(&e.held, &e.held & !rx_mask.clone());
        });
        m.when(&msg_here & &msg.rd_tx_hold, |m| {
            m.set(&e.tx_wanted, 1);
            e.tx_timer.restart(m, timeout);
        });
        m.when(&msg_here & &msg.rd_doorbell, |m| {
            m.set(&e.tx_completing, 1);
            m.set(
                &e.to_invalidate,
                &e.to_invalidate | (&e.held & tx_parity_line.clone()),
            );
            m.set(&e.held, &e.held & !tx_parity_line.clone());
        });
        m.when(&msg_here & &msg.is_evict, |m| {
            m.set(&e.held, &e.held & !Expr::from(&line_onehot))
        });
        m.when(
            &msg_here & &msg.is_ack & Expr::from(&e.outstanding).ne(0u64),
            |m| m.set(&e.outstanding, &e.outstanding - one.clone()),
        );
        m.when(&msg.writeback & at_me(&msg.ep) & &msg.at_parity, |m| {
            m.set(&e.written, 1)
        });
        m.when(&assigned, |m| {
            m.set(&e.bound, 1);
            m.set(&e.slot, &assign.slot);
            m.set(&e.wanted, 0);
            m.set(&e.written, 0);
            m.set(&e.held, &e.held | parity_line.clone());
        });
        m.when(&grant, |m| {
            m.set(&e.tx_wanted, 0);
            m.set(&e.held, &e.held | tx_parity_line.clone());
        });
        m.when(&expire, |m| {
            m.set(&e.wanted, 0);
            m.set(&e.to_invalidate, &e.to_invalidate | parity_line.clone());
        });
        m.when(&tx_expire, |m| {
            m.set(&e.tx_wanted, 0);
            m.set(&e.to_invalidate, &e.to_invalidate | tx_parity_line.clone());
        });
        m.when(&invalidate, |m| {
            m.set(
                &e.to_invalidate,
                &e.to_invalidate & !Expr::from(&ev.inv_line_onehot),
            );
            m.set(&e.outstanding, &e.outstanding + one.clone());
        });
        m.when(&complete, |m| {
            m.set(&e.bound, 0);
            m.set(&e.parity, !&e.parity);
            m.set(&e.completing, 0);
            m.set(&e.wanted, 1);
            e.timer.restart(m, timeout);
        });
        // A completed doorbell queues the written buffer and holds the load for the next.
        m.when(&tx_complete, |m| {
            m.set(&e.tx_parity, !&e.tx_parity);
            m.set(&e.tx_completing, 0);
            m.set(&e.tx_wanted, 1);
            e.tx_timer.restart(m, timeout);
        });
        // Buffer bits: set and cleared by independent events in the same cycle.
        let tx_parity_buf = buf_onehot(&e.tx_parity.clone().into());
        let written_here = &msg.tx_writeback & at_me(&msg.ep);
        let sent_here = &tx_done.valid & at_me(&tx_done.ep);
        let queued = &tx_complete & e.tx_written.index(&e.tx_parity.clone().into());
        m.set(
            &e.tx_written,
            (&e.tx_written & !(tx_complete.repeat(2) & tx_parity_buf.clone()))
                | (written_here.repeat(2) & buf_onehot(&msg.tx_buf.clone().into())),
        );
        m.set(
            &e.tx_busy,
            (&e.tx_busy & !(sent_here.repeat(2) & buf_onehot(&tx_done.buf.clone().into())))
                | (queued.repeat(2) & tx_parity_buf),
        );
    }
}

/// The finished request to the reply path, the written TX buffer of a completed doorbell
/// to the transmitter.
fn hand_off(m: &mut ModuleBuilder, d: &Dims, st: &EpState, ev: &Events, q: &Queues) {
    let complete_ep = m.node(
        "complete_ep",
        encode(&ev.complete_pick.clone().into(), d.ep_bits),
    );
    let complete_bound = st.pick(&complete_ep, |e| (&e.bound).into());
    m.connect(q.dones, "s_valid", &ev.do_complete & complete_bound);
    m.connect(
        q.dones,
        "s_data",
        d.done_layout().pack(&[
            ("ep", Expr::from(&complete_ep)),
            ("slot", st.pick(&complete_ep, |e| (&e.slot).into())),
            ("wrote", st.pick(&complete_ep, |e| (&e.written).into())),
        ]),
    );
    let tx_complete_ep = m.node(
        "tx_complete_ep",
        encode(&ev.tx_complete_pick.clone().into(), d.ep_bits),
    );
    let tx_complete_parity = m.node(
        "tx_complete_par",
        st.pick(&tx_complete_ep, |e| (&e.tx_parity).into()),
    );
    let tx_complete_written = st.pick(&tx_complete_ep, |e| {
        e.tx_written.index(&e.tx_parity.clone().into())
    });
    m.connect(q.sends, "s_valid", &ev.do_tx_complete & tx_complete_written);
    m.connect(
        q.sends,
        "s_data",
        d.send_layout().pack(&[
            ("ep", Expr::from(&tx_complete_ep)),
            ("buf", Expr::from(&tx_complete_parity)),
        ]),
    );
}

/// Jobs: the answer of this cycle's event, or of the `c2n` load, queued for the
/// serializer.
fn queue_jobs(
    m: &mut ModuleBuilder,
    d: &Dims,
    st: &EpState,
    ev: &Events,
    c2n: &CohChannel,
    msg: &C2nMsg,
    q: &Queues,
    sched: &Scheduler,
) {
    let (ep_bits, slot_bits, slot_line_bits) = (d.ep_bits, d.slot_bits, d.slot_line_bits);
    let assign = &sched.assign;
    let expire_ep = m.node("expire_ep", encode(&ev.expire_pick.clone().into(), ep_bits));
    let expire_line = ev.expire_tx.mux(
        cat([
            lit(d.tx_line_hi, 4),
            st.pick(&expire_ep, |e| (&e.tx_parity).into()),
        ]),
        st.pick(&expire_ep, |e| (&e.parity).into()).zext(5),
    );
    let assign_parity = st.pick(&assign.ep, |e| Expr::from(&e.parity));
    let per_ep = |v: &Sig| cat((0..d.endpoints).rev().map(|i| v.bit(Dims::core_of(i))));
    let expire_stop = cat([
        per_ep(&sched.retire).index(&expire_ep.clone().into()),
        per_ep(&sched.preempt).index(&expire_ep.clone().into()),
    ]);
    let grant_ep = m.node(
        "tx_grant_ep",
        encode(&ev.grant_pick.clone().into(), ep_bits),
    );
    let grant_parity = m.node(
        "tx_grant_par",
        st.pick(&grant_ep, |e| (&e.tx_parity).into()),
    );
    let kind = |k: u64| lit(k, job::WIDTH);
    let no_tx = || lit(0, ep_bits + 1);
    // Jobs of an endpoint go to its core, at one of its lines.
    let job_of = |kind: Expr,
                  ep: Expr,
                  line: Expr,
                  slot: Expr,
                  slot_line: Expr,
                  tx_buffer: Expr,
                  stop: Expr| {
        let addr = cat([ep.clone(), line]).zext(LINE_ADDR_WIDTH);
        d.job_layout().pack(&[
            ("kind", kind),
            ("id", d.core_id(&ep)),
            ("line", addr),
            ("slot", slot),
            ("slot_line", slot_line),
            ("tx_buffer", tx_buffer),
            ("stop", stop),
        ])
    };
    let job_assign = job_of(
        kind(job::SLOT),
        (&assign.ep).into(),
        assign_parity.zext(5),
        (&assign.slot).into(),
        lit(0, slot_line_bits),
        no_tx(),
        lit(0, 2),
    );
    let job_grant = job_of(
        kind(job::TX),
        (&grant_ep).into(),
        cat([lit(d.tx_line_hi, 4), Expr::from(&grant_parity)]),
        lit(0, slot_bits),
        lit(0, slot_line_bits),
        cat([Expr::from(&grant_ep), Expr::from(&grant_parity)]),
        lit(0, 2),
    );
    let job_expire = job_of(
        kind(job::TRYAGAIN),
        (&expire_ep).into(),
        expire_line,
        lit(0, slot_bits),
        lit(0, slot_line_bits),
        no_tx(),
        expire_stop,
    );
    let job_inv = job_of(
        kind(job::INV),
        (&ev.inv_ep).into(),
        (&ev.inv_line).into(),
        lit(0, slot_bits),
        lit(0, slot_line_bits),
        no_tx(),
        lit(0, 2),
    );
    // Answers to c2n loads go to the requester, at the line it asked for.
    let job_c2n = d.job_layout().pack(&[
        ("kind", msg.rd_serve.mux(kind(job::SLOT), kind(job::ERR))),
        ("id", Expr::from(&c2n.id)),
        ("line", Expr::from(&c2n.line)),
        ("slot", Expr::from(&msg.ep_slot)),
        ("slot_line", Expr::from(&msg.slot_line)),
        ("tx_buffer", no_tx()),
        ("stop", lit(0, 2)),
    ]);
    let c2n_job = m.node("c2n_job", &msg.event & (&msg.rd_serve | &msg.rd_error));
    m.connect(
        q.jobs,
        "s_valid",
        &ev.do_assign | &ev.do_grant | &ev.do_expire | &ev.do_inv | &c2n_job,
    );
    m.connect(
        q.jobs,
        "s_data",
        ev.do_assign.mux(
            job_assign,
            ev.do_grant.mux(
                job_grant,
                ev.do_expire
                    .mux(job_expire, ev.do_inv.mux(job_inv, job_c2n)),
            ),
        ),
    );
    let ev_tryagain = m.output("ev_tryagain", 1);
    let ev_tryagain_r = m.reg_reset("ev_tryagain_r", 1, 0);
    m.set(&ev_tryagain_r, &ev.do_expire);
    m.set(&ev_tryagain, &ev_tryagain_r);
}

/// The slot RAM: write-backs before the request writer (`slot_wr`). The TX buffers:
/// written by write-backs only.
fn slot_rams(m: &mut ModuleBuilder, d: &Dims, c2n: &CohChannel, msg: &C2nMsg) -> (Mem, Mem) {
    let ram = m.memory("slots", d.data_bits, d.slot_words, RamStyle::Block);
    let wr_valid = m.group_port("slot_wr", "valid", 1, PortDir::In);
    let wr_ready = m.group_port("slot_wr", "ready", 1, PortDir::Out);
    let wr_addr = m.group_port("slot_wr", "addr", d.slot_word_bits, PortDir::In);
    let wr_data = m.group_port("slot_wr", "data", d.data_bits, PortDir::In);
    let wr_free = m.node("slot_wr_free", !&msg.writeback);
    m.set(&wr_ready, &wr_free);
    m.mem_write(
        ram,
        &msg.writeback | (&wr_valid & &wr_free),
        &msg.writeback.mux(&msg.writeback_word, &wr_addr),
        &msg.writeback.mux(&c2n.data, &wr_data),
    );
    let txram = m.memory(
        "tx_buffers",
        d.data_bits,
        1 << d.tx_word_bits,
        RamStyle::Distributed,
    );
    let mut tx_addr = vec![Expr::from(&msg.ep), Expr::from(&msg.tx_buf)];
    tx_addr.extend(beat_part(&msg.beat));
    m.mem_write(
        txram,
        &msg.tx_writeback,
        &cat(tx_addr),
        &c2n.data.clone().into(),
    );
    (ram, txram)
}

/// The serializer's first stage: the job at the FIFO's head, issued beat by beat while the
/// output FIFO has room.
fn issue(m: &mut ModuleBuilder, d: &Dims, q: &Queues) -> Result<Issue, HdlErrors> {
    let beat_bits = d.beat_bits;
    let valid = m.inst_output(q.jobs, "m_valid");
    let word = m.inst_output(q.jobs, "m_data");
    let job = d.job_layout().unpack(m, "job", &word);
    let field = |f: &str| job.sig(f).cloned().expect("a field of the job layout");
    let [kind, id, line, slot, slot_line, tx_buffer, stop] = [
        "kind",
        "id",
        "line",
        "slot",
        "slot_line",
        "tx_buffer",
        "stop",
    ]
    .map(field);
    let beats_out = m.instance(
        "beats_out",
        &sync_fifo(SyncFifoCfg::new(d.out_beat_layout().width(), OUT_DEPTH))?,
    );
    let out_count = m.inst_output(beats_out, "count");
    let s1_valid = m.reg_reset("s1_valid", 1, 0);
    // Room for this beat and the one in stage 1.
    let space = m.node("out_space", Expr::from(&out_count).lt(OUT_DEPTH - 1));
    let issue = m.node("issue", &valid & &space);
    let is_inv = m.node("job_is_inv", Expr::from(&kind).eq(job::INV));
    let beat = (beat_bits > 0).then(|| m.reg_reset("issue_beat", beat_bits, 0));
    let at_last = match &beat {
        Some(b) => Expr::from(b).eq(u64::from(d.beats - 1)) | &is_inv,
        None => lit(1, 1),
    };
    let last = m.node("issue_last", &issue & at_last);
    m.connect(q.jobs, "m_ready", &last);
    if let Some(b) = &beat {
        m.when(&issue, |m| {
            m.set(b, last.mux(lit(0, beat_bits), b + lit(1, beat_bits)));
        });
    }
    let reads_slot = m.node("issue_reads", &issue & Expr::from(&kind).eq(job::SLOT));
    let reads_tx = m.node("issue_reads_tx", &issue & Expr::from(&kind).eq(job::TX));
    Ok(Issue {
        kind,
        id,
        line,
        slot,
        slot_line,
        tx_buffer,
        stop,
        beats_out,
        s1_valid,
        issue,
        is_inv,
        beat,
        last,
        reads_slot,
        reads_tx,
    })
}

/// The read port (`slot_rd`): slot words, or (region bit set) TX-buffer words, each RAM
/// read by the serializer first. Returns the words the RAMs read this cycle.
fn read_port(m: &mut ModuleBuilder, d: &Dims, ram: Mem, txram: Mem, head: &Issue) -> (Sig, Sig) {
    let word_bits = d.rd_word_bits;
    let rd_valid = m.group_port("slot_rd", "valid", 1, PortDir::In);
    let rd_ready = m.group_port("slot_rd", "ready", 1, PortDir::Out);
    let rd_addr = m.group_port("slot_rd", "addr", word_bits + 1, PortDir::In);
    let rd_data = m.group_port("slot_rd", "data", d.data_bits, PortDir::Out);
    let rd_data_valid = m.group_port("slot_rd", "data_valid", 1, PortDir::Out);
    let rd_tx = m.node("slot_rd_tx", rd_addr.bit(word_bits));
    let rd_free = m.node(
        "slot_rd_free",
        rd_tx.mux(!&head.reads_tx, !&head.reads_slot),
    );
    m.set(&rd_ready, &rd_free);
    let rd_go = m.node("slot_rd_go", &rd_valid & &rd_free);
    let mut slot_addr = vec![Expr::from(&head.slot), Expr::from(&head.slot_line)];
    slot_addr.extend(beat_part(&head.beat));
    let ram_q = m.mem_read_sync(
        ram,
        "slots_q",
        &head.reads_slot | (&rd_go & !&rd_tx),
        &head
            .reads_slot
            .mux(cat(slot_addr), rd_addr.trunc(d.slot_word_bits)),
    );
    let mut tx_addr = vec![Expr::from(&head.tx_buffer)];
    tx_addr.extend(beat_part(&head.beat));
    let tx_q = m.mem_read_sync(
        txram,
        "tx_buffers_q",
        &head.reads_tx | (&rd_go & &rd_tx),
        &head
            .reads_tx
            .mux(cat(tx_addr), rd_addr.trunc(d.tx_word_bits)),
    );
    let rd_tx_r = m.reg("slot_rd_tx_r", 1);
    m.when(&rd_go, |m| m.set(&rd_tx_r, &rd_tx));
    m.set(&rd_data, rd_tx_r.mux(&tx_q, &ram_q));
    let rd_dv = m.reg_reset("slot_rd_data_valid_r", 1, 0);
    m.set(&rd_dv, &rd_go);
    m.set(&rd_data_valid, &rd_dv);
    (ram_q, tx_q)
}

/// The serializer's second stage: the RAM word arrives, other kinds are made up here, and
/// the beat goes through the output FIFO to `n2c`.
fn serialize(
    m: &mut ModuleBuilder,
    d: &Dims,
    head: &Issue,
    ram_q: &Sig,
    tx_q: &Sig,
    n2c: &CohChannel,
) {
    let (data_bits, id_bits) = (d.data_bits, d.id_bits);
    let s1_kind = m.reg("s1_kind", job::WIDTH);
    let s1_stop = m.reg("s1_stop", 2);
    let s1_beat = head.beat.as_ref().map(|_| m.reg("s1_beat", d.beat_bits));
    let header = d.out_header_layout();
    let s1_hdr = m.reg("s1_header", header.width());
    m.set(&head.s1_valid, &head.issue);
    m.when(&head.issue, |m| {
        m.set(&s1_kind, &head.kind);
        m.set(&s1_stop, &head.stop);
        if let (Some(s), Some(b)) = (&s1_beat, &head.beat) {
            m.set(s, b);
        }
        m.set(
            &s1_hdr,
            header.pack(&[
                (
                    "op",
                    head.is_inv
                        .mux(lit(down::INV, OP_WIDTH), lit(down::DATA, OP_WIDTH)),
                ),
                ("line", Expr::from(&head.line)),
                ("id", Expr::from(&head.id)),
                ("err", Expr::from(&head.kind).eq(job::ERR)),
                ("last", Expr::from(&head.last)),
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
        Some(b) => pick(&tryagain_line, &b.clone().into(), data_bits),
        None => tryagain_line,
    };
    let kind: Expr = (&s1_kind).into();
    let s1_data = m.node(
        "s1_data",
        kind.eq(job::SLOT).mux(
            ram_q,
            kind.eq(job::TX).mux(
                tx_q,
                kind.eq(job::TRYAGAIN).mux(tryagain_beat, lit(0, data_bits)),
            ),
        ),
    );
    let outq = head.beats_out;
    m.connect(outq, "s_valid", &head.s1_valid);
    let beat = d.out_beat_layout();
    let mut fields = vec![("data", Expr::from(&s1_data))];
    fields.extend(out_header_fields(id_bits).map(|(f, _)| (f, header.get(&s1_hdr, f))));
    m.connect(outq, "s_data", beat.pack(&fields));
    let o_valid = m.inst_output(outq, "m_valid");
    let beat_out = m.inst_output(outq, "m_data");
    let out_ready = m.inst_output(outq, "s_ready");
    m.unused(&out_ready); // `out_space` keeps a place free
    m.set(&n2c.op, beat.get(&beat_out, "op"));
    m.set(&n2c.line, beat.get(&beat_out, "line"));
    m.set(&n2c.id, beat.get(&beat_out, "id"));
    m.set(n2c.err.as_ref().unwrap(), beat.get(&beat_out, "err"));
    m.set(&n2c.last, beat.get(&beat_out, "last"));
    m.set(&n2c.data, beat.get(&beat_out, "data"));
    m.set(&n2c.valid, &o_valid);
    m.connect(outq, "m_ready", &n2c.ready);
}

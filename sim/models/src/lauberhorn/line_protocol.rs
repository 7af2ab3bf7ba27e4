//! A model-checked abstraction of the CONTROL/TX line protocol (the `stateright` crate),
//! as the Lauberhorn prototype checks its own in TLA+.
//!
//! The model is the protocol of [`hdl::lauberhorn::coherence`] between `1..=2` cores and the
//! NIC endpoints of [`hdl::lauberhorn::endpoints`], with the cores' program of
//! [`super::cpu`]:
//! * each core's cache of its endpoint's CONTROL lines (and TX lines, [`LineCfg::tx`]),
//!   Invalid / Shared / Exclusive / Modified, the data a small [`Tok`]en;
//! * the ordered channels `c2n` and `n2c` as FIFOs of whole messages;
//! * per endpoint the RTL's registers (`parity`, `bound`, `want`, `flip`, `wrote`, `held`,
//!   `todo`, `outst`, and the TX ones), updated event by event as `endpoints.rs` does;
//! * the scheduler's queue of requests (ids `0..requests`, at most `queue` waiting), the
//!   reply path (`done`: the request and the CONTROL line the NIC took back) and the
//!   transmitter (`sent`);
//! * the environment, every choice bounded by a budget so that every behaviour ends
//!   ([`Budget`]): held-load timeouts (TRYAGAIN), preemptions (PREEMPT, and the kernel's
//!   resume), voluntary evictions at any time, and stray loads of another endpoint's line
//!   (answered `err`).
//!
//! Because every environment step spends a budget and every protocol step moves a request
//! or a load forward, the state graph has no cycles, so `eventually` properties and the
//! check of the states without a successor (no load is left unanswered but for want of
//! work) are exact.
//!
//! The properties ([`LineModel`]'s `properties`): one holder per line, data integrity, no
//! request lost or served twice, every `INV` answered exactly once, every load answered
//! once, no `err` to a well-behaved core, and every request eventually served; `sometimes`
//! properties show the interesting cases happen (a TRYAGAIN, an `INV` crossing an eviction,
//! an `ACK_DATA`, a preemption, a stray load refused, a datagram sent, ...). A [`Fault`]
//! breaks the NIC or a core on purpose, for the test to show the checker finds it
//! (`sim/models/tests/line_protocol.rs`, which also gives the configurations checked).
//!
//! Where the documentation is silent the model follows the RTL, and assumes:
//! * One endpoint per core (the user one): the kernel endpoint has the same registers and
//!   lines again, and a core's program uses one endpoint at a time. No AUX lines: they are
//!   answered from the slot like CONTROL `p` and invalidated with it. No RETIRE: it is
//!   PREEMPT with another bit. Any queued request may go to any waiting core (the real
//!   scheduler picks by service and process).
//! * The NIC's events (assignment, TRYAGAIN, an `INV`, a completion, a `c2n` message) are
//!   interleaved in any order rather than in the RTL's fixed priority, which only adds
//!   behaviours. The job FIFO and serializer are folded into `n2c` (both keep order).
//! * A core answers an `INV` as it receives it; the CPU model's delay only lets the core
//!   evict the line first, which an eviction before the `INV` arrives already covers
//!   (the core never writes a line it was asked for: it is waiting on its load then).
//! * A core re-fetching its request's CONTROL line (after an eviction) may first read it
//!   shared (`RD_SHARED`, reading the arguments) and then upgrade (`RD_EXCL`) to write.
//! * A held TX load is granted whenever its buffer is free; a TX TRYAGAIN (buffer still
//!   sending) spends the timeout budget even on a preempted core, so the core's retries
//!   cannot cycle. A preempted core's CONTROL loads expire at once, for free.
//! * A core whose load hits a TRYAGAIN still in its cache takes no step until the NIC's
//!   `INV` removes it (the CPU model spins on it, changing nothing). A stray load is a
//!   `RD_SHARED` of CONTROL 0 of the other core's endpoint (with one core, of an endpoint
//!   that does not exist).
//! * A preemption is the scheduler setting the core's `preempt` input; the kernel resumes
//!   the core only once it took the interrupt, flushing its CONTROL lines (as
//!   [`super::cpu::Cpu::resume`]) and clearing the input.

// The messages, cache states and endpoint registers are named as in `coherence.rs` and the
// RTL (`ep{i}_par`, `ep{i}_held`, ...), which document them.
#![allow(missing_docs)]

use std::collections::VecDeque;

use stateright::{Model, Property};

/// Tracked lines of an endpoint: CONTROL 0 and 1, TX 0 and 1 (the RTL's `held` bits).
const LINES: usize = 4;
/// The receive (CONTROL) lines' bits.
const RX: u8 = 0b0011;

fn ctrl(p: u8) -> u8 {
    p
}

fn tx(p: u8) -> u8 {
    2 + p
}

/// A line: its endpoint (= the core it belongs to) and its index: CONTROL 0 and 1, TX 0
/// and 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Line {
    pub ep: u8,
    pub idx: u8,
}

/// What a line holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tok {
    /// A TX buffer never written.
    Zero,
    /// A TRYAGAIN answer (a CONTROL line with VALID clear, or a TX line with TRYAGAIN_LEN).
    TryAgain { preempt: bool },
    /// Request `id` as the NIC wrote it into its slot.
    Req(u8),
    /// Write `k` of the response to request `id`.
    Resp(u8, u8),
    /// The datagram sent while serving request `id`.
    Msg(u8),
}

/// CPU-to-NIC messages ([`hdl::lauberhorn::coherence::up`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Up {
    RdShared,
    RdExcl,
    EvictClean,
    EvictDirty(Tok),
    Ack,
    AckData(Tok),
}

/// NIC-to-CPU messages ([`hdl::lauberhorn::coherence::down`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Down {
    Data { tok: Tok, err: bool },
    Inv,
}

/// A message on either channel: the sending or addressed core and the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Msg<Op> {
    pub core: u8,
    pub line: Line,
    pub op: Op,
}

/// A cached line's state (Invalid is its absence).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mesi {
    Shared,
    Exclusive,
    Modified,
}

/// Where a core's program is ([`super::cpu`]'s `Pc`, less the steps that touch no line).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pc {
    /// Load the expected CONTROL line.
    Fetch,
    /// Write response `k` of the current request into the CONTROL line.
    Write(u8),
    /// Load the current TX line and write the datagram into it.
    Send,
    /// Load the other TX line: the doorbell.
    Bell,
    /// Load the other CONTROL line: the acknowledgement and the next request's load.
    Ack,
    /// In the interrupt handler after a PREEMPT, until the kernel resumes it.
    Interrupted,
}

/// Endpoints whose lines a cache can hold: every core's (a second one with one core, which
/// does not exist, is where that core's stray loads go).
const EPS: usize = 2;

/// A cached line: its state and data.
pub type Cached = Option<(Mesi, Tok)>;

/// A core: its program, its cache and its one outstanding load.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Core {
    pub pc: Pc,
    /// Per endpoint and line. Only the core's own endpoint's lines should ever be there: a
    /// NIC that granted another's would show in "one holder per line".
    pub cache: [[Cached; LINES]; EPS],
    /// The outstanding load (a line of another endpoint for a stray load) and whether it
    /// asked for the line exclusively.
    pub miss: Option<(Line, bool)>,
    pub parity: u8,
    pub tx_parity: u8,
    /// The request being served and what its CONTROL line holds as far as the core knows.
    pub request: Option<u8>,
    pub expect: Tok,
}

/// One endpoint's registers, named as in the RTL (`ep{i}_*`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ep {
    pub parity: u8,
    /// The request whose slot is bound, and the slot's CONTROL line.
    pub bound: Option<u8>,
    pub slot: Tok,
    pub wanted: bool,
    pub completing: bool,
    pub written: bool,
    pub held: u8,
    pub todo: u8,
    pub outstanding: u8,
    pub tx_parity: u8,
    pub tx_wanted: bool,
    pub tx_completing: bool,
    pub tx_written: [bool; 2],
    pub tx_busy: [bool; 2],
    pub tx_buf: [Tok; 2],
}

impl Core {
    fn at(&self, l: Line) -> Cached {
        self.cache[usize::from(l.ep)][usize::from(l.idx)]
    }

    fn at_mut(&mut self, l: Line) -> &mut Cached {
        &mut self.cache[usize::from(l.ep)][usize::from(l.idx)]
    }

    /// The lines in the cache.
    fn lines(&self) -> impl Iterator<Item = (Line, Mesi)> + '_ {
        self.cache.iter().enumerate().flat_map(|(ep, lines)| {
            lines.iter().enumerate().filter_map(move |(idx, l)| {
                l.map(|(st, _)| {
                    let line = Line {
                        ep: ep as u8,
                        idx: idx as u8,
                    };
                    (line, st)
                })
            })
        })
    }
}

impl Ep {
    fn quiet(&self) -> bool {
        self.todo == 0 && self.outstanding == 0
    }

    /// A CONTROL load held with nothing bound and nothing in flight (`ready_for`).
    fn ready(&self) -> bool {
        self.wanted && self.bound.is_none() && !self.completing && self.quiet()
    }

    /// A TX load held, the doorbell done and nothing in flight.
    fn tx_ready(&self) -> bool {
        self.tx_wanted && !self.tx_completing && self.quiet()
    }
}

/// What the environment may still do: every choice spends one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Budget {
    /// Held-load timeouts (TRYAGAIN answers), for all cores together.
    pub timeouts: u8,
    /// Voluntary evictions.
    pub evictions: u8,
    /// Preemptions.
    pub preemptions: u8,
    /// Loads of another endpoint's line.
    pub strays: u8,
}

/// Broken rules seen at an event (the state invariants cannot see them afterwards).
pub mod broken {
    /// A line granted to a core that holds it already (not an upgrade), to a core it does
    /// not belong to, or taken back while a core still holds it.
    pub const HOLDER: u16 = 1 << 0;
    /// A load answered with data other than the line's.
    pub const DATA: u16 = 1 << 1;
    /// An `err` answer to a well-behaved load, or a message the NIC counted as a violation.
    pub const ERR: u16 = 1 << 2;
    /// An `INV` answer with no `INV` open.
    pub const INV: u16 = 1 << 3;
    /// An answer to no outstanding load.
    pub const LOAD: u16 = 1 << 4;
}

/// The whole system.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct State {
    pub cores: Vec<Core>,
    pub eps: Vec<Ep>,
    pub c2n: VecDeque<Msg<Up>>,
    pub n2c: VecDeque<Msg<Down>>,
    /// Requests waiting for an endpoint, and how many have arrived (ids `0..arrived`).
    pub queue: VecDeque<u8>,
    pub arrived: u8,
    /// Per request, how often a core's program received it.
    pub delivered: Vec<u8>,
    /// Requests handed to the reply path, with the CONTROL line the NIC took back.
    pub done: Vec<(u8, Tok)>,
    /// TX buffers queued to the transmitter (endpoint, buffer), and what it sent.
    pub sends: VecDeque<(u8, u8)>,
    pub sent: Vec<Tok>,
    /// The scheduler's `preempt` input per core.
    pub stop: Vec<bool>,
    pub budget: Budget,
    /// [`broken`] bits.
    pub broken: u16,
}

/// A fault to put into the model, to show the checker finds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// The NIC answers an assigned request's held load twice.
    AnswerTwice,
    /// The NIC completes an acknowledgement once the `INV`s are sent, not answered: the
    /// line is taken back before the `ACK_DATA`.
    TakeBackEarly,
    /// The NIC drops the `INV` of a line instead of sending it.
    ForgetInv,
    /// A core forgets to answer an `INV` of a line it no longer holds.
    NoAckWhenGone,
    /// The NIC takes a timed-out load's line back without answering the load.
    SilentTimeout,
    /// The NIC grants a load of a line that is not the requester's instead of refusing it.
    GrantStray,
    /// The NIC completes a doorbell once the `INV` is sent, not answered: the datagram
    /// goes before the core's `ACK_DATA` brings it.
    TxSendEarly,
}

/// The configuration checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LineCfg {
    /// Cores, each with one endpoint (1 or 2).
    pub cores: u8,
    /// Requests that arrive in all.
    pub requests: u8,
    /// Requests waiting in the scheduler's queue at most.
    pub queue: u8,
    /// Writes a core makes into the CONTROL line per response (the last one counts).
    pub writes: u8,
    /// Cores send one datagram through the TX lines per request.
    pub tx: bool,
    pub budget: Budget,
    pub fault: Option<Fault>,
}

/// The stateright model of [`LineCfg`].
#[derive(Clone, Debug)]
pub struct LineModel {
    pub cfg: LineCfg,
}

/// Everything that can happen next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// A decoded request reaches the scheduler's queue.
    Arrive,
    /// NIC events of an endpoint.
    Assign(u8),
    Expire(u8),
    Invalidate(u8),
    Complete(u8),
    TxGrant(u8),
    TxExpire(u8),
    TxComplete(u8),
    /// The transmitter sends the oldest queued TX buffer and frees it.
    Transmit,
    /// The NIC takes the `c2n` message at the head.
    NicTake,
    /// The `n2c` message at the head reaches its core.
    CoreTake,
    /// A core's next program step; `true` loads a missing CONTROL line shared first.
    Step(u8, bool),
    /// A core evicts a line of its cache.
    Evict(u8, Line),
    /// A core loads a line of another endpoint.
    Stray(u8),
    Preempt(u8),
    Resume(u8),
}

impl LineModel {
    pub fn new(cfg: LineCfg) -> Self {
        assert!((1..=2).contains(&cfg.cores) && cfg.writes >= 1 && cfg.queue >= 1);
        LineModel { cfg }
    }

    fn fault(&self, f: Fault) -> bool {
        self.cfg.fault == Some(f)
    }

    /// The endpoint a stray load of core `c` addresses: the other core's, or with one core
    /// an endpoint that does not exist.
    fn stray_ep(&self, c: u8) -> u8 {
        if self.cfg.cores == 2 {
            1 - c
        } else {
            1
        }
    }

    /// The states with no successor must have served every request (and sent its
    /// datagram) and have nothing in flight: every core's load held for want of a request.
    pub fn finished_well(&self, s: &State) -> bool {
        let all = usize::from(self.cfg.requests);
        s.c2n.is_empty()
            && s.n2c.is_empty()
            && s.sends.is_empty()
            && s.done.len() == all
            && s.sent.len() == if self.cfg.tx { all } else { 0 }
            && s.cores
                .iter()
                .zip(&s.eps)
                .enumerate()
                .all(|(c, (core, ep))| {
                    let held = Line {
                        ep: c as u8,
                        idx: ctrl(ep.parity),
                    };
                    core.miss.is_some_and(|(l, _)| l == held)
                        && ep.wanted
                        && ep.bound.is_none()
                        && ep.quiet()
                        && !ep.tx_wanted
                })
    }

    fn is_terminal(&self, s: &State) -> bool {
        let mut a = Vec::new();
        self.actions(s, &mut a);
        a.is_empty()
    }
}

/// The line a core's next program step loads, if it loads one.
fn program_line(core: &Core) -> Option<u8> {
    match core.pc {
        Pc::Fetch | Pc::Write(_) => Some(ctrl(core.parity)),
        Pc::Ack => Some(ctrl(1 - core.parity)),
        Pc::Send => Some(tx(core.tx_parity)),
        Pc::Bell => Some(tx(1 - core.tx_parity)),
        Pc::Interrupted => None,
    }
}

fn send(s: &mut State, core: u8, line: Line, op: Up) {
    s.c2n.push_back(Msg { core, line, op });
}

fn answer(s: &mut State, core: u8, idx: u8, tok: Tok) {
    s.n2c.push_back(Msg {
        core,
        line: Line { ep: core, idx },
        op: Down::Data { tok, err: false },
    });
}

impl Model for LineModel {
    type State = State;
    type Action = Action;

    fn init_states(&self) -> Vec<State> {
        let n = usize::from(self.cfg.cores);
        let core = Core {
            pc: Pc::Fetch,
            cache: [[None; LINES]; EPS],
            miss: None,
            parity: 0,
            tx_parity: 0,
            request: None,
            expect: Tok::Zero,
        };
        // Out of reset nothing is held and the TX buffers are free (never written).
        let ep = Ep {
            parity: 0,
            bound: None,
            slot: Tok::Zero,
            wanted: false,
            completing: false,
            written: false,
            held: 0,
            todo: 0,
            outstanding: 0,
            tx_parity: 0,
            tx_wanted: false,
            tx_completing: false,
            tx_written: [false; 2],
            tx_busy: [false; 2],
            tx_buf: [Tok::Zero; 2],
        };
        vec![State {
            cores: vec![core; n],
            eps: vec![ep; n],
            c2n: VecDeque::new(),
            n2c: VecDeque::new(),
            queue: VecDeque::new(),
            arrived: 0,
            delivered: vec![0; usize::from(self.cfg.requests)],
            done: Vec::new(),
            sends: VecDeque::new(),
            sent: Vec::new(),
            stop: vec![false; n],
            budget: self.cfg.budget,
            broken: 0,
        }]
    }

    fn actions(&self, s: &State, out: &mut Vec<Action>) {
        let b = &s.budget;
        if s.arrived < self.cfg.requests && s.queue.len() < usize::from(self.cfg.queue) {
            out.push(Action::Arrive);
        }
        for (i, e) in s.eps.iter().enumerate() {
            let i = i as u8;
            let stop = s.stop[usize::from(i)];
            if e.ready() && !s.queue.is_empty() && !stop {
                out.push(Action::Assign(i));
            }
            if e.ready() && (stop || b.timeouts > 0) {
                out.push(Action::Expire(i));
            }
            if e.todo != 0 {
                out.push(Action::Invalidate(i));
            }
            if e.completing && e.quiet()
                || self.fault(Fault::TakeBackEarly) && e.completing && e.todo == 0
            {
                out.push(Action::Complete(i));
            }
            let free = !e.tx_busy[usize::from(e.tx_parity)];
            if e.tx_ready() && free {
                out.push(Action::TxGrant(i));
            }
            if e.tx_ready() && !free && b.timeouts > 0 {
                out.push(Action::TxExpire(i));
            }
            if e.tx_completing && (e.quiet() || self.fault(Fault::TxSendEarly) && e.todo == 0) {
                out.push(Action::TxComplete(i));
            }
        }
        if !s.sends.is_empty() {
            out.push(Action::Transmit);
        }
        if !s.c2n.is_empty() {
            out.push(Action::NicTake);
        }
        if !s.n2c.is_empty() {
            out.push(Action::CoreTake);
        }
        for (c, core) in s.cores.iter().enumerate() {
            let c = c as u8;
            if core.miss.is_none() {
                if let Some(idx) = program_line(core) {
                    match (core.pc, core.at(Line { ep: c, idx })) {
                        // Spinning on a TRYAGAIN in the cache until the NIC takes it back
                        // changes nothing: no step.
                        (_, Some((_, Tok::TryAgain { .. }))) => {}
                        // Loads of other lines still cached wait too (the NIC takes them
                        // back; a state where they never go is caught as one without a
                        // successor).
                        (Pc::Fetch | Pc::Ack | Pc::Bell, Some(_)) => {}
                        (Pc::Write(_), None) => {
                            out.push(Action::Step(c, false));
                            out.push(Action::Step(c, true));
                        }
                        _ => out.push(Action::Step(c, false)),
                    }
                }
                if b.strays > 0 && core.pc != Pc::Interrupted {
                    out.push(Action::Stray(c));
                }
            }
            if b.evictions > 0 {
                for (l, _) in core.lines() {
                    if core.miss.is_none_or(|(m, _)| m != l) {
                        out.push(Action::Evict(c, l));
                    }
                }
            }
            if b.preemptions > 0 && !s.stop[usize::from(c)] {
                out.push(Action::Preempt(c));
            }
            if core.pc == Pc::Interrupted {
                out.push(Action::Resume(c));
            }
        }
    }

    fn next_state(&self, last: &State, action: Action) -> Option<State> {
        let mut s = last.clone();
        match action {
            Action::Arrive => {
                s.queue.push_back(s.arrived);
                s.arrived += 1;
            }
            Action::Assign(i) => {
                let id = s.queue.pop_front().unwrap();
                let e = &mut s.eps[usize::from(i)];
                e.bound = Some(id);
                e.slot = Tok::Req(id);
                e.wanted = false;
                e.written = false;
                e.held |= 1 << ctrl(e.parity);
                let idx = ctrl(e.parity);
                answer(&mut s, i, idx, Tok::Req(id));
                if self.fault(Fault::AnswerTwice) {
                    answer(&mut s, i, idx, Tok::Req(id));
                }
            }
            Action::Expire(i) => {
                let preempt = s.stop[usize::from(i)];
                if !preempt {
                    s.budget.timeouts -= 1;
                }
                let e = &mut s.eps[usize::from(i)];
                e.wanted = false;
                e.todo |= 1 << ctrl(e.parity);
                let idx = ctrl(e.parity);
                if !self.fault(Fault::SilentTimeout) {
                    answer(&mut s, i, idx, Tok::TryAgain { preempt });
                }
            }
            Action::Invalidate(i) => {
                let e = &mut s.eps[usize::from(i)];
                let idx = e.todo.trailing_zeros() as u8;
                e.todo &= !(1 << idx);
                if !self.fault(Fault::ForgetInv) {
                    e.outstanding += 1;
                    s.n2c.push_back(Msg {
                        core: i,
                        line: Line { ep: i, idx },
                        op: Down::Inv,
                    });
                }
            }
            Action::Complete(i) => {
                // No core may hold the lines taken back.
                let taken = |(l, _): (Line, Mesi)| l.ep == i && l.idx < 2;
                if s.cores.iter().any(|c| c.lines().any(taken)) {
                    s.broken |= broken::HOLDER;
                }
                let e = &mut s.eps[usize::from(i)];
                if let Some(id) = e.bound.take() {
                    s.done.push((id, e.slot));
                }
                e.parity ^= 1;
                e.completing = false;
                e.wanted = true;
            }
            Action::TxGrant(i) => {
                let e = &mut s.eps[usize::from(i)];
                e.tx_wanted = false;
                e.held |= 1 << tx(e.tx_parity);
                let (idx, tok) = (tx(e.tx_parity), e.tx_buf[usize::from(e.tx_parity)]);
                answer(&mut s, i, idx, tok);
            }
            Action::TxExpire(i) => {
                s.budget.timeouts -= 1;
                let preempt = s.stop[usize::from(i)];
                let e = &mut s.eps[usize::from(i)];
                e.tx_wanted = false;
                e.todo |= 1 << tx(e.tx_parity);
                let idx = tx(e.tx_parity);
                answer(&mut s, i, idx, Tok::TryAgain { preempt });
            }
            Action::TxComplete(i) => {
                let e = &mut s.eps[usize::from(i)];
                let p = usize::from(e.tx_parity);
                if e.tx_written[p] {
                    e.tx_busy[p] = true;
                    s.sends.push_back((i, p as u8));
                }
                e.tx_written[p] = false;
                e.tx_parity ^= 1;
                e.tx_completing = false;
                e.tx_wanted = true;
            }
            Action::Transmit => {
                let (i, b) = s.sends.pop_front().unwrap();
                let e = &mut s.eps[usize::from(i)];
                s.sent.push(e.tx_buf[usize::from(b)]);
                e.tx_busy[usize::from(b)] = false;
            }
            Action::NicTake => {
                let m = s.c2n.pop_front().unwrap();
                self.nic_take(&mut s, m);
            }
            Action::CoreTake => {
                let m = s.n2c.pop_front().unwrap();
                self.core_take(&mut s, m);
            }
            Action::Step(c, shared) => self.step(&mut s, c, shared),
            Action::Evict(c, line) => {
                s.budget.evictions -= 1;
                let (st, tok) = s.cores[usize::from(c)].at_mut(line).take().unwrap();
                let op = if st == Mesi::Modified {
                    Up::EvictDirty(tok)
                } else {
                    Up::EvictClean
                };
                send(&mut s, c, line, op);
            }
            Action::Stray(c) => {
                s.budget.strays -= 1;
                let line = Line {
                    ep: self.stray_ep(c),
                    idx: ctrl(0),
                };
                s.cores[usize::from(c)].miss = Some((line, false));
                send(&mut s, c, line, Up::RdShared);
            }
            Action::Preempt(c) => {
                s.budget.preemptions -= 1;
                s.stop[usize::from(c)] = true;
            }
            Action::Resume(c) => {
                for idx in [ctrl(0), ctrl(1)] {
                    let line = Line { ep: c, idx };
                    if let Some((st, tok)) = s.cores[usize::from(c)].at_mut(line).take() {
                        let op = if st == Mesi::Modified {
                            Up::EvictDirty(tok)
                        } else {
                            Up::EvictClean
                        };
                        send(&mut s, c, line, op);
                    }
                }
                s.stop[usize::from(c)] = false;
                s.cores[usize::from(c)].pc = Pc::Fetch;
            }
        }
        Some(s)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        let mut p = vec![
            Property::always("one holder per line", |_: &LineModel, s: &State| {
                s.broken & broken::HOLDER == 0 && one_holder(s) && nic_tracks_cached_lines(s)
            }),
            Property::always("data integrity", |m: &LineModel, s: &State| {
                let last = m.cfg.writes - 1;
                s.broken & broken::DATA == 0
                    && s.done.iter().all(|&(id, t)| t == Tok::Resp(id, last))
                    && s.sent.iter().all(|t| matches!(t, Tok::Msg(_)))
            }),
            Property::always(
                "no request lost or served twice",
                |_: &LineModel, s: &State| no_request_lost_or_twice(s),
            ),
            Property::always(
                "every INV gets exactly one answer",
                |_: &LineModel, s: &State| s.broken & broken::INV == 0 && invs_balance(s),
            ),
            Property::always("every load is answered once", |m: &LineModel, s: &State| {
                s.broken & broken::LOAD == 0 && (!m.is_terminal(s) || m.finished_well(s))
            }),
            Property::always(
                "no err answer to a well-behaved core",
                |_: &LineModel, s: &State| s.broken & broken::ERR == 0,
            ),
            Property::eventually("every request is served", |m: &LineModel, s: &State| {
                s.done.len() == usize::from(m.cfg.requests)
            }),
            Property::sometimes("a request was served", |_: &LineModel, s: &State| {
                !s.done.is_empty()
            }),
            Property::sometimes(
                "a held load timed out (TRYAGAIN)",
                |_: &LineModel, s: &State| {
                    s.n2c.iter().any(|m| {
                        m.line.idx < 2
                            && m.op
                                == Down::Data {
                                    tok: Tok::TryAgain { preempt: false },
                                    err: false,
                                }
                    })
                },
            ),
            Property::sometimes("an INV crossed an eviction", |_: &LineModel, s: &State| {
                s.n2c.iter().any(|d| {
                    d.op == Down::Inv
                        && s.c2n.iter().any(|u| {
                            u.core == d.core
                                && u.line == d.line
                                && matches!(u.op, Up::EvictClean | Up::EvictDirty(_))
                        })
                })
            }),
            Property::sometimes(
                "a dirty line came back with ACK_DATA",
                |_: &LineModel, s: &State| {
                    s.c2n
                        .iter()
                        .any(|u| u.line.idx < 2 && matches!(u.op, Up::AckData(_)))
                },
            ),
            Property::sometimes(
                "a core re-fetched its request's line",
                |_: &LineModel, s: &State| {
                    s.cores.iter().any(|c| {
                        matches!(c.pc, Pc::Write(_)) && c.miss.is_some_and(|(l, _)| l.idx < 2)
                    })
                },
            ),
            Property::sometimes("a shared line was upgraded", |_: &LineModel, s: &State| {
                s.cores.iter().any(|c| {
                    c.miss
                        .is_some_and(|(l, excl)| excl && matches!(c.at(l), Some((Mesi::Shared, _))))
                })
            }),
            Property::sometimes("a core was preempted", |_: &LineModel, s: &State| {
                s.cores.iter().any(|c| c.pc == Pc::Interrupted)
            }),
            Property::sometimes(
                "a stray load was answered err",
                |_: &LineModel, s: &State| {
                    s.n2c
                        .iter()
                        .any(|d| matches!(d.op, Down::Data { err: true, .. }))
                },
            ),
        ];
        if self.cfg.tx {
            p.push(Property::sometimes(
                "a datagram was sent",
                |_: &LineModel, s: &State| !s.sent.is_empty(),
            ));
            p.push(Property::sometimes(
                "a TX load was answered TRYAGAIN",
                |_: &LineModel, s: &State| {
                    s.n2c.iter().any(|m| {
                        m.line.idx >= 2
                            && matches!(
                                m.op,
                                Down::Data {
                                    tok: Tok::TryAgain { .. },
                                    ..
                                }
                            )
                    })
                },
            ));
        }
        if self.cfg.cores == 2 {
            p.push(Property::sometimes(
                "both cores served a request",
                |_: &LineModel, s: &State| s.cores.iter().all(|c: &Core| c.request.is_some()),
            ));
        }
        p
    }
}

impl LineModel {
    /// The NIC takes a `c2n` message (`decode_c2n` and `update_endpoints`).
    fn nic_take(&self, s: &mut State, m: Msg<Up>) {
        let own = m.line.ep == m.core;
        let target_ok = own && m.line.ep < self.cfg.cores;
        if !target_ok {
            // A message for a line that is not the sender's: a violation, loads answered err.
            if matches!(m.op, Up::RdShared | Up::RdExcl) {
                s.n2c.push_back(Msg {
                    core: m.core,
                    line: m.line,
                    op: Down::Data {
                        tok: Tok::Zero,
                        err: !self.fault(Fault::GrantStray),
                    },
                });
            }
            if own {
                s.broken |= broken::ERR;
            }
            return;
        }
        let i = usize::from(m.line.ep);
        let idx = m.line.idx;
        let bit = 1u8 << idx;
        let e = &mut s.eps[i];
        let is_ctrl = idx < 2;
        let at_parity = is_ctrl && idx == e.parity;
        let at_other = is_ctrl && idx != e.parity;
        let is_tx = !is_ctrl;
        let buf = usize::from(idx.wrapping_sub(2));
        let data = match m.op {
            Up::EvictDirty(t) | Up::AckData(t) => Some(t),
            _ => None,
        };
        // Write-backs: into the bound slot at the current parity, or a TX buffer not
        // queued to be sent.
        if let Some(t) = data {
            if e.bound.is_some() && at_parity {
                e.slot = t;
                e.written = true;
            }
            if is_tx && !e.tx_busy[buf] {
                e.tx_buf[buf] = t;
                e.tx_written[buf] = true;
            }
        }
        match m.op {
            Up::RdShared | Up::RdExcl => {
                let live = e.bound.is_some() && !e.completing;
                let tx_idle = !e.tx_wanted && !e.tx_completing;
                let at_tx_parity = is_tx && buf == usize::from(e.tx_parity);
                if at_parity && live {
                    e.held |= bit;
                    let t = e.slot;
                    answer(s, m.core, idx, t);
                } else if at_parity && e.bound.is_none() && !e.wanted && !e.completing {
                    e.wanted = true;
                } else if at_other && !e.wanted && !e.completing {
                    e.completing = true;
                    e.todo |= e.held & RX;
                    e.held &= !RX;
                } else if is_tx && at_tx_parity && tx_idle {
                    e.tx_wanted = true;
                } else if is_tx && tx_idle {
                    let b = 1 << tx(e.tx_parity);
                    e.tx_completing = true;
                    e.todo |= e.held & b;
                    e.held &= !b;
                } else {
                    s.broken |= broken::ERR;
                    s.n2c.push_back(Msg {
                        core: m.core,
                        line: m.line,
                        op: Down::Data {
                            tok: Tok::Zero,
                            err: true,
                        },
                    });
                }
            }
            Up::EvictClean | Up::EvictDirty(_) => e.held &= !bit,
            Up::Ack | Up::AckData(_) => {
                if e.outstanding == 0 {
                    s.broken |= broken::INV;
                } else {
                    e.outstanding -= 1;
                }
            }
        }
    }

    /// A core receives an `n2c` message.
    fn core_take(&self, s: &mut State, m: Msg<Down>) {
        let c = usize::from(m.core);
        match m.op {
            Down::Inv => {
                let core = &mut s.cores[c];
                let op = match core.at_mut(m.line).take() {
                    Some((Mesi::Modified, t)) => Up::AckData(t),
                    Some(_) => Up::Ack,
                    None if self.fault(Fault::NoAckWhenGone) => return,
                    None => Up::Ack,
                };
                send(s, m.core, m.line, op);
            }
            Down::Data { tok, err } => {
                let core = &mut s.cores[c];
                let Some((want, excl)) = core.miss.take() else {
                    s.broken |= broken::LOAD;
                    return;
                };
                if want != m.line {
                    s.broken |= broken::LOAD;
                    return;
                }
                if err {
                    // Only a stray load may be refused.
                    if m.line.ep == m.core {
                        s.broken |= broken::ERR;
                    }
                    return;
                }
                match core.at(m.line) {
                    None => {}
                    Some((Mesi::Shared, _)) if excl => {}
                    Some(_) => s.broken |= broken::HOLDER,
                }
                let st = if excl { Mesi::Exclusive } else { Mesi::Shared };
                *core.at_mut(m.line) = Some((st, tok));
                // A stray load granted: cached (for "one holder per line" to see), nothing
                // for the program.
                if m.line.ep != m.core {
                    return;
                }
                match core.pc {
                    Pc::Fetch | Pc::Ack => {
                        if core.pc == Pc::Ack {
                            core.parity ^= 1;
                        }
                        match tok {
                            Tok::Req(id) => {
                                s.delivered[usize::from(id)] += 1;
                                core.request = Some(id);
                                core.expect = tok;
                                core.pc = Pc::Write(0);
                            }
                            Tok::TryAgain { preempt } => {
                                core.pc = if preempt { Pc::Interrupted } else { Pc::Fetch };
                            }
                            _ => s.broken |= broken::DATA,
                        }
                    }
                    // A re-fetch of the request's line: what the core last wrote.
                    Pc::Write(_) => {
                        if tok != core.expect {
                            s.broken |= broken::DATA;
                        }
                    }
                    // The line is the buffer unless it is a TRYAGAIN (wait to lose it).
                    Pc::Send => {}
                    Pc::Bell => {
                        core.tx_parity ^= 1;
                        core.pc = Pc::Ack;
                    }
                    Pc::Interrupted => s.broken |= broken::LOAD,
                }
            }
        }
    }

    /// A core's program step: a store to an exclusive line, or a load that misses.
    fn step(&self, s: &mut State, c: u8, shared: bool) {
        let tx_on = self.cfg.tx;
        let writes = self.cfg.writes;
        let core = &mut s.cores[usize::from(c)];
        let idx = program_line(core).unwrap();
        let line = Line { ep: c, idx };
        let store = |pc: Pc| matches!(pc, Pc::Write(_) | Pc::Send);
        match core.at(line) {
            Some((st, _)) if store(core.pc) && st != Mesi::Shared => {
                let id = core.request.unwrap();
                let (tok, next) = match core.pc {
                    Pc::Write(k) if k + 1 < writes => (Tok::Resp(id, k), Pc::Write(k + 1)),
                    Pc::Write(k) => (Tok::Resp(id, k), if tx_on { Pc::Send } else { Pc::Ack }),
                    _ => (Tok::Msg(id), Pc::Bell),
                };
                *core.at_mut(line) = Some((Mesi::Modified, tok));
                if idx < 2 {
                    core.expect = tok;
                }
                core.pc = next;
            }
            Some(_) if !store(core.pc) => unreachable!("a load hit is not a step"),
            _ => {
                let excl = !shared;
                core.miss = Some((line, excl));
                send(s, c, line, if excl { Up::RdExcl } else { Up::RdShared });
            }
        }
    }
}

/// A line is cached only by the core it belongs to, so never by two cores, nor exclusive in
/// one while in another.
fn one_holder(s: &State) -> bool {
    (0..EPS as u8).all(|ep| {
        (0..LINES as u8).all(|idx| {
            let l = Line { ep, idx };
            let holders: Vec<(usize, Mesi)> = (s.cores.iter().enumerate())
                .filter_map(|(c, core)| core.at(l).map(|(st, _)| (c, st)))
                .collect();
            let owned = holders.iter().any(|&(_, st)| st != Mesi::Shared);
            holders.iter().all(|&(c, _)| c == usize::from(ep)) && !(owned && holders.len() > 1)
        })
    })
}

/// Every line a core caches is one the NIC knows it may hold: granted (`held`), to be
/// invalidated (`todo`) or with its `INV` on the way. A line the NIC does not know about
/// would be treated as home while the core holds it.
fn nic_tracks_cached_lines(s: &State) -> bool {
    s.cores.iter().enumerate().all(|(c, core)| {
        core.lines().all(|(l, st)| {
            let bit = 1 << l.idx;
            let Some(e) = s
                .eps
                .get(usize::from(l.ep))
                .filter(|_| usize::from(l.ep) == c)
            else {
                return false;
            };
            let tracked = e.held & bit != 0
                || e.todo & bit != 0
                || s.n2c.iter().any(|d| d.op == Down::Inv && d.line == l);
            // A TX buffer being sent is the NIC's: the core holds no newer data of it.
            let sending = l.idx >= 2 && e.tx_busy[usize::from(l.idx - 2)];
            tracked && !(sending && st == Mesi::Modified)
        })
    })
}

/// Each request that arrived is in exactly one place: queued, bound to an endpoint, or
/// done; none was received by a core's program twice, nor its datagram sent twice.
fn no_request_lost_or_twice(s: &State) -> bool {
    (0..s.arrived).all(|id| {
        let places = s.queue.iter().filter(|&&q| q == id).count()
            + s.eps.iter().filter(|e| e.bound == Some(id)).count()
            + s.done.iter().filter(|d| d.0 == id).count();
        places == 1
            && s.delivered[usize::from(id)] <= 1
            && s.sent.iter().filter(|&&t| t == Tok::Msg(id)).count() <= 1
    })
}

/// Per endpoint, the `INV`s counted outstanding are those on the way and the answers on
/// the way back (a core answers as it receives).
fn invs_balance(s: &State) -> bool {
    s.eps.iter().enumerate().all(|(i, e)| {
        let invs = s
            .n2c
            .iter()
            .filter(|d| usize::from(d.core) == i && d.op == Down::Inv)
            .count();
        let answers = s
            .c2n
            .iter()
            .filter(|u| usize::from(u.core) == i && matches!(u.op, Up::Ack | Up::AckData(_)))
            .count();
        usize::from(e.outstanding) == invs + answers
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use stateright::Checker;

    #[test]
    fn one_core_two_requests_holds() {
        let cfg = LineCfg {
            cores: 1,
            requests: 2,
            queue: 2,
            writes: 1,
            tx: false,
            budget: Budget {
                timeouts: 1,
                evictions: 1,
                preemptions: 1,
                strays: 1,
            },
            fault: None,
        };
        let c = LineModel::new(cfg).checker().spawn_bfs().join();
        println!("{} states, depth {}", c.unique_state_count(), c.max_depth());
        c.assert_properties();
    }
}

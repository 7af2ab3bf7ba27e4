//! The ONC-RPC receive path (Lauberhorn §5.1): frames from the MAC become requests in
//! slots, ready for the scheduler, with everything else passed on unchanged.
//!
//! **Pipeline.** The receive front end ([`rx_front`](crate::blocks::rx_front), shared with
//! the Accio RX engine) feeds the MAC stream (never back-pressured) to the
//! [`udp_rx_parse`](crate::blocks::udp_rx_parse) and [`rpc_decode`](super::rpc_decode)
//! taps and a store-and-forward packet buffer side by side, and pairs each verdict with
//! the frame it belongs to (its *fate* FIFO); the decoder's reports and the caller's MAC
//! wait beside it in FIFOs for the parser's later verdict. The [`service_table`](super::service_table) is looked up, and the decision
//! takes each buffered frame one way ([`kind`]):
//! * **slot**: a well-formed call to `local_ip` on a port some service listens on,
//!   matching a service, whose arguments fit the CONTROL and AUX lines, while a slot is
//!   free. The frame streams through a byte aligner that puts its arguments at byte 32,
//!   the descriptor ([`ctrl`]) is laid over the first 32 bytes, and the words go into the
//!   slot RAM; then the slot goes to the scheduler (which may refuse it: its process's
//!   queue is full, and the slot is freed again).
//! * **dma** (with `dma_fallback` set, while a slot is free): a call whose arguments are
//!   too large for the lines leaves unchanged on `m_axis_dma` (with its slot, `m_call_*`)
//!   for an ICT ring ([`dma_fallback`](super::dma_fallback)); once the record is in memory
//!   (`dma_delivered`) the slot gets a [`KIND_DMA`](ctrl::KIND_DMA) descriptor saying where,
//!   and goes to the scheduler; if it found no ring (`dma_failed`) the slot is freed and
//!   the call counted as dropped.
//! * **other** (`m_axis_other`, the frame unchanged, for the normal path): anything that
//!   is not an RPC datagram for a service port; calls too large for the lines without the
//!   DMA fallback; malformed and unmatched calls when `reject_to_other` is set.
//! * **error**: with `error_replies` set, a well-formed call to a service port that no
//!   entry matches, while a slot is free: the slot gets an error response in place of a
//!   descriptor (`PROG_UNAVAIL`, `PROG_MISMATCH` with the port's lowest and highest
//!   version of the program, or `PROC_UNAVAIL`, RFC 5531) and goes straight to the reply
//!   path (`err_done`).
//! * **drop**: malformed or unmatched calls otherwise, and calls finding no free slot.
//!
//! Every decision is counted (`stat_*` pulses). Each slot's caller (MAC, addresses,
//! ports, `xid`) stays in a small memory the reply path reads (`meta_*`); it frees the
//! slot (`free_*`) once the reply is out. At most [`FRAME_SLOTS`] frames are between their
//! last beat and their departure; one ending while all are taken is dropped and counted
//! as an overrun, which bounds every queue behind the buffer. A frame refused so counts
//! as taking a slot until its drop a cycle later
//! ([`refused_take_slot`](crate::blocks::rx_front::RxFrontCfg::refused_take_slot)).

use crate::blocks::byte_shifter::{byte_shifter, ByteShifterCfg};
use crate::blocks::onehot::select;
use crate::blocks::pieces::{pick, place};
use crate::blocks::rx_front::{RxFront, RxFrontCfg};
use crate::blocks::sync_fifo::{sync_fifo, SyncFifoCfg};
use crate::blocks::udp_rx_parse::{latency as parse_latency, udp_rx_parse};
use crate::bundles::{Axis, AxisCfg, Side};
use crate::ir::{
    cat, clog2, lit, Expr, HdlErrors, Inst, Layout, Mem, Module, ModuleBuilder, PortDir, RamStyle,
    Sig,
};
use crate::lauberhorn::coherence::{ctrl, LINE_BITS, LINE_BYTES};
use crate::lauberhorn::endpoints::SlotWrite;
use crate::lauberhorn::rpc_decode::{rpc_decode, LATENCY as DECODE_LATENCY, RPC_OFFSET};
use crate::lauberhorn::service_table::{service_table, versions_lag, ServiceTableCfg};
use crate::proto::oncrpc;
use std::rc::Rc;

/// Frames between their last beat and their departure, at most.
pub const FRAME_SLOTS: u64 = 64;
/// Frames whose verdicts are still being worked out, at most.
const VERDICT_DEPTH: u64 = 16;
/// Longest offset of the arguments in a frame: the headers and two largest bodies.
const MAX_ARGS_OFFSET: u32 =
    RPC_OFFSET + (oncrpc::FIXED_LEN + oncrpc::VERF_FIXED_LEN) as u32 + 2 * oncrpc::MAX_AUTH as u32;

/// What the decision does with a frame.
pub mod kind {
    pub const DROP: u64 = 0;
    pub const SLOT: u64 = 1;
    pub const OTHER: u64 = 2;
    pub const ERROR: u64 = 3;
    pub const DMA: u64 = 4;
    pub const WIDTH: u32 = 3;
}

/// RFC 5531 `accept_stat` values of the error replies.
pub mod accept {
    pub const PROG_UNAVAIL: u64 = 1;
    pub const PROG_MISMATCH: u64 = 2;
    pub const PROC_UNAVAIL: u64 = 3;
}

crate::port_group! {
    /// A slot holding an error reply the receive path wrote, for the reply path.
    pub struct ErrorDone = "err_done" { valid: forward, slot: forward, ready: backward }
}

crate::port_group! {
    /// A slot the reply path is done with, back to the receive path.
    pub struct FreeSlot = "free" { valid: forward, slot: forward, ready: backward }
}

crate::port_group! {
    /// A call's addresses, ports and XID, for the reply to it.
    pub struct CallMeta = "meta" {
        src_mac: forward,
        src_ip: forward,
        dst_ip: forward,
        src_port: forward,
        dst_port: forward,
        xid: forward,
    }
}

/// Parameters of [`rpc_rx`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RpcRxCfg {
    /// MAC stream width.
    pub net_width: u32,
    /// Slot RAM word (coherence link) width.
    pub coh_width: u32,
    pub aux_lines: u32,
    pub slots: u32,
    pub services: u32,
    pub processes: u32,
    /// Packet buffer bytes.
    pub buffer_bytes: u32,
}

impl RpcRxCfg {
    /// Argument bytes a slot holds: the CONTROL line past the descriptor, and the AUX lines.
    pub fn capacity(&self) -> u32 {
        ctrl::INLINE + LINE_BYTES * self.aux_lines
    }

    /// Words of one slot in the RAM (see `EndpointsCfg::word`).
    pub fn slot_words(&self) -> u32 {
        (1 + self.aux_lines).next_power_of_two() * (LINE_BITS / self.coh_width)
    }
}

/// Fields of the per-slot memory, in order (name, bits): the caller for the reply, then
/// the descriptor's.
fn slot_fields(pw: u32) -> Vec<(&'static str, u32)> {
    vec![
        ("src_mac", 48),
        ("src_ip", 32),
        ("dst_ip", 32),
        ("src_port", 16),
        ("dst_port", 16),
        ("xid", 32),
        ("args_len", 16),
        ("func", 64),
        ("data", 64),
        ("service", 8),
        ("proc", 32),
        ("process", pw),
        ("error_stat", 2),
        ("udp_len", 16),
        ("args_at", 16),
    ]
}

/// The reply path's view of the per-slot memory (the first six fields).
pub const META_FIELDS: usize = 6;

/// Sizes derived from [`RpcRxCfg`], named once for every part of the generator.
struct Dims {
    net: AxisCfg,
    net_bits: u32,
    /// Slot RAM word bits.
    coh_bits: u32,
    slots: u32,
    slot_bits: u32,
    process_bits: u32,
    /// Bits of the aligner's offset.
    offset_bits: u32,
    /// Words of one slot in the RAM.
    slot_words: u32,
    /// Argument bytes a slot holds.
    capacity: u32,
    /// Cycles from the service table's results to its PROG_MISMATCH versions.
    versions_lag: u32,
}

/// The policy inputs.
struct Policy {
    local_ip: Sig,
    reject_to_other: Sig,
    dma_fallback: Sig,
    error_replies: Sig,
}

/// A call's fields from the decoder, as its verdict arrives.
struct Call {
    ok: Expr,
    xid: Expr,
    prog: Expr,
    vers: Expr,
    proc_: Expr,
    args_offset: Expr,
    args_len: Expr,
}

/// A decided frame's way out and, for a slot, which: its kind as flags, decoded before
/// the queue so the mover steers by registers.
fn kind_layout(slot_bits: u32) -> Layout {
    Layout::new(&[
        ("slot", slot_bits),
        ("other", 1),
        ("dma", 1),
        ("slot_kind", 1),
        ("error", 1),
    ])
}

/// The receive front end ([`RxFront`]: the parser, whose verdicts drive everything behind
/// it, and the packet buffer), with what waits beside the fate FIFO for each verdict.
struct FrontEnd {
    rx: RxFront,
    /// The caller's MAC, for this verdict's frame.
    src_mac: Sig,
    call: Call,
}

/// Stage A: the frame's headers and call, a cycle after its verdict, while the service
/// table looks it up.
struct StageA {
    services: Inst,
    valid: Sig,
    offload: Sig,
    /// The frame is for `local_ip`.
    local: Sig,
    dst_ip: Sig,
    src_ip: Sig,
    src_port: Sig,
    dst_port: Sig,
    udp_len: Sig,
    src_mac: Sig,
    call_ok: Sig,
    xid: Sig,
    proc_: Sig,
    args_offset: Sig,
    args_len: Sig,
    /// The arguments fit the CONTROL and AUX lines.
    fits: Sig,
}

/// Stage B: the decision on a frame, and the queues that carry it to the mover.
struct Decision {
    free_slots: Inst,
    /// The free slot at the queue's head, taken by a frame going to a slot.
    slot_now: Sig,
    /// The frame takes `slot_now`.
    to_slot: Sig,
    to_error: Sig,
    error_stat: Sig,
    /// The aligner offset of each frame, in order.
    jobs: Inst,
    /// The kind and slot of each frame, in order.
    kinds: Inst,
}

/// The per-slot memories: the caller and descriptor (`slot_info`, [`slot_fields`]), and
/// an error reply's PROG_MISMATCH versions.
struct SlotMemories {
    info: Mem,
    mismatch: Mem,
}

/// The mover's side of the aligner: the frame leaving, its kind and slot.
struct Mover {
    aligner: Inst,
    valid: Sig,
    data: Sig,
    last: Sig,
    slot: Sig,
    is_other: Sig,
    is_error: Sig,
    is_slot: Sig,
    is_dma: Sig,
    other: Axis,
    dma: Axis,
}

/// What leaves a filled slot: its scheduler request or, for an error reply, the slot to
/// the reply path; each a register waiting to be taken.
struct Handoff {
    req_queued: Sig,
    req_pending: Sig,
    req_slot: Sig,
    req_process: Sig,
    req_fire: Sig,
    err_pending: Sig,
    err_slot: Sig,
    err_fire: Sig,
}

/// The frame's beats for the slot: the descriptor laid over the first 32 bytes.
struct SlotBeats {
    data: Sig,
    /// Beats of the frame out so far (saturating).
    out_beat: Sig,
    /// The slot's fields, as [`slot_fields`].
    info: Vec<Expr>,
}

/// The slot writer's port and its count of the frame's words.
struct SlotWriter {
    wr_valid: Sig,
    wr_ready: Sig,
    wr_addr: Sig,
    wr_data: Sig,
    words_written: Sig,
    count_bits: u32,
    full: Sig,
    /// Address of the frame's next word.
    frame_addr: Expr,
}

/// A frame's beats cut into slot words: `take`, the aligner's beat is consumed this
/// cycle; `write`, a word goes out.
struct Words {
    take: Sig,
    write: Sig,
    word: Expr,
}

/// The DMA descriptor writer's state and its next word.
struct DmaDesc {
    busy: Sig,
    written: Sig,
    slot: Sig,
    word: Sig,
    write: Sig,
    data: Expr,
    /// The slot's fields, as [`slot_fields`].
    info: Vec<Expr>,
}

/// A one-bit `stat_*` pulse, registered.
fn stat(m: &mut ModuleBuilder, f: &str, v: Expr) {
    let o = m.output(&format!("stat_{f}"), 1);
    let reg = m.reg_reset(&format!("stat_{f}_r"), 1, 0);
    m.set(&reg, v);
    m.set(&o, &reg);
}

fn fifo(m: &mut ModuleBuilder, name: &str, w: u32, depth: u64) -> Result<Inst, HdlErrors> {
    Ok(m.instance(name, &sync_fifo(SyncFifoCfg::new(w, depth))?))
}

/// A field of the parser's frame report.
fn meta(m: &mut ModuleBuilder, parse: Inst, f: &str) -> Sig {
    m.inst_output(parse, &format!("meta_{f}"))
}

/// A field of the service table's answer.
fn result(m: &mut ModuleBuilder, services: Inst, f: &str) -> Sig {
    m.inst_output(services, &format!("result_{f}"))
}

/// The fields of a `slot_info` word, as [`slot_fields`] lists them.
fn info_fields(info: &Sig, process_bits: u32) -> Vec<Expr> {
    let fields = slot_fields(process_bits);
    let mut top: u32 = fields.iter().map(|f| f.1).sum();
    fields
        .iter()
        .map(|(_, w)| {
            top -= w;
            info.slice(top, *w)
        })
        .collect()
}

pub fn rpc_rx(cfg: RpcRxCfg) -> Result<Rc<Module>, HdlErrors> {
    let (net_bits, coh_bits) = (cfg.net_width, cfg.coh_width);
    let name = format!(
        "lauberhorn_rpc_rx_w{net_bits}_c{coh_bits}_a{}_s{}_n{}_p{}_b{}",
        cfg.aux_lines, cfg.slots, cfg.services, cfg.processes, cfg.buffer_bytes
    );
    AxisCfg::validate_nic_width(&name, net_bits)?;
    let beats = u64::from(cfg.buffer_bytes / (net_bits / 8));
    if !cfg.slots.is_power_of_two() || cfg.slots < 4 || beats < 64 || !beats.is_power_of_two() {
        return Err(HdlErrors::param(
            &name,
            "slots: a power of two, at least 4; buffer: a power of two of at least 64 beats",
        ));
    }
    let net = AxisCfg::net(net_bits);
    let sh_cfg = ByteShifterCfg::new(net_bits, MAX_ARGS_OFFSET.next_power_of_two());
    let d = Dims {
        net,
        net_bits,
        coh_bits,
        slots: cfg.slots,
        slot_bits: clog2(u64::from(cfg.slots)),
        process_bits: clog2(u64::from(cfg.processes)),
        offset_bits: sh_cfg.offset_width(),
        slot_words: cfg.slot_words(),
        capacity: cfg.capacity(),
        versions_lag: versions_lag(cfg.services),
    };
    if d.versions_lag > 3 {
        return Err(HdlErrors::param(
            &name,
            "the PROG_MISMATCH versions come at most 3 cycles after a lookup's results",
        ));
    }
    let parser = udp_rx_parse(net_bits)?;
    let decoder = rpc_decode(net_bits)?;
    let shifter = byte_shifter(sh_cfg)?;
    let table = service_table(ServiceTableCfg {
        services: cfg.services,
        processes: cfg.processes,
    })?;

    let mut m = ModuleBuilder::new(&name);
    m.doc(format!(
        "Lauberhorn ONC-RPC receive path, {net_bits}-bit MAC, {coh_bits}-bit slot words: calls into\n\
         {} slots of {} argument bytes, everything else to m_axis_other.",
        cfg.slots,
        cfg.capacity()
    ));
    let s = Axis::sink(&mut m, "s_axis_rx", net);
    let pol = Policy {
        local_ip: m.input("local_ip", 32),
        reject_to_other: m.input("reject_to_other", 1),
        dma_fallback: m.input("dma_fallback", 1),
        error_replies: m.input("error_replies", 1),
    };
    m.describe(
        &pol.reject_to_other,
        "Policy: malformed and unmatched calls go to m_axis_other instead of being dropped.",
    );
    m.describe(
        &pol.dma_fallback,
        "Policy: calls too large for the lines go to an ICT ring (m_axis_dma), not m_axis_other.",
    );
    m.describe(
        &pol.error_replies,
        "Policy: unmatched calls are answered with an error reply (before reject_to_other).",
    );
    let fe = front_end(&mut m, &d, &s, beats, [&parser, &decoder])?;
    let a = stage_a(&mut m, &d, &pol, &fe, &table);
    let dec = decide(&mut m, &d, &pol, &a)?;
    let mems = record_slot(&mut m, &d, &a, &dec);
    let mv = mover(&mut m, &d, &fe, &dec, &shifter);
    let beats_in = slot_beats(&mut m, &d, &mv, &mems);
    let wr = slot_writer(&mut m, &d, &mv);
    let ho = handoff_ports(&mut m, &d);
    // The slot's last word waits until the previous one of its kind is taken.
    let out_free = m.node(
        "slot_out_free",
        mv.is_error.mux(
            !&ho.err_pending | &ho.err_fire,
            !&ho.req_pending | &ho.req_fire,
        ),
    );
    let in_slot_beat = m.node("slot_beat_valid", &mv.valid & &mv.is_slot);
    let words = pack_words(
        &mut m,
        &d,
        &mv,
        &beats_in.data,
        &wr,
        &out_free,
        &in_slot_beat,
    );
    let dma = dma_descriptor(&mut m, &d, mems.info, &wr, &words.write);
    let slot_done = write_words(&mut m, &mv, &wr, &words, &dma);
    let frame_out = move_out(&mut m, &mv, &beats_in.out_beat, &words.take, dec.kinds);
    hand_over(&mut m, &mv, &ho, &slot_done, &beats_in.info[11], &dma);
    fe.rx.count_slots(&mut m, &[frame_out.into()]);
    free_slots(&mut m, &d, &dec, &ho);
    meta_view(&mut m, &d, mems.info);
    // Port groups declared by hand where they are used, in port order.
    SlotWrite::mark(&mut m, Side::Source);
    crate::lauberhorn::scheduler::Request::mark(&mut m, Side::Source);
    ErrorDone::mark(&mut m, Side::Source);
    FreeSlot::mark(&mut m, Side::Sink);
    // The reply path names the slot whose call it answers (wired apart in the NIC).
    CallMeta::mark_with(&mut m, Side::Source, &[("slot", false)]);
    m.finish()
}

/// The receive front end: the parser and decoder taps and the packet buffer side by side,
/// each frame's fate (buffered or not), its caller's MAC and its call waiting in FIFOs for
/// the parser's verdict.
fn front_end(
    m: &mut ModuleBuilder,
    d: &Dims,
    s: &Axis,
    beats: u64,
    [parser, decoder]: [&Rc<Module>; 2],
) -> Result<FrontEnd, HdlErrors> {
    let cfg = RxFrontCfg {
        buffer_beats: beats,
        frame_slots: FRAME_SLOTS,
        verdict_depth: VERDICT_DEPTH,
        header_bytes: 12,
        refused_take_slot: true,
    };
    // A call waits in `calls` for its verdict: it must be there (two cycles after its
    // push) by then.
    if DECODE_LATENCY + 2 > u64::from(parse_latency(d.net_bits)) {
        return Err(HdlErrors::param(
            m.name(),
            "the RPC decoder reports after the parser's verdict",
        ));
    }
    let rx = RxFront::new(m, s, cfg, parser, &[("decode", decoder)])?;
    let (dec, tap) = (rx.taps[0], rx.header.as_ref().expect("12 header bytes"));
    stat(m, "mac_bad", rx.mac_bad());
    stat(m, "overrun", rx.overrun());
    // The caller's MAC (bytes 6..12), as the frame ends: from the tap, or, for a frame of
    // a single beat (only 512-bit beats hold a whole minimum frame), from that beat.
    let mac_of = |e: &Expr| cat((6..12).map(|i| e.slice(i * 8, 8)));
    let from_tap = mac_of(&tap.hdr.clone().into());
    let mac_now = if d.net_bits / 8 >= 60 {
        tap.index
            .eq(0u64)
            .mux(mac_of(&s.tdata.clone().into()), from_tap)
    } else {
        from_tap
    };
    let src_mac = rx.await_verdict(m, "callers", &rx.in_end, mac_now)?;
    let rpc = |m: &mut ModuleBuilder, f: &str| m.inst_output(dec, &format!("rpc_{f}"));
    let rpc_fields = [
        "ok",
        "xid",
        "prog",
        "vers",
        "proc",
        "args_offset",
        "args_len",
    ];
    let rpc_valid = rpc(m, "valid");
    // Offsets past the aligner's reach cannot be a well-formed call.
    let rpc_parts: Vec<(&str, Expr)> = rpc_fields
        .iter()
        .map(|f| {
            let x = rpc(m, f);
            if *f == "args_offset" {
                m.unused(&x); // its top bits: 0 for every well-formed call
                (*f, x.trunc(d.offset_bits))
            } else {
                (*f, x.into())
            }
        })
        .collect();
    for f in ["cred_flavor", "cred_len", "verf_flavor", "verf_len"] {
        let x = rpc(m, f);
        m.unused(&x); // the handler does not see the credentials
    }
    // The fields from the least significant up: the list's last first.
    let widths: Vec<(&str, u32)> = rpc_parts
        .iter()
        .rev()
        .map(|(f, e)| (*f, e.width()))
        .collect();
    let call_layout = Layout::new(&widths);
    let call_now = rx.await_verdict(m, "calls", &rpc_valid, call_layout.pack(&rpc_parts))?;
    for f in [
        "error",
        "len",
        "broadcast",
        "multicast",
        "ipv4",
        "options",
        "fragment",
        "proto",
    ] {
        let x = meta(m, rx.parse, f);
        m.unused(&x); // `offload` sums them up
    }
    let c = call_layout.unpack(m, "call", &call_now);
    let call = Call {
        ok: c.get("ok"),
        xid: c.get("xid"),
        prog: c.get("prog"),
        vers: c.get("vers"),
        proc_: c.get("proc"),
        args_offset: c.get("args_offset"),
        args_len: c.get("args_len"),
    };
    Ok(FrontEnd { rx, src_mac, call })
}

/// Stage A: the verdict meets its frame; the service is looked up.
fn stage_a(
    m: &mut ModuleBuilder,
    d: &Dims,
    pol: &Policy,
    fe: &FrontEnd,
    table: &Rc<Module>,
) -> StageA {
    let (call, verdict) = (&fe.call, &fe.rx.verdict);
    let services = m.instance("services", table);
    m.expose(services, "wr_");
    m.expose(services, "rd_");
    m.connect(services, "lookup_valid", verdict);
    m.connect(services, "lookup_prog", &call.prog);
    m.connect(services, "lookup_vers", &call.vers);
    m.connect(services, "lookup_proc", &call.proc_);
    let dst_port_now = meta(m, fe.rx.parse, "dst_port");
    m.connect(services, "lookup_port", &dst_port_now);
    let valid = m.reg_reset("a_valid", 1, 0);
    m.set(&valid, verdict & &fe.rx.kept);
    let a = |m: &mut ModuleBuilder, n: &str, e: Expr| -> Sig {
        let reg = m.reg(&format!("a_{n}"), e.width());
        m.when(verdict, |m| m.set(&reg, e));
        reg
    };
    let from_meta = |m: &mut ModuleBuilder, f: &str| {
        let x = meta(m, fe.rx.parse, f);
        a(m, f, x.into())
    };
    let offload = from_meta(m, "offload");
    let dst_ip_now = meta(m, fe.rx.parse, "dst_ip");
    // The decision's compares, a cycle early.
    let local = a(m, "local", dst_ip_now.eq(&pol.local_ip));
    let fits = a(m, "fits", call.args_len.le(u64::from(d.capacity)));
    let dst_ip = a(m, "dst_ip", dst_ip_now.into());
    let src_ip = from_meta(m, "src_ip");
    let src_port = from_meta(m, "src_port");
    let dst_port = from_meta(m, "dst_port");
    let udp_len = from_meta(m, "udp_len");
    StageA {
        services,
        valid,
        offload,
        local,
        dst_ip,
        src_ip,
        src_port,
        dst_port,
        udp_len,
        src_mac: a(m, "src_mac", fe.src_mac.clone().into()),
        call_ok: a(m, "call_ok", call.ok.clone()),
        xid: a(m, "xid", call.xid.clone()),
        proc_: a(m, "proc", call.proc_.clone()),
        args_offset: a(m, "args_offset", call.args_offset.clone()),
        args_len: a(m, "args_len", call.args_len.clone()),
        fits,
    }
}

/// Stage B: the decision ([`kind`]), counted, and queued for the mover with the frame's
/// aligner offset.
fn decide(
    m: &mut ModuleBuilder,
    d: &Dims,
    pol: &Policy,
    a: &StageA,
) -> Result<Decision, HdlErrors> {
    let (slot_bits, offset_bits) = (d.slot_bits, d.offset_bits);
    let res = |m: &mut ModuleBuilder, f: &str| result(m, a.services, f);
    let r_valid = res(m, "valid");
    m.unused(&r_valid); // a lookup for every verdict: it is `a_valid`'s cycle
    let (hit, port_known) = (res(m, "hit"), res(m, "port_known"));
    let (prog_known, vers_known) = (res(m, "prog_known"), res(m, "vers_known"));
    let error_stat = m.node(
        "error_stat",
        (!&prog_known).mux(
            lit(accept::PROG_UNAVAIL, 2),
            (!&vers_known).mux(lit(accept::PROG_MISMATCH, 2), lit(accept::PROC_UNAVAIL, 2)),
        ),
    );
    let rpcish = m.node("is_rpc", &a.offload & &a.local & &port_known);
    let fits = a.fits.clone();
    let free_slots = fifo(m, "free_slots", slot_bits, u64::from(d.slots))?;
    let have_slot = m.inst_output(free_slots, "m_valid");
    let slot_now = m.inst_output(free_slots, "m_data");
    let k = |v: u64| lit(v, kind::WIDTH);
    let reject = pol.reject_to_other.mux(k(kind::OTHER), k(kind::DROP));
    let unmatched = (&pol.error_replies & &have_slot).mux(k(kind::ERROR), reject.clone());
    let decided = m.node(
        "decided_kind",
        (!&rpcish).mux(
            k(kind::OTHER),
            (!&a.call_ok).mux(
                reject,
                (!&hit).mux(
                    unmatched,
                    (!&fits).mux(
                        pol.dma_fallback
                            .mux(have_slot.mux(k(kind::DMA), k(kind::DROP)), k(kind::OTHER)),
                        have_slot.mux(k(kind::SLOT), k(kind::DROP)),
                    ),
                ),
            ),
        ),
    );
    let a_valid = &a.valid;
    let to_error = m.node("to_error", a_valid & Expr::from(&decided).eq(kind::ERROR));
    let to_dma = m.node("to_dma", a_valid & Expr::from(&decided).eq(kind::DMA));
    // Slots: for a request, an error reply, or a call's DMA descriptor.
    let to_slot = m.node(
        "to_slot",
        a_valid & Expr::from(&decided).eq(kind::SLOT) | &to_error | &to_dma,
    );
    stat(m, "error_replies", to_error.clone().into());
    stat(m, "other", a_valid & Expr::from(&decided).eq(kind::OTHER));
    let a_ok = &a.call_ok;
    stat(m, "malformed", a_valid & &rpcish & !a_ok);
    stat(m, "unmatched", a_valid & &rpcish & a_ok & !&hit);
    stat(m, "too_large", a_valid & &rpcish & a_ok & &hit & !&fits);
    stat(
        m,
        "no_slot",
        a_valid & &rpcish & a_ok & &hit & (&fits | &pol.dma_fallback) & !&have_slot,
    );
    m.connect(free_slots, "m_ready", &to_slot);
    let jobs = fifo(m, "jobs", offset_bits, FRAME_SLOTS)?;
    let kinds = fifo(m, "kinds", kind_layout(slot_bits).width(), FRAME_SLOTS)?;
    for f in [jobs, kinds] {
        for o in ["s_ready", "count"] {
            let x = m.inst_output(f, o);
            m.unused(&x); // frame slots bound them
        }
    }
    m.connect(jobs, "s_valid", a_valid);
    // Arguments at byte 32 of the slot (an error reply keeps the call's there, unused); a
    // DMA call leaves whole.
    m.connect(
        jobs,
        "s_data",
        (&to_slot & !&to_dma).mux(
            (a.args_offset.trunc(offset_bits) - lit(u64::from(ctrl::DATA), offset_bits))
                .trunc(offset_bits),
            lit(0, offset_bits),
        ),
    );
    m.connect(kinds, "s_valid", a_valid);
    let is = |v: u64| Expr::from(&decided).eq(v);
    let kind_and_slot = [
        ("other", is(kind::OTHER)),
        ("dma", is(kind::DMA)),
        ("slot_kind", is(kind::SLOT) | is(kind::ERROR)),
        ("error", is(kind::ERROR)),
        ("slot", (&slot_now).into()),
    ];
    m.connect(kinds, "s_data", kind_layout(slot_bits).pack(&kind_and_slot));
    Ok(Decision {
        free_slots,
        slot_now,
        to_slot,
        to_error,
        error_stat,
        jobs,
        kinds,
    })
}

/// The slot's caller and descriptor, written as the decision takes the slot; an error
/// reply's PROG_MISMATCH versions, which come a cycle later.
fn record_slot(m: &mut ModuleBuilder, d: &Dims, a: &StageA, dec: &Decision) -> SlotMemories {
    let fields = slot_fields(d.process_bits);
    let info_bits: u32 = fields.iter().map(|f| f.1).sum();
    let info = m.memory(
        "slot_info",
        info_bits,
        u64::from(d.slots),
        RamStyle::Distributed,
    );
    let res = |m: &mut ModuleBuilder, f: &str| result(m, a.services, f);
    let r_func = res(m, "func");
    let r_data = res(m, "data");
    let r_index = res(m, "index");
    let r_process = res(m, "process");
    let values: Vec<Expr> = vec![
        (&a.src_mac).into(),
        (&a.src_ip).into(),
        (&a.dst_ip).into(),
        (&a.src_port).into(),
        (&a.dst_port).into(),
        (&a.xid).into(),
        (&a.args_len).into(),
        (&r_func).into(),
        (&r_data).into(),
        r_index.zext(8),
        (&a.proc_).into(),
        (&r_process).into(),
        (&dec.error_stat).into(),
        (&a.udp_len).into(),
        // The arguments' offset in the ring record: behind its 16-byte header, which
        // takes the place of the frame's 42 bytes of headers.
        (a.args_offset.zext(16) - lit(42 - 16, 16)).trunc(16),
    ];
    m.mem_write(
        info,
        &dec.to_slot,
        &dec.slot_now.clone().into(),
        &cat(values),
    );
    let mismatch = m.memory(
        "mismatch_info",
        64,
        u64::from(d.slots),
        RamStyle::Distributed,
    );
    // The versions come `versions_lag` cycles after the decision; the mover reads them no
    // sooner than four cycles after it (the kinds FIFO, two; the aligner, two).
    let (mut err_r, mut err_slot_r) = (dec.to_error.clone(), dec.slot_now.clone());
    for k in 0..d.versions_lag {
        let (v, s) = (err_r, err_slot_r);
        err_r = m.reg_reset(&format!("to_error_r{k}"), 1, 0);
        err_slot_r = m.reg(&format!("to_error_slot_r{k}"), d.slot_bits);
        m.set(&err_r, &v);
        m.set(&err_slot_r, &s);
    }
    let v_low = res(m, "vers_low");
    let v_high = res(m, "vers_high");
    m.mem_write(
        mismatch,
        &err_r,
        &err_slot_r.clone().into(),
        &cat([Expr::from(&v_high), Expr::from(&v_low)]),
    );
    SlotMemories { info, mismatch }
}

/// The mover: frames leave the buffer in order through the aligner, each its own way.
fn mover(
    m: &mut ModuleBuilder,
    d: &Dims,
    fe: &FrontEnd,
    dec: &Decision,
    shifter: &Rc<Module>,
) -> Mover {
    let (buffer, jobs, slot_bits) = (fe.rx.buffer, dec.jobs, d.slot_bits);
    let aligner = m.instance("aligner", shifter);
    let job_valid = m.inst_output(jobs, "m_valid");
    let frame_valid = m.inst_output(buffer, "m_axis_tvalid");
    let frame_last = m.inst_output(buffer, "m_axis_tlast");
    let aligner_ready = m.inst_output(aligner, "s_axis_tready");
    for f in ["tdata", "tkeep", "tlast", "tuser"] {
        let x = m.inst_output(buffer, &format!("m_axis_{f}"));
        m.connect(aligner, &format!("s_axis_{f}"), &x);
    }
    m.connect(aligner, "s_axis_tvalid", &frame_valid & &job_valid);
    m.connect(buffer, "m_axis_tready", &aligner_ready & &job_valid);
    m.connect(
        jobs,
        "m_ready",
        &frame_valid & &frame_last & &aligner_ready & &job_valid,
    );
    let offset_now = m.inst_output(jobs, "m_data");
    m.connect(aligner, "s_offset", &offset_now);
    let valid = m.inst_output(aligner, "m_axis_tvalid");
    let data = m.inst_output(aligner, "m_axis_tdata");
    let keep = m.inst_output(aligner, "m_axis_tkeep");
    let last = m.inst_output(aligner, "m_axis_tlast");
    let user = m.inst_output(aligner, "m_axis_tuser");
    let kind_and_slot = m.inst_output(dec.kinds, "m_data");
    let k = kind_layout(slot_bits).unpack(m, "mover", &kind_and_slot);
    let field = |f: &str| k.sig(f).cloned().expect("a field of the kind layout");
    let slot = field("slot");
    let k_valid = m.inst_output(dec.kinds, "m_valid");
    m.unused(&k_valid); // a frame leaves the aligner only after its decision
    let other = Axis::source(m, "m_axis_other", d.net);
    let (is_other, is_error) = (field("other"), field("error"));
    let is_slot = field("slot_kind");
    let out_to = |m: &mut ModuleBuilder, out: &Axis, when: &Sig| {
        m.set(&out.tvalid, &valid & when);
        m.set(&out.tdata, &data);
        m.set(&out.tkeep, &keep);
        m.set(&out.tlast, &last);
        m.set(out.tuser.as_ref().unwrap(), &user);
    };
    out_to(m, &other, &is_other);
    let dma = Axis::source(m, "m_axis_dma", d.net);
    let is_dma = field("dma");
    out_to(m, &dma, &is_dma);
    Mover {
        aligner,
        valid,
        data,
        last,
        slot,
        is_other,
        is_error,
        is_slot,
        is_dma,
        other,
        dma,
    }
}

/// The frame's beats for its slot: the descriptor (a request's, or an error reply's
/// response) over the first 32 bytes. A DMA call's slot goes out with the frame
/// (`m_call_*`).
fn slot_beats(m: &mut ModuleBuilder, d: &Dims, mv: &Mover, mems: &SlotMemories) -> SlotBeats {
    let net_bits = d.net_bits;
    let info_word = m.mem_read_async(mems.info, "mover_info", &mv.slot.clone().into());
    let info = info_fields(&info_word, d.process_bits);
    let (service_func, service_data, err_stat) = (&info[7], &info[8], &info[12]);
    // A DMA call's slot, with the frame, for the DMA fallback.
    for (f, v) in [
        ("slot", Expr::from(&mv.slot)),
        ("udp_len", info[13].clone()),
        ("args_at", info[14].clone()),
    ] {
        let p = m.group_port("m_call", f, v.width(), PortDir::Out);
        m.set(&p, v);
    }
    m.unused(&info_word); // the caller's fields are the reply path's (meta_* below)
    let (w0, w3) = request_words(&info, ctrl::KIND_INLINE);
    // An error reply's response instead: length and accept_stat in word 0, for
    // PROG_MISMATCH the XDR low and high versions as its results at byte 24.
    let versions = m.mem_read_async(mems.mismatch, "mover_mismatch", &mv.slot.clone().into());
    let xdr = |v: Expr| cat((0..4).map(|b| v.slice(8 * b, 8)));
    let is_mismatch = err_stat.eq(accept::PROG_MISMATCH);
    let err_w0 = cat([
        lit(0, 32),
        is_mismatch.mux(lit(8, 16), lit(0, 16)),
        err_stat.zext(8),
        lit(0, ctrl::STAT_LSB),
    ]);
    debug_assert_eq!((ctrl::LEN_LSB, ctrl::STAT_LSB, ctrl::RESULT), (16, 8, 24));
    let err_w3 = cat([xdr(versions.slice(32, 32)), xdr(versions.trunc(32))]);
    let desc = m.node(
        "descriptor",
        mv.is_error.mux(
            cat([err_w3, lit(0, 128), err_w0]),
            cat([w3, service_data.clone(), service_func.clone(), w0]),
        ),
    );
    let out_beat = m.reg_reset("out_beat", 6, 0);
    let desc_beats = (256 / net_bits).max(1);
    let overlaid = if net_bits >= 256 {
        let first = if net_bits > 256 {
            cat([mv.data.slice(256, net_bits - 256), Expr::from(&desc)])
        } else {
            Expr::from(&desc)
        };
        Expr::from(&out_beat).eq(0u64).mux(first, &mv.data)
    } else {
        let chunks: Vec<Expr> = (0..desc_beats)
            .map(|i| desc.slice(i * net_bits, net_bits))
            .collect();
        let chunk_bits = clog2(u64::from(desc_beats));
        Expr::from(&out_beat)
            .lt(u64::from(desc_beats))
            .mux(select(&chunks, &out_beat.trunc(chunk_bits)), &mv.data)
    };
    let data = m.node("slot_beat", overlaid);
    SlotBeats {
        data,
        out_beat,
        info,
    }
}

/// The slot write port and the count of the frame's words written.
fn slot_writer(m: &mut ModuleBuilder, d: &Dims, mv: &Mover) -> SlotWriter {
    let wr_valid = m.group_port("slot_wr", "valid", 1, PortDir::Out);
    let wr_ready = m.group_port("slot_wr", "ready", 1, PortDir::In);
    let addr_bits = clog2(u64::from(d.slots * d.slot_words));
    let wr_addr = m.group_port("slot_wr", "addr", addr_bits, PortDir::Out);
    let wr_data = m.group_port("slot_wr", "data", d.coh_bits, PortDir::Out);
    let count_bits = clog2(u64::from(d.slot_words) + 1);
    let words_written = m.reg_reset("slot_words_written", count_bits, 0);
    let full = m.node(
        "slot_full",
        Expr::from(&words_written).eq(u64::from(d.slot_words)),
    );
    let frame_addr = cat([Expr::from(&mv.slot), words_written.trunc(count_bits - 1)]);
    SlotWriter {
        wr_valid,
        wr_ready,
        wr_addr,
        wr_data,
        words_written,
        count_bits,
        full,
        frame_addr,
    }
}

/// The scheduler request of the last slot filled (`req`), and an error reply's slot to the
/// reply path (`err_done`).
fn handoff_ports(m: &mut ModuleBuilder, d: &Dims) -> Handoff {
    let slot_bits = d.slot_bits;
    let req_valid = m.group_port("req", "valid", 1, PortDir::Out);
    let req_ready = m.group_port("req", "ready", 1, PortDir::In);
    let req_queued = m.group_port("req", "queued", 1, PortDir::In);
    let req_slot_port = m.group_port("req", "slot", slot_bits, PortDir::Out);
    let req_process_port = m.group_port("req", "process", d.process_bits, PortDir::Out);
    let req_pending = m.reg_reset("req_pending", 1, 0);
    let req_slot = m.reg("req_slot_r", slot_bits);
    let req_process = m.reg("req_process_r", d.process_bits);
    m.set(&req_valid, &req_pending);
    m.set(&req_slot_port, &req_slot);
    m.set(&req_process_port, &req_process);
    let req_fire = m.node("req_fire", &req_pending & &req_ready);
    let err_done_valid = m.group_port("err_done", "valid", 1, PortDir::Out);
    let err_done_ready = m.group_port("err_done", "ready", 1, PortDir::In);
    let err_done_slot = m.group_port("err_done", "slot", slot_bits, PortDir::Out);
    let err_pending = m.reg_reset("err_pending", 1, 0);
    let err_slot = m.reg("err_slot_r", slot_bits);
    m.set(&err_done_valid, &err_pending);
    m.set(&err_done_slot, &err_slot);
    let err_fire = m.node("err_fire", &err_pending & &err_done_ready);
    Handoff {
        req_queued,
        req_pending,
        req_slot,
        req_process,
        req_fire,
        err_pending,
        err_slot,
        err_fire,
    }
}

/// The frame's beats cut into (or gathered into) slot words.
fn pack_words(
    m: &mut ModuleBuilder,
    d: &Dims,
    mv: &Mover,
    data_in: &Sig,
    wr: &SlotWriter,
    out_free: &Sig,
    in_slot_beat: &Sig,
) -> Words {
    let (net_bits, coh_bits) = (d.net_bits, d.coh_bits);
    let (capped, o_last) = (&wr.full, &mv.last);
    if net_bits >= coh_bits {
        let ratio = net_bits / coh_bits;
        let part = (ratio > 1).then(|| m.reg_reset("word_of_beat", clog2(u64::from(ratio)), 0));
        let at_end = match &part {
            Some(s) => Expr::from(s).eq(u64::from(ratio - 1)),
            None => lit(1, 1),
        };
        let word = match &part {
            Some(s) => pick(&data_in.clone().into(), &s.clone().into(), coh_bits),
            None => data_in.clone().into(),
        };
        let room = m.node("slot_room", capped | &wr.wr_ready);
        let step = m.node(
            "slot_step",
            in_slot_beat & &room & (!(o_last & &at_end) | out_free),
        );
        if let Some(s) = &part {
            m.when(&step, |m| {
                m.set(s, at_end.mux(lit(0, s.width()), s + lit(1, s.width())))
            });
        }
        Words {
            take: m.node("slot_take", &step & at_end),
            write: m.node("slot_write", &step & !capped),
            word,
        }
    } else {
        let ratio = coh_bits / net_bits;
        let part = m.reg_reset("beat_of_word", clog2(u64::from(ratio)), 0);
        let acc = m.reg("word_acc", coh_bits - net_bits);
        let at_end = m.node(
            "word_complete",
            Expr::from(&part).eq(u64::from(ratio - 1)) | o_last,
        );
        let room = m.node("slot_room", capped | &wr.wr_ready | !&at_end);
        let step = m.node("slot_step", in_slot_beat & &room & (!o_last | out_free));
        m.when(&step, |m| {
            m.set(
                &part,
                at_end.mux(lit(0, part.width()), &part + lit(1, part.width())),
            );
        });
        // Beats fill the word from its low end; a word cut short by the frame's end is
        // written with the earlier beats in place.
        let word = place(
            &acc.clone().into(),
            &part.clone().into(),
            &data_in.clone().into(),
            ratio,
        );
        m.when(&step & !&at_end, |m| {
            m.set(&acc, word.trunc(coh_bits - net_bits))
        });
        Words {
            take: m.node("slot_take", step.clone()),
            write: m.node("slot_write", &step & &at_end & !capped),
            word,
        }
    }
}

/// The DMA descriptor writer: a delivered call's descriptor into its slot's first words,
/// in cycles the frame writer leaves free, then the scheduler request.
fn dma_descriptor(
    m: &mut ModuleBuilder,
    d: &Dims,
    info_mem: Mem,
    wr: &SlotWriter,
    frame_write: &Sig,
) -> DmaDesc {
    let (slot_bits, coh_bits) = (d.slot_bits, d.coh_bits);
    let word_bits = wr.count_bits - 1;
    let delivered_valid = m.group_port("dma_delivered", "valid", 1, PortDir::In);
    let delivered_ready = m.group_port("dma_delivered", "ready", 1, PortDir::Out);
    let delivered_slot = m.group_port("dma_delivered", "slot", slot_bits, PortDir::In);
    let delivered_entry = m.group_port("dma_delivered", "entry", 16, PortDir::In);
    let delivered_record = m.group_port("dma_delivered", "record", 32, PortDir::In);
    let delivered_args_at = m.group_port("dma_delivered", "args_at", 16, PortDir::In);
    let busy = m.reg_reset("dma_desc_busy", 1, 0);
    let written = m.reg_reset("dma_desc_written", 1, 0);
    let slot = m.reg("dma_desc_slot", slot_bits);
    let where_ = m.reg("dma_desc_where", 64);
    let word = m.reg("dma_desc_word", word_bits);
    m.set(&delivered_ready, !&busy);
    m.when(&delivered_valid & !&busy, |m| {
        m.set(&busy, 1);
        m.set(&slot, &delivered_slot);
        m.set(&word, lit(0, word_bits));
        debug_assert_eq!((ctrl::DMA_ARGS_LSB, ctrl::DMA_RECORD_LSB), (16, 32));
        m.set(
            &where_,
            cat([
                Expr::from(&delivered_record),
                Expr::from(&delivered_args_at),
                Expr::from(&delivered_entry),
            ]),
        );
    });
    let info_word = m.mem_read_async(info_mem, "dma_desc_info", &slot.clone().into());
    m.unused(&info_word); // the caller's fields are the reply path's
    let info = info_fields(&info_word, d.process_bits);
    let (w0, w3) = request_words(&info, ctrl::KIND_DMA);
    let desc_bits = 64 * (ctrl::DMA_WORD as u32 + 1);
    let desc_words = desc_bits.div_ceil(coh_bits);
    let desc = cat([
        Expr::from(&where_),
        w3,
        info[8].clone(),
        info[7].clone(),
        w0,
    ])
    .zext(desc_words * coh_bits);
    let data = if desc_words == 1 {
        desc
    } else {
        pick(&desc, &word.trunc(clog2(u64::from(desc_words))), coh_bits)
    };
    let write = m.node("dma_desc_write", &busy & !&written & !frame_write);
    m.when(&write & &wr.wr_ready, |m| {
        m.set(&word, &word + lit(1, word_bits));
        m.when(Expr::from(&word).eq(u64::from(desc_words - 1)), |m| {
            m.set(&written, 1)
        });
    });
    DmaDesc {
        busy,
        written,
        slot,
        word,
        write,
        data,
        info,
    }
}

/// The slot write port's word: the frame's or the DMA descriptor's. Returns `slot_filled`,
/// the frame's last beat taken.
fn write_words(
    m: &mut ModuleBuilder,
    mv: &Mover,
    wr: &SlotWriter,
    words: &Words,
    dma: &DmaDesc,
) -> Sig {
    let (write, count, count_bits) = (&words.write, &wr.words_written, wr.count_bits);
    m.set(&wr.wr_valid, write | &dma.write);
    m.set(
        &wr.wr_addr,
        write.mux(
            wr.frame_addr.clone(),
            cat([Expr::from(&dma.slot), Expr::from(&dma.word)]),
        ),
    );
    m.set(&wr.wr_data, write.mux(words.word.clone(), dma.data.clone()));
    m.when(write, |m| m.set(count, count + lit(1, count_bits)));
    let slot_done = m.node("slot_filled", &words.take & &mv.last);
    m.when(&slot_done, |m| m.set(count, lit(0, count_bits)));
    slot_done
}

/// The aligner's beat taken by the way the frame goes. Returns `frame_out`, its last beat
/// taken.
fn move_out(m: &mut ModuleBuilder, mv: &Mover, out_beat: &Sig, take: &Sig, kinds: Inst) -> Sig {
    let ready = m.node(
        "mover_ready",
        mv.is_other.mux(
            &mv.other.tready,
            mv.is_dma
                .mux(&mv.dma.tready, mv.is_slot.mux(take, lit(1, 1))),
        ),
    );
    m.connect(mv.aligner, "m_axis_tready", &ready);
    let fire = m.node("mover_fire", &mv.valid & &ready);
    m.when(&fire, |m| {
        m.set(
            out_beat,
            mv.last.mux(
                lit(0, 6),
                Expr::from(out_beat)
                    .all()
                    .mux(out_beat, out_beat + lit(1, 6)),
            ),
        )
    });
    let frame_out = m.node("frame_out", &fire & &mv.last);
    m.connect(kinds, "m_ready", &frame_out);
    frame_out
}

/// A filled slot's scheduler request or error reply, then a written DMA descriptor's
/// request when the frame writer is not making one; counted.
fn hand_over(
    m: &mut ModuleBuilder,
    mv: &Mover,
    ho: &Handoff,
    slot_done: &Sig,
    process: &Expr,
    dma: &DmaDesc,
) {
    let (req_pending, req_fire, is_error) = (&ho.req_pending, &ho.req_fire, &mv.is_error);
    m.when(req_fire, |m| m.set(req_pending, 0));
    m.when(slot_done & !is_error, |m| {
        m.set(req_pending, 1);
        m.set(&ho.req_slot, &mv.slot);
        m.set(&ho.req_process, process);
    });
    m.when(&ho.err_fire, |m| m.set(&ho.err_pending, 0));
    m.when(slot_done & is_error, |m| {
        m.set(&ho.err_pending, 1);
        m.set(&ho.err_slot, &mv.slot);
    });
    let dma_req = m.node(
        "dma_request",
        &dma.written & (!req_pending | req_fire) & !(slot_done & !is_error),
    );
    m.when(&dma_req, |m| {
        m.set(req_pending, 1);
        m.set(&ho.req_slot, &dma.slot);
        m.set(&ho.req_process, dma.info[11].clone());
        m.set(&dma.written, 0);
        m.set(&dma.busy, 0);
    });
    stat(m, "dma_calls", dma_req.clone().into());
    stat(m, "calls", req_fire & &ho.req_queued);
    stat(m, "refused", req_fire & !&ho.req_queued);
}

/// Free slots: all of them after reset, refused ones, DMA calls that found no ring, and
/// the reply path's.
fn free_slots(m: &mut ModuleBuilder, d: &Dims, dec: &Decision, ho: &Handoff) {
    let slot_bits = d.slot_bits;
    let init = m.reg_reset("init_slot", slot_bits + 1, 0);
    let initing = m.node("initialising", init.lt(u64::from(d.slots)));
    m.when(&initing, |m| m.set(&init, &init + lit(1, slot_bits + 1)));
    let refused_now = m.node("free_refused", &ho.req_fire & !&ho.req_queued);
    let free_valid = m.group_port("free", "valid", 1, PortDir::In);
    let free_ready = m.group_port("free", "ready", 1, PortDir::Out);
    let free_slot = m.group_port("free", "slot", slot_bits, PortDir::In);
    let failed_valid = m.group_port("dma_failed", "valid", 1, PortDir::In);
    let failed_ready = m.group_port("dma_failed", "ready", 1, PortDir::Out);
    let failed_slot = m.group_port("dma_failed", "slot", slot_bits, PortDir::In);
    let failed_now = m.node("free_dma_failed", &failed_valid & !&initing & !&refused_now);
    m.set(&failed_ready, !&initing & !&refused_now);
    stat(m, "dma_dropped", failed_now.clone().into());
    m.set(&free_ready, !&initing & !&refused_now & !&failed_valid);
    let q = dec.free_slots;
    m.connect(
        q,
        "s_valid",
        &initing | &refused_now | &failed_valid | &free_valid,
    );
    m.connect(
        q,
        "s_data",
        initing.mux(
            init.trunc(slot_bits),
            refused_now.mux(&ho.req_slot, failed_valid.mux(&failed_slot, &free_slot)),
        ),
    );
    for o in ["s_ready", "count"] {
        let x = m.inst_output(q, o);
        m.unused(&x); // each slot is in it at most once
    }
}

/// The reply path's view of a slot: the caller's fields ([`META_FIELDS`]).
fn meta_view(m: &mut ModuleBuilder, d: &Dims, info_mem: Mem) {
    let meta_slot = m.group_port("meta", "slot", d.slot_bits, PortDir::In);
    let info_word = m.mem_read_async(info_mem, "meta_info", &meta_slot.into());
    m.unused(&info_word); // the descriptor's fields are the slot writer's
    let info = info_fields(&info_word, d.process_bits);
    let fields = slot_fields(d.process_bits);
    for (k, (f, w)) in fields.iter().enumerate().take(META_FIELDS) {
        let o = m.group_port("meta", f, *w, PortDir::Out);
        m.set(&o, info[k].clone());
    }
}

/// Request words 0 and 3 of a slot's descriptor from its slot-memory fields: VALID, the
/// kind, the argument length and xid; process, service entry and procedure.
fn request_words(f: &[Expr], kind: u64) -> (Expr, Expr) {
    let (xid, len, svc, proc_, process) = (&f[5], &f[6], &f[9], &f[10], &f[11]);
    let w0 = cat([
        xid.clone(),
        len.clone(),
        lit(0, ctrl::LEN_LSB - ctrl::KIND_LSB - 2),
        lit(kind, 2),
        lit(0, ctrl::KIND_LSB - 1),
        lit(1, 1),
    ]);
    let w3 = cat([proc_.clone(), lit(0, 8), svc.clone(), process.zext(16)]);
    (w0, w3)
}

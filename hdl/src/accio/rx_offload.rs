//! The Accio UDP receive offload engine: frames from the MAC are parsed as they pass,
//! buffered, and then either written by DMA into the RX ring of the ICT entry they belong
//! to (as a [`record`]), handed to the normal path in the next posted host buffer, or
//! dropped and counted. One DMA write engine serves both destinations, in frame order.
//!
//! **Pipeline.** The receive front end ([`rx_front`](crate::blocks::rx_front), shared with
//! Lauberhorn's receive path) feeds the MAC stream (never back-pressured) to the
//! [`udp_rx_parse`](crate::blocks::udp_rx_parse) tap and a store-and-forward packet buffer
//! side by side, and pairs each frame's verdict, a fixed time after its last beat, with
//! whether the buffer kept the frame; verdicts of frames the buffer dropped (MAC-bad, no
//! room) are discarded. Offloadable datagrams look up the ICT (one per cycle, result
//! [`LOOKUP_LATENCY`] cycles later); the other verdicts wait beside them in a delay line.
//! The *decision* then picks, for each buffered frame, one job, at one frame per cycle:
//!
//! - **ring**: a well-formed unicast datagram of an accelerated, resident entry whose ring
//!   has room for the record;
//! - **normal path**: everything else that is well formed (or malformed, when
//!   `malformed_to_np` is set), if a posted buffer is free and the frame fits it;
//! - **discard**: ring full (counted per entry in the ICT, RING_OVERFLOW event), malformed
//!   (policy), or no normal-path buffer (counted).
//!
//! Each job's DMA write command is issued as soon as the job is known (its frame is in
//! the buffer by then), so the engine has planned the bursts before their data arrives.
//! The *mover* takes the jobs' kinds in order as their frames reach the buffer's head: a
//! discard drains the frame, a DMA job streams the frame through a byte aligner (records start at frame byte 26, the IPv4 source address) and a cutter
//! that stops at the job's length and fills in the record's length and flags. A job
//! completes when the DMA engine reports every burst answered; only then does the ICT's
//! RX_TAIL move (so the record is in memory before the pointer that publishes it), or the
//! normal path get its completion.
//!
//! **Ring space with writes in flight.** The ICT's RX_TAIL moves only at completion, so a
//! decision also needs the tails it has already handed out: per entry, the newest reserved
//! tail and how many of its records are still in flight. A count drops to zero
//! [`RETIRE_DELAY`] cycles after the ICT takes the last completion's tail update, once any
//! lookup result read before that update has gone by. The decision runs in two stages
//! (read the entry's bookkeeping, then decide) with the previous decision forwarded, and
//! the ICT's update port is registered, so no long path runs from a lookup result into the
//! ICT. RX_HEAD as the lookup read it may be
//! older than the real one, which only understates the room.
//!
//! **Frame slots.** At most [`FRAME_SLOTS`] frames are between their last beat and their
//! completion. The front end drops a frame ending while all slots are taken like one that
//! finds the buffer full (`stat_overrun`), which bounds every queue behind the buffer so
//! none of them can ever back-pressure the fixed-latency decision. A frame refused so
//! never takes a slot.

use super::ict::{DmaEvent, IctLookup, IctResult, MalformedEvent, RxUpdate};
use super::nic_block::{NpBuffer, NpDone};
use super::regs::LOOKUP_LATENCY;
use crate::blocks::axis_register::axis_register;
use crate::blocks::byte_shifter::{byte_shifter, ByteShifterCfg};
use crate::blocks::dma_burst::DmaCfg;
use crate::blocks::dma_write::{dma_write, TAG_WIDTH};
use crate::blocks::onehot::select;
use crate::blocks::rx_front::{RxFront, RxFrontCfg};
use crate::blocks::sync_fifo::{sync_fifo, SyncFifoCfg};
use crate::blocks::udp_rx_parse::udp_rx_parse;
use crate::bundles::{Axis, AxisCfg, Side};
use crate::ir::{
    cat, clog2, lit, Expr, HdlErrors, Inst, Layout, Module, ModuleBuilder, PortDir, RamStyle, Sig,
};
use std::rc::Rc;

/// The RX ring record: what the engine writes for each datagram, at the ring's tail.
/// Records start on [`ALIGN`](record::ALIGN)-byte boundaries of the ring (the tail moves
/// by the record's length rounded up); a record may wrap around the ring's end.
pub mod record {
    /// Source IPv4 address, network byte order (as in `struct sockaddr_in`).
    pub const SRC_IP: usize = 0;
    /// Destination IPv4 address, network byte order.
    pub const DST_IP: usize = 4;
    /// Source UDP port, network byte order.
    pub const SRC_PORT: usize = 8;
    /// Destination UDP port, network byte order.
    pub const DST_PORT: usize = 10;
    /// Payload length in bytes, little endian.
    pub const LEN: usize = 12;
    /// [`FLAG_LOSS`] etc., little endian.
    pub const FLAGS: usize = 14;
    /// The payload.
    pub const PAYLOAD: usize = 16;
    /// Record alignment in the ring.
    pub const ALIGN: usize = 64;
    /// Datagrams for this ring were dropped (ring full) since the previous record.
    pub const FLAG_LOSS: u16 = 1;
    /// The frame offset the record's first byte comes from (the IPv4 source address).
    pub const FRAME_OFFSET: usize = 26;

    /// Bytes a datagram with `payload` bytes takes in the ring.
    pub fn footprint(payload: usize) -> usize {
        (PAYLOAD + payload).div_ceil(ALIGN) * ALIGN
    }
}

/// Why a frame went to the normal path (`np_done_reason`).
pub mod np_reason {
    /// A well-formed frame the offload does not take (not UDP/IPv4, options, fragment,
    /// VLAN, broadcast or multicast).
    pub const NOT_OFFLOADABLE: u64 = 0;
    /// An offloadable datagram whose (address, port) is in no ICT entry.
    pub const ICT_MISS: u64 = 1;
    /// An ICT entry matched but is not accelerated.
    pub const NOT_ACCELERATED: u64 = 2;
    /// A malformed frame (`np_done_class` says how), delivered because of `malformed_to_np`.
    pub const MALFORMED: u64 = 3;
}

/// Frames between their last beat and their completion, at most.
pub const FRAME_SLOTS: u64 = 64;
/// Cycles an entry's in-flight count stays up after its last completion's tail update.
pub const RETIRE_DELAY: u32 = 2;

/// Parameters of the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RxOffloadCfg {
    /// Bus width of the MAC stream and of host memory (64, 128, 256 or 512).
    pub data_width: u32,
    /// ICT entries (sizes the entry index).
    pub entries: u32,
    /// Bytes of the frame buffer (a power of two, at least 2 beats).
    pub buffer_bytes: u32,
    /// Bytes of a normal-path buffer; longer frames are not delivered there.
    pub np_buffer_bytes: u32,
    /// DMA bursts in flight.
    pub dma_outstanding: u32,
}

impl RxOffloadCfg {
    pub fn module_name(&self) -> String {
        format!(
            "accio_rx_offload_w{}_n{}_b{}_p{}_o{}",
            self.data_width,
            self.entries,
            self.buffer_bytes,
            self.np_buffer_bytes,
            self.dma_outstanding
        )
    }

    pub fn dma(&self) -> DmaCfg {
        DmaCfg::new(self.data_width, self.dma_outstanding)
    }
}

/// The cycles from a verdict to its decision: the lookup's.
const DECIDE_DELAY: usize = LOOKUP_LATENCY as usize;
const PTR: u32 = 32;

pub fn accio_rx_offload(cfg: RxOffloadCfg) -> Result<Rc<Module>, HdlErrors> {
    let name = cfg.module_name();
    let w = cfg.data_width;
    AxisCfg::validate_nic_width(&name, w)?;
    cfg.dma()
        .validate()
        .map_err(|e| HdlErrors::param(&name, e))?;
    let lanes = w / 8;
    let beats = u64::from(cfg.buffer_bytes / lanes);
    if !cfg.buffer_bytes.is_power_of_two() || beats < 2 {
        return Err(HdlErrors::param(
            &name,
            format!(
                "buffer of {} bytes is not a power of two of at least 2 beats",
                cfg.buffer_bytes
            ),
        ));
    }
    if !(64..=65535).contains(&cfg.np_buffer_bytes) {
        return Err(HdlErrors::param(
            &name,
            "normal-path buffers must hold 64 to 65535 bytes",
        ));
    }
    let net = AxisCfg::net(w);
    let children = Children {
        parser: udp_rx_parse(w)?,
        shifter: byte_shifter(ByteShifterCfg::new(w, 32))?,
        dma: dma_write(cfg.dma())?,
        out_reg: axis_register(AxisCfg {
            data_width: w,
            user_width: 0,
        })?,
    };

    let mut m = ModuleBuilder::new(&name);
    m.doc(format!(
        "Accio UDP receive offload, {w}-bit: datagrams of accelerated ICT entries into their\n\
         RX rings as records, other frames into normal-path buffers, by one DMA write engine.\n\
         {} KiB frame buffer, {FRAME_SLOTS} frame slots.",
        cfg.buffer_bytes / 1024
    ));
    let s = Axis::sink(&mut m, "s_axis_rx", net);
    let malformed_to_np = m.input("malformed_to_np", 1);
    m.describe(
        &malformed_to_np,
        "Policy: deliver malformed frames to the normal path instead of dropping them.",
    );
    let front_cfg = RxFrontCfg {
        buffer_beats: beats,
        frame_slots: FRAME_SLOTS,
        verdict_depth: 16,
        header_bytes: 0,
        refused_take_slot: false,
    };
    let front = RxFront::new(&mut m, &s, front_cfg, &children.parser, &[])?;
    stat(&mut m, "frames", front.in_end.clone().into());
    stat(&mut m, "mac_bad", front.mac_bad());
    stat(&mut m, "overrun", front.overrun());
    let verdicts = verdicts(&mut m, &cfg, &front);
    let decision = decide(&mut m, &cfg, &verdicts, &malformed_to_np);
    let queues = queue_jobs(&mut m, &cfg, &decision)?;
    let mover = mover(&mut m, &cfg, &children, &front, &queues)?;
    cutter(&mut m, &cfg, &children, &queues, &mover);
    let done = completions(&mut m, &cfg, &decision, &queues, &mover)?;
    bookkeeping(&mut m, &cfg, &front, &decision, &mover, &done);
    // Port groups declared by hand where they are used, in port order.
    NpBuffer::mark(&mut m, Side::Sink);
    NpDone::mark(&mut m, Side::Source);
    m.finish()
}

/// The engine's child modules.
struct Children {
    parser: Rc<Module>,
    shifter: Rc<Module>,
    dma: Rc<Module>,
    out_reg: Rc<Module>,
}

/// A one-bit statistics output `stat_<f>`.
fn stat(m: &mut ModuleBuilder, f: &str, v: Expr) {
    let o = m.output(&format!("stat_{f}"), 1);
    m.set(&o, v);
}

/// An output port of group `g`, driven by `v`.
fn out(m: &mut ModuleBuilder, g: &str, f: &str, v: Expr) {
    let o = m.group_port(g, f, v.width(), PortDir::Out);
    m.set(&o, v);
}

/// A kept frame's verdict, [`DECIDE_DELAY`] cycles later, beside its lookup result.
struct Verdicts {
    valid: Expr,
    offload: Expr,
    error: Expr,
    len: Expr,
    udp_len: Expr,
    /// The record's footprint in [`record::ALIGN`]-byte units, worked out on the way.
    blocks: Expr,
    /// The ICT's answer to the frame's lookup.
    res: IctResult<Sig>,
}

/// Bits of a record's footprint in [`record::ALIGN`]-byte units.
const BLOCKS_WIDTH: u32 = 17 - record::ALIGN.trailing_zeros();

/// The verdicts of kept frames: offloadable ones look up the ICT; every verdict waits in
/// a delay line for the lookup's result; malformed frames raise an event.
fn verdicts(m: &mut ModuleBuilder, cfg: &RxOffloadCfg, f: &RxFront) -> Verdicts {
    let meta = |m: &mut ModuleBuilder, name: &str| m.inst_output(f.parse, &format!("meta_{name}"));
    let mv = f.verdict.clone();
    let offload = meta(m, "offload");
    let error = meta(m, "error");
    let len = meta(m, "len");
    let udp_len = meta(m, "udp_len");
    let dst_ip = meta(m, "dst_ip");
    let dst_port = meta(m, "dst_port");
    for name in [
        "broadcast",
        "multicast",
        "ipv4",
        "options",
        "fragment",
        "proto",
        "src_ip",
        "src_port",
    ] {
        let x = meta(m, name);
        m.unused(&x); // the record takes these from the frame itself
    }
    let kept = m.node("verdict_kept", &mv & &f.kept);
    let lookup = IctLookup::widths().source(m);
    m.set(&lookup.valid, &kept & &offload);
    m.set(&lookup.ip, &dst_ip);
    m.set(&lookup.port, &dst_port);
    let malformed = MalformedEvent::widths().source(m);
    m.set(&malformed.valid, &mv & error.ne(0u64));
    m.set(&malformed.class, error.zext(8));

    // The footprint is worked out in the first stage of the line, off the decision's path:
    // a record of `udp_len + 8` bytes (header, payload) rounded up to whole blocks.
    let align = record::ALIGN as u64;
    let lb = record::ALIGN.trailing_zeros();
    let line: Vec<(&str, Expr)> = vec![
        ("offload", offload.clone().into()),
        ("error", error.clone().into()),
        ("len", len.clone().into()),
        ("udp_len", udp_len.clone().into()),
        (
            "blocks",
            (udp_len.zext(17) + lit((record::PAYLOAD - 8) as u64 + align - 1, 17))
                .slice(lb, BLOCKS_WIDTH),
        ),
    ];
    let mut d_valid: Expr = kept.clone().into();
    let mut d: Vec<Expr> = line.iter().map(|(_, e)| e.clone()).collect();
    for k in 1..=DECIDE_DELAY {
        let v = m.reg_reset(&format!("d{k}_valid"), 1, 0);
        m.set(&v, &d_valid);
        d_valid = v.into();
        d = line
            .iter()
            .zip(&d)
            .map(|((name, _), prev)| {
                let r = m.reg(&format!("d{k}_{name}"), prev.width());
                m.set(&r, prev);
                r.into()
            })
            .collect();
    }
    let res = IctResult::widths(clog2(u64::from(cfg.entries))).sink(m);
    for x in [&res.miss, &res.core, &res.conn_id] {
        m.unused(x); // the ICT raises miss events; core and id are the OS's business
    }
    let mut d = d.into_iter();
    let mut next = || d.next().expect("five delayed fields");
    Verdicts {
        valid: d_valid,
        offload: next(),
        error: next(),
        len: next(),
        udp_len: next(),
        blocks: next(),
        res,
    }
}

/// What the decision decided, for the queues, the completions and the bookkeeping.
struct Decision {
    deciding: Sig,
    to_ring: Sig,
    ring_full: Sig,
    to_np: Sig,
    np_addr: Sig,
    /// The entry, the ring's base, size and tail, and the record.
    index: Sig,
    base: Sig,
    size: Sig,
    tail: Sig,
    new_tail: Sig,
    rec_len: Sig,
    /// The record, or the frame, fits in one beat.
    rec_one_beat: Sig,
    np_one_beat: Sig,
    udp_len: Sig,
    len: Sig,
    error: Sig,
    loss_now: Sig,
    reason: Sig,
    /// The decision, registered: a ring drop and its entry.
    dropped: Sig,
    dropped_index: Sig,
    inflight: Vec<Sig>,
    loss: Vec<Sig>,
}

/// The decision, in two stages: stage 1 (the lookup result's cycle) reads the entry's
/// bookkeeping and works out everything that does not depend on the previous decision;
/// stage 2 decides, with the previous decision forwarded (it may have been for the same
/// entry, and its updates land only as stage 2 of this frame runs). Stage 2 compares the
/// ring's use both as stage 1 saw it and as the previous decision left it, side by side,
/// and only then picks one, so the decision is a few levels off registers.
fn decide(
    m: &mut ModuleBuilder,
    cfg: &RxOffloadCfg,
    v: &Verdicts,
    malformed_to_np: &Sig,
) -> Decision {
    let n = cfg.entries as usize;
    let iw = clog2(u64::from(cfg.entries));
    let cw = clog2(FRAME_SLOTS + 1);
    let inflight: Vec<Sig> = (0..n)
        .map(|i| m.reg_reset(&format!("e{i}_in_flight"), cw, 0))
        .collect();
    let loss: Vec<Sig> = (0..n)
        .map(|i| m.reg_reset(&format!("e{i}_loss"), 1, 0))
        .collect();
    let shadow = m.memory(
        "reserved_tail",
        PTR,
        (n as u64).max(2),
        RamStyle::Distributed,
    );
    let shadow_rd = m.mem_read_async(shadow, "reserved_tail_at_res", &v.res.index);
    let exprs = |s: &[Sig]| s.iter().map(Expr::from).collect::<Vec<_>>();
    let busy_bits: Vec<Expr> = inflight.iter().map(|c| c.ne(0u64)).collect();
    let busy = m.node("entry_in_flight", select(&busy_bits, &v.res.index));
    // Stage 1: the ring's sanity, the record's footprint, the bytes in use as this lookup
    // saw them, and the room a record may take (size - footprint; the borrow says it can
    // never fit).
    let tail_seen = m.node("ring_tail_seen", busy.mux(&shadow_rd, &v.res.rx_tail));
    let lb = record::ALIGN.trailing_zeros();
    let need = m.node("record_footprint", cat([v.blocks.clone(), lit(0, lb)]));
    let (r_size, r_base) = (&v.res.rx_size, &v.res.rx_base);
    let room = m.node("ring_room", r_size.zext(PTR + 1) - need.zext(PTR + 1));
    let ring_ok = m.node(
        "ring_sane",
        (r_size & (r_size - 1u64)).eq(0u64)
            & r_size.ge(record::ALIGN as u64)
            & r_base.trunc(lb).eq(0u64),
    );
    m.describe(
        &ring_ok,
        "RX_SIZE is a power of two of at least 64 and RX_BASE is 64-byte aligned.",
    );
    let hit = &v.res.valid & &v.res.hit;
    let ring_hit = &v.valid & &v.offload & &hit & &v.res.accelerated;
    let s2 = |m: &mut ModuleBuilder, f: &str, e: Expr| -> Sig {
        let r = m.reg(&format!("s2_{f}"), e.width());
        m.set(&r, e);
        r
    };
    // Stage-2 bits that carry stage 1's valid (and are used without `deciding`) reset, so
    // the cycle after reset decides nothing.
    let s2_valid_bit = |m: &mut ModuleBuilder, f: &str, e: Expr| -> Sig {
        let r = m.reg_reset(&format!("s2_{f}"), 1, 0);
        m.set(&r, e);
        r
    };
    let deciding = s2_valid_bit(m, "valid", v.valid.clone());
    let index = s2(m, "index", v.res.index.clone().into());
    // The frame in stage 2 now is the previous decision when this one is in stage 2.
    let same = s2(m, "same_entry_as_prev", index.eq(&v.res.index));
    let hit_ring = s2_valid_bit(m, "ring_hit", ring_hit.clone());
    m.describe(
        &hit_ring,
        "An offloadable datagram of an accelerated entry: it goes to the ring or nowhere.",
    );
    let may_fit = s2_valid_bit(m, "ring_may_fit", &ring_hit & &ring_ok & !room.msb());
    m.describe(
        &may_fit,
        "A ring hit, on a sane ring the record can fit in.",
    );
    let malformed = s2(m, "malformed", v.error.ne(0u64));
    let error = s2(m, "error", v.error.clone());
    let offload = s2(m, "offload", v.offload.clone());
    let hit = s2(m, "hit", hit);
    let base = s2(m, "base", r_base.clone().into());
    let size = s2(m, "size", r_size.clone().into());
    let tail_own = s2(m, "tail", tail_seen.clone().into());
    let used_own = s2(m, "used", &tail_seen - &v.res.rx_head);
    let room = s2(m, "room", room.trunc(PTR));
    let need = s2(m, "need", need.into());
    let loss_own = s2(m, "loss", select(&exprs(&loss), &v.res.index));
    let len = s2(m, "len", v.len.trunc(16));
    let udp_len = s2(m, "udp_len", v.udp_len.clone());
    let rec_len = s2(m, "record_len", &v.udp_len + lit(8, 16));
    let lanes = u64::from(cfg.data_width / 8);
    let rec_one_beat = s2(m, "record_one_beat", (&v.udp_len + lit(8, 16)).le(lanes));
    let np_one_beat = s2(m, "frame_one_beat", v.len.trunc(16).le(lanes));
    let np_fits = s2(m, "np_fits", v.len.le(u64::from(cfg.np_buffer_bytes)));
    // The previous decision, forwarded: for the same entry, its reservation counts (its
    // head may be older than this lookup's, which only understates the room).
    let p_ring = m.reg_reset("prev_to_ring", 1, 0);
    let p_full = m.reg_reset("prev_ring_full", 1, 0);
    let p_index = m.reg("prev_index", iw);
    let p_tail = m.reg("prev_new_tail", PTR);
    let p_used = m.reg("prev_used_after", PTR);
    let fwd = m.node("forward_prev", &p_ring & &same);
    let fits_own = m.node("ring_fits_as_seen", used_own.le(&room));
    let fits_prev = m.node("ring_fits_after_prev", p_used.le(&room));
    let to_ring = m.node("to_ring", &may_fit & fwd.mux(&fits_prev, &fits_own));
    let ring_full = m.node("ring_full", &hit_ring & !&to_ring);
    let tail = m.node("ring_tail", fwd.mux(&p_tail, &tail_own));
    let used = m.node("ring_used", fwd.mux(&p_used, &used_own));
    let loss_now = m.node(
        "entry_loss",
        ((&p_ring | &p_full) & &same).mux(Expr::from(&p_full), &loss_own),
    );
    let np_wanted = m.node(
        "np_wanted",
        &deciding & !&hit_ring & (!&malformed | malformed_to_np),
    );
    let np_valid = m.group_port("np_buf", "valid", 1, PortDir::In);
    let np_addr = m.group_port("np_buf", "addr", 64, PortDir::In);
    let np_ready = m.group_port("np_buf", "ready", 1, PortDir::Out);
    let to_np = m.node("to_np", &np_wanted & &np_valid & &np_fits);
    m.set(&np_ready, &to_np);
    // The statistics count the registered decision.
    for (f, e) in [
        ("offloaded", Expr::from(&to_ring)),
        ("ring_full", Expr::from(&ring_full)),
        ("normal", Expr::from(&to_np)),
        ("no_buffer", &np_wanted & !&to_np),
        (
            "malformed_dropped",
            &deciding & &malformed & !malformed_to_np,
        ),
    ] {
        let r = m.reg_reset(&format!("stat_{f}_r"), 1, 0);
        m.set(&r, e);
        stat(m, f, r.into());
    }
    let new_tail = m.node("new_tail", &tail + need.zext(PTR));
    m.mem_write(shadow, &to_ring, &index, &new_tail);
    m.set(&p_used, &used + need.zext(PTR));
    m.set(&p_ring, &to_ring);
    m.set(&p_full, &ring_full);
    m.set(&p_index, &index);
    m.set(&p_tail, &new_tail);
    let reason = m.node(
        "np_reason",
        malformed.mux(
            lit(np_reason::MALFORMED, 2),
            (&offload & &hit).mux(
                lit(np_reason::NOT_ACCELERATED, 2),
                offload.mux(
                    lit(np_reason::ICT_MISS, 2),
                    lit(np_reason::NOT_OFFLOADABLE, 2),
                ),
            ),
        ),
    );
    Decision {
        deciding,
        to_ring,
        ring_full,
        to_np,
        np_addr,
        index,
        base,
        size,
        tail,
        new_tail,
        rec_len,
        rec_one_beat,
        np_one_beat,
        udp_len,
        len,
        error,
        loss_now,
        reason,
        dropped: p_full,
        dropped_index: p_index,
        inflight,
        loss,
    }
}

/// The queues between the decision and the mover, the cutter and the completions.
struct Queues {
    jobs: Inst,
    cuts: Inst,
    dones: Inst,
}

/// A frame's job for the mover: its DMA command, if it has one (`dma`), and where it goes.
fn job_layout() -> Layout {
    let fields = [("len", 16), ("offset", PTR), ("mask", 32), ("base", 64)];
    Layout::new(&[&fields[..], &[("ring", 1), ("dma", 1)]].concat())
}

/// The cutter's parameters for a DMA job: the record's LEN and FLAGS words are patched
/// into a ring record (`ring`); `one_beat`: the job's bytes fit in one beat.
fn cut_layout() -> Layout {
    let fields = [("flags", 16), ("payload_len", 16), ("ring", 1), ("len", 16)];
    Layout::new(&[&fields[..], &[("one_beat", 1)]].concat())
}

/// What a DMA job's completion reports.
fn completion_layout(entries: u32) -> Layout {
    let iw = clog2(u64::from(entries));
    let fields = [("class", 3), ("reason", 2), ("len", 16), ("tail", PTR)];
    Layout::new(&[&fields[..], &[("index", iw), ("ring", 1)]].concat())
}

/// Jobs for the mover, cutter parameters, completion records: one entry per frame (jobs)
/// or per DMA job; the frame slots bound them all, so pushes never wait.
fn queue_jobs(
    m: &mut ModuleBuilder,
    cfg: &RxOffloadCfg,
    d: &Decision,
) -> Result<Queues, HdlErrors> {
    let dma_job = m.node("dma_job", &d.to_ring | &d.to_np);
    let (job, cut, done) = (job_layout(), cut_layout(), completion_layout(cfg.entries));
    let fifo = |l: &Layout| sync_fifo(SyncFifoCfg::new(l.width(), FRAME_SLOTS));
    let jobs = m.instance("jobs", &fifo(&job)?);
    let cuts = m.instance("cuts", &fifo(&cut)?);
    let dones = m.instance("completions", &fifo(&done)?);
    for q in [jobs, cuts, dones] {
        for o in ["s_ready", "count"] {
            let x = m.inst_output(q, o);
            m.unused(&x); // bounded by the frame slots
        }
    }
    let full_mask = lit(0xffff_ffff, 32);
    let np_len16 = Expr::from(&d.len);
    let to_ring = &d.to_ring;
    m.connect(jobs, "s_valid", &d.deciding);
    m.connect(
        jobs,
        "s_data",
        job.pack(&[
            ("dma", Expr::from(&dma_job)),
            ("ring", Expr::from(to_ring)),
            ("base", to_ring.mux(&d.base, &d.np_addr)),
            ("mask", to_ring.mux(&d.size - 1u64, full_mask)),
            ("offset", to_ring.mux(&d.tail, lit(0, PTR))),
            ("len", to_ring.mux(&d.rec_len, &np_len16)),
        ]),
    );
    m.connect(cuts, "s_valid", &dma_job);
    m.connect(
        cuts,
        "s_data",
        cut.pack(&[
            ("one_beat", to_ring.mux(&d.rec_one_beat, &d.np_one_beat)),
            ("len", to_ring.mux(&d.rec_len, &np_len16)),
            ("ring", Expr::from(to_ring)),
            ("payload_len", &d.udp_len - lit(8, 16)),
            ("flags", cat([lit(0, 15), Expr::from(&d.loss_now)])),
        ]),
    );
    m.connect(dones, "s_valid", &dma_job);
    m.connect(
        dones,
        "s_data",
        done.pack(&[
            ("ring", Expr::from(to_ring)),
            ("index", Expr::from(&d.index)),
            ("tail", Expr::from(&d.new_tail)),
            ("len", np_len16),
            ("reason", d.reason.clone().into()),
            ("class", Expr::from(&d.error)),
        ]),
    );
    Ok(Queues { jobs, cuts, dones })
}

/// The mover's state the cutter, completions and bookkeeping need.
struct Mover {
    dma: Inst,
    align: Inst,
    start: Sig,
    kind: Sig,
}

/// The mover: DMA commands go to the engine as soon as their jobs are known (the frame is
/// already in the buffer then, behind the ones before it), so each burst is planned
/// before its data reaches the engine; the frame's kind follows in order for the mover,
/// which drains a discarded frame or streams it through the aligner.
fn mover(
    m: &mut ModuleBuilder,
    cfg: &RxOffloadCfg,
    c: &Children,
    f: &RxFront,
    q: &Queues,
) -> Result<Mover, HdlErrors> {
    let w = cfg.data_width;
    let lanes = w / 8;
    let net = AxisCfg::net(w);
    let pf_ready = m.wire("buffer_take", 1);
    let (pf_valid, pf_payload) = Axis::of_instance(f.buffer, "m_axis", net).source(m, &pf_ready);
    let pf_user = m.inst_output(f.buffer, "m_axis_tuser");
    m.unused(&pf_user); // 0: the buffer never releases a bad frame
    let jv = m.inst_output(q.jobs, "m_valid");
    let job = m.inst_output(q.jobs, "m_data");
    let job = job_layout().unpack(m, "job", &job);
    let [j_dma, j_ring, j_base, j_mask, j_off, j_len] =
        ["dma", "ring", "base", "mask", "offset", "len"].map(|f| job.get(f));
    let dw = m.instance("dma", &c.dma);
    let cmd_ready = m.inst_output(dw, "cmd_ready");
    let kinds = m.instance("kinds", &sync_fifo(SyncFifoCfg::new(2, FRAME_SLOTS))?);
    for o in ["s_ready", "count"] {
        let x = m.inst_output(kinds, o);
        m.unused(&x); // bounded by the frame slots
    }
    let issue = m.node("job_issue", &jv & (!&j_dma | &cmd_ready));
    m.describe(
        &issue,
        "A job leaves for the mover, with its DMA command if it has one.",
    );
    m.connect(q.jobs, "m_ready", &issue);
    m.connect(dw, "cmd_valid", &jv & &j_dma);
    m.connect(dw, "cmd_base", &j_base);
    m.connect(dw, "cmd_mask", &j_mask);
    m.connect(dw, "cmd_offset", &j_off);
    m.connect(dw, "cmd_len", &j_len);
    m.connect(dw, "cmd_tag", lit(0, TAG_WIDTH));
    m.connect(kinds, "s_valid", &issue);
    m.connect(kinds, "s_data", cat([j_dma.clone(), j_ring.clone()]));
    let kv = m.inst_output(kinds, "m_valid");
    let kind = m.inst_output(kinds, "m_data");
    let started = m.reg_reset("frame_started", 1, 0);
    m.describe(&started, "The frame at the buffer's head has its kind.");
    let cur_dma = m.reg("frame_dma", 1);
    let cur_ring = m.reg("frame_ring", 1);
    let start = m.node("frame_start", !&started & &kv & &pf_valid);
    m.describe(&start, "The frame at the buffer's head takes its kind.");
    let active = m.node("frame_active", &started | &start);
    let is_dma = m.node("frame_is_dma", started.mux(&cur_dma, kind.bit(1)));
    let is_ring = m.node("frame_is_ring", started.mux(&cur_ring, kind.bit(0)));
    let sh = m.instance("align", &c.shifter);
    let sh_ready = m.inst_output(sh, "s_axis_tready");
    m.set(&pf_ready, &active & (!&is_dma | &sh_ready));
    let pf_last = pf_payload.bit(w + lanes);
    let pf_fire = m.node("buffer_fire", &pf_valid & &pf_ready);
    m.connect(sh, "s_axis_tdata", pf_payload.slice(0, w));
    m.connect(sh, "s_axis_tkeep", pf_payload.slice(w, lanes));
    m.connect(sh, "s_axis_tlast", &pf_last);
    m.connect(sh, "s_axis_tuser", lit(0, 1)); // the buffer never releases a bad frame
    m.connect(sh, "s_axis_tvalid", &pf_valid & &active & &is_dma);
    m.connect(
        sh,
        "s_offset",
        is_ring.mux(lit(record::FRAME_OFFSET as u64, 5), lit(0, 5)),
    );
    m.connect(kinds, "m_ready", &start);
    m.when(&start, |m| {
        m.set(&started, 1);
        m.set(&cur_dma, kind.bit(1));
        m.set(&cur_ring, kind.bit(0));
    });
    m.when(&pf_fire & &pf_last, |m| m.set(&started, 0));
    // A frame leaves the buffer (moved or drained), in order: its room is free again.
    let left = m.output("frame_left", 1);
    m.set(&left, &pf_fire & &pf_last);
    Ok(Mover {
        dma: dw,
        align: sh,
        start,
        kind,
    })
}

/// The cutter: stops the aligned frame at the job's length and fills in the record's LEN
/// and FLAGS, then into the DMA engine through a register slice.
fn cutter(m: &mut ModuleBuilder, cfg: &RxOffloadCfg, c: &Children, q: &Queues, mv: &Mover) {
    let w = cfg.data_width;
    let lanes = w / 8;
    let net = AxisCfg::net(w);
    let sh_take = m.wire("aligned_take", 1);
    let (sh_valid, sh_pl) = Axis::of_instance(mv.align, "m_axis", net).source(m, &sh_take);
    let sh_data = sh_pl.slice(0, w);
    let sh_keep = sh_pl.slice(w, lanes);
    let sh_last = sh_pl.bit(w + lanes);
    let sh_user = m.node("aligned_user", sh_pl.bit(w + lanes + 1));
    m.unused(&sh_user); // frames are never shorter than their offset
    let cv = m.inst_output(q.cuts, "m_valid");
    let cut = m.inst_output(q.cuts, "m_data");
    let cut = cut_layout().unpack(m, "cut", &cut);
    let [c_len, c_patch, c_paylen, c_flags, c_one_beat] =
        ["len", "ring", "payload_len", "flags", "one_beat"].map(|f| cut.get(f));
    let cend = m.reg_reset("cut_beat_end", 17, u64::from(lanes));
    m.describe(
        &cend,
        "Byte offset in its output just past the aligned beat.",
    );
    let cut_done = m.reg_reset("cut_done", 1, 0);
    m.describe(
        &cut_done,
        "The job's bytes are out: drop the rest of the frame.",
    );
    // Whether the aligned beat is the job's last is known before it comes: from the job in
    // its first beat, from the previous beat's position after that.
    let first = m.reg_reset("cut_first_beat", 1, 1);
    let next_last = m.reg("cut_next_is_last", 1);
    m.describe(
        &next_last,
        "The job's bytes end in the next beat (past its first).",
    );
    let cut_last = m.node("cut_last", first.mux(&c_one_beat, &next_last));
    // In the last beat the job has 1..=lanes bytes left: its length's low bits, or all
    // lanes when they are 0.
    let lb = lanes.trailing_zeros();
    let tail = c_len.trunc(lb);
    let thermo = cat((0..lanes).rev().map(|j| match j + 1 < lanes {
        true => tail.eq(0u64) | tail.gt(u64::from(j)),
        false => tail.eq(0u64),
    }));
    let keep = m.node("cut_keep", &sh_keep & cut_last.mux(thermo, !lit(0, lanes)));
    let at = record::LEN as u32 / lanes * lanes;
    let lo = record::LEN as u32 % lanes;
    let mut parts: Vec<Expr> = Vec::new();
    if lo + 4 < lanes {
        parts.push(sh_data.slice(8 * (lo + 4), w - 8 * (lo + 4)));
    }
    parts.push(cat([c_flags.clone(), c_paylen.clone()]));
    if lo > 0 {
        parts.push(sh_data.trunc(8 * lo));
    }
    let patch = m.node("cut_patch", &c_patch & cend.eq(u64::from(at + lanes)));
    m.describe(&patch, "This beat holds the record's LEN and FLAGS.");
    let data = m.node("cut_data", patch.mux(cat(parts), &sh_data));
    let oreg = m.instance("out_reg", &c.out_reg);
    let o_ready = m.inst_output(oreg, "s_axis_tready");
    m.set(&sh_take, &cv & (&cut_done | &o_ready));
    let sh_fire = m.node("aligned_fire", &sh_valid & &sh_take);
    m.connect(oreg, "s_axis_tvalid", &sh_valid & &cv & !&cut_done);
    m.connect(oreg, "s_axis_tdata", &data);
    m.connect(oreg, "s_axis_tkeep", &keep);
    m.connect(oreg, "s_axis_tlast", &cut_last);
    m.connect(q.cuts, "m_ready", &sh_fire & &sh_last);
    m.when(&sh_fire, |m| {
        m.when(&sh_last, |m| {
            m.set(&cend, u64::from(lanes));
            m.set(&first, 1);
            m.set(&cut_done, 0);
        })
        .otherwise(|m| {
            m.set(&cend, &cend + u64::from(lanes));
            m.set(&first, 0);
            m.set(&next_last, c_len.zext(17).le(&cend + u64::from(lanes)));
            m.when(&cut_last, |m| m.set(&cut_done, 1));
        });
    });
    for f in ["tdata", "tkeep", "tvalid", "tlast"] {
        let o = m.inst_output(oreg, &format!("m_axis_{f}"));
        m.connect(mv.dma, &format!("s_axis_{f}"), &o);
    }
    let dma_ready = m.inst_output(mv.dma, "s_axis_tready");
    m.connect(oreg, "m_axis_tready", &dma_ready);
    m.expose(mv.dma, "m_axi_");
}

/// A job's completion, as the bookkeeping sees it.
struct Done {
    fire: Sig,
    upd_adv: Sig,
    upd_index: Sig,
}

/// Completions: normal-path completions to the NIC block, ring completions and drops to
/// the ICT's update port (registered: drops wait in a queue, at most one arrives and one
/// leaves per cycle, and go first; a ring completion waits for them), DMA errors as events.
fn completions(
    m: &mut ModuleBuilder,
    cfg: &RxOffloadCfg,
    d: &Decision,
    q: &Queues,
    mv: &Mover,
) -> Result<Done, HdlErrors> {
    let iw = clog2(u64::from(cfg.entries));
    let dw = mv.dma;
    let dv = m.inst_output(dw, "done_valid");
    let d_err = m.inst_output(dw, "done_error");
    let d_tag = m.inst_output(dw, "done_tag");
    m.unused(&d_tag); // completions are in order; the record FIFO says whose they are
    let dq = m.inst_output(q.dones, "m_data");
    let dq_valid = m.inst_output(q.dones, "m_valid");
    m.unused(&dq_valid); // a DMA completion always has its record
    let dq = completion_layout(cfg.entries).unpack(m, "completion", &dq);
    let [q_ring, q_index, q_tail, q_len, q_reason, q_class] =
        ["ring", "index", "tail", "len", "reason", "class"].map(|f| dq.get(f));
    let npd_valid = m.group_port("np_done", "valid", 1, PortDir::Out);
    let npd_ready = m.group_port("np_done", "ready", 1, PortDir::In);
    for (f, v) in [
        ("len", q_len),
        ("reason", q_reason),
        ("class", q_class),
        ("error", d_err.clone().into()),
    ] {
        out(m, "np_done", f, v);
    }
    let drops = m.instance("drops", &sync_fifo(SyncFifoCfg::new(iw, 4))?);
    for o in ["s_ready", "count"] {
        let x = m.inst_output(drops, o);
        m.unused(&x); // one in and one out per cycle at most
    }
    m.connect(drops, "s_valid", &d.dropped);
    m.connect(drops, "s_data", &d.dropped_index);
    let drop_valid = m.inst_output(drops, "m_valid");
    let drop_index = m.inst_output(drops, "m_data");
    m.connect(drops, "m_ready", &drop_valid);
    let done_take = m.node(
        "done_take",
        q_ring.mux(!&drop_valid, Expr::from(&npd_ready)),
    );
    m.connect(dw, "done_ready", &done_take);
    let fire = m.node("done_fire", &dv & &done_take);
    m.connect(q.dones, "m_ready", &fire);
    m.set(&npd_valid, &dv & !&q_ring);
    let advance = m.node("tail_advance", &fire & &q_ring);
    let upd_valid = m.reg_reset("rx_upd_valid_r", 1, 0);
    let upd_index = m.reg("rx_upd_index_r", iw);
    let upd_adv = m.reg_reset("rx_upd_advance_r", 1, 0);
    let upd_tail = m.reg("rx_upd_tail_r", PTR);
    m.set(&upd_valid, &advance | &drop_valid);
    m.set(&upd_index, drop_valid.mux(&drop_index, &q_index));
    m.set(&upd_adv, &advance);
    m.set(&upd_tail, &q_tail);
    let rx_upd = RxUpdate::widths(iw).source(m);
    m.set(&rx_upd.valid, &upd_valid);
    m.set(&rx_upd.index, &upd_index);
    m.set(&rx_upd.advance, &upd_adv);
    m.set(&rx_upd.tail, &upd_tail);
    m.set(&rx_upd.drop, &upd_valid & !&upd_adv);
    let dma_event = DmaEvent::widths().source(m);
    m.set(&dma_event.valid, &fire & &d_err);
    stat(m, "dma_error", &fire & &d_err);
    m.set(
        &dma_event.info,
        cat([
            lit(0, 23),
            lit(1, 1),
            q_ring.mux(q_index.zext(16), lit(0xffff, 16)),
        ]),
    );
    Ok(Done {
        fire,
        upd_adv,
        upd_index,
    })
}

/// Entry bookkeeping (records in flight, retired from the update the ICT sees; loss
/// flags) and the frame slots.
fn bookkeeping(
    m: &mut ModuleBuilder,
    cfg: &RxOffloadCfg,
    f: &RxFront,
    d: &Decision,
    mv: &Mover,
    done: &Done,
) {
    let iw = clog2(u64::from(cfg.entries));
    let mut ret_valid: Expr = done.upd_adv.clone().into();
    let mut ret_index: Expr = done.upd_index.clone().into();
    for k in 1..=RETIRE_DELAY {
        let v = m.reg_reset(&format!("retire{k}_valid"), 1, 0);
        let i = m.reg(&format!("retire{k}_index"), iw);
        m.set(&v, &ret_valid);
        m.set(&i, &ret_index);
        ret_valid = v.into();
        ret_index = i.into();
    }
    for e in 0..cfg.entries as usize {
        let here = d.index.eq(e as u64);
        let up = &d.to_ring & &here;
        let down = &ret_valid & ret_index.eq(e as u64);
        let c = &d.inflight[e];
        m.when(up.clone() & !down.clone(), |m| m.set(c, c + 1u64))
            .elif(down & !up.clone(), |m| m.set(c, c - 1u64));
        m.when(&d.ring_full & &here, |m| m.set(&d.loss[e], 1))
            .elif(up, |m| m.set(&d.loss[e], 0));
    }
    // A frame leaves when the mover drains it or its DMA job completes.
    f.count_slots(m, &[&mv.start & !mv.kind.bit(1), Expr::from(&done.fire)]);
}

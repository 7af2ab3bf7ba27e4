//! The DMA fallback (Lauberhorn §6: for large messages throughput dominates, so they go
//! back to DMA): a call whose arguments are too large for the CONTROL and AUX lines goes,
//! as it came, into the RX ring of the ICT entry of its port through the Accio receive
//! engine, and its slot's request reaches a core only once the record is in memory,
//! saying where it is (a [`KIND_DMA`](super::coherence::ctrl::KIND_DMA) descriptor).
//!
//! This block sits between the receive path's `m_axis_dma` and the engine, and matches
//! the engine's outcomes to the calls:
//! * **No frame is ever lost in the engine.** The engine drops frames that find its buffer
//!   or its frame slots full; here at most [`INFLIGHT`] frames are between the engine and
//!   their outcome, and no more beats than its buffer holds are in it (a frame's beats
//!   come back as it leaves the buffer, `frame_left`, in order), so a frame starts only
//!   when it fits (the receive path waits, which is where a burst of large calls is
//!   paced; every frame waits a cycle for the registered check). A frame larger than the
//!   whole buffer is dropped here and fails.
//! * **Outcomes in order.** Every frame then reaches the engine's decision, in order
//!   (`decided_*`: a ring, or not: no accelerated entry, ring full). A frame decided for a
//!   ring completes later, in order among rings, with the entry's new RX_TAIL
//!   (`ring_done_*`). So two FIFOs match them: frames sent and awaiting their decision,
//!   and frames bound for a ring awaiting their completion.
//! * **Out**: `delivered` (slot, entry, the record's ring pointer, where its arguments
//!   start) or `failed` (slot). A frame's credit comes back when its outcome is taken.

use crate::accio::rx_offload::record;
use crate::blocks::sync_fifo::{sync_fifo, SyncFifoCfg};
use crate::bundles::{Axis, AxisCfg};
use crate::ir::{clog2, lit, Expr, HdlErrors, Layout, Module, ModuleBuilder, PortDir};
use std::rc::Rc;

/// Calls between this block and their outcome, at most.
pub const INFLIGHT: u64 = 8;
/// Bytes of a frame besides its UDP datagram: Ethernet and an IPv4 header without options
/// (the receive path sends only such frames here).
const FRAME_OVERHEAD: u64 = 14 + 20;

/// Parameters of [`dma_fallback`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DmaFallbackCfg {
    /// MAC stream width.
    pub data_width: u32,
    pub slots: u32,
    /// ICT entries (sizes the entry index).
    pub entries: u32,
    /// Bytes of the engine's frame buffer.
    pub buffer_bytes: u32,
}

pub fn dma_fallback(cfg: DmaFallbackCfg) -> Result<Rc<Module>, HdlErrors> {
    let w = cfg.data_width;
    let name = format!(
        "lauberhorn_dma_fallback_w{w}_s{}_n{}_b{}",
        cfg.slots, cfg.entries, cfg.buffer_bytes
    );
    AxisCfg::validate_nic_width(&name, w)?;
    let bb = u64::from(w / 8);
    let buffer_beats = u64::from(cfg.buffer_bytes) / bb;
    if buffer_beats < 2 {
        return Err(HdlErrors::param(
            &name,
            "the engine's buffer holds two beats",
        ));
    }
    let sw = clog2(u64::from(cfg.slots));
    let iw = clog2(u64::from(cfg.entries));
    // Beat counts: of any UDP datagram (up to 64 KiB), and of the buffer.
    let cw = 18;
    if buffer_beats >= 1 << (cw - 1) {
        return Err(HdlErrors::param(
            &name,
            "the engine's buffer is at most 2^17 beats",
        ));
    }
    let mut m = ModuleBuilder::new(&name);
    m.doc(format!(
        "Lauberhorn DMA fallback, {w}-bit: too-large calls into the Accio receive engine\n\
         (at most {INFLIGHT} in flight, {buffer_beats} buffer beats), outcomes matched to slots."
    ));
    let net = AxisCfg::net(w);
    let s = Axis::sink(&mut m, "s_axis", net);
    let o = Axis::source(&mut m, "m_axis", net);
    let gp = |m: &mut ModuleBuilder, g: &str, f: &str, w: u32, d| m.group_port(g, f, w, d);
    let s_slot = gp(&mut m, "s_call", "slot", sw, PortDir::In);
    let s_udp_len = gp(&mut m, "s_call", "udp_len", 16, PortDir::In);
    let s_args = gp(&mut m, "s_call", "args_at", 16, PortDir::In);
    let dec_valid = gp(&mut m, "decided", "valid", 1, PortDir::In);
    let dec_ring = gp(&mut m, "decided", "ring", 1, PortDir::In);
    let rd_valid = gp(&mut m, "ring_done", "valid", 1, PortDir::In);
    let rd_index = gp(&mut m, "ring_done", "index", iw, PortDir::In);
    let rd_tail = gp(&mut m, "ring_done", "tail", 32, PortDir::In);
    let frame_left = m.input("frame_left", 1);

    // Beats a frame takes in the engine's buffer.
    let beats_of = |udp_len: &Expr| -> Expr {
        (udp_len.zext(cw) + lit(FRAME_OVERHEAD + bb - 1, cw)).shr(bb.trailing_zeros())
    };

    // Credits, and the frame passing through.
    let frames = m.reg_reset("frames_out", clog2(INFLIGHT + 1), 0);
    let beats = m.reg_reset("beats_out", cw, 0);
    let mid = m.reg_reset("mid_frame", 1, 0);
    let dropping = m.reg("dropping_frame", 1);
    // A frame starts when it fits; one too big for the buffer when its failure has room.
    // The check is registered: the frame's first beat waits here a cycle (`armed`) while
    // its call's size, read from the receive path's slot memory, is turned into beats and
    // compared. Credits only come back while a frame waits, so a check a cycle old never
    // lets too much in.
    let need_now = m.node("call_beats", beats_of(&s_udp_len.clone().into()));
    let need = m.reg("frame_beats", cw);
    let too_big = m.reg("frame_too_big", 1);
    let fits_buffer = m.reg("buffer_room", 1);
    let room = m.reg("outcome_room", 1);
    let armed = m.reg_reset("frame_armed", 1, 0);
    m.set(&need, &need_now);
    m.set(&too_big, Expr::from(&need_now).gt(buffer_beats));
    m.set(
        &fits_buffer,
        (Expr::from(&beats) + Expr::from(&need_now)).le(buffer_beats),
    );
    m.set(&room, Expr::from(&frames).lt(INFLIGHT));
    let lost = m.node("decided_no_ring", &dec_valid & !&dec_ring);
    let fits = m.node(
        "credit_ok",
        &armed & &room & too_big.mux(!&lost, &fits_buffer),
    );
    let go = m.node("pass", &mid | &fits);
    let drop_now = m.node("drop_beat", mid.mux(&dropping, &too_big));
    m.set(&o.tvalid, &s.tvalid & &go & !&drop_now);
    m.set(&s.tready, &go & (&drop_now | &o.tready));
    m.set(&o.tdata, &s.tdata);
    m.set(&o.tkeep, &s.tkeep);
    m.set(&o.tlast, &s.tlast);
    m.set(o.tuser.as_ref().unwrap(), s.tuser.as_ref().unwrap());
    let fire = m.node("beat_fire", &s.tvalid & &s.tready);
    let begin = m.node("frame_begin", &fire & !&mid);
    m.set(&armed, &s.tvalid & !&mid & !&begin);
    m.when(&fire, |m| m.set(&mid, !&s.tlast));
    m.when(&begin, |m| m.set(&dropping, &too_big));
    let start = m.node("frame_start", &begin & !&too_big);
    let big = m.node("frame_dropped", &begin & &too_big);

    // Frames awaiting their decision, then (bound for a ring) their completion.
    let entry = Layout::new(&[("args_at", 16), ("udp_len", 16), ("slot", sw)]);
    let delivery = Layout::new(&[("args_at", 16), ("record", 32), ("entry", 16), ("slot", sw)]);
    let entry_w = entry.width();
    let fifo = |m: &mut ModuleBuilder, n: &str, wd: u32| -> Result<_, HdlErrors> {
        Ok(m.instance(n, &sync_fifo(SyncFifoCfg::new(wd, INFLIGHT))?))
    };
    let sent = fifo(&mut m, "sent", entry_w)?;
    let in_buffer = fifo(&mut m, "in_buffer", cw)?;
    let ringed = fifo(&mut m, "ringed", entry_w)?;
    let delivered = fifo(&mut m, "delivered", delivery.width())?;
    let failed = fifo(&mut m, "failed", sw)?;
    for f in [sent, in_buffer, ringed, delivered, failed] {
        for p in ["s_ready", "count"] {
            let x = m.inst_output(f, p);
            m.unused(&x); // the credits bound them all
        }
    }
    for f in [sent, in_buffer, ringed] {
        let x = m.inst_output(f, "m_valid");
        m.unused(&x); // every decision, completion and departure has its frame
    }
    m.connect(in_buffer, "s_valid", &start);
    m.connect(in_buffer, "s_data", &need);
    m.connect(in_buffer, "m_ready", &frame_left);
    let leaving = m.inst_output(in_buffer, "m_data");
    m.connect(sent, "s_valid", &start);
    let call = [
        ("slot", &s_slot),
        ("udp_len", &s_udp_len),
        ("args_at", &s_args),
    ];
    m.connect(
        sent,
        "s_data",
        entry.pack(&call.map(|(f, v)| (f, v.into()))),
    );
    let head = m.inst_output(sent, "m_data");
    m.connect(sent, "m_ready", &dec_valid);
    m.connect(ringed, "s_valid", &dec_valid & &dec_ring);
    m.connect(ringed, "s_data", &head);
    m.connect(failed, "s_valid", &lost | &big);
    m.connect(
        failed,
        "s_data",
        lost.mux(entry.get(&head, "slot"), &s_slot),
    );
    let done = m.inst_output(ringed, "m_data");
    m.connect(ringed, "m_ready", &rd_valid);
    let done = entry.unpack(&mut m, "ringed", &done);
    let (d_slot, d_len, d_args) = (done.get("slot"), done.get("udp_len"), done.get("args_at"));
    // The record began where RX_TAIL was: its footprint before the new tail.
    let align = record::ALIGN as u64;
    let footprint = ((d_len.zext(32) + lit(8 + align - 1, 32)).shr(align.trailing_zeros()))
        .shl(align.trailing_zeros());
    m.connect(delivered, "s_valid", &rd_valid);
    m.connect(
        delivered,
        "s_data",
        delivery.pack(&[
            ("slot", d_slot),
            ("entry", rd_index.zext(16)),
            ("record", (Expr::from(&rd_tail) - footprint).trunc(32)),
            ("args_at", d_args),
        ]),
    );

    // The outcomes, out; a frame's credit back as its outcome is taken.
    let dv = m.inst_output(delivered, "m_valid");
    let dd = m.inst_output(delivered, "m_data");
    let dr = gp(&mut m, "delivered", "ready", 1, PortDir::In);
    let p = gp(&mut m, "delivered", "valid", 1, PortDir::Out);
    m.set(&p, &dv);
    m.connect(delivered, "m_ready", &dr);
    for (f, wd) in [("slot", sw), ("entry", 16), ("record", 32), ("args_at", 16)] {
        let p = gp(&mut m, "delivered", f, wd, PortDir::Out);
        m.set(&p, delivery.get(&dd, f));
    }
    let fv = m.inst_output(failed, "m_valid");
    let fd = m.inst_output(failed, "m_data");
    let fr = gp(&mut m, "failed", "ready", 1, PortDir::In);
    let p = gp(&mut m, "failed", "valid", 1, PortDir::Out);
    m.set(&p, &fv);
    let p = gp(&mut m, "failed", "slot", sw, PortDir::Out);
    m.set(&p, &fd);
    m.connect(failed, "m_ready", &fr);
    let fw = frames.width();
    let taken = (&dv & &dr).zext(fw) + (&fv & &fr).zext(fw);
    m.set(&frames, &frames + begin.zext(fw) - taken);
    m.set(
        &beats,
        &beats + start.mux(&need, lit(0, cw)) - frame_left.mux(&leaving, lit(0, cw)),
    );
    m.finish()
}

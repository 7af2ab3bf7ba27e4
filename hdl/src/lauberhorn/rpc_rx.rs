//! The ONC-RPC receive path (Lauberhorn §5.1): frames from the MAC become requests in
//! slots, ready for the scheduler, with everything else passed on unchanged.
//!
//! **Pipeline.** The MAC stream (never back-pressured) feeds the
//! [`udp_rx_parse`](crate::blocks::udp_rx_parse) and [`rpc_decode`](super::rpc_decode)
//! taps and a store-and-forward packet buffer side by side. As in the Accio RX engine, the
//! buffer's drop pulses go into a *fate* FIFO so each verdict meets the frame it belongs
//! to; the decoder's reports and the caller's MAC wait in FIFOs for the parser's later
//! verdict. The [`service_table`](super::service_table) is looked up, and the decision
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
//! as an overrun, which bounds every queue behind the buffer.

use crate::blocks::axis_packet_fifo::{axis_packet_fifo, PacketFifoCfg};
use crate::blocks::byte_shifter::{byte_shifter, ByteShifterCfg};
use crate::blocks::onehot::select;
use crate::blocks::pieces::{pick, place};
use crate::blocks::sync_fifo::{sync_fifo, SyncFifoCfg};
use crate::blocks::udp_rx_parse::udp_rx_parse;
use crate::bundles::{Axis, AxisCfg};
use crate::ir::{cat, clog2, lit, Expr, HdlErrors, Module, ModuleBuilder, PortDir, RamStyle, Sig};
use crate::lauberhorn::coherence::{ctrl, LINE_BITS, LINE_BYTES};
use crate::lauberhorn::rpc_decode::{rpc_decode, RPC_OFFSET};
use crate::lauberhorn::service_table::{service_table, ServiceTableCfg};
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

pub fn rpc_rx(cfg: RpcRxCfg) -> Result<Rc<Module>, HdlErrors> {
    let (wn, wc) = (cfg.net_width, cfg.coh_width);
    let name = format!(
        "lauberhorn_rpc_rx_w{wn}_c{wc}_a{}_s{}_n{}_p{}_b{}",
        cfg.aux_lines, cfg.slots, cfg.services, cfg.processes, cfg.buffer_bytes
    );
    AxisCfg::validate_nic_width(&name, wn)?;
    let beats = u64::from(cfg.buffer_bytes / (wn / 8));
    if !cfg.slots.is_power_of_two() || cfg.slots < 4 || beats < 64 || !beats.is_power_of_two() {
        return Err(HdlErrors::param(
            &name,
            "slots: a power of two, at least 4; buffer: a power of two of at least 64 beats",
        ));
    }
    let sw = clog2(u64::from(cfg.slots));
    let pw = clog2(u64::from(cfg.processes));
    let net = AxisCfg::net(wn);
    let parser = udp_rx_parse(wn)?;
    let decoder = rpc_decode(wn)?;
    let buffer = axis_packet_fifo(PacketFifoCfg::new(net, beats, true))?;
    let sh_cfg = ByteShifterCfg::new(wn, MAX_ARGS_OFFSET.next_power_of_two());
    let shifter = byte_shifter(sh_cfg)?;
    let table = service_table(ServiceTableCfg {
        services: cfg.services,
        processes: cfg.processes,
    })?;

    let mut m = ModuleBuilder::new(&name);
    m.doc(format!(
        "Lauberhorn ONC-RPC receive path, {wn}-bit MAC, {wc}-bit slot words: calls into\n\
         {} slots of {} argument bytes, everything else to m_axis_other.",
        cfg.slots,
        cfg.capacity()
    ));
    let s = Axis::sink(&mut m, "s_axis_rx", net);
    let local_ip = m.input("local_ip", 32);
    let reject_to_other = m.input("reject_to_other", 1);
    m.describe(
        &reject_to_other,
        "Policy: malformed and unmatched calls go to m_axis_other instead of being dropped.",
    );
    let dma_fallback = m.input("dma_fallback", 1);
    m.describe(
        &dma_fallback,
        "Policy: calls too large for the lines go to an ICT ring (m_axis_dma), not m_axis_other.",
    );
    let error_replies = m.input("error_replies", 1);
    m.describe(
        &error_replies,
        "Policy: unmatched calls are answered with an error reply (before reject_to_other).",
    );
    let stat = |m: &mut ModuleBuilder, f: &str, v: Expr| {
        let o = m.output(&format!("stat_{f}"), 1);
        let r = m.reg_reset(&format!("stat_{f}_r"), 1, 0);
        m.set(&r, v);
        m.set(&o, &r);
    };

    // ---- Taps and buffer, side by side -----------------------------------------------------
    let tap = crate::blocks::frame_tap::FrameTap::new(&mut m, &s, 12);
    m.unused(&tap.fire);
    let p = m.instance("parse", &parser);
    let dec = m.instance("decode", &decoder);
    let pf = m.instance("buffer", &buffer);
    let bad_in = s.tuser.clone().expect("net streams carry tuser");
    let in_end = m.node("in_frame_end", &s.tvalid & &s.tlast);
    let inflight = m.reg_reset("frames_inflight", clog2(FRAME_SLOTS + 1), 0);
    let force = m.node("frames_full", inflight.ge(FRAME_SLOTS));
    for inst in [p, dec, pf] {
        m.connect(inst, "s_axis_tdata", &s.tdata);
        m.connect(inst, "s_axis_tkeep", &s.tkeep);
        m.connect(inst, "s_axis_tvalid", &s.tvalid);
        m.connect(inst, "s_axis_tlast", &s.tlast);
        let r = m.inst_output(inst, "s_axis_tready");
        m.unused(&r); // all always ready
    }
    m.connect(p, "s_axis_tuser", &bad_in);
    m.connect(dec, "s_axis_tuser", &bad_in);
    m.connect(pf, "s_axis_tuser", &bad_in | (&s.tlast & &force));
    let end_r = m.reg_reset("frame_end_r", 1, 0);
    let forced_r = m.reg("frame_forced_r", 1);
    m.set(&end_r, &in_end);
    m.set(&forced_r, &force);
    let drop_bad = m.inst_output(pf, "drop_bad");
    let drop_full = m.inst_output(pf, "drop_full");
    stat(&mut m, "mac_bad", &drop_bad & !&forced_r);
    stat(&mut m, "overrun", &drop_full | (&drop_bad & &forced_r));
    let lost = m.node("frame_not_buffered", &end_r & (&drop_bad | &drop_full));
    let fifo1 = |m: &mut ModuleBuilder, name: &str, w: u32, d: u64| -> Result<_, HdlErrors> {
        Ok(m.instance(name, &sync_fifo(SyncFifoCfg::new(w, d))?))
    };
    let fate = fifo1(&mut m, "fate", 1, VERDICT_DEPTH)?;
    m.connect(fate, "s_valid", &end_r);
    m.connect(fate, "s_data", !&lost);
    // The caller's MAC (bytes 6..12), as the frame ends: from the tap, or, for a frame of
    // a single beat (only 512-bit beats hold a whole minimum frame), from that beat.
    let mac_of = |e: &Expr| cat((6..12).map(|i| e.slice(i * 8, 8)));
    let from_tap = mac_of(&tap.hdr.clone().into());
    let mac_now = if wn / 8 >= 60 {
        tap.index
            .eq(0u64)
            .mux(mac_of(&s.tdata.clone().into()), from_tap)
    } else {
        from_tap
    };
    let macs = fifo1(&mut m, "callers", 48, VERDICT_DEPTH)?;
    m.connect(macs, "s_valid", &in_end);
    m.connect(macs, "s_data", mac_now);
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
    let rpc_v = rpc(&mut m, "valid");
    // Offsets past the aligner's reach cannot be a well-formed call.
    let ow = sh_cfg.offset_width();
    let rpc_parts: Vec<Expr> = rpc_fields
        .iter()
        .map(|f| {
            let x = rpc(&mut m, f);
            if *f == "args_offset" {
                m.unused(&x); // its top bits: 0 for every well-formed call
                x.trunc(ow)
            } else {
                x.into()
            }
        })
        .collect();
    for f in ["cred_flavor", "cred_len", "verf_flavor", "verf_len"] {
        let x = rpc(&mut m, f);
        m.unused(&x); // the handler does not see the credentials
    }
    let rpc_w: u32 = rpc_parts.iter().map(|e| e.width()).sum();
    let calls = fifo1(&mut m, "calls", rpc_w, VERDICT_DEPTH)?;
    m.connect(calls, "s_valid", &rpc_v);
    m.connect(calls, "s_data", cat(rpc_parts.iter().cloned()));
    let meta = |m: &mut ModuleBuilder, f: &str| m.inst_output(p, &format!("meta_{f}"));
    let mv = meta(&mut m, "valid");
    for (f, o) in [(fate, "m_ready"), (macs, "m_ready"), (calls, "m_ready")] {
        m.connect(f, o, &mv);
    }
    for f in [fate, macs, calls] {
        for o in ["s_ready", "m_valid", "count"] {
            let x = m.inst_output(f, o);
            m.unused(&x); // each waits at most the parser's latency for its verdict
        }
    }
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
        let x = meta(&mut m, f);
        m.unused(&x); // `offload` sums them up
    }
    let kept_now = m.inst_output(fate, "m_data");
    let call_now = m.inst_output(calls, "m_data");
    let mut off = rpc_w;
    let mut cf = |wd: u32| {
        off -= wd;
        call_now.slice(off, wd)
    };
    let c: Vec<Expr> = rpc_parts.iter().map(|s| cf(s.width())).collect();
    let (c_ok, c_xid, c_prog, c_vers, c_proc, c_off, c_len) =
        (&c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &c[6]);

    // ---- Stage A: the verdict meets its frame; look up the service --------------------------
    let st = m.instance("services", &table);
    m.expose(st, "wr_");
    m.expose(st, "rd_");
    m.connect(st, "lookup_valid", &mv);
    m.connect(st, "lookup_prog", c_prog);
    m.connect(st, "lookup_vers", c_vers);
    m.connect(st, "lookup_proc", c_proc);
    let dst_port_now = meta(&mut m, "dst_port");
    m.connect(st, "lookup_port", &dst_port_now);
    let a_valid = m.reg_reset("a_valid", 1, 0);
    m.set(&a_valid, &mv & &kept_now);
    let a = |m: &mut ModuleBuilder, n: &str, e: Expr| -> Sig {
        let r = m.reg(&format!("a_{n}"), e.width());
        m.when(&mv, |m| m.set(&r, e));
        r
    };
    let from_meta = |m: &mut ModuleBuilder, f: &str| {
        let x = meta(m, f);
        a(m, f, x.into())
    };
    let a_offload = from_meta(&mut m, "offload");
    let a_dst_ip = from_meta(&mut m, "dst_ip");
    let a_src_ip = from_meta(&mut m, "src_ip");
    let a_src_port = from_meta(&mut m, "src_port");
    let a_dst_port = from_meta(&mut m, "dst_port");
    let a_udp_len = from_meta(&mut m, "udp_len");
    let mac_head = m.inst_output(macs, "m_data");
    let a_mac = a(&mut m, "src_mac", mac_head.into());
    let a_ok = a(&mut m, "call_ok", c_ok.clone());
    let a_xid = a(&mut m, "xid", c_xid.clone());
    let a_proc = a(&mut m, "proc", c_proc.clone());
    let a_off = a(&mut m, "args_offset", c_off.clone());
    let a_len = a(&mut m, "args_len", c_len.clone());

    // ---- Stage B: the decision ------------------------------------------------------------
    let res = |m: &mut ModuleBuilder, f: &str| m.inst_output(st, &format!("result_{f}"));
    let r_valid = res(&mut m, "valid");
    m.unused(&r_valid); // a lookup for every verdict: it is `a_valid`'s cycle
    let (hit, port_known) = (res(&mut m, "hit"), res(&mut m, "port_known"));
    let (prog_known, vers_known) = (res(&mut m, "prog_known"), res(&mut m, "vers_known"));
    let error_stat = m.node(
        "error_stat",
        (!&prog_known).mux(
            lit(accept::PROG_UNAVAIL, 2),
            (!&vers_known).mux(lit(accept::PROG_MISMATCH, 2), lit(accept::PROC_UNAVAIL, 2)),
        ),
    );
    let rpcish = m.node(
        "is_rpc",
        &a_offload & Expr::from(&a_dst_ip).eq(&local_ip) & &port_known,
    );
    let fits = m.node("args_fit", a_len.le(u64::from(cfg.capacity())));
    let free_q = fifo1(&mut m, "free_slots", sw, u64::from(cfg.slots))?;
    let have_slot = m.inst_output(free_q, "m_valid");
    let slot_now = m.inst_output(free_q, "m_data");
    let k = |v: u64| lit(v, kind::WIDTH);
    let reject = reject_to_other.mux(k(kind::OTHER), k(kind::DROP));
    let unmatched = (&error_replies & &have_slot).mux(k(kind::ERROR), reject.clone());
    let decided = m.node(
        "decided_kind",
        (!&rpcish).mux(
            k(kind::OTHER),
            (!&a_ok).mux(
                reject,
                (!&hit).mux(
                    unmatched,
                    (!&fits).mux(
                        dma_fallback
                            .mux(have_slot.mux(k(kind::DMA), k(kind::DROP)), k(kind::OTHER)),
                        have_slot.mux(k(kind::SLOT), k(kind::DROP)),
                    ),
                ),
            ),
        ),
    );
    let to_error = m.node("to_error", &a_valid & Expr::from(&decided).eq(kind::ERROR));
    let to_dma = m.node("to_dma", &a_valid & Expr::from(&decided).eq(kind::DMA));
    // Slots: for a request, an error reply, or a call's DMA descriptor.
    let to_slot = m.node(
        "to_slot",
        &a_valid & Expr::from(&decided).eq(kind::SLOT) | &to_error | &to_dma,
    );
    stat(&mut m, "error_replies", to_error.clone().into());
    stat(
        &mut m,
        "other",
        &a_valid & Expr::from(&decided).eq(kind::OTHER),
    );
    stat(&mut m, "malformed", &a_valid & &rpcish & !&a_ok);
    stat(&mut m, "unmatched", &a_valid & &rpcish & &a_ok & !&hit);
    stat(
        &mut m,
        "too_large",
        &a_valid & &rpcish & &a_ok & &hit & !&fits,
    );
    stat(
        &mut m,
        "no_slot",
        &a_valid & &rpcish & &a_ok & &hit & (&fits | &dma_fallback) & !&have_slot,
    );
    m.connect(free_q, "m_ready", &to_slot);
    let jobs = fifo1(&mut m, "jobs", sh_cfg.offset_width(), FRAME_SLOTS)?;
    let kinds = fifo1(&mut m, "kinds", kind::WIDTH + sw, FRAME_SLOTS)?;
    for f in [jobs, kinds] {
        for o in ["s_ready", "count"] {
            let x = m.inst_output(f, o);
            m.unused(&x); // frame slots bound them
        }
    }
    m.connect(jobs, "s_valid", &a_valid);
    // Arguments at byte 32 of the slot (an error reply keeps the call's there, unused); a
    // DMA call leaves whole.
    m.connect(
        jobs,
        "s_data",
        (&to_slot & !&to_dma).mux(
            (a_off.trunc(ow) - lit(u64::from(ctrl::DATA), ow)).trunc(ow),
            lit(0, ow),
        ),
    );
    m.connect(kinds, "s_valid", &a_valid);
    m.connect(
        kinds,
        "s_data",
        cat([Expr::from(&decided), Expr::from(&slot_now)]),
    );
    // The slot's caller and descriptor.
    let fields = slot_fields(pw);
    let fw: u32 = fields.iter().map(|f| f.1).sum();
    let slot_mem = m.memory("slot_info", fw, u64::from(cfg.slots), RamStyle::Distributed);
    let r_func = res(&mut m, "func");
    let r_data = res(&mut m, "data");
    let r_index = res(&mut m, "index");
    let r_process = res(&mut m, "process");
    let values: Vec<Expr> = vec![
        (&a_mac).into(),
        (&a_src_ip).into(),
        (&a_dst_ip).into(),
        (&a_src_port).into(),
        (&a_dst_port).into(),
        (&a_xid).into(),
        (&a_len).into(),
        (&r_func).into(),
        (&r_data).into(),
        r_index.zext(8),
        (&a_proc).into(),
        (&r_process).into(),
        (&error_stat).into(),
        (&a_udp_len).into(),
        // The arguments' offset in the ring record: behind its 16-byte header, which
        // takes the place of the frame's 42 bytes of headers.
        (a_off.zext(16) - lit(42 - 16, 16)).trunc(16),
    ];
    m.mem_write(slot_mem, &to_slot, &slot_now.clone().into(), &cat(values));
    // PROG_MISMATCH's versions come a cycle after the decision.
    let mismatch = m.memory(
        "mismatch_info",
        64,
        u64::from(cfg.slots),
        RamStyle::Distributed,
    );
    let err_r = m.reg_reset("to_error_r", 1, 0);
    let err_slot_r = m.reg("to_error_slot_r", sw);
    m.set(&err_r, &to_error);
    m.set(&err_slot_r, &slot_now);
    let v_low = res(&mut m, "vers_low");
    let v_high = res(&mut m, "vers_high");
    m.mem_write(
        mismatch,
        &err_r,
        &err_slot_r.clone().into(),
        &cat([Expr::from(&v_high), Expr::from(&v_low)]),
    );
    let split = |e: &Sig| -> Vec<Expr> {
        let mut off = fw;
        fields
            .iter()
            .map(|(_, w)| {
                off -= w;
                e.slice(off, *w)
            })
            .collect()
    };

    // ---- The mover: frames leave the buffer in order, each its own way --------------------
    let sh = m.instance("aligner", &shifter);
    let j_valid = m.inst_output(jobs, "m_valid");
    let f_valid = m.inst_output(pf, "m_axis_tvalid");
    let f_last = m.inst_output(pf, "m_axis_tlast");
    let sh_ready = m.inst_output(sh, "s_axis_tready");
    for f in ["tdata", "tkeep", "tlast", "tuser"] {
        let x = m.inst_output(pf, &format!("m_axis_{f}"));
        m.connect(sh, &format!("s_axis_{f}"), &x);
    }
    m.connect(sh, "s_axis_tvalid", &f_valid & &j_valid);
    m.connect(pf, "m_axis_tready", &sh_ready & &j_valid);
    m.connect(jobs, "m_ready", &f_valid & &f_last & &sh_ready & &j_valid);
    let offset_now = m.inst_output(jobs, "m_data");
    m.connect(sh, "s_offset", &offset_now);
    let o_valid = m.inst_output(sh, "m_axis_tvalid");
    let o_data = m.inst_output(sh, "m_axis_tdata");
    let o_keep = m.inst_output(sh, "m_axis_tkeep");
    let o_last = m.inst_output(sh, "m_axis_tlast");
    let o_user = m.inst_output(sh, "m_axis_tuser");
    let kd = m.inst_output(kinds, "m_data");
    let k_kind = m.node("mover_kind", kd.slice(sw, kind::WIDTH));
    let k_slot = m.node("mover_slot", kd.trunc(sw));
    let k_valid = m.inst_output(kinds, "m_valid");
    m.unused(&k_valid); // a frame leaves the aligner only after its decision
    let other = Axis::source(&mut m, "m_axis_other", net);
    let is_other = m.node("mover_other", Expr::from(&k_kind).eq(kind::OTHER));
    let is_error = m.node("mover_error", Expr::from(&k_kind).eq(kind::ERROR));
    let is_slot = m.node(
        "mover_slot_kind",
        Expr::from(&k_kind).eq(kind::SLOT) | &is_error,
    );
    m.set(&other.tvalid, &o_valid & &is_other);
    m.set(&other.tdata, &o_data);
    m.set(&other.tkeep, &o_keep);
    m.set(&other.tlast, &o_last);
    m.set(other.tuser.as_ref().unwrap(), &o_user);
    let dma = Axis::source(&mut m, "m_axis_dma", net);
    let is_dma = m.node("mover_dma", Expr::from(&k_kind).eq(kind::DMA));
    m.set(&dma.tvalid, &o_valid & &is_dma);
    m.set(&dma.tdata, &o_data);
    m.set(&dma.tkeep, &o_keep);
    m.set(&dma.tlast, &o_last);
    m.set(dma.tuser.as_ref().unwrap(), &o_user);

    // The slot writer: the descriptor over the first 32 bytes, then words of `wc` bits.
    let info = m.mem_read_async(slot_mem, "mover_info", &k_slot.clone().into());
    let iv = split(&info);
    let (i_func, i_data, i_process, i_err) = (&iv[7], &iv[8], &iv[11], &iv[12]);
    // A DMA call's slot, with the frame, for the DMA fallback.
    for (f, v) in [
        ("slot", Expr::from(&k_slot)),
        ("udp_len", iv[13].clone()),
        ("args_at", iv[14].clone()),
    ] {
        let p = m.group_port("m_call", f, v.width(), PortDir::Out);
        m.set(&p, v);
    }
    m.unused(&info); // the caller's fields are the reply path's (meta_* below)
    let (w0, w3) = request_words(&iv, ctrl::KIND_INLINE);
    // An error reply's response instead: length and accept_stat in word 0, for
    // PROG_MISMATCH the XDR low and high versions as its results at byte 24.
    let mm = m.mem_read_async(mismatch, "mover_mismatch", &k_slot.clone().into());
    let xdr = |v: Expr| cat((0..4).map(|b| v.slice(8 * b, 8)));
    let is_mismatch = i_err.eq(accept::PROG_MISMATCH);
    let e_w0 = cat([
        lit(0, 32),
        is_mismatch.mux(lit(8, 16), lit(0, 16)),
        i_err.zext(8),
        lit(0, ctrl::STAT_LSB),
    ]);
    debug_assert_eq!((ctrl::LEN_LSB, ctrl::STAT_LSB, ctrl::RESULT), (16, 8, 24));
    let e_w3 = cat([xdr(mm.slice(32, 32)), xdr(mm.trunc(32))]);
    let desc = m.node(
        "descriptor",
        is_error.mux(
            cat([e_w3, lit(0, 128), e_w0]),
            cat([w3, i_data.clone(), i_func.clone(), w0]),
        ),
    );
    let ob = m.reg_reset("out_beat", 6, 0); // beats of the frame out so far (saturating)
    let desc_beats = (256 / wn).max(1);
    let overlaid = if wn >= 256 {
        let first = if wn > 256 {
            cat([o_data.slice(256, wn - 256), Expr::from(&desc)])
        } else {
            Expr::from(&desc)
        };
        Expr::from(&ob).eq(0u64).mux(first, &o_data)
    } else {
        let chunks: Vec<Expr> = (0..desc_beats).map(|i| desc.slice(i * wn, wn)).collect();
        let cw = clog2(u64::from(desc_beats));
        Expr::from(&ob)
            .lt(u64::from(desc_beats))
            .mux(select(&chunks, &ob.trunc(cw)), &o_data)
    };
    let data_in = m.node("slot_beat", overlaid);

    let wr_valid = m.group_port("slot_wr", "valid", 1, PortDir::Out);
    let wr_ready = m.group_port("slot_wr", "ready", 1, PortDir::In);
    let word_w = clog2(u64::from(cfg.slots * cfg.slot_words()));
    let wr_addr = m.group_port("slot_wr", "addr", word_w, PortDir::Out);
    let wr_data = m.group_port("slot_wr", "data", wc, PortDir::Out);
    let sww = clog2(u64::from(cfg.slot_words()) + 1);
    let wcount = m.reg_reset("slot_words_written", sww, 0);
    let capped = m.node(
        "slot_full",
        Expr::from(&wcount).eq(u64::from(cfg.slot_words())),
    );
    let main_addr = cat([Expr::from(&k_slot), wcount.trunc(sww - 1)]);
    // The scheduler request of the last slot filled.
    let req_valid = m.group_port("req", "valid", 1, PortDir::Out);
    let req_ready = m.group_port("req", "ready", 1, PortDir::In);
    let req_queued = m.group_port("req", "queued", 1, PortDir::In);
    let req_slot = m.group_port("req", "slot", sw, PortDir::Out);
    let req_process = m.group_port("req", "process", pw, PortDir::Out);
    let rq = m.reg_reset("req_pending", 1, 0);
    let rq_slot = m.reg("req_slot_r", sw);
    let rq_proc = m.reg("req_process_r", pw);
    m.set(&req_valid, &rq);
    m.set(&req_slot, &rq_slot);
    m.set(&req_process, &rq_proc);
    let req_fire = m.node("req_fire", &rq & &req_ready);
    // An error reply's slot, to the reply path.
    let ed_valid = m.group_port("err_done", "valid", 1, PortDir::Out);
    let ed_ready = m.group_port("err_done", "ready", 1, PortDir::In);
    let ed_slot = m.group_port("err_done", "slot", sw, PortDir::Out);
    let eq = m.reg_reset("err_pending", 1, 0);
    let eq_slot = m.reg("err_slot_r", sw);
    m.set(&ed_valid, &eq);
    m.set(&ed_slot, &eq_slot);
    let eq_fire = m.node("err_fire", &eq & &ed_ready);
    // The slot's last word waits until the previous one of its kind is taken.
    let out_free = m.node(
        "slot_out_free",
        is_error.mux(!&eq | &eq_fire, !&rq | &req_fire),
    );
    let in_slot_beat = m.node("slot_beat_valid", &o_valid & &is_slot);
    // `take`: the aligner's beat is consumed this cycle; `write`: a word goes out.
    let (take, write, word) = if wn >= wc {
        let r = wn / wc;
        let sub = (r > 1).then(|| m.reg_reset("word_of_beat", clog2(u64::from(r)), 0));
        let at_end = match &sub {
            Some(s) => Expr::from(s).eq(u64::from(r - 1)),
            None => lit(1, 1),
        };
        let word = match &sub {
            Some(s) => pick(&data_in.clone().into(), &s.clone().into(), wc),
            None => data_in.clone().into(),
        };
        let room = m.node("slot_room", &capped | &wr_ready);
        let step = m.node(
            "slot_step",
            &in_slot_beat & &room & (!(&o_last & &at_end) | &out_free),
        );
        if let Some(s) = &sub {
            m.when(&step, |m| {
                m.set(s, at_end.mux(lit(0, s.width()), s + lit(1, s.width())))
            });
        }
        (
            m.node("slot_take", &step & at_end),
            m.node("slot_write", &step & !&capped),
            word,
        )
    } else {
        let r = wc / wn;
        let sub = m.reg_reset("beat_of_word", clog2(u64::from(r)), 0);
        let acc = m.reg("word_acc", wc - wn);
        let at_end = m.node(
            "word_complete",
            Expr::from(&sub).eq(u64::from(r - 1)) | &o_last,
        );
        let room = m.node("slot_room", &capped | &wr_ready | !&at_end);
        let step = m.node("slot_step", &in_slot_beat & &room & (!&o_last | &out_free));
        m.when(&step, |m| {
            m.set(
                &sub,
                at_end.mux(lit(0, sub.width()), &sub + lit(1, sub.width())),
            );
        });
        // Beats fill the word from its low end; a word cut short by the frame's end is
        // written with the earlier beats in place.
        let word = place(
            &acc.clone().into(),
            &sub.clone().into(),
            &data_in.clone().into(),
            r,
        );
        m.when(&step & !&at_end, |m| m.set(&acc, word.trunc(wc - wn)));
        (
            m.node("slot_take", step.clone()),
            m.node("slot_write", &step & &at_end & !&capped),
            word,
        )
    };
    // The DMA descriptor writer: a delivered call's descriptor into its slot's first
    // words, in cycles the frame writer leaves free, then the scheduler request.
    let dv = m.group_port("dma_delivered", "valid", 1, PortDir::In);
    let dr = m.group_port("dma_delivered", "ready", 1, PortDir::Out);
    let d_slot = m.group_port("dma_delivered", "slot", sw, PortDir::In);
    let d_entry = m.group_port("dma_delivered", "entry", 16, PortDir::In);
    let d_record = m.group_port("dma_delivered", "record", 32, PortDir::In);
    let d_args = m.group_port("dma_delivered", "args_at", 16, PortDir::In);
    let dw_busy = m.reg_reset("dma_desc_busy", 1, 0);
    let dw_req = m.reg_reset("dma_desc_written", 1, 0);
    let dw_slot = m.reg("dma_desc_slot", sw);
    let dw_w4 = m.reg("dma_desc_where", 64);
    let dw_word = m.reg("dma_desc_word", sww - 1);
    m.set(&dr, !&dw_busy);
    m.when(&dv & !&dw_busy, |m| {
        m.set(&dw_busy, 1);
        m.set(&dw_slot, &d_slot);
        m.set(&dw_word, lit(0, sww - 1));
        debug_assert_eq!((ctrl::DMA_ARGS_LSB, ctrl::DMA_RECORD_LSB), (16, 32));
        m.set(
            &dw_w4,
            cat([
                Expr::from(&d_record),
                Expr::from(&d_args),
                Expr::from(&d_entry),
            ]),
        );
    });
    let dinfo = m.mem_read_async(slot_mem, "dma_desc_info", &dw_slot.clone().into());
    m.unused(&dinfo); // the caller's fields are the reply path's
    let dvv = split(&dinfo);
    let (dw0, dw3) = request_words(&dvv, ctrl::KIND_DMA);
    let desc_bits = 64 * (ctrl::DMA_WORD as u32 + 1);
    let nw = desc_bits.div_ceil(wc);
    let dma_desc =
        cat([Expr::from(&dw_w4), dw3, dvv[8].clone(), dvv[7].clone(), dw0]).zext(nw * wc);
    let dw_data = if nw == 1 {
        dma_desc
    } else {
        pick(&dma_desc, &dw_word.trunc(clog2(u64::from(nw))), wc)
    };
    let dw_write = m.node("dma_desc_write", &dw_busy & !&dw_req & !&write);
    m.when(&dw_write & &wr_ready, |m| {
        m.set(&dw_word, &dw_word + lit(1, sww - 1));
        m.when(Expr::from(&dw_word).eq(u64::from(nw - 1)), |m| {
            m.set(&dw_req, 1)
        });
    });
    m.set(&wr_valid, &write | &dw_write);
    m.set(
        &wr_addr,
        write.mux(main_addr, cat([Expr::from(&dw_slot), Expr::from(&dw_word)])),
    );
    m.set(&wr_data, write.mux(word, dw_data));
    m.when(&write, |m| m.set(&wcount, &wcount + lit(1, sww)));
    let slot_done = m.node("slot_filled", &take & &o_last);
    m.when(&slot_done, |m| m.set(&wcount, lit(0, sww)));
    let o_ready = m.node(
        "mover_ready",
        is_other.mux(
            &other.tready,
            is_dma.mux(&dma.tready, is_slot.mux(&take, lit(1, 1))),
        ),
    );
    m.connect(sh, "m_axis_tready", &o_ready);
    let o_fire = m.node("mover_fire", &o_valid & &o_ready);
    m.when(&o_fire, |m| {
        m.set(
            &ob,
            o_last.mux(lit(0, 6), Expr::from(&ob).all().mux(&ob, &ob + lit(1, 6))),
        )
    });
    let frame_out = m.node("frame_out", &o_fire & &o_last);
    m.connect(kinds, "m_ready", &frame_out);
    m.when(&req_fire, |m| m.set(&rq, 0));
    m.when(&slot_done & !&is_error, |m| {
        m.set(&rq, 1);
        m.set(&rq_slot, &k_slot);
        m.set(&rq_proc, i_process);
    });
    m.when(&eq_fire, |m| m.set(&eq, 0));
    m.when(&slot_done & &is_error, |m| {
        m.set(&eq, 1);
        m.set(&eq_slot, &k_slot);
    });
    // A written DMA descriptor's request, when the frame writer is not making one.
    let dma_req = m.node(
        "dma_request",
        &dw_req & (!&rq | &req_fire) & !(&slot_done & !&is_error),
    );
    m.when(&dma_req, |m| {
        m.set(&rq, 1);
        m.set(&rq_slot, &dw_slot);
        m.set(&rq_proc, dvv[11].clone());
        m.set(&dw_req, 0);
        m.set(&dw_busy, 0);
    });
    stat(&mut m, "dma_calls", dma_req.clone().into());
    stat(&mut m, "calls", &req_fire & &req_queued);
    stat(&mut m, "refused", &req_fire & !&req_queued);
    // Frames in flight: in at their end, out when lost or moved.
    let iw = inflight.width();
    m.set(
        &inflight,
        &inflight + in_end.zext(iw) - lost.zext(iw) - frame_out.zext(iw),
    );

    // ---- Free slots: all of them after reset, refused ones, and the reply path's ----------
    let init = m.reg_reset("init_slot", sw + 1, 0);
    let initing = m.node("initialising", init.lt(u64::from(cfg.slots)));
    m.when(&initing, |m| m.set(&init, &init + lit(1, sw + 1)));
    let refused_now = m.node("free_refused", &req_fire & !&req_queued);
    let free_valid = m.group_port("free", "valid", 1, PortDir::In);
    let free_ready = m.group_port("free", "ready", 1, PortDir::Out);
    let free_slot = m.group_port("free", "slot", sw, PortDir::In);
    // DMA calls that found no ring.
    let fv = m.group_port("dma_failed", "valid", 1, PortDir::In);
    let fr = m.group_port("dma_failed", "ready", 1, PortDir::Out);
    let f_slot = m.group_port("dma_failed", "slot", sw, PortDir::In);
    let failed_now = m.node("free_dma_failed", &fv & !&initing & !&refused_now);
    m.set(&fr, !&initing & !&refused_now);
    stat(&mut m, "dma_dropped", failed_now.clone().into());
    m.set(&free_ready, !&initing & !&refused_now & !&fv);
    m.connect(
        free_q,
        "s_valid",
        &initing | &refused_now | &fv | &free_valid,
    );
    m.connect(
        free_q,
        "s_data",
        initing.mux(
            init.trunc(sw),
            refused_now.mux(&rq_slot, fv.mux(&f_slot, &free_slot)),
        ),
    );
    for o in ["s_ready", "count"] {
        let x = m.inst_output(free_q, o);
        m.unused(&x); // each slot is in it at most once
    }

    // ---- The reply path's view of a slot ---------------------------------------------------
    let meta_slot = m.group_port("meta", "slot", sw, PortDir::In);
    let minfo = m.mem_read_async(slot_mem, "meta_info", &meta_slot.into());
    m.unused(&minfo); // the descriptor's fields are the slot writer's
    let mv2 = split(&minfo);
    for (k, (f, w)) in fields.iter().enumerate() {
        if k < META_FIELDS {
            let o = m.group_port("meta", f, *w, PortDir::Out);
            m.set(&o, mv2[k].clone());
        }
    }
    m.finish()
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

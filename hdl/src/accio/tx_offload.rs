//! The Accio UDP transmit offload engine: a doorbell on an entry's TX_TAIL makes the engine
//! read the entry's new TX ring [`record`]s by DMA, build an Ethernet/IPv4/UDP frame for
//! each from the ICT entry (or the record's own destination), with both checksums, and
//! send it; TX_HEAD advances past each record as soon as it has been read (which wakes a
//! thread waiting for ring space). Normal-path transmit descriptors (a frame in host
//! memory) share the DMA read engine and go out unchanged; the two kinds of frame take
//! turns on the MAC stream.
//!
//! **Turns.** Entries with a doorbell wait in a bitmap; the scheduler takes them round
//! robin, alternating with normal-path descriptors. A turn reads everything the entry had
//! posted when the turn began (TX_TAIL − TX_HEAD, as the ICT reports it on `tx_info_*`)
//! in commands of up to [`CHUNK`] bytes; an entry gets its next turn once this one has
//! been parsed. A doorbell during a turn is kept for the next one.
//!
//! **Parsing.** Records are aligned to the bus beat ([`record::align`]), so every record
//! starts a beat. The splitter reads the record's length from its header, passes the
//! record (header and payload, without the padding) to a byte aligner that drops the
//! header, and a checksum unit sums the payload as it enters a store-and-forward FIFO. A
//! record whose payload is longer than `max_payload` or that runs past the posted data is
//! not sent (counted in `stat_bad_record`; one that runs past the posted data ends the
//! turn, which consumes everything posted). A record with a DMA read error is not sent
//! either (`stat_dma_error`, DMA_ERROR event).
//!
//! **Building.** Per payload, the header fields and the payload's sum meet in a FIFO;
//! [`udp_tx_build`](crate::blocks::udp_tx_build) adds the headers (TTL [`TTL`], a running
//! IPv4 identification, UDP checksum 0 sent as 0xFFFF) as the payload leaves the FIFO. Every
//! frame is complete in a FIFO before its first beat goes out, so the MAC never waits
//! inside a frame.

use crate::blocks::axis_packet_fifo::{axis_packet_fifo, PacketFifoCfg};
use crate::blocks::axis_register::axis_register;
use crate::blocks::byte_shifter::{byte_shifter, ByteShifterCfg};
use crate::blocks::checksum::checksum;
use crate::blocks::dma_burst::DmaCfg;
use crate::blocks::dma_read::dma_read;
use crate::blocks::onehot::{above, encode, rr_pick};
use crate::blocks::rr_arbiter::rr_arbiter;
use crate::blocks::sync_fifo::{sync_fifo, SyncFifoCfg};
use crate::blocks::udp_tx_build::udp_tx_build;
use crate::bundles::{Axis, AxisCfg};
use crate::ir::{cat, clog2, lit, Expr, HdlErrors, Module, ModuleBuilder, PortDir, Sig};
use std::rc::Rc;

/// The TX ring record user code writes at TX_TAIL: the same header layout as an RX
/// record, so a received record can be sent back as it is.
pub mod record {
    /// Destination IPv4 address, network byte order; 0: the entry's REMOTE.IP.
    pub const DST_IP: usize = 0;
    /// Destination UDP port, network byte order; 0: the entry's REMOTE.PORT.
    pub const DST_PORT: usize = 8;
    /// Payload length in bytes, little endian.
    pub const LEN: usize = 12;
    /// The payload.
    pub const PAYLOAD: usize = 16;

    /// Record alignment in the ring: the bus beat, so every record starts a beat and the
    /// engine reads no padding (bytes 4..8, 10..12 and 14..16 are ignored).
    pub fn align(data_width: u32) -> usize {
        data_width as usize / 8
    }

    /// Bytes a record with `payload` bytes takes in the ring.
    pub fn footprint(payload: usize, data_width: u32) -> usize {
        (PAYLOAD + payload).div_ceil(align(data_width)) * align(data_width)
    }
}

/// Bytes per DMA read command of a turn.
pub const CHUNK: u32 = 32768;
/// IPv4 TTL of sent datagrams.
pub const TTL: u64 = 64;
const PTR: u32 = 32;

/// Parameters of the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TxOffloadCfg {
    /// Bus width of host memory and the MAC stream (64 to 512).
    pub data_width: u32,
    /// ICT entries.
    pub entries: u32,
    /// Longest payload sent (1472 for a 1500-byte MTU); longer records are skipped.
    pub max_payload: u32,
    /// Longest normal-path frame in bytes (1514 for a 1500-byte MTU).
    pub max_frame: u32,
    /// DMA read bursts in flight.
    pub dma_outstanding: u32,
}

impl TxOffloadCfg {
    pub fn module_name(&self) -> String {
        format!(
            "accio_tx_offload_w{}_n{}_p{}_f{}_o{}",
            self.data_width, self.entries, self.max_payload, self.max_frame, self.dma_outstanding
        )
    }

    pub fn dma(&self) -> DmaCfg {
        DmaCfg::new(self.data_width, self.dma_outstanding)
    }

    /// Beats of a store-and-forward FIFO for frames of up to `bytes`: two of them.
    fn fifo_beats(&self, bytes: u32) -> u64 {
        (2 * u64::from(bytes.div_ceil(self.data_width / 8))).next_power_of_two()
    }
}

pub fn accio_tx_offload(cfg: TxOffloadCfg) -> Result<Rc<Module>, HdlErrors> {
    let name = cfg.module_name();
    let w = cfg.data_width;
    AxisCfg::validate_nic_width(&name, w)?;
    cfg.dma()
        .validate()
        .map_err(|e| HdlErrors::param(&name, e))?;
    if !(1..=8972).contains(&cfg.max_payload) || !(60..=9014).contains(&cfg.max_frame) {
        return Err(HdlErrors::param(
            &name,
            "max_payload must be 1 to 8972 and max_frame 60 to 9014 bytes",
        ));
    }
    let lanes = w / 8;
    let lb = lanes.trailing_zeros();
    let iw = clog2(u64::from(cfg.entries));
    let n = cfg.entries as usize;
    let net = AxisCfg::net(w);
    let reader = dma_read(cfg.dma())?;
    let shifter = byte_shifter(ByteShifterCfg::new(w, record::PAYLOAD as u32 + 1))?;
    let csum = checksum(w)?;
    let payload_fifo = axis_packet_fifo(PacketFifoCfg::new(
        net,
        cfg.fifo_beats(cfg.max_payload),
        false,
    ))?;
    let np_fifo = axis_packet_fifo(PacketFifoCfg::new(
        net,
        cfg.fifo_beats(cfg.max_frame),
        false,
    ))?;
    let builder = udp_tx_build(w)?;
    let arb = rr_arbiter(2)?;

    let mut m = ModuleBuilder::new(&name);
    m.doc(format!(
        "Accio UDP transmit offload, {w}-bit: TX ring records of doorbelled ICT entries become\n\
         UDP/IPv4 frames; normal-path frames are read and sent as they are. One DMA reader."
    ));
    let gin = |m: &mut ModuleBuilder, g: &str, f: &str, w| m.group_port(g, f, w, PortDir::In);
    let gout = |m: &mut ModuleBuilder, g: &str, f: &str, w| m.group_port(g, f, w, PortDir::Out);
    let mac_addr = m.input("mac_addr", 48);
    m.describe(
        &mac_addr,
        "The NIC's MAC address: the source of sent frames.",
    );
    let db_valid = gin(&mut m, "db_tx", "valid", 1);
    let db_index = gin(&mut m, "db_tx", "index", iw);
    let db_ready = gout(&mut m, "db_tx", "ready", 1);
    m.set(&db_ready, 1);
    let info_index = gout(&mut m, "tx_info", "index", iw);
    let ti = |m: &mut ModuleBuilder, f: &str, w| gin(m, "tx_info", f, w);
    let i_enabled = ti(&mut m, "enabled", 1);
    let i_accel = ti(&mut m, "accelerated", 1);
    let i_lip = ti(&mut m, "local_ip", 32);
    let i_lport = ti(&mut m, "local_port", 16);
    let i_remote = ti(&mut m, "remote", 48);
    let i_mac = ti(&mut m, "remote_mac", 48);
    let i_base = ti(&mut m, "base", 64);
    let i_size = ti(&mut m, "size", 32);
    let i_head = ti(&mut m, "head", PTR);
    let i_tail = ti(&mut m, "tail", PTR);
    let np_valid = gin(&mut m, "np_tx", "valid", 1);
    let np_addr = gin(&mut m, "np_tx", "addr", 64);
    let np_len = gin(&mut m, "np_tx", "len", 16);
    let np_ready = gout(&mut m, "np_tx", "ready", 1);
    let stat = |m: &mut ModuleBuilder, f: &str, v: Expr| {
        let o = m.output(&format!("stat_{f}"), 1);
        m.set(&o, v);
    };

    // ---- The scheduler ------------------------------------------------------------------
    let pending: Vec<Sig> = (0..n)
        .map(|i| m.reg_reset(&format!("e{i}_doorbell"), 1, 0))
        .collect();
    let busy: Vec<Sig> = (0..n)
        .map(|i| m.reg_reset(&format!("e{i}_in_turn"), 1, 0))
        .collect();
    let bits = |v: &[Sig]| cat(v.iter().rev().map(Expr::from));
    let eligible = m.node("entries_eligible", bits(&pending) & !bits(&busy));
    let after = m.reg_reset("rr_after", n as u32, 0);
    let pick = rr_pick(&mut m, "entry_pick", &eligible, &after);
    // States: idle, waiting for tx_info, evaluating it, reading a turn.
    let (idle, wait, eval, read) = (0u64, 1u64, 2u64, 3u64);
    let state = m.reg_reset("sched_state", 2, idle);
    let cur = m.reg("turn_entry", iw);
    let np_next = m.reg_reset("np_first", 1, 0);
    m.describe(
        &np_next,
        "The next turn goes to a normal-path descriptor if one waits.",
    );
    m.set(&info_index, &cur);
    let is_idle = m.node("sched_idle", state.eq(idle));
    let any_entry = eligible.any();
    let take_np = m.node(
        "take_np",
        &is_idle & &np_valid & (&np_next | !any_entry.clone()),
    );
    let take_entry = m.node("take_entry", &is_idle & !&take_np & any_entry);

    // The turn being read: its DMA commands.
    let rd_base = m.reg("read_base", 64);
    let rd_mask = m.reg("read_mask", 32);
    let rd_off = m.reg("read_offset", PTR);
    let rd_left = m.reg("read_left", PTR);
    let dr = m.instance("dma", &reader);
    let cmd_ready = m.inst_output(dr, "cmd_ready");
    let chunk = m.node(
        "read_chunk",
        rd_left
            .gt(u64::from(CHUNK))
            .mux(lit(u64::from(CHUNK), PTR), &rd_left),
    );
    let reading = m.node("sched_reading", state.eq(read));
    m.connect(dr, "cmd_valid", &reading & rd_left.ne(0u64));
    m.connect(dr, "cmd_base", &rd_base);
    m.connect(dr, "cmd_mask", &rd_mask);
    m.connect(dr, "cmd_offset", &rd_off);
    m.connect(dr, "cmd_len", chunk.trunc(16));
    m.expose(dr, "m_axi_");
    let cmd_fire = m.node("read_cmd_fire", &reading & rd_left.ne(0u64) & &cmd_ready);

    // An entry's turn: everything posted, if the entry and its ring make sense.
    let posted = m.node("posted", &i_tail - &i_head);
    let ring_ok = m.node(
        "tx_ring_sane",
        &i_enabled
            & &i_accel
            & (&i_size & (&i_size - 1u64)).eq(0u64)
            & i_size.ge(64u64)
            & i_base.trunc(lb).eq(0u64)
            & posted.le(&i_size)
            & posted.trunc(lb).eq(0u64),
    );
    let turn_ok = m.node("turn_has_work", &ring_ok & posted.ne(0u64));
    let in_eval = m.node("sched_eval", state.eq(eval));
    // Records posted to an entry that cannot send them (a pointer written while setting an
    // entry up, with nothing posted, is no fault).
    stat(
        &mut m,
        "bad_doorbell",
        &in_eval & posted.ne(0u64) & !&ring_ok,
    );
    let turn_push_entry = m.node("turn_start_entry", &in_eval & &turn_ok);

    // Turn records for the splitter: kind, entry, start, length, and the header fields.
    let turn_fields: Vec<(&str, u32)> = vec![
        ("np", 1),
        ("entry", iw),
        ("head", PTR),
        ("bytes", PTR),
        ("local_ip", 32),
        ("local_port", 16),
        ("remote", 48),
        ("remote_mac", 48),
    ];
    let turn_w: u32 = turn_fields.iter().map(|(_, w)| w).sum();
    let turns = m.instance("turns", &sync_fifo(SyncFifoCfg::new(turn_w, 4))?);
    let turns_room = m.inst_output(turns, "s_ready");
    let turns_count = m.inst_output(turns, "count");
    m.unused(&turns_count);
    m.connect(
        turns,
        "s_valid",
        &turn_push_entry | (&take_np & &turns_room),
    );
    m.connect(
        turns,
        "s_data",
        take_np.mux(
            cat([
                lit(1, 1),
                lit(0, iw),
                lit(0, PTR),
                np_len.zext(PTR),
                lit(0, 32 + 16 + 48 + 48),
            ]),
            cat([
                lit(0, 1),
                Expr::from(&cur),
                Expr::from(&i_head),
                Expr::from(&posted),
                Expr::from(&i_lip),
                Expr::from(&i_lport),
                Expr::from(&i_remote),
                Expr::from(&i_mac),
            ]),
        ),
    );
    // The scheduler waits in idle while the turn FIFO is full.
    m.switch(&state, |s| {
        s.case(idle, |m| {
            m.when(&take_np & &turns_room, |m| {
                m.set(&state, read);
                m.set(&rd_base, &np_addr);
                m.set(&rd_mask, lit(0xffff_ffff, 32));
                m.set(&rd_off, lit(0, PTR));
                m.set(&rd_left, np_len.zext(PTR));
                m.set(&np_next, 0);
            })
            .elif(&take_entry & &turns_room, |m| {
                m.set(&state, wait);
                m.set(&cur, encode(&pick, iw));
                m.set(&after, above(&pick));
                m.set(&np_next, 1);
            });
        });
        s.case(wait, |m| m.set(&state, eval));
        s.case(eval, |m| {
            m.set(&state, turn_ok.mux(lit(read, 2), lit(idle, 2)));
            m.set(&rd_base, &i_base);
            m.set(&rd_mask, &i_size - 1u64);
            m.set(&rd_off, &i_head);
            m.set(&rd_left, &posted);
        });
        s.case(read, |m| {
            m.when(&cmd_fire, |m| {
                m.set(&rd_off, &rd_off + &chunk);
                m.set(&rd_left, &rd_left - &chunk);
            });
            m.when(&cmd_fire & rd_left.le(u64::from(CHUNK)), |m| {
                m.set(&state, idle)
            });
        });
    });
    // take_np while the turn FIFO is full is not a take: gate the handshakes with the room.
    let np_taken = m.node("np_taken", &take_np & &turns_room);
    m.set(&np_ready, &np_taken);

    // ---- The splitter -------------------------------------------------------------------------
    let t_valid = m.inst_output(turns, "m_valid");
    let tq = m.inst_output(turns, "m_data");
    let mut pos = turn_w;
    let mut tf = std::collections::BTreeMap::new();
    for (f, fw) in &turn_fields {
        pos -= fw;
        tf.insert(*f, tq.slice(pos, *fw));
    }
    let t_np = m.node("turn_is_np", tf["np"].clone());
    let d_valid = m.inst_output(dr, "m_axis_tvalid");
    let d_data = m.inst_output(dr, "m_axis_tdata");
    let d_keep = m.inst_output(dr, "m_axis_tkeep");
    let d_last = m.inst_output(dr, "m_axis_tlast");
    m.unused(&d_last); // turns are counted in bytes; chunk ends do not matter
    let d_err = m.inst_output(dr, "m_axis_tuser");
    let in_turn = m.reg_reset("split_in_turn", 1, 0);
    m.describe(
        &in_turn,
        "The turn at the head of the turn FIFO has started.",
    );
    let t_left = m.reg("split_turn_left", PTR);
    let t_head = m.reg("split_record_start", PTR);
    m.describe(&t_head, "Ring offset of the current record's first byte.");
    let r_pos = m.reg_reset("split_record_pos", 17, 0);
    m.describe(&r_pos, "Offset of this beat in its record.");
    let r_room = m.reg("split_record_room", 19);
    m.describe(
        &r_room,
        "Bytes of the current record from the next beat on (to the turn's end if it runs past it).",
    );
    let r_avail = m.reg("split_record_avail", PTR);
    m.describe(
        &r_avail,
        "Posted bytes from the current record's start to the turn's end.",
    );
    let r_bad = m.reg("split_record_bad", 1);
    let r_err = m.reg("split_record_dma_error", 1);
    let r_ip = m.reg("split_peer_ip", 32);
    let r_port = m.reg("split_peer_port", 16);
    let r_len = m.reg("split_payload_len", 16);
    let left = m.node("turn_left_now", in_turn.mux(&t_left, &tf["bytes"]));
    let head_now = m.node("record_start_now", in_turn.mux(&t_head, &tf["head"]));
    let turn_last = m.node("turn_last_beat", left.le(u64::from(lanes)));
    // The beat that carries LEN (beat 1 on a 64-bit bus, beat 0 on wider ones).
    let len_pos = u64::from(record::LEN as u32 / lanes * lanes);
    let byte_at = |i: usize| d_data.slice(8 * (i as u32 % lanes), 8);
    let at_start = m.node("record_first_beat", r_pos.eq(0u64));
    let at_len = m.node("record_len_beat", r_pos.eq(len_pos));
    let before_len: Expr = if len_pos == 0 {
        lit(0, 1)
    } else {
        m.node("record_before_len", r_pos.lt(len_pos)).into()
    };
    let len_here = m.node(
        "len_here",
        cat([byte_at(record::LEN + 1), byte_at(record::LEN)]),
    );
    let rec_here = m.node("record_bytes_here", len_here.zext(18) + lit(16, 18));
    // Every value the length beat's decision needs but its length is ready in a register:
    // the posted bytes from the record's start (`left` itself on its first beat).
    let avail = m.node("record_avail", at_start.mux(&left, &r_avail));
    // Records and turns are whole beats: the footprint runs past the posted bytes exactly
    // when the record's bytes do.
    let overrun = m.node(
        "record_overruns",
        rec_here.zext(PTR + 1).gt(avail.zext(PTR + 1)),
    );
    let too_long = m.node("record_too_long", len_here.gt(u64::from(cfg.max_payload)));
    let pos_here = lit(len_pos, 19);
    let room = m.node(
        "record_bytes_left",
        at_len.mux(
            overrun.mux(avail.trunc(19), rec_here.zext(19)) - pos_here,
            Expr::from(&r_room),
        ),
    );
    m.describe(&room, "Bytes of the record from this beat on.");
    let rec_last = m.node(
        "record_last_beat",
        &turn_last | (!&before_len & room.le(u64::from(lanes))),
    );
    let bad_acc = m.node(
        "record_bad_so_far",
        !&at_start & &r_bad | (&at_len & (&overrun | &too_long)) | (&turn_last & &before_len),
    );
    let err_acc = m.node("record_error_so_far", (!&at_start & &r_err) | &d_err);
    let keep_ring = {
        let r = room.trunc(lb + 1);
        let thermo = cat((0..lanes).rev().map(|j| r.gt(u64::from(j))));
        (&rec_last & !&before_len & room.lt(u64::from(lanes))).mux(thermo, !lit(0, lanes))
    };
    let ip_now = m.node(
        "peer_ip_now",
        at_start.mux(cat((0..4).map(|k| byte_at(record::DST_IP + k))), &r_ip),
    );
    let port_now = m.node(
        "peer_port_now",
        at_len.mux(
            cat([byte_at(record::DST_PORT), byte_at(record::DST_PORT + 1)]),
            &r_port,
        ),
    );
    let plen_now = m.node("payload_len_now", at_len.mux(&len_here, &r_len));

    // Where the beat goes: the aligner (records) or the normal-path frame FIFO.
    // A register slice in front of the aligner keeps the splitter's length arithmetic and
    // the aligner's lane steering in separate cycles.
    let sr = m.instance("split_reg", &axis_register(net)?);
    let sh = m.instance("align", &shifter);
    Axis::of_instance(sr, "m_axis", net).feed(&mut m, &Axis::of_instance(sh, "s_axis", net));
    let npf = m.instance("np_frames", &np_fifo);
    let sh_ready = m.inst_output(sr, "s_axis_tready");
    let npf_ready = m.inst_output(npf, "s_axis_tready");
    let credit_ok = m.wire("header_credit", 1);
    let go = m.node(
        "split_ready",
        &t_valid & t_np.mux(&npf_ready, &sh_ready & &credit_ok),
    );
    m.connect(dr, "m_axis_tready", &go);
    let fire = m.node("split_fire", &d_valid & &go);
    let ring_fire = m.node("split_ring_fire", &fire & !&t_np);
    m.connect(
        sr,
        "s_axis_tvalid",
        &d_valid & &t_valid & !&t_np & &credit_ok,
    );
    m.connect(sr, "s_axis_tdata", &d_data);
    m.connect(sr, "s_axis_tkeep", &keep_ring);
    m.connect(sr, "s_axis_tlast", &rec_last);
    m.connect(sr, "s_axis_tuser", &rec_last & (&bad_acc | &err_acc));
    m.connect(sh, "s_offset", lit(record::PAYLOAD as u64, 5));
    m.connect(npf, "s_axis_tvalid", &d_valid & &t_valid & &t_np);
    m.connect(npf, "s_axis_tdata", &d_data);
    m.connect(npf, "s_axis_tkeep", &d_keep);
    m.connect(npf, "s_axis_tlast", &turn_last);
    m.connect(npf, "s_axis_tuser", &turn_last & &err_acc);
    let new_head = m.node(
        "record_end",
        &head_now + r_pos.zext(PTR) + lit(u64::from(lanes), PTR),
    );
    m.when(&fire, |m| {
        m.set(&in_turn, !&turn_last);
        m.set(&t_left, &left - u64::from(lanes));
        m.set(&r_bad, &bad_acc);
        m.set(&r_err, &err_acc);
        m.set(&r_ip, &ip_now);
        m.set(&r_port, &port_now);
        m.set(&r_len, &plen_now);
        m.set(&r_room, &room - u64::from(lanes));
        m.set(&r_avail, &avail);
        m.when(&rec_last, |m| {
            m.set(&r_pos, 0);
            m.set(&t_head, &new_head);
        })
        .otherwise(|m| {
            m.set(&r_pos, &r_pos + u64::from(lanes));
            m.set(&t_head, &head_now);
        });
    });
    m.connect(turns, "m_ready", &fire & &turn_last);
    let rec_done = m.node("record_done", &ring_fire & &rec_last);
    // What leaves for the ICT and the NIC block is registered, so the splitter's arithmetic
    // stays out of their logic.
    let out_reg = |m: &mut ModuleBuilder, g: &str, f: &str, v: Expr, reset: bool| {
        let o = gout(m, g, f, v.width());
        let r = if reset {
            m.reg_reset(&format!("{g}_{f}_r"), v.width(), 0)
        } else {
            m.reg(&format!("{g}_{f}_r"), v.width())
        };
        m.set(&r, v);
        m.set(&o, &r);
    };
    out_reg(&mut m, "tx_upd", "valid", rec_done.clone().into(), true);
    out_reg(&mut m, "tx_upd", "index", tf["entry"].clone(), false);
    out_reg(&mut m, "tx_upd", "head", new_head.clone().into(), false);
    let turn_done = m.node("entry_turn_done", &ring_fire & &turn_last);
    let np_done = m.node("np_frame_read", &fire & &t_np & &turn_last);
    out_reg(&mut m, "np_tx_done", "valid", np_done.clone().into(), true);
    out_reg(&mut m, "np_tx_done", "error", err_acc.clone().into(), false);
    out_reg(
        &mut m,
        "ev_dma",
        "valid",
        (&rec_done | &np_done) & &err_acc,
        true,
    );
    out_reg(
        &mut m,
        "ev_dma",
        "info",
        cat([lit(0, 24), t_np.mux(lit(0xffff, 16), tf["entry"].zext(16))]),
        false,
    );
    for i in 0..n {
        let here = tf["entry"].eq(i as u64);
        m.when(&turn_push_entry & cur.eq(i as u64), |m| m.set(&busy[i], 1))
            .elif(&turn_done & here, |m| m.set(&busy[i], 0));
        m.when(&db_valid & db_index.eq(i as u64), |m| m.set(&pending[i], 1))
            .elif(&take_entry & &turns_room & pick.bit(i as u32), |m| {
                m.set(&pending[i], 0)
            });
    }

    // ---- Payloads, their sums and headers ----------------------------------------------------
    let hdr_fields: Vec<(&str, Expr, u32)> = vec![
        ("bad", Expr::from(&bad_acc), 1),
        ("error", Expr::from(&err_acc), 1),
        ("peer_ip", Expr::from(&ip_now), 32),
        ("peer_port", Expr::from(&port_now), 16),
        ("len", Expr::from(&plen_now), 16),
        ("local_ip", tf["local_ip"].clone(), 32),
        ("local_port", tf["local_port"].clone(), 16),
        ("remote", tf["remote"].clone(), 48),
        ("remote_mac", tf["remote_mac"].clone(), 48),
    ];
    let hdr_w: u32 = hdr_fields.iter().map(|f| f.2).sum();
    const HDR_DEPTH: u64 = 32;
    let hq = m.instance("headers", &sync_fifo(SyncFifoCfg::new(hdr_w, HDR_DEPTH))?);
    m.connect(hq, "s_valid", &rec_done);
    m.connect(hq, "s_data", cat(hdr_fields.iter().map(|f| f.1.clone())));
    let rq = m.instance(
        "ready_headers",
        &sync_fifo(SyncFifoCfg::new(hdr_w - 2 + 16, HDR_DEPTH))?,
    );
    for q in [hq, rq] {
        for o in ["s_ready", "count"] {
            let x = m.inst_output(q, o);
            m.unused(&x); // the credit counter bounds both
        }
    }
    // Credits: records between the splitter and the builder, at most HDR_DEPTH - 2.
    let in_flight = m.reg_reset("records_in_flight", clog2(HDR_DEPTH + 1), 0);
    m.set(&credit_ok, in_flight.lt(HDR_DEPTH - 2));

    let sh_take = m.wire("aligned_take", 1);
    let (sh_valid, sh_pl) = Axis::of_instance(sh, "m_axis", net).source(&mut m, &sh_take);
    let sh_data = sh_pl.slice(0, w);
    let sh_keep = sh_pl.slice(w, lanes);
    let sh_last = sh_pl.bit(w + lanes);
    let sh_user = sh_pl.bit(w + lanes + 1);
    let empty = m.node("payload_empty", &sh_last & sh_keep.eq(0u64));
    m.describe(
        &empty,
        "A record without payload: summed (to 0) but not buffered.",
    );
    let pf = m.instance("payloads", &payload_fifo);
    let pf_ready = m.inst_output(pf, "s_axis_tready");
    m.set(&sh_take, &empty | &pf_ready);
    let sh_fire = m.node("aligned_fire", &sh_valid & &sh_take);
    m.connect(pf, "s_axis_tvalid", &sh_valid & !&empty);
    m.connect(pf, "s_axis_tdata", &sh_data);
    m.connect(pf, "s_axis_tkeep", &sh_keep);
    m.connect(pf, "s_axis_tlast", &sh_last);
    m.connect(pf, "s_axis_tuser", &sh_user);
    for o in ["drop_bad", "drop_full"] {
        let x = m.inst_output(pf, o);
        m.unused(&x); // its header says the record was bad
    }
    let cs = m.instance("payload_sum", &csum);
    m.connect(cs, "s_axis_tvalid", &sh_fire);
    m.connect(cs, "s_axis_tdata", &sh_data);
    m.connect(cs, "s_axis_tkeep", &sh_keep);
    m.connect(cs, "s_axis_tlast", &sh_last);
    let cs_ready = m.inst_output(cs, "s_axis_tready");
    m.unused(&cs_ready); // always ready
    let sum_valid = m.inst_output(cs, "csum_valid");
    let sum = m.inst_output(cs, "csum");
    let hd = m.inst_output(hq, "m_data");
    let hq_valid = m.inst_output(hq, "m_valid");
    m.unused(&hq_valid); // every sum has its header
    m.connect(hq, "m_ready", &sum_valid);
    let h_bad = hd.msb();
    let h_err = hd.bit(hdr_w - 2);
    let good = m.node("record_good", &sum_valid & !&h_bad & !&h_err);
    m.connect(rq, "s_valid", &good);
    m.connect(rq, "s_data", cat([hd.trunc(hdr_w - 2), Expr::from(&sum)]));
    stat(&mut m, "bad_record", &sum_valid & &h_bad & !&h_err);
    stat(&mut m, "dma_error", (&rec_done | &np_done) & &err_acc);

    // ---- The frame builder and the MAC stream ------------------------------------------------------
    let b = m.instance("build", &builder);
    let rv = m.inst_output(rq, "m_valid");
    let rd = m.inst_output(rq, "m_data");
    let b_hready = m.inst_output(b, "hdr_ready");
    m.connect(rq, "m_ready", &b_hready);
    let built = m.node("header_taken", &rv & &b_hready);
    let mut pos = hdr_w - 2 + 16;
    let mut rf = std::collections::BTreeMap::new();
    for (f, _, fw) in hdr_fields.iter().skip(2) {
        pos -= fw;
        rf.insert(*f, rd.slice(pos, *fw));
    }
    let r_sum = rd.trunc(16);
    let ip_id = m.reg_reset("ip_id", 16, 0);
    m.describe(
        &ip_id,
        "IPv4 identification of the next datagram (RFC 6864: any value with DF).",
    );
    m.when(&built, |m| m.set(&ip_id, &ip_id + 1u64));
    let remote = rf["remote"].clone();
    let peer_ip = rf["peer_ip"].clone();
    let peer_port = rf["peer_port"].clone();
    m.connect(b, "hdr_valid", &rv);
    m.connect(b, "hdr_dst_mac", rf["remote_mac"].clone());
    m.connect(b, "hdr_src_mac", &mac_addr);
    m.connect(b, "hdr_src_ip", rf["local_ip"].clone());
    m.connect(
        b,
        "hdr_dst_ip",
        peer_ip.eq(0u64).mux(remote.slice(16, 32), peer_ip.clone()),
    );
    m.connect(b, "hdr_src_port", rf["local_port"].clone());
    m.connect(
        b,
        "hdr_dst_port",
        peer_port.eq(0u64).mux(remote.trunc(16), peer_port.clone()),
    );
    m.connect(b, "hdr_len", rf["len"].clone());
    m.connect(b, "hdr_sum", r_sum);
    m.connect(b, "hdr_ttl", lit(TTL, 8));
    m.connect(b, "hdr_id", &ip_id);
    stat(&mut m, "frames", built.clone().into());
    let pf_out = Axis::of_instance(pf, "m_axis", net);
    let b_pready = m.inst_output(b, "s_axis_tready");
    let (pv, ppl) = pf_out.source(&mut m, &b_pready);
    m.connect(b, "s_axis_tvalid", &pv);
    m.connect(b, "s_axis_tdata", ppl.slice(0, w));
    m.connect(b, "s_axis_tkeep", ppl.slice(w, lanes));
    m.connect(b, "s_axis_tlast", ppl.bit(w + lanes));
    let pf_user = m.inst_output(pf, "m_axis_tuser");
    m.unused(&pf_user); // bad payloads never leave the FIFO
    let (old, new) = (
        Expr::from(&in_flight).zext(in_flight.width() + 1),
        Expr::from(&rec_done).zext(in_flight.width() + 1),
    );
    let freed = (&sum_valid & (&h_bad | &h_err)) | &built;
    m.set(
        &in_flight,
        (old + new - freed.zext(in_flight.width() + 1)).trunc(in_flight.width()),
    );

    // Frames take turns on the MAC stream, whole frames at a time.
    let out = Axis::source(&mut m, "m_axis_tx", net);
    let a = m.instance("mac_arbiter", &arb);
    let sources = [
        (Axis::of_instance(b, "m_axis", net), "built"),
        (Axis::of_instance(npf, "m_axis", net), "normal"),
    ];
    let grant = m.inst_output(a, "grant");
    let g_index = m.inst_output(a, "grant_index");
    let g_valid = m.inst_output(a, "grant_valid");
    m.unused(&g_index);
    let mut reqs = Vec::new();
    let mut payloads = Vec::new();
    let mut valids = Vec::new();
    for (k, (src, nm)) in sources.iter().enumerate() {
        let ready = &grant.bit(k as u32) & &out.tready;
        let (v, pl) = src.source(&mut m, ready);
        let mid = m.reg_reset(&format!("{nm}_mid_frame"), 1, 0);
        m.describe(&mid, "Inside a frame: keep the grant through gaps.");
        let f = &v & grant.bit(k as u32) & &out.tready;
        m.when(&f, |m| m.set(&mid, !pl.bit(w + lanes)));
        reqs.push(&v | &mid);
        payloads.push(pl);
        valids.push(v);
    }
    m.connect(a, "req", cat([reqs[1].clone(), reqs[0].clone()]));
    let sel = grant.bit(1);
    let pl = sel.mux(payloads[1].clone(), payloads[0].clone());
    let ov = &g_valid & sel.mux(valids[1].clone(), valids[0].clone());
    out.drive(&mut m, ov.clone(), &pl);
    m.connect(a, "ack", &ov & &out.tready & pl.bit(w + lanes));
    let np_out = m.node(
        "np_frame_sent",
        &ov & &out.tready & pl.bit(w + lanes) & &sel,
    );
    stat(&mut m, "np_frames", np_out.into());
    for o in ["drop_bad", "drop_full"] {
        let x = m.inst_output(npf, o);
        m.unused(&x); // reported at the descriptor's completion
    }
    m.finish()
}

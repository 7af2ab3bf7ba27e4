//! The transmit path (Lauberhorn §5.1): a finished slot becomes an accepted ONC-RPC reply
//! (RFC 5531) to its caller, and the slot is free again; a TX buffer a core rang the
//! doorbell on becomes a UDP datagram, and the buffer is free again.
//!
//! One at a time, replies and datagrams taking turns when both wait. For each `done` slot:
//! 1. Word 0 of the response: result length and `accept_stat` ([`ctrl`]). A handler that
//!    wrote nothing, or a length past the lines, gets `SYSTEM_ERR` and no results
//!    (counted in `stat_bad_result`).
//! 2. The UDP payload is the slot's bytes from 0 to `24 + length`, with bytes 0 to 23
//!    replaced by the reply header: `xid`, REPLY, MSG_ACCEPTED, an AUTH_NONE verifier and
//!    the `accept_stat`. It is read from the slot RAM twice, since the slot *is* the
//!    buffer: the first pass feeds a [`checksum`](crate::blocks::checksum) unit, the
//!    second the [`udp_tx_build`](crate::blocks::udp_tx_build) frame builder, whose UDP
//!    checksum needs the payload's sum before the header leaves.
//! 3. The frame goes to the caller's MAC, IP and port from the call's own addresses (as
//!    `rpc_rx` kept them), then the slot is freed.
//!
//! For each `tx_send` buffer ([`tx`] layout): its last 16 bytes give the length and the
//! addresses. A length of 0 or past the line, or a user endpoint's source port other than
//! its core's `tx_port`, drops the message (counted in `stat_tx_dropped`); otherwise its
//! bytes from 0 go out the same two passes from LOCAL_MAC and LOCAL_IP. Then `tx_done`
//! returns the buffer.

use crate::blocks::checksum::checksum;
use crate::blocks::pieces::{pick, place};
use crate::blocks::sync_fifo::{sync_fifo, SyncFifoCfg};
use crate::blocks::udp_tx_build::{udp_tx_build, FIELDS};
use crate::bundles::{Axis, AxisCfg};
use crate::ir::{cat, clog2, lit, Expr, HdlErrors, Module, ModuleBuilder, PortDir};
use crate::lauberhorn::coherence::{ctrl, tx, KERNEL, LINE_BITS, LINE_BYTES};
use crate::lauberhorn::endpoints::EndpointsCfg;
use std::rc::Rc;

/// Bytes of the accepted-reply header in front of the results.
pub const REPLY_HEADER: u32 = 24;
/// RFC 5531 `accept_stat` SYSTEM_ERR.
pub const SYSTEM_ERR: u64 = 5;
/// TTL of replies.
pub const TTL: u64 = 64;
/// Read words in flight or waiting, at most.
const READ_DEPTH: u64 = 4;

/// Parameters of [`rpc_reply`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RpcReplyCfg {
    pub net_width: u32,
    pub cores: u32,
    pub coh_width: u32,
    pub aux_lines: u32,
    pub slots: u32,
}

impl RpcReplyCfg {
    /// Result bytes a slot holds.
    pub fn capacity(&self) -> u32 {
        ctrl::RESULT_INLINE + LINE_BYTES * self.aux_lines
    }

    /// The endpoints whose slots and TX buffers this path reads.
    pub fn endpoints(&self) -> EndpointsCfg {
        EndpointsCfg {
            cores: self.cores,
            coh_width: self.coh_width,
            aux_lines: self.aux_lines,
            slots: self.slots,
        }
    }

    fn slot_words(&self) -> u32 {
        (1 + self.aux_lines).next_power_of_two() * (LINE_BITS / self.coh_width)
    }
}

pub fn rpc_reply(cfg: RpcReplyCfg) -> Result<Rc<Module>, HdlErrors> {
    let (wn, wc) = (cfg.net_width, cfg.coh_width);
    let name = format!(
        "lauberhorn_rpc_reply_w{wn}_c{wc}_n{}_a{}_s{}",
        cfg.cores, cfg.aux_lines, cfg.slots
    );
    let ecfg = cfg.endpoints();
    ecfg.validate(&name)?;
    let ew = ecfg.ep_width();
    AxisCfg::validate_nic_width(&name, wn)?;
    let sw = clog2(u64::from(cfg.slots));
    let (bn, bc) = (wn / 8, wc / 8);
    let swl = cfg.slot_words().trailing_zeros();
    let builder = udp_tx_build(wn)?;
    let summer = checksum(wn)?;
    let mut m = ModuleBuilder::new(&name);
    m.doc(format!(
        "Lauberhorn transmit path, {wn}-bit MAC, {wc}-bit slot words: accepted ONC-RPC replies\n\
         with up to {} result bytes, built from the slots, and the datagrams of {} cores' TX lines.",
        cfg.capacity(),
        cfg.cores
    ));
    let gp = |m: &mut ModuleBuilder, g: &str, f: &str, w: u32, d| m.group_port(g, f, w, d);
    let done_valid = gp(&mut m, "done", "valid", 1, PortDir::In);
    let done_ready = gp(&mut m, "done", "ready", 1, PortDir::Out);
    let done_slot = gp(&mut m, "done", "slot", sw, PortDir::In);
    let done_wrote = gp(&mut m, "done", "wrote", 1, PortDir::In);
    // Error replies the receive path wrote into slots.
    let err_valid = gp(&mut m, "err_done", "valid", 1, PortDir::In);
    let err_ready = gp(&mut m, "err_done", "ready", 1, PortDir::Out);
    let err_slot = gp(&mut m, "err_done", "slot", sw, PortDir::In);
    let meta_slot = gp(&mut m, "meta", "slot", sw, PortDir::Out);
    let caller: Vec<_> = [
        ("src_mac", 48),
        ("src_ip", 32),
        ("dst_ip", 32),
        ("src_port", 16),
        ("dst_port", 16),
        ("xid", 32),
    ]
    .iter()
    .map(|(f, w)| gp(&mut m, "meta", f, *w, PortDir::In))
    .collect();
    let send_valid = gp(&mut m, "tx_send", "valid", 1, PortDir::In);
    let send_ready = gp(&mut m, "tx_send", "ready", 1, PortDir::Out);
    let send_ep = gp(&mut m, "tx_send", "ep", ew, PortDir::In);
    let send_buf = gp(&mut m, "tx_send", "buf", 1, PortDir::In);
    let sent_valid = gp(&mut m, "tx_done", "valid", 1, PortDir::Out);
    let sent_ep = gp(&mut m, "tx_done", "ep", ew, PortDir::Out);
    let sent_buf = gp(&mut m, "tx_done", "buf", 1, PortDir::Out);
    let word_w = ecfg.rd_addr_width();
    let rd_valid = gp(&mut m, "slot_rd", "valid", 1, PortDir::Out);
    let rd_ready = gp(&mut m, "slot_rd", "ready", 1, PortDir::In);
    let rd_addr = gp(&mut m, "slot_rd", "addr", word_w, PortDir::Out);
    let rd_data = gp(&mut m, "slot_rd", "data", wc, PortDir::In);
    let rd_dv = gp(&mut m, "slot_rd", "data_valid", 1, PortDir::In);
    let free_valid = gp(&mut m, "free", "valid", 1, PortDir::Out);
    let free_ready = gp(&mut m, "free", "ready", 1, PortDir::In);
    let free_slot = gp(&mut m, "free", "slot", sw, PortDir::Out);
    let local_mac = m.input("local_mac", 48);
    let local_ip = m.input("local_ip", 32);
    let tx_port = m.input("tx_port", 16 * cfg.cores);
    let stat = |m: &mut ModuleBuilder, f: &str, v: Expr| {
        let o = m.output(&format!("stat_{f}"), 1);
        let r = m.reg_reset(&format!("stat_{f}_r"), 1, 0);
        m.set(&r, v);
        m.set(&o, &r);
    };

    // The reply being built.
    const IDLE: u64 = 0;
    const HEAD: u64 = 1;
    const PASS: u64 = 2;
    const SUM: u64 = 3;
    const FREE: u64 = 4;
    let state = m.reg_reset("state", 3, IDLE);
    let at = |s: u64| Expr::from(&state).eq(s);
    let slot = m.reg("slot", sw);
    let wrote = m.reg("wrote", 1);
    let len = m.reg("result_len", 16);
    let status = m.reg("accept_stat", 8);
    let second = m.reg("second_pass", 1);
    let datagram = m.reg("datagram", 1);
    let txb = m.reg("tx_buffer", ew + 1);
    let last_reply = m.reg_reset("last_was_reply", 1, 0);
    let head_asked = m.reg_reset("head_asked", 1, 0);
    let pass_done = m.reg_reset("pass_done", 1, 0);
    m.set(&meta_slot, &slot);
    m.set(&free_slot, &slot);
    m.set(&sent_ep, txb.slice(1, ew));
    m.set(&sent_buf, txb.bit(0));
    // Replies and datagrams take turns when both wait.
    let reply_turn = m.node("reply_turn", at(IDLE) & (!&send_valid | !&last_reply));
    let take_done = m.node("take_done", &reply_turn & &done_valid);
    let take_err = m.node("take_error", &reply_turn & &err_valid & !&done_valid);
    let take_reply = m.node("take_reply", &take_done | &take_err);
    let take_send = m.node("take_send", at(IDLE) & &send_valid & !&take_reply);
    m.set(&done_ready, &take_done);
    m.set(&err_ready, &take_err);
    m.set(&send_ready, &take_send);
    m.when(&take_reply | &take_send, |m| {
        m.set(&datagram, &take_send);
        m.set(&last_reply, &take_reply);
        m.set(&slot, take_err.mux(&err_slot, &done_slot));
        m.set(&wrote, &take_err | &done_wrote);
        m.set(&txb, cat([Expr::from(&send_ep), Expr::from(&send_buf)]));
        m.set(&state, HEAD);
        m.set(&head_asked, 0);
    });

    // Reads: word 0 of a slot, or the TX buffer's last 16 bytes, for the header; then
    // the payload's words, pass after pass.
    let total = m.node(
        "payload_bytes",
        datagram.mux(
            len.zext(17),
            len.zext(17) + lit(u64::from(REPLY_HEADER), 17),
        ),
    );
    let words_needed = m.node(
        "payload_words",
        (&total + lit(u64::from(bc) - 1, 17)).shr(bc.trailing_zeros()),
    );
    let beats_needed = m.node(
        "payload_beats",
        (&total + lit(u64::from(bn) - 1, 17)).shr(bn.trailing_zeros()),
    );
    let rq = m.reg_reset("words_asked", 17, 0);
    let inflight = m.reg_reset("reads_inflight", 3, 0);
    let rf = m.instance("read_words", &sync_fifo(SyncFifoCfg::new(wc, READ_DEPTH))?);
    let rf_count = m.inst_output(rf, "count");
    let rf_sready = m.inst_output(rf, "s_ready");
    m.unused(&rf_sready); // the reads in flight leave room
    let room = m.node(
        "read_room",
        (rf_count.zext(4) + inflight.zext(4)).lt(READ_DEPTH),
    );
    // A TX buffer's descriptor is in its last word (words are at least 16 bytes).
    let line_words = LINE_BITS / wc;
    let lww = line_words.trailing_zeros();
    let head_rd = m.node("read_head", at(HEAD) & !&head_asked);
    let body_rd = m.node(
        "read_body",
        at(PASS) & Expr::from(&rq).lt(&words_needed) & &room,
    );
    m.set(&rd_valid, &head_rd | &body_rd);
    let slot_addr =
        cat([Expr::from(&slot), head_rd.mux(lit(0, swl), rq.trunc(swl))]).zext(word_w - 1);
    let mut tx_word = vec![Expr::from(&txb)];
    if lww > 0 {
        let last = lit(u64::from(line_words - 1), lww);
        tx_word.push(head_rd.mux(last, rq.trunc(lww)));
    }
    let tx_addr = cat(tx_word).zext(word_w - 1);
    m.set(
        &rd_addr,
        cat([Expr::from(&datagram), datagram.mux(tx_addr, slot_addr)]),
    );
    m.when(&head_rd & &rd_ready, |m| m.set(&head_asked, 1));
    m.when(&body_rd & &rd_ready, |m| m.set(&rq, &rq + lit(1, 17)));
    let body_dv = m.node("body_data", &rd_dv & at(PASS));
    m.set(
        &inflight,
        &inflight + (&body_rd & &rd_ready).zext(3) - body_dv.zext(3),
    );
    m.connect(rf, "s_valid", &body_dv);
    m.connect(rf, "s_data", &rd_data);

    // Word 0 sets the reply's length and status.
    let w0 = rd_data.trunc(64);
    let r_len = w0.slice(ctrl::LEN_LSB, 16);
    let r_stat = w0.slice(ctrl::STAT_LSB, 8);
    let good = m.node("result_ok", &wrote & r_len.le(u64::from(cfg.capacity())));
    // The TX descriptor: {port word, address word}, the last 16 bytes of the line.
    let desc = m.reg("tx_descriptor", 128);
    m.unused(&desc); // the length is taken as it arrives
    let desc_next = m.node("tx_descriptor_next", rd_data.slice(wc - 128, 128));
    let head_in = m.node("head_in", &rd_dv & at(HEAD));
    m.when(&head_in, |m| m.set(&desc, &desc_next));
    let d_field = |word: usize, lsb: u32, w: u32| {
        desc_next.slice((word as u32 - tx::ADDR_WORD as u32) * 64 + lsb, w)
    };
    let d_len = d_field(tx::ADDR_WORD, tx::LEN_LSB, 16);
    let d_sport = d_field(tx::PORT_WORD, tx::SRC_PORT_LSB, 16);
    let allowed_port = if cfg.cores == 1 {
        Expr::from(&tx_port)
    } else {
        pick(&tx_port.clone().into(), &txb.slice(2, ew - 1), 16)
    };
    let is_kernel = txb.bit(1).eq(u64::from(KERNEL));
    let dg_ok = m.node(
        "datagram_ok",
        d_len.ne(0u64) & d_len.le(u64::from(tx::PAYLOAD)) & (is_kernel | d_sport.eq(allowed_port)),
    );
    m.when(&head_in, |m| {
        m.set(
            &len,
            datagram.mux(d_len.clone(), good.mux(r_len, lit(0, 16))),
        );
        m.set(&status, good.mux(r_stat, lit(SYSTEM_ERR, 8)));
        m.set(&second, 0);
        m.set(&rq, lit(0, 17));
        m.set(&pass_done, 0);
        m.set(
            &state,
            (&datagram & !&dg_ok).mux(lit(FREE, 3), lit(PASS, 3)),
        );
    });
    stat(&mut m, "bad_result", &head_in & !&datagram & !&good);
    stat(&mut m, "tx_dropped", &head_in & &datagram & !&dg_ok);

    // Words to beats.
    let rf_valid = m.inst_output(rf, "m_valid");
    let rf_data = m.inst_output(rf, "m_data");
    let out_beat = m.reg_reset("beat_index", 17, 0);
    let beat_valid;
    let beat_data: Expr;
    let sink_ready = m.wire("sink_ready", 1);
    let beat_take = m.node("beat_take", Expr::from(&sink_ready));
    if wc >= wn {
        let r = wc / wn;
        let sub = (r > 1).then(|| m.reg_reset("beat_of_word", clog2(u64::from(r)), 0));
        let last_sub = match &sub {
            Some(s) => Expr::from(s).eq(u64::from(r - 1)),
            None => lit(1, 1),
        };
        // Beats of the last word past the payload's end are skipped without going out.
        let extra = m.node("beat_extra", Expr::from(&pass_done));
        beat_valid = m.node("beat_valid", &rf_valid & !&extra);
        beat_data = match &sub {
            Some(s) => pick(&rf_data.clone().into(), &s.clone().into(), wn),
            None => rf_data.clone().into(),
        };
        // The rest of a word past the payload's end goes at once, so the next pass (or
        // reply) starts with a fresh word.
        let step = m.node("beat_step", &beat_valid & &beat_take);
        if let Some(s) = &sub {
            m.when(&step, |m| {
                m.set(s, last_sub.mux(lit(0, s.width()), s + lit(1, s.width())))
            });
            m.when(&rf_valid & &extra, |m| m.set(s, lit(0, s.width())));
        }
        m.connect(rf, "m_ready", &rf_valid & (&extra | (&step & last_sub)));
    } else {
        let r = wn / wc;
        m.unused(&pass_done); // beats end with the payload's last word: none to skip
        let got = m.reg_reset("words_in_beat", clog2(u64::from(r)), 0);
        let acc = m.reg("beat_acc", wn - wc);
        let words_used = m.reg_reset("words_used", 17, 0);
        let last_word = m.node("last_word", (&words_used + lit(1, 17)).eq(&words_needed));
        let completes = m.node(
            "beat_completes",
            Expr::from(&got).eq(u64::from(r - 1)) | &last_word,
        );
        beat_valid = m.node("beat_valid", &rf_valid & &completes);
        beat_data = place(
            &acc.clone().into(),
            &got.clone().into(),
            &rf_data.clone().into(),
            r,
        );
        let step = m.node("beat_step", &rf_valid & (!&completes | &beat_take));
        m.when(&step, |m| {
            m.set(
                &got,
                completes.mux(lit(0, got.width()), &got + lit(1, got.width())),
            );
            m.set(&words_used, &words_used + lit(1, 17));
            m.when(!&completes, |m| m.set(&acc, beat_data.trunc(wn - wc)));
        });
        m.when(&head_in, |m| m.set(&words_used, lit(0, 17)));
        m.when(&step & &completes & last_word.clone(), |m| {
            m.set(&words_used, lit(0, 17))
        });
        m.connect(rf, "m_ready", &step);
    }
    let beat_last = m.node("beat_last", (&out_beat + lit(1, 17)).eq(&beats_needed));
    // The reply header over the payload's first 24 bytes.
    let xid = &caller[5];
    let mut hdr: Vec<Expr> = (0..4).rev().map(|i| xid.slice(i * 8, 8)).collect();
    for word in [1u64, 0, 0, 0] {
        hdr.extend((0..4).rev().map(|i| lit(word >> (8 * i) & 0xff, 8)));
    }
    hdr.extend([lit(0, 8), lit(0, 8), lit(0, 8), Expr::from(&status)]);
    let lanes: Vec<Expr> = (0..bn)
        .map(|j| {
            let own = beat_data.slice(j * 8, 8);
            let covered: Vec<u32> = (0..REPLY_HEADER.div_ceil(bn))
                .filter(|k| k * bn + j < REPLY_HEADER)
                .collect();
            covered.iter().fold(own, |acc, &k| {
                (Expr::from(&out_beat).eq(u64::from(k)) & !&datagram)
                    .mux(hdr[(k * bn + j) as usize].clone(), acc)
            })
        })
        .rev()
        .collect();
    let payload = m.node("payload_beat", cat(lanes));
    let rem = total.trunc(bn.trailing_zeros());
    // Lane j of the last beat holds a byte when the remainder is past j, or is 0 (full).
    let keep_last = cat((0..bn).rev().map(|j| {
        if j + 1 == bn {
            rem.eq(0u64)
        } else {
            rem.eq(0u64) | rem.gt(u64::from(j))
        }
    }));
    let keep = m.node(
        "payload_keep",
        beat_last.mux(keep_last, lit(1, 1).repeat(bn)),
    );
    m.when(&beat_valid & &beat_take, |m| {
        m.set(&out_beat, beat_last.mux(lit(0, 17), &out_beat + lit(1, 17)));
    });
    let pass_end = m.node("pass_end", &beat_valid & &beat_take & &beat_last);
    m.when(&pass_end, |m| m.set(&pass_done, 1));

    // Pass 1: the checksum; pass 2: the builder.
    let cs = m.instance("payload_sum", &summer);
    m.connect(cs, "s_axis_tvalid", &beat_valid & !&second & at(PASS));
    m.connect(cs, "s_axis_tdata", &payload);
    m.connect(cs, "s_axis_tkeep", &keep);
    m.connect(cs, "s_axis_tlast", &beat_last);
    let cs_ready = m.inst_output(cs, "s_axis_tready");
    m.unused(&cs_ready); // always ready
    let b = m.instance("builder", &builder);
    let b_ready = m.inst_output(b, "s_axis_tready");
    m.connect(b, "s_axis_tvalid", &beat_valid & &second & at(PASS));
    m.connect(b, "s_axis_tdata", &payload);
    m.connect(b, "s_axis_tkeep", &keep);
    m.connect(b, "s_axis_tlast", &beat_last);
    m.set(&sink_ready, at(PASS) & (!&second | &b_ready));
    m.when(&pass_end & !&second, |m| m.set(&state, SUM));
    let sum = m.reg("payload_sum_r", 16);
    let sum_valid = m.inst_output(cs, "csum_valid");
    let sum_now = m.inst_output(cs, "csum");
    let hdr_go = m.reg_reset("header_go", 1, 0);
    m.when(at(SUM) & &sum_valid, |m| {
        m.set(&sum, &sum_now);
        m.set(&hdr_go, 1);
    });
    let h_ready = m.inst_output(b, "hdr_ready");
    m.connect(b, "hdr_valid", &hdr_go);
    let id = m.reg_reset("ip_id", 16, 0);
    // Replies go back to the caller; datagrams where their descriptor says.
    let dg = |d: Expr, r: &crate::ir::Sig| datagram.mux(d, r);
    let d_now = |word: usize, lsb: u32, w: u32| {
        desc.slice((word as u32 - tx::ADDR_WORD as u32) * 64 + lsb, w)
    };
    let values: Vec<Expr> = vec![
        dg(d_now(tx::ADDR_WORD, 0, 48), &caller[0]),
        (&local_mac).into(),
        dg(local_ip.clone().into(), &caller[2]),
        dg(d_now(tx::PORT_WORD, 0, 32), &caller[1]),
        dg(d_now(tx::PORT_WORD, tx::SRC_PORT_LSB, 16), &caller[4]),
        dg(d_now(tx::PORT_WORD, tx::DST_PORT_LSB, 16), &caller[3]),
        total.trunc(16),
        (&sum).into(),
        lit(TTL, 8),
        (&id).into(),
    ];
    for ((f, _), v) in FIELDS.iter().zip(values) {
        m.connect(b, &format!("hdr_{f}"), v);
    }
    m.when(&hdr_go & &h_ready, |m| {
        m.set(&hdr_go, 0);
        m.set(&id, &id + lit(1, 16));
        m.set(&second, 1);
        m.set(&rq, lit(0, 17));
        m.set(&pass_done, 0);
        m.set(&state, PASS);
    });
    m.when(&pass_end & &second, |m| m.set(&state, FREE));
    stat(&mut m, "sent", &pass_end & &second & &datagram);
    // A slot goes back to the receive path; a TX buffer to the endpoints, at once.
    m.set(&free_valid, at(FREE) & !&datagram);
    m.set(&sent_valid, at(FREE) & &datagram);
    let freed = m.node("freed", at(FREE) & (&datagram | &free_ready));
    m.when(&freed, |m| m.set(&state, IDLE));
    stat(&mut m, "replies", &freed & !&datagram);
    let out = Axis::source(&mut m, "m_axis_tx", AxisCfg::net(wn));
    for f in ["tdata", "tkeep", "tlast", "tvalid", "tuser"] {
        let x = m.inst_output(b, &format!("m_axis_{f}"));
        let o = match f {
            "tdata" => &out.tdata,
            "tkeep" => &out.tkeep,
            "tlast" => &out.tlast,
            "tvalid" => &out.tvalid,
            _ => out.tuser.as_ref().unwrap(),
        };
        m.set(o, &x);
    }
    m.connect(b, "m_axis_tready", &out.tready);
    m.finish()
}

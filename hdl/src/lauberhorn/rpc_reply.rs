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
//! A response with [`ctrl::RING`] set was answered through an ICT TX ring (results
//! larger than the lines): its slot is freed at once, nothing sent (`stat_ring_replies`).
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
use crate::bundles::{Axis, AxisCfg, Side};
use crate::ir::{cat, clog2, lit, Expr, HdlErrors, Inst, Module, ModuleBuilder, PortDir, Sig};
use crate::lauberhorn::coherence::{ctrl, tx, KERNEL, LINE_BITS, LINE_BYTES};
use crate::lauberhorn::endpoints::{self, EndpointsCfg};
use crate::lauberhorn::rpc_rx;
use std::rc::Rc;

/// Bytes of the accepted-reply header in front of the results.
pub const REPLY_HEADER: u32 = 24;
/// RFC 5531 `accept_stat` SYSTEM_ERR.
pub const SYSTEM_ERR: u64 = 5;
/// TTL of replies.
pub const TTL: u64 = 64;
/// Read words in flight or waiting, at most.
const READ_DEPTH: u64 = 4;

/// States of the message being sent.
const IDLE: u64 = 0;
/// Reading word 0 of the slot, or the TX buffer's descriptor.
const HEAD: u64 = 1;
/// A pass over the payload.
const PASS: u64 = 2;
/// Waiting for the first pass's sum.
const SUM: u64 = 3;
/// Handing the slot or the TX buffer back.
const FREE: u64 = 4;

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
    AxisCfg::validate_nic_width(&name, wn)?;
    let d = Dims::new(&cfg);
    let builder = udp_tx_build(wn)?;
    let summer = checksum(wn)?;
    let mut m = ModuleBuilder::new(&name);
    m.doc(format!(
        "Lauberhorn transmit path, {wn}-bit MAC, {wc}-bit slot words: accepted ONC-RPC replies\n\
         with up to {} result bytes, built from the slots, and the datagrams of {} cores' TX lines.",
        cfg.capacity(),
        cfg.cores
    ));
    // Signals are declared in the order these calls create them: keep it, and the Verilog
    // keeps its shape.
    let mut ports = Ports::new(&mut m, &cfg, &d);
    ports.caller = ports.caller.registered(&mut m);
    let job = Job::new(&mut m, &d, &ports);
    take_turns(&mut m, &ports, &job);
    let size = payload_size(&mut m);
    let reads = slot_reads(&mut m, &d, &ports, &job, &size)?;
    let head_in = header_read(&mut m, &cfg, &d, &ports, &job, &reads, &size);
    let beats = words_to_beats(&mut m, &d, &job, &size, &reads, &head_in.arrives);
    let payload = payload_beats(&mut m, &d, &ports.caller.xid, &job, &size, &beats);
    let sinks = pass_sinks(&mut m, &summer, &builder, &job, &beats, &payload);
    frame_header(
        &mut m,
        &ports,
        &job,
        &size,
        &reads,
        &head_in.descriptor,
        &sinks,
    );
    release(&mut m, &ports, &job, &payload.pass_end);
    mac_output(&mut m, &d, sinks.builder);
    // Port groups declared by hand where they are used, in port order.
    endpoints::RequestDone::mark(&mut m, Side::Sink);
    rpc_rx::ErrorDone::mark(&mut m, Side::Sink);
    rpc_rx::CallMeta::mark_with(&mut m, Side::Sink, &[("slot", false)]);
    endpoints::TxSend::mark(&mut m, Side::Sink);
    endpoints::TxBufferDone::mark(&mut m, Side::Source);
    endpoints::SlotRead::mark(&mut m, Side::Source);
    rpc_rx::FreeSlot::mark(&mut m, Side::Source);
    m.finish()
}

/// Sizes derived from the configuration.
struct Dims {
    /// Bits of a MAC beat and of a slot word.
    beat_bits: u32,
    word_bits: u32,
    /// Bytes of a MAC beat and of a slot word.
    beat_bytes: u32,
    word_bytes: u32,
    /// Bits of a slot number, of a word's index in its slot, of an endpoint number and of
    /// `slot_rd_addr`.
    slot_bits: u32,
    slot_word_bits: u32,
    endpoint_bits: u32,
    read_addr_bits: u32,
}

impl Dims {
    fn new(cfg: &RpcReplyCfg) -> Dims {
        let ecfg = cfg.endpoints();
        Dims {
            beat_bits: cfg.net_width,
            word_bits: cfg.coh_width,
            beat_bytes: cfg.net_width / 8,
            word_bytes: cfg.coh_width / 8,
            slot_bits: clog2(u64::from(cfg.slots)),
            slot_word_bits: cfg.slot_words().trailing_zeros(),
            endpoint_bits: ecfg.ep_width(),
            read_addr_bits: ecfg.rd_addr_width(),
        }
    }
}

/// A handler finished a slot, and whether it wrote a result.
struct Done {
    valid: Sig,
    ready: Sig,
    slot: Sig,
    wrote: Sig,
}

/// The receive path wrote an error reply into a slot.
struct ErrorDone {
    valid: Sig,
    ready: Sig,
    slot: Sig,
}

/// The call a reply answers, as `rpc_rx` kept it, of the slot on `meta_slot`.
struct Caller {
    src_mac: Sig,
    src_ip: Sig,
    dst_ip: Sig,
    src_port: Sig,
    dst_port: Sig,
    xid: Sig,
}

impl Caller {
    /// The fields registered. They come out of the receive path's slot memory (a LUTRAM
    /// read at `meta_slot`), and the header's checksum adders came right after: seven LUT
    /// levels. The job's slot is set at least two cycles before the payload or the header
    /// uses them (the job waits in HEAD for the slot's word 0).
    fn registered(&self, m: &mut ModuleBuilder) -> Caller {
        let r = |m: &mut ModuleBuilder, f: &str, v: &Sig| {
            let reg = m.reg(&format!("caller_{f}"), v.width());
            m.set(&reg, v);
            reg
        };
        Caller {
            src_mac: r(m, "src_mac", &self.src_mac),
            src_ip: r(m, "src_ip", &self.src_ip),
            dst_ip: r(m, "dst_ip", &self.dst_ip),
            src_port: r(m, "src_port", &self.src_port),
            dst_port: r(m, "dst_port", &self.dst_port),
            xid: r(m, "xid", &self.xid),
        }
    }
}

/// A core rang the doorbell on a TX buffer.
struct TxSend {
    valid: Sig,
    ready: Sig,
    ep: Sig,
    buf: Sig,
}

/// A TX buffer goes back to its endpoint.
struct TxDone {
    valid: Sig,
    ep: Sig,
    buf: Sig,
}

/// Word reads from the slot RAM and the TX buffers.
struct SlotRead {
    valid: Sig,
    ready: Sig,
    addr: Sig,
    data: Sig,
    data_valid: Sig,
}

/// A slot goes back to the receive path.
struct Free {
    valid: Sig,
    ready: Sig,
    slot: Sig,
}

/// The path's ports, in the order the module declares them.
struct Ports {
    done: Done,
    err_done: ErrorDone,
    meta_slot: Sig,
    caller: Caller,
    send: TxSend,
    sent: TxDone,
    slot_rd: SlotRead,
    free: Free,
    local_mac: Sig,
    local_ip: Sig,
    /// Per core, the source port its user endpoint may send from.
    tx_port: Sig,
}

impl Ports {
    fn new(m: &mut ModuleBuilder, cfg: &RpcReplyCfg, d: &Dims) -> Ports {
        let gp = |m: &mut ModuleBuilder, g: &str, f: &str, w: u32, d| m.group_port(g, f, w, d);
        let slot_bits = d.slot_bits;
        let endpoint_bits = d.endpoint_bits;
        Ports {
            done: Done {
                valid: gp(m, "done", "valid", 1, PortDir::In),
                ready: gp(m, "done", "ready", 1, PortDir::Out),
                slot: gp(m, "done", "slot", slot_bits, PortDir::In),
                wrote: gp(m, "done", "wrote", 1, PortDir::In),
            },
            err_done: ErrorDone {
                valid: gp(m, "err_done", "valid", 1, PortDir::In),
                ready: gp(m, "err_done", "ready", 1, PortDir::Out),
                slot: gp(m, "err_done", "slot", slot_bits, PortDir::In),
            },
            meta_slot: gp(m, "meta", "slot", slot_bits, PortDir::Out),
            caller: Caller {
                src_mac: gp(m, "meta", "src_mac", 48, PortDir::In),
                src_ip: gp(m, "meta", "src_ip", 32, PortDir::In),
                dst_ip: gp(m, "meta", "dst_ip", 32, PortDir::In),
                src_port: gp(m, "meta", "src_port", 16, PortDir::In),
                dst_port: gp(m, "meta", "dst_port", 16, PortDir::In),
                xid: gp(m, "meta", "xid", 32, PortDir::In),
            },
            send: TxSend {
                valid: gp(m, "tx_send", "valid", 1, PortDir::In),
                ready: gp(m, "tx_send", "ready", 1, PortDir::Out),
                ep: gp(m, "tx_send", "ep", endpoint_bits, PortDir::In),
                buf: gp(m, "tx_send", "buf", 1, PortDir::In),
            },
            sent: TxDone {
                valid: gp(m, "tx_done", "valid", 1, PortDir::Out),
                ep: gp(m, "tx_done", "ep", endpoint_bits, PortDir::Out),
                buf: gp(m, "tx_done", "buf", 1, PortDir::Out),
            },
            slot_rd: SlotRead {
                valid: gp(m, "slot_rd", "valid", 1, PortDir::Out),
                ready: gp(m, "slot_rd", "ready", 1, PortDir::In),
                addr: gp(m, "slot_rd", "addr", d.read_addr_bits, PortDir::Out),
                data: gp(m, "slot_rd", "data", d.word_bits, PortDir::In),
                data_valid: gp(m, "slot_rd", "data_valid", 1, PortDir::In),
            },
            free: Free {
                valid: gp(m, "free", "valid", 1, PortDir::Out),
                ready: gp(m, "free", "ready", 1, PortDir::In),
                slot: gp(m, "free", "slot", slot_bits, PortDir::Out),
            },
            local_mac: m.input("local_mac", 48),
            local_ip: m.input("local_ip", 32),
            tx_port: m.input("tx_port", 16 * cfg.cores),
        }
    }
}

/// A statistics pulse, `stat_<field>`, from a register.
fn stat(m: &mut ModuleBuilder, field: &str, value: Expr) {
    let o = m.output(&format!("stat_{field}"), 1);
    let r = m.reg_reset(&format!("stat_{field}_r"), 1, 0);
    m.set(&r, value);
    m.set(&o, &r);
}

/// The message being sent: a reply from a slot or a datagram from a TX buffer.
struct Job {
    /// IDLE, HEAD, PASS, SUM or FREE.
    state: Sig,
    slot: Sig,
    /// The handler wrote a result (an error reply counts as written).
    wrote: Sig,
    /// The handler answered through an ICT TX ring: free the slot, send nothing.
    ring: Sig,
    /// The reply's `accept_stat`.
    status: Sig,
    /// The pass feeds the frame builder (the first one feeds the checksum).
    second_pass: Sig,
    /// A datagram, not a reply.
    datagram: Sig,
    /// The TX buffer: {endpoint, buffer}.
    tx_buffer: Sig,
    /// Replies and datagrams take turns.
    last_was_reply: Sig,
    /// The header word's read has been asked for.
    head_asked: Sig,
    /// This pass has sent its last beat.
    pass_done: Sig,
}

impl Job {
    fn new(m: &mut ModuleBuilder, d: &Dims, ports: &Ports) -> Job {
        let job = Job {
            state: m.reg_reset("state", 3, IDLE),
            slot: m.reg("slot", d.slot_bits),
            wrote: m.reg("wrote", 1),
            ring: m.reg("ring", 1),
            status: m.reg("accept_stat", 8),
            second_pass: m.reg("second_pass", 1),
            datagram: m.reg("datagram", 1),
            tx_buffer: m.reg("tx_buffer", d.endpoint_bits + 1),
            last_was_reply: m.reg_reset("last_was_reply", 1, 0),
            head_asked: m.reg_reset("head_asked", 1, 0),
            pass_done: m.reg_reset("pass_done", 1, 0),
        };
        m.set(&ports.meta_slot, &job.slot);
        m.set(&ports.free.slot, &job.slot);
        m.set(&ports.sent.ep, job.tx_buffer.slice(1, d.endpoint_bits));
        m.set(&ports.sent.buf, job.tx_buffer.bit(0));
        job
    }

    /// The job is in `state`.
    fn at(&self, state: u64) -> Expr {
        Expr::from(&self.state).eq(state)
    }
}

/// Replies and datagrams take turns when both wait.
fn take_turns(m: &mut ModuleBuilder, ports: &Ports, job: &Job) {
    let (done, err, send) = (&ports.done, &ports.err_done, &ports.send);
    let reply_turn = m.node(
        "reply_turn",
        job.at(IDLE) & (!&send.valid | !&job.last_was_reply),
    );
    let take_done = m.node("take_done", &reply_turn & &done.valid);
    let take_err = m.node("take_error", &reply_turn & &err.valid & !&done.valid);
    let take_reply = m.node("take_reply", &take_done | &take_err);
    let take_send = m.node("take_send", job.at(IDLE) & &send.valid & !&take_reply);
    m.set(&done.ready, &take_done);
    m.set(&err.ready, &take_err);
    m.set(&send.ready, &take_send);
    m.when(&take_reply | &take_send, |m| {
        m.set(&job.datagram, &take_send);
        m.set(&job.last_was_reply, &take_reply);
        m.set(&job.slot, take_err.mux(&err.slot, &done.slot));
        m.set(&job.wrote, &take_err | &done.wrote);
        m.set(
            &job.tx_buffer,
            cat([Expr::from(&send.ep), Expr::from(&send.buf)]),
        );
        m.set(&job.state, HEAD);
        m.set(&job.head_asked, 0);
    });
}

/// The payload's size: bytes, and the index of its last slot word and of its last MAC
/// beat (every payload sent has a byte: a reply its header, a datagram is checked for it).
/// Registered as the header word arrives, from the length it brings: computed from a
/// registered length after, the adders and compares put in front of the checksum made a
/// path of seven LUT levels.
struct PayloadSize {
    bytes: Sig,
    last_word: Sig,
    last_beat: Sig,
}

fn payload_size(m: &mut ModuleBuilder) -> PayloadSize {
    PayloadSize {
        bytes: m.reg("payload_bytes", 16),
        last_word: m.reg("payload_last_word", 17),
        last_beat: m.reg("payload_last_beat", 17),
    }
}

impl PayloadSize {
    /// Sets the size when `arrives`, for a payload of `len` bytes (and a reply's header
    /// unless `datagram`).
    fn load(&self, m: &mut ModuleBuilder, d: &Dims, arrives: &Sig, len: &Expr, datagram: &Sig) {
        let len = len.zext(17);
        let header = lit(u64::from(REPLY_HEADER), 17);
        let bytes = datagram.mux(len.clone(), &len + header.clone());
        let last_byte = datagram.mux(len.clone() - lit(1, 17), len + header - lit(1, 17));
        m.when(arrives, |m| {
            // A payload fits an IPv4 datagram: 16 bits.
            m.set(&self.bytes, bytes.trunc(16));
            m.set(
                &self.last_word,
                last_byte.shr(d.word_bytes.trailing_zeros()),
            );
            m.set(
                &self.last_beat,
                last_byte.shr(d.beat_bytes.trailing_zeros()),
            );
        });
    }
}

/// The words read, waiting in a FIFO for their beats.
struct Reads {
    words_asked: Sig,
    words: Inst,
}

/// Reads: word 0 of a slot, or the TX buffer's last 16 bytes, for the header; then the
/// payload's words, pass after pass.
fn slot_reads(
    m: &mut ModuleBuilder,
    d: &Dims,
    ports: &Ports,
    job: &Job,
    size: &PayloadSize,
) -> Result<Reads, HdlErrors> {
    let (word_bits, slot_word_bits, addr_bits) = (d.word_bits, d.slot_word_bits, d.read_addr_bits);
    let rd = &ports.slot_rd;
    let asked = m.reg_reset("words_asked", 17, 0);
    let inflight = m.reg_reset("reads_inflight", 3, 0);
    let words = m.instance(
        "read_words",
        &sync_fifo(SyncFifoCfg::new(word_bits, READ_DEPTH))?,
    );
    let words_count = m.inst_output(words, "count");
    let words_sready = m.inst_output(words, "s_ready");
    m.unused(&words_sready); // the reads in flight leave room
    let room = m.node(
        "read_room",
        (words_count.zext(4) + inflight.zext(4)).lt(READ_DEPTH),
    );
    // A TX buffer's descriptor is in its last word (words are at least 16 bytes).
    let line_words = LINE_BITS / word_bits;
    let line_word_bits = line_words.trailing_zeros();
    let head_rd = m.node("read_head", job.at(HEAD) & !&job.head_asked);
    let body_rd = m.node(
        "read_body",
        job.at(PASS) & Expr::from(&asked).le(&size.last_word) & &room,
    );
    m.set(&rd.valid, &head_rd | &body_rd);
    let slot_addr = cat([
        Expr::from(&job.slot),
        head_rd.mux(lit(0, slot_word_bits), asked.trunc(slot_word_bits)),
    ])
    .zext(addr_bits - 1);
    let mut tx_word = vec![Expr::from(&job.tx_buffer)];
    if line_word_bits > 0 {
        let last = lit(u64::from(line_words - 1), line_word_bits);
        tx_word.push(head_rd.mux(last, asked.trunc(line_word_bits)));
    }
    let tx_addr = cat(tx_word).zext(addr_bits - 1);
    m.set(
        &rd.addr,
        cat([
            Expr::from(&job.datagram),
            job.datagram.mux(tx_addr, slot_addr),
        ]),
    );
    m.when(&head_rd & &rd.ready, |m| m.set(&job.head_asked, 1));
    m.when(&body_rd & &rd.ready, |m| m.set(&asked, &asked + lit(1, 17)));
    let body_dv = m.node("body_data", &rd.data_valid & job.at(PASS));
    m.set(
        &inflight,
        &inflight + (&body_rd & &rd.ready).zext(3) - body_dv.zext(3),
    );
    m.connect(words, "s_valid", &body_dv);
    m.connect(words, "s_data", &rd.data);
    Ok(Reads {
        words_asked: asked,
        words,
    })
}

/// The header word as it arrives.
struct HeaderIn {
    /// The word arrives this cycle.
    arrives: Sig,
    /// The TX descriptor: {port word, address word}, the last 16 bytes of the line.
    descriptor: Sig,
}

/// Word 0 sets a reply's length and status; a TX buffer's descriptor, a datagram's length
/// and whether it may be sent.
fn header_read(
    m: &mut ModuleBuilder,
    cfg: &RpcReplyCfg,
    d: &Dims,
    ports: &Ports,
    job: &Job,
    reads: &Reads,
    size: &PayloadSize,
) -> HeaderIn {
    let (rd, endpoint_bits) = (&ports.slot_rd, d.endpoint_bits);
    let word0 = rd.data.trunc(64);
    let result_len = word0.slice(ctrl::LEN_LSB, 16);
    let result_stat = word0.slice(ctrl::STAT_LSB, 8);
    let good = m.node(
        "result_ok",
        &job.wrote & result_len.le(u64::from(cfg.capacity())),
    );
    let ring = m.node("ring_answered", &job.wrote & word0.bit(ctrl::RING));
    let descriptor = m.reg("tx_descriptor", 128);
    m.unused(&descriptor); // the length is taken as it arrives
    let desc_next = m.node("tx_descriptor_next", rd.data.slice(d.word_bits - 128, 128));
    let arrives = m.node("head_in", &rd.data_valid & job.at(HEAD));
    m.when(&arrives, |m| m.set(&descriptor, &desc_next));
    let tx_len = descriptor_field(&desc_next, tx::ADDR_WORD, tx::LEN_LSB, 16);
    let tx_src_port = descriptor_field(&desc_next, tx::PORT_WORD, tx::SRC_PORT_LSB, 16);
    let allowed_port = if cfg.cores == 1 {
        Expr::from(&ports.tx_port)
    } else {
        pick(
            &ports.tx_port.clone().into(),
            &job.tx_buffer.slice(2, endpoint_bits - 1),
            16,
        )
    };
    let is_kernel = job.tx_buffer.bit(1).eq(u64::from(KERNEL));
    let datagram_ok = m.node(
        "datagram_ok",
        tx_len.ne(0u64)
            & tx_len.le(u64::from(tx::PAYLOAD))
            & (is_kernel | tx_src_port.eq(allowed_port)),
    );
    let len = m.node(
        "payload_len",
        job.datagram
            .mux(tx_len.clone(), good.mux(result_len, lit(0, 16))),
    );
    size.load(m, d, &arrives, &len.clone().into(), &job.datagram);
    m.when(&arrives, |m| {
        m.set(&job.status, good.mux(result_stat, lit(SYSTEM_ERR, 8)));
        m.set(&job.second_pass, 0);
        m.set(&reads.words_asked, lit(0, 17));
        m.set(&job.pass_done, 0);
        m.set(&job.ring, &ring & !&job.datagram);
        m.set(
            &job.state,
            job.datagram
                .mux(!&datagram_ok, &ring)
                .mux(lit(FREE, 3), lit(PASS, 3)),
        );
    });
    stat(m, "bad_result", &arrives & !&job.datagram & !&good & !&ring);
    stat(m, "tx_dropped", &arrives & &job.datagram & !&datagram_ok);
    HeaderIn {
        arrives,
        descriptor,
    }
}

/// Bits `lsb..lsb + width` of 64-bit `word` of a TX buffer, in its 128-bit descriptor.
fn descriptor_field(descriptor: &Sig, word: usize, lsb: u32, width: u32) -> Expr {
    descriptor.slice((word as u32 - tx::ADDR_WORD as u32) * 64 + lsb, width)
}

/// MAC beats made of the words read, one beat in flight at a time.
struct Beats {
    index: Sig,
    valid: Sig,
    data: Expr,
    /// The pass's sink takes a beat.
    sink_ready: Sig,
    take: Sig,
}

/// The read words at the head of their FIFO.
struct WordOut {
    fifo: Inst,
    valid: Sig,
    data: Sig,
}

fn words_to_beats(
    m: &mut ModuleBuilder,
    d: &Dims,
    job: &Job,
    size: &PayloadSize,
    reads: &Reads,
    head_in: &Sig,
) -> Beats {
    let words = WordOut {
        fifo: reads.words,
        valid: m.inst_output(reads.words, "m_valid"),
        data: m.inst_output(reads.words, "m_data"),
    };
    let index = m.reg_reset("beat_index", 17, 0);
    let sink_ready = m.wire("sink_ready", 1);
    let take = m.node("beat_take", Expr::from(&sink_ready));
    let (valid, data) = if d.word_bits >= d.beat_bits {
        split_words(m, d, job, &words, &take)
    } else {
        gather_words(m, d, job, size, &words, &take, head_in)
    };
    Beats {
        index,
        valid,
        data,
        sink_ready,
        take,
    }
}

/// Words as wide as a beat or wider: each word is cut into beats.
fn split_words(
    m: &mut ModuleBuilder,
    d: &Dims,
    job: &Job,
    words: &WordOut,
    take: &Sig,
) -> (Sig, Expr) {
    let beats_per_word = d.word_bits / d.beat_bits;
    let beat_of_word = (beats_per_word > 1)
        .then(|| m.reg_reset("beat_of_word", clog2(u64::from(beats_per_word)), 0));
    let last_of_word = match &beat_of_word {
        Some(s) => Expr::from(s).eq(u64::from(beats_per_word - 1)),
        None => lit(1, 1),
    };
    // Beats of the last word past the payload's end are skipped without going out.
    let extra = m.node("beat_extra", Expr::from(&job.pass_done));
    let valid = m.node("beat_valid", &words.valid & !&extra);
    let data = match &beat_of_word {
        Some(s) => pick(&words.data.clone().into(), &s.clone().into(), d.beat_bits),
        None => words.data.clone().into(),
    };
    // The rest of a word past the payload's end goes at once, so the next pass (or
    // reply) starts with a fresh word.
    let step = m.node("beat_step", &valid & take);
    if let Some(s) = &beat_of_word {
        m.when(&step, |m| {
            m.set(
                s,
                last_of_word.mux(lit(0, s.width()), s + lit(1, s.width())),
            )
        });
        m.when(&words.valid & &extra, |m| m.set(s, lit(0, s.width())));
    }
    m.connect(
        words.fifo,
        "m_ready",
        &words.valid & (&extra | (&step & last_of_word)),
    );
    (valid, data)
}

/// Words narrower than a beat: words are gathered into beats; the payload's last word
/// completes a beat.
fn gather_words(
    m: &mut ModuleBuilder,
    d: &Dims,
    job: &Job,
    size: &PayloadSize,
    words: &WordOut,
    take: &Sig,
    head_in: &Sig,
) -> (Sig, Expr) {
    let (beat_bits, word_bits) = (d.beat_bits, d.word_bits);
    let words_per_beat = beat_bits / word_bits;
    m.unused(&job.pass_done); // beats end with the payload's last word: none to skip
    let got = m.reg_reset("words_in_beat", clog2(u64::from(words_per_beat)), 0);
    let acc = m.reg("beat_acc", beat_bits - word_bits);
    let words_used = m.reg_reset("words_used", 17, 0);
    let last_word = m.node("last_word", Expr::from(&words_used).eq(&size.last_word));
    let completes = m.node(
        "beat_completes",
        Expr::from(&got).eq(u64::from(words_per_beat - 1)) | &last_word,
    );
    let valid = m.node("beat_valid", &words.valid & &completes);
    let data = place(
        &acc.clone().into(),
        &got.clone().into(),
        &words.data.clone().into(),
        words_per_beat,
    );
    let step = m.node("beat_step", &words.valid & (!&completes | take));
    m.when(&step, |m| {
        m.set(
            &got,
            completes.mux(lit(0, got.width()), &got + lit(1, got.width())),
        );
        m.set(&words_used, &words_used + lit(1, 17));
        m.when(!&completes, |m| {
            m.set(&acc, data.trunc(beat_bits - word_bits))
        });
    });
    m.when(head_in, |m| m.set(&words_used, lit(0, 17)));
    m.when(&step & &completes & last_word.clone(), |m| {
        m.set(&words_used, lit(0, 17))
    });
    m.connect(words.fifo, "m_ready", &step);
    (valid, data)
}

/// The payload beat as it goes out: a reply's header over its first bytes, the bytes kept.
struct Payload {
    data: Sig,
    keep: Sig,
    last: Sig,
    /// The pass's last beat goes out.
    pass_end: Sig,
}

fn payload_beats(
    m: &mut ModuleBuilder,
    d: &Dims,
    xid: &Sig,
    job: &Job,
    size: &PayloadSize,
    beats: &Beats,
) -> Payload {
    let beat_bytes = d.beat_bytes;
    let last = m.node("beat_last", Expr::from(&beats.index).eq(&size.last_beat));
    // The reply header over the payload's first 24 bytes.
    let header = reply_header(xid, &job.status);
    let lanes: Vec<Expr> = (0..beat_bytes)
        .map(|j| {
            let own = beats.data.slice(j * 8, 8);
            let covered: Vec<u32> = (0..REPLY_HEADER.div_ceil(beat_bytes))
                .filter(|k| k * beat_bytes + j < REPLY_HEADER)
                .collect();
            covered.iter().fold(own, |acc, &k| {
                (Expr::from(&beats.index).eq(u64::from(k)) & !&job.datagram)
                    .mux(header[(k * beat_bytes + j) as usize].clone(), acc)
            })
        })
        .rev()
        .collect();
    let data = m.node("payload_beat", cat(lanes));
    let rem = size.bytes.trunc(beat_bytes.trailing_zeros());
    // Lane j of the last beat holds a byte when the remainder is past j, or is 0 (full).
    let keep_last = cat((0..beat_bytes).rev().map(|j| {
        if j + 1 == beat_bytes {
            rem.eq(0u64)
        } else {
            rem.eq(0u64) | rem.gt(u64::from(j))
        }
    }));
    let keep = m.node(
        "payload_keep",
        last.mux(keep_last, lit(1, 1).repeat(beat_bytes)),
    );
    m.when(&beats.valid & &beats.take, |m| {
        m.set(
            &beats.index,
            last.mux(lit(0, 17), &beats.index + lit(1, 17)),
        );
    });
    let pass_end = m.node("pass_end", &beats.valid & &beats.take & &last);
    m.when(&pass_end, |m| m.set(&job.pass_done, 1));
    Payload {
        data,
        keep,
        last,
        pass_end,
    }
}

/// The accepted-reply header's bytes in wire order: `xid`, REPLY, MSG_ACCEPTED, an
/// AUTH_NONE verifier (flavor and length 0) and `accept_stat`.
fn reply_header(xid: &Sig, status: &Sig) -> Vec<Expr> {
    let mut header: Vec<Expr> = (0..4).rev().map(|i| xid.slice(i * 8, 8)).collect();
    for word in [1u64, 0, 0, 0] {
        header.extend((0..4).rev().map(|i| lit(word >> (8 * i) & 0xff, 8)));
    }
    header.extend([lit(0, 8), lit(0, 8), lit(0, 8), Expr::from(status)]);
    header
}

/// Where a pass's beats go: the checksum (pass 1) and the frame builder (pass 2).
struct Sinks {
    summer: Inst,
    builder: Inst,
}

fn pass_sinks(
    m: &mut ModuleBuilder,
    summer: &Rc<Module>,
    builder: &Rc<Module>,
    job: &Job,
    beats: &Beats,
    payload: &Payload,
) -> Sinks {
    let summer = m.instance("payload_sum", summer);
    m.connect(
        summer,
        "s_axis_tvalid",
        &beats.valid & !&job.second_pass & job.at(PASS),
    );
    m.connect(summer, "s_axis_tdata", &payload.data);
    m.connect(summer, "s_axis_tkeep", &payload.keep);
    m.connect(summer, "s_axis_tlast", &payload.last);
    let summer_ready = m.inst_output(summer, "s_axis_tready");
    m.unused(&summer_ready); // always ready
    let builder = m.instance("builder", builder);
    let builder_ready = m.inst_output(builder, "s_axis_tready");
    m.connect(
        builder,
        "s_axis_tvalid",
        &beats.valid & &job.second_pass & job.at(PASS),
    );
    m.connect(builder, "s_axis_tdata", &payload.data);
    m.connect(builder, "s_axis_tkeep", &payload.keep);
    m.connect(builder, "s_axis_tlast", &payload.last);
    m.set(
        &beats.sink_ready,
        job.at(PASS) & (!&job.second_pass | &builder_ready),
    );
    m.when(&payload.pass_end & !&job.second_pass, |m| {
        m.set(&job.state, SUM)
    });
    Sinks { summer, builder }
}

/// With the first pass's sum, the frame's header goes to the builder and the second pass
/// starts. Replies go back to the caller; datagrams where their descriptor says.
fn frame_header(
    m: &mut ModuleBuilder,
    ports: &Ports,
    job: &Job,
    size: &PayloadSize,
    reads: &Reads,
    descriptor: &Sig,
    sinks: &Sinks,
) {
    let builder = sinks.builder;
    let sum = m.reg("payload_sum_r", 16);
    let sum_valid = m.inst_output(sinks.summer, "csum_valid");
    let sum_now = m.inst_output(sinks.summer, "csum");
    let header_go = m.reg_reset("header_go", 1, 0);
    m.when(job.at(SUM) & &sum_valid, |m| {
        m.set(&sum, &sum_now);
        m.set(&header_go, 1);
    });
    let header_ready = m.inst_output(builder, "hdr_ready");
    m.connect(builder, "hdr_valid", &header_go);
    let ip_id = m.reg_reset("ip_id", 16, 0);
    let caller = &ports.caller;
    let dg = |datagram: Expr, reply: &Sig| job.datagram.mux(datagram, reply);
    let desc = |word, lsb, width| descriptor_field(descriptor, word, lsb, width);
    // In the order of FIELDS.
    let values: Vec<Expr> = vec![
        dg(desc(tx::ADDR_WORD, 0, 48), &caller.src_mac),
        (&ports.local_mac).into(),
        dg(ports.local_ip.clone().into(), &caller.dst_ip),
        dg(desc(tx::PORT_WORD, 0, 32), &caller.src_ip),
        dg(desc(tx::PORT_WORD, tx::SRC_PORT_LSB, 16), &caller.dst_port),
        dg(desc(tx::PORT_WORD, tx::DST_PORT_LSB, 16), &caller.src_port),
        (&size.bytes).into(),
        (&sum).into(),
        lit(TTL, 8),
        (&ip_id).into(),
    ];
    for ((f, _), v) in FIELDS.iter().zip(values) {
        m.connect(builder, &format!("hdr_{f}"), v);
    }
    m.when(&header_go & &header_ready, |m| {
        m.set(&header_go, 0);
        m.set(&ip_id, &ip_id + lit(1, 16));
        m.set(&job.second_pass, 1);
        m.set(&reads.words_asked, lit(0, 17));
        m.set(&job.pass_done, 0);
        m.set(&job.state, PASS);
    });
}

/// After the second pass: a slot goes back to the receive path; a TX buffer to the
/// endpoints, at once.
fn release(m: &mut ModuleBuilder, ports: &Ports, job: &Job, pass_end: &Sig) {
    m.when(pass_end & &job.second_pass, |m| m.set(&job.state, FREE));
    stat(m, "sent", pass_end & &job.second_pass & &job.datagram);
    m.set(&ports.free.valid, job.at(FREE) & !&job.datagram);
    m.set(&ports.sent.valid, job.at(FREE) & &job.datagram);
    let freed = m.node("freed", job.at(FREE) & (&job.datagram | &ports.free.ready));
    m.when(&freed, |m| m.set(&job.state, IDLE));
    stat(m, "replies", &freed & !&job.datagram & !&job.ring);
    stat(m, "ring_replies", &freed & &job.ring);
}

/// The builder's frames are the MAC stream.
fn mac_output(m: &mut ModuleBuilder, d: &Dims, builder: Inst) {
    let out = Axis::source(m, "m_axis_tx", AxisCfg::net(d.beat_bits));
    for f in ["tdata", "tkeep", "tlast", "tvalid", "tuser"] {
        let x = m.inst_output(builder, &format!("m_axis_{f}"));
        let o = match f {
            "tdata" => &out.tdata,
            "tkeep" => &out.tkeep,
            "tlast" => &out.tlast,
            "tvalid" => &out.tvalid,
            _ => out.tuser.as_ref().unwrap(),
        };
        m.set(o, &x);
    }
    m.connect(builder, "m_axis_tready", &out.tready);
}

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

use super::ict::{self, DmaEvent, TxDoorbell, TxUpdate};
use super::nic_block::{NpTx, NpTxDone};
use crate::blocks::axis_packet_fifo::{axis_packet_fifo, PacketFifoCfg};
use crate::blocks::axis_register::axis_register;
use crate::blocks::byte_shifter::{byte_shifter, ByteShifterCfg};
use crate::blocks::checksum::checksum;
use crate::blocks::dma_burst::DmaCfg;
use crate::blocks::dma_read::dma_read;
use crate::blocks::frame_merge::merge_frames;
use crate::blocks::onehot::{above, encode, rr_pick};
use crate::blocks::sync_fifo::{sync_fifo, SyncFifoCfg};
use crate::blocks::udp_tx_build::udp_tx_build;
use crate::bundles::{Axis, AxisCfg, Side};
use crate::ir::{
    cat, clog2, lit, Expr, HdlErrors, Inst, Layout, Module, ModuleBuilder, PortDir, Record, Sig,
};
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
/// Depth of the header FIFOs between the splitter and the frame builder.
const HEADER_DEPTH: u64 = 32;

/// Scheduler states: idle, waiting for tx_info, evaluating it, queueing the turn its
/// verdict allows (a cycle after the checks, which are deep), reading a turn.
const IDLE: u64 = 0;
const WAIT: u64 = 1;
const EVAL: u64 = 2;
const QUEUE: u64 = 3;
const READ: u64 = 4;
const STATE_BITS: u32 = 3;

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

    /// Bytes per bus beat.
    fn lanes(&self) -> u32 {
        self.data_width / 8
    }

    /// Bits of an entry index.
    fn index_bits(&self) -> u32 {
        clog2(u64::from(self.entries))
    }

    /// The stream of host memory and the MAC.
    fn net(&self) -> AxisCfg {
        AxisCfg::net(self.data_width)
    }
}

pub fn accio_tx_offload(cfg: TxOffloadCfg) -> Result<Rc<Module>, HdlErrors> {
    let name = cfg.module_name();
    AxisCfg::validate_nic_width(&name, cfg.data_width)?;
    cfg.dma()
        .validate()
        .map_err(|e| HdlErrors::param(&name, e))?;
    if !(1..=8972).contains(&cfg.max_payload) || !(60..=9014).contains(&cfg.max_frame) {
        return Err(HdlErrors::param(
            &name,
            "max_payload must be 1 to 8972 and max_frame 60 to 9014 bytes",
        ));
    }
    let kids = Children::new(&cfg)?;

    let mut m = ModuleBuilder::new(&name);
    let w = cfg.data_width;
    m.doc(format!(
        "Accio UDP transmit offload, {w}-bit: TX ring records of doorbelled ICT entries become\n\
         UDP/IPv4 frames; normal-path frames are read and sent as they are. One DMA reader."
    ));
    // Signals are declared in the order these calls create them: keep it, and the Verilog
    // keeps its shape.
    let ports = Ports::new(&mut m, &cfg);
    // The scheduler.
    let picker = turn_picker(&mut m, &cfg, &ports);
    let commands = dma_commands(&mut m, &kids.reader, &picker);
    let check = turn_check(&mut m, &cfg, &ports.info, &picker, &commands);
    let turns = turn_fifo(&mut m, &cfg, &ports, &picker, &commands, &check)?;
    schedule(&mut m, &ports, &picker, &commands, &check, &turns);
    // The splitter.
    let turn = current_turn(&mut m, &turns);
    let beat = dma_beat(&mut m, &cfg, commands.dma)?;
    let regs = SplitRegs::new(&mut m, &cfg);
    let parsed = parse_beat(&mut m, &cfg, &turn, &beat, &regs);
    let steering = steer(&mut m, &cfg, &kids, &turn, &beat, &parsed)?;
    let record_end = advance_splitter(&mut m, &cfg, &turns, &regs, &parsed, &steering);
    let reports = report(&mut m, &turn, &parsed, &steering, &record_end);
    turn_flags(&mut m, &ports, &picker, &check, &turns, &turn, &reports);
    // Payloads, their sums and headers.
    let headers = header_fifos(&mut m, &turn, &parsed, &reports, &steering.credit_ok)?;
    let sums = payload_path(&mut m, &cfg, &kids, steering.align);
    let verdict = checked_headers(&mut m, &headers, &sums, &parsed, &reports);
    // The frame builder and the MAC stream.
    let built = frame_builder(&mut m, &cfg, &kids, &ports, &headers, sums.payloads);
    return_credits(&mut m, &headers, &reports, &sums, &verdict, &built);
    mac_arbiter(&mut m, &cfg, built.build, steering.np_frames)?;
    // Port groups declared by hand where they are used, in port order.
    TxDoorbell::mark(&mut m, Side::Sink);
    ict::TxInfo::mark(&mut m, Side::Sink);
    NpTx::mark(&mut m, Side::Sink);
    TxUpdate::mark(&mut m, Side::Source);
    NpTxDone::mark(&mut m, Side::Source);
    DmaEvent::mark(&mut m, Side::Source);
    m.finish()
}

/// The child modules.
struct Children {
    reader: Rc<Module>,
    shifter: Rc<Module>,
    checksum: Rc<Module>,
    payload_fifo: Rc<Module>,
    np_fifo: Rc<Module>,
    builder: Rc<Module>,
}

impl Children {
    fn new(cfg: &TxOffloadCfg) -> Result<Children, HdlErrors> {
        let w = cfg.data_width;
        let net = cfg.net();
        Ok(Children {
            reader: dma_read(cfg.dma())?,
            shifter: byte_shifter(ByteShifterCfg::new(w, record::PAYLOAD as u32 + 1))?,
            checksum: checksum(w)?,
            payload_fifo: axis_packet_fifo(PacketFifoCfg::new(
                net,
                cfg.fifo_beats(cfg.max_payload),
                false,
            ))?,
            np_fifo: axis_packet_fifo(PacketFifoCfg::new(
                net,
                cfg.fifo_beats(cfg.max_frame),
                false,
            ))?,
            builder: udp_tx_build(w)?,
        })
    }
}

/// The entry the ICT reports on `tx_info_*` (the one `Ports::info_index` names).
struct TxInfo {
    enabled: Sig,
    accelerated: Sig,
    local_ip: Sig,
    local_port: Sig,
    remote: Sig,
    remote_mac: Sig,
    base: Sig,
    size: Sig,
    head: Sig,
    tail: Sig,
}

/// A normal-path transmit descriptor: a frame in host memory.
struct NormalPath {
    valid: Sig,
    addr: Sig,
    len: Sig,
    ready: Sig,
}

/// The ports declared up front: the MAC address, doorbells, the ICT's entry and
/// normal-path descriptors (the other ports are declared where they are driven).
struct Ports {
    mac_addr: Sig,
    doorbell_valid: Sig,
    doorbell_index: Sig,
    info_index: Sig,
    info: TxInfo,
    normal_path: NormalPath,
}

impl Ports {
    fn new(m: &mut ModuleBuilder, cfg: &TxOffloadCfg) -> Ports {
        let gin = |m: &mut ModuleBuilder, g: &str, f: &str, w| m.group_port(g, f, w, PortDir::In);
        let gout = |m: &mut ModuleBuilder, g: &str, f: &str, w| m.group_port(g, f, w, PortDir::Out);
        let iw = cfg.index_bits();
        let mac_addr = m.input("mac_addr", 48);
        m.describe(
            &mac_addr,
            "The NIC's MAC address: the source of sent frames.",
        );
        let doorbell_valid = gin(m, "db_tx", "valid", 1);
        let doorbell_index = gin(m, "db_tx", "index", iw);
        let doorbell_ready = gout(m, "db_tx", "ready", 1);
        m.set(&doorbell_ready, 1);
        let info_index = gout(m, "tx_info", "index", iw);
        let info = TxInfo {
            enabled: gin(m, "tx_info", "enabled", 1),
            accelerated: gin(m, "tx_info", "accelerated", 1),
            local_ip: gin(m, "tx_info", "local_ip", 32),
            local_port: gin(m, "tx_info", "local_port", 16),
            remote: gin(m, "tx_info", "remote", 48),
            remote_mac: gin(m, "tx_info", "remote_mac", 48),
            base: gin(m, "tx_info", "base", 64),
            size: gin(m, "tx_info", "size", 32),
            head: gin(m, "tx_info", "head", PTR),
            tail: gin(m, "tx_info", "tail", PTR),
        };
        let normal_path = NormalPath {
            valid: gin(m, "np_tx", "valid", 1),
            addr: gin(m, "np_tx", "addr", 64),
            len: gin(m, "np_tx", "len", 16),
            ready: gout(m, "np_tx", "ready", 1),
        };
        Ports {
            mac_addr,
            doorbell_valid,
            doorbell_index,
            info_index,
            info,
            normal_path,
        }
    }
}

/// A statistics pulse, `stat_<field>`, for the NIC block's counters, a cycle after the
/// event: registered, so the logic deciding it and the counters' enables do not meet in
/// one path.
fn stat(m: &mut ModuleBuilder, field: &str, value: Expr) {
    let o = m.output(&format!("stat_{field}"), 1);
    let r = m.reg_reset(&format!("stat_{field}_r"), 1, 0);
    m.set(&r, value);
    m.set(&o, &r);
}

/// An output `<group>_<field>` driven from a register, so the logic behind it stays out of
/// the ICT's and the NIC block's.
fn registered_output(m: &mut ModuleBuilder, group: &str, field: &str, value: Expr, reset: bool) {
    let o = m.group_port(group, field, value.width(), PortDir::Out);
    let r = if reset {
        m.reg_reset(&format!("{group}_{field}_r"), value.width(), 0)
    } else {
        m.reg(&format!("{group}_{field}_r"), value.width())
    };
    m.set(&r, value);
    m.set(&o, &r);
}

/// Who gets the next turn: entries with a doorbell, round robin, alternating with
/// normal-path descriptors.
struct Picker {
    /// Per entry: a doorbell waits for a turn.
    doorbell: Vec<Sig>,
    /// Per entry: the entry's turn is queued or being parsed.
    in_turn: Vec<Sig>,
    /// Round robin: entries above the last one picked come first.
    rr_after: Sig,
    /// The entry picked among the eligible ones, one-hot.
    pick: Sig,
    /// IDLE, WAIT, EVAL, QUEUE or READ.
    state: Sig,
    /// The entry whose turn is set up; the ICT reports it on `tx_info_*`.
    turn_entry: Sig,
    np_first: Sig,
    /// In idle, a normal-path descriptor or an entry is taken (if the turn FIFO has room).
    take_np: Sig,
    take_entry: Sig,
}

fn turn_picker(m: &mut ModuleBuilder, cfg: &TxOffloadCfg, ports: &Ports) -> Picker {
    let n = cfg.entries as usize;
    let doorbell: Vec<Sig> = (0..n)
        .map(|i| m.reg_reset(&format!("e{i}_doorbell"), 1, 0))
        .collect();
    let in_turn: Vec<Sig> = (0..n)
        .map(|i| m.reg_reset(&format!("e{i}_in_turn"), 1, 0))
        .collect();
    let bits = |v: &[Sig]| cat(v.iter().rev().map(Expr::from));
    let eligible = m.node("entries_eligible", bits(&doorbell) & !bits(&in_turn));
    let rr_after = m.reg_reset("rr_after", n as u32, 0);
    let pick = rr_pick(m, "entry_pick", &eligible, &rr_after);
    let state = m.reg_reset("sched_state", STATE_BITS, IDLE);
    let turn_entry = m.reg("turn_entry", cfg.index_bits());
    let np_first = m.reg_reset("np_first", 1, 0);
    m.describe(
        &np_first,
        "The next turn goes to a normal-path descriptor if one waits.",
    );
    m.set(&ports.info_index, &turn_entry);
    let is_idle = m.node("sched_idle", state.eq(IDLE));
    let any_entry = eligible.any();
    let take_np = m.node(
        "take_np",
        &is_idle & &ports.normal_path.valid & (&np_first | !any_entry.clone()),
    );
    let take_entry = m.node("take_entry", &is_idle & !&take_np & any_entry);
    Picker {
        doorbell,
        in_turn,
        rr_after,
        pick,
        state,
        turn_entry,
        np_first,
        take_np,
        take_entry,
    }
}

/// The turn being read: the DMA reader and the commands it gets, [`CHUNK`] bytes at most.
struct ReadCommands {
    base: Sig,
    mask: Sig,
    offset: Sig,
    left: Sig,
    dma: Inst,
    /// Bytes of the next command.
    chunk: Sig,
    /// The reader takes a command this cycle.
    fire: Sig,
}

fn dma_commands(m: &mut ModuleBuilder, reader: &Rc<Module>, picker: &Picker) -> ReadCommands {
    let base = m.reg("read_base", 64);
    let mask = m.reg("read_mask", 32);
    let offset = m.reg("read_offset", PTR);
    let left = m.reg("read_left", PTR);
    let dma = m.instance("dma", reader);
    let cmd_ready = m.inst_output(dma, "cmd_ready");
    let chunk = m.reg("read_chunk", PTR);
    m.describe(
        &chunk,
        "The next command's length, min(read_left, CHUNK), set with read_left so that no compare lies before the DMA reader's command.",
    );
    let reading = m.node("sched_reading", picker.state.eq(READ));
    m.connect(dma, "cmd_valid", &reading & left.ne(0u64));
    m.connect(dma, "cmd_base", &base);
    m.connect(dma, "cmd_mask", &mask);
    m.connect(dma, "cmd_offset", &offset);
    m.connect(dma, "cmd_len", chunk.trunc(16));
    m.expose(dma, "m_axi_");
    let fire = m.node("read_cmd_fire", &reading & left.ne(0u64) & &cmd_ready);
    ReadCommands {
        base,
        mask,
        offset,
        left,
        dma,
        chunk,
        fire,
    }
}

impl ReadCommands {
    /// Bytes still to read: `read_left` and the next command's length.
    fn set_left(&self, m: &mut ModuleBuilder, bytes: &Expr) {
        let chunk = lit(u64::from(CHUNK), PTR);
        m.set(&self.left, bytes);
        m.set(&self.chunk, bytes.gt(u64::from(CHUNK)).mux(chunk, bytes));
    }
}

/// An entry's turn: everything posted, if the entry and its ring make sense.
struct TurnCheck {
    /// Bytes posted: TX_TAIL − TX_HEAD.
    posted: Sig,
    has_work: Sig,
    /// `has_work`, registered in EVAL for QUEUE.
    turn_ok: Sig,
    /// The entry's turn goes into the turn FIFO this cycle.
    start_entry: Sig,
}

fn turn_check(
    m: &mut ModuleBuilder,
    cfg: &TxOffloadCfg,
    info: &TxInfo,
    picker: &Picker,
    read: &ReadCommands,
) -> TurnCheck {
    let lane_bits = cfg.lanes().trailing_zeros();
    let posted = m.node("posted", &info.tail - &info.head);
    let ring_ok = m.node(
        "tx_ring_sane",
        &info.enabled
            & &info.accelerated
            & (&info.size & (&info.size - 1u64)).eq(0u64)
            & info.size.ge(64u64)
            & info.base.trunc(lane_bits).eq(0u64)
            & posted.le(&info.size)
            & posted.trunc(lane_bits).eq(0u64),
    );
    let has_work = m.node("turn_has_work", &ring_ok & posted.ne(0u64));
    let turn_ok = m.reg("turn_ok", 1);
    let in_queue = m.node("sched_queue", picker.state.eq(QUEUE));
    // Records posted to an entry that cannot send them (a pointer written while setting an
    // entry up, with nothing posted, is no fault); `read_left` holds what was posted.
    stat(
        m,
        "bad_doorbell",
        &in_queue & read.left.ne(0u64) & !&turn_ok,
    );
    let start_entry = m.node("turn_start_entry", &in_queue & &turn_ok);
    TurnCheck {
        posted,
        has_work,
        turn_ok,
        start_entry,
    }
}

/// Turn records for the splitter: kind, entry, start, length, and the header fields, most
/// significant first.
fn turn_layout(index_bits: u32) -> Layout {
    Layout::new(&[
        ("remote_mac", 48),
        ("remote", 48),
        ("local_port", 16),
        ("local_ip", 32),
        ("bytes", PTR),
        ("head", PTR),
        ("entry", index_bits),
        ("np", 1),
    ])
}

/// The FIFO of turns from the scheduler to the splitter.
struct TurnFifo {
    fifo: Inst,
    /// A turn record.
    layout: Layout,
    room: Sig,
}

fn turn_fifo(
    m: &mut ModuleBuilder,
    cfg: &TxOffloadCfg,
    ports: &Ports,
    picker: &Picker,
    read: &ReadCommands,
    check: &TurnCheck,
) -> Result<TurnFifo, HdlErrors> {
    let iw = cfg.index_bits();
    let layout = turn_layout(iw);
    let fifo = m.instance("turns", &sync_fifo(SyncFifoCfg::new(layout.width(), 4))?);
    let room = m.inst_output(fifo, "s_ready");
    let count = m.inst_output(fifo, "count");
    m.unused(&count);
    m.connect(
        fifo,
        "s_valid",
        &check.start_entry | (&picker.take_np & &room),
    );
    let info = &ports.info;
    m.connect(
        fifo,
        "s_data",
        picker.take_np.mux(
            // A normal-path turn has only its length.
            layout.pack(&[
                ("np", lit(1, 1)),
                ("entry", lit(0, iw)),
                ("head", lit(0, PTR)),
                ("bytes", ports.normal_path.len.zext(PTR)),
                ("local_ip", lit(0, 32)),
                ("local_port", lit(0, 16)),
                ("remote", lit(0, 48)),
                ("remote_mac", lit(0, 48)),
            ]),
            layout.pack(&[
                ("np", lit(0, 1)),
                ("entry", Expr::from(&picker.turn_entry)),
                // As EVAL registered them for the reads.
                ("head", Expr::from(&read.offset)),
                ("bytes", Expr::from(&read.left)),
                ("local_ip", Expr::from(&info.local_ip)),
                ("local_port", Expr::from(&info.local_port)),
                ("remote", Expr::from(&info.remote)),
                ("remote_mac", Expr::from(&info.remote_mac)),
            ]),
        ),
    );
    Ok(TurnFifo { fifo, layout, room })
}

/// The scheduler's state machine: it waits in idle while the turn FIFO is full.
fn schedule(
    m: &mut ModuleBuilder,
    ports: &Ports,
    picker: &Picker,
    read: &ReadCommands,
    check: &TurnCheck,
    turns: &TurnFifo,
) {
    let (state, np) = (&picker.state, &ports.normal_path);
    let left_after = m.node("read_left_after", &read.left - &read.chunk).into();
    m.switch(state, |s| {
        s.case(IDLE, |m| {
            m.when(&picker.take_np & &turns.room, |m| {
                m.set(state, READ);
                m.set(&read.base, &np.addr);
                m.set(&read.mask, lit(0xffff_ffff, 32));
                m.set(&read.offset, lit(0, PTR));
                read.set_left(m, &np.len.zext(PTR));
                m.set(&picker.np_first, 0);
            })
            .elif(&picker.take_entry & &turns.room, |m| {
                m.set(state, WAIT);
                m.set(
                    &picker.turn_entry,
                    encode(&picker.pick, picker.turn_entry.width()),
                );
                m.set(&picker.rr_after, above(&picker.pick));
                m.set(&picker.np_first, 1);
            });
        });
        s.case(WAIT, |m| m.set(state, EVAL));
        s.case(EVAL, |m| {
            m.set(state, QUEUE);
            m.set(&check.turn_ok, &check.has_work);
            m.set(&read.base, &ports.info.base);
            m.set(&read.mask, &ports.info.size - 1u64);
            m.set(&read.offset, &ports.info.head);
            read.set_left(m, &check.posted.clone().into());
        });
        s.case(QUEUE, |m| {
            m.set(
                state,
                check
                    .turn_ok
                    .mux(lit(READ, STATE_BITS), lit(IDLE, STATE_BITS)),
            );
        });
        s.case(READ, |m| {
            m.when(&read.fire, |m| {
                m.set(&read.offset, &read.offset + &read.chunk);
                read.set_left(m, &left_after);
            });
            m.when(&read.fire & read.left.le(u64::from(CHUNK)), |m| {
                m.set(state, IDLE)
            });
        });
    });
    // take_np while the turn FIFO is full is not a take: gate the handshakes with the room.
    let np_taken = m.node("np_taken", &picker.take_np & &turns.room);
    m.set(&np.ready, &np_taken);
}

/// The turn at the head of the turn FIFO, its fields by name.
struct CurrentTurn {
    valid: Sig,
    fields: Record,
    is_np: Sig,
}

fn current_turn(m: &mut ModuleBuilder, turns: &TurnFifo) -> CurrentTurn {
    let valid = m.inst_output(turns.fifo, "m_valid");
    let word = m.inst_output(turns.fifo, "m_data");
    let fields = turns.layout.unpack(m, "cur_turn", &word);
    let is_np = m.node("turn_is_np", fields.get("np"));
    CurrentTurn {
        valid,
        fields,
        is_np,
    }
}

/// A beat the DMA reader delivers.
/// A beat from the DMA reader, after the splitter's entry register.
struct DmaBeat {
    valid: Sig,
    data: Sig,
    keep: Sig,
    error: Sig,
    /// LEN at this beat's LEN position compared with constants (see [`len_checks`]);
    /// meaningful on a record's length beat.
    ends_in_len_beat: Sig,
    ends_after_len_beat: Sig,
    too_long: Sig,
    /// The entry register; the splitter drives its `m_axis_tready`.
    reg: Inst,
}

/// A record's LEN field in a beat that carries it.
fn len_field(cfg: &TxOffloadCfg, data: &Expr) -> Expr {
    let byte_at = |i: usize| data.slice(8 * (i as u32 % cfg.lanes()), 8);
    cat([byte_at(record::LEN + 1), byte_at(record::LEN)])
}

/// LEN's compares with constants: the record ends in its length beat, or in the next
/// one, and it is longer than the largest payload.
fn len_checks(cfg: &TxOffloadCfg, len: &Expr) -> [Expr; 3] {
    let lanes = u64::from(cfg.lanes());
    let len_pos = u64::from(len_beat(cfg)) * lanes;
    let len_for = |beats: u64| len_pos + beats * lanes - record::PAYLOAD as u64;
    [
        len.le(len_for(1)),
        len.le(len_for(2)),
        len.gt(u64::from(cfg.max_payload)),
    ]
}

/// The reader's beats enter the splitter through a register slice, and LEN's compares
/// with constants are made before it and travel in its `tuser`: no path runs from the
/// read channel into the splitter, and a record's end is a few gates after the register.
fn dma_beat(m: &mut ModuleBuilder, cfg: &TxOffloadCfg, dma: Inst) -> Result<DmaBeat, HdlErrors> {
    let ucfg = AxisCfg {
        data_width: cfg.data_width,
        user_width: 4,
    };
    let reg = m.instance("beat_reg", &axis_register(ucfg)?);
    let from = |m: &mut ModuleBuilder, f: &str| m.inst_output(dma, &format!("m_axis_{f}"));
    let data_in = from(m, "tdata");
    let [ends_here, ends_after, too_long] =
        len_checks(cfg, &len_field(cfg, &data_in.clone().into()));
    let error_in = from(m, "tuser");
    m.connect(
        reg,
        "s_axis_tuser",
        cat([too_long, ends_after, ends_here, error_in.into()]),
    );
    m.connect(reg, "s_axis_tdata", &data_in);
    for f in ["tkeep", "tvalid", "tlast"] {
        let v = from(m, f);
        m.connect(reg, &format!("s_axis_{f}"), &v);
    }
    let ready = m.inst_output(reg, "s_axis_tready");
    m.connect(dma, "m_axis_tready", &ready);
    let last = m.inst_output(reg, "m_axis_tlast");
    m.unused(&last); // turns are counted in bytes; chunk ends do not matter
    let user = m.inst_output(reg, "m_axis_tuser");
    let flag = |m: &mut ModuleBuilder, name: &str, bit: u32| m.node(name, user.bit(bit));
    Ok(DmaBeat {
        valid: m.inst_output(reg, "m_axis_tvalid"),
        data: m.inst_output(reg, "m_axis_tdata"),
        keep: m.inst_output(reg, "m_axis_tkeep"),
        error: flag(m, "beat_error", 0),
        ends_in_len_beat: flag(m, "record_ends_in_len_beat", 1),
        ends_after_len_beat: flag(m, "record_ends_after_len_beat", 2),
        too_long: flag(m, "record_too_long", 3),
        reg,
    })
}

/// What the splitter keeps from beat to beat of a turn and of a record. The record's
/// position and its end are kept as flags decided a beat early, so a beat's decision is a
/// few gates on its length bytes and these registers, with no arithmetic on the way.
struct SplitRegs {
    in_turn: Sig,
    turn_left: Sig,
    next_offset: Sig,
    record_avail: Sig,
    record_first: Sig,
    /// Only on a bus that carries LEN in the record's second beat.
    record_second: Option<Sig>,
    record_room: Sig,
    record_ends: Sig,
    record_tail_keep: Sig,
    record_bad: Sig,
    record_dma_error: Sig,
    peer_ip: Sig,
    peer_port: Sig,
    payload_len: Sig,
}

impl SplitRegs {
    fn new(m: &mut ModuleBuilder, cfg: &TxOffloadCfg) -> SplitRegs {
        let in_turn = m.reg_reset("split_in_turn", 1, 0);
        m.describe(
            &in_turn,
            "The turn at the head of the turn FIFO has started.",
        );
        let turn_left = m.reg("split_turn_left", PTR);
        let next_offset = m.reg("split_next_offset", PTR);
        m.describe(&next_offset, "Ring offset of the turn's next beat.");
        let record_avail = m.reg("split_record_avail", PTR);
        m.describe(
            &record_avail,
            "Posted bytes from the current record's start to the turn's end.",
        );
        let record_first = m.reg_reset("split_record_first", 1, 1);
        m.describe(&record_first, "The next beat starts a record.");
        let record_second = (len_beat(cfg) == 1).then(|| {
            let r = m.reg_reset("split_record_second", 1, 0);
            m.describe(&r, "The next beat is a record's second, its LEN beat.");
            r
        });
        let record_room = m.reg("split_record_room", 19);
        m.describe(
            &record_room,
            "Bytes of the current record from the next beat on, once its length is known.",
        );
        let record_ends = m.reg("split_record_ends", 1);
        m.describe(
            &record_ends,
            "The next beat is the current record's last, by its length.",
        );
        let record_tail_keep = m.reg("split_record_tail_keep", cfg.lanes());
        m.describe(&record_tail_keep, "The record's bytes in its last beat.");
        SplitRegs {
            in_turn,
            turn_left,
            next_offset,
            record_avail,
            record_first,
            record_second,
            record_room,
            record_ends,
            record_tail_keep,
            record_bad: m.reg("split_record_bad", 1),
            record_dma_error: m.reg("split_record_dma_error", 1),
            peer_ip: m.reg("split_peer_ip", 32),
            peer_port: m.reg("split_peer_port", 16),
            payload_len: m.reg("split_payload_len", 16),
        }
    }
}

/// The beat of a record that carries LEN: 1 on a 64-bit bus, 0 on wider ones.
fn len_beat(cfg: &TxOffloadCfg) -> u32 {
    record::LEN as u32 / cfg.lanes()
}

/// The current beat as the splitter reads it: where it lies in its turn and its record,
/// and the record's header fields as far as they are known.
struct ParsedBeat {
    /// Bytes of the turn from this beat on.
    turn_left: Sig,
    /// Ring offset of this beat.
    offset: Sig,
    turn_last: Sig,
    /// Posted bytes from the record's start to the turn's end.
    avail: Sig,
    at_len: Sig,
    /// The record's bytes from its length beat's end on, and the next beat is its last.
    room_after_len: Expr,
    ends_after_len: Expr,
    /// The record's bytes in its last beat.
    tail_keep: Sig,
    record_last: Sig,
    /// The record is bad, or had a DMA error, as far as its beats up to this one tell.
    bad: Sig,
    dma_error: Sig,
    /// The record's bytes in this beat (all of it but the last beat's tail).
    keep: Expr,
    peer_ip: Sig,
    peer_port: Sig,
    payload_len: Sig,
}

fn parse_beat(
    m: &mut ModuleBuilder,
    cfg: &TxOffloadCfg,
    turn: &CurrentTurn,
    beat: &DmaBeat,
    regs: &SplitRegs,
) -> ParsedBeat {
    let lanes = cfg.lanes();
    let lb = lanes.trailing_zeros();
    let left = m.node(
        "turn_left_now",
        regs.in_turn.mux(&regs.turn_left, turn.fields.get("bytes")),
    );
    let offset = m.node(
        "beat_offset_now",
        regs.in_turn.mux(&regs.next_offset, turn.fields.get("head")),
    );
    let turn_last = m.node("turn_last_beat", left.le(u64::from(lanes)));
    // Where LEN is: the record's first beat on a wide bus, its second on a 64-bit one.
    let len_pos = u64::from(len_beat(cfg) * lanes);
    let byte_at = |i: usize| beat.data.slice(8 * (i as u32 % lanes), 8);
    let at_start = Expr::from(&regs.record_first);
    let (at_len, before_len) = match &regs.record_second {
        Some(second) => (Expr::from(second), at_start.clone()),
        None => (at_start.clone(), lit(0, 1)),
    };
    let at_len = m.node("record_len_beat", at_len);
    let len_here = m.node("len_here", len_field(cfg, &beat.data.clone().into()));
    let record_bytes = m.node("record_bytes_here", len_here.zext(18) + lit(16, 18));
    // Posted bytes from the record's start: `left` on a turn's first beat.
    let avail = m.node(
        "record_avail",
        regs.in_turn
            .mux(&regs.record_avail, turn.fields.get("bytes")),
    );
    // Records and turns are whole beats: the footprint runs past the posted bytes exactly
    // when the record's bytes do.
    let overrun = m.node(
        "record_overruns",
        record_bytes.zext(PTR + 1).gt(avail.zext(PTR + 1)),
    );
    // Where the record ends comes from LEN's compares made before the entry register. A
    // record that runs past the posted bytes ends with the turn instead (its end lies
    // beyond), so they need not know about overruns.
    let (ends_here, too_long) = (beat.ends_in_len_beat.clone(), beat.too_long.clone());
    let ends_after_len = Expr::from(&beat.ends_after_len_beat);
    let room_after_len = record_bytes.zext(19) - lit(len_pos + u64::from(lanes), 19);
    // The last beat's bytes: a thermometer of the record's length modulo the beat.
    let tail_keep = {
        let r = record_bytes.trunc(lb);
        // The top lane is only ever kept whole-beat (r = 0).
        let thermo = cat([lit(0, 1)]
            .into_iter()
            .chain((0..lanes - 1).rev().map(|j| r.gt(u64::from(j)))));
        m.node(
            "record_tail_keep_here",
            r.eq(0u64).mux(!lit(0, lanes), thermo),
        )
    };
    let ends_now = m.node(
        "record_ends_now",
        at_len.mux(&ends_here, !&before_len & &regs.record_ends),
    );
    let record_last = m.node("record_last_beat", &turn_last | &ends_now);
    let bad = m.node(
        "record_bad_so_far",
        !&at_start & &regs.record_bad
            | (&at_len & (&overrun | &too_long))
            | (&turn_last & &before_len),
    );
    let dma_error = m.node(
        "record_error_so_far",
        (!&at_start & &regs.record_dma_error) | &beat.error,
    );
    let keep = ends_now.mux(
        at_len.mux(&tail_keep, &regs.record_tail_keep),
        !lit(0, lanes),
    );
    let peer_ip = m.node(
        "peer_ip_now",
        at_start.mux(
            cat((0..4).map(|k| byte_at(record::DST_IP + k))),
            &regs.peer_ip,
        ),
    );
    let peer_port = m.node(
        "peer_port_now",
        at_len.mux(
            cat([byte_at(record::DST_PORT), byte_at(record::DST_PORT + 1)]),
            &regs.peer_port,
        ),
    );
    let payload_len = m.node("payload_len_now", at_len.mux(&len_here, &regs.payload_len));
    ParsedBeat {
        turn_left: left,
        offset,
        turn_last,
        avail,
        at_len,
        room_after_len,
        ends_after_len,
        tail_keep,
        record_last,
        bad,
        dma_error,
        keep,
        peer_ip,
        peer_port,
        payload_len,
    }
}

/// Where the beat goes: the aligner (records) or the normal-path frame FIFO.
struct Steering {
    align: Inst,
    np_frames: Inst,
    /// The header FIFOs have room for another record.
    credit_ok: Sig,
    fire: Sig,
    ring_fire: Sig,
}

fn steer(
    m: &mut ModuleBuilder,
    cfg: &TxOffloadCfg,
    kids: &Children,
    turn: &CurrentTurn,
    beat: &DmaBeat,
    parsed: &ParsedBeat,
) -> Result<Steering, HdlErrors> {
    let net = cfg.net();
    // A register slice in front of the aligner keeps the splitter's length arithmetic and
    // the aligner's lane steering in separate cycles.
    let split_reg = m.instance("split_reg", &axis_register(net)?);
    let align = m.instance("align", &kids.shifter);
    Axis::of_instance(split_reg, "m_axis", net).feed(m, &Axis::of_instance(align, "s_axis", net));
    let np_frames = m.instance("np_frames", &kids.np_fifo);
    let split_reg_ready = m.inst_output(split_reg, "s_axis_tready");
    let np_frames_ready = m.inst_output(np_frames, "s_axis_tready");
    let credit_ok = m.wire("header_credit", 1);
    let go = m.node(
        "split_ready",
        &turn.valid
            & turn
                .is_np
                .mux(&np_frames_ready, &split_reg_ready & &credit_ok),
    );
    m.connect(beat.reg, "m_axis_tready", &go);
    let fire = m.node("split_fire", &beat.valid & &go);
    let ring_fire = m.node("split_ring_fire", &fire & !&turn.is_np);
    m.connect(
        split_reg,
        "s_axis_tvalid",
        &beat.valid & &turn.valid & !&turn.is_np & &credit_ok,
    );
    m.connect(split_reg, "s_axis_tdata", &beat.data);
    m.connect(split_reg, "s_axis_tkeep", &parsed.keep);
    m.connect(split_reg, "s_axis_tlast", &parsed.record_last);
    m.connect(
        split_reg,
        "s_axis_tuser",
        &parsed.record_last & (&parsed.bad | &parsed.dma_error),
    );
    m.connect(align, "s_offset", lit(record::PAYLOAD as u64, 5));
    m.connect(
        np_frames,
        "s_axis_tvalid",
        &beat.valid & &turn.valid & &turn.is_np,
    );
    m.connect(np_frames, "s_axis_tdata", &beat.data);
    m.connect(np_frames, "s_axis_tkeep", &beat.keep);
    m.connect(np_frames, "s_axis_tlast", &parsed.turn_last);
    m.connect(
        np_frames,
        "s_axis_tuser",
        &parsed.turn_last & &parsed.dma_error,
    );
    Ok(Steering {
        align,
        np_frames,
        credit_ok,
        fire,
        ring_fire,
    })
}

/// Moves the splitter on by a beat: the next record starts after this one's last beat.
/// Returns the ring offset past the current record.
fn advance_splitter(
    m: &mut ModuleBuilder,
    cfg: &TxOffloadCfg,
    turns: &TurnFifo,
    regs: &SplitRegs,
    parsed: &ParsedBeat,
    steering: &Steering,
) -> Sig {
    let lanes = u64::from(cfg.lanes());
    let beat_end = m.node("beat_end", &parsed.offset + lit(lanes, PTR));
    m.when(&steering.fire, |m| {
        m.set(&regs.in_turn, !&parsed.turn_last);
        m.set(&regs.turn_left, &parsed.turn_left - lanes);
        m.set(&regs.next_offset, &beat_end);
        m.set(&regs.record_bad, &parsed.bad);
        m.set(&regs.record_dma_error, &parsed.dma_error);
        m.set(&regs.peer_ip, &parsed.peer_ip);
        m.set(&regs.peer_port, &parsed.peer_port);
        m.set(&regs.payload_len, &parsed.payload_len);
        m.set(&regs.record_first, &parsed.record_last);
        if let Some(second) = &regs.record_second {
            m.set(second, !&parsed.record_last & &regs.record_first);
        }
        m.when(&parsed.at_len, |m| {
            m.set(&regs.record_room, &parsed.room_after_len);
            m.set(&regs.record_ends, &parsed.ends_after_len);
            m.set(&regs.record_tail_keep, &parsed.tail_keep);
        })
        .otherwise(|m| {
            m.set(&regs.record_room, &regs.record_room - lanes);
            m.set(&regs.record_ends, regs.record_room.le(2 * lanes));
        });
        m.set(
            &regs.record_avail,
            parsed
                .record_last
                .mux(&parsed.turn_left - lanes, &parsed.avail),
        );
    });
    m.connect(turns.fifo, "m_ready", &steering.fire & &parsed.turn_last);
    beat_end
}

/// Records and normal-path frames the splitter has finished.
struct Reports {
    record_done: Sig,
    entry_turn_done: Sig,
    np_done: Sig,
}

/// What leaves for the ICT (TX_HEAD advances, DMA errors) and the NIC block (normal-path
/// completions), registered so the splitter's arithmetic stays out of their logic.
fn report(
    m: &mut ModuleBuilder,
    turn: &CurrentTurn,
    parsed: &ParsedBeat,
    steering: &Steering,
    record_end: &Sig,
) -> Reports {
    let record_done = m.node("record_done", &steering.ring_fire & &parsed.record_last);
    registered_output(m, "tx_upd", "valid", record_done.clone().into(), true);
    registered_output(m, "tx_upd", "index", turn.fields.get("entry"), false);
    registered_output(m, "tx_upd", "head", record_end.clone().into(), false);
    let entry_turn_done = m.node("entry_turn_done", &steering.ring_fire & &parsed.turn_last);
    let np_done = m.node(
        "np_frame_read",
        &steering.fire & &turn.is_np & &parsed.turn_last,
    );
    registered_output(m, "np_tx_done", "valid", np_done.clone().into(), true);
    registered_output(
        m,
        "np_tx_done",
        "error",
        parsed.dma_error.clone().into(),
        false,
    );
    registered_output(
        m,
        "ev_dma",
        "valid",
        (&record_done | &np_done) & &parsed.dma_error,
        true,
    );
    registered_output(
        m,
        "ev_dma",
        "info",
        cat([
            lit(0, 24),
            turn.is_np
                .mux(lit(0xffff, 16), turn.fields.get("entry").zext(16)),
        ]),
        false,
    );
    Reports {
        record_done,
        entry_turn_done,
        np_done,
    }
}

/// Per entry: a doorbell waits until the entry is picked; a turn lasts from its start until
/// it has been parsed.
fn turn_flags(
    m: &mut ModuleBuilder,
    ports: &Ports,
    picker: &Picker,
    check: &TurnCheck,
    turns: &TurnFifo,
    turn: &CurrentTurn,
    reports: &Reports,
) {
    for i in 0..picker.doorbell.len() {
        let here = turn.fields.get("entry").eq(i as u64);
        m.when(&check.start_entry & picker.turn_entry.eq(i as u64), |m| {
            m.set(&picker.in_turn[i], 1)
        })
        .elif(&reports.entry_turn_done & here, |m| {
            m.set(&picker.in_turn[i], 0)
        });
        m.when(
            &ports.doorbell_valid & ports.doorbell_index.eq(i as u64),
            |m| m.set(&picker.doorbell[i], 1),
        )
        .elif(
            &picker.take_entry & &turns.room & picker.pick.bit(i as u32),
            |m| m.set(&picker.doorbell[i], 0),
        );
    }
}

/// Per record, the header fields wait in `fifo` for the payload's sum, then with the sum
/// (and without the bad and error flags) in `ready_fifo` for the frame builder.
struct Headers {
    fifo: Inst,
    ready_fifo: Inst,
    /// Credits: records between the splitter and the builder, at most HEADER_DEPTH - 2.
    in_flight: Sig,
}

/// A record's header fields, least significant first.
const HEADER_FIELDS: [(&str, u32); 7] = [
    ("remote_mac", 48),
    ("remote", 48),
    ("local_port", 16),
    ("local_ip", 32),
    ("len", 16),
    ("peer_port", 16),
    ("peer_ip", 32),
];

/// A header as the splitter queues it: the fields, the DMA error and bad-record flags.
fn header_layout() -> Layout {
    Layout::new(&[&HEADER_FIELDS[..], &[("error", 1), ("bad", 1)]].concat())
}

/// A good record's header for the builder: the payload's sum, then the fields.
fn ready_layout() -> Layout {
    Layout::new(&[&[("sum", 16)][..], &HEADER_FIELDS[..]].concat())
}

fn header_fifos(
    m: &mut ModuleBuilder,
    turn: &CurrentTurn,
    parsed: &ParsedBeat,
    reports: &Reports,
    credit_ok: &Sig,
) -> Result<Headers, HdlErrors> {
    let fields = [
        ("bad", Expr::from(&parsed.bad)),
        ("error", Expr::from(&parsed.dma_error)),
        ("peer_ip", Expr::from(&parsed.peer_ip)),
        ("peer_port", Expr::from(&parsed.peer_port)),
        ("len", Expr::from(&parsed.payload_len)),
        ("local_ip", turn.fields.get("local_ip")),
        ("local_port", turn.fields.get("local_port")),
        ("remote", turn.fields.get("remote")),
        ("remote_mac", turn.fields.get("remote_mac")),
    ];
    let fifo_of = |l: Layout| sync_fifo(SyncFifoCfg::new(l.width(), HEADER_DEPTH));
    let fifo = m.instance("headers", &fifo_of(header_layout())?);
    m.connect(fifo, "s_valid", &reports.record_done);
    m.connect(fifo, "s_data", header_layout().pack(&fields));
    let ready_fifo = m.instance("ready_headers", &fifo_of(ready_layout())?);
    for q in [fifo, ready_fifo] {
        for o in ["s_ready", "count"] {
            let x = m.inst_output(q, o);
            m.unused(&x); // the credit counter bounds both
        }
    }
    let in_flight = m.reg_reset("records_in_flight", clog2(HEADER_DEPTH + 1), 0);
    m.set(credit_ok, in_flight.lt(HEADER_DEPTH - 2));
    Ok(Headers {
        fifo,
        ready_fifo,
        in_flight,
    })
}

/// The aligned payloads: buffered whole in a FIFO, and summed as they enter it.
struct Sums {
    payloads: Inst,
    valid: Sig,
    sum: Sig,
}

fn payload_path(m: &mut ModuleBuilder, cfg: &TxOffloadCfg, kids: &Children, align: Inst) -> Sums {
    let (w, lanes, net) = (cfg.data_width, cfg.lanes(), cfg.net());
    let take = m.wire("aligned_take", 1);
    let (valid, aligned) = Axis::of_instance(align, "m_axis", net).source(m, &take);
    let data = aligned.slice(0, w);
    let keep = aligned.slice(w, lanes);
    let last = aligned.bit(w + lanes);
    let user = aligned.bit(w + lanes + 1);
    let empty = m.node("payload_empty", &last & keep.eq(0u64));
    m.describe(
        &empty,
        "A record without payload: summed (to 0) but not buffered.",
    );
    let payloads = m.instance("payloads", &kids.payload_fifo);
    let payloads_ready = m.inst_output(payloads, "s_axis_tready");
    m.set(&take, &empty | &payloads_ready);
    let fire = m.node("aligned_fire", &valid & &take);
    m.connect(payloads, "s_axis_tvalid", &valid & !&empty);
    m.connect(payloads, "s_axis_tdata", &data);
    m.connect(payloads, "s_axis_tkeep", &keep);
    m.connect(payloads, "s_axis_tlast", &last);
    m.connect(payloads, "s_axis_tuser", &user);
    for o in ["drop_bad", "drop_full"] {
        let x = m.inst_output(payloads, o);
        m.unused(&x); // its header says the record was bad
    }
    let summer = m.instance("payload_sum", &kids.checksum);
    m.connect(summer, "s_axis_tvalid", &fire);
    m.connect(summer, "s_axis_tdata", &data);
    m.connect(summer, "s_axis_tkeep", &keep);
    m.connect(summer, "s_axis_tlast", &last);
    let summer_ready = m.inst_output(summer, "s_axis_tready");
    m.unused(&summer_ready); // always ready
    Sums {
        payloads,
        valid: m.inst_output(summer, "csum_valid"),
        sum: m.inst_output(summer, "csum"),
    }
}

/// The flags of the header a sum meets: a bad record or one with a DMA error is dropped.
struct Verdict {
    bad: Expr,
    dma_error: Expr,
}

/// Pairs each payload's sum with its header; good records go on to the builder.
fn checked_headers(
    m: &mut ModuleBuilder,
    headers: &Headers,
    sums: &Sums,
    parsed: &ParsedBeat,
    reports: &Reports,
) -> Verdict {
    let header = m.inst_output(headers.fifo, "m_data");
    let header_valid = m.inst_output(headers.fifo, "m_valid");
    m.unused(&header_valid); // every sum has its header
    m.connect(headers.fifo, "m_ready", &sums.valid);
    let header = header_layout().unpack(m, "pending_hdr", &header);
    let bad = header.get("bad");
    let dma_error = header.get("error");
    let good = m.node("record_good", &sums.valid & !&bad & !&dma_error);
    m.connect(headers.ready_fifo, "s_valid", &good);
    let mut ready: Vec<(&str, Expr)> = HEADER_FIELDS.map(|(f, _)| (f, header.get(f))).to_vec();
    ready.push(("sum", Expr::from(&sums.sum)));
    m.connect(headers.ready_fifo, "s_data", ready_layout().pack(&ready));
    stat(m, "bad_record", &sums.valid & &bad & !&dma_error);
    stat(
        m,
        "dma_error",
        (&reports.record_done | &reports.np_done) & &parsed.dma_error,
    );
    Verdict { bad, dma_error }
}

/// The frame builder: headers and payloads become frames.
struct Built {
    build: Inst,
    header_taken: Sig,
}

fn frame_builder(
    m: &mut ModuleBuilder,
    cfg: &TxOffloadCfg,
    kids: &Children,
    ports: &Ports,
    headers: &Headers,
    payloads: Inst,
) -> Built {
    let (w, lanes, net) = (cfg.data_width, cfg.lanes(), cfg.net());
    let build = m.instance("build", &kids.builder);
    let ready_valid = m.inst_output(headers.ready_fifo, "m_valid");
    let ready_word = m.inst_output(headers.ready_fifo, "m_data");
    let header_ready = m.inst_output(build, "hdr_ready");
    m.connect(headers.ready_fifo, "m_ready", &header_ready);
    let header_taken = m.node("header_taken", &ready_valid & &header_ready);
    let field = ready_layout().unpack(m, "ready_hdr", &ready_word);
    let sum = field.get("sum");
    let ip_id = m.reg_reset("ip_id", 16, 0);
    m.describe(
        &ip_id,
        "IPv4 identification of the next datagram (RFC 6864: any value with DF).",
    );
    m.when(&header_taken, |m| m.set(&ip_id, &ip_id + 1u64));
    let remote = field.get("remote");
    let peer_ip = field.get("peer_ip");
    let peer_port = field.get("peer_port");
    m.connect(build, "hdr_valid", &ready_valid);
    m.connect(build, "hdr_dst_mac", field.get("remote_mac"));
    m.connect(build, "hdr_src_mac", &ports.mac_addr);
    m.connect(build, "hdr_src_ip", field.get("local_ip"));
    m.connect(
        build,
        "hdr_dst_ip",
        peer_ip.eq(0u64).mux(remote.slice(16, 32), peer_ip.clone()),
    );
    m.connect(build, "hdr_src_port", field.get("local_port"));
    m.connect(
        build,
        "hdr_dst_port",
        peer_port.eq(0u64).mux(remote.trunc(16), peer_port.clone()),
    );
    m.connect(build, "hdr_len", field.get("len"));
    m.connect(build, "hdr_sum", sum);
    m.connect(build, "hdr_ttl", lit(TTL, 8));
    m.connect(build, "hdr_id", &ip_id);
    stat(m, "frames", header_taken.clone().into());
    let payload_ready = m.inst_output(build, "s_axis_tready");
    let (valid, payload) = Axis::of_instance(payloads, "m_axis", net).source(m, &payload_ready);
    m.connect(build, "s_axis_tvalid", &valid);
    m.connect(build, "s_axis_tdata", payload.slice(0, w));
    m.connect(build, "s_axis_tkeep", payload.slice(w, lanes));
    m.connect(build, "s_axis_tlast", payload.bit(w + lanes));
    let payloads_user = m.inst_output(payloads, "m_axis_tuser");
    m.unused(&payloads_user); // bad payloads never leave the FIFO
    Built {
        build,
        header_taken,
    }
}

/// The credit counter: a record takes a credit when the splitter finishes it and returns it
/// when it is dropped or its header goes to the builder.
fn return_credits(
    m: &mut ModuleBuilder,
    headers: &Headers,
    reports: &Reports,
    sums: &Sums,
    verdict: &Verdict,
    built: &Built,
) {
    let in_flight = &headers.in_flight;
    let (old, new) = (
        Expr::from(in_flight).zext(in_flight.width() + 1),
        Expr::from(&reports.record_done).zext(in_flight.width() + 1),
    );
    let freed = (&sums.valid & (&verdict.bad | &verdict.dma_error)) | &built.header_taken;
    m.set(
        in_flight,
        (old + new - freed.zext(in_flight.width() + 1)).trunc(in_flight.width()),
    );
}

/// Frames take turns on the MAC stream, whole frames at a time.
fn mac_arbiter(
    m: &mut ModuleBuilder,
    cfg: &TxOffloadCfg,
    build: Inst,
    np_frames: Inst,
) -> Result<(), HdlErrors> {
    let net = cfg.net();
    let port = Axis::source(m, "m_axis_tx", net);
    let (built, normal) = (
        Axis::of_instance(build, "m_axis", net),
        Axis::of_instance(np_frames, "m_axis", net),
    );
    let merged = merge_frames(m, &[(&built, "built"), (&normal, "normal")], &port)?;
    let np_sent = m.node("np_frame_sent", merged.frame_end & merged.grant.bit(1));
    stat(m, "np_frames", np_sent.into());
    for o in ["drop_bad", "drop_full"] {
        let x = m.inst_output(np_frames, o);
        m.unused(&x); // reported at the descriptor's completion
    }
    Ok(())
}

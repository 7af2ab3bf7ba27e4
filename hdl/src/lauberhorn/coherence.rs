//! The coherence link between the CPU's caches and the NIC-homed lines (our own protocol,
//! modelled on ECI and CXL.mem), the endpoint address layout, and the CONTROL-line format.
//!
//! # Channels
//! Two channels of [`CohChannel`] messages, 128-byte lines in
//! `1024 / width` beats, every beat repeating its message's header:
//! * **CPU to NIC** (`c2n`): requests [`up::RD_SHARED`], [`up::RD_EXCL`] (a miss; an
//!   `RD_EXCL` from a core holding the line shared is an upgrade), voluntary evictions
//!   [`up::EVICT_CLEAN`] and [`up::EVICT_DIRTY`] (with the line), and the answers to the
//!   NIC's invalidations, [`up::ACK`] (clean or not held) and [`up::ACK_DATA`] (dirty,
//!   with the line). Requests and evictions are one beat; data-carrying messages a line.
//! * **NIC to CPU** (`n2c`): [`down::DATA`] (a line granted to the requester, or with
//!   `err` set a protocol error: the data is zero and must not be cached) and
//!   [`down::INV`] (give the line back: invalidate it, answering with the dirty data if
//!   any — this is also how the NIC fetches back an exclusive line).
//!
//! # Ordering rules
//! 1. Each channel delivers messages in order, the beats of a message back to back.
//! 2. Every `INV` is answered by exactly one `ACK` or `ACK_DATA` from the core it was sent
//!    to, even when the core no longer holds the line (it was evicted in flight): the NIC
//!    counts answers, not lines.
//! 3. A line is granted to one core at a time (endpoint lines belong to their core: a
//!    request from another core gets an `err` answer). A core sends a request only for a
//!    line it does not hold (or holds shared, to upgrade), and does not evict a line
//!    while its own request for it is outstanding.
//! 4. Because `n2c` is ordered, a `DATA` the NIC sent before an `INV` of the same line
//!    always arrives first; because `c2n` is ordered, an eviction sent before the `ACK`
//!    of the same line arrives first, so the NIC has the data by the time it counts the
//!    answer.
//! 5. A beat moves in every cycle in which `valid` and `ready` are both high, as on
//!    AXI4-Stream: `valid` still high after a message's last beat was taken is the next
//!    message. So a sender that keeps presenting a request it already sent has sent it
//!    twice; a repeated load of a held line is a second request while the first is
//!    outstanding (rule 3) and is answered `err`. (A testbench that clocked the NIC
//!    without running its CPU model presented its last load again and again, which the
//!    NIC rightly counted as violations; the CPU model now checks it runs every cycle.)
//! 6. Neither side makes accepting a message wait for the other direction: the CPU
//!    accepts `n2c` while its own `c2n` messages wait, and the NIC records a held load
//!    instead of back-pressuring `c2n` (it only pauses `c2n` for a cycle to serialise
//!    events), so the link cannot deadlock.
//!
//! # Endpoint pages
//! Each core has two endpoints, user ([`USER`]) and kernel ([`KERNEL`]), one 4 KiB page each
//! (so the OS maps each into exactly one protection domain): endpoint `2 * core + kind`
//! starts at `ENDPOINT_BYTES * (2 * core + kind)` in the aperture. Inside a page, lines
//! ([`line`]): CONTROL 0 at 0x000, CONTROL 1 at 0x080, AUX `k` at `0x100 + 0x80 * k`, and
//! the two TX lines at 0xF00 and 0xF80, the page's last two lines.
//!
//! # The CONTROL line
//! Loading the expected CONTROL line returns a request or TRYAGAIN ([`ctrl`]); the handler
//! writes its response into the same line (and the AUX lines), then loads the other
//! CONTROL line, which acknowledges the request and is the next request's load.
//!
//! # The TX lines
//! A core sends a UDP datagram of its own (not a reply) through its endpoint's two TX
//! lines, used in turn like the CONTROL lines ([`tx`] is the layout). Loading the current
//! TX line is answered with the line once its buffer is free (the message sent from it
//! two messages ago has left); the core writes the message into it, then loads the other
//! TX line: that load rings the doorbell (the NIC takes the written line back and sends
//! it) and is the next message's load. A TX load that finds its buffer still being sent
//! after the timeout, or on a preempted or retired core, is answered TRYAGAIN (length
//! [`tx::TRYAGAIN_LEN`]) and the line taken back, as for CONTROL lines.

use crate::bundles::{declarer, Side};
use crate::ir::{ModuleBuilder, Sig};

/// Bytes of a cache line.
pub const LINE_BYTES: u32 = 128;
/// Bits of a cache line.
pub const LINE_BITS: u32 = LINE_BYTES * 8;
/// Bits of a line address: a 4 GiB aperture of 128-byte lines.
pub const LINE_ADDR_WIDTH: u32 = 25;
/// Bits of an opcode on either channel.
pub const OP_WIDTH: u32 = 3;
/// Bytes of one endpoint page.
pub const ENDPOINT_BYTES: u32 = 4096;
/// Lines in an endpoint page.
pub const ENDPOINT_LINES: u32 = ENDPOINT_BYTES / LINE_BYTES;
/// The user endpoint of a core (its process's dispatch loop).
pub const USER: u32 = 0;
/// The kernel endpoint of a core (the kernel's dispatch loop, requests for any process).
pub const KERNEL: u32 = 1;

/// Coherence-link parameters (Lauberhorn): data bits per beat and the width of the core id.
/// A 128-byte line travels in `1024 / data_width` beats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CohCfg {
    pub data_width: u32,
    pub id_width: u32,
}

/// One direction of the coherence link: messages made of one or more beats, each beat
/// repeating the header (`op`, `line`, `id`), `last` on the final beat, like AXI4-Stream
/// with `tdest`. `err` exists on the NIC-to-CPU direction only. Opcodes and ordering rules:
/// the module documentation. Names: `{prefix}_valid`, `{prefix}_op`, ...
#[derive(Clone, Debug)]
pub struct CohChannel {
    pub cfg: CohCfg,
    pub valid: Sig,
    pub ready: Sig,
    pub op: Sig,
    /// Line address (byte address / 128) inside the NIC's coherent aperture.
    pub line: Sig,
    /// The requesting core (CPU to NIC) or the core addressed (NIC to CPU).
    pub id: Sig,
    pub data: Sig,
    pub last: Sig,
    pub err: Option<Sig>,
}

impl CohChannel {
    /// Ports of one direction on the given side; `with_err` adds `err`.
    pub fn new(
        m: &mut ModuleBuilder,
        prefix: &str,
        side: Side,
        cfg: CohCfg,
        with_err: bool,
    ) -> CohChannel {
        let mut f = declarer(m, prefix, side);
        CohChannel {
            cfg,
            valid: f("valid", 1, true),
            ready: f("ready", 1, false),
            op: f("op", OP_WIDTH, true),
            line: f("line", LINE_ADDR_WIDTH, true),
            id: f("id", cfg.id_width, true),
            data: f("data", cfg.data_width, true),
            last: f("last", 1, true),
            err: with_err.then(|| f("err", 1, true)),
        }
    }
}

/// CPU-to-NIC opcodes.
pub mod up {
    pub const RD_SHARED: u64 = 0;
    pub const RD_EXCL: u64 = 1;
    pub const EVICT_CLEAN: u64 = 2;
    pub const EVICT_DIRTY: u64 = 3;
    pub const ACK: u64 = 4;
    pub const ACK_DATA: u64 = 5;
    /// The opcode's message carries a line.
    pub fn has_data(op: u64) -> bool {
        op == EVICT_DIRTY || op == ACK_DATA
    }
}

/// NIC-to-CPU opcodes.
pub mod down {
    pub const DATA: u64 = 0;
    pub const INV: u64 = 1;
}

/// Line indices inside an endpoint page.
pub mod line {
    /// CONTROL line `parity` (0 or 1).
    pub const fn control(parity: u32) -> u32 {
        parity
    }
    /// AUX line `k`.
    pub const fn aux(k: u32) -> u32 {
        2 + k
    }
    /// TX line `parity` (0 or 1): the page's last two lines.
    pub const fn tx(parity: u32) -> u32 {
        super::ENDPOINT_LINES - 2 + parity
    }
}

/// Beats of a line on a link `data_width` bits wide.
pub fn line_beats(data_width: u32) -> u32 {
    LINE_BITS / data_width
}

/// Line address of line `index` of endpoint `endpoint`.
pub fn line_addr(endpoint: u32, index: u32) -> u64 {
    u64::from(endpoint * ENDPOINT_LINES + index)
}

/// Layout of the CONTROL line as the NIC returns it (little-endian 64-bit words) and as
/// the handler writes its response back.
pub mod ctrl {
    /// Request word 0, bit 0: 1 = a request, 0 = TRYAGAIN (load the same line again).
    pub const VALID: u32 = 0;
    /// Request word 0, bit 1: the TRYAGAIN is a preemption (take the interrupt).
    pub const PREEMPT: u32 = 1;
    /// Request word 0, bit 4: the TRYAGAIN is a retirement (CORE.PREEMPT.RETIRE): leave
    /// the dispatch loop and give the core back to the kernel, without an interrupt (for
    /// kernel dispatch threads that cannot be preempted).
    pub const RETIRE: u32 = 4;
    /// Request word 0, bits 3:2: how the arguments come ([`KIND_INLINE`]).
    pub const KIND_LSB: u32 = 2;
    /// The arguments follow in this line and the AUX lines.
    pub const KIND_INLINE: u64 = 0;
    /// The arguments are too large for the lines: the call is in a record of an ICT RX
    /// ring (the DMA fallback), word [`DMA_WORD`] says where.
    pub const KIND_DMA: u64 = 1;
    /// Word 0, bits 31:16: bytes of arguments (request) or of results (response).
    pub const LEN_LSB: u32 = 16;
    /// Request word 0, bits 63:32: the call's `xid`.
    pub const XID_LSB: u32 = 32;
    /// Request word 1: the service's function (code) pointer; word 2: its data pointer.
    pub const FUNC_WORD: usize = 1;
    pub const DATA_WORD: usize = 2;
    /// Request word 3: process (bits 15:0), service-table entry (23:16), the call's
    /// procedure number (63:32).
    pub const WHO_WORD: usize = 3;
    pub const SERVICE_LSB: u32 = 16;
    pub const PROC_LSB: u32 = 32;
    /// Request word 4 of a [`KIND_DMA`] request: the ICT entry whose RX ring holds the
    /// call (bits 15:0), the offset of the arguments from the record's start (31:16), and
    /// the record's ring pointer (63:32: where RX_TAIL was before it; it ends where
    /// RX_TAIL is now). The handler reads them from the ring and gives the space back by
    /// moving RX_HEAD, as for any record.
    pub const DMA_WORD: usize = 4;
    pub const DMA_ARGS_LSB: u32 = 16;
    pub const DMA_RECORD_LSB: u32 = 32;
    /// Response word 0, bits 15:8: the ONC-RPC `accept_stat` of the reply.
    pub const STAT_LSB: u32 = 8;
    /// Response word 0, bit 5: the reply went out through the TX ring of the ICT entry of
    /// the call's port (results larger than the lines: the handler wrote the whole UDP
    /// payload, reply header included, as a TX record with the caller's address and rang
    /// TX_TAIL). The NIC frees the slot and sends nothing; length and status are ignored.
    pub const RING: u32 = 5;
    /// Byte offset of the arguments in the CONTROL line; they continue at byte 0 of AUX
    /// line 0.
    pub const DATA: u32 = 32;
    /// Argument bytes the CONTROL line itself holds.
    pub const INLINE: u32 = super::LINE_BYTES - DATA;
    /// Byte offset of the results in the response: right behind word 0, 24 bytes in, so
    /// the NIC sends the lines as they are behind the 24-byte ONC-RPC reply header that
    /// takes the place of bytes 0 to 23.
    pub const RESULT: u32 = 24;
    /// Result bytes the CONTROL line itself holds.
    pub const RESULT_INLINE: u32 = super::LINE_BYTES - RESULT;
}

/// Layout of a TX line (little-endian 64-bit words): the datagram's payload from byte 0,
/// so it leaves without being realigned, and its addressing in the last 16 bytes.
/// Addresses are numbers as in the registers (a MAC's first octet in bits 47:40, an IP's
/// in bits 31:24). The NIC sends from LOCAL_MAC and LOCAL_IP; a user endpoint only from
/// its core's CORE.TX_PORT.
pub mod tx {
    /// Payload bytes a TX line holds, from byte 0.
    pub const PAYLOAD: u32 = super::LINE_BYTES - 16;
    /// Word 14 (byte 112): the destination MAC (bits 47:0) and the payload length
    /// (bits 63:48, 1 to [`PAYLOAD`]).
    pub const ADDR_WORD: usize = 14;
    pub const LEN_LSB: u32 = 48;
    /// Word 15 (byte 120): the destination IP (bits 31:0), destination port (47:32) and
    /// source port (63:48).
    pub const PORT_WORD: usize = 15;
    pub const DST_PORT_LSB: u32 = 32;
    pub const SRC_PORT_LSB: u32 = 48;
    /// The length of a TX TRYAGAIN answer (no message is this long): load the same line
    /// again.
    pub const TRYAGAIN_LEN: u64 = 0xffff;
}

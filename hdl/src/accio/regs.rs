//! The Accio register map: the one definition of every ICT, ready-queue, interrupt and
//! event-queue register. The RTL decode (`accio_ict`), the C header, the Rust constants and
//! the Markdown reference are all generated from [`regmap`].

use crate::config::IctConfig;
use crate::regmap::{Access, RegBlock, RegMap, Register};

use Access::{None as NO, ReadOnly as RO, ReadWrite as RW, WriteOnly as WO};

/// `ID.MAGIC`: "ACCI".
pub const MAGIC: u64 = 0x4143_4349;
/// `ID.VERSION` of this register layout.
pub const VERSION: u64 = 1;

/// Cycles from a lookup request to its result (`lookup_valid` → `res_valid`).
pub const LOOKUP_LATENCY: u64 = 3;
/// Cycles from an AXI4-Lite AR handshake to `rvalid` (no stall).
pub const MMIO_READ_LATENCY: u64 = 3;
/// Cycles from an RX update that makes a waiting entry ready to its interrupt line rising.
pub const WAKE_IRQ_LATENCY: u64 = 2;

/// Event codes (`EVQ_POP.TYPE`); `EVQ_POP` reads 0 when the queue is empty.
pub mod event {
    pub const NONE: u64 = 0;
    /// The MAC reported link up.
    pub const LINK_UP: u64 = 1;
    /// The MAC reported link down.
    pub const LINK_DOWN: u64 = 2;
    /// A malformed frame: `DATA[7:0]` is its class, as the RX engine reports it.
    pub const MALFORMED: u64 = 3;
    /// A datagram for entry `DATA[15:0]` found its RX ring full and was dropped.
    pub const RING_OVERFLOW: u64 = 4;
    /// A packet for a flow marked accelerated but not resident: `DATA[47:16]` its
    /// destination IPv4 address, `DATA[15:0]` its destination UDP port.
    pub const ICT_MISS: u64 = 5;
    /// A denied MMIO access to the ICT's blocks (GLOBAL, CORE, ENTRY; the NIC block answers
    /// SLVERR without an event): `DATA[15:0]` entry (0xFFFF outside the ENTRY block),
    /// `[23:16]` core, `[39:24]` that core's current ASID, `[40]` write, `[41]` privileged,
    /// `[55:42]` address bits 16:3.
    pub const PROT_FAULT: u64 = 6;
    /// A DMA error reported by a DMA engine: `DATA[39:0]` as the engine reports it
    /// (`[15:0]` entry, `[16]` write, `[18:17]` AXI response).
    pub const DMA_ERROR: u64 = 7;
}

/// Event word: `TYPE` in bits 63:56, `DATA` in 55:0.
pub const fn event_word(kind: u64, data: u64) -> u64 {
    kind << 56 | (data & ((1 << 56) - 1))
}

/// The miss-filter bit of flow (destination IPv4, destination UDP port): the 48-bit key
/// `{ip, port}` folded by XOR into `log2(bits)`-bit chunks, low chunk first. The kernel
/// sets this bit in `MISS_FILTER` to have packets of a non-resident accelerated flow raise
/// ICT_MISS events; the hardware computes the same fold.
pub fn miss_filter_hash(ip: u32, port: u16, bits: u32) -> u32 {
    let w = bits.trailing_zeros();
    let mut key = (ip as u64) << 16 | port as u64;
    let mut h = 0u64;
    while key != 0 {
        h ^= key & ((1 << w) - 1);
        key >>= w;
    }
    h as u32
}

/// [`miss_filter_hash`] in C, for drivers (`{MASK}` and `{LOG2}` filled in).
const C_HASH: &str = r#"/* The MISS_FILTER bit of flow (destination IPv4, UDP port): the 48-bit key
 * {ip, port} folded by XOR into log2(ACCIO_MISS_FILTER_BITS)-bit chunks. */
static inline uint32_t accio_miss_filter_hash(uint32_t ip, uint16_t port)
{
    uint64_t key = ((uint64_t)ip << 16) | port, h = 0;
    while (key) {
        h ^= key & {MASK};
        key >>= {LOG2};
    }
    return (uint32_t)h;
}
"#;

/// Words of an array of `bits` one-bit flags.
pub fn words_of(bits: u32) -> u32 {
    bits.div_ceil(64)
}

/// The blocks the ICT decodes.
pub const ICT_BLOCKS: [&str; 3] = ["GLOBAL", "CORE", "ENTRY"];
/// The blocks the NIC block decodes.
pub const NIC_BLOCKS: [&str; 1] = ["NIC"];
/// Base of the NIC block.
pub const NIC_BASE: u64 = 0x8000;
/// Bytes of the NIC block.
pub const NIC_SPAN: u64 = 0x1000;

/// The NIC's statistics registers (NIC block, from 0x100) and what each counts: the name
/// of the engine pulse it counts is the register name in lower case.
pub const NIC_STATS: [(&str, &str); 14] = [
    ("RX_FRAMES", "Frames received from the MAC."),
    ("RX_MAC_BAD", "Frames the MAC marked bad (dropped)."),
    ("RX_OVERRUN", "Frames dropped for want of frame-buffer space or frame slots."),
    ("RX_OFFLOADED", "Datagrams written to an ICT entry's RX ring."),
    ("RX_RING_FULL", "Datagrams dropped because their ring was full (also per entry in DROPS)."),
    ("RX_NORMAL", "Frames delivered to normal-path buffers."),
    ("RX_NO_BUFFER", "Frames dropped: no normal-path buffer posted, or longer than one."),
    ("RX_MALFORMED_DROPPED", "Malformed frames dropped (CTRL.MALFORMED_TO_NP = 0)."),
    ("TX_FRAMES", "Datagrams built from TX ring records and sent."),
    ("TX_BAD_RECORD", "TX records skipped: too long, or running past TX_TAIL."),
    ("TX_BAD_DOORBELL", "TX turns with records posted to a disabled or non-accelerated entry, or with inconsistent ring pointers (not sent)."),
    ("TX_NORMAL", "Normal-path frames sent."),
    ("RX_DMA_ERROR", "Records or frames whose DMA write failed (each also a DMA_ERROR event)."),
    ("TX_DMA_ERROR", "Records or frames whose DMA read failed (each also a DMA_ERROR event)."),
];

/// The NIC block: the normal path (IceNIC-like: posted receive buffers and their
/// completions, transmit descriptors and a completion count, an interrupt), settings and
/// statistics. Kernel only.
pub fn nic_block() -> RegBlock {
    let mut regs = vec![
        Register::new("PARAMS", 0x000, RO, NO, "The build's normal-path parameters.")
            .field("BUS_BYTES", 0, 8, "Bus width in bytes: the alignment of TX ring records.")
            .field("RX_POST_DEPTH", 8, 16, "Receive buffers that can be posted at once.")
            .field("TX_POST_DEPTH", 24, 16, "Transmit descriptors that can be queued at once.")
            .field("NP_BUFFER_BYTES", 40, 16, "Bytes of a receive buffer; longer frames are dropped."),
        Register::new("CTRL", 0x008, RW, NO, "Receive policy.").field(
            "MALFORMED_TO_NP",
            0,
            1,
            "1: deliver malformed frames to the normal path (RX_COMP.REASON = 3); 0: drop and count them.",
        ),
        Register::new("MAC_ADDR", 0x010, RW, NO, "The NIC's MAC address, the source of offloaded frames.")
            .field("MAC", 0, 48, "First octet in bits 47:40."),
        Register::new("RX_POST", 0x018, WO, NO, "Posts a receive buffer of PARAMS.NP_BUFFER_BYTES.")
            .field("ADDR", 0, 48, "Physical address, 64-byte aligned.")
            .on_write("queues the buffer; SLVERR (nothing queued) when RX_POST_DEPTH buffers wait or ADDR is not 64-byte aligned."),
        Register::new("RX_STATUS", 0x020, RO, NO, "Receive queues.")
            .field("POSTED", 0, 16, "Posted buffers not yet used.")
            .field("DONE", 16, 16, "Completions waiting in RX_COMP."),
        Register::new("RX_COMP", 0x028, RO, NO, "The oldest receive completion; buffers complete in the order they were posted.")
            .field("LEN", 0, 16, "Frame length in bytes.")
            .field("REASON", 16, 2, "0 not offloadable, 1 ICT miss, 2 entry not accelerated, 3 malformed.")
            .field("CLASS", 18, 3, "Malformed class (EV_MALFORMED data), 0 for a well-formed frame.")
            .field("ERROR", 21, 1, "The DMA write of the frame failed.")
            .field("VALID", 63, 1, "A completion was returned (0: none waiting).")
            .on_read("removes the completion returned."),
        Register::new("TX_POST", 0x030, WO, NO, "Queues a frame in host memory for transmission, unchanged.")
            .field("ADDR", 0, 48, "Physical address of the frame, bus-width aligned.")
            .field("LEN", 48, 16, "Frame length in bytes, 14 to the maximum frame.")
            .on_write("queues the descriptor; SLVERR (nothing queued) when TX_POST_DEPTH wait, LEN is out of range or ADDR is misaligned."),
        Register::new("TX_STATUS", 0x038, RO, NO, "Transmit queue.")
            .field("QUEUED", 0, 16, "Descriptors not yet read."),
        Register::new("TX_DONE", 0x040, RO, NO, "Transmit completions.")
            .field("COUNT", 0, 32, "Descriptors whose frame has been read (buffer reusable), free-running.")
            .field("ERRORS", 32, 32, "Of those, frames not sent because their DMA read failed, free-running."),
        Register::new("TX_ACK", 0x048, RW, NO, "Transmit completions the driver has handled.")
            .field("COUNT", 0, 32, "The driver writes TX_DONE.COUNT as far as it has handled it."),
        Register::new("IRQ_CTRL", 0x050, RW, NO, "Normal-path interrupt (np_irq).")
            .field("RX", 0, 1, "Interrupt while RX_STATUS.DONE > 0.")
            .field("TX", 1, 1, "Interrupt while TX_DONE.COUNT != TX_ACK.COUNT."),
        Register::new("IRQ_STATUS", 0x058, RO, NO, "Normal-path interrupt state.")
            .field("LINE", 0, 1, "np_irq.")
            .field("RX", 1, 1, "Receive completions wait.")
            .field("TX", 2, 1, "Transmit completions not acknowledged."),
    ];
    for (k, (name, doc)) in NIC_STATS.iter().enumerate() {
        regs.push(
            Register::new(name, 0x100 + 8 * k as u64, RW, NO, doc).field(
                "COUNT",
                0,
                32,
                "Saturating count; the kernel may write it.",
            ),
        );
    }
    RegBlock {
        name: "NIC".into(),
        base: NIC_BASE,
        count: 1,
        stride: NIC_SPAN,
        doc: "Normal path (IceNIC-like), NIC settings and statistics. Kernel only; a user access \
              answers SLVERR."
            .into(),
        regs,
    }
}

/// The Accio register map for this configuration.
pub fn regmap(cfg: &IctConfig) -> RegMap {
    let (global, core, entry) = (global_block(cfg), core_block(cfg), entry_block(cfg));
    let nic = nic_block();
    use event::*;
    let c = |n: &str, v: u64, d: &str| (n.to_string(), v, d.to_string());
    RegMap {
        name: "ACCIO".into(),
        doc: "Accio I/O Connection Table (ICT), hardware ready queues, prioritised I/O interrupts, \
              the control event queue and the NIC block (normal path, settings, statistics), \
              behind one AXI4-Lite slave. The requesting core comes in AxUSER."
            .into(),
        data_width: 64,
        blocks: vec![global, core, entry, nic],
        consts: vec![
            c("EV_LINK_UP", LINK_UP, "Event: link up."),
            c("EV_LINK_DOWN", LINK_DOWN, "Event: link down."),
            c("EV_MALFORMED", MALFORMED, "Event: malformed frame, DATA[7:0] = class."),
            c("EV_RING_OVERFLOW", RING_OVERFLOW, "Event: RX ring full, DATA[15:0] = entry."),
            c("EV_ICT_MISS", ICT_MISS, "Event: non-resident accelerated flow, DATA[47:16] = IPv4, DATA[15:0] = port."),
            c("EV_PROT_FAULT", PROT_FAULT, "Event: denied MMIO access, DATA = entry[15:0] core[23:16] asid[39:24] write[40] privileged[41] addr[16:3] at [55:42]."),
            c("EV_DMA_ERROR", DMA_ERROR, "Event: DMA error, DATA[39:0] from the DMA engine."),
            c("RQ_EMPTY", 0, "RQ_POP / RQ_PEEK value when no entry is ready."),
            c("LOOKUP_LATENCY", LOOKUP_LATENCY, "Cycles from a lookup request to its result."),
            c("MMIO_READ_LATENCY", MMIO_READ_LATENCY, "Cycles from AR handshake to rvalid."),
            c("MISS_FILTER_BITS", cfg.miss_filter_bits as u64, "Bits of GLOBAL.MISS_FILTER."),
        ],
        c_code: C_HASH
            .replace("{MASK}", &format!("{}u", cfg.miss_filter_bits - 1))
            .replace("{LOG2}", &format!("{}u", cfg.miss_filter_bits.trailing_zeros())),
    }
}

/// GLOBAL: identification, the control event queue, slot replacement, the miss filter.
fn global_block(cfg: &IctConfig) -> RegBlock {
    RegBlock {
        name: "GLOBAL".into(),
        base: 0,
        count: 1,
        stride: 0x800,
        doc: "Identification, the control event queue, slot replacement and the miss filter. \
              Kernel only."
            .into(),
        regs: vec![
            Register::new("ID", 0x000, RO, NO, "Identifies the register layout.")
                .field("VERSION", 0, 16, "Layout version.")
                .field("MAGIC", 32, 32, "0x41434349 (\"ACCI\").")
                .reset(MAGIC << 32 | VERSION),
            Register::new(
                "PARAMS",
                0x008,
                RO,
                NO,
                "The configuration this NIC was built with.",
            )
            .field("ENTRIES", 0, 16, "ICT slots.")
            .field("CORES", 16, 8, "Cores.")
            .field("FILTER_LOG2", 24, 8, "log2 of the miss-filter bits.")
            .field("EVQ_LOG2", 32, 8, "log2 of the event queue depth."),
            Register::new(
                "EVQ_POP",
                0x010,
                RO,
                NO,
                "The oldest control event, or 0 when the queue is empty.",
            )
            .field("DATA", 0, 56, "Event data; its layout depends on TYPE.")
            .field("TYPE", 56, 8, "Event code (EV_*); 0 = queue empty.")
            .on_read("removes the event returned from the queue."),
            Register::new("EVQ_STATUS", 0x018, RO, NO, "Events waiting in the queue.").field(
                "COUNT",
                0,
                16,
                "Events in the queue (not counting ones still being merged in).",
            ),
            Register::new(
                "EVQ_LOST",
                0x020,
                RW,
                NO,
                "Events lost because the queue was full.",
            )
            .field("COUNT", 0, 32, "Saturating count; write 0 to clear."),
            Register::new("EVQ_CTRL", 0x028, RW, NO, "Event queue interrupt.").field(
                "IRQ_EN",
                0,
                1,
                "Raise evq_irq while the queue is not empty.",
            ),
            Register::new(
                "VICTIM",
                0x030,
                RO,
                NO,
                "The slot to refill next (clock replacement).",
            )
            .field(
                "INDEX",
                0,
                16,
                "Slot: the first disabled one from the clock hand, else the \
                       first enabled one whose USED bit is clear, else the hand itself.",
            )
            .field("FREE", 16, 1, "The slot is disabled.")
            .field("UNUSED", 17, 1, "The slot's USED bit was clear.")
            .on_read("moves the clock hand past INDEX."),
            Register::new("USAGE_CLEAR", 0x038, WO, NO, "Ages every slot.")
                .field("ALL", 0, 1, "Write 1 to clear every USED bit.")
                .on_write("clears the USED bits when ALL is 1."),
            Register::new("LINK", 0x040, RO, NO, "Link state as the MAC reports it.").field(
                "UP",
                0,
                1,
                "The link is up.",
            ),
            Register::new(
                "USAGE",
                0x100,
                RO,
                NO,
                "USED bits of slots 64k..64k+63: set when a lookup hits the slot.",
            )
            .field("BITS", 0, 64, "Bit j is slot 64k+j.")
            .array(words_of(cfg.entries)),
            Register::new(
                "MISS_FILTER",
                0x200,
                RW,
                NO,
                "Flows marked accelerated but not resident.",
            )
            .field(
                "BITS",
                0,
                64,
                "Bit j is filter bit 64k+j; see ACCIO miss_filter_hash.",
            )
            .array(cfg.miss_filter_bits / 64),
        ],
    }
}

/// CORE[c]: context, ready queue, interrupt.
fn core_block(cfg: &IctConfig) -> RegBlock {
    RegBlock {
        name: "CORE".into(),
        base: 0x800,
        count: cfg.cores,
        stride: 0x40,
        doc: "Per core: its current context, its hardware ready queue and its prioritised I/O \
              interrupt. Kernel only."
            .into(),
        regs: vec![
            Register::new("CTX", 0x00, RW, NO, "What the core runs now; the kernel writes it on every context switch.")
                .field("ASID", 0, 16, "Address space of the running thread: user MMIO may reach the entries with this ASID.")
                .field("ACCEL", 16, 1, "The running thread is an accelerated I/O thread.")
                .field("PRIO", 20, 4, "Its interrupt priority (with ACCEL)."),
            Register::new("RQ_POP", 0x08, RO, NO, "Next ready entry of this core, round-robin; 0 when none is ready.")
                .field("INDEX", 0, 16, "The entry.")
                .field("RX", 16, 1, "It was ready for RX (data arrived while its thread waited).")
                .field("TX", 17, 1, "It was ready for TX (ring space freed while its thread waited).")
                .field("VALID", 63, 1, "An entry was ready.")
                .on_read("clears the entry's RX_WAITING and TX_WAITING and moves the round-robin past it; latches RQ_HANDLE."),
            Register::new("RQ_PEEK", 0x10, RO, NO, "What RQ_POP would return now.")
                .field("INDEX", 0, 16, "The entry.")
                .field("RX", 16, 1, "Ready for RX.")
                .field("TX", 17, 1, "Ready for TX.")
                .field("VALID", 63, 1, "An entry is ready.")
                .on_read("latches RQ_HANDLE; changes nothing else."),
            Register::new("RQ_HANDLE", 0x18, RO, NO, "Owner handle of the entry the last RQ_POP or RQ_PEEK of this core returned (0 after an empty one).")
                .field("HANDLE", 0, 64, "The entry's HANDLE at the time of that read."),
            Register::new("IRQ_CTRL", 0x20, RW, NO, "The core's I/O interrupt line.")
                .field("EN", 0, 1, "Enable the line."),
            Register::new("IRQ_STATUS", 0x28, RO, NO, "Why the line is (not) raised.")
                .field("LINE", 0, 1, "The irq output now.")
                .field("READY", 1, 1, "Some entry of this core is ready.")
                .field("ELIGIBLE", 2, 1, "Some ready entry of this core may interrupt it (IRQ_PRIO above \
                       the running accelerated thread's PRIO, or the core runs no accelerated thread)."),
        ],
    }
}

/// ENTRY[i]: one ICT slot.
fn entry_block(cfg: &IctConfig) -> RegBlock {
    let ptr = |name: &str, off, user, doc: &str| {
        Register::new(name, off, RW, user, doc).field(
            "PTR",
            0,
            32,
            "Byte offset, free-running modulo 2^32.",
        )
    };
    RegBlock {
        name: "ENTRY".into(),
        base: 0x10000,
        count: cfg.entries,
        stride: 0x100,
        doc: "One ICT slot per instance. The kernel reads and writes every register. User code \
              reaches an entry only while the core's CTX.ASID equals the entry's OWNER.ASID, and \
              only the registers marked for it."
            .into(),
        regs: vec![
            Register::new("CTRL", 0x00, RW, RO, "Slot state.")
                .field("ENABLED", 0, 1, "The slot holds a connection: lookups may hit it, it can become ready.")
                .field("ACCELERATED", 1, 1, "Its datagrams go to its rings (else to the normal path).")
                .field("PROTOCOL", 8, 8, "IP protocol (17 = UDP).")
                .field("IRQ_PRIO", 16, 4, "0: waking the thread never interrupts; else its I/O interrupt priority."),
            Register::new("LOCAL", 0x08, RW, NO, "Lookup key: destination of received datagrams.")
                .field("PORT", 0, 16, "Local UDP port.")
                .field("IP", 16, 32, "Local IPv4 address."),
            Register::new("REMOTE", 0x10, RW, NO, "Peer of the connection (destination of sent datagrams).")
                .field("PORT", 0, 16, "Remote UDP port.")
                .field("IP", 16, 32, "Remote IPv4 address."),
            Register::new("REMOTE_MAC", 0x18, RW, NO, "Next-hop MAC address for sent frames.")
                .field("MAC", 0, 48, "MAC address, first octet in bits 47:40."),
            Register::new("CONN_ID", 0x20, RW, RO, "The OS's connection (socket) identifier.")
                .field("ID", 0, 32, "Identifier."),
            Register::new("OWNER", 0x28, RW, NO, "Who owns the connection.")
                .field("ASID", 0, 16, "Address space allowed user access.")
                .field("CORE", 16, 8, "Core whose ready queue and interrupt the entry uses."),
            Register::new("HANDLE", 0x30, RW, NO, "Owner handle (e.g. the waiting task's pointer), returned through RQ_HANDLE.")
                .field("HANDLE", 0, 64, "Opaque to the NIC."),
            Register::new("RX_BASE", 0x38, RW, NO, "RX ring in host memory.")
                .field("ADDR", 0, 64, "Physical address."),
            Register::new("RX_SIZE", 0x40, RW, RO, "RX ring size.")
                .field("BYTES", 0, 32, "Bytes."),
            ptr("RX_HEAD", 0x48, RW, "RX consumer pointer (user code advances it after reading).")
                .on_write("doorbell to the RX engine (ring space freed)."),
            ptr("RX_TAIL", 0x50, RO, "RX producer pointer (the RX engine advances it)."),
            Register::new("TX_BASE", 0x58, RW, NO, "TX ring in host memory.")
                .field("ADDR", 0, 64, "Physical address."),
            Register::new("TX_SIZE", 0x60, RW, RO, "TX ring size.")
                .field("BYTES", 0, 32, "Bytes."),
            ptr("TX_HEAD", 0x68, RO, "TX consumer pointer (the TX engine advances it)."),
            ptr("TX_TAIL", 0x70, RW, "TX producer pointer (user code advances it after writing records).")
                .on_write("doorbell to the TX engine (records to send)."),
            Register::new("WAIT", 0x78, RW, RW, "The owner thread sleeps on this entry.")
                .field("RX", 0, 1, "Waits for RX data: the entry becomes ready while RX_HEAD != RX_TAIL.")
                .field("TX", 1, 1, "Waits for TX space: the entry becomes ready when the TX engine next advances TX_HEAD.")
                .on_write("writing TX = 1 forgets earlier TX_HEAD advances, so only later ones wake the thread; \
                           set the bit, then check the ring again before sleeping."),
            Register::new("STATUS", 0x80, RO, RO, "Derived state.")
                .field("RX_PENDING", 0, 1, "RX_HEAD != RX_TAIL.")
                .field("TX_FREED", 1, 1, "The TX engine advanced TX_HEAD since WAIT.TX was last written 1.")
                .field("READY", 2, 1, "The entry is in its core's ready queue.")
                .field("USED", 3, 1, "A lookup hit the slot since the last USAGE_CLEAR."),
            Register::new("DROPS", 0x88, RW, RO, "Datagrams dropped because the RX ring was full.")
                .field("COUNT", 0, 32, "Saturating count; the kernel may write it."),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_is_consistent_at_every_size() {
        for (entries, cores, bits) in [(1, 1, 64), (64, 4, 1024), (256, 64, 4096), (100, 3, 128)] {
            let cfg = IctConfig {
                entries,
                cores,
                miss_filter_bits: bits,
                event_queue_depth: 64,
            };
            regmap(&cfg).validate().unwrap();
        }
    }

    #[test]
    fn hash_folds_the_key() {
        assert_eq!(miss_filter_hash(0, 0, 1024), 0);
        assert_eq!(miss_filter_hash(0, 5, 1024), 5);
        // 48 bits in 10-bit chunks: port 0x0400 puts bit 10 (chunk 1, bit 0) up.
        assert_eq!(miss_filter_hash(0, 0x0401, 1024), 0);
        assert!(miss_filter_hash(0x0a00_0001, 4791, 1024) < 1024);
    }
}

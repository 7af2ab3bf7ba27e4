//! The Lauberhorn register map: the one definition of every register the kernel uses to
//! run the NIC (addresses, the receive policy, the held-load timeout, each core's
//! scheduling state and preemption, the service table, the statistics). The RTL decode
//! (`lauberhorn_csr`), the C header, the Rust constants and the Markdown reference are all
//! generated from [`regmap`]. Every register is the kernel's: a user access answers SLVERR.

use crate::config::LauberhornConfig;
use crate::regmap::{Access, RegBlock, RegMap, Register};

use Access::{None as NO, ReadOnly as RO, ReadWrite as RW};

/// `ID.MAGIC`: "LAUB".
pub const MAGIC: u64 = 0x4c41_5542;
/// `ID.VERSION` of this register layout.
pub const VERSION: u64 = 3;

/// The statistics counters of GLOBAL, with the pulse each counts.
pub const STATS: [(&str, &str); 20] = [
    (
        "CALLS",
        "Calls delivered into a slot and queued for their process.",
    ),
    (
        "REFUSED",
        "Calls whose process queue was full (slot freed, call dropped).",
    ),
    (
        "NO_SLOT",
        "Matching calls dropped because no slot was free.",
    ),
    (
        "MALFORMED",
        "Malformed calls on a service port (dropped or passed on, CTRL.REJECT_TO_OTHER).",
    ),
    (
        "UNMATCHED",
        "Well-formed calls no service matches (dropped or passed on, CTRL.REJECT_TO_OTHER).",
    ),
    (
        "TOO_LARGE",
        "Calls whose arguments exceed the CONTROL and AUX lines (to an ICT ring with CTRL.DMA_FALLBACK, else passed on).",
    ),
    (
        "DMA_CALLS",
        "Too-large calls delivered through an ICT ring (also counted in CALLS or REFUSED).",
    ),
    (
        "DMA_DROPPED",
        "Too-large calls the DMA fallback dropped: no accelerated ICT entry for their port, or its ring full.",
    ),
    ("OTHER", "Frames passed on unchanged (m_axis_other)."),
    (
        "OVERRUN",
        "Frames dropped because the receive buffer or its frame slots were full.",
    ),
    ("MAC_BAD", "Frames the MAC marked bad."),
    ("REPLIES", "Replies sent."),
    (
        "BAD_RESULTS",
        "Replies sent as SYSTEM_ERR: the handler wrote no response, or a length past the lines.",
    ),
    (
        "TRYAGAINS",
        "Held loads answered TRYAGAIN (timeout, preemption or retirement).",
    ),
    (
        "VIOLATIONS",
        "Coherence protocol violations answered with an error line.",
    ),
    ("SENT", "Datagrams sent from TX lines."),
    (
        "ERROR_REPLIES",
        "Unmatched calls answered PROG_UNAVAIL, PROG_MISMATCH or PROC_UNAVAIL (CTRL.ERROR_REPLIES).",
    ),
    (
        "TX_DROPPED",
        "TX-line messages dropped: length 0 or past the line, or a user endpoint's source port other than CORE.TX_PORT.",
    ),
    (
        "RING_REPLIES",
        "Slots freed without a reply: the handler answered through its port's ICT TX ring (CONTROL word 0 RING; the ring's frames are not counted in REPLIES).",
    ),
    (
        "RING_DROPPED",
        "ICT TX ring records not sent: longer than the largest payload, or running past the posted data.",
    ),
];

/// The per-process load statistics (PROCESS block), read from the scheduler.
pub const PROCESS_STATS: [(&str, u32, &str); 4] = [
    (
        "QUEUED",
        0x00,
        "Requests waiting in the process's queue now.",
    ),
    ("ARRIVED", 0x08, "Requests queued, free-running."),
    (
        "DISPATCHED",
        0x10,
        "Requests handed to an endpoint, free-running.",
    ),
    (
        "REFUSED",
        0x18,
        "Requests refused because the queue was full, free-running.",
    ),
];

/// The service-table words (SERVICE block), in `service_table::word` order.
pub const SERVICE_REGS: [&str; 5] = ["MATCH", "SELECT", "FUNC", "DATA", "PROCESS"];

/// Block bases.
pub const CORE_BASE: u64 = 0x1000;
pub const PROCESS_BASE: u64 = 0x2000;
pub const SERVICE_BASE: u64 = 0x4000;

pub fn regmap(cfg: &LauberhornConfig) -> RegMap {
    let pw = crate::ir::clog2(u64::from(cfg.processes));
    let mut global = vec![
        Register::new("ID", 0x000, RO, NO, "Identifies the register layout.")
            .field("VERSION", 0, 16, "Layout version.")
            .field("MAGIC", 32, 32, "0x4C415542 (\"LAUB\").")
            .reset(MAGIC << 32 | VERSION),
        Register::new("PARAMS", 0x008, RO, NO, "The configuration this NIC was built with.")
            .field("CORES", 0, 8, "Cores (each with a user and a kernel endpoint).")
            .field("AUX_LINES", 8, 8, "AUX lines per endpoint.")
            .field("SLOTS", 16, 16, "Request slots.")
            .field("SERVICES", 32, 8, "Service-table entries.")
            .field("PROCESSES", 40, 8, "Process queues.")
            .field("QUEUE_LIMIT", 48, 16, "Requests one process may have queued.")
            .reset(
                u64::from(cfg.cores)
                    | u64::from(cfg.aux_lines) << 8
                    | u64::from(cfg.slots) << 16
                    | u64::from(cfg.services) << 32
                    | u64::from(cfg.processes) << 40
                    | u64::from(cfg.queue_limit) << 48,
            ),
        Register::new("CTRL", 0x010, RW, NO, "Receive policy.").field(
            "REJECT_TO_OTHER",
            0,
            1,
            "1: malformed and unmatched calls go to m_axis_other (the normal path); 0: dropped. Both are counted.",
        )
        .field(
            "ERROR_REPLIES",
            1,
            1,
            "1: a well-formed call to a service port that no entry matches is answered (RFC 5531): PROG_UNAVAIL if no entry has the program on the port, PROG_MISMATCH with the lowest and highest version there, else PROC_UNAVAIL. It needs a free slot; without one, REJECT_TO_OTHER decides.",
        )
        .field(
            "DMA_FALLBACK",
            2,
            1,
            "1: a call whose arguments are too large for the lines goes into the RX ring of the ICT entry for its port (LOCAL = LOCAL_IP and the service's port) and reaches its core as a KIND_DMA request once the record is in memory; 0: passed on (m_axis_other).",
        ),
        Register::new("LOCAL_IP", 0x018, RW, NO, "The IPv4 address calls must be sent to; replies come from it.")
            .field("IP", 0, 32, "First octet in bits 31:24."),
        Register::new("LOCAL_MAC", 0x020, RW, NO, "The source MAC address of replies.")
            .field("MAC", 0, 48, "First octet in bits 47:40."),
        Register::new("TIMEOUT", 0x028, RW, NO, "How long a held CONTROL-line load waits for a request.")
            .field("CYCLES", 0, 24, "Cycles before the load is answered TRYAGAIN (at least 16).")
            .reset(u64::from(cfg.timeout_cycles)),
        Register::new("BACKLOG", 0x030, RO, NO, "Work for the kernel's dispatch.")
            .field("PENDING", 0, 1, "A request waits for a process no core runs in user mode."),
    ];
    for (k, (name, doc)) in STATS.iter().enumerate() {
        global.push(
            Register::new(name, 0x080 + 8 * k as u64, RW, NO, doc).field(
                "COUNT",
                0,
                32,
                "Saturating count; write to set (0 to clear).",
            ),
        );
    }
    let core = RegBlock {
        name: "CORE".into(),
        base: CORE_BASE,
        count: cfg.cores,
        stride: 0x20,
        doc: "Per core: the scheduling state the kernel shares with the NIC, preemption and retirement, and what its user endpoint may send.".into(),
        regs: vec![
            Register::new("SCHED", 0x0, RW, NO, "What the core runs.")
                .field("MODE", 0, 2, "0 other (no requests), 1 the process's user dispatch loop, 2 the kernel's dispatch loop (requests for processes no core runs).")
                .field("PROCESS", 8, pw, "The process (queue) the core runs in mode 1."),
            Register::new("PREEMPT", 0x8, RW, NO, "Preempt the core.")
                .field("REQ", 0, 1, "1: the core's held loads are answered TRYAGAIN with PREEMPT, it gets no requests, and its interrupt line (irq) is high. The kernel clears it.")
                .field("RETIRE", 1, 1, "1: the core's held loads are answered TRYAGAIN with RETIRE and it gets no requests, without an interrupt: a kernel dispatch thread that cannot be preempted leaves its loop. The kernel clears it."),
            Register::new("TX_PORT", 0x10, RW, NO, "What the core's user endpoint may send from its TX lines.")
                .field("PORT", 0, 16, "The UDP source port its datagrams must have (others are dropped and counted in TX_DROPPED); the kernel endpoint may use any."),
        ],
    };
    let process = RegBlock {
        name: "PROCESS".into(),
        base: PROCESS_BASE,
        count: cfg.processes,
        stride: 0x20,
        doc: "Per process: the load statistics the kernel reallocates cores by.".into(),
        regs: PROCESS_STATS
            .iter()
            .map(|(n, off, doc)| {
                Register::new(n, u64::from(*off), RO, NO, doc).field("COUNT", 0, 32, "The count.")
            })
            .collect(),
    };
    let service = RegBlock {
        name: "SERVICE".into(),
        base: SERVICE_BASE,
        count: cfg.services,
        stride: 0x40,
        doc: "The service table: which calls a service takes, and where they go.".into(),
        regs: vec![
            Register::new("MATCH", 0x00, RW, NO, "The ONC-RPC program and version.")
                .field("VERS", 0, 32, "Version.")
                .field("PROG", 32, 32, "Program."),
            Register::new("SELECT", 0x08, RW, NO, "Procedure, port and enable.")
                .field("ENABLE", 0, 1, "The entry takes calls.")
                .field(
                    "ANY_PROC",
                    1,
                    1,
                    "Any procedure (the function dispatches by procedure itself).",
                )
                .field("PORT", 16, 16, "UDP destination port.")
                .field("PROC", 32, 32, "Procedure (unless ANY_PROC)."),
            Register::new(
                "FUNC",
                0x10,
                RW,
                NO,
                "The function (code) pointer in the CONTROL line.",
            )
            .field("PTR", 0, 64, "Virtual address in the process."),
            Register::new(
                "DATA",
                0x18,
                RW,
                NO,
                "The data pointer in the CONTROL line.",
            )
            .field("PTR", 0, 64, "Virtual address in the process."),
            Register::new(
                "PROCESS",
                0x20,
                RW,
                NO,
                "The process whose queue takes the calls.",
            )
            .field("PROCESS", 0, pw, "Process index."),
        ],
    };
    RegMap {
        name: "LAUBERHORN".into(),
        doc: "Lauberhorn: the kernel's registers of the RPC NIC (kernel only).".into(),
        data_width: 64,
        blocks: vec![
            RegBlock {
                name: "GLOBAL".into(),
                base: 0,
                count: 1,
                stride: 0x400,
                doc: "Identification, addresses, policy, the timeout, statistics.".into(),
                regs: global,
            },
            core,
            process,
            service,
        ],
        consts: vec![
            (
                "MODE_OTHER".into(),
                crate::lauberhorn::scheduler::mode::OTHER,
                "SCHED.MODE: running something else.".into(),
            ),
            (
                "MODE_USER".into(),
                crate::lauberhorn::scheduler::mode::USER,
                "SCHED.MODE: the process's user dispatch loop.".into(),
            ),
            (
                "MODE_KERNEL".into(),
                crate::lauberhorn::scheduler::mode::KERNEL,
                "SCHED.MODE: the kernel's dispatch loop.".into(),
            ),
        ],
        c_code: String::new(),
    }
}

//! The one configuration every generator reads. `gen --config FILE.toml` loads it; every
//! key is optional and documented here with its default. Unknown keys are errors, so a
//! misspelt parameter never silently falls back to its default.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Network data path.
    pub net: NetConfig,
    /// FIFO tops.
    pub fifo: FifoConfig,
    /// Arbiter top.
    pub arbiter: ArbiterConfig,
    /// Header-stripping byte shifter top.
    pub shifter: ShifterConfig,
    /// Accio I/O Connection Table, ready queues and control event queue.
    pub ict: IctConfig,
    /// Accio receive path (UDP offload and normal-path delivery).
    pub rx: RxConfig,
    /// Accio transmit path (UDP offload and normal-path frames).
    pub tx: TxConfig,
    /// Accio normal path (IceNIC-like queues).
    pub np: NpConfig,
    /// Lauberhorn: coherent CONTROL-line endpoints and ONC-RPC dispatch.
    pub lauberhorn: LauberhornConfig,
    /// Timing target written into each top's constraints (`<top>.xdc`).
    pub timing: TimingConfig,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TimingConfig {
    /// Period of every top's `clk` in picoseconds, 1000 to 20000 (an integer, so the
    /// constraint is exact): 4000 is 250 MHz (the NIC core clock), 3103 is 322.27 MHz (a
    /// 100G MAC's clock). Default 4000.
    pub clock_period_ps: u32,
}

impl Default for TimingConfig {
    fn default() -> Self {
        TimingConfig {
            clock_period_ps: 4000,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LauberhornConfig {
    /// Cores, each with a user and a kernel endpoint, 1 to 64. Default 4.
    pub cores: u32,
    /// Data bits per beat of the coherence channels: 128, 256, 512 or 1024 (a 128-byte
    /// line is 1024 / width beats). Default 512.
    pub coh_width: u32,
    /// AUX lines per endpoint for arguments and results past the CONTROL line, 1 to 28.
    /// Default 7 (a request slot is then 8 lines, 1 KiB).
    pub aux_lines: u32,
    /// Request slots (a CONTROL line and its AUX lines each) shared by every endpoint and
    /// process queue: a power of two, 4 to 256. Default 32.
    pub slots: u32,
    /// Reset value of the TIMEOUT register: cycles a held load waits before TRYAGAIN,
    /// 16 to 2^24 - 1. Default 10000 (40 µs at 250 MHz, as the Enzian prototype).
    pub timeout_cycles: u32,
    /// RPC processes the NIC queues requests for (the service table names one per
    /// service), 1 to 64. Default 16.
    pub processes: u32,
    /// Requests one process may have queued, 1 to `slots`, so one busy process cannot
    /// take every slot. Default 16.
    pub queue_limit: u32,
    /// Entries of the service table, 2 to 64. Default 16.
    pub services: u32,
    /// The RPC receive buffer in bytes: a power of two of at least 64 MAC beats.
    /// Default 16384.
    pub buffer_bytes: u32,
}

impl Default for LauberhornConfig {
    fn default() -> Self {
        LauberhornConfig {
            cores: 4,
            coh_width: 512,
            aux_lines: 7,
            slots: 32,
            timeout_cycles: 10_000,
            processes: 16,
            queue_limit: 16,
            services: 16,
            buffer_bytes: 16384,
        }
    }
}

impl LauberhornConfig {
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if !(1..=64).contains(&self.cores) {
            p.push(format!(
                "lauberhorn.cores = {}: must be 1 to 64",
                self.cores
            ));
        }
        if ![128, 256, 512, 1024].contains(&self.coh_width) {
            p.push(format!(
                "lauberhorn.coh_width = {}: must be 128, 256, 512 or 1024",
                self.coh_width
            ));
        }
        if !(1..=28).contains(&self.aux_lines) {
            p.push(format!(
                "lauberhorn.aux_lines = {}: must be 1 to 28",
                self.aux_lines
            ));
        }
        let s = self.slots;
        if !(4..=256).contains(&s) || !s.is_power_of_two() {
            p.push(format!(
                "lauberhorn.slots = {s}: must be a power of two from 4 to 256"
            ));
        }
        if !(16..(1 << 24)).contains(&self.timeout_cycles) {
            p.push(format!(
                "lauberhorn.timeout_cycles = {}: must be 16 to 16777215",
                self.timeout_cycles
            ));
        }
        if !(1..=64).contains(&self.processes) {
            p.push(format!(
                "lauberhorn.processes = {}: must be 1 to 64",
                self.processes
            ));
        }
        if !(2..=64).contains(&self.services) {
            p.push(format!(
                "lauberhorn.services = {}: must be 2 to 64",
                self.services
            ));
        }
        if self.queue_limit == 0 || self.queue_limit > s {
            p.push(format!(
                "lauberhorn.queue_limit = {}: must be 1 to lauberhorn.slots ({s})",
                self.queue_limit
            ));
        }
        p
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TxConfig {
    /// Longest UDP payload sent from a TX ring record, 1 to 8972 (1472: a 1500-byte MTU);
    /// longer records are skipped and counted. Default 1472.
    pub max_payload: u32,
    /// Longest normal-path frame in bytes without FCS, 60 to 9014. Default 1514.
    pub max_frame: u32,
    /// DMA read bursts in flight: a power of two from 2 to 256. Default 16.
    pub dma_outstanding: u32,
}

impl Default for TxConfig {
    fn default() -> Self {
        TxConfig {
            max_payload: 1472,
            max_frame: 1514,
            dma_outstanding: 16,
        }
    }
}

impl TxConfig {
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if !(1..=8972).contains(&self.max_payload) {
            p.push(format!(
                "tx.max_payload = {}: must be 1 to 8972",
                self.max_payload
            ));
        }
        if !(60..=9014).contains(&self.max_frame) {
            p.push(format!(
                "tx.max_frame = {}: must be 60 to 9014",
                self.max_frame
            ));
        }
        let o = self.dma_outstanding;
        if o < 2 || !o.is_power_of_two() || o > 256 {
            p.push(format!(
                "tx.dma_outstanding = {o}: must be a power of two from 2 to 256"
            ));
        }
        p
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NpConfig {
    /// Receive buffers the driver can post at once: a power of two, 64 to 4096. Default 256.
    pub rx_buffers: u32,
    /// Transmit descriptors that can wait at once: a power of two, 2 to 4096. Default 64.
    pub tx_descriptors: u32,
}

impl Default for NpConfig {
    fn default() -> Self {
        NpConfig {
            rx_buffers: 256,
            tx_descriptors: 64,
        }
    }
}

impl NpConfig {
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        let r = self.rx_buffers;
        if !(64..=4096).contains(&r) || !r.is_power_of_two() {
            p.push(format!(
                "np.rx_buffers = {r}: must be a power of two from 64 to 4096"
            ));
        }
        let t = self.tx_descriptors;
        if !(2..=4096).contains(&t) || !t.is_power_of_two() {
            p.push(format!(
                "np.tx_descriptors = {t}: must be a power of two from 2 to 4096"
            ));
        }
        p
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RxConfig {
    /// Frame buffer in bytes: a power of two of at least 2 bus beats. Default 16384.
    pub buffer_bytes: u32,
    /// Bytes of each normal-path receive buffer, 64 to 65535; longer frames are dropped
    /// and counted. Default 2048.
    pub np_buffer_bytes: u32,
    /// DMA write bursts in flight: a power of two, at least 2. Default 16.
    pub dma_outstanding: u32,
}

impl Default for RxConfig {
    fn default() -> Self {
        RxConfig {
            buffer_bytes: 16384,
            np_buffer_bytes: 2048,
            dma_outstanding: 16,
        }
    }
}

impl RxConfig {
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        let b = self.buffer_bytes;
        if !b.is_power_of_two() || b < 128 {
            p.push(format!(
                "rx.buffer_bytes = {b}: must be a power of two of at least 128"
            ));
        }
        if !(64..=65535).contains(&self.np_buffer_bytes) {
            p.push(format!(
                "rx.np_buffer_bytes = {}: must be 64 to 65535",
                self.np_buffer_bytes
            ));
        }
        let o = self.dma_outstanding;
        if o < 2 || !o.is_power_of_two() || o > 256 {
            p.push(format!(
                "rx.dma_outstanding = {o}: must be a power of two from 2 to 256"
            ));
        }
        p
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IctConfig {
    /// ICT slots (connections resident in hardware), 1 to 256. Default 64.
    pub entries: u32,
    /// Cores with a ready queue, a current-context register and an I/O interrupt line,
    /// 1 to 64. Default 4.
    pub cores: u32,
    /// Bits of the miss filter marking flows accelerated but not resident: a power of two,
    /// 64 to 4096. Default 1024.
    pub miss_filter_bits: u32,
    /// Control event queue entries: a power of two, 2 to 1024. Default 64.
    pub event_queue_depth: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NetConfig {
    /// AXI4-Stream tdata width in bits: a multiple of 8 (the NIC tops take 64, 128, 256
    /// or 512). Default 512 (100 GbE at 250 MHz).
    pub data_width: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FifoConfig {
    /// Entries of the synchronous and packet FIFOs: a power of two. Default 1024.
    pub depth: u64,
    /// Packet FIFO when a frame does not fit: drop it (true; the input never stalls, as a
    /// MAC's receive side needs) or hold the input until it fits (false). Default true.
    pub drop_when_full: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ArbiterConfig {
    /// Requesters of the round-robin arbiter (at least 1). Default 8.
    pub requesters: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ShifterConfig {
    /// Largest header the byte shifter strips, in bytes (at least 1). Default 128.
    pub max_offset: u32,
}

impl Default for IctConfig {
    fn default() -> Self {
        IctConfig {
            entries: 64,
            cores: 4,
            miss_filter_bits: 1024,
            event_queue_depth: 64,
        }
    }
}
impl Default for NetConfig {
    fn default() -> Self {
        NetConfig { data_width: 512 }
    }
}
impl Default for FifoConfig {
    fn default() -> Self {
        FifoConfig {
            depth: 1024,
            drop_when_full: true,
        }
    }
}
impl Default for ArbiterConfig {
    fn default() -> Self {
        ArbiterConfig { requesters: 8 }
    }
}
impl Default for ShifterConfig {
    fn default() -> Self {
        ShifterConfig { max_offset: 128 }
    }
}

impl IctConfig {
    /// Every problem with the `[ict]` values, one message per key.
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if !(1..=256).contains(&self.entries) {
            p.push(format!("ict.entries = {}: must be 1 to 256", self.entries));
        }
        if !(1..=64).contains(&self.cores) {
            p.push(format!("ict.cores = {}: must be 1 to 64", self.cores));
        }
        let f = self.miss_filter_bits;
        if !(64..=4096).contains(&f) || !f.is_power_of_two() {
            p.push(format!(
                "ict.miss_filter_bits = {f}: must be a power of two from 64 to 4096"
            ));
        }
        let d = self.event_queue_depth;
        if !(2..=1024).contains(&d) || !d.is_power_of_two() {
            p.push(format!(
                "ict.event_queue_depth = {d}: must be a power of two from 2 to 1024"
            ));
        }
        p
    }
}

impl Config {
    /// Every problem with the values, one message per key (empty when valid).
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        let w = self.net.data_width;
        if w == 0 || !w.is_multiple_of(8) {
            p.push(format!(
                "net.data_width = {w}: must be a positive multiple of 8"
            ));
        }
        let d = self.fifo.depth;
        if d < 2 || !d.is_power_of_two() {
            p.push(format!(
                "fifo.depth = {d}: must be a power of two, at least 2"
            ));
        }
        if self.arbiter.requesters == 0 {
            p.push("arbiter.requesters = 0: must be at least 1".into());
        }
        if self.shifter.max_offset == 0 {
            p.push("shifter.max_offset = 0: must be at least 1".into());
        }
        p.extend(self.ict.problems());
        p.extend(self.rx.problems());
        p.extend(self.tx.problems());
        p.extend(self.np.problems());
        p.extend(self.lauberhorn.problems());
        let t = self.timing.clock_period_ps;
        if !(1000..=20000).contains(&t) {
            p.push(format!(
                "timing.clock_period_ps = {t}: must be 1000 to 20000 (1 GHz to 50 MHz)"
            ));
        }
        p
    }

    /// Parses TOML and validates it; the error says which key is wrong and why.
    pub fn from_toml(text: &str) -> Result<Config, String> {
        let cfg: Config = toml::from_str(text).map_err(|e| e.to_string())?;
        let problems = cfg.problems();
        if problems.is_empty() {
            Ok(cfg)
        } else {
            Err(problems.join("\n"))
        }
    }

    /// The default configuration as documented TOML (what `gen --print-config` shows).
    pub fn default_toml() -> String {
        DEFAULT_TOML.to_string()
    }
}

/// Kept next to the structs above; a test checks it parses to `Config::default()`.
const DEFAULT_TOML: &str = r#"# nicgen configuration. Every key is optional; these are the defaults.

[net]
# AXI4-Stream tdata width in bits: a multiple of 8 (NIC tops: 64, 128, 256 or 512).
data_width = 512

[fifo]
# Entries of the synchronous and packet FIFOs: a power of two.
depth = 1024
# Packet FIFO: drop a frame that does not fit (true) or stall the input until it fits (false).
drop_when_full = true

[arbiter]
# Requesters of the round-robin arbiter.
requesters = 8

[shifter]
# Largest header the byte shifter strips, in bytes.
max_offset = 128

[ict]
# ICT slots (connections resident in hardware), 1 to 256.
entries = 64
# Cores with a ready queue, a current-context register and an I/O interrupt line, 1 to 64.
cores = 4
# Bits of the filter marking flows accelerated but not resident (a power of two, 64 to 4096).
miss_filter_bits = 1024
# Control event queue entries (a power of two, 2 to 1024).
event_queue_depth = 64

[rx]
# Accio RX frame buffer in bytes (a power of two of at least 2 bus beats).
buffer_bytes = 16384
# Bytes of each normal-path receive buffer, 64 to 65535.
np_buffer_bytes = 2048
# DMA write bursts in flight (a power of two, at least 2).
dma_outstanding = 16

[tx]
# Longest UDP payload of a TX ring record, 1 to 8972.
max_payload = 1472
# Longest normal-path frame in bytes without FCS, 60 to 9014.
max_frame = 1514
# DMA read bursts in flight (a power of two, 2 to 256).
dma_outstanding = 16

[np]
# Normal-path receive buffers posted at once (a power of two, 64 to 4096).
rx_buffers = 256
# Normal-path transmit descriptors waiting at once (a power of two, 2 to 4096).
tx_descriptors = 64

[lauberhorn]
# Cores, each with a user and a kernel endpoint, 1 to 64.
cores = 4
# Data bits per coherence-channel beat: 128, 256, 512 or 1024 (a line is 1024 bits).
coh_width = 512
# AUX lines per endpoint (arguments and results past the CONTROL line), 1 to 28.
aux_lines = 7
# Request slots shared by all endpoints and process queues (a power of two, 4 to 256).
slots = 32
# Reset value of TIMEOUT: cycles a held load waits before TRYAGAIN (16 to 2^24 - 1).
timeout_cycles = 10000
# RPC processes with a request queue, 1 to 64.
processes = 16
# Requests one process may have queued (1 to slots).
queue_limit = 16
# Service table entries (program, version, procedure, port -> function, data, process), 2 to 64.
services = 16
# RPC receive buffer in bytes (a power of two of at least 64 MAC beats).
buffer_bytes = 16384

[timing]
# Period of every top's clk in picoseconds (4000 = 250 MHz, 3103 = 322.27 MHz), written
# into <top>.xdc as create_clock; 1000 to 20000.
clock_period_ps = 4000
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_defaults_are_the_defaults() {
        assert_eq!(Config::from_toml(DEFAULT_TOML).unwrap(), Config::default());
        assert_eq!(Config::from_toml("").unwrap(), Config::default());
    }

    #[test]
    fn misspelt_key_is_rejected_by_name() {
        let e = Config::from_toml("[net]\ndata_widht = 64\n").unwrap_err();
        assert!(e.contains("data_widht"), "{e}");
    }

    /// The largest configuration of each core count is valid; one more core is not.
    #[test]
    fn core_limits() {
        let ok = "[lauberhorn]\ncores = 64\nslots = 256\n[ict]\nentries = 256\ncores = 64\n";
        assert!(Config::from_toml(ok).is_ok());
        let e = Config::from_toml("[lauberhorn]\ncores = 65\n[ict]\ncores = 0\n").unwrap_err();
        assert!(e.contains("lauberhorn.cores = 65: must be 1 to 64"), "{e}");
        assert!(e.contains("ict.cores = 0: must be 1 to 64"), "{e}");
    }

    #[test]
    fn bad_values_are_explained() {
        let e = Config::from_toml("[net]\ndata_width = 60\n[fifo]\ndepth = 1000\n").unwrap_err();
        assert!(
            e.contains("net.data_width = 60: must be a positive multiple of 8"),
            "{e}"
        );
        assert!(
            e.contains("fifo.depth = 1000: must be a power of two"),
            "{e}"
        );
    }
}

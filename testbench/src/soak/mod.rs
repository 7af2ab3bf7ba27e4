//! Soak runs: one long, continuous run of a whole NIC against the reference models, with
//! a host that streams (it makes each frame as the MAC needs it, checks each record, reply
//! and wire frame as it arrives, and refills transmit rings as the NIC frees them), so
//! memory stays bounded however many frames go through. The `soak` command runs a million;
//! the test command a shorter one (`tests/soak.rs`).

pub mod accio;
pub mod lauberhorn;

/// What a soak run counted. Every count but `frames`, `cycles`, `tx` and the drops must be
/// 0, and the NIC's drops must equal the datagrams missing from what the model delivered.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    /// Frames the MAC sent the NIC.
    pub frames: u64,
    /// Datagrams (Accio: from TX rings; Lauberhorn: replies) the NIC put on the wire.
    pub tx: u64,
    pub cycles: u64,
    /// Records, frames, replies, events or statistics that differ from the model's.
    pub mismatches: u64,
    /// DMA writes landing outside every ring's free space and every posted buffer.
    pub outside: u64,
    /// DMA writes landing on data the host had been given and not yet released.
    pub overwrites: u64,
    /// Drops the NIC reported (Accio: RX_RING_FULL, checked against every entry's DROPS,
    /// and RX_NO_BUFFER; Lauberhorn: NO_SLOT + REFUSED + DMA_DROPPED) ...
    pub drops_nic: u64,
    /// ... and the frames or datagrams missing from what the model says the host receives
    /// (Accio: and the frames it drops itself, too long for a normal-path buffer).
    pub drops_model: u64,
    /// Accio: normal-path frames missing, dropped for want of a posted buffer.
    pub np_dropped: u64,
    /// The first mismatch or bad write, described.
    pub first: Option<String>,
    /// What else the run saw, for the record (`name value`, comma separated).
    pub seen: String,
}

impl Tally {
    /// Counts a mismatch; the first one is kept to be reported.
    pub fn mismatch(&mut self, what: impl FnOnce() -> String) {
        self.mismatches += 1;
        self.note(what);
    }

    fn note(&mut self, what: impl FnOnce() -> String) {
        if self.first.is_none() {
            self.first = Some(format!("after frame {}: {}", self.frames, what()));
        }
    }

    /// Checks `got == want`, counting a mismatch named by `what` if not.
    pub fn expect<T: PartialEq + std::fmt::Debug>(
        &mut self,
        got: T,
        want: T,
        what: impl FnOnce() -> String,
    ) {
        if got != want {
            self.mismatch(|| format!("{}: got {got:?}, model {want:?}", what()));
        }
    }

    /// No mismatch, no bad write, the NIC's drops equal the model's.
    pub fn clean(&self) -> bool {
        self.mismatches == 0
            && self.outside == 0
            && self.overwrites == 0
            && self.drops_nic == self.drops_model
    }

    /// The one-line summary the command prints.
    pub fn summary(&self, secs: f64) -> String {
        let mut s = format!(
            "{} frames in {:.1} s ({:.0} frames/s, {} cycles, {} datagrams out): {} mismatches, \
             {} writes outside rings, {} overwrites of unconsumed data, drops {} (NIC) vs {} (model)",
            self.frames,
            secs,
            self.frames as f64 / secs.max(1e-9),
            self.cycles,
            self.tx,
            self.mismatches,
            self.outside,
            self.overwrites,
            self.drops_nic,
            self.drops_model
        );
        if let Some(f) = &self.first {
            s += &format!("; first: {f}");
        }
        s
    }
}

/// How often (in cycles) a run reports its progress.
pub const PROGRESS_EVERY: u64 = 1 << 14;

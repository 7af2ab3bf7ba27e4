//! Reference model of the Accio receive path (`hdl::accio::rx_offload`), frame by frame and
//! written from its documented rules: where each frame goes, the bytes of each ring record
//! and normal-path delivery, the per-entry drop counts and the statistics. It has no
//! notion of time: frames the hardware dropped for lack of buffer space (`stat_overrun`)
//! are left out of its input.

// Entry fields and counts are the ICT registers and `stat_*` pulses of the same names.
#![allow(missing_docs)]

use crate::net::{classify, RxMeta};
use hdl::accio::rx_offload::{np_reason, record};
use hdl::blocks::udp_rx_parse::err;
use std::collections::VecDeque;

/// One ICT entry as the receive path sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RxEntry {
    pub enabled: bool,
    pub accelerated: bool,
    pub local_ip: u32,
    pub local_port: u16,
    pub base: u64,
    pub size: u32,
    /// Free-running byte offsets, as RX_HEAD / RX_TAIL.
    pub head: u32,
    pub tail: u32,
    pub drops: u32,
    /// A datagram was dropped since the last record (the next record's FLAG_LOSS).
    pub loss: bool,
}

impl RxEntry {
    fn sane(&self) -> bool {
        self.size.is_power_of_two() && self.size >= 64 && self.base % 64 == 0
    }

    /// The ring address of free-running offset `off`.
    pub fn addr(&self, off: u32) -> u64 {
        self.base + u64::from(off & (self.size - 1))
    }
}

/// Why a frame was dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Drop {
    /// The MAC flagged it (it never left the frame buffer).
    MacBad,
    /// Malformed, and malformed frames are not delivered.
    Malformed,
    /// Its entry's ring had no room for the record.
    RingFull,
    /// No normal-path buffer was posted, or the frame is longer than one.
    NoBuffer,
}

/// Where one frame went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RxAction {
    /// A record at free-running offset `offset` of entry `entry`'s ring.
    Ring {
        entry: usize,
        offset: u32,
        record: Vec<u8>,
    },
    /// Into normal-path buffer `addr`.
    Normal {
        addr: u64,
        bytes: Vec<u8>,
        reason: u8,
        class: u8,
    },
    Dropped(Drop),
}

/// Counts matching the engine's `stat_*` pulses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RxStats {
    pub frames: u64,
    pub mac_bad: u64,
    pub offloaded: u64,
    pub ring_full: u64,
    pub normal: u64,
    pub no_buffer: u64,
    pub malformed_dropped: u64,
}

/// The model: an ICT's worth of entries, the policy, the posted normal-path buffers.
pub struct RxModel {
    pub entries: Vec<RxEntry>,
    pub malformed_to_np: bool,
    pub np_buffer_bytes: usize,
    pub np_buffers: VecDeque<u64>,
    pub stats: RxStats,
    /// `ev_malformed` classes, in order.
    pub malformed_events: Vec<u8>,
}

impl RxModel {
    pub fn new(entries: Vec<RxEntry>, np_buffer_bytes: usize) -> Self {
        RxModel {
            entries,
            malformed_to_np: false,
            np_buffer_bytes,
            np_buffers: VecDeque::new(),
            stats: RxStats::default(),
            malformed_events: Vec::new(),
        }
    }

    /// The ICT lookup: the lowest enabled entry with this local address and port.
    pub fn lookup(&self, ip: u32, port: u16) -> Option<usize> {
        self.entries
            .iter()
            .position(|e| e.enabled && e.local_ip == ip && e.local_port == port)
    }

    /// The ring record of a datagram frame (checked by [`classify`]) with these flags.
    pub fn record_of(frame: &[u8], meta: &RxMeta, flags: u16) -> Vec<u8> {
        let payload = meta.udp_len as usize - 8;
        let at = record::FRAME_OFFSET;
        let mut r = frame[at..at + record::PAYLOAD + payload].to_vec();
        r[record::LEN..record::LEN + 2].copy_from_slice(&(payload as u16).to_le_bytes());
        r[record::FLAGS..record::FLAGS + 2].copy_from_slice(&flags.to_le_bytes());
        r
    }

    /// Where `frame` goes, updating entries, buffers and counts.
    pub fn frame(&mut self, frame: &[u8], mac_bad: bool) -> RxAction {
        let meta = classify(frame, mac_bad);
        self.stats.frames += 1;
        if meta.error != 0 {
            self.malformed_events.push(meta.error);
        }
        if meta.error == err::MAC_BAD as u8 {
            self.stats.mac_bad += 1;
            return RxAction::Dropped(Drop::MacBad);
        }
        let malformed = meta.error != 0;
        let hit = if meta.offload {
            self.lookup(meta.dst_ip, meta.dst_port)
        } else {
            None
        };
        if let Some(i) = hit.filter(|&i| self.entries[i].accelerated) {
            let e = &mut self.entries[i];
            let need = record::footprint(meta.udp_len as usize - 8) as u64;
            let used = u64::from(e.tail.wrapping_sub(e.head));
            let size = u64::from(e.size);
            if e.sane() && used <= size && need <= size - used {
                let flags = if e.loss { record::FLAG_LOSS } else { 0 };
                let rec = Self::record_of(frame, &meta, flags);
                let offset = e.tail;
                e.tail = e.tail.wrapping_add(need as u32);
                e.loss = false;
                self.stats.offloaded += 1;
                return RxAction::Ring {
                    entry: i,
                    offset,
                    record: rec,
                };
            }
            e.drops = e.drops.saturating_add(1);
            e.loss = true;
            self.stats.ring_full += 1;
            return RxAction::Dropped(Drop::RingFull);
        }
        if malformed && !self.malformed_to_np {
            self.stats.malformed_dropped += 1;
            return RxAction::Dropped(Drop::Malformed);
        }
        let reason = if malformed {
            np_reason::MALFORMED
        } else if hit.is_some() {
            np_reason::NOT_ACCELERATED
        } else if meta.offload {
            np_reason::ICT_MISS
        } else {
            np_reason::NOT_OFFLOADABLE
        };
        if frame.len() > self.np_buffer_bytes || self.np_buffers.is_empty() {
            self.stats.no_buffer += 1;
            return RxAction::Dropped(Drop::NoBuffer);
        }
        self.stats.normal += 1;
        RxAction::Normal {
            addr: self.np_buffers.pop_front().unwrap(),
            bytes: frame.to_vec(),
            reason: reason as u8,
            class: meta.error,
        }
    }
}

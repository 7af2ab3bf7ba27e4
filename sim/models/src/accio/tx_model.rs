//! Reference model of the Accio transmit path (`hdl::accio::tx_offload`), written from its
//! documented rules: which records of a turn are sent and the frame each becomes.

// Entry fields are the ICT registers of the same names.
#![allow(missing_docs)]

use crate::traces::{udp_tx_frame, TxFields};
use hdl::accio::tx_offload::{record, TTL};

/// One ICT entry as the transmit path sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TxEntry {
    pub enabled: bool,
    pub accelerated: bool,
    pub local_ip: u32,
    pub local_port: u16,
    pub remote_ip: u32,
    pub remote_port: u16,
    pub remote_mac: [u8; 6],
    pub base: u64,
    pub size: u32,
    pub head: u32,
    pub tail: u32,
}

impl TxEntry {
    /// `REMOTE`: IP in bits 47:16, port in 15:0.
    pub fn remote(&self) -> u64 {
        u64::from(self.remote_ip) << 16 | u64::from(self.remote_port)
    }

    pub fn mac(&self) -> u64 {
        self.remote_mac
            .iter()
            .fold(0, |a, b| a << 8 | u64::from(*b))
    }

    /// The ring address of free-running offset `off`.
    pub fn addr(&self, off: u32) -> u64 {
        self.base + u64::from(off & (self.size - 1))
    }
}

/// What the engine does with one record of a turn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxOutcome {
    /// Sent to `dst_ip:dst_port` (the record's, or the entry's where the record has 0).
    Sent {
        dst_ip: u32,
        dst_port: u16,
        payload: Vec<u8>,
    },
    /// Its payload is longer than the engine sends.
    TooLong,
    /// It runs past the posted bytes: it and the rest of the turn are consumed unsent.
    Overrun,
}

/// The record header for a payload of `len` bytes to `dst_ip:dst_port` (0: the entry's).
pub fn record_header(dst_ip: u32, dst_port: u16, len: u16) -> [u8; record::PAYLOAD] {
    let mut h = [0u8; record::PAYLOAD];
    h[record::DST_IP..record::DST_IP + 4].copy_from_slice(&dst_ip.to_be_bytes());
    h[record::DST_PORT..record::DST_PORT + 2].copy_from_slice(&dst_port.to_be_bytes());
    h[record::LEN..record::LEN + 2].copy_from_slice(&len.to_le_bytes());
    h
}

/// The records of one turn: `posted` bytes read from the ring at the turn's start.
pub fn parse_turn(
    e: &TxEntry,
    posted: &[u8],
    data_width: u32,
    max_payload: usize,
) -> Vec<TxOutcome> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < posted.len() {
        let h = &posted[at..];
        let len_at = record::LEN;
        if h.len() < record::PAYLOAD {
            out.push(TxOutcome::Overrun);
            break;
        }
        let len = u16::from_le_bytes([h[len_at], h[len_at + 1]]) as usize;
        let fp = record::footprint(len, data_width);
        if fp > h.len() {
            out.push(TxOutcome::Overrun);
            break;
        }
        if len > max_payload {
            out.push(TxOutcome::TooLong);
        } else {
            let ip = u32::from_be_bytes(h[0..4].try_into().unwrap());
            let port = u16::from_be_bytes([h[record::DST_PORT], h[record::DST_PORT + 1]]);
            out.push(TxOutcome::Sent {
                dst_ip: if ip == 0 { e.remote_ip } else { ip },
                dst_port: if port == 0 { e.remote_port } else { port },
                payload: h[record::PAYLOAD..record::PAYLOAD + len].to_vec(),
            });
        }
        at += fp;
    }
    out
}

/// The frame of a sent record: from the entry to its destination, IPv4 identification `id`.
pub fn frame_of(
    e: &TxEntry,
    mac: [u8; 6],
    dst_ip: u32,
    dst_port: u16,
    payload: &[u8],
    id: u16,
) -> Vec<u8> {
    let f = TxFields {
        dst_mac: e.remote_mac,
        src_mac: mac,
        src_ip: e.local_ip,
        dst_ip,
        src_port: e.local_port,
        dst_port,
        ttl: TTL as u8,
        id,
    };
    udp_tx_frame(&f, payload)
}

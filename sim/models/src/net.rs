//! Reference models of the network blocks, written from the RFCs (Ethernet II, IPv4
//! RFC 791, UDP RFC 768, the Internet checksum RFC 1071), not from the RTL.

// Header fields: each is the protocol field of the same name.
#![allow(missing_docs)]

use hdl::proto::{self, ethernet, frame, ipv4, oncrpc, udp, Field};

/// What `udp_rx_parse` reports for a frame (see `hdl::blocks::udp_rx_parse`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RxMeta {
    /// A clean unicast UDP/IPv4 datagram without options or fragmentation.
    pub offload: bool,
    /// `hdl::blocks::udp_rx_parse::err` code of the first problem, 0 for none.
    pub error: u8,
    /// Frame length in bytes.
    pub len: usize,
    pub broadcast: bool,
    pub multicast: bool,
    pub ipv4: bool,
    pub options: bool,
    pub fragment: bool,
    pub proto: u8,
    pub src_ip: u32,
    pub dst_ip: u32,
    pub src_port: u16,
    pub dst_port: u16,
    pub udp_len: u16,
}

/// The ones'-complement sum of `bytes` as big-endian 16-bit words (an odd last byte is
/// the high half of a word), folded, not inverted.
pub fn ones_sum(bytes: &[u8], start: u32) -> u16 {
    let mut s = start as u64;
    for (i, b) in bytes.iter().enumerate() {
        s += if i % 2 == 0 {
            (*b as u64) << 8
        } else {
            *b as u64
        };
    }
    while s >> 16 != 0 {
        s = (s & 0xffff) + (s >> 16);
    }
    s as u16
}

impl RxMeta {
    /// Zeroes the fields of `self` (an RTL report) that `reference` (from [`classify`])
    /// leaves undefined because the frame is too short or not that protocol.
    pub fn without_undefined(mut self, reference: &RxMeta) -> RxMeta {
        let r = reference;
        if r.len < 14 {
            (self.broadcast, self.multicast, self.ipv4) = (false, false, false);
        }
        if r.len < 34 || !r.ipv4 {
            (
                self.options,
                self.fragment,
                self.proto,
                self.src_ip,
                self.dst_ip,
            ) = (false, false, 0, 0, 0);
        }
        let udp_path = r.ipv4 && !r.options && !r.fragment && r.proto == 17;
        if r.len < 42 || !udp_path {
            (self.src_port, self.dst_port, self.udp_len) = (0, 0, 0);
        }
        self
    }
}

/// Error codes, as `udp_rx_parse::err` defines them.
pub mod err {
    pub const NONE: u8 = 0;
    pub const MAC_BAD: u8 = 1;
    pub const TRUNCATED: u8 = 2;
    pub const IP_HEADER: u8 = 3;
    pub const IP_CHECKSUM: u8 = 4;
    pub const UDP_LENGTH: u8 = 5;
    pub const UDP_CHECKSUM: u8 = 6;
}

/// The verdict on `frame` (Ethernet without preamble and FCS), `mac_bad` as the MAC's
/// `tuser` said. Fields the frame is too short to hold are left 0.
pub fn classify(frame: &[u8], mac_bad: bool) -> RxMeta {
    let len = frame.len();
    let get = |f: Field| be(frame, f);
    let mut m = RxMeta {
        len,
        ..RxMeta::default()
    };
    m.broadcast = frame.get(ethernet::DESTINATION) == Some(&[0xff; 6]);
    // The I/G bit: the first octet's least significant bit.
    let group = get(0..1) & 1 == 1;
    m.multicast = group && !m.broadcast;
    m.ipv4 = get(frame::ETHERTYPE) == ethernet::ETHERTYPE_IPV4;
    let ver_ihl = get(frame::IP_VER_IHL);
    let (ver, ihl) = (ver_ihl >> 4, (ver_ihl & 15) as usize);
    let total = get(frame::IP_TOTAL_LEN) as usize;
    let frag = get(frame::IP_FLAGS_FRAG);
    m.options = m.ipv4 && 4 * ihl != ipv4::HEADER_LEN;
    m.fragment = m.ipv4 && (frag & 0x2000 != 0 || frag & 0x1fff != 0);
    m.proto = get(frame::IP_PROTOCOL) as u8;
    (m.src_ip, m.dst_ip) = (get(frame::IP_SRC) as u32, get(frame::IP_DST) as u32);
    m.src_port = get(frame::UDP_SRC_PORT) as u16;
    m.dst_port = get(frame::UDP_DST_PORT) as u16;
    m.udp_len = get(frame::UDP_LENGTH) as u16;
    let udp_path = m.ipv4 && !m.options && !m.fragment && u64::from(m.proto) == ipv4::PROTOCOL_UDP;
    m.error = if mac_bad {
        err::MAC_BAD
    } else if len < frame::IPV4 || (m.ipv4 && (len < frame::UDP || len < frame::IPV4 + total)) {
        err::TRUNCATED
    } else if m.ipv4 && (ver != 4 || 4 * ihl < ipv4::HEADER_LEN || total < 4 * ihl) {
        err::IP_HEADER
    } else if m.ipv4 && ones_sum(&frame[frame::IPV4..frame::IPV4 + 4 * ihl], 0) != 0xffff {
        err::IP_CHECKSUM
    } else if udp_path
        && (usize::from(m.udp_len) < udp::HEADER_LEN
            || usize::from(m.udp_len) > total - ipv4::HEADER_LEN)
    {
        err::UDP_LENGTH
    } else if udp_path && get(frame::UDP_CHECKSUM) != 0 && {
        let ul = m.udp_len as usize;
        let pseudo = (m.src_ip >> 16)
            + (m.src_ip & 0xffff)
            + (m.dst_ip >> 16)
            + (m.dst_ip & 0xffff)
            + ipv4::PROTOCOL_UDP as u32
            + ul as u32;
        ones_sum(&frame[frame::UDP..frame::UDP + ul], pseudo) != 0xffff
    } {
        err::UDP_CHECKSUM
    } else {
        err::NONE
    };
    m.offload = m.error == err::NONE && udp_path && !group;
    // What the frame is too short to carry is undefined in the RTL: leave it out.
    if len < frame::IPV4 {
        (m.broadcast, m.multicast, m.ipv4) = (false, false, false);
    }
    if len < frame::UDP || !m.ipv4 {
        (m.options, m.fragment, m.proto, m.src_ip, m.dst_ip) = (false, false, 0, 0, 0);
    }
    if len < frame::PAYLOAD || !udp_path {
        (m.src_port, m.dst_port, m.udp_len) = (0, 0, 0);
    }
    m
}

/// An ONC-RPC call header as `lauberhorn::rpc_decode` reports it (RFC 5531).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RpcCall {
    /// CALL, RPC version 2, bodies of at most 400 bytes, the header inside the datagram.
    pub ok: bool,
    pub xid: u32,
    pub prog: u32,
    pub vers: u32,
    pub proc_: u32,
    pub cred_flavor: u32,
    pub cred_len: u32,
    pub verf_flavor: u32,
    pub verf_len: u32,
    /// Frame offset of the inline arguments, and their length.
    pub args_offset: usize,
    pub args_len: usize,
}

/// Decodes the ONC-RPC call a UDP/IPv4 frame (IHL 5) carries as its UDP payload. Fields of
/// a call that is not `ok` are left 0 (the RTL leaves them undefined).
pub fn rpc_call(frame: &[u8]) -> RpcCall {
    let rpc = frame::PAYLOAD;
    let be32 = |at: usize| be(frame, at..at + 4) as u32;
    let udp_len = be(frame, frame::UDP_LENGTH) as usize;
    let pad4 = |n: u32| (n as usize + 3) & !3;
    let w = |f: Field| be(frame, proto::at(rpc, f)) as u32;
    let cred_len = w(oncrpc::CRED_LEN);
    let c = RpcCall {
        xid: w(oncrpc::XID),
        prog: w(oncrpc::PROG),
        vers: w(oncrpc::VERS),
        proc_: w(oncrpc::PROC),
        cred_flavor: w(oncrpc::CRED_FLAVOR),
        cred_len,
        ..RpcCall::default()
    };
    let max_auth = oncrpc::MAX_AUTH as u32;
    if frame.len() < frame::UDP + udp_len
        || udp_len < udp::HEADER_LEN
        || u64::from(w(oncrpc::MSG_TYPE)) != oncrpc::CALL
        || u64::from(w(oncrpc::RPC_VERSION)) != oncrpc::VERSION
        || cred_len > max_auth
    {
        return RpcCall::default();
    }
    let verf = rpc + oncrpc::FIXED_LEN + pad4(cred_len);
    let (verf_flavor, verf_len) = (be32(verf), be32(verf + 4));
    let fixed = oncrpc::FIXED_LEN + oncrpc::VERF_FIXED_LEN;
    let args_rel = fixed
        + pad4(cred_len)
        + if verf_len <= max_auth {
            pad4(verf_len)
        } else {
            0
        };
    let rpc_len = udp_len - udp::HEADER_LEN;
    if verf_len > max_auth || rpc_len < args_rel {
        return RpcCall::default();
    }
    RpcCall {
        ok: true,
        verf_flavor,
        verf_len,
        args_offset: rpc + args_rel,
        args_len: rpc_len - args_rel,
        ..c
    }
}

/// RFC 5531 `accept_stat`: how an accepted call went.
pub mod accept_stat {
    pub const SUCCESS: u32 = 0;
    pub const PROG_UNAVAIL: u32 = 1;
    pub const PROG_MISMATCH: u32 = 2;
    pub const PROC_UNAVAIL: u32 = 3;
    pub const GARBAGE_ARGS: u32 = 4;
    pub const SYSTEM_ERR: u32 = 5;
}

/// An accepted ONC-RPC reply (RFC 5531 `rpc_msg` with `MSG_ACCEPTED`) as a UDP/IPv4 frame
/// (IHL 5) carries it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RpcReply {
    pub xid: u32,
    pub verf_flavor: u32,
    pub verf_body: Vec<u8>,
    pub accept_stat: u32,
    /// What follows `accept_stat`: the results (SUCCESS), `mismatch_info` (PROG_MISMATCH),
    /// nothing (the other errors).
    pub body: Vec<u8>,
}

/// Decodes the reply the UDP payload of `frame` carries; `None` unless it is a whole
/// REPLY, MSG_ACCEPTED, with a verifier of at most 400 bytes.
pub fn rpc_reply(frame: &[u8]) -> Option<RpcReply> {
    let udp_len = be(frame, frame::UDP_LENGTH) as usize;
    let msg = frame.get(frame::PAYLOAD..(frame::UDP + udp_len).max(frame::PAYLOAD))?;
    let word = |at: usize| Some(u32::from_be_bytes(msg.get(at..at + 4)?.try_into().ok()?));
    // xid, msg_type, reply_stat, then the verifier's flavor and length.
    let (xid, msg_type, reply_stat) = (word(0)?, word(4)?, word(8)?);
    let (verf_flavor, verf_len) = (word(12)?, word(16)? as usize);
    if u64::from(msg_type) != oncrpc::REPLY || reply_stat != 0 || verf_len as u64 > oncrpc::MAX_AUTH
    {
        return None;
    }
    let stat_at = 20 + verf_len.div_ceil(4) * 4;
    Some(RpcReply {
        xid,
        verf_flavor,
        verf_body: msg.get(20..20 + verf_len)?.to_vec(),
        accept_stat: word(stat_at)?,
        body: msg[stat_at + 4..].to_vec(),
    })
}

/// The big-endian value of `frame`'s bytes `f`; bytes past the frame's end read 0.
fn be(frame: &[u8], f: Field) -> u64 {
    f.fold(0, |v, i| {
        v << 8 | u64::from(frame.get(i).copied().unwrap_or(0))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traces::{udp_tx_frame, TxFields};

    /// A PROG_MISMATCH reply written out word by word (RFC 5531 §9): xid, REPLY,
    /// MSG_ACCEPTED, an AUTH_SYS verifier with a 5-byte body (padded), PROG_MISMATCH, low 1,
    /// high 3.
    #[test]
    fn rpc_reply_reads_an_rfc_5531_reply() {
        let words: [u32; 10] = [0x1234_5678, 1, 0, 1, 5, 0x0102_0304, 0x0500_0000, 2, 1, 3];
        let payload: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
        let f = udp_tx_frame(&TxFields::default(), &payload);
        let r = rpc_reply(&f).expect("a reply");
        assert_eq!(
            r,
            RpcReply {
                xid: 0x1234_5678,
                verf_flavor: 1,
                verf_body: vec![1, 2, 3, 4, 5],
                accept_stat: accept_stat::PROG_MISMATCH,
                body: vec![0, 0, 0, 1, 0, 0, 0, 3],
            }
        );
        // A call, and a reply cut inside its verifier, are no replies.
        let mut call = payload.clone();
        call[7] = 0;
        assert_eq!(rpc_reply(&udp_tx_frame(&TxFields::default(), &call)), None);
        let cut = udp_tx_frame(&TxFields::default(), &payload[..22]);
        assert_eq!(rpc_reply(&cut), None);
    }
}

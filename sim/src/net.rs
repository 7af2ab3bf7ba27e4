//! Reference models of the network blocks, written from the RFCs (Ethernet II, IPv4
//! RFC 791, UDP RFC 768, the Internet checksum RFC 1071), not from the RTL.

// Header fields: each is the protocol field of the same name.
#![allow(missing_docs)]

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
    let b = |i: usize| frame.get(i).copied().unwrap_or(0);
    let be16 = |i: usize| (b(i) as u16) << 8 | b(i + 1) as u16;
    let be32 = |i: usize| (be16(i) as u32) << 16 | be16(i + 2) as u32;
    let mut m = RxMeta {
        len,
        ..RxMeta::default()
    };
    m.broadcast = (0..6).all(|i| b(i) == 0xff);
    m.multicast = b(0) & 1 == 1 && !m.broadcast;
    m.ipv4 = be16(12) == 0x0800;
    let (ver, ihl) = (b(14) >> 4, (b(14) & 15) as usize);
    let total = be16(16) as usize;
    let frag = be16(20);
    m.options = m.ipv4 && ihl != 5;
    m.fragment = m.ipv4 && (frag & 0x2000 != 0 || frag & 0x1fff != 0);
    m.proto = b(23);
    (m.src_ip, m.dst_ip) = (be32(26), be32(30));
    (m.src_port, m.dst_port, m.udp_len) = (be16(34), be16(36), be16(38));
    let udp_path = m.ipv4 && !m.options && !m.fragment && m.proto == 17;
    m.error = if mac_bad {
        err::MAC_BAD
    } else if len < 14 || (m.ipv4 && (len < 34 || len < 14 + total)) {
        err::TRUNCATED
    } else if m.ipv4 && (ver != 4 || ihl < 5 || total < 4 * ihl) {
        err::IP_HEADER
    } else if m.ipv4 && ones_sum(&frame[14..14 + 4 * ihl], 0) != 0xffff {
        err::IP_CHECKSUM
    } else if udp_path && (m.udp_len < 8 || m.udp_len as usize > total - 20) {
        err::UDP_LENGTH
    } else if udp_path && be16(40) != 0 && {
        let ul = m.udp_len as usize;
        let pseudo = (m.src_ip >> 16)
            + (m.src_ip & 0xffff)
            + (m.dst_ip >> 16)
            + (m.dst_ip & 0xffff)
            + 17
            + ul as u32;
        ones_sum(&frame[34..34 + ul], pseudo) != 0xffff
    } {
        err::UDP_CHECKSUM
    } else {
        err::NONE
    };
    m.offload = m.error == err::NONE && udp_path && b(0) & 1 == 0;
    // What the frame is too short to carry is undefined in the RTL: leave it out.
    if len < 14 {
        (m.broadcast, m.multicast, m.ipv4) = (false, false, false);
    }
    if len < 34 || !m.ipv4 {
        (m.options, m.fragment, m.proto, m.src_ip, m.dst_ip) = (false, false, 0, 0, 0);
    }
    if len < 42 || !udp_path {
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

/// Decodes the ONC-RPC call a UDP/IPv4 frame (IHL 5) carries at offset 42. Fields of a
/// call that is not `ok` are left 0 (the RTL leaves them undefined).
pub fn rpc_call(frame: &[u8]) -> RpcCall {
    let be32 = |i: usize| {
        frame
            .get(i..i + 4)
            .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    let udp_len = frame
        .get(38..40)
        .map_or(0, |b| u16::from_be_bytes([b[0], b[1]]) as usize);
    let pad4 = |n: u32| (n as usize + 3) & !3;
    let w = |k: usize| be32(42 + 4 * k);
    let cred_len = w(7);
    let c = RpcCall {
        xid: w(0),
        prog: w(3),
        vers: w(4),
        proc_: w(5),
        cred_flavor: w(6),
        cred_len,
        ..RpcCall::default()
    };
    if frame.len() < 34 + udp_len || udp_len < 8 || w(1) != 0 || w(2) != 2 || cred_len > 400 {
        return RpcCall::default();
    }
    let verf = 42 + 32 + pad4(cred_len);
    let (verf_flavor, verf_len) = (be32(verf), be32(verf + 4));
    let args_rel = 40 + pad4(cred_len) + if verf_len <= 400 { pad4(verf_len) } else { 0 };
    let rpc_len = udp_len - 8;
    if verf_len > 400 || rpc_len < args_rel {
        return RpcCall::default();
    }
    RpcCall {
        ok: true,
        verf_flavor,
        verf_len,
        args_offset: 42 + args_rel,
        args_len: rpc_len - args_rel,
        ..c
    }
}

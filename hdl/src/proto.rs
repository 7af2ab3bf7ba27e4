//! Header layouts of the protocols the NICs parse and build, one module per protocol in
//! the style of smoltcp's `wire::*::field`: each field a byte range from its header's
//! start, so an offset is written once and the RTL generators and the reference models
//! read the same numbers. [`frame`] places them in the frames the offload paths handle.

/// Bytes `start..end` of a header or frame.
pub type Field = core::ops::Range<usize>;

/// `f`, moved `base` bytes on (a header's field placed in a frame).
pub const fn at(base: usize, f: Field) -> Field {
    base + f.start..base + f.end
}

/// Ethernet II (IEEE 802.3), without preamble and FCS, as a MAC delivers it.
pub mod ethernet {
    use super::Field;
    pub const DESTINATION: Field = 0..6;
    pub const SOURCE: Field = 6..12;
    pub const ETHERTYPE: Field = 12..14;
    pub const HEADER_LEN: usize = 14;
    pub const ETHERTYPE_IPV4: u64 = 0x0800;
    /// Frames shorter than this are padded by the sender.
    pub const MIN_FRAME: usize = 60;
}

/// IPv4 (RFC 791).
pub mod ipv4 {
    use super::Field;
    /// Version (bits 7:4) and header length in 32-bit words (IHL, bits 3:0).
    pub const VER_IHL: Field = 0..1;
    pub const DSCP_ECN: Field = 1..2;
    pub const TOTAL_LEN: Field = 2..4;
    pub const IDENT: Field = 4..6;
    /// Flags (bits 15:13: reserved, DF, MF) and fragment offset (bits 12:0).
    pub const FLAGS_FRAG: Field = 6..8;
    pub const TTL: Field = 8..9;
    pub const PROTOCOL: Field = 9..10;
    pub const CHECKSUM: Field = 10..12;
    pub const SRC_ADDR: Field = 12..16;
    pub const DST_ADDR: Field = 16..20;
    /// The header without options (IHL 5).
    pub const HEADER_LEN: usize = 20;
    pub const PROTOCOL_UDP: u64 = 17;
}

/// UDP (RFC 768).
pub mod udp {
    use super::Field;
    pub const SRC_PORT: Field = 0..2;
    pub const DST_PORT: Field = 2..4;
    /// Header and payload, in bytes.
    pub const LENGTH: Field = 4..6;
    /// 0: not computed (IPv4).
    pub const CHECKSUM: Field = 6..8;
    pub const HEADER_LEN: usize = 8;
}

/// The ONC-RPC call header (RFC 5531), 32-bit XDR words from the message's start, up to the
/// credential's body (which has a variable length).
pub mod oncrpc {
    use super::Field;
    pub const XID: Field = 0..4;
    pub const MSG_TYPE: Field = 4..8;
    pub const RPC_VERSION: Field = 8..12;
    pub const PROG: Field = 12..16;
    pub const VERS: Field = 16..20;
    pub const PROC: Field = 20..24;
    pub const CRED_FLAVOR: Field = 24..28;
    pub const CRED_LEN: Field = 28..32;
    /// The call header up to the credential's body.
    pub const FIXED_LEN: usize = 32;
    /// Bytes after the credential's body, before the arguments: the verifier's flavor
    /// and length (its body follows them).
    pub const VERF_FIXED_LEN: usize = 8;
    /// `MSG_TYPE` of a call, and of a reply.
    pub const CALL: u64 = 0;
    pub const REPLY: u64 = 1;
    /// The `RPC_VERSION` this RFC defines.
    pub const VERSION: u64 = 2;
    /// Longest credential or verifier body.
    pub const MAX_AUTH: u64 = 400;
}

/// Absolute offsets in the frames the UDP offload handles: an untagged Ethernet frame
/// carrying IPv4 without options carrying UDP.
pub mod frame {
    use super::{at, ethernet, ipv4, udp, Field};
    /// Where the IPv4 header, the UDP header and the UDP payload start.
    pub const IPV4: usize = ethernet::HEADER_LEN;
    pub const UDP: usize = IPV4 + ipv4::HEADER_LEN;
    pub const PAYLOAD: usize = UDP + udp::HEADER_LEN;

    pub const ETHERTYPE: Field = ethernet::ETHERTYPE;
    pub const IP_VER_IHL: Field = at(IPV4, ipv4::VER_IHL);
    pub const IP_TOTAL_LEN: Field = at(IPV4, ipv4::TOTAL_LEN);
    pub const IP_FLAGS_FRAG: Field = at(IPV4, ipv4::FLAGS_FRAG);
    pub const IP_PROTOCOL: Field = at(IPV4, ipv4::PROTOCOL);
    pub const IP_CHECKSUM: Field = at(IPV4, ipv4::CHECKSUM);
    pub const IP_SRC: Field = at(IPV4, ipv4::SRC_ADDR);
    pub const IP_DST: Field = at(IPV4, ipv4::DST_ADDR);
    /// Source and destination address together: the part of the UDP pseudo header the
    /// datagram carries.
    pub const IP_ADDRS: Field = IP_SRC.start..IP_DST.end;
    pub const UDP_SRC_PORT: Field = at(UDP, udp::SRC_PORT);
    pub const UDP_DST_PORT: Field = at(UDP, udp::DST_PORT);
    pub const UDP_LENGTH: Field = at(UDP, udp::LENGTH);
    pub const UDP_CHECKSUM: Field = at(UDP, udp::CHECKSUM);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The offsets every peer design writes as literals (verilog-ethernet, Corundum).
    #[test]
    fn frame_offsets_are_the_familiar_numbers() {
        assert_eq!((frame::IPV4, frame::UDP, frame::PAYLOAD), (14, 34, 42));
        assert_eq!(frame::IP_VER_IHL, 14..15);
        assert_eq!(frame::IP_TOTAL_LEN, 16..18);
        assert_eq!(frame::IP_PROTOCOL, 23..24);
        assert_eq!(frame::IP_CHECKSUM, 24..26);
        assert_eq!(frame::IP_ADDRS, 26..34);
        assert_eq!(frame::UDP_LENGTH, 38..40);
        assert_eq!(frame::UDP_CHECKSUM, 40..42);
    }
}

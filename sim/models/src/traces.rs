//! Test frames: builders for UDP/IPv4 frames (through etherparse) and the ways the tests
//! break them, and the deterministic golden receive trace committed as
//! `testbench/traces/rx_golden.pcap` (+ `rx_golden_mac_bad.pcap` for the frames the MAC
//! marks bad, which a pcap cannot flag). Regenerate them with
//! `UPDATE_TRACES=1 cargo test -p testbench --test golden`; the test fails while the
//! committed files differ from what this module generates.

use crate::net::ones_sum;
use etherparse::PacketBuilder;
use hdl::proto::{ethernet, frame, ipv4, oncrpc, udp, Field};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A UDP/IPv4 frame with a valid UDP checksum, unicast to a locally administered MAC
/// (`dst_mac` low octet random), from 10.0.x.x to 10.1.x.x, random ports and payload.
pub fn udp_frame(rng: &mut ChaCha8Rng, payload_len: usize) -> Vec<u8> {
    let (ip, port) = ([10, 1, rng.gen(), rng.gen()], rng.gen());
    udp_frame_to(rng, ip, port, payload_len)
}

/// [`udp_frame`] to a given destination address and port.
pub fn udp_frame_to(
    rng: &mut ChaCha8Rng,
    dst_ip: [u8; 4],
    dst_port: u16,
    payload_len: usize,
) -> Vec<u8> {
    let b = PacketBuilder::ethernet2(
        [0x02, 0xaa, 0xbb, 0xcc, 0xdd, rng.gen()],
        [0x02, 0, 0, 0, 0, rng.gen()],
    )
    .ipv4([10, 0, rng.gen(), rng.gen()], dst_ip, 64)
    .udp(rng.gen(), dst_port);
    let payload: Vec<u8> = (0..payload_len).map(|_| rng.gen()).collect();
    let mut out = Vec::with_capacity(b.size(payload_len));
    b.write(&mut out, &payload).expect("a UDP frame builds");
    out
}

/// The big-endian 16-bit field `at` of frame `f`.
pub fn get16(f: &[u8], at: Field) -> u16 {
    u16::from_be_bytes(f[at].try_into().expect("a 16-bit field"))
}

/// Writes the big-endian 16-bit field `at` of frame `f`.
pub fn set16(f: &mut [u8], at: Field, v: u16) {
    f[at].copy_from_slice(&v.to_be_bytes());
}

/// Rewrites the IPv4 header checksum (IHL words from the header's start).
pub fn fix_ip_checksum(f: &mut [u8]) {
    let ihl = (f[frame::IP_VER_IHL.start] & 15) as usize * 4;
    f[frame::IP_CHECKSUM].fill(0);
    let c = !ones_sum(&f[frame::IPV4..frame::IPV4 + ihl], 0);
    set16(f, frame::IP_CHECKSUM, c);
}

/// Rewrites the UDP checksum of a frame without IPv4 options (0 is sent as 0xFFFF).
pub fn fix_udp_checksum(f: &mut [u8]) {
    f[frame::UDP_CHECKSUM].fill(0);
    let ul = get16(f, frame::UDP_LENGTH) as usize;
    let word = |i: usize| u32::from(get16(f, i..i + 2));
    let addrs: u32 = frame::IP_ADDRS.step_by(2).map(word).sum();
    let pseudo = addrs + ipv4::PROTOCOL_UDP as u32 + ul as u32;
    let c = !ones_sum(&f[frame::UDP..frame::UDP + ul], pseudo);
    set16(f, frame::UDP_CHECKSUM, if c == 0 { 0xffff } else { c });
}

/// Pads to the 60-byte Ethernet minimum with random bytes (padding is outside every
/// checksum, so it need not be zero).
pub fn pad(mut f: Vec<u8>, rng: &mut ChaCha8Rng) -> Vec<u8> {
    while f.len() < ethernet::MIN_FRAME {
        f.push(rng.gen());
    }
    f
}

/// Adds IPv4 options (`words` NOP words, IHL = 5 + words), fixing lengths and checksum.
pub fn add_ip_options(f: &mut Vec<u8>, words: usize) {
    for _ in 0..words * 4 {
        f.insert(frame::UDP, 1);
    }
    f[frame::IP_VER_IHL.start] = 0x45 + words as u8;
    let total = get16(f, frame::IP_TOTAL_LEN) + words as u16 * 4;
    set16(f, frame::IP_TOTAL_LEN, total);
    fix_ip_checksum(f);
}

/// Sets the IPv4 total length, fixing the header checksum.
pub fn set_total_len(f: &mut [u8], total: u16) {
    set16(f, frame::IP_TOTAL_LEN, total);
    fix_ip_checksum(f);
}

/// The sum of the IPv4 header's ten words before folding.
pub fn raw_header_sum(f: &[u8]) -> u32 {
    (frame::IPV4..frame::UDP)
        .step_by(2)
        .map(|i| u32::from(get16(f, i..i + 2)))
        .sum()
}

/// The per-datagram fields of `udp_tx_build` (each the header field of that name).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct TxFields {
    pub dst_mac: [u8; 6],
    pub src_mac: [u8; 6],
    pub src_ip: u32,
    pub dst_ip: u32,
    pub src_port: u16,
    pub dst_port: u16,
    pub ttl: u8,
    pub id: u16,
}

/// The frame `udp_tx_build` sends for `f` and `payload` (its reference model): Ethernet II,
/// IPv4 with IHL 5, no flags, the given TTL and id, UDP, both checksums (UDP 0 sent as
/// 0xFFFF), zero padding to 60 bytes.
pub fn udp_tx_frame(f: &TxFields, payload: &[u8]) -> Vec<u8> {
    let mut o = Vec::with_capacity(42 + payload.len());
    o.extend(f.dst_mac);
    o.extend(f.src_mac);
    o.extend([0x08, 0x00, 0x45, 0x00]);
    o.extend((28 + payload.len() as u16).to_be_bytes());
    o.extend(f.id.to_be_bytes());
    o.extend([0, 0, f.ttl, 17, 0, 0]);
    o.extend(f.src_ip.to_be_bytes());
    o.extend(f.dst_ip.to_be_bytes());
    o.extend(f.src_port.to_be_bytes());
    o.extend(f.dst_port.to_be_bytes());
    o.extend((8 + payload.len() as u16).to_be_bytes());
    o.extend([0, 0]);
    o.extend(payload);
    fix_ip_checksum(&mut o);
    fix_udp_checksum(&mut o);
    if o.len() < 60 {
        o.resize(60, 0);
    }
    o
}

/// One frame of a trace and what it exercises.
pub struct TraceFrame {
    /// What the frame exercises, for the dissection.
    pub what: String,
    /// The frame, without preamble and FCS.
    pub bytes: Vec<u8>,
}

/// The golden receive trace: every case the UDP offload must handle. Deterministic (a
/// fixed seed), so the committed pcaps can be regenerated and compared.
pub fn rx_golden() -> (Vec<TraceFrame>, Vec<TraceFrame>) {
    let mut rng = ChaCha8Rng::seed_from_u64(0x6e69_6367_656e); // "nicgen"
    let rng = &mut rng;
    let mut good = Vec::new();
    let mut push = |what: String, bytes: Vec<u8>| good.push(TraceFrame { what, bytes });
    // Every payload length to 100 bytes (every tkeep alignment at every width), then a sweep.
    for p in (0..=100).chain((101..1472).step_by(37)).chain([1472]) {
        let f = udp_frame(rng, p);
        push(format!("udp payload {p}"), pad(f, rng));
    }
    for k in 0..16 {
        let f = udp_frame(rng, k);
        push(format!("back-to-back minimum frame {k}"), pad(f, rng));
    }
    let mut f = udp_frame(rng, 200);
    f[frame::IP_CHECKSUM.start] ^= 0x10;
    push("bad IPv4 header checksum".into(), f);
    let mut f = udp_frame(rng, 200);
    f[100] ^= 0x01; // a payload byte
    if get16(&f, frame::UDP_CHECKSUM) == 0 {
        set16(&mut f, frame::UDP_CHECKSUM, 1);
    }
    push("bad UDP checksum".into(), f);
    let mut f = udp_frame(rng, 200);
    f[frame::UDP_CHECKSUM].fill(0);
    push("UDP checksum 0 (none)".into(), f);
    let twice = (0..100_000)
        .map(|_| {
            let p = rng.gen_range(0..18);
            let mut f = udp_frame(rng, p);
            f[frame::IP_ADDRS].iter_mut().for_each(|b| *b = rng.gen());
            fix_ip_checksum(&mut f);
            fix_udp_checksum(&mut f);
            f
        })
        .find(|f| raw_header_sum(f) == 0x2fffd)
        .expect("a header whose sum carries twice");
    push(
        "IPv4 header sum 0x2fffd (folds twice)".into(),
        pad(twice, rng),
    );
    for cut in [1, 8, 20, 40, 100] {
        let mut f = udp_frame(rng, 120);
        f.truncate(f.len() - cut);
        push(format!("truncated by {cut} bytes"), f);
    }
    for short in [1usize, 13, 20, 33, 41] {
        let f = udp_frame(rng, 20);
        push(format!("runt of {short} bytes"), f[..short].to_vec());
    }
    let mut f = udp_frame(rng, 100);
    let t = get16(&f, frame::IP_TOTAL_LEN);
    set_total_len(&mut f, t + 30);
    push("IPv4 total length beyond the frame".into(), f);
    let mut f = udp_frame(rng, 100);
    set_total_len(&mut f, t - 30);
    push("IPv4 total length shorter than the UDP datagram".into(), f);
    let mut f = udp_frame(rng, 100);
    f.extend([0xde, 0xad, 0xbe, 0xef]);
    set_total_len(&mut f, t + 4);
    push("UDP datagram shorter than the IPv4 payload".into(), f);
    for words in [1, 10] {
        let mut f = udp_frame(rng, 100);
        add_ip_options(&mut f, words);
        push(format!("IPv4 options, IHL {}", 5 + words), f);
    }
    for (what, bits) in [("more fragments", 0x20u8), ("fragment offset", 0x01)] {
        let mut f = udp_frame(rng, 100);
        f[frame::IP_FLAGS_FRAG.start] |= bits;
        fix_ip_checksum(&mut f);
        push(format!("IPv4 fragment ({what})"), f);
    }
    let mut f = udp_frame(rng, 100);
    for (k, b) in [0x81, 0x00, 0x00, 0x05].into_iter().enumerate() {
        f.insert(ethernet::ETHERTYPE.start + k, b);
    }
    push("VLAN tagged".into(), f);
    let mut f = udp_frame(rng, 100);
    f[ethernet::DESTINATION].copy_from_slice(&[0xff; 6]);
    push("broadcast".into(), f);
    let mut f = udp_frame(rng, 100);
    f[ethernet::DESTINATION].copy_from_slice(&[0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb]);
    push("multicast".into(), f);
    let f = udp_frame(rng, 100);
    let mut arp = f[..ethernet::ETHERTYPE.start].to_vec();
    arp.extend([0x08, 0x06]);
    arp.extend([0, 1, 8, 0, 6, 4, 0, 1]);
    arp.extend(&f[ethernet::SOURCE]);
    arp.extend([10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 1, 0, 1]);
    push("ARP request (not IPv4)".into(), pad(arp, rng));
    let mut f = udp_frame(rng, 100);
    f[frame::ETHERTYPE].copy_from_slice(&[0x86, 0xdd]);
    push("IPv6 EtherType".into(), f);
    for (proto, what) in [(6u8, "TCP"), (1, "ICMP")] {
        let mut f = udp_frame(rng, 60);
        f[frame::IP_PROTOCOL.start] = proto;
        fix_ip_checksum(&mut f);
        push(format!("IPv4 {what} (not UDP)"), f);
    }
    for ul in [4u16, 2000] {
        let mut f = udp_frame(rng, 100);
        set16(&mut f, frame::UDP_LENGTH, ul);
        push(format!("UDP length {ul} out of range"), f);
    }
    let mut bad = Vec::new();
    for p in [0, 100, 1472] {
        let f = udp_frame(rng, p);
        bad.push(TraceFrame {
            what: format!("MAC-bad frame, payload {p}"),
            bytes: pad(f, rng),
        });
    }
    (good, bad)
}

/// A random frame of one of the kinds the module docs list, and whether the MAC marks it bad.
pub fn random_rx_frame(rng: &mut ChaCha8Rng) -> (Vec<u8>, bool) {
    let plen = match rng.gen_range(0..4) {
        0 => rng.gen_range(0..=18),
        1 => rng.gen_range(0..=1472),
        2 => 1472,
        _ => rng.gen_range(0..=64),
    };
    let mut f = udp_frame(rng, plen);
    let kind = rng.gen_range(0..20);
    match kind {
        0..=2 => {}
        3 => {
            // Bytes after the UDP datagram inside the IPv4 payload: legal, not checksummed.
            let extra = rng.gen_range(1..8);
            f.extend((0..extra).map(|_| rng.gen::<u8>()));
            let total = get16(&f, frame::IP_TOTAL_LEN) + extra as u16;
            set_total_len(&mut f, total);
        }
        4 => f[frame::IP_CHECKSUM.start] ^= 1 << rng.gen_range(0..8),
        5 => {
            // A datagram bit: the UDP checksum (made nonzero first) no longer verifies.
            if get16(&f, frame::UDP_CHECKSUM) == 0 {
                set16(&mut f, frame::UDP_CHECKSUM, 1);
            }
            let i = frame::UDP + rng.gen_range(0..(udp::HEADER_LEN + plen));
            if !frame::UDP_CHECKSUM.contains(&i) {
                f[i] ^= 1 << rng.gen_range(0..8);
            } else {
                f[frame::UDP_CHECKSUM.end - 1] ^= 2;
            }
        }
        6 => f[frame::UDP_CHECKSUM].fill(0), // no UDP checksum
        7 => {
            let cut = rng.gen_range(1..f.len().min(60)); // frames keep at least one byte
            f.truncate(f.len() - cut);
            return (f, false); // a runt or a cut datagram, unpadded
        }
        8 => {
            // IPv4 total length off by some bytes either way.
            let total = i32::from(get16(&f, frame::IP_TOTAL_LEN))
                + if rng.gen_bool(0.5) {
                    rng.gen_range(1..40)
                } else {
                    -rng.gen_range(1..20)
                };
            set_total_len(&mut f, total.max(0) as u16);
        }
        9 => add_ip_options(&mut f, rng.gen_range(1..=10)), // IHL 6..15
        10 => {
            f[frame::IP_FLAGS_FRAG.start] |= if rng.gen_bool(0.5) {
                0x20
            } else {
                rng.gen_range(1..0x20)
            }; // MF or an offset
            fix_ip_checksum(&mut f);
        }
        11 => {
            for (k, b) in [0x81, 0x00, 0x00, rng.gen()].into_iter().enumerate() {
                f.insert(ethernet::ETHERTYPE.start + k, b); // VLAN tag
            }
        }
        12 => f[ethernet::DESTINATION].copy_from_slice(&[0xff; 6]),
        13 => f[ethernet::DESTINATION].copy_from_slice(&[0x01, 0x00, 0x5e, 0x00, 0x00, rng.gen()]),
        14 => {
            let mut arp = f[..ethernet::ETHERTYPE.start].to_vec();
            arp.extend([0x08, 0x06]);
            arp.extend((0..28).map(|_| rng.gen::<u8>()));
            f = arp;
        }
        15 => {
            f[frame::IP_PROTOCOL.start] = [1, 6, 47][rng.gen_range(0..3)]; // ICMP, TCP, GRE
            fix_ip_checksum(&mut f);
        }
        16 => {
            let udp_len = if rng.gen_bool(0.5) {
                rng.gen_range(0..8u16)
            } else {
                (plen + udp::HEADER_LEN) as u16 + rng.gen_range(1..100)
            };
            set16(&mut f, frame::UDP_LENGTH, udp_len);
        }
        17 => return (pad(f, rng), true), // the MAC saw a bad FCS
        18 => {
            // A bad IPv4 header: version 6, or IHL below 5 (checksum made valid).
            f[frame::IP_VER_IHL.start] = if rng.gen_bool(0.5) {
                0x65
            } else {
                0x40 | rng.gen_range(0..5)
            };
            fix_ip_checksum(&mut f);
        }
        _ => {
            // Frame bytes after the IPv4 datagram (padding past 60 bytes): not checksummed.
            f.extend((0..rng.gen_range(1..6)).map(|_| rng.gen::<u8>()));
        }
    }
    (pad(f, rng), false)
}

/// An ONC-RPC call (RFC 5531) as [`rpc_call_frame`] builds it (fields as the RFC names them).
#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RpcCallSpec {
    pub xid: u32,
    pub prog: u32,
    pub vers: u32,
    pub proc_: u32,
    /// Credential and verifier: flavor and body (padded to 4 bytes on the wire).
    pub cred: (u32, Vec<u8>),
    pub verf: (u32, Vec<u8>),
    /// The arguments, as XDR bytes.
    pub args: Vec<u8>,
    pub dst_ip: [u8; 4],
    pub dst_port: u16,
}

impl RpcCallSpec {
    /// The call's RPC message: header, credential, verifier, arguments.
    pub fn message(&self) -> Vec<u8> {
        let mut p = Vec::new();
        for w in [self.xid, 0, 2, self.prog, self.vers, self.proc_] {
            p.extend(w.to_be_bytes());
        }
        for (flavor, body) in [&self.cred, &self.verf] {
            p.extend(flavor.to_be_bytes());
            p.extend((body.len() as u32).to_be_bytes());
            p.extend(body);
            p.resize(p.len().div_ceil(4) * 4, 0);
        }
        p.extend(&self.args);
        p
    }
}

/// A UDP/IPv4 frame carrying `spec` (random source, valid checksums, padded to 60 bytes).
pub fn rpc_call_frame(rng: &mut ChaCha8Rng, spec: &RpcCallSpec) -> Vec<u8> {
    let msg = spec.message();
    let mut f = udp_frame_to(rng, spec.dst_ip, spec.dst_port, msg.len());
    f[frame::PAYLOAD..].copy_from_slice(&msg);
    fix_udp_checksum(&mut f);
    pad(f, rng)
}

/// A way an ONC-RPC call frame is malformed that the receive path must drop and count
/// (RFC 5531: a call has message type 0 and RPC version 2, and its header is whole).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RpcDefect {
    /// Message type 1: a REPLY sent to the server.
    Reply,
    /// RPC version 3.
    RpcVersion,
    /// The datagram ends 20 bytes into the call header.
    CutHeader,
}

impl RpcDefect {
    /// Every defect, for drawing one at random.
    pub const ALL: [RpcDefect; 3] = [
        RpcDefect::Reply,
        RpcDefect::RpcVersion,
        RpcDefect::CutHeader,
    ];

    /// How a trace's dissection names it.
    pub fn what(self) -> &'static str {
        match self {
            RpcDefect::Reply => "malformed: a REPLY",
            RpcDefect::RpcVersion => "malformed: RPC version 3",
            RpcDefect::CutHeader => "malformed: the datagram ends in the header",
        }
    }

    /// Breaks a frame built by [`rpc_call_frame`], keeping its checksums valid so that
    /// only the RPC layer is wrong.
    pub fn apply(self, f: &mut Vec<u8>) {
        // The last byte of a big-endian XDR word of the call header.
        let low = |w: Field| frame::PAYLOAD + w.end - 1;
        match self {
            RpcDefect::Reply => f[low(oncrpc::MSG_TYPE)] = oncrpc::REPLY as u8,
            RpcDefect::RpcVersion => f[low(oncrpc::RPC_VERSION)] = oncrpc::VERSION as u8 + 1,
            RpcDefect::CutHeader => {
                let cut = 20;
                f.truncate(frame::PAYLOAD + cut);
                set16(f, frame::UDP_LENGTH, (udp::HEADER_LEN + cut) as u16);
                set16(
                    f,
                    frame::IP_TOTAL_LEN,
                    (frame::PAYLOAD + cut - frame::IPV4) as u16,
                );
                fix_ip_checksum(f);
            }
        }
        fix_udp_checksum(f);
    }
}

/// A frame of [`rpc_mix`]: the call it carries when it is well formed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MixFrame {
    /// The Ethernet frame.
    pub bytes: Vec<u8>,
    /// The call's fields and the index of its service; `None` for a malformed frame.
    pub call: Option<(RpcCallSpec, usize)>,
}

/// A volume trace of `n` ONC-RPC calls to `services` (program, version, procedure, port)
/// at `dst_ip`: each well formed with probability 0.9 (a random service, 0 to `max_args`
/// bytes of arguments, a credential body of 0 to 8 bytes), else malformed by one of
/// [`RpcDefect`]. Xids are distinct.
pub fn rpc_mix(
    rng: &mut ChaCha8Rng,
    n: usize,
    services: &[(u32, u32, u32, u16)],
    dst_ip: [u8; 4],
    max_args: usize,
) -> Vec<MixFrame> {
    let first: u32 = rng.gen_range(0..u32::MAX / 2);
    (0..n)
        .map(|k| {
            let svc = rng.gen_range(0..services.len());
            let s = services[svc];
            let spec = RpcCallSpec {
                xid: first + k as u32,
                prog: s.0,
                vers: s.1,
                proc_: s.2,
                cred: (1, (0..rng.gen_range(0..3) * 4).map(|_| rng.gen()).collect()),
                verf: (0, vec![]),
                args: (0..rng.gen_range(0..=max_args))
                    .map(|_| rng.gen())
                    .collect(),
                dst_ip,
                dst_port: s.3,
            };
            let mut bytes = rpc_call_frame(rng, &spec);
            let call = if rng.gen_bool(0.9) {
                Some((spec, svc))
            } else {
                RpcDefect::ALL[rng.gen_range(0..RpcDefect::ALL.len())].apply(&mut bytes);
                None
            };
            MixFrame { bytes, call }
        })
        .collect()
}

/// The programs, versions, procedures and ports of the golden RPC trace's two services:
/// (program, version, procedure, UDP port). `testbench/traces/rpc_services.toml` names
/// the same.
pub const RPC_GOLDEN_SERVICES: [(u32, u32, u32, u16); 2] =
    [(0x2000_0001, 1, 1, 4000), (0x2000_0002, 2, 7, 5000)];
/// The NIC's address in the golden RPC trace.
pub const RPC_GOLDEN_IP: [u8; 4] = [10, 1, 0, 1];

/// The golden ONC-RPC trace (`testbench/traces/rpc_golden.pcap`): calls to the two
/// services of [`RPC_GOLDEN_SERVICES`] with arguments of every size class (none, a few
/// bytes, exactly the CONTROL line's 96, one more, the largest that fits 3 AUX lines),
/// credential and verifier bodies, and what must not reach a handler: an unknown version,
/// procedure and program, a reply instead of a call, RPC version 3, a header cut by the
/// datagram,
/// arguments too large for the lines, a call for another address, and plain UDP.
/// Deterministic (a fixed seed).
pub fn rpc_golden() -> Vec<TraceFrame> {
    let mut rng = ChaCha8Rng::seed_from_u64(0x7270_6367_6f6c); // "rpcgol"
    let rng = &mut rng;
    let mut out = Vec::new();
    let mut xid = 0x1000_0000u32;
    let mut call = |rng: &mut ChaCha8Rng, svc: usize, args: usize, cred: usize, what: &str| {
        let s = RPC_GOLDEN_SERVICES[svc];
        xid += 1;
        let spec = RpcCallSpec {
            xid,
            prog: s.0,
            vers: s.1,
            proc_: s.2,
            cred: (1, (0..cred).map(|_| rng.gen()).collect()),
            verf: (0, vec![]),
            args: (0..args).map(|_| rng.gen()).collect(),
            dst_ip: RPC_GOLDEN_IP,
            dst_port: s.3,
        };
        (spec, what.to_string())
    };
    let mut push =
        |rng: &mut ChaCha8Rng, spec: &RpcCallSpec, what: String, edit: &dyn Fn(&mut Vec<u8>)| {
            let mut f = rpc_call_frame(rng, spec);
            edit(&mut f);
            out.push(TraceFrame { what, bytes: f });
        };
    let none = |_: &mut Vec<u8>| {};
    for (svc, args, cred, what) in [
        (0, 0, 0, "call, no arguments"),
        (0, 4, 0, "call, 4 bytes"),
        (1, 96, 16, "call, 96 bytes: exactly the CONTROL line"),
        (1, 97, 0, "call, 97 bytes: one into AUX line 0"),
        (
            0,
            480,
            400,
            "call, 480 bytes (the most 3 AUX lines hold), 400-byte credential",
        ),
        (1, 37, 8, "call, 37 bytes"),
    ] {
        let (spec, w) = call(rng, svc, args, cred, what);
        push(rng, &spec, w, &none);
    }
    let (mut spec, w) = call(rng, 0, 8, 0, "unmatched: version 9");
    spec.vers = 9;
    push(rng, &spec, w, &none);
    let (mut spec, w) = call(rng, 1, 8, 0, "unmatched: procedure 8");
    spec.proc_ = 8;
    push(rng, &spec, w, &none);
    let (mut spec, w) = call(rng, 0, 8, 0, "unmatched: a program the port does not have");
    spec.prog ^= 0x100;
    push(rng, &spec, w, &none);
    for (svc, args, defect) in [
        (0, 8, RpcDefect::Reply),
        (0, 8, RpcDefect::RpcVersion),
        (1, 0, RpcDefect::CutHeader),
    ] {
        let (spec, w) = call(rng, svc, args, 0, defect.what());
        push(rng, &spec, w, &|f| defect.apply(f));
    }
    let (spec, w) = call(
        rng,
        0,
        481,
        0,
        "too large: 481 bytes of arguments (passed on)",
    );
    push(rng, &spec, w, &none);
    let (mut spec, w) = call(rng, 0, 8, 0, "for another address (passed on)");
    spec.dst_ip = [10, 1, 0, 2];
    push(rng, &spec, w, &none);
    for k in 0..4 {
        let (spec, w) = call(rng, k % 2, 16 * k, 0, "call, back to back");
        push(rng, &spec, w, &none);
    }
    let plain = udp_frame_to(rng, RPC_GOLDEN_IP, 53, 40);
    out.push(TraceFrame {
        what: "plain UDP to a port no service listens on (passed on)".into(),
        bytes: plain,
    });
    out
}

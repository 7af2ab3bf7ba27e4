//! Ethernet / IPv4 / UDP receive parser: taps a MAC's receive stream at one beat per cycle
//! (never stalls it) and, for every frame, reports its headers and a verdict once the frame
//! has ended and both checksums are known.
//!
//! * The first 42 bytes are captured as they pass; the fields sit at fixed offsets
//!   (Ethernet II without VLAN tag, then IPv4, then UDP when IHL = 5).
//! * The IPv4 header checksum (over `4·IHL` bytes from offset 14) and the UDP checksum (over
//!   the pseudo header's addresses at 26..34 and `udp_len` bytes from 34, plus protocol and
//!   length) come from two [`checksum`](super::checksum) units fed one cycle behind the
//!   input with keep masks built from the captured header. Each beat is masked with header
//!   fields that arrived no later than that beat, which is all a byte can depend on: the
//!   mask's bounds (14, 26, 14 + 4·IHL, 34 + `udp_len`) never fall in a beat before the one
//!   that carries the field they come from.
//! * Per frame, the header fields wait in a small FIFO for the checksums, so frames may
//!   follow each other back to back, one beat each. `meta_valid` pulses [`latency`] cycles
//!   after the frame's last beat; frames are reported in order.
//!
//! Frames are packed AXI-Stream frames (every beat full but the last, whose `tkeep` is
//! contiguous from lane 0) of at least one byte, as a MAC delivers them.
//!
//! The verdict: `meta_offload` says the frame is a well-formed, checksum-clean unicast
//! UDP/IPv4 datagram without options or fragmentation (what the offload may take);
//! otherwise `meta_error` gives the first problem found ([`err`]), or 0 for a well-formed
//! frame the offload does not take (another EtherType, VLAN tag, IPv4 options, fragment,
//! another protocol, broadcast/multicast), which belongs on the normal path.

use super::checksum::{checksum, latency as csum_latency};
use super::onehot::encode;
use super::sync_fifo::{sync_fifo, SyncFifoCfg};
use crate::blocks::frame_tap::{FrameTap, OFFSET_WIDTH};
use crate::bundles::{Axis, AxisCfg};
use crate::ir::{cat, lit, Expr, HdlErrors, Layout, Module, ModuleBuilder, PortDir, Record, Sig};
use crate::proto::{ethernet, frame, ipv4, udp, Field};
use std::rc::Rc;

/// `meta_error` codes, in the order they are checked.
pub mod err {
    /// Well formed (offloadable or for the normal path).
    pub const NONE: u64 = 0;
    /// The MAC marked the frame bad (`tuser` on its last beat).
    pub const MAC_BAD: u64 = 1;
    /// Shorter than an Ethernet header; or IPv4 and shorter than 34 bytes or than
    /// 14 + its total length.
    pub const TRUNCATED: u64 = 2;
    /// IPv4 version is not 4, IHL < 5, or total length shorter than the header.
    pub const IP_HEADER: u64 = 3;
    /// The IPv4 header checksum does not verify.
    pub const IP_CHECKSUM: u64 = 4;
    /// UDP length below 8 or beyond the IPv4 payload.
    pub const UDP_LENGTH: u64 = 5;
    /// The UDP checksum (not 0) does not verify.
    pub const UDP_CHECKSUM: u64 = 6;
}

/// Cycles from a frame's last beat to its `meta_valid` pulse.
pub fn latency(data_width: u32) -> u32 {
    // The masking stage, the checksum unit, the verdict register.
    1 + csum_latency(data_width) + 1
}

/// Frames in flight between the end of a frame and its verdict, at most.
const META_DEPTH: u64 = 16;
/// Header bytes captured: Ethernet, IPv4 without options, UDP.
const HDR_BYTES: u32 = frame::PAYLOAD as u32;
/// IHL of an IPv4 header without options, the shortest there is.
const IHL_MIN: u64 = (ipv4::HEADER_LEN / 4) as u64;

pub fn udp_rx_parse(data_width: u32) -> Result<Rc<Module>, HdlErrors> {
    let name = format!("udp_rx_parse_w{data_width}");
    AxisCfg::validate_nic_width(&name, data_width)?;
    let mut m = ModuleBuilder::new(&name);
    m.doc(format!(
        "Ethernet/IPv4/UDP receive parser, {data_width}-bit: headers and a verdict per frame,\n\
         {} cycles after its last beat. Always ready.",
        latency(data_width)
    ));
    let s = Axis::sink(&mut m, "s_axis", AxisCfg::net(data_width));
    let tap = FrameTap::new(&mut m, &s, HDR_BYTES);
    let udp_len = m.node("udp_len", tap.field(frame::UDP_LENGTH));
    let b = StageB::new(&mut m, &s, &tap);
    let sums = checksums(&mut m, &tap, &b)?;
    let q = queue_headers(&mut m, &tap, &b, &udp_len, &sums.done)?;
    verdict(&mut m, &q, &sums);
    m.finish()
}

/// Stage B: the beat again, one cycle later, with the header up to and including it.
struct StageB {
    valid: Sig,
    data: Sig,
    keep: Sig,
    last: Sig,
    bad: Sig,
    /// The byte offset of the beat in its frame.
    offset: Sig,
}

impl StageB {
    fn new(m: &mut ModuleBuilder, s: &Axis, tap: &FrameTap) -> StageB {
        let lanes = s.tkeep.width();
        let lb = lanes.trailing_zeros();
        let valid = m.reg_reset("b_valid", 1, 0);
        let data = m.reg("b_data", s.tdata.width());
        let keep = m.reg("b_keep", lanes);
        let last = m.reg("b_last", 1);
        let bad = m.reg("b_bad", 1);
        let index = m.reg("b_index", OFFSET_WIDTH - lb);
        m.set(&valid, &tap.fire);
        m.when(&tap.fire, |m| {
            m.set(&data, &s.tdata);
            m.set(&keep, &s.tkeep);
            m.set(&last, &s.tlast);
            m.set(&bad, s.tuser.as_ref().unwrap());
            m.set(&index, &tap.index);
        });
        let offset = m.node("b_offset", cat([Expr::from(&index), lit(0, lb)]));
        StageB {
            valid,
            data,
            keep,
            last,
            bad,
            offset,
        }
    }
}

/// The two checksum units' results, valid together at `done`, a frame's last beat plus
/// the unit's latency after stage B.
struct Sums {
    done: Sig,
    ip: Sig,
    udp: Sig,
}

/// The IPv4 header and UDP checksums of the beats in stage B, each unit fed the beat masked
/// to the lanes within its bounds.
fn checksums(m: &mut ModuleBuilder, tap: &FrameTap, b: &StageB) -> Result<Sums, HdlErrors> {
    let (ip_keep, udp_keep) = checksum_keeps(m, tap, b);
    let csum = checksum(b.data.width())?;
    let mut sums = Vec::new();
    for (unit, keep) in [("ip_sum", &ip_keep), ("udp_sum", &udp_keep)] {
        let i = m.instance(unit, &csum);
        m.connect(i, "s_axis_tdata", &b.data);
        m.connect(i, "s_axis_tkeep", keep);
        m.connect(i, "s_axis_tvalid", &b.valid);
        m.connect(i, "s_axis_tlast", &b.last);
        let ready = m.inst_output(i, "s_axis_tready");
        m.unused(&ready); // always ready
        sums.push((m.inst_output(i, "csum_valid"), m.inst_output(i, "csum")));
    }
    let (udp_done, udp) = sums.pop().unwrap();
    let (done, ip) = sums.pop().unwrap();
    m.unused(&udp_done); // same latency as the IPv4 unit's
    Ok(Sums { done, ip, udp })
}

/// The keep masks of the beat in stage B for the IPv4 header checksum (bytes 14 to
/// 14 + 4·IHL) and the UDP checksum (bytes 26 to 34 + `udp_len`).
fn checksum_keeps(m: &mut ModuleBuilder, tap: &FrameTap, b: &StageB) -> (Sig, Sig) {
    let lanes = b.keep.width();
    let lb = lanes.trailing_zeros();
    let (fire, idx) = (&tap.fire, &tap.index);
    const IW: u32 = OFFSET_WIDTH;
    // The lanes of the beat in stage B below each checksum's bounds are worked out a cycle
    // early, as the beat passes the tap, from `limit - offset` of that beat (`LW` bits,
    // signed): the whole beat is below, none of it is, or the low bits say where it ends.
    // Stage B then only combines registered flags with its keep mask.
    const LW: u32 = IW + 2;
    let tap_offset = cat([Expr::from(idx), lit(0, lb)]).zext(LW);
    // A bound's distance `left` from the next beat's start, for the lanes below it: none of
    // them, all, or the low bits' thermometer.
    let summary = |left: &Expr| -> [Expr; 3] {
        [
            left.msb() | left.eq(0u64),
            !left.msb() & left.slice(lb, LW - 1 - lb).any(),
            left.trunc(lb),
        ]
    };
    let lanes_below =
        |m: &mut ModuleBuilder, n: &str, [none_is, all_is, low_is]: [Expr; 3]| -> Expr {
            let none = m.reg(&format!("{n}_none"), 1);
            let all = m.reg(&format!("{n}_all"), 1);
            let low = m.reg(&format!("{n}_low"), lb);
            m.when(fire, |m| {
                m.set(&none, none_is);
                m.set(&all, all_is);
                m.set(&low, low_is);
            });
            let thermo = cat((0..lanes).rev().map(|j| match j + 1 < lanes {
                true => &all | low.gt(j as u64),
                false => Expr::from(&all),
            }));
            m.node(n, !none.repeat(lanes) & thermo).into()
        };
    let signed = |v: i64| lit(v as u64 & ((1u64 << LW) - 1), LW);
    let fixed = |m: &mut ModuleBuilder, n: &str, limit: usize| {
        lanes_below(m, n, summary(&(signed(limit as i64) - &tap_offset)))
    };
    // A bound `scaled(field) + add` from header field `f`: in the beat that carries the
    // field it comes from the beat itself (it reaches the captured header only with that
    // beat), after it from a register; before it the register is stale, but no bound can
    // fall in a beat before its field's. Both are summarised before the choice, so the
    // choice is not between the subtraction and the zero test.
    let from_field =
        |m: &mut ModuleBuilder, n: &str, f: Field, scaled: &dyn Fn(Expr) -> Expr, add: usize| {
            let k = tap.chunk_of(&f);
            let here = m.node(&format!("{n}_field_here"), idx.eq(k as u64));
            let value = scaled(tap.field_in_beat(f));
            let limit = m.reg_reset(&format!("{n}_limit"), IW + 1, add as u64);
            m.when(fire & &here, |m| {
                m.set(&limit, &value + lit(add as u64, IW + 1))
            });
            let in_beat = value.zext(LW) + signed(add as i64 - (k * lanes) as i64);
            let later = limit.zext(LW) - &tap_offset;
            let (a, b) = (summary(&in_beat), summary(&later));
            lanes_below(m, n, [0, 1, 2].map(|i| here.mux(&a[i], &b[i])))
        };
    // The IPv4 header is summed from its start, the UDP checksum from the pseudo header's
    // addresses.
    let from14 = fixed(m, "lanes_below_14", frame::IPV4);
    let from26 = fixed(m, "lanes_below_26", frame::IP_ADDRS.start);
    let to_ip = from_field(
        m,
        "lanes_below_ip_end",
        frame::IP_VER_IHL,
        &|b| cat([lit(0, IW + 1 - 6), b.trunc(4), lit(0, 2)]),
        frame::IPV4,
    );
    let to_udp = from_field(
        m,
        "lanes_below_udp_end",
        frame::UDP_LENGTH,
        &|l| l.zext(IW + 1),
        frame::UDP,
    );
    let ip_keep = m.node("ip_keep", &b.keep & !from14 & to_ip);
    let udp_keep = m.node("udp_keep", &b.keep & !from26 & to_udp);
    (ip_keep, udp_keep)
}

/// At each frame's last beat, its length and header fields, queued until its checksums are
/// known (`done`).
fn queue_headers(
    m: &mut ModuleBuilder,
    tap: &FrameTap,
    b: &StageB,
    udp_len: &Sig,
    done: &Sig,
) -> Result<Record, HdlErrors> {
    const IW: u32 = OFFSET_WIDTH;
    let lb = b.keep.width().trailing_zeros();
    let field = |f: Field| tap.field(f);
    let top = m.node("b_keep_top", &b.keep & !b.keep.shr(1));
    m.unused(&top); // lane 0 is index 0
    let frame_len = m.node(
        "frame_len",
        b.offset.zext(IW + 1) + encode(&top, lb).zext(IW + 1) + lit(1, IW + 1),
    );
    // The pseudo header's protocol and length, folded into 16 bits as the frame is queued
    // (never 0: the protocol is not), so the verdict adds only the unit's sum to it.
    let pseudo = udp_len.zext(17) + lit(ipv4::PROTOCOL_UDP, 17);
    let pseudo_sum = m.node("udp_pseudo_sum", pseudo.trunc(16) + pseudo.msb().zext(16));
    // The checks that need only header fields (registers in the tap by now) are made as the
    // frame is queued, so the verdict, which waits for the checksums, ANDs bits.
    let total = field(frame::IP_TOTAL_LEN);
    let ver_ihl = field(frame::IP_VER_IHL);
    let ihl = ver_ihl.trunc(4);
    let ip_hdr_len = cat([lit(0, 10), ihl.clone(), lit(0, 2)]);
    let ip_hdr_bad = ver_ihl.slice(4, 4).ne(4u64) | ihl.lt(IHL_MIN) | total.lt(&ip_hdr_len);
    let options = ihl.ne(IHL_MIN);
    let frag = field(frame::IP_FLAGS_FRAG);
    let fragment = frag.bit(13) | frag.trunc(13).ne(0u64);
    let is_ipv4 = field(frame::ETHERTYPE).eq(ethernet::ETHERTYPE_IPV4);
    let is_udp = field(frame::IP_PROTOCOL).eq(ipv4::PROTOCOL_UDP);
    let udp_len_bad = udp_len.lt(udp::HEADER_LEN as u64)
        | udp_len.gt(total.clone() - lit(ipv4::HEADER_LEN as u64, 16));
    // Where the IPv4 datagram ends in the frame, for the length check against the frame's.
    let ip_end = total.zext(IW + 1) + lit(frame::IPV4 as u64, IW + 1);
    let fields: Vec<(&str, Expr)> = vec![
        ("frame_len", frame_len.clone().into()),
        ("mac_bad", b.bad.clone().into()),
        ("dst_mac_group", tap.byte(0).bit(0)),
        ("dst_mac_bcast", field(ethernet::DESTINATION).all()),
        ("is_ipv4", is_ipv4),
        ("ip_hdr_bad", ip_hdr_bad),
        ("options", options),
        ("fragment", fragment),
        ("is_udp", is_udp),
        ("udp_len_bad", udp_len_bad),
        ("ip_end", ip_end),
        ("proto", field(frame::IP_PROTOCOL)),
        ("src_ip", field(frame::IP_SRC)),
        ("dst_ip", field(frame::IP_DST)),
        ("src_port", field(frame::UDP_SRC_PORT)),
        ("dst_port", field(frame::UDP_DST_PORT)),
        ("udp_len", udp_len.clone().into()),
        ("udp_csum", field(frame::UDP_CHECKSUM)),
        ("pseudo_sum", pseudo_sum.into()),
    ];
    // The list reads from the most significant field down, the layout from the least up.
    let widths: Vec<(&str, u32)> = fields.iter().rev().map(|(n, e)| (*n, e.width())).collect();
    let meta = Layout::new(&widths);
    let word = meta.pack(&fields);
    let mq = m.instance(
        "meta_fifo",
        &sync_fifo(SyncFifoCfg::new(meta.width(), META_DEPTH))?,
    );
    m.connect(mq, "s_valid", &b.valid & &b.last);
    m.connect(mq, "s_data", &word);
    m.connect(mq, "m_ready", done);
    for p in ["s_ready", "m_valid", "count"] {
        let o = m.inst_output(mq, p);
        m.unused(&o); // at most latency/1 frames are ever queued, far below the depth
    }
    let q = m.inst_output(mq, "m_data");
    Ok(meta.unpack(m, "q", &q))
}

/// The verdict on the frame at the head of the queue, registered onto the `meta` outputs
/// when its checksums are known.
fn verdict(m: &mut ModuleBuilder, q: &Record, sums: &Sums) {
    let g = |n: &str| q.get(n);
    let (ip_sum, udp_sum, ip_done) = (&sums.ip, &sums.udp, &sums.done);
    let is_ipv4 = g("is_ipv4");
    let len = g("frame_len");
    let short = m.node(
        "truncated",
        len.lt(frame::IPV4 as u64)
            | (&is_ipv4 & (len.lt(frame::UDP as u64) | len.lt(&g("ip_end")))),
    );
    let ip_sum_bad = m.node("ip_sum_bad", ip_sum.ne(0xffffu64));
    let (ip_hdr_bad, udp_len_bad) = (g("ip_hdr_bad"), g("udp_len_bad"));
    let (options, fragment) = (g("options"), g("fragment"));
    // The ones'-complement sum of the unit's sum `a` and the pseudo header's `b` (both
    // 1..=0xffff or `a` = 0) is 0xffff exactly when a + b is 0xffff or 0x1fffe: when b is
    // ~a, or both are 0xffff. Two equalities side by side instead of a chain of folds.
    let pseudo = g("pseudo_sum");
    let udp_verifies = pseudo.eq(!udp_sum) | (udp_sum.all() & pseudo.all());
    let udp_sum_bad = m.node("udp_sum_bad", g("udp_csum").ne(0u64) & !udp_verifies);
    let ip_ok_so_far = &is_ipv4 & !&options & !&fragment & g("is_udp");
    let error = m.node(
        "verdict_error",
        g("mac_bad").mux(
            lit(err::MAC_BAD, 3),
            short.mux(
                lit(err::TRUNCATED, 3),
                (&is_ipv4 & &ip_hdr_bad).mux(
                    lit(err::IP_HEADER, 3),
                    (&is_ipv4 & &ip_sum_bad).mux(
                        lit(err::IP_CHECKSUM, 3),
                        (&ip_ok_so_far & &udp_len_bad).mux(
                            lit(err::UDP_LENGTH, 3),
                            (&ip_ok_so_far & &udp_sum_bad)
                                .mux(lit(err::UDP_CHECKSUM, 3), lit(err::NONE, 3)),
                        ),
                    ),
                ),
            ),
        ),
    );
    // `error` is NONE and the frame is plain unicast UDP/IPv4, as one AND of the checks
    // rather than a compare after the error's priority chain.
    let offload = &ip_ok_so_far
        & !g("dst_mac_group")
        & !g("mac_bad")
        & !&short
        & !&ip_hdr_bad
        & !&ip_sum_bad
        & !&udp_len_bad
        & !&udp_sum_bad;

    let out = |m: &mut ModuleBuilder, n: &str, v: Expr| {
        let p = m.group_port("meta", n, v.width(), PortDir::Out);
        let r = m.reg(&format!("meta_{n}_r"), v.width());
        m.when(ip_done, |m| m.set(&r, v));
        m.set(&p, &r);
    };
    let mv = m.group_port("meta", "valid", 1, PortDir::Out);
    let mv_r = m.reg_reset("meta_valid_r", 1, 0);
    m.set(&mv_r, ip_done);
    m.set(&mv, &mv_r);
    out(m, "offload", offload);
    out(m, "error", error.clone().into());
    out(m, "len", g("frame_len"));
    out(m, "broadcast", g("dst_mac_bcast"));
    out(m, "multicast", g("dst_mac_group") & !g("dst_mac_bcast"));
    out(m, "ipv4", is_ipv4.clone().into());
    out(m, "options", &is_ipv4 & options);
    out(m, "fragment", &is_ipv4 & fragment);
    out(m, "proto", g("proto"));
    out(m, "src_ip", g("src_ip"));
    out(m, "dst_ip", g("dst_ip"));
    out(m, "src_port", g("src_port"));
    out(m, "dst_port", g("dst_port"));
    out(m, "udp_len", g("udp_len"));
}

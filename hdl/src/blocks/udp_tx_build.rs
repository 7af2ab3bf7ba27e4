//! UDP/IPv4 transmit frame builder: per datagram, header fields on `hdr_*` and the payload
//! on `s_axis` become one Ethernet frame on `m_axis`: Ethernet II, IPv4 (IHL 5, no
//! fragmentation, the given TTL and identification) and UDP headers, the payload behind
//! them, zero padding to the 60-byte minimum.
//!
//! * **Checksums.** The IPv4 header checksum comes from the fields. The UDP checksum needs
//!   the payload's sum before the header goes out, so the caller passes it in `hdr_sum`
//!   (the folded ones'-complement sum of the payload bytes, byte 0 the high half, as a
//!   [`checksum`](super::checksum) unit tapping the payload computes it while the payload
//!   is buffered); the builder adds the pseudo header and the UDP header and sends the
//!   complement, 0xFFFF in place of 0 (RFC 768).
//! * **Datapath.** The payload stream is packed (`hdr_len` bytes, every beat full but the
//!   last; with `hdr_len` 0 no payload beat is taken). Its bytes move up by 42 lanes modulo
//!   the bus width: each output beat joins the previous payload beat's top lanes with the
//!   next beat's bottom ones.
//! * **Rate.** Two stages (header and sums; emission) overlap, so a frame's first beat can
//!   follow the previous frame's last beat directly: back-to-back frames go out at one beat
//!   per cycle when the payload is there and the sink is ready.

use crate::bundles::{Axis, AxisCfg};
use crate::ir::{cat, clog2, lit, Expr, HdlErrors, Module, ModuleBuilder, PortDir, Sig};
use std::rc::Rc;

/// Bytes of Ethernet + IPv4 + UDP header.
pub const HEADER_BYTES: u32 = 42;
/// Frames shorter than this are padded (the Ethernet minimum without FCS).
pub const MIN_FRAME: u32 = 60;

/// The per-datagram fields, in port order: (name, width).
pub const FIELDS: [(&str, u32); 10] = [
    ("dst_mac", 48),
    ("src_mac", 48),
    ("src_ip", 32),
    ("dst_ip", 32),
    ("src_port", 16),
    ("dst_port", 16),
    ("len", 16),
    ("sum", 16),
    ("ttl", 8),
    ("id", 16),
];

/// Ones'-complement fold of a wide sum to 16 bits (two rounds suffice below 2^32).
fn fold(s: &Expr) -> Expr {
    let w = s.width();
    let a = s.trunc(16).add_carry(s.slice(16, w - 16).resize(16));
    let b = a.trunc(16).add_carry(a.slice(16, 1).zext(16));
    b.trunc(16) + b.msb().zext(16)
}

/// Sum of 16-bit terms, exact (20 bits holds 16 terms).
fn sum16(terms: &[Expr]) -> Expr {
    terms
        .iter()
        .map(|t| t.zext(20))
        .reduce(|a, b| a + b)
        .unwrap()
}

/// Field `n` of the per-datagram fields `v`, in [`FIELDS`] order.
fn field(v: &[Sig], n: &str) -> Expr {
    Expr::from(&v[FIELDS.iter().position(|(x, _)| *x == n).unwrap()])
}

/// The 16-bit terms of the IPv4 header checksum and of the UDP checksum (the payload's
/// sum, the pseudo header and the UDP header), from the fields on `hdr_*`: summed in
/// stage A, so stage B only folds.
fn checksum_terms(hin: &[Sig]) -> (Vec<Expr>, Vec<Expr>) {
    let words =
        |e: Expr| -> Vec<Expr> { (0..e.width() / 16).map(|i| e.slice(16 * i, 16)).collect() };
    let udp_len = field(hin, "len") + lit(8, 16);
    let total = field(hin, "len") + lit(28, 16);
    let mut ip_terms = vec![
        lit(0x4500, 16),
        total.clone(),
        field(hin, "id"),
        cat([field(hin, "ttl"), lit(17, 8)]),
    ];
    ip_terms.extend(words(field(hin, "src_ip")));
    ip_terms.extend(words(field(hin, "dst_ip")));
    let mut udp_terms = vec![
        field(hin, "sum"),
        lit(17, 16),
        udp_len.clone(),
        udp_len.clone(),
        field(hin, "src_port"),
        field(hin, "dst_port"),
    ];
    udp_terms.extend(words(field(hin, "src_ip")));
    udp_terms.extend(words(field(hin, "dst_ip")));
    (ip_terms, udp_terms)
}

/// The frame's header bytes, byte 0 first, from stage B's fields (`fb`) and checksums.
fn header_bytes(fb: &dyn Fn(&str) -> Expr, b_ip: &Sig, b_udp: &Sig) -> Vec<Expr> {
    let be = |e: Expr| -> Vec<Expr> {
        (0..e.width() / 8)
            .rev()
            .map(|i| e.slice(8 * i, 8))
            .collect()
    };
    let mut hdr_bytes: Vec<Expr> = Vec::new();
    hdr_bytes.extend(be(fb("dst_mac")));
    hdr_bytes.extend(be(fb("src_mac")));
    hdr_bytes.extend(be(lit(0x0800, 16)));
    hdr_bytes.extend(be(lit(0x4500, 16)));
    hdr_bytes.extend(be(fb("len") + lit(28, 16)));
    hdr_bytes.extend(be(fb("id")));
    hdr_bytes.extend(be(lit(0, 16)));
    hdr_bytes.extend(be(cat([fb("ttl"), lit(17, 8)])));
    hdr_bytes.extend(be(b_ip.clone().into()));
    hdr_bytes.extend(be(fb("src_ip")));
    hdr_bytes.extend(be(fb("dst_ip")));
    hdr_bytes.extend(be(fb("src_port")));
    hdr_bytes.extend(be(fb("dst_port")));
    hdr_bytes.extend(be(fb("len") + lit(8, 16)));
    hdr_bytes.extend(be(b_udp.clone().into()));
    assert_eq!(hdr_bytes.len() as u32, HEADER_BYTES);
    hdr_bytes
}

/// Stage A: the fields, and both checksums' sums before folding.
struct StageA {
    valid: Sig,
    /// The `kept` fields.
    fields: Vec<Sig>,
    ip_sum: Sig,
    udp_sum: Sig,
}

fn stage_a(m: &mut ModuleBuilder, kept: &[(&str, u32)]) -> StageA {
    StageA {
        valid: m.reg_reset("a_valid", 1, 0),
        fields: kept
            .iter()
            .map(|(n, w)| m.reg(&format!("a_{n}"), *w))
            .collect(),
        ip_sum: m.reg("a_ip_sum", 20),
        udp_sum: m.reg("a_udp_sum", 20),
    }
}

/// Stage B: the frame being sent, its checksums and where in it the output is.
struct StageB {
    valid: Sig,
    /// The `kept` fields.
    fields: Vec<Sig>,
    ip_csum: Sig,
    udp_csum: Sig,
    beat: Sig,
    /// The beat is the frame's last; it takes a payload beat: flags decided a beat early.
    is_last: Sig,
    takes: Sig,
    carry: Sig,
    /// The lanes of `b_beat` inside the header and payload (the rest is padding): decided
    /// a beat early, so the output is the beat's bytes under a register, not a compare.
    data_mask: Sig,
    shape: FrameShape<Sig>,
}

/// A frame's length and beats, from its payload length: computed as it moves from stage A
/// to stage B, so a beat of stage B only compares its beat counter with them.
struct FrameShape<T> {
    /// Beats to the one holding the header and payload's end (in stage B, counted down
    /// to 0 as the beats go out).
    to_end: T,
    /// The lanes of that beat before the end.
    end_lanes: T,
    /// `tkeep` of the frame's last beat (with the padding).
    last_keep: T,
    last_beat: T,
    /// The beat after the last that takes a payload beat.
    payload_end: T,
}

/// Lane j is set when j < `r` (`r` has the lanes' index width, so the top lane never is).
fn lanes_below(r: &Expr, lanes: u32) -> Expr {
    cat([lit(0, 1)]
        .into_iter()
        .chain((0..lanes - 1).rev().map(|j| r.gt(u64::from(j)))))
}

impl FrameShape<Expr> {
    fn of(len: &Expr, lanes: u32, q: u32) -> Self {
        let lb = lanes.trailing_zeros();
        let end = len.zext(17) + lit(HEADER_BYTES as u64, 17);
        let frame_len = end
            .lt(MIN_FRAME as u64)
            .mux(lit(MIN_FRAME as u64, 17), &end);
        let last_beat = (&frame_len - lit(1, 17)).slice(lb, 17 - lb).trunc(16 - lb);
        // Payload beats: ceil(len / lanes); beat k >= q takes payload beat k - q.
        let payload_beats = (len.zext(17) + lit(lanes as u64 - 1, 17)).slice(lb, 17 - lb);
        // The end's lanes come from the payload length's low bits alone (the header's
        // length is a constant), and a padded frame's last keep is a constant: no adder or
        // compare of the whole length on the way to the masks.
        let keep_of = |r: Expr| r.eq(0u64).mux(!lit(0, lanes), lanes_below(&r, lanes));
        let end_low = (len.trunc(lb) + lit(u64::from(HEADER_BYTES % lanes), lb)).trunc(lb);
        let padded = len.lt(u64::from(MIN_FRAME - HEADER_BYTES));
        let pad_low = MIN_FRAME % lanes;
        let pad_keep = match pad_low {
            0 => !lit(0, lanes),
            r => lit((1u64 << r) - 1, lanes),
        };
        FrameShape {
            to_end: end.slice(lb, 17 - lb),
            end_lanes: lanes_below(&end_low, lanes),
            last_keep: padded.mux(pad_keep, keep_of(end_low)),
            last_beat,
            payload_end: payload_beats + lit(q as u64, 17 - lb),
        }
    }
}

/// With `lb` the log2 of the bus's lanes and `s` the header's bytes past its last full beat.
fn stage_b(m: &mut ModuleBuilder, kept: &[(&str, u32)], lb: u32, s: u32) -> StageB {
    let valid = m.reg_reset("b_valid", 1, 0);
    let fields = kept
        .iter()
        .map(|(n, w)| m.reg(&format!("b_{n}"), *w))
        .collect();
    let ip_csum = m.reg("b_ip_csum", 16);
    let udp_csum = m.reg("b_udp_csum", 16);
    let beat = m.reg_reset("b_beat", 16 - lb, 0);
    m.describe(&beat, "Output beat of the frame being sent.");
    let is_last = m.reg("b_is_last", 1);
    m.describe(&is_last, "`b_beat` is the frame's last beat.");
    let takes = m.reg("b_takes", 1);
    m.describe(&takes, "`b_beat` takes a payload beat.");
    let carry = m.reg("b_carry", s * 8);
    m.describe(
        &carry,
        "The lanes that spill into the next beat: the header's tail, then each payload beat's top.",
    );
    let lanes = 1 << lb;
    let data_mask = m.reg("b_data_mask", lanes);
    let shape = FrameShape {
        to_end: m.reg("b_beats_to_end", 17 - lb),
        end_lanes: m.reg("b_end_lanes", lanes),
        last_keep: m.reg("b_last_keep", lanes),
        last_beat: m.reg("b_last_beat", 16 - lb),
        payload_end: m.reg("b_payload_end", 17 - lb),
    };
    StageB {
        valid,
        fields,
        ip_csum,
        udp_csum,
        beat,
        is_last,
        takes,
        carry,
        data_mask,
        shape,
    }
}

pub fn udp_tx_build(data_width: u32) -> Result<Rc<Module>, HdlErrors> {
    let name = format!("udp_tx_build_w{data_width}");
    AxisCfg::validate_nic_width(&name, data_width)?;
    let lanes = data_width / 8;
    let lb = lanes.trailing_zeros();
    let (q, s) = (HEADER_BYTES / lanes, HEADER_BYTES % lanes);
    let mut m = ModuleBuilder::new(&name);
    m.doc(format!(
        "UDP/IPv4 frame builder, {data_width}-bit: headers, IPv4 and UDP checksums, payload\n\
         behind the {HEADER_BYTES}-byte header, padding to {MIN_FRAME} bytes."
    ));
    let hv = m.group_port("hdr", "valid", 1, PortDir::In);
    let hr = m.group_port("hdr", "ready", 1, PortDir::Out);
    let hin: Vec<Sig> = FIELDS
        .iter()
        .map(|(n, w)| m.group_port("hdr", n, *w, PortDir::In))
        .collect();
    let sp = Axis::sink(
        &mut m,
        "s_axis",
        AxisCfg {
            data_width,
            user_width: 0,
        },
    );
    m.unused(&sp.tlast); // the payload's length comes with the header,
    m.unused(&sp.tkeep); // and says which bytes of the last beat count
    let out = Axis::source(&mut m, "m_axis", AxisCfg::net(data_width));

    // Every field but the payload sum travels on (the sum goes into the UDP checksum).
    let kept: Vec<(&str, u32)> = FIELDS
        .iter()
        .copied()
        .filter(|(n, _)| *n != "sum")
        .collect();
    let StageA {
        valid: a_valid,
        fields: a,
        ip_sum: a_ip,
        udp_sum: a_udp,
    } = stage_a(&mut m, &kept);
    let (ip_terms, udp_terms) = checksum_terms(&hin);
    let StageB {
        valid: b_valid,
        fields: b,
        ip_csum: b_ip,
        udp_csum: b_udp,
        beat,
        is_last,
        takes,
        carry,
        data_mask,
        shape,
    } = stage_b(&mut m, &kept, lb, s);
    let fb = |n: &str| -> Expr { Expr::from(&b[kept.iter().position(|(x, _)| *x == n).unwrap()]) };
    let fa = |n: &str| -> Expr { Expr::from(&a[kept.iter().position(|(x, _)| *x == n).unwrap()]) };

    let hdr_bytes = header_bytes(&fb, &b_ip, &b_udp);
    let lanes_of = |bytes: &[Expr]| cat(bytes.iter().rev().cloned()); // byte 0 in lane 0
    let tail = lanes_of(&hdr_bytes[(HEADER_BYTES - s) as usize..]);

    let pdata = takes.mux(&sp.tdata, lit(0, data_width));
    // Whether `b_beat` is a header beat, kept as a flag a beat ahead: a header beat is
    // then picked by the counter's low bits, not by compares of the whole counter.
    let in_header = (q > 0).then(|| {
        let r = m.reg("b_in_header", 1);
        m.describe(&r, "`b_beat` is one of the header's full beats.");
        r
    });
    let merged = if let Some(in_header) = &in_header {
        // One header beat per value of `b_beat`'s low bits: a table, emitted as a `case`.
        let low = beat.trunc(clog2(u64::from(q)).max(1));
        let header_beat = (0..q)
            .map(|k| {
                (
                    low.eq(k as u64),
                    lanes_of(&hdr_bytes[(k * lanes) as usize..((k + 1) * lanes) as usize]),
                )
            })
            .rev()
            .fold(lit(0, data_width), |acc, (c, v)| c.mux(v, acc));
        let header_beat = m.node("header_beat", header_beat);
        in_header.mux(
            header_beat,
            cat([pdata.trunc(data_width - s * 8), Expr::from(&carry)]),
        )
    } else {
        cat([pdata.trunc(data_width - s * 8), Expr::from(&carry)])
    };
    let merged = if q == 0 {
        // Beat 0 is the header's 42 bytes and the payload's first lanes.
        beat.eq(0u64)
            .mux(cat([pdata.trunc(data_width - s * 8), tail.clone()]), merged)
    } else {
        merged
    };
    // Zero every byte past the payload (padding), keep the frame's bytes.
    let data = m.node("out_data", merged & data_mask.spread(8));

    let out_valid = m.node("out_valid", &b_valid & (!&takes | &sp.tvalid));
    let fire = m.node("out_fire", &out_valid & &out.tready);
    let done = m.node("frame_done", &fire & &is_last);
    m.set(&out.tvalid, &out_valid);
    m.set(&out.tdata, &data);
    m.set(&out.tkeep, is_last.mux(&shape.last_keep, !lit(0, lanes)));
    m.set(&out.tlast, &is_last);
    m.set(out.tuser.as_ref().unwrap(), lit(0, 1));
    m.set(&sp.tready, &b_valid & &takes & &out.tready);

    // Moves: A → B when B is free or finishing; hdr → A when A is free or moving.
    let a_to_b = m.node("a_to_b", &a_valid & (!&b_valid | &done));
    let take_hdr = m.node("take_hdr", &hv & (!&a_valid | &a_to_b));
    m.set(&hr, !&a_valid | &a_to_b);
    m.when(&take_hdr, |m| {
        for (r, (n, _)) in a.iter().zip(&kept) {
            m.set(r, field(&hin, n));
        }
        m.set(&a_ip, sum16(&ip_terms));
        m.set(&a_udp, sum16(&udp_terms));
    });
    m.when(&take_hdr, |m| m.set(&a_valid, 1))
        .elif(&a_to_b, |m| m.set(&a_valid, 0));
    let udp_c = !fold(&a_udp);
    let next_beat = m.node("next_beat", &beat + 1u64);
    m.when(&fire, |m| {
        m.set(&beat, is_last.mux(lit(0, 16 - lb), &next_beat));
        m.set(&is_last, next_beat.eq(&shape.last_beat));
        if let Some(h) = &in_header {
            m.set(h, is_last.mux(lit(1, 1), next_beat.lt(q as u64)));
        }
        let after_header = if q == 0 {
            lit(1, 1)
        } else {
            next_beat.ge(q as u64)
        };
        m.set(
            &takes,
            after_header & next_beat.zext(17 - lb).lt(&shape.payload_end),
        );
        // The spill for the next beat: the header's tail before the payload, then the top
        // lanes of the payload beat just sent.
        let next = if q == 0 {
            pdata.slice(data_width - s * 8, s * 8)
        } else {
            next_beat
                .eq(q as u64)
                .mux(tail.clone(), pdata.slice(data_width - s * 8, s * 8))
        };
        m.set(&carry, next);
        // The next beat's lanes: all before the end's beat, then the end's, then none.
        let at_end = shape.to_end.eq(0u64);
        m.set(
            &data_mask,
            at_end.mux(
                lit(0, lanes),
                shape.to_end.eq(1u64).mux(&shape.end_lanes, !lit(0, lanes)),
            ),
        );
        m.set(
            &shape.to_end,
            at_end.mux(lit(0, 17 - lb), &shape.to_end - 1u64),
        );
    });
    m.when(&a_to_b, |m| {
        for (r, i) in b.iter().zip(&a) {
            m.set(r, i);
        }
        m.set(&b_ip, !fold(&a_ip));
        m.set(&b_udp, udp_c.eq(0u64).mux(lit(0xffff, 16), &udp_c));
        m.set(&beat, 0u64);
        if let Some(h) = &in_header {
            m.set(h, 1u64);
        }
        // Beat 0 is the last of a frame that fits one beat; it takes a payload beat when
        // the header leaves room in it and there is a payload.
        let len = fa("len");
        let one_beat = if lanes >= MIN_FRAME {
            len.le(u64::from(lanes - HEADER_BYTES))
        } else {
            lit(0, 1)
        };
        m.set(&is_last, one_beat);
        m.set(&takes, lit(u64::from(q == 0), 1) & len.ne(0u64));
        let next = FrameShape::of(&len, lanes, q);
        m.set(
            &data_mask,
            next.to_end.ne(0u64).mux(!lit(0, lanes), &next.end_lanes),
        );
        m.set(&shape.to_end, next.to_end);
        m.set(&shape.end_lanes, next.end_lanes);
        m.set(&shape.last_keep, next.last_keep);
        m.set(&shape.last_beat, next.last_beat);
        m.set(&shape.payload_end, next.payload_end);
    });
    m.when(&a_to_b, |m| m.set(&b_valid, 1))
        .elif(&done, |m| m.set(&b_valid, 0));
    m.finish()
}

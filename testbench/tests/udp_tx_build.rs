//! `hdl::blocks::udp_tx_build` at 64, 128, 256 and 512 bits against the reference builder
//! `sim_models::traces::udp_tx_frame`: random datagrams (0 to 1472 payload bytes, every alignment)
//! with random gaps on the header and payload inputs and random back-pressure on the output
//! must come out byte for byte as the reference builds them; every frame must also pass the
//! independent receive classifier (`sim_models::net::classify`: both checksums verify). A UDP sum
//! of 0 must go out as 0xFFFF. With everything ready, back-to-back frames leave at exactly
//! one beat per cycle (64-byte and 1514-byte frames).

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sim::axis::{beats_to_frame, frame_to_beats, Beat};
use sim_models::net::{classify, ones_sum};
use sim_models::traces::{udp_tx_frame, TxFields};
use std::collections::VecDeque;
use testbench::models::views::UdpTxBuild;
use testbench::models::{UdpTxBuildW128, UdpTxBuildW256, UdpTxBuildW512, UdpTxBuildW64};
use testbench::seed;

struct Datagram {
    f: TxFields,
    payload: Vec<u8>,
}

fn mac(m: [u8; 6]) -> u64 {
    m.iter().fold(0, |a, b| a << 8 | *b as u64)
}

fn random_datagram(rng: &mut ChaCha8Rng) -> Datagram {
    let len = match rng.gen_range(0..4) {
        0 => rng.gen_range(0..=18),
        1 => rng.gen_range(0..=200),
        2 => 1472,
        _ => rng.gen_range(0..=1472),
    };
    Datagram {
        f: TxFields {
            dst_mac: rng.gen(),
            src_mac: rng.gen(),
            src_ip: rng.gen(),
            dst_ip: rng.gen(),
            src_port: rng.gen(),
            dst_port: rng.gen(),
            ttl: rng.gen(),
            id: rng.gen(),
        },
        payload: (0..len).map(|_| rng.gen()).collect(),
    }
}

/// Sends `dgrams`; returns the frames and the cycles of the first and last output beat.
fn run(
    p: &UdpTxBuild,
    rng: &mut ChaCha8Rng,
    dgrams: &[Datagram],
    gaps: f64,
) -> (Vec<Vec<u8>>, u64, u64) {
    let lanes = p.s_axis.lanes();
    p.rst.set_bit(0, true);
    p.dut.tick().unwrap();
    p.rst.set_bit(0, false);
    let mut hdrs: VecDeque<&Datagram> = dgrams.iter().collect();
    let mut payload: VecDeque<Beat> = dgrams
        .iter()
        .filter(|d| !d.payload.is_empty())
        .flat_map(|d| frame_to_beats(&d.payload, lanes, 0))
        .collect();
    let (mut frames, mut cur, mut first, mut last, mut cycle) =
        (Vec::new(), Vec::new(), u64::MAX, 0, 0u64);
    while frames.len() < dgrams.len() {
        match hdrs.front().filter(|_| !rng.gen_bool(gaps)) {
            Some(d) => {
                p.hdr.valid.set_bit(0, true);
                let sum = ones_sum(&d.payload, 0) as u64;
                let h = &p.hdr;
                let fields = [
                    (h.dst_mac, mac(d.f.dst_mac)),
                    (h.src_mac, mac(d.f.src_mac)),
                    (h.src_ip, d.f.src_ip as u64),
                    (h.dst_ip, d.f.dst_ip as u64),
                    (h.src_port, d.f.src_port as u64),
                    (h.dst_port, d.f.dst_port as u64),
                    (h.len, d.payload.len() as u64),
                    (h.sum, sum),
                    (h.ttl, d.f.ttl as u64),
                    (h.id, d.f.id as u64),
                ];
                for (port, v) in fields {
                    port.set_bits(0, port.width(), v);
                }
            }
            None => p.hdr.valid.set_bit(0, false),
        }
        match payload.front().filter(|_| !rng.gen_bool(gaps)) {
            Some(b) => p.s_axis.drive(&b.with_unkept(rng.gen())),
            None => p.s_axis.idle(),
        }
        p.m_axis.set_ready(!rng.gen_bool(gaps));
        p.dut.eval().unwrap();
        if p.hdr.valid.bit(0) && p.hdr.ready.bit(0) {
            hdrs.pop_front();
        }
        if p.s_axis.fires() {
            payload.pop_front();
        }
        if p.m_axis.fires() {
            (first, last) = (first.min(cycle), cycle);
            let b = p.m_axis.beat();
            assert_eq!(b.user, 0);
            let end = b.last;
            cur.push(b);
            if end {
                frames.push(beats_to_frame(&cur));
                cur.clear();
            }
        }
        p.dut.tick().unwrap();
        cycle += 1;
        assert!(cycle < 5_000_000, "stuck after {} frames", frames.len());
    }
    assert!(payload.is_empty(), "payload beats left over");
    (frames, first, last)
}

fn random(p: UdpTxBuild, name: &str) {
    let mut rng = seed::rng(name);
    for gaps in [0.0, 0.3, 0.6] {
        let dgrams: Vec<Datagram> = (0..400).map(|_| random_datagram(&mut rng)).collect();
        let (frames, _, _) = run(&p, &mut rng, &dgrams, gaps);
        for (k, (got, d)) in frames.iter().zip(&dgrams).enumerate() {
            let want = udp_tx_frame(&d.f, &d.payload);
            assert_eq!(
                got,
                &want,
                "datagram {k} ({} bytes, gaps {gaps})",
                d.payload.len()
            );
            let v = classify(got, false);
            assert_eq!(
                v.error, 0,
                "datagram {k}: the receive side rejects it: {v:?}"
            );
            assert_eq!(
                (v.dst_port, v.udp_len as usize),
                (d.f.dst_port, d.payload.len() + 8)
            );
        }
    }
}

#[test]
fn w64_matches_the_reference() {
    let d = UdpTxBuildW64::new();
    random(d.view(), "udp_tx_build_w64");
}

#[test]
fn w128_matches_the_reference() {
    let d = UdpTxBuildW128::new();
    random(d.view(), "udp_tx_build_w128");
}

#[test]
fn w256_matches_the_reference() {
    let d = UdpTxBuildW256::new();
    random(d.view(), "udp_tx_build_w256");
}

#[test]
fn w512_matches_the_reference() {
    let d = UdpTxBuildW512::new();
    random(d.view(), "udp_tx_build_w512");
}

/// A payload whose UDP sum complements to 0 goes out with checksum 0xFFFF, and
/// back-to-back 64- and 1514-byte frames (60 and 1514 bytes without FCS) use every cycle.
#[test]
fn zero_checksum_and_full_rate() {
    let (a, b, c, d) = (
        UdpTxBuildW64::new(),
        UdpTxBuildW128::new(),
        UdpTxBuildW256::new(),
        UdpTxBuildW512::new(),
    );
    for p in [a.view(), b.view(), c.view(), d.view()] {
        let mut rng = seed::rng("udp_tx_build_rate");
        let lanes = p.s_axis.lanes() as u64;
        // Find a datagram whose computed UDP checksum is 0 (about one in 65536).
        let zero = (0..2_000_000)
            .map(|_| {
                let mut d = random_datagram(&mut rng);
                d.payload.truncate(2);
                d
            })
            .find(|d| {
                let f = udp_tx_frame(&d.f, &d.payload);
                let mut z = f.clone();
                (z[40], z[41]) = (0, 0);
                let ul = 8 + d.payload.len();
                let pseudo: u32 = (26..34)
                    .step_by(2)
                    .map(|i| u32::from(u16::from_be_bytes([z[i], z[i + 1]])))
                    .sum::<u32>()
                    + 17
                    + ul as u32;
                !ones_sum(&z[34..34 + ul], pseudo) == 0
            })
            .expect("a datagram whose checksum computes to 0");
        let (frames, _, _) = run(&p, &mut rng, std::slice::from_ref(&zero), 0.0);
        assert_eq!(&frames[0][40..42], &[0xff, 0xff], "0 goes out as 0xFFFF");
        for (len, bytes) in [(18usize, 60u64), (1472, 1514)] {
            let dgrams: Vec<Datagram> = (0..50)
                .map(|_| {
                    let mut d = random_datagram(&mut rng);
                    d.payload.resize(len, 7);
                    d
                })
                .collect();
            let (frames, first, last) = run(&p, &mut rng, &dgrams, 0.0);
            let beats = dgrams.len() as u64 * bytes.div_ceil(lanes);
            assert_eq!(frames.len(), 50);
            assert_eq!(
                last - first + 1,
                beats,
                "{} bits, {bytes}-byte frames: {beats} beats in {} cycles",
                lanes * 8,
                last - first + 1
            );
        }
    }
}

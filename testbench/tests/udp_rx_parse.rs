//! `hdl::blocks::udp_rx_parse` at 64, 128, 256 and 512 bits against the reference
//! classifier `sim_models::net::classify`, on frames built with etherparse and then broken on
//! purpose: bad IPv4 and UDP checksums, UDP checksum 0, truncation, IPv4 total length
//! larger and smaller than the frame, IPv4 options, fragments, VLAN tags, broadcast and
//! multicast, non-IPv4 and non-UDP frames, frames the MAC marked bad, runts, and UDP lengths
//! out of range. Frames go in back to back or with random gaps; every frame's report must
//! match the reference and arrive exactly `latency` cycles after its last beat.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim::prelude::*;
use sim_models::net::{classify, RxMeta};
use sim_models::traces::{
    fix_ip_checksum, fix_udp_checksum, pad, random_rx_frame, raw_header_sum, udp_frame,
};
use std::path::PathBuf;
use testbench::models::views::UdpRxParse;
use testbench::models::{UdpRxParseW128, UdpRxParseW256, UdpRxParseW512, UdpRxParseW64};
use testbench::seed;
use testbench::tap::{run_frames, Frame};

/// The report on `meta_*`.
fn meta(p: &UdpRxParse) -> RxMeta {
    let m = &p.meta;
    let f = |port: &dyn PortRead| port.get_bits(0, port.width());
    RxMeta {
        offload: f(m.offload) == 1,
        error: f(m.error) as u8,
        len: f(m.len) as usize,
        broadcast: f(m.broadcast) == 1,
        multicast: f(m.multicast) == 1,
        ipv4: f(m.ipv4) == 1,
        options: f(m.options) == 1,
        fragment: f(m.fragment) == 1,
        proto: f(m.proto) as u8,
        src_ip: f(m.src_ip) as u32,
        dst_ip: f(m.dst_ip) as u32,
        src_port: f(m.src_port) as u16,
        dst_port: f(m.dst_port) as u16,
        udp_len: f(m.udp_len) as u16,
    }
}

fn run(p: UdpRxParse, name: &str, latency: u64) {
    let mut rng = seed::rng(name);
    // Phases: back to back, then gaps inside and between frames.
    let frames: Vec<Frame> = (0..3000)
        .map(|n| {
            let (bytes, bad) = random_rx_frame(&mut rng);
            Frame {
                bytes,
                bad,
                gaps: if n < 1000 { 0.0 } else { 0.3 },
            }
        })
        .collect();
    let got = run_frames(
        p.dut,
        p.rst,
        &p.s_axis,
        &mut rng,
        frames,
        latency + 4,
        || p.meta.valid.bit(0).then(|| meta(&p)),
    );
    let mut kinds = std::collections::BTreeMap::new();
    for (k, r) in got.iter().enumerate() {
        let want = classify(&r.bytes, r.bad);
        *kinds.entry((want.error, want.offload)).or_insert(0) += 1;
        let meta = r.report.clone().without_undefined(&want);
        assert_eq!(
            meta,
            want,
            "frame {k} ({} bytes): {:02x?}",
            r.bytes.len(),
            r.bytes
        );
        assert_eq!(r.latency, latency, "frame {k}: report latency");
    }
    println!("{name}: (error, offload) counts {kinds:?}");
    assert!(kinds.len() >= 8, "every class seen: {kinds:?}");
}

#[test]
fn w64_matches_the_reference() {
    let d = UdpRxParseW64::new();
    run(
        d.view(),
        "udp_rx_parse_w64",
        hdl::blocks::udp_rx_parse::latency(64) as u64,
    );
}

#[test]
fn w128_matches_the_reference() {
    let d = UdpRxParseW128::new();
    run(
        d.view(),
        "udp_rx_parse_w128",
        hdl::blocks::udp_rx_parse::latency(128) as u64,
    );
}

#[test]
fn w256_matches_the_reference() {
    let d = UdpRxParseW256::new();
    run(
        d.view(),
        "udp_rx_parse_w256",
        hdl::blocks::udp_rx_parse::latency(256) as u64,
    );
}

#[test]
fn w512_matches_the_reference() {
    let d = UdpRxParseW512::new();
    run(
        d.view(),
        "udp_rx_parse_w512",
        hdl::blocks::udp_rx_parse::latency(512) as u64,
    );
}

/// Runs `frames` back to back (no gaps), with the MAC's bad-frame flag where the second
/// element says so, and returns the reports with their latencies.
fn run_directed(p: &UdpRxParse, frames: &[(Vec<u8>, bool)]) -> Vec<(RxMeta, u64)> {
    let mut junk = ChaCha8Rng::seed_from_u64(0); // only fills unkept lanes
    let frames = frames.iter().map(|(bytes, bad)| Frame {
        bytes: bytes.clone(),
        bad: *bad,
        gaps: 0.0,
    });
    run_frames(p.dut, p.rst, &p.s_axis, &mut junk, frames, 32, || {
        p.meta.valid.bit(0).then(|| meta(p))
    })
    .into_iter()
    .map(|r| (r.report, r.latency))
    .collect()
}

/// Peer bugs: a valid IPv4 header whose 16-bit sum carries twice when folded (raw sum
/// 0x2fffd, which verilog-ethernet rejected), and back-to-back minimum-size frames with
/// tiny payloads (where peers lost checksum alignment or deadlocked).
#[test]
fn peer_regressions_carry_twice_and_back_to_back_minimum_frames() {
    let mut rng = seed::rng("udp_rx_parse_regressions");
    // Search for a header whose raw (unfolded) word sum is exactly 0x2fffd.
    let twice = (0..100_000)
        .map(|_| {
            let plen = rng.gen_range(0..18);
            let mut f = udp_frame(&mut rng, plen);
            f[26..34].iter_mut().for_each(|b| *b = rng.gen()); // addresses summing near 0x20000
            fix_ip_checksum(&mut f);
            fix_udp_checksum(&mut f);
            f
        })
        .find(|f| raw_header_sum(f) == 0x2fffd)
        .expect("a header summing to 0x2fffd");
    let twice = pad(twice, &mut rng);
    assert!(classify(&twice, false).offload, "the reference takes it");
    let minimum: Vec<Vec<u8>> = (0..300)
        .map(|k| pad(udp_frame(&mut rng, k % 19), &mut rng))
        .collect();
    let mut frames = vec![(twice.clone(), false); 3];
    frames.extend(minimum.into_iter().map(|f| (f, false)));
    let checks = |name: &str, p: UdpRxParse, latency: u32| {
        let got = run_directed(&p, &frames);
        assert_eq!(got.len(), frames.len(), "{name}: one report per frame");
        for (k, ((f, _), (meta, lat))) in frames.iter().zip(&got).enumerate() {
            let want = classify(f, false);
            assert!(want.offload, "{name}: frame {k} is valid");
            assert_eq!(
                meta.clone().without_undefined(&want),
                want,
                "{name}: frame {k}"
            );
            assert_eq!(*lat, latency as u64, "{name}: frame {k} latency");
        }
    };
    let lat = hdl::blocks::udp_rx_parse::latency;
    let (a, b, c, d) = (
        UdpRxParseW64::new(),
        UdpRxParseW128::new(),
        UdpRxParseW256::new(),
        UdpRxParseW512::new(),
    );
    checks("w64", a.view(), lat(64));
    checks("w128", b.view(), lat(128));
    checks("w256", c.view(), lat(256));
    checks("w512", d.view(), lat(512));
}

fn trace_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("traces")
        .join(name)
}

/// The committed golden pcaps are exactly what `sim_models::traces::rx_golden` generates
/// (`UPDATE_TRACES=1` rewrites them).
#[test]
fn golden_traces_are_up_to_date() {
    let (good, bad) = sim_models::traces::rx_golden();
    for (name, frames) in [("rx_golden.pcap", good), ("rx_golden_mac_bad.pcap", bad)] {
        let bytes: Vec<Vec<u8>> = frames.into_iter().map(|f| f.bytes).collect();
        let want = sim_models::pcap::to_bytes(&bytes).unwrap();
        let path = trace_path(name);
        if std::env::var_os("UPDATE_TRACES").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read(&path).unwrap_or_default();
        assert!(have == want, "{name} differs from the generator: UPDATE_TRACES=1 cargo test -p testbench --test udp_rx_parse");
        assert_eq!(
            sim_models::pcap::read(&path).unwrap(),
            bytes,
            "{name} reads back"
        );
    }
}

/// The golden trace through the parser at every width: one dissection, the same at each
/// width and equal to the reference's, snapshotted.
#[test]
fn golden_trace_verdicts() {
    let (good, bad) = sim_models::traces::rx_golden();
    let mut frames: Vec<(Vec<u8>, bool)> = sim_models::pcap::read(&trace_path("rx_golden.pcap"))
        .unwrap()
        .into_iter()
        .map(|f| (f, false))
        .collect();
    frames.extend(
        sim_models::pcap::read(&trace_path("rx_golden_mac_bad.pcap"))
            .unwrap()
            .into_iter()
            .map(|f| (f, true)),
    );
    let whats: Vec<String> = good.into_iter().chain(bad).map(|f| f.what).collect();
    const ERR: [&str; 7] = [
        "-",
        "MAC bad",
        "truncated",
        "IPv4 header",
        "IPv4 checksum",
        "UDP length",
        "UDP checksum",
    ];
    let dissect = |got: &[(RxMeta, u64)]| -> String {
        let mut out = String::new();
        for (k, ((f, bad), (meta, _))) in frames.iter().zip(got).enumerate() {
            let want = classify(f, *bad);
            let m = meta.clone().without_undefined(&want);
            assert_eq!(m, want, "frame {k}: {}", whats[k]);
            let verdict = if m.offload {
                format!(
                    "OFFLOAD {}:{} <- {}:{} udp_len {}",
                    ip(m.dst_ip),
                    m.dst_port,
                    ip(m.src_ip),
                    m.src_port,
                    m.udp_len
                )
            } else if m.error != 0 {
                format!("BAD ({})", ERR[m.error as usize])
            } else {
                let why = [
                    (m.broadcast, "broadcast"),
                    (m.multicast, "multicast"),
                    (!m.ipv4, "not IPv4"),
                    (m.options, "IPv4 options"),
                    (m.fragment, "fragment"),
                ]
                .into_iter()
                .find(|(c, _)| *c)
                .map_or_else(|| format!("protocol {}", m.proto), |(_, w)| w.to_string());
                format!("NORMAL PATH ({why})")
            };
            out += &format!("{k:3} {:<48} {:4} B  {verdict}\n", whats[k], m.len);
        }
        out
    };
    let (a, b, c, d) = (
        UdpRxParseW64::new(),
        UdpRxParseW128::new(),
        UdpRxParseW256::new(),
        UdpRxParseW512::new(),
    );
    let texts = [
        dissect(&run_directed(&a.view(), &frames)),
        dissect(&run_directed(&b.view(), &frames)),
        dissect(&run_directed(&c.view(), &frames)),
        dissect(&run_directed(&d.view(), &frames)),
    ];
    for (t, w) in texts.iter().zip([64, 128, 256, 512]).skip(1) {
        assert_eq!(t, &texts[0], "{w} bits differs from 64 bits");
    }
    insta::assert_snapshot!("rx_golden_verdicts", texts[0]);
}

fn ip(a: u32) -> String {
    let b = a.to_be_bytes();
    format!("{}.{}.{}.{}", b[0], b[1], b[2], b[3])
}

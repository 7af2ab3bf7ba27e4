//! The whole Accio NIC (`hdl::accio::nic`, 16 entries, 4 cores) at 64 and 512 bits, run
//! by the host model `sim::accio::host`: set up over AXI4-Lite like a kernel would, fed
//! random and malformed frames with random gaps, back-pressure on the MAC's transmit side
//! and random memory latency, its RX rings, normal-path buffers and control events
//! drained by MMIO polling, datagrams sent from TX rings and frames from normal-path
//! descriptors.
//!
//! Compared with the reference models: every RX record of every connection, every
//! normal-path frame and its RX_COMP word, every frame on the wire (offloaded ones rebuilt
//! by `sim::accio::tx_model`, normal-path ones unchanged), the NIC's statistics registers
//! and the malformed-frame events.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sim::accio::host::{run, Conn, HostCfg, NicPins, Report};
use sim::accio::rx_model::{RxAction, RxEntry, RxModel};
use sim::accio::tx_model::{frame_of, TxEntry};
use sim::hostmem::HostMemCfg;
use sim::nic_pins;
use sim::traces::{pad, random_rx_frame, udp_frame_to};
use testbench::models::{AccioNicW512N16C4 as Nic512, AccioNicW64N16C4 as Nic64};
use testbench::accio_regs::global::EVQ_POP;
use testbench::seed;

const MAC: [u8; 6] = [0x02, 0x00, 0x00, 0xac, 0xc1, 0x00];

fn conns(rng: &mut ChaCha8Rng, sends: usize) -> Vec<Conn> {
    (0..4u32)
        .map(|i| Conn {
            local_ip: 0x0a01_0000 | (i + 1),
            local_port: 4000 + i as u16 + 1,
            remote_ip: 0x0a00_0000 | (i + 1),
            remote_port: 7000 + i as u16,
            remote_mac: [0x02, 0, 0, 0, 0x0e, i as u8],
            accelerated: i != 2,
            rx_ring_bytes: 1 << 20,
            tx_ring_bytes: 1 << 20,
            send: (0..sends)
                .map(|_| {
                    let n = rng.gen_range(0..=1472);
                    (0..n).map(|_| rng.gen::<u8>()).collect()
                })
                .collect(),
        })
        .collect()
}

/// Datagrams to the connections (and one address nobody listens on), and random frames.
fn traffic(rng: &mut ChaCha8Rng, n: usize) -> Vec<(Vec<u8>, bool)> {
    (0..n)
        .map(|_| {
            if rng.gen_bool(0.6) {
                let i = rng.gen_range(1..=5u8);
                let plen = rng.gen_range(0..=1472);
                let f = udp_frame_to(rng, [10, 1, 0, i], 4000 + u16::from(i), plen);
                (pad(f, rng), false)
            } else {
                random_rx_frame(rng)
            }
        })
        .collect()
}

fn stat_names() -> Vec<&'static str> {
    hdl::accio::regs::NIC_STATS.iter().map(|(n, _)| *n).collect()
}

fn check(conns: &[Conn], host: &HostCfg, frames: &[(Vec<u8>, bool)], r: &Report, w: u32) {
    // Receive side.
    let entries: Vec<RxEntry> = conns
        .iter()
        .map(|c| RxEntry {
            enabled: true,
            accelerated: c.accelerated,
            local_ip: c.local_ip,
            local_port: c.local_port,
            base: 0,
            size: c.rx_ring_bytes,
            ..RxEntry::default()
        })
        .collect();
    let mut m = RxModel::new(entries, 2048);
    m.malformed_to_np = host.malformed_to_np;
    m.np_buffers = (0..frames.len() as u64).collect();
    let mut rings: Vec<Vec<Vec<u8>>> = vec![Vec::new(); conns.len()];
    let mut normal = Vec::new();
    for (f, bad) in frames {
        match m.frame(f, *bad) {
            RxAction::Ring { entry, record, .. } => rings[entry].push(record),
            RxAction::Normal {
                bytes,
                reason,
                class,
                ..
            } => normal.push((bytes, u64::from(reason), u64::from(class))),
            RxAction::Dropped(_) => {}
        }
    }
    for (i, (want, got)) in rings.iter().zip(&r.rings).enumerate() {
        assert_eq!(want.len(), got.len(), "connection {i}: records");
        for (k, (a, b)) in want.iter().zip(got).enumerate() {
            assert_eq!(a, b, "connection {i}, record {k}");
        }
    }
    assert_eq!(normal.len(), r.normal.len(), "normal-path frames");
    for (k, ((bytes, reason, class), (got, word))) in normal.iter().zip(&r.normal).enumerate() {
        assert_eq!(bytes, got, "normal-path frame {k}");
        use testbench::accio_regs::nic::RX_COMP as c;
        assert_eq!((c::REASON.get(*word), c::CLASS.get(*word)), (*reason, *class), "RX_COMP {k}");
    }
    let st = |n: &str| r.stats[n];
    let s = &m.stats;
    for (name, v) in [
        ("RX_FRAMES", s.frames),
        ("RX_MAC_BAD", s.mac_bad),
        ("RX_OVERRUN", 0),
        ("RX_OFFLOADED", s.offloaded),
        ("RX_RING_FULL", 0),
        ("RX_NORMAL", s.normal),
        ("RX_NO_BUFFER", 0),
        ("RX_MALFORMED_DROPPED", s.malformed_dropped),
        ("RX_DMA_ERROR", 0),
        ("TX_BAD_RECORD", 0),
        // The non-accelerated connection's TX_TAIL write: its records are not sent.
        ("TX_BAD_DOORBELL", 1),
        ("TX_DMA_ERROR", 0),
    ] {
        assert_eq!(st(name), v, "{name}");
    }
    let malformed: Vec<u64> = r
        .events
        .iter()
        .filter(|e| EVQ_POP::TYPE.get(**e) == hdl::accio::regs::event::MALFORMED)
        .map(|e| EVQ_POP::DATA.get(*e) & 0xff)
        .collect();
    let want: Vec<u64> = m.malformed_events.iter().map(|c| u64::from(*c)).collect();
    assert_eq!(malformed, want, "malformed events");
    for e in &r.events {
        let t = EVQ_POP::TYPE.get(*e);
        assert!(
            [hdl::accio::regs::event::MALFORMED, hdl::accio::regs::event::LINK_UP].contains(&t),
            "unexpected event {e:#x}"
        );
    }
    assert!(r.drops.iter().all(|d| *d == 0));

    // Transmit side: per connection in order, normal-path frames in order, identifications
    // counting up in wire order.
    let mut next: Vec<usize> = vec![0; conns.len()];
    let mut np = host.np_send.iter();
    let mut id = 0u16;
    for (k, f) in r.wire.iter().enumerate() {
        let src = (u32::from_be_bytes(f[26..30].try_into().unwrap()), u16::from_be_bytes([f[34], f[35]]));
        match conns.iter().position(|c| f[12..14] == [8, 0] && src == (c.local_ip, c.local_port)) {
            Some(i) => {
                let c = &conns[i];
                let e = TxEntry {
                    local_ip: c.local_ip,
                    local_port: c.local_port,
                    remote_mac: c.remote_mac,
                    ..TxEntry::default()
                };
                let want = frame_of(&e, MAC, c.remote_ip, c.remote_port, &c.send[next[i]], id);
                assert_eq!(f, &want, "wire frame {k}: connection {i}, datagram {}", next[i]);
                next[i] += 1;
                id = id.wrapping_add(1);
            }
            None => {
                let want = np.next().expect("an unexpected frame on the wire");
                assert_eq!(&f[..want.len()], &want[..], "wire frame {k}: normal path");
            }
        }
    }
    for (i, c) in conns.iter().enumerate() {
        let sent = if c.accelerated { c.send.len() } else { 0 };
        assert_eq!(next[i], sent, "connection {i}: datagrams sent");
    }
    assert!(np.next().is_none(), "normal-path frames not sent");
    assert_eq!(st("TX_FRAMES"), u64::from(id));
    assert_eq!(st("TX_NORMAL"), host.np_send.len() as u64);
    println!("{w} bits: {} cycles, stats {:?}", r.cycles, r.stats);
}

fn random_run(p: NicPins, name: &str, w: u32) {
    let mut rng = seed::rng(name);
    for policy in [false, true] {
        let cs = conns(&mut rng, 8);
        let frames = traffic(&mut rng, 200);
        let np_send: Vec<Vec<u8>> = (0..6)
            .map(|_| {
                let mut f: Vec<u8> = (0..rng.gen_range(60..=1514)).map(|_| rng.gen()).collect();
                f[12..14].copy_from_slice(&[0x08, 0x06]);
                f
            })
            .collect();
        let host = HostCfg {
            mac: MAC,
            malformed_to_np: policy,
            np_buffers: 32,
            np_send,
            mem: HostMemCfg {
                beat_bytes: w as usize / 8,
                latency: rng.gen_range(1..20),
                stall: 0.1,
                max_outstanding: 64,
            },
            rx_gaps: 0.3,
            tx_ready: 0.8,
            quiet: 3000,
        };
        let names = stat_names();
        let r = run(&p, &cs, &host, &frames, &names, w, rng.gen());
        check(&cs, &host, &frames, &r, w);
    }
}

#[test]
fn w64_nic_matches_the_models() {
    let d = Nic64::new();
    random_run(nic_pins!(d), "accio_nic_w64", 64);
}

#[test]
fn w512_nic_matches_the_models() {
    let d = Nic512::new();
    random_run(nic_pins!(d), "accio_nic_w512", 512);
}

//! The whole Accio NIC's run and its check against the reference models, shared by the
//! tests that drive it (`tests/accio_nic.rs`, and through the VCU118 core's clock
//! crossings `tests/board_vcu118.rs`).

use crate::accio_regs::global::EVQ_POP;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sim_models::accio::host::{Conn, HostCfg, Report};
use sim_models::accio::rx_model::{RxAction, RxEntry, RxModel};
use sim_models::accio::tx_model::{frame_of, TxEntry};
use sim_models::hostmem::HostMemCfg;
use sim_models::traces::{pad, random_rx_frame, udp_frame_to};

/// The NIC's MAC address in these runs.
pub const MAC: [u8; 6] = [0x02, 0x00, 0x00, 0xac, 0xc1, 0x00];

/// Four connections (the third not accelerated), each sending `sends` random datagrams.
pub fn conns(rng: &mut ChaCha8Rng, sends: usize) -> Vec<Conn> {
    spread_conns(rng, 4, 4, sends)
}

/// `n` connections (up to 254; the third not accelerated) in entries 0 to `n - 1`,
/// connection `i` on core `i % cores`, each sending `sends` random datagrams: connection
/// `i` is 10.1.0.`i + 1`, port `4001 + i`, the address [`random_frame_to`] sends to.
pub fn spread_conns(rng: &mut ChaCha8Rng, n: u32, cores: u32, sends: usize) -> Vec<Conn> {
    assert!(
        n <= 254,
        "{n} connections: their addresses are 10.1.0.1 to 10.1.0.254"
    );
    (0..n)
        .map(|i| Conn {
            local_ip: 0x0a01_0000 | (i + 1),
            local_port: 4000 + i as u16 + 1,
            remote_ip: 0x0a00_0000 | (i + 1),
            remote_port: 7000 + i as u16,
            remote_mac: [0x02, 0, 0, 0, 0x0e, i as u8],
            accelerated: i != 2,
            rx_ring_bytes: 1 << 20,
            tx_ring_bytes: 1 << 20,
            core: i % cores,
            send: (0..sends)
                .map(|_| {
                    let n = rng.gen_range(0..=1472);
                    (0..n).map(|_| rng.gen::<u8>()).collect()
                })
                .collect(),
        })
        .collect()
}

/// `n` frames for the host to send on the normal path: random bytes of 60 to 1514, typed
/// ARP so that no receive path takes them for a datagram.
pub fn np_frames(rng: &mut ChaCha8Rng, n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|_| {
            let mut f: Vec<u8> = (0..rng.gen_range(60..=1514)).map(|_| rng.gen()).collect();
            f[12..14].copy_from_slice(&[0x08, 0x06]);
            f
        })
        .collect()
}

/// Datagrams to the [`conns`] (and one address nobody listens on), and random frames.
pub fn traffic(rng: &mut ChaCha8Rng, n: usize) -> Vec<(Vec<u8>, bool)> {
    traffic_to(rng, 4, n)
}

/// `n` frames of [`random_frame_to`] for `conns` connections of [`spread_conns`].
pub fn traffic_to(rng: &mut ChaCha8Rng, conns: u8, n: usize) -> Vec<(Vec<u8>, bool)> {
    (0..n).map(|_| random_frame_to(rng, conns)).collect()
}

/// One frame of [`traffic`]: see [`random_frame_to`].
pub fn random_frame(rng: &mut ChaCha8Rng) -> (Vec<u8>, bool) {
    random_frame_to(rng, 4)
}

/// 60% datagrams to one of `conns` connections of [`spread_conns`] or to the address
/// after them (nobody listens), 40% random frames of every kind (`random_rx_frame`); with
/// the MAC's bad flag.
pub fn random_frame_to(rng: &mut ChaCha8Rng, conns: u8) -> (Vec<u8>, bool) {
    if rng.gen_bool(0.6) {
        let i = rng.gen_range(1..=conns + 1);
        let plen = rng.gen_range(0..=1472);
        let f = udp_frame_to(rng, [10, 1, 0, i], 4000 + u16::from(i), plen);
        (pad(f, rng), false)
    } else {
        random_rx_frame(rng)
    }
}

/// The host of the random whole-NIC runs at `w` bits: `np_send` to send on the normal path,
/// 32 buffers posted, random memory latency with stalls, gaps and back-pressure at the MAC.
pub fn random_host(
    rng: &mut ChaCha8Rng,
    w: u32,
    malformed_to_np: bool,
    np_send: Vec<Vec<u8>>,
) -> HostCfg {
    HostCfg {
        mac: MAC,
        malformed_to_np,
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
    }
}

/// The frame the TX model says connection `c` sends for datagram `payload` with IPv4
/// identification `id`.
pub fn wire_frame(c: &Conn, payload: &[u8], id: u16) -> Vec<u8> {
    let e = TxEntry {
        local_ip: c.local_ip,
        local_port: c.local_port,
        remote_mac: c.remote_mac,
        ..TxEntry::default()
    };
    frame_of(&e, MAC, c.remote_ip, c.remote_port, payload, id)
}

/// The connection whose datagram a wire frame is, by its IPv4 source address and port.
pub fn sender(conns: &[Conn], f: &[u8]) -> Option<usize> {
    if f.len() < 36 || f[12..14] != [8, 0] {
        return None;
    }
    let src = (
        u32::from_be_bytes(f[26..30].try_into().unwrap()),
        u16::from_be_bytes([f[34], f[35]]),
    );
    conns.iter().position(|c| src == (c.local_ip, c.local_port))
}

/// The NIC block's statistics registers.
pub fn stat_names() -> Vec<&'static str> {
    hdl::accio::regs::NIC_STATS
        .iter()
        .map(|(n, _)| *n)
        .collect()
}

/// The RX model's entry of connection `c`, with a ring of `size` bytes at 0.
pub fn rx_entry(c: &Conn, size: u32) -> RxEntry {
    RxEntry {
        enabled: true,
        accelerated: c.accelerated,
        local_ip: c.local_ip,
        local_port: c.local_port,
        base: 0,
        size,
        ..RxEntry::default()
    }
}

/// Checks a run of `frames` through the NIC at `w` bits against the reference models:
/// every RX record of every connection, every normal-path frame and its RX_COMP word, the
/// statistics and malformed-frame events, every frame on the wire (offloaded ones rebuilt
/// by the TX model, normal-path ones unchanged).
pub fn check(conns: &[Conn], host: &HostCfg, frames: &[(Vec<u8>, bool)], r: &Report, w: u32) {
    // Receive side.
    let entries: Vec<RxEntry> = conns.iter().map(|c| rx_entry(c, c.rx_ring_bytes)).collect();
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
        use crate::accio_regs::nic::RX_COMP as c;
        assert_eq!(
            (c::REASON.get(*word), c::CLASS.get(*word)),
            (*reason, *class),
            "RX_COMP {k}"
        );
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
            [
                hdl::accio::regs::event::MALFORMED,
                hdl::accio::regs::event::LINK_UP
            ]
            .contains(&t),
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
        match sender(conns, f) {
            Some(i) => {
                let want = wire_frame(&conns[i], &conns[i].send[next[i]], id);
                assert_eq!(
                    f, &want,
                    "wire frame {k}: connection {i}, datagram {}",
                    next[i]
                );
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

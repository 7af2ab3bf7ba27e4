//! The Verilated Accio NIC (`accio_nic_w512`) between a Linux TAP and a simulated host.
//!
//! Frames Linux sends enter the NIC's MAC receive stream; frames the NIC transmits go back
//! to the TAP. The host is `sim_models::accio::host::Host` with two kinds of programs on
//! it: per accelerated connection, an echo loop (each record its RX ring receives is sent
//! back through its TX ring, to the entry's `REMOTE`), and on the normal path a smoltcp
//! [`Interface`] (ARP, ICMP echo, and a UDP echo socket) whose device receives the frames
//! the NIC completes on `RX_COMP` and transmits through `TX_POST`.
//!
//! Simulated time runs only while something is in flight; when the NIC has been quiet for
//! a while the bridge waits for Linux on the wall clock with the model stopped. Software on
//! the host takes no simulated time: round trips count the NIC's, the memory's and the
//! driver's MMIO cycles only.

use crate::linux_tap::{Tap, HOST_IP, HOST_MAC};
use crate::models::AccioNicW512N16C4;
use sim_models::accio::host::{Conn, Host, HostCfg};
use sim_models::hostmem::HostMemCfg;
use sim_models::lauberhorn::host::Builtin;
use sim_models::nic_pins;
use smoltcp::iface::{Config, Interface, SocketHandle, SocketSet};
use smoltcp::phy::{self, Device, DeviceCapabilities, Medium};
use smoltcp::socket::udp;
use smoltcp::time::Instant;
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpAddress, IpCidr};
use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};

/// Core clock of the NIC, for smoltcp's clock (cycles per microsecond).
const CYCLES_PER_US: u64 = 250;
/// Quiet host cycles after which the bridge stops the model and waits for Linux.
const IDLE_CYCLES: u64 = 2000;

/// What runs on the simulated host.
#[derive(Clone, Debug, Default)]
pub struct Programs {
    /// Accelerated connections, each echoing what its RX ring receives.
    pub echo_conns: Vec<Conn>,
    /// A smoltcp UDP socket on this port echoing datagrams (the normal path).
    pub np_udp_echo: Option<u16>,
    /// A smoltcp UDP socket on this port answering ONC-RPC calls (RFC 5531, any program)
    /// with this handler's result (the normal path).
    pub np_rpc: Option<(u16, Builtin)>,
}

/// The other end of the NIC's MAC: a Linux TAP, or a peer the experiments script.
pub trait Wire {
    /// The next frame for the NIC, if one waits.
    fn incoming(&self) -> Option<Vec<u8>>;
    /// A frame the NIC transmitted; `cycle` is the cycle of its last beat.
    fn outgoing(&self, frame: &[u8], cycle: u64);
    /// Nothing in flight: waits up to `ms` wall-clock milliseconds for the peer.
    fn wait(&self, ms: i32);
}

impl Wire for Tap {
    fn incoming(&self) -> Option<Vec<u8>> {
        self.recv()
    }

    fn outgoing(&self, frame: &[u8], _: u64) {
        self.send(frame).expect("Linux takes the frame");
    }

    fn wait(&self, ms: i32) {
        Tap::wait(self, ms)
    }
}

/// The ONC-RPC reply (RFC 5531: MSG_ACCEPTED, AUTH_NONE verifier, SUCCESS) to the call in
/// the UDP payload `call`, with `handler`'s result; None for what is not a call.
fn rpc_answer(call: &[u8], handler: Builtin) -> Option<Vec<u8>> {
    let word = |at: usize| Some(u32::from_be_bytes(call.get(at..at + 4)?.try_into().ok()?));
    if word(4)? != 0 || word(8)? != 2 {
        return None;
    }
    // Credential (at 24) and verifier: flavour, length, body padded to 4 bytes.
    let verf = 32 + (word(28)? as usize).div_ceil(4) * 4;
    let args = call.get(verf + 8 + (word(verf + 4)? as usize).div_ceil(4) * 4..)?;
    let mut r = Vec::new();
    for w in [word(0)?, 1, 0, 0, 0, 0] {
        r.extend(w.to_be_bytes());
    }
    let mut res = handler.apply(args);
    res.resize(res.len().div_ceil(4) * 4, 0);
    r.extend(res);
    Some(r)
}

/// What the bridge saw, in simulated cycles.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub cycles: u64,
    pub frames_in: u64,
    pub frames_out: u64,
    /// Datagrams each accelerated connection's RX ring received (and its program echoed).
    pub ring_datagrams: Vec<u64>,
    /// Datagrams the smoltcp UDP sockets answered (echoes and RPC replies).
    pub np_udp_echoed: u64,
    /// ARP replies the NIC transmitted (smoltcp's).
    pub arp_replies: u64,
    /// Sends the host held back for a full TX ring or all normal-path buffers in flight
    /// (cycles the sender waited, summed).
    pub tx_ring_waits: u64,
    pub np_tx_waits: u64,
    /// Round trips from a request's hand-over to the MAC to its answer's last beat out:
    /// "icmp" (echo request to reply, matched by identifier and sequence) and "udp PORT"
    /// (datagram to the host's PORT to the next one from it).
    pub round_trips: BTreeMap<String, Vec<u64>>,
}

/// The normal path as a smoltcp device: frames completed on RX_COMP in, frames to
/// `TX_POST` out.
#[derive(Default)]
struct NormalPath {
    rx: VecDeque<Vec<u8>>,
    tx: VecDeque<Vec<u8>>,
}

struct RxToken(Vec<u8>);
struct TxToken<'a>(&'a mut VecDeque<Vec<u8>>);

impl phy::RxToken for RxToken {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl phy::TxToken for TxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut b = vec![0; len];
        let r = f(&mut b);
        self.0.push_back(b);
        r
    }
}

impl Device for NormalPath {
    type RxToken<'a> = RxToken;
    type TxToken<'a> = TxToken<'a>;

    fn receive(&mut self, _: Instant) -> Option<(RxToken, TxToken<'_>)> {
        let f = self.rx.pop_front()?;
        Some((RxToken(f), TxToken(&mut self.tx)))
    }

    fn transmit(&mut self, _: Instant) -> Option<TxToken<'_>> {
        Some(TxToken(&mut self.tx))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut c = DeviceCapabilities::default();
        c.medium = Medium::Ethernet;
        c.max_transmission_unit = 1514;
        c
    }
}

/// A request or an answer the round trips pair up.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Flow {
    Icmp(u32),
    Udp(u16),
}

/// The flow of a frame to the host (`to_host`) or from it, and whether it is an ARP reply.
fn flow(f: &[u8], to_host: bool) -> (Option<Flow>, bool) {
    let be16 = |i: usize| f.get(i..i + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
    match be16(12) {
        Some(0x0806) => (None, be16(20) == Some(2)),
        Some(0x0800) if f.len() >= 34 => {
            let l4 = 14 + usize::from(f[14] & 15) * 4;
            let id_seq = f
                .get(l4 + 4..l4 + 8)
                .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
            let fl = match (f[23], f.get(l4)) {
                (1, Some(8)) if to_host => id_seq.map(Flow::Icmp),
                (1, Some(0)) if !to_host => id_seq.map(Flow::Icmp),
                (17, _) => be16(l4 + if to_host { 2 } else { 0 }).map(Flow::Udp),
                _ => None,
            };
            (fl, false)
        }
        _ => (None, false),
    }
}

/// Runs the NIC between `tap` and the host with `programs` until `stop` is set and nothing
/// is in flight. `seed` seeds the host's timing and the NIC's reset state.
pub fn run(tap: &dyn Wire, programs: &Programs, stop: &AtomicBool, seed: u64) -> Stats {
    let conns = &programs.echo_conns;
    let host = HostCfg {
        mac: HOST_MAC,
        malformed_to_np: false,
        np_buffers: 32,
        np_send: Vec::new(),
        mem: HostMemCfg {
            beat_bytes: 64,
            latency: 8,
            stall: 0.0,
            max_outstanding: 64,
        },
        rx_gaps: 0.0,
        tx_ready: 1.0,
        quiet: u64::MAX,
    };
    let d = AccioNicW512N16C4::with_reset_seed(crate::seed::replay_reset_seed(seed));
    let p = nic_pins!(d);
    let mut h = Host::new(conns, &host, &[], &[], 512, seed);
    p.link_up.set_bit(0, true);
    p.rst.set_bit(0, true);
    p.rx.idle();
    p.dut.tick().unwrap();
    p.rst.set_bit(0, false);

    let now = |h: &Host| Instant::from_micros((h.cycles() / CYCLES_PER_US) as i64);
    let mut dev = NormalPath::default();
    let mut cfg = Config::new(HardwareAddress::Ethernet(EthernetAddress(HOST_MAC)));
    cfg.random_seed = seed;
    let mut iface = Interface::new(cfg, &mut dev, now(&h));
    let [a, b, c, e] = HOST_IP;
    iface.update_ip_addrs(|ips| {
        ips.push(IpCidr::new(IpAddress::v4(a, b, c, e), 24))
            .expect("one address fits")
    });
    let mut sockets = SocketSet::new(Vec::new());
    let mut bind = |port: u16| -> SocketHandle {
        let buf = || udp::PacketBuffer::new(vec![udp::PacketMetadata::EMPTY; 64], vec![0; 65536]);
        let mut s = udp::Socket::new(buf(), buf());
        s.bind(port).expect("a free port");
        sockets.add(s)
    };
    let udp_echo = programs.np_udp_echo.map(&mut bind);
    let rpc = programs.np_rpc.map(|(port, handler)| (bind(port), handler));

    let mut st = Stats {
        ring_datagrams: vec![0; conns.len()],
        ..Stats::default()
    };
    let mut waiting: BTreeMap<Flow, VecDeque<u64>> = BTreeMap::new();
    // Echoes waiting for ring room, per connection.
    let mut echoes: Vec<VecDeque<Vec<u8>>> = vec![VecDeque::new(); conns.len()];
    // The last cycle the bridge moved something (the host's own quiet count misses
    // accesses still queued).
    let mut last_busy = 0;
    loop {
        let mut busy = false;
        while let Some(f) = tap.incoming() {
            if let (Some(fl), _) = flow(&f, true) {
                waiting.entry(fl).or_default().push_back(h.cycles());
            }
            h.receive(&f);
            st.frames_in += 1;
            busy = true;
        }
        h.mac_drive(&p.rx, &p.tx);
        h.host_drive(&p.axil, &p.axi);
        p.dut.eval().unwrap();
        h.mac_sample(&p.rx, &p.tx);
        h.host_sample(&p.axil, &p.axi);
        p.dut.tick().unwrap();
        for f in h.take_wire() {
            let (fl, arp_reply) = flow(&f, false);
            st.arp_replies += u64::from(arp_reply);
            if let Some(t0) = fl.and_then(|fl| waiting.get_mut(&fl)?.pop_front()) {
                let key = match fl {
                    Some(Flow::Icmp(_)) => "icmp".to_string(),
                    Some(Flow::Udp(port)) => format!("udp {port}"),
                    None => unreachable!("a flow was matched"),
                };
                st.round_trips.entry(key).or_default().push(h.cycles() - t0);
            }
            tap.outgoing(&f, h.cycles());
            st.frames_out += 1;
            busy = true;
        }
        for (i, q) in echoes.iter_mut().enumerate() {
            use hdl::accio::rx_offload::record as r;
            for rec in h.take_ring(i) {
                st.ring_datagrams[i] += 1;
                q.push_back(rec[r::PAYLOAD..].to_vec());
            }
            while let Some(d) = q.front() {
                if !h.send_datagram(i, d) {
                    st.tx_ring_waits += 1;
                    break;
                }
                q.pop_front();
                busy = true;
            }
            busy |= !q.is_empty();
        }
        let normal = h.take_normal();
        busy |= !normal.is_empty();
        if !normal.is_empty() || !dev.tx.is_empty() || h.cycles() % 256 == 0 {
            dev.rx.extend(normal.into_iter().map(|(f, _)| f));
            iface.poll(now(&h), &mut dev, &mut sockets);
            let answering = udp_echo
                .map(|s| (s, None))
                .into_iter()
                .chain(rpc.map(|(s, handler)| (s, Some(handler))));
            for (s, handler) in answering {
                let s = sockets.get_mut::<udp::Socket>(s);
                while let Ok((data, meta)) = s.recv() {
                    let answer = match handler {
                        None => Some(data.to_vec()),
                        Some(handler) => rpc_answer(data, handler),
                    };
                    if let Some(a) = answer {
                        s.send_slice(&a, meta.endpoint)
                            .expect("the answer fits the socket's buffer");
                        st.np_udp_echoed += 1;
                    }
                }
            }
            if udp_echo.is_some() || rpc.is_some() {
                iface.poll(now(&h), &mut dev, &mut sockets);
            }
            while let Some(f) = dev.tx.front() {
                if !h.send_normal(f) {
                    st.np_tx_waits += 1;
                    break;
                }
                dev.tx.pop_front();
                busy = true;
            }
        }
        if busy || !dev.tx.is_empty() {
            last_busy = h.cycles();
        }
        if h.cycles() - last_busy > IDLE_CYCLES && h.quiet_cycles() > IDLE_CYCLES {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            tap.wait(10);
        }
    }
    st.cycles = h.cycles();
    st
}

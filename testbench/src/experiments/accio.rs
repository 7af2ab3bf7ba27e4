//! Accio's experiments (NINeS '26, §7–8) on the Verilated `accio_nic_w512` under the OS
//! model (`sim_models::accio::os`: threads, sockets, the ready queues, `irq`), and on the
//! normal path through smoltcp (the TAP bridge's host, `crate::accio_tap`, with a scripted
//! peer instead of Linux). Host memory answers every burst 3 cycles after it; the MAC takes
//! every beat. Software takes no simulated time: every figure counts the NIC's, the
//! memory's and the MMIO accesses' cycles.

use super::{Plot, Scale, Summary, Table, NS_PER_CYCLE};
use crate::accio_tap::{self, Programs, Wire};
use crate::linux_tap::{HOST_IP, HOST_MAC, LINUX_IP, LINUX_MAC};
use crate::models::{AccioNicW512N16C4, AccioNicW512N64C4};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sim_models::accio::host::{kr, kw, Map};
use sim_models::accio::os::{Errno, Nic, Os, OsCfg, Program, Step, Sys};
use sim_models::hostmem::HostMemCfg;
use sim_models::nic_pins;
use sim_models::traces::udp_frame_to;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};

const BUS_BYTES: usize = 64;
const OS_IP: u32 = 0x0a01_0002;
const PEER_MAC: [u8; 6] = [2, 0, 0, 0, 0, 1];
/// Host memory answers every burst this many cycles after it (as in `tests/accio_os.rs`).
pub const MEM_LATENCY: u64 = 3;
/// The ping-pong's payload sizes (the paper's Figure 6: 64 B to 1 KiB).
pub const PAYLOADS: [usize; 5] = [64, 128, 256, 512, 1024];
/// The sink's payload (the paper's §8.4: 64-byte UDP messages).
pub const SINK_PAYLOAD: usize = 64;

/// Host memory of every run: answers each burst [`MEM_LATENCY`] cycles after it.
const MEM: HostMemCfg = HostMemCfg {
    beat_bytes: BUS_BYTES,
    latency: MEM_LATENCY,
    stall: 0.0,
    max_outstanding: 64,
};

/// The OS booted on `nic`: `entries` ICT slots, `cores` cores running threads, RX rings of
/// `rx_ring_bytes`.
fn boot(nic: Nic<'_>, entries: u32, cores: usize, rx_ring_bytes: u32) -> Os<'_> {
    let mut ict = hdl::library::small_nic().ict;
    ict.entries = entries;
    Os::boot(
        nic,
        OsCfg {
            ict,
            cores,
            mac: [2, 0, 0, 0xac, 0xc1, 0],
            gateway: PEER_MAC,
            rx_ring_bytes,
            tx_ring_bytes: 1 << 16,
            np_buffers: 64,
            data_width: 512,
        },
    )
}

/// [`boot`] on the Verilated NIC `d`.
macro_rules! boot {
    ($d:expr, $entries:expr, $cores:expr, $ring:expr, $seed:expr) => {{
        let cores = hdl::library::small_nic().ict.cores as usize;
        let nic = Nic::new(
            nic_pins!($d),
            &$d.irq,
            &$d.evq_irq,
            &$d.np_irq,
            cores,
            MEM,
            $seed,
        );
        boot(nic, $entries, $cores, $ring)
    }};
}

/// How a program receives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path {
    /// An accelerated socket, `recvfrom` sleeping (WAIT bit, `irq`, ready queue).
    Blocking,
    /// An accelerated socket, busy polling its RX_TAIL.
    Polling,
    /// A socket that is not accelerated: the OS model's kernel takes its datagrams from
    /// the normal path (`RX_COMP`, `np_irq`) and sends through `TX_POST`.
    Kernel,
}

/// Per datagram a program received: the cycle its thread's step began (it was running),
/// and the cycle `recvfrom` returned it.
type Received = Rc<RefCell<Vec<(u64, u64)>>>;

/// Binds `port` (accelerated unless on the kernel's path), then receives datagrams and,
/// if `echo`, sends each back to its source.
struct Server {
    port: u16,
    path: Path,
    echo: bool,
    fd: Option<usize>,
    got: Received,
    /// Exits after this many.
    limit: usize,
}

impl Program for Server {
    fn step(&mut self, sys: &mut Sys) -> Step {
        let start = sys.cycle();
        let Some(fd) = self.fd else {
            let fd = sys.socket();
            sys.bind(fd, (OS_IP, self.port)).expect("a free port");
            if self.path != Path::Kernel {
                sys.accelerate(fd).expect("a bound socket");
            }
            self.fd = Some(fd);
            return Step::Continue;
        };
        let r = match self.path {
            Path::Polling => sys.poll_recvfrom(fd),
            Path::Blocking | Path::Kernel => sys.recvfrom(fd),
        };
        match r {
            Ok(d) => {
                self.got.borrow_mut().push((start, sys.cycle()));
                if self.echo {
                    sys.sendto(fd, &d.data, Some(d.from))
                        .expect("the echo is sent");
                }
            }
            Err(Errno::WouldBlock | Errno::Again) => {}
            Err(e) => panic!("recvfrom: {e:?}"),
        }
        if self.got.borrow().len() == self.limit {
            Step::Exit
        } else {
            Step::Continue
        }
    }
}

fn server(port: u16, path: Path, echo: bool, limit: usize) -> (Server, Received) {
    let got = Received::default();
    let s = Server {
        port,
        path,
        echo,
        fd: None,
        got: Rc::clone(&got),
        limit,
    };
    (s, got)
}

/// Runs turns until `cond` holds (at most `limit` cycles).
fn run_until(os: &mut Os, limit: u64, what: &str, cond: impl Fn(&Os) -> bool) {
    let end = os.nic.cycle + limit;
    while !cond(os) {
        assert!(os.nic.cycle < end, "{what}: not within {limit} cycles");
        os.turn();
    }
}

/// One request and its echo, in cycles.
#[derive(Clone, Copy, Debug)]
pub struct Exchange {
    pub payload: usize,
    /// The request's first beat in.
    pub first_in: u64,
    /// The thread's core's `irq` rose (blocking path only).
    pub irq: Option<u64>,
    /// The step of the thread that got the datagram began, and `recvfrom` returned it.
    pub running: u64,
    pub received: u64,
    /// The echo's last beat out.
    pub last_out: u64,
}

impl Exchange {
    pub fn round_trip(&self) -> u64 {
        self.last_out - self.first_in
    }
}

/// Sends `frame` to thread `t` (on `core`, serving on `path`) once it is waiting, and runs
/// until its echo is out (checked: the request's payload).
fn exchange(
    os: &mut Os,
    t: usize,
    core: usize,
    path: Path,
    got: &Received,
    frame: &[u8],
) -> Exchange {
    if path != Path::Polling {
        run_until(os, 200_000, "the server waits", |os| os.blocked(t));
    }
    let (irqs, wire, n) = (
        os.nic.irq_rises[core].len(),
        os.nic.wire.len(),
        got.borrow().len(),
    );
    os.nic.receive(frame, BUS_BYTES);
    run_until(os, 200_000, "the echo", |os| os.nic.wire.len() > wire);
    assert_eq!(
        udp_payload(&os.nic.wire[wire]),
        udp_payload(frame),
        "the echo carries the request's payload"
    );
    let (running, received) = got.borrow()[n];
    Exchange {
        payload: frame.len() - 42,
        first_in: *os.nic.first_beats.last().expect("the request went in"),
        irq: os.nic.irq_rises[core].get(irqs).copied(),
        running,
        received,
        last_out: os.nic.wire_cycles[wire],
    }
}

fn frame_to(rng: &mut ChaCha8Rng, port: u16, len: usize) -> Vec<u8> {
    udp_frame_to(rng, OS_IP.to_be_bytes(), port, len)
}

/// UDP ping-pong on the OS model: one thread on core 0 echoing on `path`, `reps` requests
/// of each size in `payloads`, one at a time.
pub fn ping_pong(path: Path, payloads: &[usize], reps: usize, seed: u64) -> Vec<Exchange> {
    let d = AccioNicW512N16C4::with_reset_seed(crate::seed::replay_reset_seed(seed));
    let mut os = boot!(d, 16, 2, 1 << 16, seed);
    let mut rng = super::rng(seed, "ping_pong");
    let (s, got) = server(7000, path, true, usize::MAX);
    let t = os.spawn(0, 0x11, 3, Box::new(s));
    // Set up, and (busy polling) spinning.
    for _ in 0..200 {
        os.turn();
    }
    let mut out = Vec::new();
    for &len in payloads {
        for _ in 0..reps {
            let f = frame_to(&mut rng, 7000, len);
            out.push(exchange(&mut os, t, 0, path, &got, &f));
            // The polling thread goes back to its loop.
            for _ in 0..20 {
                os.turn();
            }
        }
    }
    out
}

/// MMIO round trips through the NIC top's AXI4-Lite port: (access, cycles from the
/// request's first cycle to its answer), `reps` each.
pub fn mmio(reps: usize, seed: u64) -> Vec<(&'static str, u64)> {
    let d = AccioNicW512N16C4::with_reset_seed(crate::seed::replay_reset_seed(seed));
    let mut os = boot!(d, 16, 2, 4096, seed);
    let map = Map::new(&os.cfg.ict);
    let mut out = Vec::new();
    let mut time = |os: &mut Os, what: &'static str, a| {
        let t0 = os.nic.cycle;
        let c = os.nic.access(a);
        assert_eq!(c.resp, 0, "{what}");
        out.push((what, os.nic.cycle - t0));
    };
    for _ in 0..reps {
        time(
            &mut os,
            "kernel read, NIC register (RX_FRAMES)",
            kr(map.nic("RX_FRAMES")),
        );
        time(
            &mut os,
            "kernel read, ICT entry register (RX_TAIL)",
            kr(map.entry(0, "RX_TAIL")),
        );
        time(
            &mut os,
            "kernel write, ICT entry register (DROPS)",
            kw(map.entry(0, "DROPS"), 0),
        );
    }
    // User accesses of the thread's own entry.
    let probes = Rc::new(RefCell::new(Vec::new()));
    struct Probe(Option<usize>, usize, Rc<RefCell<Vec<(&'static str, u64)>>>);
    impl Program for Probe {
        fn step(&mut self, sys: &mut Sys) -> Step {
            let Some(fd) = self.0 else {
                let fd = sys.socket();
                sys.bind(fd, (OS_IP, 7001)).expect("a free port");
                sys.accelerate(fd).expect("a bound socket");
                self.0 = Some(fd);
                return Step::Continue;
            };
            let i = sys.slot(fd).expect("resident");
            for _ in 0..self.1 {
                let t0 = sys.cycle();
                sys.user_read(i, "RX_TAIL").expect("its own entry");
                let t1 = sys.cycle();
                sys.user_write(i, "RX_HEAD", 0).expect("its own entry");
                let mut p = self.2.borrow_mut();
                p.push(("user read, own ICT entry (RX_TAIL)", t1 - t0));
                p.push((
                    "user write, own ICT entry (RX_HEAD doorbell)",
                    sys.cycle() - t1,
                ));
            }
            Step::Exit
        }
    }
    os.spawn(0, 0x12, 1, Box::new(Probe(None, reps, Rc::clone(&probes))));
    run_until(&mut os, 100_000, "the probe", |os| os.done());
    out.extend(probes.borrow().iter().copied());
    out
}

/// The UDP sink: `n` datagrams of [`SINK_PAYLOAD`] bytes back to back at the MAC, one
/// thread receiving and discarding them (blocking `recvfrom`).
#[derive(Clone, Copy, Debug)]
pub struct Sink {
    pub datagrams: usize,
    /// MAC beats per frame.
    pub beats: usize,
    /// Beats per cycle the MAC moved while the frames went in (1 = no back-pressure).
    pub mac_rate: f64,
    /// Records written to the ring per cycle, over the MAC's frame rate.
    pub ring_fraction: f64,
    /// Datagrams `recvfrom` returned per cycle, over the MAC's frame rate.
    pub app_fraction: f64,
    pub drops: u64,
}

pub fn sink(n: usize, seed: u64) -> Sink {
    let d = AccioNicW512N16C4::with_reset_seed(crate::seed::replay_reset_seed(seed));
    let mut os = boot!(d, 16, 2, 1 << 20, seed);
    let map = Map::new(&os.cfg.ict);
    let mut rng = super::rng(seed, "sink");
    let (s, got) = server(7002, Path::Blocking, false, n);
    let t = os.spawn(0, 0x13, 3, Box::new(s));
    run_until(&mut os, 100_000, "the sink waits", |os| os.blocked(t));
    let (firsts, writes) = (os.nic.first_beats.len(), os.nic.write_cycles.len());
    let frames: Vec<Vec<u8>> = (0..n)
        .map(|_| frame_to(&mut rng, 7002, SINK_PAYLOAD))
        .collect();
    for f in &frames {
        os.nic.receive(f, BUS_BYTES);
    }
    run_until(&mut os, 100 * n as u64 + 100_000, "the sink", |os| {
        os.done()
    });
    let beats = frames[0].len().div_ceil(BUS_BYTES);
    let fb = &os.nic.first_beats[firsts..];
    let span_in = fb[n - 1] + beats as u64 - fb[0];
    let w = &os.nic.write_cycles[writes..];
    assert_eq!(w.len() % n, 0, "the same write beats per record");
    let per = w.len() / n;
    // The last write beat of the first and of the last record.
    let span_written = w[w.len() - 1] - w[per - 1];
    let g = got.borrow();
    let span_app = g[n - 1].1 - g[0].1;
    let fraction = |span: u64| (n - 1) as f64 / span as f64 * beats as f64;
    let slot = os.slot_of(0).map(|i| map.entry(i, "DROPS"));
    Sink {
        datagrams: n,
        beats,
        mac_rate: (n * beats) as f64 / span_in as f64,
        ring_fraction: fraction(span_written),
        app_fraction: fraction(span_app),
        drops: slot.map_or(0, |a| os.kread(a)),
    }
}

/// `n` threads (on 4 cores), each echoing on its own accelerated socket, on a 64-slot
/// ICT; `requests` 64-byte datagrams to random ones, one at a time.
#[derive(Clone, Debug)]
pub struct Connections {
    pub connections: usize,
    pub round_trips: Vec<u64>,
    /// ICT refills after misses while the requests ran.
    pub refills: usize,
}

pub fn connections(n: usize, requests: usize, seed: u64) -> Connections {
    let d = AccioNicW512N64C4::with_reset_seed(crate::seed::replay_reset_seed(seed));
    let mut os = boot!(d, 64, 4, 1 << 14, seed);
    let mut rng = super::rng(seed, &format!("connections_{n}"));
    let gots: Vec<(usize, Received)> = (0..n)
        .map(|k| {
            let (s, got) = server(9000 + k as u16, Path::Blocking, true, usize::MAX);
            (os.spawn(k % 4, 0x100 + k as u16, 1, Box::new(s)), got)
        })
        .collect();
    run_until(&mut os, 100_000 * n as u64, "every server waits", |os| {
        gots.iter().all(|(t, _)| os.blocked(*t))
    });
    let refills = os.log.refills.len();
    let round_trips = (0..requests)
        .map(|_| {
            let k = rng.gen_range(0..n);
            let f = frame_to(&mut rng, 9000 + k as u16, SINK_PAYLOAD);
            exchange(&mut os, gots[k].0, k % 4, Path::Blocking, &gots[k].1, &f).round_trip()
        })
        .collect();
    Connections {
        connections: n,
        round_trips,
        refills: os.log.refills.len() - refills,
    }
}

/// A peer on the MAC that resolves the host by ARP, then sends `requests` to it one at a
/// time, each once the host's answer to the one before is out.
struct Peer {
    ready: RefCell<Option<Vec<u8>>>,
    requests: RefCell<VecDeque<Vec<u8>>>,
    /// The IPv4 frames the host sent.
    answers: RefCell<Vec<Vec<u8>>>,
    done: AtomicBool,
}

impl Wire for Peer {
    fn incoming(&self) -> Option<Vec<u8>> {
        self.ready.borrow_mut().take()
    }

    fn outgoing(&self, frame: &[u8], _: u64) {
        if frame.get(12..14) == Some(&[8, 0]) {
            self.answers.borrow_mut().push(frame.to_vec());
        }
        match self.requests.borrow_mut().pop_front() {
            Some(r) => *self.ready.borrow_mut() = Some(r),
            None => self.done.store(true, Ordering::Relaxed),
        }
    }

    fn wait(&self, _: i32) {}
}

/// The ARP request of the TAP's address for the host's.
fn arp_request() -> Vec<u8> {
    let mut f = vec![0xff; 6];
    f.extend(LINUX_MAC);
    f.extend([0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1]);
    f.extend(LINUX_MAC);
    f.extend(LINUX_IP);
    f.extend([0; 6]);
    f.extend(HOST_IP);
    f
}

/// A UDP datagram from the TAP's address to the host's `port`.
pub fn udp_to_host(port: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    etherparse::PacketBuilder::ethernet2(LINUX_MAC, HOST_MAC)
        .ipv4(LINUX_IP, HOST_IP, 64)
        .udp(40_000, port)
        .write(&mut f, payload)
        .expect("a frame is built in memory");
    f
}

/// Round trips (request handed to the MAC → answer's last beat out) of `payloads` sent
/// one at a time to `port` of the TAP bridge's host running `programs` (smoltcp on the
/// normal path), after an ARP exchange, each with the answer's UDP payload.
pub fn smoltcp_round_trips(
    programs: &Programs,
    port: u16,
    payloads: &[Vec<u8>],
    seed: u64,
) -> Vec<(u64, Vec<u8>)> {
    let peer = Peer {
        ready: RefCell::new(Some(arp_request())),
        requests: RefCell::new(payloads.iter().map(|p| udp_to_host(port, p)).collect()),
        answers: RefCell::default(),
        done: AtomicBool::new(false),
    };
    let st = accio_tap::run(&peer, programs, &peer.done, seed);
    let rt = st
        .round_trips
        .get(&format!("udp {port}"))
        .cloned()
        .unwrap_or_default();
    let answers: Vec<Vec<u8>> = peer
        .answers
        .take()
        .iter()
        .map(|f| udp_payload(f).expect("a UDP answer"))
        .collect();
    assert_eq!(rt.len(), payloads.len(), "an answer per request");
    assert_eq!(answers.len(), payloads.len(), "an answer per request");
    rt.into_iter().zip(answers).collect()
}

/// The UDP payload of an Ethernet/IPv4/UDP frame (padding past the UDP length left out).
fn udp_payload(frame: &[u8]) -> Option<Vec<u8>> {
    use etherparse::{SlicedPacket, TransportSlice};
    match SlicedPacket::from_ethernet(frame).ok()?.transport? {
        TransportSlice::Udp(u) => Some(u.payload().to_vec()),
        _ => None,
    }
}

/// UDP ping-pong through smoltcp on the normal path: `reps` of each payload size, every
/// echo checked.
pub fn smoltcp_ping_pong(reps: usize, seed: u64) -> Vec<(usize, u64)> {
    let mut rng = super::rng(seed, "smoltcp");
    let payloads: Vec<Vec<u8>> = PAYLOADS
        .iter()
        .flat_map(|&n| std::iter::repeat_n(n, reps))
        .map(|n| (0..n).map(|_| rng.gen()).collect())
        .collect();
    let programs = Programs {
        np_udp_echo: Some(7),
        ..Programs::default()
    };
    let rt = smoltcp_round_trips(&programs, 7, &payloads, seed);
    payloads
        .iter()
        .zip(rt)
        .map(|(p, (c, echo))| {
            assert_eq!(&echo, p, "smoltcp's echo");
            (p.len(), c)
        })
        .collect()
}

/// Every Accio figure.
#[derive(Clone, Debug)]
pub struct Figures {
    pub mmio: Vec<(&'static str, u64)>,
    pub sink: Sink,
    /// Per [`Path`] (blocking, polling, kernel), the exchanges.
    pub ping_pong: Vec<(Path, Vec<Exchange>)>,
    /// (payload, round trip) through smoltcp.
    pub smoltcp: Vec<(usize, u64)>,
    pub connections: Vec<Connections>,
}

/// Every experiment at `scale`, all randomness drawn from `seed`; `progress` hears
/// which one starts.
pub fn run(scale: &Scale, seed: u64, progress: &mut dyn FnMut(&str)) -> Figures {
    progress("accio: MMIO round trips");
    let mmio = mmio(scale.reps, seed);
    progress("accio: 64-byte UDP sink");
    let sink = sink(scale.sink_datagrams, seed);
    let mut ping_pong = Vec::new();
    for path in [Path::Blocking, Path::Polling, Path::Kernel] {
        progress(&format!("accio: UDP ping-pong, {path:?}"));
        ping_pong.push((path, self::ping_pong(path, &PAYLOADS, scale.reps, seed)));
    }
    progress("accio: UDP ping-pong, smoltcp");
    let smoltcp = smoltcp_ping_pong(scale.reps, seed);
    let connections = scale
        .connections
        .iter()
        .map(|&n| {
            progress(&format!("accio: {n} connections on 64 ICT slots"));
            self::connections(n, scale.conn_requests, seed)
        })
        .collect();
    Figures {
        mmio,
        sink,
        ping_pong,
        smoltcp,
        connections,
    }
}

impl Figures {
    /// Round trips on `path` of `payload`-byte requests.
    pub fn round_trips(&self, path: Path, payload: usize) -> Vec<u64> {
        self.ping_pong
            .iter()
            .filter(|(p, _)| *p == path)
            .flat_map(|(_, e)| {
                e.iter()
                    .filter(|e| e.payload == payload)
                    .map(Exchange::round_trip)
            })
            .collect()
    }

    pub fn smoltcp_round_trips(&self, payload: usize) -> Vec<u64> {
        self.smoltcp
            .iter()
            .filter(|(p, _)| *p == payload)
            .map(|(_, c)| *c)
            .collect()
    }

    /// The blocking path's wake-ups for `payload`-byte requests: (first beat → irq, irq →
    /// thread running, running → `recvfrom` returns).
    pub fn wake_ups(&self, payload: usize) -> Vec<(u64, u64, u64)> {
        self.ping_pong
            .iter()
            .filter(|(p, _)| *p == Path::Blocking)
            .flat_map(|(_, e)| e.iter().filter(|e| e.payload == payload))
            .map(|e| {
                let irq = e.irq.expect("a sleeping thread is woken by irq");
                (irq - e.first_in, e.running - irq, e.received - e.running)
            })
            .collect()
    }

    pub fn tables(&self) -> Vec<Table> {
        let mut t = Table::new(
            "accio_mmio",
            "Accio: CPU ↔ NIC MMIO round trip (AXI4-Lite through the NIC top)",
            &["access", "cycles", "ns at 250 MHz"],
        );
        let mut kinds: Vec<&str> = self.mmio.iter().map(|m| m.0).collect();
        kinds.dedup();
        kinds.sort_unstable();
        kinds.dedup();
        for k in kinds {
            let s = Summary::of(
                &self
                    .mmio
                    .iter()
                    .filter(|m| m.0 == k)
                    .map(|m| m.1)
                    .collect::<Vec<_>>(),
            );
            t.row(vec![k.into(), s.cycles(), s.ns()]);
        }
        t.notes.push(
            "From the cycle the request is offered to the cycle its answer is taken. Paper: \
             70 cycles at 50 MHz (1.4 µs) on the Rocket system bus; PCIe ≈ 0.9 µs."
                .into(),
        );
        let mut tables = vec![t];

        let s = &self.sink;
        let mut t = Table::new(
            "accio_sink",
            "Accio: 64-byte UDP sink throughput",
            &[
                "stage",
                "fraction of the MAC's frame rate",
                "UDP payload Gb/s",
                "frame Gb/s",
            ],
        );
        let frame = (SINK_PAYLOAD + 42) as f64;
        let gbps = |f: f64, bytes: f64| f * bytes * 8.0 / s.beats as f64 / NS_PER_CYCLE;
        t.row(vec![
            "MAC stream in (beats per cycle)".into(),
            format!("{:.3}", s.mac_rate),
            format!("{:.1}", gbps(s.mac_rate, SINK_PAYLOAD as f64)),
            format!("{:.1}", gbps(s.mac_rate, frame)),
        ]);
        for (what, f) in [
            ("records written to the RX ring", s.ring_fraction),
            (
                "datagrams returned by recvfrom (one thread)",
                s.app_fraction,
            ),
        ] {
            t.row(vec![
                what.into(),
                format!("{:.3}", f),
                format!("{:.1}", gbps(f, SINK_PAYLOAD as f64)),
                format!("{:.1}", gbps(f, frame)),
            ]);
        }
        t.notes.push(format!(
            "{} datagrams of {SINK_PAYLOAD} bytes ({}-byte frames, {} beats of 512 bits) back to \
             back; capacity of the 512-bit stream at 250 MHz: 128 Gb/s; ring drops: {}. \
             Paper: 3.1 of 3.2 Gb/s (0.97 of the 64-bit, 50 MHz system bus).",
            s.datagrams, frame, s.beats, s.drops
        ));
        tables.push(t);

        let mut t = Table::new(
            "accio_ping_pong",
            "Accio: UDP ping-pong on the host (request's first beat in → echo's last beat out), cycles",
            &[
                "payload (bytes)",
                "accelerated, blocking recvfrom",
                "accelerated, busy polling",
                "normal path, OS model kernel",
                "normal path, smoltcp",
            ],
        );
        for n in PAYLOADS {
            let mut row = vec![n.to_string()];
            for p in [Path::Blocking, Path::Polling, Path::Kernel] {
                row.push(Summary::of(&self.round_trips(p, n)).cycles());
            }
            row.push(Summary::of(&self.smoltcp_round_trips(n)).cycles());
            t.row(row);
        }
        t.notes.push(
            "Median (min–max). smoltcp's column is from the request handed to the MAC (its first \
             beat enters a cycle later) and includes the bridge's poll rotation (every 256 \
             cycles when idle). Paper (Figure 6): Accio 40× scaled ≈ 1/12 of Linux sockets, \
             31% below DPDK at 64 B."
                .into(),
        );
        tables.push(t);

        let mut t = Table::new(
            "accio_wake",
            "Accio: data arrival → interrupt → woken thread running (blocking recvfrom), cycles",
            &[
                "payload (bytes)",
                "first beat in → irq rises",
                "irq → the woken thread runs",
                "thread runs → recvfrom returns",
                "first beat in → datagram in hand",
                "ns (median, in hand)",
            ],
        );
        for n in PAYLOADS {
            let w = self.wake_ups(n);
            let col = |f: &dyn Fn(&(u64, u64, u64)) -> u64| {
                Summary::of(&w.iter().map(f).collect::<Vec<_>>())
            };
            let total = col(&|x| x.0 + x.1 + x.2);
            t.row(vec![
                n.to_string(),
                col(&|x| x.0).cycles(),
                col(&|x| x.1).cycles(),
                col(&|x| x.2).cycles(),
                total.cycles(),
                total.ns(),
            ]);
        }
        t.notes.push(
            "The first column grows with the frame's and the record's beats (27 cycles for a \
             40-byte payload in tests/accio_os.rs)."
                .into(),
        );
        tables.push(t);

        let mut t = Table::new(
            "accio_connections",
            "Accio: connections on a 64-slot ICT (one echo thread each, 4 cores, 64-byte requests to random connections)",
            &["connections", "requests", "ICT refills", "median", "p99", "max", "median ns"],
        );
        for c in &self.connections {
            let s = Summary::of(&c.round_trips);
            t.row(vec![
                c.connections.to_string(),
                s.n.to_string(),
                c.refills.to_string(),
                s.median.to_string(),
                s.p99.to_string(),
                s.max.to_string(),
                s.ns(),
            ]);
        }
        t.notes.push(
            "Round trips in cycles (first beat in → echo's last beat out). Beyond 64 sockets a \
             request for a socket that is not resident misses: the normal path delivers it, \
             ICT_MISS makes the OS model refill the socket into the VICTIM slot. Paper (Figure \
             8, 1 to 64 processes; no time-multiplexing in its prototype): 1 and 4 similar, \
             some loss at 64 from context switches on 4 cores."
                .into(),
        );
        tables.push(t);
        tables
    }

    pub fn plots(&self) -> Vec<Plot> {
        let series = |label: &str, f: &dyn Fn(usize) -> Vec<u64>| {
            (
                label.to_string(),
                PAYLOADS
                    .iter()
                    .map(|&n| (n as f64, Summary::of(&f(n)).median as f64))
                    .collect(),
            )
        };
        vec![Plot {
            name: "accio_ping_pong".into(),
            title: "Accio UDP ping-pong on the host (median)".into(),
            x_label: "payload (bytes)".into(),
            y_label: "cycles at 250 MHz".into(),
            series: vec![
                series("accelerated, blocking", &|n| {
                    self.round_trips(Path::Blocking, n)
                }),
                series("accelerated, busy polling", &|n| {
                    self.round_trips(Path::Polling, n)
                }),
                series("normal path, OS kernel", &|n| {
                    self.round_trips(Path::Kernel, n)
                }),
                series("normal path, smoltcp", &|n| self.smoltcp_round_trips(n)),
            ],
        }]
    }
}

//! The whole Accio NIC (`accio_nic_w512`, 16 ICT entries, 4 cores) under the OS model
//! `sim_models::accio::os`: threads blocking in `recvfrom` on accelerated sockets, woken
//! through the hardware ready queues and `irq`; ring overflow, ICT misses and protection
//! faults through the control event queue; and a program test with more sockets than
//! slots. Expected results come from the datagrams sent and the register map's rules,
//! never from the design's output.

use sim_models::accio::os::{Addr, Datagram, Errno, Fault, Nic, Os, OsCfg, Program, Step, Sys};
use sim_models::hostmem::HostMemCfg;
use sim_models::nic_pins;
use sim_models::traces::udp_frame_to;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use testbench::accio_regs::{core, entry, global, EV_ICT_MISS, EV_PROT_FAULT, EV_RING_OVERFLOW};
use testbench::models::AccioNicW512N16C4 as Nic512;
use testbench::seed;

const W: u32 = 512;
const HOST_IP: u32 = 0x0a01_0002;
const PEER_IP: u32 = 0x0a00_0001;
const PEER_MAC: [u8; 6] = [2, 0, 0, 0, 0, 1];
/// Host memory answers every burst in this many cycles.
const MEM_LATENCY: u64 = 3;

fn cfg(rx_ring_bytes: u32) -> OsCfg {
    OsCfg {
        ict: hdl::library::small_nic().ict,
        cores: 2,
        mac: [2, 0, 0, 0xac, 0xc1, 0],
        gateway: PEER_MAC,
        rx_ring_bytes,
        tx_ring_bytes: 0,
        np_buffers: 64,
        data_width: W,
    }
}

fn boot(d: &Nic512, rx_ring_bytes: u32) -> Os<'_> {
    boot_with(d, rx_ring_bytes, 4096)
}

fn boot_with(d: &Nic512, rx_ring_bytes: u32, tx_ring_bytes: u32) -> Os<'_> {
    let mem = HostMemCfg {
        beat_bytes: W as usize / 8,
        latency: MEM_LATENCY,
        stall: 0.0,
        max_outstanding: 64,
    };
    let nic = Nic::new(nic_pins!(*d), &d.irq, &d.evq_irq, &d.np_irq, 4, mem, 1);
    Os::boot(
        nic,
        OsCfg {
            tx_ring_bytes,
            ..cfg(rx_ring_bytes)
        },
    )
}

/// A received datagram as the test expects it, from the frame sent: source IPv4 and port,
/// payload (Ethernet + 20-byte IPv4 + 8-byte UDP headers).
fn expected(frame: &[u8]) -> Datagram {
    Datagram {
        from: (
            u32::from_be_bytes(frame[26..30].try_into().unwrap()),
            u16::from_be_bytes([frame[34], frame[35]]),
        ),
        data: frame[42..].to_vec(),
        lost_before: false,
    }
}

/// What a receiving thread saw: datagrams and errors, in order.
type Seen = Rc<RefCell<Vec<Result<Datagram, Errno>>>>;

/// Binds `ports` (one accelerated socket each), then receives on them in turn until it
/// has seen `counts[k]` results on socket k; records every result but `WouldBlock`.
struct Receiver {
    ports: Vec<u16>,
    fds: Vec<usize>,
    counts: Vec<usize>,
    seen: Vec<Seen>,
    /// It only spins until this is set (to let a ring fill).
    go: Rc<Cell<bool>>,
}

impl Receiver {
    fn new(ports: Vec<u16>, counts: Vec<usize>) -> (Self, Vec<Seen>) {
        let seen: Vec<Seen> = ports.iter().map(|_| Seen::default()).collect();
        let r = Receiver {
            ports,
            fds: Vec::new(),
            counts,
            seen: seen.clone(),
            go: Rc::new(Cell::new(true)),
        };
        (r, seen)
    }
}

impl Program for Receiver {
    fn step(&mut self, sys: &mut Sys) -> Step {
        if self.fds.len() < self.ports.len() {
            let fd = sys.socket();
            let port = self.ports[self.fds.len()];
            sys.bind(fd, (HOST_IP, port)).unwrap();
            sys.accelerate(fd).unwrap();
            self.fds.push(fd);
            return Step::Continue;
        }
        if !self.go.get() {
            return Step::Continue;
        }
        let Some(k) = (0..self.fds.len()).find(|&k| self.seen[k].borrow().len() < self.counts[k])
        else {
            for fd in self.fds.drain(..) {
                sys.close(fd).unwrap();
            }
            return Step::Exit;
        };
        match sys.recvfrom(self.fds[k]) {
            Err(Errno::WouldBlock) => {}
            r => self.seen[k].borrow_mut().push(r),
        }
        Step::Continue
    }
}

/// A datagram of `len` bytes to the host's `port` (random source and payload).
fn frame_to(rng: &mut rand_chacha::ChaCha8Rng, port: u16, len: usize) -> Vec<u8> {
    udp_frame_to(rng, HOST_IP.to_be_bytes(), port, len)
}

/// Datagrams `(socket, frame, cycles to the next)` fed to the MAC at their times while the
/// OS runs, until every thread has exited; then socket k's thread must have seen exactly
/// the datagrams sent to it, in order. `hold`, if given, is set once the MAC has taken
/// every frame and 1,000 cycles have passed.
fn deliver_in_order(
    os: &mut Os,
    traffic: &[(usize, Vec<u8>, u64)],
    seen: &[Seen],
    hold: Option<&Cell<bool>>,
) {
    let mut next = os.nic.cycle;
    let mut pending = traffic.iter().peekable();
    while !os.done() || pending.peek().is_some() {
        assert!(os.nic.cycle < 5_000_000, "the programs never finished");
        while let Some((_, f, gap)) = pending.next_if(|_| os.nic.cycle >= next) {
            os.nic.receive(f, W as usize / 8);
            next = os.nic.cycle + gap;
        }
        if pending.peek().is_none() && os.nic.frames_waiting() == 0 && os.nic.cycle > next + 1000 {
            hold.inspect(|h| h.set(true));
        }
        os.turn();
    }
    for (k, s) in seen.iter().enumerate() {
        let want: Vec<Result<Datagram, Errno>> = traffic
            .iter()
            .filter(|(j, _, _)| *j == k)
            .map(|(_, f, _)| Ok(expected(f)))
            .collect();
        assert_eq!(*s.borrow(), want, "socket {k}");
    }
}

/// Runs turns until `cond` holds (at most `limit` cycles).
fn run_until(os: &mut Os, limit: u64, what: &str, cond: impl Fn(&Os) -> bool) {
    let end = os.nic.cycle + limit;
    while !cond(os) {
        assert!(os.nic.cycle < end, "{what}: not within {limit} cycles");
        os.turn();
    }
}

/// One thread asleep in `recvfrom` on core 0: a datagram arrives, `irq[0]` rises a fixed
/// number of cycles after the record's last write beat (the write's answer moves
/// RX_TAIL), the interrupt handler's RQ_POP names the socket's slot with RX set and
/// RQ_HANDLE the socket, and the woken thread gets the datagram.
#[test]
fn wake_up_interrupt_and_ready_queue_pop() {
    let d = Nic512::new();
    let mut os = boot(&d, 4096);
    let mut rng = seed::rng("accio_os_wake");
    let (r, seen) = Receiver::new(vec![7000], vec![1]);
    let t = os.spawn(0, 0x11, 3, Box::new(r));
    run_until(&mut os, 20_000, "thread asleep", |os| os.blocked(t));
    let slot = os.slot_of(0).expect("the socket is resident");
    // Nothing runs but the NIC until the interrupt.
    let f = frame_to(&mut rng, 7000, 40);
    os.nic.receive(&f, W as usize / 8);
    let (writes, rises) = (os.nic.write_cycles.len(), os.nic.irq_rises[0].len());
    for _ in 0..200 {
        os.nic.cycle();
    }
    assert_eq!(os.nic.irq_rises[0].len(), rises + 1, "irq[0] rose once");
    assert!(os.nic.irq_rises[1].is_empty(), "irq[1] never");
    let rise = os.nic.irq_rises[0][rises];
    let first = *os.nic.first_beats.last().unwrap();
    let last_write = *os.nic.write_cycles.last().unwrap();
    // A 40-byte payload: one 64-byte record, one beat at 512 bits.
    assert_eq!(os.nic.write_cycles.len(), writes + 1);
    println!(
        "first beat in -> irq: {} cycles; record's write beat -> irq: {} cycles",
        rise - first,
        rise - last_write
    );
    assert_eq!(rise - last_write, MEM_LATENCY + 4, "record written -> irq");
    assert_eq!(rise - first, 27, "first beat in -> irq");
    os.turn();
    let want = core::RQ_POP::VALID.put(core::RQ_POP::RX.put(slot as u64, 1), 1);
    assert_eq!(
        os.log.pops[0],
        vec![(want, 1)],
        "RQ_POP word, RQ_HANDLE = fd + 1"
    );
    run_until(&mut os, 20_000, "datagram received", |os| os.done());
    assert_eq!(*seen[0].borrow(), vec![Ok(expected(&f))]);
}

/// A 256-byte ring takes four 40-byte datagrams (64-byte records); the fifth and sixth
/// are dropped: two RING_OVERFLOW events naming the slot, DROPS = 2, the thread's next
/// `recvfrom` reports the overflow, then the four, and the next datagram's record carries
/// the loss flag.
#[test]
fn ring_overflow_event_drops_and_loss_flag() {
    let d = Nic512::new();
    let mut os = boot(&d, 256);
    let mut rng = seed::rng("accio_os_overflow");
    let (r, seen) = Receiver::new(vec![7100], vec![6]);
    let go = Rc::clone(&r.go);
    go.set(false);
    os.spawn(0, 0x12, 2, Box::new(r));
    run_until(&mut os, 20_000, "socket accelerated", |os| {
        os.slot_of(0).is_some()
    });
    let slot = os.slot_of(0).unwrap();
    let frames: Vec<Vec<u8>> = (0..7).map(|_| frame_to(&mut rng, 7100, 40)).collect();
    for f in &frames[..6] {
        os.nic.receive(f, W as usize / 8);
    }
    os.nic.run(600);
    os.turn();
    let overflow = |e: &&u64| global::EVQ_POP::TYPE.get(**e) == EV_RING_OVERFLOW;
    let evs: Vec<u64> = os.log.events.iter().filter(overflow).copied().collect();
    assert_eq!(
        evs.iter()
            .map(|e| global::EVQ_POP::DATA.get(*e))
            .collect::<Vec<_>>(),
        vec![slot as u64; 2]
    );
    assert_eq!(os.kread(entry::addr(slot as u32, entry::DROPS, 0)), 2);
    // Let the thread read, then send the seventh.
    go.set(true);
    run_until(&mut os, 50_000, "five results", |_| {
        seen[0].borrow().len() == 5
    });
    os.nic.receive(&frames[6], W as usize / 8);
    run_until(&mut os, 50_000, "thread done", |os| os.done());
    let mut want: Vec<Result<Datagram, Errno>> = vec![Err(Errno::Overflow { dropped: 2 })];
    want.extend(frames[..4].iter().map(|f| Ok(expected(f))));
    want.push(Ok(Datagram {
        lost_before: true,
        ..expected(&frames[6])
    }));
    assert_eq!(*seen[0].borrow(), want);
}

/// One thread on core 1 with 17 accelerated sockets (ports 7200–7216) on the 16 slots,
/// receiving `counts[k]` datagrams on socket k; its results and its hold flag.
fn seventeen_sockets(os: &mut Os, counts: Vec<usize>) -> (Vec<Seen>, Rc<Cell<bool>>) {
    let (r, seen) = Receiver::new((7200..7217).collect(), counts);
    let go = Rc::clone(&r.go);
    os.spawn(1, 0x13, 1, Box::new(r));
    run_until(os, 100_000, "17 sockets", |os| os.log.refills.len() == 17);
    (seen, go)
}

/// 17 accelerated sockets on a 16-slot ICT: the 17th evicts the VICTIM (slot 0, socket 0:
/// the clock hand wrapped and no lookup set a USED bit). A datagram for socket 0 misses:
/// it reaches the socket through the normal path and raises ICT_MISS with its key; the
/// driver refills socket 0 into the next victim (slot 1, evicting socket 1) and the flow's
/// next datagram is written to socket 0's ring.
#[test]
fn ict_miss_refill_and_next_datagram_in_the_ring() {
    let d = Nic512::new();
    let mut os = boot(&d, 4096);
    let mut rng = seed::rng("accio_os_miss");
    let mut counts = vec![0; 17];
    counts[0] = 2;
    let (seen, _) = seventeen_sockets(&mut os, counts);
    let mut want: Vec<(usize, Option<usize>, usize)> = (0..16).map(|k| (k, None, k)).collect();
    want.push((0, Some(0), 16));
    assert_eq!(os.log.refills, want);
    assert_eq!(os.slot_of(0), None);
    let (normal, offloaded) = (
        os.kread(nic_reg("RX_NORMAL")),
        os.kread(nic_reg("RX_OFFLOADED")),
    );
    let a = frame_to(&mut rng, 7200, 100);
    os.nic.receive(&a, W as usize / 8);
    run_until(&mut os, 50_000, "refill", |os| os.log.refills.len() == 18);
    assert_eq!(os.log.refills[17], (1, Some(1), 0));
    let misses: Vec<u64> = os
        .log
        .events
        .iter()
        .filter(|e| global::EVQ_POP::TYPE.get(**e) == EV_ICT_MISS)
        .copied()
        .collect();
    assert_eq!(
        misses,
        vec![global::EVQ_POP::TYPE.put(u64::from(HOST_IP) << 16 | 7200, EV_ICT_MISS)]
    );
    assert_eq!(os.kread(nic_reg("RX_NORMAL")), normal + 1);
    let b = frame_to(&mut rng, 7200, 100);
    os.nic.receive(&b, W as usize / 8);
    os.nic.run(300);
    assert_eq!(os.kread(nic_reg("RX_OFFLOADED")), offloaded + 1);
    assert_eq!(
        os.kread(entry::addr(1, entry::RX_TAIL, 0)),
        128,
        "one record"
    );
    assert_eq!(
        os.nic.mem.read(0x10_0000_0000 + 16, 100),
        b[42..].to_vec(),
        "socket 0's ring"
    );
    run_until(&mut os, 50_000, "socket 0 read", |_| {
        seen[0].borrow().len() == 2
    });
    assert_eq!(*seen[0].borrow(), vec![Ok(expected(&a)), Ok(expected(&b))]);
}

/// The same 17 sockets, and interleaved streams of datagrams to all of them a few cycles
/// apart: every slot's USED bit is set, so each miss evicts a socket whose datagrams are
/// in flight, and refills happen while the refilled flow's datagrams still arrive. Every
/// socket gets all of its datagrams, in order (the driver's fences at work).
#[test]
fn streams_through_evictions_and_refills_stay_in_order() {
    use rand::Rng;
    let d = Nic512::new();
    let mut os = boot(&d, 65536);
    let mut rng = seed::rng("accio_os_stream");
    const SOCKETS: usize = 17;
    const EACH: usize = 12;
    let (seen, _) = seventeen_sockets(&mut os, vec![EACH; SOCKETS]);
    let frames: Vec<(usize, Vec<u8>, u64)> = (0..SOCKETS * EACH)
        .map(|k| {
            let (j, len) = (k % SOCKETS, rng.gen_range(1..=64));
            (
                j,
                frame_to(&mut rng, 7200 + j as u16, len),
                rng.gen_range(0..12),
            )
        })
        .collect();
    deliver_in_order(&mut os, &frames, &seen, None);
    let refills = os.log.refills.len() - SOCKETS;
    println!("{refills} refills after misses");
    assert!(refills > 0);
}

/// A burst at socket 0 while it is not resident (17 sockets on 16 slots), a frame every
/// few cycles: the first misses, and the refill happens while the burst arrives, so some
/// of its datagrams reach the normal path while later ones reach the ring. The thread,
/// held until the burst is in, then finds datagrams in both and gets all of them in
/// order (what the normal path took first).
#[test]
fn burst_into_a_refill_stays_in_order() {
    use rand::Rng;
    let d = Nic512::new();
    let mut os = boot(&d, 65536);
    let mut rng = seed::rng("accio_os_burst");
    const BURST: usize = 80;
    let mut counts = vec![0; 17];
    counts[0] = BURST;
    let (seen, go) = seventeen_sockets(&mut os, counts);
    go.set(false);
    let frames: Vec<(usize, Vec<u8>, u64)> = (0..BURST)
        .map(|_| {
            let len = rng.gen_range(1..=40);
            (0, frame_to(&mut rng, 7200, len), rng.gen_range(0..4))
        })
        .collect();
    let normal = os.kread(nic_reg("RX_NORMAL"));
    deliver_in_order(&mut os, &frames, &seen[..1], Some(&go));
    let normal = os.kread(nic_reg("RX_NORMAL")) - normal;
    let offloaded = os.kread(nic_reg("RX_OFFLOADED"));
    println!("{normal} through the normal path, {offloaded} through the ring");
    assert!(
        normal > 1 && offloaded > 1,
        "the refill did not split the burst"
    );
}

fn nic_reg(name: &str) -> u64 {
    sim_models::accio::host::Map::default().nic(name)
}

/// Accelerates one socket, then writes its RX_BASE in user mode (refused), then its
/// RX_HEAD (allowed).
struct Intruder {
    fd: Option<usize>,
    result: Rc<RefCell<Vec<Result<(), Errno>>>>,
}

impl Program for Intruder {
    fn step(&mut self, sys: &mut Sys) -> Step {
        let Some(fd) = self.fd else {
            let fd = sys.socket();
            sys.bind(fd, (HOST_IP, 7300)).unwrap();
            sys.accelerate(fd).unwrap();
            self.fd = Some(fd);
            return Step::Continue;
        };
        let i = sys.slot(fd).unwrap();
        let r1 = sys.user_write(i, "RX_BASE", 0xdead_0000);
        let r2 = sys.user_write(i, "RX_HEAD", 0);
        self.result.borrow_mut().extend([r1, r2]);
        Step::Exit
    }
}

/// A user write to RX_BASE through the NIC top: SLVERR, RX_BASE unchanged, one PROT_FAULT
/// event naming the entry, core, ASID, a user write and the address, delivered to the
/// thread as a fault; the thread's write of its RX_HEAD is allowed.
#[test]
fn user_write_of_rx_base_is_refused() {
    let d = Nic512::new();
    let mut os = boot(&d, 4096);
    let result = Rc::default();
    let t = os.spawn(
        1,
        0x2b1,
        1,
        Box::new(Intruder {
            fd: None,
            result: Rc::clone(&result),
        }),
    );
    run_until(&mut os, 50_000, "program done", |os| os.done());
    run_until(&mut os, 1_000, "fault delivered", |os| {
        !os.threads[t].faults.is_empty()
    });
    let slot = os.slot_of(0).unwrap() as u32;
    let addr = entry::addr(slot, entry::RX_BASE, 0);
    let res = result.borrow();
    match &res[0] {
        Err(Errno::Fault(a)) => assert_eq!(
            (a.addr, a.write, a.privileged, a.core),
            (addr, true, false, 1)
        ),
        r => panic!("RX_BASE write answered {r:?}"),
    }
    assert_eq!(res[1], Ok(()), "RX_HEAD write");
    assert_eq!(os.kread(addr), 0x10_0000_0000, "RX_BASE unchanged");
    let faults: Vec<u64> = os
        .log
        .events
        .iter()
        .filter(|e| global::EVQ_POP::TYPE.get(**e) == EV_PROT_FAULT)
        .map(|e| global::EVQ_POP::DATA.get(*e))
        .collect();
    let want = u64::from(slot) | 1 << 16 | 0x2b1 << 24 | 1 << 40 | (addr >> 3 & 0x3fff) << 42;
    assert_eq!(faults, vec![want]);
    assert_eq!(
        os.threads[t].faults,
        vec![Fault {
            entry: slot as u16,
            core: 1,
            asid: 0x2b1,
            write: true,
            privileged: false,
            addr,
        }]
    );
}

/// 20 threads on 2 cores, each in its own address space blocking in `recvfrom` on its own
/// accelerated socket: 20 sockets on 16 ICT slots. Seeded random datagrams (1 to 300
/// bytes, random gaps) to random sockets: every datagram reaches the right thread once, in
/// the order sent, through its ring or (while its socket is not resident) the normal
/// path, with misses refilled on the way; then every socket is closed.
#[test]
fn twenty_threads_on_sixteen_slots_get_every_datagram_in_order() {
    use rand::Rng;
    let d = Nic512::new();
    let mut os = boot(&d, 8192);
    let mut rng = seed::rng("accio_os_program");
    const THREADS: usize = 20;
    const DATAGRAMS: usize = 150;
    let traffic: Vec<(usize, Vec<u8>, u64)> = (0..DATAGRAMS)
        .map(|_| {
            let k = rng.gen_range(0..THREADS);
            let len = rng.gen_range(1..=300);
            let gap = rng.gen_range(0..400);
            (k, frame_to(&mut rng, 7400 + k as u16, len), gap)
        })
        .collect();
    let mut seen = Vec::new();
    for k in 0..THREADS {
        let count = traffic.iter().filter(|(j, _, _)| *j == k).count();
        let (r, s) = Receiver::new(vec![7400 + k as u16], vec![count]);
        let prio = rng.gen_range(1..4);
        os.spawn(k % 2, 0x100 + k as u16, prio, Box::new(r));
        seen.push(s.into_iter().next().unwrap());
    }
    run_until(&mut os, 200_000, "sockets set up", |os| {
        os.log.refills.len() == THREADS
    });
    deliver_in_order(&mut os, &traffic, &seen, None);
    assert!(os.log.unclaimed.is_empty(), "frames no socket claimed");
    let misses = os.log.refills.len() - THREADS;
    let pops: usize = os.log.pops.iter().map(Vec::len).sum();
    println!(
        "{DATAGRAMS} datagrams to {THREADS} threads in {} cycles: {misses} refills after ICT \
         misses, {pops} ready-queue pops, context switches {:?}",
        os.nic.cycle, os.log.switches
    );
    assert!(misses > 0, "no ICT miss: the test does not multiplex slots");
    assert!(pops > 0, "no thread was woken through the ready queue");
}

/// Spins (no system calls) until told to stop.
struct Spin(Rc<Cell<bool>>);

impl Program for Spin {
    fn step(&mut self, _: &mut Sys) -> Step {
        if self.0.get() {
            Step::Exit
        } else {
            Step::Continue
        }
    }
}

/// Priority gating on core 0: with a priority-5 thread running, a datagram for a
/// sleeping priority-2 thread raises no interrupt (IRQ_STATUS: READY, not ELIGIBLE) and
/// the thread sleeps on; one for a priority-7 thread raises `irq[0]`, and that thread
/// preempts the running one and gets its datagram while it still runs. When it stops,
/// the scheduler's RQ_POP has the priority-2 thread's entry and that thread runs.
#[test]
fn interrupts_are_gated_by_the_running_threads_priority() {
    let d = Nic512::new();
    let mut os = boot(&d, 4096);
    let mut rng = seed::rng("accio_os_prio");
    let (low, low_seen) = Receiver::new(vec![7500], vec![1]);
    let (high, high_seen) = Receiver::new(vec![7501], vec![1]);
    let l = os.spawn(0, 0x21, 2, Box::new(low));
    let h = os.spawn(0, 0x22, 7, Box::new(high));
    run_until(&mut os, 50_000, "both asleep", |os| {
        os.blocked(l) && os.blocked(h)
    });
    let stop = Rc::new(Cell::new(false));
    let spinner = os.spawn(0, 0x23, 5, Box::new(Spin(Rc::clone(&stop))));
    run_until(&mut os, 1_000, "spinner running", |os| {
        os.threads[spinner].runs == 1
    });
    let irqs = os.nic.irq_rises[0].len();
    let fl = frame_to(&mut rng, 7500, 30);
    os.nic.receive(&fl, W as usize / 8);
    for _ in 0..300 {
        os.turn();
    }
    let status = os.kread(core::addr(0, core::IRQ_STATUS, 0));
    assert_eq!(
        (
            core::IRQ_STATUS::LINE.get(status),
            core::IRQ_STATUS::READY.get(status),
            core::IRQ_STATUS::ELIGIBLE.get(status)
        ),
        (0, 1, 0),
        "ready, not eligible"
    );
    assert_eq!(os.nic.irq_rises[0].len(), irqs, "no interrupt");
    assert!(os.blocked(l), "the low thread sleeps on");
    let fh = frame_to(&mut rng, 7501, 30);
    os.nic.receive(&fh, W as usize / 8);
    run_until(&mut os, 2_000, "high thread done", |_| {
        high_seen[0].borrow().len() == 1
    });
    assert_eq!(os.nic.irq_rises[0].len(), irqs + 1, "one interrupt");
    assert_eq!(*high_seen[0].borrow(), vec![Ok(expected(&fh))]);
    assert!(
        low_seen[0].borrow().is_empty(),
        "the low thread waits for the spinner"
    );
    stop.set(true);
    run_until(&mut os, 5_000, "all done", |os| os.done());
    assert_eq!(*low_seen[0].borrow(), vec![Ok(expected(&fl))]);
}

/// Sends `payloads` on an accelerated socket connected to the peer, each `sendto`
/// repeated while it blocks.
struct Sender {
    fd: Option<usize>,
    payloads: VecDeque<Vec<u8>>,
}

impl Program for Sender {
    fn step(&mut self, sys: &mut Sys) -> Step {
        let Some(fd) = self.fd else {
            let fd = sys.socket();
            sys.bind(fd, (HOST_IP, 7600)).unwrap();
            sys.connect(fd, (PEER_IP, 9000)).unwrap();
            sys.accelerate(fd).unwrap();
            self.fd = Some(fd);
            return Step::Continue;
        };
        let Some(p) = self.payloads.front() else {
            return Step::Exit;
        };
        match sys.sendto(fd, p, None) {
            Ok(()) => {
                self.payloads.pop_front();
            }
            Err(Errno::WouldBlock) => {}
            Err(e) => panic!("sendto: {e:?}"),
        }
        Step::Continue
    }
}

/// The UDP datagram in `frame` as (source, destination, payload), read at fixed offsets
/// (Ethernet, a 20-byte IPv4 header, UDP; padding past the UDP length ignored), with its
/// MAC addresses.
fn sent(frame: &[u8]) -> ([u8; 12], Addr, Addr, Vec<u8>) {
    let be32 = |k: usize| u32::from_be_bytes(frame[k..k + 4].try_into().unwrap());
    let be16 = |k: usize| u16::from_be_bytes([frame[k], frame[k + 1]]);
    let len = be16(38) as usize - 8;
    (
        frame[..12].try_into().unwrap(),
        (be32(26), be16(34)),
        (be32(30), be16(36)),
        frame[42..42 + len].to_vec(),
    )
}

fn macs(dst: [u8; 6], src: [u8; 6]) -> [u8; 12] {
    let mut m = [0; 12];
    m[..6].copy_from_slice(&dst);
    m[6..].copy_from_slice(&src);
    m
}

/// 16 random datagrams of 900 to 1,400 bytes through a 4 KiB TX ring (two to four
/// records): the sender writes records faster than the wire takes them, so it blocks on TX space (WAIT.TX) and is woken through the ready queue
/// with RQ_POP's TX bit; the wire carries every datagram once, in order, from the
/// socket's address to the peer through the gateway.
#[test]
fn blocking_send_through_a_small_tx_ring() {
    use rand::Rng;
    let d = Nic512::new();
    let mut os = boot_with(&d, 4096, 4096);
    let mut rng = seed::rng("accio_os_send");
    let payloads: Vec<Vec<u8>> = (0..16)
        .map(|_| {
            let n = rng.gen_range(900..=1400);
            (0..n).map(|_| rng.gen()).collect()
        })
        .collect();
    os.spawn(
        1,
        0x31,
        1,
        Box::new(Sender {
            fd: None,
            payloads: payloads.iter().cloned().collect(),
        }),
    );
    run_until(&mut os, 100_000, "sender done", |os| os.done());
    os.nic.run(2000);
    let mac = cfg(0).mac;
    let want: Vec<_> = payloads
        .iter()
        .map(|p| {
            (
                macs(PEER_MAC, mac),
                (HOST_IP, 7600),
                (PEER_IP, 9000),
                p.clone(),
            )
        })
        .collect();
    let got: Vec<_> = os.nic.wire.iter().map(|f| sent(f)).collect();
    assert_eq!(got, want);
    let tx_pops = os.log.pops[1]
        .iter()
        .filter(|(v, _)| core::RQ_POP::TX.get(*v) == 1)
        .count();
    println!("{tx_pops} TX wake-ups");
    assert!(tx_pops > 0, "the sender never slept on TX space");
}

/// Echoes one datagram on a socket that is not accelerated.
struct Echo {
    fd: Option<usize>,
}

impl Program for Echo {
    fn step(&mut self, sys: &mut Sys) -> Step {
        let Some(fd) = self.fd else {
            let fd = sys.socket();
            sys.bind(fd, (HOST_IP, 7700)).unwrap();
            self.fd = Some(fd);
            return Step::Continue;
        };
        match sys.recvfrom(fd) {
            Ok(d) => {
                sys.sendto(fd, &d.data, Some(d.from)).unwrap();
                Step::Exit
            }
            Err(Errno::WouldBlock) => Step::Continue,
            Err(e) => panic!("recvfrom: {e:?}"),
        }
    }
}

/// A socket that is not accelerated: its datagram comes through the normal path
/// (RX_COMP, `np_irq`), wakes the thread, and the echo leaves through TX_POST, addressed
/// back to the sender through the gateway.
#[test]
fn normal_path_socket_echoes() {
    let d = Nic512::new();
    let mut os = boot(&d, 4096);
    let mut rng = seed::rng("accio_os_normal");
    let t = os.spawn(0, 0x41, 1, Box::new(Echo { fd: None }));
    run_until(&mut os, 10_000, "thread asleep", |os| os.blocked(t));
    let f = frame_to(&mut rng, 7700, 80);
    os.nic.receive(&f, W as usize / 8);
    run_until(&mut os, 10_000, "echo sent", |os| os.done());
    os.nic.run(300);
    let e = expected(&f);
    assert_eq!(
        os.nic.wire.iter().map(|f| sent(f)).collect::<Vec<_>>(),
        vec![(macs(PEER_MAC, cfg(0).mac), (HOST_IP, 7700), e.from, e.data)]
    );
    assert_eq!(os.kread(nic_reg("RX_NORMAL")), 1);
    assert_eq!(os.kread(nic_reg("TX_NORMAL")), 1);
}

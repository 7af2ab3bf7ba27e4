//! The Verilated Lauberhorn NIC (`lauberhorn_nic_w512`, 2 cores, 8 slots) between a Linux
//! TAP and the host of `sim_models::lauberhorn::host`, so ONC-RPC clients in the namespace
//! call the services the CPU model's cores serve on their CONTROL lines.
//!
//! Frames Linux sends are the MAC's received frames, as they arrive ([`Traffic::live`]);
//! replies (and datagrams the cores send) go back to the TAP. Frames the NIC passes on
//! (`m_axis_other`) reach no stack here: Linux needs a static ARP entry for the host.
//! Simulated time runs only while something is in flight; with no call waiting for its
//! reply and nothing from Linux for a while, the bridge stops the model and waits.

use crate::linux_tap::{Tap, HOST_IP, HOST_MAC};
use crate::models::LauberhornNicW512C2S8;
use sim_models::lauberhorn::host::{stream, Builtin, HostCfg, Role, Seen, Service, Traffic};
use sim_models::lauberhorn_pins;
use std::collections::VecDeque;
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicBool, Ordering};

/// Cycles without a frame from Linux, and none waiting for a reply, before the bridge
/// waits on the wall clock.
const IDLE_CYCLES: u64 = 2000;

/// What the bridge saw, in simulated cycles.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub cycles: u64,
    pub frames_in: u64,
    pub replies: u64,
    /// Requests the cores served.
    pub served: u64,
    /// Frames passed on (`m_axis_other`).
    pub others: u64,
    /// Per reply, from its call's last beat in to its first beat out (calls and replies
    /// paired in order: one client calling one at a time).
    pub round_trips: Vec<u64>,
    /// The GLOBAL statistics counters at the end.
    pub counters: std::collections::BTreeMap<String, u64>,
}

/// The ONC-RPC client `testbench/tap/rpc_call.py` (Python, standard library only).
pub const RPC_CLIENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tap/rpc_call.py");

/// Services on UDP `port`, version 1, any procedure: program 0x20000001 echoes its
/// arguments (process 0: core 0's user loop), 0x20000002 reverses them (process 1: no core
/// runs it, so the kernel loop serves it), 0x20000003 sums them as XDR integers (process 0).
pub fn services(port: u16) -> Vec<Service> {
    [(0, Builtin::Echo), (1, Builtin::Reverse), (0, Builtin::Sum)]
        .into_iter()
        .enumerate()
        .map(|(i, (process, handler))| Service {
            prog: 0x2000_0001 + i as u32,
            vers: 1,
            proc_: None,
            port,
            process,
            func: 0x1000 + i as u64,
            data: 0x2000 + i as u64,
            name: handler.name().to_string(),
            handler: handler.procedure(),
            ring: true,
        })
        .collect()
}

/// The host's setup: core 0 runs process 0's user loop, core 1 the kernel's dispatch loop
/// (the calls for processes no core runs); unmatched calls get RFC 5531 error replies;
/// calls too large for the lines go through the DMA fallback's rings.
pub fn host(services: Vec<Service>) -> HostCfg {
    HostCfg {
        local_ip: u32::from(Ipv4Addr::from(HOST_IP)),
        local_mac: HOST_MAC,
        timeout: 10_000,
        reject_to_other: false,
        error_replies: true,
        services,
        roles: vec![Role::User(0), Role::Kernel],
        cpu: crate::lauberhorn_check::calm_cpu(),
        rx_gaps: 0.0,
        tx_ready: 1.0,
        outstanding: 8,
        notify: None,
        dma_ring: Some(1 << 16),
        next_hop: crate::linux_tap::LINUX_MAC,
        mem_latency: 20,
        mem_stall: 0.0,
        preempt: 0.0,
        retire: 0.0,
    }
}

/// Frames from the TAP in, replies out.
struct FromTap<'a> {
    tap: &'a Tap,
    stop: &'a AtomicBool,
    ended: bool,
    /// `next_frame` calls since the last frame or reply (one per cycle while the MAC idles).
    empty: u64,
    calls_in: VecDeque<u64>,
    st: Stats,
}

impl Traffic for FromTap<'_> {
    fn next_frame(&mut self) -> Option<Vec<u8>> {
        if let Some(f) = self.tap.recv() {
            self.empty = 0;
            self.st.frames_in += 1;
            return Some(f);
        }
        self.empty += 1;
        if self.empty > IDLE_CYCLES && self.calls_in.is_empty() {
            if self.stop.load(Ordering::Relaxed) {
                self.ended = true;
            } else {
                self.tap.wait(10);
            }
        }
        None
    }

    fn unsent(&self) -> usize {
        0
    }

    fn live(&self) -> bool {
        !self.ended
    }

    fn seen(&mut self, s: Seen) {
        match s {
            Seen::CallIn(c) => self.calls_in.push_back(c),
            Seen::Reply(f, c) => {
                if let Some(t0) = self.calls_in.pop_front() {
                    self.st.round_trips.push(c - t0);
                }
                self.st.replies += 1;
                self.empty = 0;
                self.tap.send(&f).expect("Linux takes the reply");
            }
            Seen::Notification(f) => self.tap.send(&f).expect("Linux takes the datagram"),
            Seen::Other(_) => self.st.others += 1,
            Seen::Served(_) => self.st.served += 1,
            Seen::Control(_)
            | Seen::Write(_)
            | Seen::Released(..)
            | Seen::Load(_)
            | Seen::RingBell(_) => {}
        }
    }
}

/// Runs the NIC between `tap` and a host serving `services` until `stop` is set and no
/// call waits for its reply. `seed` seeds the host's timing and the NIC's reset state.
/// Panics when a core's program cannot go on or a call stalls.
pub fn run(tap: &Tap, services: Vec<Service>, stop: &AtomicBool, seed: u64) -> Stats {
    let cfg = hdl::library::small_lauberhorn_nic();
    let host = host(services);
    let d = LauberhornNicW512C2S8::with_reset_seed(crate::seed::replay_reset_seed(seed));
    let mut t = FromTap {
        tap,
        stop,
        ended: false,
        empty: 0,
        calls_in: VecDeque::new(),
        st: Stats::default(),
    };
    let end = stream(&lauberhorn_pins!(d), &cfg, &host, &mut t, seed);
    if let Some(why) = end.stop {
        panic!("the Lauberhorn host stopped: {why}");
    }
    t.st.cycles = end.cycles;
    t.st.counters = end.counters;
    t.st
}

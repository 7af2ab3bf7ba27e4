//! Lauberhorn's experiments (HotOS '25) on the Verilated `lauberhorn_nic` (2 cores, 8
//! slots, 3 AUX lines) with the host of `sim_models::lauberhorn::host`: core 0 runs process
//! 0's user dispatch loop, core 1 the kernel's; nothing random (the exact-cycle tests'
//! host, `lauberhorn_check::exact_host`), handlers that take no time. The same service on
//! a conventional NIC's normal path is the Accio NIC's `RX_COMP`/`TX_POST` path with a
//! smoltcp UDP socket answering the calls (`super::accio::smoltcp_round_trips`).

use super::{accio, Plot, Scale, Summary, Table};
use crate::accio_tap::Programs;
use crate::lauberhorn_check::{
    check, exact_host, expected_result, plain_calls, plain_spec, with_nic, HANDLERS, SERVICES,
};
use rand::Rng;
use sim_models::lauberhorn::cpu::LoadWait;
use sim_models::lauberhorn::host::{
    run as run_calls, stream, End, HostCfg, Seen, StopAnswer, Traffic,
};

/// Argument sizes that fit the CONTROL and AUX lines (process 0's reversed results too).
pub const LINE_ARGS: [usize; 4] = [8, 64, 256, 480];
/// Argument sizes past the lines: the DMA fallback's ring (and for process 0, which
/// reverses them, results as large, through the TX ring).
pub const DMA_ARGS: [usize; 3] = [600, 1000, 1400];
/// Held-load timeouts of the TRYAGAIN runs.
pub const TIMEOUTS: [u64; 2] = [500, 2000];
/// Per cycle, the probability the kernel preempts the user core (and retires the kernel
/// core) in the preemption run.
pub const STOP_RATE: f64 = 0.0005;

/// Calls to one service, one at a time, in cycles from each call's last beat in.
#[derive(Clone, Debug)]
pub struct Rpc {
    pub width: u32,
    /// The service: 0 (process 0, core 0's user endpoint) or 1 (process 1, which no core
    /// runs: the kernel endpoint).
    pub service: usize,
    pub args: usize,
    /// → its CONTROL line's last beat at the waiting core.
    pub to_line: Vec<u64>,
    /// → the reply's first beat out.
    pub to_reply: Vec<u64>,
    /// The call's first beat in → the reply's last beat out.
    pub first_to_last: Vec<u64>,
    /// A result through the TX ring: the NIC taking the TX_TAIL doorbell → the reply's
    /// first beat out (else empty).
    pub bell_to_reply: Vec<u64>,
}

/// `reps` calls with `args` bytes of arguments to service `service` at `w` bits, as the
/// exact-cycle tests make them: calls that fit the lines alternate with calls to the other
/// service (so each core waits for its next call), both services reversing their
/// arguments; calls past the lines go to the service alone: service 1 sums them (its
/// result fits the lines), service 0 reverses them (its result goes through the TX ring).
pub fn rpc(w: u32, service: usize, args: usize, reps: usize, seed: u64) -> Rpc {
    let mut rng = super::rng(seed, &format!("rpc_{w}_{service}_{args}"));
    let dma = args > 480;
    let calls = if dma {
        plain_calls(&mut rng, reps, Some(service), args)
    } else {
        plain_calls(&mut rng, 2 * reps, None, args)
    };
    let frames: Vec<Vec<u8>> = calls.iter().map(|c| c.0.clone()).collect();
    let mut h = exact_host(dma);
    if !dma {
        // The same handler on both endpoints (results as large as the arguments).
        h.services[1].name = HANDLERS[0].name().to_string();
        h.services[1].handler = HANDLERS[0].procedure();
    }
    let lh = hdl::library::small_lauberhorn_nic();
    let r = with_nic(w, Some(crate::seed::replay_reset_seed(seed)), |p| {
        run_calls(p, &lh, &h, &frames, rng.gen())
    });
    check(&h, &frames, &r);
    let beats = |f: &[u8]| f.len().div_ceil(w as usize / 8) as u64;
    let mine: Vec<usize> = (0..frames.len())
        .filter(|&k| dma || k % 2 == service)
        .collect();
    let of = |f: &dyn Fn(usize) -> u64| mine.iter().map(|&k| f(k)).collect();
    Rpc {
        width: w,
        service,
        args,
        to_line: of(&|k| r.ctrl_at[k] - r.last_in[k]),
        to_reply: of(&|k| r.first_out[k] - r.last_in[k]),
        first_to_last: of(&|k| {
            r.first_out[k] - r.last_in[k] + beats(&frames[k]) - 1 + beats(&r.replies[k]) - 1
        }),
        bell_to_reply: (0..r.ring_bells.len())
            .map(|k| r.first_out[k] - r.ring_bells[k])
            .collect(),
    }
}

/// The same calls to service 0 (its handler, its arguments) answered by smoltcp on the
/// Accio NIC's normal path: request handed to the MAC → reply's last beat out. Every
/// reply is checked: its xid, SUCCESS and the handler's result (computed apart).
pub fn normal_path(args: usize, reps: usize, seed: u64) -> Vec<u64> {
    let mut rng = super::rng(seed, &format!("rpc_np_{args}"));
    let port = SERVICES[0].3;
    let specs: Vec<_> = (0..reps).map(|_| plain_spec(rng.gen(), 0, args)).collect();
    let calls: Vec<Vec<u8>> = specs.iter().map(|s| s.message()).collect();
    let programs = Programs {
        np_rpc: Some((port, HANDLERS[0])),
        ..Programs::default()
    };
    let answers = accio::smoltcp_round_trips(&programs, port, &calls, seed);
    specs
        .iter()
        .zip(answers)
        .map(|(spec, (c, reply))| {
            let want = [
                &spec.xid.to_be_bytes()[..],
                &[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                &expected_result(HANDLERS[0], &spec.args),
            ]
            .concat();
            assert_eq!(reply, want, "smoltcp's reply to xid {:#x}", spec.xid);
            c
        })
        .collect()
}

/// No frames for a while: the cores' held loads are answered TRYAGAIN (or stopped). Keeps
/// the loads answered with TRYAGAIN.
struct Idle(u64, Vec<LoadWait>);

impl Traffic for Idle {
    fn next_frame(&mut self) -> Option<Vec<u8>> {
        self.0 = self.0.saturating_sub(1);
        None
    }

    fn live(&self) -> bool {
        self.0 > 0
    }

    fn unsent(&self) -> usize {
        0
    }

    fn seen(&mut self, s: Seen) {
        if let Seen::Load(w) = s {
            if w.tryagain {
                self.1.push(w.clone());
            }
        }
    }
}

/// The 512-bit NIC idle for `cycles` with host `h`: how the run ended and the loads
/// answered TRYAGAIN.
fn idle(h: &HostCfg, cycles: u64, seed: u64) -> (End, Vec<LoadWait>) {
    let lh = hdl::library::small_lauberhorn_nic();
    let mut t = Idle(cycles, Vec::new());
    let end = with_nic(512, Some(crate::seed::replay_reset_seed(seed)), |p| {
        stream(p, &lh, h, &mut t, seed)
    });
    assert!(end.stop.is_none(), "the idle run stopped: {:?}", end.stop);
    (end, t.1)
}

/// An idle run with held-load timeout `timeout`: per TRYAGAIN, the cycles from the NIC
/// taking the load to the answer's last beat at the core, and from one such load of a
/// core to its next.
#[derive(Clone, Debug)]
pub struct Tryagain {
    pub timeout: u64,
    pub answers: Vec<u64>,
    pub periods: Vec<u64>,
}

pub fn tryagain(timeout: u64, cycles: u64, seed: u64) -> Tryagain {
    let mut h = exact_host(false);
    h.timeout = timeout;
    let (_, loads) = idle(&h, cycles, seed);
    let mut periods = Vec::new();
    for c in 0..h.roles.len() {
        let sent: Vec<u64> = loads
            .iter()
            .filter(|l| l.core == c)
            .map(|l| l.sent)
            .collect();
        periods.extend(sent.windows(2).map(|w| w[1] - w[0]));
    }
    Tryagain {
        timeout,
        answers: loads.iter().map(|l| l.answered - l.sent).collect(),
        periods,
    }
}

/// The kernel preempting core 0 (user loop) and retiring core 1 (kernel loop) now and then
/// while they wait: per stop, cycles from the kernel's write's answer to the held load's
/// TRYAGAIN (with no message from the core in between: `idle_since_stop`), and from the
/// core's last message (`idle_since_load`).
#[derive(Clone, Debug, Default)]
pub struct Preemption {
    pub preemptions: u64,
    pub retirements: u64,
    /// (retire, idle_since_stop, idle_since_load) of each load a stop answered TRYAGAIN.
    pub answered: Vec<(bool, u64, u64)>,
}

pub fn preemption(cycles: u64, seed: u64) -> Preemption {
    let mut h = exact_host(false);
    h.timeout = 5_000;
    h.preempt = STOP_RATE;
    h.retire = STOP_RATE;
    let (end, _) = idle(&h, cycles, seed);
    Preemption {
        preemptions: end.stops.preemptions,
        retirements: end.stops.retirements,
        answered: end
            .stops
            .loads
            .iter()
            .filter(|l| {
                matches!(l.answer, StopAnswer::Tryagain { preempt, retire } if preempt || retire)
            })
            .map(|l| (l.retire, l.idle_since_stop, l.idle_since_load))
            .collect(),
    }
}

/// Every Lauberhorn figure.
#[derive(Clone, Debug)]
pub struct Figures {
    /// Through the lines and the DMA fallback, both endpoints, 512 and 64 bits.
    pub rpc: Vec<Rpc>,
    /// (args, round trips) of service 0 through smoltcp on the normal path.
    pub normal: Vec<(usize, Vec<u64>)>,
    pub tryagain: Vec<Tryagain>,
    pub preemption: Preemption,
}

/// Every experiment at `scale`, all randomness drawn from `seed`; `progress` hears
/// which one starts.
pub fn run(scale: &Scale, seed: u64, progress: &mut dyn FnMut(&str)) -> Figures {
    let mut rpc = Vec::new();
    for w in [512, 64] {
        for service in [0, 1] {
            progress(&format!(
                "lauberhorn: RPC round trips, {w} bits, service {service}"
            ));
            for args in LINE_ARGS {
                rpc.push(self::rpc(w, service, args, scale.reps, seed));
            }
        }
        progress(&format!("lauberhorn: DMA fallback, {w} bits"));
        for service in [1, 0] {
            for args in DMA_ARGS {
                rpc.push(self::rpc(w, service, args, scale.reps, seed));
            }
        }
    }
    progress("lauberhorn: the same service on the normal path (smoltcp)");
    let normal = LINE_ARGS
        .iter()
        .map(|&a| (a, normal_path(a, scale.reps, seed)))
        .collect();
    progress("lauberhorn: TRYAGAIN");
    let tryagain = TIMEOUTS
        .iter()
        .map(|&t| self::tryagain(t, scale.idle_cycles, seed))
        .collect();
    progress("lauberhorn: preemption and retirement");
    let preemption = self::preemption(scale.idle_cycles, seed);
    Figures {
        rpc,
        normal,
        tryagain,
        preemption,
    }
}

impl Figures {
    pub fn rpc_of(&self, width: u32, service: usize, args: usize) -> &Rpc {
        self.rpc
            .iter()
            .find(|r| (r.width, r.service, r.args) == (width, service, args))
            .expect("a measured configuration")
    }

    pub fn tables(&self) -> Vec<Table> {
        let endpoint = |s: usize| {
            if s == 0 {
                "user (core 0)"
            } else {
                "kernel (core 1)"
            }
        };
        let mut t = Table::new(
            "lauberhorn_rpc",
            "Lauberhorn: RPC through the CONTROL lines, user vs. kernel endpoint (cycles from the call's last beat in)",
            &["width", "endpoint", "argument bytes", "→ CONTROL line at the core", "→ reply's first beat out", "call's first beat → reply's last beat", "ns (last beat → first beat)"],
        );
        for r in self.rpc.iter().filter(|r| r.args <= 480) {
            let reply = Summary::of(&r.to_reply);
            t.row(vec![
                r.width.to_string(),
                endpoint(r.service).into(),
                r.args.to_string(),
                Summary::of(&r.to_line).cycles(),
                reply.cycles(),
                Summary::of(&r.first_to_last).cycles(),
                reply.ns(),
            ]);
        }
        t.notes.push(
            "Both endpoints reverse their arguments (results as large); zero-work handlers, nothing random but the calls' xids and padding; one call at a \
             time, alternating between the endpoints as in tests/lauberhorn_nic.rs, whose exact \
             cycles the 8-byte rows are. The kernel endpoint's software (switching to the process) takes no \
             simulated time here. Paper: no cycle figures (Figure 2 compares ECI and PCIe \
             round trips on Enzian)."
                .into(),
        );
        let mut tables = vec![t];

        let mut t = Table::new(
            "lauberhorn_vs_normal",
            "Lauberhorn: the same RPC service through the CONTROL lines vs. a conventional NIC's normal path (smoltcp), 512 bits, cycles",
            &["argument bytes", "Lauberhorn, user endpoint (first beat in → last beat out)", "normal path: Accio RX_COMP/TX_POST + smoltcp (handed to the MAC → last beat out)"],
        );
        for (a, np) in &self.normal {
            t.row(vec![
                a.to_string(),
                Summary::of(&self.rpc_of(512, 0, *a).first_to_last).cycles(),
                Summary::of(np).cycles(),
            ]);
        }
        t.notes.push(
            "Both with software taking no simulated time: the difference is the data path \
             (descriptor rings, DMA, MMIO polls of RX_COMP and the bridge's poll rotation vs. \
             cache lines handed to a waiting core)."
                .into(),
        );
        tables.push(t);

        let mut t = Table::new(
            "lauberhorn_tryagain",
            "Lauberhorn: TRYAGAIN of held loads (idle NIC, both cores waiting, 512 bits)",
            &[
                "timeout (cycles)",
                "TRYAGAINs",
                "NIC takes the held load → TRYAGAIN at the core",
                "README: timeout + 6 + beats − 1",
                "one core's loads, cycles apart",
            ],
        );
        for x in &self.tryagain {
            t.row(vec![
                x.timeout.to_string(),
                x.answers.len().to_string(),
                Summary::of(&x.answers).cycles(),
                (x.timeout + 7).to_string(),
                Summary::of(&x.periods).cycles(),
            ]);
        }
        t.notes.push(
            "The period adds the CPU model's time to issue the next load. Paper: TRYAGAIN \
             after 15 ms (3.75 M cycles at 250 MHz) to stay under the coherence protocol's \
             timeout."
                .into(),
        );
        tables.push(t);

        let p = &self.preemption;
        let mut t = Table::new(
            "lauberhorn_preemption",
            "Lauberhorn: preemption and retirement of waiting cores (kernel's CORE.PREEMPT write → the held load's TRYAGAIN)",
            &["stop", "stops", "TRYAGAINs they caused", "from the write's answer (idle link cycles)", "from the core's last message (idle link cycles)"],
        );
        for (retire, what, n) in [
            (false, "PREEMPT (user core 0)", p.preemptions),
            (true, "RETIRE (kernel core 1)", p.retirements),
        ] {
            let of = |f: &dyn Fn(&(bool, u64, u64)) -> u64| {
                Summary::of(
                    &p.answered
                        .iter()
                        .filter(|a| a.0 == retire)
                        .map(f)
                        .collect::<Vec<_>>(),
                )
                .cycles()
            };
            let count = p.answered.iter().filter(|a| a.0 == retire).count();
            t.row(vec![
                what.into(),
                n.to_string(),
                count.to_string(),
                of(&|a| a.1),
                of(&|a| a.2),
            ]);
        }
        t.notes.push(format!(
            "The kernel stops each core with probability {STOP_RATE} per cycle while it waits \
             (timeout 5,000; only the loads a stop answered count). Bound asserted by \
             tests/lauberhorn_nic.rs: 6 + beats − 1 = 7 idle link cycles."
        ));
        tables.push(t);

        let mut t = Table::new(
            "lauberhorn_dma",
            "Lauberhorn: large arguments through the DMA fallback's RX ring, large results through the TX ring (host memory answering 20 cycles after a burst)",
            &["width", "argument bytes", "result", "→ KIND_DMA CONTROL line", "→ reply's first beat out", "ns (→ reply)", "TX_TAIL doorbell → reply's first beat"],
        );
        for r in self.rpc.iter().filter(|r| r.args > 480) {
            let reply = Summary::of(&r.to_reply);
            let (result, bell) = if r.bell_to_reply.is_empty() {
                (
                    "4 bytes (sum, lines; kernel endpoint)".to_string(),
                    "–".into(),
                )
            } else {
                (
                    format!("{} bytes (reversed, TX ring; user endpoint)", r.args),
                    Summary::of(&r.bell_to_reply).cycles(),
                )
            };
            t.row(vec![
                r.width.to_string(),
                r.args.to_string(),
                result,
                Summary::of(&r.to_line).cycles(),
                reply.cycles(),
                reply.ns(),
                bell,
            ]);
        }
        t.notes.push(
            "Paper: DMA pays off past about 4 KiB on Enzian; here frames end at 1,514 bytes."
                .into(),
        );
        tables.push(t);
        tables
    }

    pub fn plots(&self) -> Vec<Plot> {
        let pts = |f: &dyn Fn(usize) -> Vec<u64>| {
            self.normal
                .iter()
                .map(|(a, _)| (*a as f64, Summary::of(&f(*a)).median as f64))
                .collect()
        };
        vec![Plot {
            name: "lauberhorn_vs_normal".into(),
            title: "RPC round trip on the host, 512 bits (median)".into(),
            x_label: "argument bytes".into(),
            y_label: "cycles at 250 MHz".into(),
            series: vec![
                (
                    "Lauberhorn, user endpoint".into(),
                    pts(&|a| self.rpc_of(512, 0, a).first_to_last.clone()),
                ),
                (
                    "Lauberhorn, kernel endpoint".into(),
                    pts(&|a| self.rpc_of(512, 1, a).first_to_last.clone()),
                ),
                (
                    "normal path + smoltcp".into(),
                    pts(&|a| {
                        self.normal
                            .iter()
                            .find(|n| n.0 == a)
                            .map(|n| n.1.clone())
                            .unwrap_or_default()
                    }),
                ),
            ],
        }]
    }
}

//! The whole `lauberhorn_nic` (2 cores, 8 slots, 3 AUX lines) at 64 and 512 bits: a kernel
//! sets it up over AXI4-Lite with the generated register constants (addresses, timeout,
//! two services, core 0 in process 0's user loop, core 1 in the kernel's dispatch loop),
//! `sim::lauberhorn::cpu` cores serve the requests on the coherence link, and the MAC sends
//! ONC-RPC calls mixed with other traffic.
//!
//! Checked: every call is answered exactly once, to its caller, with its xid and the
//! handler's result, in a frame whose checksums verify; process 0's calls are served by
//! core 0 on its user endpoint, process 1's (which no core runs) by core 1 on its kernel
//! endpoint; every other frame leaves on `m_axis_other` unchanged; the statistics agree.
//! With nothing random, the exact cycles from a call's last beat to the CONTROL line at
//! the waiting core, and to the reply's first beat.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim::axil::{Access, AxilMaster};
use sim::axis::{beats_to_frame, frame_to_beats, Beat};
use sim::lauberhorn::cpu::{Cpu, CpuCfg, Request};
use sim::net::classify;
use sim::prelude::*;
use sim::traces::{rpc_call_frame, RpcCallSpec};
use sim::{axil_master_no_user, coh_ports};
use std::collections::{BTreeMap, VecDeque};
use testbench::lauberhorn_regs::{core, global, service, MODE_KERNEL, MODE_USER};
use testbench::models::{LauberhornNicW512C2S8, LauberhornNicW64C2S8};
use testbench::seed;

const LOCAL_IP: [u8; 4] = [10, 1, 0, 1];
const LOCAL_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
const TIMEOUT: u64 = 500;
/// (program, version, procedure, port, process).
const SERVICES: [(u32, u32, u32, u16, u64); 2] =
    [(0x2000_0001, 1, 1, 4000, 0), (0x2000_0002, 1, 3, 5000, 1)];

/// The handlers: the arguments reversed, then the procedure's core as one byte.
fn handler() -> sim::lauberhorn::cpu::Handler {
    Box::new(|_core, r: &Request| {
        let mut out: Vec<u8> = r.args.iter().rev().copied().collect();
        out.push(r.control[24]); // the process (descriptor word 3, low byte)
        (out, 0)
    })
}

struct Run {
    /// Calls: (frame, xid, process, args).
    calls: Vec<(Vec<u8>, u32, u64, Vec<u8>)>,
    others: Vec<Vec<u8>>,
    gaps: f64,
    /// Calls in flight (sent, not yet answered) before the next frame may start.
    outstanding: usize,
    cpu: CpuCfg,
    tx_ready: f64,
}

#[derive(Default)]
struct Seen {
    replies: Vec<Vec<u8>>,
    others: Vec<Vec<u8>>,
    /// Per call in order: cycle of its last beat in, of its CONTROL line at the core, and
    /// of its reply's first beat out.
    last_in: Vec<u64>,
    ctrl_at: Vec<u64>,
    first_out: Vec<u64>,
    served: Vec<Vec<sim::lauberhorn::cpu::Served>>,
    counts: BTreeMap<&'static str, u64>,
}

macro_rules! nic_run {
    ($d:expr, $run:expr, $rng:expr) => {{
        let d = &$d;
        let run: &Run = $run;
        let rng: &mut ChaCha8Rng = $rng;
        let axil = axil_master_no_user!(d.s_axil);
        let coh = coh_ports!(d);
        let rx = sim::axis_in!(d.s_axis_rx);
        let tx = sim::axis_out!(d.m_axis_tx);
        let other = sim::axis_out!(d.m_axis_other);
        let mut mmio = AxilMaster::new(ChaCha8Rng::seed_from_u64(rng.gen()));
        let mut cpu = Cpu::new(
            run.cpu.clone(),
            handler(),
            ChaCha8Rng::seed_from_u64(rng.gen()),
        );
        d.rst.set_bit(0, true);
        rx.idle();
        d.tick().unwrap();
        d.rst.set_bit(0, false);
        // The kernel's setup.
        let g = |r| global::addr(0, r, 0);
        let mut setup = vec![
            (g(global::LOCAL_IP), u64::from(u32::from_be_bytes(LOCAL_IP))),
            (
                g(global::LOCAL_MAC),
                LOCAL_MAC.iter().fold(0, |a, b| a << 8 | u64::from(*b)),
            ),
            (g(global::TIMEOUT), TIMEOUT),
            (core::addr(0, core::SCHED, 0), MODE_USER),
            (core::addr(1, core::SCHED, 0), MODE_KERNEL),
        ];
        for (i, (prog, vers, proc_, port, process)) in SERVICES.iter().enumerate() {
            let i = i as u32;
            setup.push((
                service::addr(i, service::MATCH, 0),
                u64::from(*prog) << 32 | u64::from(*vers),
            ));
            setup.push((service::addr(i, service::FUNC, 0), 0x1000 + u64::from(i)));
            setup.push((service::addr(i, service::DATA, 0), 0x2000 + u64::from(i)));
            setup.push((service::addr(i, service::PROCESS, 0), *process));
            setup.push((
                service::addr(i, service::SELECT, 0),
                u64::from(*proc_) << 32 | u64::from(*port) << 16 | 1,
            ));
        }
        for (a, v) in &setup {
            mmio.push(Access::write(*a, *v, true, 0));
        }
        // Core 1 starts in the kernel's dispatch loop.
        cpu.interrupt(1);
        let mut beats: VecDeque<(Beat, Option<usize>)> = VecDeque::new();
        // Interleave the calls and the other frames, keeping each list's own order.
        let mut mixed: Vec<(Vec<u8>, Option<usize>)> = Vec::new();
        let (mut oi, mut ci) = (0, 0);
        while oi < run.others.len() || ci < run.calls.len() {
            let take_call = ci < run.calls.len() && (oi == run.others.len() || rng.gen_bool(0.6));
            if take_call {
                mixed.push((run.calls[ci].0.clone(), Some(ci)));
                ci += 1;
            } else {
                mixed.push((run.others[oi].clone(), None));
                oi += 1;
            }
        }
        let lanes = rx.lanes();
        for (f, k) in &mixed {
            let bs = frame_to_beats(f, lanes, 0);
            let n = bs.len();
            for (i, b) in bs.into_iter().enumerate() {
                beats.push_back((b, if i + 1 == n { *k } else { None }));
            }
        }
        let mut seen = Seen {
            last_in: vec![0; run.calls.len()],
            ..Seen::default()
        };
        let (mut txb, mut ob): (Vec<Beat>, Vec<Beat>) = (Vec::new(), Vec::new());
        let mut started = false;
        let mut cycle = 0u64;
        let mut setup_done = false;
        let (mut ctrl_beat, mut ctrl_req) = (0u32, false);
        let mut tail = 200;
        let mut sent = 0usize; // calls whose last beat went in
        let mut at_boundary = true;
        while tail > 0 {
            let finished = beats.is_empty()
                && seen.replies.len() == run.calls.len()
                && seen.others.len() == run.others.len();
            if finished {
                tail -= 1;
            }
            cycle += 1;
            assert!(
                cycle < 3_000_000,
                "stuck: {} of {} replies",
                seen.replies.len(),
                run.calls.len()
            );
            if cpu.interrupted(1) && !started {
                cpu.resume(1, hdl::lauberhorn::coherence::KERNEL);
                started = true;
            }
            // A new frame starts only while few calls wait for their reply, so the slots
            // and the queues (4 per process) never run out.
            let room = !at_boundary || sent - seen.replies.len() < run.outstanding;
            let beat = if setup_done && room && !rng.gen_bool(run.gaps) {
                beats.front().cloned()
            } else {
                None
            };
            match &beat {
                Some((b, _)) => rx.drive(&b.with_unkept(rng.gen())),
                None => rx.idle(),
            }
            tx.set_ready(rng.gen_bool(run.tx_ready));
            other.set_ready(rng.gen_bool(run.tx_ready));
            mmio.drive(&axil);
            cpu.drive(&coh);
            d.eval().unwrap();
            if let Some((b, k)) = beat {
                beats.pop_front();
                at_boundary = b.last;
                if let Some(k) = k {
                    seen.last_in[k] = cycle;
                    sent += 1;
                }
            }
            if tx.fires() {
                let b = tx.beat();
                if txb.is_empty() {
                    seen.first_out.push(cycle);
                }
                let last = b.last;
                txb.push(b);
                if last {
                    seen.replies.push(beats_to_frame(&txb));
                    txb.clear();
                }
            }
            if other.fires() {
                let b = other.beat();
                let last = b.last;
                ob.push(b);
                if last {
                    seen.others.push(beats_to_frame(&ob));
                    ob.clear();
                }
            }
            let (_, done) = mmio.sample(&axil);
            if let Some(c) = done {
                assert_eq!(c.resp, 0, "register access {:?}", c.access);
            }
            if mmio.idle() {
                setup_done = true;
            }
            // A CONTROL line carrying a request, as it reaches its core.
            if coh.n2c_valid.bit(0) && coh.n2c_ready.get_bits(0, 1) == 1 {
                let line = coh.n2c_line.get_bits(0, 25);
                if ctrl_beat == 0 && coh.n2c_op.get_bits(0, 3) == 0 && line % 32 < 2 {
                    ctrl_req = coh.n2c_data.get_bits(0, 1) == 1;
                }
                ctrl_beat += 1;
                if coh.n2c_last.bit(0) {
                    if ctrl_req {
                        seen.ctrl_at.push(cycle);
                    }
                    ctrl_beat = 0;
                    ctrl_req = false;
                }
            }
            cpu.sample(&coh);
            d.tick().unwrap();
        }
        // The statistics, read back.
        for (name, reg) in [
            ("calls", global::CALLS),
            ("replies", global::REPLIES),
            ("other", global::OTHER),
            ("bad_results", global::BAD_RESULTS),
            ("violations", global::VIOLATIONS),
        ] {
            mmio.push(Access::read(g(reg), true, 0));
            loop {
                mmio.drive(&axil);
                d.eval().unwrap();
                let (_, done) = mmio.sample(&axil);
                d.tick().unwrap();
                if let Some(c) = done {
                    seen.counts.insert(name, c.data);
                    break;
                }
            }
        }
        assert_eq!(cpu.errors, 0, "no error answers on the link");
        seen.served = (0..2).map(|c| cpu.served(c).to_vec()).collect();
        seen
    }};
}

fn calls(rng: &mut ChaCha8Rng, n: usize, max_args: usize) -> Vec<(Vec<u8>, u32, u64, Vec<u8>)> {
    (0..n)
        .map(|_| {
            let s = SERVICES[rng.gen_range(0..2)];
            let args: Vec<u8> = (0..rng.gen_range(0..=max_args))
                .map(|_| rng.gen())
                .collect();
            let spec = RpcCallSpec {
                xid: rng.gen(),
                prog: s.0,
                vers: s.1,
                proc_: s.2,
                cred: (1, (0..rng.gen_range(0..3) * 4).map(|_| rng.gen()).collect()),
                verf: (0, vec![]),
                args: args.clone(),
                dst_ip: LOCAL_IP,
                dst_port: s.3,
            };
            (rpc_call_frame(rng, &spec), spec.xid, s.4, args)
        })
        .collect()
}

/// Every call answered once, correctly, by the core the scheduling state says.
fn check(run: &Run, seen: &Seen) {
    assert_eq!(seen.replies.len(), run.calls.len(), "one reply per call");
    let mut by_xid: BTreeMap<u32, &Vec<u8>> = BTreeMap::new();
    for r in &seen.replies {
        let m = classify(r, false);
        assert!(
            m.offload,
            "the reply is a clean UDP/IPv4 datagram with valid checksums"
        );
        assert_eq!(m.src_ip, u32::from_be_bytes(LOCAL_IP));
        let xid = u32::from_be_bytes(r[42..46].try_into().unwrap());
        assert!(
            by_xid.insert(xid, r).is_none(),
            "xid {xid:#x} answered twice"
        );
    }
    for (f, xid, process, args) in &run.calls {
        let r = by_xid
            .get(xid)
            .unwrap_or_else(|| panic!("xid {xid:#x} answered"));
        assert_eq!(&r[0..6], &f[6..12], "to the caller's MAC");
        assert_eq!(&r[30..34], &f[26..30], "to the caller's IP");
        assert_eq!(&r[34..36], &f[36..38], "from the service port");
        assert_eq!(&r[36..38], &f[34..36], "to the caller's port");
        let words: Vec<u32> = (0..6)
            .map(|k| u32::from_be_bytes(r[42 + 4 * k..46 + 4 * k].try_into().unwrap()))
            .collect();
        assert_eq!(
            words,
            vec![*xid, 1, 0, 0, 0, 0],
            "an accepted reply, SUCCESS, AUTH_NONE verifier"
        );
        let ul = u16::from_be_bytes([r[38], r[39]]) as usize;
        let mut want: Vec<u8> = args.iter().rev().copied().collect();
        want.push(*process as u8);
        assert_eq!(
            &r[66..34 + ul],
            &want[..],
            "xid {xid:#x}: the handler's result"
        );
    }
    // Dispatch follows the scheduling state.
    for (c, list) in seen.served.iter().enumerate() {
        for s in list {
            let process = s.request.control[24];
            assert_eq!(
                (c, s.endpoint),
                if process == 0 { (0, 0) } else { (1, 1) },
                "process {process} on core {c}"
            );
        }
    }
    assert_eq!(
        seen.served.iter().map(Vec::len).sum::<usize>(),
        run.calls.len()
    );
    assert_eq!(seen.others, run.others, "other frames unchanged, in order");
    assert_eq!(seen.counts["calls"], run.calls.len() as u64);
    assert_eq!(seen.counts["replies"], run.calls.len() as u64);
    assert_eq!(seen.counts["other"], run.others.len() as u64);
    assert_eq!(
        (seen.counts["bad_results"], seen.counts["violations"]),
        (0, 0)
    );
}

fn random_run(name: &str, w: u32) {
    let mut rng = seed::rng(name);
    let others = (0..40)
        .map(|_| {
            let n = rng.gen_range(0..300);
            sim::traces::udp_frame(&mut rng, n)
        })
        .collect();
    let run = Run {
        calls: calls(&mut rng, 150, 480),
        others,
        gaps: 0.5,
        outstanding: 4,
        cpu: CpuCfg {
            cores: 2,
            coh_width: 512,
            aux_lines: 3,
            evict: 0.02,
            n2c_ready: 0.7,
            c2n_gaps: 0.2,
            inv_delay: 10,
            work: 40,
        },
        tx_ready: 0.7,
    };
    let seen = if w == 64 {
        let d = LauberhornNicW64C2S8::new();
        nic_run!(d, &run, &mut rng)
    } else {
        let d = LauberhornNicW512C2S8::new();
        nic_run!(d, &run, &mut rng)
    };
    check(&run, &seen);
    let kernel = seen.served[1].len();
    println!(
        "{name}: {} calls answered ({kernel} through core 1's kernel endpoint), {} other frames, counters {:?}",
        seen.replies.len(),
        seen.others.len(),
        seen.counts
    );
}

#[test]
fn rpc_calls_answered_with_evictions_w512() {
    random_run("lauberhorn_nic_w512", 512);
}

#[test]
fn rpc_calls_answered_with_evictions_w64() {
    random_run("lauberhorn_nic_w64", 64);
}

/// Exact cycles, with nothing random (every ready always high, no evictions, handlers that
/// take no time) and one call at a time with 8 bytes of arguments: from a call's last beat
/// on the MAC to the last beat of its CONTROL line at the waiting core, and to the first
/// beat of its reply.
#[test]
fn exact_cycles_call_to_control_line_and_reply() {
    for (w, to_line, to_reply) in [(512u32, 21u64, 56u64), (64, 29, 64)] {
        let mut rng = seed::rng("lauberhorn_nic_exact");
        let mut c = calls(&mut rng, 12, 0);
        for call in &mut c {
            // Same shape for every call: 8 bytes of arguments, no credential body.
            let s = SERVICES[(call.2) as usize];
            let spec = RpcCallSpec {
                xid: call.1,
                prog: s.0,
                vers: s.1,
                proc_: s.2,
                cred: (0, vec![]),
                verf: (0, vec![]),
                args: vec![7; 8],
                dst_ip: LOCAL_IP,
                dst_port: s.3,
            };
            *call = (rpc_call_frame(&mut rng, &spec), call.1, call.2, vec![7; 8]);
        }
        let run = Run {
            calls: c,
            others: vec![],
            gaps: 0.0,
            outstanding: 1,
            cpu: CpuCfg {
                cores: 2,
                coh_width: 512,
                aux_lines: 3,
                evict: 0.0,
                n2c_ready: 1.0,
                c2n_gaps: 0.0,
                inv_delay: 0,
                work: 0,
            },
            tx_ready: 1.0,
        };
        let seen = if w == 64 {
            let d = LauberhornNicW64C2S8::new();
            nic_run!(d, &run, &mut rng)
        } else {
            let d = LauberhornNicW512C2S8::new();
            nic_run!(d, &run, &mut rng)
        };
        check(&run, &seen);
        let line: Vec<u64> = (0..12).map(|k| seen.ctrl_at[k] - seen.last_in[k]).collect();
        let reply: Vec<u64> = (0..12)
            .map(|k| seen.first_out[k] - seen.last_in[k])
            .collect();
        println!("w{w}: last beat in -> CONTROL line at the core {line:?}, -> first reply beat {reply:?}");
        assert!(line.iter().all(|&c| c == to_line), "w{w}: {line:?}");
        assert!(reply.iter().all(|&c| c == to_reply), "w{w}: {reply:?}");
    }
}

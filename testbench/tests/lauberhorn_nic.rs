//! The whole `lauberhorn_nic` (2 cores, 8 slots, 3 AUX lines) at 64 and 512 bits: a kernel
//! sets it up over AXI4-Lite with the generated register constants (addresses, timeout,
//! two services, core 0 in process 0's user loop, core 1 in the kernel's dispatch loop),
//! `sim_models::lauberhorn::cpu` cores serve the requests on the coherence link, and the MAC sends
//! ONC-RPC calls mixed with other traffic.
//!
//! Checked, in every run, against each frame's fate as `sim_models::lauberhorn::rx_fate`
//! works it out from the RFC decoders and the services the test configured (not from the
//! RTL): the replies are exactly the fates' (xid, caller, service port, accept_stat, and
//! the handler's result, computed apart from the cores' handlers, or PROG_MISMATCH's
//! version range), each once, in frames whose checksums verify; the frames passed on on
//! `m_axis_other` are exactly the fates', unchanged and in order; every counter but
//! TRYAGAINS is what the fates add up to. Process 0's calls are served by core 0 on its
//! user endpoint, process 1's (which no core runs) by core 1 on its kernel endpoint. In the
//! random runs (one with error replies, half its calls unmatched or malformed) every
//! request also sends exactly one notification through its core's TX lines, from its
//! process's port (CORE.TX_PORT for the user core), with the xid and the result, and DMA
//! calls, results through the TX ring, TRYAGAINs, evictions, the kernel endpoint's service
//! (and each RFC 5531 error) must each have happened. The golden runs also keep their
//! insta snapshots as records. With nothing random, the exact cycles from a call's last
//! beat to the CONTROL line at the waiting core, and to the reply's first beat, and from a
//! TX ring's doorbell to its reply's first beat. Results too large for the lines are also
//! decoded apart (etherparse, RFC 5531), and a TX record too long to send is dropped and
//! counted without losing anything else.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sim_models::lauberhorn::cpu::CpuCfg;
use sim_models::lauberhorn::host::{run, try_run, HostCfg, Report, StopAnswer};
use sim_models::lauberhorn::rx_fate::{kind, Kind};
use sim_models::net::accept_stat;
use sim_models::traces::{rpc_call_frame, RpcCallSpec, RpcDefect};
use std::collections::BTreeMap;
use testbench::lauberhorn_check::{
    answer_of, busy_cpu, call, calm_cpu, check, exact_host, golden_dissection, golden_host, host,
    notification_problem, plain_calls, unmatched_call, with_nic, xid_of, Call, LOCAL_IP, NOTIFY,
    SERVICES,
};
use testbench::seed;

fn nic(w: u32, h: &HostCfg, frames: &[Vec<u8>], seed: u64) -> Report {
    let lh = hdl::library::small_lauberhorn_nic();
    with_nic(w, None, |p| run(p, &lh, h, frames, seed))
}

/// One notification per call, from the core's TX lines: to NOTIFY, from the process's
/// port, the xid and the (reversed) arguments as far as they fit; checksums valid.
fn check_notifications(h: &HostCfg, calls: &[Call], r: &Report) {
    assert_eq!(
        r.notifications.len(),
        calls.len(),
        "one notification per call"
    );
    let notes = by_xid(&r.notifications, "notified");
    for c in calls {
        let f = notes
            .get(&c.1)
            .unwrap_or_else(|| panic!("xid {:#x} notified", c.1));
        if let Some(why) = notification_problem(h, c, f) {
            panic!("{why}");
        }
    }
    assert_eq!(
        (r.counters["SENT"], r.counters["TX_DROPPED"]),
        (calls.len() as u64, 0)
    );
}

/// Frames keyed by the xid at UDP payload byte 0, each once.
fn by_xid<'a>(frames: &'a [Vec<u8>], what: &str) -> BTreeMap<u32, &'a Vec<u8>> {
    let mut out = BTreeMap::new();
    for f in frames {
        let xid = xid_of(f).expect("an xid");
        assert!(out.insert(xid, f).is_none(), "xid {xid:#x} {what} twice");
    }
    out
}

/// `n` random frames: a fifth other datagrams; of the rest, a share `bad` calls no entry of
/// `h` matches ([`unmatched_call`]) or broken at the RPC layer, the others calls to
/// [`SERVICES`] with up to 700 bytes of arguments (the calls past the lines' 480 go
/// through the DMA fallback's rings; with those, a tenth are calls to process 0 past the
/// lines, whose results go out through the TX ring).
fn traffic(rng: &mut ChaCha8Rng, h: &HostCfg, n: usize, bad: f64) -> Vec<Vec<u8>> {
    (0..n)
        .map(|_| {
            let xid = rng.gen();
            if rng.gen_bool(0.2) {
                let n = rng.gen_range(0..300);
                sim_models::traces::udp_frame(rng, n)
            } else if h.dma_ring.is_some() && rng.gen_bool(0.1) {
                // Process 0's result as large as its arguments: through the TX ring.
                let n = rng.gen_range(481..=700);
                testbench::lauberhorn_check::call_to(rng, xid, 0, n).0
            } else if !rng.gen_bool(bad) {
                call(rng, xid, 700).0
            } else if rng.gen_bool(0.8) {
                unmatched_call(rng, xid, h, 700)
            } else {
                let mut f = call(rng, xid, 100).0;
                RpcDefect::ALL[rng.gen_range(0..RpcDefect::ALL.len())].apply(&mut f);
                f
            }
        })
        .collect()
}

/// The whole NIC under random traffic, evictions, gaps and back-pressure, with
/// notifications and the DMA fallback: every frame's fate and every notification
/// asserted, and that DMA calls, TRYAGAINs, evictions and the kernel endpoint's service
/// all happened.
fn random_run(name: &str, w: u32, h: &HostCfg, bad: f64) {
    let mut rng = seed::rng(name);
    let frames = traffic(&mut rng, h, 190, bad);
    let r = nic(w, h, &frames, rng.gen());
    let served = check(h, &frames, &r);
    check_notifications(h, &served, &r);
    check_stops(h, &r);
    let n = |k: &str| r.counters[k];
    let answered = |stat: u32| {
        let has = |rf: &Vec<u8>| answer_of(h, rf).is_ok_and(|a| a.accept_stat == stat);
        r.replies.iter().filter(|rf| has(rf)).count() as u64
    };
    let mut covered = vec![
        ("DMA calls", n("DMA_CALLS")),
        ("results through the TX ring", n("RING_REPLIES")),
        ("TRYAGAINs", n("TRYAGAINS")),
        ("evictions", r.evictions),
        ("preemptions", r.stops.preemptions),
        ("retirements", r.stops.retirements),
        (
            "requests on core 1's kernel endpoint",
            r.served[1].len() as u64,
        ),
    ];
    if h.error_replies {
        covered.extend([
            ("PROG_UNAVAIL", answered(accept_stat::PROG_UNAVAIL)),
            ("PROG_MISMATCH", answered(accept_stat::PROG_MISMATCH)),
            ("PROC_UNAVAIL", answered(accept_stat::PROC_UNAVAIL)),
            ("malformed calls", n("MALFORMED")),
        ]);
    }
    for (what, count) in covered {
        assert!(count > 0, "{name}: no {what}");
    }
    println!(
        "{name}: {} replies ({} errors, {} DMA calls, {} through core 1's kernel endpoint), \
         {} other frames, {} TRYAGAINs ({} preemptions, {} retirements, {} loads of stopped \
         cores), {} evictions in {} cycles",
        r.replies.len(),
        n("ERROR_REPLIES"),
        n("DMA_CALLS"),
        r.served[1].len(),
        r.others.len(),
        n("TRYAGAINS"),
        r.stops.preemptions,
        r.stops.retirements,
        r.stops.loads.len(),
        r.evictions,
        r.cycles
    );
}

/// The host of the random runs: busy cores, gaps and back-pressure, notifications, rings
/// of a few records (they wrap, and the kernel must give the space back).
fn random_host() -> HostCfg {
    let mut h = host(busy_cpu(), 0.5, 0.7, 4);
    h.notify = Some(NOTIFY);
    h.dma_ring = Some(4096);
    h.preempt = 0.002;
    h.retire = 0.002;
    h
}

/// The kernel's preemptions and retirements, judged by their semantics (README, "the
/// endpoints"): `irq` is high exactly while REQ is set; every load a stopped core had
/// outstanding, but an acknowledging one (which first collects the lines), is answered
/// within `6 + beats - 1` cycles in which the link offers nothing (the README's figure for
/// a held load's TRYAGAIN once it is due; the link's back-pressure and other messages do
/// not count), counted from the stop or the core's last message (the load, or an answer to
/// an INV the NIC waits for), whichever is later: so never by the timeout; a TRYAGAIN carries the stop's flag and a stopped
/// core gets no new request, unless the NIC took the load before the stop and answered it
/// within that bound (a race the stop may lose).
fn check_stops(h: &HostCfg, r: &Report) {
    let st = &r.stops;
    let bad = &st.irq_mismatches;
    assert!(
        bad.is_empty(),
        "irq is not REQ in {} cycles, the first (core, cycle): {:?}",
        bad.len(),
        &bad[..bad.len().min(8)]
    );
    let bound = 6 + u64::from(1024 / h.cpu.coh_width) - 1;
    for l in &st.loads {
        let raced = !l.after_stop && l.idle_since_stop <= bound;
        let ok = match l.answer {
            StopAnswer::Tryagain { preempt, retire } => {
                raced || (preempt, retire) == (!l.retire, l.retire)
            }
            StopAnswer::Request => raced,
            StopAnswer::Data => true,
        };
        assert!(ok, "a stopped core's load: {l:?}");
        assert!(
            l.acknowledges || l.idle_since_load <= bound,
            "a stopped core's load answered late: {l:?}"
        );
    }
}

/// [`random_host`] with error replies, and a version 3 of process 0's program on its port
/// (so PROG_MISMATCH names a range: 1 to 3).
fn error_host() -> HostCfg {
    let mut h = random_host();
    h.error_replies = true;
    let mut v3 = h.services[0].clone();
    v3.vers = 3;
    h.services.push(v3);
    h
}

#[test]
fn rpc_calls_answered_with_evictions_w512() {
    random_run("lauberhorn_nic_w512", 512, &random_host(), 0.0);
}

#[test]
fn rpc_calls_answered_with_evictions_w64() {
    random_run("lauberhorn_nic_w64", 64, &random_host(), 0.0);
}

/// Half the calls unmatched (unknown programs, another port's program, versions and
/// procedures the port lacks) or malformed, with error replies on: each answered with
/// its RFC 5531 error, or dropped.
#[test]
fn rpc_error_replies_random_w512() {
    random_run("lauberhorn_nic_errors_w512", 512, &error_host(), 0.5);
}

#[test]
fn rpc_error_replies_random_w64() {
    random_run("lauberhorn_nic_errors_w64", 64, &error_host(), 0.5);
}

/// Volume: `runs` traces of `calls` frames each (the mix of `sim_models::traces::rpc_mix`: 90%
/// calls with up to 400 bytes of arguments, the rest malformed), with 1% random evictions
/// per core and cycle. Every call answered once and correctly, every malformed frame
/// counted, and not one protocol violation or error answer on the coherence link: the
/// CPU model follows the protocol, so any would be the NIC's fault.
fn volume_run(name: &str, w: u32, runs: usize, calls: usize) {
    let mut rng = seed::rng(name);
    let services: Vec<_> = SERVICES.iter().map(|s| (s.0, s.1, s.2, s.3)).collect();
    for run in 0..runs {
        let mix = sim_models::traces::rpc_mix(&mut rng, calls, &services, LOCAL_IP, 400);
        let frames: Vec<Vec<u8>> = mix.iter().map(|f| f.bytes.clone()).collect();
        let h = host(calm_cpu(), 0.0, 1.0, 4);
        let r = nic(w, &h, &frames, rng.gen());
        let served = check(&h, &frames, &r);
        // The fates agree with what the generator made.
        let calls = mix.iter().filter(|f| f.call.is_some()).count();
        assert_eq!(
            (served.len(), r.counters["MALFORMED"]),
            (calls, (frames.len() - calls) as u64),
            "every call served, every malformed frame counted"
        );
        println!(
            "{name} run {run}: {} calls answered, {} malformed frames dropped, {} TRYAGAINs, \
             0 violations in {} cycles",
            r.replies.len(),
            frames.len() - calls,
            r.counters["TRYAGAINS"],
            r.cycles
        );
    }
}

#[test]
fn volume_without_violations_w512() {
    volume_run("lauberhorn_nic_volume_w512", 512, 3, 20_000);
}

#[test]
fn volume_without_violations_w64() {
    volume_run("lauberhorn_nic_volume_w64", 64, 3, 20_000);
}

/// With nothing random (every ready always high, no evictions, handlers that take no time,
/// host memory without stalls) and one call at a time: for each call, the cycles from its
/// last beat on the MAC to the last beat of its CONTROL line at the waiting core, and to
/// the first beat of its reply. Every value must be `to_line` and `to_reply`.
fn exact(
    name: &str,
    calls: &dyn Fn(&mut ChaCha8Rng) -> Vec<Call>,
    dma: bool,
    want: [(u32, u64, u64); 2],
) {
    for (w, to_line, to_reply) in want {
        let mut rng = seed::rng(name);
        let c = calls(&mut rng);
        let frames: Vec<Vec<u8>> = c.iter().map(|x| x.0.clone()).collect();
        let h = exact_host(dma);
        let r = nic(w, &h, &frames, rng.gen());
        check(&h, &frames, &r);
        let n = c.len();
        let line: Vec<u64> = (0..n).map(|k| r.ctrl_at[k] - r.last_in[k]).collect();
        let reply: Vec<u64> = (0..n).map(|k| r.first_out[k] - r.last_in[k]).collect();
        println!("{name} w{w}: last beat in -> CONTROL line at the core {line:?}, -> first reply beat {reply:?}");
        assert!(line.iter().all(|&x| x == to_line), "w{w}: {line:?}");
        assert!(reply.iter().all(|&x| x == to_reply), "w{w}: {reply:?}");
    }
}

/// Exact cycles of a call with 8 bytes of arguments.
#[test]
fn exact_cycles_call_to_control_line_and_reply() {
    exact(
        "lauberhorn_nic_exact",
        &|rng| plain_calls(rng, 12, None, 8),
        false,
        [(512, 22, 60), (64, 30, 67)],
    );
}

/// Exact cycles of the DMA fallback: a call with 600 bytes of arguments through an ICT
/// ring, host memory answering each write burst 20 cycles after its last beat, to its
/// KIND_DMA CONTROL line and its reply.
#[test]
fn exact_cycles_of_a_dma_call() {
    exact(
        "lauberhorn_nic_dma_exact",
        &|rng| plain_calls(rng, 6, Some(1), 600),
        true,
        [(512, 88, 125), (64, 233, 269)],
    );
}

/// The reply `rf` decoded on its own terms (etherparse for the frame, RFC 5531 read word
/// by word): the UDP payload's xid, accept_stat and results, if it is an accepted reply
/// with an AUTH_NONE verifier in an IPv4/UDP frame from `h`'s addresses to `to`.
fn rfc5531_reply(h: &HostCfg, rf: &[u8], to: ([u8; 6], u32, u16)) -> Option<(u32, u32, Vec<u8>)> {
    use etherparse::{LinkSlice, NetSlice, SlicedPacket, TransportSlice};
    let p = SlicedPacket::from_ethernet(rf).ok()?;
    let Some(LinkSlice::Ethernet2(eth)) = &p.link else {
        return None;
    };
    let Some(NetSlice::Ipv4(ip)) = &p.net else {
        return None;
    };
    let Some(TransportSlice::Udp(udp)) = &p.transport else {
        return None;
    };
    let from = (eth.source(), ip.header().source(), udp.source_port());
    let dest = (
        eth.destination(),
        ip.header().destination(),
        udp.destination_port(),
    );
    let want_from = (h.local_mac, h.local_ip.to_be_bytes(), udp.source_port());
    let want_to = (to.0, to.1.to_be_bytes(), to.2);
    if from != want_from || dest != want_to {
        return None;
    }
    let m = udp.payload();
    let w = |k: usize| u32::from_be_bytes(m[4 * k..4 * k + 4].try_into().unwrap());
    // xid, REPLY (1), MSG_ACCEPTED (0), AUTH_NONE (0) with an empty body, accept_stat.
    (m.len() >= 24 && (w(1), w(2), w(3), w(4)) == (1, 0, 0, 0))
        .then(|| (w(0), w(5), m[24..].to_vec()))
}

/// Calls to process 0 (which reverses its arguments) with `sizes` bytes of arguments, each
/// too large for the lines (so it comes through the RX ring and its result goes out
/// through the TX ring), between calls that fit.
fn large_result_calls(rng: &mut ChaCha8Rng, sizes: &[usize]) -> Vec<Call> {
    sizes
        .iter()
        .flat_map(|&n| {
            let small = rng.gen_range(0..100);
            let x = rng.gen();
            [
                testbench::lauberhorn_check::call_to(rng, x, 0, n),
                testbench::lauberhorn_check::call_to(rng, x ^ 1, 1, small),
            ]
        })
        .collect()
}

/// Results of 0.5, 1 and 1.4 KB (more than the lines' 488 bytes) go out through process
/// 0's TX ring, at both widths, with random gaps, back-pressure, evictions and host-memory
/// stalls: every frame's fate as usual (RING_REPLIES counts them, REPLIES does not), and
/// each large reply decoded apart (etherparse, RFC 5531) to the caller's IP and port at
/// the next hop's MAC, its results the reversed arguments byte for byte.
#[test]
fn large_results_through_the_tx_ring() {
    for w in [512, 64] {
        let mut rng = seed::rng("lauberhorn_nic_large_results");
        let calls = large_result_calls(&mut rng, &[512, 1024, 1400, 700, 489, 1200]);
        let frames: Vec<Vec<u8>> = calls.iter().map(|c| c.0.clone()).collect();
        let mut h = host(busy_cpu(), 0.3, 0.8, 3);
        h.dma_ring = Some(1 << 16);
        let r = nic(w, &h, &frames, rng.gen());
        check(&h, &frames, &r);
        let replies = by_xid(&r.replies, "replied");
        for c in calls.iter().filter(|c| c.3.len() > 480) {
            let m = sim_models::net::classify(&c.0, false);
            let to = (testbench::lauberhorn_check::NEXT_HOP, m.src_ip, m.src_port);
            let rf = replies[&c.1];
            let want: Vec<u8> = c.3.iter().rev().copied().collect();
            assert_eq!(
                rfc5531_reply(&h, rf, to),
                Some((c.1, accept_stat::SUCCESS, want)),
                "w{w}: xid {:#x}: {rf:02x?}",
                c.1
            );
        }
        assert_eq!(r.counters["RING_REPLIES"], 6, "w{w}");
        assert_eq!(r.ring_bells.len(), 6, "w{w}");
    }
}

/// Exact cycles of a result too large for the lines: a call with 1000 bytes of arguments
/// through the RX ring, its 1000-byte result through the TX ring; from the cycle the NIC
/// takes the TX_TAIL doorbell (address and data) to the reply's first beat, host memory
/// answering each read 20 cycles later.
#[test]
fn exact_cycles_of_a_large_result() {
    for (w, want) in [(512, 63u64), (64, 175)] {
        let mut rng = seed::rng("lauberhorn_nic_large_result_exact");
        let c = plain_calls(&mut rng, 4, Some(0), 1000);
        let frames: Vec<Vec<u8>> = c.iter().map(|x| x.0.clone()).collect();
        let h = exact_host(true);
        let r = nic(w, &h, &frames, rng.gen());
        check(&h, &frames, &r);
        let bell: Vec<u64> = (0..c.len())
            .map(|k| r.first_out[k] - r.ring_bells[k])
            .collect();
        println!(
            "lauberhorn_nic_large_result_exact w{w}: TX_TAIL doorbell -> first reply beat {bell:?}"
        );
        assert!(bell.iter().all(|&x| x == want), "w{w}: {bell:?}");
    }
}

/// A reply the TX ring engine cannot send: process 0's procedure pads the result of a
/// 900-byte call to 1460 bytes, so its record's payload (1484 bytes with the reply header)
/// is longer than the engine's largest (1472). The record is dropped and counted
/// (RING_DROPPED), its slot freed like any answered through the ring (RING_REPLIES);
/// every other call, large or small, is answered as usual (the run ends when nothing has
/// moved for a while, the host still waiting for that reply).
#[test]
fn a_ring_record_too_long_is_dropped_and_counted() {
    for w in [512, 64] {
        let mut rng = seed::rng("lauberhorn_nic_ring_too_long");
        let calls = large_result_calls(&mut rng, &[600, 900, 1000]);
        let frames: Vec<Vec<u8>> = calls.iter().map(|c| c.0.clone()).collect();
        let mut h = host(busy_cpu(), 0.3, 0.8, 3);
        h.dma_ring = Some(1 << 16);
        h.services[0].handler = std::sync::Arc::new(|args: &[u8]| {
            let mut r: Vec<u8> = args.iter().rev().copied().collect();
            if args.len() == 900 {
                r.resize(1460, 0);
            }
            r
        });
        // The host waits for every reply the fates call for, so the run ends stalled.
        let lh = hdl::library::small_lauberhorn_nic();
        let seed = rng.gen();
        let failed = with_nic(w, None, |p| try_run(p, &lh, &h, &frames, seed))
            .expect_err("one call is never answered");
        assert!(
            failed.why.starts_with("no progress"),
            "w{w}: {}",
            failed.why
        );
        let r = *failed.report;
        let replies = by_xid(&r.replies, "replied");
        for c in &calls {
            let rf = replies.get(&c.1);
            match c.3.len() {
                900 => assert!(rf.is_none(), "w{w}: xid {:#x} answered", c.1),
                n if n > 480 => {
                    let m = sim_models::net::classify(&c.0, false);
                    let to = (testbench::lauberhorn_check::NEXT_HOP, m.src_ip, m.src_port);
                    let want: Vec<u8> = c.3.iter().rev().copied().collect();
                    let rf = rf.unwrap_or_else(|| panic!("w{w}: xid {:#x} answered", c.1));
                    assert_eq!(
                        rfc5531_reply(&h, rf, to),
                        Some((c.1, accept_stat::SUCCESS, want))
                    );
                }
                _ => {
                    let rf = rf.unwrap_or_else(|| panic!("w{w}: xid {:#x} answered", c.1));
                    assert_eq!(testbench::lauberhorn_check::reply_problem(&h, c, rf), None);
                }
            }
        }
        let n = |k: &str| r.counters[k];
        assert_eq!(
            (
                n("RING_DROPPED"),
                n("RING_REPLIES"),
                n("REPLIES"),
                r.replies.len()
            ),
            (1, 3, 3, 5),
            "w{w}"
        );
    }
}

/// The DMA fallback without a ring for process 0's port: its too-large calls find no
/// accelerated ICT entry and are dropped (DMA_DROPPED, their slots freed), process 1's go
/// through its ring; every other call is answered as usual.
#[test]
fn too_large_calls_without_a_ring_are_dropped_and_counted() {
    let mut rng = seed::rng("lauberhorn_nic_dma_drop");
    let all: Vec<Call> = (0..60)
        .map(|k| {
            let s = SERVICES[k % 2];
            let n = if k % 3 == 0 {
                600
            } else {
                rng.gen_range(0..200)
            };
            let args: Vec<u8> = (0..n).map(|_| rng.gen()).collect();
            let spec = RpcCallSpec {
                xid: rng.gen(),
                prog: s.0,
                vers: s.1,
                proc_: s.2,
                cred: (0, vec![]),
                verf: (0, vec![]),
                args: args.clone(),
                dst_ip: LOCAL_IP,
                dst_port: s.3,
            };
            (rpc_call_frame(&mut rng, &spec), spec.xid, s.4, args)
        })
        .collect();
    let frames: Vec<Vec<u8>> = all.iter().map(|x| x.0.clone()).collect();
    let cpu = CpuCfg {
        cores: 2,
        coh_width: 512,
        aux_lines: 3,
        evict: 0.02,
        n2c_ready: 0.8,
        c2n_gaps: 0.1,
        inv_delay: 5,
        work: 10,
    };
    let mut h = host(cpu, 0.3, 0.8, 4);
    h.dma_ring = Some(1 << 20);
    h.services[0].ring = false;
    let r = nic(512, &h, &frames, rng.gen());
    check(&h, &frames, &r);
    // The fates agree with how the calls were made.
    let big = |c: &&Call| c.3.len() > 480;
    let dropped = all.iter().filter(big).filter(|c| c.2 == 0).count() as u64;
    let through_ring = all.iter().filter(big).count() as u64 - dropped;
    assert_eq!(
        (r.counters["DMA_CALLS"], r.counters["DMA_DROPPED"]),
        (through_ring, dropped)
    );
    assert!(through_ring > 5 && dropped > 5);
}

fn trace_path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("traces")
        .join(name)
}

/// The committed golden RPC trace is exactly what `sim_models::traces::rpc_golden` generates
/// (`UPDATE_TRACES=1` rewrites it).
#[test]
fn golden_rpc_trace_is_up_to_date() {
    let frames: Vec<Vec<u8>> = sim_models::traces::rpc_golden()
        .into_iter()
        .map(|f| f.bytes)
        .collect();
    let want = sim_models::pcap::to_bytes(&frames).unwrap();
    let path = trace_path("rpc_golden.pcap");
    if std::env::var_os("UPDATE_TRACES").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read(&path).unwrap_or_default();
    assert!(have == want, "rpc_golden.pcap differs from the generator: UPDATE_TRACES=1 cargo test -p testbench --test lauberhorn_nic");
}

/// The fate model takes each frame of the golden trace for what `rpc_golden` names it
/// (written by hand from the names and [`RPC_GOLDEN_SERVICES`](sim_models::traces::RPC_GOLDEN_SERVICES):
/// one version per program, so PROG_MISMATCH names 1 to 1).
fn golden_kind_agrees(what: &str, k: &Kind) -> bool {
    use accept_stat::{PROC_UNAVAIL, PROG_MISMATCH, PROG_UNAVAIL};
    match k {
        Kind::Call { fits: true, .. } => what.starts_with("call,"),
        Kind::Call { fits: false, .. } => what.starts_with("too large"),
        Kind::Malformed => what.starts_with("malformed"),
        Kind::NotRpc => what.starts_with("for another address") || what.starts_with("plain UDP"),
        Kind::Unmatched { stat, mismatch } => {
            let want = match what {
                "unmatched: version 9" => (PROG_MISMATCH, Some((1, 1))),
                "unmatched: procedure 8" => (PROC_UNAVAIL, None),
                "unmatched: a program the port does not have" => (PROG_UNAVAIL, None),
                _ => return false,
            };
            (*stat, *mismatch) == want
        }
    }
}

/// The golden trace through the whole NIC at 64 and 512 bits, deterministically: the
/// replies on the wire (an insta pcap snapshot, `lauberhorn_nic__rpc_golden_replies.snap.pcap`,
/// and a dissection), the CONTROL lines the cores observed, and the frames passed on.
/// Both widths give the same.
#[test]
fn golden_rpc_replies_and_control_lines() {
    golden("rpc_golden", false, false);
}

/// The same with CTRL.ERROR_REPLIES: the trace's unmatched calls are answered too
/// (`rpc_golden_error_replies`).
#[test]
fn golden_rpc_error_replies() {
    golden("rpc_golden_error_replies", true, false);
}

/// The same with CTRL.DMA_FALLBACK: the trace's call too large for the lines goes through
/// an ICT ring and is answered; its CONTROL line is a KIND_DMA descriptor
/// (`rpc_golden_dma`).
#[test]
fn golden_rpc_dma_fallback() {
    golden("rpc_golden_dma", false, true);
}

fn golden(name: &str, error_replies: bool, dma: bool) {
    let frames = sim_models::pcap::read(&trace_path("rpc_golden.pcap")).unwrap();
    let what: Vec<String> = sim_models::traces::rpc_golden()
        .into_iter()
        .map(|f| f.what)
        .collect();
    let mut texts = Vec::new();
    let mut pcaps = Vec::new();
    for w in [512, 64] {
        let h = golden_host(error_replies, dma);
        for (f, what) in frames.iter().zip(&what) {
            let k = kind(f, &h, &hdl::library::small_lauberhorn_nic().lauberhorn);
            assert!(golden_kind_agrees(what, &k), "frame \"{what}\": {k:?}");
        }
        let r = nic(w, &h, &frames, 1);
        check(&h, &frames, &r);
        let t = golden_dissection(&frames, &what, &r);
        texts.push(t);
        pcaps.push(r.replies);
    }
    assert_eq!(texts[0], texts[1], "64 and 512 bits agree");
    assert_eq!(pcaps[0], pcaps[1]);
    insta::assert_snapshot!(format!("{name}_dissection"), texts[0]);
    insta::assert_binary_snapshot!(
        &format!("{name}_replies.pcap"),
        sim_models::pcap::to_bytes(&pcaps[0]).unwrap()
    );
}

/// The calls of `rpc_large_results.pcap`: to process 0 (which reverses its arguments) with
/// 600, 1,000 and 1,400 bytes, each answered through the TX ring, between calls that fit
/// the lines; from a fixed seed.
fn large_result_trace() -> Vec<Vec<u8>> {
    use rand::SeedableRng;
    let mut rng = ChaCha8Rng::seed_from_u64(15);
    large_result_calls(&mut rng, &[600, 1000, 1400])
        .into_iter()
        .map(|c| c.0)
        .collect()
}

/// The committed trace is exactly what [`large_result_trace`] makes (`UPDATE_TRACES=1`
/// rewrites it).
#[test]
fn golden_large_results_trace_is_up_to_date() {
    let want = sim_models::pcap::to_bytes(&large_result_trace()).unwrap();
    let path = trace_path("rpc_large_results.pcap");
    if std::env::var_os("UPDATE_TRACES").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read(&path).unwrap_or_default();
    assert!(have == want, "rpc_large_results.pcap differs from the generator: UPDATE_TRACES=1 cargo test -p testbench --test lauberhorn_nic");
}

/// `rpc_large_results.pcap` through the whole NIC at 64 and 512 bits with the exact-cycle
/// host (nothing random, the DMA fallback's rings): every fate checked, the replies (an
/// insta pcap snapshot, `lauberhorn_nic__rpc_large_results_replies.snap.pcap`) and the
/// dissection (replies, CONTROL lines, counters) the same at both widths.
#[test]
fn golden_large_results() {
    let frames = sim_models::pcap::read(&trace_path("rpc_large_results.pcap")).unwrap();
    let what: Vec<String> = frames.iter().map(|_| "call".to_string()).collect();
    let mut texts = Vec::new();
    let mut pcaps = Vec::new();
    for w in [512, 64] {
        let h = exact_host(true);
        let r = nic(w, &h, &frames, 1);
        check(&h, &frames, &r);
        assert_eq!(r.counters["RING_REPLIES"], 3);
        texts.push(golden_dissection(&frames, &what, &r));
        pcaps.push(r.replies);
    }
    assert_eq!(texts[0], texts[1], "64 and 512 bits agree");
    assert_eq!(pcaps[0], pcaps[1]);
    insta::assert_snapshot!("rpc_large_results_dissection", texts[0]);
    insta::assert_binary_snapshot!(
        "rpc_large_results_replies.pcap",
        sim_models::pcap::to_bytes(&pcaps[0]).unwrap()
    );
}

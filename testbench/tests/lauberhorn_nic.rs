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
//! calls, TRYAGAINs, evictions, the kernel endpoint's service (and each RFC 5531 error)
//! must each have happened. The golden runs also keep their insta snapshots as records.
//! With nothing random, the exact cycles from a call's last beat to the CONTROL line at
//! the waiting core, and to the reply's first beat.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sim_models::lauberhorn::cpu::CpuCfg;
use sim_models::lauberhorn::host::{run, HostCfg, Report, StopAnswer};
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
/// through the DMA fallback's rings).
fn traffic(rng: &mut ChaCha8Rng, h: &HostCfg, n: usize, bad: f64) -> Vec<Vec<u8>> {
    (0..n)
        .map(|_| {
            let xid = rng.gen();
            if rng.gen_bool(0.2) {
                let n = rng.gen_range(0..300);
                sim_models::traces::udp_frame(rng, n)
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
        [(512, 22, 59), (64, 30, 66)],
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
        [(512, 88, 124), (64, 233, 268)],
    );
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

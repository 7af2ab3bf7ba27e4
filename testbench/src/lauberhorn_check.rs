//! The whole Lauberhorn NIC's set-up, calls and per-frame checks, shared by its tests
//! (`tests/lauberhorn_nic.rs`) and its soak (`soak::lauberhorn`).

use crate::models::{LauberhornNicW512C2S8, LauberhornNicW64C2S8};
use hdl::config::LauberhornConfig;
use hdl::lauberhorn::coherence::{ctrl, KERNEL, USER};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sim_models::lauberhorn::cpu::{CpuCfg, Served};
use sim_models::lauberhorn::host::{
    service_of, tx_port, Builtin, HostCfg, NicPins, Notify, Report, Role, Service,
};
use sim_models::lauberhorn::rx_fate::{counters, fate, Fate, Kind, Way};
use sim_models::lauberhorn_pins;
use sim_models::net::{accept_stat, classify, rpc_call, rpc_reply};
use sim_models::traces::{rpc_call_frame, RpcCallSpec};

pub const LOCAL_IP: [u8; 4] = [10, 1, 0, 1];
pub const LOCAL_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
pub const NOTIFY: Notify = Notify {
    mac: [0x02, 0, 0, 0, 0, 0x99],
    ip: 0x0a01_0063,
    port: 9999,
};
/// The next hop the TX rings' frames go to (their entries' REMOTE_MAC).
pub const NEXT_HOP: [u8; 6] = [0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x01];
/// (program, version, procedure, port, process).
pub const SERVICES: [(u32, u32, u32, u16, u32); 2] =
    [(0x2000_0001, 1, 1, 4000, 0), (0x2000_0002, 1, 3, 5000, 1)];

/// The services' handlers, by process: process 0's reverses its arguments (results past
/// the lines go out through the TX ring, for calls that came through the DMA fallback),
/// process 1's sums them.
pub const HANDLERS: [Builtin; 2] = [Builtin::Reverse, Builtin::Sum];

/// The CPU of the volume runs and the TAP bridge: two cores evicting 1 % of cycles, a
/// link with light back-pressure and gaps, handlers working up to 20 cycles.
pub fn calm_cpu() -> CpuCfg {
    CpuCfg {
        cores: 2,
        coh_width: 512,
        aux_lines: 3,
        evict: 0.01,
        n2c_ready: 0.9,
        c2n_gaps: 0.1,
        inv_delay: 8,
        work: 20,
    }
}

/// The CPU of the random whole-NIC runs: two cores that evict now and then, a coherence
/// link with back-pressure and gaps, invalidations answered late, handlers that work.
pub fn busy_cpu() -> CpuCfg {
    CpuCfg {
        cores: 2,
        coh_width: 512,
        aux_lines: 3,
        evict: 0.02,
        n2c_ready: 0.7,
        c2n_gaps: 0.2,
        inv_delay: 10,
        work: 40,
    }
}

/// Core 0 runs process 0's user loop, core 1 the kernel's dispatch loop; the services of
/// [`SERVICES`] registered with [`HANDLERS`].
pub fn host(cpu: CpuCfg, rx_gaps: f64, tx_ready: f64, outstanding: usize) -> HostCfg {
    let mut h = HostCfg {
        local_ip: u32::from_be_bytes(LOCAL_IP),
        local_mac: LOCAL_MAC,
        timeout: 500,
        reject_to_other: false,
        error_replies: false,
        services: Vec::new(),
        roles: vec![Role::User(0), Role::Kernel],
        cpu,
        rx_gaps,
        tx_ready,
        outstanding,
        notify: None,
        dma_ring: None,
        next_hop: NEXT_HOP,
        mem_latency: 20,
        mem_stall: 0.1,
        preempt: 0.0,
        retire: 0.0,
    };
    for s in SERVICES {
        let b = HANDLERS[s.4 as usize];
        h.register(
            (s.0, s.1, Some(s.2)),
            s.3,
            s.4,
            (b.name(), move |a| b.apply(a)),
        );
    }
    h
}

/// The CPU of the exact-cycle and golden runs: nothing random (the link always ready, no
/// gaps, no evictions, invalidations answered at once), handlers that take no time.
pub fn exact_cpu() -> CpuCfg {
    CpuCfg {
        cores: 2,
        coh_width: 512,
        aux_lines: 3,
        evict: 0.0,
        n2c_ready: 1.0,
        c2n_gaps: 0.0,
        inv_delay: 0,
        work: 0,
    }
}

/// The host of the exact-cycle runs: [`exact_cpu`], every ready always high, host memory
/// without stalls, one call at a time; with `dma`, the DMA fallback's rings of 1 MiB.
pub fn exact_host(dma: bool) -> HostCfg {
    let mut h = host(exact_cpu(), 0.0, 1.0, 1);
    h.dma_ring = dma.then_some(1 << 20);
    h.mem_stall = 0.0;
    h
}

/// `n` calls, to each service of [`SERVICES`] in turn (or all to `service`), with `args`
/// bytes of arguments (all 7) and no credential.
pub fn plain_calls(
    rng: &mut ChaCha8Rng,
    n: usize,
    service: Option<usize>,
    args: usize,
) -> Vec<Call> {
    (0..n)
        .map(|k| {
            let s = SERVICES[service.unwrap_or(k % 2)];
            let spec = plain_spec(rng.gen(), service.unwrap_or(k % 2), args);
            (rpc_call_frame(rng, &spec), spec.xid, s.4, spec.args)
        })
        .collect()
}

/// The call of [`plain_calls`] to service `svc`, before it becomes a frame.
pub fn plain_spec(xid: u32, svc: usize, args: usize) -> RpcCallSpec {
    let s = SERVICES[svc];
    RpcCallSpec {
        xid,
        prog: s.0,
        vers: s.1,
        proc_: s.2,
        cred: (0, vec![]),
        verf: (0, vec![]),
        args: vec![7; args],
        dst_ip: LOCAL_IP,
        dst_port: s.3,
    }
}

/// `f` on the pins of a new whole Lauberhorn NIC of the tests (2 cores, 8 slots) at `w`
/// bits (64 or 512), its registers' initial state from `reset_seed` (random and printed
/// without one).
pub fn with_nic<R>(w: u32, reset_seed: Option<u32>, f: impl FnOnce(&NicPins) -> R) -> R {
    if w == 64 {
        let d = reset_seed.map_or_else(LauberhornNicW64C2S8::new, |s| {
            LauberhornNicW64C2S8::with_reset_seed(s)
        });
        f(&lauberhorn_pins!(d))
    } else {
        let d = reset_seed.map_or_else(LauberhornNicW512C2S8::new, |s| {
            LauberhornNicW512C2S8::with_reset_seed(s)
        });
        f(&lauberhorn_pins!(d))
    }
}

/// A call: (frame, xid, process, args).
pub type Call = (Vec<u8>, u32, u32, Vec<u8>);

/// A call with id `xid` to a random service: up to `max_args` bytes of arguments (480 for
/// process 0, whose reversed result stays in the lines: the random runs keep it there), a random credential.
pub fn call(rng: &mut ChaCha8Rng, xid: u32, max_args: usize) -> Call {
    let svc = rng.gen_range(0..2);
    let max = if SERVICES[svc].4 == 0 {
        max_args.min(480)
    } else {
        max_args
    };
    let n = rng.gen_range(0..=max);
    call_to(rng, xid, svc, n)
}

/// A call with id `xid` to service `svc` of [`SERVICES`] with `n` random bytes of
/// arguments and a random credential.
pub fn call_to(rng: &mut ChaCha8Rng, xid: u32, svc: usize, n: usize) -> Call {
    let spec = spec_to(rng, xid, svc, n);
    (rpc_call_frame(rng, &spec), xid, SERVICES[svc].4, spec.args)
}

/// The call of [`call_to`], before it becomes a frame.
fn spec_to(rng: &mut ChaCha8Rng, xid: u32, svc: usize, n: usize) -> RpcCallSpec {
    RpcCallSpec {
        cred: (1, (0..rng.gen_range(0..3) * 4).map(|_| rng.gen()).collect()),
        args: (0..n).map(|_| rng.gen()).collect(),
        ..plain_spec(xid, svc, 0)
    }
}

/// A call with id `xid` to a port of [`SERVICES`] that no entry of `host` matches, up to
/// `max_args` bytes of arguments: a program unknown everywhere, the other port's program,
/// a version of the port's program the port does not have, or a procedure it does not.
pub fn unmatched_call(rng: &mut ChaCha8Rng, xid: u32, h: &HostCfg, max_args: usize) -> Vec<u8> {
    loop {
        let svc = rng.gen_range(0..SERVICES.len());
        let n = rng.gen_range(0..=max_args);
        let mut spec = spec_to(rng, xid, svc, n);
        match rng.gen_range(0..4) {
            0 => spec.prog = rng.gen_range(0x3000_0000..0x4000_0000),
            1 => spec.prog = SERVICES[1 - svc].0,
            2 => spec.vers = rng.gen_range(0..8),
            _ => spec.proc_ = rng.gen_range(0..8),
        }
        let (p, v, pr, port) = (spec.prog, spec.vers, spec.proc_, spec.dst_port);
        if service_of(&h.services, p, v, pr, port).is_none() {
            return rpc_call_frame(rng, &spec);
        }
    }
}

/// The xid at UDP payload byte 0 of a reply or notification.
pub fn xid_of(f: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(f.get(42..46)?.try_into().ok()?))
}

/// A reply as RFC 5531 reads it, and where it goes: what the tests compare replies by.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Answer {
    pub xid: u32,
    /// The caller's MAC, IP address and port.
    pub to: ([u8; 6], u32, u16),
    /// The service port it comes from.
    pub from_port: u16,
    pub accept_stat: u32,
    /// What follows `accept_stat`: the handler's result (SUCCESS), the lowest and highest
    /// version (PROG_MISMATCH's `mismatch_info`), or nothing.
    pub body: Vec<u8>,
}

impl Answer {
    /// The reply the call `frame` must get: to its sender, from the port it was sent to.
    pub fn to_call(frame: &[u8], accept_stat: u32, body: Vec<u8>) -> Answer {
        let m = classify(frame, false);
        Answer {
            xid: rpc_call(frame).xid,
            to: (
                frame[6..12].try_into().expect("a source MAC"),
                m.src_ip,
                m.src_port,
            ),
            from_port: m.dst_port,
            accept_stat,
            body,
        }
    }
}

/// The reply `rf` as an [`Answer`], or what makes it no reply from the NIC `h`: a clean
/// UDP/IPv4 datagram whose checksums verify, from LOCAL_MAC and LOCAL_IP, an accepted
/// RFC 5531 reply with an AUTH_NONE verifier.
pub fn answer_of(h: &HostCfg, rf: &[u8]) -> Result<Answer, String> {
    let m = classify(rf, false);
    let r = rpc_reply(rf);
    let problem = if !m.offload {
        "not a clean datagram with valid checksums"
    } else if (m.src_ip, &rf[6..12]) != (h.local_ip, &h.local_mac[..]) {
        "not from the NIC's addresses"
    } else if r
        .as_ref()
        .is_none_or(|r| r.verf_flavor != 0 || !r.verf_body.is_empty())
    {
        "not an accepted reply with an AUTH_NONE verifier"
    } else {
        let r = r.expect("a reply");
        return Ok(Answer {
            xid: r.xid,
            to: (rf[0..6].try_into().expect("a MAC"), m.dst_ip, m.dst_port),
            from_port: m.src_port,
            accept_stat: r.accept_stat,
            body: r.body,
        });
    };
    Err(format!("{problem}: {rf:02x?}"))
}

/// The built-in a service of the tests runs, by its name.
pub fn builtin_of(s: &Service) -> Builtin {
    Builtin::from_name(&s.name).unwrap_or_else(|| panic!("{s:?} runs a built-in"))
}

/// The result a built-in handler must return for `args`, written apart from
/// [`Builtin::apply`] (which the cores run), so a wrong handler shows.
pub fn expected_result(handler: Builtin, args: &[u8]) -> Vec<u8> {
    match handler {
        Builtin::Echo => args.to_vec(),
        Builtin::Reverse => {
            let mut r = args.to_vec();
            r.reverse();
            r
        }
        Builtin::Sum => {
            // XDR integers, big-endian; a short tail counts as zero-padded.
            let mut words = args.to_vec();
            words.resize(args.len().div_ceil(4) * 4, 0);
            let sum: u64 = words
                .chunks_exact(4)
                .map(|w| u64::from(u32::from_be_bytes(w.try_into().expect("a word"))))
                .sum();
            (sum as u32).to_be_bytes().to_vec()
        }
    }
}

/// The reply the frame must get by its fate, if any: SUCCESS with its service's result (to
/// the next hop's MAC if it went through a TX ring), or its RFC 5531 error.
pub fn expected_answer(h: &HostCfg, frame: &[u8], fate: &Fate) -> Option<Answer> {
    match (&fate.way, &fate.kind) {
        (Way::Served { entry, ring, .. }, _) => {
            let c = rpc_call(frame);
            let args = &frame[c.args_offset..c.args_offset + c.args_len];
            let result = expected_result(builtin_of(&h.services[*entry]), args);
            let mut a = Answer::to_call(frame, accept_stat::SUCCESS, result);
            // A TX ring's frames go to its entry's REMOTE_MAC.
            if *ring {
                a.to.0 = h.next_hop;
            }
            Some(a)
        }
        (Way::Error, Kind::Unmatched { stat, mismatch }) => {
            let body = mismatch.map_or_else(Vec::new, |(low, high)| {
                [low.to_be_bytes(), high.to_be_bytes()].concat()
            });
            Some(Answer::to_call(frame, *stat, body))
        }
        _ => None,
    }
}

/// What is wrong with `rf` as the reply to call `c` of [`host`]'s services, if anything:
/// it must be SUCCESS with the handler's result, to the caller (see [`answer_of`]).
pub fn reply_problem(h: &HostCfg, c: &Call, rf: &[u8]) -> Option<String> {
    let (f, xid, process, args) = c;
    let want = Answer::to_call(
        f,
        accept_stat::SUCCESS,
        expected_result(HANDLERS[*process as usize], args),
    );
    match answer_of(h, rf) {
        Err(why) => Some(format!("xid {xid:#x}: {why}")),
        Ok(a) if a != want => Some(format!("xid {xid:#x}: the reply {a:02x?}, not {want:02x?}")),
        Ok(_) => None,
    }
}

/// What is wrong with `f` as the notification a core sends for call `c`, if anything: a
/// clean datagram to [`NOTIFY`] from the process's port, the xid and the result as far as
/// it fits.
pub fn notification_problem(h: &HostCfg, c: &Call, f: &[u8]) -> Option<String> {
    let (_, xid, process, args) = c;
    let m = classify(f, false);
    if !m.offload || f.len() < 46 {
        return Some(format!(
            "xid {xid:#x}: the notification is not a clean datagram: {f:02x?}"
        ));
    }
    let port = |o: usize| u16::from_be_bytes([f[o], f[o + 1]]);
    let ul = port(38) as usize;
    let mut want = expected_result(HANDLERS[*process as usize], args);
    want.truncate(108);
    let checks = [
        (
            (m.src_ip, m.dst_ip) == (u32::from_be_bytes(LOCAL_IP), NOTIFY.ip),
            "addresses",
        ),
        (
            (&f[0..6], &f[6..12]) == (&NOTIFY.mac[..], &LOCAL_MAC[..]),
            "MAC addresses",
        ),
        (
            (port(34), port(36)) == (tx_port(&h.services, *process), NOTIFY.port),
            "ports",
        ),
        (f.get(46..34 + ul) == Some(&want[..]), "the result"),
    ];
    checks
        .iter()
        .find(|(ok, _)| !ok)
        .map(|(_, what)| format!("xid {xid:#x}: notification: {what}: {f:02x?}"))
}

/// What is wrong with where request `sv` was served, if anything: dispatch follows the
/// scheduling state of `h` (its `roles`): a process some core runs in user mode is served
/// on the user endpoint of such a core, any other on the kernel endpoint of a core in the
/// kernel's dispatch loop. With [`host`]'s roles: process 0 on core 0's user endpoint,
/// process 1 (which no core runs) on core 1's kernel endpoint.
pub fn dispatch_problem(h: &HostCfg, sv: &Served) -> Option<String> {
    let process = u32::from(sv.request.control[24]);
    let running = h.roles.contains(&Role::User(process));
    let (role, endpoint) = if running {
        (Role::User(process), USER)
    } else {
        (Role::Kernel, KERNEL)
    };
    (sv.endpoint != endpoint || h.roles.get(sv.core) != Some(&role)).then(|| {
        format!(
            "process {process} served on core {} endpoint {}, not on the {} endpoint of a \
             core in role {role:?}",
            sv.core,
            sv.endpoint,
            if running { "user" } else { "kernel" }
        )
    })
}

/// Every frame's fate ([`rx_fate`], from the RFC decoders and the services `h` configures)
/// asserted: the replies (xid, caller, service port, accept_stat, results or version
/// range) are exactly those the fates call for, each once; the frames passed on are
/// exactly those, unchanged and in order; every request was served where the scheduling
/// state says; every counter but TRYAGAINS is what the fates add up to. Returns the calls
/// served. For the NIC of `hdl::library::small_lauberhorn_nic`; [`check_on`] for others.
pub fn check(h: &HostCfg, frames: &[Vec<u8>], r: &Report) -> Vec<Call> {
    check_on(
        h,
        &hdl::library::small_lauberhorn_nic().lauberhorn,
        frames,
        r,
    )
}

/// [`check`] for the NIC built with `lh`.
pub fn check_on(h: &HostCfg, lh: &LauberhornConfig, frames: &[Vec<u8>], r: &Report) -> Vec<Call> {
    assert_eq!(r.link_errors, 0, "no error answers on the link");
    let fates: Vec<Fate> = frames.iter().map(|f| fate(f, h, lh)).collect();
    let want: Vec<Answer> = frames
        .iter()
        .zip(&fates)
        .filter_map(|(f, fate)| expected_answer(h, f, fate))
        .collect();
    let have: Vec<Answer> = r
        .replies
        .iter()
        .map(|rf| answer_of(h, rf).unwrap_or_else(|why| panic!("a reply: {why}")))
        .collect();
    same_answers(have, want);
    let others: Vec<&Vec<u8>> = frames
        .iter()
        .zip(&fates)
        .filter(|(_, fate)| fate.way == Way::Other)
        .map(|(f, _)| f)
        .collect();
    assert!(
        r.others.iter().eq(others.iter().copied()),
        "the frames passed on: {} of {} as expected, in order",
        r.others.len(),
        others.len()
    );
    for s in r.served.iter().flatten() {
        if let Some(why) = dispatch_problem(h, s) {
            panic!("{why}");
        }
    }
    let served: Vec<Call> = frames
        .iter()
        .zip(&fates)
        .filter_map(|(f, fate)| match fate.way {
            Way::Served { entry, .. } => {
                let c = rpc_call(f);
                let args = f[c.args_offset..c.args_offset + c.args_len].to_vec();
                Some((f.clone(), c.xid, h.services[entry].process, args))
            }
            _ => None,
        })
        .collect();
    assert_eq!(r.served.iter().map(Vec::len).sum::<usize>(), served.len());
    let mut have = r.counters.clone();
    have.remove("TRYAGAINS");
    assert_eq!(have, counters(h, &fates), "the statistics");
    served
}

/// `have` and `want` hold the same answers, as many times each (in any order).
pub fn same_answers(mut have: Vec<Answer>, mut want: Vec<Answer>) {
    have.sort();
    want.sort();
    if have != want {
        let missing: Vec<&Answer> = want.iter().filter(|a| !have.contains(a)).collect();
        let extra: Vec<&Answer> = have.iter().filter(|a| !want.contains(a)).collect();
        panic!(
            "{} replies, {} expected; expected and not sent: {missing:02x?}; sent and not \
             expected: {extra:02x?}",
            have.len(),
            want.len()
        );
    }
}

/// The host of the golden runs (`sim_models::traces::rpc_golden`): its services (the first
/// reverses its arguments, the second sums them), one call in flight at a time, nothing
/// random; with CTRL.ERROR_REPLIES and the DMA fallback as asked.
pub fn golden_host(error_replies: bool, dma: bool) -> HostCfg {
    let mut h = host(exact_cpu(), 0.0, 1.0, 1);
    h.local_ip = u32::from_be_bytes(sim_models::traces::RPC_GOLDEN_IP);
    h.services = sim_models::traces::RPC_GOLDEN_SERVICES
        .iter()
        .enumerate()
        .map(|(i, s)| Service {
            prog: s.0,
            vers: s.1,
            proc_: Some(s.2),
            port: s.3,
            process: i as u32,
            func: 0x0000_7f00_0000_1000 + 0x100 * i as u64,
            data: 0x0000_7f00_0080_0000 + 0x40 * i as u64,
            name: [Builtin::Reverse, Builtin::Sum][i].name().to_string(),
            handler: [Builtin::Reverse, Builtin::Sum][i].procedure(),
            ring: true,
        })
        .collect();
    h.error_replies = error_replies;
    h.dma_ring = dma.then_some(1 << 16);
    h.mem_stall = 0.0;
    h
}

/// A golden run's record (its insta snapshot `lauberhorn_nic__<name>_dissection.snap`):
/// the replies on the wire, the CONTROL lines the cores observed, the frames of `frames`
/// (named by `what`) passed on, the counters but TRYAGAINS.
pub fn golden_dissection(frames: &[Vec<u8>], what: &[String], r: &Report) -> String {
    let mut t = String::new();
    t.push_str("replies:\n");
    for f in &r.replies {
        let m = classify(f, false);
        assert!(m.offload, "checksums verify");
        let ul = u16::from_be_bytes([f[38], f[39]]) as usize;
        let stat = u32::from_be_bytes(f[62..66].try_into().unwrap());
        t.push_str(&format!(
            "  xid {:08x} to {}:{} accept_stat {stat} result {}\n",
            u32::from_be_bytes(f[42..46].try_into().unwrap()),
            std::net::Ipv4Addr::from(m.dst_ip),
            m.dst_port,
            crate::cli::hex(&f[66..34 + ul])
        ));
    }
    t.push_str(
        "control lines (descriptor words 0-3, and 4 for KIND_DMA, then the argument count):\n",
    );
    for (c, list) in r.served.iter().enumerate() {
        for s in list {
            let kind = s.request.control[0] >> ctrl::KIND_LSB & 3;
            let n = if u64::from(kind) == ctrl::KIND_DMA {
                5
            } else {
                4
            };
            let words: Vec<String> = (0..n)
                .map(|k| {
                    format!(
                        "{:016x}",
                        u64::from_le_bytes(s.request.control[8 * k..8 * k + 8].try_into().unwrap())
                    )
                })
                .collect();
            let ep = if s.endpoint == USER { "user" } else { "kernel" };
            t.push_str(&format!(
                "  core {c} {ep}: {} args {}\n",
                words.join(" "),
                s.request.args.len()
            ));
        }
    }
    t.push_str("passed on:\n");
    for f in &r.others {
        let k = frames
            .iter()
            .position(|g| g == f)
            .expect("a frame of the trace");
        t.push_str(&format!("  frame {k}: {}\n", what[k]));
    }
    t.push_str("counters (but TRYAGAINS, which depends on the timing):\n");
    for (k, v) in r.counters.iter().filter(|(k, _)| *k != "TRYAGAINS") {
        t.push_str(&format!("  {k} {v}\n"));
    }
    t
}

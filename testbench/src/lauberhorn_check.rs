//! The whole Lauberhorn NIC's set-up, calls and per-frame checks, shared by its tests
//! (`tests/lauberhorn_nic.rs`) and its soak (`soak::lauberhorn`).

use hdl::lauberhorn::coherence::{KERNEL, USER};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sim_models::lauberhorn::cpu::{CpuCfg, Served};
use sim_models::lauberhorn::host::{tx_port, Builtin, HostCfg, Notify, Role, Service};
use sim_models::net::classify;
use sim_models::traces::{rpc_call_frame, RpcCallSpec};

pub const LOCAL_IP: [u8; 4] = [10, 1, 0, 1];
pub const LOCAL_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
pub const NOTIFY: Notify = Notify {
    mac: [0x02, 0, 0, 0, 0, 0x99],
    ip: 0x0a01_0063,
    port: 9999,
};
/// (program, version, procedure, port, process).
pub const SERVICES: [(u32, u32, u32, u16, u32); 2] =
    [(0x2000_0001, 1, 1, 4000, 0), (0x2000_0002, 1, 3, 5000, 1)];

/// The services' handlers, by process: process 0's reverses its arguments (its results
/// must fit the lines, so its calls do too), process 1's sums them.
pub const HANDLERS: [Builtin; 2] = [Builtin::Reverse, Builtin::Sum];

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

/// Core 0 runs process 0's user loop, core 1 the kernel's dispatch loop; both services
/// reverse their arguments.
pub fn host(cpu: CpuCfg, rx_gaps: f64, tx_ready: f64, outstanding: usize) -> HostCfg {
    HostCfg {
        local_ip: u32::from_be_bytes(LOCAL_IP),
        local_mac: LOCAL_MAC,
        timeout: 500,
        reject_to_other: false,
        error_replies: false,
        services: SERVICES
            .iter()
            .enumerate()
            .map(|(i, s)| Service {
                prog: s.0,
                vers: s.1,
                proc_: Some(s.2),
                port: s.3,
                process: s.4,
                func: 0x1000 + i as u64,
                data: 0x2000 + i as u64,
                handler: HANDLERS[s.4 as usize],
                ring: true,
            })
            .collect(),
        roles: vec![Role::User(0), Role::Kernel],
        cpu,
        rx_gaps,
        tx_ready,
        outstanding,
        notify: None,
        dma_ring: None,
        mem_latency: 20,
        mem_stall: 0.1,
    }
}

/// A call: (frame, xid, process, args).
pub type Call = (Vec<u8>, u32, u32, Vec<u8>);

/// A call with id `xid` to a random service: up to `max_args` bytes of arguments (480 for
/// process 0, whose reversed result must fit the lines), a random credential.
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
    let s = SERVICES[svc];
    let args: Vec<u8> = (0..n).map(|_| rng.gen()).collect();
    let spec = RpcCallSpec {
        xid,
        prog: s.0,
        vers: s.1,
        proc_: s.2,
        cred: (1, (0..rng.gen_range(0..3) * 4).map(|_| rng.gen()).collect()),
        verf: (0, vec![]),
        args: args.clone(),
        dst_ip: LOCAL_IP,
        dst_port: s.3,
    };
    (rpc_call_frame(rng, &spec), xid, s.4, args)
}

/// `n` calls of [`call`] with random xids.
pub fn calls(rng: &mut ChaCha8Rng, n: usize, max_args: usize) -> Vec<Call> {
    (0..n)
        .map(|_| {
            let xid = rng.gen();
            call(rng, xid, max_args)
        })
        .collect()
}

/// The xid at UDP payload byte 0 of a reply or notification.
pub fn xid_of(f: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(f.get(42..46)?.try_into().ok()?))
}

/// What is wrong with `rf` as the reply to call `c`, if anything: a clean UDP/IPv4
/// datagram from the NIC with valid checksums, to the caller from the service port, an
/// accepted SUCCESS reply with its xid and the handler's result.
pub fn reply_problem(c: &Call, rf: &[u8]) -> Option<String> {
    let (f, xid, process, args) = c;
    let m = classify(rf, false);
    let ul = if rf.len() >= 66 {
        u16::from_be_bytes([rf[38], rf[39]]) as usize
    } else {
        0
    };
    if !m.offload || m.src_ip != u32::from_be_bytes(LOCAL_IP) || ul < 32 {
        return Some(format!(
            "xid {xid:#x}: the reply is not a clean datagram from the NIC: {rf:02x?}"
        ));
    }
    let want_words = [*xid, 1, 0, 0, 0, 0];
    let words: Vec<u32> = (0..6)
        .map(|k| u32::from_be_bytes(rf[42 + 4 * k..46 + 4 * k].try_into().unwrap()))
        .collect();
    let want = HANDLERS[*process as usize].apply(args);
    let checks = [
        (rf[0..6] == f[6..12], "to the caller's MAC"),
        (rf[30..34] == f[26..30], "to the caller's IP"),
        (rf[34..36] == f[36..38], "from the service port"),
        (rf[36..38] == f[34..36], "to the caller's port"),
        (
            words == want_words,
            "an accepted reply, SUCCESS, AUTH_NONE verifier",
        ),
        (
            rf.get(66..34 + ul) == Some(&want[..]),
            "the handler's result",
        ),
    ];
    checks
        .iter()
        .find(|(ok, _)| !ok)
        .map(|(_, what)| format!("xid {xid:#x}: {what}: {rf:02x?}"))
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
    let mut want = HANDLERS[*process as usize].apply(args);
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
/// scheduling state of [`host`], process 0 on core 0's user endpoint, process 1 (which no
/// core runs) on core 1's kernel endpoint.
pub fn dispatch_problem(sv: &Served) -> Option<String> {
    let process = sv.request.control[24];
    let want = if process == 0 { (0, USER) } else { (1, KERNEL) };
    ((sv.core, sv.endpoint) != want).then(|| {
        format!(
            "process {process} served on core {} endpoint {}, not core {} endpoint {}",
            sv.core, sv.endpoint, want.0, want.1
        )
    })
}

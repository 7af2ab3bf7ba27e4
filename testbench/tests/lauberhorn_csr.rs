//! `hdl::lauberhorn::csr` (2 cores, 5 processes, 4 services) over AXI4-Lite, addressed
//! with the constants generated from the one register map. The testbench plays the
//! service table (words written and read back through the block's ports), the scheduler's
//! per-process statistics and the blocks' statistics pulses. Checked: identification and
//! parameters; every read-write register keeps what a random sequence of writes left in
//! it (model by address, masked by its fields) and drives its outputs; counters count,
//! saturate and can be set; a user access answers SLVERR and changes nothing; an unmapped
//! address answers DECERR.

use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sim::prelude::*;
use sim_models::axil::{Access, AxilMaster};
use sim_models::axil_master_no_user;
use std::collections::BTreeMap;
use testbench::lauberhorn_regs::{core, global, process, service, Reg};
use testbench::models::LauberhornCsrC2P5N4;
use testbench::seed;

const OKAY: u8 = 0;
const SLVERR: u8 = 2;
const DECERR: u8 = 3;

struct Bench {
    d: LauberhornCsrC2P5N4,
    mmio: AxilMaster,
    table: [[u64; 5]; 4],
    proc_stats: [[u64; 4]; 5],
    pulses: BTreeMap<String, bool>,
    cycle: u64,
}

const STAT_NAMES: [&str; 16] = [
    "calls",
    "refused",
    "no_slot",
    "malformed",
    "unmatched",
    "too_large",
    "other",
    "overrun",
    "mac_bad",
    "replies",
    "bad_results",
    "tryagains",
    "violations",
    "sent",
    "error_replies",
    "tx_dropped",
];

impl Bench {
    fn step(&mut self) -> Option<(u8, u64)> {
        let d = &self.d;
        let ports = axil_master_no_user!(d.s_axil);
        self.mmio.drive(&ports);
        // The service table answers its read port; the scheduler its statistics port.
        let (i, w) = (
            d.svc_rd.index.get_bits(0, 2) as usize,
            d.svc_rd.word.get_bits(0, 3) as usize,
        );
        d.svc_rd
            .data
            .set_bits(0, 64, if w < 5 { self.table[i][w] } else { 0 });
        let p = d.proc_stat_process.get_bits(0, 3) as usize;
        let s = self.proc_stats.get(p).copied().unwrap_or([0; 4]);
        d.proc_stat.queued.set_bits(0, 3, s[0]);
        d.proc_stat.arrived.set_bits(0, 32, s[1]);
        d.proc_stat.dispatched.set_bits(0, 32, s[2]);
        d.proc_stat.refused.set_bits(0, 32, s[3]);
        let pulse_ports = [
            &d.stat_calls,
            &d.stat_refused,
            &d.stat_no_slot,
            &d.stat_malformed,
            &d.stat_unmatched,
            &d.stat_too_large,
            &d.stat_other,
            &d.stat_overrun,
            &d.stat_mac_bad,
            &d.stat_replies,
            &d.stat_bad_results,
            &d.stat_tryagains,
            &d.stat_violations,
            &d.stat_sent,
            &d.stat_error_replies,
            &d.stat_tx_dropped,
        ];
        for (n, port) in STAT_NAMES.iter().zip(pulse_ports) {
            port.set_bit(0, self.pulses.get(*n).copied().unwrap_or(false));
        }
        d.eval().unwrap();
        if d.svc_wr.valid.bit(0) {
            let (i, w) = (
                d.svc_wr.index.get_bits(0, 2) as usize,
                d.svc_wr.word.get_bits(0, 3) as usize,
            );
            self.table[i][w] = d.svc_wr.data.get_bits(0, 64);
        }
        let (_, done) = self.mmio.sample(&ports);
        d.tick().unwrap();
        self.cycle += 1;
        done.map(|c| (c.resp, c.data))
    }

    fn access(&mut self, a: Access) -> (u8, u64) {
        self.mmio.push(a);
        loop {
            if let Some(r) = self.step() {
                return r;
            }
            assert!(self.cycle < 10_000_000, "MMIO never answered");
        }
    }
    fn read(&mut self, addr: u64) -> u64 {
        let (r, v) = self.access(Access::read(addr, true, 0));
        assert_eq!(r, OKAY, "read {addr:#x}");
        v
    }
    fn write(&mut self, addr: u64, v: u64) {
        let (r, _) = self.access(Access::write(addr, v, true, 0));
        assert_eq!(r, OKAY, "write {addr:#x}");
    }
}

/// Every read-write register with its address and mask, and what backs it.
fn rw_regs() -> Vec<(u64, Reg)> {
    let mut v: Vec<(u64, Reg)> = global::ALL
        .iter()
        .filter(|r| r.kernel.can_write())
        .map(|r| (global::addr(0, *r, 0), *r))
        .collect();
    for c in 0..core::COUNT {
        v.extend(core::ALL.iter().map(|r| (core::addr(c, *r, 0), *r)));
    }
    for s in 0..service::COUNT {
        v.extend(service::ALL.iter().map(|r| (service::addr(s, *r, 0), *r)));
    }
    v
}

#[test]
fn registers_read_back_drive_outputs_and_protect() {
    let mut rng = seed::rng("lauberhorn_csr");
    let d = LauberhornCsrC2P5N4::new();
    d.rst.set_bit(0, true);
    d.tick().unwrap();
    d.rst.set_bit(0, false);
    let mut b = Bench {
        d,
        mmio: AxilMaster::new(ChaCha8Rng::seed_from_u64(rng.gen())),
        table: [[0; 5]; 4],
        proc_stats: [[0; 4]; 5],
        pulses: BTreeMap::new(),
        cycle: 0,
    };
    let id = b.read(global::addr(0, global::ID, 0));
    assert_eq!(
        (global::ID::MAGIC.get(id), global::ID::VERSION.get(id)),
        (0x4c41_5542, 3)
    );
    let params = b.read(global::addr(0, global::PARAMS, 0));
    assert_eq!(params, global::PARAMS.reset);
    assert_eq!(global::PARAMS::CORES.get(params), 2);
    assert_eq!(
        b.read(global::addr(0, global::TIMEOUT, 0)),
        10_000,
        "TIMEOUT resets to lauberhorn.timeout_cycles"
    );

    // Random writes and reads of every read-write register against a model.
    let regs = rw_regs();
    let mut model: BTreeMap<u64, u64> = regs.iter().map(|(a, r)| (*a, r.reset)).collect();
    for (a, r) in &regs {
        b.write(*a, r.reset); // the service table's words hold nothing until written
    }
    for _ in 0..600 {
        let (a, r) = regs[rng.gen_range(0..regs.len())];
        if rng.gen_bool(0.5) {
            let v: u64 = rng.gen();
            b.write(a, v);
            model.insert(a, v & r.mask);
        } else {
            let got = b.read(a);
            assert_eq!(got, model[&a], "{} at {a:#x}", r.name);
        }
    }
    // The settings and the cores' state reach the outputs.
    let g = |r: Reg| model[&global::addr(0, r, 0)];
    assert_eq!(b.d.local_ip.get_bits(0, 32), g(global::LOCAL_IP));
    assert_eq!(b.d.local_mac.get_bits(0, 48), g(global::LOCAL_MAC));
    assert_eq!(b.d.timeout.get_bits(0, 24), g(global::TIMEOUT));
    let ctrl = g(global::CTRL);
    assert_eq!(
        (
            b.d.reject_to_other.get_bits(0, 1),
            b.d.error_replies.get_bits(0, 1)
        ),
        (
            global::CTRL::REJECT_TO_OTHER.get(ctrl),
            global::CTRL::ERROR_REPLIES.get(ctrl)
        )
    );
    for c in 0..2u32 {
        let sched = model[&core::addr(c, core::SCHED, 0)];
        let pre = model[&core::addr(c, core::PREEMPT, 0)];
        assert_eq!(
            b.d.core_mode.get_bits(2 * c, 2),
            core::SCHED::MODE.get(sched)
        );
        assert_eq!(
            b.d.core_process.get_bits(3 * c, 3),
            core::SCHED::PROCESS.get(sched) & 7
        );
        let port = model[&core::addr(c, core::TX_PORT, 0)];
        assert_eq!(b.d.preempt.get_bits(c, 1), core::PREEMPT::REQ.get(pre));
        assert_eq!(b.d.irq.get_bits(c, 1), core::PREEMPT::REQ.get(pre));
        assert_eq!(b.d.retire.get_bits(c, 1), core::PREEMPT::RETIRE.get(pre));
        assert_eq!(
            b.d.tx_port.get_bits(16 * c, 16),
            core::TX_PORT::PORT.get(port)
        );
    }
    // The service table holds exactly what the kernel wrote (the PROCESS word masked).
    for s in 0..4u32 {
        for (k, r) in service::ALL.iter().enumerate() {
            assert_eq!(
                b.table[s as usize][k] & r.mask,
                model[&service::addr(s, *r, 0)]
            );
        }
    }

    // Per-process statistics, read from the scheduler's port.
    for p in 0..5 {
        b.proc_stats[p] = [
            rng.gen_range(0..5),
            rng.gen::<u32>().into(),
            rng.gen::<u32>().into(),
            rng.gen::<u32>().into(),
        ];
    }
    for p in 0..5u32 {
        for (k, r) in process::ALL.iter().enumerate() {
            assert_eq!(
                b.read(process::addr(p, *r, 0)),
                b.proc_stats[p as usize][k],
                "process {p} {}",
                r.name
            );
        }
    }

    // Every counter counts its own pulse, and only it.
    let counters: Vec<Reg> = global::ALL
        .iter()
        .copied()
        .filter(|r| STAT_NAMES.contains(&r.name.to_lowercase().as_str()))
        .collect();
    assert_eq!(counters.len(), STAT_NAMES.len());
    for n in STAT_NAMES {
        for r in &counters {
            b.write(global::addr(0, *r, 0), 0);
        }
        b.pulses.insert(n.into(), true);
        b.step();
        b.pulses.clear();
        for r in &counters {
            let own = r.name.to_lowercase() == n;
            let got = b.read(global::addr(0, *r, 0));
            assert_eq!(got, u64::from(own), "{} after one pulse of {n}", r.name);
        }
    }

    // Counters count their pulses, saturate, and take writes.
    let calls = global::addr(0, global::CALLS, 0);
    b.write(calls, 0);
    b.pulses.insert("calls".into(), true);
    for _ in 0..37 {
        b.step();
    }
    b.pulses.clear();
    let n = b.read(calls);
    assert_eq!(n, 37, "CALLS counts each pulse once");
    b.write(calls, 0xffff_fffe);
    b.pulses.insert("calls".into(), true);
    for _ in 0..10 {
        b.step();
    }
    b.pulses.clear();
    assert_eq!(b.read(calls), 0xffff_ffff, "saturates");
    b.d.backlog.set_bit(0, true);
    assert_eq!(b.read(global::addr(0, global::BACKLOG, 0)), 1);
    b.d.backlog.set_bit(0, false);

    // A user access answers SLVERR and changes nothing; an unmapped one DECERR.
    let ip = global::addr(0, global::LOCAL_IP, 0);
    let before = b.read(ip);
    assert_eq!(b.access(Access::write(ip, !before, false, 0)).0, SLVERR);
    assert_eq!(b.access(Access::read(ip, false, 0)).0, SLVERR);
    let svc = service::addr(1, service::FUNC, 0);
    let sv = b.read(svc);
    assert_eq!(b.access(Access::write(svc, !sv, false, 0)).0, SLVERR);
    assert_eq!(b.read(ip), before);
    assert_eq!(b.read(svc), sv);
    assert_eq!(b.access(Access::read(0x3f8, true, 0)).0, DECERR);
    assert_eq!(
        b.access(Access::read(process::addr(5, process::QUEUED, 0), true, 0))
            .0,
        DECERR
    );
}

//! The Enzian board core (`hdl::boards::enzian`, the NIC of `hdl::library::small_lauberhorn_nic`:
//! two cores, 512-bit link) at its real clocks, unrelated, stepped by `sim::clocks`:
//! `app_clk` 250 MHz (the kernel sets the NIC up and reads its statistics through
//! `s_axil`), `shell_clk` 322.265625 MHz (the CPU model of the whole-NIC tests, behind
//! `sim_models::lauberhorn::dcs_shell`, a model of the ECI shell's two directory slices,
//! works the DCS ports with random back-pressure) and `mac_clk` 322.265625 MHz, a random
//! phase apart (a MAC puts RPC calls on `rx_axis_*` and takes the replies from
//! `tx_axis_*`).
//!
//! Checked as the whole-NIC tests check (`testbench::lauberhorn_check::check`), against each
//! frame's fate from the RFC decoders: every call answered exactly once with its xid, its
//! caller and the handler's result, every malformed frame counted and dropped, dispatch by
//! the scheduling state, the statistics; no error answer on the coherence link; and the
//! shell's own checks (R and B to waiting ids, LCI words, one UL per LCIA) as it runs.
//! Not vacuous: reads, write-backs, LCIs, upgrades and clean evictions all crossed.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim::axis::{beats_to_frame, frame_to_beats, Beat};
use sim::clocks::{period_ps, Clocks};
use sim::prelude::*;
use sim_models::axil::{Access, AxilMaster};
use sim_models::lauberhorn::cpu::{Cpu, CpuCfg};
use sim_models::lauberhorn::dcs_shell::{self, Shell, ShellCfg};
use sim_models::lauberhorn::host::{
    addr, expects_reply, handler, kernel_setup, Report, Role, STALL_CYCLES,
};
use std::collections::VecDeque;
use testbench::lauberhorn_check::{check, host, LOCAL_IP, SERVICES};
use testbench::models::LauberhornEnzianCore as Core;
use testbench::seed;

const APP: usize = 0;
const SHELL: usize = 1;
const MAC: usize = 2;

/// Idle inputs before the models drive them.
fn idle(d: &Core) {
    for p in [
        &d.s_axil.awvalid as &dyn PortWrite,
        &d.s_axil.wvalid,
        &d.s_axil.arvalid,
        &d.s_axil.bready,
        &d.s_axil.rready,
        &d.s_axil_ict.awvalid,
        &d.s_axil_ict.wvalid,
        &d.s_axil_ict.arvalid,
        &d.m_axi.awready,
        &d.m_axi.wready,
        &d.m_axi.bvalid,
        &d.m_axis_other.tready,
        &d.rx_axis.tvalid,
        &d.tx_axis.tready,
        &d.stat_rx_aligned,
    ] {
        p.set_bit(0, false);
    }
    dcs_shell::idle(&sim_models::dcs_ports!(d));
}

/// `board_rst` high while each clock ticks four times, then four more edges of each so
/// that every reset synchronizer has let go.
fn reset(d: &Core, c: &mut Clocks, clks: &[&dyn PortWrite; 3]) {
    d.board_rst.set_bit(0, true);
    for release in [true, false] {
        let start = [c.edges(APP), c.edges(SHELL), c.edges(MAC)];
        while (0..3).any(|i| c.edges(i) < start[i] + 4) {
            c.advance();
            c.settle(d).unwrap();
            c.edge(d, clks).unwrap();
        }
        if release {
            d.board_rst.set_bit(0, false);
        }
    }
}

/// One run of `calls` frames of `rpc_mix` (90% calls with up to 400 bytes of arguments,
/// the rest malformed), the shell taking R, B, LCI and UL with probability `ready` a
/// cycle, checked.
fn run(rng: &mut ChaCha8Rng, d: &Core, calls: usize, ready: f64) {
    let cfg = hdl::library::small_lauberhorn_nic();
    let lh = &cfg.lauberhorn;
    let map = hdl::lauberhorn::regs::regmap(lh);
    let cpu_cfg = CpuCfg {
        cores: lh.cores,
        coh_width: hdl::lauberhorn::dcs_adapter::DATA_WIDTH,
        aux_lines: lh.aux_lines,
        evict: 0.01,
        n2c_ready: 0.8,
        c2n_gaps: 0.2,
        inv_delay: 10,
        work: 40,
    };
    let h = host(cpu_cfg, 0.4, 0.8, 4);
    let services: Vec<_> = SERVICES.iter().map(|s| (s.0, s.1, s.2, s.3)).collect();
    let mix = sim_models::traces::rpc_mix(rng, calls, &services, LOCAL_IP, 400);
    let frames: Vec<Vec<u8>> = mix.iter().map(|f| f.bytes.clone()).collect();

    let dcs = sim_models::dcs_ports!(d);
    let axil = sim_models::axil_master_no_user!(d.s_axil);
    let (rx, tx) = (sim::axis_in!(d.rx_axis), sim::axis_out!(d.tx_axis));
    let other = sim::axis_out!(d.m_axis_other);
    let shell_cfg = ShellCfg {
        cores: lh.cores,
        coh_width: h.cpu.coh_width,
        ready,
        c2n_ready: 0.8,
    };
    let mut shell = Shell::new(shell_cfg, ChaCha8Rng::seed_from_u64(rng.gen()));
    let mut cpu = Cpu::new(
        h.cpu.clone(),
        handler(&h.services),
        ChaCha8Rng::seed_from_u64(rng.gen()),
    );
    let mut mmio = AxilMaster::new(ChaCha8Rng::seed_from_u64(rng.gen()));
    for (a, v) in kernel_setup(&h, &map, &mut cpu) {
        mmio.push(Access::write(a, v, true, 0));
    }

    let periods = [
        period_ps(250.0),
        period_ps(322.265625),
        period_ps(322.265625),
    ];
    let first: Vec<u64> = periods.iter().map(|&p| rng.gen_range(1..=p)).collect();
    let mut clocks = Clocks::with_first_edges(&periods, &first);
    let clks: [&dyn PortWrite; 3] = [&d.app_clk, &d.shell_clk, &d.mac_clk];
    idle(d);
    reset(d, &mut clocks, &clks);
    d.stat_rx_aligned.set_bit(0, true);

    let mut r = Report {
        served: vec![Vec::new(); h.roles.len()],
        ..Report::default()
    };
    // The MAC: beats of the frames, each with whether it ends a call a slot will take.
    let mut beats: VecDeque<(Beat, bool)> = VecDeque::new();
    for f in &frames {
        let e = expects_reply(f, &h, lh);
        let bs = frame_to_beats(f, rx.lanes(), 0);
        let n = bs.len();
        beats.extend(
            bs.into_iter()
                .enumerate()
                .map(|(i, b)| (b, e && i + 1 == n)),
        );
    }
    let expected = frames.iter().filter(|f| expects_reply(f, &h, lh)).count();
    let (mut calls_in, mut at_boundary) = (0usize, true);
    let (mut txb, mut ob): (Vec<Beat>, Vec<Beat>) = (Vec::new(), Vec::new());
    // The kernel: set-up done, the kernel core started, the statistics read at the end.
    let (mut setup_done, mut started) = (false, false);
    let mut stats: Option<VecDeque<&str>> = None;
    let mut idle_app = 0u64;
    loop {
        if stats.as_ref().is_some_and(VecDeque::is_empty) {
            break;
        }
        let due = clocks.advance();
        clocks.settle(d).unwrap();
        if due.has(MAC) {
            if rx.fires() {
                let (b, last_call) = beats.pop_front().unwrap();
                at_boundary = b.last;
                calls_in += usize::from(last_call);
                idle_app = 0;
            }
            if tx.fires() {
                txb.push(tx.beat());
                if txb.last().unwrap().last {
                    r.replies.push(beats_to_frame(&txb));
                    txb.clear();
                    idle_app = 0;
                }
            }
        }
        if due.has(APP) {
            if other.fires() {
                ob.push(other.beat());
                if ob.last().unwrap().last {
                    r.others.push(beats_to_frame(&ob));
                    ob.clear();
                }
            }
            assert!(!d.m_axi.awvalid.bit(0), "no DMA without the fallback");
            let (_, done) = mmio.sample(&axil);
            if let Some(c) = done {
                assert_eq!(c.resp, 0, "register access {:?}", c.access);
                if let Some(name) = stats.as_mut().filter(|_| !c.access.write) {
                    let name = name.pop_front().unwrap();
                    r.counters.insert(name.to_string(), c.data);
                }
            }
            setup_done |= mmio.idle();
            idle_app += 1;
            assert!(
                idle_app < STALL_CYCLES,
                "stuck: {} of {expected} replies, {} beats unsent, shell: {}; {}; {}",
                r.replies.len(),
                beats.len(),
                shell.describe(),
                cpu.describe(0),
                cpu.describe(1)
            );
        }
        if due.has(SHELL) {
            shell.sample(&dcs);
            cpu.sample(&shell.link());
            for (c, served) in r.served.iter_mut().enumerate() {
                served.extend(cpu.take_served(c));
            }
        }
        clocks.edge(d, &clks).unwrap();
        if due.has(MAC) {
            let room = !at_boundary || calls_in.saturating_sub(r.replies.len()) < h.outstanding;
            let offer = setup_done && room && !rng.gen_bool(h.rx_gaps);
            match beats.front().filter(|_| offer) {
                Some((b, _)) => rx.drive(&b.with_unkept(rng.gen())),
                None => rx.idle(),
            }
            tx.set_ready(rng.gen_bool(h.tx_ready));
        }
        if due.has(APP) {
            // The kernel core enters its dispatch loop once the NIC is set up.
            let kernel = h.roles.iter().position(|r| *r == Role::Kernel).unwrap();
            if !started && setup_done && cpu.interrupted(kernel) {
                started = true;
                cpu.resume(kernel, hdl::lauberhorn::coherence::KERNEL);
            }
            let quiet = beats.is_empty() && r.replies.len() >= expected;
            if stats.is_none() && quiet && idle_app > 4 * h.timeout {
                let names: VecDeque<&str> =
                    hdl::lauberhorn::regs::STATS.iter().map(|s| s.0).collect();
                for name in &names {
                    mmio.push(Access::read(addr(&map, "GLOBAL", 0, name), true, 0));
                }
                stats = Some(names);
            }
            mmio.drive(&axil);
            other.set_ready(rng.gen_bool(h.tx_ready));
        }
        if due.has(SHELL) {
            shell.drive(&dcs);
            cpu.drive(&shell.link());
        }
    }
    r.link_errors = cpu.link_errors(&shell.link());
    let served = check(&h, &frames, &r);
    let well_formed = mix.iter().filter(|f| f.call.is_some()).count();
    assert_eq!(
        (served.len(), r.counters["MALFORMED"]),
        (well_formed, (frames.len() - well_formed) as u64),
        "every call served, every malformed frame counted"
    );
    for what in ["read", "write", "lci", "upgrade", "evict_clean", "ul"] {
        assert!(
            shell.counts.contains_key(what),
            "no {what}: {:?}",
            shell.counts
        );
    }
    println!(
        "shell ready {ready}: {} frames, {} calls answered once each, {} malformed dropped; \
         {} app / {} shell / {} MAC cycles; shell {:?}",
        frames.len(),
        r.replies.len(),
        frames.len() - well_formed,
        clocks.edges(APP),
        clocks.edges(SHELL),
        clocks.edges(MAC),
        shell.counts
    );
}

#[test]
fn rpc_calls_through_the_dcs_slices_are_answered_once_at_the_board_clocks() {
    let mut rng = seed::rng("enzian_core");
    let d = Core::new();
    for ready in [0.7, 0.3] {
        run(&mut rng, &d, 40, ready);
    }
}

//! The Enzian board core (`hdl::boards::enzian`, the NIC of
//! `hdl::library::small_lauberhorn_nic`: two cores, 512-bit link) run by the whole-NIC
//! tests' host through `testbench::boards::enzian`: `app_clk` for the kernel (it sets the NIC up, reads its statistics, and with the DMA
//! fallback on gives the ICT its rings in host memory behind `m_axi`), `shell_clk` for the
//! CPU model behind `sim_models::lauberhorn::dcs_shell` (a model of the ECI shell's two
//! directory slices, with random back-pressure), `mac_clk` for a MAC that puts RPC calls on
//! `rx_axis_*` and takes the replies from `tx_axis_*`; the three unrelated, a random phase
//! apart, at the board's clocks (250, 322.265625, 322.265625 MHz) or at clocks drawn per
//! run (seeded): `app_clk` 150–300 MHz, the others 200–400 MHz, once with the MAC's clock
//! slower than the app's.
//!
//! Checked as the whole-NIC tests check (`testbench::lauberhorn_check::check`), against each
//! frame's fate from the RFC decoders: every call answered exactly once with its xid, its
//! caller and the handler's result, every malformed frame counted and dropped, dispatch by
//! the scheduling state, the statistics; no error answer on the coherence link, `irq` as
//! the kernel wrote it, no frame dropped in a clock crossing; and the shell's own checks
//! (R and B to waiting ids, LCI words, one UL per LCIA) as it runs. Not vacuous: reads,
//! write-backs, LCIs, upgrades and clean evictions all crossed, and the DMA fallback's
//! calls went through host memory. The golden trace through the core gives the whole
//! NIC's golden records (its snapshots in `lauberhorn_nic`'s name), reply for reply.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sim::clocks::period_ps;
use sim_models::lauberhorn::cpu::CpuCfg;
use sim_models::lauberhorn::host::expects_reply;
use std::path::Path;
use testbench::boards::enzian::{board_periods, try_run, APP, MAC, SHELL};
use testbench::boards::{mhz, random_clocks};
use testbench::lauberhorn_check::{
    call, check, golden_dissection, golden_host, host, LOCAL_IP, SERVICES,
};
use testbench::models::LauberhornEnzianCore as Core;
use testbench::seed;

/// Clock periods drawn from `rng` ([`random_clocks`], the shell's 200–400 MHz).
fn random_periods(rng: &mut ChaCha8Rng, mac_slower: bool) -> [u64; 3] {
    let (app, mac) = random_clocks(rng, mac_slower);
    [app, rng.gen_range(200.0..400.0), mac].map(period_ps)
}

/// One run of `calls` frames of `rpc_mix` (90% calls with up to 400 bytes of arguments,
/// the rest malformed) at `periods`, the shell taking R, B, LCI and UL with probability
/// `ready` a cycle; with `dma`, the DMA fallback on and `calls / 4` more calls of up to 700
/// bytes (those past the lines' 480 go through its rings). Checked.
fn run(rng: &mut ChaCha8Rng, d: &Core, calls: usize, periods: [u64; 3], ready: f64, dma: bool) {
    let cfg = hdl::library::small_lauberhorn_nic();
    let lh = &cfg.lauberhorn;
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
    let mut h = host(cpu_cfg, 0.4, 0.8, 4);
    h.dma_ring = dma.then_some(1 << 16);
    let services: Vec<_> = SERVICES.iter().map(|s| (s.0, s.1, s.2, s.3)).collect();
    let mix = sim_models::traces::rpc_mix(rng, calls, &services, LOCAL_IP, 400);
    let malformed = mix.iter().filter(|f| f.call.is_none()).count();
    let mut frames: Vec<Vec<u8>> = mix.into_iter().map(|f| f.bytes).collect();
    if dma {
        for _ in 0..calls / 4 {
            // Xids above rpc_mix's, which start below 2^31 and count up.
            let xid = rng.gen_range(u32::MAX / 2 + calls as u32..u32::MAX);
            let at = rng.gen_range(0..=frames.len());
            frames.insert(at, call(rng, xid, 700).0);
        }
    }
    let expected = frames.iter().filter(|f| expects_reply(f, &h, lh)).count();

    let (r, board) = try_run(d, periods, ready, &h, &frames, rng.gen());
    let r = r.unwrap_or_else(|f| panic!("{f}"));
    let served = check(&h, &frames, &r);
    assert_eq!(
        (served.len(), r.counters["MALFORMED"]),
        (expected, malformed as u64),
        "every call served, every malformed frame counted"
    );
    assert_eq!(r.link_errors, 0, "no error answer on the link");
    assert!(
        r.stops.irq_mismatches.is_empty(),
        "irq is CORE.PREEMPT.REQ: {:?}",
        r.stops.irq_mismatches
    );
    for what in ["read", "write", "lci", "upgrade", "evict_clean", "ul"] {
        assert!(
            board.shell.counts.contains_key(what),
            "no {what}: {:?}",
            board.shell.counts
        );
    }
    if dma {
        assert!(r.counters["DMA_CALLS"] > 0, "DMA calls: {:?}", r.counters);
    }
    let c = &board.clocks;
    println!(
        "app {} / shell {} / MAC {} MHz, shell ready {ready}, DMA fallback {dma}: {} frames, \
         {} calls answered once each ({} through the DMA rings), {malformed} malformed \
         dropped; {} app / {} shell / {} MAC cycles; shell {:?}",
        mhz(periods[APP]),
        mhz(periods[SHELL]),
        mhz(periods[MAC]),
        frames.len(),
        r.replies.len(),
        r.counters["DMA_CALLS"],
        c.edges(APP),
        c.edges(SHELL),
        c.edges(MAC),
        board.shell.counts
    );
}

#[test]
fn rpc_calls_through_the_dcs_slices_are_answered_once_at_the_board_clocks() {
    let mut rng = seed::rng("enzian_core");
    let d = Core::new();
    for ready in [0.7, 0.3] {
        run(&mut rng, &d, 40, board_periods(), ready, false);
    }
}

#[test]
fn rpc_calls_are_answered_once_at_random_clock_ratios() {
    let mut rng = seed::rng("enzian_core_random_clocks");
    let d = Core::new();
    for (mac_slower, dma) in [(false, false), (true, true), (false, true), (true, false)] {
        let periods = random_periods(&mut rng, mac_slower);
        let ready = rng.gen_range(0.3..1.0);
        run(&mut rng, &d, 120, periods, ready, dma);
    }
}

/// The body of an insta snapshot of `lauberhorn_nic`'s.
fn snapshot(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("lauberhorn_nic__{name}"))
}

/// The golden trace (`traces/rpc_golden.pcap`) through the core at the board's clocks and
/// at clocks drawn from the seed, as the three golden runs of the whole NIC (plain,
/// CTRL.ERROR_REPLIES, the DMA fallback): the replies on the wire are byte for byte the
/// whole NIC's recorded ones (`lauberhorn_nic__*_replies.snap.pcap`), and the CONTROL
/// lines, the frames passed on and the counters its dissections.
#[test]
fn golden_rpc_trace_through_the_core_gives_the_whole_nics_records() {
    let trace = Path::new(env!("CARGO_MANIFEST_DIR")).join("traces/rpc_golden.pcap");
    let frames = sim_models::pcap::read(&trace).unwrap();
    let what: Vec<String> = sim_models::traces::rpc_golden()
        .into_iter()
        .map(|f| f.what)
        .collect();
    let mut rng = seed::rng("enzian_core_golden");
    let d = Core::new();
    for ((name, error_replies, dma), periods) in [
        ("rpc_golden", false, false),
        ("rpc_golden_error_replies", true, false),
        ("rpc_golden_dma", false, true),
    ]
    .into_iter()
    .flat_map(|run| {
        let mac_slower = rng.gen();
        let random = random_periods(&mut rng, mac_slower);
        [(run, board_periods()), (run, random)]
    }) {
        let h = golden_host(error_replies, dma);
        let (r, board) = try_run(&d, periods, 1.0, &h, &frames, 1);
        let r = r.unwrap_or_else(|f| panic!("{name}: {f}"));
        check(&h, &frames, &r);
        let snap = std::fs::read_to_string(snapshot(&format!("{name}_dissection.snap"))).unwrap();
        let want = snap.splitn(3, "---\n").nth(2).expect("an insta snapshot");
        assert_eq!(
            golden_dissection(&frames, &what, &r).trim_end(),
            want.trim_end(),
            "{name}: the whole NIC's dissection"
        );
        let replies = snapshot(&format!("{name}_replies.snap.pcap"));
        let want = sim_models::pcap::read(&replies).unwrap();
        assert!(
            r.replies == want,
            "{name}: the replies differ from the whole NIC's"
        );
        println!(
            "{name} at app {} / shell {} / MAC {} MHz: {} frames, {} replies as recorded; \
             {} app / {} shell / {} MAC cycles",
            mhz(periods[APP]),
            mhz(periods[SHELL]),
            mhz(periods[MAC]),
            frames.len(),
            r.replies.len(),
            board.clocks.edges(APP),
            board.clocks.edges(SHELL),
            board.clocks.edges(MAC)
        );
    }
}

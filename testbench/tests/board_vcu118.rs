//! The VCU118 board core (`hdl::boards::vcu118`, the NIC of `hdl::library::small_nic`) with
//! its two clocks unrelated, stepped by `sim::clocks`: the host model of the whole-NIC test
//! (`sim_models::accio::host::Host`) works through the AXI4-Lite slave and AXI4 master at
//! 250 MHz, the MAC side of the same model at 322.265625 MHz puts frames on `rx_axis_*`
//! (with the gaps of a 100 GbE link) and takes them from `tx_axis_*` with random
//! back-pressure.
//!
//! What reaches host memory and the wire must be what the whole-NIC test expects for the
//! frames the core lets through (`testbench::accio_check::check`: RX records of the
//! accelerated connections, normal-path frames, statistics, events, offloaded and
//! normal-path frames sent whole), and the core lets through exactly the good frames: a
//! frame the MAC marks bad is dropped by the receive FIFO (one `rx_drop_bad` pulse each)
//! before the NIC sees it; nothing is dropped for space on either side.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sim::clocks::period_ps;
use sim::PortRead;
use sim_models::accio::host::HostCfg;
use sim_models::hostmem::HostMemCfg;
use sim_models::traces::{pad, udp_frame_to};
use testbench::accio_check::{check, conns, np_frames, stat_names, traffic, MAC};
use testbench::boards::vcu118::{self as board, board_periods, Run, CORE, MAC as MAC_SIDE};
use testbench::boards::{mhz, random_clocks};
use testbench::models::AccioVcu118Core as Core;
use testbench::seed;

/// Datagrams to the accelerated connection 0 that the MAC marks bad, at random places among
/// `frames`: they must not reach its ring.
fn with_bad_frames(
    rng: &mut ChaCha8Rng,
    mut frames: Vec<(Vec<u8>, bool)>,
    n: usize,
) -> Vec<(Vec<u8>, bool)> {
    for _ in 0..n {
        let len = rng.gen_range(0..=1472);
        let f = udp_frame_to(rng, [10, 1, 0, 1], 4001, len);
        let at = rng.gen_range(0..=frames.len());
        frames.insert(at, (pad(f, rng), true));
    }
    frames
}

/// The MAC's share of idle beats: 100 GbE fills 60% of the 322.265625 MHz clock's 64-byte
/// beats; below 250 MHz the core takes proportionally less (so it keeps up as at the board's
/// clocks: a slower core clock is a slower link), and a MAC clock of other than 322 MHz
/// spreads the same beats over its cycles.
fn rx_gaps(periods: [u64; 2]) -> f64 {
    let f = |ps: u64| 1e6 / ps as f64;
    let rate = 0.6 * 322.265625 * (f(periods[CORE]) / 250.0).min(1.0);
    (1.0 - rate / f(periods[MAC_SIDE])).clamp(0.0, 0.95)
}

/// One run: `frames` in at the MAC, the connections' datagrams and `np_send` out, checked.
fn run(rng: &mut ChaCha8Rng, d: &Core, periods: [u64; 2], malformed_to_np: bool) {
    let cs = conns(rng, 8);
    let frames = traffic(rng, 200);
    let frames = with_bad_frames(rng, frames, 8);
    let bad = frames.iter().filter(|(_, b)| *b).count() as u64;
    let np_send = np_frames(rng, 4);
    let host = HostCfg {
        mac: MAC,
        malformed_to_np,
        np_buffers: 32,
        np_send,
        mem: HostMemCfg {
            beat_bytes: 64,
            latency: rng.gen_range(1..20),
            stall: 0.1,
            max_outstanding: 64,
        },
        rx_gaps: rx_gaps(periods),
        tx_ready: 0.8,
        quiet: 2000,
    };
    let names = stat_names();
    let Run {
        report: r,
        drops,
        clocks,
    } = board::run(d, periods, &cs, &host, &frames, &names, rng.gen());
    assert_eq!(drops, [bad, 0, 0, 0], "rx bad, rx full, tx bad, tx full");
    let good: Vec<(Vec<u8>, bool)> = frames.into_iter().filter(|(_, b)| !b).collect();
    check(&cs, &host, &good, &r, 512);
    // Not vacuous: both receive paths and both transmit paths were taken.
    for stat in ["RX_OFFLOADED", "RX_NORMAL", "TX_FRAMES", "TX_NORMAL"] {
        assert!(r.stats[stat] > 0, "no {stat}");
    }
    assert!(d.link_up.bit(0), "link_up follows stat_rx_aligned");
    println!(
        "core {} / MAC {} MHz: {} frames in ({bad} bad), {} on the wire, {} core / {} MAC cycles",
        mhz(periods[CORE]),
        mhz(periods[MAC_SIDE]),
        good.len() as u64 + bad,
        r.wire.len(),
        clocks.edges(CORE),
        clocks.edges(MAC_SIDE)
    );
}

#[test]
fn frames_cross_both_clocks_into_host_memory_and_out_whole() {
    let mut rng = seed::rng("board_vcu118");
    let d = Core::new();
    for malformed_to_np in [false, true] {
        run(&mut rng, &d, board_periods(), malformed_to_np);
    }
}

/// The same at clocks drawn per run: `core_clk` 150–300 MHz, `mac_clk` 200–400 MHz, and
/// twice the MAC's clock at least 20 MHz below the core's.
#[test]
fn frames_cross_at_random_clock_ratios() {
    let mut rng = seed::rng("board_vcu118_random_clocks");
    let d = Core::new();
    for (k, mac_slower) in [false, true, false, true].into_iter().enumerate() {
        let (core, mac) = random_clocks(&mut rng, mac_slower);
        run(&mut rng, &d, [core, mac].map(period_ps), k % 2 == 1);
    }
}

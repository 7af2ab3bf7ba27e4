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
use sim::clocks::{period_ps, Clocks};
use sim::prelude::*;
use sim_models::accio::host::{Host, HostCfg};
use sim_models::hostmem::HostMemCfg;
use sim_models::traces::{pad, udp_frame_to};
use testbench::accio_check::{check, conns, np_frames, stat_names, traffic, MAC};
use testbench::models::AccioVcu118Core as Core;
use testbench::seed;

const CORE: usize = 0;
const MAC_SIDE: usize = 1;

/// Idle inputs before the host model drives them.
fn idle(d: &Core) {
    for p in [
        &d.s_axil.awvalid as &dyn PortWrite,
        &d.s_axil.wvalid,
        &d.s_axil.arvalid,
        &d.s_axil.bready,
        &d.s_axil.rready,
        &d.m_axi.awready,
        &d.m_axi.wready,
        &d.m_axi.bvalid,
        &d.m_axi.arready,
        &d.m_axi.rvalid,
        &d.rx_axis.tvalid,
        &d.tx_axis.tready,
        &d.stat_rx_aligned,
    ] {
        p.set_bit(0, false);
    }
}

/// `board_rst` as the board's reset button or PLL lock gives it: high while each clock
/// ticks four times, released at an arbitrary moment, then four more edges of each clock
/// so that both reset synchronizers have let go.
fn reset(d: &Core, c: &mut Clocks) {
    let clks: [&dyn PortWrite; 2] = [&d.core_clk, &d.mac_clk];
    d.board_rst.set_bit(0, true);
    for release in [true, false] {
        let start = [c.edges(CORE), c.edges(MAC_SIDE)];
        while (0..2).any(|i| c.edges(i) < start[i] + 4) {
            c.advance();
            c.settle(d).unwrap();
            c.edge(d, &clks).unwrap();
        }
        if release {
            d.board_rst.set_bit(0, false);
        }
    }
}

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

/// One run: `frames` in at the MAC, the connections' datagrams and `np_send` out, checked.
fn run(rng: &mut ChaCha8Rng, d: &Core, malformed_to_np: bool) {
    let (rx, tx) = (sim::axis_in!(d.rx_axis), sim::axis_out!(d.tx_axis));
    let axil = sim_models::axil_master!(d.s_axil);
    let axi = sim_models::axi_slave_ports!(d.m_axi);
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
        // 100 GbE fills at most 61% of the 322 MHz clock's 64-byte beats.
        rx_gaps: 0.4,
        tx_ready: 0.8,
        quiet: 2000,
    };
    let names = stat_names();
    let mut h = Host::new(&cs, &host, &frames, &names, 512, rng.gen());

    // A random phase between the clocks.
    let periods = [period_ps(250.0), period_ps(322.265625)];
    let first = [rng.gen_range(1..=periods[0]), rng.gen_range(1..=periods[1])];
    let mut clocks = Clocks::with_first_edges(&periods, &first);
    idle(d);
    reset(d, &mut clocks);
    d.stat_rx_aligned.set_bit(0, true);
    let clks: [&dyn PortWrite; 2] = [&d.core_clk, &d.mac_clk];
    let mut drops = [0u64; 4];
    h.mac_drive(&rx, &tx);
    h.host_drive(&axil, &axi);
    loop {
        let due = clocks.advance();
        clocks.settle(d).unwrap();
        let mut done = false;
        if due.has(MAC_SIDE) {
            h.mac_sample(&rx, &tx);
            drops[0] += u64::from(d.rx_drop_bad.bit(0));
            drops[1] += u64::from(d.rx_drop_full.bit(0));
        }
        if due.has(CORE) {
            done = h.host_sample(&axil, &axi);
            drops[2] += u64::from(d.tx_drop_bad.bit(0));
            drops[3] += u64::from(d.tx_drop_full.bit(0));
        }
        clocks.edge(d, &clks).unwrap();
        if done {
            break;
        }
        if due.has(MAC_SIDE) {
            h.mac_drive(&rx, &tx);
        }
        if due.has(CORE) {
            h.host_drive(&axil, &axi);
        }
    }
    let r = h.finish();
    assert_eq!(drops, [bad, 0, 0, 0], "rx bad, rx full, tx bad, tx full");
    let good: Vec<(Vec<u8>, bool)> = frames.into_iter().filter(|(_, b)| !b).collect();
    check(&cs, &host, &good, &r, 512);
    // Not vacuous: both receive paths and both transmit paths were taken.
    for stat in ["RX_OFFLOADED", "RX_NORMAL", "TX_FRAMES", "TX_NORMAL"] {
        assert!(r.stats[stat] > 0, "no {stat}");
    }
    assert!(d.link_up.bit(0), "link_up follows stat_rx_aligned");
    println!(
        "{} frames in ({bad} bad), {} on the wire, {} core / {} MAC cycles",
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
        run(&mut rng, &d, malformed_to_np);
    }
}

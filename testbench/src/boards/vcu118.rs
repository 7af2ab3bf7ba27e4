//! The VCU118 board core (`hdl::boards::vcu118`, the NIC of `hdl::library::small_nic` at 512
//! bits) run by the host of `sim_models::accio::host` at two unrelated clocks, stepped by
//! `sim::clocks`: the host side (`sim_models::accio::host::Host::host_*`: the driver's
//! registers over `s_axil`, host memory behind `m_axi`) on `core_clk`, the MAC side
//! (`mac_*`: frames in on `rx_axis_*`, out on `tx_axis_*`) on `mac_clk`, the second's first
//! edge at a random phase.

use crate::models::AccioVcu118Core as Core;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim::clocks::{period_ps, Clocks};
use sim::prelude::*;
use sim_models::accio::host::{Conn, Host, HostCfg, Report};

/// Indices of the clocks in [`Run::clocks`].
pub const CORE: usize = 0;
pub const MAC: usize = 1;

/// The board's clocks (ps): `core_clk` 250 MHz (the XDMA bridge's), the CMAC's
/// `gt_txusrclk2` 322.265625 MHz.
pub fn board_periods() -> [u64; 2] {
    [period_ps(250.0), period_ps(322.265625)]
}

/// What a run gives besides the host's report.
pub struct Run {
    pub report: Report,
    /// Pulses of `rx_drop_bad`, `rx_drop_full`, `tx_drop_bad`, `tx_drop_full`.
    pub drops: [u64; 4],
    pub clocks: Clocks,
}

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
        let start = [c.edges(CORE), c.edges(MAC)];
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

/// `frames` (bytes, MAC-bad flag) through the core at `periods` (ps, [`CORE`] then
/// [`MAC`]) as `sim_models::accio::host::run` runs them through the whole NIC (the same
/// arguments, at 512 bits); the MAC reports its lanes aligned from the end of reset.
pub fn run(
    d: &Core,
    periods: [u64; 2],
    conns: &[Conn],
    host: &HostCfg,
    frames: &[(Vec<u8>, bool)],
    stat_names: &[&str],
    seed: u64,
) -> Run {
    let (rx, tx) = (sim::axis_in!(d.rx_axis), sim::axis_out!(d.tx_axis));
    let axil = sim_models::axil_master!(d.s_axil);
    let axi = sim_models::axi_slave_ports!(d.m_axi);
    let mut h = Host::new(conns, host, frames, stat_names, 512, seed);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(2);
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
        if due.has(MAC) {
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
        if due.has(MAC) {
            h.mac_drive(&rx, &tx);
        }
        if due.has(CORE) {
            h.host_drive(&axil, &axi);
        }
    }
    Run {
        report: h.finish(),
        drops,
        clocks,
    }
}

//! The Enzian board core (`hdl::boards::enzian`, the NIC of
//! `hdl::library::small_lauberhorn_nic`) run by the host of `sim_models::lauberhorn::host`
//! at three unrelated clocks, stepped by `sim::clocks`: `app_clk` for the host side
//! (registers, the DMA fallback's ICT and host memory, `m_axis_other`, `irq`; the run
//! counts its cycles), `shell_clk` for the coherence link, which the CPU model reaches
//! through `sim_models::lauberhorn::dcs_shell` (a model of the ECI shell's two directory
//! slices) and the core's DCS ports, and `mac_clk` for `rx_axis_*` and `tx_axis_*`. Each
//! clock's first edge is at a random phase.
//!
//! The kernel's preemption checks count one clock's cycles across the link and the host
//! side, so a board run has no preemptions or retirements.

use crate::models::LauberhornEnzianCore as Core;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim::clocks::{period_ps, Clocks};
use sim::prelude::*;
use sim_models::lauberhorn::cpu::{CohPorts, Cpu};
use sim_models::lauberhorn::dcs_shell::{self, DcsPorts, Shell, ShellCfg};
use sim_models::lauberhorn::host::{try_run_on, Clocking, Failed, HostCfg, IoPins, Report, Sides};

/// Indices of the clocks in [`Board::clocks`].
pub const APP: usize = 0;
pub const SHELL: usize = 1;
pub const MAC: usize = 2;

/// The board's clocks (ps): `app_clk` 250 MHz, the shell's `clk_sys` and the CMAC's
/// `gt_txusrclk2` 322.265625 MHz.
pub fn board_periods() -> [u64; 3] {
    [
        period_ps(250.0),
        period_ps(322.265625),
        period_ps(322.265625),
    ]
}

/// The host's ports of the core.
pub fn io(d: &Core) -> IoPins<'_> {
    IoPins {
        axil: sim_models::axil_master_no_user!(d.s_axil),
        ict: sim_models::axil_master!(d.s_axil_ict),
        mem: sim_models::axi_slave_ports!(d.m_axi),
        rx: sim::axis_in!(d.rx_axis),
        tx: sim::axis_out!(d.tx_axis),
        other: sim::axis_out!(d.m_axis_other),
        irq: &d.irq,
    }
}

/// The core's clocks, reset and coherence link for a run (see the module docs).
pub struct Board<'a> {
    d: &'a Core,
    dcs: [DcsPorts<'a>; 2],
    pub clocks: Clocks,
    pub shell: Shell,
    /// Pulses of `rx_drop_bad`, `rx_drop_full`, `tx_drop_bad`, `tx_drop_full`.
    pub drops: [u64; 4],
}

impl<'a> Board<'a> {
    /// Clocks of `periods` (ps, in the order [`APP`], [`SHELL`], [`MAC`]) at random
    /// phases, and a shell of `shell`, all drawn from `rng`.
    pub fn new(d: &'a Core, periods: [u64; 3], shell: ShellCfg, rng: &mut ChaCha8Rng) -> Self {
        let first: Vec<u64> = periods.iter().map(|&p| rng.gen_range(1..=p)).collect();
        Board {
            d,
            dcs: sim_models::dcs_ports!(d),
            clocks: Clocks::with_first_edges(&periods, &first),
            shell: Shell::new(shell, ChaCha8Rng::seed_from_u64(rng.gen())),
            drops: [0; 4],
        }
    }

    fn clks(&self) -> [&'a dyn PortWrite; 3] {
        [&self.d.app_clk, &self.d.shell_clk, &self.d.mac_clk]
    }

    /// The edges, evaluated before and after.
    fn step(&mut self) {
        self.clocks.advance();
        self.clocks.settle(self.d).unwrap();
        self.tick();
    }
}

impl Clocking for Board<'_> {
    /// `board_rst` as the shell's reset gives it: high while each clock ticks four times,
    /// then four more edges of each so that every reset synchronizer has let go; then the
    /// MAC reports its lanes aligned.
    fn reset(&mut self) {
        let d = self.d;
        for p in [
            &d.s_axil.awvalid as &dyn PortWrite,
            &d.s_axil.wvalid,
            &d.s_axil.arvalid,
            &d.s_axil.bready,
            &d.s_axil.rready,
            &d.s_axil_ict.awvalid,
            &d.s_axil_ict.wvalid,
            &d.s_axil_ict.arvalid,
            &d.s_axil_ict.bready,
            &d.s_axil_ict.rready,
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
        dcs_shell::idle(&self.dcs);
        d.board_rst.set_bit(0, true);
        for release in [true, false] {
            let c = &self.clocks;
            let start = [c.edges(APP), c.edges(SHELL), c.edges(MAC)];
            while (0..3).any(|i| self.clocks.edges(i) < start[i] + 4) {
                self.step();
            }
            if release {
                d.board_rst.set_bit(0, false);
            }
        }
        self.drops = [0; 4];
        d.stat_rx_aligned.set_bit(0, true);
    }

    fn next(&mut self) -> Sides {
        let due = self.clocks.advance();
        Sides {
            mac: due.has(MAC),
            host: due.has(APP),
            link: due.has(SHELL),
        }
    }

    fn eval(&mut self) {
        self.clocks.settle(self.d).unwrap();
    }

    fn tick(&mut self) {
        let (d, due) = (self.d, self.clocks.due());
        if due.has(MAC) {
            self.drops[0] += u64::from(d.rx_drop_bad.bit(0));
            self.drops[1] += u64::from(d.rx_drop_full.bit(0));
        }
        if due.has(APP) {
            self.drops[2] += u64::from(d.tx_drop_bad.bit(0));
            self.drops[3] += u64::from(d.tx_drop_full.bit(0));
        }
        self.clocks.edge(d, &self.clks()).unwrap();
    }

    fn link(&self) -> CohPorts<'_> {
        self.shell.link()
    }

    fn drive_link(&mut self, cpu: &mut Cpu) {
        self.shell.drive(&self.dcs);
        cpu.drive(&self.shell.link());
    }

    fn sample_link(&mut self, cpu: &mut Cpu) {
        self.shell.sample(&self.dcs);
        cpu.sample(&self.shell.link());
    }
}

/// `frames` through the core at `periods` (see [`Board::new`]) as
/// `sim_models::lauberhorn::host::try_run` runs them through the whole NIC, with the shell
/// taking R, B, LCI and UL with probability `shell_ready` a cycle: the report, and the
/// board (its clocks' edges, the shell's counts, the FIFOs' drops). Fails, too, when a
/// clock-crossing FIFO dropped a frame.
pub fn try_run<'a>(
    d: &'a Core,
    periods: [u64; 3],
    shell_ready: f64,
    host: &HostCfg,
    frames: &[Vec<u8>],
    seed: u64,
) -> (Result<Report, Failed>, Board<'a>) {
    assert!(
        host.preempt == 0.0 && host.retire == 0.0,
        "a board run has no preemptions (see the module docs)"
    );
    let cfg = hdl::library::small_lauberhorn_nic();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(2);
    let shell = ShellCfg {
        cores: cfg.lauberhorn.cores,
        coh_width: host.cpu.coh_width,
        ready: shell_ready,
        c2n_ready: 0.8,
    };
    let mut board = Board::new(d, periods, shell, &mut rng);
    let r = try_run_on(&io(d), &mut board, &cfg, host, frames, seed);
    let r = match r {
        Ok(rep) if board.drops != [0; 4] => Err(Failed {
            why: format!(
                "the clock-crossing FIFOs dropped frames (rx bad, rx full, tx bad, tx full: {:?})",
                board.drops
            ),
            report: Box::new(rep),
        }),
        r => r,
    };
    (r, board)
}

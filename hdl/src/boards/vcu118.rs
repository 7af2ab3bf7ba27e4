//! `accio_vcu118_core`: the 512-bit Accio NIC as the VCU118 board design instantiates it,
//! with no vendor IP inside (Corundum's `fpga_core.v` split): everything here simulates
//! in Verilator, and `fpga/vcu118/fpga.v` adds the CMAC, the XDMA bridge and the clocks.
//!
//! Two clocks, unrelated to each other:
//!
//! * `core_clk` (250 MHz, `[timing] clock_period_ps`): the NIC, its AXI4-Lite slave
//!   `s_axil_*` and AXI4 master `m_axi_*` (the XDMA bridge's clock), `irq`, `evq_irq`,
//!   `np_irq`, `link_up`;
//! * `mac_clk` (322.265625 MHz, the CMAC's `gt_txusrclk2`, which clocks both of its
//!   AXI4-Stream ports): `rx_axis_*` from the CMAC, `tx_axis_*` to it,
//!   `stat_rx_aligned`.
//!
//! The streams cross in `axis_async_packet_fifo`s, whole frames at a time. The CMAC cannot
//! be held back, so the receive FIFO drops a frame that finds no room (`rx_drop_full`) and
//! `rx_axis_tready` is always 1; a frame the CMAC marks bad (`tuser` on its last beat) is
//! dropped there too (`rx_drop_bad`) and never reaches the NIC. The CMAC must not see a
//! gap inside a frame, which a 250 MHz source cannot promise a 322 MHz sink, so the
//! transmit FIFO releases a frame only once it is whole. `board_rst` (active high, any
//! clock) resets both domains through a `reset_sync` each, which releases both only after
//! their clocks have run (the FIFOs' reset contract). `stat_rx_aligned` crosses to
//! `core_clk` through a synchronizer and is the NIC's `link_up`.

use super::{cmac_port, synchronized_reset, MAC_WIDTH};
use crate::accio::nic::accio_nic;
use crate::blocks::reset_sync::reset_sync;
use crate::bundles::{Axis, AxisCfg};
use crate::config::Config;
use crate::ir::{HdlErrors, Module, ModuleBuilder};
use std::rc::Rc;

/// The module name Vivado and `fpga/vcu118/fpga.v` know the core by.
pub const CORE: &str = "accio_vcu118_core";
/// The NIC's bus width: one 100 GbE beat per cycle, as the CMAC's AXI4-Stream has it.
pub const DATA_WIDTH: u32 = 512;
pub use super::{MAC_CLOCK_PS, MAC_FIFO_BEATS, SYNC_STAGES};

/// The core for the NIC configured by `c` (see the module docs).
pub fn accio_vcu118_core(c: &Config) -> Result<Rc<Module>, HdlErrors> {
    let nic = accio_nic(c, DATA_WIDTH)?;
    let sync = reset_sync(SYNC_STAGES)?;
    let mut m = ModuleBuilder::new(CORE);
    m.doc(format!(
        "Accio NIC for the VCU118: {}, its host side in core_clk, its MAC side in\n\
         mac_clk (the CMAC's) behind clock-crossing packet FIFOs of {MAC_FIFO_BEATS} beats.",
        nic.name()
    ));
    let core_clk = m.domain("core_clk", None);
    let mac_clk = m.domain("mac_clk", None);
    let board_rst = m.input("board_rst", 1);
    let core = synchronized_reset(&mut m, &core_clk, "core", &board_rst, &sync);
    let mac = synchronized_reset(&mut m, &mac_clk, "mac", &board_rst, &sync);

    let n = m.in_domain(&core, |m| m.instance("nic", &nic));
    m.expose(n, "s_axil_");
    m.expose(n, "m_axi_");
    for out in ["irq", "evq_irq", "np_irq"] {
        let v = m.inst_output(n, out);
        let port = m.output(out, v.width());
        m.set(&port, &v);
    }
    let link_up = m.output("link_up", 1);

    let axis = AxisCfg::net(MAC_WIDTH);
    let (to_nic, from_nic) = (
        Axis::of_instance(n, "s_axis_rx", axis),
        Axis::of_instance(n, "m_axis_tx", axis),
    );
    let synced = cmac_port(&mut m, &to_nic, &from_nic, &core, &mac)?;
    m.connect(n, "link_up", &synced);
    m.set(&link_up, &synced);
    m.finish()
}

/// The core's constraints out of context (`accio_vcu118_core.xdc`): both clocks, and the
/// crossings between them as `fpga/vcu118/fpga.xdc` constrains them on the board.
pub fn core_xdc(c: &Config) -> String {
    super::core_xdc(
        CORE,
        "vcu118",
        &[
            ("core_clk", c.timing.clock_period_ps),
            ("mac_clk", MAC_CLOCK_PS),
        ],
    )
}

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

use crate::accio::nic::accio_nic;
use crate::blocks::async_fifo::crossing;
use crate::blocks::axis_async_packet_fifo::axis_async_packet_fifo;
use crate::blocks::axis_packet_fifo::PacketFifoCfg;
use crate::blocks::cdc_sync::sync_chain;
use crate::blocks::reset_sync::reset_sync;
use crate::bundles::{Axis, AxisCfg};
use crate::config::Config;
use crate::ir::{ClockDomain, HdlErrors, Module, ModuleBuilder, Sig};
use std::rc::Rc;

/// The module name Vivado and `fpga/vcu118/fpga.v` know the core by.
pub const CORE: &str = "accio_vcu118_core";
/// The CMAC's user clock: 100GBASE-R's 64b/66b line rate / 80 bits.
pub const MAC_CLOCK_PS: u32 = 3103;
/// The NIC's bus width: one 100 GbE beat per cycle, as the CMAC's AXI4-Stream has it.
pub const DATA_WIDTH: u32 = 512;
/// Beats of each clock-crossing packet FIFO: 32 KiB, three 9 KiB frames (one BRAM36 column
/// per 72 bits of the 578-bit beat).
pub const MAC_FIFO_BEATS: u64 = 512;
/// Synchronizer flops per crossing: two resolve metastability at these rates.
pub const SYNC_STAGES: u32 = 2;

/// The core for the NIC configured by `c` (see the module docs).
pub fn accio_vcu118_core(c: &Config) -> Result<Rc<Module>, HdlErrors> {
    let nic = accio_nic(c, DATA_WIDTH)?;
    let sync = reset_sync(SYNC_STAGES)?;
    let axis = AxisCfg::net(DATA_WIDTH);
    let rx_fifo =
        axis_async_packet_fifo(PacketFifoCfg::new(axis, MAC_FIFO_BEATS, true), SYNC_STAGES)?;
    let tx_fifo =
        axis_async_packet_fifo(PacketFifoCfg::new(axis, MAC_FIFO_BEATS, false), SYNC_STAGES)?;
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

    let rx = crossing(&mut m, "rx_fifo", &rx_fifo, &mac, &core);
    m.expose_as(rx, "s_axis_", "rx_axis_");
    Axis::of_instance(rx, "m_axis", axis).feed(&mut m, &Axis::of_instance(n, "s_axis_rx", axis));
    let tx = crossing(&mut m, "tx_fifo", &tx_fifo, &core, &mac);
    Axis::of_instance(n, "m_axis_tx", axis).feed(&mut m, &Axis::of_instance(tx, "s_axis", axis));
    m.expose_as(tx, "m_axis_", "tx_axis_");

    let aligned = m.input("stat_rx_aligned", 1);
    let synced = m.in_domain(&core, |m| {
        sync_chain(m, "link_up", &aligned, SYNC_STAGES, 0)
    });
    m.connect(n, "link_up", &synced);
    m.set(&link_up, &synced);
    for (fifo, side) in [(rx, "rx"), (tx, "tx")] {
        for what in ["drop_bad", "drop_full"] {
            let v = m.inst_output(fifo, what);
            let port = m.output(&format!("{side}_{what}"), 1);
            m.set(&port, &v);
        }
    }
    m.finish()
}

/// `clk`'s domain reset by `{name}_rst`: `board_rst` through a reset synchronizer on `clk`.
fn synchronized_reset(
    m: &mut ModuleBuilder,
    clk: &ClockDomain,
    name: &str,
    board_rst: &Sig,
    sync: &Rc<Module>,
) -> ClockDomain {
    let inst = m.in_domain(clk, |m| m.instance(&format!("{name}_rst_sync"), sync));
    m.connect(inst, "rst_in", board_rst);
    let out = m.inst_output(inst, "rst_out");
    let rst = m.wire(&format!("{name}_rst"), 1);
    m.set(&rst, &out);
    m.domain_reset_by(clk, &rst)
}

/// The core's constraints out of context (`accio_vcu118_core.xdc`): both clocks, and the
/// crossings between them as `fpga/vcu118/fpga.xdc` constrains them on the board.
pub fn core_xdc(c: &Config) -> String {
    let ns = |ps: u32| format!("{}.{:03}", ps / 1000, ps % 1000);
    let (core, mac) = (c.timing.clock_period_ps, MAC_CLOCK_PS);
    let fastest = ns(core.min(mac));
    format!(
        "# Timing constraints of {CORE} out of context, written by `gen --board vcu118`.\n\
         # Inputs and outputs are left unconstrained: fpga/vcu118/fpga.xdc times them on the board.\n\
         create_clock -period {core} -name core_clk [get_ports core_clk]\n\
         create_clock -period {mac} -name mac_clk [get_ports mac_clk]\n\
         \n\
         # The clocks are unrelated: what crosses (Gray pointers and handshakes into the\n\
         # *_sync0 flops, a handshake's held value, the FIFO memories' read side) is bounded\n\
         # by its data path alone, within the faster clock's period, so a Gray pointer's bits\n\
         # arrive within one step of each other.\n\
         set_max_delay -datapath_only -from [get_clocks core_clk] -to [get_clocks mac_clk] {fastest}\n\
         set_max_delay -datapath_only -from [get_clocks mac_clk] -to [get_clocks core_clk] {fastest}\n\
         # board_rst sets the reset synchronizers' flops at any time (their PRE pins).\n\
         set_false_path -to [get_pins -hierarchical -filter {{NAME =~ *_rst_sync/rst_sync*_reg/PRE}}]\n",
        core = ns(core),
        mac = ns(mac),
    )
}

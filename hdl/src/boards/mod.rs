//! Board cores: a NIC with the clock-domain crossings and resets a board's MAC and host
//! IP need around it, and no vendor IP inside (`gen --board NAME`; `fpga/NAME/` adds the
//! IP, pins and the Vivado flow).

pub mod enzian;
pub mod vcu118;

use crate::blocks::async_fifo::crossing;
use crate::blocks::axis_async_packet_fifo::axis_async_packet_fifo;
use crate::blocks::axis_packet_fifo::PacketFifoCfg;
use crate::blocks::cdc_sync::sync_chain;
use crate::bundles::{Axis, AxisCfg, InstAxis};
use crate::ir::{ClockDomain, HdlErrors, Module, ModuleBuilder, Sig};
use std::rc::Rc;

/// The CMAC's user clock: 100GBASE-R's 64b/66b line rate / 80 bits.
pub const MAC_CLOCK_PS: u32 = 3103;
/// Beats of each clock-crossing packet FIFO at the CMAC: 32 KiB, three 9 KiB frames (one
/// BRAM36 column per 72 bits of the 578-bit beat).
pub const MAC_FIFO_BEATS: u64 = 512;
/// Synchronizer flops per crossing: two resolve metastability at these rates.
pub const SYNC_STAGES: u32 = 2;
/// The CMAC's AXI4-Stream width.
pub(crate) const MAC_WIDTH: u32 = 512;

/// `clk`'s domain reset by `{name}_rst`: `board_rst` through a reset synchronizer on `clk`.
pub(crate) fn synchronized_reset(
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

/// The CMAC's streams (`rx_axis_*`, `tx_axis_*` and `stat_rx_aligned` in `mac`) to the
/// NIC's receive stream `to_nic` and from its transmit stream `from_nic`, both in `core`,
/// through `axis_async_packet_fifo`s of [`MAC_FIFO_BEATS`]: the receive FIFO drops bad
/// frames and, since the CMAC cannot be held back, frames that find no room; the transmit
/// FIFO releases only whole frames (the CMAC must see no gap inside one). Outputs
/// `{rx,tx}_drop_{bad,full}`; returns `stat_rx_aligned` synchronized to `core`.
pub(crate) fn cmac_port(
    m: &mut ModuleBuilder,
    to_nic: &InstAxis,
    from_nic: &InstAxis,
    core: &ClockDomain,
    mac: &ClockDomain,
) -> Result<Sig, HdlErrors> {
    let axis = AxisCfg::net(MAC_WIDTH);
    let fifo = |drop_when_full| {
        axis_async_packet_fifo(
            PacketFifoCfg::new(axis, MAC_FIFO_BEATS, drop_when_full),
            SYNC_STAGES,
        )
    };
    let (rx_fifo, tx_fifo) = (fifo(true)?, fifo(false)?);
    let rx = crossing(m, "rx_fifo", &rx_fifo, mac, core);
    m.expose_as(rx, "s_axis_", "rx_axis_");
    Axis::of_instance(rx, "m_axis", axis).feed(m, to_nic);
    let tx = crossing(m, "tx_fifo", &tx_fifo, core, mac);
    from_nic.feed(m, &Axis::of_instance(tx, "s_axis", axis));
    m.expose_as(tx, "m_axis_", "tx_axis_");
    let aligned = m.input("stat_rx_aligned", 1);
    let synced = m.in_domain(core, |m| sync_chain(m, "link_up", &aligned, SYNC_STAGES, 0));
    for (fifo, side) in [(rx, "rx"), (tx, "tx")] {
        for what in ["drop_bad", "drop_full"] {
            let v = m.inst_output(fifo, what);
            let port = m.output(&format!("{side}_{what}"), 1);
            m.set(&port, &v);
        }
    }
    Ok(synced)
}

/// A board core's constraints out of context (`<core>.xdc`): its clocks (name, period in
/// ps), and every crossing between them as `fpga/<board>/fpga.xdc` constrains it.
pub(crate) fn core_xdc(core: &str, board: &str, clocks: &[(&str, u32)]) -> String {
    let ns = |ps: u32| format!("{}.{:03}", ps / 1000, ps % 1000);
    let fastest = ns(clocks.iter().map(|c| c.1).min().expect("a clock"));
    let mut x = format!(
        "# Timing constraints of {core} out of context, written by `gen --board {board}`.\n\
         # Inputs and outputs are left unconstrained: fpga/{board}/fpga.xdc times them on the board.\n"
    );
    for (name, ps) in clocks {
        x += &format!(
            "create_clock -period {} -name {name} [get_ports {name}]\n",
            ns(*ps)
        );
    }
    x += "\n\
          # The clocks are unrelated: what crosses (Gray pointers and handshakes into the\n\
          # *_sync0 flops, a handshake's held value, the FIFO memories' read side) is bounded\n\
          # by its data path alone, within the faster clock's period, so a Gray pointer's bits\n\
          # arrive within one step of each other.\n";
    for (from, _) in clocks {
        for (to, _) in clocks.iter().filter(|t| t.0 != *from) {
            x += &format!(
                "set_max_delay -datapath_only -from [get_clocks {from}] -to [get_clocks {to}] {fastest}\n"
            );
        }
    }
    x + "# board_rst sets the reset synchronizers' flops at any time (their PRE pins).\n\
         set_false_path -to [get_pins -hierarchical -filter {NAME =~ *_rst_sync/rst_sync*_reg/PRE}]\n"
}

//! `lauberhorn_enzian_core`: the 512-bit Lauberhorn NIC as an Enzian application
//! instantiates it, with no vendor IP inside: everything here simulates in Verilator, and
//! `fpga/enzian/` adds the shell's ports, the CMAC and the clocks.
//!
//! Three clocks, unrelated to each other:
//!
//! * `app_clk` (250 MHz, `[timing] clock_period_ps`; the prototype's application clock):
//!   the NIC, its register slaves `s_axil_*` (LAUBERHORN) and `s_axil_ict_*` (the DMA
//!   fallback's ICT), its host-memory master `m_axi_*`, the normal-path frames
//!   `m_axis_other_*`, the interrupts and `link_up`;
//! * `shell_clk` (322.265625 MHz, the ECI shell's `clk_sys`): the two DCS slices' AXI4
//!   masters and LCL channels (`s_axi_{even,odd}_*`, `lci_*`, `lcia_*`, `ul_*`), turned
//!   into the NIC's coherence link by [`dcs_adapter`], which crosses to `app_clk`;
//! * `mac_clk` (322.265625 MHz, the CMAC's `gt_txusrclk2`): `rx_axis_*`, `tx_axis_*`,
//!   `stat_rx_aligned`, through the packet FIFOs of [`super::cmac_port`].
//!
//! The shell's AXI4-Lite I/O window lives in `clk_sys`; `fpga/enzian/fpga.v` crosses it to
//! `app_clk` with an AXI clock converter (as the prototype's `axil_cdc`). `board_rst`
//! (active high, any clock) resets each domain through a `reset_sync` of its own.
//!
//! Every port of the NIC is the core's: nothing is tied off here. `fpga/enzian/fpga.v`
//! takes the DMA fallback's `m_axi` to the shell's FPGA → CPU AXI4-Lite window and `irq`
//! to the application's interrupt lines, and leaves unconnected what the shell has no path
//! for: `m_axis_other` (taken and dropped: no stream to the host), `backlog_irq` and the
//! ICT's interrupts (polled instead); `fpga/enzian/README.md` says why and what it assumes.

use super::{cmac_port, synchronized_reset, MAC_CLOCK_PS, MAC_WIDTH, SYNC_STAGES};
use crate::blocks::axis_register::axis_register;
use crate::blocks::reset_sync::reset_sync;
use crate::bundles::{Axis, AxisCfg};
use crate::config::Config;
use crate::ir::{HdlErrors, Module, ModuleBuilder};
use crate::lauberhorn::dcs_adapter::{dcs_adapter, DcsAdapterCfg, DATA_WIDTH, SLICES};
use crate::lauberhorn::nic::lauberhorn_nic;
use std::rc::Rc;

/// The module name Vivado and `fpga/enzian/fpga.v` know the core by.
pub const CORE: &str = "lauberhorn_enzian_core";
/// The ECI shell's `clk_sys`.
pub const SHELL_CLOCK_PS: u32 = 3103;

/// The core for the NIC configured by `c` (see the module docs).
pub fn lauberhorn_enzian_core(c: &Config) -> Result<Rc<Module>, HdlErrors> {
    if c.lauberhorn.coh_width != DATA_WIDTH {
        return Err(HdlErrors::param(
            CORE,
            format!(
                "lauberhorn.coh_width = {}: the DCS's AXI port is {DATA_WIDTH} bits",
                c.lauberhorn.coh_width
            ),
        ));
    }
    let nic = lauberhorn_nic(c, DATA_WIDTH)?;
    let adapter = dcs_adapter(DcsAdapterCfg {
        cores: c.lauberhorn.cores,
    })?;
    let sync = reset_sync(SYNC_STAGES)?;
    let mut m = ModuleBuilder::new(CORE);
    m.doc(format!(
        "Lauberhorn NIC for Enzian: {} in app_clk, its coherence link from the shell's DCS\n\
         slices in shell_clk ({}), its MAC in mac_clk behind packet FIFOs.",
        nic.name(),
        adapter.name()
    ));
    let app_clk = m.domain("app_clk", None);
    let shell_clk = m.domain("shell_clk", None);
    let mac_clk = m.domain("mac_clk", None);
    let board_rst = m.input("board_rst", 1);
    let app = synchronized_reset(&mut m, &app_clk, "app", &board_rst, &sync);
    let shell = synchronized_reset(&mut m, &shell_clk, "shell", &board_rst, &sync);
    let mac = synchronized_reset(&mut m, &mac_clk, "mac", &board_rst, &sync);

    let n = m.in_domain(&app, |m| m.instance("nic", &nic));
    for prefix in ["s_axil", "m_axi_", "m_axis_other"] {
        m.expose(n, prefix);
    }
    for out in ["irq", "backlog_irq", "accio_irq", "accio_evq_irq"] {
        let v = m.inst_output(n, out);
        let port = m.output(out, v.width());
        m.set(&port, &v);
    }

    let a = m.instance("dcs", &adapter);
    for (side, d) in [("shell", &shell), ("app", &app)] {
        m.connect(a, &format!("{side}_clk"), &d.clk);
        m.connect(
            a,
            &format!("{side}_rst"),
            d.rst.as_ref().expect("reset_sync"),
        );
    }
    for s in SLICES {
        for prefix in ["s_axi", "lci", "lcia", "ul"] {
            m.expose(a, &format!("{prefix}_{s}_"));
        }
    }
    // The coherence link: the adapter's c2n into the NIC, the NIC's n2c into the adapter.
    for (from, to, dir) in [(a, n, "c2n"), (n, a, "n2c")] {
        let mut fields = vec!["valid", "op", "line", "id", "data", "last"];
        if dir == "n2c" {
            fields.push("err");
        }
        for f in fields {
            let v = m.inst_output(from, &format!("{dir}_{f}"));
            m.connect(to, &format!("{dir}_{f}"), &v);
        }
        let r = m.inst_output(to, &format!("{dir}_ready"));
        m.connect(from, &format!("{dir}_ready"), &r);
    }

    let link_up = m.output("link_up", 1);
    // The reply builder drives m_axis_tx from its state and takes tready into it, and the
    // transmit FIFO's tready is a compare on a synchronized pointer: a register slice
    // between the two keeps each side's logic to itself (6 LUT levels instead of 8).
    let axis = AxisCfg::net(MAC_WIDTH);
    let slice = axis_register(axis)?;
    let tx_reg = m.in_domain(&app, |m| m.instance("tx_reg", &slice));
    let into_reg = Axis::of_instance(tx_reg, "s_axis", axis);
    Axis::of_instance(n, "m_axis_tx", axis).feed(&mut m, &into_reg);
    let (to_nic, from_nic) = (
        Axis::of_instance(n, "s_axis_rx", axis),
        Axis::of_instance(tx_reg, "m_axis", axis),
    );
    let synced = cmac_port(&mut m, &to_nic, &from_nic, &app, &mac)?;
    m.set(&link_up, &synced);
    m.finish()
}

/// The core's constraints out of context (`lauberhorn_enzian_core.xdc`).
pub fn core_xdc(c: &Config) -> String {
    super::core_xdc(
        CORE,
        "enzian",
        &[
            ("app_clk", c.timing.clock_period_ps),
            ("shell_clk", SHELL_CLOCK_PS),
            ("mac_clk", MAC_CLOCK_PS),
        ],
    )
}

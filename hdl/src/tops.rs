//! The tops `gen` writes: each is built from the one [`Config`].

use crate::accio::ict::accio_ict;
use crate::blocks::axis_packet_fifo::{axis_packet_fifo, PacketFifoCfg};
use crate::blocks::axis_register::axis_register;
use crate::blocks::byte_shifter::{byte_shifter, ByteShifterCfg};
use crate::blocks::checksum::checksum;
use crate::blocks::rr_arbiter::rr_arbiter;
use crate::blocks::sync_fifo::{sync_fifo, SyncFifoCfg};
use crate::boards::{enzian, vcu118};
use crate::bundles::AxisCfg;
use crate::config::Config;
use crate::ir::{HdlErrors, Module};
use crate::regmap::RegMap;
use std::rc::Rc;

/// A top the generator can emit.
pub struct Top {
    /// The name users select it by (`gen --top NAME`).
    pub name: &'static str,
    /// One line for `gen --list`.
    pub about: &'static str,
    build: fn(&Config) -> Result<Rc<Module>, HdlErrors>,
    /// The register map of the top's AXI4-Lite slave, if it has one.
    regs: Option<fn(&Config) -> RegMap>,
    /// Its timing constraints (`<top>.xdc`).
    xdc: fn(&Config, &Module) -> String,
}

impl Top {
    pub fn build(&self, cfg: &Config) -> Result<Rc<Module>, HdlErrors> {
        (self.build)(cfg)
    }

    /// The register map, for the C header, Rust constants and Markdown reference.
    pub fn regmap(&self, cfg: &Config) -> Option<RegMap> {
        self.regs.map(|f| f(cfg))
    }

    /// The XDC `gen` writes beside the top.
    pub fn xdc(&self, cfg: &Config, top: &Module) -> String {
        (self.xdc)(cfg, top)
    }
}

/// One clock, `clk`, at the configured period.
fn one_clock(c: &Config, top: &Module) -> String {
    crate::constraints::timing_xdc(top, c.timing.clock_period_ps)
}

/// The boards `gen --board NAME` knows.
pub const BOARDS: &[&str] = &["vcu118", "enzian"];

/// The tops `gen --board NAME` writes instead of [`all`], if `name` is a board.
pub fn board(name: &str) -> Option<&'static [Top]> {
    match name {
        "vcu118" => Some(&[Top {
            name: vcu118::CORE,
            about: "the 512-bit Accio NIC in core_clk behind packet FIFOs to the CMAC's mac_clk, reset synchronizers (ict.*, rx.*, tx.*, np.*, timing.*)",
            build: vcu118::accio_vcu118_core,
            regs: Some(|c| crate::accio::regs::regmap(&c.ict)),
            xdc: |c, _| vcu118::core_xdc(c),
        }]),
        "enzian" => Some(&[Top {
            name: enzian::CORE,
            about: "the 512-bit Lauberhorn NIC in app_clk, its coherence link from the shell's DCS slices in shell_clk, packet FIFOs to the CMAC's mac_clk (lauberhorn.*, ict.*, rx.*, timing.*)",
            build: enzian::lauberhorn_enzian_core,
            regs: Some(|c| crate::lauberhorn::regs::regmap(&c.lauberhorn)),
            xdc: |c, _| enzian::core_xdc(c),
        }]),
        _ => None,
    }
}

/// Every top, in the order `gen` writes them.
pub fn all() -> &'static [Top] {
    &[
        Top {
            name: "axis_register",
            about: "AXI4-Stream register slice with skid buffer (net.data_width)",
            build: |c| axis_register(AxisCfg::net(c.net.data_width)),
            regs: None,
            xdc: one_clock,
        },
        Top {
            name: "sync_fifo",
            about: "synchronous FIFO (net.data_width x fifo.depth)",
            build: |c| sync_fifo(SyncFifoCfg::new(c.net.data_width, c.fifo.depth)),
            regs: None,
            xdc: one_clock,
        },
        Top {
            name: "axis_packet_fifo",
            about: "store-and-forward packet FIFO dropping bad frames (net.data_width, fifo.*)",
            build: |c| {
                let axis = AxisCfg::net(c.net.data_width);
                axis_packet_fifo(PacketFifoCfg::new(
                    axis,
                    c.fifo.depth,
                    c.fifo.drop_when_full,
                ))
            },
            regs: None,
            xdc: one_clock,
        },
        Top {
            name: "rr_arbiter",
            about: "round-robin arbiter (arbiter.requesters)",
            build: |c| rr_arbiter(c.arbiter.requesters),
            regs: None,
            xdc: one_clock,
        },
        Top {
            name: "checksum",
            about: "Internet checksum over a keep-masked frame (net.data_width)",
            build: |c| checksum(c.net.data_width),
            regs: None,
            xdc: one_clock,
        },
        Top {
            name: "byte_shifter",
            about: "header-stripping byte aligner (net.data_width, shifter.max_offset)",
            build: |c| byte_shifter(ByteShifterCfg::new(c.net.data_width, c.shifter.max_offset)),
            regs: None,
            xdc: one_clock,
        },
        Top {
            name: "accio_ict",
            about: "Accio ICT + ready queues + interrupts + event queue behind AXI4-Lite (ict.*)",
            build: |c| accio_ict(&c.ict),
            regs: Some(|c| crate::accio::regs::regmap(&c.ict)),
            xdc: one_clock,
        },
        Top {
            name: "lauberhorn_nic_w64",
            about: "the Lauberhorn NIC at 64 bits: RPC receive and transmit paths, scheduler, CONTROL- and TX-line endpoints, registers, the DMA fallback's ICT rings (lauberhorn.*, ict.*, rx.*)",
            build: |c| crate::lauberhorn::nic::lauberhorn_nic(c, 64),
            regs: Some(|c| crate::lauberhorn::regs::regmap(&c.lauberhorn)),
            xdc: one_clock,
        },
        Top {
            name: "lauberhorn_nic_w512",
            about: "the Lauberhorn NIC at 512 bits (100 GbE at 250 MHz)",
            build: |c| crate::lauberhorn::nic::lauberhorn_nic(c, 512),
            regs: Some(|c| crate::lauberhorn::regs::regmap(&c.lauberhorn)),
            xdc: one_clock,
        },
        Top {
            name: "accio_nic_w64",
            about: "the Accio NIC at 64 bits: ICT, UDP offload RX/TX, normal path (ict.*, rx.*, tx.*, np.*)",
            build: |c| crate::accio::nic::accio_nic(c, 64),
            regs: Some(|c| crate::accio::regs::regmap(&c.ict)),
            xdc: one_clock,
        },
        Top {
            name: "accio_nic_w512",
            about: "the Accio NIC at 512 bits (100 GbE at 250 MHz)",
            build: |c| crate::accio::nic::accio_nic(c, 512),
            regs: Some(|c| crate::accio::regs::regmap(&c.ict)),
            xdc: one_clock,
        },
    ]
}

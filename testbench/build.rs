//! Builds the Verilated models the testbenches drive (see the `sim` crate docs).
//!
//! To add a model, push its `ModelSpec` onto `specs` below; its handle then appears in
//! `testbench::models` (e.g. top `axis_register_w512` → `models::AxisRegisterW512`).

use sim::verilate::{build_models, ModelSpec, PortDir, PortSpec};

fn main() -> anyhow::Result<()> {
    #[allow(unused_mut)]
    let mut specs = vec![bridge_selftest(), reset_probe()];
    // tests/axis_register.rs; benches/sim_speed.rs (w = 512, with its C++ half)
    for w in [8, 64, 512] {
        let mut spec = hdl_model(hdl::blocks::axis_register::axis_register(
            hdl::bundles::AxisCfg::net(w),
        ))?
        .with_view("axis_register");
        if w == 512 {
            spec.extra_cpp.push((
                "axis_register_bench.cpp".into(),
                include_str!("rtl/axis_register_bench.cpp").into(),
            ));
        }
        specs.push(spec);
    }
    // tests/checksum.rs
    for w in [64, 512] {
        specs.push(hdl_model(hdl::blocks::checksum::checksum(w))?);
    }
    // tests/byte_shifter.rs
    for (w, max_offset) in [(8, 64), (64, 256), (512, 256)] {
        let cfg = hdl::blocks::byte_shifter::ByteShifterCfg::new(w, max_offset);
        specs.push(hdl_model(hdl::blocks::byte_shifter::byte_shifter(cfg))?);
    }
    specs.extend(fifo_and_arbiter_models()?);
    specs.extend(cdc_models()?);
    // tests/dma.rs
    for w in [64, 512] {
        let cfg = hdl::blocks::dma_burst::DmaCfg::new(w, 8);
        specs.push(hdl_model(hdl::blocks::dma_write::dma_write(cfg))?.with_view("dma_write"));
        specs.push(hdl_model(hdl::blocks::dma_read::dma_read(cfg))?.with_view("dma_read"));
    }
    // tests/udp_rx_parse.rs, tests/udp_tx_build.rs, tests/rpc_decode.rs
    for w in [64, 128, 256, 512] {
        specs
            .push(hdl_model(hdl::blocks::udp_rx_parse::udp_rx_parse(w))?.with_view("udp_rx_parse"));
        specs
            .push(hdl_model(hdl::blocks::udp_tx_build::udp_tx_build(w))?.with_view("udp_tx_build"));
        specs.push(hdl_model(hdl::lauberhorn::rpc_decode::rpc_decode(w))?.with_view("rpc_decode"));
    }
    // tests/accio_rx.rs, tests/accio_tx.rs
    for w in [64, 512] {
        let cfg = hdl::library::small_rx(w);
        specs.push(hdl_model(hdl::accio::rx_offload::accio_rx_offload(cfg))?.with_view("accio_rx"));
        let cfg = hdl::library::small_tx(w);
        specs.push(hdl_model(hdl::accio::tx_offload::accio_tx_offload(cfg))?.with_view("accio_tx"));
        // tests/accio_nic.rs and the replay tool
        specs.push(
            hdl_model(hdl::accio::nic::accio_nic(&hdl::library::small_nic(), w))?
                .with_view("accio_nic"),
        );
    }
    // The connection-multiplexing experiment (src/experiments/accio.rs): the paper's
    // 64-slot ICT.
    let mut wide = hdl::library::small_nic();
    wide.ict.entries = 64;
    specs.push(hdl_model(hdl::accio::nic::accio_nic(&wide, 512))?.with_view("accio_nic"));
    // tests/board_vcu118.rs: the VCU118 board core around the 512-bit NIC (two clocks).
    specs.push(hdl_model(hdl::boards::vcu118::accio_vcu118_core(
        &hdl::library::small_nic(),
    ))?);
    // tests/enzian_core.rs: the Enzian board core around the 512-bit Lauberhorn NIC (three
    // clocks).
    specs.push(hdl_model(hdl::boards::enzian::lauberhorn_enzian_core(
        &hdl::library::small_lauberhorn_nic(),
    ))?);
    // tests/lauberhorn_endpoints.rs: one, two and eight beats per line.
    for w in [1024, 512, 128] {
        let cfg = hdl::library::small_endpoints(w);
        specs.push(hdl_model(hdl::lauberhorn::endpoints::endpoints(cfg))?.with_view("endpoints"));
    }
    // tests/dcs_adapter.rs: the Enzian DCS adapter, four cores (two clocks).
    specs.push(hdl_model(hdl::lauberhorn::dcs_adapter::dcs_adapter(
        hdl::lauberhorn::dcs_adapter::DcsAdapterCfg { cores: 4 },
    ))?);
    // tests/lauberhorn_scheduler.rs
    specs.push(hdl_model(hdl::lauberhorn::scheduler::scheduler(
        hdl::library::small_scheduler(),
    ))?);
    // tests/lauberhorn_service_table.rs
    specs.push(hdl_model(hdl::lauberhorn::service_table::service_table(
        hdl::library::small_services(),
    ))?);
    // tests/lauberhorn_rpc_rx.rs
    for (net, coh) in [(64, 512), (512, 512), (512, 128)] {
        let cfg = hdl::library::small_rpc_rx(net, coh);
        specs.push(hdl_model(hdl::lauberhorn::rpc_rx::rpc_rx(cfg))?.with_view("rpc_rx"));
        // tests/lauberhorn_rpc_reply.rs
        let cfg = hdl::library::small_rpc_reply(net, coh);
        specs.push(hdl_model(hdl::lauberhorn::rpc_reply::rpc_reply(cfg))?.with_view("rpc_reply"));
    }
    // tests/accio_ict.rs: the default configuration, and its register constants.
    let ict = hdl::config::IctConfig::default();
    specs.push(hdl_model(hdl::accio::ict::accio_ict(&ict))?);
    // tests/lauberhorn_csr.rs, and its register constants.
    let lh = hdl::library::small_lauberhorn();
    specs.push(hdl_model(hdl::lauberhorn::csr::csr(&lh))?);
    // tests/lauberhorn_nic.rs and tests/lauberhorn_dma_fallback.rs
    for w in [64, 512] {
        let cfg = hdl::library::small_lauberhorn_nic();
        specs.push(
            hdl_model(hdl::lauberhorn::nic::lauberhorn_nic(&cfg, w))?.with_view("lauberhorn_nic"),
        );
        let cfg = hdl::library::small_dma_fallback(w);
        specs.push(hdl_model(hdl::lauberhorn::dma_fallback::dma_fallback(cfg))?);
    }
    // tests/scale.rs and `soak --scale`: both NICs at the scale of issue 18.
    specs.push(
        hdl_model(hdl::lauberhorn::nic::lauberhorn_nic(
            &hdl::library::scale_lauberhorn_nic(),
            512,
        ))?
        .with_view("lauberhorn_nic"),
    );
    specs.push(
        hdl_model(hdl::accio::nic::accio_nic(&hdl::library::scale_nic(), 512))?
            .with_view("accio_nic"),
    );
    // tests/reg_slave.rs
    specs.push(hdl_model(reg_slave_fixture())?);
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out.join("lauberhorn_regs.rs"),
        hdl::lauberhorn::regs::regmap(&lh).rust_module(),
    )?;
    std::fs::write(
        out.join("accio_regs.rs"),
        hdl::accio::regs::regmap(&ict).rust_module(),
    )?;
    build_models(&specs)
}

include!("rtl/reg_slave_fixture.rs");

/// Hand-written model exercising every feature of the bridge (tests/sim_bridge.rs).
fn bridge_selftest() -> ModelSpec {
    use PortDir::{In, Out};
    let axis = |dir, prefix: &str, field: &str, width| PortSpec::grouped(dir, prefix, field, width);
    ModelSpec {
        top: "bridge_selftest".into(),
        files: vec![(
            "bridge_selftest.v".into(),
            include_str!("rtl/bridge_selftest.v").into(),
        )],
        ports: vec![
            PortSpec::input("clk", 1),
            PortSpec::input("rst", 1),
            PortSpec::input("in8", 8),
            PortSpec::input("in16", 16),
            PortSpec::input("in33", 33),
            PortSpec::input("in64", 64),
            PortSpec::input("in1024", 1024),
            PortSpec::output("out8", 8),
            PortSpec::output("out16", 16),
            PortSpec::output("out33", 33),
            PortSpec::output("out64", 64),
            PortSpec::output("out1024", 1024),
            PortSpec::output("comb8", 8),
            PortSpec::output("comb1024", 1024),
            axis(In, "s_axis", "tdata", 512),
            axis(In, "s_axis", "tkeep", 64),
            axis(In, "s_axis", "tvalid", 1),
            axis(In, "s_axis", "tlast", 1),
            axis(Out, "s_axis", "tready", 1),
            axis(Out, "m_axis", "tdata", 512),
            axis(Out, "m_axis", "tkeep", 64),
            axis(Out, "m_axis", "tvalid", 1),
            axis(Out, "m_axis", "tlast", 1),
            axis(In, "m_axis", "tready", 1),
            PortSpec::output("beats", 16),
            PortSpec::input("fatal_trigger", 1),
            PortSpec::input("stop_trigger", 1),
            PortSpec::input("finish_trigger", 1),
        ],
        clock: Some("clk".into()),
        extra_cpp: vec![(
            "bridge_selftest_bench.cpp".into(),
            include_str!("rtl/bridge_selftest_bench.cpp").into(),
        )],
        view: None,
    }
}

/// tests/reset_state.rs: registers with and without reset, and a memory.
fn reset_probe() -> ModelSpec {
    ModelSpec {
        top: "reset_probe".into(),
        files: vec![(
            "reset_probe.v".into(),
            include_str!("rtl/reset_probe.v").into(),
        )],
        ports: vec![
            PortSpec::input("clk", 1),
            PortSpec::input("rst", 1),
            PortSpec::input("addr", 2),
            PortSpec::input("we", 1),
            PortSpec::input("wdata", 32),
            PortSpec::output("counted", 32),
            PortSpec::output("forgot", 32),
            PortSpec::output("wide", 100),
            PortSpec::output("mem_word", 32),
        ],
        clock: Some("clk".into()),
        extra_cpp: vec![],
        view: None,
    }
}

/// The `ModelSpec` of an hdl block (a generator's result).
fn hdl_model(top: Result<std::rc::Rc<hdl::Module>, hdl::HdlErrors>) -> anyhow::Result<ModelSpec> {
    ModelSpec::from_module(&top?)
}

/// Clock-domain-crossing blocks (tests/cdc.rs): models with two clocks (no `clk`) and the
/// reset synchronizer (clocked by `clk`).
fn cdc_models() -> anyhow::Result<Vec<ModelSpec>> {
    use hdl::blocks::async_fifo::{async_fifo, AsyncFifoCfg};
    use hdl::blocks::axis_async_packet_fifo::axis_async_packet_fifo;
    use hdl::blocks::axis_packet_fifo::PacketFifoCfg;
    use hdl::bundles::AxisCfg;
    let deep = AsyncFifoCfg {
        stages: 3,
        ..AsyncFifoCfg::new(64, 512)
    };
    let mut specs = vec![
        hdl_model(async_fifo(AsyncFifoCfg::new(16, 16)))?,
        hdl_model(async_fifo(deep))?,
        hdl_model(hdl::blocks::pulse_sync::pulse_sync(16, 2))?,
        hdl_model(hdl::blocks::handshake_sync::handshake_sync(32, 2))?,
    ];
    for drop_when_full in [true, false] {
        let cfg = PacketFifoCfg::new(AxisCfg::net(64), 64, drop_when_full);
        specs.push(hdl_model(axis_async_packet_fifo(cfg, 2))?);
    }
    for stages in [2, 3] {
        specs.push(hdl_model(hdl::blocks::reset_sync::reset_sync(stages))?);
    }
    Ok(specs)
}

/// FIFOs and arbiters (tests/sync_fifo.rs, tests/axis_packet_fifo.rs, tests/rr_arbiter.rs).
fn fifo_and_arbiter_models() -> anyhow::Result<Vec<ModelSpec>> {
    use hdl::blocks::axis_packet_fifo::{axis_packet_fifo, PacketFifoCfg};
    use hdl::blocks::rr_arbiter::rr_arbiter;
    use hdl::blocks::sync_fifo::{sync_fifo, SyncFifoCfg};
    use hdl::bundles::AxisCfg;
    let mut specs = vec![
        hdl_model(sync_fifo(SyncFifoCfg::new(8, 16)))?,
        hdl_model(sync_fifo(SyncFifoCfg::new(512, 1024)))?,
    ];
    for (w, depth) in [(64, 64), (512, 512)] {
        for drop_when_full in [true, false] {
            let cfg = PacketFifoCfg::new(AxisCfg::net(w), depth, drop_when_full);
            specs.push(hdl_model(axis_packet_fifo(cfg))?.with_view("axis_packet_fifo"));
        }
    }
    for n in [1, 4, 5] {
        specs.push(hdl_model(rr_arbiter(n))?.with_view("rr_arbiter"));
    }
    Ok(specs)
}

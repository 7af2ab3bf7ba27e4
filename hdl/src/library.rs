//! Every block variant the project checks on its own: each is snapshot-tested, linted
//! with `verilator -Wall` and synthesized by the test gate. Add a new block here.

use crate::accio::ict::accio_ict;
use crate::blocks::async_fifo::{async_fifo, AsyncFifoCfg};
use crate::blocks::axis_async_packet_fifo::axis_async_packet_fifo;
use crate::blocks::axis_packet_fifo::{axis_packet_fifo, PacketFifoCfg};
use crate::blocks::axis_register::axis_register;
use crate::blocks::byte_shifter::{byte_shifter, ByteShifterCfg};
use crate::blocks::checksum::checksum;
use crate::blocks::handshake_sync::handshake_sync;
use crate::blocks::pulse_sync::pulse_sync;
use crate::blocks::reset_sync::reset_sync;
use crate::blocks::rr_arbiter::rr_arbiter;
use crate::blocks::sync_fifo::{sync_fifo, SyncFifoCfg};
use crate::bundles::AxisCfg;
use crate::ir::{HdlErrors, Module};
use std::rc::Rc;

/// The library blocks at the widths we test (8-bit, 64-bit and 512-bit streams).
pub fn blocks() -> Result<Vec<Rc<Module>>, HdlErrors> {
    let mut out = Vec::new();
    for w in [8, 64, 512] {
        out.push(axis_register(AxisCfg::net(w))?);
    }
    // A shallow LUTRAM FIFO and a deep block-RAM one.
    out.push(sync_fifo(SyncFifoCfg::new(8, 16))?);
    out.push(sync_fifo(SyncFifoCfg::new(512, 1024))?);
    // Packet FIFOs in both full-handling modes, LUTRAM at 64 bits, block RAM at 512.
    for (w, depth) in [(64, 64), (512, 512)] {
        for drop_when_full in [true, false] {
            out.push(axis_packet_fifo(PacketFifoCfg::new(
                AxisCfg::net(w),
                depth,
                drop_when_full,
            ))?);
        }
    }
    for n in [1, 4, 5] {
        out.push(rr_arbiter(n)?);
    }
    out.extend(cdc_blocks()?);
    // The Verilator-tested widths (testbench/tests/checksum.rs, byte_shifter.rs).
    for w in [64, 512] {
        out.push(checksum(w)?);
    }
    for (w, max_offset) in [(8, 64), (64, 256), (512, 256)] {
        out.push(byte_shifter(ByteShifterCfg::new(w, max_offset))?);
    }
    // DMA engines at the narrowest and widest NIC buses (tests/dma.rs drives these).
    for w in [64, 512] {
        let cfg = crate::blocks::dma_burst::DmaCfg::new(w, 8);
        out.push(crate::blocks::dma_write::dma_write(cfg)?);
        out.push(crate::blocks::dma_read::dma_read(cfg)?);
    }
    for w in [64, 128, 256, 512] {
        out.push(crate::blocks::udp_rx_parse::udp_rx_parse(w)?);
        out.push(crate::blocks::udp_tx_build::udp_tx_build(w)?);
        out.push(crate::lauberhorn::rpc_decode::rpc_decode(w)?);
    }
    // CONTROL-line endpoints at one, two and eight beats per line (tests/lauberhorn_endpoints.rs).
    for w in [1024, 512, 128] {
        out.push(crate::lauberhorn::endpoints::endpoints(small_endpoints(w))?);
    }
    out.push(crate::lauberhorn::scheduler::scheduler(small_scheduler())?);
    out.push(crate::lauberhorn::csr::csr(&small_lauberhorn())?);
    for w in [64, 512] {
        out.push(crate::lauberhorn::nic::lauberhorn_nic(
            &small_lauberhorn_nic(),
            w,
        )?);
        out.push(crate::lauberhorn::dma_fallback::dma_fallback(
            small_dma_fallback(w),
        )?);
    }
    out.push(crate::lauberhorn::service_table::service_table(
        small_services(),
    )?);
    for (net, coh) in [(64, 512), (512, 512), (512, 128)] {
        out.push(crate::lauberhorn::rpc_rx::rpc_rx(small_rpc_rx(net, coh))?);
        out.push(crate::lauberhorn::rpc_reply::rpc_reply(small_rpc_reply(
            net, coh,
        ))?);
    }
    // The Enzian DCS adapter as testbench/tests/dcs_adapter.rs drives it.
    out.push(crate::lauberhorn::dcs_adapter::dcs_adapter(
        crate::lauberhorn::dcs_adapter::DcsAdapterCfg { cores: 4 },
    )?);
    // A small ICT (the default one is emitted and checked by the gate; tests/accio.rs
    // lints the largest), its ready queue and event queue.
    out.push(accio_ict(&small_ict())?);
    for w in [64, 512] {
        out.push(crate::accio::rx_offload::accio_rx_offload(small_rx(w))?);
        out.push(crate::accio::tx_offload::accio_tx_offload(small_tx(w))?);
        out.push(crate::accio::nic::accio_nic(&small_nic(), w)?);
    }
    // The VCU118 board core around the 512-bit NIC, as testbench/tests/board_vcu118.rs
    // drives it.
    out.push(crate::boards::vcu118::accio_vcu118_core(&small_nic())?);
    Ok(out)
}

/// The clock-domain-crossing blocks as testbench/tests/cdc.rs drives them (a shallow
/// LUTRAM and a deep block-RAM FIFO, packet FIFOs at both NIC widths and both full
/// modes, the synchronizers with two and three flops).
pub fn cdc_blocks() -> Result<Vec<Rc<Module>>, HdlErrors> {
    let mut out = vec![
        async_fifo(AsyncFifoCfg::new(16, 16))?,
        async_fifo(AsyncFifoCfg {
            stages: 3,
            ..AsyncFifoCfg::new(64, 512)
        })?,
    ];
    for (w, depth) in [(64, 64), (512, 512)] {
        for drop_when_full in [true, false] {
            let cfg = PacketFifoCfg::new(AxisCfg::net(w), depth, drop_when_full);
            out.push(axis_async_packet_fifo(cfg, 2)?);
        }
    }
    for stages in [2, 3] {
        out.push(reset_sync(stages)?);
        out.push(pulse_sync(16, stages)?);
        out.push(handshake_sync(32, stages)?);
    }
    Ok(out)
}

/// The RX offload engine as testbench/tests/accio_rx.rs drives it: 4 entries (like
/// [`small_ict`]), an 8 KiB frame buffer, 2 KiB normal-path buffers, 16 bursts in flight.
pub fn small_rx(data_width: u32) -> crate::accio::rx_offload::RxOffloadCfg {
    crate::accio::rx_offload::RxOffloadCfg {
        data_width,
        entries: 4,
        buffer_bytes: 8192,
        np_buffer_bytes: 2048,
        dma_outstanding: 16,
    }
}

/// The ICT configuration snapshotted as a library block: 4 slots, 2 cores.
pub fn small_ict() -> crate::config::IctConfig {
    crate::config::IctConfig {
        entries: 4,
        cores: 2,
        miss_filter_bits: 128,
        event_queue_depth: 4,
    }
}

/// The TX offload engine as testbench/tests/accio_tx.rs drives it: 4 entries, a 1500-byte
/// MTU, 16 bursts in flight.
pub fn small_tx(data_width: u32) -> crate::accio::tx_offload::TxOffloadCfg {
    crate::accio::tx_offload::TxOffloadCfg {
        data_width,
        entries: 4,
        max_payload: 1472,
        max_frame: 1514,
        dma_outstanding: 16,
    }
}

/// The Accio NIC as testbench/tests/accio_nic.rs and the replay tool run it: 16 entries,
/// 4 cores, a 64-buffer normal path; the rest at the defaults.
pub fn small_nic() -> crate::config::Config {
    let mut c = crate::config::Config {
        ict: crate::config::IctConfig {
            entries: 16,
            cores: 4,
            miss_filter_bits: 128,
            event_queue_depth: 64,
        },
        ..Default::default()
    };
    c.np.rx_buffers = 64;
    c.np.tx_descriptors = 16;
    c
}

/// The whole Lauberhorn NIC as testbench/tests/lauberhorn_nic.rs drives it:
/// [`small_lauberhorn`], with the DMA fallback's ICT of [`small_ict`] and an 8 KiB frame
/// buffer in front of its rings.
pub fn small_lauberhorn_nic() -> crate::config::Config {
    let mut c = crate::config::Config {
        lauberhorn: small_lauberhorn(),
        ict: small_ict(),
        ..crate::config::Config::default()
    };
    c.rx.buffer_bytes = 8192;
    c
}

/// The whole Lauberhorn NIC at the scale of issue 18 as testbench/tests/scale.rs and the
/// soak (`--scale`) run it: Enzian's 48 cores (96 endpoints), 256 slots, 64 services and
/// 64 processes (each may queue all 256 slots); the rest as [`small_lauberhorn_nic`].
pub fn scale_lauberhorn_nic() -> crate::config::Config {
    let mut c = small_lauberhorn_nic();
    c.lauberhorn = crate::config::LauberhornConfig {
        cores: 48,
        slots: 256,
        services: 64,
        processes: 64,
        queue_limit: 256,
        ..small_lauberhorn()
    };
    c
}

/// The Accio NIC at the scale of issue 18 as testbench/tests/scale.rs and the soak
/// (`--scale`) run it: 256 ICT entries, 64 cores; the rest as [`small_nic`].
pub fn scale_nic() -> crate::config::Config {
    let mut c = small_nic();
    c.ict.entries = 256;
    c.ict.cores = 64;
    c
}

/// The DMA fallback as testbench/tests/lauberhorn_dma_fallback.rs drives it: 8 slots, 4
/// ICT entries, a 2 KiB engine buffer (so credits run out).
pub fn small_dma_fallback(data_width: u32) -> crate::lauberhorn::dma_fallback::DmaFallbackCfg {
    crate::lauberhorn::dma_fallback::DmaFallbackCfg {
        data_width,
        slots: 8,
        entries: 4,
        buffer_bytes: 2048,
    }
}

/// The CONTROL-line endpoints as testbench/tests/lauberhorn_endpoints.rs drives them: 2 cores
/// (4 endpoints), 3 AUX lines, 8 slots, `coh_width`-bit channels.
pub fn small_endpoints(coh_width: u32) -> crate::lauberhorn::endpoints::EndpointsCfg {
    crate::lauberhorn::endpoints::EndpointsCfg {
        cores: 2,
        coh_width,
        aux_lines: 3,
        slots: 8,
    }
}

/// The scheduler as testbench/tests/lauberhorn_scheduler.rs drives it: 3 cores (6
/// endpoints, not a power of two), 5 processes, 16 slots, at most 6 queued per process.
pub fn small_scheduler() -> crate::lauberhorn::scheduler::SchedulerCfg {
    crate::lauberhorn::scheduler::SchedulerCfg {
        cores: 3,
        processes: 5,
        slots: 16,
        queue_limit: 6,
    }
}

/// The service table as testbench/tests/lauberhorn_service_table.rs drives it: 6 entries
/// (not a power of two), 5 processes.
pub fn small_services() -> crate::lauberhorn::service_table::ServiceTableCfg {
    crate::lauberhorn::service_table::ServiceTableCfg {
        services: 6,
        processes: 5,
    }
}

/// The RPC receive path as testbench/tests/lauberhorn_rpc_rx.rs drives it: 3 AUX lines,
/// 8 slots, 4 services, 4 processes, an 8 KiB buffer; MAC and slot widths as given.
pub fn small_rpc_rx(net_width: u32, coh_width: u32) -> crate::lauberhorn::rpc_rx::RpcRxCfg {
    crate::lauberhorn::rpc_rx::RpcRxCfg {
        net_width,
        coh_width,
        aux_lines: 3,
        slots: 8,
        services: 4,
        processes: 4,
        buffer_bytes: 8192,
    }
}

/// The transmit path as testbench/tests/lauberhorn_rpc_reply.rs drives it (the slots of
/// [`small_rpc_rx`], the TX buffers of 3 cores: 6 endpoints, not a power of two).
pub fn small_rpc_reply(
    net_width: u32,
    coh_width: u32,
) -> crate::lauberhorn::rpc_reply::RpcReplyCfg {
    crate::lauberhorn::rpc_reply::RpcReplyCfg {
        net_width,
        cores: 3,
        coh_width,
        aux_lines: 3,
        slots: 8,
    }
}

/// The Lauberhorn configuration testbench/tests/lauberhorn_csr.rs drives: 2 cores, 3 AUX
/// lines, 8 slots, 4 services, 5 processes of at most 4 requests each.
pub fn small_lauberhorn() -> crate::config::LauberhornConfig {
    crate::config::LauberhornConfig {
        cores: 2,
        aux_lines: 3,
        slots: 8,
        services: 4,
        processes: 5,
        queue_limit: 4,
        ..crate::config::LauberhornConfig::default()
    }
}

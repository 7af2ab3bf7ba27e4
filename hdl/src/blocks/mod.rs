//! The block library: small, reusable, each tested against a Rust model in testbench/.

pub mod async_fifo;
pub mod axil_slave;
pub mod axil_split;
pub mod axis_async_packet_fifo;
pub mod axis_packet_fifo;
pub mod axis_register;
pub mod byte_shifter;
pub mod cdc_sync;
pub mod checksum;
pub mod dma_burst;
pub mod dma_read;
pub mod dma_write;
pub mod frame_merge;
pub mod frame_tap;
pub mod gray;
pub mod handshake_sync;
pub mod onehot;
pub mod pieces;
pub mod pulse_sync;
pub mod reg_slave;
pub mod reset_sync;
pub mod rr_arbiter;
pub mod rx_front;
pub mod sync_fifo;
pub mod udp_rx_parse;
pub mod udp_tx_build;

//! The block library: small, reusable, each tested against a Rust model in testbench/.

pub mod axil_slave;
pub mod axil_split;
pub mod axis_packet_fifo;
pub mod axis_register;
pub mod byte_shifter;
pub mod checksum;
pub mod dma_burst;
pub mod dma_read;
pub mod dma_write;
pub mod frame_tap;
pub mod onehot;
pub mod pieces;
pub mod reg_slave;
pub mod rr_arbiter;
pub mod rx_front;
pub mod sync_fifo;
pub mod udp_rx_parse;
pub mod udp_tx_build;

//! Accio (Nines '26): the I/O Connection Table the OS fills and user code reaches through
//! protected MMIO, hardware ready queues, prioritised I/O interrupts and the control event
//! queue. The register map is defined once in [`regs`].

pub mod event_queue;
pub mod ict;
pub mod nic;
pub mod nic_block;
pub mod ready_queue;
pub mod regs;
pub mod rx_offload;
pub mod tx_offload;

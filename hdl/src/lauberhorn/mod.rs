//! Lauberhorn (HotOS '25): the NIC as part of the OS. Cores load NIC-homed CONTROL lines
//! over a coherence link ([`coherence`]); the [`endpoints`] hold each load until a request
//! for the core is ready, which the [`scheduler`] picks by the kernel's scheduling state;
//! the [`rpc_rx`] path turns ONC-RPC calls ([`rpc_decode`]) into requests in slots, by
//! the [`service_table`], and calls too large for the lines into ICT rings through the
//! Accio receive engine ([`dma_fallback`]); the [`rpc_reply`] path sends the handlers'
//! responses and the cores' TX-line datagrams. The
//! kernel reaches it all through the [`csr`] block ([`regs`], the one register map).

pub mod coherence;
pub mod csr;
pub mod dcs_adapter;
pub mod dma_fallback;
pub mod endpoints;
pub mod nic;
pub mod regs;
pub mod rpc_decode;
pub mod rpc_reply;
pub mod rpc_rx;
pub mod scheduler;
pub mod service_table;

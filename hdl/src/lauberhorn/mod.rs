//! Lauberhorn (HotOS '25): the NIC as part of the OS. Cores load NIC-homed CONTROL lines
//! over a coherence link ([`coherence`]); the [`endpoints`] hold each load until a request
//! for the core is ready, which the [`scheduler`] picks by the kernel's scheduling state;
//! [`rpc_decode`] decodes ONC-RPC calls and the [`service_table`] names their function
//! and process.

pub mod coherence;
pub mod endpoints;
pub mod rpc_decode;
pub mod rpc_reply;
pub mod rpc_rx;
pub mod scheduler;
pub mod service_table;

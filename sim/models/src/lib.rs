//! The models that drive the Verilated NICs through the [`sim`] bridge: bus masters and
//! memories ([`axil`], [`hostmem`]), the hosts around whole NICs ([`accio::host`],
//! [`lauberhorn::host`] with the CPU and caches of [`lauberhorn::cpu`]), the reference
//! models the testbenches compare the RTL with ([`accio`], [`lauberhorn::sched_model`],
//! [`net`], written from the papers and RFCs, not from the RTL), pcap I/O ([`pcap`]) and
//! the test traces ([`traces`]). Tests and the replay tools share them.

#![warn(missing_docs)]

/// The bridge, for the pin macros (`lauberhorn_pins!` and co.) to reach its port views.
pub use sim;

pub mod accio;
pub mod axil;
pub mod hostmem;
pub mod lauberhorn;
pub mod net;
pub mod pcap;
pub mod traces;

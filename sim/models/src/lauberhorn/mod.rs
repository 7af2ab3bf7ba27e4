//! Host-side models of the Lauberhorn hardware: the CPU on the coherence link, the host
//! around a whole NIC (kernel, cores, MAC), the scheduler's reference, and a model check of
//! the CONTROL/TX line protocol.

pub mod cpu;
pub mod host;
pub mod line_protocol;
pub mod sched_model;

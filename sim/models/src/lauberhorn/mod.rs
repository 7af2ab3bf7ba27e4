//! Host-side models of the Lauberhorn hardware: the CPU on the coherence link, the host
//! around a whole NIC (kernel, cores, MAC), and the scheduler's reference.

pub mod cpu;
pub mod host;
pub mod sched_model;

//! Host-side models of the Lauberhorn hardware: the CPU on the coherence link, and the
//! scheduler's reference.

pub mod cpu;
pub mod sched_model;

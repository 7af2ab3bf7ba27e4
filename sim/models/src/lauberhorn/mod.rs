//! Host-side models of the Lauberhorn hardware: the CPU on the coherence link, the Enzian
//! shell's directory slices in front of it (`dcs_shell`), the host
//! around a whole NIC (kernel, cores, MAC), the scheduler's reference, a model check of
//! the CONTROL/TX line protocol, and the fate of every frame a whole NIC receives.

pub mod cpu;
pub mod dcs_shell;
pub mod host;
pub mod line_protocol;
pub mod rx_fate;
pub mod sched_model;

//! Host-side models of the Lauberhorn hardware: the CPU on the coherence link.

pub mod cpu;

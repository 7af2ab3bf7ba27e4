//! Host-side models of the Accio hardware.

pub mod host;
pub mod ict_model;
pub mod os;
pub mod rx_model;
pub mod tx_model;

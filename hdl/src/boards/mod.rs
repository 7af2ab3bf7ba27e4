//! Board cores: a NIC with the clock-domain crossings and resets a board's MAC and host
//! IP need around it, and no vendor IP inside (`gen --board NAME`; `fpga/NAME/` adds the
//! IP, pins and the Vivado flow).

pub mod vcu118;

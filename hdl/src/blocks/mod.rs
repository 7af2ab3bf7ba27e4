//! The block library: small, reusable, each tested against a Rust model in testbench/.

pub mod axis_register;

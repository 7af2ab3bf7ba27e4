//! The RTL intermediate representation: width-checked expressions, modules built in Rust,
//! static checks, and the Verilog emitter.
//!
//! Imports run one way: `netlist` (the checked module and its parts) is read by `check`
//! (which turns a builder's parts into a netlist), `check` by the builder in `module`, and
//! `emit` writes the netlist out (with `layout` for long lines and `case` for tables).

mod bits;
mod case;
mod check;
mod emit;
mod expr;
mod layout;
pub(crate) mod module;
mod netlist;
mod record;

pub use bits::Bits;
pub use emit::{emit_design, Design, VerilogFile};
pub use expr::{cat, clog2, konst, lit, Expr, Operand};
pub use module::{valid_name, ClockDomain, Inst, Mem, ModuleBuilder, Sig, Switch, When};
pub use netlist::{GroupType, HdlError, HdlErrors, Module, Port, PortDir, RamStyle};
pub use record::{Layout, Record};

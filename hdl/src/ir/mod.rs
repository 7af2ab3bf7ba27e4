//! The RTL intermediate representation: width-checked expressions, modules built in Rust,
//! static checks, and the Verilog emitter.

mod bits;
mod check;
mod emit;
mod expr;
mod layout;
mod module;

pub use bits::Bits;
pub use emit::{emit_design, Design, VerilogFile};
pub use expr::{cat, clog2, konst, lit, Expr, Operand};
pub use module::{
    valid_name, HdlError, HdlErrors, Inst, Mem, Module, ModuleBuilder, Port, PortDir, RamStyle,
    Sig, Switch, When,
};

//! The netlist a checked module is made of: ports, signals, memories, instances and the
//! drivers the checks derive; the statements the builder records for them; and the
//! errors, which name the module and the signal.

use super::bits::Bits;
use super::expr::{Expr, SigId};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::rc::Rc;

/// A design error, naming the module and (where there is one) the signal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HdlError {
    pub module: String,
    pub signal: Option<String>,
    pub message: String,
}

impl fmt::Display for HdlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.signal {
            Some(s) => write!(
                f,
                "module `{}`, signal `{}`: {}",
                self.module, s, self.message
            ),
            None => write!(f, "module `{}`: {}", self.module, self.message),
        }
    }
}

/// All errors found in a design; `Display` lists them one per line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct HdlErrors(pub Vec<HdlError>);

impl HdlErrors {
    /// A single error about a module's parameters (no signal involved).
    pub fn param(module: &str, message: impl Into<String>) -> Self {
        HdlErrors(vec![HdlError {
            module: module.into(),
            signal: None,
            message: message.into(),
        }])
    }
}

impl fmt::Display for HdlErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PortDir {
    In,
    Out,
}

/// A port as the outside world sees it. `group` names the bundle it belongs to
/// (prefix, field), so testbench handles can nest `dut.s_axis.tdata`; `group_type` names
/// the bundle's type and side when it is a declared group (a `port_group!`, `Axis`), so
/// testbenches get one typed view of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Port {
    pub name: String,
    pub dir: PortDir,
    pub width: u32,
    pub group: Option<(String, String)>,
    pub group_type: Option<GroupType>,
    pub(crate) sig: SigId,
}

/// The type of a port group and the side a module is on: recorded on every port of the
/// group by its declaration (`port_group!`'s `source`/`sink`, [`crate::bundles::Axis`])
/// or by a check of hand-declared ports (`Group::mark`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GroupType {
    /// The Rust type's name, e.g. `IctLookup`.
    pub name: &'static str,
    /// Its path, e.g. `hdl::accio::ict::IctLookup`.
    pub path: &'static str,
    /// The side of this module.
    pub side: crate::bundles::Side,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SigKind {
    Input,
    Output,
    Wire,
    /// A flip-flop; `reset` is its synchronous reset value, if it has one.
    Reg {
        reset: Option<Bits>,
    },
}

#[derive(Clone, Debug)]
pub(crate) struct Signal {
    pub(crate) name: Rc<str>,
    pub(crate) width: u32,
    pub(crate) kind: SigKind,
    pub(crate) doc: Option<String>,
    /// Some bits are left unread on purpose (the emitter writes a narrow lint pragma).
    pub(crate) unused_ok: bool,
    /// The clock domain (index into the module's domains) a register is clocked by.
    pub(crate) domain: usize,
    /// A synchronizer flop: emitted with `(* ASYNC_REG = "TRUE" *)`, so Vivado places the
    /// chain close together and does not retime it.
    pub(crate) async_reg: bool,
}

/// A clock domain: the clock input its registers and memory ports sample and their reset.
/// Domain 0 is the module's own `clk`/`rst`, created on first use; the others are declared
/// by blocks that cross between clocks (`ModuleBuilder::domain`).
#[derive(Clone, Debug, Default)]
pub(crate) struct Domain {
    pub(crate) clk: Option<SigId>,
    pub(crate) rst: Option<SigId>,
    /// The reset acts at once (`always @(posedge clk or posedge rst)`), not at the edge:
    /// only reset synchronizers want this.
    pub(crate) async_reset: bool,
}

/// Inferred RAM primitive (Vivado/Yosys `ram_style`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RamStyle {
    Block,
    Distributed,
    Ultra,
}

impl RamStyle {
    pub(crate) fn attr(self) -> &'static str {
        match self {
            RamStyle::Block => "block",
            RamStyle::Distributed => "distributed",
            RamStyle::Ultra => "ultra",
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Memory {
    pub(crate) name: Rc<str>,
    pub(crate) width: u32,
    pub(crate) depth: u64,
    pub(crate) style: RamStyle,
    pub(crate) ports: Vec<MemPort>,
}

/// Memory ports. Each emits as its own `always` block in the shape Yosys and Vivado infer.
#[derive(Clone, Debug)]
pub(crate) enum MemPort {
    Write {
        en: Expr,
        addr: Expr,
        data: Expr,
        domain: usize,
    },
    /// Registered read (BRAM): `out` is a register loaded when `en`.
    ReadSync { en: Expr, addr: Expr, out: SigId },
    /// Combinational read (LUTRAM): `out` is a wire.
    ReadAsync { addr: Expr, out: SigId },
    /// A true-dual-port side: read-first registered read plus write at the same address.
    ReadWrite {
        en: Expr,
        we: Expr,
        addr: Expr,
        data: Expr,
        out: SigId,
    },
}

#[derive(Clone, Debug)]
pub(crate) struct Instance {
    pub(crate) name: Rc<str>,
    pub(crate) module: Rc<Module>,
    /// Input port name → driving expression.
    pub(crate) inputs: BTreeMap<String, Expr>,
    /// Output port name → the wire in this module that it drives.
    pub(crate) outputs: Vec<(String, SigId)>,
}

/// Conditional assignment structure recorded by `set`/`when`.
#[derive(Clone, Debug)]
pub(crate) enum Stmt {
    Assign(SigId, Expr),
    If {
        cond: Expr,
        then: Vec<Stmt>,
        els: Vec<Stmt>,
        targets: BTreeSet<SigId>,
    },
}

/// The value a signal takes, derived from the statements: a tree of conditions whose
/// leaves are expressions or `Hold` (a register keeps its value / a wire is unassigned).
#[derive(Clone, Debug)]
pub(crate) enum Val {
    Hold,
    E(Expr),
    If(Expr, Box<Val>, Box<Val>),
}

#[derive(Clone, Debug)]
pub(crate) enum Driver {
    Comb(Val),
    Reg(Val),
    Instance(usize),
    Memory(usize),
}

/// A finished, checked module. Cheap to share (`Rc`) between instances.
#[derive(Debug)]
pub struct Module {
    pub(crate) name: String,
    pub(crate) doc: Option<String>,
    pub(crate) ports: Vec<Port>,
    pub(crate) signals: Vec<Signal>,
    pub(crate) drivers: BTreeMap<SigId, Driver>,
    pub(crate) memories: Vec<Memory>,
    pub(crate) instances: Vec<Instance>,
    pub(crate) domains: Vec<Domain>,
    /// Output port → input ports it depends on combinationally (for parents' loop checks).
    pub(crate) comb_deps: BTreeMap<String, BTreeSet<String>>,
}

impl Module {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn ports(&self) -> &[Port] {
        &self.ports
    }

    pub fn port(&self, name: &str) -> Option<&Port> {
        self.ports.iter().find(|p| p.name == name)
    }
}

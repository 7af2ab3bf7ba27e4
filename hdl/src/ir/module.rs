//! Building a module: ports, wires, registers, memories, instances and conditional
//! assignment blocks, then `finish()` runs the static checks and freezes it.

use super::bits::Bits;
use super::check::{self, Parts};
use super::expr::{clog2, Expr, Operand, SigId};
use super::netlist::{
    Domain, GroupType, HdlError, HdlErrors, Instance, MemPort, Memory, Module, Port, PortDir,
    RamStyle, SigKind, Signal, Stmt,
};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Deref;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A signal handle: usable as an expression (through `Deref`) and as an assignment target.
#[derive(Clone, Debug)]
pub struct Sig {
    pub(crate) id: SigId,
    expr: Expr,
}

impl Deref for Sig {
    type Target = Expr;
    fn deref(&self) -> &Expr {
        &self.expr
    }
}

impl From<Sig> for Expr {
    fn from(s: Sig) -> Expr {
        s.expr
    }
}
impl From<&Sig> for Expr {
    fn from(s: &Sig) -> Expr {
        s.expr.clone()
    }
}
impl Operand for Sig {
    fn into_operand(self, _: u32) -> Expr {
        self.expr
    }
    fn known_width(&self) -> Option<u32> {
        Some(self.expr.width())
    }
}
impl Operand for &Sig {
    fn into_operand(self, _: u32) -> Expr {
        self.expr.clone()
    }
    fn known_width(&self) -> Option<u32> {
        Some(self.expr.width())
    }
}

macro_rules! sig_binop {
    ($tr:ident, $f:ident) => {
        impl<T: Operand> std::ops::$tr<T> for Sig {
            type Output = Expr;
            fn $f(self, rhs: T) -> Expr {
                std::ops::$tr::$f(self.expr, rhs)
            }
        }
        impl<T: Operand> std::ops::$tr<T> for &Sig {
            type Output = Expr;
            fn $f(self, rhs: T) -> Expr {
                std::ops::$tr::$f(&self.expr, rhs)
            }
        }
    };
}
sig_binop!(BitAnd, bitand);
sig_binop!(BitOr, bitor);
sig_binop!(BitXor, bitxor);
sig_binop!(Add, add);
sig_binop!(Sub, sub);
impl std::ops::Not for &Sig {
    type Output = Expr;
    fn not(self) -> Expr {
        !&self.expr
    }
}
impl std::ops::Not for Sig {
    type Output = Expr;
    fn not(self) -> Expr {
        !&self.expr
    }
}

/// A memory handle returned by [`ModuleBuilder::memory`].
#[derive(Clone, Copy, Debug)]
pub struct Mem(usize);

/// A clock domain other than the module's own `clk`/`rst`, returned by
/// [`ModuleBuilder::domain`]: registers, memory ports and instances created inside
/// [`ModuleBuilder::in_domain`] are clocked by `clk` and reset by `rst`.
#[derive(Clone, Debug)]
pub struct ClockDomain {
    id: usize,
    pub clk: Sig,
    pub rst: Option<Sig>,
}

/// An instance handle returned by [`ModuleBuilder::instance`].
#[derive(Clone, Copy, Debug)]
pub struct Inst(usize);

static NEXT_BUILDER: AtomicU64 = AtomicU64::new(1);

/// The name of every module's clock input (constraints refer to it).
pub const CLK: &str = "clk";
const RST: &str = "rst";

/// Builds one module. Rust functions are the generators: `fn fifo(cfg) -> Result<Module>`.
pub struct ModuleBuilder {
    uid: u64,
    name: String,
    doc: Option<String>,
    ports: Vec<Port>,
    signals: Vec<Signal>,
    names: BTreeSet<String>,
    /// Open statement blocks: `[0]` is the module body, deeper ones are `when` arms.
    blocks: Vec<Vec<Stmt>>,
    /// Conditions of the open `when` arms (memory writes inside them are gated by these).
    conds: Vec<Expr>,
    memories: Vec<Memory>,
    instances: Vec<Instance>,
    /// Signals assigned unconditionally at the top level (a second such assignment is a
    /// multiple-driver error).
    top_assigned: BTreeSet<SigId>,
    assigned: BTreeSet<SigId>,
    errors: Vec<HdlError>,
    clk: Option<Sig>,
    rst: Option<Sig>,
    /// Domains declared with `domain`; index 0 stands for `clk`/`rst`.
    domains: Vec<Domain>,
    /// The domain new registers, memory ports and instances are clocked by.
    cur_domain: usize,
}

const KEYWORDS: &[&str] = &[
    "always",
    "and",
    "assign",
    "begin",
    "buf",
    "case",
    "casex",
    "casez",
    "cmos",
    "deassign",
    "default",
    "defparam",
    "disable",
    "edge",
    "else",
    "end",
    "endcase",
    "endfunction",
    "endgenerate",
    "endmodule",
    "endprimitive",
    "endspecify",
    "endtable",
    "endtask",
    "event",
    "for",
    "force",
    "forever",
    "fork",
    "function",
    "generate",
    "genvar",
    "highz0",
    "highz1",
    "if",
    "ifnone",
    "initial",
    "inout",
    "input",
    "integer",
    "join",
    "large",
    "localparam",
    "logic",
    "macromodule",
    "medium",
    "module",
    "nand",
    "negedge",
    "nmos",
    "nor",
    "not",
    "notif0",
    "notif1",
    "or",
    "output",
    "parameter",
    "pmos",
    "posedge",
    "primitive",
    "pull0",
    "pull1",
    "pulldown",
    "pullup",
    "rcmos",
    "real",
    "realtime",
    "reg",
    "release",
    "repeat",
    "rnmos",
    "rpmos",
    "rtran",
    "rtranif0",
    "rtranif1",
    "scalared",
    "signed",
    "small",
    "specify",
    "specparam",
    "strong0",
    "strong1",
    "supply0",
    "supply1",
    "table",
    "task",
    "time",
    "tran",
    "tranif0",
    "tranif1",
    "tri",
    "tri0",
    "tri1",
    "triand",
    "trior",
    "trireg",
    "unsigned",
    "vectored",
    "wait",
    "wand",
    "weak0",
    "weak1",
    "while",
    "wire",
    "wor",
    "xnor",
    "xor",
    "bit",
    "byte",
    "int",
    "shortint",
    "longint",
    "type",
    "interface",
    "package",
    "class",
    "string",
    "final",
    "const",
    "var",
    "void",
    "return",
    "break",
    "continue",
    "unique",
    "priority",
    "new",
];

/// True if `name` is a plain identifier usable in Verilog, XDC and Tcl.
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !KEYWORDS.contains(&name)
}

impl ModuleBuilder {
    pub fn new(name: impl Into<String>) -> Self {
        let name = name.into();
        let mut b = ModuleBuilder {
            uid: NEXT_BUILDER.fetch_add(1, Ordering::Relaxed),
            name: name.clone(),
            doc: None,
            ports: Vec::new(),
            signals: Vec::new(),
            names: BTreeSet::new(),
            blocks: vec![Vec::new()],
            conds: Vec::new(),
            memories: Vec::new(),
            instances: Vec::new(),
            top_assigned: BTreeSet::new(),
            assigned: BTreeSet::new(),
            errors: Vec::new(),
            clk: None,
            rst: None,
            domains: vec![Domain::default()],
            cur_domain: 0,
        };
        if !valid_name(&name) {
            b.error(None, format!("`{name}` is not a plain Verilog identifier"));
        }
        b
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// A description emitted as the module's header comment.
    pub fn doc(&mut self, text: impl Into<String>) {
        self.doc = Some(text.into());
    }

    pub(crate) fn error(&mut self, signal: Option<&str>, message: impl Into<String>) {
        self.errors.push(HdlError {
            module: self.name.clone(),
            signal: signal.map(str::to_string),
            message: message.into(),
        });
    }

    /// Reserves `name` for a signal, memory or instance of this module.
    fn claim_name(&mut self, name: &str) {
        if KEYWORDS.contains(&name) {
            self.error(Some(name), "is a reserved word in Verilog/SystemVerilog");
        } else if !valid_name(name) {
            self.error(
                Some(name),
                "not a plain Verilog identifier ([A-Za-z][A-Za-z0-9_]*)",
            );
        } else if !self.names.insert(name.to_string()) {
            self.error(Some(name), "declared twice");
        }
    }

    fn declare(&mut self, name: &str, width: u32, kind: SigKind) -> Sig {
        self.claim_name(name);
        if width == 0 {
            self.error(Some(name), "zero width");
        }
        let id = SigId(self.signals.len() as u32);
        let name: Rc<str> = name.into();
        self.signals.push(Signal {
            name: name.clone(),
            width: width.max(1),
            kind,
            doc: None,
            unused_ok: false,
            domain: self.cur_domain,
            async_reg: false,
        });
        Sig {
            id,
            expr: Expr::sig(id, self.uid, name, width.max(1)),
        }
    }

    fn port(&mut self, name: &str, width: u32, dir: PortDir, group: Option<(&str, &str)>) -> Sig {
        let kind = if dir == PortDir::In {
            SigKind::Input
        } else {
            SigKind::Output
        };
        let s = self.declare(name, width, kind);
        self.ports.push(Port {
            name: name.to_string(),
            dir,
            width,
            group: group.map(|(g, f)| (g.to_string(), f.to_string())),
            group_type: None,
            sig: s.id,
        });
        s
    }

    /// Records that the ports of bundle `prefix` are side `ty.side` of group type `ty`,
    /// after checking them against its fields (name, forward): every field present once, in
    /// the direction the side gives it, and no other port in the bundle.
    pub fn mark_group(&mut self, prefix: &str, ty: GroupType, fields: &[(&str, bool)]) {
        let in_group = |p: &Port| p.group.as_ref().is_some_and(|(g, _)| g == prefix);
        for &(field, forward) in fields {
            let want = match (ty.side, forward) {
                (crate::bundles::Side::Sink, true) | (crate::bundles::Side::Source, false) => {
                    PortDir::In
                }
                _ => PortDir::Out,
            };
            let found = self
                .ports
                .iter()
                .find(|p| in_group(p) && p.group.as_ref().is_some_and(|(_, f)| f == field))
                .map(|p| p.dir);
            let port = format!("{prefix}_{field}");
            match found {
                None => self.error(
                    Some(&port),
                    format!("missing: bundle `{prefix}` is not a `{}`", ty.path),
                ),
                Some(dir) if dir != want => {
                    let word = |d| {
                        if d == PortDir::In {
                            "an input"
                        } else {
                            "an output"
                        }
                    };
                    let msg = format!("is {}, but {} of a `{}`", word(dir), word(want), ty.path);
                    self.error(Some(&port), msg)
                }
                Some(_) => {}
            }
        }
        let extra: Vec<String> = self
            .ports
            .iter()
            .filter(|p| in_group(p))
            .filter(|p| {
                let f = &p.group.as_ref().expect("in a group").1;
                !fields.iter().any(|(name, _)| name == f)
            })
            .map(|p| p.name.clone())
            .collect();
        for name in extra {
            self.error(Some(&name), format!("is not a field of `{}`", ty.path));
        }
        self.set_group_type(prefix, ty);
    }

    /// Records group type `ty` on every port of bundle `prefix` (declared by that type's
    /// own constructor, so not checked).
    pub(crate) fn set_group_type(&mut self, prefix: &str, ty: GroupType) {
        for p in &mut self.ports {
            if p.group.as_ref().is_some_and(|(g, _)| g == prefix) {
                p.group_type = Some(ty);
            }
        }
    }

    pub fn input(&mut self, name: &str, width: u32) -> Sig {
        self.port(name, width, PortDir::In, None)
    }

    pub fn output(&mut self, name: &str, width: u32) -> Sig {
        self.port(name, width, PortDir::Out, None)
    }

    /// A port that belongs to a bundle: its name is `{group}_{field}`.
    pub fn group_port(&mut self, group: &str, field: &str, width: u32, dir: PortDir) -> Sig {
        self.port(
            &format!("{group}_{field}"),
            width,
            dir,
            Some((group, field)),
        )
    }

    pub fn wire(&mut self, name: &str, width: u32) -> Sig {
        self.declare(name, width, SigKind::Wire)
    }

    /// A wire driven by `value`: names an intermediate result (emitted as one `assign`).
    pub fn node(&mut self, name: &str, value: impl Into<Expr>) -> Sig {
        let value = value.into();
        let w = self.wire(name, value.width());
        self.set(&w, value);
        w
    }

    /// The module clock, created on first use.
    pub fn clk(&mut self) -> Sig {
        if let Some(c) = &self.clk {
            return c.clone();
        }
        let c = self.input(CLK, 1);
        self.clk = Some(c.clone());
        c
    }

    /// The synchronous active-high reset, created on first use.
    pub fn rst(&mut self) -> Sig {
        if let Some(r) = &self.rst {
            return r.clone();
        }
        let r = self.input(RST, 1);
        self.rst = Some(r.clone());
        r
    }

    /// A register without reset (datapath: cheaper, no reset fan-out).
    pub fn reg(&mut self, name: &str, width: u32) -> Sig {
        self.domain_clk();
        self.declare(name, width, SigKind::Reg { reset: None })
    }

    /// A register with a synchronous reset to `value`.
    pub fn reg_reset(&mut self, name: &str, width: u32, value: u64) -> Sig {
        match Bits::from_u64(value, width) {
            Some(b) => self.reg_reset_bits(name, b),
            None => {
                self.error(
                    Some(name),
                    format!("reset value {value} does not fit {width} bits"),
                );
                self.reg(name, width)
            }
        }
    }

    pub fn reg_reset_bits(&mut self, name: &str, value: Bits) -> Sig {
        self.domain_clk();
        if self.cur_domain == 0 {
            self.rst();
        } else if self.domains[self.cur_domain].rst.is_none() {
            self.error(Some(name), "has a reset, but its clock domain has none");
        }
        self.declare(name, value.width(), SigKind::Reg { reset: Some(value) })
    }

    /// Declares clock input `clk` (and, if given, a synchronous active-high reset input
    /// `rst`) as a clock domain of its own, for blocks that cross between clocks.
    pub fn domain(&mut self, clk: &str, rst: Option<&str>) -> ClockDomain {
        self.new_domain(clk, rst, false)
    }

    /// A clock domain whose reset asserts at once, without a clock edge, and deasserts at
    /// one (`always @(posedge clk or posedge rst)`): for reset synchronizers only.
    pub fn domain_async_reset(&mut self, clk: &str, rst: &str) -> ClockDomain {
        self.new_domain(clk, Some(rst), true)
    }

    /// `d`'s clock with `rst`, a 1-bit signal of this module, as its synchronous reset: for
    /// a board top whose domains are reset by reset synchronizers inside it (built in `d`)
    /// rather than by reset ports.
    pub fn domain_reset_by(&mut self, d: &ClockDomain, rst: &Sig) -> ClockDomain {
        if rst.width() != 1 {
            let name = self.signals[rst.id.0 as usize].name.to_string();
            self.error(Some(&name), "a reset must be 1 bit wide");
        }
        self.domains.push(Domain {
            clk: Some(d.clk.id),
            rst: Some(rst.id),
            async_reset: false,
        });
        ClockDomain {
            id: self.domains.len() - 1,
            clk: d.clk.clone(),
            rst: Some(rst.clone()),
        }
    }

    fn new_domain(&mut self, clk: &str, rst: Option<&str>, async_reset: bool) -> ClockDomain {
        let clk = self.input(clk, 1);
        let rst = rst.map(|r| self.input(r, 1));
        self.domains.push(Domain {
            clk: Some(clk.id),
            rst: rst.as_ref().map(|r| r.id),
            async_reset,
        });
        ClockDomain {
            id: self.domains.len() - 1,
            clk,
            rst,
        }
    }

    /// Runs `body` with `d` as the clock domain of the registers, memory ports and
    /// instances it creates (instances get `d`'s clock and reset as their `clk`/`rst`).
    pub fn in_domain<R>(&mut self, d: &ClockDomain, body: impl FnOnce(&mut Self) -> R) -> R {
        let outer = std::mem::replace(&mut self.cur_domain, d.id);
        let r = body(self);
        self.cur_domain = outer;
        r
    }

    /// Creates the module clock if registers are being declared in the module's own domain.
    fn domain_clk(&mut self) {
        if self.cur_domain == 0 {
            self.clk();
        }
    }

    /// Marks `sig`, a register, as a synchronizer flop: `(* ASYNC_REG = "TRUE" *)` tells
    /// Vivado to place the chain close together and keep it out of retiming.
    pub fn mark_async_reg(&mut self, sig: &Sig) {
        let s = &mut self.signals[sig.id.0 as usize];
        if matches!(s.kind, SigKind::Reg { .. }) {
            s.async_reg = true;
        } else {
            let name = s.name.to_string();
            self.error(Some(&name), "only a register can be a synchronizer flop");
        }
    }

    /// Attach a doc comment to a signal (emitted above its declaration).
    pub fn describe(&mut self, sig: &Sig, text: impl Into<String>) {
        self.signals[sig.id.0 as usize].doc = Some(text.into());
    }

    /// Declare that some bits of `sig` are left unread on purpose.
    pub fn unused(&mut self, sig: &Sig) {
        self.signals[sig.id.0 as usize].unused_ok = true;
    }

    /// Assign `value` to `target` under the enclosing `when` conditions. Later assignments
    /// take priority over earlier ones (as in a Verilog `always` block).
    pub fn set(&mut self, target: &Sig, value: impl Operand) {
        let value = value.into_operand(target.width());
        let name = self.signals[target.id.0 as usize].name.clone();
        match self.signals[target.id.0 as usize].kind {
            SigKind::Input => {
                self.error(Some(&name), "an input cannot be assigned");
                return;
            }
            SigKind::Wire | SigKind::Output | SigKind::Reg { .. } => {}
        }
        if self.blocks.len() == 1 && self.assigned.contains(&target.id) {
            self.error(
                Some(&name),
                "multiply driven: an unconditional assignment overrides an earlier one",
            );
        }
        if self.blocks.len() == 1 {
            self.top_assigned.insert(target.id);
        }
        self.assigned.insert(target.id);
        self.blocks
            .last_mut()
            .unwrap()
            .push(Stmt::Assign(target.id, value));
    }

    /// `if (cond) { body }`; chain `.elif(..)` and `.otherwise(..)` on the result.
    pub fn when(&mut self, cond: impl Into<Expr>, body: impl FnOnce(&mut Self)) -> When<'_> {
        let cond = cond.into();
        let then = self.record(cond.clone(), body);
        self.blocks.last_mut().unwrap().push(Stmt::If {
            targets: targets_of(&then),
            cond: cond.clone(),
            then,
            els: Vec::new(),
        });
        When {
            m: self,
            depth: 0,
            taken: cond,
        }
    }

    /// Like a Verilog `case`: arms are tried in order, the first equal value wins.
    pub fn switch(&mut self, sel: &Expr, arms: impl FnOnce(&mut Switch<'_>)) {
        let mut sw = Switch {
            m: self,
            sel: sel.clone(),
            chain: None,
        };
        arms(&mut sw);
    }

    fn record(&mut self, cond: Expr, body: impl FnOnce(&mut Self)) -> Vec<Stmt> {
        self.blocks.push(Vec::new());
        self.conds.push(cond);
        body(self);
        self.conds.pop();
        self.blocks.pop().unwrap()
    }

    /// The conjunction of the enclosing `when` conditions (1 at the top level).
    fn path_cond(&self) -> Option<Expr> {
        self.conds.iter().cloned().reduce(|a, b| a & b)
    }

    /// A memory of `depth` words of `width` bits, inferred as the given RAM style.
    pub fn memory(&mut self, name: &str, width: u32, depth: u64, style: RamStyle) -> Mem {
        self.domain_clk();
        self.claim_name(name);
        if depth < 2 {
            self.error(Some(name), format!("memory depth {depth} is less than 2"));
        }
        self.memories.push(Memory {
            name: name.into(),
            width,
            depth,
            style,
            ports: Vec::new(),
        });
        Mem(self.memories.len() - 1)
    }

    fn check_mem_port(&mut self, mem: Mem, addr: &Expr, data: Option<&Expr>) {
        let m = &self.memories[mem.0];
        let (name, depth, width) = (m.name.clone(), m.depth, m.width);
        if addr.is_error() || data.is_some_and(|d| d.is_error()) {
            return; // reported where the expression is checked
        }
        if addr.width() != clog2(depth) {
            self.error(
                Some(&name),
                format!(
                    "address is {} bits; depth {depth} needs {}",
                    addr.width(),
                    clog2(depth)
                ),
            );
        }
        if let Some(d) = data {
            if d.width() != width {
                self.error(
                    Some(&name),
                    format!("write data is {} bits, not {width}", d.width()),
                );
            }
        }
    }

    fn gated(&self, en: Expr) -> Expr {
        match self.path_cond() {
            Some(c) => c & en,
            None => en,
        }
    }

    /// A write port: `mem[addr] <= data` when `en` (and the enclosing `when` conditions).
    pub fn mem_write(&mut self, mem: Mem, en: impl Into<Expr>, addr: &Expr, data: &Expr) {
        self.check_mem_port(mem, addr, Some(data));
        let en = self.gated(en.into());
        self.domain_clk();
        self.memories[mem.0].ports.push(MemPort::Write {
            en,
            addr: addr.clone(),
            data: data.clone(),
            domain: self.cur_domain,
        });
    }

    /// A registered read port (block RAM): the word at `addr` appears one cycle after `en`.
    pub fn mem_read_sync(&mut self, mem: Mem, name: &str, en: impl Into<Expr>, addr: &Expr) -> Sig {
        self.check_mem_port(mem, addr, None);
        let width = self.memories[mem.0].width;
        self.domain_clk();
        let out = self.declare(name, width, SigKind::Reg { reset: None });
        let en = self.gated(en.into());
        self.memories[mem.0].ports.push(MemPort::ReadSync {
            en,
            addr: addr.clone(),
            out: out.id,
        });
        out
    }

    /// A combinational read port (distributed RAM).
    pub fn mem_read_async(&mut self, mem: Mem, name: &str, addr: &Expr) -> Sig {
        self.check_mem_port(mem, addr, None);
        let width = self.memories[mem.0].width;
        let out = self.declare(name, width, SigKind::Wire);
        self.memories[mem.0].ports.push(MemPort::ReadAsync {
            addr: addr.clone(),
            out: out.id,
        });
        out
    }

    /// One side of a true-dual-port RAM: when `en`, read `addr` (old data, read-first)
    /// into the returned register and, if `we`, write `data` there.
    pub fn mem_port_rw(
        &mut self,
        mem: Mem,
        name: &str,
        en: impl Into<Expr>,
        we: impl Into<Expr>,
        addr: &Expr,
        data: &Expr,
    ) -> Sig {
        self.check_mem_port(mem, addr, Some(data));
        let width = self.memories[mem.0].width;
        self.domain_clk();
        let out = self.declare(name, width, SigKind::Reg { reset: None });
        let en = self.gated(en.into());
        let we = we.into();
        self.memories[mem.0].ports.push(MemPort::ReadWrite {
            en,
            we,
            addr: addr.clone(),
            data: data.clone(),
            out: out.id,
        });
        out
    }

    /// Instantiate `module`. Its `clk`/`rst` connect to this module's (or to those of the
    /// domain of [`in_domain`](Self::in_domain)) automatically; other inputs with [`connect`](Self::connect); outputs appear as wires `{name}_{port}`.
    pub fn instance(&mut self, name: &str, module: &Rc<Module>) -> Inst {
        if self.blocks.len() > 1 {
            self.error(Some(name), "instances cannot be created inside `when`");
        }
        self.claim_name(name);
        let mut inputs = BTreeMap::new();
        let mut outputs = Vec::new();
        for p in &module.ports {
            match (p.dir, p.name.as_str()) {
                (PortDir::In, CLK | RST) => {
                    if let Some(e) = self.domain_port(name, &p.name) {
                        inputs.insert(p.name.clone(), e);
                    }
                }
                (PortDir::In, _) => {}
                (PortDir::Out, _) => {
                    let w = self.wire(&format!("{name}_{}", p.name), p.width);
                    outputs.push((p.name.clone(), w.id));
                }
            }
        }
        self.instances.push(Instance {
            name: name.into(),
            module: module.clone(),
            inputs,
            outputs,
        });
        Inst(self.instances.len() - 1)
    }

    /// The current domain's clock or reset for input `port` of instance `inst`.
    fn domain_port(&mut self, inst: &str, port: &str) -> Option<Expr> {
        if self.cur_domain == 0 {
            return Some(if port == CLK { self.clk() } else { self.rst() }.expr);
        }
        let d = &self.domains[self.cur_domain];
        let id = if port == CLK { d.clk } else { d.rst };
        match id {
            Some(id) => Some(self.sig_handle(id).expr),
            None => {
                let msg = format!("needs `{port}`, but its clock domain has no reset");
                self.error(Some(inst), msg);
                None
            }
        }
    }

    /// Drive input `port` of instance `inst`.
    pub fn connect(&mut self, inst: Inst, port: &str, value: impl Operand) {
        let i = &self.instances[inst.0];
        let iname = i.name.to_string();
        let Some(p) = i.module.port(port).cloned() else {
            let child = i.module.name.clone();
            self.error(
                Some(&iname),
                format!("module `{child}` has no port `{port}`"),
            );
            return;
        };
        let value = value.into_operand(p.width);
        let sig = format!("{iname}.{port}");
        if p.dir != PortDir::In {
            self.error(Some(&sig), "is an output; read it with `inst_output`");
        } else if let Some(e) = value.error() {
            self.error(Some(&sig), e.to_string());
        } else if value.width() != p.width {
            self.error(
                Some(&sig),
                format!("port is {} bits, connected to {}", p.width, value.width()),
            );
        } else if self.instances[inst.0]
            .inputs
            .insert(port.to_string(), value)
            .is_some()
        {
            self.error(Some(&sig), "connected twice");
        }
    }

    /// Makes every port of `inst` whose name starts with `prefix` (e.g. a whole `m_axi`
    /// bundle) a port of this module with the same name, direction and group, wired
    /// straight through.
    pub fn expose(&mut self, inst: Inst, prefix: &str) {
        self.expose_as(inst, prefix, prefix);
    }

    /// [`expose`](Self::expose) under another prefix: the instance's port `{prefix}x`
    /// becomes this module's `{outer}x` (and its group likewise), for two instances whose
    /// ports share names.
    pub fn expose_as(&mut self, inst: Inst, prefix: &str, outer: &str) {
        let ports: Vec<Port> = self.instances[inst.0]
            .module
            .ports
            .iter()
            .filter(|p| p.name.starts_with(prefix))
            .cloned()
            .collect();
        let rename = |n: &str| format!("{outer}{}", &n[prefix.len()..]);
        let (pb, ob) = (prefix.trim_end_matches('_'), outer.trim_end_matches('_'));
        for p in ports {
            let g = p.group.as_ref().map(|(g, f)| match g.strip_prefix(pb) {
                Some(rest) => (format!("{ob}{rest}"), f.clone()),
                None => (g.clone(), f.clone()),
            });
            let group = g.as_ref().map(|(g, f)| (g.as_str(), f.as_str()));
            let outer = self.port(&rename(&p.name), p.width, p.dir, group);
            self.ports.last_mut().expect("just declared").group_type = p.group_type;
            if p.dir == PortDir::In {
                self.connect(inst, &p.name, &outer);
            } else {
                let inner = self.inst_output(inst, &p.name);
                self.set(&outer, &inner);
            }
        }
    }

    /// The wire carrying output `port` of instance `inst`.
    pub fn inst_output(&mut self, inst: Inst, port: &str) -> Sig {
        let i = &self.instances[inst.0];
        match i.outputs.iter().find(|(p, _)| p == port) {
            Some((_, id)) => self.sig_handle(*id),
            None => {
                let msg = format!("module `{}` has no output `{port}`", i.module.name);
                let iname = i.name.to_string();
                self.error(Some(&iname), msg);
                Sig {
                    id: SigId(0),
                    expr: super::expr::lit(0, 1),
                }
            }
        }
    }

    fn sig_handle(&self, id: SigId) -> Sig {
        let s = &self.signals[id.0 as usize];
        Sig {
            id,
            expr: Expr::sig(id, self.uid, s.name.clone(), s.width),
        }
    }

    /// Run the static checks and freeze the module.
    pub fn finish(self) -> Result<Rc<Module>, HdlErrors> {
        check::finish(self.into_parts()).map(Rc::new)
    }

    pub(crate) fn into_parts(mut self) -> Parts {
        // Clock and reset lead the port list, whenever they were first needed.
        self.ports.sort_by_key(|p| match p.name.as_str() {
            CLK => 0,
            RST => 1,
            _ => 2,
        });
        let mut blocks = self.blocks;
        let mut domains = self.domains;
        domains[0].clk = self.clk.as_ref().map(|c| c.id);
        domains[0].rst = self.rst.as_ref().map(|r| r.id);
        Parts {
            uid: self.uid,
            name: self.name,
            doc: self.doc,
            ports: self.ports,
            signals: self.signals,
            body: blocks.remove(0),
            memories: self.memories,
            instances: self.instances,
            errors: self.errors,
            domains,
        }
    }
}

fn targets_of(stmts: &[Stmt]) -> BTreeSet<SigId> {
    let mut t = BTreeSet::new();
    for s in stmts {
        match s {
            Stmt::Assign(id, _) => {
                t.insert(*id);
            }
            Stmt::If { targets, .. } => t.extend(targets.iter().copied()),
        }
    }
    t
}

/// The open `if` chain returned by [`ModuleBuilder::when`].
pub struct When<'a> {
    m: &'a mut ModuleBuilder,
    /// How many `elif`s deep the chain's innermost `else` is.
    depth: usize,
    /// OR of the conditions so far: later arms run only when none of them held.
    taken: Expr,
}

impl<'a> When<'a> {
    /// `else if (cond) { body }`.
    pub fn elif(self, cond: impl Into<Expr>, body: impl FnOnce(&mut ModuleBuilder)) -> When<'a> {
        let cond = cond.into();
        let gate = !&self.taken & &cond;
        let then = self.m.record(gate, body);
        let stmt = Stmt::If {
            targets: targets_of(&then),
            cond: cond.clone(),
            then,
            els: Vec::new(),
        };
        let taken = &self.taken | &cond;
        let depth = self.depth;
        Self::put_else(self.m, depth, vec![stmt]);
        When {
            m: self.m,
            depth: depth + 1,
            taken,
        }
    }

    /// `else { body }`.
    pub fn otherwise(self, body: impl FnOnce(&mut ModuleBuilder)) {
        let gate = !&self.taken;
        let els = self.m.record(gate, body);
        Self::put_else(self.m, self.depth, els);
    }

    fn put_else(m: &mut ModuleBuilder, depth: usize, els_new: Vec<Stmt>) {
        let new_targets = targets_of(&els_new);
        let mut slot = m.blocks.last_mut().unwrap().last_mut().unwrap();
        for _ in 0..depth {
            let Stmt::If { els, targets, .. } = slot else {
                unreachable!("chain is an if")
            };
            targets.extend(new_targets.iter().copied());
            slot = &mut els[0];
        }
        let Stmt::If { els, targets, .. } = slot else {
            unreachable!("chain is an if")
        };
        targets.extend(new_targets.iter().copied());
        *els = els_new;
    }
}

/// Arms of [`ModuleBuilder::switch`].
pub struct Switch<'a> {
    m: &'a mut ModuleBuilder,
    sel: Expr,
    /// Depth of the chain built so far (None before the first arm).
    chain: Option<(usize, Expr)>,
}

impl Switch<'_> {
    /// Runs `body` when the selector equals `value`.
    pub fn case(&mut self, value: impl Operand, body: impl FnOnce(&mut ModuleBuilder)) {
        let cond = self.sel.eq(value);
        self.chain = Some(match self.chain.take() {
            None => {
                let w = self.m.when(cond.clone(), body);
                (w.depth, w.taken)
            }
            Some((depth, taken)) => {
                let w = When {
                    m: self.m,
                    depth,
                    taken,
                }
                .elif(cond, body);
                (w.depth, w.taken)
            }
        });
    }

    /// Runs `body` when no arm matched.
    pub fn default(&mut self, body: impl FnOnce(&mut ModuleBuilder)) {
        match self.chain.take() {
            None => body(self.m),
            Some((depth, taken)) => When {
                m: self.m,
                depth,
                taken,
            }
            .otherwise(body),
        }
    }
}

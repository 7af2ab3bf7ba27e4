//! Verilog-2005 emitter: one file per module, named after it, plus a filelist per top.
//!
//! The output is deterministic (declaration order, no hashing), every literal is sized,
//! every name comes from the Rust description, and registers are `always @(posedge clk)`
//! blocks inside the module that owns them, in the if/else shape Yosys maps to clock
//! enables. Verilog can only slice a name, so slices of computed values go through
//! emitter temporaries `_t<n>`.

use super::check::ranges;
use super::expr::{BinOp, Expr, Kind, UnOp};
use super::module::{Driver, HdlError, HdlErrors, MemPort, Module, PortDir, SigKind, Val};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::rc::Rc;

/// One emitted Verilog file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerilogFile {
    pub name: String,
    pub text: String,
}

/// A top module and every module below it, children first.
#[derive(Clone, Debug)]
pub struct Design {
    pub top: Rc<Module>,
    pub files: Vec<VerilogFile>,
}

impl Design {
    pub fn top_name(&self) -> &str {
        &self.top.name
    }

    /// The filelist (one file name per line, children before parents).
    pub fn filelist(&self) -> String {
        self.files.iter().map(|f| format!("{}\n", f.name)).collect()
    }
}

/// Emits `top` and all modules it instantiates. Two different modules with one name is an
/// error (a generator must encode every parameter that changes the body in the name).
pub fn emit_design(top: &Rc<Module>) -> Result<Design, HdlErrors> {
    let mut files: Vec<VerilogFile> = Vec::new();
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let mut errors = Vec::new();
    collect(top, &mut files, &mut seen, &mut errors);
    if !errors.is_empty() {
        return Err(HdlErrors(errors));
    }
    Ok(Design {
        top: top.clone(),
        files,
    })
}

fn collect(
    m: &Rc<Module>,
    files: &mut Vec<VerilogFile>,
    seen: &mut BTreeMap<String, String>,
    errors: &mut Vec<HdlError>,
) {
    for inst in &m.instances {
        collect(&inst.module, files, seen, errors);
    }
    let text = emit_module(m);
    match seen.get(&m.name) {
        Some(prev) if *prev != text => errors.push(HdlError {
            module: m.name.clone(),
            signal: None,
            message: "two different modules share this name; encode the differing \
                      parameter in the module name"
                .into(),
        }),
        Some(_) => {}
        None => {
            seen.insert(m.name.clone(), text.clone());
            files.push(VerilogFile {
                name: format!("{}.v", m.name),
                text,
            });
        }
    }
}

fn range(width: u32) -> String {
    if width == 1 {
        String::new()
    } else {
        format!("[{}:0]", width - 1)
    }
}

const LINT_OFF: &str = "/* verilator lint_off UNUSEDSIGNAL */";
const LINT_ON: &str = "/* verilator lint_on UNUSEDSIGNAL */";

struct Temp {
    name: String,
    width: u32,
    value: String,
    used: Vec<bool>,
}

struct Emitter {
    temps: Vec<Temp>,
    by_node: HashMap<*const (), usize>,
}

fn is_leaf(e: &Expr) -> bool {
    matches!(
        e.kind(),
        Kind::Sig { .. }
            | Kind::Const(_)
            | Kind::Un(..)
            | Kind::Concat(_)
            | Kind::Repeat(..)
            | Kind::Slice(..)
            | Kind::Index(..)
            | Kind::PartSel(..)
    )
}

/// The operands of a tree of one associative operator, left to right, so `((a | b) | c)`
/// (what folding a list builds) prints as `a | b | c`. All operands have one width, so
/// Verilog's left-to-right grouping computes the same value.
fn chain<'a>(op: BinOp, e: &'a Expr, out: &mut Vec<&'a Expr>) {
    match e.kind() {
        Kind::Bin(o, a, b) if *o == op => {
            chain(op, a, out);
            chain(op, b, out);
        }
        _ => out.push(e),
    }
}

impl Emitter {
    /// A name for `e`: the signal itself, or a temporary wire holding it.
    fn named(&mut self, e: &Expr, lo: u32, width: u32) -> String {
        if let Kind::Sig { name, .. } = e.kind() {
            return name.to_string();
        }
        let key = Rc::as_ptr(&e.0) as *const ();
        let idx = match self.by_node.get(&key) {
            Some(&i) => i,
            None => {
                let value = self.expr(e);
                let i = self.temps.len();
                self.temps.push(Temp {
                    name: format!("_t{i}"),
                    width: e.width(),
                    value,
                    used: vec![false; e.width() as usize],
                });
                self.by_node.insert(key, i);
                i
            }
        };
        let t = &mut self.temps[idx];
        t.used[lo as usize..(lo + width) as usize].fill(true);
        t.name.clone()
    }

    fn sub(&mut self, e: &Expr) -> String {
        let s = self.expr(e);
        if is_leaf(e) {
            s
        } else {
            format!("({s})")
        }
    }

    fn expr(&mut self, e: &Expr) -> String {
        match e.kind() {
            Kind::Const(b) => b.to_verilog(),
            Kind::Sig { name, .. } => name.to_string(),
            Kind::Un(op, a) => {
                let a = self.sub(a);
                let o = match op {
                    UnOp::Not => "~",
                    UnOp::ReduceAnd => "&",
                    UnOp::ReduceOr => "|",
                    UnOp::ReduceXor => "^",
                };
                format!("{o}{a}")
            }
            Kind::Bin(op, _, _) if op.is_associative() => {
                let mut terms = Vec::new();
                chain(*op, e, &mut terms);
                let terms: Vec<String> = terms.into_iter().map(|t| self.sub(t)).collect();
                terms.join(&format!(" {} ", op.verilog()))
            }
            Kind::Bin(op, a, b) => {
                let (a, b) = (self.sub(a), self.sub(b));
                format!("{a} {} {b}", op.verilog())
            }
            Kind::Mux(c, a, b) => {
                let c = self.sub(c);
                let a = self.sub(a);
                let b = if matches!(b.kind(), Kind::Mux(..)) {
                    self.expr(b)
                } else {
                    self.sub(b)
                };
                format!("{c} ? {a} : {b}")
            }
            Kind::Concat(parts) => {
                let ps: Vec<String> = parts.iter().map(|p| self.expr(p)).collect();
                format!("{{{}}}", ps.join(", "))
            }
            Kind::Repeat(a, n) => {
                let a = self.expr(a);
                format!("{{{n}{{{a}}}}}")
            }
            Kind::Slice(a, lo) => {
                let name = self.named(a, *lo, e.width());
                if e.width() == 1 {
                    format!("{name}[{lo}]")
                } else {
                    format!("{name}[{}:{lo}]", lo + e.width() - 1)
                }
            }
            Kind::Index(a, i) => {
                let name = self.named(a, 0, a.width());
                let i = self.expr(i);
                format!("{name}[{i}]")
            }
            Kind::PartSel(a, base) => {
                let name = self.named(a, 0, a.width());
                let base = self.expr(base);
                format!("{name}[{base} +: {}]", e.width())
            }
            Kind::ShlVar(a, b) => format!("{} << {}", self.sub(a), self.sub(b)),
            Kind::ShrVar(a, b) => format!("{} >> {}", self.sub(a), self.sub(b)),
            Kind::Error(msg) => unreachable!("checked module holds an error: {msg}"),
        }
    }

    fn cond(&mut self, c: &Expr, negate: bool) -> String {
        let s = self.expr(c);
        match (negate, is_leaf(c)) {
            (false, _) => s,
            (true, true) => format!("!{s}"),
            (true, false) => format!("!({s})"),
        }
    }

    /// Renders a register's value tree as if/else statements; `Hold` leaves vanish.
    fn val_stmts(&mut self, target: &str, v: &Val, ind: usize, out: &mut String) {
        let pad = "    ".repeat(ind);
        match v {
            Val::Hold => {}
            Val::E(e) => {
                let e = self.expr(e);
                let _ = writeln!(out, "{pad}{target} <= {e};");
            }
            Val::If(c, a, b) => {
                let (c, a, b) = if matches!(**a, Val::Hold) {
                    (self.cond(c, true), &**b, &Val::Hold)
                } else {
                    (self.cond(c, false), &**a, &**b)
                };
                let _ = writeln!(out, "{pad}if ({c}) begin");
                self.val_stmts(target, a, ind + 1, out);
                self.else_chain(target, b, ind, out);
            }
        }
    }

    fn else_chain(&mut self, target: &str, b: &Val, ind: usize, out: &mut String) {
        let pad = "    ".repeat(ind);
        match b {
            Val::Hold => {
                let _ = writeln!(out, "{pad}end");
            }
            Val::If(c2, a2, b2) if !matches!(**a2, Val::Hold) => {
                let c2 = self.cond(c2, false);
                let _ = writeln!(out, "{pad}end else if ({c2}) begin");
                self.val_stmts(target, a2, ind + 1, out);
                self.else_chain(target, b2, ind, out);
            }
            _ => {
                let _ = writeln!(out, "{pad}end else begin");
                self.val_stmts(target, b, ind + 1, out);
                let _ = writeln!(out, "{pad}end");
            }
        }
    }

    /// A combinational value tree as one expression (nested `?:`).
    fn val_expr(&mut self, v: &Val) -> String {
        match v {
            Val::Hold => unreachable!("latches are rejected by the checks"),
            Val::E(e) => self.expr(e),
            Val::If(c, a, b) => {
                let c = self.sub(c);
                let a = match **a {
                    Val::E(_) => self.val_sub(a),
                    _ => format!("({})", self.val_expr(a)),
                };
                let b = match **b {
                    Val::If(..) => self.val_expr(b),
                    _ => self.val_sub(b),
                };
                format!("{c} ? {a} : {b}")
            }
        }
    }

    fn val_sub(&mut self, v: &Val) -> String {
        match v {
            Val::E(e) => self.sub(e),
            _ => format!("({})", self.val_expr(v)),
        }
    }
}

fn emit_module(m: &Module) -> String {
    let mut em = Emitter {
        temps: Vec::new(),
        by_node: HashMap::new(),
    };
    let mut body = String::new();

    // Instances.
    for inst in &m.instances {
        let _ = writeln!(body, "    {} {} (", inst.module.name, inst.name);
        let w = inst
            .module
            .ports
            .iter()
            .map(|p| p.name.len())
            .max()
            .unwrap_or(0);
        let n = inst.module.ports.len();
        for (i, p) in inst.module.ports.iter().enumerate() {
            let conn = match p.dir {
                PortDir::In => em.expr(&inst.inputs[&p.name]),
                PortDir::Out => {
                    let id = inst.outputs.iter().find(|(q, _)| *q == p.name).unwrap().1;
                    m.signals[id.0 as usize].name.to_string()
                }
            };
            let comma = if i + 1 < n { "," } else { "" };
            let _ = writeln!(body, "        .{:w$} ({conn}){comma}", p.name);
        }
        let _ = writeln!(body, "    );\n");
    }

    // Combinational assignments.
    for (id, d) in &m.drivers {
        if let Driver::Comb(v) = d {
            let name = &m.signals[id.0 as usize].name;
            let e = em.val_expr(v);
            let _ = writeln!(body, "    assign {name} = {e};");
        }
    }

    // Registers.
    let clk = "clk";
    for (id, d) in &m.drivers {
        let Driver::Reg(v) = d else { continue };
        let s = &m.signals[id.0 as usize];
        let _ = writeln!(body, "\n    always @(posedge {clk}) begin");
        match &s.kind {
            SigKind::Reg { reset: Some(r) } => {
                let _ = writeln!(
                    body,
                    "        if (rst) begin\n            {} <= {};",
                    s.name,
                    r.to_verilog()
                );
                em.else_chain(&s.name, v, 2, &mut body);
            }
            _ => em.val_stmts(&s.name, v, 2, &mut body),
        }
        let _ = writeln!(body, "    end");
    }

    // Memory ports.
    for mem in &m.memories {
        for port in &mem.ports {
            let mut blk = String::new();
            match port {
                MemPort::Write { en, addr, data } => {
                    let (en, addr, data) = (em.expr(en), em.expr(addr), em.expr(data));
                    let _ = writeln!(
                        blk,
                        "        if ({en}) begin\n            {}[{addr}] <= {data};\n        end",
                        mem.name
                    );
                }
                MemPort::ReadSync { en, addr, out } => {
                    let (en, addr) = (em.expr(en), em.expr(addr));
                    let o = &m.signals[out.0 as usize].name;
                    let _ = writeln!(
                        blk,
                        "        if ({en}) begin\n            {o} <= {}[{addr}];\n        end",
                        mem.name
                    );
                }
                MemPort::ReadAsync { addr, out } => {
                    let addr = em.expr(addr);
                    let o = &m.signals[out.0 as usize].name;
                    let _ = writeln!(body, "    assign {o} = {}[{addr}];", mem.name);
                    continue;
                }
                MemPort::ReadWrite {
                    en,
                    we,
                    addr,
                    data,
                    out,
                } => {
                    let (en, we, addr, data) =
                        (em.expr(en), em.expr(we), em.expr(addr), em.expr(data));
                    let o = &m.signals[out.0 as usize].name;
                    let _ = writeln!(
                        blk,
                        "        if ({en}) begin\n            {o} <= {n}[{addr}];\n            if ({we}) begin\n                {n}[{addr}] <= {data};\n            end\n        end",
                        n = mem.name
                    );
                }
            }
            let _ = write!(body, "\n    always @(posedge {clk}) begin\n{blk}    end\n");
        }
    }

    // Header and ports.
    let mut out = String::new();
    out.push_str("// Generated by nicgen from the Rust description in hdl/. Do not edit.\n");
    if let Some(doc) = &m.doc {
        for line in doc.lines() {
            let _ = writeln!(out, "{}", format!("// {line}").trim_end());
        }
    }
    out.push_str("`default_nettype none\n\n");
    let _ = writeln!(out, "module {} (", m.name);
    let rw = m
        .ports
        .iter()
        .map(|p| range(p.width).len())
        .max()
        .unwrap_or(0);
    let mut group: Option<&str> = None;
    for (i, p) in m.ports.iter().enumerate() {
        let g = p.group.as_ref().map(|(g, _)| g.as_str());
        if g != group {
            if let Some(g) = g {
                let _ = writeln!(out, "    // {g}");
            }
            group = g;
        }
        let s = &m.signals[p.sig.0 as usize];
        let dir = if p.dir == PortDir::In {
            "input  wire"
        } else {
            "output wire"
        };
        let comma = if i + 1 < m.ports.len() { "," } else { "" };
        let decl = format!("    {dir} {:rw$} {}{comma}", range(p.width), p.name);
        if s.unused_ok {
            let _ = writeln!(out, "    {LINT_OFF}\n{decl}\n    {LINT_ON}");
        } else {
            let _ = writeln!(out, "{decl}");
        }
    }
    out.push_str(");\n");

    // Declarations: memories, signals, temporaries.
    let mut decls = String::new();
    for mem in &m.memories {
        let _ = writeln!(
            decls,
            "    (* ram_style = \"{}\" *)\n    reg {} {} [0:{}];",
            mem.style.attr(),
            range(mem.width),
            mem.name,
            mem.depth - 1
        );
    }
    let dw = m
        .signals
        .iter()
        .map(|s| range(s.width).len())
        .chain(em.temps.iter().map(|t| range(t.width).len()))
        .max()
        .unwrap_or(0);
    for s in &m.signals {
        let kw = match s.kind {
            SigKind::Input | SigKind::Output => continue,
            SigKind::Wire => "wire",
            SigKind::Reg { .. } => "reg ",
        };
        if let Some(doc) = &s.doc {
            for line in doc.lines() {
                let _ = writeln!(decls, "{}", format!("    // {line}").trim_end());
            }
        }
        let decl = format!("    {kw} {:dw$} {};", range(s.width), s.name);
        if s.unused_ok {
            let _ = writeln!(decls, "    {LINT_OFF}\n{decl}\n    {LINT_ON}");
        } else {
            let _ = writeln!(decls, "{decl}");
        }
    }
    for t in &em.temps {
        let decl = format!("    wire {:dw$} {} = {};", range(t.width), t.name, t.value);
        if t.used.iter().all(|&b| b) {
            let _ = writeln!(decls, "{decl}");
        } else {
            // Only some bits of this intermediate are sliced out, by construction.
            let _ = writeln!(decls, "    // bits {} unused by design", ranges(&t.used));
            let _ = writeln!(decls, "    {LINT_OFF}\n{decl}\n    {LINT_ON}");
        }
    }
    if !decls.is_empty() {
        let _ = writeln!(out, "\n{decls}");
    } else {
        out.push('\n');
    }
    out.push_str(&body);
    out.push_str("\nendmodule\n\n`default_nettype wire\n");
    out
}

//! Verilog-2005 emitter: one file per module, named after it, plus a filelist per top.
//!
//! The output is deterministic (declaration order, no hashing), every literal is sized,
//! every name comes from the Rust description, and registers are `always @(posedge clk)`
//! blocks inside the module that owns them, in the if/else shape Yosys maps to clock
//! enables. A chain that compares one selector with constants is a `case` (see `case`).
//! Verilog can only slice a name, so slices of computed values go through
//! emitter temporaries `_t<n>`. Expressions are laid out by `layout`: chains of one
//! operator without nested parentheses, and no line longer than `layout::MAX_LINE`.

use super::case::{self, Arm, Case};
use super::check::ranges;
use super::expr::{BinOp, Expr, Kind, SigId, UnOp};
use super::layout::{line, Doc, Sep};
use super::netlist::{Driver, HdlError, HdlErrors, MemPort, Module, PortDir, SigKind, Val};
use std::collections::{BTreeMap, BTreeSet, HashMap};
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

const CLK: &str = "clk";
const LINT_OFF: &str = "/* verilator lint_off UNUSEDSIGNAL */";
const LINT_ON: &str = "/* verilator lint_on UNUSEDSIGNAL */";

struct Temp {
    name: String,
    width: u32,
    value: Doc,
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

/// The operands of a left-nested chain of one operator, so `((a | b) | c)` (what folding
/// a list builds) prints as `a | b | c`. Verilog groups such a chain from the left, so the
/// tools see exactly the tree of the description (a right operand keeps its parentheses).
fn chain<'a>(op: BinOp, e: &'a Expr, out: &mut Vec<&'a Expr>) {
    match e.kind() {
        Kind::Bin(o, a, b) if *o == op => {
            chain(op, a, out);
            out.push(b);
        }
        _ => out.push(e),
    }
}

fn text(s: impl Into<String>) -> Doc {
    Doc::text(s)
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

    fn sub(&mut self, e: &Expr) -> Doc {
        let d = self.expr(e);
        if is_leaf(e) {
            d
        } else {
            d.paren()
        }
    }

    fn expr(&mut self, e: &Expr) -> Doc {
        match e.kind() {
            Kind::Const(b) => text(b.to_verilog()),
            Kind::Sig { name, .. } => text(&**name),
            Kind::Un(op, a) => {
                let o = match op {
                    UnOp::Not => "~",
                    UnOp::ReduceAnd => "&",
                    UnOp::ReduceOr => "|",
                    UnOp::ReduceXor => "^",
                };
                Doc::seq(vec![text(o), self.sub(a)])
            }
            Kind::Bin(op, a, b) => {
                let mut terms = Vec::new();
                if op.chains() {
                    chain(*op, e, &mut terms);
                } else {
                    terms = vec![a, b];
                }
                let terms = terms.into_iter().map(|t| self.sub(t)).collect();
                Doc::list(terms, Sep::Op(op.verilog()))
            }
            Kind::Mux(..) => self.mux_chain(e),
            Kind::Concat(parts) => Doc::List {
                open: "{",
                items: parts.iter().map(|p| self.expr(p)).collect(),
                sep: Sep::Comma,
                close: "}",
            },
            Kind::Repeat(a, n) => {
                let a = self.expr(a);
                Doc::seq(vec![text(format!("{{{n}{{")), a, text("}}")])
            }
            Kind::Slice(a, lo) => {
                let name = self.named(a, *lo, e.width());
                if e.width() == 1 {
                    text(format!("{name}[{lo}]"))
                } else {
                    text(format!("{name}[{}:{lo}]", lo + e.width() - 1))
                }
            }
            Kind::Index(a, i) => {
                let name = self.named(a, 0, a.width());
                let i = self.expr(i);
                Doc::seq(vec![text(format!("{name}[")), i, text("]")])
            }
            Kind::PartSel(a, base) => {
                let name = self.named(a, 0, a.width());
                let base = self.expr(base);
                let w = e.width();
                Doc::seq(vec![
                    text(format!("{name}[")),
                    base,
                    text(format!(" +: {w}]")),
                ])
            }
            Kind::ShlVar(a, b) => Doc::seq(vec![self.sub(a), text(" << "), self.sub(b)]),
            Kind::ShrVar(a, b) => Doc::seq(vec![self.sub(a), text(" >> "), self.sub(b)]),
            Kind::Error(msg) => unreachable!("checked module holds an error: {msg}"),
        }
    }

    /// `c0 ? a0 : c1 ? a1 : b` as one list, so a long chain breaks before each `:`.
    fn mux_chain(&mut self, mut e: &Expr) -> Doc {
        let mut arms = Vec::new();
        while let Kind::Mux(c, a, b) = e.kind() {
            arms.push(Doc::list(vec![self.sub(c), self.sub(a)], Sep::Op("?")));
            e = b;
        }
        arms.push(self.sub(e));
        Doc::list(arms, Sep::Op(":"))
    }

    fn cond(&mut self, c: &Expr, negate: bool) -> Doc {
        let d = self.expr(c);
        match (negate, is_leaf(c)) {
            (false, _) => d,
            (true, true) => Doc::seq(vec![text("!"), d]),
            (true, false) => Doc::seq(vec![text("!"), d.paren()]),
        }
    }

    /// Renders a register's value tree as if/else statements; `Hold` leaves vanish.
    fn val_stmts(&mut self, target: &str, v: &Val, ind: usize, out: &mut String) {
        let pad = "    ".repeat(ind);
        if let Some(c) = case::recognise(Arm::Val(v)) {
            self.reg_case(target, &c, ind, out);
            return;
        }
        match v {
            Val::Hold => {}
            Val::E(e) => {
                let e = self.expr(e);
                line(out, &format!("{pad}{target} <= "), &e, ";");
            }
            Val::If(c, a, b) => {
                let (c, a, b) = if matches!(**a, Val::Hold) {
                    (self.cond(c, true), &**b, &Val::Hold)
                } else {
                    (self.cond(c, false), &**a, &**b)
                };
                line(out, &format!("{pad}if ("), &c, ") begin");
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
            Val::If(c2, a2, b2)
                if !matches!(**a2, Val::Hold) && case::recognise(Arm::Val(b)).is_none() =>
            {
                let c2 = self.cond(c2, false);
                line(out, &format!("{pad}end else if ("), &c2, ") begin");
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

    /// A register's table: `case (sel)` with one item per constant, in the chain's order.
    fn reg_case(&mut self, target: &str, c: &Case<'_>, ind: usize, out: &mut String) {
        let pad = "    ".repeat(ind);
        let sel = self.expr(c.sel);
        line(out, &format!("{pad}case ("), &sel, ")");
        for (k, arm) in &c.items {
            self.reg_item(target, &k.to_verilog(), *arm, ind + 1, out);
        }
        // A default that holds after items for every value of the selector is dead.
        let every = c.sel.width() < 32 && c.items.len() as u64 == 1u64 << c.sel.width();
        if !(every && case::is_hold(c.default)) {
            self.reg_item(target, "default", c.default, ind + 1, out);
        }
        let _ = writeln!(out, "{pad}endcase");
    }

    fn reg_item(&mut self, target: &str, key: &str, arm: Arm<'_>, ind: usize, out: &mut String) {
        let pad = "    ".repeat(ind);
        match arm {
            Arm::Val(Val::Hold) => {
                let _ = writeln!(out, "{pad}{key}: ;");
            }
            Arm::Val(Val::E(e)) | Arm::Expr(e) => {
                let e = self.expr(e);
                line(out, &format!("{pad}{key}: {target} <= "), &e, ";");
            }
            Arm::Val(v) => {
                let _ = writeln!(out, "{pad}{key}: begin");
                self.val_stmts(target, v, ind + 1, out);
                let _ = writeln!(out, "{pad}end");
            }
        }
    }

    /// A combinational table as an `always @*` block around a `case` (the target is
    /// declared `reg`, as Verilog-2005 wants for a procedural assignment).
    fn comb_case(&mut self, target: &str, c: &Case<'_>, out: &mut String) {
        let sel = self.expr(c.sel);
        if !out.is_empty() && !out.ends_with("\n\n") {
            out.push('\n');
        }
        let _ = writeln!(out, "    always @* begin");
        line(out, "        case (", &sel, ")");
        for (k, arm) in c
            .items
            .iter()
            .map(|(k, a)| (k.to_verilog(), *a))
            .chain([("default".to_string(), c.default)])
        {
            let v = self.arm_expr(arm);
            line(out, &format!("            {k}: {target} = "), &v, ";");
        }
        let _ = writeln!(out, "        endcase\n    end");
    }

    fn arm_expr(&mut self, arm: Arm<'_>) -> Doc {
        match arm {
            Arm::Val(v) => self.val_expr(v),
            Arm::Expr(e) => self.expr(e),
        }
    }

    /// A combinational value tree as one expression (a `?:` chain).
    fn val_expr(&mut self, v: &Val) -> Doc {
        let mut arms = Vec::new();
        let mut v = v;
        while let Val::If(c, a, b) = v {
            let c = self.sub(c);
            let a = self.val_sub(a);
            arms.push(Doc::list(vec![c, a], Sep::Op("?")));
            v = b;
        }
        match v {
            Val::Hold => unreachable!("latches are rejected by the checks"),
            Val::E(e) if arms.is_empty() => self.expr(e),
            _ => {
                arms.push(self.val_sub(v));
                Doc::list(arms, Sep::Op(":"))
            }
        }
    }

    fn val_sub(&mut self, v: &Val) -> Doc {
        match v {
            Val::E(e) => self.sub(e),
            _ => self.val_expr(v).paren(),
        }
    }

    /// One memory port in the shape the synthesis tools infer RAM from.
    fn mem_port(&mut self, m: &Module, mem: &str, port: &MemPort, body: &mut String) {
        let out_name = |out: &SigId| &m.signals[out.0 as usize].name;
        let mut blk = String::new();
        match port {
            MemPort::Write { en, addr, data, .. } => {
                let (en, addr, data) = (self.expr(en), self.expr(addr), self.expr(data));
                line(&mut blk, "        if (", &en, ") begin");
                let store = Doc::seq(vec![text(format!("{mem}[")), addr, text("] <= "), data]);
                line(&mut blk, "            ", &store, ";");
                blk.push_str("        end\n");
            }
            MemPort::ReadSync { en, addr, out } => {
                line(&mut blk, "        if (", &self.expr(en), ") begin");
                let prefix = format!("            {} <= {mem}[", out_name(out));
                line(&mut blk, &prefix, &self.expr(addr), "];");
                blk.push_str("        end\n");
            }
            MemPort::ReadAsync { addr, out } => {
                let prefix = format!("    assign {} = {mem}[", out_name(out));
                line(body, &prefix, &self.expr(addr), "];");
                return;
            }
            MemPort::ReadWrite {
                en,
                we,
                addr,
                data,
                out,
            } => {
                let (en, we) = (self.expr(en), self.expr(we));
                let (addr, data) = (self.expr(addr), self.expr(data));
                line(&mut blk, "        if (", &en, ") begin");
                let prefix = format!("            {} <= {mem}[", out_name(out));
                line(&mut blk, &prefix, &addr, "];");
                line(&mut blk, "            if (", &we, ") begin");
                let store = Doc::seq(vec![text(format!("{mem}[")), addr, text("] <= "), data]);
                line(&mut blk, "                ", &store, ";");
                blk.push_str("            end\n        end\n");
            }
        }
        let domain = match port {
            MemPort::Write { domain, .. } => *domain,
            MemPort::ReadSync { out, .. } | MemPort::ReadWrite { out, .. } => {
                m.signals[out.0 as usize].domain
            }
            MemPort::ReadAsync { .. } => unreachable!("returned above"),
        };
        let (event, _) = clocking(m, domain);
        let _ = write!(body, "\n    always @({event}) begin\n{blk}    end\n");
    }
}

/// The event control of domain `d`'s clocked blocks and the name of its reset.
fn clocking(m: &Module, d: usize) -> (String, &str) {
    let dom = &m.domains[d];
    let name = |id: Option<SigId>| id.map(|i| &*m.signals[i.0 as usize].name);
    let clk = name(dom.clk).unwrap_or(CLK);
    let rst = name(dom.rst).unwrap_or("rst");
    if dom.async_reset {
        (format!("posedge {clk} or posedge {rst}"), rst)
    } else {
        (format!("posedge {clk}"), rst)
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
                    text(&*m.signals[id.0 as usize].name)
                }
            };
            let comma = if i + 1 < n { ")," } else { ")" };
            line(
                &mut body,
                &format!("        .{:w$} (", p.name),
                &conn,
                comma,
            );
        }
        let _ = writeln!(body, "    );\n");
    }

    // Combinational assignments; tables become `always @*` blocks driving a `reg`.
    let mut procedural = BTreeSet::new();
    for (id, d) in &m.drivers {
        if let Driver::Comb(v) = d {
            let name = &m.signals[id.0 as usize].name;
            if let Some(c) = case::recognise(Arm::Val(v)) {
                em.comb_case(name, &c, &mut body);
                procedural.insert(*id);
            } else {
                if body.ends_with("    end\n") {
                    body.push('\n');
                }
                let e = em.val_expr(v);
                line(&mut body, &format!("    assign {name} = "), &e, ";");
            }
        }
    }

    // Registers.
    for (id, d) in &m.drivers {
        let Driver::Reg(v) = d else { continue };
        let s = &m.signals[id.0 as usize];
        let (event, rst) = clocking(m, s.domain);
        let _ = writeln!(body, "\n    always @({event}) begin");
        match &s.kind {
            SigKind::Reg { reset: Some(r) } => {
                let _ = writeln!(
                    body,
                    "        if ({rst}) begin\n            {} <= {};",
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
            em.mem_port(m, &mem.name, port, &mut body);
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
        let dir = match p.dir {
            PortDir::In => "input  wire",
            PortDir::Out if procedural.contains(&p.sig) => "output reg ",
            PortDir::Out => "output wire",
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
    for (i, s) in m.signals.iter().enumerate() {
        let id = SigId(i as u32);
        let kw = match s.kind {
            SigKind::Input | SigKind::Output => continue,
            SigKind::Wire if procedural.contains(&id) => "reg ",
            SigKind::Wire => "wire",
            SigKind::Reg { .. } => "reg ",
        };
        if let Some(doc) = &s.doc {
            for line in doc.lines() {
                let _ = writeln!(decls, "{}", format!("    // {line}").trim_end());
            }
        }
        if s.async_reg {
            let _ = writeln!(decls, "    (* ASYNC_REG = \"TRUE\" *)");
        }
        let decl = format!("    {kw} {:dw$} {};", range(s.width), s.name);
        if s.unused_ok {
            let _ = writeln!(decls, "    {LINT_OFF}\n{decl}\n    {LINT_ON}");
        } else {
            let _ = writeln!(decls, "{decl}");
        }
    }
    for t in &em.temps {
        let mut decl = String::new();
        let prefix = format!("    wire {:dw$} {} = ", range(t.width), t.name);
        line(&mut decl, &prefix, &t.value, ";");
        let decl = decl.trim_end();
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

//! Static checks run by `ModuleBuilder::finish`: width and construction errors, undriven
//! and multiply-driven signals, latches, unconnected instance inputs, unread bits and
//! combinational loops. Every error names the module and the signal.

use super::expr::{Expr, Kind, SigId};
use super::netlist::{
    Domain, Driver, HdlError, HdlErrors, Instance, MemPort, Memory, Module, Port, PortDir, SigKind,
    Signal, Stmt, Val,
};
use std::collections::{BTreeMap, BTreeSet};

pub(crate) fn finish(p: Parts) -> Result<Module, HdlErrors> {
    let mut c = Checker {
        errors: p.errors.clone(),
        p: &p,
    };
    c.check_exprs();
    let drivers = c.derive_drivers();
    c.check_instances();
    c.check_usage(&drivers);
    c.check_synchronizers(&drivers);
    let comb_deps = c.check_loops(&drivers);
    if !c.errors.is_empty() {
        return Err(HdlErrors(c.errors));
    }
    Ok(Module {
        name: p.name.clone(),
        doc: p.doc.clone(),
        ports: p.ports.clone(),
        signals: p.signals.clone(),
        drivers,
        memories: p.memories.clone(),
        instances: p.instances.clone(),
        domains: p.domains.clone(),
        comb_deps,
    })
}

/// A builder taken apart for checking.
pub(crate) struct Parts {
    pub(crate) uid: u64,
    pub(crate) name: String,
    pub(crate) doc: Option<String>,
    pub(crate) ports: Vec<Port>,
    pub(crate) signals: Vec<Signal>,
    pub(crate) body: Vec<Stmt>,
    pub(crate) memories: Vec<Memory>,
    pub(crate) instances: Vec<Instance>,
    pub(crate) errors: Vec<HdlError>,
    pub(crate) domains: Vec<Domain>,
}

struct Checker<'a> {
    p: &'a Parts,
    errors: Vec<HdlError>,
}

/// Calls `f` with every signal leaf of `e`.
fn leaves(e: &Expr, f: &mut impl FnMut(SigId)) {
    e.visit(&mut |n| {
        if let Kind::Sig { id, .. } = n.kind() {
            f(*id)
        }
    });
}

fn val_exprs<'v>(v: &'v Val, out: &mut Vec<&'v Expr>) {
    match v {
        Val::Hold => {}
        Val::E(e) => out.push(e),
        Val::If(c, a, b) => {
            out.push(c);
            val_exprs(a, out);
            val_exprs(b, out);
        }
    }
}

fn same(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::Hold, Val::Hold) => true,
        (Val::E(x), Val::E(y)) => x.ptr_eq(y),
        (Val::If(c1, a1, b1), Val::If(c2, a2, b2)) => c1.ptr_eq(c2) && same(a1, a2) && same(b1, b2),
        _ => false,
    }
}

/// The value `t` holds after `stmts`, starting from `v`.
fn exec(stmts: &[Stmt], t: SigId, mut v: Val) -> Val {
    for s in stmts {
        match s {
            Stmt::Assign(id, e) if *id == t => v = Val::E(e.clone()),
            Stmt::If {
                cond,
                then,
                els,
                targets,
            } if targets.contains(&t) => {
                let a = exec(then, t, v.clone());
                let b = exec(els, t, v);
                v = if same(&a, &b) {
                    a
                } else {
                    Val::If(cond.clone(), Box::new(a), Box::new(b))
                };
            }
            _ => {}
        }
    }
    v
}

fn has_hold(v: &Val) -> bool {
    match v {
        Val::Hold => true,
        Val::E(_) => false,
        Val::If(_, a, b) => has_hold(a) || has_hold(b),
    }
}

impl Checker<'_> {
    fn err(&mut self, sig: Option<&str>, msg: impl Into<String>) {
        self.errors.push(HdlError {
            module: self.p.name.clone(),
            signal: sig.map(str::to_string),
            message: msg.into(),
        });
    }

    fn name(&self, id: SigId) -> String {
        self.p.signals[id.0 as usize].name.to_string()
    }

    /// Reports errors inside `e`, foreign signals, and a width other than `want`.
    fn check_expr(&mut self, e: &Expr, sig: &str, want: Option<u32>, what: &str) {
        if let Some(m) = e.error() {
            self.err(Some(sig), format!("{what}: {m}"));
            return;
        }
        let uid = self.p.uid;
        let mut foreign = None;
        e.visit(&mut |n| {
            if let Kind::Sig { module, name, .. } = n.kind() {
                if *module != uid {
                    foreign = Some(name.clone());
                }
            }
        });
        if let Some(f) = foreign {
            self.err(
                Some(sig),
                format!("{what} uses `{f}`, a signal of another module"),
            );
        }
        if let Some(w) = want {
            if e.width() != w {
                self.err(
                    Some(sig),
                    format!("{what} is {} bits, expected {w}", e.width()),
                );
            }
        }
    }

    fn check_stmts(&mut self, stmts: &[Stmt]) {
        for s in stmts {
            match s {
                Stmt::Assign(id, e) => {
                    let (n, w) = (self.name(*id), self.p.signals[id.0 as usize].width);
                    self.check_expr(e, &n, Some(w), "assigned value");
                }
                Stmt::If {
                    cond,
                    then,
                    els,
                    targets,
                } => {
                    let n = targets.first().map(|t| self.name(*t)).unwrap_or_default();
                    self.check_expr(cond, &n, Some(1), "`when` condition");
                    self.check_stmts(then);
                    self.check_stmts(els);
                }
            }
        }
    }

    fn check_exprs(&mut self) {
        let p = self.p;
        self.check_stmts(&p.body);
        for m in &p.memories {
            let n = m.name.to_string();
            for port in &m.ports {
                match port {
                    MemPort::Write { en, addr, data, .. } => {
                        self.check_expr(en, &n, Some(1), "write enable");
                        self.check_expr(addr, &n, None, "write address");
                        self.check_expr(data, &n, None, "write data");
                    }
                    MemPort::ReadSync { en, addr, .. } => {
                        self.check_expr(en, &n, Some(1), "read enable");
                        self.check_expr(addr, &n, None, "read address");
                    }
                    MemPort::ReadAsync { addr, .. } => {
                        self.check_expr(addr, &n, None, "read address")
                    }
                    MemPort::ReadWrite {
                        en, we, addr, data, ..
                    } => {
                        self.check_expr(en, &n, Some(1), "port enable");
                        self.check_expr(we, &n, Some(1), "write enable");
                        self.check_expr(addr, &n, None, "address");
                        self.check_expr(data, &n, None, "write data");
                    }
                }
            }
        }
        for inst in &p.instances {
            for (port, e) in &inst.inputs {
                self.check_expr(e, &format!("{}.{port}", inst.name), None, "connection");
            }
        }
    }

    fn derive_drivers(&mut self) -> BTreeMap<SigId, Driver> {
        let p = self.p;
        let mut drivers = BTreeMap::new();
        for (i, inst) in p.instances.iter().enumerate() {
            for (_, id) in &inst.outputs {
                drivers.insert(*id, Driver::Instance(i));
            }
        }
        for (i, m) in p.memories.iter().enumerate() {
            for port in &m.ports {
                match port {
                    MemPort::ReadSync { out, .. }
                    | MemPort::ReadAsync { out, .. }
                    | MemPort::ReadWrite { out, .. } => {
                        drivers.insert(*out, Driver::Memory(i));
                    }
                    MemPort::Write { .. } => {}
                }
            }
        }
        let mut assigned = BTreeSet::new();
        collect_targets(&p.body, &mut assigned);
        for id in assigned {
            let n = self.name(id);
            if drivers.contains_key(&id) {
                self.err(
                    Some(&n),
                    "multiply driven: assigned and driven by an instance or memory",
                );
                continue;
            }
            let v = exec(&p.body, id, Val::Hold);
            let d = match p.signals[id.0 as usize].kind {
                SigKind::Reg { .. } => Driver::Reg(v),
                _ => {
                    if has_hold(&v) {
                        self.err(
                            Some(&n),
                            "not assigned on every path (would infer a latch); give it a default",
                        );
                    }
                    Driver::Comb(v)
                }
            };
            drivers.insert(id, d);
        }
        for (i, s) in p.signals.iter().enumerate() {
            let id = SigId(i as u32);
            if s.kind != SigKind::Input && !drivers.contains_key(&id) {
                let what = match s.kind {
                    SigKind::Reg { .. } => "register is never assigned",
                    _ => "undriven",
                };
                self.err(Some(&s.name), what);
            }
        }
        drivers
    }

    fn check_instances(&mut self) {
        let p = self.p;
        for inst in &p.instances {
            for port in &inst.module.ports {
                if port.dir == PortDir::In && !inst.inputs.contains_key(&port.name) {
                    self.err(
                        Some(&format!("{}.{}", inst.name, port.name)),
                        format!("input of `{}` is not connected", inst.module.name),
                    );
                }
            }
        }
    }

    fn check_usage(&mut self, drivers: &BTreeMap<SigId, Driver>) {
        let p = self.p;
        let mut used: Vec<Vec<bool>> = p
            .signals
            .iter()
            .map(|s| vec![false; s.width as usize])
            .collect();
        let mut exprs: Vec<&Expr> = Vec::new();
        for d in drivers.values() {
            if let Driver::Comb(v) | Driver::Reg(v) = d {
                val_exprs(v, &mut exprs);
            }
        }
        for m in &p.memories {
            for port in &m.ports {
                match port {
                    MemPort::Write { en, addr, data, .. } => exprs.extend([en, addr, data]),
                    MemPort::ReadSync { en, addr, .. } => exprs.extend([en, addr]),
                    MemPort::ReadAsync { addr, .. } => exprs.push(addr),
                    MemPort::ReadWrite {
                        en, we, addr, data, ..
                    } => exprs.extend([en, we, addr, data]),
                }
            }
        }
        for inst in &p.instances {
            exprs.extend(inst.inputs.values());
        }
        for e in exprs {
            mark_used(e, &mut used);
        }
        // A domain's clock is read by its registers and memory ports, its reset by its
        // registers that have one.
        for (d, dom) in p.domains.iter().enumerate() {
            let regs = || {
                p.signals
                    .iter()
                    .filter(move |s| s.domain == d && matches!(s.kind, SigKind::Reg { .. }))
            };
            let writes = p
                .memories
                .iter()
                .flat_map(|m| &m.ports)
                .any(|port| matches!(port, MemPort::Write { domain, .. } if *domain == d));
            // Domain 0 keeps its clock with any memory, as before domains existed.
            let has_seq = regs().next().is_some() || writes || (d == 0 && !p.memories.is_empty());
            let has_reset = regs().any(|s| matches!(&s.kind, SigKind::Reg { reset: Some(_) }));
            for (id, flag) in [(dom.clk, has_seq), (dom.rst, has_reset)] {
                if let (Some(id), true) = (id, flag) {
                    used[id.0 as usize].fill(true);
                }
            }
        }
        for (i, s) in p.signals.iter().enumerate() {
            if s.kind == SigKind::Output || s.unused_ok {
                continue;
            }
            let bits = &used[i];
            if bits.iter().all(|&b| b) {
                continue;
            }
            let what = match s.kind {
                SigKind::Input => "input",
                SigKind::Reg { .. } => "register",
                _ => "wire",
            };
            let msg = if bits.iter().all(|&b| !b) {
                format!("{what} is never read (remove it, or mark it with `unused`)")
            } else {
                format!(
                    "{what} bits {} are never read (mark it with `unused` if that is intended)",
                    ranges(bits)
                )
            };
            self.err(Some(&s.name), msg);
        }
    }

    /// A synchronizer flop samples another clock, so what it samples must come straight
    /// from a flop (or an input port, or a constant): logic between clocks can glitch
    /// through values the source never had. The first flop of a chain samples a register
    /// of another domain; the next ones, the flop before them in the same domain.
    fn check_synchronizers(&mut self, drivers: &BTreeMap<SigId, Driver>) {
        let p = self.p;
        for (i, s) in p.signals.iter().enumerate().filter(|(_, s)| s.async_reg) {
            let d = match drivers.get(&SigId(i as u32)) {
                Some(Driver::Reg(Val::E(e))) => e,
                _ => {
                    self.err(
                        Some(&s.name),
                        "a synchronizer flop must sample unconditionally",
                    );
                    continue;
                }
            };
            let src = match d.kind() {
                Kind::Const(_) => continue,
                Kind::Sig { id, .. } => *id,
                Kind::Slice(a, _) if matches!(a.kind(), Kind::Sig { .. }) => match a.kind() {
                    Kind::Sig { id, .. } => *id,
                    _ => unreachable!("matched above"),
                },
                _ => {
                    self.err(
                        Some(&s.name),
                        "a synchronizer flop samples logic, not a flop",
                    );
                    continue;
                }
            };
            let from = &p.signals[src.0 as usize];
            let msg = match (&from.kind, from.async_reg, from.domain == s.domain) {
                (SigKind::Input, ..) | (SigKind::Reg { .. }, true, true) => continue,
                (SigKind::Reg { .. }, false, false) => continue,
                (SigKind::Reg { .. }, true, false) => {
                    "follows a synchronizer flop of another clock domain"
                }
                (SigKind::Reg { .. }, false, true) => "samples a register of its own clock domain",
                _ => "a synchronizer flop samples logic, not a flop",
            };
            self.err(Some(&s.name), msg);
        }
    }

    /// Finds combinational cycles; returns each output's combinational input dependencies.
    fn check_loops(
        &mut self,
        drivers: &BTreeMap<SigId, Driver>,
    ) -> BTreeMap<String, BTreeSet<String>> {
        let p = self.p;
        let n = p.signals.len();
        // comb fan-in of each signal
        let mut fanin: Vec<Vec<SigId>> = vec![Vec::new(); n];
        for (id, d) in drivers {
            let f = &mut fanin[id.0 as usize];
            match d {
                Driver::Comb(v) => {
                    let mut es = Vec::new();
                    val_exprs(v, &mut es);
                    for e in es {
                        leaves(e, &mut |s| f.push(s));
                    }
                }
                Driver::Instance(i) => {
                    let inst = &p.instances[*i];
                    let port = &inst.outputs.iter().find(|(_, s)| s == id).unwrap().0;
                    for inp in inst.module.comb_deps.get(port).into_iter().flatten() {
                        if let Some(e) = inst.inputs.get(inp) {
                            leaves(e, &mut |s| f.push(s));
                        }
                    }
                }
                Driver::Memory(m) => {
                    for port in &p.memories[*m].ports {
                        if let MemPort::ReadAsync { addr, out } = port {
                            if out == id {
                                leaves(addr, &mut |s| f.push(s));
                            }
                        }
                    }
                }
                Driver::Reg(_) => {}
            }
        }
        // DFS: 0 = new, 1 = on stack, 2 = done; deps = input ports reached
        let mut state = vec![0u8; n];
        let mut deps: Vec<BTreeSet<SigId>> = vec![BTreeSet::new(); n];
        let mut stack: Vec<SigId> = Vec::new();
        for start in 0..n {
            self.dfs(
                SigId(start as u32),
                &fanin,
                &mut state,
                &mut deps,
                &mut stack,
            );
        }
        let mut out = BTreeMap::new();
        for port in &p.ports {
            if port.dir == PortDir::Out {
                let names = deps[port.sig.0 as usize]
                    .iter()
                    .map(|s| self.name(*s))
                    .collect();
                out.insert(port.name.clone(), names);
            }
        }
        out
    }

    fn dfs(
        &mut self,
        s: SigId,
        fanin: &[Vec<SigId>],
        state: &mut [u8],
        deps: &mut [BTreeSet<SigId>],
        stack: &mut Vec<SigId>,
    ) {
        let i = s.0 as usize;
        match state[i] {
            2 => return,
            1 => {
                let pos = stack.iter().position(|x| *x == s).unwrap();
                let path: Vec<String> = stack[pos..]
                    .iter()
                    .chain([&s])
                    .map(|x| self.name(*x))
                    .collect();
                self.err(
                    Some(&self.name(s)),
                    format!("combinational loop: {}", path.join(" -> ")),
                );
                return;
            }
            _ => {}
        }
        state[i] = 1;
        stack.push(s);
        let mut d = BTreeSet::new();
        if self.p.signals[i].kind == SigKind::Input {
            d.insert(s);
        }
        for &f in &fanin[i] {
            self.dfs(f, fanin, state, deps, stack);
            d.extend(deps[f.0 as usize].iter().copied());
        }
        stack.pop();
        state[i] = 2;
        deps[i] = d;
    }
}

fn collect_targets(stmts: &[Stmt], out: &mut BTreeSet<SigId>) {
    for s in stmts {
        match s {
            Stmt::Assign(id, _) => {
                out.insert(*id);
            }
            Stmt::If { targets, .. } => out.extend(targets.iter().copied()),
        }
    }
}

/// Marks the bits of each signal that `e` reads; slicing a signal reads only those bits.
fn mark_used(e: &Expr, used: &mut [Vec<bool>]) {
    match e.kind() {
        Kind::Sig { id, .. } => used[id.0 as usize].fill(true),
        Kind::Slice(inner, lo) => match inner.kind() {
            Kind::Sig { id, .. } => {
                let lo = *lo as usize;
                used[id.0 as usize][lo..lo + e.width() as usize].fill(true);
            }
            _ => mark_used(inner, used),
        },
        Kind::Const(_) | Kind::Error(_) => {}
        Kind::Un(_, a) | Kind::Repeat(a, _) => mark_used(a, used),
        Kind::Bin(_, a, b)
        | Kind::Index(a, b)
        | Kind::PartSel(a, b)
        | Kind::ShlVar(a, b)
        | Kind::ShrVar(a, b) => {
            mark_used(a, used);
            mark_used(b, used);
        }
        Kind::Mux(c, a, b) => {
            mark_used(c, used);
            mark_used(a, used);
            mark_used(b, used);
        }
        Kind::Concat(parts) => parts.iter().for_each(|p| mark_used(p, used)),
    }
}

/// `[7:4], [1]` for the unset positions of `bits`.
pub(crate) fn ranges(bits: &[bool]) -> String {
    let mut out = Vec::new();
    let mut i = bits.len();
    while i > 0 {
        i -= 1;
        if bits[i] {
            continue;
        }
        let hi = i;
        while i > 0 && !bits[i - 1] {
            i -= 1;
        }
        out.push(if hi == i {
            format!("[{hi}]")
        } else {
            format!("[{hi}:{i}]")
        });
    }
    out.join(", ")
}

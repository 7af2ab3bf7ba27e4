//! Generates `models.rs`: one typed handle per model.

use std::fmt::Write as _;

use anyhow::{bail, Result};

use super::{GroupType, PortDir, TraceMode};

/// One entry of a model's port table (the spec's ports plus an unlisted clock).
#[derive(Debug, Clone)]
pub(crate) struct TablePort {
    pub name: String,
    pub dir: PortDir,
    pub width: u32,
    pub group: Option<(String, String)>,
    pub group_type: Option<GroupType>,
}

/// What the generator needs to know about one model.
pub(crate) struct GenModel<'a> {
    pub top: &'a str,
    pub table: &'a [TablePort],
    pub clock: Option<usize>,
    pub view: Option<&'a str>,
}

const KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for",
    "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
    "self", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where",
    "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
];

/// True for `[A-Za-z_][A-Za-z0-9_]*`.
pub(crate) fn is_plain_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A Rust identifier for a Verilog name (raw identifier for keywords).
pub(crate) fn rust_ident(name: &str, what: &str) -> Result<String> {
    if !is_plain_ident(name) || name == "_" {
        bail!("{what} `{name}` is not a plain identifier ([A-Za-z_][A-Za-z0-9_]*)");
    }
    if name.starts_with("__") {
        bail!("{what} `{name}`: names starting with `__` are reserved for generated code");
    }
    if matches!(name, "self" | "Self" | "super" | "crate") {
        bail!("{what} `{name}` cannot be a Rust identifier");
    }
    Ok(if KEYWORDS.contains(&name) {
        format!("r#{name}")
    } else {
        name.to_string()
    })
}

/// `axis_register_w512` → `AxisRegisterW512`, `s_axis` → `SAxis`.
pub(crate) fn camel_case(name: &str) -> String {
    name.split('_')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            let first = c.next().expect("non-empty").to_ascii_uppercase();
            std::iter::once(first).chain(c).collect::<String>()
        })
        .collect()
}

fn port_type(dir: PortDir, width: u32) -> String {
    let kind = match dir {
        PortDir::In => "Input",
        PortDir::Out => "Output",
    };
    match width {
        0..=8 => format!("::sim::{kind}<u8>"),
        9..=16 => format!("::sim::{kind}<u16>"),
        17..=32 => format!("::sim::{kind}<u32>"),
        33..=64 => format!("::sim::{kind}<u64>"),
        _ => format!("::sim::Wide{kind}"),
    }
}

fn port_doc(p: &TablePort) -> String {
    let dir = match p.dir {
        PortDir::In => "input",
        PortDir::Out => "output",
    };
    let bits = if p.width == 1 { "bit" } else { "bits" };
    format!("`{}`: {dir}, {} {bits}", p.name, p.width)
}

fn str_lit(s: &str) -> String {
    format!("{s:?}")
}

/// Fields of the top-level `Ports` struct: ungrouped ports and bundles, in first-use order.
enum Field<'a> {
    Port(usize, &'a TablePort),
    Group(String, Vec<(usize, &'a TablePort)>),
}

fn fields<'a>(m: &GenModel<'a>) -> Result<Vec<Field<'a>>> {
    let mut out: Vec<Field<'a>> = Vec::new();
    for (i, p) in m.table.iter().enumerate() {
        if Some(i) == m.clock {
            continue;
        }
        match &p.group {
            None => out.push(Field::Port(i, p)),
            Some((g, _)) => {
                let existing = out.iter_mut().find_map(|f| match f {
                    Field::Group(name, members) if name == g => Some(members),
                    _ => None,
                });
                match existing {
                    Some(members) => members.push((i, p)),
                    None => out.push(Field::Group(g.clone(), vec![(i, p)])),
                }
            }
        }
    }
    // Field names must be unique at each level.
    let mut names: Vec<&str> = Vec::new();
    for f in &out {
        let name = match f {
            Field::Port(_, p) => p.name.as_str(),
            Field::Group(g, members) => {
                let mut inner: Vec<&str> = Vec::new();
                for (_, p) in members {
                    let field = &p.group.as_ref().expect("grouped").1;
                    if inner.contains(&field.as_str()) {
                        bail!("model `{}`: bundle `{g}` has field `{field}` twice", m.top);
                    }
                    inner.push(field);
                }
                g.as_str()
            }
        };
        if names.contains(&name) {
            bail!(
                "model `{}`: `{name}` is both a port and a bundle (or two of either)",
                m.top
            );
        }
        names.push(name);
    }
    Ok(out)
}

/// The complete `models.rs`.
pub(crate) fn generate(
    models: &[GenModel<'_>],
    trace: TraceMode,
    wave_dir: &str,
) -> Result<String> {
    let mut s = String::new();
    let tops: Vec<&str> = models.iter().map(|m| m.top).collect();
    let _ = writeln!(
        s,
        "// @generated by sim::verilate::build_models from the ModelSpecs in build.rs; do not edit.\n\
         // Models: {}\n\
         // Include it with `include!(concat!(env!(\"OUT_DIR\"), \"/models.rs\"));`.\n",
        if tops.is_empty() { "(none)".to_string() } else { tops.join(", ") }
    );

    // C symbols, declared once in the crate that links the libraries.
    s.push_str(
        "#[doc(hidden)]\n\
         #[allow(dead_code, clippy::all)]\n\
         mod __nicsim_ffi {\n\
         \x20   use ::sim::ffi::RawModel;\n\
         \x20   use ::std::ffi::{c_char, c_int, c_void};\n\n\
         \x20   unsafe extern \"C\" {\n\
         \x20       pub fn nicsim_set_print_hook(hook: Option<::sim::ffi::PrintHook>);\n\
         \x20       pub fn nicsim_trace_kind() -> c_int;\n\
         \x20       pub fn nicsim_error(model: *mut RawModel) -> *const c_char;\n\
         \x20       pub fn nicsim_trace_open(model: *mut RawModel, path: *const c_char) -> c_int;\n\
         \x20       pub fn nicsim_trace_dump(model: *mut RawModel, time: u64) -> c_int;\n\
         \x20       pub fn nicsim_trace_close(model: *mut RawModel);\n\
         \x20       pub fn nicsim_delete(model: *mut RawModel);\n",
    );
    for m in models {
        let t = m.top;
        let _ = writeln!(
            s,
            "        pub fn nicsim_{t}_new(reset_seed: u32) -> *mut RawModel;\n\
             \x20       pub fn nicsim_{t}_ports(model: *mut RawModel, out: *mut *mut c_void, n: usize) -> usize;\n\
             \x20       pub fn nicsim_{t}_eval(model: *mut RawModel, time: u64) -> c_int;\n\
             \x20       pub fn nicsim_{t}_edge(model: *mut RawModel, clk: *mut u8, edge_time: u64) -> c_int;\n\
             \x20       pub fn nicsim_{t}_tick(\n\
             \x20           model: *mut RawModel,\n\
             \x20           clk: *mut u8,\n\
             \x20           low_time: u64,\n\
             \x20           edge_time: u64,\n\
             \x20       ) -> c_int;"
        );
    }
    s.push_str(
        "    }\n\n\
         \x20   pub static RUNTIME: ::sim::ffi::RuntimeFns = ::sim::ffi::RuntimeFns {\n\
         \x20       set_print_hook: nicsim_set_print_hook,\n\
         \x20       trace_kind: nicsim_trace_kind,\n\
         \x20       error: nicsim_error,\n\
         \x20       trace_open: nicsim_trace_open,\n\
         \x20       trace_dump: nicsim_trace_dump,\n\
         \x20       trace_close: nicsim_trace_close,\n\
         \x20       delete: nicsim_delete,\n\
         \x20   };\n\
         }\n",
    );

    let trace_expr = match trace {
        TraceMode::Off => "::sim::TraceMode::Off",
        TraceMode::Vcd => "::sim::TraceMode::Vcd",
        TraceMode::Fst => "::sim::TraceMode::Fst",
    };
    for m in models {
        model(&mut s, m, trace_expr, wave_dir)?;
    }
    views(&mut s, models)?;
    Ok(s)
}

// -----------------------------------------------------------------------------------------
// Views

/// A view type's field: a port (by reference, writable or readable), a bundle of a group
/// type (the shared type `<Type><Side>`), a stream (`AxisIn`/`AxisOut`) or another bundle
/// (`<View><Bundle>`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum ViewField {
    Port {
        name: String,
        dir: PortDir,
    },
    Group {
        name: String,
        ty: String,
    },
    Stream {
        name: String,
        sink: bool,
        tuser: bool,
    },
    Bundle {
        name: String,
        ty: String,
    },
}

impl ViewField {
    fn name(&self) -> &str {
        match self {
            Self::Port { name, .. }
            | Self::Group { name, .. }
            | Self::Stream { name, .. }
            | Self::Bundle { name, .. } => name,
        }
    }
}

/// A struct of port references, `(field, direction)` in port order.
type PortStruct = Vec<(String, PortDir)>;

/// A view struct a bundle needs: its name, its group type's path (`None` for a bundle
/// without one) and its fields.
type BundleStruct = (String, Option<String>, PortStruct);

fn ref_type(dir: PortDir) -> &'static str {
    match dir {
        PortDir::In => "&'a dyn ::sim::PortWrite",
        PortDir::Out => "&'a dyn ::sim::PortRead",
    }
}

fn side_name(t: &GroupType) -> &'static str {
    match t.side {
        super::GroupSide::Source => "Source",
        super::GroupSide::Sink => "Sink",
    }
}

/// The view of one model: its fields, and the structs its bundles need (name, group path
/// or `None`, fields).
fn view_of(m: &GenModel<'_>, view: &str) -> Result<(Vec<ViewField>, Vec<BundleStruct>)> {
    let mut fields = Vec::new();
    let mut structs = Vec::new();
    for f in self::fields(m)? {
        match f {
            Field::Port(_, p) => fields.push(ViewField::Port {
                name: p.name.clone(),
                dir: p.dir,
            }),
            Field::Group(g, members) => {
                let ports: PortStruct = members
                    .iter()
                    .map(|(_, p)| (p.group.as_ref().expect("grouped").1.clone(), p.dir))
                    .collect();
                let types: Vec<Option<&GroupType>> =
                    members.iter().map(|(_, p)| p.group_type.as_ref()).collect();
                let ty = types[0];
                if types.iter().any(|t| *t != ty) {
                    bail!(
                        "model `{}`: the ports of bundle `{g}` disagree on its group type",
                        m.top
                    );
                }
                match ty {
                    Some(t) if t.name == "Axis" => {
                        let sink = t.side == super::GroupSide::Sink;
                        let has = |f: &str| ports.iter().any(|(n, _)| n == f);
                        for f in ["tdata", "tkeep", "tvalid", "tlast", "tready"] {
                            if !has(f) {
                                bail!("model `{}`: stream `{g}` has no `{f}`", m.top);
                            }
                        }
                        fields.push(ViewField::Stream {
                            name: g,
                            sink,
                            tuser: has("tuser"),
                        });
                    }
                    Some(t) => {
                        let ty = format!("{}{}", t.name, side_name(t));
                        structs.push((ty.clone(), Some(t.path.clone()), ports));
                        fields.push(ViewField::Group { name: g, ty });
                    }
                    None => {
                        let ty = format!("{}{}", camel_case(view), camel_case(&g));
                        structs.push((ty.clone(), None, ports));
                        fields.push(ViewField::Bundle { name: g, ty });
                    }
                }
            }
        }
    }
    if fields.iter().any(|f| f.name() == "dut") {
        bail!(
            "model `{}`: a port or bundle named `dut` clashes with the view's model field",
            m.top
        );
    }
    Ok((fields, structs))
}

/// `pub mod views`: one struct per view, one per group type and side, one per other bundle.
fn views(s: &mut String, models: &[GenModel<'_>]) -> Result<()> {
    // view name -> (fields, first model)
    let mut view_defs: Vec<(String, Vec<ViewField>, &str)> = Vec::new();
    // struct name -> (group path, fields, first model)
    let mut structs: Vec<(String, Option<String>, PortStruct, &str)> = Vec::new();
    for m in models {
        let Some(view) = m.view else { continue };
        rust_ident(view, "view name")?;
        let (fields, needed) = view_of(m, view)?;
        match view_defs.iter().find(|(v, _, _)| v == view) {
            Some((_, f, first)) if *f != fields => bail!(
                "models `{first}` and `{}` share view `{view}` but differ in ports, bundles \
                 or directions",
                m.top
            ),
            Some(_) => {}
            None => view_defs.push((view.to_string(), fields, m.top)),
        }
        for (name, path, ports) in needed {
            match structs.iter().find(|(n, ..)| *n == name) {
                Some((_, p, f, first)) if *p != path || *f != ports => bail!(
                    "models `{first}` and `{}`: view type `{name}` stands for two different \
                     bundles (fields or directions differ, or two group types share a name)",
                    m.top
                ),
                Some(_) => {}
                None => structs.push((name, path, ports, m.top)),
            }
        }
    }
    if view_defs.is_empty() {
        return Ok(());
    }
    let _ = write!(
        s,
        "\n/// Views of the models: each port by name (`&dyn PortWrite` for inputs, `&dyn\n\
         /// PortRead` for outputs, whatever the width), each declared port group as one value\n\
         /// of a type shared by every model (`<Group><Side>`), streams as [`::sim::axis`] views.\n\
         /// Get one with `view()` on a handle.\n\
         #[allow(dead_code, clippy::all)]\n\
         pub mod views {{\n"
    );
    let mut taken: Vec<String> = Vec::new();
    for (name, path, ports, _) in &structs {
        let what = match path {
            Some(p) => {
                let side = if name.ends_with("Sink") {
                    "sink"
                } else {
                    "source"
                };
                format!("The {side} side of port group [`{p}`](::{p}).")
            }
            None => "A bundle without a declared group type.".to_string(),
        };
        let _ = write!(
            s,
            "    /// {what}\n\
             \x20   #[derive(Clone, Copy)]\n\
             \x20   pub struct {name}<'a> {{\n"
        );
        for (f, dir) in ports {
            let _ = writeln!(
                s,
                "        pub {}: {},",
                rust_ident(f, "bundle field name")?,
                ref_type(*dir)
            );
        }
        s.push_str("    }\n\n");
        taken.push(name.clone());
    }
    for (view, fields, _) in &view_defs {
        let ty = camel_case(view);
        if taken.contains(&ty) {
            bail!("view `{view}`: its type name `{ty}` is also a bundle's view type");
        }
        taken.push(ty.clone());
        let users: Vec<&str> = models
            .iter()
            .filter(|m| m.view == Some(view.as_str()))
            .map(|m| m.top)
            .collect();
        let _ = write!(
            s,
            "    /// View `{view}` of {}.\n\
             \x20   #[derive(Clone, Copy)]\n\
             \x20   pub struct {ty}<'a> {{\n\
             \x20       /// The model, to evaluate and clock it.\n\
             \x20       pub dut: &'a dyn ::sim::Model,\n",
            users
                .iter()
                .map(|t| format!("[`{}`](super::{})", camel_case(t), camel_case(t)))
                .collect::<Vec<_>>()
                .join(", ")
        );
        for f in fields {
            let line = match f {
                ViewField::Port { name, dir } => {
                    format!("pub {}: {}", rust_ident(name, "port name")?, ref_type(*dir))
                }
                ViewField::Group { name, ty } | ViewField::Bundle { name, ty } => {
                    format!("pub {}: {ty}<'a>", rust_ident(name, "bundle name")?)
                }
                ViewField::Stream { name, sink, .. } => format!(
                    "pub {}: ::sim::axis::{}<'a>",
                    rust_ident(name, "bundle name")?,
                    if *sink { "AxisIn" } else { "AxisOut" }
                ),
            };
            let _ = writeln!(s, "        {line},");
        }
        let _ = write!(
            s,
            "    }}\n\n\
             \x20   /// The view is the model: `p.tick()`, `p.eval()`, ...\n\
             \x20   impl ::sim::Model for {ty}<'_> {{\n\
             \x20       #[inline]\n\
             \x20       fn core(&self) -> &::sim::ModelCore {{\n\
             \x20           self.dut.core()\n\
             \x20       }}\n\
             \x20   }}\n\n"
        );
    }
    s.push_str("}\n");
    Ok(())
}

/// `view()` on the handle of a model that has a view.
fn view_method(s: &mut String, m: &GenModel<'_>) -> Result<()> {
    let Some(view) = m.view else { return Ok(()) };
    let (fields, needed) = view_of(m, view)?;
    let ty = camel_case(view);
    let _ = write!(
        s,
        "    impl {handle} {{\n\
         \x20       /// This model's [`views::{ty}`](super::views::{ty}).\n\
         \x20       pub fn view(&self) -> super::views::{ty}<'_> {{\n\
         \x20           super::views::{ty} {{\n\
         \x20               dut: self,\n",
        handle = camel_case(m.top)
    );
    for f in &fields {
        match f {
            ViewField::Port { name, .. } => {
                let n = rust_ident(name, "port name")?;
                let _ = writeln!(s, "                {n}: &self.{n},");
            }
            ViewField::Group { name, ty } | ViewField::Bundle { name, ty } => {
                let n = rust_ident(name, "bundle name")?;
                let (_, _, ports) = needed
                    .iter()
                    .find(|(t, ..)| t == ty)
                    .expect("the view's own struct");
                let _ = writeln!(s, "                {n}: super::views::{ty} {{");
                for (f, _) in ports {
                    let f = rust_ident(f, "bundle field name")?;
                    let _ = writeln!(s, "                    {f}: &self.{n}.{f},");
                }
                s.push_str("                },\n");
            }
            ViewField::Stream { name, sink, tuser } => {
                let n = rust_ident(name, "bundle name")?;
                let user = if *tuser {
                    format!("Some(&self.{n}.tuser)")
                } else {
                    "None".to_string()
                };
                let _ = writeln!(
                    s,
                    "                {n}: ::sim::axis::{}::new(\n\
                     \x20                   &self.{n}.tdata,\n\
                     \x20                   &self.{n}.tkeep,\n\
                     \x20                   &self.{n}.tvalid,\n\
                     \x20                   &self.{n}.tlast,\n\
                     \x20                   {user},\n\
                     \x20                   &self.{n}.tready,\n\
                     \x20               ),",
                    if *sink { "AxisIn" } else { "AxisOut" }
                );
            }
        }
    }
    s.push_str("            }\n        }\n    }\n\n");
    Ok(())
}

fn model(s: &mut String, m: &GenModel<'_>, trace_expr: &str, wave_dir: &str) -> Result<()> {
    let top = m.top;
    let module = rust_ident(top, "top module name")?;
    let handle = camel_case(top);
    if !is_plain_ident(&handle) || KEYWORDS.contains(&handle.as_str()) {
        bail!("top module name `{top}` gives no usable Rust type name (`{handle}`)");
    }
    let fields = fields(m)?;
    let mut type_names = vec!["Ports".to_string(), handle.clone()];
    for f in &fields {
        if let Field::Group(g, _) = f {
            let name = format!("{}Ports", camel_case(g));
            if type_names.contains(&name) {
                bail!("model `{top}`: bundle `{g}` gives a clashing type name `{name}`");
            }
            type_names.push(name);
        }
    }

    // Port table.
    let _ = write!(
        s,
        "\n/// Verilated model of Verilog module `{top}`: see [`{module}::{handle}`].\n\
         #[allow(non_snake_case, non_camel_case_types, dead_code, unused_imports, clippy::all)]\n\
         pub mod {module} {{\n\
         \x20   use ::sim::SimError;\n\n\
         \x20   /// Every port of `{top}` (including the clock), in port-table order.\n\
         \x20   pub static PORTS: &[::sim::PortInfo] = &[\n"
    );
    for p in m.table {
        let dir = match p.dir {
            PortDir::In => "In",
            PortDir::Out => "Out",
        };
        let _ = writeln!(
            s,
            "        ::sim::PortInfo {{ name: {}, dir: ::sim::PortDir::{dir}, width: {} }},",
            str_lit(&p.name),
            p.width
        );
    }
    let clock = match m.clock {
        Some(i) => format!("Some({i})"),
        None => "None".into(),
    };
    let _ = write!(
        s,
        "    ];\n\n\
         \x20   static DESC: ::sim::ModelDesc = ::sim::ModelDesc {{\n\
         \x20       top: {top_lit},\n\
         \x20       ports: PORTS,\n\
         \x20       clock: {clock},\n\
         \x20       trace: {trace_expr},\n\
         \x20       default_wave_dir: {wave},\n\
         \x20       runtime: &super::__nicsim_ffi::RUNTIME,\n\
         \x20       model: ::sim::ffi::ModelFns {{\n\
         \x20           new: super::__nicsim_ffi::nicsim_{top}_new,\n\
         \x20           ports: super::__nicsim_ffi::nicsim_{top}_ports,\n\
         \x20           eval: super::__nicsim_ffi::nicsim_{top}_eval,\n\
         \x20           edge: super::__nicsim_ffi::nicsim_{top}_edge,\n\
         \x20           tick: super::__nicsim_ffi::nicsim_{top}_tick,\n\
         \x20       }},\n\
         \x20   }};\n\n",
        top_lit = str_lit(top),
        wave = str_lit(wave_dir),
    );

    // Handle.
    let clock_doc = match m.clock {
        Some(i) => format!(
            "The clock `{}` is driven by [`tick`](Self::tick), not exposed as a port.",
            m.table[i].name
        ),
        None => "The model has no clock; use [`eval`](Self::eval).".into(),
    };
    let _ = write!(
        s,
        "    /// Handle of a Verilated `{top}`: owns the C++ model, frees it on drop.\n\
         \x20   ///\n\
         \x20   /// Ports are fields of [`Ports`], reached through `Deref` (`dut.port.set(..)`,\n\
         \x20   /// `dut.bundle.field.get()`). {clock_doc}\n\
         \x20   pub struct {handle} {{\n\
         \x20       __core: ::sim::ModelCore,\n\
         \x20       __ports: Ports,\n\
         \x20   }}\n\n"
    );

    // Ports structs.
    let _ = write!(
        s,
        "    /// Ports of `{top}` (see [`{handle}`]).\n    pub struct Ports {{\n"
    );
    for f in &fields {
        match f {
            Field::Port(_, p) => {
                let _ = writeln!(
                    s,
                    "        /// {}\n        pub {}: {},",
                    port_doc(p),
                    rust_ident(&p.name, "port name")?,
                    port_type(p.dir, p.width)
                );
            }
            Field::Group(g, _) => {
                let _ = writeln!(
                    s,
                    "        /// Bundle `{g}_*`.\n        pub {}: {}Ports,",
                    rust_ident(g, "bundle name")?,
                    camel_case(g)
                );
            }
        }
    }
    s.push_str("    }\n\n");
    for f in &fields {
        if let Field::Group(g, members) = f {
            let _ = write!(
                s,
                "    /// Bundle `{g}_*` of `{top}`.\n    pub struct {}Ports {{\n",
                camel_case(g)
            );
            for (_, p) in members {
                let field = &p.group.as_ref().expect("grouped").1;
                let _ = writeln!(
                    s,
                    "        /// {}\n        pub {}: {},",
                    port_doc(p),
                    rust_ident(field, "bundle field name")?,
                    port_type(p.dir, p.width)
                );
            }
            s.push_str("    }\n\n");
        }
    }

    view_method(s, m)?;

    // Constructors and methods.
    let _ = write!(
        s,
        "    impl {handle} {{\n\
         \x20       /// Verilog top module name.\n\
         \x20       pub const TOP: &'static str = {top_lit};\n\n\
         \x20       /// A new model: clock low, all inputs 0, registers and memories at random values\n\
         \x20       /// (seed from `NICSIM_RESET_SEED` or fresh, printed; see\n\
         \x20       /// [`::sim::reset_seed_for`]), nothing evaluated yet. If the model was built with\n\
         \x20       /// waveform support (`NICSIM_WAVE` at build time) it writes a waveform to\n\
         \x20       /// `$NICSIM_WAVE_DIR/{top}-<pid>-<n>.<ext>` (default directory\n\
         \x20       /// `<workspace>/target/waves`); panics if that file cannot be created.\n\
         \x20       pub fn new() -> Self {{\n\
         \x20           Self::with_reset_seed(::sim::reset_seed_for(Self::TOP))\n\
         \x20       }}\n\n\
         \x20       /// Like `new`, with the initial state drawn from `reset_seed` (0: all zeros).\n\
         \x20       pub fn with_reset_seed(reset_seed: u32) -> Self {{\n\
         \x20           // SAFETY: DESC and the C++ shim were generated from the same ModelSpec.\n\
         \x20           let mut core = unsafe {{ ::sim::ModelCore::with_reset_seed(&DESC, reset_seed) }};\n\
         \x20           if let Err(e) = core.open_default_wave() {{\n\
         \x20               panic!(\"{top}: {{e}}\");\n\
         \x20           }}\n\
         \x20           Self::__from_core(core)\n\
         \x20       }}\n\n\
         \x20       /// A new model writing its waveform to `path`. Fails if the model was built\n\
         \x20       /// without waveform support (set `NICSIM_WAVE=fst` or `vcd` for cargo).\n\
         \x20       pub fn new_traced(path: impl AsRef<::std::path::Path>) -> Result<Self, SimError> {{\n\
         \x20           // SAFETY: as in `new`.\n\
         \x20           let mut core = unsafe {{ ::sim::ModelCore::new(&DESC) }};\n\
         \x20           core.open_wave(path.as_ref())?;\n\
         \x20           Ok(Self::__from_core(core))\n\
         \x20       }}\n\n\
         \x20       fn __from_core(core: ::sim::ModelCore) -> Self {{\n\
         \x20           // SAFETY: pointer `i` is the storage of PORTS[i], whose order, widths and\n\
         \x20           // storage classes were checked against the Verilated header when this\n\
         \x20           // file was generated; it lives as long as `core`, which the handle owns\n\
         \x20           // next to the ports and which the ports cannot outlive or leave.\n\
         \x20           let __ports = unsafe {{\n\
         \x20               Ports {{\n",
        top_lit = str_lit(top),
    );
    let ctor = |i: usize, p: &TablePort| {
        format!(
            "{}::from_raw(core.port_ptr({i}), {}, {})",
            port_type(p.dir, p.width).replace('<', "::<"),
            str_lit(&p.name),
            p.width
        )
    };
    for f in &fields {
        match f {
            Field::Port(i, p) => {
                let _ = writeln!(
                    s,
                    "                    {}: {},",
                    rust_ident(&p.name, "port name")?,
                    ctor(*i, p)
                );
            }
            Field::Group(g, members) => {
                let _ = writeln!(
                    s,
                    "                    {}: {}Ports {{",
                    rust_ident(g, "bundle name")?,
                    camel_case(g)
                );
                for (i, p) in members {
                    let field = &p.group.as_ref().expect("grouped").1;
                    let _ = writeln!(
                        s,
                        "                        {}: {},",
                        rust_ident(field, "bundle field name")?,
                        ctor(*i, p)
                    );
                }
                s.push_str("                    },\n");
            }
        }
    }
    s.push_str(
        "                }\n\
         \x20           };\n\
         \x20           Self { __core: core, __ports }\n\
         \x20       }\n\n\
         \x20       /// Settles combinational logic for the current inputs (clock low).\n\
         \x20       /// See [`sim::ModelCore::eval`].\n\
         \x20       #[inline]\n\
         \x20       pub fn eval(&self) -> Result<(), SimError> {\n\
         \x20           self.__core.eval()\n\
         \x20       }\n\n",
    );
    if m.clock.is_some() {
        s.push_str(
            "        /// One clock cycle (rising edge). See [`sim::ModelCore::tick`].\n\
             \x20       #[inline]\n\
             \x20       pub fn tick(&self) -> Result<(), SimError> {\n\
             \x20           self.__core.tick()\n\
             \x20       }\n\n\
             \x20       /// `n` clock cycles; stops at the first error.\n\
             \x20       #[inline]\n\
             \x20       pub fn ticks(&self, n: u64) -> Result<(), SimError> {\n\
             \x20           self.__core.ticks(n)\n\
             \x20       }\n\n\
             \x20       /// Ticks until `done` holds; see [`sim::Model::tick_until`].\n\
             \x20       pub fn tick_until(\n\
             \x20           &self,\n\
             \x20           max_cycles: u64,\n\
             \x20           done: impl FnMut(&Self) -> bool,\n\
             \x20       ) -> Result<u64, SimError> {\n\
             \x20           ::sim::Model::tick_until(self, max_cycles, done)\n\
             \x20       }\n\n\
             \x20       /// Number of rising clock edges so far.\n\
             \x20       #[inline]\n\
             \x20       pub fn cycle(&self) -> u64 {\n\
             \x20           self.__core.cycle()\n\
             \x20       }\n\n",
        );
    }
    let _ = write!(
        s,
        "        /// True once the model has executed `$finish`.\n\
         \x20       #[inline]\n\
         \x20       pub fn finished(&self) -> bool {{\n\
         \x20           self.__core.finished()\n\
         \x20       }}\n\n\
         \x20       /// Path of the waveform this model writes, if any.\n\
         \x20       pub fn wave_path(&self) -> Option<&::std::path::Path> {{\n\
         \x20           self.__core.wave_path()\n\
         \x20       }}\n\n\
         \x20       /// The model-independent core.\n\
         \x20       #[inline]\n\
         \x20       pub fn core(&self) -> &::sim::ModelCore {{\n\
         \x20           &self.__core\n\
         \x20       }}\n\
         \x20   }}\n\n\
         \x20   impl ::std::default::Default for {handle} {{\n\
         \x20       fn default() -> Self {{\n\
         \x20           Self::new()\n\
         \x20       }}\n\
         \x20   }}\n\n\
         \x20   impl ::std::ops::Deref for {handle} {{\n\
         \x20       type Target = Ports;\n\
         \x20       #[inline]\n\
         \x20       fn deref(&self) -> &Ports {{\n\
         \x20           &self.__ports\n\
         \x20       }}\n\
         \x20   }}\n\n\
         \x20   impl ::sim::Model for {handle} {{\n\
         \x20       #[inline]\n\
         \x20       fn core(&self) -> &::sim::ModelCore {{\n\
         \x20           &self.__core\n\
         \x20       }}\n\
         \x20   }}\n\n\
         \x20   impl ::std::fmt::Debug for {handle} {{\n\
         \x20       fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {{\n\
         \x20           f.debug_struct({handle_lit})\n\
         \x20               .field(\"cycle\", &self.__core.cycle())\n\
         \x20               .field(\"finished\", &self.__core.finished())\n\
         \x20               .finish_non_exhaustive()\n\
         \x20       }}\n\
         \x20   }}\n\
         }}\n\
         pub use {module}::{handle};\n",
        handle_lit = str_lit(&handle),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::GroupSide;
    use super::*;

    #[test]
    fn names() {
        assert_eq!(camel_case("axis_register_w512"), "AxisRegisterW512");
        assert_eq!(camel_case("s_axis"), "SAxis");
        assert_eq!(camel_case("bridge_selftest"), "BridgeSelftest");
        assert_eq!(rust_ident("type", "x").unwrap(), "r#type");
        assert!(rust_ident("self", "x").is_err());
        assert!(rust_ident("__core", "x").is_err());
        assert!(rust_ident("a$b", "x").is_err());
    }

    fn port(
        name: &str,
        dir: PortDir,
        width: u32,
        group: Option<(&str, &str, GroupSide)>,
    ) -> TablePort {
        TablePort {
            name: name.into(),
            dir,
            width,
            group: group.map(|(g, f, _)| (g.into(), f.into())),
            group_type: group.map(|(_, _, side)| GroupType {
                name: "Lookup".into(),
                path: "hdl::x::Lookup".into(),
                side,
            }),
        }
    }

    /// A block at `width` with a `lookup` group (source side) and an untyped `cfg` bundle.
    fn table(width: u32) -> Vec<TablePort> {
        let lk = |f| Some(("lookup", f, GroupSide::Source));
        vec![
            port("clk", PortDir::In, 1, None),
            port("rst", PortDir::In, 1, None),
            port("lookup_valid", PortDir::Out, 1, lk("valid")),
            port("lookup_ip", PortDir::Out, width, lk("ip")),
            TablePort {
                group: Some(("cfg".into(), "mode".into())),
                ..port("cfg_mode", PortDir::In, 2, None)
            },
        ]
    }

    #[test]
    fn models_of_one_view_share_its_types() {
        let (t8, t64) = (table(8), table(64));
        let gen = |top, table, view| GenModel {
            top,
            table,
            clock: Some(0),
            view,
        };
        let models = [
            gen("blk_w8", &t8[..], Some("blk")),
            gen("blk_w64", &t64[..], Some("blk")),
        ];
        let code = generate(&models, TraceMode::Off, "/w").unwrap();
        assert_eq!(code.matches("pub struct Blk<'a>").count(), 1);
        assert_eq!(code.matches("pub struct LookupSource<'a>").count(), 1);
        assert_eq!(code.matches("pub struct BlkCfg<'a>").count(), 1);
        assert_eq!(
            code.matches("pub fn view(&self) -> super::views::Blk<'_>")
                .count(),
            2
        );
        assert!(code.contains("pub lookup: LookupSource<'a>,"));
        assert!(code.contains("pub valid: &'a dyn ::sim::PortRead,"));
        assert!(code.contains("pub mode: &'a dyn ::sim::PortWrite,"));

        // A model of the same view with another port is refused.
        let mut other = table(8);
        other.push(port("extra", PortDir::In, 1, None));
        let models = [
            gen("blk_w8", &t8[..], Some("blk")),
            gen("blk_x", &other[..], Some("blk")),
        ];
        let err = generate(&models, TraceMode::Off, "/w").unwrap_err();
        assert!(err.to_string().contains("share view `blk`"), "{err}");
    }
}

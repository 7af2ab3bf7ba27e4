//! Build helper: verilates models, compiles them into cached static libraries and generates
//! their typed Rust handles. Called from a `build.rs`:
//!
//! ```no_run
//! use sim::verilate::{build_models, ModelSpec, PortSpec};
//!
//! fn main() -> anyhow::Result<()> {
//!     let specs = vec![ModelSpec {
//!         top: "counter".into(),
//!         files: vec![("counter.v".into(), "module counter(...); endmodule".into())],
//!         ports: vec![
//!             PortSpec::input("clk", 1),
//!             PortSpec::input("rst", 1),
//!             PortSpec::output("count", 8),
//!         ],
//!         clock: Some("clk".into()),
//!         extra_cpp: vec![],
//!         view: None,
//!     }];
//!     build_models(&specs)
//! }
//! ```
//!
//! and in that crate: `pub mod models { include!(concat!(env!("OUT_DIR"), "/models.rs")); }`.
//! See the [crate docs](crate) for the generated handles, the cache and the environment
//! variables.

mod cpp;
mod rustgen;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{anyhow, bail, Context, Result};
use sha2::{Digest, Sha256};

use rustgen::{GenModel, TablePort};

/// Bumped whenever the generated shim, runtime or build recipe changes in a way the hashed
/// sources below do not capture. Part of every cache key.
pub const SHIM_VERSION: u32 = 2;

/// The sources that shape the C++ side of a build (not the Rust code generator, whose
/// output is rewritten on every run): any change to them invalidates every cache entry.
const GENERATOR_SOURCES: &[&str] = &[
    include_str!("verilate.rs"),
    include_str!("verilate/cpp.rs"),
    cpp::NICSIM_H,
    cpp::RUNTIME_CPP,
];

/// Verilator options of every model (besides `--prefix`, `--top-module`, `--Mdir`, tracing).
/// Assertions stay enabled so `$stop`/`$fatal` and `assert` work; `--no-timing` because the
/// models are driven cycle by cycle (delays are ignored). `--x-initial unique`: every
/// variable's initial value is drawn at construction from the model's reset seed (see
/// [`crate::reset_seed_for`]), so a missing reset shows; `--x-assign fast` keeps explicit X
/// assignments constant (no random draws while the model runs).
pub const VERILATOR_FLAGS: &[&str] = &[
    "--cc",
    "-O3",
    "--x-assign",
    "fast",
    "--x-initial",
    "unique",
    "--assert",
    "--no-timing",
];

/// `make` variables for compiling models and the runtime. Verilator's default `-Os` halves
/// model speed; `-fPIC` is deliberately absent (it costs 1.4×; the static libraries link
/// into PIE executables as they are).
pub const MAKE_OPT_FLAGS: &[&str] = &["OPT_FAST=-O2", "OPT_SLOW=-O1", "OPT_GLOBAL=-O2"];

/// Direction of a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PortDir {
    /// Input of the model (settable from Rust).
    In,
    /// Output of the model (read-only from Rust).
    Out,
}

/// One port of a model's top module.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PortSpec {
    /// Verilog port name, e.g. `s_axis_tdata`.
    pub name: String,
    /// Direction.
    pub dir: PortDir,
    /// Width in bits.
    pub width: u32,
    /// Bundle membership: (bundle prefix, field), e.g. `("s_axis", "tdata")`; `name` must
    /// then be `"<prefix>_<field>"`. Grouped ports become fields of a nested struct in the
    /// handle (`dut.s_axis.tdata`).
    pub group: Option<(String, String)>,
    /// The type of the bundle and the model's side of it, when the bundle is a declared
    /// group (`hdl::port_group!`, `Axis`): in a model's view the bundle is then a value of
    /// one type shared by every model with it on that side (see the crate docs).
    pub group_type: Option<GroupType>,
}

/// The side of a port group a model is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupSide {
    /// Drives the group's forward fields.
    Source,
    /// Receives the group's forward fields.
    Sink,
}

/// The type of a port group (every port of the bundle carries the same one).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GroupType {
    /// The type's name, e.g. `IctLookup`; with the side it names the view type
    /// (`views::IctLookupSink`).
    pub name: String,
    /// Its path, e.g. `hdl::accio::ict::IctLookup` (two types of one name are an error).
    pub path: String,
    /// The model's side.
    pub side: GroupSide,
}

impl PortSpec {
    /// An ungrouped input.
    pub fn input(name: impl Into<String>, width: u32) -> Self {
        Self {
            name: name.into(),
            dir: PortDir::In,
            width,
            group: None,
            group_type: None,
        }
    }

    /// An ungrouped output.
    pub fn output(name: impl Into<String>, width: u32) -> Self {
        Self {
            name: name.into(),
            dir: PortDir::Out,
            width,
            group: None,
            group_type: None,
        }
    }

    /// A port of bundle `prefix`, named `<prefix>_<field>`.
    pub fn grouped(dir: PortDir, prefix: &str, field: &str, width: u32) -> Self {
        Self {
            name: format!("{prefix}_{field}"),
            dir,
            width,
            group: Some((prefix.to_string(), field.to_string())),
            group_type: None,
        }
    }
}

/// One model to build.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModelSpec {
    /// Verilog top module name, e.g. `axis_register_w512`; also names the Rust handle
    /// (`AxisRegisterW512`) and its module (`axis_register_w512`).
    pub top: String,
    /// (file name, Verilog text); one module per file. `.v`/`.sv` files are passed to
    /// Verilator in this order; other files (e.g. `.vh`) are only available to `` `include``.
    pub files: Vec<(String, String)>,
    /// Every port of the top module, in declaration order (the clock may be listed or not).
    pub ports: Vec<PortSpec>,
    /// Name of the clock input, usually `"clk"`; driven by `tick()`, not exposed as a port.
    pub clock: Option<String>,
    /// (file name ending in `.cpp`, C++ text) compiled and linked with this model (they may
    /// `#include "V<top>.h"`, e.g. a benchmark harness exporting an `extern "C"` function);
    /// may be empty. A harness that constructs its own `VerilatedContext` should call
    /// `Verilated::threadContextp(nullptr)` after deleting it (Verilator 5.006 keeps a
    /// per-thread pointer to the last context), as `testbench/rtl/bridge_selftest_bench.cpp`
    /// does.
    pub extra_cpp: Vec<(String, String)>,
    /// The view this model has, if any: `Some("accio_rx")` generates `views::AccioRx`, a
    /// struct of references to every port by name with bundles as typed values, and
    /// `view()` on the handle. Models sharing a view (e.g. one design at several widths)
    /// must have the same ports, bundles and directions; widths may differ.
    pub view: Option<String>,
}

impl ModelSpec {
    /// The spec of a design described in `hdl`: its emitted files and its top's own port
    /// list (bundle groups included), clocked by `clk` if it has one.
    pub fn from_design(design: &hdl::Design) -> Self {
        let ports: Vec<PortSpec> = design
            .top
            .ports()
            .iter()
            .map(|p| PortSpec {
                name: p.name.clone(),
                dir: match p.dir {
                    hdl::PortDir::In => PortDir::In,
                    hdl::PortDir::Out => PortDir::Out,
                },
                width: p.width,
                group: p.group.clone(),
                group_type: p.group_type.map(|t| GroupType {
                    name: t.name.to_string(),
                    path: t.path.to_string(),
                    side: match t.side {
                        hdl::bundles::Side::Source => GroupSide::Source,
                        hdl::bundles::Side::Sink => GroupSide::Sink,
                    },
                }),
            })
            .collect();
        let clock = ports
            .iter()
            .any(|p| p.name == "clk")
            .then(|| "clk".to_string());
        ModelSpec {
            top: design.top_name().to_string(),
            files: design
                .files
                .iter()
                .map(|f| (f.name.clone(), f.text.clone()))
                .collect(),
            ports,
            clock,
            extra_cpp: Vec::new(),
            view: None,
        }
    }

    /// This spec with view `name` (see [`view`](Self::view)).
    pub fn with_view(mut self, name: &str) -> Self {
        self.view = Some(name.to_string());
        self
    }

    /// Builds, checks and emits `module`, then makes its spec.
    pub fn from_module(module: &std::rc::Rc<hdl::Module>) -> Result<Self> {
        let design = hdl::emit_design(module).map_err(|e| anyhow!("{e}"))?;
        Ok(Self::from_design(&design))
    }
}

/// Waveform support compiled into the models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TraceMode {
    /// No tracing (fastest).
    #[default]
    Off,
    /// `--trace`: VCD waveforms.
    Vcd,
    /// `--trace-fst`: FST waveforms (compressed; needs zlib).
    Fst,
}

impl TraceMode {
    /// Parses the value of `NICSIM_WAVE`: unset, empty, `0` or `off` → `Off`; `vcd`; `fst`.
    pub fn parse(value: Option<&str>) -> Result<Self> {
        match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
            None | Some("" | "0" | "off" | "none") => Ok(Self::Off),
            Some("vcd") => Ok(Self::Vcd),
            Some("fst" | "1") => Ok(Self::Fst),
            Some(other) => bail!("NICSIM_WAVE={other:?}: expected `fst`, `vcd` or `off`"),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Vcd => "vcd",
            Self::Fst => "fst",
        }
    }
}

/// Where and how [`build_models_with`] builds.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Cache of built libraries (`NICSIM_CACHE_DIR`, default
    /// `<workspace>/target/verilator-cache`).
    pub cache_dir: PathBuf,
    /// Where `models.rs` is written (`OUT_DIR`).
    pub out_dir: PathBuf,
    /// Waveform support (`NICSIM_WAVE`).
    pub trace: TraceMode,
    /// Waveform directory baked into the handles for when `NICSIM_WAVE_DIR` is unset at run
    /// time (default `<workspace>/target/waves`).
    pub default_wave_dir: PathBuf,
    /// Parallel compile jobs (`NICSIM_BUILD_JOBS`, default 2).
    pub jobs: usize,
    /// Print `cargo:` directives (link libraries, rerun triggers) to stdout.
    pub emit_cargo_directives: bool,
}

impl BuildOptions {
    /// Options for a build script, from `OUT_DIR`, `CARGO_MANIFEST_DIR` and the `NICSIM_*`
    /// variables.
    pub fn from_env() -> Result<Self> {
        let out_dir = PathBuf::from(
            std::env::var_os("OUT_DIR").context("OUT_DIR is not set: call from build.rs")?,
        );
        let manifest = PathBuf::from(
            std::env::var_os("CARGO_MANIFEST_DIR")
                .context("CARGO_MANIFEST_DIR is not set: call from build.rs")?,
        );
        let root = workspace_root(&manifest)?;
        let cache_dir = match std::env::var_os("NICSIM_CACHE_DIR").filter(|v| !v.is_empty()) {
            Some(dir) => PathBuf::from(dir),
            None => root.join("target").join("verilator-cache"),
        };
        let trace = TraceMode::parse(std::env::var("NICSIM_WAVE").ok().as_deref())?;
        let jobs = match std::env::var("NICSIM_BUILD_JOBS") {
            Ok(v) => v
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|&n| n > 0)
                .with_context(|| format!("NICSIM_BUILD_JOBS={v:?}: expected a positive number"))?,
            Err(_) => 2,
        };
        Ok(Self {
            cache_dir,
            out_dir,
            trace,
            default_wave_dir: root.join("target").join("waves"),
            jobs,
            emit_cargo_directives: true,
        })
    }
}

/// One built (or reused) library.
#[derive(Debug, Clone)]
pub struct Artifact {
    /// Model top name, or `verilated-runtime`.
    pub name: String,
    /// Cache entry directory (holds the library, the Verilator output and `build.log`).
    pub dir: PathBuf,
    /// Link name: the library file is `lib<link_name>.a` in `dir`.
    pub link_name: String,
    /// Cache key (SHA-256, hex).
    pub key: String,
    /// True if this call ran Verilator/the compiler; false if the cache entry was reused.
    pub built: bool,
    /// Time spent building (zero if reused).
    pub build_time: Duration,
}

impl Artifact {
    /// Path of the static library.
    pub fn lib_path(&self) -> PathBuf {
        self.dir.join(format!("lib{}.a", self.link_name))
    }
}

/// What [`build_models_with`] did.
#[derive(Debug, Clone)]
pub struct BuildReport {
    /// The Verilator runtime library shared by all models.
    pub runtime: Artifact,
    /// One per spec, in spec order.
    pub models: Vec<Artifact>,
    /// The generated Rust source.
    pub models_rs: PathBuf,
    /// Old cache entries this call deleted (see the crate docs on the cache).
    pub pruned: Vec<PathBuf>,
}

/// Builds every model (reusing cached ones), writes `$OUT_DIR/models.rs` and prints the
/// `cargo:` directives that link them. Call once per build script with all its models.
pub fn build_models(specs: &[ModelSpec]) -> Result<()> {
    let opts = BuildOptions::from_env()?;
    build_models_with(specs, &opts).map(|_| ())
}

/// [`build_models`] with explicit options; returns what was built or reused.
pub fn build_models_with(specs: &[ModelSpec], opts: &BuildOptions) -> Result<BuildReport> {
    let tables = validate(specs)?;
    // Generate the Rust handles first: it also rejects names Rust cannot use, before any
    // tool runs.
    let gen: Vec<GenModel<'_>> = specs
        .iter()
        .zip(&tables)
        .map(|(spec, (table, clock))| GenModel {
            top: &spec.top,
            table,
            clock: *clock,
            view: spec.view.as_deref(),
        })
        .collect();
    let wave_dir = opts.default_wave_dir.to_string_lossy();
    let code = rustgen::generate(&gen, opts.trace, &wave_dir)?;

    let tools = Tools::detect()?;
    fs::create_dir_all(&opts.cache_dir)
        .with_context(|| format!("creating cache dir {}", opts.cache_dir.display()))?;
    let cache_dir = opts
        .cache_dir
        .canonicalize()
        .with_context(|| format!("resolving {}", opts.cache_dir.display()))?;

    let runtime = ensure_runtime(&tools, &cache_dir, opts)?;

    // Models: reuse cache entries, build the rest (several at once if there are jobs).
    let mut planned = Vec::with_capacity(specs.len());
    for (spec, (table, _)) in specs.iter().zip(&tables) {
        let key = model_key(&tools, spec, table, opts.trace);
        let short = &key[..16];
        let link_name = format!("nicsim_{}_{short}", spec.top);
        let dir = cache_dir
            .join("models")
            .join(format!("{}-{short}", spec.top));
        planned.push(Artifact {
            name: spec.top.clone(),
            dir,
            link_name,
            key,
            built: false,
            build_time: Duration::ZERO,
        });
    }
    let mut todo = Vec::new();
    for (i, art) in planned.iter().enumerate() {
        if entry_complete(art) {
            mark_used(&art.dir);
        } else {
            todo.push(i);
        }
    }
    if !todo.is_empty() {
        let workers = opts.jobs.min(todo.len()).max(1);
        let make_jobs = (opts.jobs / workers).max(1);
        let next = AtomicUsize::new(0);
        type Outcome = (usize, Result<(bool, Duration)>);
        let results: Mutex<Vec<Outcome>> = Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&i) = todo.get(n) else { break };
                    let art = &planned[i];
                    let (table, _) = &tables[i];
                    let r = ensure_entry(art, |tmp| {
                        build_model(&specs[i], table, opts, art, tmp, make_jobs)
                    });
                    results.lock().expect("no panics while locked").push((i, r));
                });
            }
        });
        let mut errors = Vec::new();
        for (i, r) in results.into_inner().expect("workers joined") {
            match r {
                Ok((built, time)) => {
                    planned[i].built = built;
                    planned[i].build_time = time;
                }
                Err(e) => errors.push(format!("{e:#}")),
            }
        }
        if !errors.is_empty() {
            bail!("{}", errors.join("\n\n"));
        }
    }

    let mut in_use: Vec<&Path> = planned.iter().map(|a| a.dir.as_path()).collect();
    in_use.push(&runtime.dir);
    let pruned = prune_cache(&cache_dir, &in_use);

    fs::create_dir_all(&opts.out_dir)?;
    let models_rs = opts.out_dir.join("models.rs");
    write_if_changed(&models_rs, code.as_bytes())?;

    if opts.emit_cargo_directives {
        print!("{}", cargo_directives(&runtime, &planned, opts.trace));
    }
    Ok(BuildReport {
        runtime,
        models: planned,
        models_rs,
        pruned,
    })
}

/// The directory above `start` (or `start` itself) whose `Cargo.toml` has a `[workspace]`
/// table.
pub fn workspace_root(start: &Path) -> Result<PathBuf> {
    for dir in start.ancestors() {
        let manifest = dir.join("Cargo.toml");
        if let Ok(text) = fs::read_to_string(&manifest) {
            if text.lines().any(|l| l.trim() == "[workspace]") {
                return Ok(dir.to_path_buf());
            }
        }
    }
    bail!(
        "no Cargo.toml with a [workspace] table above {}",
        start.display()
    )
}

// -----------------------------------------------------------------------------------------
// Validation

/// Checks every spec; returns each model's port table (spec ports plus an unlisted clock)
/// and the clock's index in it.
fn validate(specs: &[ModelSpec]) -> Result<Vec<(Vec<TablePort>, Option<usize>)>> {
    let mut tops = BTreeSet::new();
    let mut handles = BTreeSet::new();
    let mut out = Vec::with_capacity(specs.len());
    for spec in specs {
        let top = &spec.top;
        if !rustgen::is_plain_ident(top) || top.starts_with("__") {
            bail!(
                "model top name `{top}` must match [A-Za-z_][A-Za-z0-9_]* and not start with `__`"
            );
        }
        if !tops.insert(top.clone()) {
            bail!("model `{top}` is listed twice");
        }
        let handle = rustgen::camel_case(top);
        if !handles.insert(handle.clone()) {
            bail!("two models map to the same Rust handle name `{handle}`");
        }
        let ctx = |msg: String| anyhow!("model `{top}`: {msg}");
        if spec.files.is_empty() {
            return Err(ctx("no Verilog files".into()));
        }
        if !spec.files.iter().any(|(n, _)| is_verilog_source(n)) {
            return Err(ctx("no .v/.sv file among `files`".into()));
        }
        let mut names = BTreeSet::new();
        for (name, _) in spec.files.iter().chain(&spec.extra_cpp) {
            if !is_plain_file_name(name) {
                return Err(ctx(format!("file name `{name}` must be a plain file name")));
            }
            if !names.insert(name.to_ascii_lowercase()) {
                return Err(ctx(format!("file `{name}` is listed twice")));
            }
        }
        for (name, _) in &spec.extra_cpp {
            if !name.ends_with(".cpp") {
                return Err(ctx(format!("extra C++ file `{name}` must end in .cpp")));
            }
            if name.starts_with(&format!("V{top}"))
                || name.starts_with("nicsim")
                || name.starts_with("verilated")
            {
                return Err(ctx(format!(
                    "extra C++ file `{name}`: names starting with `V{top}`, `nicsim` or \
                     `verilated` are reserved for generated files"
                )));
            }
        }
        let mut table = Vec::with_capacity(spec.ports.len() + 1);
        let mut seen = BTreeSet::new();
        for p in &spec.ports {
            if !seen.insert(p.name.clone()) {
                return Err(ctx(format!("port `{}` is listed twice", p.name)));
            }
            if p.width == 0 {
                return Err(ctx(format!("port `{}` has width 0", p.name)));
            }
            if p.group_type.is_some() && p.group.is_none() {
                return Err(ctx(format!(
                    "port `{}` has a group type but no group",
                    p.name
                )));
            }
            if let Some((prefix, field)) = &p.group {
                if p.name != format!("{prefix}_{field}") {
                    return Err(ctx(format!(
                        "port `{}` is in group ({prefix:?}, {field:?}) but is not named \
                         `{prefix}_{field}`",
                        p.name
                    )));
                }
            }
            table.push(TablePort {
                name: p.name.clone(),
                dir: p.dir,
                width: p.width,
                group: p.group.clone(),
                group_type: p.group_type.clone(),
            });
        }
        let clock = match &spec.clock {
            None => None,
            Some(clk) => match table.iter().position(|p| &p.name == clk) {
                Some(i) => {
                    let p = &table[i];
                    if p.dir != PortDir::In || p.width != 1 || p.group.is_some() {
                        return Err(ctx(format!(
                            "clock `{clk}` must be an ungrouped 1-bit input"
                        )));
                    }
                    Some(i)
                }
                None => {
                    table.push(TablePort {
                        name: clk.clone(),
                        dir: PortDir::In,
                        width: 1,
                        group: None,
                        group_type: None,
                    });
                    Some(table.len() - 1)
                }
            },
        };
        out.push((table, clock));
    }
    Ok(out)
}

fn is_verilog_source(name: &str) -> bool {
    name.ends_with(".v") || name.ends_with(".sv")
}

fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

// -----------------------------------------------------------------------------------------
// Tools and cache keys

struct Tools {
    verilator_version: String,
    verilator_root: String,
    cxx_version: String,
}

impl Tools {
    fn detect() -> Result<Self> {
        let verilator_version = tool_output("verilator", &["--version"])?;
        let major: u32 = verilator_version
            .split_whitespace()
            .nth(1)
            .and_then(|v| v.split('.').next())
            .and_then(|m| m.parse().ok())
            .with_context(|| format!("cannot parse `verilator --version`: {verilator_version}"))?;
        if major < 5 {
            bail!("Verilator 5 is required, found {verilator_version}");
        }
        let verilator_root = tool_output("verilator", &["--getenv", "VERILATOR_ROOT"])?;
        let cxx_version = tool_output("g++", &["--version"])?
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
        tool_output("make", &["--version"])?;
        Ok(Self {
            verilator_version,
            verilator_root,
            cxx_version,
        })
    }
}

fn tool_output(tool: &str, args: &[&str]) -> Result<String> {
    let out = Command::new(tool)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .with_context(|| {
            format!("cannot run `{tool}`: is it installed? (Verilator 5, g++ and make are needed)")
        })?;
    if !out.status.success() {
        bail!(
            "`{tool} {}` failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// SHA-256 over length-prefixed (label, bytes) fields.
struct KeyHasher(Sha256);

impl KeyHasher {
    fn new(kind: &str, tools: &Tools, trace: TraceMode) -> Self {
        let mut h = Self(Sha256::new());
        h.field("kind", kind.as_bytes());
        h.field("shim-version", &SHIM_VERSION.to_le_bytes());
        for src in GENERATOR_SOURCES {
            h.field("generator", src.as_bytes());
        }
        h.field("verilator", tools.verilator_version.as_bytes());
        h.field("verilator-root", tools.verilator_root.as_bytes());
        h.field("cxx", tools.cxx_version.as_bytes());
        h.field("trace", trace.name().as_bytes());
        for f in VERILATOR_FLAGS.iter().chain(MAKE_OPT_FLAGS) {
            h.field("flag", f.as_bytes());
        }
        h
    }

    fn field(&mut self, label: &str, data: &[u8]) {
        self.0.update((label.len() as u64).to_le_bytes());
        self.0.update(label.as_bytes());
        self.0.update((data.len() as u64).to_le_bytes());
        self.0.update(data);
    }

    fn finish(self) -> String {
        hex::encode(self.0.finalize())
    }
}

fn model_key(tools: &Tools, spec: &ModelSpec, table: &[TablePort], trace: TraceMode) -> String {
    let mut h = KeyHasher::new("model", tools, trace);
    h.field("top", spec.top.as_bytes());
    for (name, text) in &spec.files {
        h.field("file-name", name.as_bytes());
        h.field("file-text", text.as_bytes());
    }
    for (name, text) in &spec.extra_cpp {
        h.field("cpp-name", name.as_bytes());
        h.field("cpp-text", text.as_bytes());
    }
    for p in table {
        h.field(
            "port",
            format!("{}:{:?}:{}", p.name, p.dir, p.width).as_bytes(),
        );
    }
    h.field("clock", spec.clock.as_deref().unwrap_or("").as_bytes());
    h.finish()
}

// -----------------------------------------------------------------------------------------
// Cache entries

/// Marker written last into a finished entry; its modification time records the entry's
/// last use (for [`prune_cache`]).
const COMPLETE: &str = "nicsim-complete";

/// Cache entries kept per model (or runtime flavour) beyond those used in the last hour.
const KEEP_PER_NAME: usize = 4;
/// Entries used this recently are never pruned (other builds may be linking them).
const PRUNE_MIN_AGE: Duration = Duration::from_secs(3600);

fn entry_complete(art: &Artifact) -> bool {
    art.dir.join(COMPLETE).is_file() && art.lib_path().is_file()
}

/// Records that an entry was used now.
fn mark_used(dir: &Path) {
    let _ = fs::File::options()
        .write(true)
        .open(dir.join(COMPLETE))
        .and_then(|f| f.set_modified(SystemTime::now()));
}

/// Renames `dir` aside, then deletes it, so no half-deleted directory is ever visible
/// under an entry name.
fn remove_entry(dir: &Path) -> Result<()> {
    let parent = dir.parent().expect("entry has a parent");
    let name = dir.file_name().expect("entry has a name").to_string_lossy();
    let aside = parent.join(format!(".tmp-del-{name}-{}", std::process::id()));
    fs::rename(dir, &aside).with_context(|| format!("removing {}", dir.display()))?;
    fs::remove_dir_all(&aside).with_context(|| format!("removing {}", aside.display()))
}

/// Makes sure the cache entry of `art` exists: if not, `build` fills a temporary directory
/// next to it, which is then renamed into place, so an interrupted build never leaves a
/// partial entry and concurrent builds of the same entry are harmless (the first rename
/// wins). Returns whether this call built it and how long that took.
fn ensure_entry(
    art: &Artifact,
    build: impl FnOnce(&Path) -> Result<()>,
) -> Result<(bool, Duration)> {
    let dir = art.dir.as_path();
    if entry_complete(art) {
        mark_used(dir);
        return Ok((false, Duration::ZERO));
    }
    let parent = dir.parent().expect("entry has a parent");
    fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    remove_stale_temps(parent);
    let name = dir.file_name().expect("entry has a name").to_string_lossy();
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".tmp-{name}-"))
        .tempdir_in(parent)
        .with_context(|| format!("creating a temporary directory in {}", parent.display()))?;
    let start = Instant::now();
    build(tmp.path())?;
    let elapsed = start.elapsed();
    fs::write(tmp.path().join(COMPLETE), format!("built in {elapsed:?}\n"))?;
    if dir.exists() && !entry_complete(art) {
        // Incomplete (its library was deleted by hand, or not made by us): replace it.
        remove_entry(dir)?;
    }
    match fs::rename(tmp.path(), dir) {
        Ok(()) => Ok((true, elapsed)),
        // Another build finished the same entry first; ours is dropped with `tmp`.
        Err(_) if entry_complete(art) => Ok((true, elapsed)),
        Err(e) => Err(e).with_context(|| format!("moving the build into {}", dir.display())),
    }
}

/// Removes temporary build directories left by interrupted builds (older than a day, so
/// running builds are never touched).
fn remove_stale_temps(parent: &Path) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().starts_with(".tmp-") {
            continue;
        }
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > Duration::from_secs(24 * 3600));
        if old {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// Deletes cache entries that have not been used for a while: per model top (or runtime
/// flavour), the [`KEEP_PER_NAME`] most recently used entries and every entry used within
/// [`PRUNE_MIN_AGE`] stay; so do the entries in `in_use`. Returns the deleted directories.
fn prune_cache(cache_dir: &Path, in_use: &[&Path]) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    for kind in ["models", "runtime"] {
        let Ok(rd) = fs::read_dir(cache_dir.join(kind)) else {
            continue;
        };
        // name -> [(last use, dir)]
        let mut groups: std::collections::BTreeMap<String, Vec<(SystemTime, PathBuf)>> =
            Default::default();
        for entry in rd.flatten() {
            let file_name = entry.file_name().to_string_lossy().into_owned();
            if file_name.starts_with('.') {
                continue;
            }
            let Some((name, key)) = file_name.rsplit_once('-') else {
                continue;
            };
            if key.len() != 16 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
                continue;
            }
            let dir = entry.path();
            let used = fs::metadata(dir.join(COMPLETE))
                .or_else(|_| entry.metadata())
                .and_then(|m| m.modified())
                .unwrap_or(SystemTime::UNIX_EPOCH);
            groups
                .entry(name.to_string())
                .or_default()
                .push((used, dir));
        }
        for (_, mut entries) in groups {
            entries.sort_by_key(|e| std::cmp::Reverse(e.0));
            for (used, dir) in entries.into_iter().skip(KEEP_PER_NAME) {
                let recent = used.elapsed().map_or(true, |age| age < PRUNE_MIN_AGE);
                if recent || in_use.contains(&dir.as_path()) {
                    continue;
                }
                if remove_entry(&dir).is_ok() {
                    removed.push(dir);
                }
            }
        }
    }
    removed
}

/// Sets a fixed old modification time on a finished library: cargo re-runs the build
/// script if a `rerun-if-changed` file is missing or newer than the script's last run, and
/// a library written during that run would otherwise trigger one needless rerun.
fn set_old_mtime(path: &Path) -> Result<()> {
    let t = SystemTime::UNIX_EPOCH + Duration::from_secs(946_684_800); // 2000-01-01
    fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(t))
        .with_context(|| format!("setting the mtime of {}", path.display()))
}

fn write_if_changed(path: &Path, data: &[u8]) -> Result<()> {
    if fs::read(path).ok().as_deref() == Some(data) {
        return Ok(());
    }
    fs::write(path, data).with_context(|| format!("writing {}", path.display()))
}

// -----------------------------------------------------------------------------------------
// Running tools

/// Runs `cmd`, appending its command line and output to `log`; on failure the error holds
/// the tool's stderr (and the end of its stdout).
fn run(cmd: &mut Command, what: &str, log: &mut String) -> Result<()> {
    // Flags from the environment must not leak into the build (cache keys do not see them).
    for var in [
        "MAKEFLAGS",
        "MFLAGS",
        "MAKELEVEL",
        "MAKEFILES",
        "CXXFLAGS",
        "CPPFLAGS",
        "CFLAGS",
        "LDFLAGS",
        "OBJCACHE",
        "USER_CPPFLAGS",
        "OPT",
        "M32",
    ] {
        cmd.env_remove(var);
    }
    let line = format!(
        "$ (cd {} && {} {})",
        cmd.get_current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_default(),
        cmd.get_program().to_string_lossy(),
        cmd.get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let out = cmd.stdin(Stdio::null()).output().with_context(|| {
        format!(
            "{what}: cannot run `{}`",
            cmd.get_program().to_string_lossy()
        )
    })?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let _ = writeln!(log, "{line}\n{stdout}{stderr}");
    if !out.status.success() {
        let tail: Vec<&str> = stdout.lines().rev().take(30).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!(
            "{what} failed ({}):\n{line}\n--- stderr ---\n{}\n--- stdout (end) ---\n{}",
            out.status,
            stderr.trim_end(),
            tail.join("\n")
        );
    }
    Ok(())
}

fn make_command(dir: &Path, makefile: &str, jobs: usize) -> Command {
    let mut cmd = Command::new("make");
    cmd.current_dir(dir)
        .arg("-f")
        .arg(makefile)
        .arg(format!("-j{jobs}"))
        .args(MAKE_OPT_FLAGS);
    cmd
}

fn archive(dir: &Path, lib: &Path, objects: &[String], log: &mut String) -> Result<()> {
    let mut cmd = Command::new("ar");
    cmd.current_dir(dir).arg("rcs").arg(lib).args(objects);
    run(&mut cmd, "ar", log)
}

/// Removes compiler intermediates from a finished build directory (the libraries hold
/// the objects); the Verilated sources stay for reference.
fn remove_intermediates(dir: &Path) -> Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if matches!(ext, "o" | "d" | "a") {
            fs::remove_file(&path)?;
        }
    }
    Ok(())
}

// -----------------------------------------------------------------------------------------
// Runtime library

fn ensure_runtime(tools: &Tools, cache_dir: &Path, opts: &BuildOptions) -> Result<Artifact> {
    let mut h = KeyHasher::new("runtime", tools, opts.trace);
    h.field("cppflags", cpp::RUNTIME_CPPFLAGS.as_bytes());
    h.field("printf-h", cpp::PRINTF_H.as_bytes());
    let key = h.finish();
    let short = &key[..16];
    let mut art = Artifact {
        name: "verilated-runtime".into(),
        dir: cache_dir
            .join("runtime")
            .join(format!("{}-{short}", opts.trace.name())),
        link_name: format!("nicsim_verilated_{short}"),
        key: key.clone(),
        built: false,
        build_time: Duration::ZERO,
    };
    let lib_name = format!("lib{}.a", art.link_name);
    let (built, time) = ensure_entry(&art, |tmp| {
        let mut log = String::new();
        let result = build_runtime(tools, opts, tmp, &lib_name, &mut log);
        fs::write(tmp.join("build.log"), &log)?;
        result.context("building the Verilator runtime library")
    })?;
    art.built = built;
    art.build_time = time;
    Ok(art)
}

fn build_runtime(
    tools: &Tools,
    opts: &BuildOptions,
    tmp: &Path,
    lib_name: &str,
    log: &mut String,
) -> Result<()> {
    let obj = tmp.join("obj");
    fs::create_dir_all(&obj)?;
    fs::write(obj.join("nicsim.h"), cpp::NICSIM_H)?;
    fs::write(obj.join("nicsim_printf.h"), cpp::PRINTF_H)?;
    fs::write(obj.join("nicsim_runtime.cpp"), cpp::RUNTIME_CPP)?;
    fs::write(
        obj.join("nicsim_runtime.mk"),
        cpp::runtime_makefile(&tools.verilator_root, opts.trace),
    )?;
    let mut objects: Vec<String> = cpp::runtime_sources(opts.trace)
        .iter()
        .map(|s| format!("{s}.o"))
        .collect();
    objects.push("nicsim_runtime.o".into());
    let mut cmd = make_command(&obj, "nicsim_runtime.mk", opts.jobs);
    cmd.arg(format!("USER_CPPFLAGS={}", cpp::RUNTIME_CPPFLAGS))
        .args(&objects);
    run(&mut cmd, "make (Verilator runtime)", log)?;
    let lib = tmp.join(lib_name);
    archive(&obj, &lib, &objects, log)?;
    remove_intermediates(&obj)?;
    set_old_mtime(&lib)
}

// -----------------------------------------------------------------------------------------
// Models

fn build_model(
    spec: &ModelSpec,
    table: &[TablePort],
    opts: &BuildOptions,
    art: &Artifact,
    tmp: &Path,
    make_jobs: usize,
) -> Result<()> {
    let mut log = String::new();
    let result = build_model_in(spec, table, opts, art, tmp, make_jobs, &mut log);
    fs::write(tmp.join("build.log"), &log)?;
    result.with_context(|| format!("building Verilated model `{}`", spec.top))
}

fn build_model_in(
    spec: &ModelSpec,
    table: &[TablePort],
    opts: &BuildOptions,
    art: &Artifact,
    tmp: &Path,
    make_jobs: usize,
    log: &mut String,
) -> Result<()> {
    let top = &spec.top;
    let src = tmp.join("src");
    let obj = tmp.join("obj");
    fs::create_dir_all(&src)?;
    fs::create_dir_all(&obj)?;
    for (name, text) in &spec.files {
        fs::write(src.join(name), text)?;
    }

    // Verilate (from the source directory, so messages name files as given).
    let prefix = format!("V{top}");
    let mut cmd = Command::new("verilator");
    cmd.current_dir(&src).args(VERILATOR_FLAGS).args([
        "--prefix",
        &prefix,
        "--top-module",
        top,
        "--Mdir",
        "../obj",
    ]);
    match opts.trace {
        TraceMode::Off => {}
        TraceMode::Vcd => {
            cmd.arg("--trace");
        }
        TraceMode::Fst => {
            cmd.arg("--trace-fst");
        }
    }
    cmd.args(
        spec.files
            .iter()
            .map(|(n, _)| n)
            .filter(|n| is_verilog_source(n)),
    );
    run(&mut cmd, &format!("verilator (model `{top}`)"), log)?;

    // Check the ports against the Verilated class and generate the shim.
    let header_path = obj.join(format!("{prefix}.h"));
    let header = fs::read_to_string(&header_path)
        .with_context(|| format!("reading {}", header_path.display()))?;
    let header_ports =
        cpp::parse_header(&header).with_context(|| format!("parsing {}", header_path.display()))?;
    let table3: Vec<(String, PortDir, u32)> = table
        .iter()
        .map(|p| (p.name.clone(), p.dir, p.width))
        .collect();
    let matched = cpp::match_ports(spec, &table3, &header_ports)?;
    let shim_name = format!("nicsim_shim_{top}");
    let model_cpp_path = obj.join(format!("{prefix}.cpp"));
    let model_cpp = fs::read_to_string(&model_cpp_path)
        .with_context(|| format!("reading {}", model_cpp_path.display()))?;
    let eval_step = cpp::inlinable_eval_step(&prefix, &model_cpp);
    let _ = writeln!(
        log,
        "shim: {}",
        match eval_step {
            Some(_) => "own copy of eval_step() (inlined into the entry points)",
            None => "calls eval() (eval_step() not the known Verilator 5.006 one)",
        }
    );
    fs::write(obj.join("nicsim.h"), cpp::NICSIM_H)?;
    fs::write(
        obj.join(format!("{shim_name}.cpp")),
        cpp::shim(top, &matched, eval_step),
    )?;
    for (name, text) in &spec.extra_cpp {
        fs::write(obj.join(name), text)?;
    }

    // Compile with Verilator's makefile (model archive + our objects).
    let mut user_objects = vec![format!("{shim_name}.o")];
    user_objects.extend(
        spec.extra_cpp
            .iter()
            .map(|(n, _)| format!("{}.o", n.trim_end_matches(".cpp"))),
    );
    let makefile = format!("nicsim_{top}.mk");
    fs::write(
        obj.join(&makefile),
        cpp::model_makefile(&prefix, &format!("{shim_name}.o")),
    )?;
    let mut cmd = make_command(&obj, &makefile, make_jobs);
    cmd.arg(format!("{prefix}__ALL.a")).args(&user_objects);
    run(&mut cmd, &format!("make (model `{top}`)"), log)?;

    // One archive per model. Object names are made unique per model: rustc bundles the
    // archives of several models into one rlib.
    let mut objects = Vec::new();
    let mut cmd = Command::new("ar");
    cmd.current_dir(&obj)
        .arg("t")
        .arg(format!("{prefix}__ALL.a"));
    let listing = cmd.output().context("running `ar t`")?;
    if !listing.status.success() {
        bail!(
            "`ar t {prefix}__ALL.a` failed: {}",
            String::from_utf8_lossy(&listing.stderr)
        );
    }
    for member in String::from_utf8_lossy(&listing.stdout).lines() {
        let member = member.trim();
        if !member.is_empty() {
            objects.push(member.to_string());
        }
    }
    for o in &user_objects {
        let unique = if o.starts_with(&shim_name) {
            o.clone()
        } else {
            let renamed = format!("{prefix}__user__{o}");
            fs::rename(obj.join(o), obj.join(&renamed))?;
            renamed
        };
        objects.push(unique);
    }
    let lib = tmp.join(format!("lib{}.a", art.link_name));
    archive(&obj, &lib, &objects, log)?;
    remove_intermediates(&obj)?;
    set_old_mtime(&lib)
}

// -----------------------------------------------------------------------------------------
// Cargo directives

fn cargo_directives(runtime: &Artifact, models: &[Artifact], trace: TraceMode) -> String {
    let mut s = String::new();
    s.push_str("cargo:rerun-if-env-changed=NICSIM_WAVE\n");
    s.push_str("cargo:rerun-if-env-changed=NICSIM_CACHE_DIR\n");
    s.push_str("cargo:rerun-if-env-changed=NICSIM_BUILD_JOBS\n");
    // Model libraries first: they use the runtime, which must come after them.
    for art in models.iter().chain(std::iter::once(runtime)) {
        let _ = writeln!(s, "cargo:rerun-if-changed={}", art.lib_path().display());
        let _ = writeln!(s, "cargo:rustc-link-search=native={}", art.dir.display());
    }
    for art in models.iter().chain(std::iter::once(runtime)) {
        let _ = writeln!(s, "cargo:rustc-link-lib=static={}", art.link_name);
    }
    s.push_str("cargo:rustc-link-lib=dylib=stdc++\n");
    if trace == TraceMode::Fst {
        s.push_str("cargo:rustc-link-lib=dylib=z\n");
    }
    s
}

#[cfg(test)]
mod tests;

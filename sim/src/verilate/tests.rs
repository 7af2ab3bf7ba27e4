//! Tests of the build helper that run Verilator (a few seconds each, in a temporary cache).

use super::*;

const COUNTER_V: &str = "\
module cache_probe (
    input  wire       clk,
    input  wire       rst,
    input  wire [7:0] step,
    output reg  [7:0] count
);
    always @(posedge clk) begin
        if (rst) count <= 8'd0;
        else count <= count + step;
    end
endmodule
";

fn spec(verilog: &str) -> ModelSpec {
    ModelSpec {
        top: "cache_probe".into(),
        files: vec![("cache_probe.v".into(), verilog.into())],
        ports: vec![
            PortSpec::input("clk", 1),
            PortSpec::input("rst", 1),
            PortSpec::input("step", 8),
            PortSpec::output("count", 8),
        ],
        clock: Some("clk".into()),
        extra_cpp: vec![],
        view: None,
    }
}

fn options(dir: &Path) -> BuildOptions {
    BuildOptions {
        cache_dir: dir.join("cache"),
        out_dir: dir.join("out"),
        trace: TraceMode::Off,
        default_wave_dir: dir.join("waves"),
        jobs: 2,
        emit_cargo_directives: false,
    }
}

fn stamp(path: &Path) -> (u64, SystemTime) {
    use std::os::unix::fs::MetadataExt;
    let m = fs::metadata(path).unwrap();
    (m.ino(), m.modified().unwrap())
}

fn temp_entries(dir: &Path) -> usize {
    fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp-"))
                .count()
        })
        .unwrap_or(0)
}

/// Second build of an unchanged spec reuses the cache without running Verilator or the
/// compiler; a changed Verilog text gets a new entry.
#[test]
fn cache_reuses_unchanged_models() {
    let tmp = tempfile::tempdir().unwrap();
    let opts = options(tmp.path());

    let first = build_models_with(&[spec(COUNTER_V)], &opts).unwrap();
    assert!(first.runtime.built, "cold cache: runtime must be built");
    assert!(first.models[0].built, "cold cache: model must be built");
    let lib = first.models[0].lib_path();
    assert!(lib.is_file(), "{} missing", lib.display());
    assert!(first.runtime.lib_path().is_file());
    let log = first.models[0].dir.join("build.log");
    let log_text = fs::read_to_string(&log).unwrap();
    assert!(
        log_text.contains("verilator"),
        "build.log records the verilator run"
    );
    let generated = fs::read_to_string(&first.models_rs).unwrap();
    assert!(generated.contains("pub struct CacheProbe"));
    assert!(generated.contains("pub step: ::sim::Input<u8>"));
    assert!(generated.contains("pub count: ::sim::Output<u8>"));
    assert!(
        !generated.contains("pub clk:"),
        "the clock is not a port field"
    );
    let before = (
        stamp(&first.models[0].dir),
        stamp(&lib),
        stamp(&log),
        stamp(&first.runtime.lib_path()),
    );

    let second = build_models_with(&[spec(COUNTER_V)], &opts).unwrap();
    assert!(!second.runtime.built);
    assert!(!second.models[0].built);
    assert_eq!(second.models[0].key, first.models[0].key);
    assert_eq!(second.models[0].dir, first.models[0].dir);
    let after = (
        stamp(&second.models[0].dir),
        stamp(&lib),
        stamp(&log),
        stamp(&second.runtime.lib_path()),
    );
    assert_eq!(before, after, "cache entry was rewritten");
    assert_eq!(temp_entries(&opts.cache_dir.join("models")), 0);
    assert_eq!(fs::read_to_string(&second.models_rs).unwrap(), generated);

    // A different Verilog text is a different entry; the old one stays.
    let changed = COUNTER_V.replace("count + step", "count - step");
    let third = build_models_with(&[spec(&changed)], &opts).unwrap();
    assert!(third.models[0].built);
    assert!(!third.runtime.built);
    assert_ne!(third.models[0].key, first.models[0].key);
    assert!(first.models[0].lib_path().is_file());

    // Old entries are pruned: per top, the 4 most recently used and those used within the
    // hour stay.
    let models = opts.cache_dir.join("models");
    let fake = |n: u64, age_secs: u64| {
        let dir = models.join(format!("cache_probe-{n:016x}"));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join(COMPLETE), "fake\n").unwrap();
        let t = SystemTime::now() - Duration::from_secs(age_secs);
        fs::File::options()
            .write(true)
            .open(dir.join(COMPLETE))
            .unwrap()
            .set_modified(t)
            .unwrap();
        dir
    };
    let recent = fake(1, 600);
    let old: Vec<PathBuf> = (2..8).map(|d| fake(d, d * 86_400)).collect();
    let other_top = models.join("other_top-00000000000000aa");
    fs::create_dir_all(&other_top).unwrap();
    let fourth = build_models_with(&[spec(&changed)], &opts).unwrap();
    assert!(!fourth.models[0].built);
    assert!(first.models[0].dir.is_dir(), "used entries stay");
    assert!(third.models[0].dir.is_dir());
    assert!(recent.is_dir(), "entries used within the hour stay");
    assert!(old[0].is_dir(), "the 4 most recent stay");
    for dir in &old[1..] {
        assert!(!dir.exists(), "{} should be pruned", dir.display());
    }
    assert_eq!(fourth.pruned.len(), old.len() - 1);
    assert!(other_top.is_dir(), "one entry of another top stays");
    assert_eq!(temp_entries(&models), 0);
}

#[test]
fn errors_carry_tool_output_and_port_mismatches() {
    let tmp = tempfile::tempdir().unwrap();
    let opts = options(tmp.path());

    // Verilator's stderr ends up in the error.
    let broken = COUNTER_V.replace("count <= 8'd0;", "count <= 8'd0 +;");
    let err = format!(
        "{:#}",
        build_models_with(&[spec(&broken)], &opts).unwrap_err()
    );
    assert!(err.contains("verilator"), "{err}");
    assert!(err.contains("%Error"), "{err}");
    assert!(err.contains("cache_probe.v:"), "{err}");
    // A failed build leaves no entry behind.
    assert_eq!(temp_entries(&opts.cache_dir.join("models")), 0);
    let entries: Vec<_> = fs::read_dir(opts.cache_dir.join("models"))
        .map(|rd| rd.flatten().collect())
        .unwrap_or_default();
    assert!(entries.is_empty(), "{entries:?}");

    // Wrong width, missing port.
    let mut wrong = spec(COUNTER_V);
    wrong.ports[2].width = 9;
    wrong.ports.pop();
    let err = format!("{:#}", build_models_with(&[wrong], &opts).unwrap_err());
    assert!(
        err.contains("`step` is 9 bits in the ModelSpec but 8 bits"),
        "{err}"
    );
    assert!(err.contains("`count` (Out, 8 bits) is missing"), "{err}");

    // Spec errors are found before any tool runs.
    let mut grouped = spec(COUNTER_V);
    grouped.ports[2].group = Some(("s".into(), "tdata".into()));
    let err = format!("{:#}", build_models_with(&[grouped], &opts).unwrap_err());
    assert!(err.contains("not named `s_tdata`"), "{err}");
}

#[test]
fn trace_mode_parsing() {
    assert_eq!(TraceMode::parse(None).unwrap(), TraceMode::Off);
    assert_eq!(TraceMode::parse(Some("")).unwrap(), TraceMode::Off);
    assert_eq!(TraceMode::parse(Some("FST")).unwrap(), TraceMode::Fst);
    assert_eq!(TraceMode::parse(Some("vcd")).unwrap(), TraceMode::Vcd);
    assert!(TraceMode::parse(Some("gtkwave")).is_err());
}

#[test]
fn finds_the_workspace_root() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = workspace_root(here).unwrap();
    assert_eq!(root, here.parent().unwrap());
}

#[test]
fn rust_name_problems_are_found_before_any_tool_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let opts = options(tmp.path());
    let mut s = spec(COUNTER_V);
    s.ports.push(PortSpec::grouped(PortDir::In, "step", "x", 1));
    let err = format!("{:#}", build_models_with(&[s], &opts).unwrap_err());
    assert!(err.contains("`step` is both a port and a bundle"), "{err}");
    assert!(!opts.cache_dir.exists(), "nothing was built");
}

//! Emitted Verilog of every library block: snapshotted, clean under Verilator -Wall, and
//! accepted by Icarus as Verilog-2005.

use hdl::emit_design;
use std::process::Command;

#[test]
fn snapshots_of_every_block() {
    for m in hdl::library::blocks().unwrap() {
        let d = emit_design(&m).unwrap();
        for f in &d.files {
            insta::assert_snapshot!(f.name.clone(), f.text);
        }
    }
}

/// Writes every library block to its own directory and runs `tool` on each; the tool must
/// succeed and print nothing.
fn each_block_passes(tool: &str, args: impl Fn(&str) -> Vec<String>) {
    let dir = std::env::temp_dir().join(format!("hdl-{tool}-{}", std::process::id()));
    for m in hdl::library::blocks().unwrap() {
        let d = emit_design(&m).unwrap();
        let sub = dir.join(d.top_name());
        std::fs::create_dir_all(&sub).unwrap();
        for f in &d.files {
            std::fs::write(sub.join(&f.name), &f.text).unwrap();
        }
        let out = Command::new(tool)
            .args(args(d.top_name()))
            .args(d.files.iter().map(|f| sub.join(&f.name)))
            .output()
            .unwrap_or_else(|e| panic!("{tool} is installed (scripts/setup.sh): {e}"));
        let text = String::from_utf8_lossy(&out.stderr).to_string()
            + &String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.trim().is_empty(),
            "{tool} on {}:\n{text}",
            d.top_name()
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn every_block_lints_clean_under_verilator_wall() {
    each_block_passes("verilator", |top| {
        ["--lint-only", "-Wall", "--top-module", top]
            .map(String::from)
            .to_vec()
    });
}

#[test]
fn every_block_compiles_under_icarus_as_verilog_2005() {
    each_block_passes("iverilog", |top| {
        ["-g2005", "-Wall", "-o", "/dev/null", "-s", top]
            .map(String::from)
            .to_vec()
    });
}

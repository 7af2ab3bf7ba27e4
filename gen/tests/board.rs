//! `gen --board vcu118`: the board core alone, lint clean, and `fpga/vcu118/` consistent with
//! it (`fpga/vcu118/check.tcl` under tclsh: the Vivado top's connections, the constraints'
//! object names, the IP and build scripts with Vivado's commands stubbed).

use std::fs;
use std::path::Path;
use std::process::Command;

fn gen(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_gen"))
        .args(args)
        .output()
        .unwrap()
}

fn run(tool: &str, args: &[&str], dir: &Path) -> String {
    let out = Command::new(tool)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{tool} is installed (scripts/setup.sh): {e}"));
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{tool} {args:?}:\n{text}");
    text
}

#[test]
fn vcu118_core_lints_clean_and_the_vivado_flow_matches_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("verilog");
    let r = gen(&["--board", "vcu118", "--out", out.to_str().unwrap()]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    // Only the board's core: none of the library's tops.
    assert!(out.join("accio_vcu118_core.f").is_file());
    assert!(!out.join("axis_register_w64u0.f").exists());
    let xdc = fs::read_to_string(out.join("accio_vcu118_core.xdc")).unwrap();
    assert!(xdc.contains("create_clock -period 3.103 -name mac_clk [get_ports mac_clk]"));
    assert!(xdc.contains("create_clock -period 4.000 -name core_clk [get_ports core_clk]"));

    let lint = run(
        "verilator",
        &[
            "--lint-only",
            "-Wall",
            "--top-module",
            "accio_vcu118_core",
            "-f",
            "accio_vcu118_core.f",
        ],
        &out,
    );
    assert!(lint.trim().is_empty(), "verilator -Wall:\n{lint}");

    let board = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fpga/vcu118");
    let check = run("tclsh", &["check.tcl", out.to_str().unwrap()], &board);
    assert!(check.contains("consistent with"), "{check}");
}

#[test]
fn unknown_board_lists_the_known_ones() {
    let r = gen(&["--board", "vcu119"]);
    assert!(!r.status.success());
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("unknown board `vcu119`; known boards: vcu118"),
        "{err}"
    );
}

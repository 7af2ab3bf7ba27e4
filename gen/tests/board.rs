//! `gen --board vcu118` and `--board enzian`: the board core alone, lint clean, and
//! `fpga/vcu118/` and `fpga/enzian/` consistent with them (each `check.tcl` under tclsh: the
//! Vivado top's connections, the constraints' object names, the IP and build scripts with
//! Vivado's commands stubbed).

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

/// `gen --board board` into a scratch directory: only `core` (lint clean under Verilator
/// -Wall) and its XDC with the clocks `clocks` (`create_clock` lines).
fn board_core(board: &str, core: &str, clocks: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("verilog");
    let r = gen(&["--board", board, "--out", out.to_str().unwrap()]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    // Only the board's core: none of the library's tops.
    assert!(out.join(format!("{core}.f")).is_file());
    assert!(!out.join("axis_register_w64u0.f").exists());
    let xdc = fs::read_to_string(out.join(format!("{core}.xdc"))).unwrap();
    for c in clocks {
        assert!(xdc.contains(c), "{core}.xdc: no `{c}`:\n{xdc}");
    }
    let filelist = format!("{core}.f");
    let lint = run(
        "verilator",
        &[
            "--lint-only",
            "-Wall",
            "--top-module",
            core,
            "-f",
            &filelist,
        ],
        &out,
    );
    assert!(lint.trim().is_empty(), "verilator -Wall:\n{lint}");
    dir
}

#[test]
fn vcu118_core_lints_clean_and_the_vivado_flow_matches_it() {
    let dir = board_core(
        "vcu118",
        "accio_vcu118_core",
        &[
            "create_clock -period 3.103 -name mac_clk [get_ports mac_clk]",
            "create_clock -period 4.000 -name core_clk [get_ports core_clk]",
        ],
    );
    vivado_flow_matches("vcu118", &dir);
}

/// `fpga/board/check.tcl` under tclsh passes against the core in `dir`.
fn vivado_flow_matches(board: &str, dir: &tempfile::TempDir) {
    let out = dir.path().join("verilog");
    let at = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fpga")
        .join(board);
    let check = run("tclsh", &["check.tcl", out.to_str().unwrap()], &at);
    assert!(check.contains("consistent with"), "{check}");
}

#[test]
fn enzian_core_lints_clean_and_the_vivado_flow_matches_it() {
    let dir = board_core(
        "enzian",
        "lauberhorn_enzian_core",
        &[
            "create_clock -period 4.000 -name app_clk [get_ports app_clk]",
            "create_clock -period 3.103 -name shell_clk [get_ports shell_clk]",
            "create_clock -period 3.103 -name mac_clk [get_ports mac_clk]",
            "set_max_delay -datapath_only -from [get_clocks shell_clk] -to [get_clocks app_clk] 3.103",
        ],
    );
    vivado_flow_matches("enzian", &dir);
}

#[test]
fn unknown_board_lists_the_known_ones() {
    let r = gen(&["--board", "vcu119"]);
    assert!(!r.status.success());
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("unknown board `vcu119`; known boards: vcu118, enzian"),
        "{err}"
    );
}

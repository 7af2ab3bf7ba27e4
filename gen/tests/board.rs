//! `gen --board vcu118` and `--board enzian`: the board core alone, lint clean, and
//! `fpga/vcu118/` and `fpga/enzian/` consistent with them (each `check.tcl` under tclsh: the
//! Vivado top's connections, the constraints' object names, the IP and build scripts with
//! Vivado's commands stubbed), and each board top `fpga.v` lint clean under Verilator -Wall
//! with the core and black-box stubs of the IP it instantiates (`make lint`: every input
//! of an IP driven, no port the IP lacks, widths as the IP's).

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
fn vcu118_core_and_top_lint_clean_and_the_vivado_flow_matches_them() {
    let dir = board_core(
        "vcu118",
        "accio_vcu118_core",
        &[
            "create_clock -period 3.103 -name mac_clk [get_ports mac_clk]",
            "create_clock -period 4.000 -name core_clk [get_ports core_clk]",
        ],
    );
    vivado_flow_matches("vcu118", &dir);
    top_lints_clean(&fpga_dir().join("vcu118"), &dir);
    top_lint_catches_what_the_ip_does_not_take(&dir);
}

fn fpga_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fpga")
}

/// `make lint` in `board_dir` (a copy of `fpga/BOARD` next to a copy of `fpga/common`, or
/// the real one) against the core in `dir`: Verilator's output and whether it passed.
fn top_lint(board_dir: &Path, dir: &tempfile::TempDir) -> (bool, String) {
    let verilog = dir.path().join("verilog");
    let out = Command::new("make")
        .arg("-s")
        .arg("-C")
        .arg(board_dir)
        .arg("lint")
        .arg(format!("VERILOG={}", verilog.display()))
        .output()
        .unwrap_or_else(|e| panic!("make is installed: {e}"));
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// `fpga.v` with the core and the IP stubs: no warning at all.
fn top_lints_clean(board_dir: &Path, dir: &tempfile::TempDir) {
    let (ok, text) = top_lint(board_dir, dir);
    assert!(
        ok && text.trim().is_empty(),
        "{}: make lint:\n{text}",
        board_dir.display()
    );
}

/// Copies `from` to `to`, leaving out `build/` (a board's Vivado output).
fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name() == "build" {
            continue;
        }
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The lint fails, naming the port, when a copy of the VCU118 `fpga.v` leaves an input of
/// the XDMA bridge unconnected, gives it a wire of the wrong width, or names a port the
/// bridge does not have (the interface of the standalone AXI Bridge for PCIe Gen3).
fn top_lint_catches_what_the_ip_does_not_take(dir: &tempfile::TempDir) {
    let fpga = fs::read_to_string(fpga_dir().join("vcu118/fpga.v")).unwrap();
    let connect = "    .usr_irq_req        (usr_irq_req),\n";
    assert!(fpga.contains(connect));
    let broken = [
        (fpga.replace(connect, ""), "PINMISSING", "usr_irq_req"),
        (
            fpga.replace(connect, "    .usr_irq_req        (usr_irq_req[4:0]),\n"),
            "WIDTH",
            "usr_irq_req",
        ),
        (
            fpga.replace(connect, "    .intx_msi_request   (usr_irq_req[0]),\n"),
            "PINNOTFOUND",
            "intx_msi_request",
        ),
    ];
    std::thread::scope(|s| {
        for (text, warning, port) in broken {
            s.spawn(move || {
                let copy = tempfile::tempdir().unwrap();
                copy_dir(&fpga_dir().join("common"), &copy.path().join("common"));
                copy_dir(&fpga_dir().join("vcu118"), &copy.path().join("vcu118"));
                fs::write(copy.path().join("vcu118/fpga.v"), text).unwrap();
                let (ok, out) = top_lint(&copy.path().join("vcu118"), dir);
                assert!(
                    !ok && out.contains(warning) && out.contains(port),
                    "expected {warning} on {port}:\n{out}"
                );
            });
        }
    });
}

/// `fpga/board/check.tcl` under tclsh passes against the core in `dir`.
fn vivado_flow_matches(board: &str, dir: &tempfile::TempDir) {
    let out = dir.path().join("verilog");
    let at = fpga_dir().join(board);
    let check = run("tclsh", &["check.tcl", out.to_str().unwrap()], &at);
    assert!(check.contains("consistent with"), "{check}");
}

#[test]
fn enzian_core_and_top_lint_clean_and_the_vivado_flow_matches_them() {
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
    top_lints_clean(&fpga_dir().join("enzian"), &dir);
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

//! Emitted Verilog of every library block: snapshotted, and clean under Verilator -Wall.

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

#[test]
fn every_block_lints_clean_under_verilator_wall() {
    let dir = std::env::temp_dir().join(format!("hdl-lint-{}", std::process::id()));
    for m in hdl::library::blocks().unwrap() {
        let d = emit_design(&m).unwrap();
        let sub = dir.join(d.top_name());
        std::fs::create_dir_all(&sub).unwrap();
        for f in &d.files {
            std::fs::write(sub.join(&f.name), &f.text).unwrap();
        }
        let out = Command::new("verilator")
            .args(["--lint-only", "-Wall", "--top-module", d.top_name()])
            .args(d.files.iter().map(|f| sub.join(&f.name)))
            .output()
            .expect("verilator is installed (scripts/setup.sh)");
        let text = String::from_utf8_lossy(&out.stderr).to_string()
            + &String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.trim().is_empty(),
            "{}:\n{text}",
            d.top_name()
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

//! The Accio register map's generated outputs (C header, Rust constants, Markdown; the RTL
//! decode is in the `accio_ict` library snapshot), the C header against the Rust hash, and
//! the ICT at the sizes the configuration allows.

use hdl::accio::{ict::accio_ict, regs};
use hdl::config::IctConfig;
use std::process::Command;

#[test]
fn register_map_outputs_are_snapshotted() {
    let map = regs::regmap(&IctConfig::default());
    map.validate().unwrap();
    insta::assert_snapshot!("accio_regs.h", map.c_header());
    insta::assert_snapshot!("accio_regs.rs", map.rust_module());
    insta::assert_snapshot!("accio_regs.md", map.markdown());
}

/// The header compiles warning-free as C and its hash is the Rust one (the hardware's fold).
#[test]
fn c_header_compiles_and_hashes_like_the_hardware() {
    let dir = tempfile::tempdir().unwrap();
    let keys: Vec<(u32, u16)> = (0..64u32)
        .map(|k| (k.wrapping_mul(0x9e37_79b9) ^ 0x0a00_0001, (k * 7919) as u16))
        .collect();
    for bits in [64, 1024, 4096] {
        let cfg = IctConfig {
            miss_filter_bits: bits,
            ..IctConfig::default()
        };
        let map = regs::regmap(&cfg);
        std::fs::write(dir.path().join("accio_regs.h"), map.c_header()).unwrap();
        let calls: String = keys
            .iter()
            .map(|(ip, port)| {
                format!("    printf(\"%u\\n\", accio_miss_filter_hash({ip}u, {port}));\n")
            })
            .collect();
        let main = format!(
            "#include <stdio.h>\n#include \"accio_regs.h\"\nint main(void)\n{{\n{calls}    \
             printf(\"%llx\\n\", ACCIO_ENTRY_RX_HEAD_ADDR(3));\n    return 0;\n}}\n"
        );
        let src = dir.path().join("t.c");
        std::fs::write(&src, main).unwrap();
        let exe = dir.path().join("t");
        let cc = Command::new("gcc")
            .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-o"])
            .arg(&exe)
            .arg(&src)
            .output()
            .expect("gcc is installed");
        assert!(
            cc.status.success(),
            "{}",
            String::from_utf8_lossy(&cc.stderr)
        );
        let out = String::from_utf8(Command::new(&exe).output().unwrap().stdout).unwrap();
        let mut want: Vec<String> = keys
            .iter()
            .map(|(ip, port)| regs::miss_filter_hash(*ip, *port, bits).to_string())
            .collect();
        want.push(format!("{:x}", 0x10000 + 3 * 0x100 + 0x48));
        assert_eq!(out.lines().collect::<Vec<_>>(), want, "{bits} filter bits");
    }
}

/// Every size the configuration allows builds; the extremes lint clean.
#[test]
fn ict_builds_at_every_documented_size_and_lints_clean() {
    let dir = tempfile::tempdir().unwrap();
    for (entries, cores, bits, depth) in [(1, 1, 64, 2), (100, 3, 128, 16), (256, 32, 4096, 1024)] {
        let cfg = IctConfig {
            entries,
            cores,
            miss_filter_bits: bits,
            event_queue_depth: depth,
        };
        let m = accio_ict(&cfg).unwrap_or_else(|e| panic!("{cfg:?}: {e}"));
        let d = hdl::emit_design(&m).unwrap();
        let sub = dir.path().join(d.top_name());
        std::fs::create_dir_all(&sub).unwrap();
        for f in &d.files {
            std::fs::write(sub.join(&f.name), &f.text).unwrap();
        }
        let out = Command::new("verilator")
            .args(["--lint-only", "-Wall", "--top-module", d.top_name()])
            .args(d.files.iter().map(|f| sub.join(&f.name)))
            .output()
            .expect("verilator is installed (scripts/setup.sh)");
        let text = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && text.trim().is_empty(),
            "{}:\n{text}",
            d.top_name()
        );
    }
    let bad = IctConfig {
        entries: 300,
        ..IctConfig::default()
    };
    let e = accio_ict(&bad).unwrap_err().to_string();
    assert!(e.contains("ict.entries = 300"), "{e}");
}

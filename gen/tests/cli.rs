//! The generator's contract: good configs write every top atomically, bad ones write nothing.

use std::fs;
use std::process::Command;

fn gen(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_gen"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn default_run_writes_every_top_and_a_filelist() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("verilog");
    let r = gen(&["--out", out.to_str().unwrap()]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    for t in hdl::tops::all() {
        let m = t.build(&hdl::config::Config::default()).unwrap();
        let list = fs::read_to_string(out.join(format!("{}.f", m.name()))).unwrap();
        for f in list.lines() {
            assert!(out.join(f).is_file(), "{f} listed but missing");
        }
    }
    // Nothing but the output directory itself is left beside it.
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["verilog"]);
    // The register map of the ICT, in its three forms, from the same definition.
    let h = fs::read_to_string(out.join("accio_regs.h")).unwrap();
    assert!(h.contains("#define ACCIO_ENTRY_RX_HEAD 0x48ull"), "{h}");
    let rs = fs::read_to_string(out.join("accio_regs.rs")).unwrap();
    assert!(rs.contains("pub const RX_HEAD: Reg = Reg { name: \"RX_HEAD\", offset: 0x48"));
    let md = fs::read_to_string(out.join("accio_regs.md")).unwrap();
    assert!(md.contains("| 0x48 | RX_HEAD | RW | RW |"), "{md}");
}

#[test]
fn bad_config_fails_clearly_and_keeps_previous_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("verilog");
    assert!(gen(&["--out", out.to_str().unwrap()]).status.success());
    let before: Vec<_> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    for (text, needle) in [
        ("[net]\ndata_widht = 64\n", "data_widht"),
        ("[net]\ndata_width = 63\n", "multiple of 8"),
        ("[fifo]\ndepth = 100\n", "power of two"),
        ("[nett]\n", "nett"),
        ("[ict]\nentries = 300\n", "ict.entries = 300"),
        ("[ict]\nmiss_filter_bits = 100\n", "ict.miss_filter_bits"),
    ] {
        let cfg = dir.path().join("bad.toml");
        fs::write(&cfg, text).unwrap();
        let r = gen(&[
            "--config",
            cfg.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(!r.status.success(), "accepted {text:?}");
        assert!(err.contains(needle), "{text:?}: {err}");
        let after: Vec<_> = fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(before, after, "output changed by a failed run");
    }
    let fresh = dir.path().join("never");
    let cfg = dir.path().join("bad.toml");
    assert!(!gen(&[
        "--config",
        cfg.to_str().unwrap(),
        "--out",
        fresh.to_str().unwrap()
    ])
    .status
    .success());
    assert!(!fresh.exists());
}

/// The scale of issue 18 (Lauberhorn on Enzian's 48 cores with 256 slots, 64 services
/// and 64 processes; the ICT at 256 entries and 64 cores) is accepted and emitted; one core
/// past either limit is refused, naming the key, its value and the range.
#[test]
fn scale_config_is_accepted_and_one_past_the_limit_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("verilog");
    let cfg = dir.path().join("scale.toml");
    fs::write(
        &cfg,
        "[lauberhorn]\ncores = 48\nslots = 256\nservices = 64\nprocesses = 64\n\
         [ict]\nentries = 256\ncores = 64\n",
    )
    .unwrap();
    let (cfg_s, out_s) = (cfg.to_str().unwrap(), out.to_str().unwrap());
    let r = gen(&[
        "--config",
        cfg_s,
        "--out",
        out_s,
        "--top",
        "lauberhorn_nic_w512",
        "--top",
        "accio_ict",
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    for top in [
        "lauberhorn_nic_w512_c48_s256",
        "accio_ict_n256_c64_f1024_e64",
    ] {
        assert!(out.join(format!("{top}.f")).is_file(), "{top} not written");
    }
    for (text, needle) in [
        (
            "[lauberhorn]\ncores = 65\n",
            "lauberhorn.cores = 65: must be 1 to 64",
        ),
        ("[ict]\ncores = 65\n", "ict.cores = 65: must be 1 to 64"),
    ] {
        fs::write(&cfg, text).unwrap();
        let r = gen(&["--config", cfg_s, "--out", out_s]);
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(!r.status.success(), "accepted {text:?}");
        assert!(err.contains(needle), "{text:?}: {err}");
    }
}

#[test]
fn unknown_top_lists_the_known_ones() {
    let r = gen(&["--top", "nope", "--out", "/nonexistent/x"]);
    assert!(!r.status.success());
    assert!(String::from_utf8_lossy(&r.stderr).contains("known tops: axis_register"));
}

#[test]
fn output_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    assert!(gen(&["--out", a.to_str().unwrap()]).status.success());
    assert!(gen(&["--out", b.to_str().unwrap()]).status.success());
    for e in fs::read_dir(&a).unwrap() {
        let name = e.unwrap().file_name();
        assert_eq!(
            fs::read(a.join(&name)).unwrap(),
            fs::read(b.join(&name)).unwrap()
        );
    }
}

//! The soak of `testbench::soak` at test size: 20,000 random and malformed frames through
//! each whole NIC at 512 bits, each in one continuous run (the `soak` command runs a
//! million at either width). Zero mismatches, zero writes outside the rings' free space and
//! posted buffers, zero overwrites of unconsumed data, and the NIC's drops equal to the
//! datagrams missing against the model. And the `soak` command, briefly, as a user runs it.

use sim_models::{lauberhorn_pins, nic_pins};
use std::time::Instant;
use testbench::models::{AccioNicW512N16C4, LauberhornNicW512C2S8};
use testbench::seed;
use testbench::soak::{self, Tally};

const FRAMES: u64 = 20_000;

/// Runs `run` with a logged seed and asserts its tally is clean.
fn soak(name: &str, run: impl FnOnce(u64) -> Tally) -> Tally {
    let s = seed::seed();
    println!("{name}: SEED={s:#x}");
    let start = Instant::now();
    let t = run(s);
    let summary = t.summary(start.elapsed().as_secs_f64());
    println!("{name}: {summary}");
    assert!(t.clean(), "{name}: {summary}");
    assert_eq!(t.frames, FRAMES);
    t
}

#[test]
fn accio_w512_soak() {
    let d = AccioNicW512N16C4::new();
    let t = soak("accio_w512_soak", |s| {
        soak::accio::run(&nic_pins!(d), 512, false, FRAMES, s, &mut |_| {})
    });
    assert!(t.drops_nic > 0, "the held-back rings filled");
    assert!(t.tx > 0, "datagrams sent from the TX rings");
}

#[test]
fn lauberhorn_w512_soak() {
    let d = LauberhornNicW512C2S8::new();
    let t = soak("lauberhorn_w512_soak", |s| {
        soak::lauberhorn::run(&lauberhorn_pins!(d), false, FRAMES, s, &mut |_| {})
    });
    assert!(t.tx > FRAMES / 2, "calls answered");
}

const SOAK: &str = env!("CARGO_BIN_EXE_soak");

/// The command as a user runs it: a short run of each NIC prints its seed and a clean
/// summary and exits 0; a width the NICs are not built at ends in one line on stderr and
/// exit 1.
#[test]
fn soak_command() {
    for nic in ["accio", "lauberhorn"] {
        let out = std::process::Command::new(SOAK)
            .args([
                "--nic", nic, "--width", "64", "--frames", "300", "--seed", "0x5",
            ])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{nic}: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains("seed 0x5"), "{text}");
        assert!(
            text.contains("300 frames in")
                && text.contains(": 0 mismatches, 0 writes outside rings, 0 overwrites of unconsumed data, drops "),
            "{text}"
        );
    }
    let out = std::process::Command::new(SOAK)
        .args(["--nic", "accio", "--width", "128"])
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("--width 128"), "{err}");
}

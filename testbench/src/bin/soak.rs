//! `soak`: one long run of a whole Verilated NIC against the reference models (see
//! `testbench::soak`), with a progress bar; prints frames, frames/s and the counts that
//! must be zero, and exits 1 on any mismatch.
//!
//!     cargo run --release -p testbench --bin soak -- --nic accio --width 512 --frames 1000000

use anyhow::{bail, Result};
use clap::{Parser, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use sim_models::{lauberhorn_pins, nic_pins};
use std::time::Instant;
use testbench::models::{
    AccioNicW512N16C4, AccioNicW64N16C4, LauberhornNicW512C2S8, LauberhornNicW64C2S8,
};
use testbench::seed::replay_reset_seed;
use testbench::soak::{self, Tally};

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Nic {
    Accio,
    Lauberhorn,
}

#[derive(Parser)]
#[command(about = "Soak a whole Verilated NIC with random and malformed frames")]
struct Args {
    #[arg(long, value_enum)]
    nic: Nic,
    /// Bus width: 64 or 512.
    #[arg(long, default_value_t = 512)]
    width: u32,
    #[arg(long, default_value_t = 1_000_000)]
    frames: u64,
    /// Seed of everything random (frames, timing, the NIC's initial register state);
    /// a fresh one if not given. Printed, so that a run repeats.
    #[arg(long, value_parser = testbench::seed::parse)]
    seed: Option<u64>,
}

fn main() {
    if let Err(e) = run(Args::parse()) {
        eprintln!("soak: {e}");
        std::process::exit(1);
    }
}

fn run(a: Args) -> Result<()> {
    if a.width != 64 && a.width != 512 {
        bail!("--width {}: the NICs are built at 64 and 512 bits", a.width);
    }
    let seed = a.seed.unwrap_or_else(rand::random);
    let what = format!("{:?} {} bits, seed {seed:#x}", a.nic, a.width).to_lowercase();
    println!("soak: {what}: {} frames", a.frames);
    let bar = ProgressBar::new(a.frames).with_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {pos}/{len} frames, {per_sec}, {eta} left",
        )?
        .progress_chars("=> "),
    );
    let mut progress = |n: u64| bar.set_position(n);
    let reset = replay_reset_seed(seed);
    let start = Instant::now();
    let t: Tally = match (a.nic, a.width) {
        (Nic::Accio, 64) => {
            let d = AccioNicW64N16C4::with_reset_seed(reset);
            soak::accio::run(&nic_pins!(d), 64, a.frames, seed, &mut progress)
        }
        (Nic::Accio, _) => {
            let d = AccioNicW512N16C4::with_reset_seed(reset);
            soak::accio::run(&nic_pins!(d), 512, a.frames, seed, &mut progress)
        }
        (Nic::Lauberhorn, 64) => {
            let d = LauberhornNicW64C2S8::with_reset_seed(reset);
            soak::lauberhorn::run(&lauberhorn_pins!(d), a.frames, seed, &mut progress)
        }
        (Nic::Lauberhorn, _) => {
            let d = LauberhornNicW512C2S8::with_reset_seed(reset);
            soak::lauberhorn::run(&lauberhorn_pins!(d), a.frames, seed, &mut progress)
        }
    };
    bar.finish_and_clear();
    let summary = t.summary(start.elapsed().as_secs_f64());
    if !t.clean() {
        bail!("{what}: FAILED: {summary} ({})", t.seen);
    }
    println!("soak: {what}: {summary}");
    println!("soak: {what}: {}", t.seen);
    Ok(())
}

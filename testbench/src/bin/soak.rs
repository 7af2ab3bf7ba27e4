//! `soak`: one long run of a whole Verilated NIC against the reference models (see
//! `testbench::soak`), with a progress bar; prints frames, frames/s and the counts that
//! must be zero, and exits 1 on any mismatch.
//!
//!     cargo run --release -p testbench --bin soak -- --nic accio --width 512 --frames 1000000
//!
//! `--scale` runs the NICs at the scale of issue 18 instead (512 bits only): Lauberhorn with
//! 48 cores, 256 slots, 64 services and processes; Accio with 256 entries and 64 cores.

use anyhow::{bail, Result};
use clap::{Parser, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use sim_models::{lauberhorn_pins, nic_pins};
use std::time::Instant;
use testbench::models::{
    AccioNicW512N16C4, AccioNicW512N256C64, AccioNicW64N16C4, LauberhornNicW512C2S8,
    LauberhornNicW512C48S256, LauberhornNicW64C2S8,
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
    /// The NIC at the scale of issue 18 (`hdl::library::scale_lauberhorn_nic`, `scale_nic`):
    /// Lauberhorn with 48 cores, Accio with 256 entries and 64 cores; 512 bits only.
    #[arg(long)]
    scale: bool,
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
    if a.scale && a.width != 512 {
        bail!(
            "--scale --width {}: the large NICs are built at 512 bits",
            a.width
        );
    }
    let seed = a.seed.unwrap_or_else(rand::random);
    let size = if a.scale { " at scale" } else { "" };
    let what = format!("{:?}{size} {} bits, seed {seed:#x}", a.nic, a.width).to_lowercase();
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
    let t: Tally = match (a.nic, a.width, a.scale) {
        (Nic::Accio, 64, _) => {
            let d = AccioNicW64N16C4::with_reset_seed(reset);
            soak::accio::run(&nic_pins!(d), 64, false, a.frames, seed, &mut progress)
        }
        (Nic::Accio, _, false) => {
            let d = AccioNicW512N16C4::with_reset_seed(reset);
            soak::accio::run(&nic_pins!(d), 512, false, a.frames, seed, &mut progress)
        }
        (Nic::Accio, _, true) => {
            let d = AccioNicW512N256C64::with_reset_seed(reset);
            soak::accio::run(&nic_pins!(d), 512, true, a.frames, seed, &mut progress)
        }
        (Nic::Lauberhorn, 64, _) => {
            let d = LauberhornNicW64C2S8::with_reset_seed(reset);
            soak::lauberhorn::run(&lauberhorn_pins!(d), false, a.frames, seed, &mut progress)
        }
        (Nic::Lauberhorn, _, false) => {
            let d = LauberhornNicW512C2S8::with_reset_seed(reset);
            soak::lauberhorn::run(&lauberhorn_pins!(d), false, a.frames, seed, &mut progress)
        }
        (Nic::Lauberhorn, _, true) => {
            let d = LauberhornNicW512C48S256::with_reset_seed(reset);
            soak::lauberhorn::run(&lauberhorn_pins!(d), true, a.frames, seed, &mut progress)
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

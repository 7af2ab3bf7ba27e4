//! The papers' experiments on the Verilated NICs, in cycles: tables (Markdown, CSV) and
//! plots (SVG) into a directory (`testbench::experiments`).

use clap::Parser;
use testbench::experiments::{self, accio, lauberhorn, Scale};

#[derive(Parser)]
#[command(about = "Runs the Accio and Lauberhorn papers' experiments on the Verilated NICs")]
struct Args {
    /// Output directory.
    #[arg(long, default_value = "build/experiments")]
    out: std::path::PathBuf,
    /// The small scale of the test (a few seconds) instead of the full one.
    #[arg(long)]
    quick: bool,
    /// Repetitions of each latency measurement (default: 20, or 3 with --quick).
    #[arg(long)]
    reps: Option<usize>,
    /// Requests of each connection-multiplexing run (default: 400, or 24 with --quick).
    #[arg(long)]
    requests: Option<usize>,
    /// Seeds every random choice (payloads, addresses, which connection): a run repeats
    /// exactly.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut scale = if args.quick {
        Scale::small()
    } else {
        Scale::full()
    };
    scale.reps = args.reps.unwrap_or(scale.reps);
    scale.conn_requests = args.requests.unwrap_or(scale.conn_requests);
    let start = std::time::Instant::now();
    eprintln!(
        "seed {} ({} scale)",
        args.seed,
        if args.quick { "quick" } else { "full" }
    );
    let mut progress = |what: &str| eprintln!("[{:6.1}s] {what}", start.elapsed().as_secs_f64());
    let a = accio::run(&scale, args.seed, &mut progress);
    let l = lauberhorn::run(&scale, args.seed, &mut progress);
    let tables: Vec<_> = a.tables().into_iter().chain(l.tables()).collect();
    let plots: Vec<_> = a.plots().into_iter().chain(l.plots()).collect();
    for p in experiments::write(&args.out, &tables, &plots)? {
        eprintln!("wrote {p}");
    }
    Ok(())
}

//! Benchmark (not a timed test): simulated cycles per second of the 512-bit AXI-Stream
//! register slice `axis_register_w512u1` driven from Rust through the `sim` bridge, versus a
//! C++ harness (`testbench/rtl/axis_register_bench.cpp`, linked into the model library via
//! `ModelSpec::extra_cpp`) driving the same Verilated model directly. Prints both rates and
//! their ratio Rust/C++ (the foundation's goal is ≥ 0.9).
//!
//! Both sides do the same work per cycle: draw the inputs from a xorshift64 generator (512
//! bits of `tdata`, `tkeep`, `tvalid`, `tlast`, `tuser` and a pseudo-random
//! `m_axis_tready`), set them, `eval`, fold `s_axis_tready`, `m_axis_tvalid` and
//! `m_axis_tdata` into a checksum, and clock the model. The checksums must agree, which also
//! shows that both did the same work.
//!
//! `cargo bench -p testbench --bench sim_speed [-- --cycles N --reps N]` (defaults: 2 M
//! cycles, 9 runs of each side, alternating; the medians are compared, and the median of
//! the ratios of each pair of runs and the ratio of the best runs are printed too). The
//! machine should be otherwise idle; on a shared VM, whose speed drifts, prefer many short
//! runs (e.g. `--cycles 300000 --reps 31`).
//! Without `--bench` on the command line (`cargo test --benches`) it only runs a short check.

use std::time::{Duration, Instant};

use testbench::models::AxisRegisterW512u1;

unsafe extern "C" {
    /// testbench/rtl/axis_register_bench.cpp: resets the model, runs `cycles` cycles from
    /// xorshift state `seed`, stores the loop's time in `*ns` and returns the checksum.
    fn axis_register_w512u1_bench(cycles: u64, seed: u64, ns: *mut u64) -> u64;
}

const SEED: u64 = 0x2545_f491_4f6c_dd1d;

/// Per-cycle inputs; the same as `Stimulus` in axis_register_bench.cpp.
struct Stimulus {
    state: u64,
}

impl Stimulus {
    /// Advances the xorshift64 state, writes the 16 `tdata` words and returns the new
    /// state (the source of `tkeep` and the control bits).
    #[inline(always)]
    fn next(&mut self, tdata: &mut [u32; 16]) -> u64 {
        let mut r = self.state;
        r ^= r << 13;
        r ^= r >> 7;
        r ^= r << 17;
        self.state = r;
        for i in 0..8 {
            let d = (r ^ 0x9e37_79b9_7f4a_7c15u64.wrapping_mul(i as u64 + 1))
                .wrapping_mul(0xd6e8_feb8_6659_fd93);
            tdata[2 * i] = d as u32;
            tdata[2 * i + 1] = (d >> 32) as u32;
        }
        r
    }
}

#[inline(always)]
fn fold(h: u64, v: u64) -> u64 {
    (h ^ v).wrapping_mul(0x0000_0100_0000_01b3)
}

/// The benchmark loop in Rust; returns the checksum and the loop's time.
fn run_rust(cycles: u64) -> (u64, Duration) {
    let dut = AxisRegisterW512u1::new();
    dut.rst.set(1);
    dut.tick().expect("reset");
    dut.rst.set(0);
    let mut stim = Stimulus { state: SEED };
    let mut tdata = [0u32; 16];
    let mut out = [0u32; 16];
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let start = Instant::now();
    for _ in 0..cycles {
        let r = stim.next(&mut tdata);
        dut.s_axis.tdata.set_words(&tdata);
        dut.s_axis.tkeep.set(r.rotate_left(32));
        dut.s_axis.tvalid.set((r >> 59) & 1);
        dut.s_axis.tlast.set((r >> 60) & 1);
        dut.s_axis.tuser.set((r >> 61) & 1);
        dut.m_axis.tready.set((r >> 62) & 1);
        dut.eval().expect("eval");
        h = fold(h, dut.s_axis.tready.get() | (dut.m_axis.tvalid.get() << 1));
        dut.m_axis.tdata.read_words_into(&mut out);
        let mut x = 0u64;
        for (i, &w) in out.iter().enumerate() {
            x ^= u64::from(w).rotate_left(i as u32);
        }
        h = fold(h, x);
        dut.tick().expect("tick");
    }
    (h, start.elapsed())
}

/// The benchmark loop in C++; returns the checksum and the loop's time.
fn run_cpp(cycles: u64) -> (u64, Duration) {
    let mut ns = 0u64;
    // SAFETY: plain C function; `ns` is a valid, exclusive u64 for the call.
    let h = unsafe { axis_register_w512u1_bench(cycles, SEED, &mut ns) };
    (h, Duration::from_nanos(ns))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn rate(cycles: u64, d: Duration) -> f64 {
    cycles as f64 / d.as_secs_f64()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str, default: u64| -> u64 {
        match args.iter().position(|a| a == flag) {
            Some(i) => args
                .get(i + 1)
                .and_then(|v| v.replace('_', "").parse().ok())
                .filter(|&n| n > 0)
                .unwrap_or_else(|| panic!("{flag} needs a positive number")),
            None => default,
        }
    };
    let benching = args.iter().any(|a| a == "--bench");
    let (cycles, reps) = if benching {
        (value("--cycles", 2_000_000), value("--reps", 9))
    } else {
        (value("--cycles", 20_000), value("--reps", 1))
    };

    if AxisRegisterW512u1::new().wave_path().is_some() {
        println!("sim_speed: the models are built with waveforms (NICSIM_WAVE): not measuring");
        return;
    }

    // Warm up caches, the CPU clock and lazy initialisation on both sides.
    let warm = cycles.min(200_000);
    assert_eq!(run_rust(warm).0, run_cpp(warm).0, "checksums differ");

    // Runs alternate (and alternate which side goes first), so that a machine whose speed
    // drifts, e.g. because something else runs on it, disturbs both sides alike; the
    // per-pair ratios cancel most of such drift.
    let mut rust = Vec::new();
    let mut cpp = Vec::new();
    let mut pair_ratios = Vec::new();
    let mut checksum = None;
    for rep in 0..reps {
        let ((hr, dr), (hc, dc)) = if rep % 2 == 0 {
            let r = run_rust(cycles);
            (r, run_cpp(cycles))
        } else {
            let c = run_cpp(cycles);
            (run_rust(cycles), c)
        };
        assert_eq!(hr, hc, "Rust and C++ checksums differ: not the same work");
        assert_eq!(
            *checksum.get_or_insert(hr),
            hr,
            "checksum changed between runs"
        );
        rust.push(rate(cycles, dr));
        cpp.push(rate(cycles, dc));
        pair_ratios.push(rate(cycles, dr) / rate(cycles, dc));
    }
    if !benching {
        println!("sim_speed: checksums agree ({cycles} cycles); run `cargo bench` to measure");
        return;
    }
    let fmt = |v: &[f64]| {
        v.iter()
            .map(|r| format!("{:.2}", r / 1e6))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (r, c) = (median(rust.clone()), median(cpp.clone()));
    let best = |v: &[f64]| v.iter().copied().fold(0.0, f64::max);
    let (rb, cb) = (best(&rust), best(&cpp));
    println!(
        "sim_speed: axis_register_w512u1, {cycles} cycles x {reps} runs each, checksum {:#018x}",
        checksum.unwrap_or_default()
    );
    println!(
        "  Rust: {:>7.3} M cycles/s ({:.1} ns/cycle; best {:.1})  runs: {}",
        r / 1e6,
        1e9 / r,
        1e9 / rb,
        fmt(&rust)
    );
    println!(
        "  C++:  {:>7.3} M cycles/s ({:.1} ns/cycle; best {:.1})  runs: {}",
        c / 1e6,
        1e9 / c,
        1e9 / cb,
        fmt(&cpp)
    );
    println!(
        "  ratio Rust/C++: {:.3} (medians; median of per-pair ratios {:.3}, of bests {:.3}; \
         goal >= 0.9)",
        r / c,
        median(pair_ratios),
        rb / cb
    );
}

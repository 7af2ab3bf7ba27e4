//! Verilator bridge: builds Verilated models from a `build.rs` and drives them from Rust.
//! It knows nothing of the designs: the host, bus and reference models that drive the NICs
//! live in the `sim-models` crate beside it (`sim/models`).
//!
//! # Building models
//!
//! A crate with testbenches lists its models in `build.rs` and calls
//! [`verilate::build_models`]:
//!
//! ```no_run
//! # fn main() -> anyhow::Result<()> {
//! use sim::verilate::{build_models, ModelSpec, PortDir, PortSpec};
//! let specs = vec![ModelSpec {
//!     top: "axis_register_w64".into(),
//!     files: vec![("axis_register_w64.v".into(), "/* Verilog */".into())],
//!     ports: vec![
//!         PortSpec::input("clk", 1),
//!         PortSpec::input("rst", 1),
//!         PortSpec::grouped(PortDir::In, "s_axis", "tdata", 64),
//!         PortSpec::grouped(PortDir::Out, "m_axis", "tdata", 64),
//!     ],
//!     clock: Some("clk".into()),
//!     extra_cpp: vec![],
//!     view: None,
//! }];
//! build_models(&specs)?;
//! # Ok(()) }
//! ```
//!
//! and includes the generated handles:
//! `pub mod models { include!(concat!(env!("OUT_DIR"), "/models.rs")); }`.
//!
//! For each model, `build_models` runs `verilator --cc -O3 --x-assign fast --x-initial unique
//! --assert --no-timing` (see [`verilate::VERILATOR_FLAGS`]), checks the ports in the
//! `ModelSpec` against the Verilated class (names, directions, widths, none missing),
//! generates an `extern "C"` shim (whose per-cycle entry points carry their own copy of the
//! model's `eval_step()` when it is exactly Verilator 5.006's, so that it inlines; see
//! `build.log` in the cache entry), and compiles everything with Verilator's own makefile at
//! `-O2` (also in debug cargo profiles), without `-fPIC`, with `-j2` (`NICSIM_BUILD_JOBS`).
//! Verilator warnings are errors. Verilator's runtime (`verilated.cpp` & co. plus this
//! crate's `nicsim_runtime.cpp`) is built once into its own library, shared by all models
//! and linked once. A failed Verilator or compiler run is an error that contains the tool's
//! stderr.
//!
//! ## Cache
//!
//! Libraries are cached in `$NICSIM_CACHE_DIR`, by default
//! `<workspace>/target/verilator-cache` (`models/<top>-<key>/` and
//! `runtime/<trace>-<key>/`; `cargo clean` removes it). The key is a SHA-256 over the
//! Verilog and extra C++ texts, the port list, the Verilator flags and make variables, the
//! output of `verilator --version`, `VERILATOR_ROOT`, `g++ --version`, the trace mode,
//! [`verilate::SHIM_VERSION`] and the source of the generator itself. An unchanged model is
//! reused without running any tool. Entries are built in a temporary directory and renamed
//! into place, so an interrupted or concurrent build never leaves a corrupt entry. Each
//! entry keeps the Verilated C++ sources and a `build.log` for reference. Old entries are
//! pruned: per model top (and per runtime flavour) the four most recently used entries stay,
//! as does every entry used within the last hour.
//!
//! # Generated handles
//!
//! `models.rs` has one module per model, named after the top, holding a handle named in
//! CamelCase (`axis_register_w64` → `AxisRegisterW64`, re-exported next to the module), a
//! `Ports` struct, one `<Bundle>Ports` struct per port group and a `PORTS` table:
//!
//! ```ignore
//! let dut = AxisRegisterW64::new();
//! dut.rst.set(1);
//! dut.tick()?;
//! dut.rst.set(0);
//! dut.s_axis.tdata.set(0x1122_3344_5566_7788);
//! dut.eval()?;                        // settle combinational logic, clock low
//! dut.tick()?;                        // rising edge
//! assert_eq!(dut.m_axis.tdata.get(), 0x1122_3344_5566_7788);
//! ```
//!
//! Ports are typed by direction and width ([`Input`], [`Output`], [`WideInput`],
//! [`WideOutput`]; see [`ports`]): outputs have no setters, and setting a value that does not
//! fit the port width panics. The clock is not a port of the handle; it is driven by
//! `tick()`.
//!
//! ## Views
//!
//! A model whose spec has a view ([`verilate::ModelSpec::with_view`]) also gets `view()`,
//! returning `views::<View>`: one struct shared by every model with that view (a design at
//! several widths), with the model itself (`dut`, and the view implements [`Model`]), every
//! port by name as `&dyn PortWrite` (inputs) or `&dyn PortRead` (outputs), and every bundle
//! as one value:
//!
//! * a bundle the design declared as a port group (`hdl::port_group!`, checked with
//!   `Group::mark` where it is declared by hand; [`verilate::PortSpec::group_type`]) is a
//!   `views::<Group><Side>`, one type for every model on that side of the group
//!   (`views::IctLookupSource` in the receive engine, `views::IctLookupSink` in the ICT);
//! * an AXI4-Stream bundle is an [`axis::AxisIn`] or [`axis::AxisOut`];
//! * any other bundle is a `views::<View><Bundle>` (`views::AccioRxMAxi`).
//!
//! Testbenches write one function against the view and run it on every width, with no pin
//! lists of their own:
//!
//! ```ignore
//! use testbench::models::views::AccioRx;   // generated for `.with_view("accio_rx")`
//!
//! fn run(p: &AccioRx) {
//!     p.rst.set_bit(0, true);
//!     p.tick()?;                            // the view is the model
//!     let lk = &p.lookup;                   // views::IctLookupSource
//!     if lk.valid.bit(0) {
//!         let ip = lk.ip.get_bits(0, 32);
//!     }
//!     p.s_axis_rx.drive(&beat);             // AxisIn
//! }
//! run(&Rx64::new().view());
//! run(&Rx512::new().view());
//! ```
//!
//! `build_models` refuses models that share a view but differ in ports, bundles or
//! directions, and two bundles that would give one view type different fields.
//!
//! ## AXI4-Stream
//!
//! [`axis`] views a model's stream bundle as one value for any bus width (8 to 512 bits):
//! `axis_in!(dut.s_axis)` ([`axis::AxisIn`]) drives [`axis::Beat`]s into the model and
//! `axis_out!(dut.m_axis)` ([`axis::AxisOut`]) samples them; [`axis::frame_to_beats`] and
//! [`axis::beats_to_frame`] convert between a frame's bytes and its beats.
//!
//! ## Timing
//!
//! * `eval()` settles the model for the current inputs with the clock low.
//! * `tick()` is one clock cycle: it evaluates the low phase first unless `eval()` already
//!   did so since the last edge (so inputs set before `tick()` are sampled at the edge), raises
//!   the clock and evaluates, then lowers the clock without evaluating. After `tick()` the
//!   outputs show the state right after the rising edge; registered outputs have the new
//!   values, and combinational outputs are settled for them and the current inputs.
//! * Without a waveform, `tick()` is a single call into the C++ model (the low phase, if
//!   `eval()` has not settled it, and the edge), and `eval()` another; ports are plain memory
//!   accesses. In per-cycle loops read wide outputs with `read_words_into`/`read_bytes_into`
//!   (no allocation) rather than `get_words`/`get_bytes`. `cargo bench -p testbench --bench
//!   sim_speed` compares this path with a C++ harness driving the same model.
//! * A model with several clocks (no `ModelSpec::clock`; its clocks are ordinary inputs) is
//!   stepped by [`clocks::Clocks`]: given each clock's period in ps, it advances time to the
//!   next rising edge of whichever clocks are due, settles the model, raises those clocks
//!   and evaluates. `tick()` and its fast path are not involved. A Rust model between such
//!   a model and another Rust model gives the inner one [`Wire`]s and an [`EdgeCount`] of
//!   its domain ([`wire`]).
//! * `cycle()` counts rising edges. Simulation time (`$time`) is `10 * cycle` in the low phase
//!   and `10 * cycle + 5` right after the edge ([`TIME_PER_CYCLE`]).
//!
//! ## Errors
//!
//! `eval()`/`tick()` return [`SimError`]:
//! * [`SimError::Stop`] — Verilog `$stop` ran; the eval completed and the model can go on.
//! * [`SimError::Fatal`] — `$fatal`, `$error`, a failed immediate `assert`, or a Verilator
//!   runtime error (e.g. a combinational loop that does not converge). The message is the one
//!   the model printed. This instance is finished: every later call returns the same error.
//!   The process is not affected; new instances work. (`$warning` only prints.)
//! * [`SimError::Finished`] — `$finish` ran in an earlier call (the call that runs it
//!   returns `Ok`; check `finished()`).
//!
//! Verilator 5.006 lowers `$fatal`, `$error` and failed assertions alike to an `%Error` message
//! plus `$stop`; the runtime tells them from a plain `$stop` by that message, printed for the
//! same source line just before the stop. (So `$error` cannot be told from `$fatal`, and a
//! `$display("%Error: <file>:<line>: ...")` on the line of a `$stop` would count as fatal.)
//!
//! Text the model prints (`$display`, `$error`, ...) goes to `print!` on the calling thread,
//! so the test harness captures it per test.
//!
//! ## Waveforms
//!
//! Set `NICSIM_WAVE=fst` (or `vcd`) in the environment of cargo at *build* time: models are
//! then built with `--trace-fst` (`--trace`), under a different cache key, and every handle
//! created with `new()` writes a waveform to `$NICSIM_WAVE_DIR/<top>-<pid>-<n>.fst` (default
//! directory `<workspace>/target/waves/`, `n` counting handles in the process). `new_traced(path)`
//! writes to a chosen file instead. Without `NICSIM_WAVE` models have no tracing code (it
//! slows them down) and `new_traced` returns [`SimError::Trace`]. The waveform shows, per cycle,
//! the settled low phase at `10 * cycle` and the state after the edge at `10 * cycle + 5`.
//!
//! ## Initial state
//!
//! Models are built with `--x-initial unique`: Verilator's constructor gives every variable
//! a value drawn from the model's reset seed, so a register the RTL does not reset starts
//! at a random value (as a real flip-flop or RAM after a warm reset holds an arbitrary one)
//! and a missing reset shows up as a test failure instead of a silent 0. `new()` takes the
//! seed from `NICSIM_RESET_SEED` (decimal or `0x` hex) or draws a fresh one per model, and
//! prints it to stderr, which the test harness shows for a failing test:
//! `nicsim: <top>: random initial state; rerun with NICSIM_RESET_SEED=0x1a2b3c4d to get the
//! same one`. `with_reset_seed(seed)` chooses it (prints nothing); seed 0 starts every
//! variable at 0. Inputs always start at 0. The same seed gives the same state on any
//! thread ([`reset_seed_for`]). Only construction changes: the generated eval code is
//! the same as with `--x-initial fast` (`--x-assign fast` stays, so nothing is drawn while
//! the model runs).
//!
//! ## Environment variables
//!
//! | variable | when | meaning |
//! | --- | --- | --- |
//! | `NICSIM_WAVE` | build | `fst`/`vcd`: compile waveform support |
//! | `NICSIM_CACHE_DIR` | build | cache directory |
//! | `NICSIM_BUILD_JOBS` | build | parallel compile jobs (default 2) |
//! | `NICSIM_WAVE_DIR` | run | waveform directory |
//! | `NICSIM_RESET_SEED` | run | seed of every model's initial state (0: zeros) |
//!
//! ## Threads
//!
//! Handles and ports are neither `Send` nor `Sync`: create and use a model on one thread.
//! Models on different threads (e.g. parallel tests) are independent: each has its own
//! `VerilatedContext`.

#![warn(missing_docs)]

pub mod axis;
pub mod clocks;
pub mod ffi;
mod model;
pub mod ports;
pub mod verilate;
pub mod wire;

pub use model::{reset_seed_for, Model, ModelCore, ModelDesc, PortInfo, TIME_PER_CYCLE};
pub use ports::{Input, Output, PortRead, PortWrite, Storage, WideInput, WideOutput};
pub use verilate::{GroupSide, GroupType, PortDir, TraceMode};
pub use wire::{Cycles, EdgeCount, Wire};

/// Imports for testbenches: the port traits, [`Model`], and the AXI4-Stream beat and views
/// ([`axis`]).
pub mod prelude {
    pub use crate::axis::{AxisIn, AxisOut, Beat};
    pub use crate::{axis_in, axis_out};
    pub use crate::{Model, PortRead, PortWrite, SimError};
}

/// Why a model evaluation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// Verilog `$stop` was executed (the message names the model and source line).
    #[error("Verilog $stop: {msg}")]
    Stop {
        /// `<top>: <file>:<line>: Verilog $stop`.
        msg: String,
    },
    /// `$fatal`, a failed assertion or a Verilator runtime error; the instance is dead.
    #[error("Verilog $fatal: {msg}")]
    Fatal {
        /// `<top>: <message printed by the model>`.
        msg: String,
    },
    /// The model executed `$finish` earlier.
    #[error("simulation finished ($finish was executed)")]
    Finished,
    /// A waveform could not be opened or written.
    #[error("waveform: {msg}")]
    Trace {
        /// What went wrong.
        msg: String,
    },
    /// [`Model::tick_until`] gave up.
    #[error("{top}: condition not reached within {cycles} cycles")]
    Timeout {
        /// Model top name.
        top: &'static str,
        /// Cycles waited.
        cycles: u64,
    },
}

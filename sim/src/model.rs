//! The model-independent part of a generated model handle.

use std::cell::{Cell, RefCell};
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::ffi::{self, ModelFns, RawModel, RuntimeFns};
use crate::{PortDir, SimError, TraceMode};

/// Simulation time units per clock cycle: the settled low phase of cycle `n` is at time
/// `n * 10`, the state right after its rising edge at `n * 10 + 5` (see [`ModelCore::tick`]).
pub const TIME_PER_CYCLE: u64 = 10;

/// Name, direction and width of one port, as declared in the [`crate::verilate::ModelSpec`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortInfo {
    /// Verilog port name.
    pub name: &'static str,
    /// Direction.
    pub dir: PortDir,
    /// Width in bits.
    pub width: u32,
}

/// Static description of one model, generated into `models.rs`.
pub struct ModelDesc {
    /// Verilog top module name.
    pub top: &'static str,
    /// Every port including the clock, in the order of the shim's port table.
    pub ports: &'static [PortInfo],
    /// Index of the clock in `ports`.
    pub clock: Option<usize>,
    /// Waveform format compiled into the model.
    pub trace: TraceMode,
    /// Waveform directory used when `NICSIM_WAVE_DIR` is not set at run time.
    pub default_wave_dir: &'static str,
    /// Runtime entry points.
    pub runtime: &'static RuntimeFns,
    /// Model entry points.
    pub model: ModelFns,
}

/// Owns one Verilated model and drives its clock; the generic core of every generated
/// handle (which adds the typed port fields).
///
/// Not `Send` or `Sync`: a model is used on the thread that created it.
pub struct ModelCore {
    raw: NonNull<RawModel>,
    desc: &'static ModelDesc,
    /// Seed of the initial state (0: all zeros).
    reset_seed: u32,
    ports: Box<[*mut c_void]>,
    clock: Option<NonNull<u8>>,
    /// Rising edges so far.
    cycle: Cell<u64>,
    /// Evaluations of a clockless model (its waveform time base).
    steps: Cell<u64>,
    /// The low phase of the current cycle has been evaluated.
    low_settled: Cell<bool>,
    wave: Option<PathBuf>,
    /// Sticky error: a fatal error ends the simulation of this instance.
    failed: RefCell<Option<SimError>>,
    finished: Cell<bool>,
    /// Neither failed nor finished.
    live: Cell<bool>,
    /// The last time [`ModelCore::eval_at`] wrote to the waveform.
    dumped_at: Cell<Option<u64>>,
    /// Live, clocked and writing no waveform: `eval` and `tick` take their short paths
    /// (checking this one flag).
    fast: Cell<bool>,
}

static WAVE_COUNTER: AtomicU64 = AtomicU64::new(0);

#[cold]
#[inline(never)]
#[track_caller]
fn no_clock(top: &str) -> ! {
    panic!("model `{top}` has no clock (ModelSpec::clock is None)")
}

/// Receives everything the C++ side prints and passes it to `print!`, so the Rust test
/// harness captures a model's `$display` output together with the test that caused it.
unsafe extern "C" fn print_hook(text: *const c_char, len: usize) {
    if text.is_null() || len == 0 {
        return;
    }
    // SAFETY: the runtime passes a pointer to `len` bytes valid for this call.
    let bytes = unsafe { std::slice::from_raw_parts(text.cast::<u8>(), len) };
    let text = String::from_utf8_lossy(bytes);
    // Never unwind into C++ (print! panics if stdout is gone).
    let _ = std::panic::catch_unwind(|| print!("{text}"));
}

/// The seed of a new model's initial state: `NICSIM_RESET_SEED` (decimal or `0x` hex, 32
/// bits) if set, else a fresh random nonzero seed. Either way it is printed to stderr (the test
/// harness shows it for a failing test) with how to rerun with the same initial state.
///
/// Models are built with `--x-initial unique`: every register and memory word starts at a
/// value drawn from this seed, so a register the RTL forgets to reset gives different
/// post-reset behaviour from run to run instead of a silent 0. Seed 0 starts everything at 0.
///
/// Panics if `NICSIM_RESET_SEED` is set but not a 32-bit number.
pub fn reset_seed_for(top: &str) -> u32 {
    match std::env::var("NICSIM_RESET_SEED") {
        Ok(text) => {
            let seed = parse_seed(&text).unwrap_or_else(|| {
                panic!("NICSIM_RESET_SEED={text:?} is not a 32-bit number (decimal or 0x hex)")
            });
            eprintln!("nicsim: {top}: initial state from NICSIM_RESET_SEED={seed:#x}");
            seed
        }
        Err(_) => {
            let seed = fresh_seed();
            eprintln!(
                "nicsim: {top}: random initial state; rerun with NICSIM_RESET_SEED={seed:#x} \
                 to get the same one"
            );
            seed
        }
    }
}

fn parse_seed(text: &str) -> Option<u32> {
    let text = text.trim();
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// A nonzero seed from the standard library's per-process random hash keys, the time and a
/// counter (no dependency on a random number crate).
fn fresh_seed() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    if let Ok(t) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(t.as_nanos());
    }
    let v = h.finish();
    ((v ^ (v >> 32)) as u32).max(1)
}

impl ModelCore {
    /// Constructs the C++ model, clock low, nothing evaluated yet. Does not open a waveform
    /// (see [`ModelCore::open_default_wave`] and [`ModelCore::open_wave`]).
    ///
    /// Panics if the C++ model cannot be constructed or its port table does not match
    /// `desc`.
    ///
    /// # Safety
    /// `desc` must describe the C++ model its function pointers create: generated code
    /// guarantees this by emitting both from the same [`crate::verilate::ModelSpec`] and
    /// checking them against the Verilated header.
    pub unsafe fn new(desc: &'static ModelDesc) -> Self {
        let seed = reset_seed_for(desc.top);
        // SAFETY: as required of the caller.
        unsafe { Self::with_reset_seed(desc, seed) }
    }

    /// Like [`ModelCore::new`], with the initial state drawn from `reset_seed` instead of
    /// `NICSIM_RESET_SEED` or a fresh seed (0: every variable starts at 0). Prints nothing.
    ///
    /// # Safety
    /// As for [`ModelCore::new`].
    pub unsafe fn with_reset_seed(desc: &'static ModelDesc, reset_seed: u32) -> Self {
        let rt = desc.runtime;
        // SAFETY (all FFI calls below): function pointers from generated code, called with
        // a model pointer they returned.
        unsafe { (rt.set_print_hook)(Some(print_hook as ffi::PrintHook)) };
        let kind = unsafe { (rt.trace_kind)() };
        let expected = match desc.trace {
            TraceMode::Off => 0,
            TraceMode::Vcd => 1,
            TraceMode::Fst => 2,
        };
        assert_eq!(
            kind, expected,
            "model `{}`: runtime library trace mode {kind} != model trace mode {:?} \
             (models.rs and the linked libraries come from different builds)",
            desc.top, desc.trace
        );
        let raw = NonNull::new(unsafe { (desc.model.new)(reset_seed) })
            .unwrap_or_else(|| panic!("constructing Verilated model `{}` failed", desc.top));
        let n = desc.ports.len();
        let mut ports = vec![std::ptr::null_mut::<c_void>(); n].into_boxed_slice();
        let got = unsafe { (desc.model.ports)(raw.as_ptr(), ports.as_mut_ptr(), n) };
        if got != n || ports.iter().any(|p| p.is_null()) {
            unsafe { (rt.delete)(raw.as_ptr()) };
            panic!(
                "model `{}`: port table has {got} entries, expected {n} (stale models.rs?)",
                desc.top
            );
        }
        let clock = desc.clock.map(|i| {
            let info = &desc.ports[i];
            assert!(
                info.dir == PortDir::In && info.width == 1,
                "model `{}`: clock `{}` must be a 1-bit input",
                desc.top,
                info.name
            );
            NonNull::new(ports[i].cast::<u8>()).expect("non-null checked above")
        });
        let core = Self {
            raw,
            desc,
            reset_seed,
            ports,
            clock,
            cycle: Cell::new(0),
            steps: Cell::new(0),
            low_settled: Cell::new(false),
            wave: None,
            failed: RefCell::new(None),
            finished: Cell::new(false),
            live: Cell::new(true),
            dumped_at: Cell::new(None),
            fast: Cell::new(clock.is_some()),
        };
        // Verilator's constructor draws the inputs' initial values too; a new model's inputs
        // (the clock among them) are 0.
        for (info, &ptr) in desc.ports.iter().zip(core.ports.iter()) {
            if info.dir == PortDir::In {
                let bytes = match info.width {
                    0..=64 => crate::ports::storage_bits(info.width) / 8,
                    w => 4 * w.div_ceil(32),
                };
                // SAFETY: the port's storage inside the live model, `bytes` long (the port
                // table was checked against the Verilated header).
                unsafe { ptr.cast::<u8>().write_bytes(0, bytes as usize) };
            }
        }
        core
    }

    /// Address of the storage of port `index` (in [`ModelDesc::ports`] order), valid while
    /// `self` lives. Generated code wraps it in a typed port.
    #[inline]
    pub fn port_ptr(&self, index: usize) -> *mut c_void {
        self.ports[index]
    }

    /// The static description of this model.
    pub fn desc(&self) -> &'static ModelDesc {
        self.desc
    }

    /// Verilog top module name.
    pub fn top(&self) -> &'static str {
        self.desc.top
    }

    /// The seed the initial state of every register and memory was drawn from (0: all
    /// zeros); see [`reset_seed_for`].
    pub fn reset_seed(&self) -> u32 {
        self.reset_seed
    }

    /// Number of rising clock edges so far.
    #[inline]
    pub fn cycle(&self) -> u64 {
        self.cycle.get()
    }

    /// True once the model has executed `$finish`.
    #[inline]
    pub fn finished(&self) -> bool {
        self.finished.get()
    }

    /// Path of the waveform this model writes, if any.
    pub fn wave_path(&self) -> Option<&Path> {
        self.wave.as_deref()
    }

    /// Opens the automatic waveform if the model was built with tracing (`NICSIM_WAVE` set
    /// at build time): `$NICSIM_WAVE_DIR/<top>-<pid>-<n>.<fst|vcd>`, by default under
    /// `<workspace>/target/waves/`. Does nothing for models built without tracing.
    pub fn open_default_wave(&mut self) -> Result<(), SimError> {
        let ext = match self.desc.trace {
            TraceMode::Off => return Ok(()),
            TraceMode::Vcd => "vcd",
            TraceMode::Fst => "fst",
        };
        let dir = std::env::var_os("NICSIM_WAVE_DIR")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(self.desc.default_wave_dir));
        let n = WAVE_COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!(
            "{}-{}-{n}.{ext}",
            self.desc.top,
            std::process::id()
        ));
        self.open_wave(&path)
    }

    /// Writes a waveform of this model to `path` (FST or VCD, whichever the model was built
    /// with). Must be called before the first evaluation; fails if the model was built
    /// without tracing or a waveform is already open.
    pub fn open_wave(&mut self, path: &Path) -> Result<(), SimError> {
        let trace_err = |msg: String| SimError::Trace { msg };
        if self.desc.trace == TraceMode::Off {
            return Err(trace_err(format!(
                "model `{}` was built without waveform support; build with NICSIM_WAVE=fst \
                 (or vcd) in the environment of cargo",
                self.desc.top
            )));
        }
        if self.low_settled.get() || self.cycle.get() > 0 || self.steps.get() > 0 {
            return Err(trace_err(
                "open_wave must be called before the first eval".into(),
            ));
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| trace_err(format!("creating {}: {e}", parent.display())))?;
        }
        // The FST writer does not report an unwritable path cleanly: check here.
        std::fs::File::create(path)
            .map_err(|e| trace_err(format!("creating {}: {e}", path.display())))?;
        let cpath = CString::new(path.as_os_str().as_encoded_bytes())
            .map_err(|_| trace_err(format!("path {} contains NUL", path.display())))?;
        // SAFETY: live model; NUL-terminated path valid for the call.
        let rc = unsafe { (self.desc.runtime.trace_open)(self.raw.as_ptr(), cpath.as_ptr()) };
        if rc != 0 {
            return Err(trace_err(self.last_error()));
        }
        self.wave = Some(path.to_path_buf());
        self.fast.set(false);
        Ok(())
    }

    fn last_error(&self) -> String {
        // SAFETY: the runtime returns a NUL-terminated string owned by the live model, valid
        // until the next call on it; copied at once.
        unsafe { CStr::from_ptr((self.desc.runtime.error)(self.raw.as_ptr())) }
            .to_string_lossy()
            .into_owned()
    }

    /// The error every call returns once the model has failed or finished.
    #[cold]
    #[inline(never)]
    fn unusable(&self) -> SimError {
        match self.failed.borrow().as_ref() {
            Some(err) => err.clone(),
            None => SimError::Finished,
        }
    }

    /// Interprets the return value of an eval/tick entry point that is not plain
    /// [`ffi::STATUS_OK`]: records `$finish` and fatal errors.
    #[cold]
    #[inline(never)]
    fn status(&self, rc: c_int) -> Result<(), SimError> {
        if rc & ffi::FLAG_FINISHED != 0 {
            self.finished.set(true);
            self.live.set(false);
            self.fast.set(false);
        }
        match rc & ffi::STATUS_MASK {
            ffi::STATUS_OK => Ok(()),
            ffi::STATUS_STOP => Err(SimError::Stop {
                msg: format!("{}: {}", self.desc.top, self.last_error()),
            }),
            _ => {
                let err = SimError::Fatal {
                    msg: format!("{}: {}", self.desc.top, self.last_error()),
                };
                *self.failed.borrow_mut() = Some(err.clone());
                self.live.set(false);
                self.fast.set(false);
                Err(err)
            }
        }
    }

    /// One `eval()` of the C++ model at simulation time `time`.
    #[inline]
    fn raw_eval(&self, time: u64) -> Result<(), SimError> {
        // SAFETY: live model, used by this thread only; no Rust reference to port storage is
        // held across the call (ports are accessed through raw pointers).
        let rc = unsafe { (self.desc.model.eval)(self.raw.as_ptr(), time) };
        if rc == ffi::STATUS_OK {
            Ok(())
        } else {
            self.status(rc)
        }
    }

    fn dump(&self, time: u64) -> Result<(), SimError> {
        if self.wave.is_none() {
            return Ok(());
        }
        // SAFETY: live model.
        if unsafe { (self.desc.runtime.trace_dump)(self.raw.as_ptr(), time) } != 0 {
            return Err(SimError::Trace {
                msg: self.last_error(),
            });
        }
        Ok(())
    }

    /// Settles the model for the current inputs with the clock low (Verilator `eval()`).
    ///
    /// Returns `Err(SimError::Stop)` if `$stop` ran (the model can go on),
    /// `Err(SimError::Fatal)` for `$fatal` or a Verilator runtime error (this and every
    /// later call fail the same way), `Err(SimError::Finished)` if `$finish` ran in an
    /// earlier call. An eval that runs `$finish` itself returns `Ok`.
    #[inline]
    pub fn eval(&self) -> Result<(), SimError> {
        if !self.fast.get() {
            return self.eval_slow();
        }
        self.eval_low()
    }

    /// Evaluates the low phase of the current cycle on a live, clocked model.
    #[inline]
    fn eval_low(&self) -> Result<(), SimError> {
        // SAFETY: live model, used by this thread only; no Rust reference to port storage is
        // held across the call (ports are accessed through raw pointers).
        let rc =
            unsafe { (self.desc.model.eval)(self.raw.as_ptr(), self.cycle.get() * TIME_PER_CYCLE) };
        if rc != ffi::STATUS_OK {
            return self.eval_status(rc);
        }
        self.low_settled.set(true);
        Ok(())
    }

    /// [`eval`](Self::eval) of a model that has failed or finished, has no clock or writes a
    /// waveform.
    #[inline(never)]
    fn eval_slow(&self) -> Result<(), SimError> {
        if !self.live.get() {
            return Err(self.unusable());
        }
        if self.clock.is_none() {
            return self.eval_clockless();
        }
        self.eval_low()
    }

    /// The rest of a clocked [`eval`](Self::eval) that reported anything but success.
    #[cold]
    #[inline(never)]
    fn eval_status(&self, rc: c_int) -> Result<(), SimError> {
        let result = self.status(rc);
        // A $stop leaves a consistent, settled model behind.
        self.low_settled
            .set(!matches!(result, Err(SimError::Fatal { .. })));
        result
    }

    /// [`eval`](Self::eval) of a model without clock: each eval is a time step (for the
    /// waveform).
    #[inline(never)]
    fn eval_clockless(&self) -> Result<(), SimError> {
        let step = self.steps.get();
        self.steps.set(step + 1);
        self.raw_eval(step * TIME_PER_CYCLE)?;
        self.dump(step * TIME_PER_CYCLE)
    }

    /// Evaluates a model without a clock of its own (its clocks are inputs, scheduled by
    /// [`crate::clocks::Clocks`]) at simulation time `time`, and writes the waveform there
    /// the first time `time` is used. Times must not decrease. Errors as for
    /// [`eval`](Self::eval). Panics if the model has a `ModelSpec::clock` (use `tick`).
    pub fn eval_at(&self, time: u64) -> Result<(), SimError> {
        assert!(
            self.clock.is_none(),
            "model `{}` has a clock: step it with tick()",
            self.desc.top
        );
        if !self.live.get() {
            return Err(self.unusable());
        }
        self.raw_eval(time)?;
        if self.dumped_at.get() == Some(time) {
            return Ok(());
        }
        self.dumped_at.set(Some(time));
        self.dump(time)
    }

    /// One clock cycle: settles the low phase if [`eval`](Self::eval) has not done so since
    /// the last edge, raises the clock and evaluates (registers take the values the inputs
    /// had before the call), then sets the clock low again *without* evaluating; the next
    /// `eval` or `tick` evaluates that low phase. After `tick`, outputs show the state right
    /// after the rising edge.
    ///
    /// Without a waveform this is a single call into the C++ model (which evaluates the low
    /// phase too if needed).
    ///
    /// Errors as for [`eval`](Self::eval). Panics if the model has no clock.
    #[inline]
    pub fn tick(&self) -> Result<(), SimError> {
        let Some(clk) = self.clock else {
            no_clock(self.desc.top)
        };
        if !self.fast.get() {
            if !self.live.get() {
                return Err(self.unusable());
            }
            return self.tick_traced(clk);
        }
        let t = self.cycle.get() * TIME_PER_CYCLE;
        let fns = &self.desc.model;
        // SAFETY: live model, used by this thread only; `clk` is the clock's CData storage
        // inside it. No Rust reference to port storage is held across the call.
        let rc = unsafe {
            if self.low_settled.get() {
                (fns.edge)(self.raw.as_ptr(), clk.as_ptr(), t + TIME_PER_CYCLE / 2)
            } else {
                (fns.tick)(self.raw.as_ptr(), clk.as_ptr(), t, t + TIME_PER_CYCLE / 2)
            }
        };
        if rc != ffi::STATUS_OK {
            return self.tick_status(rc);
        }
        self.cycle.set(self.cycle.get() + 1);
        self.low_settled.set(false);
        Ok(())
    }

    /// The rest of [`tick`](Self::tick) when the C++ tick reported anything but success.
    #[cold]
    #[inline(never)]
    fn tick_status(&self, rc: c_int) -> Result<(), SimError> {
        if rc & ffi::FLAG_LOW_PHASE != 0 {
            // The low-phase eval failed and the edge was not evaluated: as `eval()` failing.
            return self.eval_status(rc);
        }
        self.cycle.set(self.cycle.get() + 1);
        self.low_settled.set(false);
        self.status(rc)
    }

    /// [`tick`](Self::tick) of a model writing a waveform: dumps the settled low phase and
    /// the state after the edge.
    #[inline(never)]
    fn tick_traced(&self, clk: NonNull<u8>) -> Result<(), SimError> {
        let t = self.cycle.get() * TIME_PER_CYCLE;
        if !self.low_settled.get() {
            self.eval()?;
        }
        // Waveform: the settled low phase, then the state after the edge.
        self.dump(t)?;
        // SAFETY: the clock's CData storage inside the live model; no C++ code is running.
        unsafe { clk.as_ptr().write(1) };
        let result = self.raw_eval(t + TIME_PER_CYCLE / 2);
        // Dump while the clock is still high (a dead model has nothing sensible to show).
        let dumped = match result {
            Err(SimError::Fatal { .. }) => Ok(()),
            _ => self.dump(t + TIME_PER_CYCLE / 2),
        };
        // SAFETY: as above.
        unsafe { clk.as_ptr().write(0) };
        self.cycle.set(self.cycle.get() + 1);
        self.low_settled.set(false);
        result.and(dumped)
    }

    /// `n` clock cycles; stops at the first error.
    #[inline]
    pub fn ticks(&self, n: u64) -> Result<(), SimError> {
        for _ in 0..n {
            self.tick()?;
        }
        Ok(())
    }
}

impl Drop for ModelCore {
    fn drop(&mut self) {
        if self.low_settled.get() && self.failed.get_mut().is_none() {
            // Errors cannot be reported from drop; the waveform just ends earlier.
            let _ = self.dump(self.cycle.get() * TIME_PER_CYCLE);
        }
        // SAFETY: the model was created by `new`, and ports referring to it are fields of
        // the handle being dropped, which cannot be used any more.
        unsafe { (self.desc.runtime.delete)(self.raw.as_ptr()) };
    }
}

/// Generic access to a generated model handle, for helpers that work with any model.
///
/// Every generated handle implements this trait and also has inherent methods of the same
/// names, so calling them needs no import.
pub trait Model {
    /// The model-independent core.
    fn core(&self) -> &ModelCore;

    /// See [`ModelCore::eval`].
    #[inline]
    fn eval(&self) -> Result<(), SimError> {
        self.core().eval()
    }

    /// See [`ModelCore::tick`].
    #[inline]
    fn tick(&self) -> Result<(), SimError> {
        self.core().tick()
    }

    /// See [`ModelCore::ticks`].
    #[inline]
    fn ticks(&self, n: u64) -> Result<(), SimError> {
        self.core().ticks(n)
    }

    /// Number of rising clock edges so far.
    fn cycle(&self) -> u64 {
        self.core().cycle()
    }

    /// True once the model has executed `$finish`.
    fn finished(&self) -> bool {
        self.core().finished()
    }

    /// Ticks until `done(self)` is true and returns the number of ticks taken, or
    /// [`SimError::Timeout`] after `max_cycles` ticks. Before each check the model is
    /// settled with [`eval`](Self::eval) (which the following tick then does not repeat),
    /// so `done` sees combinational outputs for the current inputs.
    fn tick_until(
        &self,
        max_cycles: u64,
        mut done: impl FnMut(&Self) -> bool,
    ) -> Result<u64, SimError>
    where
        Self: Sized,
    {
        for n in 0..=max_cycles {
            self.eval()?;
            if done(self) {
                return Ok(n);
            }
            if n < max_cycles {
                self.tick()?;
            }
        }
        Err(SimError::Timeout {
            top: self.core().top(),
            cycles: max_cycles,
        })
    }
}

//! Raw interface between the Rust runtime and the C++ side of a Verilated model.
//!
//! Only generated code (`models.rs`, see [`crate::verilate`]) uses this module: it declares
//! the C symbols in an `extern "C"` block of the crate that links the model libraries and
//! hands them to [`crate::ModelCore`] as function pointers. The `sim` crate itself therefore
//! references no C symbol, so it links (and its own tests run) without any model.
//!
//! The C++ counterparts are in `sim/src/verilate/nicsim_runtime.cpp` (model-independent
//! entry points) and in the shim that [`crate::verilate`] generates per model.

use std::ffi::{c_char, c_int, c_void};
use std::marker::{PhantomData, PhantomPinned};

/// Opaque C++ `NicsimModel` (a Verilated model plus its `VerilatedContext`).
#[repr(C)]
pub struct RawModel {
    _opaque: [u8; 0],
    _marker: PhantomData<(*mut u8, PhantomPinned)>,
}

/// Callback that receives text the model prints (`$display`, `$finish` notes, ...).
pub type PrintHook = unsafe extern "C" fn(text: *const c_char, len: usize);

/// Eval/tick status (low nibble of [`ModelFns::eval`]'s and [`ModelFns::tick`]'s return
/// value): no error.
pub const STATUS_OK: c_int = 0;
/// Eval/tick status: Verilog `$stop` was executed.
pub const STATUS_STOP: c_int = 1;
/// Eval/tick status: `$fatal` or a Verilator-internal fatal error.
pub const STATUS_FATAL: c_int = 2;
/// Mask of the status in an eval/tick return value.
pub const STATUS_MASK: c_int = 0xf;
/// Flag in an eval/tick return value: the model has executed `$finish`.
pub const FLAG_FINISHED: c_int = 0x10;
/// Flag in a tick return value: the status is that of the low-phase evaluation, which
/// failed; the clock edge was not evaluated.
pub const FLAG_LOW_PHASE: c_int = 0x20;

/// Model-independent entry points of the runtime library (`nicsim_runtime.cpp`).
pub struct RuntimeFns {
    /// `void nicsim_set_print_hook(hook)`: where printed text goes (stdout if null).
    pub set_print_hook: unsafe extern "C" fn(hook: Option<PrintHook>),
    /// `int nicsim_trace_kind(void)`: 0 no tracing compiled in, 1 VCD, 2 FST.
    pub trace_kind: unsafe extern "C" fn() -> c_int,
    /// `const char* nicsim_error(model)`: message of the last failed call, valid until the
    /// next call on this model.
    pub error: unsafe extern "C" fn(model: *mut RawModel) -> *const c_char,
    /// `int nicsim_trace_open(model, path)`: 0 ok, 1 error, -1 tracing not compiled in.
    pub trace_open: unsafe extern "C" fn(model: *mut RawModel, path: *const c_char) -> c_int,
    /// `int nicsim_trace_dump(model, time)`: 0 ok (or no waveform open), 1 error.
    pub trace_dump: unsafe extern "C" fn(model: *mut RawModel, time: u64) -> c_int,
    /// `void nicsim_trace_close(model)`.
    pub trace_close: unsafe extern "C" fn(model: *mut RawModel),
    /// `void nicsim_delete(model)`: runs `final` blocks, closes the waveform, frees.
    pub delete: unsafe extern "C" fn(model: *mut RawModel),
}

/// Per-model entry points of a generated shim.
pub struct ModelFns {
    /// `NicsimModel* nicsim_<top>_new(reset_seed)`: null if construction failed. Every
    /// variable starts at a value drawn from `reset_seed`, or at 0 if it is 0.
    pub new: unsafe extern "C" fn(reset_seed: u32) -> *mut RawModel,
    /// `size_t nicsim_<top>_ports(model, out, n)`: writes the address of each port's storage
    /// (in [`crate::ModelDesc::ports`] order) to `out[0..n]` if `n` is large enough, and
    /// returns the number of ports.
    pub ports: unsafe extern "C" fn(model: *mut RawModel, out: *mut *mut c_void, n: usize) -> usize,
    /// `int nicsim_<top>_eval(model, time)`: evaluates at simulation time `time`; returns
    /// status | flags.
    pub eval: unsafe extern "C" fn(model: *mut RawModel, time: u64) -> c_int,
    /// `int nicsim_<top>_edge(model, clk, edge_time)`: a rising edge, for a model whose low
    /// phase is settled and that writes no waveform: sets `*clk = 1`, evaluates at
    /// `edge_time` and sets `*clk = 0`. Returns status | flags.
    pub edge: unsafe extern "C" fn(model: *mut RawModel, clk: *mut u8, edge_time: u64) -> c_int,
    /// `int nicsim_<top>_tick(model, clk, low_time, edge_time)`: one clock cycle in one call,
    /// for a model whose low phase is not settled and that writes no waveform: evaluates the
    /// low phase at `low_time` and, if that fails, returns its status | [`FLAG_LOW_PHASE`]
    /// with the clock still low; otherwise does what `edge` does. Returns status | flags.
    pub tick: unsafe extern "C" fn(
        model: *mut RawModel,
        clk: *mut u8,
        low_time: u64,
        edge_time: u64,
    ) -> c_int,
}

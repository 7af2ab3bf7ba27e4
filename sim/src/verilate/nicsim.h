// nicsim.h -- interface between the `sim` crate's runtime and the per-model shims.
//
// Written by sim::verilate into every model and runtime build directory; do not edit
// the copy there, edit sim/src/verilate/nicsim.h.
//
// Every Verilated model is wrapped in a class derived from NicsimModel (one per model, in
// the generated shim). The runtime (nicsim_runtime.cpp, linked once into a binary) owns the
// model-independent entry points that Rust calls: error text, delete, tracing. The shim
// exports the per-model ones: new, ports, and eval, edge and tick, which instantiate the
// inline templates below with the Verilated class so that its eval() is called directly
// (they run once or twice per simulated cycle). Verilog $stop/$fatal/$finish/$display are
// routed to the model being evaluated on the calling thread: every entry point makes its
// model's context Verilator's thread context, and the runtime finds the model by that
// context among the models created on the thread (nicsim_active in nicsim_runtime.cpp).
#ifndef NICSIM_H_
#define NICSIM_H_

#include "verilated.h"

#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>
#include <string>

#if VM_TRACE_FST
#include "verilated_fst_c.h"
typedef VerilatedFstC NicsimTrace;
#define NICSIM_TRACE_KIND 2
#elif VM_TRACE_VCD
#include "verilated_vcd_c.h"
typedef VerilatedVcdC NicsimTrace;
#define NICSIM_TRACE_KIND 1
#else
#define NICSIM_TRACE_KIND 0
#endif

// Status of one nicsim_<top>_eval/_tick call (low nibble of its return value).
#define NICSIM_OK 0
#define NICSIM_STOP 1
#define NICSIM_FATAL 2
// Flag or'ed into an eval/tick return value once the model has executed $finish.
#define NICSIM_FINISHED 0x10
// Flag or'ed into nicsim_<top>_tick's return value when its low-phase eval failed (the
// clock edge was then not evaluated).
#define NICSIM_LOW_PHASE 0x20

// Thrown by vl_fatal (Verilator-internal fatal errors, e.g. a combinational loop that does
// not converge) and caught by the extern "C" entry points, so no exception reaches Rust.
struct NicsimFatal {
    std::string msg;
};

class NicsimModel {
public:
    // `reset_seed` seeds the model's initial state (see nicsim_construct_lock): 0 starts
    // every variable at 0, any other value at values drawn from that seed. The model is
    // built with `--x-initial unique`, so Verilator's constructor draws each variable's
    // initial value (VL_RAND_RESET) from the thread context set up here.
    explicit NicsimModel(uint32_t reset_seed);
    virtual ~NicsimModel();
    NicsimModel(const NicsimModel&) = delete;
    NicsimModel& operator=(const NicsimModel&) = delete;

    // Owned; constructed before the derived class constructs the Verilated model.
    VerilatedContext* ctx;
    // Status of the call in progress or last made (NICSIM_OK/STOP/FATAL), and the message of
    // the last failure (valid after a call that failed).
    int status;
    std::string error;
    // NICSIM_FINISHED once $finish has run (sticky), else 0: or'ed into return values.
    int finished;
    // Text printed ($display etc.) during the eval in progress (its tail), used to tell
    // $fatal (message then stop at the same file:line) from a bare $stop.
    std::string log;
#if VM_TRACE
    NicsimTrace* trace;
#endif
    // The next model created on this thread (the runtime's list of live models per thread;
    // a model is created, used and deleted on one thread).
    NicsimModel* next_on_thread;

    virtual void final_model() = 0;
#if VM_TRACE
    virtual void trace_model(NicsimTrace* tfp, int levels) = 0;
#endif
};

// Held by a shim while it constructs a model. Verilator 5.006 draws initial values from a
// thread-local generator that reseeds itself whenever any context's seed changes (a global
// epoch), so a model constructed while another thread sets its seed would restart its draws
// part way; holding this makes a model's initial state a function of its seed alone.
std::mutex& nicsim_construct_lock();

// Records a fatal error (the first one of a call wins). Defined in nicsim_runtime.cpp.
void nicsim_set_fatal(NicsimModel* m, const std::string& msg);

// Makes `m->ctx` Verilator's thread context. Verilator 5.006 does not use a model's own
// context everywhere: scope (de)registration in the model's constructor/destructor, $stop's
// error count, %t formatting, $fopen, plusargs and random initialisation go through
// Verilated::threadContextp(), which is the context constructed last on this thread (or, on
// a thread that never set one, the last one constructed anywhere). With several models on
// one thread, and after a model is deleted, that is the wrong or a dangling context, so every
// entry point makes sure it is this model's (a thread-local compare when it already is).
// With the shim's flags (-fno-extern-tls-init -ftls-model=local-exec, see sim::verilate) the
// check is a thread-local load, a test and a compare.
void nicsim_set_thread_context(VerilatedContext* ctx);  // out of line: rarely needed
inline void nicsim_use_context(NicsimModel* m) {
    if (VL_UNLIKELY(Verilated::threadContextp() != m->ctx)) nicsim_set_thread_context(m->ctx);
}

// Out of line (nicsim_runtime.cpp): forgets the text printed so far.
void nicsim_clear_log(NicsimModel* m);

// Starts an entry point's call: no error yet, no text printed yet. (`error` is only read
// after a call that failed, and such a call has set it, so it need not be cleared here.)
inline void nicsim_begin(NicsimModel* m) {
    m->status = NICSIM_OK;
    if (VL_UNLIKELY(!m->log.empty())) nicsim_clear_log(m);
}

// Called in a `catch (...)` block of an entry point: records the exception being handled
// as a fatal error (so no exception reaches Rust). Defined in nicsim_runtime.cpp.
void nicsim_caught(NicsimModel* m);

// Runs `body` with `m`'s context current, converting any C++ exception into a fatal status.
template <typename F>
inline void nicsim_guarded(NicsimModel* m, F body) {
    nicsim_use_context(m);
    try {
        body();
    } catch (...) {
        nicsim_caught(m);
    }
}

// Return value of an eval/tick entry point: status | flags.
inline int nicsim_result(const NicsimModel* m) {
    return m->status | m->finished;
}

// The eval, edge and tick entry points below run once or twice per simulated cycle, so they
// are written out flat for the compiler to keep them short: no lambdas, and rare work out of
// line (clearing the log, switching contexts, classifying exceptions). Each shim instantiates
// them with its Verilated class V and a policy E whose `static void run(V*)` evaluates the
// model: NicsimEval (V::eval()), or the shim's own copy of V::eval_step() that the compiler
// can inline (see sim::verilate::cpp).

// Evaluates a model through its eval().
struct NicsimEval {
    template <typename V>
    static void run(V* model) {
        model->eval();
    }
};

// One evaluation at simulation time `time` (context already current); a thrown Verilator
// fatal becomes the model's status.
template <typename E, typename V>
inline void nicsim_run(NicsimModel* m, V* model, uint64_t time) {
    m->ctx->time(time);
    try {
        E::run(model);
    } catch (...) {
        nicsim_caught(m);
    }
}

// The per-model eval entry point: evaluates at simulation time `time`.
template <typename E, typename V>
inline int nicsim_eval_model(NicsimModel* m, V* model, uint64_t time) {
    nicsim_begin(m);
    nicsim_use_context(m);
    nicsim_run<E>(m, model, time);
    return nicsim_result(m);
}

// The per-model edge entry point, used when no waveform is written and the low phase is
// settled: sets *clk, evaluates at `edge_time` and clears *clk again.
template <typename E, typename V>
inline int nicsim_edge_model(NicsimModel* m, V* model, CData* clk, uint64_t edge_time) {
    nicsim_begin(m);
    nicsim_use_context(m);
    *clk = 1;
    nicsim_run<E>(m, model, edge_time);
    *clk = 0;
    return nicsim_result(m);
}

// The per-model tick entry point, used when no waveform is written and the low phase is not
// settled yet: evaluates the low phase at `low_time` (and returns its status |
// NICSIM_LOW_PHASE if it is not OK), then does what nicsim_edge_model does. One call per
// clock cycle instead of two.
template <typename E, typename V>
inline int nicsim_tick_model(NicsimModel* m, V* model, CData* clk, uint64_t low_time,
                             uint64_t edge_time) {
    nicsim_begin(m);
    nicsim_use_context(m);
    int phase = NICSIM_LOW_PHASE;
    try {
        m->ctx->time(low_time);
        E::run(model);
        if (VL_LIKELY(m->status == NICSIM_OK)) {
            // Each evaluation matches $stop against its own output only.
            if (VL_UNLIKELY(!m->log.empty())) nicsim_clear_log(m);
            phase = 0;
            *clk = 1;
            m->ctx->time(edge_time);
            E::run(model);
        }
    } catch (...) {
        nicsim_caught(m);
    }
    *clk = 0;
    return nicsim_result(m) | phase;
}

#endif  // NICSIM_H_

// nicsim_runtime.cpp -- model-independent runtime of the `sim` crate's Verilator bridge.
//
// Compiled once per (Verilator version, trace mode) into the static library that also holds
// Verilator's own runtime (verilated.cpp & co.), which is compiled with
//   -DVL_USER_STOP -DVL_USER_FATAL -DVL_USER_FINISH -DVL_PRINTF=nicsim_vl_printf
// so that the functions below replace Verilator's defaults (which print and abort/exit).
//
// Threading: a model is only ever used by one thread at a time (the Rust handle is !Send);
// the model being evaluated is found through a thread-local pointer, so models on different
// threads do not interfere.
#include "nicsim.h"

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <exception>
#include <string>

typedef void (*nicsim_print_fn)(const char* text, size_t len);

namespace {

std::atomic<nicsim_print_fn> g_print{nullptr};
// Keep at most this much of the text printed during one eval.
const size_t kLogMax = 16384;

// The live models created on this thread, most recent first (linked by next_on_thread).
thread_local NicsimModel* t_models = nullptr;

// The model $stop/$fatal/$finish/$display refer to: the one whose context is this thread's
// Verilator context (every entry point makes its model's context that), if it is one of
// this thread's models; none for output of any other context (e.g. of a C++ harness with
// its own VerilatedContext).
NicsimModel* nicsim_active() {
    VerilatedContext* const ctx = Verilated::threadContextp();
    for (NicsimModel* m = t_models; m; m = m->next_on_thread) {
        if (m->ctx == ctx) return m;
    }
    return nullptr;
}

void emit(const std::string& text) {
    if (NicsimModel* const m = nicsim_active()) {
        m->log += text;
        if (m->log.size() > kLogMax) m->log.erase(0, m->log.size() - kLogMax);
    }
    const nicsim_print_fn hook = g_print.load();
    if (hook) {
        hook(text.data(), text.size());
    } else {
        std::fwrite(text.data(), 1, text.size(), stdout);
        std::fflush(stdout);
    }
}

std::string vformat(const char* fmt, va_list ap) {
    va_list aq;
    va_copy(aq, ap);
    const int len = std::vsnprintf(nullptr, 0, fmt, aq);
    va_end(aq);
    if (len <= 0) return std::string{};
    std::string out(static_cast<size_t>(len) + 1, '\0');
    std::vsnprintf(&out[0], out.size(), fmt, ap);
    out.resize(static_cast<size_t>(len));
    return out;
}

std::string location(const char* filename, int linenum) {
    std::string loc = (filename && filename[0]) ? filename : "<unknown>";
    loc += ":";
    loc += std::to_string(linenum);
    loc += ":";
    return loc;
}

}  // namespace

void nicsim_set_fatal(NicsimModel* m, const std::string& msg) {
    if (m->status != NICSIM_FATAL) {
        m->status = NICSIM_FATAL;
        m->error = msg;
    }
}

void nicsim_set_thread_context(VerilatedContext* ctx) { Verilated::threadContextp(ctx); }

std::mutex& nicsim_construct_lock() {
    static std::mutex lock;
    return lock;
}

void nicsim_clear_log(NicsimModel* m) { m->log.clear(); }

void nicsim_caught(NicsimModel* m) {
    try {
        throw;
    } catch (const NicsimFatal& f) {
        nicsim_set_fatal(m, f.msg);
    } catch (const std::exception& e) {
        nicsim_set_fatal(m, std::string{"C++ exception: "} + e.what());
    } catch (...) {
        nicsim_set_fatal(m, "unknown C++ exception");
    }
}

//======================================================================
// Replacements for Verilator's user-overridable functions

int nicsim_vl_printf(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    const std::string out = vformat(fmt, ap);
    va_end(ap);
    emit(out);
    return static_cast<int>(out.size());
}

void vl_finish(const char* filename, int linenum, const char* hier) VL_MT_UNSAFE {
    (void)hier;
    emit("- " + location(filename, linenum) + " Verilog $finish\n");
    if (NicsimModel* const m = nicsim_active()) m->finished = NICSIM_FINISHED;
    Verilated::threadContextp()->gotFinish(true);
}

// Verilator 5.006 lowers `$stop`, `$fatal(...)`, `$error(...)` and failed assertions all to
// VL_STOP_MT(file, line, ""); for all but $stop it first prints
// "[time] %Error: file:line: Assertion failed in ...: <message>" (later Verilator versions
// print "%Fatal:"). A stop whose file:line matches such a line printed during the same eval
// is therefore fatal ($fatal/$error/assert); otherwise it is a plain $stop. vl_stop is not
// [[noreturn]] in 5.006, so it returns and the eval completes (the model stays consistent).
void vl_stop(const char* filename, int linenum, const char* hier) VL_MT_UNSAFE {
    (void)hier;
    const std::string loc = location(filename, linenum);
    NicsimModel* const m = nicsim_active();
    if (!m) {
        emit("%Error: " + loc + " Verilog $stop outside of an evaluation (ignored)\n");
        return;
    }
    size_t best = std::string::npos;
    size_t prefix = 0;
    for (const char* tag : {"%Error: ", "%Fatal: "}) {
        const std::string needle = std::string{tag} + loc;
        const size_t pos = m->log.rfind(needle);
        if (pos != std::string::npos && (best == std::string::npos || pos > best)) {
            best = pos;
            prefix = std::string{tag}.size();
        }
    }
    if (best != std::string::npos) {
        const size_t start = best + prefix;
        size_t end = m->log.find('\n', start);
        if (end == std::string::npos) end = m->log.size();
        nicsim_set_fatal(m, m->log.substr(start, end - start));
    } else if (m->status == NICSIM_OK) {
        m->status = NICSIM_STOP;
        m->error = loc + " Verilog $stop";
    }
}

// Verilator-internal fatal errors ("... region did not converge", $fatal from the runtime):
// Verilator's code may loop forever if this returns, so unwind to the entry point.
void vl_fatal(const char* filename, int linenum, const char* hier, const char* msg) VL_MT_UNSAFE {
    (void)hier;
    throw NicsimFatal{location(filename, linenum) + " " + (msg ? msg : "")};
}

//======================================================================
// NicsimModel

NicsimModel::NicsimModel(uint32_t reset_seed)
    : ctx{new VerilatedContext}
    , status{NICSIM_OK}
    , finished{0}
#if VM_TRACE
    , trace{nullptr}
#endif
    , next_on_thread{t_models}
{
    t_models = this;
    // The derived class constructs the Verilated model next; its scopes register with the
    // thread context (see nicsim_use_context in nicsim.h). VerilatedContext's constructor
    // sets it too, but say so.
    Verilated::threadContextp(ctx);
    // A VerilatedContext defaults to std::thread::hardware_concurrency() threads and starts
    // that many minus one idle worker threads when a model is added. Our models are
    // single-threaded (no --threads), so ask for none.
    ctx->threads(1);
    // Initial values: 0 for seed 0, else random from the seed (Verilator treats seed 0 as
    // "seed from the system clock", which is why 0 means zeros instead).
    ctx->randReset(reset_seed == 0 ? 0 : 2);
    if (reset_seed != 0) ctx->randSeed(static_cast<int>(reset_seed));
#if VM_TRACE
    // Must be set before the Verilated model is constructed.
    ctx->traceEverOn(true);
#endif
}

NicsimModel::~NicsimModel() {
    for (NicsimModel** p = &t_models; *p; p = &(*p)->next_on_thread) {
        if (*p == this) {
            *p = next_on_thread;
            break;
        }
    }
#if VM_TRACE
    delete trace;
#endif
    delete ctx;
}

//======================================================================
// Entry points called from Rust (see sim/src/ffi.rs for the Rust declarations)

extern "C" {

void nicsim_set_print_hook(nicsim_print_fn hook) { g_print.store(hook); }

int nicsim_trace_kind(void) { return NICSIM_TRACE_KIND; }

const char* nicsim_error(NicsimModel* m) { return m->error.c_str(); }

int nicsim_trace_open(NicsimModel* m, const char* path) {
#if VM_TRACE
    nicsim_begin(m);
    if (m->trace) {
        m->error = "a waveform is already open for this model";
        return 1;
    }
    nicsim_guarded(m, [m, path] {
        NicsimTrace* const tfp = new NicsimTrace;
        m->trace_model(tfp, 99);
        tfp->open(path);
        if (!tfp->isOpen()) {
            delete tfp;
            throw NicsimFatal{std::string{"cannot open waveform file "} + path};
        }
        m->trace = tfp;
    });
    return m->status == NICSIM_OK ? 0 : 1;
#else
    (void)path;
    m->error = "waveform tracing is not compiled into this model (build with NICSIM_WAVE=fst or vcd)";
    return -1;
#endif
}

int nicsim_trace_dump(NicsimModel* m, uint64_t time) {
#if VM_TRACE
    if (!m->trace) return 0;
    nicsim_begin(m);
    nicsim_guarded(m, [m, time] { m->trace->dump(time); });
    return m->status == NICSIM_OK ? 0 : 1;
#else
    (void)m;
    (void)time;
    return 0;
#endif
}

void nicsim_trace_close(NicsimModel* m) {
#if VM_TRACE
    if (!m->trace) return;
    nicsim_guarded(m, [m] {
        m->trace->close();
        delete m->trace;
        m->trace = nullptr;
    });
#else
    (void)m;
#endif
}

void nicsim_delete(NicsimModel* m) {
    nicsim_guarded(m, [m] { m->final_model(); });
    nicsim_trace_close(m);
    nicsim_use_context(m);
    try {
        delete m;
    } catch (...) {
        // A destructor that throws leaves nothing to recover; never unwind into Rust.
    }
    // The context is gone: leave no dangling thread (or last-constructed) context behind.
    Verilated::threadContextp(nullptr);
}

}  // extern "C"

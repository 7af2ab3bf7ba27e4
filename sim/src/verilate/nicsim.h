// nicsim.h -- interface between the `sim` crate's runtime and the per-model shims.
//
// Written by sim::verilate into every model and runtime build directory; do not edit
// the copy there, edit sim/src/verilate/nicsim.h.
//
// Every Verilated model is wrapped in a class derived from NicsimModel (one per model, in
// the generated shim). The runtime (nicsim_runtime.cpp, linked once into a binary) owns the
// model-independent entry points that Rust calls: eval, error text, delete, tracing. Verilog
// $stop/$fatal/$finish are routed to the model being evaluated on the calling thread.
#ifndef NICSIM_H_
#define NICSIM_H_

#include "verilated.h"

#include <cstddef>
#include <cstdint>
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

// Status of one nicsim_eval call (low nibble of its return value).
#define NICSIM_OK 0
#define NICSIM_STOP 1
#define NICSIM_FATAL 2
// Flag or'ed into nicsim_eval's return value once the model has executed $finish.
#define NICSIM_FINISHED 0x10

// Thrown by vl_fatal (Verilator-internal fatal errors, e.g. a combinational loop that does
// not converge) and caught by the extern "C" entry points, so no exception reaches Rust.
struct NicsimFatal {
    std::string msg;
};

class NicsimModel {
public:
    NicsimModel();
    virtual ~NicsimModel();
    NicsimModel(const NicsimModel&) = delete;
    NicsimModel& operator=(const NicsimModel&) = delete;

    // Owned; constructed before the derived class constructs the Verilated model.
    VerilatedContext* ctx;
    // Status of the eval in progress (NICSIM_OK/STOP/FATAL) and its message.
    int status;
    std::string error;
    // Set by $finish; sticky.
    bool finished;
    // Text printed ($display etc.) during the eval in progress (its tail), used to tell
    // $fatal (message then stop at the same file:line) from a bare $stop.
    std::string log;
#if VM_TRACE
    NicsimTrace* trace;
#endif

    virtual void eval_model() = 0;
    virtual void final_model() = 0;
#if VM_TRACE
    virtual void trace_model(NicsimTrace* tfp, int levels) = 0;
#endif
};

#endif  // NICSIM_H_

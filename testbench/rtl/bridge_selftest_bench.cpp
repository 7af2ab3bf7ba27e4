// Example of ModelSpec::extra_cpp: a C++ harness compiled into the bridge_selftest model
// library. It drives Vbridge_selftest directly (no FFI call per cycle), as a benchmark
// harness would, and is called from tests/sim_bridge.rs through `extern "C"`.
#include "Vbridge_selftest.h"
#include "verilated.h"

#include <cstdint>

// Resets the model, then for `cycles` cycles drives in64 = i * 0x9e3779b97f4a7c15 and sums
// out64 (= in64 + 1 after each edge). Returns the wrapping sum.
extern "C" uint64_t bridge_selftest_bench(uint64_t cycles) {
    uint64_t sum = 0;
    {
        VerilatedContext ctx;
        ctx.threads(1);  // no idle worker threads (see nicsim_runtime.cpp)
        Vbridge_selftest m{&ctx, "TOP"};
        m.clk = 0;
        m.rst = 1;
        m.eval();
        m.clk = 1;
        m.eval();
        m.clk = 0;
        m.rst = 0;
        for (uint64_t i = 0; i < cycles; ++i) {
            m.in64 = i * 0x9e3779b97f4a7c15ULL;
            m.eval();
            m.clk = 1;
            m.eval();
            m.clk = 0;
            sum += m.out64;
        }
        m.final();
    }
    // The context constructed above became this thread's Verilator context; do not leave a
    // dangling one behind.
    Verilated::threadContextp(nullptr);
    return sum;
}

// C++ half of testbench/benches/sim_speed.rs (linked through ModelSpec::extra_cpp): drives
// Vaxis_register_w512u1 directly, with no FFI call per cycle, doing exactly the per-cycle
// work of the Rust half, so the two checksums match and the cycle rates can be compared.
// Keep the stimulus and the checksum in step with `Stimulus` and `fold` in sim_speed.rs.
#include "Vaxis_register_w512u1.h"
#include "verilated.h"

#include <chrono>
#include <cstdint>

namespace {

inline uint64_t rotl(uint64_t x, unsigned r) { return (x << r) | (x >> ((64 - r) & 63)); }

// One cycle's input values, from a xorshift64 state.
struct Stimulus {
    uint64_t state;

    // Advances the state, writes the 16 tdata words and returns the new state, from which
    // the caller takes tkeep and the control bits.
    uint64_t next(uint32_t (&tdata)[16]) {
        uint64_t r = state;
        r ^= r << 13;
        r ^= r >> 7;
        r ^= r << 17;
        state = r;
        for (unsigned i = 0; i < 8; ++i) {
            const uint64_t d = (r ^ (0x9e3779b97f4a7c15ULL * (i + 1))) * 0xd6e8feb86659fd93ULL;
            tdata[2 * i] = static_cast<uint32_t>(d);
            tdata[2 * i + 1] = static_cast<uint32_t>(d >> 32);
        }
        return r;
    }
};

inline uint64_t fold(uint64_t h, uint64_t v) { return (h ^ v) * 0x100000001b3ULL; }

}  // namespace

// Resets the model, then runs `cycles` cycles of the benchmark loop starting from xorshift
// state `seed` (non-zero). Stores the loop's wall time in *ns and returns the checksum.
extern "C" uint64_t axis_register_w512u1_bench(uint64_t cycles, uint64_t seed, uint64_t* ns) {
    uint64_t h = 0xcbf29ce484222325ULL;
    {
        VerilatedContext ctx;
        ctx.threads(1);  // no idle worker threads (see nicsim_runtime.cpp)
        Vaxis_register_w512u1 m{&ctx, "TOP"};
        m.clk = 0;
        m.rst = 1;
        m.eval();
        m.clk = 1;
        m.eval();
        m.clk = 0;
        m.rst = 0;
        Stimulus stim{seed};
        uint32_t tdata[16];
        const auto start = std::chrono::steady_clock::now();
        for (uint64_t i = 0; i < cycles; ++i) {
            const uint64_t r = stim.next(tdata);
            for (unsigned w = 0; w < 16; ++w) m.s_axis_tdata[w] = tdata[w];
            m.s_axis_tkeep = rotl(r, 32);
            m.s_axis_tvalid = (r >> 59) & 1;
            m.s_axis_tlast = (r >> 60) & 1;
            m.s_axis_tuser = (r >> 61) & 1;
            m.m_axis_tready = (r >> 62) & 1;
            m.eval();
            h = fold(h, static_cast<uint64_t>(m.s_axis_tready)
                            | (static_cast<uint64_t>(m.m_axis_tvalid) << 1));
            uint64_t x = 0;
            for (unsigned w = 0; w < 16; ++w) x ^= rotl(m.m_axis_tdata[w], w);
            h = fold(h, x);
            m.clk = 1;
            m.eval();
            m.clk = 0;
        }
        const auto stop = std::chrono::steady_clock::now();
        *ns = static_cast<uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(stop - start).count());
        m.final();
    }
    // The context constructed above became this thread's Verilator context; do not leave a
    // dangling one behind.
    Verilated::threadContextp(nullptr);
    return h;
}

//! Self-test of the `sim` Verilator bridge against `rtl/bridge_selftest.v`.
//!
//! The model: `outN <= inN + 1` (registered, reset to 0), `comb8 = in8 ^ 0xA5` and
//! `comb1024 = ~in1024` (combinational), a one-deep AXI4-Stream register slice
//! `s_axis` → `m_axis` counting accepted beats in `beats`, and `$fatal` / `$stop` / `$finish`
//! triggers.

use std::panic::{catch_unwind, AssertUnwindSafe};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim::prelude::*;
use sim::TraceMode;
use testbench::models::BridgeSelftest;

fn reset(dut: &BridgeSelftest) {
    dut.rst.set(1);
    dut.tick().unwrap();
    dut.rst.set(0);
}

/// Adds 1 to a little-endian multi-word number (the model's `out1024 = in1024 + 1`).
fn plus_one(words: &[u32]) -> Vec<u32> {
    let mut out = words.to_vec();
    for w in &mut out {
        let (v, carry) = w.overflowing_add(1);
        *w = v;
        if !carry {
            break;
        }
    }
    out
}

/// The panic message of `f`, which must panic.
fn panic_message(f: impl FnOnce()) -> String {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn narrow_ports_every_width_class() {
    let dut = BridgeSelftest::new();
    // Storage classes follow Verilator's: u8 / u16 / u64 (33 and 64 bits).
    let _: &sim::Input<u8> = &dut.in8;
    let _: &sim::Input<u16> = &dut.in16;
    let _: &sim::Input<u64> = &dut.in33;
    let _: &sim::Input<u64> = &dut.in64;
    let _: &sim::Output<u64> = &dut.out33;
    let _: &sim::WideInput = &dut.in1024;
    assert_eq!((dut.in33.width(), dut.in33.name()), (33, "in33"));
    assert_eq!(dut.s_axis.tdata.name(), "s_axis_tdata");
    assert_eq!(dut.s_axis.tdata.words(), 16);

    reset(&dut);
    for (v8, v16, v33, v64) in [
        (0u64, 0u64, 0u64, 0u64),
        (0x7f, 0x1234, 0xffff_ffff, 0xffff_ffff),
        (0xff, 0xffff, (1 << 33) - 1, u64::MAX),
        (0xa5, 0x8000, 1 << 32, u64::MAX - 1),
    ] {
        dut.in8.set(v8);
        dut.in16.set(v16);
        dut.in33.set(v33);
        dut.in64.set(v64);
        assert_eq!(dut.in33.get(), v33, "an input reads back what was set");
        dut.tick().unwrap();
        assert_eq!(dut.out8.get(), (v8 + 1) & 0xff);
        assert_eq!(dut.out16.get(), (v16 + 1) & 0xffff);
        assert_eq!(dut.out33.get(), (v33 + 1) & ((1 << 33) - 1));
        assert_eq!(dut.out64.get(), v64.wrapping_add(1));
    }
    // Bit helpers on narrow ports (the trait methods).
    dut.in33.set(0);
    dut.in33.set_bit(32, true);
    assert_eq!(dut.in33.get(), 1 << 32);
    dut.in33.set_bits(30, 3, 0b101);
    assert_eq!(dut.in33.get(), (1 << 32) | (1 << 30));
    assert_eq!(dut.in33.get_words(), vec![1 << 30, 1]);
    assert_eq!(dut.in33.get_bytes(), vec![0, 0, 0, 0x40, 0x01]);
    dut.tick().unwrap();
    assert_eq!(dut.out33.get_bits(30, 3), 0b101);
    assert!(dut.out33.bit(0));
}

#[test]
fn wide_ports_are_little_endian_words_and_bytes() {
    let dut = BridgeSelftest::new();
    reset(&dut);
    let _: &sim::WideOutput = &dut.out1024;

    // A carry out of word 0 lands in word 1: word 0 holds bits 31:0.
    let mut words = vec![0u32; 32];
    words[0] = u32::MAX;
    dut.in1024.set_words(&words);
    dut.tick().unwrap();
    let out = dut.out1024.get_words();
    assert_eq!(out.len(), 32);
    assert_eq!((out[0], out[1]), (0, 1));
    assert!(out[2..].iter().all(|&w| w == 0));
    assert_eq!(dut.out1024.word(1), 1);
    assert!(dut.out1024.bit(32) && !dut.out1024.bit(0));

    // Bytes: byte 0 = bits 7:0 (AXI-Stream lane order).
    let mut bytes = vec![0u8; 128];
    bytes[0] = 0x01;
    bytes[5] = 0x77;
    bytes[127] = 0x80;
    dut.in1024.set_bytes(&bytes);
    assert_eq!(dut.in1024.word(0), 0x01);
    assert_eq!(dut.in1024.word(1), 0x7700);
    assert_eq!(dut.in1024.word(31), 0x8000_0000);
    assert!(dut.in1024.bit(1023));
    dut.eval().unwrap();
    let inverted = dut.comb1024.get_bytes();
    assert_eq!(inverted.len(), 128);
    assert_eq!(
        (inverted[0], inverted[5], inverted[127]),
        (0xfe, 0x88, 0x7f)
    );
    assert_eq!(inverted[1], 0xff);

    // A shorter byte slice is zero-extended.
    dut.in1024.set_bytes(&[0xff; 4]);
    dut.tick().unwrap();
    let out = dut.out1024.get_bytes();
    assert_eq!(&out[..6], &[0, 0, 0, 0, 1, 0]);

    // Fields across a word boundary.
    dut.in1024.clear();
    dut.in1024.set_bits(28, 8, 0xab);
    assert_eq!(dut.in1024.word(1), 0xa);
    assert_eq!(dut.in1024.word(0), 0xb000_0000);
    assert_eq!(dut.in1024.get_bits(28, 8), 0xab);
    dut.in1024.set_bits(1000, 24, 0xc0ffee);
    assert_eq!(dut.in1024.word(31), 0xc0ff_ee00);
    assert_eq!(dut.in1024.get_bits(992, 32), 0xc0ff_ee00);
    dut.eval().unwrap();
    assert_eq!(dut.comb1024.get_bits(28, 8), 0x54);
    assert_eq!(dut.comb1024.get_bits(1000, 24), 0x3f0011);

    // Random values: out = in + 1 as a 1024-bit little-endian number, all ones wraps.
    let mut rng = ChaCha8Rng::seed_from_u64(0x5eed);
    for i in 0..200 {
        let mut words: Vec<u32> = (0..32).map(|_| rng.gen()).collect();
        if i % 4 == 0 {
            // Long carry chains.
            let n = rng.gen_range(0..32);
            words[..n].iter_mut().for_each(|w| *w = u32::MAX);
        }
        if i == 1 {
            words = vec![u32::MAX; 32];
        }
        dut.in1024.set_words(&words);
        dut.tick().unwrap();
        assert_eq!(dut.out1024.get_words(), plus_one(&words), "value {i}");
        let inv: Vec<u32> = words.iter().map(|w| !w).collect();
        assert_eq!(dut.comb1024.get_words(), inv, "value {i}");
    }
    assert!(dut.out1024.is_zero() || dut.cycle() > 0);
}

#[test]
fn out_of_range_values_panic_naming_the_port() {
    let dut = BridgeSelftest::new();
    let msg = panic_message(|| dut.in8.set(0x100));
    assert!(msg.contains("`in8`") && msg.contains("0x100"), "{msg}");
    let msg = panic_message(|| dut.rst.set(2));
    assert!(msg.contains("`rst`"), "{msg}");
    let msg = panic_message(|| dut.in33.set(1 << 33));
    assert!(msg.contains("33-bit port `in33`"), "{msg}");
    let msg = panic_message(|| dut.in16.set(0x1_0000));
    assert!(msg.contains("`in16`"), "{msg}");
    let msg = panic_message(|| dut.in1024.set_words(&[0; 33]));
    assert!(msg.contains("`in1024`"), "{msg}");
    let msg = panic_message(|| dut.s_axis.tdata.set_bytes(&[0; 65]));
    assert!(msg.contains("`s_axis_tdata`"), "{msg}");
    let msg = panic_message(|| dut.s_axis.tdata.set_bits(510, 4, 0));
    assert!(msg.contains("`s_axis_tdata`"), "{msg}");
    let msg = panic_message(|| dut.in8.set_bits(0, 4, 0x10));
    assert!(msg.contains("`in8`"), "{msg}");
    // Nothing was written by the failed calls.
    assert_eq!(dut.in8.get(), 0);
    assert!(dut.in1024.is_zero());
    // The largest values that fit are accepted.
    dut.in8.set(0xff);
    dut.in33.set((1 << 33) - 1);
    dut.in64.set(u64::MAX);
    dut.s_axis.tkeep.set(u64::MAX);
    dut.in1024.set_words(&[u32::MAX; 32]);
}

#[test]
#[should_panic(expected = "does not fit 1-bit port `s_axis_tvalid`")]
fn set_panics_on_a_grouped_port() {
    let dut = BridgeSelftest::new();
    dut.s_axis.tvalid.set(3);
}

#[test]
fn registered_and_combinational_timing() {
    let dut = BridgeSelftest::new();
    reset(&dut);
    assert_eq!(dut.cycle(), 1);
    dut.eval().unwrap();
    assert_eq!(dut.out8.get(), 0);
    assert_eq!(dut.comb8.get(), 0xa5);

    // Setting an input changes nothing until the model is evaluated.
    dut.in8.set(5);
    assert_eq!(dut.comb8.get(), 0xa5);
    dut.eval().unwrap();
    assert_eq!(
        dut.comb8.get(),
        5 ^ 0xa5,
        "combinational output follows at eval"
    );
    assert_eq!(dut.out8.get(), 0, "registered output waits for the edge");
    dut.eval().unwrap();
    assert_eq!(dut.out8.get(), 0, "eval never clocks");
    assert_eq!(dut.cycle(), 1);

    dut.tick().unwrap();
    assert_eq!(dut.out8.get(), 6);
    assert_eq!(dut.cycle(), 2);

    // Inputs set right before tick() (no eval) are sampled at that edge.
    dut.in8.set(7);
    dut.tick().unwrap();
    assert_eq!(dut.out8.get(), 8);
    assert_eq!(
        dut.comb8.get(),
        7 ^ 0xa5,
        "tick settles combinational outputs too"
    );

    // Back-to-back ticks each produce an edge.
    dut.in8.set(20);
    dut.ticks(3).unwrap();
    assert_eq!(dut.out8.get(), 21);
    assert_eq!(dut.cycle(), 6);

    // AXI-Stream register slice: tready depends combinationally on m_axis.tready.
    dut.m_axis.tready.set(0);
    dut.s_axis.tvalid.set(1);
    dut.s_axis.tlast.set(1);
    dut.s_axis.tkeep.set(0xffff_0000_0000_ffff);
    let beat: Vec<u8> = (0..64).collect();
    dut.s_axis.tdata.set_bytes(&beat);
    dut.eval().unwrap();
    assert!(dut.s_axis.tready.get_bool(), "empty slice is ready");
    assert!(!dut.m_axis.tvalid.get_bool());
    dut.tick().unwrap();
    assert_eq!(dut.beats.get(), 1);
    assert!(dut.m_axis.tvalid.get_bool());
    assert_eq!(dut.m_axis.tdata.get_bytes(), beat);
    assert_eq!(dut.m_axis.tkeep.get(), 0xffff_0000_0000_ffff);
    assert_eq!(dut.m_axis.tlast.get(), 1);
    assert!(!dut.s_axis.tready.get_bool(), "full slice, sink not ready");
    dut.m_axis.tready.set(1);
    assert!(!dut.s_axis.tready.get_bool(), "not re-evaluated yet");
    dut.eval().unwrap();
    assert!(
        dut.s_axis.tready.get_bool(),
        "ready follows m_axis.tready at eval"
    );
    dut.s_axis.tvalid.set(0);
    dut.tick().unwrap();
    assert!(!dut.m_axis.tvalid.get_bool());
    assert_eq!(dut.beats.get(), 1);

    // tick_until evaluates before checking and counts the ticks it took.
    dut.in8.set(0x40);
    let n = dut.tick_until(10, |d| d.out8.get() == 0x41).unwrap();
    assert_eq!(n, 1);
    let err = dut.tick_until(3, |d| d.out8.get() == 0).unwrap_err();
    assert_eq!(
        err,
        SimError::Timeout {
            top: "bridge_selftest",
            cycles: 3
        }
    );
}

#[test]
fn random_axis_stream_through_the_register_slice() {
    let dut = BridgeSelftest::new();
    reset(&dut);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let beats: Vec<Vec<u8>> = (0..300)
        .map(|_| (0..64).map(|_| rng.gen()).collect())
        .collect();
    let mut sent = 0;
    let mut received = Vec::new();
    for _ in 0..5000 {
        if received.len() == beats.len() {
            break;
        }
        let valid = sent < beats.len() && rng.gen_bool(0.7);
        dut.s_axis.tvalid.set_bool(valid);
        if valid {
            dut.s_axis.tdata.set_bytes(&beats[sent]);
            dut.s_axis.tlast.set_bool(sent % 7 == 6);
        }
        dut.m_axis.tready.set_bool(rng.gen_bool(0.6));
        dut.eval().unwrap();
        let accept_in = valid && dut.s_axis.tready.get_bool();
        if dut.m_axis.tvalid.get_bool() && dut.m_axis.tready.get_bool() {
            received.push((dut.m_axis.tdata.get_bytes(), dut.m_axis.tlast.get_bool()));
        }
        dut.tick().unwrap();
        if accept_in {
            sent += 1;
        }
    }
    assert_eq!(received.len(), beats.len());
    for (i, (data, last)) in received.iter().enumerate() {
        assert_eq!(data, &beats[i], "beat {i}");
        assert_eq!(*last, i % 7 == 6, "tlast of beat {i}");
    }
    assert_eq!(dut.beats.get(), beats.len() as u64);
}

#[test]
fn fatal_is_an_error_and_the_process_survives() {
    let dut = BridgeSelftest::new();
    reset(&dut);
    dut.in8.set(42);
    dut.fatal_trigger.set(1);
    dut.eval().unwrap(); // $fatal is in the clocked block: no edge, no error.
    let err = dut.tick().unwrap_err();
    let SimError::Fatal { msg } = &err else {
        panic!("expected Fatal, got {err:?}");
    };
    assert!(msg.contains("bridge_selftest"), "{msg}");
    assert!(msg.contains("bridge_selftest.v:"), "{msg}");
    assert!(msg.contains("fatal_trigger set (in8=42)"), "{msg}");
    // The instance is dead: every later call reports the same error.
    dut.fatal_trigger.set(0);
    assert_eq!(dut.eval().unwrap_err(), err);
    assert_eq!(dut.tick().unwrap_err(), err);
    drop(dut);

    // A new instance works.
    let dut = BridgeSelftest::new();
    reset(&dut);
    dut.in8.set(1);
    dut.tick().unwrap();
    assert_eq!(dut.out8.get(), 2);
}

#[test]
fn stop_is_an_error_and_the_model_can_go_on() {
    let dut = BridgeSelftest::new();
    reset(&dut);
    dut.in8.set(3);
    dut.stop_trigger.set(1);
    let err = dut.eval().unwrap_err();
    let SimError::Stop { msg } = &err else {
        panic!("expected Stop, got {err:?}");
    };
    assert!(msg.contains("bridge_selftest.v:"), "{msg}");
    assert!(msg.contains("$stop"), "{msg}");
    dut.stop_trigger.set(0);
    dut.eval().unwrap();
    dut.tick().unwrap();
    assert_eq!(dut.out8.get(), 4, "the model still works after $stop");

    // A $stop during tick()'s own low-phase evaluation is reported by tick().
    dut.stop_trigger.set(1);
    assert!(matches!(dut.tick(), Err(SimError::Stop { .. })));
    dut.stop_trigger.set(0);
    dut.in8.set(9);
    dut.tick().unwrap();
    assert_eq!(dut.out8.get(), 10);

    let other = BridgeSelftest::new();
    reset(&other);
    other.tick().unwrap();
}

#[test]
fn finish_ends_the_simulation() {
    let dut = BridgeSelftest::new();
    reset(&dut);
    assert!(!dut.finished());
    dut.finish_trigger.set(1);
    dut.tick().unwrap();
    assert!(dut.finished());
    assert_eq!(dut.tick().unwrap_err(), SimError::Finished);
    assert_eq!(dut.eval().unwrap_err(), SimError::Finished);
}

#[test]
fn models_on_several_threads_are_independent() {
    let handles: Vec<_> = (0..4u64)
        .map(|t| {
            std::thread::spawn(move || {
                let dut = BridgeSelftest::new();
                reset(&dut);
                let mut rng = ChaCha8Rng::seed_from_u64(t);
                for i in 0..2000 {
                    if t == 0 && i == 1000 {
                        // One thread's fatal error must not disturb the others.
                        dut.fatal_trigger.set(1);
                        assert!(matches!(dut.tick(), Err(SimError::Fatal { .. })));
                        return t;
                    }
                    let v: u64 = rng.gen();
                    dut.in64.set(v);
                    dut.tick().unwrap();
                    assert_eq!(dut.out64.get(), v.wrapping_add(1));
                }
                t
            })
        })
        .collect();
    for (t, h) in handles.into_iter().enumerate() {
        assert_eq!(h.join().unwrap(), t as u64);
    }
}

/// The clock toggles in a VCD: high at 10n+5, low at 10n (see `sim::TIME_PER_CYCLE`).
fn check_vcd_clock(vcd: &str) {
    let id = vcd
        .lines()
        .find(|l| l.trim_start().starts_with("$var") && l.ends_with(" clk $end"))
        .and_then(|l| l.split_whitespace().nth(3))
        .expect("clk in the VCD");
    let mut time = 0u64;
    let mut edges = Vec::new();
    for line in vcd.lines() {
        if let Some(t) = line.strip_prefix('#') {
            time = t.parse().unwrap();
        } else if line == format!("1{id}") {
            edges.push((time, 1));
        } else if line == format!("0{id}") {
            edges.push((time, 0));
        }
    }
    assert!(edges.len() >= 8, "clock edges in the VCD: {edges:?}");
    for (t, v) in edges {
        assert_eq!(t % 10, if v == 1 { 5 } else { 0 }, "clk={v} at time {t}");
    }
}

#[test]
fn waveforms_follow_the_build_mode() {
    let dut = BridgeSelftest::new();
    let trace = dut.core().desc().trace;
    let dir = std::env::temp_dir().join(format!("nicsim-wave-test-{}", std::process::id()));
    let path = dir.join("selftest.wave");
    let traced = BridgeSelftest::new_traced(&path);
    match trace {
        TraceMode::Off => {
            assert!(dut.wave_path().is_none());
            assert!(matches!(traced, Err(SimError::Trace { .. })));
        }
        TraceMode::Vcd | TraceMode::Fst => {
            // Built with NICSIM_WAVE: `new()` writes a waveform on its own as well.
            assert!(dut.wave_path().is_some_and(|p| p.exists()));
            let traced = traced.unwrap();
            reset(&traced);
            traced.in8.set(1);
            traced.ticks(4).unwrap();
            drop(traced);
            let len = std::fs::metadata(&path).unwrap().len();
            assert!(len > 100, "waveform {} has {len} bytes", path.display());
            if trace == TraceMode::Vcd {
                check_vcd_clock(&std::fs::read_to_string(&path).unwrap());
            }
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
}

#[test]
fn several_models_on_one_thread() {
    // Verilator 5.006 keeps a per-thread "current context"; creating and deleting models in
    // any order on one thread must not leave a model using another's (deleted) context.
    let a = BridgeSelftest::new();
    let b = BridgeSelftest::new();
    reset(&a);
    reset(&b);
    drop(b);
    a.in8.set(1);
    a.tick().unwrap();
    assert_eq!(a.out8.get(), 2);
    let c = BridgeSelftest::new();
    a.stop_trigger.set(1);
    assert!(matches!(a.eval(), Err(SimError::Stop { .. })));
    a.stop_trigger.set(0);
    reset(&c);
    c.fatal_trigger.set(1);
    assert!(matches!(c.tick(), Err(SimError::Fatal { .. })));
    a.tick().unwrap();
    assert_eq!(a.out8.get(), 2);
    drop(a);
    c.fatal_trigger.set(0);
    assert!(matches!(c.eval(), Err(SimError::Fatal { .. })));
    drop(c);
    let d = BridgeSelftest::new();
    reset(&d);
    d.tick().unwrap();
    assert_eq!(d.out8.get(), 1);
}

/// Threads of this process whose name is this thread's (threads inherit their creator's).
fn threads_named_like_me() -> usize {
    let me = std::fs::read_to_string("/proc/thread-self/comm").unwrap();
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .flatten()
        .filter(|t| {
            std::fs::read_to_string(t.path().join("comm"))
                .ok()
                .as_deref()
                == Some(&me)
        })
        .count()
}

#[test]
fn models_start_no_worker_threads() {
    // A VerilatedContext defaults to one thread per CPU and starts idle workers for every
    // model; single-threaded models must not.
    let before = threads_named_like_me();
    let models: Vec<BridgeSelftest> = (0..8).map(|_| BridgeSelftest::new()).collect();
    for m in &models {
        m.tick().unwrap();
    }
    assert_eq!(threads_named_like_me(), before);
}

unsafe extern "C" {
    /// testbench/rtl/bridge_selftest_bench.cpp, linked through `ModelSpec::extra_cpp`.
    fn bridge_selftest_bench(cycles: u64) -> u64;
}

#[test]
fn extra_cpp_is_linked_with_the_model() {
    let expected = (0..5000u64)
        .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15).wrapping_add(1))
        .fold(0u64, u64::wrapping_add);
    // SAFETY: plain C function without pointer arguments.
    assert_eq!(unsafe { bridge_selftest_bench(5000) }, expected);
    // The harness's own VerilatedContext does not disturb handles created afterwards.
    let dut = BridgeSelftest::new();
    reset(&dut);
    dut.in64.set(41);
    dut.tick().unwrap();
    assert_eq!(dut.out64.get(), 42);
}

//! Driving frames into a tap-style block (always ready, one report per frame, in order) and
//! pairing each frame with its report and the report's latency after the frame's last beat.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sim::axis::{frame_to_beats, AxisIn};
use sim::{Model, PortWrite};

/// A frame to send: its bytes, the MAC's bad-frame flag (`tuser` on the last beat), and the
/// probability of an idle cycle before each of its beats.
pub struct Frame {
    pub bytes: Vec<u8>,
    pub bad: bool,
    pub gaps: f64,
}

/// One frame with what the block said about it.
pub struct Reported<T> {
    pub bytes: Vec<u8>,
    pub bad: bool,
    pub report: T,
    /// Cycles from the frame's last beat to its report.
    pub latency: u64,
}

/// Resets `dut` (through `rst`), sends `frames` on `s` (unkept lanes and idle cycles carry
/// junk) and calls `sample` after every evaluation; a `Some` is the next frame's report.
/// Runs `drain` idle cycles at the end and checks every frame got exactly one report.
pub fn run_frames<T>(
    dut: &dyn Model,
    rst: &dyn PortWrite,
    s: &AxisIn,
    rng: &mut ChaCha8Rng,
    frames: impl IntoIterator<Item = Frame>,
    drain: u64,
    mut sample: impl FnMut() -> Option<T>,
) -> Vec<Reported<T>> {
    rst.set_bit(0, true);
    s.idle();
    dut.tick().unwrap();
    rst.set_bit(0, false);
    let (mut sent, mut got, mut cycle) = (Vec::new(), Vec::new(), 0u64);
    let mut step = |got: &mut Vec<(T, u64)>, cycle: &mut u64| {
        dut.eval().unwrap();
        if let Some(r) = sample() {
            got.push((r, *cycle));
        }
        dut.tick().unwrap();
        *cycle += 1;
    };
    for f in frames {
        for b in frame_to_beats(&f.bytes, s.lanes(), f.bad as u64) {
            while rng.gen_bool(f.gaps) {
                s.idle_with(&b.with_unkept(rng.gen()));
                step(&mut got, &mut cycle);
            }
            s.drive(&b.with_unkept(rng.gen()));
            if b.last {
                sent.push((f.bytes.clone(), f.bad, cycle));
            }
            step(&mut got, &mut cycle);
        }
    }
    s.idle();
    for _ in 0..drain {
        step(&mut got, &mut cycle);
    }
    assert_eq!(got.len(), sent.len(), "one report per frame");
    sent.into_iter()
        .zip(got)
        .map(|((bytes, bad, last), (report, at))| Reported {
            bytes,
            bad,
            report,
            latency: at - last,
        })
        .collect()
}

//! AXI4-Stream for any bus width from 8 to 512 bits: beats, frames as beats, and views of a
//! model's stream bundle that drive or sample one beat at a time.
//!
//! * [`Beat`]: one transfer: the lane bytes (lane 0 = `tdata[7:0]`), `tkeep` as a `u64`
//!   (bit `i` = lane `i`, so up to 64 lanes), `tlast` and `tuser` (up to 64 bits; 0 on a
//!   bundle without `tuser`).
//! * [`frame_to_beats`] / [`beats_to_frame`]: a frame's bytes as packed beats and back.
//! * [`AxisIn`]: the ports of a stream *into* a model (`s_axis_*`), built with
//!   [`axis_in!`](crate::axis_in); [`AxisOut`]: a stream *out of* a model (`m_axis_*`),
//!   built with [`axis_out!`](crate::axis_out). Both ([`Axis`]) hold `&dyn` ports, so one
//!   testbench function serves every width of a block:
//!
//! ```ignore
//! use sim::prelude::*;
//! let dut = AxisRegisterW512u1::new();
//! let (s, m) = (axis_in!(dut.s_axis), axis_out!(dut.m_axis));
//! m.set_ready(true);
//! let mut out: Vec<Beat> = Vec::new();
//! for beat in sim::axis::frame_to_beats(&frame, s.lanes(), 0) {
//!     s.drive(&beat);                  // tdata, tkeep, tlast, tuser; tvalid = 1
//!     loop {
//!         dut.eval()?;
//!         let taken = s.fires();       // tvalid && tready: taken at the coming edge
//!         if m.fires() {
//!             out.push(m.beat());
//!         }
//!         dut.tick()?;
//!         if taken {
//!             break;
//!         }
//!     }
//! }
//! s.idle();                            // tvalid = 0; idle_with(&junk) also sets the rest
//! // ... more cycles until the last beat has come out, then
//! assert_eq!(sim::axis::beats_to_frame(&out), frame);
//! ```
//!
//! A bundle without `tuser` (e.g. a checksum engine's input) is viewed with
//! `axis_in!(dut.s_axis, no_tuser)`; driving a beat with a nonzero `user` into it panics.

use crate::ports::{PortRead, PortWrite};

/// Most lanes (bytes of `tdata`) a [`Beat`] describes: a 512-bit bus.
pub const MAX_LANES: usize = 64;

/// One AXI4-Stream transfer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Beat {
    /// Lane bytes, lane 0 (`tdata[7:0]`) first; normally one per lane. Lanes past the end
    /// are zero (driving a short `data` zero-extends it).
    pub data: Vec<u8>,
    /// `tkeep`: bit `i` set = lane `i` holds a byte of the frame.
    pub keep: u64,
    /// `tlast`: the frame's final beat.
    pub last: bool,
    /// `tuser` (0 on a bundle without one).
    pub user: u64,
}

impl Beat {
    /// The bytes of the kept lanes, in lane order (holes in `keep` skipped).
    pub fn kept_bytes(&self) -> impl Iterator<Item = u8> + '_ {
        (0..MAX_LANES)
            .filter(|&i| (self.keep >> i) & 1 == 1)
            .map(|i| self.data.get(i).copied().unwrap_or(0))
    }

    /// A copy with every lane of `data` whose `keep` bit is clear set to `fill`: with 0, to
    /// compare beats whose unkept lanes may differ; with junk, to drive a beat whose unkept
    /// lanes the receiver must ignore.
    pub fn with_unkept(&self, fill: u8) -> Beat {
        let mut b = self.clone();
        for (i, d) in b.data.iter_mut().enumerate() {
            if i >= MAX_LANES || (self.keep >> i) & 1 == 0 {
                *d = fill;
            }
        }
        b
    }
}

/// `tkeep` with the lowest `n` lanes set (`n` ≤ 64).
#[track_caller]
pub fn keep_mask(n: usize) -> u64 {
    assert!(
        n <= MAX_LANES,
        "{n} lanes: a keep mask holds at most {MAX_LANES}"
    );
    match n {
        MAX_LANES => u64::MAX,
        _ => (1 << n) - 1,
    }
}

/// `bytes` as packed beats of `lanes` lanes: every beat full but the last, whose `keep`
/// covers its bytes from lane 0; `data` is zero past the frame's end. The last beat has
/// `tlast` and `user = user_on_last`, the others `user = 0`. An empty frame is one beat with
/// `keep` 0.
#[track_caller]
pub fn frame_to_beats(bytes: &[u8], lanes: usize, user_on_last: u64) -> Vec<Beat> {
    assert!(
        (1..=MAX_LANES).contains(&lanes),
        "{lanes} lanes: a beat has 1 to {MAX_LANES}"
    );
    let beat = |chunk: &[u8]| {
        let mut data = chunk.to_vec();
        data.resize(lanes, 0);
        Beat {
            data,
            keep: keep_mask(chunk.len()),
            last: false,
            user: 0,
        }
    };
    let mut beats: Vec<Beat> = bytes.chunks(lanes).map(beat).collect();
    if beats.is_empty() {
        beats.push(beat(&[]));
    }
    let end = beats.last_mut().expect("at least one beat");
    end.last = true;
    end.user = user_on_last;
    beats
}

/// The bytes of the kept lanes of `beats`, in order (see [`Beat::kept_bytes`]); `tlast` and
/// `tuser` are not looked at.
pub fn beats_to_frame(beats: &[Beat]) -> Vec<u8> {
    beats.iter().flat_map(Beat::kept_bytes).collect()
}

/// The ports of one AXI4-Stream bundle of a model: `tdata`, `tkeep`, `tvalid`, `tlast` and
/// `tuser` are `&D`, `tready` (which runs the other way) is `&R`. Used as [`AxisIn`] (the
/// model is the sink) or [`AxisOut`] (the model is the source); built by
/// [`axis_in!`](crate::axis_in) / [`axis_out!`](crate::axis_out).
pub struct Axis<'a, D: ?Sized, R: ?Sized> {
    /// `tdata`.
    pub tdata: &'a D,
    /// `tkeep`.
    pub tkeep: &'a D,
    /// `tvalid`.
    pub tvalid: &'a D,
    /// `tlast`.
    pub tlast: &'a D,
    /// `tuser`, if the bundle has one.
    pub tuser: Option<&'a D>,
    /// `tready`.
    pub tready: &'a R,
    lanes: usize,
}

/// A stream into a model: the testbench drives beats, the model drives `tready`.
pub type AxisIn<'a> = Axis<'a, dyn PortWrite + 'a, dyn PortRead + 'a>;

/// A stream out of a model: the model drives beats, the testbench drives `tready`.
pub type AxisOut<'a> = Axis<'a, dyn PortRead + 'a, dyn PortWrite + 'a>;

impl<D: ?Sized, R: ?Sized> Clone for Axis<'_, D, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<D: ?Sized, R: ?Sized> Copy for Axis<'_, D, R> {}

impl<'a, D: PortRead + ?Sized, R: PortRead + ?Sized> Axis<'a, D, R> {
    /// A view of these ports; panics unless `tkeep` has a bit per byte of `tdata` (8 to 512
    /// bits), `tvalid`, `tlast` and `tready` are 1 bit and `tuser` at most 64.
    #[track_caller]
    pub fn new(
        tdata: &'a D,
        tkeep: &'a D,
        tvalid: &'a D,
        tlast: &'a D,
        tuser: Option<&'a D>,
        tready: &'a R,
    ) -> Self {
        let w = tdata.width() as usize;
        assert!(
            w % 8 == 0 && (8..=8 * MAX_LANES).contains(&w),
            "`{}`: {w} bits is not 1 to {MAX_LANES} bytes",
            tdata.name()
        );
        assert_eq!(
            tkeep.width() as usize,
            w / 8,
            "`{}` must have a bit per byte of `{}`",
            tkeep.name(),
            tdata.name()
        );
        for (name, width) in [tvalid, tlast].map(|p| (p.name(), p.width())) {
            assert_eq!(width, 1, "`{name}` must be 1 bit");
        }
        assert_eq!(tready.width(), 1, "`{}` must be 1 bit", tready.name());
        if let Some(u) = tuser {
            assert!(u.width() <= 64, "`{}`: at most 64 bits", u.name());
        }
        Axis {
            tdata,
            tkeep,
            tvalid,
            tlast,
            tuser,
            tready,
            lanes: w / 8,
        }
    }

    /// Bytes per beat (`tdata` width / 8).
    pub fn lanes(&self) -> usize {
        self.lanes
    }

    /// `tvalid`.
    pub fn valid(&self) -> bool {
        self.tvalid.bit(0)
    }

    /// `tready`.
    pub fn ready(&self) -> bool {
        self.tready.bit(0)
    }

    /// `tvalid && tready`: the beat on the bus is taken at the coming clock edge (once
    /// `eval()` has settled the model's side).
    pub fn fires(&self) -> bool {
        self.valid() && self.ready()
    }
}

impl AxisIn<'_> {
    /// Offers `beat`: sets `tdata`, `tkeep`, `tlast`, `tuser` and raises `tvalid`. Panics if
    /// `data` has more bytes than lanes, `keep` bits above the lanes, or `user` does not fit
    /// `tuser` (any nonzero `user` without a `tuser` port).
    #[track_caller]
    pub fn drive(&self, beat: &Beat) {
        self.drive_parts(&beat.data, beat.keep, beat.last, beat.user);
    }

    /// [`drive`](Self::drive) from the parts of a beat, without building one.
    #[track_caller]
    pub fn drive_parts(&self, data: &[u8], keep: u64, last: bool, user: u64) {
        self.put(data, keep, last, user);
        self.tvalid.set_bit(0, true);
    }

    /// Lowers `tvalid`; the other lines keep their values.
    pub fn idle(&self) {
        self.tvalid.set_bit(0, false);
    }

    /// Lowers `tvalid` and puts `junk` on the other lines, which the model must ignore.
    #[track_caller]
    pub fn idle_with(&self, junk: &Beat) {
        self.put(&junk.data, junk.keep, junk.last, junk.user);
        self.tvalid.set_bit(0, false);
    }

    #[track_caller]
    fn put(&self, data: &[u8], keep: u64, last: bool, user: u64) {
        self.tdata.set_bytes(data);
        self.tkeep.set_bits(0, self.lanes as u32, keep);
        self.tlast.set_bit(0, last);
        match self.tuser {
            Some(u) => u.set_bits(0, u.width(), user),
            None => assert!(
                user == 0,
                "`{}`: tuser {user:#x} on a bundle without tuser",
                self.tdata.name()
            ),
        }
    }
}

impl AxisOut<'_> {
    /// Sets `tready`.
    pub fn set_ready(&self, ready: bool) {
        self.tready.set_bit(0, ready);
    }

    /// The beat on the bus (every lane of `tdata`, whether `tvalid` is set or not).
    pub fn beat(&self) -> Beat {
        Beat {
            data: self.tdata.get_bytes(),
            keep: self.tkeep.get_bits(0, self.lanes as u32),
            last: self.tlast.bit(0),
            user: self.tuser.map_or(0, |u| u.get_bits(0, u.width())),
        }
    }
}

/// An [`AxisIn`] over a model's input stream bundle: `axis_in!(dut.s_axis)`, or
/// `axis_in!(dut.s_axis, no_tuser)` for a bundle without `tuser`.
#[macro_export]
macro_rules! axis_in {
    ($bundle:expr $(, $no_tuser:ident)?) => {
        $crate::__axis_view!(AxisIn, $bundle $(, $no_tuser)?)
    };
}

/// An [`AxisOut`] over a model's output stream bundle: `axis_out!(dut.m_axis)`, or
/// `axis_out!(dut.m_axis, no_tuser)` for a bundle without `tuser`.
#[macro_export]
macro_rules! axis_out {
    ($bundle:expr $(, $no_tuser:ident)?) => {
        $crate::__axis_view!(AxisOut, $bundle $(, $no_tuser)?)
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __axis_view {
    ($view:ident, $bundle:expr $(, $no_tuser:ident)?) => {{
        let b = &$bundle;
        $crate::axis::$view::new(
            &b.tdata,
            &b.tkeep,
            &b.tvalid,
            &b.tlast,
            $crate::__axis_tuser!(b $(, $no_tuser)?),
            &b.tready,
        )
    }};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __axis_tuser {
    ($b:ident) => {
        ::std::option::Option::Some(&$b.tuser)
    };
    ($b:ident, no_tuser) => {
        ::std::option::Option::None
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{Input, Output, WideInput, WideOutput};
    use std::ffi::c_void;
    use std::panic::AssertUnwindSafe;
    use std::ptr::addr_of_mut;

    #[test]
    fn frames_pack_into_beats_and_back() {
        let frame: Vec<u8> = (1..=10).collect();
        let beats = frame_to_beats(&frame, 4, 1);
        assert_eq!(beats.len(), 3);
        assert_eq!(beats[0].data, [1, 2, 3, 4]);
        assert_eq!(
            (beats[0].keep, beats[0].last, beats[0].user),
            (0xf, false, 0)
        );
        assert_eq!(beats[2].data, [9, 10, 0, 0]);
        assert_eq!(
            (beats[2].keep, beats[2].last, beats[2].user),
            (0x3, true, 1)
        );
        assert_eq!(beats_to_frame(&beats), frame);

        let empty = frame_to_beats(&[], 64, 0);
        assert_eq!(empty.len(), 1);
        assert_eq!((empty[0].keep, empty[0].last), (0, true));
        assert!(beats_to_frame(&empty).is_empty());

        let wide = frame_to_beats(&[7; 130], 64, 0);
        assert_eq!(
            wide.iter().map(|b| b.keep).collect::<Vec<_>>(),
            [u64::MAX, u64::MAX, 3]
        );
        assert_eq!(beats_to_frame(&wide), [7; 130]);
        assert_eq!(frame_to_beats(&[5], 1, 0)[0].data, [5]);
    }

    #[test]
    fn holes_in_keep_and_unkept_lanes() {
        let b = Beat {
            data: vec![1, 2, 3, 4],
            keep: 0b1010,
            last: true,
            user: 0,
        };
        assert_eq!(beats_to_frame(std::slice::from_ref(&b)), [2, 4]);
        assert_eq!(b.with_unkept(0xee).data, [0xee, 2, 0xee, 4]);
        assert_eq!(b.with_unkept(0).kept_bytes().collect::<Vec<_>>(), [2, 4]);
        // Lanes past `data` read as 0.
        let short = Beat {
            data: vec![9],
            keep: 0b11,
            ..Beat::default()
        };
        assert_eq!(beats_to_frame(&[short]), [9, 0]);
        assert_eq!(keep_mask(0), 0);
        assert_eq!(keep_mask(3), 7);
        assert_eq!(keep_mask(64), u64::MAX);
    }

    #[test]
    fn drive_and_sample_a_512_bit_bundle() {
        // Storage standing in for a model's ports, seen by an input and an output view at
        // once (a loopback); every pointer is taken once and only used through the ports.
        let (mut data, mut keep, mut valid, mut last, mut user, mut ready) =
            ([0u32; 16], 0u64, 0u8, 0u8, 0u8, 0u8);
        let data = data.as_mut_ptr().cast::<c_void>();
        let keep = addr_of_mut!(keep).cast::<c_void>();
        let valid = addr_of_mut!(valid).cast::<c_void>();
        let last = addr_of_mut!(last).cast::<c_void>();
        let user = addr_of_mut!(user).cast::<c_void>();
        let ready = addr_of_mut!(ready).cast::<c_void>();
        // SAFETY: the storage outlives the ports and is only touched through them.
        let (i, o) = unsafe {
            let i = (
                WideInput::from_raw(data, "s_tdata", 512),
                Input::<u64>::from_raw(keep, "s_tkeep", 64),
                Input::<u8>::from_raw(valid, "s_tvalid", 1),
                Input::<u8>::from_raw(last, "s_tlast", 1),
                Input::<u8>::from_raw(user, "s_tuser", 2),
                Output::<u8>::from_raw(ready, "s_tready", 1),
            );
            let o = (
                WideOutput::from_raw(data, "m_tdata", 512),
                Output::<u64>::from_raw(keep, "m_tkeep", 64),
                Output::<u8>::from_raw(valid, "m_tvalid", 1),
                Output::<u8>::from_raw(last, "m_tlast", 1),
                Output::<u8>::from_raw(user, "m_tuser", 2),
                Input::<u8>::from_raw(ready, "m_tready", 1),
            );
            (i, o)
        };
        let s = AxisIn::new(&i.0, &i.1, &i.2, &i.3, Some(&i.4), &i.5);
        let m = AxisOut::new(&o.0, &o.1, &o.2, &o.3, Some(&o.4), &o.5);
        assert_eq!((s.lanes(), m.lanes()), (64, 64));

        let frame: Vec<u8> = (0..100).collect();
        let beats = frame_to_beats(&frame, 64, 3);
        let mut got = Vec::new();
        for b in &beats {
            m.set_ready(false);
            s.drive(b);
            assert!(m.valid() && s.valid() && !s.fires() && !m.fires());
            m.set_ready(true);
            assert!(s.ready() && s.fires() && m.fires());
            got.push(m.beat());
        }
        assert_eq!(got, beats);
        assert_eq!(beats_to_frame(&got), frame);

        s.idle();
        assert!(!m.valid() && !s.valid());
        assert_eq!(m.beat(), beats[1], "idle leaves the other lines alone");
        let junk = Beat {
            data: vec![0xaa; 64],
            keep: 5,
            last: false,
            user: 2,
        };
        s.idle_with(&junk);
        assert!(!m.valid());
        assert_eq!(m.beat(), junk);

        // A short `data` is zero-extended; values that do not fit panic.
        s.drive_parts(&[1, 2], 3, true, 0);
        assert_eq!(m.beat().data[..3], [1, 2, 0]);
        let panics = |s: AxisIn, b: Beat| {
            std::panic::catch_unwind(AssertUnwindSafe(|| s.drive(&b))).is_err()
        };
        let user4 = Beat {
            user: 4,
            ..Beat::default()
        };
        assert!(panics(s, user4));
        let wide = Beat {
            data: vec![0; 65],
            ..Beat::default()
        };
        assert!(panics(s, wide));

        // Without tuser: user reads as 0, and driving a nonzero one panics.
        let s = AxisIn::new(&i.0, &i.1, &i.2, &i.3, None, &i.5);
        let m = AxisOut::new(&o.0, &o.1, &o.2, &o.3, None, &o.5);
        s.drive(&beats[0]);
        assert_eq!(m.beat().user, 0);
        assert!(panics(s, beats[1].clone()));
    }

    #[test]
    fn a_keep_of_the_wrong_width_is_rejected() {
        let (mut d, mut k, mut v, mut l, mut r) = (0u64, 0u8, 0u8, 0u8, 0u8);
        // SAFETY: the cells outlive the ports and are only touched through them.
        let (d, k, v, l, r) = unsafe {
            (
                Input::<u64>::from_raw(addr_of_mut!(d).cast(), "tdata", 64),
                Input::<u8>::from_raw(addr_of_mut!(k).cast(), "tkeep", 4),
                Input::<u8>::from_raw(addr_of_mut!(v).cast(), "tvalid", 1),
                Input::<u8>::from_raw(addr_of_mut!(l).cast(), "tlast", 1),
                Output::<u8>::from_raw(addr_of_mut!(r).cast(), "tready", 1),
            )
        };
        let new = AssertUnwindSafe(|| AxisIn::new(&d, &k, &v, &l, None, &r).lanes());
        assert!(std::panic::catch_unwind(new).is_err());
    }
}

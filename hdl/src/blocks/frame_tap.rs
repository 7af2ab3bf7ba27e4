//! A tap on a receive stream that keeps a frame's leading bytes: it is always ready, counts
//! each frame's beats (saturating; only offsets below 64 KiB matter) and captures the first
//! `bytes` bytes, one register per beat-sized chunk, as they pass. The parsers read header
//! fields at fixed offsets from it. A chunk the frame is too short to fill keeps an earlier
//! frame's bytes.

use crate::bundles::Axis;
use crate::ir::{cat, lit, Expr, ModuleBuilder, Sig};
use crate::proto::Field;

/// Bits of a byte offset into a frame.
pub const OFFSET_WIDTH: u32 = 16;

/// See the module docs.
pub struct FrameTap {
    /// A beat passes this cycle.
    pub fire: Sig,
    /// Its beat position in the frame (`OFFSET_WIDTH - log2(lanes)` bits).
    pub index: Sig,
    /// The captured bytes, byte 0 in bits 7:0.
    pub hdr: Sig,
    /// The beat passing (`tdata`).
    beat: Sig,
}

impl FrameTap {
    /// Taps `s` (driving its `tready` high) and keeps the first `bytes` bytes of each frame.
    pub fn new(m: &mut ModuleBuilder, s: &Axis, bytes: u32) -> FrameTap {
        let w = s.cfg.data_width;
        let lanes = w / 8;
        let iw = OFFSET_WIDTH - lanes.trailing_zeros();
        m.set(&s.tready, lit(1, 1));
        let fire = m.node("in_fire", Expr::from(&s.tvalid));
        let index = m.reg_reset("beat_index", iw, 0);
        m.when(&fire, |m| {
            m.set(
                &index,
                s.tlast
                    .mux(lit(0, iw), index.all().mux(&index, &index + 1u64)),
            )
        });
        let chunks: Vec<Sig> = (0..bytes.div_ceil(lanes))
            .map(|k| m.reg(&format!("hdr_chunk{k}"), w))
            .collect();
        for (k, c) in chunks.iter().enumerate() {
            m.when(&fire & index.eq(k as u64), |m| m.set(c, &s.tdata));
        }
        let hdr = m.node("hdr", cat(chunks.iter().rev().map(Expr::from)));
        m.unused(&hdr); // callers read only the fields they need
        let beat = s.tdata.clone();
        FrameTap {
            fire,
            index,
            hdr,
            beat,
        }
    }

    /// Frame byte `i`.
    pub fn byte(&self, i: u32) -> Expr {
        self.hdr.slice(i * 8, 8)
    }

    /// The big-endian field at frame bytes `f` (network byte order).
    pub fn field(&self, f: Field) -> Expr {
        cat(f.map(|k| self.byte(k as u32)))
    }

    /// The beat-sized chunk that holds field `f` (the beat index that carries it).
    pub fn chunk_of(&self, f: &Field) -> u32 {
        let lanes = self.beat.width() / 8;
        assert_eq!(
            f.start as u32 / lanes,
            (f.end as u32 - 1) / lanes,
            "field {f:?} spans two beats"
        );
        f.start as u32 / lanes
    }

    /// Field `f` as the beat passing now carries it: meaningful in the beat
    /// [`chunk_of`](Self::chunk_of) `f`, before it reaches `hdr`.
    pub fn field_in_beat(&self, f: Field) -> Expr {
        let at = self.chunk_of(&f) * (self.beat.width() / 8);
        cat(f.map(|k| self.beat.byte(k as u32 - at)))
    }
}

//! Internet checksum (RFC 1071): the ones'-complement sum of a frame's 16-bit words.
//!
//! One unit serves every checksum the NIC verifies or computes: the caller selects the
//! bytes that count by masking `tkeep` (only the IPv4 header for the header checksum;
//! pseudo-header fields and the UDP datagram for the UDP checksum).
//!
//! * **Byte order and odd lengths.** The sum runs over the frame's byte stream by position:
//!   the byte at frame offset `i` is the high half of a 16-bit word if `i` is even and the
//!   low half if `i` is odd, whether or not its keep bit is set; a masked byte counts as
//!   zero. Beats are a multiple of 16 bits, so the position parity is the lane parity.
//!   An odd number of kept bytes therefore needs no special case: a final lone byte is the
//!   high half of a word whose low half is zero (RFC 1071's padding), and non-contiguous
//!   keep (a field cut out of the middle of a beat) leaves every other byte where it is.
//!   `tkeep` is a byte mask here, not AXI-Stream's "null byte" marker: masked bytes are
//!   not squeezed out of the stream.
//! * **Always ready.** The unit taps a stream and never stalls it: `s_axis_tready` is tied
//!   high. Bubbles (`tvalid` low) between and within frames are fine.
//! * **Result.** `csum` is the folded sum, not inverted (a received header with a valid
//!   checksum sums to 0xffff; a transmitter writes `!csum`), with a one-cycle `csum_valid`
//!   pulse exactly [`latency`] cycles after the frame's last beat was transferred. Frames
//!   may end on consecutive cycles; each gets its own pulse.
//! * **Carries.** The per-beat adder tree adds exact integers (each level one bit wider),
//!   so no carry is lost inside a beat; the wide beat sum is then folded twice
//!   (`lo + hi`, then `lo + carry`, which cannot carry again) and accumulated with an
//!   end-around carry kept as bit 16 of the accumulator. The final fold adds that bit back
//!   in. This is where verilog-ethernet rejected valid headers whose sum carries twice
//!   (0x2fffd → 0xffff): every fold here is bounded so a second carry cannot be dropped.
//! * **Timing.** Registers after every [`LEVELS_PER_STAGE`] adder levels keep each stage to
//!   two short carry chains, so the 512-bit variant closes at 250 MHz.

use crate::bundles::{Axis, AxisCfg};
use crate::ir::{cat, lit, Expr, HdlErrors, Module, ModuleBuilder, Sig};
use std::rc::Rc;

/// Adder-tree levels between two pipeline registers.
pub const LEVELS_PER_STAGE: u32 = 2;

/// Widths the unit supports: whole 16-bit words, power-of-two word counts.
pub const WIDTHS: [u32; 5] = [16, 64, 128, 256, 512];

/// Adder-tree levels for a `data_width`-bit beat (log2 of the word count).
fn tree_levels(data_width: u32) -> u32 {
    (data_width / 16).trailing_zeros()
}

/// Register stages of the adder tree (the first also masks bytes with `tkeep`).
fn tree_stages(data_width: u32) -> u32 {
    tree_levels(data_width).div_ceil(LEVELS_PER_STAGE).max(1)
}

/// Cycles from the transfer of a frame's last beat to its `csum_valid` pulse: the tree
/// stages, a fold stage (when a beat holds more than one word), the accumulator, and the
/// output register. 16 → 3, 64 → 4, 128 and 256 → 5, 512 → 6.
pub fn latency(data_width: u32) -> u32 {
    let fold = u32::from(tree_levels(data_width) > 0);
    tree_stages(data_width) + fold + 2
}

/// The folded ones'-complement sum the unit computes, for a frame and its byte mask
/// (`keep[i]` says whether byte `i` counts). The reference model of the tests.
pub fn reference(frame: &[u8], keep: &[bool]) -> u16 {
    let mut sum: u64 = 0;
    for (i, (&b, &k)) in frame.iter().zip(keep).enumerate() {
        if k {
            sum += if i % 2 == 0 {
                u64::from(b) << 8
            } else {
                u64::from(b)
            };
        }
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

/// `a + b`, one bit wider than the wider operand, so the carry is kept.
fn add_wide(a: &Expr, b: &Expr) -> Expr {
    let w = a.width().max(b.width()) + 1;
    a.zext(w) + b.zext(w)
}

/// A pipeline stage's valid and last flags, registered from the previous stage's.
struct Flags {
    valid: Sig,
    last: Sig,
}

fn stage_flags(m: &mut ModuleBuilder, name: &str, valid: &Expr, last: &Expr) -> Flags {
    let f = Flags {
        valid: m.reg_reset(&format!("{name}_valid"), 1, 0),
        last: m.reg(&format!("{name}_last"), 1),
    };
    m.set(&f.valid, valid);
    m.set(&f.last, last);
    f
}

pub fn checksum(data_width: u32) -> Result<Rc<Module>, HdlErrors> {
    let name = format!("checksum_w{data_width}");
    if !WIDTHS.contains(&data_width) {
        return Err(HdlErrors::param(
            &name,
            format!("data width {data_width} is not one of {WIDTHS:?}"),
        ));
    }
    let mut m = ModuleBuilder::new(&name);
    m.doc(format!(
        "Internet (RFC 1071) ones'-complement sum of the kept bytes of each frame.\n\
         Always ready; csum (not inverted) is valid {} cycles after the last beat.",
        latency(data_width)
    ));
    let s = Axis::sink(
        &mut m,
        "s_axis",
        AxisCfg {
            data_width,
            user_width: 0,
        },
    );
    let csum_valid = m.output("csum_valid", 1);
    let csum = m.output("csum", 16);
    m.set(&s.tready, lit(1, 1));

    // Stage 1..n: mask bytes with tkeep, then add words pairwise, registering every
    // LEVELS_PER_STAGE levels. Lane 2j is the high byte of word j (network order).
    let mut sums: Vec<Expr> = (0..data_width / 16)
        .map(|j| {
            let byte = |lane: u32| s.tdata.byte(lane) & s.tkeep.bit(lane).repeat(8);
            let word = cat([byte(2 * j), byte(2 * j + 1)]);
            m.node(&format!("word{j}"), word).into()
        })
        .collect();
    let mut flags = Flags {
        valid: s.tvalid.clone(),
        last: s.tlast.clone(),
    };
    let mut level = 0;
    for stage in 1..=tree_stages(data_width) {
        let levels = (tree_levels(data_width) - level).min(LEVELS_PER_STAGE);
        for l in 0..levels {
            level += 1;
            sums = sums
                .chunks(2)
                .enumerate()
                .map(|(i, p)| {
                    let sum = add_wide(&p[0], &p[1]);
                    if l + 1 < levels {
                        // Name the stage's inner levels; the last one feeds the registers.
                        m.node(&format!("l{level}_sum{i}"), sum).into()
                    } else {
                        sum
                    }
                })
                .collect();
        }
        sums = sums
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let r = m.reg(&format!("s{stage}_sum{i}"), e.width());
                m.set(&r, e);
                r.into()
            })
            .collect();
        flags = stage_flags(&mut m, &format!("s{stage}"), &flags.valid, &flags.last);
    }
    let beat_sum = sums.pop().expect("the tree ends in one sum");

    // Fold the beat's sum to 16 bits. `lo + hi` is at most 0xffff + (2^e - 1); when that
    // carries, its low half is below 2^e - 1, so adding the carry back cannot carry again.
    let (beat16, flags): (Expr, Flags) = if beat_sum.width() > 16 {
        let hi_w = beat_sum.width() - 16;
        let once = m.node(
            "fold_once",
            add_wide(&beat_sum.trunc(16), &beat_sum.slice(16, hi_w).zext(16)),
        );
        let folded = m.reg("beat_sum", 16);
        m.describe(&folded, "The beat's words, ones'-complement added.");
        m.set(&folded, once.trunc(16) + once.bit(16).zext(16));
        (
            folded.into(),
            stage_flags(&mut m, "beat", &flags.valid, &flags.last),
        )
    } else {
        (beat_sum, flags)
    };

    // Accumulate beats: bit 16 holds the end-around carry not yet added back. Invariant:
    // acc <= 0x1fffe (the first beat's value is at most 0xffff; afterwards, lo + carry
    // <= 0xffff, so lo + carry + beat <= 0x1fffe). Hence the final lo + carry never
    // carries: the "carries twice" case is closed by construction.
    let in_frame = m.reg_reset("in_frame", 1, 0);
    m.describe(&in_frame, "A beat without tlast went into the accumulator.");
    let acc = m.reg("acc", 17);
    let acc_done = m.reg_reset("acc_done", 1, 0);
    m.describe(&acc_done, "acc holds a complete frame's sum.");
    let lo = in_frame.mux(acc.trunc(16), lit(0, 16));
    let carry = &in_frame & acc.bit(16);
    m.when(&flags.valid, |m| {
        m.set(&acc, add_wide(&lo, &beat16) + carry.zext(17));
        m.set(&in_frame, !&flags.last);
    });
    m.set(&acc_done, &flags.valid & &flags.last);

    // Output: the final end-around carry.
    let out_valid = m.reg_reset("out_valid", 1, 0);
    let out_sum = m.reg("out_sum", 16);
    m.set(&out_valid, &acc_done);
    m.set(&out_sum, acc.trunc(16) + acc.bit(16).zext(16));
    m.set(&csum_valid, &out_valid);
    m.set(&csum, &out_sum);
    m.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_are_checked() {
        for w in [0, 8, 24, 32, 1024] {
            let e = checksum(w).unwrap_err().to_string();
            assert!(
                e.contains(&format!("checksum_w{w}")) && e.contains("not one of"),
                "{e}"
            );
        }
        for w in WIDTHS {
            assert!(checksum(w).is_ok());
        }
    }

    #[test]
    fn latency_per_width() {
        let l: Vec<u32> = WIDTHS.iter().map(|&w| latency(w)).collect();
        assert_eq!(l, [3, 4, 5, 5, 6]);
    }

    #[test]
    fn reference_matches_rfc1071_and_folds_until_no_carry() {
        // RFC 1071, section 3: the sum of these bytes is ddf2.
        let rfc = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(reference(&rfc, &[true; 8]), 0xddf2);
        // A lone byte is a high half; masked bytes keep their positions.
        assert_eq!(reference(&[0xab], &[true]), 0xab00);
        assert_eq!(reference(&[0xab, 0xcd, 0xef], &[false, true, true]), 0xefcd);
        // 0x1ffff folds to 0x10000 and again to 0x0001.
        let b = [0xff, 0xff, 0xff, 0xff, 0x00, 0x01];
        assert_eq!(reference(&b, &[true; 6]), 0x0001);
    }
}

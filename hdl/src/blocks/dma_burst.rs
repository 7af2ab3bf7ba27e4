//! DMA burst planning, shared by the read and write engines: a transfer of `len` bytes at
//! `offset` in a ring of `mask + 1` bytes at `base` (byte i goes to
//! `base + ((offset + i) & mask)`; `mask = 0xFFFF_FFFF` for a plain buffer) becomes AXI4
//! INCR bursts that never run past the ring's end (they wrap to `base`) and never cross a
//! multiple of the longest burst (`max_beats` beats: 4 KiB, or 2 KiB at 64 bits, where AXI4's
//! 256 beats are the limit), so they never cross 4 KiB and are at most `max_beats` long.
//!
//! `base`, `offset` and `mask + 1` must be multiples of the beat size; `len` is 1 to
//! 65535 bytes (0 means 65536). A command is taken when the planner is idle or is handing
//! over the last burst of the previous one (`cmd_ready`), so single-burst commands flow at
//! one per cycle; bursts come out one per cycle at most, registered, on a valid/ready
//! handshake.

use crate::bundles::AxiAddr;
use crate::ir::{cat, clog2, lit, Expr, ModuleBuilder, PortDir, Sig};

/// Widths of a DMA command.
pub const ADDR_WIDTH: u32 = 64;
pub const MASK_WIDTH: u32 = 32;
pub const LEN_WIDTH: u32 = 16;

/// Bus parameters of a DMA engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DmaCfg {
    /// AXI data width in bits (64 to 512).
    pub data_width: u32,
    /// Longest burst in beats (a power of two, at most 256, and at most 4 KiB): bursts end
    /// at its multiples.
    pub max_beats: u32,
    /// Bursts in flight at most (issued, not yet answered); a power of two, at least 2.
    pub outstanding: u32,
}

impl DmaCfg {
    /// Bursts of up to 4 KiB (and 256 beats), `outstanding` in flight.
    pub fn new(data_width: u32, outstanding: u32) -> Self {
        let beat = data_width / 8;
        DmaCfg {
            data_width,
            max_beats: (4096 / beat.max(1)).min(256),
            outstanding,
        }
    }

    pub fn beat_bytes(&self) -> u32 {
        self.data_width / 8
    }

    /// Bits of a burst length in beats (1 ..= max_beats).
    pub fn beats_width(&self) -> u32 {
        clog2(self.max_beats as u64 + 1)
    }

    /// `w512_b64_o8`.
    pub fn tag(&self) -> String {
        format!(
            "w{}_b{}_o{}",
            self.data_width, self.max_beats, self.outstanding
        )
    }

    /// Rejects parameters the engines cannot implement.
    pub fn validate(&self) -> Result<(), String> {
        let w = self.data_width;
        if !(64..=512).contains(&w) || !w.is_power_of_two() {
            return Err(format!("DMA data width {w} is not 64, 128, 256 or 512"));
        }
        if !self.max_beats.is_power_of_two()
            || self.max_beats > 256
            || self.max_beats * self.beat_bytes() > 4096
        {
            return Err(format!(
                "DMA bursts of {} beats: not a power of two, or over AXI4's 256 beats or 4 KiB",
                self.max_beats
            ));
        }
        if self.outstanding < 2 || !self.outstanding.is_power_of_two() {
            return Err(format!(
                "DMA outstanding {} is not a power of two >= 2",
                self.outstanding
            ));
        }
        Ok(())
    }
}

/// A command's ports: `{prefix}_valid/_ready/_base/_mask/_offset/_len`.
pub struct CmdPorts {
    pub valid: Sig,
    pub ready: Sig,
    pub base: Sig,
    pub mask: Sig,
    pub offset: Sig,
    pub len: Sig,
}

impl CmdPorts {
    pub fn sink(m: &mut ModuleBuilder, prefix: &str) -> Self {
        let mut f = |n: &str, w, d| m.group_port(prefix, n, w, d);
        CmdPorts {
            valid: f("valid", 1, PortDir::In),
            ready: f("ready", 1, PortDir::Out),
            base: f("base", ADDR_WIDTH, PortDir::In),
            mask: f("mask", MASK_WIDTH, PortDir::In),
            offset: f("offset", MASK_WIDTH, PortDir::In),
            len: f("len", LEN_WIDTH, PortDir::In),
        }
    }
}

/// The planner's output: one burst, valid until `ready`.
pub struct Burst {
    pub valid: Sig,
    pub addr: Sig,
    /// Length in beats (1 ..= max_beats).
    pub beats: Sig,
    /// The command's last burst.
    pub last: Sig,
    /// `extra` of the burst's command, as it was when the command was taken.
    pub extra: Sig,
}

/// Builds the planner for `cmd`; bursts leave when `ready`. `extra` (e.g. a tag) is taken
/// with the command and comes out with each of its bursts.
pub fn burst_planner(
    m: &mut ModuleBuilder,
    cfg: DmaCfg,
    cmd: &CmdPorts,
    extra: &Expr,
    ready: &Expr,
) -> Burst {
    let lb = cfg.beat_bytes().trailing_zeros();
    let bw = cfg.beats_width();
    // Beats to the next multiple of the longest burst (its "page") and to the ring's end
    // are kept as counters, updated by each burst, so the per-burst loop (pick the burst,
    // step the state) is a few subtractions and a minimum, not an address addition. Ending
    // bursts at those multiples, not only at 4 KiB, makes the longest burst no limit of its
    // own: three limits side by side, not four.
    let cw = MASK_WIDTH - lb + 1;
    let page_beats = u64::from(cfg.max_beats);
    let page_bits = lb + cfg.max_beats.trailing_zeros();
    let busy = m.reg_reset("plan_busy", 1, 0);
    let base = m.reg("plan_base", ADDR_WIDTH);
    let mask = m.reg("plan_mask", MASK_WIDTH);
    let off = m.reg("plan_offset", MASK_WIDTH);
    let rem = m.reg("plan_remaining", cw);
    m.describe(&rem, "Beats of the command not yet in a burst.");
    let to_page = m.reg("plan_to_page", cw);
    m.describe(
        &to_page,
        "Beats from the next burst's address to the next multiple of the longest burst.",
    );
    let to_wrap = m.reg("plan_to_wrap", cw);
    m.describe(
        &to_wrap,
        "Beats from the next burst's address to the ring's end.",
    );
    let ring_beats = m.reg("plan_ring_beats", cw);
    let base_to_page = m.reg("plan_base_to_page", cw);
    m.describe(
        &base_to_page,
        "Beats from the ring's base to its first multiple of the longest burst.",
    );
    let out_valid = m.reg_reset("burst_valid", 1, 0);
    let out_addr = m.reg("burst_addr", ADDR_WIDTH);
    let out_beats = m.reg("burst_beats", bw);
    let out_last = m.reg("burst_last", 1);
    let cmd_extra = m.reg("plan_extra", extra.width());
    let out_extra = m.reg("burst_extra", extra.width());

    // The burst is the shortest of the limits: the beats to the page boundary, to the
    // ring's end, and left in the command. Each limit is compared with each other side by
    // side, and each counter's next value is worked out for every limit being the
    // shortest, so a step is a pick among differences of registers rather than a chain of
    // minimum, subtraction and mux.
    let limits: &[(&str, Expr)] = &[
        ("page", to_page.clone().into()),
        ("wrap", to_wrap.clone().into()),
        ("rem", rem.clone().into()),
    ];
    let n = limits.len();
    let at = |name: &str| limits.iter().position(|(l, _)| *l == name).unwrap();
    // `fits[i][j]`: limit i is at most limit j.
    let fits: Vec<Vec<Expr>> = (0..n)
        .map(|i| (0..n).map(|j| limits[i].1.le(&limits[j].1)).collect())
        .collect();
    let at_most_all = |i: usize| -> Expr {
        (0..n)
            .filter(|&j| j != i)
            .map(|j| fits[i][j].clone())
            .reduce(|a, b| a & b)
            .unwrap()
    };
    // One-hot: the first of the shortest limits.
    let shortest: Vec<Sig> = (0..n)
        .map(|i| {
            let sel = (0..n)
                .filter(|&j| j != i)
                .map(|j| match j > i {
                    true => fits[i][j].clone(),
                    false => !fits[j][i].clone(),
                })
                .reduce(|a, b| a & b)
                .unwrap();
            m.node(&format!("plan_{}_shortest", limits[i].0), sel)
        })
        .collect();
    // The value of `of(i)` for the shortest limit i.
    let pick = |of: &dyn Fn(usize) -> Expr| -> Expr {
        (0..n)
            .map(|i| {
                let v = of(i);
                shortest[i].repeat(v.width()) & v
            })
            .reduce(|a, b| a | b)
            .unwrap()
    };
    // Limit `x` less limit i (0 when x is the shortest itself).
    let less = |x: &str| {
        let k = at(x);
        move |i: usize| match i == k {
            true => lit(0, cw),
            false => (&limits[k].1 - &limits[i].1).trunc(cw),
        }
    };
    // The shortest limit is never more than the longest burst.
    let beats = m.node("plan_beats", pick(&|i| limits[i].1.trunc(bw)));
    let last = m.node("plan_last", at_most_all(at("rem")));
    let advance = m.node("plan_advance", &busy & (!&out_valid | ready));
    // The next command is taken as the last burst of this one leaves, so commands of one
    // burst each go out at one per cycle.
    let free = m.node("plan_free", !&busy | (&advance & &last));
    let take = m.node("cmd_take", &free & &cmd.valid);
    m.describe(
        &take,
        "A command is taken; it is planned from the next cycle.",
    );
    m.set(&cmd.ready, &free);
    let pos = m.node("plan_position", &off & &mask);
    let off_after = m.node(
        "plan_offset_after",
        pick(&|i| &off + cat([limits[i].1.trunc(bw).zext(MASK_WIDTH - lb), lit(0, lb)])),
    );
    let rem_after = m.node("plan_remaining_after", pick(&less("rem")));
    // A burst reaches the ring's end (or a page boundary) exactly when that limit is at
    // most the shortest one; folding this into each candidate keeps the restart from the
    // ring's base off the end of the pick.
    let fits = &fits;
    let reaches = |x: &str| {
        let k = at(x);
        move |i: usize| match i == k {
            true => lit(1, 1),
            false => fits[k][i].clone(),
        }
    };
    let (wraps_at, page_ends_at) = (reaches("wrap"), reaches("page"));
    let (wrap_less, page_less) = (less("wrap"), less("page"));
    let wrap_after = m.node(
        "plan_to_wrap_after",
        pick(&|i| wraps_at(i).mux(&ring_beats, wrap_less(i))),
    );
    let page_after = m.node(
        "plan_to_page_after",
        pick(&|i| {
            wraps_at(i).mux(
                &base_to_page,
                page_ends_at(i).mux(lit(page_beats, cw), page_less(i)),
            )
        }),
    );
    m.when(&advance, |m| {
        m.set(&out_addr, &base + pos.zext(ADDR_WIDTH));
        m.set(&out_beats, &beats);
        m.set(&out_last, &last);
        m.set(&out_extra, &cmd_extra);
        m.set(&off, &off_after);
        m.set(&rem, &rem_after);
        m.set(&to_wrap, &wrap_after);
        m.set(&to_page, &page_after);
        m.when(&last, |m| m.set(&busy, 0));
    });
    // The command's counters, from its fields (registered as it is taken).
    let c_pos = &cmd.offset & &cmd.mask;
    let beats_of = |bytes: Expr| -> Expr {
        (bytes.zext(cw + lb) + lit(cfg.beat_bytes() as u64 - 1, cw + lb)).slice(lb, cw)
    };
    let len17 = cmd.len.eq(0u64).mux(
        lit(1 << LEN_WIDTH, LEN_WIDTH + 1),
        cmd.len.zext(LEN_WIDTH + 1),
    );
    let page_of =
        |low: Expr| -> Expr { lit(page_beats, cw) - low.slice(lb, page_bits - lb).zext(cw) };
    let c_page = page_of((cmd.base.trunc(page_bits) + c_pos.trunc(page_bits)).trunc(page_bits));
    // After the advance: a command taken in its cycle wins.
    m.when(&take, |m| {
        m.set(&busy, 1);
        m.set(&base, &cmd.base);
        m.set(&mask, &cmd.mask);
        m.set(&off, &cmd.offset);
        m.set(&rem, beats_of(len17.clone()));
        m.set(&to_page, c_page);
        m.set(
            &to_wrap,
            (&cmd.mask - &c_pos).slice(lb, MASK_WIDTH - lb).zext(cw) + lit(1, cw),
        );
        m.set(
            &ring_beats,
            cmd.mask.slice(lb, MASK_WIDTH - lb).zext(cw) + lit(1, cw),
        );
        m.set(&base_to_page, page_of(cmd.base.trunc(page_bits)));
        m.set(&cmd_extra, extra);
    });
    m.when(&advance, |m| m.set(&out_valid, 1))
        .elif(ready, |m| m.set(&out_valid, 0));
    Burst {
        valid: out_valid,
        addr: out_addr,
        beats: out_beats,
        last: out_last,
        extra: out_extra,
    }
}

impl Burst {
    /// Drives AXI address channel `ch` (AW or AR) with this burst while `room` (the engine
    /// can track one more burst): INCR bursts of full-width beats, ID 0, normal
    /// non-cacheable bufferable memory. Returns the handshake (`ready` of the planner).
    pub fn drive_channel(
        &self,
        m: &mut ModuleBuilder,
        cfg: DmaCfg,
        ch: &AxiAddr,
        room: &Expr,
    ) -> Expr {
        m.set(&ch.valid, &self.valid & room);
        m.set(&ch.addr, &self.addr);
        m.set(&ch.len, (self.beats.zext(9) - lit(1, 9)).trunc(8));
        m.set(&ch.size, lit(cfg.beat_bytes().trailing_zeros() as u64, 3));
        m.set(&ch.burst, lit(1, 2)); // INCR
        m.set(&ch.cache, lit(0b0011, 4)); // normal, non-cacheable, bufferable
        m.set(&ch.prot, lit(0, 3));
        m.set(&ch.id, lit(0, 1));
        &self.valid & &ch.ready & room
    }
}

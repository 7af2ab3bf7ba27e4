//! The DMA engines (`hdl::blocks::dma_write`, `dma_read`) at 64 and 512 bits against the
//! host-memory model (`sim_models::hostmem`): random ring and linear transfers with random memory
//! latency and back-pressure on every channel. Checked: memory holds exactly what the
//! commands wrote and nothing outside them was written; read data is the memory's bytes
//! with the right `tkeep`/`tlast`; no burst crosses 4 KiB or a ring's end (the memory
//! model's protocol checks plus a burst-by-burst walk); in-flight bursts never exceed the
//! configured limit; completions come in order with the right tags and error flags; and
//! with a memory that keeps up, data moves at exactly one beat per cycle.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim::axis::{frame_to_beats, Beat};
use sim::prelude::*;
use sim_models::axi_slave_ports;
use sim_models::hostmem::{HostMem, HostMemCfg, DECERR, SLVERR};
use std::collections::{HashMap, VecDeque};
use testbench::models::views::{DmaRead, DmaWrite};
use testbench::models::{DmaReadW512B64O8, DmaReadW64B256O8, DmaWriteW512B64O8, DmaWriteW64B256O8};
use testbench::seed;

const OUTSTANDING: usize = 8;

/// One DMA command: byte i goes to `base + ((offset + i) & mask)`.
#[derive(Clone, Debug)]
struct Cmd {
    base: u64,
    mask: u32,
    offset: u32,
    len: usize,
    tag: u16,
}

impl Cmd {
    fn addr(&self, i: usize) -> u64 {
        self.base + ((self.offset as u64 + i as u64) & self.mask as u64)
    }
    fn ring(&self) -> (u64, u64) {
        (self.base, self.base + self.mask as u64 + 1)
    }
}

/// A random ring (or, one time in five, plain-buffer) transfer, beat aligned.
fn random_cmd(rng: &mut ChaCha8Rng, bb: usize, tag: u16, max_len: usize) -> Cmd {
    let bb = bb as u64;
    let region = 0x1_0000_0000 + rng.gen_range(0..64u64) * 0x10_0000;
    if rng.gen_bool(0.8) {
        let size = bb << rng.gen_range(0..=8);
        let base = region + rng.gen_range(0..0x4000u64) / bb * bb;
        let offset = (rng.gen::<u32>() as u64 / bb * bb) as u32;
        let len = rng.gen_range(1..=(size as usize).min(max_len));
        Cmd {
            base,
            mask: (size - 1) as u32,
            offset,
            len,
            tag,
        }
    } else {
        let base = region + rng.gen_range(0..0x8000u64) / bb * bb;
        let offset = (rng.gen_range(0..0x1000u64) / bb * bb) as u32;
        Cmd {
            base,
            mask: u32::MAX,
            offset,
            len: rng.gen_range(1..=max_len),
            tag,
        }
    }
}

/// Offers `c` (or nothing) on a model's `cmd_*` ports.
fn offer_cmd(
    c: Option<&Cmd>,
    valid: &dyn PortWrite,
    base: &dyn PortWrite,
    mask: &dyn PortWrite,
    offset: &dyn PortWrite,
    len: &dyn PortWrite,
) {
    valid.set_bit(0, c.is_some());
    if let Some(c) = c {
        base.set_bits(0, 64, c.base);
        mask.set_bits(0, 32, c.mask as u64);
        offset.set_bits(0, 32, c.offset as u64);
        len.set_bits(0, 16, (c.len & 0xffff) as u64);
    }
}

/// What the bursts on one channel did, walked against the commands in order.
fn check_bursts(bursts: &[sim_models::hostmem::Burst], cmds: &[Cmd], bb: usize) {
    let mut it = bursts.iter();
    for c in cmds {
        let (lo, hi) = c.ring();
        let mut beats = 0;
        let want = c.len.div_ceil(bb) as u64;
        while beats < want {
            let b = it
                .next()
                .unwrap_or_else(|| panic!("bursts end inside {c:?}"));
            let end = b.addr + b.beats * bb as u64;
            assert!(
                b.addr >= lo && end <= hi,
                "burst {b:?} leaves the ring of {c:?}"
            );
            assert_eq!(
                b.addr,
                c.addr((beats as usize) * bb),
                "burst {b:?} of {c:?} is not where its bytes go"
            );
            beats += b.beats;
        }
        assert_eq!(beats, want, "{c:?}: bursts cover {beats} beats");
    }
    assert!(it.next().is_none(), "bursts beyond the commands");
}

struct Traffic {
    /// Probability the source holds back a beat / the consumer holds back a completion.
    gaps: f64,
    mem: HostMemCfg,
}

struct WriteRun {
    mem: HostMem,
    done: Vec<(u16, bool)>,
    /// Cycles of the first and last W handshake.
    w_span: (u64, u64),
    max_in_flight: usize,
}

fn run_write(
    p: &DmaWrite,
    rng: &mut ChaCha8Rng,
    cmds: &[Cmd],
    datas: &[Vec<u8>],
    t: &Traffic,
    errors: &[(u64, u64, u8)],
) -> WriteRun {
    let lanes = p.s_axis.lanes();
    let axi = axi_slave_ports!(p.m_axi, write);
    let mut mem = HostMem::new(t.mem.clone(), ChaCha8Rng::seed_from_u64(rng.gen()));
    for &(a, b, r) in errors {
        mem.error_region(a, b, r);
    }
    p.rst.set_bit(0, true);
    p.dut.tick().unwrap();
    p.rst.set_bit(0, false);
    let mut pending: VecDeque<&Cmd> = cmds.iter().collect();
    let mut beats: VecDeque<Beat> = datas
        .iter()
        .flat_map(|d| frame_to_beats(d, lanes, 0))
        .collect();
    let (mut done, mut in_flight, mut max_in_flight) = (Vec::new(), 0usize, 0usize);
    let mut w_span = (u64::MAX, 0);
    let limit = 2_000_000;
    let mut cycle = 0u64;
    while done.len() < cmds.len() {
        let cmd = &p.cmd;
        let c = pending.front().copied();
        offer_cmd(c, cmd.valid, cmd.base, cmd.mask, cmd.offset, cmd.len);
        if let Some(c) = c {
            cmd.tag.set_bits(0, 16, c.tag as u64);
        }
        let offer = !beats.is_empty() && !rng.gen_bool(t.gaps);
        match (offer, beats.front()) {
            (true, Some(b)) => p.s_axis.drive(b),
            _ => p.s_axis.idle(),
        }
        p.done.ready.set_bit(0, !rng.gen_bool(t.gaps));
        mem.drive(&axi);
        p.dut.eval().unwrap();
        if p.cmd.valid.bit(0) && p.cmd.ready.bit(0) {
            pending.pop_front();
        }
        if p.s_axis.fires() {
            beats.pop_front();
        }
        let a = &p.m_axi;
        if a.wvalid.bit(0) && a.wready.bit(0) {
            w_span = (w_span.0.min(cycle), cycle);
        }
        if p.done.valid.bit(0) && p.done.ready.bit(0) {
            done.push((p.done.tag.get_bits(0, 16) as u16, p.done.error.bit(0)));
        }
        if a.awvalid.bit(0) && a.awready.bit(0) {
            in_flight += 1;
            max_in_flight = max_in_flight.max(in_flight);
        }
        if a.bvalid.bit(0) && a.bready.bit(0) {
            in_flight -= 1;
        }
        mem.sample(&axi);
        p.dut.tick().unwrap();
        cycle += 1;
        assert!(
            cycle < limit,
            "stuck: {} of {} commands done",
            done.len(),
            cmds.len()
        );
    }
    assert!(
        mem.violations.is_empty(),
        "AXI protocol: {:#?}",
        mem.violations
    );
    WriteRun {
        mem,
        done,
        w_span,
        max_in_flight,
    }
}

fn write_random(p: DmaWrite, name: &str) {
    let mut rng = seed::rng(name);
    let bb = p.s_axis.lanes();
    for round in 0..3 {
        let cmds: Vec<Cmd> = (0..150)
            .map(|k| random_cmd(&mut rng, bb, k, 6000))
            .collect();
        let datas: Vec<Vec<u8>> = cmds
            .iter()
            .map(|c| (0..c.len).map(|_| rng.gen()).collect())
            .collect();
        let t = Traffic {
            gaps: [0.0, 0.3, 0.6][round],
            mem: HostMemCfg {
                beat_bytes: bb,
                latency: rng.gen_range(1..40),
                stall: [0.0, 0.3, 0.6][round],
                max_outstanding: 64,
            },
        };
        let run = run_write(&p, &mut rng, &cmds, &datas, &t, &[]);
        let tags: Vec<(u16, bool)> = cmds.iter().map(|c| (c.tag, false)).collect();
        assert_eq!(run.done, tags, "completions in order, no errors");
        assert!(
            run.max_in_flight <= OUTSTANDING,
            "{} bursts in flight",
            run.max_in_flight
        );
        let mut want: HashMap<u64, u8> = HashMap::new();
        for (c, d) in cmds.iter().zip(&datas) {
            for (i, b) in d.iter().enumerate() {
                want.insert(c.addr(i), *b);
            }
        }
        for w in &run.mem.writes {
            for i in 0..bb as u64 {
                if w.strb >> i & 1 == 1 {
                    assert!(
                        want.contains_key(&(w.addr + i)),
                        "wrote {:#x}, outside every command",
                        w.addr + i
                    );
                }
            }
        }
        for (a, b) in &want {
            assert_eq!(run.mem.read_byte(*a), *b, "byte at {a:#x}");
        }
        check_bursts(&run.mem.write_bursts, &cmds, bb);
    }
}

#[test]
fn write_engine_w64_random_rings() {
    let d = DmaWriteW64B256O8::new();
    write_random(d.view(), "dma_write_w64");
}

#[test]
fn write_engine_w512_random_rings() {
    let d = DmaWriteW512B64O8::new();
    write_random(d.view(), "dma_write_w512");
}

/// Back to back, memory always ready: one beat per cycle, exactly, for long commands and
/// for a stream of one-beat commands (one command per cycle: what 64-byte records need).
fn write_full_rate(p: DmaWrite, name: &str) {
    let mut rng = seed::rng(name);
    let bb = p.s_axis.lanes();
    let long: Vec<Cmd> = (0..4)
        .map(|k| Cmd {
            base: 0x2_0000_0040 + k * 0x10_0000,
            mask: 0xffff,
            offset: 0x40,
            len: 16384 + 37 * k as usize,
            tag: k as u16,
        })
        .collect();
    let short: Vec<Cmd> = (0..200)
        .map(|k| Cmd {
            base: 0x2_0000_0000,
            mask: 0x3fff,
            offset: k * 64,
            len: rng.gen_range(1..=bb),
            tag: k as u16,
        })
        .collect();
    // One-beat bursts need a round trip shorter than the bursts in flight.
    for (cmds, latency) in [(long, 8), (short, 4)] {
        write_at_full_rate(&p, &mut rng, &cmds, latency);
    }
}

fn write_at_full_rate(p: &DmaWrite, rng: &mut ChaCha8Rng, cmds: &[Cmd], latency: u64) {
    let bb = p.s_axis.lanes();
    let datas: Vec<Vec<u8>> = cmds
        .iter()
        .map(|c| (0..c.len).map(|_| rng.gen()).collect())
        .collect();
    let t = Traffic {
        gaps: 0.0,
        mem: HostMemCfg {
            beat_bytes: bb,
            latency,
            stall: 0.0,
            max_outstanding: 64,
        },
    };
    let run = run_write(p, rng, cmds, &datas, &t, &[]);
    let beats: u64 = cmds.iter().map(|c| c.len.div_ceil(bb) as u64).sum();
    assert_eq!(
        run.w_span.1 - run.w_span.0 + 1,
        beats,
        "W beats {beats} took {:?}",
        run.w_span
    );
}

#[test]
fn write_engine_moves_a_beat_per_cycle() {
    let d = DmaWriteW64B256O8::new();
    write_full_rate(d.view(), "dma_write_rate_w64");
    let d = DmaWriteW512B64O8::new();
    write_full_rate(d.view(), "dma_write_rate_w512");
}

#[test]
fn write_errors_are_reported_per_command() {
    let d = DmaWriteW512B64O8::new();
    let p = d.view();
    let mut rng = seed::rng("dma_write_errors");
    let bad = (0x3_0000_0000u64, 0x3_0000_1000u64);
    let cmds = vec![
        Cmd {
            base: 0x3_0001_0000,
            mask: 0xfff,
            offset: 0,
            len: 3000,
            tag: 1,
        },
        Cmd {
            base: bad.0 - 0x800,
            mask: u32::MAX,
            offset: 0,
            len: 4096,
            tag: 2,
        }, // half in the bad page
        Cmd {
            base: 0x3_0002_0000,
            mask: 0xfff,
            offset: 0x100,
            len: 64,
            tag: 3,
        },
        Cmd {
            base: bad.0,
            mask: 0x3f,
            offset: 0,
            len: 64,
            tag: 4,
        },
        // The first burst errs, the last one does not: the command still reports it.
        Cmd {
            base: bad.1 - 0x800,
            mask: u32::MAX,
            offset: 0,
            len: 4096,
            tag: 5,
        },
    ];
    let datas: Vec<Vec<u8>> = cmds.iter().map(|c| vec![0xa5; c.len]).collect();
    let t = Traffic {
        gaps: 0.2,
        mem: HostMemCfg {
            beat_bytes: 64,
            latency: 5,
            stall: 0.2,
            max_outstanding: 64,
        },
    };
    let run = run_write(
        &p,
        &mut rng,
        &cmds,
        &datas,
        &t,
        &[
            (bad.0, bad.1, SLVERR),
            (0x3_0000_0000 - 0x100, bad.0, DECERR),
        ],
    );
    assert_eq!(
        run.done,
        vec![(1, false), (2, true), (3, false), (4, true), (5, true)]
    );
    assert!(
        (bad.0..bad.1).all(|a| run.mem.read_byte(a) == 0),
        "an erroring burst wrote"
    );
    assert_eq!(run.mem.read(0x3_0002_0100, 64), vec![0xa5; 64]);
}

/// Runs `cmds`; returns each command's beats and the cycles of the first and last beat.
fn run_read(
    p: &DmaRead,
    rng: &mut ChaCha8Rng,
    mem: &mut HostMem,
    cmds: &[Cmd],
    gaps: f64,
) -> (Vec<Vec<Beat>>, (u64, u64), usize) {
    let axi = axi_slave_ports!(p.m_axi, read);
    p.rst.set_bit(0, true);
    p.dut.tick().unwrap();
    p.rst.set_bit(0, false);
    let mut pending: VecDeque<&Cmd> = cmds.iter().collect();
    let mut out: Vec<Vec<Beat>> = vec![Vec::new()];
    let (mut span, mut cycle, mut in_flight, mut max_in_flight) =
        ((u64::MAX, 0), 0u64, 0usize, 0usize);
    while out.len() <= cmds.len() {
        let cmd = &p.cmd;
        offer_cmd(
            pending.front().copied(),
            cmd.valid,
            cmd.base,
            cmd.mask,
            cmd.offset,
            cmd.len,
        );
        p.m_axis.set_ready(!rng.gen_bool(gaps));
        mem.drive(&axi);
        p.dut.eval().unwrap();
        if p.cmd.valid.bit(0) && p.cmd.ready.bit(0) {
            pending.pop_front();
        }
        let a = &p.m_axi;
        if a.arvalid.bit(0) && a.arready.bit(0) {
            in_flight += 1;
            max_in_flight = max_in_flight.max(in_flight);
        }
        if a.rvalid.bit(0) && a.rready.bit(0) && a.rlast.bit(0) {
            in_flight -= 1;
        }
        if p.m_axis.fires() {
            span = (span.0.min(cycle), cycle);
            let b = p.m_axis.beat();
            let last = b.last;
            out.last_mut().unwrap().push(b);
            if last {
                out.push(Vec::new());
            }
        }
        mem.sample(&axi);
        p.dut.tick().unwrap();
        cycle += 1;
        assert!(cycle < 2_000_000, "stuck after {} commands", out.len() - 1);
    }
    out.pop();
    assert!(
        mem.violations.is_empty(),
        "AXI protocol: {:#?}",
        mem.violations
    );
    (out, span, max_in_flight)
}

fn check_read(cmds: &[Cmd], out: &[Vec<Beat>], mem: &HostMem, lanes: usize) {
    for (c, beats) in cmds.iter().zip(out) {
        let want: Vec<u8> = (0..c.len).map(|i| mem.read_byte(c.addr(i))).collect();
        let expect = frame_to_beats(&want, lanes, 0);
        assert_eq!(beats.len(), expect.len(), "{c:?}: beats");
        for (k, (got, e)) in beats.iter().zip(&expect).enumerate() {
            assert_eq!(
                (got.keep, got.last, got.user),
                (e.keep, e.last, 0),
                "{c:?}: beat {k}"
            );
            assert_eq!(
                got.with_unkept(0),
                e.with_unkept(0),
                "{c:?}: data of beat {k}"
            );
        }
    }
}

fn read_random(p: DmaRead, name: &str) {
    let mut rng = seed::rng(name);
    let lanes = p.m_axis.lanes();
    for round in 0..3 {
        let cmds: Vec<Cmd> = (0..150)
            .map(|k| random_cmd(&mut rng, lanes, k, 6000))
            .collect();
        let stall = [0.0, 0.3, 0.6][round];
        let cfg = HostMemCfg {
            beat_bytes: lanes,
            latency: rng.gen_range(1..40),
            stall,
            max_outstanding: 64,
        };
        let mut mem = HostMem::new(cfg, ChaCha8Rng::seed_from_u64(rng.gen()));
        for c in &cmds {
            let (lo, hi) = c.ring();
            let hi = hi.min(lo + c.offset as u64 + c.len as u64 + 0x1000);
            let bytes: Vec<u8> = (lo..hi).map(|_| rng.gen()).collect();
            mem.write(lo, &bytes);
        }
        let (out, _, max_in_flight) = run_read(&p, &mut rng, &mut mem, &cmds, stall);
        assert_eq!(out.len(), cmds.len());
        check_read(&cmds, &out, &mem, lanes);
        check_bursts(&mem.read_bursts, &cmds, lanes);
        assert!(
            max_in_flight <= OUTSTANDING,
            "{max_in_flight} bursts in flight"
        );
    }
}

#[test]
fn read_engine_w64_random_rings() {
    let d = DmaReadW64B256O8::new();
    read_random(d.view(), "dma_read_w64");
}

#[test]
fn read_engine_w512_random_rings() {
    let d = DmaReadW512B64O8::new();
    read_random(d.view(), "dma_read_w512");
}

#[test]
fn read_engine_moves_a_beat_per_cycle_and_flags_errors() {
    for w in [64usize, 512] {
        let (d64, d512) = (DmaReadW64B256O8::new(), DmaReadW512B64O8::new());
        let p = if w == 64 { d64.view() } else { d512.view() };
        let mut rng = seed::rng("dma_read_rate");
        let lanes = w / 8;
        let cmds: Vec<Cmd> = (0..4)
            .map(|k| Cmd {
                base: 0x2_0000_0000 + k * 0x10_0000,
                mask: u32::MAX,
                offset: 0,
                len: 16384 + 5 * k as usize,
                tag: 0,
            })
            .collect();
        // Enough bursts in flight to cover the latency: 8 bursts of >= 2 KiB.
        let cfg = HostMemCfg {
            beat_bytes: lanes,
            latency: 8,
            stall: 0.0,
            max_outstanding: 64,
        };
        let mut mem = HostMem::new(cfg, ChaCha8Rng::seed_from_u64(1));
        let (out, span, _) = run_read(&p, &mut rng, &mut mem, &cmds, 0.0);
        let beats: u64 = cmds.iter().map(|c| c.len.div_ceil(lanes) as u64).sum();
        assert_eq!(
            span.1 - span.0 + 1,
            beats,
            "{w} bits: {beats} beats took {span:?}"
        );
        check_read(&cmds, &out, &mem, lanes);
        // A read of an erroring region comes back flagged.
        let mut mem = HostMem::new(
            HostMemCfg {
                beat_bytes: lanes,
                latency: 3,
                stall: 0.1,
                max_outstanding: 64,
            },
            ChaCha8Rng::seed_from_u64(2),
        );
        mem.error_region(0x5000_1000, 0x5000_2000, DECERR);
        let cmd = Cmd {
            base: 0x5000_0000,
            mask: u32::MAX,
            offset: 0xf00,
            len: 0x200,
            tag: 0,
        };
        let (out, _, _) = run_read(&p, &mut rng, &mut mem, &[cmd], 0.1);
        let flagged: Vec<bool> = out[0].iter().map(|b| b.user == 1).collect();
        let first_bad = 0x100 / lanes;
        assert!(
            flagged[..first_bad].iter().all(|f| !f) && flagged[first_bad..].iter().all(|f| *f),
            "{flagged:?}"
        );
    }
}

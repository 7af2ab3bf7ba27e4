//! `hdl::lauberhorn::rpc_reply` (3 AUX lines, 8 slots, 3 cores' TX buffers) at the width
//! pairs of the receive path. The testbench plays the endpoints (finished slots and rung
//! TX buffers, the RAM answering a cycle after each read) and the receive path (each
//! slot's caller), with random results of every length, handlers that wrote nothing or a
//! length past the lines, datagrams of every length (also 0 and past the line) from user
//! and kernel endpoints with allowed and denied source ports, and random back-pressure on
//! the MAC and on freeing; some slots come as error replies from the receive path
//! (`err_done`), and some handlers answered through a TX ring (`ctrl::RING`: the slot freed
//! without a frame). Every frame must be the reference `sim_models::traces::udp_tx_frame`
//! of the accepted reply (RFC 5531) the slot describes or of the datagram the buffer
//! holds, in order, with a running IPv4 id; every slot and buffer must be handed back
//! once, after its frame; a dropped datagram sends nothing and is counted.

use hdl::lauberhorn::coherence::{ctrl, tx, KERNEL};
use hdl::lauberhorn::rpc_reply::{RpcReplyCfg, SYSTEM_ERR};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sim::axis::{beats_to_frame, Beat};
use sim::prelude::*;
use sim_models::traces::{udp_tx_frame, TxFields};
use std::collections::VecDeque;
use testbench::models::{
    LauberhornRpcReplyW512C128N3A3S8, LauberhornRpcReplyW512C512N3A3S8,
    LauberhornRpcReplyW64C512N3A3S8,
};
use testbench::seed;

const LOCAL_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
const LOCAL_IP: u32 = 0x0a00_0001;

/// A TX buffer a core rang the doorbell on.
#[derive(Clone, Debug)]
struct Send {
    ep: u32,
    buf: u32,
    line: Vec<u8>,
}

impl Send {
    fn word(&self, w: usize) -> u64 {
        u64::from_le_bytes(self.line[w * 8..w * 8 + 8].try_into().unwrap())
    }

    /// The frame it sends, if its length and source port pass.
    fn frame(&self, tx_ports: &[u16], id: u16) -> Option<Vec<u8>> {
        let (a, p) = (self.word(tx::ADDR_WORD), self.word(tx::PORT_WORD));
        let len = (a >> tx::LEN_LSB) as usize;
        let src_port = (p >> tx::SRC_PORT_LSB) as u16;
        let port_ok = self.ep % 2 == KERNEL || src_port == tx_ports[(self.ep / 2) as usize];
        if len == 0 || len > tx::PAYLOAD as usize || !port_ok {
            return None;
        }
        let mac = (a & 0xffff_ffff_ffff).to_be_bytes();
        Some(udp_tx_frame(
            &TxFields {
                dst_mac: mac[2..].try_into().unwrap(),
                src_mac: LOCAL_MAC,
                src_ip: LOCAL_IP,
                dst_ip: p as u32,
                src_port,
                dst_port: (p >> tx::DST_PORT_LSB) as u16,
                ttl: 64,
                id,
            },
            &self.line[..len],
        ))
    }
}

fn send(rng: &mut ChaCha8Rng, ep: u32, buf: u32, tx_ports: &[u16]) -> Send {
    let mut line: Vec<u8> = (0..128).map(|_| rng.gen()).collect();
    let len = match rng.gen_range(0..10) {
        0 => 0,
        1 => rng.gen_range(tx::PAYLOAD as u64 + 1..0x10000),
        2 => u64::from(tx::PAYLOAD),
        _ => rng.gen_range(1..=tx::PAYLOAD as u64),
    };
    let mac = 0x02_00_00_00_00_00 | rng.gen::<u32>() as u64;
    let src_port = if rng.gen_bool(0.8) {
        tx_ports[(ep / 2) as usize]
    } else {
        rng.gen()
    };
    let a = mac | len << tx::LEN_LSB;
    let p = u64::from(rng.gen::<u32>())
        | u64::from(rng.gen::<u16>()) << tx::DST_PORT_LSB
        | u64::from(src_port) << tx::SRC_PORT_LSB;
    line[tx::ADDR_WORD * 8..tx::ADDR_WORD * 8 + 8].copy_from_slice(&a.to_le_bytes());
    line[tx::PORT_WORD * 8..tx::PORT_WORD * 8 + 8].copy_from_slice(&p.to_le_bytes());
    Send { ep, buf, line }
}

/// What the path took, in order.
#[derive(Clone, Debug)]
enum Taken {
    Reply(Job),
    Send(Send),
}

/// A call whose response sits in a slot.
#[derive(Clone, Debug)]
struct Job {
    slot: u32,
    wrote: bool,
    /// An error reply the receive path wrote (`err_done`), not a handler's (`done`).
    error: bool,
    mac: [u8; 6],
    src_ip: u32,
    dst_ip: u32,
    src_port: u16,
    dst_port: u16,
    xid: u32,
    /// The slot's bytes (word 0, results from byte 24).
    lines: Vec<u8>,
}

impl Job {
    /// The handler answered through a TX ring: no frame.
    fn ring(&self) -> bool {
        self.wrote && self.lines[0] >> ctrl::RING & 1 == 1
    }

    /// The reply's UDP payload.
    fn payload(&self, cap: usize) -> Vec<u8> {
        let w0 = u64::from_le_bytes(self.lines[..8].try_into().unwrap());
        let (len, stat) = (
            (w0 >> ctrl::LEN_LSB & 0xffff) as usize,
            (w0 >> ctrl::STAT_LSB & 0xff) as u32,
        );
        let (len, stat) = if self.wrote && len <= cap {
            (len, stat)
        } else {
            (0, SYSTEM_ERR as u32)
        };
        let mut p = Vec::new();
        for w in [self.xid, 1, 0, 0, 0, stat] {
            p.extend(w.to_be_bytes());
        }
        let r = ctrl::RESULT as usize;
        p.extend(&self.lines[r..r + len]);
        p
    }
}

fn job(rng: &mut ChaCha8Rng, slot: u32, cap: usize, slot_bytes: usize) -> Job {
    let len = match rng.gen_range(0..10) {
        0 => cap,
        1 => 0,
        2 => rng.gen_range(cap + 1..0x10000), // a length past the lines
        _ => rng.gen_range(0..=cap),
    };
    let mut lines: Vec<u8> = (0..slot_bytes).map(|_| rng.gen()).collect();
    let stat = rng.gen_range(0..6u64);
    // The receive path's error replies never say RING; a tenth of the handlers do.
    let error = rng.gen_bool(0.15);
    let ring = u64::from(!error && rng.gen_bool(0.1)) << ctrl::RING;
    let low = u64::from(rng.gen::<u8>()) & !(1 << ctrl::RING) | ring;
    let w0 = (len as u64) << ctrl::LEN_LSB | stat << ctrl::STAT_LSB | low;
    lines[..8].copy_from_slice(&w0.to_le_bytes());
    Job {
        slot,
        wrote: error || rng.gen_bool(0.95),
        error,
        mac: [0x02, 0xaa, rng.gen(), rng.gen(), rng.gen(), rng.gen()],
        src_ip: rng.gen(),
        dst_ip: rng.gen(),
        src_port: rng.gen(),
        dst_port: rng.gen(),
        xid: rng.gen(),
        lines,
    }
}

macro_rules! run {
    ($d:expr, $cfg:expr, $name:expr) => {{
        let d = &$d;
        let cfg: RpcReplyCfg = $cfg;
        let ecfg = cfg.endpoints();
        let mut rng = seed::rng($name);
        let cap = cfg.capacity() as usize;
        let wbytes = (cfg.coh_width / 8) as usize;
        let slot_bytes = (1 + cfg.aux_lines as usize).next_power_of_two() * 128;
        let words_per_slot = (slot_bytes / wbytes) as u64;
        let tx_region = ecfg.rd_tx(0);
        let ew = ecfg.ep_width();
        let tx = sim::axis_out!(d.m_axis_tx);
        d.rst.set_bit(0, true);
        d.tick().unwrap();
        d.rst.set_bit(0, false);
        d.local_mac.set_bytes(&{
            let mut m = LOCAL_MAC;
            m.reverse();
            m
        });
        d.local_ip.set_bits(0, 32, u64::from(LOCAL_IP));
        let tx_ports: Vec<u16> = (0..cfg.cores).map(|_| rng.gen()).collect();
        for (c, p) in tx_ports.iter().enumerate() {
            d.tx_port.set_bits(16 * c as u32, 16, u64::from(*p));
        }
        let n = 300;
        let mut todo: VecDeque<Job> = (0..n)
            .map(|k| job(&mut rng, k % cfg.slots, cap, slot_bytes))
            .collect();
        let bufs = 2 * ecfg.endpoints();
        let mut sends: VecDeque<Send> = (0..n)
            .map(|k| {
                let b = k % bufs;
                send(&mut rng, b / 2, b % 2, &tx_ports)
            })
            .collect();
        let rings = todo.iter().filter(|j| j.ring()).count();
        let want_frames = n as usize - rings
            + sends
                .iter()
                .filter(|s| s.frame(&tx_ports, 0).is_some())
                .count();
        let dropped = 2 * n as usize - rings - want_frames;
        let mut busy: VecDeque<Job> = VecDeque::new(); // handed over, slot not yet freed
        let mut busy_tx: Vec<Send> = Vec::new(); // handed over, buffer not yet back
        let mut order: Vec<Taken> = Vec::new(); // everything handed over, in order
        let mut ram_answer: Option<Vec<u8>> = None;
        let mut out: Vec<Beat> = Vec::new();
        let (mut frames, mut freed, mut back, mut drops) = (0usize, 0u32, 0u32, 0usize);
        let (mut next, mut turns) = (0usize, 0usize); // taken jobs accounted for; alternations
        let (mut reply_frames, mut datagram_frames) = (0usize, 0usize);
        let mut stats = [0usize; 4]; // replies, sent, dropped, answered through a ring
        let count = |stats: &mut [usize; 4]| {
            let pulses = [
                &d.stat_replies,
                &d.stat_sent,
                &d.stat_tx_dropped,
                &d.stat_ring_replies,
            ];
            for (n, p) in stats.iter_mut().zip(pulses) {
                *n += p.bit(0) as usize;
            }
        };
        let mut rings_freed = 0usize;
        let mut cycle = 0u64;
        while freed < n || back < n || frames < want_frames {
            cycle += 1;
            assert!(
                cycle < 400_000,
                "stuck: {frames} frames, {freed} freed, {back} back"
            );
            // A finished slot and a rung buffer, now and then (one job per slot or buffer
            // at a time).
            let offer = todo
                .front()
                .filter(|j| busy.iter().all(|b| b.slot != j.slot) && rng.gen_bool(0.3));
            d.done.valid.set_bit(0, offer.is_some_and(|j| !j.error));
            d.err_done.valid.set_bit(0, offer.is_some_and(|j| j.error));
            if let Some(j) = offer {
                d.done.slot.set_bits(0, 3, u64::from(j.slot));
                d.done.wrote.set_bit(0, j.wrote);
                d.err_done.slot.set_bits(0, 3, u64::from(j.slot));
            }
            let offer_tx = sends.front().filter(|s| {
                busy_tx.iter().all(|b| (b.ep, b.buf) != (s.ep, s.buf)) && rng.gen_bool(0.3)
            });
            d.tx_send.valid.set_bit(0, offer_tx.is_some());
            if let Some(s) = offer_tx {
                d.tx_send.ep.set_bits(0, ew, u64::from(s.ep));
                d.tx_send.buf.set_bits(0, 1, u64::from(s.buf));
            }
            // The caller of the slot the reply path looks at.
            let ms = d.meta.slot.get_bits(0, 3) as u32;
            if let Some(j) = busy.iter().find(|j| j.slot == ms) {
                let mut mac = j.mac;
                mac.reverse();
                d.meta.src_mac.set_bytes(&mac);
                d.meta.src_ip.set_bits(0, 32, u64::from(j.src_ip));
                d.meta.dst_ip.set_bits(0, 32, u64::from(j.dst_ip));
                d.meta.src_port.set_bits(0, 16, u64::from(j.src_port));
                d.meta.dst_port.set_bits(0, 16, u64::from(j.dst_port));
                d.meta.xid.set_bits(0, 32, u64::from(j.xid));
            }
            // The RAM answers the read of the cycle before.
            d.slot_rd.data_valid.set_bit(0, ram_answer.is_some());
            if let Some(w) = ram_answer.take() {
                d.slot_rd.data.set_bytes(&w);
            }
            d.slot_rd.ready.set_bit(0, rng.gen_bool(0.8));
            d.free.ready.set_bit(0, rng.gen_bool(0.5));
            tx.set_ready(rng.gen_bool(0.7));
            d.eval().unwrap();

            let took_reply = offer.is_some_and(|j| {
                if j.error {
                    d.err_done.ready.bit(0)
                } else {
                    d.done.ready.bit(0)
                }
            });
            let took_send = offer_tx.is_some() && d.tx_send.ready.bit(0);
            assert!(!(took_reply && took_send), "one job at a time");
            if took_reply {
                let j = todo.pop_front().unwrap();
                order.push(Taken::Reply(j.clone()));
                busy.push_back(j);
            }
            if took_send {
                let s = sends.pop_front().unwrap();
                order.push(Taken::Send(s.clone()));
                busy_tx.push(s);
            }
            if order.len() >= 2 && (took_reply || took_send) {
                let k = order.len();
                if matches!(
                    (&order[k - 2], &order[k - 1]),
                    (Taken::Reply(_), Taken::Send(_)) | (Taken::Send(_), Taken::Reply(_))
                ) {
                    turns += 1;
                }
            }
            if d.slot_rd.valid.bit(0) && d.slot_rd.ready.get_bits(0, 1) == 1 {
                let a = d.slot_rd.addr.get_bits(0, d.slot_rd.addr.width());
                ram_answer = Some(if a & tx_region != 0 {
                    let w = a & !tx_region;
                    let beats = u64::from(ecfg.beats());
                    let (eb, word) = ((w / beats) as u32, (w % beats) as usize);
                    let s = busy_tx
                        .iter()
                        .find(|s| 2 * s.ep + s.buf == eb)
                        .expect("reads only buffers handed over");
                    s.line[word * wbytes..(word + 1) * wbytes].to_vec()
                } else {
                    let (slot, word) = ((a / words_per_slot) as u32, (a % words_per_slot) as usize);
                    let j = busy
                        .iter()
                        .find(|j| j.slot == slot)
                        .expect("reads only slots handed over");
                    j.lines[word * wbytes..(word + 1) * wbytes].to_vec()
                });
            }
            // Skip the dropped datagrams: the next job that sends a frame.
            let mut expect = || loop {
                match &order[next] {
                    Taken::Send(s) if s.frame(&tx_ports, 0).is_none() => next += 1,
                    Taken::Reply(j) if j.ring() => next += 1,
                    t => break t.clone(),
                }
            };
            if tx.fires() {
                let b = tx.beat();
                let last = b.last;
                out.push(b);
                if last {
                    let f = beats_to_frame(&out);
                    out.clear();
                    let want = match expect() {
                        Taken::Reply(j) => udp_tx_frame(
                            &TxFields {
                                dst_mac: j.mac,
                                src_mac: LOCAL_MAC,
                                src_ip: j.dst_ip,
                                dst_ip: j.src_ip,
                                src_port: j.dst_port,
                                dst_port: j.src_port,
                                ttl: 64,
                                id: frames as u16,
                            },
                            &j.payload(cap),
                        ),
                        Taken::Send(s) => s.frame(&tx_ports, frames as u16).unwrap(),
                    };
                    assert_eq!(f, want, "frame {frames} (job {next}: {:?})", order[next]);
                    if matches!(order[next], Taken::Reply(_)) {
                        reply_frames += 1;
                    } else {
                        datagram_frames += 1;
                    }
                    next += 1;
                    frames += 1;
                }
            }
            if d.free.valid.bit(0) && d.free.ready.get_bits(0, 1) == 1 {
                let j = busy.pop_front().expect("a slot to free");
                assert_eq!(
                    d.free.slot.get_bits(0, 3) as u32,
                    j.slot,
                    "frees the slot replied from"
                );
                // Freed once its payload is in the frame builder: its frame is out or
                // the one being built.
                rings_freed += usize::from(j.ring());
                assert!(
                    freed as usize - rings_freed <= reply_frames,
                    "slot {} freed before its payload was sent",
                    j.slot
                );
                freed += 1;
            }
            if d.tx_done.valid.bit(0) {
                let (ep, buf) = (
                    d.tx_done.ep.get_bits(0, ew) as u32,
                    d.tx_done.buf.get_bits(0, 1) as u32,
                );
                let i = busy_tx
                    .iter()
                    .position(|s| (s.ep, s.buf) == (ep, buf))
                    .expect("hands back a buffer it was given");
                let s = busy_tx.remove(i);
                if s.frame(&tx_ports, 0).is_none() {
                    drops += 1;
                } else {
                    assert!(
                        (back as usize - drops) <= datagram_frames,
                        "buffer ({ep}, {buf}) back before its payload was sent"
                    );
                }
                back += 1;
            }
            count(&mut stats);
            d.tick().unwrap();
        }
        assert_eq!(drops, dropped, "every bad datagram dropped, no good one");
        for _ in 0..4 {
            count(&mut stats);
            d.tick().unwrap();
        }
        assert_eq!(
            stats,
            [n as usize - rings, n as usize - dropped, dropped, rings],
            "the replies, sent, dropped and ring counts"
        );
        assert!(turns > 20, "replies and datagrams took turns ({turns})");
        println!(
            "{}: {n} replies and {} datagrams ({dropped} dropped) in {cycle} cycles",
            $name,
            n as usize - dropped
        );
    }};
}

#[test]
fn replies_w64_c512() {
    let d = LauberhornRpcReplyW64C512N3A3S8::new();
    run!(
        d,
        hdl::library::small_rpc_reply(64, 512),
        "rpc_reply_w64_c512"
    );
}

#[test]
fn replies_w512_c512() {
    let d = LauberhornRpcReplyW512C512N3A3S8::new();
    run!(
        d,
        hdl::library::small_rpc_reply(512, 512),
        "rpc_reply_w512_c512"
    );
}

#[test]
fn replies_w512_c128() {
    let d = LauberhornRpcReplyW512C128N3A3S8::new();
    run!(
        d,
        hdl::library::small_rpc_reply(512, 128),
        "rpc_reply_w512_c128"
    );
}

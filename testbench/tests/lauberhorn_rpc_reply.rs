//! `hdl::lauberhorn::rpc_reply` (3 AUX lines, 8 slots) at the width pairs of the receive
//! path. The testbench plays the endpoints (finished slots, the slot RAM answering a cycle
//! after each read) and the receive path (each slot's caller), with random results of
//! every length, handlers that wrote nothing or a length past the lines, and random
//! back-pressure on the MAC and on freeing. Every frame must be the reference
//! `sim::traces::udp_tx_frame` of the accepted reply (RFC 5531) the slot describes, in
//! order, with a running IPv4 id, and every slot must be freed once, after its frame.

use hdl::lauberhorn::coherence::ctrl;
use hdl::lauberhorn::rpc_reply::{RpcReplyCfg, SYSTEM_ERR};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sim::axis::{beats_to_frame, Beat};
use sim::prelude::*;
use sim::traces::{udp_tx_frame, TxFields};
use std::collections::VecDeque;
use testbench::models::{
    LauberhornRpcReplyW512C128A3S8, LauberhornRpcReplyW512C512A3S8, LauberhornRpcReplyW64C512A3S8,
};
use testbench::seed;

const LOCAL_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];

/// A call whose response sits in a slot.
#[derive(Clone, Debug)]
struct Job {
    slot: u32,
    wrote: bool,
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
    let w0 = (len as u64) << ctrl::LEN_LSB | stat << ctrl::STAT_LSB | rng.gen::<u8>() as u64;
    lines[..8].copy_from_slice(&w0.to_le_bytes());
    Job {
        slot,
        wrote: rng.gen_bool(0.95),
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
        let mut rng = seed::rng($name);
        let cap = cfg.capacity() as usize;
        let wbytes = (cfg.coh_width / 8) as usize;
        let slot_bytes = (1 + cfg.aux_lines as usize).next_power_of_two() * 128;
        let words_per_slot = (slot_bytes / wbytes) as u64;
        let tx = sim::axis_out!(d.m_axis_tx);
        d.rst.set_bit(0, true);
        d.tick().unwrap();
        d.rst.set_bit(0, false);
        d.local_mac.set_bytes(&{
            let mut m = LOCAL_MAC;
            m.reverse();
            m
        });
        let n = 300;
        let mut todo: VecDeque<Job> = (0..n)
            .map(|k| job(&mut rng, k % cfg.slots, cap, slot_bytes))
            .collect();
        let mut busy: VecDeque<Job> = VecDeque::new(); // handed over, slot not yet freed
        let mut order: Vec<Job> = Vec::new(); // every job handed over, in order
        let mut ram_answer: Option<Vec<u8>> = None;
        let mut out: Vec<Beat> = Vec::new();
        let (mut frames, mut freed) = (0u32, 0u32);
        let mut cycle = 0u64;
        while freed < n || frames < n {
            cycle += 1;
            assert!(cycle < 200_000, "stuck: {frames} frames, {freed} freed");
            // A finished slot, now and then (one job per slot at a time).
            let offer = todo
                .front()
                .filter(|j| busy.iter().all(|b| b.slot != j.slot) && rng.gen_bool(0.3));
            d.done.valid.set_bit(0, offer.is_some());
            if let Some(j) = offer {
                d.done.slot.set_bits(0, 3, u64::from(j.slot));
                d.done.wrote.set_bit(0, j.wrote);
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
            // The slot RAM answers the read of the cycle before.
            d.slot_rd.data_valid.set_bit(0, ram_answer.is_some());
            if let Some(w) = ram_answer.take() {
                d.slot_rd.data.set_bytes(&w);
            }
            d.slot_rd.ready.set_bit(0, rng.gen_bool(0.8));
            d.free.ready.set_bit(0, rng.gen_bool(0.5));
            tx.set_ready(rng.gen_bool(0.7));
            d.eval().unwrap();

            if offer.is_some() && d.done.ready.bit(0) {
                let j = todo.pop_front().unwrap();
                order.push(j.clone());
                busy.push_back(j);
            }
            if d.slot_rd.valid.bit(0) && d.slot_rd.ready.get_bits(0, 1) == 1 {
                let a = d.slot_rd.addr.get_bits(0, d.slot_rd.addr.width());
                let (slot, word) = ((a / words_per_slot) as u32, (a % words_per_slot) as usize);
                let j = busy
                    .iter()
                    .find(|j| j.slot == slot)
                    .expect("reads only slots handed over");
                ram_answer = Some(j.lines[word * wbytes..(word + 1) * wbytes].to_vec());
            }
            if tx.fires() {
                let b = tx.beat();
                let last = b.last;
                out.push(b);
                if last {
                    let f = beats_to_frame(&out);
                    out.clear();
                    let j = &order[frames as usize];
                    let want = udp_tx_frame(
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
                    );
                    assert_eq!(f, want, "reply {frames} (slot {})", j.slot);
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
                assert!(
                    freed <= frames,
                    "slot {} freed before its payload was sent",
                    j.slot
                );
                freed += 1;
            }
            d.tick().unwrap();
        }
        println!("{}: {n} replies in {cycle} cycles", $name);
    }};
}

#[test]
fn replies_w64_c512() {
    let d = LauberhornRpcReplyW64C512A3S8::new();
    run!(
        d,
        hdl::library::small_rpc_reply(64, 512),
        "rpc_reply_w64_c512"
    );
}

#[test]
fn replies_w512_c512() {
    let d = LauberhornRpcReplyW512C512A3S8::new();
    run!(
        d,
        hdl::library::small_rpc_reply(512, 512),
        "rpc_reply_w512_c512"
    );
}

#[test]
fn replies_w512_c128() {
    let d = LauberhornRpcReplyW512C128A3S8::new();
    run!(
        d,
        hdl::library::small_rpc_reply(512, 128),
        "rpc_reply_w512_c128"
    );
}

//! `hdl::lauberhorn::rpc_decode` at 64, 128, 256 and 512 bits against the reference
//! `sim_models::net::rpc_call`: random ONC-RPC calls over UDP (credential and verifier bodies of
//! 0 to 400 bytes and some beyond, every alignment), replies and wrong RPC versions,
//! headers cut short by the UDP length, back to back and with gaps; every frame's report
//! must match and arrive exactly `LATENCY` cycles after its last beat.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sim::prelude::*;
use sim_models::net::{rpc_call, RpcCall};
use sim_models::traces::{fix_ip_checksum, fix_udp_checksum, pad, udp_frame};
use testbench::models::views::RpcDecode;
use testbench::models::{RpcDecodeW128, RpcDecodeW256, RpcDecodeW512, RpcDecodeW64};
use testbench::seed;
use testbench::tap::{run_frames, Frame};

/// The decoded call on `rpc_*` (all zero unless `ok`).
fn call(p: &RpcDecode) -> RpcCall {
    let r = &p.rpc;
    let g = |port: &dyn PortRead| port.get_bits(0, port.width());
    if g(r.ok) == 0 {
        return RpcCall::default();
    }
    RpcCall {
        ok: true,
        xid: g(r.xid) as u32,
        prog: g(r.prog) as u32,
        vers: g(r.vers) as u32,
        proc_: g(r.proc) as u32,
        cred_flavor: g(r.cred_flavor) as u32,
        cred_len: g(r.cred_len) as u32,
        verf_flavor: g(r.verf_flavor) as u32,
        verf_len: g(r.verf_len) as u32,
        args_offset: g(r.args_offset) as usize,
        args_len: g(r.args_len) as usize,
    }
}

/// A UDP frame carrying a call (or something that looks like one).
fn rpc_frame(rng: &mut ChaCha8Rng) -> Vec<u8> {
    let auth_len = |rng: &mut ChaCha8Rng| -> u32 {
        match rng.gen_range(0..10) {
            0..=3 => 0,
            4..=7 => rng.gen_range(0..=400),
            8 => 400,
            _ => rng.gen_range(401..600),
        }
    };
    let mut p: Vec<u8> = Vec::new();
    let put = |p: &mut Vec<u8>, v: u32| p.extend(v.to_be_bytes());
    put(&mut p, rng.gen());
    put(&mut p, if rng.gen_bool(0.9) { 0 } else { 1 });
    put(
        &mut p,
        if rng.gen_bool(0.9) {
            2
        } else {
            rng.gen_range(0..5)
        },
    );
    for _ in 0..3 {
        put(&mut p, rng.gen());
    }
    for _ in 0..2 {
        let len = auth_len(rng);
        put(&mut p, rng.gen_range(0..4));
        put(&mut p, len);
        let body = ((len.min(600) as usize) + 3) & !3;
        p.extend((0..body).map(|_| rng.gen::<u8>()));
    }
    p.extend((0..rng.gen_range(0..200)).map(|_| rng.gen::<u8>()));
    if rng.gen_bool(0.1) {
        p.truncate(rng.gen_range(0..p.len().max(1))); // a header cut short by the datagram
    }
    let mut f = udp_frame(rng, p.len());
    f[42..].copy_from_slice(&p);
    fix_udp_checksum(&mut f);
    fix_ip_checksum(&mut f);
    pad(f, rng)
}

fn run(p: RpcDecode, name: &str) {
    let mut rng = seed::rng(name);
    let frames: Vec<Frame> = (0..2000)
        .map(|n| Frame {
            bytes: rpc_frame(&mut rng),
            bad: false,
            gaps: if n < 700 { 0.0 } else { 0.3 },
        })
        .collect();
    let got = run_frames(p.dut, p.rst, &p.s_axis, &mut rng, frames, 8, || {
        p.rpc.valid.bit(0).then(|| call(&p))
    });
    let mut ok = 0;
    for (k, r) in got.iter().enumerate() {
        let want = rpc_call(&r.bytes);
        ok += want.ok as usize;
        let f = &r.bytes;
        assert_eq!(
            r.report,
            want,
            "frame {k} ({} bytes): {:02x?}",
            f.len(),
            &f[42..f.len().min(140)]
        );
        assert_eq!(
            r.latency,
            hdl::lauberhorn::rpc_decode::LATENCY,
            "frame {k}: latency"
        );
    }
    println!("{name}: {ok} of {} calls well formed", got.len());
    assert!(ok > 500 && ok < 1800, "{ok}");
}

#[test]
fn w64_matches_the_reference() {
    let d = RpcDecodeW64::new();
    run(d.view(), "rpc_decode_w64");
}

#[test]
fn w128_matches_the_reference() {
    let d = RpcDecodeW128::new();
    run(d.view(), "rpc_decode_w128");
}

#[test]
fn w256_matches_the_reference() {
    let d = RpcDecodeW256::new();
    run(d.view(), "rpc_decode_w256");
}

#[test]
fn w512_matches_the_reference() {
    let d = RpcDecodeW512::new();
    run(d.view(), "rpc_decode_w512");
}

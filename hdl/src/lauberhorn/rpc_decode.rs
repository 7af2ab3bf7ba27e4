//! ONC-RPC call decoder (RFC 5531): taps a MAC receive stream like
//! [`udp_rx_parse`](crate::blocks::udp_rx_parse), whose verdict says whether the frame is a
//! clean UDP/IPv4 datagram, and decodes the call header its payload carries at frame offset
//! 42: `xid`, message type (must be 0, CALL), RPC version (must be 2), program, version,
//! procedure, the credential's flavor and length, the verifier's flavor and length, and
//! where the inline arguments start and how long they are.
//!
//! The credential body (0 to 400 bytes, padded to 4) sits between the fixed part and the
//! verifier, so the verifier is at a run-time offset: each beat is looked at together with
//! the one before it (a two-beat window), which holds the verifier's 8 bytes whatever their
//! alignment; the verifier's offset is worked out a cycle before the window is looked at,
//! and the verdict a cycle after (stages B, C, D). `rpc_ok` says the call is well formed: CALL, version 2, both bodies at most
//! 400 bytes, and the header inside the UDP datagram (`udp_len` from the UDP header).
//! `rpc_valid` pulses [`LATENCY`] cycles after each frame's last beat, frames back to back.

use crate::blocks::frame_tap::{FrameTap, OFFSET_WIDTH};
use crate::blocks::onehot::select_onehot;
use crate::bundles::{Axis, AxisCfg};
use crate::ir::{cat, lit, Expr, HdlErrors, Module, ModuleBuilder, PortDir, Sig};
use crate::proto::{at, frame, oncrpc, udp};
use std::rc::Rc;

/// Cycles from a frame's last beat to its `rpc_valid` pulse.
pub const LATENCY: u64 = 4;
/// Frame offset of the RPC message: the UDP payload.
pub const RPC_OFFSET: u32 = frame::PAYLOAD as u32;
/// Frame bytes captured at fixed offsets: everything up to the credential's length.
const FIXED_BYTES: u32 = RPC_OFFSET + oncrpc::FIXED_LEN as u32;

pub fn rpc_decode(data_width: u32) -> Result<Rc<Module>, HdlErrors> {
    let name = format!("rpc_decode_w{data_width}");
    AxisCfg::validate_nic_width(&name, data_width)?;
    let lanes = data_width / 8;
    let lb = lanes.trailing_zeros();
    let mut m = ModuleBuilder::new(&name);
    m.doc(format!(
        "ONC-RPC call decoder, {data_width}-bit: call header fields per frame, {LATENCY} cycles\n\
         after its last beat. Always ready."
    ));
    let s = Axis::sink(&mut m, "s_axis", AxisCfg::net(data_width));
    m.unused(&s.tkeep); // lengths come from the UDP header
    m.unused(s.tuser.as_ref().unwrap()); // the parser's verdict covers bad frames
    let tap = FrameTap::new(&mut m, &s, FIXED_BYTES);
    let (fire, idx) = (tap.fire.clone(), tap.index.clone());
    const IW: u32 = OFFSET_WIDTH;
    // A call-header field, in the frame.
    let word = |f| tap.field(at(frame::PAYLOAD, f));

    // Stage B: the beat one cycle later (the header up to it is captured), with the beat
    // before it (`p_data`): together the window the verifier is taken from, looked at in
    // stage C, a cycle later, against the verifier's offset computed in stage B.
    let b_valid = m.reg_reset("b_valid", 1, 0);
    let b_last = m.reg("b_last", 1);
    let b_idx = m.reg("b_index", IW - lb);
    let b_data = m.reg("b_data", data_width);
    let p_data = m.reg("p_data", data_width);
    m.set(&b_valid, &fire);
    m.when(&fire, |m| {
        m.set(&b_last, &s.tlast);
        m.set(&b_idx, &idx);
        m.set(&b_data, &s.tdata);
        m.set(&p_data, &b_data);
    });
    let cred_len = m.node("cred_len", word(oncrpc::CRED_LEN));
    let pad4 = |e: &Expr| -> Expr { (e.trunc(IW) + lit(3, IW)) & lit(!3u64 & 0xffff, IW) };
    let cred_fits = m.node("cred_fits", cred_len.le(oncrpc::MAX_AUTH));
    // Frame offset of the verifier (16 bits suffice: bodies are at most 400 bytes).
    let verf_at = m.node(
        "verf_offset",
        lit(FIXED_BYTES as u64, IW) + pad4(&cred_len.clone().into()),
    );
    // The window starts one beat before stage B's beat.
    let b_base = cat([Expr::from(&b_idx), lit(0, lb)]);
    let win_base = m.node("window_base", b_base - lit(lanes as u64, IW));
    let frame_end = m.node("frame_end", &b_valid & &b_last);

    // Stage C: the window, where it starts and where the verifier starts.
    let c_valid = m.reg_reset("c_valid", 1, 0);
    let c_last = m.reg("c_last", 1);
    let c_first = m.reg("c_first", 1);
    let c_window = m.reg("c_window", 2 * data_width);
    let c_rel = m.reg("c_verf_in_window", IW);
    let c_in_window = m.reg("c_verf_in_range", 1);
    let rel_b = m.node("verf_in_window", &verf_at - &win_base);
    m.set(&c_valid, &b_valid);
    m.when(&b_valid, |m| {
        m.set(&c_last, &b_last);
        m.set(&c_first, b_idx.eq(0u64));
        m.set(&c_window, cat([Expr::from(&b_data), Expr::from(&p_data)]));
        m.set(&c_rel, &rel_b);
        m.set(
            &c_in_window,
            verf_at.ge(&win_base) & rel_b.le((2 * lanes - 8) as u64) & &cred_fits,
        );
    });
    let rel = c_rel.clone();
    let covered = m.node("verf_here", &c_valid & !&c_first & &c_in_window);
    // The verifier starts 2 bytes past a multiple of 4 (offset 42 + 4k): select among those
    // positions only, one-hot.
    let positions: Vec<u32> = (0..2 * lanes - 7).filter(|p| p % 4 == 2).collect();
    let at: Vec<Expr> = positions.iter().map(|&p| rel.eq(p as u64)).collect();
    let candidates: Vec<Expr> = positions
        .iter()
        .map(|&p| cat((0..8).map(|i| c_window.slice((p + i) * 8, 8))))
        .collect();
    m.unused(&c_window); // its lowest lanes never hold a verifier's bytes on narrow buses
    let verf_now = m.node(
        "verf_now",
        select_onehot(&candidates, &cat(at.into_iter().rev())),
    );
    let seen = m.reg_reset("verf_seen", 1, 0);
    let verf = m.reg("verf_words", 64);
    m.describe(
        &verf,
        "The verifier's flavor and length, once its beat has passed.",
    );
    let c_end = m.node("c_frame_end", &c_valid & &c_last);
    m.when(&covered & !&seen, |m| {
        m.set(&verf, &verf_now);
        m.set(&seen, 1);
    });
    m.when(&c_end, |m| m.set(&seen, 0));
    let take_now = m.node("verf_in_last", &covered & !&seen);

    // The call's fixed fields, kept at the frame's end in stage B, then C; stage D has
    // the verifier too and works out the verdict.
    let udp_len = tap.field(frame::UDP_LENGTH);
    let udp_hdr = udp::HEADER_LEN as u64;
    let fixed: Vec<(&str, Expr)> = vec![
        ("xid", word(oncrpc::XID)),
        ("prog", word(oncrpc::PROG)),
        ("vers", word(oncrpc::VERS)),
        ("proc", word(oncrpc::PROC)),
        ("cred_flavor", word(oncrpc::CRED_FLAVOR)),
        ("cred_len", cred_len.clone().into()),
        (
            "header_ok",
            word(oncrpc::MSG_TYPE).eq(oncrpc::CALL)
                & word(oncrpc::RPC_VERSION).eq(oncrpc::VERSION)
                & &cred_fits
                & udp_len.ge(udp_hdr),
        ),
        ("rpc_len", &udp_len - lit(udp_hdr, 16)),
        (
            "args_base",
            lit((oncrpc::FIXED_LEN + oncrpc::VERF_FIXED_LEN) as u64, IW)
                + pad4(&cred_len.clone().into()),
        ),
    ];
    let c_fixed = stage(&mut m, "c", &frame_end, &fixed);
    let mut d_from = c_fixed.clone();
    d_from.push(("verf", take_now.mux(&verf_now, &verf)));
    d_from.push(("has_verf", &take_now | &seen));
    let d = stage(&mut m, "d", &c_end, &d_from);
    let d_end = m.reg_reset("d_valid", 1, 0);
    m.set(&d_end, &c_end);
    let f = |n: &str| {
        d.iter()
            .find(|(k, _)| *k == n)
            .expect("a stage D field")
            .1
            .clone()
    };
    let v = f("verf");
    let verf_flavor = v.slice(32, 32);
    let verf_len = m.node("verf_len", v.trunc(32));
    let verf_fits = verf_len.le(oncrpc::MAX_AUTH);

    // The verdict, in stage D.
    let rpc_len = f("rpc_len");
    let args_rel = m.node("args_rel", f("args_base") + pad4(&verf_len.clone().into()));
    let ok = m.node(
        "call_ok",
        f("header_ok") & f("has_verf") & verf_fits & rpc_len.ge(&args_rel),
    );
    let out = |m: &mut ModuleBuilder, n: &str, e: Expr| {
        let p = m.group_port("rpc", n, e.width(), PortDir::Out);
        let r = m.reg(&format!("rpc_{n}_r"), e.width());
        m.when(&d_end, |m| m.set(&r, e));
        m.set(&p, &r);
    };
    let valid = m.group_port("rpc", "valid", 1, PortDir::Out);
    let valid_r = m.reg_reset("rpc_valid_r", 1, 0);
    m.set(&valid_r, &d_end);
    m.set(&valid, &valid_r);
    out(&mut m, "ok", ok.into());
    for n in ["xid", "prog", "vers", "proc", "cred_flavor", "cred_len"] {
        out(&mut m, n, f(n));
    }
    out(&mut m, "verf_flavor", verf_flavor);
    out(&mut m, "verf_len", verf_len.clone().into());
    out(
        &mut m,
        "args_offset",
        lit(RPC_OFFSET as u64, IW) + &args_rel,
    );
    out(&mut m, "args_len", &rpc_len - &args_rel);
    m.finish()
}

/// Registers `from`, named `{at}_{field}`, loaded when `when`.
fn stage<'a>(
    m: &mut ModuleBuilder,
    at: &str,
    when: &Sig,
    from: &[(&'a str, Expr)],
) -> Vec<(&'a str, Expr)> {
    from.iter()
        .map(|(f, e)| {
            let r = m.reg(&format!("{at}_{f}"), e.width());
            m.when(when, |m| m.set(&r, e));
            (*f, Expr::from(&r))
        })
        .collect()
}

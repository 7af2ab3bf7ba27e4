//! `lauberhorn-replay` as a user runs it (issue 17's reproduction, generated instead of
//! committed): a pcap of 20,000 frames from `sim_models::traces::rpc_mix` (90% calls with up to
//! 400 bytes of arguments, the rest malformed), `echo` on core 0's user endpoint and
//! `reverse` on core 1's kernel endpoint, 1% random evictions, at both MAC widths.
//!
//! Checked: the command succeeds (it fails on any protocol violation or error answer on
//! the coherence link); every call is answered once, with its handler's result computed
//! here; the malformed frames are counted, not answered; `counters.json` says so.

use sim_models::traces::{rpc_mix, RPC_GOLDEN_SERVICES};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use testbench::seed;

const LOCAL_IP: [u8; 4] = [10, 0, 0, 2];

const SERVICES: &str = r#"
local_ip = "10.0.0.2"
local_mac = "02:00:00:00:00:02"
timeout = 2000
cores = ["user:0", "kernel"]
evict = 0.01

[[service]]
prog = 0x20000001
vers = 1
proc = 1
port = 4000
process = 0
handler = "echo"

[[service]]
prog = 0x20000002
vers = 2
proc = 7
port = 5000
process = 1
handler = "reverse"
"#;

fn replay(name: &str, width: u32) {
    use rand::Rng;
    let mut rng = seed::rng(name);
    let mix = rpc_mix(&mut rng, 20_000, &RPC_GOLDEN_SERVICES, LOCAL_IP, 400);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let frames: Vec<Vec<u8>> = mix.iter().map(|f| f.bytes.clone()).collect();
    sim_models::pcap::write(&dir.join("calls.pcap"), &frames).unwrap();
    std::fs::write(dir.join("services.toml"), SERVICES).unwrap();
    let run_seed: u64 = rng.gen();
    let out = Command::new(env!("CARGO_BIN_EXE_lauberhorn-replay"))
        .arg(dir.join("calls.pcap"))
        .arg("--services")
        .arg(dir.join("services.toml"))
        .arg("--out")
        .arg(dir.join("out"))
        .args([
            "--width",
            &width.to_string(),
            "--seed",
            &run_seed.to_string(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{name}: lauberhorn-replay failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Every call answered once, from its port, with echo's or reverse's result.
    let replies = sim_models::pcap::read(&dir.join("out/replies.pcap")).unwrap();
    let mut by_xid = BTreeMap::new();
    for f in &replies {
        let xid = u32::from_be_bytes(f[42..46].try_into().unwrap());
        assert!(
            by_xid.insert(xid, f).is_none(),
            "xid {xid:#x} answered twice"
        );
    }
    let calls: Vec<_> = mix.iter().filter_map(|f| f.call.as_ref()).collect();
    assert_eq!(replies.len(), calls.len(), "{name}: one reply per call");
    for (spec, svc) in &calls {
        let f = by_xid[&spec.xid];
        let udp_len = u16::from_be_bytes([f[38], f[39]]) as usize;
        let want: Vec<u8> = match svc {
            0 => spec.args.clone(),
            _ => spec.args.iter().rev().copied().collect(),
        };
        assert_eq!(
            &f[34..36],
            &spec.dst_port.to_be_bytes(),
            "from the service port"
        );
        assert_eq!(
            &f[66..34 + udp_len],
            &want[..],
            "xid {:#x}: the result",
            spec.xid
        );
    }
    let counters: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("out/counters.json")).unwrap())
            .unwrap();
    let n = |k: &str| counters["counters"][k].as_u64().unwrap();
    assert_eq!(
        (n("CALLS"), n("REPLIES"), n("MALFORMED")),
        (
            calls.len() as u64,
            calls.len() as u64,
            (mix.len() - calls.len()) as u64
        )
    );
    assert_eq!(
        (n("VIOLATIONS"), counters["link_errors"].as_u64()),
        (0, Some(0))
    );
    println!("{name}: {}", String::from_utf8_lossy(&out.stdout).trim());
}

#[test]
fn replay_of_20000_frames_w512() {
    replay("lauberhorn_replay_w512", 512);
}

#[test]
fn replay_of_20000_frames_w64() {
    replay("lauberhorn_replay_w64", 64);
}

//! The replay commands as a user runs them: on the shipped traces and configuration files
//! their results equal what the test harness and the reference models give, and inputs
//! they cannot run end in a clear one-line error (exit 1), never a panic.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sim_models::accio::rx_model::{RxAction, RxEntry, RxModel};
use sim_models::traces::{rpc_call_frame, RpcCallSpec};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn traces() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("traces")
}

fn scratch(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs replay command `bin` on `input` with its configuration file (`--ict` or
/// `--services`), output into `out` (backtraces off, as a user's shell has them).
fn replay(bin: &str, input: &Path, config: (&str, &Path), out: &Path) -> Output {
    Command::new(bin)
        .arg(input)
        .args([config.0.as_ref(), config.1.as_os_str()])
        .arg("--out")
        .arg(out)
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap()
}

const LAUBERHORN: &str = env!("CARGO_BIN_EXE_lauberhorn-replay");
const ACCIO: &str = env!("CARGO_BIN_EXE_accio-replay");

/// Exit 1 with one line on stderr that says `what`.
fn refused(out: &Output, what: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "exit status; stderr: {err}");
    assert!(!err.contains("panicked"), "a panic: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("Error: ") && err.contains(what), "{err}");
}

/// The shipped RPC trace and services file (DMA fallback on, notifications): the replies
/// the command writes are the golden run's (`lauberhorn_nic`'s rpc_golden_dma pcap
/// snapshot), whatever the order the two cores answered in.
#[test]
fn lauberhorn_replay_of_the_shipped_trace_gives_the_golden_replies() {
    let dir = scratch("replay_cli_lauberhorn");
    let services = traces().join("rpc_services.toml");
    let input = traces().join("rpc_golden.pcap");
    let out = replay(LAUBERHORN, &input, ("--services", &services), &dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = unnumbered(&dir.join("replies.pcap"));
    let snap = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots/lauberhorn_nic__rpc_golden_dma_replies.snap.pcap");
    let want = unnumbered(&snap);
    assert_eq!(got.len(), want.len(), "replies");
    assert!(got == want, "the replies differ from the golden run's");
}

/// The frames of a pcap, sorted, without the IPv4 identification and the header checksum
/// that covers it: the NIC numbers every packet it sends, the cores' notifications too,
/// so the numbers follow the order in which the cores answered.
fn unnumbered(pcap: &Path) -> Vec<Vec<u8>> {
    let mut frames = sim_models::pcap::read(pcap).unwrap();
    for f in &mut frames {
        f[18..20].fill(0);
        f[24..26].fill(0);
    }
    frames.sort();
    frames
}

/// A JSON output of a replay without the members named `skip` (at any depth): the cycles
/// things happened at, which the clocks decide.
fn json_without(path: &Path, skip: &[&str]) -> serde_json::Value {
    fn strip(v: &mut serde_json::Value, skip: &[&str]) {
        match v {
            serde_json::Value::Object(m) => {
                m.retain(|k, _| !skip.contains(&k.as_str()));
                m.values_mut().for_each(|x| strip(x, skip));
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(|x| strip(x, skip)),
            _ => {}
        }
    }
    let mut v = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    strip(&mut v, skip);
    v
}

/// Runs replay command `bin` on `input` with `config`, without and with `--board board`:
/// both succeed; the two output directories.
fn with_and_without_board(
    name: &str,
    bin: &str,
    input: &Path,
    config: (&str, &Path),
    board: &str,
) -> [PathBuf; 2] {
    let dir = scratch(name);
    let outs = [dir.join("nic"), dir.join(board)];
    for (out, args) in outs.iter().zip([&[][..], &["--board", board]]) {
        let o = Command::new(bin)
            .arg(input)
            .args([config.0.as_ref(), config.1.as_os_str()])
            .arg("--out")
            .arg(out)
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    outs
}

/// `lauberhorn-replay --board enzian` on the shipped RPC trace and services file (the DMA
/// fallback, notifications): the same outputs as without, through the Enzian core's three
/// clocks: the frames passed on, the replies and notifications (their IPv4 numbering
/// aside), every request each core served (but the cycle it came) and every counter (but
/// TRYAGAINS and the cycles).
#[test]
fn lauberhorn_replay_through_the_enzian_core_gives_the_same_outputs() {
    let [nic, board] = with_and_without_board(
        "replay_cli_enzian",
        LAUBERHORN,
        &traces().join("rpc_golden.pcap"),
        ("--services", &traces().join("rpc_services.toml")),
        "enzian",
    );
    let read = |d: &Path| std::fs::read(d.join("other.pcap")).unwrap();
    assert!(read(&nic) == read(&board), "other.pcap");
    for f in ["replies.pcap", "notifications.pcap"] {
        let want = unnumbered(&nic.join(f));
        assert!(!want.is_empty(), "{f}");
        assert!(unnumbered(&board.join(f)) == want, "{f}");
    }
    assert_eq!(
        json_without(&board.join("dispatch.json"), &["cycle"]),
        json_without(&nic.join("dispatch.json"), &["cycle"]),
        "dispatch.json"
    );
    let skip = ["cycles", "TRYAGAINS"];
    assert_eq!(
        json_without(&board.join("counters.json"), &skip),
        json_without(&nic.join("counters.json"), &skip),
        "counters.json"
    );
}

/// `accio-replay --board vcu118` on the shipped trace and connection file: the same
/// outputs as without, through the VCU118 core's two clocks (every file byte for byte, the
/// cycle count aside).
#[test]
fn accio_replay_through_the_vcu118_core_gives_the_same_outputs() {
    let [nic, board] = with_and_without_board(
        "replay_cli_vcu118",
        ACCIO,
        &traces().join("rx_golden.pcap"),
        ("--ict", &traces().join("replay_conns.toml")),
        "vcu118",
    );
    for f in ["wire.pcap", "normal.pcap", "rings.json", "normal.json"] {
        let read = |d: &Path| std::fs::read(d.join(f)).unwrap();
        assert!(read(&nic) == read(&board), "{f}");
    }
    assert_eq!(
        json_without(&board.join("counters.json"), &["cycles"]),
        json_without(&nic.join("counters.json"), &["cycles"]),
        "counters.json"
    );
}

/// The shipped Accio trace and connection file: each connection's ring holds exactly the
/// records the RX reference model gives, the normal path the frames it gives, and the
/// datagrams the connection file sends are on the wire.
#[test]
fn accio_replay_of_the_shipped_trace_matches_the_models() {
    let dir = scratch("replay_cli_accio");
    let conns = traces().join("replay_conns.toml");
    let out = replay(
        ACCIO,
        &traces().join("rx_golden.pcap"),
        ("--ict", &conns),
        &dir,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file: toml::Value = toml::from_str(&std::fs::read_to_string(&conns).unwrap()).unwrap();
    let conn = file["conn"].as_array().unwrap();
    let entries: Vec<RxEntry> = conn
        .iter()
        .map(|c| {
            let local: std::net::SocketAddrV4 = c["local"].as_str().unwrap().parse().unwrap();
            RxEntry {
                enabled: true,
                accelerated: c.get("accelerated").is_none_or(|a| a.as_bool().unwrap()),
                local_ip: u32::from(*local.ip()),
                local_port: local.port(),
                size: 1 << 30,
                ..RxEntry::default()
            }
        })
        .collect();
    let mut model = RxModel::new(entries, 2048);
    model.np_buffers = (0..1 << 16).collect();
    let mut rings = vec![Vec::new(); conn.len()];
    let mut normal = 0;
    for f in sim_models::pcap::read(&traces().join("rx_golden.pcap")).unwrap() {
        match model.frame(&f, false) {
            RxAction::Ring { entry, record, .. } => rings[entry].push(record),
            RxAction::Normal { .. } => normal += 1,
            RxAction::Dropped(_) => {}
        }
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("rings.json")).unwrap()).unwrap();
    for (i, want) in rings.iter().enumerate() {
        let got = json[i]["datagrams"].as_array().unwrap();
        assert_eq!(got.len(), want.len(), "connection {i}: datagrams");
        for (g, w) in got.iter().zip(want) {
            let payload = &w[hdl::accio::rx_offload::record::PAYLOAD..];
            let hex: String = payload.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(g["payload"].as_str().unwrap(), hex, "connection {i}");
        }
    }
    let np = sim_models::pcap::read(&dir.join("normal.pcap")).unwrap();
    assert_eq!(np.len(), normal, "normal-path frames");
    let wire = sim_models::pcap::read(&dir.join("wire.pcap")).unwrap();
    let sent: Vec<&str> = conn[0]["send"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let payloads: Vec<&[u8]> = wire.iter().map(|f| &f[42..]).collect();
    for s in sent {
        assert!(
            payloads.iter().any(|p| p.starts_with(s.as_bytes())),
            "{s:?} on the wire"
        );
    }
}

/// A services file for one `echo` service of process 1 on port 4000.
fn echo_services(dir: &Path, cores: &str, extra: &str) -> PathBuf {
    let p = dir.join("services.toml");
    std::fs::write(
        &p,
        format!(
            "local_ip = \"10.0.0.2\"\nlocal_mac = \"02:00:00:00:00:02\"\ntimeout = 2000\n\
             cores = {cores}\n{extra}\n\
             [[service]]\nprog = 0x20000001\nvers = 1\nproc = 1\nport = 4000\nprocess = 1\n\
             handler = \"echo\"\n"
        ),
    )
    .unwrap();
    p
}

/// `n` calls to the echo service with `args` bytes of arguments.
fn echo_calls(dir: &Path, n: u32, args: usize) -> PathBuf {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let frames: Vec<Vec<u8>> = (0..n)
        .map(|k| {
            rpc_call_frame(
                &mut rng,
                &RpcCallSpec {
                    xid: 0x100 + k,
                    prog: 0x2000_0001,
                    vers: 1,
                    proc_: 1,
                    cred: (0, Vec::new()),
                    verf: (0, Vec::new()),
                    args: vec![k as u8; args],
                    dst_ip: [10, 0, 0, 2],
                    dst_port: 4000,
                },
            )
        })
        .collect();
    let p = dir.join("calls.pcap");
    sim_models::pcap::write(&p, &frames).unwrap();
    p
}

/// `lauberhorn-replay` on `n` echo calls of `args` bytes, with `cores` and `extra` in the
/// services file, must refuse with `what`.
fn lauberhorn_refuses(name: &str, cores: &str, extra: &str, n: u32, args: usize, what: &str) {
    let dir = scratch(name);
    let services = echo_services(&dir, cores, extra);
    let calls = echo_calls(&dir, n, args);
    let out = replay(
        LAUBERHORN,
        &calls,
        ("--services", &services),
        &dir.join("out"),
    );
    refused(&out, what);
}

/// Results larger than the lines (echoes of 600-byte calls through the DMA fallback's RX
/// ring) go out through the TX ring: every call answered with its arguments, to the first
/// frame's source MAC (the default next hop).
#[test]
fn lauberhorn_replay_sends_large_results_through_the_tx_ring() {
    let dir = scratch("replay_cli_large_result");
    let services = echo_services(&dir, r#"["user:1", "kernel"]"#, "dma_ring = 65536");
    let calls = echo_calls(&dir, 3, 600);
    let out = replay(
        LAUBERHORN,
        &calls,
        ("--services", &services),
        &dir.join("out"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let frames = sim_models::pcap::read(&calls).unwrap();
    let replies = sim_models::pcap::read(&dir.join("out/replies.pcap")).unwrap();
    assert_eq!(replies.len(), 3);
    for (k, r) in replies.iter().enumerate() {
        let reply = sim_models::net::rpc_reply(r).expect("an accepted reply");
        assert_eq!((reply.xid, reply.accept_stat), (0x100 + k as u32, 0));
        assert_eq!(reply.body, vec![k as u8; 600]);
        assert_eq!(r[0..6], frames[0][6..12], "to the next hop");
    }
}

#[test]
fn lauberhorn_replay_explains_what_it_cannot_run() {
    let serves_1 = r#"["user:1", "kernel"]"#;
    // A process no core runs, with no core in the kernel: the stall names it.
    lauberhorn_refuses(
        "replay_cli_unserved",
        r#"["user:0", "other"]"#,
        "",
        3,
        16,
        "calls for process(es) [1] wait: no core runs them",
    );
    // More calls in flight than one process may queue (the replay NIC's queue_limit is 4):
    // the NIC refuses some, and the stall says so.
    lauberhorn_refuses(
        "replay_cli_refused",
        serves_1,
        "outstanding = 8",
        40,
        16,
        "the NIC dropped calls, which are never answered (REFUSED",
    );
    // More calls in flight than the NIC has slots.
    lauberhorn_refuses(
        "replay_cli_outstanding",
        serves_1,
        "outstanding = 1000",
        3,
        16,
        "outstanding must be 1 to",
    );
}

#[test]
fn accio_replay_explains_what_it_cannot_run() {
    // Datagrams to send that do not fit the TX ring.
    let dir = scratch("replay_cli_tx_ring");
    let conns = dir.join("conns.toml");
    let big = "x".repeat(1400);
    std::fs::write(
        &conns,
        format!(
            "mac = \"02:00:00:ac:c1:00\"\n[[conn]]\nlocal = \"10.1.0.1:4000\"\n\
             remote = \"10.0.0.9:5000\"\nremote_mac = \"02:00:00:00:0e:01\"\n\
             tx_ring_bytes = 4096\nsend = [\"{big}\", \"{big}\", \"{big}\"]\n"
        ),
    )
    .unwrap();
    let input = traces().join("rx_golden.pcap");
    let out = replay(ACCIO, &input, ("--ict", &conns), &dir.join("out"));
    refused(&out, "more than tx_ring_bytes = 4096");
    // A board core at a width it is not built at.
    let out = Command::new(ACCIO)
        .arg(&input)
        .arg("--ict")
        .arg(traces().join("replay_conns.toml"))
        .arg("--out")
        .arg(dir.join("board"))
        .args(["--board", "vcu118", "--width", "64"])
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    refused(&out, "the board core is built at 512 bits");
}

//! Real Linux peers over TAP: `ping` and Linux UDP sockets, in a namespace each test
//! creates, talking to the Verilated `accio_nic_w512` and the programs on its host
//! (`testbench::accio_tap`). Needs root and /dev/net/tun; without them the tests say why
//! and pass, except under CI, where they must run.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim_models::accio::host::Conn;
use sim_models::lauberhorn::host::Builtin;
use std::io::Write;
use std::net::{Ipv4Addr, UdpSocket};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use testbench::accio_tap::{self, Programs};
use testbench::lauberhorn_tap::{self, RPC_CLIENT};
use testbench::linux_tap::{self, Netns, Tap, HOST_IP, LINUX_IP, LINUX_MAC};

/// False (with the reason printed) when the tests cannot run here and CI is not set.
fn can_run() -> bool {
    match linux_tap::unavailable() {
        None => true,
        Some(why) if std::env::var_os("CI").is_some() => panic!("TAP tests must run in CI: {why}"),
        Some(why) => {
            eprintln!("skipping the TAP tests: {why}");
            false
        }
    }
}

/// Runs `bridge` on a TAP in a new namespace in a thread while `linux` runs; what the
/// bridge returns. With `neighbour`, Linux gets a static ARP entry for the host.
fn with_bridge<S: Send + 'static>(
    bridge: impl FnOnce(&Tap, &AtomicBool) -> S + Send + 'static,
    neighbour: bool,
    linux: impl FnOnce(&Netns),
) -> S {
    let ns = Netns::new().expect("a namespace");
    let tap = Tap::new(&ns).expect("a TAP in it");
    if neighbour {
        tap.host_neighbour(&ns).expect("a static ARP entry");
    }
    let stop = Arc::new(AtomicBool::new(false));
    /// Stops the bridge when `linux` panics too, so the namespace goes away.
    struct Stop(Arc<AtomicBool>);
    impl Drop for Stop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    let bridge = {
        let stop = stop.clone();
        std::thread::spawn(move || bridge(&tap, &stop))
    };
    {
        let _stop = Stop(stop);
        linux(&ns);
    }
    bridge.join().expect("the bridge runs to the end")
}

/// The Accio bridge with `programs` (Linux resolves the host by ARP: smoltcp answers).
fn accio(programs: Programs, seed: u64, linux: impl FnOnce(&Netns)) -> accio_tap::Stats {
    with_bridge(
        move |tap, stop| accio_tap::run(tap, &programs, stop, seed),
        false,
        linux,
    )
}

#[test]
fn ping_answered_by_smoltcp_on_the_normal_path() {
    if !can_run() {
        return;
    }
    let st = accio(Programs::default(), 1, |ns| {
        let [a, b, c, d] = HOST_IP;
        let out = ns
            .command("ping")
            .args(["-c", "3", "-i", "0.2", "-W", "10"])
            .arg(format!("{a}.{b}.{c}.{d}"))
            .output()
            .expect("ping runs");
        let text = String::from_utf8_lossy(&out.stdout);
        println!("{text}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "ping failed: {text}{err}");
        assert!(text.contains("3 packets transmitted, 3 received"), "{text}");
    });
    println!("{st:?}");
    let rtts = &st.round_trips["icmp"];
    assert_eq!(rtts.len(), 3, "three echo replies on the wire");
    // Linux resolved the host's address: smoltcp answered its ARP request.
    assert!(st.arp_replies >= 1, "no ARP reply from the host");
    println!("ping round trips (cycles, echo request handed to the MAC → reply's last beat out): {rtts:?}");
}

#[test]
fn linux_udp_socket_echoed_by_an_accelerated_connection_and_by_smoltcp() {
    if !can_run() {
        return;
    }
    const ACCEL_PORT: u16 = 7000;
    const NP_PORT: u16 = 7001;
    const LINUX_PORT: u16 = 5000;
    let ip = |a: [u8; 4]| u32::from(Ipv4Addr::from(a));
    let programs = Programs {
        echo_conns: vec![Conn {
            local_ip: ip(HOST_IP),
            local_port: ACCEL_PORT,
            remote_ip: ip(LINUX_IP),
            remote_port: LINUX_PORT,
            remote_mac: LINUX_MAC,
            accelerated: true,
            rx_ring_bytes: 1 << 16,
            // Room for one largest datagram: a burst's echoes wait for TX_HEAD.
            tx_ring_bytes: 2048,
            core: 0,
            send: Vec::new(),
        }],
        np_udp_echo: Some(NP_PORT),
        np_rpc: None,
    };
    let seed: u64 = rand::thread_rng().gen();
    println!("seed {seed}");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // Up to the largest payload a 1500-byte MTU carries.
    let mut datagrams = |k: usize| -> Vec<Vec<u8>> {
        (0..k)
            .map(|_| {
                let n = rng.gen_range(1..=1472);
                (0..n).map(|_| rng.gen()).collect()
            })
            .collect()
    };
    let (accelerated, burst, normal) = (datagrams(8), datagrams(24), datagrams(24));
    let st = accio(programs, seed, |ns| {
        std::thread::scope(|s| {
            s.spawn(|| {
                ns.enter().expect("into the namespace");
                let sock = UdpSocket::bind((Ipv4Addr::from(LINUX_IP), LINUX_PORT)).unwrap();
                sock.set_read_timeout(Some(Duration::from_secs(10)))
                    .unwrap();
                let mut buf = vec![0u8; 2048];
                // Sends `ds` to `port` back to back, then checks the echoes in order.
                let mut exchange = |port: u16, ds: &[Vec<u8>]| {
                    for d in ds {
                        sock.send_to(d, (Ipv4Addr::from(HOST_IP), port)).unwrap();
                    }
                    for (k, d) in ds.iter().enumerate() {
                        let (n, from) = sock
                            .recv_from(&mut buf)
                            .unwrap_or_else(|e| panic!("port {port}: no echo {k}: {e}"));
                        assert_eq!(from, (Ipv4Addr::from(HOST_IP), port).into());
                        assert!(buf[..n] == *d, "port {port}: echo {k} differs");
                    }
                };
                for d in &accelerated {
                    exchange(ACCEL_PORT, std::slice::from_ref(d));
                }
                exchange(ACCEL_PORT, &burst);
                exchange(NP_PORT, &normal[..1]);
                exchange(NP_PORT, &normal[1..]);
            })
            .join()
            .expect("the Linux socket's exchanges");
        });
    });
    println!("{st:?}");
    // The accelerated datagrams came through the ring, not smoltcp.
    assert_eq!(
        st.ring_datagrams,
        vec![(accelerated.len() + burst.len()) as u64]
    );
    assert_eq!(st.np_udp_echoed, normal.len() as u64);
    println!(
        "UDP round trips (cycles, datagram handed to the MAC → echo's last beat out): {:?}",
        st.round_trips
    );
}

/// One ONC-RPC call for `rpc_call.py`, and the answer the host must give: accepted with
/// `accept_stat` and these results.
struct Call {
    prog: u32,
    vers: u32,
    args: Vec<u8>,
    accept_stat: u64,
    results: Vec<u8>,
}

#[test]
fn onc_rpc_calls_from_a_linux_client_answered_by_lauberhorn_handlers() {
    if !can_run() {
        return;
    }
    const PORT: u16 = 7100;
    let seed: u64 = rand::thread_rng().gen();
    println!("seed {seed}");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let services = lauberhorn_tap::services(PORT);
    let mut calls = Vec::new();
    // Arguments up to 400 bytes fit the CONTROL and AUX lines; 1,000 go through the DMA
    // fallback's ring.
    for (prog, sizes) in [
        (0x2000_0001, vec![4, 400, 4 * rng.gen_range(1..100)]),
        (0x2000_0002, vec![4 * rng.gen_range(1..100), 400]),
        (0x2000_0003, vec![4 * rng.gen_range(1..100), 1000]),
    ] {
        let s = services.iter().find(|s| s.prog == prog).unwrap();
        for n in sizes {
            let args: Vec<u8> = (0..n).map(|_| rng.gen()).collect();
            let results = (s.handler)(&args);
            calls.push(Call {
                prog,
                vers: 1,
                args,
                accept_stat: 0,
                results,
            });
        }
    }
    // No such program: PROG_UNAVAIL. A version the program lacks: PROG_MISMATCH, 1 to 1.
    calls.push(Call {
        prog: 0x2000_0009,
        vers: 1,
        args: vec![0; 8],
        accept_stat: 1,
        results: vec![],
    });
    calls.push(Call {
        prog: 0x2000_0001,
        vers: 2,
        args: vec![0; 8],
        accept_stat: 2,
        results: [1u32, 1].iter().flat_map(|v| v.to_be_bytes()).collect(),
    });
    assert_eq!(services[0].name, Builtin::Echo.name());
    let host = Ipv4Addr::from(HOST_IP).to_string();
    let spec: Vec<_> = calls
        .iter()
        .map(|c| {
            serde_json::json!({
                "host": host, "port": PORT, "prog": c.prog,
                "vers": c.vers, "proc": 1, "args": hex(&c.args),
            })
        })
        .collect();
    let n = calls.len();
    let st = with_bridge(
        move |tap, stop| lauberhorn_tap::run(tap, services, stop, seed),
        true,
        |ns| {
            let mut child = ns
                .command("python3")
                .arg(RPC_CLIENT)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("python3 runs");
            let input = serde_json::to_vec(&spec).unwrap();
            child.stdin.take().unwrap().write_all(&input).unwrap();
            let out = child.wait_with_output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "the RPC client failed: {text}{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let answers: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
            assert_eq!(answers.len(), calls.len());
            for (k, (c, r)) in calls.iter().zip(&answers).enumerate() {
                assert_eq!(r["reply_stat"], 0, "call {k}: {r}");
                assert_eq!(r["accept_stat"], c.accept_stat, "call {k}: {r}");
                assert_eq!(r["results"], hex(&c.results), "call {k}: results differ");
            }
        },
    );
    println!("{st:?}");
    assert_eq!(st.replies, n as u64);
    // Every accepted call ran a handler on a core; the error replies did not.
    assert_eq!(st.served, n as u64 - 2);
    // The 1,000-byte call went through the DMA fallback; the link saw no violation.
    assert_eq!(st.counters["DMA_CALLS"], 1);
    assert_eq!(st.counters["ERROR_REPLIES"], 2);
    assert_eq!(st.counters["VIOLATIONS"], 0);
    println!(
        "RPC round trips (cycles, call's last beat in → reply's first beat out): {:?}",
        st.round_trips
    );
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

//! Real Linux peers over TAP: `ping` and Linux UDP sockets, in a namespace each test
//! creates, talking to the Verilated `accio_nic_w512` and the programs on its host
//! (`testbench::accio_tap`). Needs root and /dev/net/tun; without them the tests say why
//! and pass, except under CI, where they must run.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim_models::accio::host::Conn;
use std::net::{Ipv4Addr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use testbench::accio_tap::{self, Programs, Stats};
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

/// Runs the bridge with `programs` in a thread while `linux` runs; the bridge's figures.
fn with_bridge(programs: Programs, seed: u64, linux: impl FnOnce(&Netns)) -> Stats {
    let ns = Netns::new().expect("a namespace");
    let tap = Tap::new(&ns).expect("a TAP in it");
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
        std::thread::spawn(move || accio_tap::run(&tap, &programs, &stop, seed))
    };
    {
        let _stop = Stop(stop);
        linux(&ns);
    }
    bridge.join().expect("the bridge runs to the end")
}

#[test]
fn ping_answered_by_smoltcp_on_the_normal_path() {
    if !can_run() {
        return;
    }
    let st = with_bridge(Programs::default(), 1, |ns| {
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
            send: Vec::new(),
        }],
        np_udp_echo: Some(NP_PORT),
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
    let st = with_bridge(programs, seed, |ns| {
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

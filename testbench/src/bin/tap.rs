//! `tap`: a Verilated NIC on a Linux TAP in a network namespace of its own. The Accio NIC
//! (`accio_nic_w512`, the default) with a simulated host answering ARP and ping (smoltcp on
//! the normal path), echoing UDP on a smoltcp socket and on accelerated connections (ICT
//! entries whose rings the host's program echoes); or the Lauberhorn NIC
//! (`lauberhorn_nic_w512`) answering ONC-RPC calls with the services of
//! `testbench::lauberhorn_tap::services` (Linux gets a static ARP entry for the host).
//!
//!     cargo run -p testbench --bin tap -- [--accel PORT]... [--udp-echo PORT] [--seed N]
//!     cargo run -p testbench --bin tap -- --nic lauberhorn [--rpc-port PORT] [--seed N]
//!
//! Runs as root until interrupted (Ctrl-C), then prints what the bridge saw and deletes the
//! namespace. Linux is 10.77.0.1 on `tap0` inside the namespace, the simulated host
//! 10.77.0.2.

use anyhow::Result;
use clap::Parser;
use sim_models::accio::host::Conn;
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicBool, Ordering};
use testbench::accio_tap::{run, Programs};
use testbench::linux_tap::{unavailable, Netns, Tap, HOST_IP, LINUX_IP, LINUX_MAC};

#[derive(Parser)]
#[command(about = "The Verilated Accio NIC on a Linux TAP in a network namespace")]
struct Args {
    /// An accelerated UDP echo port of the host (an ICT entry whose peer is Linux's PORT + 1000
    /// on 10.77.0.1); repeatable.
    #[arg(long)]
    accel: Vec<u16>,
    /// The smoltcp UDP echo port (normal path).
    #[arg(long, default_value_t = 7)]
    udp_echo: u16,
    /// The NIC: accio or lauberhorn.
    #[arg(long, default_value = "accio")]
    nic: String,
    /// The Lauberhorn services' UDP port.
    #[arg(long, default_value_t = 7100)]
    rpc_port: u16,
    /// Seed of the host's timing and the NIC's reset state.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::Relaxed);
}

fn main() -> Result<()> {
    let args = Args::parse();
    if let Some(why) = unavailable() {
        anyhow::bail!("cannot run: {why}");
    }
    let ip = |a: [u8; 4]| u32::from(Ipv4Addr::from(a));
    let programs = Programs {
        echo_conns: args
            .accel
            .iter()
            .map(|&port| Conn {
                local_ip: ip(HOST_IP),
                local_port: port,
                remote_ip: ip(LINUX_IP),
                remote_port: port.wrapping_add(1000),
                remote_mac: LINUX_MAC,
                accelerated: true,
                rx_ring_bytes: 1 << 20,
                tx_ring_bytes: 1 << 20,
                core: 0,
                send: Vec::new(),
            })
            .collect(),
        np_udp_echo: Some(args.udp_echo),
        np_rpc: None,
    };
    let lauberhorn = match args.nic.as_str() {
        "accio" => false,
        "lauberhorn" => true,
        n => anyhow::bail!("--nic {n}: accio or lauberhorn"),
    };
    let ns = Netns::new()?;
    let tap = Tap::new(&ns)?;
    if lauberhorn {
        tap.host_neighbour(&ns)?;
    }
    // SAFETY: the handler only stores to an atomic.
    unsafe {
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
    }
    let n = &ns.name;
    println!(
        "namespace {n}: Linux 10.77.0.1 on tap0, the simulated host 10.77.0.2; Ctrl-C ends \
         the run. Try"
    );
    if lauberhorn {
        println!(
            "    sudo ip netns exec {n} python3 {} 10.77.0.2 {} 0x20000001 1 1 cafef00d",
            testbench::lauberhorn_tap::RPC_CLIENT,
            args.rpc_port
        );
        let services = testbench::lauberhorn_tap::services(args.rpc_port);
        let st = testbench::lauberhorn_tap::run(&tap, services, &STOP, args.seed);
        println!("{st:#?}");
    } else {
        println!("    sudo ip netns exec {n} ping -c 3 10.77.0.2");
        let st = run(&tap, &programs, &STOP, args.seed);
        println!("{st:#?}");
    }
    Ok(())
}

//! `tap`: the Verilated Accio NIC (`accio_nic_w512`) on a Linux TAP in a network namespace
//! of its own, with a simulated host answering ARP and ping (smoltcp on the normal path),
//! echoing UDP on a smoltcp socket and on accelerated connections (ICT entries whose rings
//! the host's program echoes).
//!
//!     cargo run -p testbench --bin tap -- [--accel PORT]... [--udp-echo PORT] [--seed N]
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
                send: Vec::new(),
            })
            .collect(),
        np_udp_echo: Some(args.udp_echo),
    };
    let ns = Netns::new()?;
    let tap = Tap::new(&ns)?;
    // SAFETY: the handler only stores to an atomic.
    unsafe {
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
    }
    println!(
        "namespace {n}: Linux 10.77.0.1 on tap0, the simulated host 10.77.0.2; try\n    \
         sudo ip netns exec {n} ping -c 3 10.77.0.2\n\
         Ctrl-C ends the run.",
        n = ns.name
    );
    let st = run(&tap, &programs, &STOP, args.seed);
    println!("{st:#?}");
    Ok(())
}

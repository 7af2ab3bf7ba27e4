//! `accio-replay`: runs a pcap through the Verilated Accio NIC (`accio_nic`, 16 ICT
//! entries, 4 cores) with the host model of `sim_models::accio::host`, and writes what happened.
//!
//!     cargo run -p testbench --bin accio-replay -- IN.pcap --ict conns.toml --out DIR
//!
//! With `--board vcu118` the NIC runs inside the VCU118 board core at its clocks
//! (`testbench::boards::vcu118`); the outputs are the same, and `cycles` counts the
//! core's `core_clk`.
//!
//! DIR gets `wire.pcap` (frames the NIC transmitted), `normal.pcap` (frames delivered to
//! the normal path), `rings.json` (the datagrams each connection's RX ring received),
//! `normal.json` (their RX_COMP words) and `counters.json` (statistics, per-entry drops,
//! control events). The connection file is described in the README.

use anyhow::{bail, Context, Result};
use clap::Parser;
use serde::Deserialize;
use serde_json::json;
use sim_models::accio::host::{run, Conn, HostCfg};
use sim_models::hostmem::HostMemCfg;
use sim_models::nic_pins;
use std::net::SocketAddrV4;
use std::path::PathBuf;
use testbench::cli::{hex, ip, mac};
use testbench::models::{AccioNicW512N16C4, AccioNicW64N16C4, AccioVcu118Core};

#[derive(Parser)]
#[command(about = "Replay a pcap through the Verilated Accio NIC")]
struct Args {
    /// Frames to receive, in order (pcap; Ethernet frames without FCS).
    input: PathBuf,
    /// Connections and host settings (TOML).
    #[arg(long)]
    ict: PathBuf,
    /// Output directory (created).
    #[arg(long)]
    out: PathBuf,
    /// Bus width of the NIC: 64 or 512.
    #[arg(long, default_value_t = 512)]
    width: u32,
    /// Run the NIC inside a board core at its clocks: `vcu118` (`accio_vcu118_core`, 512
    /// bits: the host side at 250 MHz, the MAC at 322.265625 MHz).
    #[arg(long, value_parser = ["vcu118"])]
    board: Option<String>,
    /// Seed of the host's random timing (gaps, back-pressure, memory stalls) and of the NIC's
    /// initial register state.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    /// The NIC's MAC address.
    mac: String,
    #[serde(default)]
    malformed_to_np: bool,
    #[serde(default = "default_np_buffers")]
    np_buffers: usize,
    /// Probability of an idle cycle before each received beat.
    #[serde(default)]
    rx_gaps: f64,
    /// Host memory latency in cycles.
    #[serde(default = "default_latency")]
    mem_latency: u64,
    #[serde(default)]
    conn: Vec<ConnFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConnFile {
    local: String,
    remote: String,
    remote_mac: String,
    #[serde(default = "yes")]
    accelerated: bool,
    #[serde(default = "default_ring")]
    rx_ring_bytes: u32,
    #[serde(default = "default_ring")]
    tx_ring_bytes: u32,
    /// Datagrams the application sends to the peer, as text.
    #[serde(default)]
    send: Vec<String>,
}

fn default_np_buffers() -> usize {
    32
}
fn default_latency() -> u64 {
    8
}
fn default_ring() -> u32 {
    1 << 20
}
fn yes() -> bool {
    true
}

fn endpoint(s: &str) -> Result<(u32, u16)> {
    let a: SocketAddrV4 = s
        .parse()
        .with_context(|| format!("{s:?}: expected IPv4:port"))?;
    Ok((u32::from(*a.ip()), a.port()))
}

fn main() -> Result<()> {
    let args = Args::parse();
    let text = std::fs::read_to_string(&args.ict)
        .with_context(|| format!("cannot read {}", args.ict.display()))?;
    let file: File = toml::from_str(&text).with_context(|| format!("{}", args.ict.display()))?;
    let cfg = hdl::library::small_nic();
    if file.conn.len() > cfg.ict.entries as usize {
        bail!(
            "{} connections, but the replay NIC has {} ICT entries",
            file.conn.len(),
            cfg.ict.entries
        );
    }
    if file.np_buffers == 0 || file.np_buffers > cfg.np.rx_buffers as usize {
        bail!("np_buffers must be 1 to {}", cfg.np.rx_buffers);
    }
    if !(0.0..1.0).contains(&file.rx_gaps) {
        bail!("rx_gaps must be in [0, 1)");
    }
    let mut conns = Vec::new();
    for (i, c) in file.conn.iter().enumerate() {
        let (local_ip, local_port) = endpoint(&c.local).with_context(|| format!("conn {i}"))?;
        let (remote_ip, remote_port) = endpoint(&c.remote).with_context(|| format!("conn {i}"))?;
        for (what, v) in [
            ("rx_ring_bytes", c.rx_ring_bytes),
            ("tx_ring_bytes", c.tx_ring_bytes),
        ] {
            if !v.is_power_of_two() || !(64..=1 << 24).contains(&v) {
                bail!("conn {i}: {what} = {v}: a power of two from 64 to 16 MiB");
            }
        }
        if let Some(s) = c
            .send
            .iter()
            .find(|s| s.len() > cfg.tx.max_payload as usize)
        {
            bail!(
                "conn {i}: a datagram of {} bytes exceeds the MTU payload",
                s.len()
            );
        }
        let conn = Conn {
            local_ip,
            local_port,
            remote_ip,
            remote_port,
            remote_mac: mac(&c.remote_mac).with_context(|| format!("conn {i}"))?,
            accelerated: c.accelerated,
            rx_ring_bytes: c.rx_ring_bytes,
            tx_ring_bytes: c.tx_ring_bytes,
            send: c.send.iter().map(|s| s.as_bytes().to_vec()).collect(),
            core: 0,
        };
        let records = conn.tx_footprint(args.width);
        if records > u64::from(c.tx_ring_bytes) {
            bail!(
                "conn {i}: its {} datagrams take {records} bytes of TX ring records at {} bits, \
                 more than tx_ring_bytes = {} (they are all queued before the first doorbell)",
                c.send.len(),
                args.width,
                c.tx_ring_bytes
            );
        }
        conns.push(conn);
    }
    let frames: Vec<(Vec<u8>, bool)> = sim_models::pcap::read(&args.input)
        .with_context(|| format!("cannot read {}", args.input.display()))?
        .into_iter()
        .map(|f| (f, false))
        .collect();
    if let Some((k, _)) = frames.iter().enumerate().find(|(_, (f, _))| f.is_empty()) {
        bail!("frame {k} of {} is empty", args.input.display());
    }
    let host = HostCfg {
        mac: mac(&file.mac)?,
        malformed_to_np: file.malformed_to_np,
        np_buffers: file.np_buffers,
        np_send: Vec::new(),
        mem: HostMemCfg {
            beat_bytes: args.width as usize / 8,
            latency: file.mem_latency,
            stall: 0.0,
            max_outstanding: 64,
        },
        rx_gaps: file.rx_gaps,
        tx_ready: 1.0,
        quiet: 5000,
    };
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    // Waveforms (models built with NICSIM_WAVE) go into the output directory.
    std::env::set_var("NICSIM_WAVE_DIR", &args.out);
    let names: Vec<&str> = hdl::accio::regs::NIC_STATS
        .iter()
        .map(|(n, _)| *n)
        .collect();
    let (report, wave) = match (args.board.as_deref(), args.width) {
        (Some(_), w) if w != 512 => bail!("--board vcu118: the board core is built at 512 bits"),
        (Some(_), _) => {
            let d = AccioVcu118Core::with_reset_seed(testbench::seed::replay_reset_seed(args.seed));
            let periods = testbench::boards::vcu118::board_periods();
            let r = testbench::boards::vcu118::run(
                &d, periods, &conns, &host, &frames, &names, args.seed,
            );
            (r.report, d.wave_path().map(|p| p.to_path_buf()))
        }
        (None, 64) => {
            let d =
                AccioNicW64N16C4::with_reset_seed(testbench::seed::replay_reset_seed(args.seed));
            let r = run(&nic_pins!(d), &conns, &host, &frames, &names, 64, args.seed);
            (r, d.wave_path().map(|p| p.to_path_buf()))
        }
        (None, 512) => {
            let d =
                AccioNicW512N16C4::with_reset_seed(testbench::seed::replay_reset_seed(args.seed));
            let r = run(
                &nic_pins!(d),
                &conns,
                &host,
                &frames,
                &names,
                512,
                args.seed,
            );
            (r, d.wave_path().map(|p| p.to_path_buf()))
        }
        (None, w) => bail!("--width {w}: the replay NIC is built at 64 and 512 bits"),
    };

    sim_models::pcap::write(&args.out.join("wire.pcap"), &report.wire)?;
    let normal: Vec<Vec<u8>> = report.normal.iter().map(|(f, _)| f.clone()).collect();
    sim_models::pcap::write(&args.out.join("normal.pcap"), &normal)?;
    use hdl::accio::rx_offload::record as r;
    let rings: Vec<_> = report
        .rings
        .iter()
        .zip(&file.conn)
        .map(|(recs, c)| {
            json!({
                "local": c.local,
                "datagrams": recs.iter().map(|d| {
                    let u16le = |i: usize| u16::from_le_bytes([d[i], d[i + 1]]);
                    let be32 = |i: usize| u32::from_be_bytes([d[i], d[i + 1], d[i + 2], d[i + 3]]);
                    let be16 = |i: usize| u16::from_be_bytes([d[i], d[i + 1]]);
                    json!({
                        "src": format!("{}:{}", ip(be32(r::SRC_IP)), be16(r::SRC_PORT)),
                        "dst": format!("{}:{}", ip(be32(r::DST_IP)), be16(r::DST_PORT)),
                        "len": u16le(r::LEN),
                        "flags": u16le(r::FLAGS),
                        "payload": hex(&d[r::PAYLOAD..]),
                    })
                }).collect::<Vec<_>>(),
            })
        })
        .collect();
    std::fs::write(
        args.out.join("rings.json"),
        serde_json::to_string_pretty(&rings)?,
    )?;
    let comps: Vec<_> = report
        .normal
        .iter()
        .map(|(f, w)| {
            const REASON: [&str; 4] = [
                "not offloadable",
                "ICT miss",
                "not accelerated",
                "malformed",
            ];
            use testbench::accio_regs::nic::RX_COMP as c;
            json!({
                "len": f.len(),
                "reason": REASON[c::REASON.get(*w) as usize],
                "class": c::CLASS.get(*w),
                "dma_error": c::ERROR.get(*w) == 1,
            })
        })
        .collect();
    std::fs::write(
        args.out.join("normal.json"),
        serde_json::to_string_pretty(&comps)?,
    )?;
    let events: Vec<_> = report
        .events
        .iter()
        .map(|e| {
            use testbench::accio_regs::{self as a, global::EVQ_POP as p};
            let names = [
                (a::EV_LINK_UP, "link up"),
                (a::EV_LINK_DOWN, "link down"),
                (a::EV_MALFORMED, "malformed frame"),
                (a::EV_RING_OVERFLOW, "RX ring overflow"),
                (a::EV_ICT_MISS, "ICT miss"),
                (a::EV_PROT_FAULT, "protection fault"),
                (a::EV_DMA_ERROR, "DMA error"),
            ];
            let t = p::TYPE.get(*e);
            let name = names.iter().find(|(v, _)| *v == t).map_or("?", |(_, n)| n);
            json!({ "type": name, "data": format!("{:#x}", p::DATA.get(*e)) })
        })
        .collect();
    let counters = json!({
        "cycles": report.cycles,
        "stats": report.stats,
        "drops": report.drops,
        "events": events,
    });
    std::fs::write(
        args.out.join("counters.json"),
        serde_json::to_string_pretty(&counters)?,
    )?;
    println!(
        "{} frames in, {} on the wire, {} datagrams in rings, {} to the normal path, {} cycles; wrote {}",
        frames.len(),
        report.wire.len(),
        report.rings.iter().map(Vec::len).sum::<usize>(),
        report.normal.len(),
        report.cycles,
        args.out.display()
    );
    if let Some(w) = wave {
        println!("waveform: {}", w.display());
    }
    Ok(())
}

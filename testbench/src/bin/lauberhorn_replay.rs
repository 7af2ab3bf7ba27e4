//! `lauberhorn-replay`: runs a pcap of ONC-RPC calls through the Verilated Lauberhorn NIC
//! (`lauberhorn_nic`, 2 cores, 8 slots, 3 AUX lines, 4 services, 5 processes) with the host
//! of `sim_models::lauberhorn::host`: a kernel sets it up from the services file, CPU-model cores
//! run the services' built-in handlers on their CONTROL lines (with random evictions), and
//! the MAC sends the frames.
//!
//!     cargo run -p testbench --bin lauberhorn-replay -- IN.pcap --services services.toml --out DIR
//!
//! With `--board enzian` the NIC runs inside the Enzian board core at its clocks
//! (`testbench::boards::enzian`); the outputs are the same, and `cycles` counts the
//! core's `app_clk`.
//!
//! DIR gets `replies.pcap` (the replies on the wire), `other.pcap` (frames passed on:
//! not calls for a service, or too large), `dispatch.json` (per core, every request it
//! served: endpoint, kind, xid, process, service, arguments, the CONTROL line's descriptor) and
//! `counters.json` (the GLOBAL statistics; the command fails if they count a coherence
//! protocol violation or the link saw an error answer); with a `[notify]` table in the services file
//! the cores also send a notification per request through their TX lines, written to
//! `notifications.pcap`. The services file is described in the README.

use anyhow::{bail, Context, Result};
use clap::Parser;
use hdl::lauberhorn::coherence::ctrl;
use serde::Deserialize;
use serde_json::json;
use sim_models::lauberhorn::cpu::CpuCfg;
use sim_models::lauberhorn::host::{try_run, Builtin, HostCfg, Notify, Role, Service};
use sim_models::lauberhorn_pins;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use testbench::cli::{hex, mac};
use testbench::models::{LauberhornEnzianCore, LauberhornNicW512C2S8, LauberhornNicW64C2S8};

#[derive(Parser)]
#[command(about = "Replay a pcap of ONC-RPC calls through the Verilated Lauberhorn NIC")]
struct Args {
    /// Frames to receive, in order (pcap; Ethernet frames without FCS).
    input: PathBuf,
    /// Services, cores and host settings (TOML).
    #[arg(long)]
    services: PathBuf,
    /// Output directory (created).
    #[arg(long)]
    out: PathBuf,
    /// MAC width of the NIC: 64 or 512.
    #[arg(long, default_value_t = 512)]
    width: u32,
    /// Run the NIC inside a board core at its clocks: `enzian` (`lauberhorn_enzian_core`,
    /// 512 bits: the host side at 250 MHz, the coherence link through a model of the ECI
    /// shell's directory slices at 322.265625 MHz, the MAC at 322.265625 MHz).
    #[arg(long, value_parser = ["enzian"])]
    board: Option<String>,
    /// Seed of the random timing (gaps, back-pressure, evictions) and of the NIC's
    /// initial register state.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    local_ip: Ipv4Addr,
    local_mac: String,
    #[serde(default = "default_timeout")]
    timeout: u64,
    #[serde(default)]
    reject_to_other: bool,
    #[serde(default)]
    error_replies: bool,
    /// The DMA fallback: an ICT ring of this many bytes per service port.
    dma_ring: Option<u32>,
    /// The MAC the TX rings' replies go to; absent: the first frame's source.
    next_hop: Option<String>,
    /// Per core: "user:P" (process P's user loop), "kernel" or "other".
    cores: Vec<String>,
    /// Per core and cycle, the probability of a voluntary eviction.
    #[serde(default = "default_evict")]
    evict: f64,
    #[serde(default)]
    rx_gaps: f64,
    #[serde(default = "default_outstanding")]
    outstanding: usize,
    #[serde(default)]
    service: Vec<ServiceFile>,
    notify: Option<NotifyFile>,
}

/// Where the cores send a datagram per request served (xid and result).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NotifyFile {
    mac: String,
    ip: Ipv4Addr,
    port: u16,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServiceFile {
    prog: u32,
    vers: u32,
    /// Absent: any procedure.
    #[serde(rename = "proc")]
    proc_: Option<u32>,
    port: u16,
    process: u32,
    handler: String,
    #[serde(default)]
    func: u64,
    #[serde(default)]
    data: u64,
}

fn default_timeout() -> u64 {
    10_000
}
fn default_evict() -> f64 {
    0.01
}
fn default_outstanding() -> usize {
    4
}

fn main() -> Result<()> {
    let args = Args::parse();
    let text = std::fs::read_to_string(&args.services)
        .with_context(|| format!("cannot read {}", args.services.display()))?;
    let file: File =
        toml::from_str(&text).with_context(|| format!("{}", args.services.display()))?;
    let nic_cfg = hdl::library::small_lauberhorn_nic();
    let lh = &nic_cfg.lauberhorn;
    if file.service.len() > lh.services as usize {
        bail!(
            "{} services, but the replay NIC's table has {}",
            file.service.len(),
            lh.services
        );
    }
    if file.cores.len() != lh.cores as usize {
        bail!(
            "cores: the replay NIC has {} cores, {} given",
            lh.cores,
            file.cores.len()
        );
    }
    if !(16..1 << 24).contains(&file.timeout) {
        bail!("timeout = {}: 16 to 2^24 - 1 cycles", file.timeout);
    }
    if !(0.0..1.0).contains(&file.rx_gaps) || !(0.0..=0.5).contains(&file.evict) {
        bail!("rx_gaps must be in [0, 1), evict in [0, 0.5]");
    }
    if let Some(r) = file.dma_ring {
        if !r.is_power_of_two() || r < 4096 {
            bail!("dma_ring = {r}: a power of two of at least 4096 bytes");
        }
    }
    if !(1..=lh.slots as usize).contains(&file.outstanding) {
        bail!("outstanding must be 1 to {}", lh.slots);
    }
    let mut services = Vec::new();
    for (i, s) in file.service.iter().enumerate() {
        let Some(handler) = Builtin::from_name(&s.handler) else {
            bail!(
                "service {i}: handler {:?}: one of echo, reverse, sum",
                s.handler
            );
        };
        if s.process >= lh.processes {
            bail!(
                "service {i}: process {}: the replay NIC has {} processes",
                s.process,
                lh.processes
            );
        }
        services.push(Service {
            prog: s.prog,
            vers: s.vers,
            proc_: s.proc_,
            port: s.port,
            process: s.process,
            func: s.func,
            data: s.data,
            name: handler.name().to_string(),
            handler: handler.procedure(),
            ring: true,
        });
    }
    let mut roles = Vec::new();
    for (c, r) in file.cores.iter().enumerate() {
        roles.push(match r.as_str() {
            "kernel" => Role::Kernel,
            "other" => Role::Other,
            u => match u.strip_prefix("user:").and_then(|p| p.parse::<u32>().ok()) {
                Some(p) if p < lh.processes => Role::User(p),
                _ => bail!(
                    "core {c}: {r:?}: \"user:P\" (P < {}), \"kernel\" or \"other\"",
                    lh.processes
                ),
            },
        });
    }
    let frames = sim_models::pcap::read(&args.input)
        .with_context(|| format!("cannot read {}", args.input.display()))?;
    if let Some(k) = frames.iter().position(|f| f.is_empty()) {
        bail!("frame {k} of {} is empty", args.input.display());
    }
    let host = HostCfg {
        local_ip: u32::from(file.local_ip),
        local_mac: mac(&file.local_mac)?,
        timeout: file.timeout,
        reject_to_other: file.reject_to_other,
        error_replies: file.error_replies,
        services,
        roles,
        cpu: CpuCfg {
            cores: lh.cores,
            coh_width: lh.coh_width,
            aux_lines: lh.aux_lines,
            evict: file.evict,
            n2c_ready: 0.9,
            c2n_gaps: 0.1,
            inv_delay: 8,
            work: 20,
        },
        rx_gaps: file.rx_gaps,
        tx_ready: 1.0,
        outstanding: file.outstanding,
        notify: match &file.notify {
            Some(n) => Some(Notify {
                mac: mac(&n.mac).context("notify.mac")?,
                ip: u32::from(n.ip),
                port: n.port,
            }),
            None => None,
        },
        dma_ring: file.dma_ring,
        next_hop: match &file.next_hop {
            Some(m) => mac(m).context("next_hop")?,
            None => frames
                .first()
                .and_then(|f| f.get(6..12))
                .map_or([0; 6], |m| m.try_into().unwrap()),
        },
        mem_latency: 20,
        mem_stall: 0.0,
        preempt: 0.0,
        retire: 0.0,
    };
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    // Waveforms (models built with NICSIM_WAVE) go into the output directory.
    std::env::set_var("NICSIM_WAVE_DIR", &args.out);
    let result = match (args.board.as_deref(), args.width) {
        (Some(_), w) if w != 512 => bail!("--board enzian: the board core is built at 512 bits"),
        (Some(_), _) => {
            let d = LauberhornEnzianCore::with_reset_seed(testbench::seed::replay_reset_seed(
                args.seed,
            ));
            let periods = testbench::boards::enzian::board_periods();
            let shell_ready = 0.9;
            testbench::boards::enzian::try_run(&d, periods, shell_ready, &host, &frames, args.seed)
                .0
        }
        (None, 64) => {
            let d = LauberhornNicW64C2S8::with_reset_seed(testbench::seed::replay_reset_seed(
                args.seed,
            ));
            try_run(&lauberhorn_pins!(d), &nic_cfg, &host, &frames, args.seed)
        }
        (None, 512) => {
            let d = LauberhornNicW512C2S8::with_reset_seed(testbench::seed::replay_reset_seed(
                args.seed,
            ));
            try_run(&lauberhorn_pins!(d), &nic_cfg, &host, &frames, args.seed)
        }
        (None, w) => bail!("--width {w}: the replay NIC is built at 64 and 512 bits"),
    };
    // A run that could not finish still writes what happened until it stopped.
    let (report, failure) = match result {
        Ok(r) => (r, None),
        Err(f) => (*f.report, Some(f.why)),
    };
    sim_models::pcap::write(&args.out.join("replies.pcap"), &report.replies)?;
    sim_models::pcap::write(&args.out.join("other.pcap"), &report.others)?;
    if host.notify.is_some() {
        sim_models::pcap::write(&args.out.join("notifications.pcap"), &report.notifications)?;
    }
    let dispatch: Vec<_> = report
        .served
        .iter()
        .enumerate()
        .map(|(c, list)| {
            json!({
                "core": c,
                "requests": list.iter().map(|s| {
                    let w = |k: usize| u64::from_le_bytes(s.request.control[8 * k..8 * k + 8].try_into().unwrap());
                    json!({
                        "cycle": s.cycle,
                        "endpoint": if s.endpoint == 0 { "user" } else { "kernel" },
                        "kind": if (w(0) >> ctrl::KIND_LSB & 3) == ctrl::KIND_DMA { "dma" } else { "inline" },
                        "xid": format!("{:#010x}", w(0) >> 32),
                        "process": w(3) & 0xffff,
                        "service": w(3) >> 16 & 0xff,
                        "proc": w(3) >> 32,
                        "func": format!("{:#x}", w(1)),
                        "data": format!("{:#x}", w(2)),
                        "args": hex(&s.request.args),
                    })
                }).collect::<Vec<_>>(),
            })
        })
        .collect();
    std::fs::write(
        args.out.join("dispatch.json"),
        serde_json::to_string_pretty(&dispatch)?,
    )?;
    std::fs::write(
        args.out.join("counters.json"),
        serde_json::to_string_pretty(&json!({
            "counters": report.counters,
            "cycles": report.cycles,
            "link_errors": report.link_errors,
        }))?,
    )?;
    println!(
        "{} frames in, {} replies, {} notifications, {} passed on, {} cycles; output in {}",
        frames.len(),
        report.replies.len(),
        report.notifications.len(),
        report.others.len(),
        report.cycles,
        args.out.display()
    );
    if let Some(why) = failure {
        bail!(
            "{why} (what happened until then is in {})",
            args.out.display()
        );
    }
    // The CPU model follows the coherence protocol: anything the NIC calls a violation, or
    // answers with an error line, is a bug (on a board, a crashed handler).
    let violations = report.counters.get("VIOLATIONS").copied().unwrap_or(0);
    if violations != 0 || report.link_errors != 0 {
        bail!(
            "the NIC counted {violations} coherence-protocol violations and answered {} \
             loads with an error line, although the CPU model follows the protocol: this \
             is a bug (rerun with --seed {} and NICSIM_WAVE=fst set for cargo for a waveform)",
            report.link_errors,
            args.seed
        );
    }
    Ok(())
}

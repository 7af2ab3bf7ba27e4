//! What a whole Lauberhorn NIC does with each frame it receives, worked out from the RFC
//! decoders ([`crate::net`]) and the service table the kernel wrote ([`HostCfg`]), by the
//! receive path's documented rules (`hdl::lauberhorn::rpc_rx`: slot, dma, other, error,
//! drop) and the statistics' definitions (`hdl::lauberhorn::regs::STATS`). Whole-NIC tests
//! assert every frame's outcome against it; the host's MAC paces the calls it answers.
//!
//! It assumes a NIC that never runs out of slots or queue room, as the host's MAC keeps
//! few answered calls outstanding: NO_SLOT, REFUSED and OVERRUN stay 0.

use super::host::{dma_ports, service_of, HostCfg};
use crate::net::{accept_stat, classify, rpc_call};
use hdl::config::LauberhornConfig;
use hdl::lauberhorn::coherence::{ctrl, LINE_BYTES};
use std::collections::BTreeMap;

/// What a frame is to the receive path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Not an RPC datagram for a service port: not a clean unicast UDP/IPv4 datagram to the
    /// NIC's address, or no service listens on its destination port.
    NotRpc,
    /// On a service port, but not a well-formed call ([`rpc_call`]: CALL, RPC version 2,
    /// authentication bodies of at most 400 bytes, the header inside the datagram).
    Malformed,
    /// A well-formed call no entry matches, and the error RFC 5531 answers it with:
    /// PROG_UNAVAIL when no entry has the program on the port, PROG_MISMATCH with the lowest
    /// and highest version of the program there, else PROC_UNAVAIL.
    Unmatched {
        /// The `accept_stat`.
        stat: u32,
        /// PROG_MISMATCH's lowest and highest version.
        mismatch: Option<(u32, u32)>,
    },
    /// A call for a service.
    Call {
        /// The service-table entry it matches.
        entry: usize,
        /// Its arguments fit the CONTROL line and the AUX lines.
        fits: bool,
    },
}

/// Where a frame goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Way {
    /// Into a slot and to a core: answered SUCCESS with its entry's handler's result.
    Served {
        /// The service-table entry.
        entry: usize,
        /// Its arguments went through its port's ICT ring.
        dma: bool,
        /// Its result is too large for the lines: the reply went through the port's TX
        /// ring (from a DMA call, whose record names the caller).
        ring: bool,
    },
    /// Answered with the error of its [`Kind::Unmatched`] (CTRL.ERROR_REPLIES).
    Error,
    /// Passed on unchanged (`m_axis_other`).
    Other,
    /// Gone, counted.
    Dropped,
}

/// A frame's fate: what it is, and where it goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fate {
    /// What it is.
    pub kind: Kind,
    /// Where it goes.
    pub way: Way,
}

/// What `frame` is, for the NIC `host` set up with `lh`'s AUX lines.
pub fn kind(frame: &[u8], host: &HostCfg, lh: &LauberhornConfig) -> Kind {
    let m = classify(frame, false);
    let port = m.dst_port;
    if !m.offload || m.dst_ip != host.local_ip || !host.services.iter().any(|s| s.port == port) {
        return Kind::NotRpc;
    }
    let c = rpc_call(frame);
    if !c.ok {
        return Kind::Malformed;
    }
    if let Some((entry, _)) = service_of(&host.services, c.prog, c.vers, c.proc_, port) {
        let cap = (ctrl::INLINE + LINE_BYTES * lh.aux_lines) as usize;
        return Kind::Call {
            entry,
            fits: c.args_len <= cap,
        };
    }
    let versions: Vec<u32> = host
        .services
        .iter()
        .filter(|s| s.port == port && s.prog == c.prog)
        .map(|s| s.vers)
        .collect();
    let range = versions.iter().min().zip(versions.iter().max());
    let (stat, mismatch) = match range {
        None => (accept_stat::PROG_UNAVAIL, None),
        Some((&low, &high)) if !versions.contains(&c.vers) => {
            (accept_stat::PROG_MISMATCH, Some((low, high)))
        }
        Some(_) => (accept_stat::PROC_UNAVAIL, None),
    };
    Kind::Unmatched { stat, mismatch }
}

/// What the NIC does with `frame`: its [`kind`] under the host's policy (CTRL.ERROR_REPLIES,
/// CTRL.REJECT_TO_OTHER, CTRL.DMA_FALLBACK and the ports with an ICT ring).
pub fn fate(frame: &[u8], host: &HostCfg, lh: &LauberhornConfig) -> Fate {
    let kind = kind(frame, host, lh);
    let reject = if host.reject_to_other {
        Way::Other
    } else {
        Way::Dropped
    };
    let way = match kind {
        Kind::NotRpc => Way::Other,
        Kind::Malformed => reject,
        Kind::Unmatched { .. } if host.error_replies => Way::Error,
        Kind::Unmatched { .. } => reject,
        Kind::Call { entry, fits: true } => Way::Served {
            entry,
            dma: false,
            ring: false,
        },
        Kind::Call { entry, fits: false } => match host.dma_ring {
            None => Way::Other,
            Some(_) if dma_ports(&host.services).contains(&host.services[entry].port) => {
                let c = rpc_call(frame);
                let args = &frame[c.args_offset..c.args_offset + c.args_len];
                let result = (host.services[entry].handler)(args).len();
                let lines = (ctrl::RESULT_INLINE + LINE_BYTES * lh.aux_lines) as usize;
                Way::Served {
                    entry,
                    dma: true,
                    ring: result > lines,
                }
            }
            Some(_) => Way::Dropped,
        },
    };
    Fate { kind, way }
}

/// The statistics counters `fates` add up to: every one of `hdl::lauberhorn::regs::STATS`
/// but TRYAGAINS (which depends on the timing). With notifications on, each served call
/// also sends one (SENT).
pub fn counters(host: &HostCfg, fates: &[Fate]) -> BTreeMap<String, u64> {
    let mut n: BTreeMap<String, u64> = hdl::lauberhorn::regs::STATS
        .iter()
        .filter(|s| s.0 != "TRYAGAINS")
        .map(|s| (s.0.to_string(), 0))
        .collect();
    for f in fates {
        let by_kind: &[&str] = match f.kind {
            Kind::NotRpc | Kind::Call { fits: true, .. } => &[],
            Kind::Malformed => &["MALFORMED"],
            Kind::Unmatched { .. } => &["UNMATCHED"],
            Kind::Call { fits: false, .. } if f.way == Way::Dropped => {
                &["TOO_LARGE", "DMA_DROPPED"]
            }
            Kind::Call { fits: false, .. } => &["TOO_LARGE"],
        };
        let by_way: &[&str] = match (&f.way, host.notify.is_some()) {
            (Way::Served { dma: false, .. }, false) => &["CALLS", "REPLIES"],
            (Way::Served { dma: false, .. }, true) => &["CALLS", "REPLIES", "SENT"],
            (Way::Served { ring: true, .. }, false) => &["CALLS", "RING_REPLIES", "DMA_CALLS"],
            (Way::Served { ring: true, .. }, true) => {
                &["CALLS", "RING_REPLIES", "DMA_CALLS", "SENT"]
            }
            (Way::Served { dma: true, .. }, false) => &["CALLS", "REPLIES", "DMA_CALLS"],
            (Way::Served { dma: true, .. }, true) => &["CALLS", "REPLIES", "DMA_CALLS", "SENT"],
            (Way::Error, _) => &["ERROR_REPLIES", "REPLIES"],
            (Way::Other, _) => &["OTHER"],
            (Way::Dropped, _) => &[],
        };
        for name in by_kind.iter().chain(by_way) {
            *n.get_mut(*name).expect("a counter of STATS") += 1;
        }
    }
    n
}

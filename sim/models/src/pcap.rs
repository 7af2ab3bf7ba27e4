//! Frames to and from pcap files (Ethernet link type), the format Wireshark and tcpdump
//! read. Timestamps are synthetic and deterministic (one microsecond apart), so a file
//! written twice is the same byte for byte.

use anyhow::{Context, Result};
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapReader, PcapWriter};
use pcap_file::DataLink;
use std::path::Path;
use std::time::Duration;

/// The pcap file holding `frames` (Ethernet frames without preamble and FCS).
pub fn to_bytes(frames: &[Vec<u8>]) -> Result<Vec<u8>> {
    let header = PcapHeader {
        datalink: DataLink::ETHERNET,
        ..PcapHeader::default()
    };
    let mut w = PcapWriter::with_header(Vec::new(), header)?;
    for (i, f) in frames.iter().enumerate() {
        w.write_packet(&PcapPacket::new(
            Duration::from_micros(i as u64),
            f.len() as u32,
            f,
        ))?;
    }
    Ok(w.into_writer())
}

/// Writes `frames` to `path`.
pub fn write(path: &Path, frames: &[Vec<u8>]) -> Result<()> {
    std::fs::write(path, to_bytes(frames)?)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// The frames of the pcap file at `path` (which must be Ethernet and not truncated).
pub fn read(path: &Path) -> Result<Vec<Vec<u8>>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut r =
        PcapReader::new(file).with_context(|| format!("{} is not a pcap file", path.display()))?;
    anyhow::ensure!(
        r.header().datalink == DataLink::ETHERNET,
        "{}: link type {:?}, not Ethernet",
        path.display(),
        r.header().datalink
    );
    let mut frames = Vec::new();
    while let Some(p) = r.next_packet() {
        let p = p.with_context(|| format!("{}: packet {}", path.display(), frames.len()))?;
        anyhow::ensure!(
            p.data.len() as u32 == p.orig_len,
            "{}: packet {} was captured truncated ({} of {} bytes)",
            path.display(),
            frames.len(),
            p.data.len(),
            p.orig_len
        );
        frames.push(p.data.into_owned());
    }
    Ok(frames)
}

//! Parsing and formatting shared by the replay commands.

use anyhow::{bail, Context, Result};
use std::net::Ipv4Addr;

/// A MAC address written as six hex octets separated by ':'.
pub fn mac(s: &str) -> Result<[u8; 6]> {
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() != 6 {
        bail!("MAC address {s:?}: expected six hex octets separated by ':'");
    }
    let mut m = [0u8; 6];
    for (o, p) in m.iter_mut().zip(parts) {
        *o = u8::from_str_radix(p, 16).with_context(|| format!("MAC address {s:?}"))?;
    }
    Ok(m)
}

/// An IPv4 address in dotted notation.
pub fn ip(v: u32) -> String {
    Ipv4Addr::from(v).to_string()
}

/// Bytes as lower-case hex.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

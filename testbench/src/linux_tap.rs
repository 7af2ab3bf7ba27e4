//! A Linux TAP device in a network namespace of its own, so real Linux programs can talk to a
//! simulated NIC without any traffic leaving the namespace.
//!
//! [`Netns::new`] creates the namespace (deleted again on drop, also on panic); [`Tap::new`]
//! creates the TAP device from a thread that entered it, so the device never exists in
//! the root namespace, and gives Linux its address there. Frames written to the TAP appear
//! on Linux's side; frames Linux sends are read from it.

use anyhow::{bail, Context, Result};
use std::fs::File;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// Linux's address inside the namespace.
pub const LINUX_IP: [u8; 4] = [10, 77, 0, 1];
/// The simulated host's address.
pub const HOST_IP: [u8; 4] = [10, 77, 0, 2];
/// The TAP's (Linux's) MAC address, fixed so the NIC's ICT entries can name it as next hop.
pub const LINUX_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x77, 0x00, 0x01];
/// The simulated NIC's MAC address.
pub const HOST_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x77, 0x00, 0x02];
/// The TAP's name inside its namespace.
pub const TAP_NAME: &str = "tap0";

/// Why TAP peers cannot run here (not root, no `/dev/net/tun`, no `ip`), or `None`.
pub fn unavailable() -> Option<String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Some("not root (network namespaces and TAP devices need CAP_NET_ADMIN)".into());
    }
    if !std::path::Path::new("/dev/net/tun").exists() {
        return Some("no /dev/net/tun".into());
    }
    if Command::new("ip").arg("-V").output().is_err() {
        return Some("no `ip` command (iproute2; scripts/setup.sh installs it)".into());
    }
    None
}

/// A network namespace, deleted on drop.
pub struct Netns {
    pub name: String,
}

fn run(cmd: &mut Command) -> Result<Output> {
    let out = cmd
        .output()
        .with_context(|| format!("cannot run {cmd:?}"))?;
    if !out.status.success() {
        bail!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(out)
}

impl Netns {
    /// A new namespace named after this process and a counter, with its loopback up.
    pub fn new() -> Result<Netns> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "nicsim-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        run(Command::new("ip").args(["netns", "add", &name]))?;
        let ns = Netns { name };
        ns.ip(&["link", "set", "lo", "up"])?;
        Ok(ns)
    }

    /// `ip -n NAME args...`.
    pub fn ip(&self, args: &[&str]) -> Result<Output> {
        run(Command::new("ip").arg("-n").arg(&self.name).args(args))
    }

    /// A command run inside the namespace (`ip netns exec NAME program`).
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name, program]);
        c
    }

    /// Moves the calling thread into the namespace (only this thread; sockets it opens
    /// afterwards live there).
    pub fn enter(&self) -> Result<()> {
        let f = File::open(format!("/run/netns/{}", self.name))
            .with_context(|| format!("namespace {}", self.name))?;
        // SAFETY: a valid namespace descriptor; setns changes only this thread.
        if unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
            bail!("setns {}: {}", self.name, std::io::Error::last_os_error());
        }
        Ok(())
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// A TAP device (Ethernet frames, no packet-info header), non-blocking.
pub struct Tap {
    fd: OwnedFd,
}

#[repr(C)]
struct IfReq {
    name: [u8; libc::IFNAMSIZ],
    flags: libc::c_short,
    _pad: [u8; 22],
}

impl Tap {
    /// [`TAP_NAME`] in `ns` with MAC [`LINUX_MAC`] and address [`LINUX_IP`]/24, up.
    pub fn new(ns: &Netns) -> Result<Tap> {
        let name = ns.name.clone();
        let fd = std::thread::scope(|s| {
            s.spawn(|| -> Result<OwnedFd> {
                ns.enter()?;
                open_tap()
            })
            .join()
            .expect("the TAP thread does not panic")
        })
        .with_context(|| format!("TAP in {name}"))?;
        let [a, b, c, d] = LINUX_IP;
        let mac = LINUX_MAC.map(|o| format!("{o:02x}")).join(":");
        ns.ip(&["link", "set", TAP_NAME, "address", &mac])?;
        ns.ip(&[
            "addr",
            "add",
            &format!("{a}.{b}.{c}.{d}/24"),
            "dev",
            TAP_NAME,
        ])?;
        ns.ip(&["link", "set", TAP_NAME, "up"])?;
        Ok(Tap { fd })
    }

    /// A permanent ARP entry in `ns` for the host ([`HOST_IP`] at [`HOST_MAC`]), for a
    /// host with no stack on its normal path to answer ARP.
    pub fn host_neighbour(&self, ns: &Netns) -> Result<()> {
        let [a, b, c, d] = HOST_IP;
        let mac = HOST_MAC.map(|o| format!("{o:02x}")).join(":");
        let ip = format!("{a}.{b}.{c}.{d}");
        ns.ip(&[
            "neigh",
            "replace",
            &ip,
            "lladdr",
            &mac,
            "dev",
            TAP_NAME,
            "nud",
            "permanent",
        ])?;
        Ok(())
    }

    /// The next frame Linux sent, if any.
    pub fn recv(&self) -> Option<Vec<u8>> {
        // Asked every cycle while the model runs: no zeroing of the buffer.
        let mut buf: Vec<u8> = Vec::with_capacity(65536);
        // SAFETY: the spare capacity is valid for writes of its length.
        let n = unsafe { libc::read(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.capacity()) };
        if n <= 0 {
            return None;
        }
        // SAFETY: read wrote the first n bytes.
        unsafe { buf.set_len(n as usize) };
        Some(buf)
    }

    /// Hands `frame` to Linux.
    pub fn send(&self, frame: &[u8]) -> Result<()> {
        // SAFETY: frame is valid for its length.
        let n = unsafe { libc::write(self.fd.as_raw_fd(), frame.as_ptr().cast(), frame.len()) };
        if n != frame.len() as isize {
            bail!("TAP write: {}", std::io::Error::last_os_error());
        }
        Ok(())
    }

    /// Waits up to `ms` milliseconds (wall clock) for a frame from Linux.
    pub fn wait(&self, ms: i32) {
        let mut p = libc::pollfd {
            fd: self.fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        unsafe { libc::poll(&mut p, 1, ms) };
    }
}

/// Opens /dev/net/tun as [`TAP_NAME`] in the calling thread's namespace.
fn open_tap() -> Result<OwnedFd> {
    // SAFETY: a NUL-terminated path.
    let raw = unsafe {
        libc::open(
            c"/dev/net/tun".as_ptr(),
            libc::O_RDWR | libc::O_NONBLOCK | libc::O_CLOEXEC,
        )
    };
    if raw < 0 {
        bail!("open /dev/net/tun: {}", std::io::Error::last_os_error());
    }
    // SAFETY: raw is a descriptor we own.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    let mut req = IfReq {
        name: [0; libc::IFNAMSIZ],
        flags: (libc::IFF_TAP | libc::IFF_NO_PI) as libc::c_short,
        _pad: [0; 22],
    };
    req.name[..TAP_NAME.len()].copy_from_slice(TAP_NAME.as_bytes());
    // SAFETY: TUNSETIFF takes a struct ifreq, which IfReq lays out.
    if unsafe { libc::ioctl(fd.as_raw_fd(), libc::TUNSETIFF, &mut req) } < 0 {
        bail!("TUNSETIFF: {}", std::io::Error::last_os_error());
    }
    Ok(fd)
}

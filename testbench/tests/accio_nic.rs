//! The whole Accio NIC (`hdl::accio::nic`, 16 entries, 4 cores) at 64 and 512 bits, run
//! by the host model `sim_models::accio::host`: set up over AXI4-Lite like a kernel would, fed
//! random and malformed frames with random gaps, back-pressure on the MAC's transmit side
//! and random memory latency, its RX rings, normal-path buffers and control events
//! drained by MMIO polling, datagrams sent from TX rings and frames from normal-path
//! descriptors.
//!
//! Compared with the reference models: every RX record of every connection, every
//! normal-path frame and its RX_COMP word, every frame on the wire (offloaded ones rebuilt
//! by `sim_models::accio::tx_model`, normal-path ones unchanged), the NIC's statistics registers
//! and the malformed-frame events.

use rand::{Rng, SeedableRng};

use rand_chacha::ChaCha8Rng;
use sim_models::accio::host::{run, NicPins};
use sim_models::accio::os::Nic;
use sim_models::hostmem::HostMemCfg;
use sim_models::nic_pins;
use testbench::accio_check::{check, conns, np_frames, random_host, stat_names, traffic};
use testbench::models::{AccioNicW512N16C4 as Nic512, AccioNicW64N16C4 as Nic64};
use testbench::seed;

fn random_run(p: NicPins, name: &str, w: u32) {
    let mut rng = seed::rng(name);
    for policy in [false, true] {
        let cs = conns(&mut rng, 8);
        let frames = traffic(&mut rng, 200);
        let np_send = np_frames(&mut rng, 6);
        let host = random_host(&mut rng, w, policy, np_send);
        let names = stat_names();
        let r = run(&p, &cs, &host, &frames, &names, w, rng.gen());
        check(&cs, &host, &frames, &r, w);
    }
}

#[test]
fn w64_nic_matches_the_models() {
    let d = Nic64::new();
    random_run(nic_pins!(d), "accio_nic_w64", 64);
}

#[test]
fn w512_nic_matches_the_models() {
    let d = Nic512::new();
    random_run(nic_pins!(d), "accio_nic_w512", 512);
}

/// A bench for directed register sequences on the NIC: the OS model's [`Nic`] (one access
/// at a time, the MAC and host memory kept running between them, memory answering in 3
/// cycles) with kernel shorthands.
struct Bench<'a>(Nic<'a>);

macro_rules! bench {
    ($d:expr, $w:expr) => {
        Bench(Nic::new(
            nic_pins!($d),
            &$d.irq,
            &$d.evq_irq,
            &$d.np_irq,
            4,
            HostMemCfg {
                beat_bytes: $w as usize / 8,
                latency: 3,
                stall: 0.0,
                max_outstanding: 64,
            },
            1,
        ))
    };
}

impl<'a> std::ops::Deref for Bench<'a> {
    type Target = Nic<'a>;
    fn deref(&self) -> &Nic<'a> {
        &self.0
    }
}

impl<'a> std::ops::DerefMut for Bench<'a> {
    fn deref_mut(&mut self) -> &mut Nic<'a> {
        &mut self.0
    }
}

impl Bench<'_> {
    /// One access; its response code and data.
    fn access(&mut self, a: sim_models::axil::Access) -> (u8, u64) {
        let c = self.0.access(a);
        (c.resp, c.data)
    }

    fn kw(&mut self, addr: u64, v: u64) -> u8 {
        self.access(sim_models::axil::Access::write(addr, v, true, 0))
            .0
    }

    fn kr(&mut self, addr: u64) -> u64 {
        let (resp, v) = self.access(sim_models::axil::Access::read(addr, true, 0));
        assert_eq!(resp, 0, "kernel read of {addr:#x}");
        v
    }
}

/// The normal path's register contract: kernel only (user accesses answer SLVERR and
/// change nothing), posts the queues cannot take answer SLVERR and queue nothing, receive
/// completions in posting order, transmit completion count and acknowledgement, and
/// `np_irq` following IRQ_CTRL.
fn normal_path_contract(mut b: Bench, w: u32) {
    use sim_models::axil::Access;
    use testbench::accio_regs::nic;
    let a = |r: testbench::accio_regs::Reg| nic::addr(0, r, 0);
    let lanes = w as usize / 8;
    // Kernel only: a user write answers SLVERR and changes nothing.
    assert_eq!(b.kw(a(nic::MAC_ADDR), 0x0200_0000_0001), 0);
    let (resp, _) = b.access(Access::write(a(nic::MAC_ADDR), 0x0200_0000_0bad, false, 0));
    assert_eq!(resp, 2, "user write: SLVERR");
    let (resp, v) = b.access(Access::read(a(nic::MAC_ADDR), false, 1));
    assert_eq!((resp, v), (2, 0), "user read: SLVERR, no data");
    assert_eq!(b.kr(a(nic::MAC_ADDR)), 0x0200_0000_0001);
    let params = b.kr(a(nic::PARAMS));
    assert_eq!(nic::PARAMS::BUS_BYTES.get(params), lanes as u64);
    let depth = nic::PARAMS::RX_POST_DEPTH.get(params);
    // Posts: a full queue and a misaligned buffer answer SLVERR and queue nothing.
    assert_eq!(b.kw(a(nic::RX_POST), 0x5000_0010), 2, "misaligned buffer");
    for k in 0..depth {
        assert_eq!(b.kw(a(nic::RX_POST), 0x5000_0000 + k * 0x1000), 0);
    }
    assert_eq!(b.kw(a(nic::RX_POST), 0x6000_0000), 2, "full queue");
    assert_eq!(nic::RX_STATUS::POSTED.get(b.kr(a(nic::RX_STATUS))), depth);
    assert_eq!(
        b.kw(a(nic::TX_POST), nic::TX_POST::LEN.put(0x7000_0000, 0)),
        2,
        "empty frame"
    );
    assert_eq!(
        b.kw(a(nic::TX_POST), nic::TX_POST::LEN.put(0x7000_0000, 9000)),
        2,
        "frame past the MTU"
    );
    assert_eq!(nic::TX_STATUS::QUEUED.get(b.kr(a(nic::TX_STATUS))), 0);
    // Receive: two frames for the normal path complete in posting order; np_irq follows
    // RX_STATUS.DONE while IRQ_CTRL.RX is set.
    assert_eq!(b.kw(a(nic::IRQ_CTRL), nic::IRQ_CTRL::RX.put(0, 1)), 0);
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let frames: Vec<Vec<u8>> = (0..2)
        .map(|k| {
            let mut f: Vec<u8> = (0..100 + k).map(|_| rng.gen()).collect();
            f[12..14].copy_from_slice(&[0x08, 0x06]);
            f
        })
        .collect();
    for f in &frames {
        b.receive(f, lanes);
    }
    assert!(!b.np_irq());
    b.run(200);
    assert!(b.np_irq(), "np_irq with completions waiting");
    for (k, f) in frames.iter().enumerate() {
        let c = b.kr(a(nic::RX_COMP));
        assert_eq!(nic::RX_COMP::VALID.get(c), 1);
        assert_eq!(nic::RX_COMP::LEN.get(c), f.len() as u64);
        assert_eq!(
            b.mem.read(0x5000_0000 + k as u64 * 0x1000, f.len()),
            *f,
            "buffer {k}"
        );
    }
    assert_eq!(b.kr(a(nic::RX_COMP)), 0, "empty: VALID 0");
    b.run(3);
    assert!(!b.np_irq(), "np_irq drops with the last completion read");
    // Transmit: a frame goes out unchanged, TX_DONE counts it, np_irq until TX_ACK.
    assert_eq!(b.kw(a(nic::IRQ_CTRL), nic::IRQ_CTRL::TX.put(0, 1)), 0);
    let f = frames[1].clone();
    b.mem.write(0x7000_0000, &f);
    let post = nic::TX_POST::LEN.put(nic::TX_POST::ADDR.put(0, 0x7000_0000), f.len() as u64);
    assert_eq!(b.kw(a(nic::TX_POST), post), 0);
    b.run(300);
    assert_eq!(b.wire, vec![f]);
    assert_eq!(nic::TX_DONE::COUNT.get(b.kr(a(nic::TX_DONE))), 1);
    assert!(b.np_irq(), "np_irq until TX_ACK");
    assert_eq!(b.kw(a(nic::TX_ACK), 1), 0);
    b.run(3);
    assert!(!b.np_irq());
    assert_eq!(b.kr(a(nic::TX_NORMAL)), 1);
    assert_eq!(b.kr(a(nic::RX_NORMAL)), 2);
}

#[test]
fn normal_path_register_contract() {
    let d = Nic64::new();
    normal_path_contract(bench!(d, 64), 64);
    let d = Nic512::new();
    normal_path_contract(bench!(d, 512), 512);
}

/// What user code may do with an ICT entry it owns, by literal offset: written here by
/// hand from the papers' semantics (Accio: user code drives its own rings and sleeps on
/// them; everything that names a flow, a physical address or the protection itself is the
/// kernel's), not read from the register map. `(offset, name, read, write, why)`.
#[rustfmt::skip]
const USER_RIGHTS: [(u64, &str, bool, bool, &str); 18] = [
    (0x00, "CTRL", true, false, "sees whether its slot is live; enable, accelerate and IRQ priority are kernel policy"),
    (0x08, "LOCAL", false, false, "the lookup key: rewriting it would steal another flow's datagrams"),
    (0x10, "REMOTE", false, false, "the destination: rewriting it would send to anyone as this connection"),
    (0x18, "REMOTE_MAC", false, false, "the next hop is the kernel's routing decision"),
    (0x20, "CONN_ID", true, false, "names its own socket"),
    (0x28, "OWNER", false, false, "the protection itself"),
    (0x30, "HANDLE", false, false, "a kernel pointer: not to be leaked or forged"),
    (0x38, "RX_BASE", false, false, "a physical address: writing it points DMA anywhere"),
    (0x40, "RX_SIZE", true, false, "needed to walk the ring; writing it lets DMA run past the ring"),
    (0x48, "RX_HEAD", true, true, "the consumer pointer user code owns"),
    (0x50, "RX_TAIL", true, false, "the NIC's producer pointer"),
    (0x58, "TX_BASE", false, false, "a physical address: writing it lets the NIC read anywhere"),
    (0x60, "TX_SIZE", true, false, "needed to walk the ring; writing it lets DMA run past the ring"),
    (0x68, "TX_HEAD", true, false, "the NIC's consumer pointer"),
    (0x70, "TX_TAIL", true, true, "the producer pointer user code owns (the TX doorbell)"),
    (0x78, "WAIT", true, true, "its own thread's sleep bits"),
    (0x80, "STATUS", true, false, "derived state"),
    (0x88, "DROPS", true, false, "its ring's losses; counters are reset by the kernel"),
];

/// The generated map grants user code exactly [`USER_RIGHTS`] in an entry and nothing
/// outside the ENTRY block, and the whole NIC enforces it: driven as the owning user
/// (core 1, the entry's ASID), every access the table denies answers SLVERR with zero
/// data and changes nothing, every one it allows answers OKAY; a user with another ASID
/// is refused everything. The other blocks are refused to user code whatever its ASID.
fn user_rights(mut b: Bench, w: u32) {
    use sim_models::axil::Access;
    use testbench::accio_regs::{core, entry, global, nic, Reg, EV_PROT_FAULT};
    let map: Vec<(u64, &str, bool, bool)> = entry::ALL
        .iter()
        .map(|r| (r.offset, r.name, r.user.can_read(), r.user.can_write()))
        .collect();
    let table: Vec<(u64, &str, bool, bool)> = USER_RIGHTS
        .iter()
        .map(|&(o, n, r, w, _)| (o, n, r, w))
        .collect();
    assert_eq!(
        map, table,
        "the ENTRY block's user rights differ from the table"
    );
    let mut rng = ChaCha8Rng::seed_from_u64(0x5eed ^ w as u64);
    const OWNER_ASID: u64 = 0x2b1;
    const OWNER_CORE: u8 = 1;
    const OTHER_CORE: u8 = 2;
    let i = 5;
    let ctx = |k: u32| core::addr(k, core::CTX, 0);
    assert_eq!(b.kw(ctx(OWNER_CORE.into()), OWNER_ASID), 0);
    assert_eq!(b.kw(ctx(OTHER_CORE.into()), OWNER_ASID ^ 0x100), 0);
    let at = |off: u64| entry::addr(i, entry::CTRL, 0) + off;
    // Every kernel-writable register of the entry holds a value of its own; the slot stays
    // disabled so that no engine moves its pointers underneath the test.
    for r in entry::ALL.iter().filter(|r| r.kernel.can_write()) {
        let v = if r.name == "OWNER" {
            OWNER_ASID | u64::from(OWNER_CORE) << 16
        } else if r.name == "CTRL" || r.name == "WAIT" {
            0
        } else {
            rng.gen::<u64>() & r.mask
        };
        assert_eq!(b.kw(at(r.offset), v), 0, "kernel write of {}", r.name);
    }
    // Each refusal is reported by exactly one PROT_FAULT event naming the core.
    let fault = |b: &mut Bench, core_: u8, what: &str| {
        b.run(4);
        let pop = global::addr(0, global::EVQ_POP, 0);
        let ev = b.kr(pop);
        assert_eq!(
            global::EVQ_POP::TYPE.get(ev),
            EV_PROT_FAULT,
            "{what}: event {ev:#x}"
        );
        assert_eq!(
            global::EVQ_POP::DATA.get(ev) >> 16 & 0xff,
            u64::from(core_),
            "{what}"
        );
        assert_eq!(b.kr(pop), 0, "{what}: one event");
    };
    // The link came up at reset: that event goes first.
    while b.kr(global::addr(0, global::EVQ_POP, 0)) != 0 {}
    let mut denied = 0;
    for &(off, name, may_read, may_write, _) in &USER_RIGHTS {
        for (who, core_) in [("owner", OWNER_CORE), ("other ASID", OTHER_CORE)] {
            let owner = who == "owner";
            let before = b.kr(at(off));
            let (resp, data) = b.access(Access::read(at(off), false, core_));
            if owner && may_read {
                assert_eq!((resp, data), (0, before), "{who} read of {name}");
            } else {
                assert_eq!(
                    (resp, data),
                    (2, 0),
                    "{who} read of {name}: SLVERR, no data"
                );
                fault(&mut b, core_, &format!("{who} read of {name}"));
                denied += 1;
            }
            let value = rng.gen::<u64>();
            let (resp, _) = b.access(Access::write(at(off), value, false, core_));
            if owner && may_write {
                assert_eq!(resp, 0, "{who} write of {name}");
                b.kw(at(off), before);
            } else {
                assert_eq!(resp, 2, "{who} write of {name}: SLVERR");
                fault(&mut b, core_, &format!("{who} write of {name}"));
                assert_eq!(b.kr(at(off)), before, "{who} write of {name} changed it");
                denied += 1;
            }
        }
    }
    // Outside the entries user code has no rights at all, even with a matching ASID.
    // The NIC block answers its refusals itself, without an event (the event queue is the
    // ICT's); the ICT reports them.
    type Block = (&'static [Reg], fn(Reg) -> u64, bool);
    let blocks: [Block; 3] = [
        (global::ALL, |r| global::addr(0, r, 0), true),
        (core::ALL, |r| core::addr(OWNER_CORE.into(), r, 0), true),
        (nic::ALL, |r| nic::addr(0, r, 0), false),
    ];
    for (regs, addr, reported) in blocks {
        for r in regs {
            assert_eq!(r.user, testbench::accio_regs::Access::None, "{}", r.name);
            let report = |b: &mut Bench, what: String| {
                if reported {
                    fault(b, OWNER_CORE, &what);
                } else {
                    b.run(4);
                    assert_eq!(b.kr(global::addr(0, global::EVQ_POP, 0)), 0, "{what}");
                }
            };
            let (resp, data) = b.access(Access::read(addr(*r), false, OWNER_CORE));
            assert_eq!((resp, data), (2, 0), "user read of {}", r.name);
            report(&mut b, format!("user read of {}", r.name));
            let observe = r.kernel.can_read() && !r.read_effect;
            let before = observe.then(|| b.kr(addr(*r)));
            let (resp, _) = b.access(Access::write(addr(*r), rng.gen(), false, OWNER_CORE));
            assert_eq!(resp, 2, "user write of {}", r.name);
            report(&mut b, format!("user write of {}", r.name));
            if let Some(v) = before {
                assert_eq!(b.kr(addr(*r)), v, "user write of {} changed it", r.name);
            }
            denied += 2;
        }
    }
    println!("{w} bits: {denied} denied accesses, each SLVERR and without effect");
}

#[test]
fn user_rights_follow_the_hand_written_table() {
    let d = Nic64::new();
    user_rights(bench!(d, 64), 64);
    let d = Nic512::new();
    user_rights(bench!(d, 512), 512);
}

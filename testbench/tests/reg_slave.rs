//! `hdl::blocks::reg_slave`, the register front end of the ICT, the NIC block and the
//! Lauberhorn registers, on a fixture (`rtl/reg_slave_fixture.rs`): a register file with
//! one register of every kind of right, a repeated block with an array register, and the
//! block hooks (user check, stall, refusal) as ports.
//!
//! Random accesses (kernel and user, any address in the map's span, random strobes and
//! data, the user check and refusal held per access, random stall cycles and bus
//! back-pressure) are compared with a model built from a hand-written rights table, not
//! from the map: OKAY with the merged write or the value read; SLVERR for what the rights,
//! the user check or a refusal deny, reading zero and changing nothing; DECERR for an
//! address that is no register. A write merges its strobed bytes into the register's value
//! (into zero for a write-only register, which has no value to read).

use rand::Rng;
use sim::prelude::*;
use sim_models::axil::{Access, AxilMaster};
use sim_models::axil_master;
use std::collections::BTreeMap;
use testbench::models::RegSlaveFixture;
use testbench::seed;

include!("../rtl/reg_slave_fixture.rs");

const OKAY: u8 = 0;
const SLVERR: u8 = 2;
const DECERR: u8 = 3;

/// The rights by address, written from the fixture's documentation:
/// (address, kernel read, kernel write, user read, user write, reset).
const RIGHTS: [(u64, bool, bool, bool, bool, u64); 11] = [
    (0x00, true, true, true, true, 0x1111),   // GLOBAL.SHARED
    (0x08, true, true, false, false, 0x2222), // GLOBAL.KERNEL
    (0x10, true, false, true, false, 0),      // GLOBAL.STATUS
    (0x18, false, true, false, true, 0),      // GLOBAL.BELL
    (0x20, true, true, true, false, 0x3333),  // GLOBAL.PEEK
    (0x40, true, true, true, true, 0),        // ENTRY[0].VALUE
    (0x48, true, true, false, false, 0),      // ENTRY[0].TABLE[0]
    (0x50, true, true, false, false, 0),      // ENTRY[0].TABLE[1]
    (0x60, true, true, true, true, 0),        // ENTRY[1].VALUE
    (0x68, true, true, false, false, 0),      // ENTRY[1].TABLE[0]
    (0x70, true, true, false, false, 0),      // ENTRY[1].TABLE[1]
];
const STATUS: u64 = 0x10;
const BELL: u64 = 0x18;
/// The map's span: addresses past the registers in it answer DECERR.
const SPAN: u64 = 0x80;

#[test]
fn random_accesses_match_the_rights_table() {
    let mut rng = seed::rng("reg_slave");
    assert_eq!(fixture_map().span(), SPAN);
    let d = RegSlaveFixture::new();
    let bus = axil_master!(d.s_axil);
    let mut mmio = AxilMaster::new(rand::SeedableRng::seed_from_u64(rng.gen()));
    let mut value: BTreeMap<u64, u64> = RIGHTS.iter().map(|r| (r.0, r.5)).collect();
    d.rst.set_bit(0, true);
    d.tick().unwrap();
    d.rst.set_bit(0, false);
    let (mut user_ok, mut refuse) = (false, false);
    let mut seen: BTreeMap<(bool, bool, u8), usize> = BTreeMap::new();
    let mut done = 0;
    let mut cycle = 0u64;
    while done < 5000 {
        cycle += 1;
        assert!(cycle < 200_000, "stuck after {done} accesses");
        if mmio.idle() {
            // The next access, with the hooks it runs under.
            let addr = rng.gen_range(0..SPAN / 8) * 8;
            let privileged = rng.gen_bool(0.5);
            let core = rng.gen_range(0..4);
            user_ok = rng.gen_bool(0.7);
            refuse = rng.gen_bool(0.2);
            let a = if rng.gen_bool(0.5) {
                let mut a = Access::write(addr, rng.gen(), privileged, core);
                a.strb = rng.gen();
                a
            } else {
                Access::read(addr, privileged, core)
            };
            mmio.push(a);
        }
        d.user_ok.set_bit(0, user_ok);
        d.refuse.set_bit(0, refuse);
        d.stall.set_bit(0, rng.gen_bool(0.3));
        mmio.drive(&bus);
        d.eval().unwrap();
        let (_, completion) = mmio.sample(&bus);
        d.tick().unwrap();
        let Some(c) = completion else { continue };
        let a = &c.access;
        let rights = RIGHTS.iter().find(|r| r.0 == a.addr);
        let want = match rights {
            None => DECERR,
            Some(&(_, kr, kw, ur, uw, _)) => {
                let allowed = match (a.privileged, a.write) {
                    (true, false) => kr,
                    (true, true) => kw,
                    (false, false) => ur && user_ok,
                    (false, true) => uw && user_ok,
                };
                if allowed && !(a.write && refuse) {
                    OKAY
                } else {
                    SLVERR
                }
            }
        };
        assert_eq!(
            c.resp, want,
            "{a:x?} (user check {user_ok}, refuse {refuse})"
        );
        if a.write && want == OKAY {
            // Strobed bytes over the register's value; a write-only register has none to
            // read, so its other bytes become zero.
            let &(_, kr, _, ur, _, _) = rights.unwrap();
            let v = value.get_mut(&a.addr).unwrap();
            let base = if kr || ur { *v } else { 0 };
            let mask = (0..8).fold(0u64, |m, b| {
                m | (u64::from(a.strb >> b & 1) * 0xff) << (8 * b)
            });
            *v = (base & !mask) | (a.data & mask);
        }
        let expect_data = match (a.write, want) {
            (false, OKAY) if a.addr == STATUS => FIXTURE_STATUS,
            (false, OKAY) => value[&a.addr],
            _ => 0,
        };
        assert_eq!(c.data, expect_data, "{a:x?}: read data");
        assert!(
            c.answered >= c.accepted + 3,
            "{a:x?}: decode, execute, respond"
        );
        d.eval().unwrap();
        assert_eq!(
            d.bell.get_bits(0, 64),
            value[&BELL],
            "BELL changes only when written"
        );
        *seen.entry((a.privileged, a.write, c.resp)).or_default() += 1;
        done += 1;
    }
    // Every outcome for both privilege levels and directions happened, many times.
    for p in [false, true] {
        for w in [false, true] {
            for r in [OKAY, SLVERR, DECERR] {
                let n = seen.get(&(p, w, r)).copied().unwrap_or(0);
                assert!(
                    n > 50,
                    "privileged {p}, write {w}, resp {r}: only {n} times"
                );
            }
        }
    }
    // And the state is what the model says, register by register.
    for (addr, v) in &value {
        if *addr == BELL {
            continue;
        }
        mmio.push(Access::read(*addr, true, 0));
        let c = loop {
            d.stall.set_bit(0, false);
            mmio.drive(&bus);
            d.eval().unwrap();
            let (_, c) = mmio.sample(&bus);
            d.tick().unwrap();
            if let Some(c) = c {
                break c;
            }
        };
        let want = if *addr == STATUS { FIXTURE_STATUS } else { *v };
        assert_eq!(
            (c.resp, c.data),
            (OKAY, want),
            "register {addr:#x} at the end"
        );
    }
}

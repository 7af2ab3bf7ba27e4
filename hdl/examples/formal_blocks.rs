//! Emits the small tops that `scripts/formal.sh` proves and the default build has no use
//! for: `cargo run -p hdl --example formal_blocks -- DIR`.
//!
//! * `reg_slave_probe`: the register front end ([`RegSlave`]) with every rule it offers
//!   (DECERR, the map's kernel and user columns, a user check, a stall, a refusal) over
//!   three registers, so the proof covers the front end and not one block's registers.
//! * `async_fifo_w4_d4_s2_dist`: the asynchronous FIFO at a depth a proof can fill.
//! * `lauberhorn_endpoints_c1_w1024_a1_s4`: the CONTROL-line endpoints at their smallest
//!   (one core, so two endpoints; one AUX line; four slots; a line in one beat), so the
//!   one-holder-per-line proof has few lines to track and no multi-beat messages.

use hdl::blocks::async_fifo::{async_fifo, AsyncFifoCfg};
use hdl::blocks::reg_slave::{RegSlave, Rules};
use hdl::bundles::{Axil, AxilCfg, Side};
use hdl::ir::{lit, HdlErrors, Module, ModuleBuilder};
use hdl::lauberhorn::endpoints::{endpoints, EndpointsCfg};
use hdl::regmap::{Access, RegBlock, RegMap, Register};
use std::path::PathBuf;
use std::rc::Rc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::args().nth(1).ok_or("usage: formal_blocks DIR")?);
    std::fs::create_dir_all(&dir)?;
    let smallest_endpoints = EndpointsCfg {
        cores: 1,
        coh_width: 1024,
        aux_lines: 1,
        slots: 4,
    };
    for m in [
        reg_slave_probe()?,
        async_fifo(AsyncFifoCfg::new(4, 4))?,
        endpoints(smallest_endpoints)?,
    ] {
        let d = hdl::emit_design(&m)?;
        for f in &d.files {
            std::fs::write(dir.join(&f.name), &f.text)?;
        }
    }
    Ok(())
}

/// Block P at 0: A (0x00) for the kernel and for user code whose AxUSER is 1, B (0x08)
/// for the kernel only, C (0x10) read-only; 0x18 is no register. `stall` holds the
/// executing request, `refuse` refuses it.
fn reg_slave_probe() -> Result<Rc<Module>, HdlErrors> {
    use Access::{None as No, ReadOnly as Ro, ReadWrite as Rw};
    let reg = |name: &str, offset, kernel, user| {
        Register::new(name, offset, kernel, user, name).field("V", 0, 64, name)
    };
    let map = RegMap {
        name: "PROBE".into(),
        doc: "The register front end's probe.".into(),
        data_width: 64,
        blocks: vec![RegBlock {
            name: "P".into(),
            base: 0,
            count: 1,
            stride: 32,
            doc: "Three registers and a hole.".into(),
            regs: vec![
                reg("A", 0x00, Rw, Rw),
                reg("B", 0x08, Rw, No),
                reg("C", 0x10, Ro, Ro),
            ],
        }],
        consts: Vec::new(),
        c_code: String::new(),
    };
    let mut m = ModuleBuilder::new("reg_slave_probe");
    m.doc("The register front end with every rule, for scripts/formal.sh.");
    let s = Axil::new(&mut m, "s_axil", Side::Sink, AxilCfg::for_map(&map, 1));
    let stall = m.input("stall", 1);
    let refuse = m.input("refuse", 1);
    let a_out = m.output("a_value", 64);
    let b_out = m.output("b_value", 64);
    let rs = RegSlave::start(&mut m, &s, &map);
    m.unused(&rs.req.addr);
    m.unused(&rs.req.user);
    let user_check = rs.req.incoming.user.eq(1u64);
    let rules = Rules {
        user_check: Some(user_check),
        stall: Some(stall.into()),
        refusable: true,
    };
    let mut rs = rs.check(&mut m, rules);
    let refused = rs.refused.clone().expect("refusable");
    m.set(&refused, &refuse);
    for (name, out) in [("A", &a_out), ("B", &b_out)] {
        let r = m.reg_reset(&format!("reg_{}", name.to_lowercase()), 64, 0);
        rs.dec.read("P", name, &[("V", r.clone().into())]);
        let w = rs.write(&mut m, "P", name);
        let v = rs.field("P", name, "V");
        m.when(&w, |m| m.set(&r, v));
        m.set(out, &r);
    }
    rs.dec.read("P", "C", &[("V", lit(0x600d_c0de, 64))]);
    rs.finish(&mut m, &s)?;
    m.finish()
}

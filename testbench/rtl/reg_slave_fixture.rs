// The register front end's test fixture (`hdl::blocks::reg_slave`), shared by build.rs,
// which verilates it, and tests/reg_slave.rs, which drives it: a register file behind the
// front end, one register of every kind of right, a block repeated twice with an array
// register, and the block hooks as ports the test drives (`user_ok` the block's own user
// check, `stall`, `refuse` writes).

/// The fixture's register map.
pub fn fixture_map() -> hdl::regmap::RegMap {
    use hdl::regmap::{Access::*, RegBlock, RegMap, Register};
    let reg = |name: &str, off, kernel, user| {
        Register::new(name, off, kernel, user, "A test register.").field("V", 0, 64, "Its value.")
    };
    RegMap {
        name: "FIXTURE".into(),
        doc: "The register front end's test fixture.".into(),
        data_width: 64,
        blocks: vec![
            RegBlock {
                name: "GLOBAL".into(),
                base: 0,
                count: 1,
                stride: 0x40,
                doc: "Every kind of right.".into(),
                regs: vec![
                    reg("SHARED", 0x00, ReadWrite, ReadWrite).reset(0x1111),
                    reg("KERNEL", 0x08, ReadWrite, None).reset(0x2222),
                    reg("STATUS", 0x10, ReadOnly, ReadOnly),
                    reg("BELL", 0x18, WriteOnly, WriteOnly),
                    reg("PEEK", 0x20, ReadWrite, ReadOnly).reset(0x3333),
                ],
            },
            RegBlock {
                name: "ENTRY".into(),
                base: 0x40,
                count: 2,
                stride: 0x20,
                doc: "A repeated block.".into(),
                regs: vec![
                    reg("VALUE", 0x00, ReadWrite, ReadWrite),
                    reg("TABLE", 0x08, ReadWrite, None).array(2),
                ],
            },
        ],
        consts: vec![],
        c_code: String::new(),
    }
}

/// STATUS reads this constant.
pub const FIXTURE_STATUS: u64 = 0x5eed_cafe_f00d_0042;

/// The fixture module: storage for every writable register, BELL's last value on an output.
pub fn reg_slave_fixture(
) -> Result<std::rc::Rc<hdl::ir::Module>, hdl::ir::HdlErrors> {
    use hdl::blocks::reg_slave::{RegSlave, Rules};
    use hdl::bundles::{Axil, AxilCfg, Side};
    use hdl::ir::{lit, Expr, ModuleBuilder};
    let map = fixture_map();
    let mut m = ModuleBuilder::new("reg_slave_fixture");
    m.doc("The register front end's test fixture.");
    let cfg = AxilCfg::for_map(&map, 8);
    let s = Axil::new(&mut m, "s_axil", Side::Sink, cfg);
    let user_ok = m.input("user_ok", 1);
    let stall = m.input("stall", 1);
    let refuse = m.input("refuse", 1);
    let bell = m.output("bell", 64);
    let rs = RegSlave::start(&mut m, &s, &map);
    m.unused(&rs.req.user);
    m.unused(&rs.req.addr);
    m.unused(&rs.req.incoming.user);
    let rules = Rules {
        user_check: Some(user_ok.into()),
        stall: Some(stall.into()),
        refusable: true,
    };
    let mut rs = rs.check(&mut m, rules);
    let refused = rs.refused.clone().expect("refusable");
    m.set(&refused, &rs.req.write & &refuse);
    // A register of `block` instance (or array word) `k` of `n`, written by its strobe.
    let store = |rs: &mut RegSlave, m: &mut ModuleBuilder, block: &str, reg: &str, n: u32, sel: &Expr| {
        let we = rs.write(m, block, reg);
        let reset = map.reg(block, reg).unwrap().reset;
        let words: Vec<Expr> = (0..n)
            .map(|k| {
                let r = m.reg_reset(&format!("{}_{}{k}", block.to_lowercase(), reg.to_lowercase()), 64, reset);
                let here = if n == 1 { lit(1, 1) } else { sel.eq(u64::from(k)) };
                // The write's bytes merge into this word's own value.
                let v = rs.field_from(block, reg, "V", &Expr::from(&r));
                m.when(&we & here, |m| m.set(&r, v));
                Expr::from(&r)
            })
            .collect();
        hdl::blocks::onehot::select(&words, sel)
    };
    let none = lit(0, 1);
    for reg in ["SHARED", "KERNEL", "PEEK"] {
        let v = store(&mut rs, &mut m, "GLOBAL", reg, 1, &none);
        rs.dec.read("GLOBAL", reg, &[("V", v)]);
    }
    rs.dec.read("GLOBAL", "STATUS", &[("V", lit(FIXTURE_STATUS, 64))]);
    let b = store(&mut rs, &mut m, "GLOBAL", "BELL", 1, &none);
    m.set(&bell, b);
    let entry = rs.dec.index("ENTRY");
    let v = store(&mut rs, &mut m, "ENTRY", "VALUE", 2, &entry);
    rs.dec.read("ENTRY", "VALUE", &[("V", v)]);
    let word = rs.dec.word("ENTRY", "TABLE");
    let slot = hdl::ir::cat([entry.clone(), word]);
    let v = store(&mut rs, &mut m, "ENTRY", "TABLE", 4, &slot);
    rs.dec.read("ENTRY", "TABLE", &[("V", v)]);
    rs.finish(&mut m, &s)?;
    m.finish()
}

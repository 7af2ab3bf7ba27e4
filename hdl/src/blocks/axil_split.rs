//! AXI4-Lite address split: one master port, two register slaves (instances), chosen by
//! address. One write and one read may be outstanding at a time (like the slaves
//! themselves), so responses come back in order without IDs. Made for slaves that take a
//! write's address and data in the same cycle, as [`axil_slave`](super::axil_slave) does.
//! No register stage: the split adds no latency.

use crate::bundles::Axil;
use crate::ir::{Expr, Inst, ModuleBuilder};

/// One slave behind the split: its instance, the prefix of its AXI4-Lite sink and its
/// address width (the master's address is cut to it).
pub struct Target {
    pub inst: Inst,
    pub prefix: &'static str,
    pub addr_width: u32,
}

/// Connects master port `s` to `a` and `b`; `to_b` says, from an address, that it goes to
/// `b` (everything else goes to `a`).
pub fn axil_split(
    m: &mut ModuleBuilder,
    s: &Axil,
    a: &Target,
    b: &Target,
    to_b: impl Fn(&Expr) -> Expr,
) {
    let w_busy = m.reg_reset("split_w_busy", 1, 0);
    let w_to_b = m.reg("split_w_to_b", 1);
    let r_busy = m.reg_reset("split_r_busy", 1, 0);
    let r_to_b = m.reg("split_r_to_b", 1);
    m.describe(
        &w_busy,
        "A write is outstanding at the slave in split_w_to_b.",
    );
    let aw_b = m.node("split_aw_to_b", to_b(&s.awaddr.clone().into()));
    let ar_b = m.node("split_ar_to_b", to_b(&s.araddr.clone().into()));
    let targets = [
        (a, !&aw_b, !&ar_b, !&w_to_b, !&r_to_b),
        (
            b,
            Expr::from(&aw_b),
            Expr::from(&ar_b),
            Expr::from(&w_to_b),
            Expr::from(&r_to_b),
        ),
    ];
    let mut out: Vec<[Expr; 8]> = Vec::new();
    for (t, aw_sel, ar_sel, w_sel, r_sel) in &targets {
        let p = |f: &str| format!("{}_{f}", t.prefix);
        let (i, aw) = (t.inst, t.addr_width);
        m.connect(i, &p("awvalid"), &s.awvalid & !&w_busy & aw_sel);
        m.connect(i, &p("wvalid"), &s.wvalid & !&w_busy & aw_sel);
        m.connect(i, &p("awaddr"), s.awaddr.trunc(aw));
        m.connect(i, &p("awprot"), &s.awprot);
        m.connect(i, &p("wdata"), &s.wdata);
        m.connect(i, &p("wstrb"), &s.wstrb);
        m.connect(i, &p("bready"), &s.bready & &w_busy & w_sel);
        m.connect(i, &p("arvalid"), &s.arvalid & !&r_busy & ar_sel);
        m.connect(i, &p("araddr"), s.araddr.trunc(aw));
        m.connect(i, &p("arprot"), &s.arprot);
        m.connect(i, &p("rready"), &s.rready & &r_busy & r_sel);
        if let (Some(au), Some(ru)) = (&s.awuser, &s.aruser) {
            m.connect(i, &p("awuser"), au);
            m.connect(i, &p("aruser"), ru);
        }
        let o = |m: &mut ModuleBuilder, f: &str| Expr::from(m.inst_output(i, &p(f)));
        out.push([
            o(m, "awready"),
            o(m, "wready"),
            o(m, "bvalid"),
            o(m, "bresp"),
            o(m, "arready"),
            o(m, "rvalid"),
            o(m, "rdata"),
            o(m, "rresp"),
        ]);
    }
    let pick = |sel: &Expr, k: usize| sel.mux(out[1][k].clone(), out[0][k].clone());
    let aw_ready = !&w_busy & pick(&aw_b.clone().into(), 0);
    m.set(&s.awready, aw_ready.clone());
    m.set(&s.wready, !&w_busy & pick(&aw_b.clone().into(), 1));
    m.set(&s.bvalid, &w_busy & pick(&w_to_b.clone().into(), 2));
    m.set(&s.bresp, pick(&w_to_b.clone().into(), 3));
    let ar_ready = !&r_busy & pick(&ar_b.clone().into(), 4);
    m.set(&s.arready, ar_ready.clone());
    m.set(&s.rvalid, &r_busy & pick(&r_to_b.clone().into(), 5));
    m.set(&s.rdata, pick(&r_to_b.clone().into(), 6));
    m.set(&s.rresp, pick(&r_to_b.clone().into(), 7));
    let aw_fire = &s.awvalid & aw_ready;
    m.when(aw_fire, |m| {
        m.set(&w_busy, 1);
        m.set(&w_to_b, &aw_b);
    })
    .elif(&s.bvalid & &s.bready, |m| m.set(&w_busy, 0));
    let ar_fire = &s.arvalid & ar_ready;
    m.when(ar_fire, |m| {
        m.set(&r_busy, 1);
        m.set(&r_to_b, &ar_b);
    })
    .elif(&s.rvalid & &s.rready, |m| m.set(&r_busy, 0));
}

//! The kernel's registers of the Lauberhorn NIC ([`regs::regmap`]) behind an AXI4-Lite
//! slave: the settings the blocks read (addresses, policy, the timeout), each core's
//! scheduling state and preemption (with its interrupt line), the service table (stored
//! in the table itself, reached through its write and read ports), the per-process load
//! statistics (read from the scheduler) and saturating counters of the blocks' pulses.
//! Every register is the kernel's: a user access answers SLVERR and changes nothing.

use super::regs::{self, PROCESS_STATS, SERVICE_REGS, STATS};
use crate::blocks::onehot::encode;
use crate::blocks::reg_slave::{RegSlave, Rules};
use crate::bundles::{Axil, AxilCfg, Side};
use crate::config::LauberhornConfig;
use crate::ir::{cat, clog2, lit, Expr, HdlErrors, Module, ModuleBuilder, PortDir, Sig};
use crate::lauberhorn::scheduler::mode;
use crate::lauberhorn::service_table::word;
use crate::regmap::RegMap;
use std::rc::Rc;

pub fn csr(cfg: &LauberhornConfig) -> Result<Rc<Module>, HdlErrors> {
    let name = format!(
        "lauberhorn_csr_c{}_p{}_n{}",
        cfg.cores, cfg.processes, cfg.services
    );
    let problems = cfg.problems();
    if !problems.is_empty() {
        return Err(HdlErrors::param(&name, problems.join("; ")));
    }
    let map = regs::regmap(cfg);
    let (nc, np, ns) = (cfg.cores, cfg.processes, cfg.services);
    let mut m = ModuleBuilder::new(&name);
    m.doc(format!(
        "Lauberhorn registers: settings, {nc} cores' scheduling state, {ns} services,\n\
         {np} processes' statistics. The LAUBERHORN register map; kernel only."
    ));
    let s = Axil::new(&mut m, "s_axil", Side::Sink, AxilCfg::for_map(&map, 0));
    let rs = RegSlave::start(&mut m, &s, &map);
    // Kernel only: the core does not matter, and the map allows user code nothing.
    m.unused(&rs.req.user);
    m.unused(&rs.req.addr);
    m.unused(&rs.req.incoming.user);
    let mut rs = rs.check(&mut m, Rules::default());

    settings(&mut m, &mut rs, &map, cfg);
    statistics(&mut m, &mut rs);
    cores(&mut m, &mut rs, cfg);
    processes(&mut m, &mut rs, cfg);
    services(&mut m, &mut rs, &map, cfg);
    rs.finish(&mut m, &s)?;
    m.finish()
}

/// Settings: identification, parameters, and the registers the blocks read.
fn settings(m: &mut ModuleBuilder, rs: &mut RegSlave, map: &RegMap, cfg: &LauberhornConfig) {
    let id_v = map.reg("GLOBAL", "ID").unwrap().reset;
    rs.dec.read(
        "GLOBAL",
        "ID",
        &[
            ("VERSION", lit(id_v & 0xffff, 16)),
            ("MAGIC", lit(id_v >> 32, 32)),
        ],
    );
    let pv = map.reg("GLOBAL", "PARAMS").unwrap().reset;
    rs.dec.read(
        "GLOBAL",
        "PARAMS",
        &[
            ("CORES", lit(pv & 0xff, 8)),
            ("AUX_LINES", lit(pv >> 8 & 0xff, 8)),
            ("SLOTS", lit(pv >> 16 & 0xffff, 16)),
            ("SERVICES", lit(pv >> 32 & 0xff, 8)),
            ("PROCESSES", lit(pv >> 40 & 0xff, 8)),
            ("QUEUE_LIMIT", lit(pv >> 48, 16)),
        ],
    );
    // A settings register: each field (field, output, reset) a register driving an output.
    let setting =
        |rs: &mut RegSlave, m: &mut ModuleBuilder, reg: &str, fields: &[(&str, &str, u64)]| {
            let we = rs.write(m, "GLOBAL", reg);
            let mut back = Vec::new();
            for (f, out, reset) in fields {
                let w = map.reg("GLOBAL", reg).unwrap().get_field(f).unwrap().width;
                let r = m.reg_reset(&format!("{out}_r"), w, *reset);
                let v = rs.field_from("GLOBAL", reg, f, &r.clone().into());
                m.when(&we, |m| m.set(&r, v));
                let o = m.output(out, w);
                m.set(&o, &r);
                back.push((*f, Expr::from(&r)));
            }
            rs.dec.read("GLOBAL", reg, &back);
        };
    setting(
        rs,
        m,
        "CTRL",
        &[
            ("REJECT_TO_OTHER", "reject_to_other", 0),
            ("ERROR_REPLIES", "error_replies", 0),
            ("DMA_FALLBACK", "dma_fallback", 0),
        ],
    );
    setting(rs, m, "LOCAL_IP", &[("IP", "local_ip", 0)]);
    setting(rs, m, "LOCAL_MAC", &[("MAC", "local_mac", 0)]);
    setting(
        rs,
        m,
        "TIMEOUT",
        &[("CYCLES", "timeout", u64::from(cfg.timeout_cycles))],
    );
    let backlog = m.input("backlog", 1);
    rs.dec
        .read("GLOBAL", "BACKLOG", &[("PENDING", backlog.into())]);
}

/// Statistics: saturating counters of the blocks' pulses.
fn statistics(m: &mut ModuleBuilder, rs: &mut RegSlave) {
    for (reg, _) in STATS {
        let pulse = m.input(&format!("stat_{}", reg.to_lowercase()), 1);
        let c = m.reg_reset(&format!("count_{}", reg.to_lowercase()), 32, 0);
        let we = rs.write(m, "GLOBAL", reg);
        let v = rs.field_from("GLOBAL", reg, "COUNT", &c.clone().into());
        m.when(&we, |m| m.set(&c, v))
            .elif(&pulse & !c.all(), |m| m.set(&c, &c + 1u64));
        rs.dec.read("GLOBAL", reg, &[("COUNT", c.clone().into())]);
    }
}

/// Cores: scheduling state and preemption.
fn cores(m: &mut ModuleBuilder, rs: &mut RegSlave, cfg: &LauberhornConfig) {
    let nc = cfg.cores;
    let pw = clog2(u64::from(cfg.processes));
    let core_i = rs.dec.index("CORE");
    let (mut modes, mut procs, mut pre, mut ret, mut ports) =
        (vec![], vec![], vec![], vec![], vec![]);
    let w_sched = rs.write(m, "CORE", "SCHED");
    let w_pre = rs.write(m, "CORE", "PREEMPT");
    let w_port = rs.write(m, "CORE", "TX_PORT");
    for c in 0..nc {
        let me = if nc == 1 {
            lit(1, 1)
        } else {
            core_i.eq(u64::from(c))
        };
        let md = m.reg_reset(&format!("core{c}_mode"), mode::WIDTH, mode::OTHER);
        let pr = m.reg_reset(&format!("core{c}_process"), pw, 0);
        let pe = m.reg_reset(&format!("core{c}_preempt"), 1, 0);
        let rt = m.reg_reset(&format!("core{c}_retire"), 1, 0);
        let tp = m.reg_reset(&format!("core{c}_tx_port"), 16, 0);
        // Each field merges the write's bytes into this core's own register.
        let mut own =
            |reg: &str, field: &str, r: &Sig| rs.field_from("CORE", reg, field, &Expr::from(r));
        let (v_mode, v_proc) = (own("SCHED", "MODE", &md), own("SCHED", "PROCESS", &pr));
        let (v_req, v_ret) = (own("PREEMPT", "REQ", &pe), own("PREEMPT", "RETIRE", &rt));
        let v_port = own("TX_PORT", "PORT", &tp);
        m.when(&w_sched & me.clone(), |m| {
            m.set(&md, v_mode);
            m.set(&pr, v_proc);
        });
        m.when(&w_pre & me.clone(), |m| {
            m.set(&pe, v_req);
            m.set(&rt, v_ret);
        });
        m.when(&w_port & me, |m| m.set(&tp, v_port));
        modes.push(Expr::from(&md));
        procs.push(Expr::from(&pr));
        pre.push(Expr::from(&pe));
        ret.push(Expr::from(&rt));
        ports.push(Expr::from(&tp));
    }
    let sel = |v: &[Expr]| crate::blocks::onehot::select(v, &core_i);
    rs.dec.read(
        "CORE",
        "SCHED",
        &[("MODE", sel(&modes)), ("PROCESS", sel(&procs))],
    );
    rs.dec.read(
        "CORE",
        "PREEMPT",
        &[("REQ", sel(&pre)), ("RETIRE", sel(&ret))],
    );
    rs.dec.read("CORE", "TX_PORT", &[("PORT", sel(&ports))]);
    let msb_first = |v: &[Expr]| cat(v.iter().rev().cloned());
    for (out, v) in [
        ("core_mode", msb_first(&modes)),
        ("core_process", msb_first(&procs)),
        ("retire", msb_first(&ret)),
        ("tx_port", msb_first(&ports)),
    ] {
        let o = m.output(out, v.width());
        m.set(&o, v);
    }
    let preempt = m.output("preempt", nc);
    m.set(&preempt, msb_first(&pre));
    let irq = m.output("irq", nc);
    m.set(&irq, msb_first(&pre));
}

/// Processes: the scheduler's statistics, by process.
fn processes(m: &mut ModuleBuilder, rs: &mut RegSlave, cfg: &LauberhornConfig) {
    let pw = clog2(u64::from(cfg.processes));
    let stat_process = m.output("proc_stat_process", pw);
    m.set(&stat_process, rs.dec.index("PROCESS").resize(pw));
    for (reg, _, _) in PROCESS_STATS {
        let w = if reg == "QUEUED" {
            clog2(u64::from(cfg.queue_limit) + 1)
        } else {
            32
        };
        let v = m.group_port("proc_stat", &reg.to_lowercase(), w, PortDir::In);
        rs.dec.read("PROCESS", reg, &[("COUNT", v.zext(32))]);
    }
}

/// Services: the table's words, written and read through its ports.
fn services(m: &mut ModuleBuilder, rs: &mut RegSlave, map: &RegMap, cfg: &LauberhornConfig) {
    let iw = clog2(u64::from(cfg.services));
    let svc_i = rs.dec.index("SERVICE").resize(iw);
    let hits: Vec<Expr> = SERVICE_REGS
        .iter()
        .map(|r| rs.dec.hit("SERVICE", r))
        .collect();
    let word_now = m.node(
        "service_word",
        encode(&cat(hits.iter().rev().cloned()), word::INDEX_WIDTH),
    );
    let gp = |m: &mut ModuleBuilder, g: &str, f: &str, w: u32, d| m.group_port(g, f, w, d);
    let t_wv = gp(m, "svc_wr", "valid", 1, PortDir::Out);
    let t_wi = gp(m, "svc_wr", "index", iw, PortDir::Out);
    let t_ww = gp(m, "svc_wr", "word", word::INDEX_WIDTH, PortDir::Out);
    let t_wd = gp(m, "svc_wr", "data", 64, PortDir::Out);
    let t_ri = gp(m, "svc_rd", "index", iw, PortDir::Out);
    let t_rw = gp(m, "svc_rd", "word", word::INDEX_WIDTH, PortDir::Out);
    let t_rd = gp(m, "svc_rd", "data", 64, PortDir::In);
    let mut any_w: Expr = lit(0, 1);
    for r in SERVICE_REGS {
        any_w = any_w | rs.write(m, "SERVICE", r);
        let f = map.reg("SERVICE", r).unwrap();
        let fields: Vec<(&str, Expr)> = f
            .fields
            .iter()
            .map(|fl| (fl.name.as_str(), t_rd.slice(fl.lsb, fl.width)))
            .collect();
        rs.dec.read("SERVICE", r, &fields);
    }
    m.set(&t_wv, any_w);
    m.set(&t_wi, &svc_i);
    m.set(&t_ww, &word_now);
    m.set(&t_wd, rs.merged(&t_rd));
    m.set(&t_ri, &svc_i);
    m.set(&t_rw, &word_now);
}

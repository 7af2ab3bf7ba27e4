//! Memories are emitted in the shape the tools infer (checked by synthesizing with Yosys),
//! and the AXI bundles declare the port names Vivado recognises.

use hdl::bundles::{Axi, AxiCfg, Axil, AxilCfg, Side};
use hdl::{emit_design, lit, Module, ModuleBuilder, PortDir, RamStyle};
use std::process::Command;
use std::rc::Rc;

/// Synthesizes `m` for UltraScale+ and returns Yosys's cell statistics.
fn synth_cells(m: &Rc<Module>) -> String {
    let d = emit_design(m).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<String> = d
        .files
        .iter()
        .map(|f| {
            let p = dir.path().join(&f.name);
            std::fs::write(&p, &f.text).unwrap();
            p.display().to_string()
        })
        .collect();
    let stats = dir.path().join("stat.txt");
    let script = format!(
        "read_verilog {}; synth_xilinx -family xcup -top {}; tee -q -o {} stat",
        files.join(" "),
        d.top_name(),
        stats.display()
    );
    let out = Command::new("yosys")
        .args(["-q", "-p", &script])
        .output()
        .expect("yosys installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(stats).unwrap()
}

fn count(stats: &str, cell: &str) -> u64 {
    stats
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            (w.next() == Some(cell))
                .then(|| w.next()?.parse::<u64>().ok())
                .flatten()
        })
        .sum()
}

#[test]
fn true_dual_port_ram_infers_one_block_ram() {
    let mut m = ModuleBuilder::new("tdp_ram_w36_d1024");
    let mem = m.memory("store", 36, 1024, RamStyle::Block);
    let mut outs = Vec::new();
    for side in ["a", "b"] {
        let en = m.input(&format!("{side}_en"), 1);
        let we = m.input(&format!("{side}_we"), 1);
        let addr = m.input(&format!("{side}_addr"), 10);
        let data = m.input(&format!("{side}_wdata"), 36);
        let q = m.mem_port_rw(mem, &format!("{side}_q"), &en, &we, &addr, &data);
        let o = m.output(&format!("{side}_rdata"), 36);
        m.set(&o, &q);
        outs.push(o);
    }
    let stats = synth_cells(&m.finish().unwrap());
    assert_eq!(count(&stats, "RAMB36E2"), 1, "{stats}");
    assert_eq!(
        count(&stats, "FDRE"),
        0,
        "read registers belong in the RAM: {stats}"
    );
}

#[test]
fn distributed_ram_with_async_read_infers_lutram() {
    let mut m = ModuleBuilder::new("lutram_w16_d32");
    let we = m.input("we", 1);
    let waddr = m.input("waddr", 5);
    let wdata = m.input("wdata", 16);
    let raddr = m.input("raddr", 5);
    let q = m.output("rdata", 16);
    let mem = m.memory("store", 16, 32, RamStyle::Distributed);
    m.mem_write(mem, &we, &waddr, &wdata);
    let rd = m.mem_read_async(mem, "store_rdata", &raddr);
    m.set(&q, &rd);
    let stats = synth_cells(&m.finish().unwrap());
    assert!(
        count(&stats, "RAM32M16") + count(&stats, "RAM32M") >= 1,
        "{stats}"
    );
    assert_eq!(
        count(&stats, "RAMB18E2") + count(&stats, "RAMB36E2"),
        0,
        "{stats}"
    );
}

#[test]
fn registered_read_ram_infers_block_ram() {
    let mut m = ModuleBuilder::new("bram_w64_d512");
    let we = m.input("we", 1);
    let waddr = m.input("waddr", 9);
    let wdata = m.input("wdata", 64);
    let raddr = m.input("raddr", 9);
    let q = m.output("rdata", 64);
    let mem = m.memory("store", 64, 512, RamStyle::Block);
    m.mem_write(mem, &we, &waddr, &wdata);
    let rd = m.mem_read_sync(mem, "store_rdata", lit(1, 1), &raddr);
    m.set(&q, &rd);
    let stats = synth_cells(&m.finish().unwrap());
    assert!(
        count(&stats, "RAMB36E2") + count(&stats, "RAMB18E2") >= 1,
        "{stats}"
    );
}

fn port_names(m: &Module, dir: PortDir) -> Vec<&str> {
    m.ports()
        .iter()
        .filter(|p| p.dir == dir)
        .map(|p| p.name.as_str())
        .collect()
}

#[test]
fn axi4_lite_slave_ports_follow_amba_names() {
    let mut m = ModuleBuilder::new("axil_names");
    let cfg = AxilCfg {
        addr_width: 16,
        data_width: 32,
        user_width: 0,
    };
    let s = Axil::new(&mut m, "s_axil", Side::Sink, cfg);
    // Tie the slave off so the module is complete: always ready, OKAY, reads return zero.
    for r in [&s.awready, &s.wready, &s.arready] {
        m.set(r, 1);
    }
    m.set(&s.bresp, 0);
    m.set(&s.rresp, 0);
    m.set(&s.rdata, 0);
    let any = m.node("any_valid", &s.awvalid | &s.wvalid | &s.arvalid);
    m.set(&s.bvalid, &any);
    m.set(&s.rvalid, &any);
    for x in [
        &s.awaddr, &s.awprot, &s.wdata, &s.wstrb, &s.bready, &s.araddr, &s.arprot, &s.rready,
    ] {
        m.unused(x);
    }
    let m = m.finish().unwrap();
    assert_eq!(
        port_names(&m, PortDir::In),
        [
            "s_axil_awaddr",
            "s_axil_awprot",
            "s_axil_awvalid",
            "s_axil_wdata",
            "s_axil_wstrb",
            "s_axil_wvalid",
            "s_axil_bready",
            "s_axil_araddr",
            "s_axil_arprot",
            "s_axil_arvalid",
            "s_axil_rready"
        ]
    );
    assert_eq!(
        port_names(&m, PortDir::Out),
        [
            "s_axil_awready",
            "s_axil_wready",
            "s_axil_bresp",
            "s_axil_bvalid",
            "s_axil_arready",
            "s_axil_rdata",
            "s_axil_rresp",
            "s_axil_rvalid"
        ]
    );
}

#[test]
fn axi4_master_ports_follow_amba_names() {
    let mut m = ModuleBuilder::new("axi_names");
    let cfg = AxiCfg {
        addr_width: 48,
        data_width: 512,
        id_width: 4,
    };
    let a = Axi::new(&mut m, "m_axi", Side::Source, cfg);
    assert_eq!(a.w.strb.width(), 64);
    assert_eq!(a.ar.len.width(), 8);
    // An idle master: every request output 0, every response input ignored.
    for ch in [&a.aw, &a.ar] {
        for o in [
            &ch.id, &ch.addr, &ch.len, &ch.size, &ch.burst, &ch.cache, &ch.prot, &ch.valid,
        ] {
            m.set(o, 0);
        }
        m.unused(&ch.ready);
    }
    for o in [
        &a.w.data, &a.w.strb, &a.w.last, &a.w.valid, &a.b.ready, &a.r.ready,
    ] {
        m.set(o, 0);
    }
    for i in [
        &a.w.ready, &a.b.id, &a.b.resp, &a.b.valid, &a.r.id, &a.r.data, &a.r.resp, &a.r.last,
        &a.r.valid,
    ] {
        m.unused(i);
    }
    let m = m.finish().unwrap();
    let names = |ch: &str, dir| -> Vec<String> {
        port_names(&m, dir)
            .into_iter()
            .filter(|n| n.starts_with(&format!("m_axi_{ch}")))
            .map(String::from)
            .collect()
    };
    assert_eq!(
        names("aw", PortDir::Out),
        [
            "m_axi_awid",
            "m_axi_awaddr",
            "m_axi_awlen",
            "m_axi_awsize",
            "m_axi_awburst",
            "m_axi_awcache",
            "m_axi_awprot",
            "m_axi_awvalid"
        ]
    );
    assert_eq!(names("aw", PortDir::In), ["m_axi_awready"]);
    assert_eq!(
        names("w", PortDir::Out),
        ["m_axi_wdata", "m_axi_wstrb", "m_axi_wlast", "m_axi_wvalid"]
    );
    assert_eq!(
        names("b", PortDir::In),
        ["m_axi_bid", "m_axi_bresp", "m_axi_bvalid"]
    );
    assert_eq!(
        names("r", PortDir::In),
        [
            "m_axi_rid",
            "m_axi_rdata",
            "m_axi_rresp",
            "m_axi_rlast",
            "m_axi_rvalid"
        ]
    );
    assert_eq!(names("r", PortDir::Out), ["m_axi_rready"]);
    // And the whole interface passes Verilator -Wall.
    let d = emit_design(&m).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join(&d.files[0].name);
    std::fs::write(&f, &d.files[0].text).unwrap();
    let out = Command::new("verilator")
        .args(["--lint-only", "-Wall"])
        .arg(&f)
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

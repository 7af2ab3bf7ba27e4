//! The static checks: each design error is reported with the module and signal it concerns.

use hdl::{emit_design, lit, ModuleBuilder, RamStyle};

fn errors(m: ModuleBuilder) -> String {
    m.finish()
        .expect_err("design should be rejected")
        .to_string()
}

#[test]
fn width_mismatch_names_module_and_signal() {
    let mut m = ModuleBuilder::new("adder");
    let a = m.input("a", 8);
    let b = m.input("b", 9);
    let y = m.output("y", 8);
    m.set(&y, &a + &b);
    let e = errors(m);
    assert!(e.contains("module `adder`, signal `y`"), "{e}");
    assert!(e.contains("left is 8 bits, right is 9 bits"), "{e}");
}

#[test]
fn assignment_width_must_match_target() {
    let mut m = ModuleBuilder::new("trunc");
    let a = m.input("a", 8);
    let y = m.output("y", 4);
    m.set(&y, &a);
    assert!(errors(m).contains("signal `y`: assigned value is 8 bits, expected 4"));
}

#[test]
fn undriven_output_and_unassigned_register() {
    let mut m = ModuleBuilder::new("lazy");
    let _y = m.output("y", 1);
    let r = m.reg("r", 1);
    let z = m.output("z", 1);
    m.set(&z, &r);
    let e = errors(m);
    assert!(e.contains("signal `y`: undriven"), "{e}");
    assert!(e.contains("signal `r`: register is never assigned"), "{e}");
}

#[test]
fn second_unconditional_assignment_is_multiply_driven() {
    let mut m = ModuleBuilder::new("twice");
    let a = m.input("a", 1);
    let y = m.output("y", 1);
    m.set(&y, &a);
    m.set(&y, !&a);
    assert!(errors(m).contains("signal `y`: multiply driven"));
}

#[test]
fn conditional_override_is_priority_not_multiple_drivers() {
    let mut m = ModuleBuilder::new("prio");
    let a = m.input("a", 1);
    let y = m.output("y", 1);
    m.set(&y, 0);
    m.when(&a, |m| m.set(&y, 1));
    let text = emit_design(&m.finish().unwrap()).unwrap().files[0]
        .text
        .clone();
    assert!(text.contains("assign y = a ? 1'b1 : 1'b0;"), "{text}");
}

#[test]
fn wire_without_default_would_be_a_latch() {
    let mut m = ModuleBuilder::new("latchy");
    let a = m.input("a", 1);
    let y = m.output("y", 1);
    m.when(&a, |m| m.set(&y, 1));
    assert!(errors(m).contains("signal `y`: not assigned on every path"));
}

#[test]
fn combinational_loop_is_reported_with_its_path() {
    let mut m = ModuleBuilder::new("ring");
    let a = m.input("a", 1);
    let x = m.wire("x", 1);
    let y = m.wire("y", 1);
    let o = m.output("o", 1);
    m.set(&x, &y ^ &a);
    m.set(&y, !&x);
    m.set(&o, &y);
    let e = errors(m);
    assert!(e.contains("combinational loop"), "{e}");
    assert!(
        e.contains("x -> y -> x") || e.contains("y -> x -> y"),
        "{e}"
    );
}

#[test]
fn loop_through_a_child_instance_is_found() {
    let mut c = ModuleBuilder::new("pass");
    let i = c.input("i", 1);
    let o = c.output("o", 1);
    c.set(&o, &i);
    let child = c.finish().unwrap();
    let mut m = ModuleBuilder::new("outer");
    let y = m.output("y", 1);
    let u = m.instance("u_pass", &child);
    let out = m.inst_output(u, "o");
    m.connect(u, "i", &out);
    m.set(&y, &out);
    assert!(errors(m).contains("combinational loop"));
}

#[test]
fn register_breaks_a_loop() {
    let mut m = ModuleBuilder::new("counter");
    let r = m.reg_reset("count", 4, 0);
    let y = m.output("y", 4);
    m.set(&r, &r + 1);
    m.set(&y, &r);
    m.finish().unwrap();
}

#[test]
fn unused_input_and_unread_bits() {
    let mut m = ModuleBuilder::new("deaf");
    let _a = m.input("a", 1);
    let b = m.input("b", 8);
    let y = m.output("y", 4);
    m.set(&y, b.slice(2, 4));
    let e = errors(m);
    assert!(e.contains("signal `a`: input is never read"), "{e}");
    assert!(
        e.contains("signal `b`: input bits [7:6], [1:0] are never read"),
        "{e}"
    );
}

#[test]
fn declared_unused_bits_are_accepted_and_pragma_is_narrow() {
    let mut m = ModuleBuilder::new("partial");
    let b = m.input("b", 8);
    m.unused(&b);
    let y = m.output("y", 4);
    m.set(&y, b.slice(2, 4));
    let text = emit_design(&m.finish().unwrap()).unwrap().files[0]
        .text
        .clone();
    assert!(text.contains(
        "/* verilator lint_off UNUSEDSIGNAL */\n    input  wire [7:0] b,\n    /* verilator lint_on UNUSEDSIGNAL */"
    ), "{text}");
}

#[test]
fn unconnected_instance_input() {
    let mut c = ModuleBuilder::new("inv");
    let i = c.input("i", 1);
    let o = c.output("o", 1);
    c.set(&o, !&i);
    let child = c.finish().unwrap();
    let mut m = ModuleBuilder::new("top");
    let y = m.output("y", 1);
    let u = m.instance("u_inv", &child);
    let o = m.inst_output(u, "o");
    m.set(&y, &o);
    assert!(errors(m).contains("signal `u_inv.i`: input of `inv` is not connected"));
}

#[test]
fn names_must_be_plain_identifiers() {
    let mut m = ModuleBuilder::new("names");
    let a = m.input("wire", 1);
    let y = m.output("bad$name", 1);
    m.set(&y, &a);
    let e = errors(m);
    assert!(e.contains("signal `wire`: is a reserved word"), "{e}");
    assert!(e.contains("signal `bad$name`"), "{e}");
}

#[test]
fn signals_of_another_module_are_rejected() {
    let mut other = ModuleBuilder::new("other");
    let foreign = other.input("f", 1);
    let mut m = ModuleBuilder::new("mine");
    let y = m.output("y", 1);
    m.set(&y, &foreign);
    assert!(errors(m).contains("uses `f`, a signal of another module"));
}

#[test]
fn same_name_different_body_is_an_emit_error() {
    let make = |invert: bool| {
        let mut c = ModuleBuilder::new("leaf");
        let i = c.input("i", 1);
        let o = c.output("o", 1);
        c.set(&o, if invert { !&i } else { i.clone().into() });
        c.finish().unwrap()
    };
    let mut m = ModuleBuilder::new("pair");
    let a = m.input("a", 1);
    let y = m.output("y", 2);
    let u0 = m.instance("u0", &make(false));
    let u1 = m.instance("u1", &make(true));
    m.connect(u0, "i", &a);
    m.connect(u1, "i", &a);
    let (o0, o1) = (m.inst_output(u0, "o"), m.inst_output(u1, "o"));
    m.set(&y, hdl::cat([o0, o1]));
    let e = emit_design(&m.finish().unwrap()).unwrap_err().to_string();
    assert!(
        e.contains("module `leaf`: two different modules share this name"),
        "{e}"
    );
}

#[test]
fn one_definition_per_parameter_set() {
    let mut c = ModuleBuilder::new("leaf_same");
    let i = c.input("i", 1);
    let o = c.output("o", 1);
    c.set(&o, !&i);
    let child = c.finish().unwrap();
    let mut m = ModuleBuilder::new("twins");
    let a = m.input("a", 1);
    let y = m.output("y", 1);
    let u0 = m.instance("u0", &child);
    let u1 = m.instance("u1", &child);
    m.connect(u0, "i", &a);
    let o0 = m.inst_output(u0, "o");
    m.connect(u1, "i", &o0);
    let o1 = m.inst_output(u1, "o");
    m.set(&y, &o1);
    let d = emit_design(&m.finish().unwrap()).unwrap();
    let names: Vec<_> = d.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["leaf_same.v", "twins.v"]);
    assert_eq!(d.filelist(), "leaf_same.v\ntwins.v\n");
}

#[test]
fn memory_address_width_is_checked() {
    let mut m = ModuleBuilder::new("ram");
    let addr = m.input("addr", 5);
    let data = m.input("data", 8);
    let we = m.input("we", 1);
    let q = m.output("q", 8);
    let mem = m.memory("store", 8, 64, RamStyle::Block);
    m.mem_write(mem, &we, &addr, &data);
    let rd = m.mem_read_sync(mem, "store_rdata", lit(1, 1), &addr);
    m.set(&q, &rd);
    assert!(errors(m).contains("signal `store`: address is 5 bits; depth 64 needs 6"));
}

/// A module with one reset register between `d` and `q`, to instantiate in a domain.
fn one_register(name: &str) -> std::rc::Rc<hdl::ir::Module> {
    let mut m = ModuleBuilder::new(name);
    let d = m.input("d", 1);
    let q = m.output("q", 1);
    let r = m.reg_reset("r", 1, 0);
    m.set(&r, &d);
    m.set(&q, &r);
    m.finish().unwrap()
}

#[test]
fn clock_domains_clock_their_registers_memory_ports_and_instances() {
    let child = one_register("child");

    let mut m = ModuleBuilder::new("two_clocks");
    let a = m.domain("a_clk", Some("a_rst"));
    let b = m.domain("b_clk", None);
    let x = m.input("x", 4);
    let y = m.output("y", 4);
    let z = m.output("z", 1);
    let ra = m.in_domain(&a, |m| {
        let ra = m.reg_reset("ra", 4, 0);
        m.set(&ra, &x);
        ra
    });
    let rb = m.in_domain(&b, |m| {
        let rb = m.reg("rb", 4);
        m.mark_async_reg(&rb);
        m.set(&rb, &ra);
        rb
    });
    let mem = m.in_domain(&a, |m| {
        let mem = m.memory("mem", 4, 4, RamStyle::Distributed);
        m.mem_write(mem, lit(1, 1), &x.trunc(2), &x);
        mem
    });
    let rd = m.in_domain(&b, |m| m.mem_read_sync(mem, "rd", lit(1, 1), &rb.trunc(2)));
    m.set(&y, &rb ^ &rd);
    let inst = m.in_domain(&a, |m| m.instance("c", &child));
    m.connect(inst, "d", rb.bit(0));
    let cq = m.inst_output(inst, "q");
    m.set(&z, &cq);
    let text = emit_design(&m.finish().unwrap()).unwrap().files[1]
        .text
        .clone();
    for want in [
        "always @(posedge a_clk) begin\n        if (a_rst) begin\n            ra <= 4'd0;",
        "    (* ASYNC_REG = \"TRUE\" *)\n    reg  [3:0] rb;",
        "always @(posedge b_clk) begin\n        rb <= ra;",
        "always @(posedge a_clk) begin\n        if (1'b1) begin\n            mem[x[1:0]] <= x;",
        "always @(posedge b_clk) begin\n        if (1'b1) begin\n            rd <= mem[rb[1:0]];",
        ".clk (a_clk),",
        ".rst (a_rst),",
    ] {
        assert!(text.contains(want), "{want:?} not in\n{text}");
    }
    assert!(
        !text.contains("input  wire       clk"),
        "no module clock: {text}"
    );
}

#[test]
fn clock_domain_misuse_is_reported() {
    let mut m = ModuleBuilder::new("misuse");
    let b = m.domain("b_clk", None);
    let unused = m.domain("u_clk", Some("u_rst"));
    let x = m.input("x", 1);
    let y = m.output("y", 1);
    let r = m.in_domain(&b, |m| m.reg_reset("r", 1, 0));
    m.set(&r, &x);
    m.set(&y, &r);
    m.mark_async_reg(&x);
    let _ = unused;
    let e = errors(m);
    assert!(
        e.contains("signal `r`: has a reset, but its clock domain has none"),
        "{e}"
    );
    assert!(
        e.contains("signal `x`: only a register can be a synchronizer flop"),
        "{e}"
    );
    assert!(e.contains("signal `u_clk`: input is never read"), "{e}");
    assert!(e.contains("signal `u_rst`: input is never read"), "{e}");
}

#[test]
fn async_reset_domain_emits_both_edges() {
    let mut m = ModuleBuilder::new("arst");
    let d = m.domain_async_reset("clk", "arst_in");
    let y = m.output("y", 1);
    let r = m.in_domain(&d, |m| m.reg_reset("r", 1, 1));
    m.set(&r, lit(0, 1));
    m.set(&y, &r);
    let text = emit_design(&m.finish().unwrap()).unwrap().files[0]
        .text
        .clone();
    assert!(
        text.contains("always @(posedge clk or posedge arst_in) begin\n        if (arst_in) begin"),
        "{text}"
    );
}

#[test]
fn synchronizer_flops_sample_flops_of_another_domain() {
    let mut m = ModuleBuilder::new("bad_sync");
    let a = m.domain("a_clk", None);
    let b = m.domain("b_clk", None);
    let x = m.input("x", 2);
    let y = m.output("y", 3);
    let (ra, own) = m.in_domain(&a, |m| {
        let ra = m.reg("ra", 2);
        m.set(&ra, &x);
        let own = m.reg("own", 1);
        m.mark_async_reg(&own);
        m.set(&own, ra.bit(0));
        (ra, own)
    });
    let glitchy = m.in_domain(&b, |m| {
        let g = m.reg("glitchy", 1);
        m.mark_async_reg(&g);
        m.set(&g, ra.bit(0) ^ ra.bit(1));
        g
    });
    m.set(&y, hdl::cat([&own, &glitchy, &own]));
    let e = errors(m);
    assert!(
        e.contains("signal `own`: samples a register of its own clock domain"),
        "{e}"
    );
    assert!(
        e.contains("signal `glitchy`: a synchronizer flop samples logic, not a flop"),
        "{e}"
    );
}

#[test]
fn a_domain_reset_by_a_synchronizer_resets_its_registers_and_instances() {
    let child = one_register("child_r");

    let mut m = ModuleBuilder::new("synced_reset");
    let clk = m.domain("a_clk", None);
    let rst_in = m.input("rst_in", 1);
    let y = m.output("y", 1);
    let rst = m.wire("a_rst", 1);
    m.set(&rst, &rst_in);
    let a = m.domain_reset_by(&clk, &rst);
    let ra = m.in_domain(&a, |m| m.reg_reset("ra", 1, 1));
    let inst = m.in_domain(&a, |m| m.instance("c", &child));
    m.connect(inst, "d", &ra);
    let cq = m.inst_output(inst, "q");
    m.set(&ra, &cq);
    m.set(&y, &ra);
    let text = emit_design(&m.finish().unwrap()).unwrap().files[1]
        .text
        .clone();
    for want in [
        "always @(posedge a_clk) begin\n        if (a_rst) begin\n            ra <= 1'b1;",
        ".clk (a_clk),",
        ".rst (a_rst),",
    ] {
        assert!(text.contains(want), "{want:?} not in\n{text}");
    }
    let mut m = ModuleBuilder::new("wide_reset");
    let clk = m.domain("a_clk", None);
    let wide = m.input("wide", 2);
    let _ = m.domain_reset_by(&clk, &wide);
    let e = errors(m);
    assert!(
        e.contains("signal `wide`: a reset must be 1 bit wide"),
        "{e}"
    );
}

//! Chains on one selector are emitted as `case` (hdl/src/ir/case.rs), and Yosys proves the
//! result equal to the same logic written by hand as `?:` chains: random tables (repeated
//! constants, every value of a narrow selector, sparse values of a wide one), as a `?:`
//! chain, as a `switch` on a wire, and as a `switch` on a register with held items.

use hdl::{emit_design, Expr, Module, ModuleBuilder, Sig};
use std::fmt::Write;
use std::process::Command;
use std::rc::Rc;

/// A table: the selector's width, the constants in priority order (repeats allowed), and
/// for the register which items assign (the others hold) and whether the default does.
struct Table {
    width: u32,
    keys: Vec<u64>,
    assigns: Vec<bool>,
    default_assigns: bool,
}

/// xorshift64: the tables are random but the same on every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn tables() -> Vec<Table> {
    let mut rng = Rng(0x5eed_cafe_f00d);
    let mut out = Vec::new();
    for (width, n) in [(2, 4), (2, 6), (3, 5), (16, 5), (1, 2)] {
        for _ in 0..3 {
            // At least two distinct constants, or there is no table.
            let keys: Vec<u64> = loop {
                let k: Vec<u64> = (0..n).map(|_| rng.next() % (1 << width).min(6)).collect();
                if k.iter().any(|x| *x != k[0]) {
                    break k;
                }
            };
            let assigns = (0..n).map(|_| rng.next() % 3 >= 1).collect();
            let default_assigns = rng.next() & 1 == 0;
            out.push(Table {
                width,
                keys,
                assigns,
                default_assigns,
            });
        }
    }
    out
}

/// The table as hardware described in Rust: `y_mux` a `?:` chain, `y_switch` a switch
/// after a default, `r` a register switched on the same selector, and `y_mixed`, a chain
/// over two selectors that must stay a `?:`.
fn described(name: &str, t: &Table) -> Rc<Module> {
    let mut m = ModuleBuilder::new(name);
    let sel = m.input("sel", t.width);
    let other = m.input("other", t.width);
    let vs: Vec<Sig> = (0..t.keys.len())
        .map(|i| m.input(&format!("v{i}"), 8))
        .collect();
    let dflt = m.input("dflt", 8);
    let items = || t.keys.iter().zip(&vs).rev();
    let y_mux = m.output("y_mux", 8);
    let chain = items().fold(Expr::from(&dflt), |acc, (k, v)| sel.eq(*k).mux(v, acc));
    m.set(&y_mux, chain);
    let y_switch = m.output("y_switch", 8);
    m.set(&y_switch, &dflt);
    m.switch(&sel, |s| {
        for (k, v) in t.keys.iter().zip(&vs) {
            s.case(*k, |m| m.set(&y_switch, v));
        }
    });
    let r = m.reg_reset("r", 8, 0);
    m.switch(&sel, |s| {
        for ((k, v), a) in t.keys.iter().zip(&vs).zip(&t.assigns) {
            s.case(*k, |m| {
                if *a {
                    m.set(&r, v)
                }
            });
        }
        if t.default_assigns {
            s.default(|m| m.set(&r, &dflt));
        }
    });
    let y_reg = m.output("y_reg", 8);
    m.set(&y_reg, &r);
    let y_mixed = m.output("y_mixed", 8);
    let mixed = sel
        .eq(t.keys[0])
        .mux(&vs[0], other.eq(t.keys[1]).mux(&vs[1], &dflt));
    m.set(&y_mixed, mixed);
    m.finish().unwrap()
}

/// The same table written by hand with `?:` only; `flip` swaps the first two values, a
/// different design the proof must reject.
fn by_hand(name: &str, t: &Table, flip: bool) -> String {
    let w = t.width;
    let n = t.keys.len();
    let v = |i: usize| match (flip, i) {
        (true, 0) => "v1".to_string(),
        (true, 1) => "v0".to_string(),
        _ => format!("v{i}"),
    };
    let chain = |value: &dyn Fn(usize) -> String, last: &str| {
        let mut s = String::new();
        for (i, k) in t.keys.iter().enumerate() {
            let _ = write!(s, "(sel == {w}'d{k}) ? {} : ", value(i));
        }
        s + last
    };
    let mut out = format!(
        "module {name} (input wire clk, input wire rst, input wire [{}:0] sel, other,\n",
        w - 1
    );
    for i in 0..n {
        let _ = writeln!(out, "    input wire [7:0] v{i},");
    }
    out += "    input wire [7:0] dflt,\n    output wire [7:0] y_mux, y_switch, y_reg, y_mixed);\n";
    let _ = writeln!(out, "    assign y_mux = {};", chain(&v, "dflt"));
    let _ = writeln!(out, "    assign y_switch = {};", chain(&v, "dflt"));
    let held = |i: usize| if t.assigns[i] { v(i) } else { "r".into() };
    let last = if t.default_assigns { "dflt" } else { "r" };
    let _ = writeln!(out, "    reg [7:0] r;");
    let _ = writeln!(
        out,
        "    always @(posedge clk) r <= rst ? 8'd0 : {};",
        chain(&held, last)
    );
    let _ = writeln!(out, "    assign y_reg = r;");
    let (k0, k1) = (t.keys[0], t.keys[1]);
    let _ = writeln!(
        out,
        "    assign y_mixed = (sel == {w}'d{k0}) ? {} : (other == {w}'d{k1}) ? {} : dflt;",
        v(0),
        v(1)
    );
    out + "endmodule\n"
}

/// Runs Yosys's equivalence checker (structural matching, then induction over the
/// register) on `gold` against `gate`; true if every output and register is proven equal.
fn yosys_proves_equal(dir: &std::path::Path, gold: &str, gate: &str) -> bool {
    let (gold_v, gate_v) = (dir.join("gold.v"), dir.join("gate.v"));
    std::fs::write(&gold_v, gold).unwrap();
    std::fs::write(&gate_v, gate).unwrap();
    let script = format!(
        "read_verilog {}; read_verilog {}; proc; opt_clean; \
         equiv_make gold gate equiv; hierarchy -top equiv; \
         equiv_simple -seq 2; equiv_induct -seq 2; equiv_status -assert",
        gold_v.display(),
        gate_v.display()
    );
    let out = Command::new("yosys")
        .args(["-q", "-p", &script])
        .output()
        .expect("yosys is installed (scripts/setup.sh)");
    out.status.success()
}

#[test]
fn case_tables_are_proven_equal_to_their_mux_chains() {
    let dir = tempfile::tempdir().unwrap();
    for (i, t) in tables().iter().enumerate() {
        let d = emit_design(&described("gate", t)).unwrap();
        let text = &d.files[0].text;
        // The tables are cases, the two-selector chain is not.
        assert!(
            text.matches("case (sel)").count() >= 2,
            "table {i}:\n{text}"
        );
        assert!(
            text.contains("assign y_mixed = (sel =="),
            "table {i}:\n{text}"
        );
        assert!(!text.contains("case (other)"), "table {i}:\n{text}");
        assert!(
            yosys_proves_equal(dir.path(), &by_hand("gold", t, false), text),
            "table {i} ({:?}): case and ?: differ\n{text}",
            t.keys
        );
        // The proof is not vacuous: a different design (two values swapped) fails it.
        assert!(
            !yosys_proves_equal(dir.path(), &by_hand("gold", t, true), text),
            "table {i}: swapped values proven equal"
        );
    }
}

#[test]
fn case_tables_lint_clean_under_verilator_wall() {
    let dir = tempfile::tempdir().unwrap();
    // A repeated constant's item is dead and dropped; its value, read nowhere else here,
    // would rightly be reported unused. Generators do not repeat constants.
    let distinct = |t: &Table| (1..t.keys.len()).all(|i| !t.keys[..i].contains(&t.keys[i]));
    for t in tables().into_iter().filter(distinct) {
        let d = emit_design(&described("gate", &t)).unwrap();
        let v = dir.path().join("gate.v");
        std::fs::write(&v, &d.files[0].text).unwrap();
        let out = Command::new("verilator")
            .args(["--lint-only", "-Wall"])
            .arg(&v)
            .output()
            .expect("verilator is installed");
        let text = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && text.trim().is_empty(),
            "{text}\n{}",
            d.files[0].text
        );
    }
}

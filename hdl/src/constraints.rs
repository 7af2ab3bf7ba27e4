//! The timing constraint `gen` writes beside each top (`<top>.xdc`): a `create_clock` on
//! the top's clock at the configured period, so that a Vivado user gets a real timing
//! report from an out-of-context run of the emitted Verilog at once
//! (`scripts/vivado-timing.tcl`), and a board design has the core clock's period to start
//! from.

use crate::ir::module::CLK;
use crate::ir::Module;

/// The XDC text for `top` at `period_ps` picoseconds.
pub fn timing_xdc(top: &Module, period_ps: u32) -> String {
    let mut x = format!(
        "# Timing constraints of {name}, written by `cargo run -p gen` ([timing] in the config).\n\
         # Inputs and outputs are left unconstrained: they are timed where the top sits in a\n\
         # board design. Out of context: vivado -mode batch -source scripts/vivado-timing.tcl\n",
        name = top.name()
    );
    if top.port(CLK).is_some() {
        let mhz = 1e6 / f64::from(period_ps);
        x += &format!(
            "\n# {mhz:.2} MHz\ncreate_clock -period {ns}.{frac:03} -name {CLK} [get_ports {CLK}]\n",
            ns = period_ps / 1000,
            frac = period_ps % 1000,
        );
    } else {
        x += "\n# No clock: the top is combinational.\n";
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::ModuleBuilder;

    fn clocked() -> std::rc::Rc<Module> {
        let mut m = ModuleBuilder::new("delay");
        let d = m.input("d", 4);
        let q = m.reg("q", 4);
        m.set(&q, &d);
        let out = m.output("q_out", 4);
        m.set(&out, &q);
        m.finish().unwrap()
    }

    #[test]
    fn clock_period_is_written_in_nanoseconds_exactly() {
        let x = timing_xdc(&clocked(), 3103);
        assert!(
            x.contains("create_clock -period 3.103 -name clk [get_ports clk]\n"),
            "{x}"
        );
        assert!(x.contains("# 322.27 MHz"), "{x}");
        assert!(timing_xdc(&clocked(), 4000).contains("-period 4.000 "));
        assert!(timing_xdc(&clocked(), 10050).contains("-period 10.050 "));
    }
}

//! Several unrelated clocks driving one model.
//!
//! `tick()` drives the one clock a model's spec names (`ModelSpec::clock`). A model that
//! crosses clock domains (an asynchronous FIFO's `wr_clk` and `rd_clk`) has no such clock:
//! its clocks are ordinary inputs, and [`Clocks`] schedules them. Each clock has a period
//! in picoseconds (3103 ps for 322.265625 MHz, 4000 ps for 250 MHz; [`period_ps`]) and
//! the time of its first rising edge; [`Clocks::advance`] moves simulation time to the
//! next rising edge of whichever clocks are due then (several, when edges coincide) and
//! says which. A step, for a testbench, is:
//!
//! ```ignore
//! let mut clocks = Clocks::new(&[period_ps(322.265625), period_ps(250.0)]);
//! loop {
//!     let due = clocks.advance();          // next edge time T, and which clocks rise at T
//!     clocks.settle(&dut)?;                // evaluate with every clock low (inputs as set)
//!     // for each due clock: note the handshakes its edge completes (outputs are settled)
//!     clocks.edge(&dut, &[&dut.wr_clk, &dut.rd_clk])?;  // raise the due clocks, evaluate, lower
//!     // for each due clock: set its domain's inputs for its next edge
//! }
//! ```
//!
//! Inputs of a domain change only right after that domain's edge, as in hardware. The
//! model sees time `2 T` for the settled phase before the edges at `T` ps and `2 T + 1`
//! right after them (in the waveform too). Only edges are scheduled: both phases of a
//! clock are evaluated at its rising edge, since the designs use no falling edges.
//! Evaluate such a model only through `settle` and `edge` (its own `eval()` keeps a time
//! base of its own). Single-clock models keep `tick()`, whose path this does not touch.

use crate::{Model, PortWrite, SimError};

/// The period in picoseconds, rounded to the nearest, of a clock of `mhz` MHz.
pub fn period_ps(mhz: f64) -> u64 {
    (1e6 / mhz).round() as u64
}

/// Which clocks rise at the current edge time: bit `i` for clock `i`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Due(u64);

impl Due {
    /// Clock `i` rises now.
    pub fn has(self, i: usize) -> bool {
        self.0 >> i & 1 == 1
    }
}

/// The schedule of up to 64 free-running clocks (see the module docs).
#[derive(Clone, Debug)]
pub struct Clocks {
    period: Vec<u64>,
    next: Vec<u64>,
    edges: Vec<u64>,
    now: u64,
    due: Due,
}

impl Clocks {
    /// Clocks of the given periods (ps), each rising first one period after time 0.
    pub fn new(periods_ps: &[u64]) -> Self {
        Self::with_first_edges(periods_ps, periods_ps)
    }

    /// Clocks of the given periods (ps) whose first rising edges are at `first_ps`
    /// (a phase offset between clocks of equal or related frequency).
    pub fn with_first_edges(periods_ps: &[u64], first_ps: &[u64]) -> Self {
        assert!(periods_ps.len() <= 64, "at most 64 clocks");
        assert_eq!(periods_ps.len(), first_ps.len(), "a first edge per clock");
        assert!(
            periods_ps.iter().all(|&p| p > 0),
            "periods must be positive"
        );
        Clocks {
            period: periods_ps.to_vec(),
            next: first_ps.to_vec(),
            edges: vec![0; periods_ps.len()],
            now: 0,
            due: Due(0),
        }
    }

    /// Moves time to the next rising edge of any clock and returns the clocks rising then.
    pub fn advance(&mut self) -> Due {
        let now = *self.next.iter().min().expect("at least one clock");
        let mut due = 0;
        for (i, next) in self.next.iter_mut().enumerate() {
            if *next == now {
                due |= 1 << i;
                *next += self.period[i];
                self.edges[i] += 1;
            }
        }
        self.now = now;
        self.due = Due(due);
        self.due
    }

    /// The period of clock `i` in ps.
    pub fn period(&self, i: usize) -> u64 {
        self.period[i]
    }

    /// The time of the current edges in ps.
    pub fn now_ps(&self) -> u64 {
        self.now
    }

    /// The clocks rising at the current edge time.
    pub fn due(&self) -> Due {
        self.due
    }

    /// Rising edges of clock `i` so far (including the current one once advanced to).
    pub fn edges(&self, i: usize) -> u64 {
        self.edges[i]
    }

    /// Evaluates `dut` with every clock low and the inputs as they are, just before the
    /// current edges (may be called again after changing inputs).
    pub fn settle(&self, dut: &impl Model) -> Result<(), SimError> {
        dut.core().eval_at(2 * self.now)
    }

    /// The current edges: raises the due clocks among `ports` (clock `i` is `ports[i]`),
    /// evaluates, and lowers them again (evaluated by the next [`settle`](Self::settle)).
    /// After it the outputs show the state right after the edges.
    pub fn edge(&self, dut: &impl Model, ports: &[&dyn PortWrite]) -> Result<(), SimError> {
        assert_eq!(ports.len(), self.period.len(), "a port per clock");
        let rising = || ports.iter().enumerate().filter(|(i, _)| self.due.has(*i));
        for (_, p) in rising() {
            p.set_bit(0, true);
        }
        let result = dut.core().eval_at(2 * self.now + 1);
        for (_, p) in rising() {
            p.set_bit(0, false);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_come_in_time_order_and_coincide_when_due_together() {
        let mut c = Clocks::new(&[3, 2]);
        let got: Vec<(u64, bool, bool)> = (0..5)
            .map(|_| {
                let d = c.advance();
                (c.now_ps(), d.has(0), d.has(1))
            })
            .collect();
        assert_eq!(
            got,
            [
                (2, false, true),
                (3, true, false),
                (4, false, true),
                (6, true, true),
                (8, false, true)
            ]
        );
        assert_eq!((c.edges(0), c.edges(1)), (2, 4));
        assert_eq!(period_ps(322.265625), 3103);
        assert_eq!(period_ps(250.0), 4000);
    }
}

//! `hdl::blocks::rr_arbiter` against a cycle-exact Rust model (its documented rule), with
//! random requests and acks, plus fairness and starvation-freedom checks, for N = 1, 4, 5.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use testbench::models::views::RrArbiter;
use testbench::models::{RrArbiterN1, RrArbiterN4, RrArbiterN5};
use testbench::seed;

/// The arbiter's N: a `req` bit per requester.
fn n(p: &RrArbiter) -> usize {
    p.req.width() as usize
}

/// The documented rule: at each edge the grant is released if `ack`, or the holder's `req`
/// is low, or nothing is held; then it goes to the first requester after the last winner.
struct RefModel {
    n: usize,
    grant: Option<usize>,
    last: usize,
}

impl RefModel {
    fn new(n: usize) -> Self {
        // After reset requester 0 comes first.
        RefModel {
            n,
            grant: None,
            last: n - 1,
        }
    }

    /// One rising edge; returns the requester newly granted at it, if any.
    fn edge(&mut self, req: u64, ack: bool) -> Option<usize> {
        let held = self.grant.is_some_and(|g| req >> g & 1 == 1);
        if held && !ack {
            return None;
        }
        self.grant = (1..=self.n)
            .map(|k| (self.last + k) % self.n)
            .find(|&i| req >> i & 1 == 1);
        if let Some(g) = self.grant {
            self.last = g;
        }
        self.grant
    }
}

struct Bench<'a> {
    p: RrArbiter<'a>,
    model: RefModel,
    cycle: u64,
    /// The requester newly granted at the latest edge.
    new_grant: Option<usize>,
}

impl<'a> Bench<'a> {
    fn new(p: RrArbiter<'a>) -> Self {
        p.rst.set_bit(0, true);
        p.req.set_bits(0, n(&p) as u32, 0);
        p.ack.set_bit(0, false);
        p.dut.tick().unwrap();
        p.rst.set_bit(0, false);
        let model = RefModel::new(n(&p));
        Bench {
            p,
            model,
            cycle: 0,
            new_grant: None,
        }
    }

    /// The grant in this cycle (checked against the model), then one edge with `req`/`ack`.
    fn step(&mut self, req: u64, ack: bool) -> Option<usize> {
        let p = &self.p;
        p.req.set_bits(0, n(p) as u32, req);
        p.ack.set_bit(0, ack);
        p.dut.eval().unwrap();
        let t = self.cycle;
        let want = self.model.grant;
        assert_eq!(
            p.grant_valid.bit(0),
            want.is_some(),
            "cycle {t}: grant_valid"
        );
        let onehot = want.map_or(0, |g| 1 << g);
        assert_eq!(p.grant.get_bits(0, n(p) as u32), onehot, "cycle {t}: grant");
        if let Some(g) = want {
            let w = p.grant_index.width();
            assert_eq!(
                p.grant_index.get_bits(0, w),
                g as u64,
                "cycle {t}: grant_index"
            );
        }
        self.new_grant = self.model.edge(req, ack);
        p.dut.tick().unwrap();
        self.cycle += 1;
        want
    }
}

/// Requesters that behave like queues: each raises `req` at random and keeps it up until
/// it has been served; the holder acks after a random number of cycles; now and then a
/// requester withdraws (the holder too, without ack), and `ack` comes with no grant held.
/// Every cycle is checked against the model, and a requester must be granted before N-1
/// grants to others have passed since it asked.
fn random_traffic(p: RrArbiter<'_>, name: &str, cycles: u64) {
    let mut rng = seed::rng(name);
    let n = n(&p);
    let mut b = Bench::new(p);
    let mut req = 0u64;
    // Grants to others since each requester asked.
    let mut waited = vec![0usize; n];
    let mut longest = 0;
    let mut hold_left = 0u32;
    let mut grants = vec![0u64; n];
    while b.cycle < cycles {
        let busy = rng.gen_range(0.02..1.0);
        let phase_end = b.cycle + rng.gen_range(10..500);
        while b.cycle < phase_end {
            for (i, w) in waited.iter_mut().enumerate() {
                if req >> i & 1 == 0 && rng.gen_bool(busy) {
                    req |= 1 << i;
                    *w = 0;
                }
            }
            if rng.gen_bool(0.01) {
                req &= !(1 << rng.gen_range(0..n));
            }
            let ack = match b.model.grant {
                Some(_) if hold_left == 0 => true,
                Some(_) => {
                    hold_left -= 1;
                    false
                }
                None => rng.gen_bool(0.1),
            };
            let shown = b.step(req, ack);
            if let Some(w) = b.new_grant {
                grants[w] += 1;
                for (i, wait) in waited.iter_mut().enumerate() {
                    if i != w && req >> i & 1 == 1 {
                        *wait += 1;
                        longest = longest.max(*wait);
                        assert!(
                            *wait < n,
                            "cycle {}: requester {i} passed over {n} times",
                            b.cycle
                        );
                    }
                }
                waited[w] = 0;
                hold_left = rng.gen_range(0..6);
            }
            // Served: the queue is empty now, or it has more to send.
            if let (Some(g), true) = (shown, ack) {
                if rng.gen_bool(0.5) {
                    req &= !(1 << g);
                }
            }
        }
    }
    println!(
        "{name}: {} cycles, grants {grants:?}, longest wait {longest} grants",
        b.cycle
    );
    assert!(grants.iter().all(|&g| g > cycles / (20 * n as u64)));
}

/// All requesting, ack every `hold` cycles: each requester holds the grant for `hold`
/// cycles in turn, 0, 1, ..., N-1, so each gets exactly 1/N of the grants.
fn fairness(p: RrArbiter<'_>) {
    let n = n(&p);
    let all = (1u64 << n) - 1;
    let mut b = Bench::new(p);
    for hold in [1u64, 3] {
        let mut counts = vec![0u64; n];
        let mut order = Vec::new();
        assert_eq!(b.step(all, false), None, "one cycle to the first grant");
        let rounds = 100 * n as u64;
        for k in 0..rounds * hold {
            let g = b.step(all, k % hold == hold - 1).expect("always granted");
            counts[g] += 1;
            if k % hold == 0 {
                order.push(g);
            }
        }
        assert!(
            counts.iter().all(|&c| c == rounds * hold / n as u64),
            "{counts:?}"
        );
        let want: Vec<usize> = (0..rounds as usize).map(|i| (order[0] + i) % n).collect();
        assert_eq!(order, want, "grants rotate");
        b.step(0, true);
        b.step(0, false);
    }
}

/// A requester that asks and waits is granted before N-1 grants to others have passed,
/// however the others ask and however late holders ack.
fn starvation_freedom(p: RrArbiter<'_>) {
    let n = n(&p);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut b = Bench::new(p);
    for round in 0..20 * n {
        let victim = round % n;
        let mut others_req = rng.gen_range(0..1u64 << n) & !(1 << victim);
        // The others compete for a while, then the victim asks.
        for _ in 0..rng.gen_range(1..20) {
            let ack = rng.gen_bool(0.3);
            b.step(others_req, ack);
            if ack {
                others_req = rng.gen_range(0..1u64 << n) & !(1 << victim);
            }
        }
        let mut passed_over = 0;
        loop {
            let ack = rng.gen_bool(0.3);
            if b.step(others_req | 1 << victim, ack) == Some(victim) {
                break;
            }
            if b.new_grant.is_some_and(|g| g != victim) {
                passed_over += 1;
                assert!(
                    passed_over < n,
                    "requester {victim} passed over {passed_over} times"
                );
            }
            if ack {
                others_req = rng.gen_range(0..1u64 << n) & !(1 << victim);
            }
        }
        b.step(0, true);
    }
}

/// A holder that drops `req` without `ack` loses the grant at the next edge; `ack` with no
/// grant held changes nothing.
fn withdraw_and_stray_ack(p: RrArbiter<'_>) {
    let n = n(&p);
    let mut b = Bench::new(p);
    assert_eq!(b.step(0, true), None);
    assert_eq!(b.step(1, true), None, "granted from the next cycle");
    assert_eq!(b.step(1, false), Some(0));
    assert_eq!(b.step(1, false), Some(0), "held while requested");
    assert_eq!(
        b.step(0, false),
        Some(0),
        "still shown in the cycle req drops"
    );
    assert_eq!(b.step(0, false), None, "released at the next edge");
    if n > 1 {
        let top = 1u64 << (n - 1);
        assert_eq!(b.step(top | 1, false), None);
        // Requester 0 won last, so the next one after it wins.
        assert_eq!(b.step(top | 1, false), Some(n - 1));
        assert_eq!(b.step(top | 1, true), Some(n - 1));
        assert_eq!(b.step(top | 1, false), Some(0));
    }
}

macro_rules! variant {
    ($mod:ident, $ty:ident) => {
        mod $mod {
            use super::*;

            #[test]
            fn random() {
                let dut = $ty::new();
                random_traffic(dut.view(), stringify!($mod), 100_000);
            }

            #[test]
            fn fair_under_full_load() {
                let dut = $ty::new();
                fairness(dut.view());
            }

            #[test]
            fn no_starvation() {
                let dut = $ty::new();
                starvation_freedom(dut.view());
            }

            #[test]
            fn withdraw_and_ack_without_grant() {
                let dut = $ty::new();
                withdraw_and_stray_ack(dut.view());
            }
        }
    };
}

variant!(n1, RrArbiterN1);
variant!(n4, RrArbiterN4);
variant!(n5, RrArbiterN5);

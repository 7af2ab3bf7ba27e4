//! `hdl::lauberhorn::scheduler` (3 cores, 5 processes, 16 slots, 6 per queue) against the
//! cycle-accurate `sim_models::lauberhorn::sched_model`, with random scheduling state that the
//! kernel changes now and then, random waiting endpoints and acceptances, and requests for
//! random processes. Besides matching the model in every cycle, the run checks the rules
//! themselves, by the scheduling state and waiting endpoints the scheduler saw (its inputs
//! [`SEEN`] cycles before the offer): a user endpoint only gets requests of the process its
//! core runs in user mode, in arrival order; a kernel endpoint only of processes no core
//! runs in user mode; a full queue refuses; every queued slot is dispatched exactly once.

use hdl::lauberhorn::scheduler::mode;
use rand::Rng;
use sim::prelude::*;
use sim_models::lauberhorn::sched_model::{SchedIn, SchedModel};
use std::collections::{BTreeMap, VecDeque};
use testbench::models::LauberhornSchedulerC3P5S16Q6;
use testbench::seed;

/// Cycles from the inputs an offer is picked by to the offer: registered on entry, picked.
const SEEN: usize = 2;

fn get(p: &dyn PortRead) -> u64 {
    p.get_bits(0, p.width())
}

#[test]
fn matches_the_model_and_follows_the_scheduling_state() {
    let cfg = hdl::library::small_scheduler();
    let d = LauberhornSchedulerC3P5S16Q6::new();
    let mut rng = seed::rng("scheduler");
    let (nc, np) = (cfg.cores as usize, cfg.processes);
    let pw = cfg.process_width();
    let mut model = SchedModel::new(cfg);
    d.rst.set_bit(0, true);
    d.tick().unwrap();
    d.rst.set_bit(0, false);

    let mut free: VecDeque<u32> = (0..cfg.slots).collect();
    let mut busy: Vec<(u64, u32)> = Vec::new(); // dispatched slots, freed at a cycle
    let mut order: BTreeMap<u32, VecDeque<u32>> = BTreeMap::new(); // process -> slots queued
    let mut modes = vec![mode::OTHER; nc];
    let mut procs = vec![0u32; nc];
    let (mut dispatched, mut refused, mut to_kernel) = (0u64, 0u64, 0u64);
    // The last inputs, the latest last: `seen[0]` are those `SEEN` cycles back.
    let mut seen: VecDeque<SchedIn> = VecDeque::new();
    for cycle in 0..80_000u64 {
        // The kernel changes one core's state now and then.
        if rng.gen_bool(0.01) {
            let c = rng.gen_range(0..nc);
            modes[c] = [mode::OTHER, mode::USER, mode::USER, mode::KERNEL][rng.gen_range(0..4)];
            procs[c] = rng.gen_range(0..np);
        }
        // Bursts of requests, mostly for processes 0 and 1.
        let burst = cycle % 2000 < 600;
        let req = if burst && rng.gen_bool(0.5) && !free.is_empty() {
            let p = if rng.gen_bool(0.6) {
                rng.gen_range(0..2)
            } else {
                rng.gen_range(0..np)
            };
            Some((free[0], p))
        } else {
            None
        };
        let i = SchedIn {
            modes: modes.clone(),
            processes: procs.clone(),
            waiting: rng.gen_range(0..64u64) & rng.gen_range(0..64u64),
            assign_ok: rng.gen_bool(0.8),
            req,
        };
        let mode_bits = modes
            .iter()
            .enumerate()
            .fold(0, |a, (c, m)| a | m << (2 * c));
        let proc_bits = procs
            .iter()
            .enumerate()
            .fold(0, |a, (c, p)| a | u64::from(*p) << (pw as usize * c));
        d.core_mode.set_bits(0, 2 * nc as u32, mode_bits);
        d.core_process.set_bits(0, pw * nc as u32, proc_bits);
        d.waiting.set_bits(0, 2 * nc as u32, i.waiting);
        d.assign.ok.set_bit(0, i.assign_ok);
        d.req.valid.set_bit(0, req.is_some());
        let (rs, rp) = req.unwrap_or((0, 0));
        d.req.slot.set_bits(0, 4, u64::from(rs));
        d.req.process.set_bits(0, pw, u64::from(rp));
        let sp = rng.gen_range(0..np);
        d.stat_process.set_bits(0, pw, u64::from(sp));
        d.eval().unwrap();

        let want = model.outputs(&i);
        let got_assign = d
            .assign
            .valid
            .bit(0)
            .then(|| (get(&d.assign.ep) as u32, get(&d.assign.slot) as u32));
        assert_eq!(
            got_assign, want.assign,
            "cycle {cycle}: the assignment offered"
        );
        if req.is_some() {
            assert_eq!(
                d.req.ready.bit(0),
                want.req_ready,
                "cycle {cycle}: req_ready"
            );
            assert_eq!(
                d.req.queued.bit(0),
                want.req_queued,
                "cycle {cycle}: req_queued"
            );
        }
        assert_eq!(d.backlog.bit(0), want.backlog, "cycle {cycle}: backlog");
        let st = &model.stats[sp as usize];
        assert_eq!(
            get(&d.stat.queued),
            model.queues[sp as usize].len() as u64,
            "cycle {cycle}: queued"
        );
        assert_eq!(
            (
                get(&d.stat.arrived),
                get(&d.stat.dispatched),
                get(&d.stat.refused)
            ),
            (st.arrived, st.dispatched, st.refused)
        );

        // The rules, independently of the model.
        if let (Some((e, slot)), true) = (want.assign, i.assign_ok) {
            let then = &seen[0];
            let (modes, procs) = (&then.modes, &then.processes);
            assert!(then.waiting >> e & 1 == 1, "only waiting endpoints");
            let c = (e / 2) as usize;
            let p = *order
                .iter()
                .find(|(_, q)| q.front() == Some(&slot))
                .expect("the slot heads a queue")
                .0;
            if e % 2 == 0 {
                assert_eq!(
                    (modes[c], procs[c]),
                    (mode::USER, p),
                    "user endpoint of core {c}"
                );
            } else {
                assert_eq!(modes[c], mode::KERNEL);
                assert!(
                    (0..nc).all(|k| modes[k] != mode::USER || procs[k] != p),
                    "kernel gets only orphans"
                );
                to_kernel += 1;
            }
            order.get_mut(&p).unwrap().pop_front();
            busy.push((cycle + rng.gen_range(1..200), slot));
            dispatched += 1;
        }
        if let (Some((slot, p)), true) = (req, want.req_ready) {
            free.pop_front();
            if want.req_queued {
                order.entry(p).or_default().push_back(slot);
            } else {
                assert_eq!(model.queues[p as usize].len(), cfg.queue_limit as usize);
                free.push_back(slot);
                refused += 1;
            }
        }
        model.step(&i);
        seen.push_back(i);
        if seen.len() > SEEN {
            seen.pop_front();
        }
        d.tick().unwrap();
        busy.retain(|&(at, slot)| {
            if at <= cycle {
                free.push_back(slot);
            }
            at > cycle
        });
    }
    println!(
        "scheduler: {dispatched} dispatched ({to_kernel} to kernel endpoints), {refused} refused"
    );
    assert!(dispatched > 2000 && to_kernel > 100 && refused > 100);
}

//! The experiments command's code (`testbench::experiments`) at the small scale, checked
//! against figures known apart from it: the exact-cycle tests' (`tests/accio_os.rs`,
//! `tests/lauberhorn_nic.rs`), the README's register-access and TRYAGAIN timings, and
//! plain bounds (a fraction is at most 1; a longer payload takes longer). Then its tables
//! and plots are written and read back.

use testbench::experiments::accio::{self, Path, PAYLOADS};
use testbench::experiments::lauberhorn::{self, DMA_ARGS, LINE_ARGS};
use testbench::experiments::{write, Scale, Summary};
use testbench::seed;

fn median(xs: &[u64]) -> u64 {
    Summary::of(xs).median
}

#[test]
fn accio_figures_agree_with_the_exact_cycle_tests() {
    let scale = Scale::small();
    let f = accio::run(&scale, seed::seed_logged("experiments_accio"), &mut |w| {
        println!("{w}")
    });

    // The ICT answers a read 3 cycles after its AR handshake (README), the handshake in the
    // cycle the request is offered: 4 cycles, kernel or user, read or write.
    assert!(!f.mmio.is_empty());
    for (what, c) in &f.mmio {
        assert_eq!(*c, 4, "{what}");
    }

    // The NIC takes the MAC's stream at line rate and writes a record per frame as fast;
    // one thread's recvfrom (three MMIO accesses and a turn each) gets a fraction of it.
    let s = f.sink;
    println!("{s:?}");
    assert_eq!(s.mac_rate, 1.0, "no back-pressure on the MAC");
    assert!(s.ring_fraction <= 1.0 && s.ring_fraction > 0.99, "{s:?}");
    assert!(
        s.app_fraction <= s.ring_fraction && s.app_fraction > 0.1,
        "{s:?}"
    );
    assert_eq!(s.drops, 0);

    // Ping-pong: every path's round trip grows from 64 to 1,024 bytes; busy polling beats
    // sleeping (no interrupt, no switch) at every size.
    for p in [Path::Blocking, Path::Polling, Path::Kernel] {
        let (small, large) = (
            median(&f.round_trips(p, 64)),
            median(&f.round_trips(p, 1024)),
        );
        assert!(small < large, "{p:?}: {small} vs {large}");
    }
    let (small, large) = (
        median(&f.smoltcp_round_trips(64)),
        median(&f.smoltcp_round_trips(1024)),
    );
    assert!(small < large, "smoltcp: {small} vs {large}");
    for n in PAYLOADS {
        let (b, p) = (
            median(&f.round_trips(Path::Blocking, n)),
            median(&f.round_trips(Path::Polling, n)),
        );
        assert!(p < b, "{n} bytes: polling {p}, blocking {b}");
        assert_eq!(f.smoltcp_round_trips(n).len(), scale.reps);
    }
    // Every blocking exchange was woken by irq, in order: first beat, irq, thread, datagram.
    for n in PAYLOADS {
        assert_eq!(f.wake_ups(n).len(), scale.reps, "{n} bytes");
    }

    // Connections: up to 64 on the 64 slots, no refill; 256 refill and take longer.
    let by_n = |n: usize| {
        f.connections
            .iter()
            .find(|c| c.connections == n)
            .expect("a measured count")
    };
    for n in [1, 4, 64] {
        assert_eq!(by_n(n).refills, 0, "{n} connections");
        assert_eq!(by_n(n).round_trips.len(), scale.conn_requests);
    }
    assert!(by_n(256).refills > 0);
    assert!(median(&by_n(256).round_trips) > median(&by_n(64).round_trips));
}

/// `tests/accio_os.rs`: a 40-byte datagram's first beat in → `irq` in 27 cycles.
#[test]
fn accio_wake_up_agrees_with_the_os_test() {
    let e = accio::ping_pong(
        Path::Blocking,
        &[40],
        2,
        seed::seed_logged("experiments_wake"),
    );
    for x in &e {
        assert_eq!(x.irq.map(|i| i - x.first_in), Some(27), "{x:?}");
        assert!(x.first_in < x.running && x.running < x.received && x.received < x.last_out);
    }
}

#[test]
fn lauberhorn_figures_agree_with_the_exact_cycle_tests() {
    let scale = Scale::small();
    let f = lauberhorn::run(
        &scale,
        seed::seed_logged("experiments_lauberhorn"),
        &mut |w| println!("{w}"),
    );
    // tests/lauberhorn_nic.rs, exact_cycles_*: (width, args, → line, → reply), both
    // endpoints for the lines, the kernel endpoint's service for the DMA fallback.
    for (w, svc, args, line, reply) in [
        (512, 0, 8, 22, 60),
        (512, 1, 8, 22, 60),
        (64, 0, 8, 30, 67),
        (64, 1, 8, 30, 67),
        (512, 1, 600, 88, 125),
        (64, 1, 600, 233, 269),
    ] {
        let r = f.rpc_of(w, svc, args);
        assert_eq!(r.to_line.len(), scale.reps);
        assert_eq!(r.to_line, vec![line; scale.reps], "{w} bits, {args} bytes");
        assert_eq!(
            r.to_reply,
            vec![reply; scale.reps],
            "{w} bits, {args} bytes"
        );
    }
    // tests/lauberhorn_nic.rs, exact_cycles_of_a_large_result: the TX_TAIL doorbell → the
    // reply's first beat for a 1,000-byte result through the TX ring.
    for (w, bell) in [(512, 63), (64, 175)] {
        let r = f.rpc_of(w, 0, 1000);
        assert_eq!(r.bell_to_reply, vec![bell; scale.reps], "{w} bits");
    }
    // Larger arguments take longer, through the lines and through the ring.
    for w in [512, 64] {
        for svc in [0, 1] {
            let line = |a| median(&f.rpc_of(w, svc, a).to_line);
            assert!(
                line(LINE_ARGS[0]) < line(LINE_ARGS[3]),
                "{w} bits, service {svc}"
            );
        }
        for svc in [1, 0] {
            let reply = |a| median(&f.rpc_of(w, svc, a).to_reply);
            assert!(
                reply(DMA_ARGS[0]) < reply(DMA_ARGS[2]),
                "{w} bits, DMA, service {svc}"
            );
        }
    }
    for (a, np) in &f.normal {
        assert_eq!(np.len(), scale.reps, "{a} bytes on the normal path");
    }
    // A held load is answered TRYAGAIN timeout + 6 + beats − 1 cycles after the NIC took
    // it (README; 2 beats at 512 bits); the core's next load follows a few cycles later.
    for t in &f.tryagain {
        assert!(t.answers.len() > 4, "{t:?}");
        assert!(t.answers.iter().all(|&a| a == t.timeout + 7), "{t:?}");
        assert!(
            t.periods
                .iter()
                .all(|&p| p > t.timeout + 7 && p < t.timeout + 30),
            "{t:?}"
        );
    }
    // Stops: both kinds happened and every load they answered was answered within the
    // bound tests/lauberhorn_nic.rs asserts (6 + beats − 1 idle link cycles).
    let p = &f.preemption;
    assert!(p.preemptions > 0 && p.retirements > 0, "{p:?}");
    assert!(p.answered.iter().any(|a| !a.0) && p.answered.iter().any(|a| a.0));
    assert!(p.answered.iter().all(|a| a.2 <= 7), "{p:?}");
}

#[test]
fn tables_and_plots_are_written() {
    let scale = Scale {
        reps: 1,
        sink_datagrams: 20,
        conn_requests: 2,
        connections: vec![1],
        idle_cycles: 5_000,
    };
    let (a, l) = (
        accio::run(&scale, 1, &mut |_| {}),
        lauberhorn::run(&scale, 1, &mut |_| {}),
    );
    let tables: Vec<_> = a.tables().into_iter().chain(l.tables()).collect();
    let plots: Vec<_> = a.plots().into_iter().chain(l.plots()).collect();
    let dir = std::env::temp_dir().join(format!("nicsim-experiments-{}", std::process::id()));
    let written = write(&dir, &tables, &plots).unwrap();
    assert_eq!(written.len(), 2 * tables.len() + plots.len() + 1);
    for t in &tables {
        let csv = std::fs::read_to_string(dir.join(format!("{}.csv", t.name))).unwrap();
        assert_eq!(csv.lines().count(), t.rows.len() + 1, "{}", t.name);
        let md = std::fs::read_to_string(dir.join(format!("{}.md", t.name))).unwrap();
        assert!(md.contains(&t.title));
    }
    for p in &plots {
        let svg = std::fs::read_to_string(dir.join(format!("{}.svg", p.name))).unwrap();
        // A line per series (the axes' lines are 1 wide).
        let lines = svg.matches("stroke-width=\"2\" points=").count();
        assert!(svg.starts_with("<svg"), "{}", p.name);
        assert_eq!(lines, p.series.len(), "{}", p.name);
    }
    let index = std::fs::read_to_string(dir.join("README.md")).unwrap();
    assert!(index.contains("reversed, TX ring"), "the TX ring's rows");
    std::fs::remove_dir_all(&dir).unwrap();
}

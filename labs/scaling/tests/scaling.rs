//! What the scaling page claims: every run sums exactly its numbers, whatever W and kind;
//! every child is reaped; workers that share cores are preempted; on a machine with two
//! idle cores, two workers finish sooner than one; the records the page draws exist; the CLI
//! behaves. The fit itself is unit-tested beside it (src/law.rs) on exact Amdahl data.
//!
//! Every test that starts a process holds the fork lock, so that no other test's leftover
//! check (the lock's drop) counts it.

#![cfg(target_os = "linux")]

use kit::testing::{
    assert_mentions, fork_lock, json_report, live_children, median, readable_report,
};
use scaling::{Kind, Plan, closed_form, cores, processes, sum_of_squares, threads, worker_counts};

const EXE: &str = env!("CARGO_BIN_EXE_scaling");

/// How many numbers one worker sums in about `seconds` on this machine, in this build (the
/// lab binary the tests run is built with the same profile as the tests: a debug build sums
/// tens of times slower than a release one). Only sizes the work; nothing is asserted on it.
fn numbers_in(seconds: f64) -> u64 {
    let sample = 2_000_000;
    let start = std::time::Instant::now();
    std::hint::black_box(sum_of_squares(0..sample));
    let rate = sample as f64 / start.elapsed().as_secs_f64();
    (rate * seconds) as u64
}

#[test]
fn a_plan_covers_its_numbers_exactly_once_with_the_serial_part_outside() {
    for (work, percent, workers) in [(1000, 10, 3), (1001, 0, 7), (999, 90, 2), (10, 50, 16)] {
        let plan = Plan::new(work, percent);
        assert_eq!(plan.total(), work);
        assert_eq!(plan.serial, work * u64::from(percent) / 100);
        let (before, parts, after) = plan.ranges(workers);
        assert_eq!(before.start, 0);
        assert_eq!(before.end, parts[0].start);
        assert_eq!(parts[workers - 1].end, after.start);
        assert_eq!(after.end, work);
        assert_eq!(
            (before.end - before.start) + (after.end - after.start),
            plan.serial
        );
        for pair in parts.windows(2) {
            assert_eq!(pair[0].end, pair[1].start, "contiguous");
        }
        let lengths: Vec<u64> = parts.iter().map(|r| r.end - r.start).collect();
        let (min, max) = (lengths.iter().min().unwrap(), lengths.iter().max().unwrap());
        assert!(max - min <= 1, "{lengths:?}");
    }
    // Gustafson's plan: the same serial part, W times the parallel one.
    let plan = Plan::new(1000, 10);
    assert_eq!(
        plan.scaled(4),
        Plan {
            serial: 100,
            parallel: 3600
        }
    );
    assert!((plan.serial_fraction() - 0.1).abs() < 1e-12);
}

#[test]
fn threads_and_processes_sum_the_closed_form_for_every_worker_count_and_reap_all() {
    let _lock = fork_lock();
    let plan = Plan::new(1_000_003, 10);
    for workers in [1, 2, 3, 7, 64] {
        for kind in Kind::ALL {
            let run = kind.run(plan, workers).unwrap();
            assert_eq!(run.sum, closed_form(plan.total()), "{kind:?} W = {workers}");
            assert!(live_children().is_empty(), "{kind:?} W = {workers}");
        }
    }
    // The scaled plan, past 2⁶⁴: every part wraps the same way.
    let scaled = Plan::new(10_000_019, 10).scaled(3);
    assert_eq!(threads(scaled, 3).unwrap().sum, closed_form(scaled.total()));
    assert_eq!(
        processes(scaled, 3).unwrap().sum,
        closed_form(scaled.total())
    );
}

#[test]
fn worker_counts_run_from_one_to_the_maximum_through_the_core_count() {
    assert_eq!(worker_counts(4, 2), [1, 2, 3, 4]);
    assert_eq!(worker_counts(2, 1), [1, 2]);
    let big = worker_counts(128, 64);
    assert_eq!(big[..8], [1, 2, 3, 4, 5, 6, 7, 8]);
    assert!(big.contains(&64) && big.ends_with(&[128]), "{big:?}");
    assert!(big.len() <= 25, "{big:?}");
    assert!(big.windows(2).all(|p| p[0] < p[1]), "{big:?}");
    // A core count above --max-workers is not a point.
    assert_eq!(worker_counts(3, 8), [1, 2, 3]);
}

/// Not a timing assertion but an outcome: with four times as many CPU-bound workers as cores,
/// each busy for many scheduler ticks, the kernel must take cores away from workers that
/// could still run, and getrusage(2) counts that (ru_nivcsw) for threads and processes.
#[test]
fn workers_that_share_cores_are_preempted_and_getrusage_counts_it() {
    let _lock = fork_lock();
    let workers = 4 * cores();
    // About 0.1 s of summing per worker: tens of ticks each (CONFIG_HZ is 100 to 1000).
    let plan = Plan::new(numbers_in(0.1) * workers as u64, 0);
    for kind in Kind::ALL {
        let run = kind.run(plan, workers).unwrap();
        assert!(run.switches > 0, "{kind:?}: {run:?}");
    }
}

#[test]
fn json_has_every_record_the_page_draws() {
    let _lock = fork_lock();
    let report = json_report(
        EXE,
        &["--work", "200000", "--max-workers", "3", "--rounds", "2"],
    );
    assert_eq!(report.lab, "scaling");
    assert_eq!(median(&report, "scaling/serial-configured"), 10.0);
    assert_eq!(report.get("scaling/serial-configured").unwrap().unit, "%");
    for kind in ["threads", "processes"] {
        for w in 1..=3 {
            let time = report.get(&format!("scaling/{kind}/time/w{w}")).unwrap();
            assert_eq!((time.unit, time.samples), (kit::Unit::Nanoseconds, 2));
            for id in [
                format!("scaling/{kind}/speedup/w{w}/measured"),
                format!("scaling/{kind}/speedup/w{w}/amdahl"),
                format!("scaling/{kind}/scaled/w{w}/measured"),
                format!("scaling/{kind}/scaled/w{w}/gustafson"),
            ] {
                assert_eq!(report.get(&id).expect(&id).unit, "×", "{id}");
            }
            let switches = report
                .get(&format!("scaling/{kind}/switches/w{w}"))
                .unwrap();
            assert_eq!(switches.unit, "switches");
            assert!(
                report
                    .get(&format!("scaling/{kind}/scaled-time/w{w}"))
                    .is_some()
            );
        }
        // W = 1 is the baseline of both series and of both laws.
        for id in [
            "speedup/w1/measured",
            "speedup/w1/amdahl",
            "scaled/w1/measured",
        ] {
            let id = format!("scaling/{kind}/{id}");
            assert_eq!(report.get(&id).unwrap().median, 1.0, "{id}");
        }
        // Amdahl at W = 3, s = 0.1: 1 / (0.1 + 0.9/3) = 2.5; Gustafson: 0.1 + 0.9·3 = 2.8.
        let amdahl = report.get(&format!("scaling/{kind}/speedup/w3/amdahl"));
        assert!((amdahl.unwrap().median - 2.5).abs() < 1e-9);
        let gustafson = report.get(&format!("scaling/{kind}/scaled/w3/gustafson"));
        assert!((gustafson.unwrap().median - 2.8).abs() < 1e-9);
        // The fit needs a W > 1 with a core of its own.
        let fitted = report.get(&format!("scaling/{kind}/serial-fitted"));
        assert_eq!(fitted.is_some(), cores() >= 2, "{kind}");
        if let Some(fitted) = fitted {
            assert!((0.0..=100.0).contains(&fitted.median));
            assert!(
                report
                    .get(&format!("scaling/{kind}/speedup/w2/fitted"))
                    .is_some()
            );
        }
    }
    assert!(
        report.records.iter().all(|r| r.id.starts_with("scaling/")),
        "every id under the lab's prefix"
    );
}

#[test]
fn the_readable_report_shows_both_tables_and_what_to_observe() {
    let _lock = fork_lock();
    let text = readable_report(
        EXE,
        &["--work", "100000", "--max-workers", "2", "--rounds", "1"],
    );
    assert_mentions(
        &text,
        &[
            "Fixed work (Amdahl)",
            "Scaled work (Gustafson)",
            "closed form",
            "What to observe",
        ],
    );
}

#[test]
fn more_workers_than_the_machine_can_start_is_refused_in_one_line() {
    // Only meaningful where the room is small enough to exceed; 256 is --max-workers' top.
    let Some(left) = kit::machine::processes_left() else {
        eprintln!("skipped: no process limit readable here");
        return;
    };
    if left >= 256 {
        eprintln!("skipped: room for {left} more processes, more than --max-workers allows");
        return;
    }
    let _lock = fork_lock();
    let out = kit::testing::run_lab(EXE, &["--max-workers", "256", "--rounds", "1"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--max-workers"), "{stderr}");
}

kit::cli_contract! {
    bin: EXE,
    refused: [
        &["--serial-percent", "91"],
        &["--serial-percent", "-1"],
        &["--work", "999"],
        &["--work", "10000000001"],
        &["--max-workers", "1"],
        &["--max-workers", "257"],
        &["--rounds", "0"],
        &["--rounds", "101"],
        &["--frobnicate"],
    ],
    help_mentions: ["--serial-percent", "--max-workers", "Amdahl", "Gustafson"],
    quick_run: ["--work", "100000", "--max-workers", "2", "--rounds", "1"],
    // Enough work that the processes of the first W are still summing when the signal comes
    // (seconds in a debug build: the threads of W = 1 run first, then the first child).
    busy_run: ["--work", "200000000", "--max-workers", "2", "--rounds", "1"],
}

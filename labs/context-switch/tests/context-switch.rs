//! What the context-switch page claims: every variant completes exactly the round trips it
//! was asked for, with the counter at exactly two per round trip on both sides; pinning pins
//! (and is undone); pong processes are reaped; the CLI behaves. No timing is asserted.
//!
//! Every test that forks or starts the binary holds the fork lock, so that no other test's
//! leftover check (the lock's drop) counts its children.

#![cfg(target_os = "linux")]

use context_switch::{
    Between, Handoff, PingPong, Placement, Variant, allowed_cpus, cpus_for, measure, pin_to,
};
use kit::Children;
use kit::testing::{fork_lock, lab_report, live_children, readable_report};
use nix::sched::{CpuSet, sched_getaffinity};
use nix::sys::wait::WaitStatus;
use nix::unistd::Pid;

const EXE: &str = env!("CARGO_BIN_EXE_context-switch");

/// The CPUs set in the calling thread's affinity mask.
fn my_cpus() -> Vec<usize> {
    let set = sched_getaffinity(Pid::from_raw(0)).unwrap();
    (0..CpuSet::count())
        .filter(|&cpu| set.is_set(cpu).unwrap())
        .collect()
}

fn runnable_variants() -> Vec<(Variant, (usize, usize))> {
    let allowed = allowed_cpus().unwrap();
    Variant::all()
        .into_iter()
        .filter_map(|v| Some((v, cpus_for(v.placement, &allowed)?)))
        .collect()
}

#[test]
fn every_variant_completes_exactly_n_round_trips() {
    let _lock = fork_lock();
    for (variant, cpus) in runnable_variants() {
        for n in [1, 7, 1000] {
            let mut ping_pong = PingPong::start(variant, cpus, n).unwrap();
            // In uneven pieces, as the lab's warm-up and batches do.
            let first = n / 3;
            ping_pong.round_trips(first).unwrap();
            ping_pong.round_trips(n - first).unwrap();
            let outcome = ping_pong.finish().unwrap();
            assert_eq!(
                (outcome.round_trips, outcome.counter, outcome.answered),
                (n, 2 * n, n),
                "{}",
                variant.id()
            );
            assert!(live_children().is_empty(), "{} left a child", variant.id());
        }
    }
}

#[test]
fn asking_for_more_round_trips_than_planned_is_an_error_not_a_hang() {
    let _lock = fork_lock();
    for (variant, cpus) in runnable_variants() {
        let mut ping_pong = PingPong::start(variant, cpus, 5).unwrap();
        ping_pong.round_trips(3).unwrap();
        assert!(ping_pong.round_trips(3).is_err(), "{}", variant.id());
        // Dropped unfinished: pong is stopped (thread) or killed and reaped (process).
        drop(ping_pong);
        assert!(live_children().is_empty(), "{}", variant.id());
    }
}

#[test]
fn measure_checks_the_counts_and_reports_one_sample_per_batch() {
    let _lock = fork_lock();
    for (variant, cpus) in runnable_variants() {
        let measured = measure(variant, cpus, 4, 25).unwrap();
        assert_eq!(measured.per_round_trip.len(), 4);
        let total = context_switch::WARM_UP_ROUND_TRIPS + 100;
        assert_eq!(measured.outcome.answered, total);
        assert_eq!(measured.outcome.counter, 2 * total);
    }
}

#[test]
fn pinning_leaves_exactly_one_cpu_in_the_mask() {
    let allowed = allowed_cpus().unwrap();
    let last = *allowed.last().unwrap();
    // In a thread of its own, so the test thread's mask is untouched.
    let pinned = std::thread::spawn(move || {
        pin_to(last).unwrap();
        my_cpus()
    })
    .join()
    .unwrap();
    assert_eq!(pinned, [last]);
}

#[test]
fn a_forked_child_pins_itself() {
    let _lock = fork_lock();
    let allowed = allowed_cpus().unwrap();
    let mut children = Children::new();
    for &cpu in &allowed {
        // SAFETY: the child makes two system calls (sched_setaffinity, sched_getaffinity)
        // on stack memory and counts bits: no allocation, no lock.
        let pid = unsafe {
            children.spawn(|| {
                if pin_to(cpu).is_err() {
                    return 2;
                }
                let Ok(set) = sched_getaffinity(Pid::from_raw(0)) else {
                    return 3;
                };
                let count = (0..CpuSet::count())
                    .filter(|&c| set.is_set(c).unwrap_or(false))
                    .count();
                if count == 1 && set.is_set(cpu) == Ok(true) {
                    0
                } else {
                    1
                }
            })
        }
        .unwrap();
        assert_eq!(children.wait(pid).unwrap(), WaitStatus::Exited(pid, 0));
    }
}

#[test]
fn ping_is_pinned_during_the_ping_pong_and_unpinned_after() {
    let _lock = fork_lock();
    let before = my_cpus();
    for (variant, cpus) in runnable_variants() {
        let mut ping_pong = PingPong::start(variant, cpus, 2).unwrap();
        assert_eq!(my_cpus(), [cpus.0], "{}", variant.id());
        ping_pong.round_trips(2).unwrap();
        ping_pong.finish().unwrap();
        assert_eq!(my_cpus(), before, "{}", variant.id());
    }
}

#[test]
fn placements_pick_one_cpu_twice_or_two_cpus() {
    assert_eq!(cpus_for(Placement::SameCpu, &[3, 5]), Some((3, 3)));
    assert_eq!(cpus_for(Placement::AcrossCpus, &[3, 5]), Some((3, 5)));
    assert_eq!(cpus_for(Placement::AcrossCpus, &[3]), None);
    assert_eq!(cpus_for(Placement::SameCpu, &[]), None);
    let condvar_processes = Variant {
        handoff: Handoff::Condvar,
        between: Between::Processes,
        placement: Placement::SameCpu,
    };
    assert!(!Variant::all().contains(&condvar_processes));
    assert!(PingPong::start(condvar_processes, (0, 0), 1).is_err());
}

kit::cli_contract! {
    bin: EXE,
    refused: [
        &["--round-trips", "0"],
        &["--round-trips", "many"],
        &["--no-such-flag"],
    ],
    help_mentions: ["context switches"],
    quick_run: ["--round-trips", "200"],
    // Enough round trips that the pong process is still there when the signal comes.
    busy_run: ["--round-trips", "300000"],
}

#[test]
fn json_records_switches_and_describes_the_round_trip_benchmarks() {
    let _lock = fork_lock();
    let report = lab_report(EXE, "context-switch", &["--round-trips", "200"]);
    for (variant, cpus) in runnable_variants() {
        let switches = report
            .get(&format!("{}/ping-switches", variant.id()))
            .unwrap();
        assert_eq!(switches.unit, "switches");
        // The round trip is criterion's figure: described for the bench of the same id,
        // never recorded from the lab's own run as well.
        assert!(report.get(&variant.id()).is_none(), "{}", variant.id());
        let described = report
            .benchmarks
            .iter()
            .find(|b| b.id == variant.id())
            .unwrap_or_else(|| panic!("{} is not described", variant.id()));
        assert!(
            described.what.starts_with("one round trip: ")
                && described.what.contains(&cpus.0.to_string()),
            "{}",
            described.what
        );
    }
    assert_eq!(report.benchmarks.len(), runnable_variants().len());
    assert!(
        report
            .benchmarks
            .iter()
            .any(|b| b.id == "context-switch/pipe-threads/same-cpu")
    );
    assert!(
        report
            .records
            .iter()
            .all(|r| r.id.ends_with("/ping-switches"))
    );
}

#[test]
fn the_readable_report_says_what_to_observe() {
    let _lock = fork_lock();
    let text = readable_report(EXE, &["--round-trips", "200"]);
    assert!(text.contains("pipe-processes same-cpu"), "{text}");
    // The terminal still shows the lab's own timing of each round trip.
    assert!(text.contains("round trip"), "{text}");
    assert!(
        text.contains("On one CPU, a pipe round trip took"),
        "{text}"
    );
}

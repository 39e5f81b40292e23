//! What the baselines promise: every C primitive gives positive samples, the ping-pong
//! restores the caller's CPU mask, perf's output is read right, the command line keeps the
//! labs' contract, and nothing is left behind. No timing is asserted.
//!
//! Every test that forks or starts the binary holds the fork lock, so that another test's
//! `live_children` never sees its children.

use baseline::{Creation, PingPong, Placement, allowed_cpus, cpus_for, parse_usecs_per_op};
use kit::testing::{
    assert_clean_interrupts, assert_help, assert_usage_errors, fork_lock, json_report,
    live_children, readable_report,
};

const EXE: &str = env!("CARGO_BIN_EXE_baseline");

/// The C records a machine with `cpus` allowed CPUs must have.
fn c_ids(cpus: usize) -> Vec<String> {
    let creation = Creation::ALL.iter().map(|k| k.id());
    let ping_pong = PingPong::ALL
        .iter()
        .filter(|p| cpus >= 2 || p.placement == Placement::SameCpu)
        .map(|p| p.id());
    creation.chain(ping_pong).collect()
}

#[test]
fn json_has_every_c_record_with_a_positive_median() {
    let _lock = fork_lock();
    let report = json_report(EXE, &["--runs", "3"]);
    assert_eq!(report.lab, "baseline");
    let cpus = allowed_cpus().unwrap().len();
    for id in c_ids(cpus) {
        let record = report.get(&id).unwrap_or_else(|| panic!("{id} missing"));
        assert_eq!(record.unit.as_str(), "ns", "{id}");
        assert_eq!(record.samples, 3, "{id}");
        assert!(record.median > 0.0 && record.low > 0.0, "{id}: {record:?}");
        assert!(record.what.starts_with("C: "), "{id}: {}", record.what);
    }
    for record in &report.records {
        assert!(record.id.starts_with("baseline/"), "{}", record.id);
    }
    assert_eq!(live_children(), []);
}

#[test]
fn every_c_primitive_returns_n_positive_samples() {
    let _lock = fork_lock();
    for kind in Creation::ALL {
        let samples = kind.time(4).unwrap();
        assert_eq!(samples.len(), 4, "{}", kind.id());
        assert!(
            samples.iter().all(|&s| s > 0.0),
            "{}: {samples:?}",
            kind.id()
        );
    }
    assert_eq!(live_children(), []);
}

#[test]
fn the_ping_pong_restores_the_callers_cpus_and_reaps_pong() {
    let _lock = fork_lock();
    let allowed = allowed_cpus().unwrap();
    for p in PingPong::ALL {
        let Some(cpus) = cpus_for(p.placement, &allowed) else {
            continue;
        };
        let samples = p.time(cpus, 2).unwrap();
        assert_eq!(samples.len(), 2, "{}", p.id());
        assert!(samples.iter().all(|&s| s > 0.0), "{}: {samples:?}", p.id());
        assert_eq!(allowed_cpus().unwrap(), allowed, "{}", p.id());
        assert_eq!(live_children(), [], "{}", p.id());
    }
}

#[test]
fn placements_pick_one_cpu_twice_or_two_cpus() {
    assert_eq!(cpus_for(Placement::SameCpu, &[3, 5]), Some((3, 3)));
    assert_eq!(cpus_for(Placement::TwoCpus, &[3, 5]), Some((3, 5)));
    assert_eq!(cpus_for(Placement::TwoCpus, &[3]), None);
}

#[test]
fn perf_output_is_read_in_microseconds_per_op() {
    // The lines tools/perf/bench/sched-pipe.c prints in its default format.
    let out = "# Running 'sched/pipe' benchmark:\n\
               # Executed 10000 pipe operations between two processes\n\n\
               \x20    Total time: 0.382 [sec]\n\n\
               \x20     38.263700 usecs/op\n\
               \x20         26134 ops/sec\n";
    assert_eq!(parse_usecs_per_op(out), Some(38.2637));
    assert_eq!(parse_usecs_per_op("no figure here\n"), None);
}

#[test]
fn bad_flags_exit_2_with_one_line() {
    let _lock = fork_lock();
    assert_usage_errors(
        EXE,
        &[
            &["--runs", "0"],
            &["--runs", "-1"],
            &["--runs", "many"],
            &["--no-such-flag"],
        ],
    );
    assert_help(
        EXE,
        &["pthread_create", "posix_spawn", "perf bench sched pipe"],
    );
}

#[test]
fn the_readable_report_says_what_to_observe() {
    let _lock = fork_lock();
    let text = readable_report(EXE, &["--runs", "2"]);
    assert!(text.contains("baseline/c/fork"), "{text}");
    assert_eq!(live_children(), []);
}

#[test]
fn a_signal_to_the_baseline_alone_kills_and_reaps_its_children() {
    let _lock = fork_lock();
    // Enough rounds that a forked child is there when the signal comes.
    assert_clean_interrupts(EXE, &["--runs", "100000"], |_| true);
}

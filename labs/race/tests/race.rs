//! What the race page claims: the racy modes lose updates, every fix is exact, children are
//! reaped, and the binary's command line behaves.
//!
//! The fixes are exact by construction, so their assertions cannot fail by chance. The racy
//! ones depend on the scheduler, so they assert only that *some* update was lost. Every
//! worker yields between its load and its store, on every increment; over the thousands of
//! increments of a test, other workers store inside those windows, and their stores are
//! overwritten, on an idle machine, a loaded one or a single core alike.

#![cfg(target_os = "linux")]

use kit::testing::{
    fork_lock, json_report, lab_report, live_children, median, readable_report, record_ids,
};
use race::{Mode, Outcome};

const WORKERS: u32 = 4;
const INCREMENTS: u64 = 2_000;
const EXPECTED: u64 = WORKERS as u64 * INCREMENTS;

fn assert_loses_updates(mode: Mode) {
    let outcome = Outcome::measure(mode, WORKERS, INCREMENTS).unwrap();
    assert_eq!(outcome.expected, EXPECTED);
    assert!(
        outcome.counted < EXPECTED,
        "{} lost nothing: counted {} of {EXPECTED}",
        mode.name(),
        outcome.counted
    );
    assert!(outcome.counted > 0, "{} counted nothing", mode.name());
}

#[test]
fn threads_load_then_store_loses_updates() {
    assert_loses_updates(Mode::ThreadsRacy);
}

#[test]
fn processes_load_then_store_loses_updates_and_reaps_every_child() {
    let _lock = fork_lock();
    assert_loses_updates(Mode::ProcessesRacy);
    assert_eq!(live_children(), [], "children left");
}

#[test]
fn every_fix_is_exact() {
    let _lock = fork_lock();
    for mode in Mode::ALL.into_iter().filter(|m| !m.is_racy()) {
        let outcome = Outcome::measure(mode, WORKERS, INCREMENTS).unwrap();
        assert_eq!(outcome.counted, EXPECTED, "{} is not exact", mode.name());
        assert_eq!(outcome.lost(), 0);
    }
    assert_eq!(live_children(), [], "children left");
}

#[test]
fn fixes_are_exact_with_the_most_workers() {
    let _lock = fork_lock();
    for mode in [
        Mode::ThreadsFetchAdd,
        Mode::ProcessesFetchAdd,
        Mode::ProcessesPerWorker,
    ] {
        assert_eq!(
            mode.run(race::MAX_WORKERS, 100).unwrap(),
            6_400,
            "{}",
            mode.name()
        );
    }
}

const BIN: &str = env!("CARGO_BIN_EXE_race");

kit::cli_contract! {
    bin: BIN,
    refused: [
        &["--workers", "1"],
        &["--workers", "65"],
        &["--increments", "0"],
        &["--increments", "1000001"],
        &["--mode", "threads"],
        &["--frobnicate"],
    ],
    help_mentions: ["--mode", "threads-racy"],
    quick_run: ["--increments", "100"],
    // Enough increments, each with a yield, that the workers are still counting when the
    // signal comes.
    busy_run: [
        "--mode",
        "processes-racy",
        "--workers",
        "4",
        "--increments",
        "1000000",
    ],
    busy_ready: |below| below.len() >= 4,
}

#[test]
fn json_is_a_report_with_exact_fixes() {
    let _lock = fork_lock();
    let report = lab_report(BIN, "race", &["--workers", "3", "--increments", "500"]);
    assert_eq!(median(&report, "race/expected"), 1500.0);
    for mode in Mode::ALL {
        let counted = report.get(&format!("race/{}", mode.name())).unwrap();
        let lost = report.get(&format!("race/{}/lost", mode.name())).unwrap();
        assert_eq!(counted.unit, "updates");
        assert_eq!(lost.unit, "%");
        if mode.is_racy() {
            assert!(
                counted.median < 1500.0 && lost.median > 0.0,
                "{}",
                mode.name()
            );
        } else {
            assert_eq!(
                (counted.median, lost.median),
                (1500.0, 0.0),
                "{}",
                mode.name()
            );
        }
    }
}

#[test]
fn one_mode_runs_only_that_mode() {
    let _lock = fork_lock();
    let report = json_report(BIN, &["--mode", "threads-mutex", "--increments", "100"]);
    let ids = record_ids(&report);
    assert_eq!(
        ids,
        [
            "race/expected",
            "race/threads-mutex",
            "race/threads-mutex/lost"
        ]
    );
    assert_eq!(report.records[1].median, 400.0);
}

#[test]
fn the_readable_report_opens_with_the_machine_and_says_what_to_observe() {
    let _lock = fork_lock();
    let text = readable_report(BIN, &["--increments", "100"]);
    assert!(text.contains("updates expected"), "{text}");
}

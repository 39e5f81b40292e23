//! What the too-many-threads page claims: every mode runs every task (same checksum), the pool
//! uses exactly its N workers, a refused thread is an error value and not a panic, every child
//! process is reaped, and bad flags exit 2.

#![cfg(target_os = "linux")]

use kit::testing::{fork_lock, json_report, live_children, readable_report, run_lab};
use std::path::Path;
use too_many_threads::{
    checksum_sequential, pool, process_per_task, run_limit_demo, spawn_until_refused,
    thread_per_task,
};

const BIN: &str = env!("CARGO_BIN_EXE_too-many-threads");

/// A run small enough for a test: the flags every test that only needs the lab to finish
/// uses.
const QUICK: &[&str] = &["--tasks", "200", "--process-tasks", "20"];

#[test]
fn every_mode_runs_every_task_with_the_same_checksum() {
    let _lock = fork_lock();
    let tasks = 300;
    let expected = checksum_sequential(tasks);
    assert_eq!(thread_per_task(tasks, 32).unwrap(), expected);
    assert_eq!(pool(tasks, 3).unwrap().checksum, expected);
    assert_eq!(process_per_task(tasks, 32).unwrap().checksum, expected);
    assert!(live_children().is_empty());
}

#[test]
fn thread_modes_agree_at_the_default_size() {
    let expected = checksum_sequential(10_000);
    assert_eq!(thread_per_task(10_000, 256).unwrap(), expected);
    assert_eq!(pool(10_000, 2).unwrap().checksum, expected);
}

#[test]
fn the_pool_uses_exactly_n_workers() {
    for workers in [1, 2, 7] {
        let run = pool(1_000, workers).unwrap();
        assert_eq!(run.tasks_per_worker.len(), workers);
        assert_eq!(run.tasks_per_worker.iter().sum::<u64>(), 1_000);
    }
}

#[test]
fn process_per_task_keeps_at_most_max_live_children_and_reaps_all() {
    let _lock = fork_lock();
    let run = process_per_task(100, 8).unwrap();
    assert_eq!(run.peak_live, 8);
    assert_eq!(run.checksum, checksum_sequential(100));
    assert!(live_children().is_empty());
}

#[test]
fn a_refused_thread_is_an_error_value_not_a_panic() {
    // A 1 PiB stack cannot be mapped in a 47-bit address space, whatever the overcommit
    // setting, so the very first creation fails.
    let outcome = spawn_until_refused(1 << 50, 10);
    assert_eq!(outcome.created, 0);
    let err = outcome.error.expect("the creation must fail");
    assert!(err.raw_os_error().is_some(), "{err}");
}

#[test]
fn spawn_until_refused_stops_at_max_and_joins_everything() {
    let outcome = spawn_until_refused(64 * 1024, 20);
    assert_eq!(outcome.created, 20);
    assert!(outcome.error.is_none());
}

#[test]
fn the_capped_child_reports_the_refusal_and_exits_cleanly() {
    let _lock = fork_lock();
    let demo = run_limit_demo(Path::new(BIN)).unwrap();
    assert!(demo.created >= 1, "{:?}", demo.lines);
    let refusal = demo.refusal.expect("a thread must be refused");
    assert!(
        refusal.starts_with(&format!(
            "thread {} could not be created: ",
            demo.created + 1
        )),
        "{refusal}"
    );
    assert!(refusal.contains("(os error "), "{refusal}");
    assert!(live_children().is_empty());

    // The child's stderr is empty: no panic message, no abort.
    let out = run_lab(BIN, &["--limit-demo"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn cli_json_parses_and_every_checksum_matches() {
    let _lock = fork_lock();
    let report = json_report(
        BIN,
        &["--tasks", "500", "--process-tasks", "40", "--workers", "3"],
    );
    assert_eq!(report.lab, "too-many-threads");
    for mode in ["thread-per-task", "pool", "process-per-task"] {
        let ok = report
            .get(&format!("too-many-threads/{mode}/checksum-ok"))
            .unwrap();
        assert_eq!(ok.median, 1.0, "{mode}");
    }
    // Sampled, so it may miss threads, but it can never see more than the pool's workers.
    let pool_threads = report.get("too-many-threads/pool/peak-threads").unwrap();
    assert!(pool_threads.median <= 3.0);
    let processes = report
        .get("too-many-threads/process-per-task/peak-processes")
        .unwrap();
    assert_eq!(processes.median, 40.0);
    assert_eq!(
        report.get("too-many-threads/limit/refused").unwrap().median,
        1.0
    );
    assert!(live_children().is_empty());
}

#[test]
fn cli_readable_report() {
    let _lock = fork_lock();
    let text = readable_report(BIN, QUICK);
    assert!(text.starts_with("too-many-threads: "));
    assert!(text.contains("could not be created"));
}

kit::cli_contract! {
    bin: BIN,
    refused: [
        &["--tasks", "0"],
        &["--tasks", "100001"],
        &["--process-tasks", "5001"],
        &["--workers", "0"],
        &["--max-live", "0"],
        &["--frobnicate"],
    ],
    help_mentions: ["RLIMIT_AS"],
    quick_run: QUICK,
    // Five thousand processes, one after another: some are alive when the signal comes.
    busy_run: ["--tasks", "1", "--process-tasks", "5000"],
}

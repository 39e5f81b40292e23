//! What the shared-state page claims: every mode that really shares the counter counts exactly
//! workers × increments; with an ordinary `Vec` the parent's stays empty while each child pushed
//! into its own copy; no child outlives its mode.
//!
//! Every test holds the fork lock: the process modes fork, and the CLI tests start children
//! that another test's leftover check (the lock's drop) would otherwise count.

#![cfg(target_os = "linux")]

use kit::testing::{fork_lock, lab_report, live_children, median, readable_report};
use shared_state::{
    Mode, ProcessSharedCounter, count, processes_with_plain_vec, processes_with_shared_atomic,
    processes_with_shared_mutex, threads_with_atomic, threads_with_mutex,
};

const BIN: &str = env!("CARGO_BIN_EXE_shared-state");

/// A run small enough for a test: the flags every test that only needs the lab to finish
/// uses.
const QUICK: &[&str] = &["--workers", "2", "--increments", "100"];

/// (workers, increments): one worker, odd sizes, more workers than cores.
const COMBOS: [(u32, u64); 5] = [(1, 1), (1, 10_000), (2, 1_000), (7, 12_345), (16, 5_000)];

#[test]
fn threads_count_exactly() {
    for (workers, increments) in COMBOS {
        let expected = u64::from(workers) * increments;
        assert_eq!(threads_with_mutex(workers, increments), expected);
        assert_eq!(threads_with_atomic(workers, increments), expected);
    }
}

#[test]
fn processes_sharing_a_mapping_count_exactly_and_are_reaped() {
    let _lock = fork_lock();
    for (workers, increments) in COMBOS {
        let expected = u64::from(workers) * increments;
        assert_eq!(
            processes_with_shared_atomic(workers, increments).unwrap(),
            expected
        );
        assert!(live_children().is_empty());
        assert_eq!(
            processes_with_shared_mutex(workers, increments).unwrap(),
            expected
        );
    }
}

#[test]
fn the_default_size_counts_exactly_in_every_sharing_mode() {
    let _lock = fork_lock();
    for mode in Mode::ALL.into_iter().filter(|m| m.shares()) {
        let counted = count(mode, 4, 100_000).unwrap();
        assert_eq!(
            (counted.count, counted.expected),
            (400_000, 400_000),
            "{mode:?}"
        );
    }
}

#[test]
fn the_parents_vec_stays_empty_while_each_child_pushed_into_its_own() {
    let _lock = fork_lock();
    for (workers, increments) in COMBOS {
        let outcome = processes_with_plain_vec(workers, increments).unwrap();
        assert_eq!(outcome.parent_len, 0);
        assert_eq!(outcome.child_lens, vec![increments; workers as usize]);
    }
    let counted = count(Mode::ProcessVec, 3, 500).unwrap();
    assert_eq!(counted.count, 0);
    assert_eq!(counted.expected, 1_500);
    assert_eq!(counted.child_lens, vec![500; 3]);
}

#[test]
fn the_process_shared_counter_works_in_one_process_too() {
    let counter = ProcessSharedCounter::new().unwrap();
    for _ in 0..10 {
        counter.increment().unwrap();
    }
    assert_eq!(counter.get().unwrap(), 10);
}

kit::cli_contract! {
    bin: BIN,
    refused: [
        &["--workers", "0"],
        &["--workers", "65"],
        &["--increments", "0"],
        &["--increments", "1000001"],
        &["--workers", "-3"],
        &["--frobnicate"],
    ],
    help_mentions: ["--workers", "--increments", "--json"],
    quick_run: QUICK,
    // Enough increments that the first process mode is still counting when the signal
    // comes (the thread modes before it start no process).
    busy_run: ["--workers", "16", "--increments", "1000000"],
}

#[test]
fn json_has_an_id_per_mode_and_exact_counts() {
    let _lock = fork_lock();
    let report = lab_report(
        BIN,
        "shared-state",
        &["--workers", "3", "--increments", "2000"],
    );
    assert_eq!(median(&report, "shared-state/expected"), 6_000.0);
    for mode in Mode::ALL {
        let id = mode.id();
        let counted = report.get(&format!("shared-state/{id}-count")).unwrap();
        let expected = if mode.shares() { 6_000.0 } else { 0.0 };
        assert_eq!(counted.median, expected, "{id}");
    }
    let child_lens = report.get("shared-state/process-vec-child-len").unwrap();
    assert_eq!(
        (child_lens.low, child_lens.high, child_lens.samples),
        (2_000.0, 2_000.0, 3)
    );
    // Only the ordinary Vec, which no bench times, has its wall time recorded.
    let wall = report.get("shared-state/process-vec").unwrap();
    assert_eq!(wall.unit, "ns");
    assert!(wall.median > 0.0);
    // Every other wall time is criterion's: described, in the lab's words, and not
    // recorded (one source per figure); the sharded counts exist only as benchmarks.
    let described: Vec<&str> = report.benchmarks.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(
        described,
        [
            "shared-state/thread-mutex",
            "shared-state/thread-atomic",
            "shared-state/process-atomic",
            "shared-state/process-mutex",
            "shared-state/thread-sharded",
            "shared-state/process-sharded"
        ]
    );
    for id in &described {
        assert!(report.get(id).is_none(), "{id} has two sources");
    }
    assert_eq!(report.benchmarks[0].what, "wall time, threads, Mutex<u64>");
    assert!(
        report.benchmarks[4]
            .what
            .starts_with("wall time, threads, ")
    );
}

#[test]
fn the_readable_report_names_the_machine_and_every_mode() {
    let _lock = fork_lock();
    let text = readable_report(BIN, QUICK);
    assert!(text.contains("counted exactly 200"), "{text}");
    assert!(text.contains("The parent's Vec has 0 items"), "{text}");
    // The terminal still shows the lab's own wall time of every mode.
    assert!(text.contains("wall time"), "{text}");
    assert!(text.contains("threads, Mutex<u64>"), "{text}");
    assert!(text.contains("With threads, AtomicU64 was "), "{text}");
}

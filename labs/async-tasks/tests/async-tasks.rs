//! What the async-tasks page claims, asserted as structure, never as time:
//!
//! - the blocking mistake: while a CPU loop runs as a task on the runtime's one worker, the
//!   ticker completes no tick at all (the loop reads the tick count at its start and end); with
//!   the loop on the blocking pool it completes at least one;
//! - the command-line contract, and nothing left behind.
//!
//! The loop is the lab's default length, long enough that the ticker on a free worker gets
//! at least one tick with both cores loaded (run 10 times beside `stress-ng --cpu 2`).

#![cfg(target_os = "linux")]

use async_tasks::blocking::{self, Mode};
use kit::testing::{assert_mentions, fork_lock, lab_report, readable_report, record_ids};
use std::time::Duration;

const EXE: &str = env!("CARGO_BIN_EXE_async-tasks");

/// The lab's default loop length.
const STALL: Duration = Duration::from_millis(200);

/// A run small enough for a test.
const QUICK: &[&str] = &["--stall-ms", "50", "--stall-rounds", "1"];

#[test]
fn a_cpu_loop_on_the_only_worker_lets_no_tick_through() {
    let round = blocking::round(Mode::OnWorker, STALL).unwrap();
    // The ticker was ticking before the loop, and ticked again after it.
    assert!(
        round.cpu.ticks_at_start >= blocking::TICKS_BEFORE,
        "{round:?}"
    );
    assert!(round.ticks > round.cpu.ticks_at_end, "{round:?}");
    assert_eq!(round.cpu.ticks_during(), 0, "{round:?}");
}

#[test]
fn the_same_loop_through_spawn_blocking_lets_the_ticker_tick() {
    let round = blocking::round(Mode::SpawnBlocking, STALL).unwrap();
    assert!(
        round.cpu.ticks_at_start >= blocking::TICKS_BEFORE,
        "{round:?}"
    );
    assert!(round.cpu.ticks_during() >= 1, "{round:?}");
}

kit::cli_contract! {
    bin: EXE,
    refused: [
        &["--rounds", "20"],
        &["--stall-ms", "5"],
        &["--stall-ms", "6000"],
        &["--stall-rounds", "0"],
        &["--measure-only", "task"],
        &["--no-such-flag"],
    ],
    help_mentions: ["spawn_blocking", "spawn-cost"],
    quick_run: QUICK,
    // No busy_run: the lab starts no child process to be reaped, only the runtime's threads.
}

#[test]
fn json_has_every_record_and_leaves_nothing_behind() {
    let _lock = fork_lock();
    let report = lab_report(EXE, "async-tasks", QUICK);
    assert_eq!(
        record_ids(&report),
        [
            "async-tasks/blocking/stalled",
            "async-tasks/blocking/fixed",
            "async-tasks/blocking/loop",
        ]
    );
    for record in &report.records {
        assert_eq!(record.unit.as_str(), "ns", "{}", record.id);
    }
    assert_eq!(report.get("async-tasks/blocking/loop").unwrap().samples, 2);
}

#[test]
fn the_readable_report_says_what_to_observe() {
    let _lock = fork_lock();
    // readable_report also checks the `Machine:` line and `What to observe:`.
    let text = readable_report(EXE, QUICK);
    assert_mentions(&text, &["spawn_blocking", "ticks during loop", "no tick"]);
}

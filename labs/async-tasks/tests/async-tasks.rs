//! What the async-tasks page claims, asserted as structure, never as time:
//!
//! - the blocking mistake: while a CPU loop runs as a task on the runtime's one worker, the
//!   ticker completes no tick at all (the loop reads the tick count at its start and end); with
//!   the loop on the blocking pool it completes at least one;
//! - the lab's own check expects that stall only on one worker, so the page's experiment with
//!   two workers runs to its end;
//! - the command-line contract, and nothing left behind.
//!
//! The loop is the lab's default length, long enough that the ticker on a free worker gets
//! at least one tick with both cores loaded (run 10 times beside `stress-ng --cpu 2`).

#![cfg(target_os = "linux")]

use async_tasks::blocking::{self, LoopRun, Mode, Round};
use async_tasks::report::{Results, Settings};
use kit::lab::Outcome;
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

/// The page's "What to try next" has the reader change `worker_threads(1)` to 2: the lab's
/// check must then accept ticks during the loop, since an idle worker runs the ticker, and
/// still refuse them on the one worker.
#[test]
fn the_check_expects_a_stall_only_on_one_worker() {
    let round = |workers, ticks_during| Round {
        mode: Mode::OnWorker,
        workers,
        cpu: LoopRun {
            ticks_at_start: blocking::TICKS_BEFORE,
            ticks_at_end: blocking::TICKS_BEFORE + ticks_during,
            length: STALL,
        },
        worst_lateness: Duration::ZERO,
        ticks: blocking::TICKS_BEFORE + ticks_during + 1,
    };
    let results = |workers, ticks_during| Results {
        settings: Settings {
            stall: STALL,
            stall_rounds: 1,
        },
        rounds: vec![round(workers, ticks_during)],
    };
    assert!(results(1, 0).check().is_ok());
    assert!(results(1, 3).check().is_err());
    assert!(results(2, 3).check().is_ok());
    assert!(results(2, 0).check().is_ok());
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

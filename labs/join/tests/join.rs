//! What the join page claims: unjoined threads lose their lines, joined and scoped threads
//! print every one; an unwaited child is a zombie until waitpid reaps it; nothing is left.

#![cfg(target_os = "linux")]

use join::{Ending, run_demo, zombie_then_reap};
use kit::testing::{fork_lock, lab_report, median, readable_report};
use nix::sys::wait::WaitStatus;
use nix::unistd::Pid;
use std::path::Path;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_join");

/// A run small enough for a test: the flags every test that only needs the lab to finish
/// uses.
const QUICK: &[&str] = &["--workers", "2", "--work-ms", "10"];

#[test]
fn unjoined_threads_lose_every_line() {
    let _lock = fork_lock();
    // The workers "work" for a minute; main returns at once, so none of them can print.
    // The run is still quick: the process exits when main returns, the workers with it.
    let run = run_demo(Path::new(BIN), Ending::Unjoined, 8, Duration::from_secs(60)).unwrap();
    assert_eq!(run.finished, Vec::<usize>::new());
    assert_eq!(run.missing, (0..8).collect::<Vec<_>>());
    assert_eq!(
        run.lines,
        [
            "main: spawning 8 workers",
            "main: returning without joining"
        ]
    );
}

#[test]
fn joined_and_scoped_threads_print_every_line() {
    let _lock = fork_lock();
    for ending in [Ending::Joined, Ending::Scoped] {
        let run = run_demo(Path::new(BIN), ending, 8, Duration::from_millis(50)).unwrap();
        assert_eq!(run.finished, (0..8).collect::<Vec<_>>(), "{ending:?}");
        assert!(run.missing.is_empty(), "{ending:?}");
        // main's last line comes after every worker's line.
        assert_eq!(run.lines.len(), 10, "{ending:?}");
        assert!(run.lines[9].starts_with("main: "), "{ending:?}");
        assert!(run.lines[1..9].iter().all(|l| l.ends_with(": done")));
    }
}

#[test]
fn an_unwaited_child_is_a_zombie_until_reaped() {
    let _lock = fork_lock();
    let run = zombie_then_reap(Duration::ZERO).unwrap();
    assert_eq!(run.state_before_wait, 'Z');
    assert_eq!(run.status, WaitStatus::Exited(Pid::from_raw(run.pid), 0));
    assert!(!run.proc_entry_after_wait);
}

#[test]
fn cli_runs_and_reports_json() {
    let _lock = fork_lock();
    let report = lab_report(BIN, "join", &["--workers", "3", "--work-ms", "20"]);
    // How many unjoined lines are lost with a short work time is the race the page describes;
    // the exact claim (all of them, with work that outlasts main) is tested above.
    assert!(median(&report, "join/unjoined/lines-lost") <= 3.0);
    assert_eq!(median(&report, "join/joined/lines-lost"), 0.0);
    assert_eq!(median(&report, "join/scoped/lines-lost"), 0.0);
    assert_eq!(median(&report, "join/zombie/seen"), 1.0);
    assert_eq!(median(&report, "join/zombie/left-after-wait"), 0.0);
}

#[test]
fn cli_readable_report_names_the_lost_lines() {
    let _lock = fork_lock();
    let text = readable_report(BIN, QUICK);
    assert!(text.starts_with("join: "));
    assert!(text.contains("Z (zombie)"));
}

kit::cli_contract! {
    bin: BIN,
    refused: [
        &["--workers", "0"],
        &["--work-ms", "99999999"],
        &["--hold-ms", "60001"],
        &["--nope"],
    ],
    help_mentions: ["zombie"],
    quick_run: QUICK,
    // Workers that work a minute: a demo process is alive when the signal comes.
    busy_run: ["--work-ms", "60000"],
}

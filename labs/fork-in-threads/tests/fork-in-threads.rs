//! What the fork-in-threads page claims: a child forked while another thread holds a lock
//! reaches the lock and hangs there until it is killed; with the lock free it takes it and
//! exits 0; a program started with Command (fork, then exec at once) takes its own fresh
//! lock while the parent's is held; every child is reaped.

use fork_in_threads::{CONTRAST_LIMIT, GLOBAL, fork_and_lock, spawn_and_lock};
use kit::testing::{
    assert_help, assert_usage_error, fork_lock, json_report, live_children, run_ok,
};
use nix::sys::signal::Signal;
use nix::sys::wait::WaitStatus;
use std::path::Path;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_fork-in-threads");

#[test]
fn a_child_forked_while_the_lock_is_held_hangs_at_the_lock() {
    let _lock = fork_lock();
    // The hang is permanent, so a short limit cannot produce a false "hung".
    let run = fork_and_lock(true, Duration::from_secs(1)).unwrap();
    assert!(run.held_at_fork);
    // It got as far as the lock (its byte arrived), so it hung there and not before.
    assert!(run.reached_lock);
    assert!(!run.took_lock);
    assert!(run.hung);
    // Asleep (a futex wait is an interruptible sleep), until our SIGKILL.
    assert_eq!(run.hung_state, Some('S'));
    assert_eq!(
        run.status,
        WaitStatus::Signaled(run.pid, Signal::SIGKILL, false)
    );
    assert!(live_children().is_empty());
    // The parent's own lock was released by its helper, as usual.
    assert!(GLOBAL.try_lock().is_ok());
}

#[test]
fn a_child_forked_while_the_lock_is_free_takes_it_and_exits_0() {
    let _lock = fork_lock();
    let run = fork_and_lock(false, CONTRAST_LIMIT).unwrap();
    assert!(!run.held_at_fork);
    assert!(run.reached_lock);
    assert!(run.took_lock);
    assert!(!run.hung);
    assert_eq!(run.status, WaitStatus::Exited(run.pid, 0));
    assert!(live_children().is_empty());
}

#[test]
fn fork_then_exec_starts_with_a_fresh_lock() {
    let _lock = fork_lock();
    let run = spawn_and_lock(Path::new(BIN)).unwrap();
    assert!(run.exec);
    assert!(run.held_at_fork);
    assert!(run.took_lock);
    assert!(!run.hung);
    assert_eq!(run.status, WaitStatus::Exited(run.pid, 0));
    assert!(live_children().is_empty());
}

#[test]
fn the_hang_does_not_depend_on_the_time_limit() {
    let _lock = fork_lock();
    // A limit ten times longer changes nothing: the child never takes the lock.
    for limit in [Duration::from_millis(100), Duration::from_secs(1)] {
        let run = fork_and_lock(true, limit).unwrap();
        assert!(run.reached_lock && run.hung && !run.took_lock, "{limit:?}");
        assert_eq!(
            run.status,
            WaitStatus::Signaled(run.pid, Signal::SIGKILL, false)
        );
    }
    assert!(live_children().is_empty());
}

#[test]
fn cli_reports_json() {
    let _lock = fork_lock();
    let report = json_report(BIN, &["--timeout-ms", "200"]);
    assert_eq!(report.lab, "fork-in-threads");
    let value = |id: &str| report.get(id).unwrap_or_else(|| panic!("{id}")).median;
    assert_eq!(value("fork-in-threads/fork-lock-held/hung"), 1.0);
    assert_eq!(value("fork-in-threads/fork-lock-held/took-lock"), 0.0);
    assert_eq!(value("fork-in-threads/fork-lock-held/reached-lock"), 1.0);
    assert_eq!(value("fork-in-threads/fork-lock-free/hung"), 0.0);
    assert_eq!(value("fork-in-threads/fork-lock-free/took-lock"), 1.0);
    assert_eq!(value("fork-in-threads/fork-exec-lock-held/hung"), 0.0);
    assert_eq!(value("fork-in-threads/fork-exec-lock-held/took-lock"), 1.0);
    assert!(live_children().is_empty());
}

#[test]
fn cli_readable_report() {
    let _lock = fork_lock();
    let text = run_ok(BIN, &["--timeout-ms", "200"]);
    assert!(text.starts_with("fork-in-threads: "));
    assert!(text.contains("hung, killed by SIGKILL"));
    assert!(text.contains("the child hung on a lock that no thread in it will ever release"));
    assert!(text.contains("What to observe:"));
}

#[test]
fn cli_bad_flags_exit_2_with_one_line() {
    let _lock = fork_lock();
    for bad in [
        &["--timeout-ms", "0"][..],
        &["--timeout-ms", "x"],
        &["--nope"],
    ] {
        assert_usage_error(BIN, bad);
    }
}

#[test]
fn cli_help_exits_0() {
    let _lock = fork_lock();
    let text = assert_help(BIN, &["Barrier"]);
    assert!(
        !text.contains("--lock-fresh"),
        "the internal flag is hidden"
    );
}

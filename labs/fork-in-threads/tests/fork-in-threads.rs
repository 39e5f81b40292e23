//! What the fork-in-threads page claims: a child forked while another thread holds a lock
//! reaches the lock and hangs there until it is killed; with the lock free it takes it and
//! exits 0; a program started with Command (a child that execs at once) takes its own fresh
//! lock while the parent's is held; every child is reaped.

#![cfg(target_os = "linux")]

use fork_in_threads::{
    ALLOCATOR_FORKS, CONTRAST_LIMIT, GLOBAL, VFORK_ADVANCE, VFORK_SAW_PROGRESS, fork_and_lock,
    spawn_and_lock, vfork_while_counting,
};
use kit::testing::{
    assert_medians, fork_lock, json_report, lab_report, live_children, median, run_ok,
};
use nix::sys::signal::Signal;
use nix::sys::wait::WaitStatus;
use std::path::Path;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_fork-in-threads");

/// A run small enough for a test: the flags every test that only needs the lab to finish
/// uses.
const QUICK: &[&str] = &["--timeout-ms", "200"];

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
}

/// The contrast to the hung child above: glibc's `fork` takes every malloc arena lock before
/// the clone and re-initialises them in the child (posix/fork.c, malloc/arena.c), so children
/// forked while other threads allocate and free in a tight loop can allocate. These children
/// call malloc after fork in a multithreaded process, which POSIX does not allow: the test
/// shows glibc's behaviour, and only runs on glibc.
#[cfg(target_env = "gnu")]
#[test]
fn on_glibc_children_forked_while_other_threads_allocate_can_allocate() {
    use fork_in_threads::fork_while_allocating;
    let _lock = fork_lock();
    let run = fork_while_allocating(CONTRAST_LIMIT).unwrap();
    if let Some(failure) = &run.failure {
        panic!(
            "fork {} of {ALLOCATOR_FORKS}: child {} {} within {CONTRAST_LIMIT:?}{}; waitpid \
             returned {:?}. glibc's fork should have re-initialised the malloc locks in it.",
            failure.index,
            failure.pid,
            if failure.allocated {
                "allocated but had not exited"
            } else {
                "had not finished allocating"
            },
            if failure.hung {
                ", so it was killed (SIGKILL) and reaped"
            } else {
                ""
            },
            failure.status,
        );
    }
    assert_eq!(run.forks, ALLOCATOR_FORKS);
    assert_eq!(run.exited_0, ALLOCATOR_FORKS);
    // The other threads really were allocating while main forked.
    assert!(run.allocations_meanwhile > 0);
}

#[test]
fn clone_vfork_suspends_only_the_calling_thread() {
    let _lock = fork_lock();
    let run = vfork_while_counting(CONTRAST_LIMIT).unwrap();
    // The child exits VFORK_SAW_PROGRESS only once the counter has moved by VFORK_ADVANCE,
    // which only the parent's other thread could do while the calling thread was in clone.
    assert_eq!(
        run.status,
        WaitStatus::Exited(run.pid, VFORK_SAW_PROGRESS),
        "the child did not see the counter move by {VFORK_ADVANCE} within {CONTRAST_LIMIT:?} \
         ({} to {})",
        run.counter_at_child_start,
        run.counter_at_child_end,
    );
    assert!(run.counter_at_child_end - run.counter_at_child_start >= VFORK_ADVANCE);
    // And the calling thread was suspended: the child had stored its verdict before clone
    // returned.
    assert!(run.verdict_before_clone_returned);
}

#[test]
fn cli_reports_json() {
    let _lock = fork_lock();
    let report = lab_report(BIN, "fork-in-threads", QUICK);
    assert_medians(
        &report,
        &[
            ("fork-in-threads/fork-lock-held/hung", 1.0),
            ("fork-in-threads/fork-lock-held/took-lock", 0.0),
            ("fork-in-threads/fork-lock-held/reached-lock", 1.0),
            ("fork-in-threads/fork-lock-free/hung", 0.0),
            ("fork-in-threads/fork-lock-free/took-lock", 1.0),
            ("fork-in-threads/fork-exec-lock-held/hung", 0.0),
            ("fork-in-threads/fork-exec-lock-held/took-lock", 1.0),
        ],
    );
}

#[cfg(target_env = "gnu")]
#[test]
fn cli_allocator_demo_reports_no_hang() {
    let _lock = fork_lock();
    let report = json_report(BIN, &["--demo", "allocator"]);
    assert_eq!(
        median(&report, "fork-in-threads/allocator/forks"),
        ALLOCATOR_FORKS as f64
    );
    assert_eq!(
        median(&report, "fork-in-threads/allocator/exited-0"),
        ALLOCATOR_FORKS as f64
    );
    assert_medians(&report, &[("fork-in-threads/allocator/hung", 0.0)]);
    let text = run_ok(BIN, &["--demo", "allocator"]);
    assert!(text.contains("POSIX does not"));
    assert!(text.contains("What to observe: no child hung in malloc or free."));
}

#[test]
fn cli_vfork_demo_reports_progress() {
    let _lock = fork_lock();
    let report = json_report(BIN, &["--demo", "vfork"]);
    assert_medians(
        &report,
        &[
            ("fork-in-threads/vfork/saw-progress", 1.0),
            ("fork-in-threads/vfork/suspended-caller", 1.0),
        ],
    );
    let text = run_ok(BIN, &["--demo", "vfork"]);
    assert!(text.contains("What to observe: the counter kept moving while the child ran"));
}

#[test]
fn cli_readable_report() {
    let _lock = fork_lock();
    let text = run_ok(BIN, QUICK);
    assert!(text.starts_with("fork-in-threads: "));
    assert!(text.contains("hung, killed by SIGKILL"));
    assert!(text.contains("the child hung on a lock that no thread in it will ever release"));
    assert!(text.contains("What to observe:"));
}

kit::cli_contract! {
    bin: BIN,
    refused: [
        &["--timeout-ms", "0"],
        &["--timeout-ms", "x"],
        &["--nope"],
        &["--demo", "nope"],
    ],
    help_mentions: ["Barrier", "--demo", "CLONE_VFORK"],
    help_hides: ["--lock-fresh"],
    quick_run: QUICK,
    // A hung child that gets a minute: it is alive when the signal comes.
    busy_run: ["--timeout-ms", "60000"],
}

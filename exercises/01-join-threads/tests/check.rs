//! Exercise 1 is solved when `run_all` waits for every task it started.

use join_threads::{Task, run_all};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Four tasks that each take a while, as real work does, then count themselves finished.
fn slow_tasks(finished: &Arc<AtomicUsize>) -> Vec<Task> {
    (0..4)
        .map(|_| {
            let finished = Arc::clone(finished);
            Box::new(move || {
                // Half a second: far longer than starting four threads takes, so a `run_all`
                // that does not wait returns well before any task is done.
                std::thread::sleep(Duration::from_millis(500));
                finished.fetch_add(1, Ordering::SeqCst);
            }) as Task
        })
        .collect()
}

#[test]
fn run_all_returns_only_after_every_task_has_finished() {
    let finished = Arc::new(AtomicUsize::new(0));
    run_all(slow_tasks(&finished));
    let done = finished.load(Ordering::SeqCst);
    assert!(
        done == 4,
        "run_all returned while {} of its 4 tasks were still running: it never waited for \
         its threads. In `main`, those tasks would have been cut off when main returned.",
        4 - done
    );
}

#[test]
fn a_task_that_panics_is_not_silently_lost() {
    let finished = Arc::new(AtomicUsize::new(0));
    let mut tasks = slow_tasks(&finished);
    tasks.push(Box::new(|| panic!("task failed on purpose")));
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(move || run_all(tasks)));
    assert!(
        outcome.is_err(),
        "a task panicked, and run_all returned as if nothing had happened: `join` returns \
         the panic as an `Err`; pass it on (std::panic::resume_unwind) instead of ignoring it"
    );
    assert_eq!(
        finished.load(Ordering::SeqCst),
        4,
        "the other tasks finished too"
    );
}

//! Exercise 1 is solved when `run_all` waits for every task it started, runs them at the same
//! time, and passes a task's panic on only once every task has finished.

use join_threads::{Task, run_all};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
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
    // First, so that it is the first thread joined: the slow ones are still running then.
    // `resume_unwind` panics without calling the panic hook, so the thread ends at once
    // instead of printing a message (or a backtrace) first.
    tasks.insert(
        0,
        Box::new(|| std::panic::resume_unwind(Box::new("task failed on purpose"))),
    );
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(move || run_all(tasks)));
    assert!(
        outcome.is_err(),
        "a task panicked, and run_all returned as if nothing had happened: `join` returns \
         the panic as an `Err`; pass it on (std::panic::resume_unwind) instead of ignoring it"
    );
    let done = finished.load(Ordering::SeqCst);
    assert!(
        done == 4,
        "run_all passed a task's panic on before {} of the other 4 tasks had finished. \
         Unwinding out of the join loop at the first `Err` drops the handles not yet joined, \
         which detaches their threads. Join every thread first, keep the first panic, and \
         pass it on after the loop.",
        4 - done
    );
}

/// How long a task waits for the others to start before it gives up. Started together, they
/// all start within a moment; only tasks run one after another get anywhere near it.
const PATIENCE: Duration = Duration::from_secs(10);

/// Where the tasks of `meeting_tasks` wait for each other.
#[derive(Default)]
struct Meeting {
    arrivals: Mutex<Arrivals>,
    changed: Condvar,
}

#[derive(Default)]
struct Arrivals {
    /// How many tasks have started.
    started: usize,
    /// How many had started when a task gave up waiting for the rest, if one did.
    gave_up_at: Option<usize>,
}

/// Four tasks that each wait until all four have started, as tasks that hand work to each
/// other must. Run one after another, the first would wait forever for the others: it gives
/// up after `PATIENCE` instead, and the ones after it do not wait at all.
fn meeting_tasks(meeting: &Arc<Meeting>) -> Vec<Task> {
    (0..4)
        .map(|_| {
            let meeting = Arc::clone(meeting);
            Box::new(move || {
                let mut arrivals = meeting.arrivals.lock().expect("no task panics");
                arrivals.started += 1;
                meeting.changed.notify_all();
                let (mut arrivals, _) = meeting
                    .changed
                    .wait_timeout_while(arrivals, PATIENCE, |a| {
                        a.started < 4 && a.gave_up_at.is_none()
                    })
                    .expect("no task panics");
                if arrivals.started < 4 && arrivals.gave_up_at.is_none() {
                    arrivals.gave_up_at = Some(arrivals.started);
                    meeting.changed.notify_all();
                }
            }) as Task
        })
        .collect()
}

#[test]
fn the_tasks_run_at_the_same_time() {
    let meeting = Arc::new(Meeting::default());
    run_all(meeting_tasks(&meeting));
    let arrivals = meeting.arrivals.lock().expect("no task panics");
    if let Some(started) = arrivals.gave_up_at {
        panic!(
            "a task waited {PATIENCE:?} for the other tasks, and only {started} of the 4 had \
             started: run_all ran the tasks one after another, joining each thread before it \
             started the next. Spawn them all first, then join them."
        );
    }
    assert!(
        arrivals.started == 4,
        "run_all returned when only {} of its 4 tasks had started",
        arrivals.started
    );
}

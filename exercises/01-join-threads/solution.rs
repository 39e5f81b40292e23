//! Exercise 1: join the threads before returning. The solution.
//!
//! Start every thread first, then join each one: the tasks still run at the same time, and
//! `run_all` returns only after the last one has finished, also when one of them panicked.

use std::thread;

/// A piece of work for a thread: a closure that can be sent to another thread and run once.
pub type Task = Box<dyn FnOnce() + Send + 'static>;

// ANCHOR: run_all
/// Runs every task on a thread of its own, and returns when all of them have finished.
pub fn run_all(tasks: Vec<Task>) {
    // Start them all before waiting for any, so that they run at the same time.
    let handles: Vec<_> = tasks.into_iter().map(thread::spawn).collect();
    // `join` waits for the thread to end. It returns `Err` if the task panicked: keep the
    // first panic, but join the rest before passing it on. Unwinding out of this loop at
    // once would drop the handles not yet joined, which detaches their threads.
    let mut first_panic = None;
    for handle in handles {
        if let Err(panic) = handle.join() {
            first_panic.get_or_insert(panic);
        }
    }
    if let Some(panic) = first_panic {
        std::panic::resume_unwind(panic);
    }
}
// ANCHOR_END: run_all

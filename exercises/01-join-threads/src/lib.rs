//! Exercise 1: join the threads before returning.
//!
//! `run_all` starts a thread for each task and returns at once. Whoever called it then looks
//! at the tasks' work and finds some of it missing; if the caller is `main`, the program ends
//! and the unfinished threads are stopped wherever they were.
//!
//! Make `run_all` return only once every task has finished. Run `cargo book exercises` to
//! check. Chapter: "Threads not joined, children not reaped" (src/mistakes/join.md).

use std::thread;

/// A piece of work for a thread: a closure that can be sent to another thread and run once.
pub type Task = Box<dyn FnOnce() + Send + 'static>;

// ANCHOR: run_all
/// Runs every task on a thread of its own, and returns when all of them have finished.
pub fn run_all(tasks: Vec<Task>) {
    for task in tasks {
        // TODO: `spawn` returns a `JoinHandle`, dropped here, which detaches the thread:
        // nobody waits for it. Keep every handle, and join them all before returning.
        thread::spawn(task);
    }
}
// ANCHOR_END: run_all

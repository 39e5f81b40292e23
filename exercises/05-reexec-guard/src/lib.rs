//! Exercise 5: guard a program that re-runs itself.
//!
//! This program starts its workers by running its own executable again. But every copy runs
//! from the top, so every worker starts workers of its own, which start workers… a fork bomb
//! (a safety net in src/cage.rs stops it after one generation). Make the parent mark its
//! workers, and make every copy look for the mark before doing anything else. Run `cargo book
//! exercises` to check. Chapter: "The fork bomb" (src/mistakes/fork-bomb-guard.md).

mod cage;

use std::process::{Child, ExitCode};

/// How many workers the program starts.
pub const WORKERS: usize = 2;

/// The mark: an environment variable that the parent sets on each worker, to its number.
pub const WORKER_MARK: &str = "REEXEC_GUARD_WORKER";

// ANCHOR: guard
/// The whole program (src/main.rs only calls this). Every copy of the program starts here:
/// the parent, and each worker, which is this same executable run again.
pub fn main() -> ExitCode {
    // TODO: workers run this too, and start workers of their own before they ever look for
    // the mark. Look for the mark first: a worker must only `work`.
    let outcome = start_workers();
    if let Ok(number) = std::env::var(WORKER_MARK) {
        return work(&number);
    }
    outcome
}

/// Starts worker `number`: this same program, run again.
fn start_worker(number: usize) -> std::io::Result<Child> {
    let mut command = cage::copy_of_this_program()?;
    // TODO: nothing tells the copy that it is a worker, or which one. Mark it: give it
    // WORKER_MARK, set to `number`, in its environment (`Command::env`).
    let _ = number; // unused, until then
    command.spawn()
}
// ANCHOR_END: guard

/// The parent's job: start the workers, wait for each one, and report.
fn start_workers() -> ExitCode {
    let mut workers = Vec::new();
    for number in 0..WORKERS {
        match start_worker(number) {
            Ok(child) => workers.push(child),
            Err(error) => eprintln!("cannot start worker {number}: {error}"),
        }
    }
    let succeeded = workers
        .into_iter()
        .filter_map(|mut worker| worker.wait().ok())
        .filter(|status| status.success())
        .count();
    println!("parent: {succeeded} of {WORKERS} workers succeeded");
    if succeeded == WORKERS {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// A worker's job.
fn work(number: &str) -> ExitCode {
    println!("worker {number}: working");
    ExitCode::SUCCESS
}

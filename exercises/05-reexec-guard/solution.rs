//! Exercise 5: guard a program that re-runs itself. The solution.
//!
//! The parent marks each worker with an environment variable, and the first thing every copy
//! does is look for it: Rust's spelling of Python's `if __name__ == "__main__":`.

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
    // The guard comes first: nothing a worker must not do may run before it.
    if let Ok(number) = std::env::var(WORKER_MARK) {
        return work(&number);
    }
    start_workers()
}

/// Starts worker `number`: this same program, run again.
fn start_worker(number: usize) -> std::io::Result<Child> {
    let mut command = cage::copy_of_this_program()?;
    command.env(WORKER_MARK, number.to_string());
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

//! Exercise 7: size a worker pool.
//!
//! `run_pool` runs CPU-bound tasks on a pool of threads that take the tasks one by one. The
//! pool is as large as `pool_size` says, and `pool_size` says: one thread per task. Ten
//! thousand tasks, ten thousand threads. Make `pool_size` fit the machine. Run `cargo book
//! exercises` to check. Chapter: "Too many threads" (src/mistakes/too-many-threads.md).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

// ANCHOR: pool_size
/// How many threads to run `tasks` CPU-bound tasks on.
pub fn pool_size(tasks: usize) -> usize {
    // TODO: a thread per task is too many. For CPU-bound work, threads beyond the number the
    // machine can run at once add stacks and switching, not speed. Use as many threads as it
    // can run at once, but never more than there are tasks, and at least one.
    tasks
}
// ANCHOR_END: pool_size

// ANCHOR: run_pool
/// Runs `task(i)` for every `i` in `0..tasks` on `pool_size(tasks)` threads, and returns the
/// results in order. Each thread takes the next task number until none are left.
pub fn run_pool<T: Send>(tasks: usize, task: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let mut results: Vec<Option<T>> = (0..tasks).map(|_| None).collect();
    thread::scope(|s| {
        let workers: Vec<_> = (0..pool_size(tasks))
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= tasks {
                            return done;
                        }
                        done.push((i, task(i)));
                    }
                })
            })
            .collect();
        for worker in workers {
            for (i, result) in worker.join().expect("a task panicked") {
                results[i] = Some(result);
            }
        }
    });
    results
        .into_iter()
        .map(|r| r.expect("every task ran"))
        .collect()
}
// ANCHOR_END: run_pool

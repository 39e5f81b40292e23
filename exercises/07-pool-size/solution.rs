//! Exercise 7: size a worker pool. The solution.
//!
//! For CPU-bound tasks, the right number of threads is the number the machine can run at once
//! (`std::thread::available_parallelism`), capped by the number of tasks.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

// ANCHOR: pool_size
/// How many threads to run `tasks` CPU-bound tasks on.
pub fn pool_size(tasks: usize) -> usize {
    // As many threads as the machine can run at once: its logical CPUs, or fewer if this
    // process may only use some of them (taskset, cgroup quotas). If that cannot be found
    // out, one thread is always right, if slow.
    let cpus = thread::available_parallelism().map_or(1, |n| n.get());
    // No idle threads for a handful of tasks, and never an empty pool.
    cpus.min(tasks).max(1)
}
// ANCHOR_END: pool_size

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

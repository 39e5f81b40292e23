//! Exercise 7 is solved when the pool fits the machine, whatever the number of tasks.

use pool_size::{pool_size, run_pool};
use std::thread;

/// How many threads this process can run at once.
fn cpus() -> usize {
    thread::available_parallelism().map_or(1, |n| n.get())
}

#[test]
fn many_tasks_get_one_thread_per_cpu() {
    let cpus = cpus();
    for tasks in [cpus * 4, 10_000] {
        assert!(
            pool_size(tasks) == cpus,
            "pool_size({tasks}) is {}, on a machine that runs {cpus} threads at once: the \
             extra threads only wait for a CPU, each with a stack of its own",
            pool_size(tasks)
        );
    }
}

#[test]
fn few_tasks_get_no_idle_threads() {
    assert_eq!(pool_size(1), 1, "one task needs one thread");
    assert!(
        (1..=cpus()).contains(&pool_size(0)),
        "an empty pool would run nothing; pool_size(0) is {}",
        pool_size(0)
    );
}

#[test]
fn the_pool_runs_every_task_once_and_keeps_their_order() {
    let squares = run_pool(500, |i| i * i);
    assert_eq!(squares, (0..500).map(|i| i * i).collect::<Vec<_>>());
}

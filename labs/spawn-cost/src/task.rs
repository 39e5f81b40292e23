//! The task kind: `tokio::spawn` of a future that only counts itself, and an `.await` of its
//! `JoinHandle`, timed from inside a task on a multi-thread runtime.
//!
//! A task is a value the runtime polls on its own worker threads; creating one asks the
//! kernel for nothing (tokio's docs, module `tokio::task`: "creating new tasks or switching
//! between tasks does not require a context switch"). It is timed by the method of every
//! other kind: [`WARM_UP_ROUNDS`] unrecorded rounds, then each recorded round timed with
//! `Instant`, in a fresh copy of the lab ([`measure_in_fresh_process`]). Only the loop is
//! written again, because a round is awaited, which `kit::lab::time_rounds`'s closure
//! cannot do.
//!
//! Why that method and not criterion, for this kind too:
//!
//! - The kinds are one comparison, and their ratios are only fair if one method times all
//!   of them. The process kinds cannot be timed by criterion without changing them: `fork`
//!   copies the page tables of whatever the forking process holds (fork(2)), and a bench
//!   process would hold criterion's samples and, beside the task kind, a runtime's worker
//!   threads and their stacks. Here the runtime exists only in the task kind's copy, and
//!   every process kind forks from a copy that never built one.
//! - A task spawn of a microsecond or less is still long enough to time one round at a time:
//!   `Instant::now` reads `CLOCK_MONOTONIC` through the vDSO (vdso(7)), some tens of
//!   nanoseconds, and the median of many rounds sets aside the odd slow one. What criterion
//!   would add, a confidence interval from batched iterations, does not change which kind is
//!   cheaper by how many times.
//!
//! Every round's body counts itself, and the copy fails unless every round ran
//! ([`measure_tasks`]): a round that was timed but did nothing would be a cheap lie.
//!
//! [`WARM_UP_ROUNDS`]: crate::WARM_UP_ROUNDS
//! [`measure_in_fresh_process`]: crate::measure_in_fresh_process

use crate::WARM_UP_ROUNDS;
use anyhow::ensure;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The task kind's rounds: the time of each recorded round, and how many task bodies ran
/// (warm-up included), which must be every round.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRounds {
    pub samples: Vec<Duration>,
    pub ran: usize,
}

// ANCHOR: task
/// Spawns a task that only counts itself and awaits its end. Called from inside a task, where
/// async code spawns: the new task goes to this worker's LIFO slot, the task it runs next
/// (`schedule_local` in tokio's `runtime/scheduler/multi_thread/worker.rs`), and the `.await`
/// returns `Pending` until the task has run and its `JoinHandle` is woken.
pub async fn spawn_task_once(ran: &Arc<AtomicUsize>) {
    let ran = Arc::clone(ran);
    let handle = tokio::spawn(async move {
        ran.fetch_add(1, Ordering::Relaxed);
    });
    handle.await.expect("a task that only counts cannot panic");
}

/// [`WARM_UP_ROUNDS`] unrecorded rounds of [`spawn_task_once`], then `rounds` rounds timed
/// one by one, all inside one task on a multi-thread runtime with the default number of
/// workers (one per core), the flavour a `#[tokio::main]` program gets, but without its I/O
/// and time drivers (`enable_all`), which the rounds do not use.
pub fn measure_tasks(rounds: usize) -> anyhow::Result<TaskRounds> {
    let runtime = tokio::runtime::Builder::new_multi_thread().build()?;
    let ran = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&ran);
    // Spawned, not run in `block_on`: `block_on`'s future "does not run as a worker"
    // (`Runtime::block_on`'s docs), so a spawn from there would go through the shared queue
    // and wake a parked worker, and each round would time that wake-up.
    let samples = runtime.block_on(runtime.spawn(async move {
        for _ in 0..WARM_UP_ROUNDS {
            spawn_task_once(&counter).await;
        }
        let mut samples = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let start = Instant::now();
            spawn_task_once(&counter).await;
            samples.push(start.elapsed());
        }
        samples
    }))?;
    let ran = ran.load(Ordering::Relaxed);
    Ok(TaskRounds { samples, ran })
}
// ANCHOR_END: task

/// The task kind's samples for the lab: [`measure_tasks`], and an error unless every round,
/// warm-up included, ran its body.
pub fn measure(rounds: usize) -> anyhow::Result<Vec<Duration>> {
    let TaskRounds { samples, ran } = measure_tasks(rounds)?;
    let expected = WARM_UP_ROUNDS + rounds;
    ensure!(ran == expected, "task: {ran} of {expected} rounds ran");
    Ok(samples)
}

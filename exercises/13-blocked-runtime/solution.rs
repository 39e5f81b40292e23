//! Exercise 13: unblock a runtime whose only thread a task keeps busy. The solution.
//!
//! The job's blocking steps move to Tokio's blocking thread pool (`spawn_blocking`), and the
//! job awaits them there; the runtime's one thread is free to run the heartbeat meanwhile.
//! Chapter: "Tasks: the third way" (src/differences/tasks.md).

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How often the heartbeat ticks.
const TICK: Duration = Duration::from_millis(1);
/// One step of the job.
pub const STEP: Duration = Duration::from_millis(10);
/// The job gives up watching for a tick after this many steps: with a working heartbeat it
/// sees one after its first step or two, so only a stalled heartbeat gets this far.
pub const MAX_STEPS: u32 = 300;

/// What one run of the job shows.
#[derive(Debug, Clone, Copy)]
pub struct JobRun {
    /// How many times the heartbeat ticked while the job ran.
    pub ticks: u64,
    /// How many of the job's blocking steps ran on the runtime's own thread, blocking it.
    pub steps_on_runtime_thread: u32,
}

thread_local! {
    /// Whether this thread is the runtime's: true on the thread in `run_job`'s `block_on`,
    /// which is the only thread a current-thread runtime polls tasks on. Tokio's blocking
    /// pool threads are other threads, so it is false there.
    static RUNTIME_THREAD: Cell<bool> = const { Cell::new(false) };
    /// How many blocking steps this thread ran while it was the runtime's.
    static STEPS_ON_RUNTIME_THREAD: Cell<u32> = const { Cell::new(0) };
}

/// Runs the heartbeat and the job on a current-thread runtime (one thread runs every task).
pub fn run_job() -> JobRun {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a current-thread runtime with a timer");
    RUNTIME_THREAD.set(true);
    STEPS_ON_RUNTIME_THREAD.set(0);
    let ticks = runtime.block_on(async {
        let ticks = Arc::new(AtomicU64::new(0));
        let heartbeat = tokio::spawn(heartbeat(Arc::clone(&ticks)));
        let seen = job(ticks).await;
        heartbeat.abort();
        seen
    });
    RUNTIME_THREAD.set(false);
    JobRun {
        ticks,
        steps_on_runtime_thread: STEPS_ON_RUNTIME_THREAD.get(),
    }
}

/// One step of the job's work: synchronous code that blocks the thread it runs on for `STEP`
/// (think of a synchronous read, a lock or a chunk of computation). It notes whether it ran
/// on the runtime's thread: while it runs there, no task can be polled, yield or no yield.
pub fn blocking_step() {
    if RUNTIME_THREAD.get() {
        STEPS_ON_RUNTIME_THREAD.set(STEPS_ON_RUNTIME_THREAD.get() + 1);
    }
    std::thread::sleep(STEP);
}

/// Ticks forever. `tokio::time::sleep` returns `Pending` and lets the thread run other tasks
/// until the timer wakes this one.
async fn heartbeat(ticks: Arc<AtomicU64>) {
    loop {
        tokio::time::sleep(TICK).await;
        ticks.fetch_add(1, Ordering::Relaxed);
    }
}

// ANCHOR: job
/// The job: it works in steps and, after each, looks at the heartbeat. It stops as soon as it
/// has seen a tick (or after `MAX_STEPS`) and returns how many ticks it saw.
async fn job(ticks: Arc<AtomicU64>) -> u64 {
    // The steps block, so they run on Tokio's blocking pool, a thread of their own; this task
    // only awaits the result, and while it waits the runtime's thread polls the heartbeat.
    let steps = tokio::task::spawn_blocking(move || {
        let start = ticks.load(Ordering::Relaxed);
        for _ in 0..MAX_STEPS {
            blocking_step();
            if ticks.load(Ordering::Relaxed) > start {
                break;
            }
        }
        ticks.load(Ordering::Relaxed) - start
    });
    steps.await.expect("the blocking steps do not panic")
}
// ANCHOR_END: job

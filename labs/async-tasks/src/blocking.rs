//! The blocking mistake: a CPU loop inside a task stalls every other task on its worker.
//!
//! A ticker task sleeps one millisecond at a time and notes how late each wake-up comes.
//! Beside it, a loop of CPU work with no `.await` runs, once as a task on the runtime's worker
//! (the mistake) and once through `spawn_blocking` (the fix).
//!
//! The runtime is `Builder::new_multi_thread().worker_threads(1)`: the shape `#[tokio::main]`
//! gives a program (a multi-thread runtime), shrunk to one worker so that the stall is
//! certain. With several workers an idle one, parked in the driver, fires the ticker's timer
//! and runs the woken ticker itself (or steals it from the busy worker's run queue), so the
//! stall almost always vanishes. It can still come if the busy worker fired the ticker's timer
//! itself, which puts the woken ticker in its own LIFO slot, and then took the loop from the
//! global queue first (`schedule_local` and `next_task` in tokio's
//! `runtime/scheduler/multi_thread/worker.rs`): "other worker threads cannot steal the task in
//! the lifo slot" (tokio's docs, module `tokio::runtime`). [`Round::workers`] records the
//! count, and the lab checks "no tick during the loop" only for one worker.
//!
//! Not `new_current_thread`: there the thread that calls `block_on` is the worker, and spawned
//! tasks run only while some thread is inside `block_on` (tokio's docs of `Runtime::block_on`:
//! "Any spawned tasks will be suspended after `block_on` returns"); on a multi-thread runtime
//! the ticker keeps running on its worker while the lab's main thread watches from outside.
//!
//! Why the stall is certain, not likely: tokio's tasks are scheduled cooperatively (module
//! docs of `tokio::task`, "a task is allowed to run until it _yields_"). A worker runs one task
//! at a time, and a task gives the worker back only when its `poll` returns, at an `.await`
//! that is not ready. tokio cannot preempt a task: its budget (`tokio::task::coop`) only makes
//! tokio's own resources return `Pending` after a number of operations, so it can reach a task
//! only at an `.await` on one of them, and the loop has none. The one worker also drives the
//! timer, and only between two polls: when it parks with nothing to run, and every
//! `event_interval` tasks in its maintenance (`park` and `maintenance` in tokio's
//! `runtime/scheduler/multi_thread/worker.rs`), so the ticker's sleep cannot even end while
//! the loop runs. `spawn_blocking` runs the closure on "a dedicated thread pool for blocking
//! tasks" (same docs, "Blocking and Yielding"), threads the runtime creates on demand. The
//! pool thread that runs the closure polls no task while it runs it, so the worker stays free
//! for the ticker and the timer.
//!
//! What the tests assert is structure, not time: [`cpu_loop`] reads the ticker's count at its
//! start and at its end. On the worker the ticker completes no tick in between, exactly; on
//! the blocking pool it completes at least one.

use anyhow::{Context, ensure};
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

/// How long the ticker sleeps each time.
pub const TICK: Duration = Duration::from_millis(1);

/// Ticks the ticker completes before the loop starts, so it is known to be ticking.
pub const TICKS_BEFORE: usize = 5;

/// How long the lab waits for ticks that should come within milliseconds: only a hung
/// runtime reaches it.
const PATIENCE: Duration = Duration::from_secs(30);

/// Where the CPU loop runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// As a task on the runtime's one worker: the mistake.
    OnWorker,
    /// On the blocking pool, through `spawn_blocking`: the fix.
    SpawnBlocking,
}

impl Mode {
    pub const ALL: [Mode; 2] = [Mode::OnWorker, Mode::SpawnBlocking];

    /// The record's last word: `async-tasks/blocking/stalled` or `…/fixed`.
    pub fn name(self) -> &'static str {
        match self {
            Mode::OnWorker => "stalled",
            Mode::SpawnBlocking => "fixed",
        }
    }

    /// Where the loop ran, in words, on a runtime of `workers` worker threads.
    pub fn how(self, workers: usize) -> String {
        match (self, workers) {
            (Mode::OnWorker, 1) => "the loop as a task on the one worker (tokio::spawn)".to_owned(),
            (Mode::OnWorker, n) => {
                format!("the loop as a task on one of {n} workers (tokio::spawn)")
            }
            (Mode::SpawnBlocking, _) => "the loop on the blocking pool (spawn_blocking)".to_owned(),
        }
    }

    pub fn id(self) -> String {
        format!("async-tasks/blocking/{}", self.name())
    }
}

// ANCHOR: ticker
/// Sleeps one [`TICK`] at a time until `stop`, counting each wake-up in `ticks`, and returns
/// the worst lateness: how long after its deadline a wake-up came.
pub async fn ticker(ticks: Arc<AtomicUsize>, stop: Arc<AtomicBool>) -> Duration {
    let mut worst = Duration::ZERO;
    while !stop.load(Ordering::SeqCst) {
        let due = tokio::time::Instant::now() + TICK;
        tokio::time::sleep_until(due).await;
        worst = worst.max(due.elapsed());
        ticks.fetch_add(1, Ordering::SeqCst);
    }
    worst
}
// ANCHOR_END: ticker

/// What one CPU loop saw of the ticker, and how long it ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoopRun {
    pub ticks_at_start: usize,
    pub ticks_at_end: usize,
    pub length: Duration,
}

impl LoopRun {
    /// Ticks the ticker completed while the loop ran.
    pub fn ticks_during(&self) -> usize {
        self.ticks_at_end - self.ticks_at_start
    }
}

// ANCHOR: cpu_loop
/// CPU work with no `.await` in it, for `length`: it keeps whatever thread runs it. It reads
/// the ticker's count at its start and at its end.
pub fn cpu_loop(length: Duration, ticks: &AtomicUsize) -> LoopRun {
    let ticks_at_start = ticks.load(Ordering::SeqCst);
    let start = Instant::now();
    let mut x: u64 = 1;
    while start.elapsed() < length {
        for _ in 0..10_000 {
            x = black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1));
        }
    }
    LoopRun {
        ticks_at_start,
        ticks_at_end: ticks.load(Ordering::SeqCst),
        length: start.elapsed(),
    }
}
// ANCHOR_END: cpu_loop

// ANCHOR: mistake
/// The mistake: the loop as an ordinary task. It runs on the worker, and until it returns,
/// no other task on that worker is polled.
pub fn loop_on_worker(
    runtime: &Runtime,
    length: Duration,
    ticks: Arc<AtomicUsize>,
) -> JoinHandle<LoopRun> {
    runtime.spawn(async move { cpu_loop(length, &ticks) })
}
// ANCHOR_END: mistake

// ANCHOR: fix
/// The fix: the task hands the loop to the blocking pool and awaits it. Awaiting returns
/// `Pending`, so the worker is free until the loop's thread is done.
pub fn loop_on_blocking_pool(
    runtime: &Runtime,
    length: Duration,
    ticks: Arc<AtomicUsize>,
) -> JoinHandle<LoopRun> {
    runtime.spawn(async move {
        tokio::task::spawn_blocking(move || cpu_loop(length, &ticks))
            .await
            .expect("the loop cannot panic")
    })
}
// ANCHOR_END: fix

/// One round: the ticker and one CPU loop on a fresh runtime, of one worker as the lab ships.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub mode: Mode,
    /// The runtime's worker threads (tokio's `RuntimeMetrics::num_workers`): 1 unless a
    /// reader changed `worker_threads` in [`round`], as the page's "What to try next" suggests.
    pub workers: usize,
    pub cpu: LoopRun,
    /// The ticker's worst lateness over its whole run, which spans the loop.
    pub worst_lateness: Duration,
    /// Ticks the ticker completed in all.
    pub ticks: usize,
}

// ANCHOR: round
/// Runs the ticker, waits until it has ticked, runs one loop of `length` in `mode`, waits for
/// the ticker's next tick (the late one, if the loop stalled it), then stops the ticker.
pub fn round(mode: Mode, length: Duration) -> anyhow::Result<Round> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_time()
        .build()?;
    let ticks = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let ticking = runtime.spawn(ticker(Arc::clone(&ticks), Arc::clone(&stop)));
    wait_for_ticks(&ticks, TICKS_BEFORE)?;
    let work = match mode {
        Mode::OnWorker => loop_on_worker(&runtime, length, Arc::clone(&ticks)),
        Mode::SpawnBlocking => loop_on_blocking_pool(&runtime, length, Arc::clone(&ticks)),
    };
    let cpu = runtime.block_on(work)?;
    wait_for_ticks(&ticks, cpu.ticks_at_end + 1)?;
    stop.store(true, Ordering::SeqCst);
    let worst_lateness = runtime.block_on(ticking)?;
    let ticks = ticks.load(Ordering::SeqCst);
    Ok(Round {
        mode,
        workers: runtime.metrics().num_workers(),
        cpu,
        worst_lateness,
        ticks,
    })
}
// ANCHOR_END: round

/// Waits, outside the runtime, until the ticker has completed `count` ticks.
fn wait_for_ticks(ticks: &AtomicUsize, count: usize) -> anyhow::Result<()> {
    let start = Instant::now();
    while ticks.load(Ordering::SeqCst) < count {
        ensure!(
            start.elapsed() < PATIENCE,
            "the ticker made {} of {count} ticks in {PATIENCE:?}",
            ticks.load(Ordering::SeqCst)
        );
        std::thread::sleep(TICK);
    }
    Ok(())
}

/// `rounds` rounds of each mode, the mistake first.
pub fn rounds(rounds: usize, length: Duration) -> anyhow::Result<Vec<Round>> {
    let mut all = Vec::with_capacity(2 * rounds);
    for mode in Mode::ALL {
        for _ in 0..rounds {
            all.push(round(mode, length).with_context(|| format!("{mode:?}"))?);
        }
    }
    Ok(all)
}

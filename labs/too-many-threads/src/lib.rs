//! Mistake 4: a thread (or a process) for every small task.
//!
//! The same tasks run three ways: a new thread per task, a fixed pool of worker threads fed
//! through a channel, and a new process per task. Each way is timed, and its peak thread count
//! and memory are read from `/proc/self/status` while it runs. A separate demo shows what
//! happens when the system cannot make another thread: `std::thread::Builder::spawn` returns
//! the error, where `std::thread::spawn` would panic.

// The whole lab is Linux's (clone, /proc, prctl); off Linux, main.rs says so in one line.
#![cfg(target_os = "linux")]

use anyhow::bail;
use kit::spans::{OFF_CPU_NS, Origin, Recorder};
use kit::timeline::{Checkpoints, Timeline};
use kit::{Children, SharedRegion};
use nix::sys::wait::WaitStatus;
use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Mutex, mpsc};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

pub mod report;

/// Rounds of mixing per task: a few microseconds of CPU work, far less than creating a thread.
pub const TASK_ROUNDS: u32 = 200;

// ANCHOR: stack
/// The stack of every thread the lab spawns. Tasks need little stack, and a small one keeps
/// thousands of threads cheap (Rust's default for spawned threads is 2 MiB, the
/// `std::thread` docs).
pub const STACK_SIZE: usize = 64 * 1024;
// ANCHOR_END: stack

// ANCHOR: task
/// One small task: mix a number a few hundred times, as a hash function would.
pub fn task(id: u64) -> u64 {
    let mut x = id;
    for _ in 0..TASK_ROUNDS {
        // splitmix64's finaliser: cheap, and the optimiser cannot skip it.
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce5_e4b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^= x >> 31;
    }
    x
}
// ANCHOR_END: task

/// The checksum every mode must reproduce: the wrapping sum of all task results. A sum does
/// not depend on the order in which the tasks finished.
pub fn checksum_sequential(tasks: u64) -> u64 {
    (0..tasks).map(task).fold(0, u64::wrapping_add)
}

// ANCHOR: thread_per_task
/// The mistake: a new thread for every task. Each creation costs more than the task itself.
///
/// The pure form spawns every thread and then joins them all; here at most `max_live`
/// handles are kept, joining the oldest first, so a large `--tasks` cannot exhaust the
/// machine.
pub fn thread_per_task(tasks: u64, max_live: usize) -> io::Result<u64> {
    let mut live: VecDeque<JoinHandle<u64>> = VecDeque::with_capacity(max_live);
    let mut sum = 0u64;
    for id in 0..tasks {
        if live.len() == max_live {
            let oldest = live.pop_front().expect("max_live is at least 1");
            sum = sum.wrapping_add(oldest.join().expect("a task panicked"));
        }
        // Builder::spawn returns an error when no thread can be made; thread::spawn panics.
        let handle = thread::Builder::new()
            .stack_size(STACK_SIZE)
            .spawn(move || task(id))?;
        live.push_back(handle);
    }
    for handle in live {
        sum = sum.wrapping_add(handle.join().expect("a task panicked"));
    }
    Ok(sum)
}
// ANCHOR_END: thread_per_task

/// What the pool did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolRun {
    pub checksum: u64,
    /// How many tasks each worker thread ran; one entry per worker spawned.
    pub tasks_per_worker: Vec<u64>,
}

// ANCHOR: pool
/// The fix: `workers` threads, made once, take task ids from one channel until it is closed.
/// The receiving end is shared behind a `Mutex` (std's `mpsc::Receiver` has one owner).
pub fn pool(tasks: u64, workers: usize) -> io::Result<PoolRun> {
    let (sender, receiver) = mpsc::channel::<u64>();
    let receiver = Arc::new(Mutex::new(receiver));
    let mut handles = Vec::with_capacity(workers);
    for _ in 0..workers {
        let receiver = Arc::clone(&receiver);
        let handle = thread::Builder::new()
            .stack_size(STACK_SIZE)
            .spawn(move || {
                let (mut sum, mut done) = (0u64, 0u64);
                loop {
                    // The lock is held only while taking an id, not while working on it.
                    let next = receiver.lock().expect("lock poisoned").recv();
                    let Ok(id) = next else { break }; // closed and empty: no more tasks
                    sum = sum.wrapping_add(task(id));
                    done += 1;
                }
                (sum, done)
            })?;
        handles.push(handle);
    }
    for id in 0..tasks {
        sender.send(id).expect("the workers outlive the sender");
    }
    drop(sender); // closing the channel lets each worker's recv() fail once it is empty

    let mut run = PoolRun {
        checksum: 0,
        tasks_per_worker: Vec::with_capacity(workers),
    };
    for handle in handles {
        let (sum, done) = handle.join().expect("a worker panicked");
        run.checksum = run.checksum.wrapping_add(sum);
        run.tasks_per_worker.push(done);
    }
    Ok(run)
}
// ANCHOR_END: pool

/// What the process-per-task mode did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessRun {
    pub checksum: u64,
    /// The most children that existed at once (running, or exited and not yet reaped).
    pub peak_live: usize,
}

// ANCHOR: process_per_task
/// A new process for every task. A child's memory is its own copy, so each adds its result
/// to a counter in shared memory. At most `max_live` children exist at once: the oldest is
/// reaped before the next is forked, and every one must exit with status 0.
pub fn process_per_task(tasks: u64, max_live: usize) -> anyhow::Result<ProcessRun> {
    let sum = SharedRegion::<AtomicU64>::new()?;
    let mut children = Children::new();
    let mut peak_live = 0;
    for id in 0..tasks {
        if children.len() == max_live {
            reap_oldest(&mut children)?;
        }
        // SAFETY: the child only does arithmetic and one atomic add (async-signal-safe).
        unsafe {
            children.spawn(|| {
                sum.get().fetch_add(task(id), Ordering::Relaxed); // wraps, like the others
                0
            })
        }?;
        peak_live = peak_live.max(children.len());
    }
    while !children.is_empty() {
        reap_oldest(&mut children)?;
    }
    Ok(ProcessRun {
        checksum: sum.get().load(Ordering::SeqCst),
        peak_live,
    })
}

fn reap_oldest(children: &mut Children) -> anyhow::Result<()> {
    let pid = children.pids()[0];
    let status = children.wait(pid)?;
    if status != WaitStatus::Exited(pid, 0) {
        bail!("task process {pid} failed: {status:?}");
    }
    Ok(())
}
// ANCHOR_END: process_per_task

/// What the thread-limit demo saw.
#[derive(Debug)]
pub struct SpawnLimit {
    /// Threads that were created (all running at once) before the refusal.
    pub created: usize,
    /// The error `Builder::spawn` returned, or `None` if `max` threads were all created.
    pub error: Option<io::Error>,
}

// ANCHOR: spawn_until_refused
/// Creates threads that stay alive (parked) until the system refuses one, or `max` exist.
/// The refusal arrives as an `io::Error` from `Builder::spawn`: a value to report, not a
/// panic. Then every thread created is released and joined.
pub fn spawn_until_refused(stack_size: usize, max: usize) -> SpawnLimit {
    let release = Arc::new(AtomicBool::new(false));
    let mut handles = Vec::with_capacity(max);
    let mut error = None;
    while handles.len() < max {
        let release = Arc::clone(&release);
        let spawned = thread::Builder::new()
            .stack_size(stack_size)
            .spawn(move || {
                while !release.load(Ordering::Acquire) {
                    thread::park(); // may wake spuriously, hence the loop
                }
            });
        match spawned {
            Ok(handle) => handles.push(handle),
            Err(err) => {
                error = Some(err);
                break;
            }
        }
    }
    let created = handles.len();
    release.store(true, Ordering::Release);
    for handle in handles {
        handle.thread().unpark();
        handle.join().expect("a parked thread panicked");
    }
    SpawnLimit { created, error }
}
// ANCHOR_END: spawn_until_refused

/// Stack size for the thread-limit demo: large, so the limit is reached after a few threads.
pub const LIMIT_DEMO_STACK: usize = 64 << 20;

/// Address space the demo child may add to what it already uses: eight and a half stacks.
/// The new threads' malloc arenas share it: each reserves `HEAP_MAX_SIZE`, as much as one of
/// these stacks on 64-bit (`new_heap`, glibc's malloc/arena.c), so at most eight threads fit,
/// fewer for each arena mapped before the next stack. The half keeps a margin, so that when a
/// stack no longer fits, small allocations still do.
pub const LIMIT_DEMO_ALLOWANCE: u64 = 8 * LIMIT_DEMO_STACK as u64 + LIMIT_DEMO_STACK as u64 / 2;

// ANCHOR: lower_limit
/// Caps this process's address space (RLIMIT_AS, setrlimit(2)) at what it uses now plus
/// `allowance` bytes. Unlike RLIMIT_NPROC, this limit applies to root too. Only the soft limit
/// is lowered (the process could raise it again), so run it only in a child process made for
/// the demo, which exits when the demo is over.
pub fn limit_address_space(allowance: u64) -> anyhow::Result<u64> {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let limit = status_kib("VmSize")?.saturating_mul(1024) + allowance;
    let (_, hard) = getrlimit(Resource::RLIMIT_AS)?;
    setrlimit(Resource::RLIMIT_AS, limit, hard)?;
    Ok(limit)
}
// ANCHOR_END: lower_limit

/// The most threads the thread-limit demo tries to create.
pub const LIMIT_DEMO_MAX_THREADS: usize = 1_000;

/// The thread-limit demo's main, run in a child process made for it (the lab re-executes
/// itself with a hidden flag): cap the address space, then spawn until refused.
pub fn limit_demo_main() -> anyhow::Result<()> {
    let limit = limit_address_space(LIMIT_DEMO_ALLOWANCE)?;
    println!(
        "address space capped at {} (RLIMIT_AS); each thread asks for a {} stack",
        kit::table::bytes(limit as f64),
        kit::table::bytes(LIMIT_DEMO_STACK as f64)
    );
    let outcome = spawn_until_refused(LIMIT_DEMO_STACK, LIMIT_DEMO_MAX_THREADS);
    println!("threads created: {}", outcome.created);
    match outcome.error {
        Some(err) => println!("thread {} could not be created: {err}", outcome.created + 1),
        None => println!("all {LIMIT_DEMO_MAX_THREADS} threads were created"),
    }
    Ok(())
}

/// What the parent saw of the thread-limit demo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitDemo {
    /// Everything the child printed.
    pub lines: Vec<String>,
    pub created: usize,
    /// The child's line reporting the refused thread, if one was refused.
    pub refusal: Option<String>,
}

/// Runs the thread-limit demo in a fresh process (`exe --limit-demo`), so the lowered limit
/// never touches the lab itself. `Command::output` reaps the child; `kit::command` makes it
/// die with the lab.
pub fn run_limit_demo(exe: &std::path::Path) -> anyhow::Result<LimitDemo> {
    let output = kit::command::command(exe).arg("--limit-demo").output()?;
    if !output.status.success() {
        bail!(
            "the thread-limit demo failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let lines: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    let created = lines
        .iter()
        .find_map(|line| line.strip_prefix("threads created: ")?.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("the thread-limit demo did not say how many threads"))?;
    let refusal = lines
        .iter()
        .find(|line| line.contains("could not be created"))
        .cloned();
    Ok(LimitDemo {
        lines,
        created,
        refusal,
    })
}

/// A `kB` field of `/proc/self/status` (proc(5)), such as `VmRSS`, in KiB.
pub fn status_kib(field: &str) -> anyhow::Result<u64> {
    status_field(&std::fs::read_to_string("/proc/self/status")?, field)
        .ok_or_else(|| anyhow::anyhow!("/proc/self/status has no {field}"))
}

/// The first number of `FIELD:` in a `/proc/PID/status` text.
fn status_field(status: &str, field: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The kernel's system-wide thread limit, `/proc/sys/kernel/threads-max` (proc(5)).
pub fn threads_max() -> Option<u64> {
    std::fs::read_to_string("/proc/sys/kernel/threads-max")
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// What a mode cost, read from `/proc/self/status` while it ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    pub wall: Duration,
    /// The most threads seen at once, beyond those the process had before the mode started
    /// (sampled every millisecond, so short-lived threads can be missed).
    pub peak_extra_threads: u64,
    /// `VmHWM`: the peak resident memory since the mode started, in bytes.
    pub peak_rss: u64,
    /// `VmRSS` when the mode had finished, in bytes.
    pub rss_after: u64,
}

// ANCHOR: measure
/// Runs `mode`, timing it, while a sampler thread reads `Threads:` from `/proc/self/status`
/// every millisecond. The resident-memory peak (`VmHWM`) is first reset to the current size
/// by writing 5 to `/proc/self/clear_refs` (proc(5)), so it is this mode's peak.
pub fn measure<T>(mode: impl FnOnce() -> T) -> anyhow::Result<(T, Usage)> {
    let _ = std::fs::write("/proc/self/clear_refs", "5"); // older kernels: a lifetime peak
    let before = status_kib("Threads")?;
    let stop = AtomicBool::new(false);
    let (result, wall, peak_threads) = thread::scope(|scope| {
        let sampler = scope.spawn(|| {
            let mut peak = 0;
            while !stop.load(Ordering::Relaxed) {
                peak = peak.max(status_kib("Threads").unwrap_or(0));
                thread::sleep(Duration::from_millis(1));
            }
            peak
        });
        let start = Instant::now();
        let result = mode();
        let wall = start.elapsed();
        stop.store(true, Ordering::Relaxed);
        (result, wall, sampler.join().expect("the sampler panicked"))
    });
    let usage = Usage {
        wall,
        // The sampler itself is one more thread than before.
        peak_extra_threads: peak_threads.saturating_sub(before + 1),
        peak_rss: status_kib("VmHWM")? * 1024,
        rss_after: status_kib("VmRSS")? * 1024,
    };
    Ok((result, usage))
}
// ANCHOR_END: measure

// The oversubscription timelines: the same CPU work on one thread per core, then on many
// more threads than cores, each thread's share recorded as spans (`kit::spans`).

/// Tasks in each timeline run, shared out among its threads: enough CPU work that each of the
/// oversubscribed threads needs many of the scheduler's time slices, so that they must take
/// turns on the cores (a slice is a few milliseconds: the kernel's
/// `Documentation/scheduler/sched-eevdf.rst`, `base_slice_ns`; a slice ends no sooner than the
/// next scheduler tick).
pub const TIMELINE_TASKS: u64 = 1_000_000;

/// Chunks per thread: a row of pieces along each lane, each at least one span, few enough
/// that a span's cost is lost in its chunk.
pub const TIMELINE_CHUNKS: usize = 16;

/// Tasks between two checkpoints of a chunk's span (`kit::spans::Recorder::span_split`): a few
/// microseconds of work, so a gap of [`OFF_CPU_NS`] between checkpoints is time the thread
/// spent off its CPU, and the checkpoint's two vDSO calls are a fraction of a percent of it.
pub const CHECKPOINT_TASKS: u64 = 8;

/// The most spans one timeline stores, shared out equally among its lanes
/// ([`lane_capacity`]). Its threads lose their CPU and get it back many times in each chunk:
/// a turn is a time slice, a millisecond or so (the kernel's `sysctl_sched_base_slice` in
/// `kernel/sched/fair.c`), and on a machine busy with other programs even the
/// one-thread-per-CPU run is split every few milliseconds. The budget caps the results file's
/// size, a few hundred kilobytes per timeline at most; past a lane's share, its spans are
/// counted and not stored, and the lane's name says how many were dropped (its bars then stop
/// short of the thread's end).
pub const TIMELINE_SPAN_BUDGET: usize = 3072;

/// The spans each of `threads` lanes stores: an equal share of [`TIMELINE_SPAN_BUDGET`], and
/// never fewer than one per chunk.
pub fn lane_capacity(threads: usize, chunks: usize) -> usize {
    (TIMELINE_SPAN_BUDGET / threads.max(1)).max(chunks)
}

/// The fewest threads of the oversubscribed run: enough lanes to see many threads share two
/// cores, few enough for the picture to stay legible.
pub const OVERSUBSCRIBED_MIN: usize = 32;

/// How many threads per core the oversubscribed run has at least, so that it is
/// oversubscribed on a machine of any size.
pub const OVERSUBSCRIBED_PER_CORE: usize = 8;

/// The two timeline runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crowd {
    /// One thread per CPU the process may run on ([`cpus_allowed`]).
    Cores,
    /// Many more threads than cores.
    Oversubscribed,
}

impl Crowd {
    pub const ALL: [Crowd; 2] = [Crowd::Cores, Crowd::Oversubscribed];

    pub fn name(self) -> &'static str {
        match self {
            Crowd::Cores => "cores",
            Crowd::Oversubscribed => "oversubscribed",
        }
    }

    /// The timeline id in the `--json` report, e.g. `too-many-threads/timeline/cores`.
    pub fn timeline_id(self) -> String {
        format!("too-many-threads/timeline/{}", self.name())
    }

    /// The threads this run has where the process may run on `cpus` CPUs.
    pub fn threads(self, cpus: usize) -> usize {
        match self {
            Crowd::Cores => cpus,
            Crowd::Oversubscribed => (cpus * OVERSUBSCRIBED_PER_CORE).max(OVERSUBSCRIBED_MIN),
        }
    }
}

/// The ids `lo..hi` of the `k`-th of `parts` contiguous pieces of `0..n` (lengths within
/// one).
pub fn piece(n: u64, k: usize, parts: usize) -> std::ops::Range<u64> {
    let bound = |k: usize| (u128::from(n) * k as u128 / parts as u128) as u64;
    bound(k)..bound(k + 1)
}

// ANCHOR: traced_crowd
/// Tasks `0..tasks` shared out among `threads` threads, each running its share as `chunks`
/// chunks: the checksum of all tasks and the timeline, one lane per thread. A chunk is a span
/// that ends where its thread lost the CPU and resumes where it got it back: every
/// [`CHECKPOINT_TASKS`] tasks the thread reads the clock, and a gap longer than
/// [`OFF_CPU_NS`] since the last reading splits the span around it. Every thread waits at a
/// barrier first, so all of them are ready to run when the work starts and the picture shows
/// the scheduler sharing the cores, not the threads being created one by one.
pub fn traced_crowd(tasks: u64, threads: usize, chunks: usize) -> (u64, Timeline) {
    let origin = Origin::now();
    let start = Barrier::new(threads);
    thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|k| {
                let start = &start;
                thread::Builder::new()
                    .stack_size(STACK_SIZE)
                    .spawn_scoped(scope, move || {
                        let capacity = lane_capacity(threads, chunks);
                        let mut recorder = Recorder::for_thread(origin, capacity);
                        let share = piece(tasks, k, threads);
                        start.wait();
                        let mut sum = 0u64;
                        for c in 0..chunks {
                            let ids = piece(share.end - share.start, c, chunks);
                            let ids = share.start + ids.start..share.start + ids.end;
                            recorder.span_split(OFF_CPU_NS, |split| {
                                for id in ids {
                                    sum = sum.wrapping_add(task(id));
                                    if id % CHECKPOINT_TASKS == 0 {
                                        split.checkpoint();
                                    }
                                }
                            });
                        }
                        // Taken on the thread itself: the switch counts are its own
                        // (getrusage(2), RUSAGE_THREAD).
                        let name = match recorder.dropped() {
                            0 => format!("thread {}", k + 1),
                            dropped => format!("thread {} ({dropped} spans dropped)", k + 1),
                        };
                        (sum, recorder.lane(name))
                    })
                    .expect("a few dozen threads with small stacks")
            })
            .collect();
        let mut timeline = Timeline::default();
        let mut total = 0u64;
        for handle in handles {
            let (sum, lane) = handle.join().expect("a task cannot panic");
            total = total.wrapping_add(sum);
            timeline.lanes.push(lane);
        }
        (total, timeline)
    })
}
// ANCHOR_END: traced_crowd

/// The CPUs this process may run on (sched_getaffinity(2)): at most this many of its threads
/// run at one moment. Without an answer, `available_parallelism`, which never exceeds it.
pub fn cpus_allowed() -> usize {
    nix::sched::sched_getaffinity(nix::unistd::Pid::from_raw(0))
        .ok()
        .map(|set| {
            (0..nix::sched::CpuSet::count())
                .filter(|&cpu| set.is_set(cpu).unwrap_or(false))
                .count()
        })
        .filter(|&count| count > 0)
        .unwrap_or_else(|| thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Both timeline runs over `tasks` tasks, one after the other, under their ids: one thread per
/// CPU this process may use, then [`Crowd::threads`] of them. Fails if either run's checksum
/// differs from the sequential one.
pub fn record_timelines(tasks: u64) -> anyhow::Result<Vec<(String, Timeline)>> {
    let cpus = cpus_allowed();
    let expected = checksum_sequential(tasks);
    let mut timelines = Vec::new();
    // What recording cost, for the summary under each picture: a span's two readings, and the
    // checkpoints, one every CHECKPOINT_TASKS task ids (those divisible by it) in 0..tasks.
    let span_cost_ns = kit::spans::cost_per_span_ns();
    let checkpoints = Checkpoints {
        count: tasks.div_ceil(CHECKPOINT_TASKS),
        cost_ns: kit::spans::cost_per_checkpoint_ns(),
    };
    for crowd in Crowd::ALL {
        let (sum, mut timeline) = traced_crowd(tasks, crowd.threads(cpus), TIMELINE_CHUNKS);
        timeline.span_cost_ns = Some(span_cost_ns);
        timeline.checkpoints = Some(checkpoints);
        anyhow::ensure!(
            sum == expected,
            "the {} timeline run computed {sum}, not the sequential {expected}",
            crowd.name()
        );
        timelines.push((crowd.timeline_id(), timeline));
    }
    Ok(timelines)
}

/// The most lanes in progress at one moment: begun their first span and not yet ended their
/// last. At most as many threads run at once as there are CPUs; more in progress at once
/// means that threads took turns, each stopped in the middle of its work while others ran.
pub fn peak_in_progress(timeline: &Timeline) -> usize {
    let mut events: Vec<(u64, i64)> = timeline
        .lanes
        .iter()
        .filter_map(|lane| Some((lane.spans.first()?.begin_ns, lane.spans.last()?.end_ns)))
        .flat_map(|(begin, end)| [(begin, 1), (end, -1)])
        .collect();
    // At equal times, ends before begins: a lane that ends as another begins is not overlap.
    events.sort_unstable();
    let (mut now, mut peak) = (0i64, 0i64);
    for (_, step) in events {
        now += step;
        peak = peak.max(now);
    }
    peak as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_status_fields() {
        let text = "Name:\tlab\nThreads:\t3\nVmRSS:\t  1234 kB\n";
        assert_eq!(status_field(text, "Threads"), Some(3));
        assert_eq!(status_field(text, "VmRSS"), Some(1234));
        assert_eq!(status_field(text, "VmHWM"), None);
        assert!(status_kib("VmRSS").unwrap() > 0);
    }

    /// The budget is shared out equally, and a lane always has room for every chunk.
    #[test]
    fn lanes_share_the_span_budget() {
        assert_eq!(lane_capacity(2, TIMELINE_CHUNKS), TIMELINE_SPAN_BUDGET / 2);
        assert!(lane_capacity(32, TIMELINE_CHUNKS) * 32 <= TIMELINE_SPAN_BUDGET);
        assert_eq!(lane_capacity(100_000, TIMELINE_CHUNKS), TIMELINE_CHUNKS);
        assert_eq!(lane_capacity(0, 4), TIMELINE_SPAN_BUDGET);
    }

    #[test]
    fn tasks_differ_and_the_checksum_is_order_free() {
        assert_ne!(task(1), task(2));
        let forward = checksum_sequential(100);
        let backward = (0..100).rev().map(task).fold(0, u64::wrapping_add);
        assert_eq!(forward, backward);
    }
}

//! Criterion benchmarks of shared-state: 4 workers each add one to a counter 100 000 times,
//! the counter being a `Mutex<u64>`, an `AtomicU64`, or split into one shard per worker, with
//! threads and with processes.
//!
//! Ids: the lab's own `--json` ids where the lab measures the same thing with its default
//! sizes (`shared-state/thread-mutex`, `thread-atomic`, `process-atomic`, `process-mutex`),
//! and `thread-sharded`, `process-sharded` for the sharded counter, which only the benchmarks
//! use (the lab's `--json` report describes those two in words). The lab's fifth mode, the
//! ordinary `Vec` that processes cannot share, is a mistake to look at, not a way of sharing
//! to time, so it is not benchmarked.
//!
//! Each iteration is one whole count: workers created and joined (or forked and reaped) and
//! the shared counter made and dropped, as in the lab. Checking the total is outside the
//! timed part.
//!
//! Order: the process variants run first. Forking four children is a noticeable part of a
//! count here, and a process that has already started threads keeps their stacks mapped
//! (glibc caches them), which makes every later fork a little dearer (see spawn-cost).
//! Criterion without its default features makes no thread of its own.

#[cfg(target_os = "linux")]
use criterion::{Criterion, SamplingMode};
#[cfg(target_os = "linux")]
use kit::bench::timed;
#[cfg(target_os = "linux")]
use shared_state::{
    PROCESS_SHARDED, THREAD_SHARDED, processes_with_shards, processes_with_shared_atomic,
    processes_with_shared_mutex, threads_with_atomic, threads_with_mutex, threads_with_shards,
};
#[cfg(target_os = "linux")]
use std::time::Duration;

/// The lab's default `--workers` and `--increments` (src/main.rs), so the shared ids measure
/// what the lab reports.
#[cfg(target_os = "linux")]
const WORKERS: u32 = 4;
#[cfg(target_os = "linux")]
const INCREMENTS: u64 = 100_000;

/// One way of counting: returns the total the parent sees.
#[cfg(target_os = "linux")]
type Count = fn(u32, u64) -> anyhow::Result<u64>;

#[cfg(target_os = "linux")]
fn variants(c: &mut Criterion) {
    let variants: [(&str, Count); 6] = [
        ("process-atomic", processes_with_shared_atomic),
        ("process-mutex", processes_with_shared_mutex),
        (PROCESS_SHARDED, processes_with_shards),
        ("thread-mutex", |w, n| Ok(threads_with_mutex(w, n))),
        ("thread-atomic", |w, n| Ok(threads_with_atomic(w, n))),
        (THREAD_SHARDED, |w, n| Ok(threads_with_shards(w, n))),
    ];
    let mut group = c.benchmark_group("shared-state");
    // A count takes milliseconds: time batches of equal size.
    group.sampling_mode(SamplingMode::Flat);
    for (id, count) in variants {
        group.bench_function(id, |b| {
            b.iter_custom(|iters| timed_counts(iters, id, count))
        });
    }
    group.finish();
}

/// Counts `iters` times and returns the time the counts took, each checked (untimed) to
/// have counted every increment.
#[cfg(target_os = "linux")]
fn timed_counts(iters: u64, id: &str, count: Count) -> Duration {
    timed(
        iters,
        || count(WORKERS, INCREMENTS).expect("a count of the lab"),
        |counted| assert_eq!(counted, u64::from(WORKERS) * INCREMENTS, "{id}"),
    )
}

// Short runs: a full `cargo bench -p shared-state` takes about 15 s on 2 cores.
kit::bench_main!(benches: variants, 20, Duration::from_millis(300), Duration::from_millis(1500));

//! Criterion benchmarks of cpu-bound: the sum of i² for i in 0..N, sequentially, and split
//! over 1, 2 and 4 threads or processes.
//!
//! Ids: `cpu-bound/sequential` is the lab's own `--json` id, with the lab's default N, so it
//! is the same quantity. The worker modes are measured for several worker counts, as
//! `cpu-bound/threads/W` and `cpu-bound/processes/W`. The counts are fixed (1, 2, 4) rather
//! than derived from this machine's cores, so the reference machine's results and the
//! reader's have the same ids and sit side by side in the book: on 2 cores, 4 workers shows
//! what more workers than cores buys (nothing), on more cores it shows the speed-up going on.
//! The lab's `--json` report describes these in words (`cpu_bound::BENCH_WORKERS`,
//! `Mode::bench_name`), which is how `cargo book measure` names their results.
//!
//! Every iteration is one whole run, workers created and joined (or forked and reaped)
//! included, as in the lab. Checking the sum is outside the timed part.
//!
//! Order: threads run before processes here, unlike in spawn-cost, because a fork (tenths of a
//! millisecond, even from a process with cached thread stacks) is noise beside a run that
//! takes a good fraction of a second.

#[cfg(target_os = "linux")]
use cpu_bound::{BENCH_WORKERS, DEFAULT_N, Mode, closed_form, run};
#[cfg(target_os = "linux")]
use criterion::{Criterion, SamplingMode};
#[cfg(target_os = "linux")]
use kit::bench::timed;
#[cfg(target_os = "linux")]
use std::time::Duration;

/// The lab's default N (`--n`), so `sequential` measures what the lab reports.
#[cfg(target_os = "linux")]
const N: u64 = DEFAULT_N;

#[cfg(target_os = "linux")]
fn modes(c: &mut Criterion) {
    let expected = closed_form(N);
    let mut group = c.benchmark_group("cpu-bound");
    // One run takes a large fraction of a second: time each run on its own (flat sampling)
    // instead of criterion's default growing batches of runs. Criterion then warns that it
    // "cannot complete 10 samples" in the measurement time: one run per sample is the plan.
    group.sampling_mode(SamplingMode::Flat);

    group.bench_function(Mode::Sequential.name(), |b| {
        b.iter_custom(|iters| timed_runs(iters, Mode::Sequential, 1, expected));
    });
    for mode in [Mode::Threads, Mode::Processes] {
        // The lab's `--json` report describes each of these (Results::report).
        for workers in BENCH_WORKERS {
            group.bench_function(mode.bench_name(workers), |b| {
                b.iter_custom(|iters| timed_runs(iters, mode, workers, expected));
            });
        }
    }
    group.finish();
}

/// Runs `mode` `iters` times and returns the time the runs took, each checked (untimed) to
/// have computed the closed form's sum.
#[cfg(target_os = "linux")]
fn timed_runs(iters: u64, mode: Mode, workers: usize, expected: u64) -> Duration {
    timed(
        iters,
        || run(mode, N, workers).expect("a run of the lab"),
        |sum| assert_eq!(sum, expected, "{} with {workers} workers", mode.name()),
    )
}

// Criterion's fewest samples and short warm-up (one run is enough: there is no cache to
// warm); a full `cargo bench -p cpu-bound` takes about 20 s on 2 cores.
kit::bench_main!(benches: modes, 10, Duration::from_millis(100), Duration::from_secs(1));

//! Criterion benchmarks of io-bound: fetch K resources from the lab's slow loopback server one
//! after another, with K threads, with K processes, and with K async tasks on one thread.
//!
//! Ids: `io-bound/sequential/8-requests-20ms`, `io-bound/threads/8-requests-20ms`,
//! `io-bound/processes/8-requests-20ms`, `io-bound/async/8-requests-20ms`. These are not the
//! lab's own ids (`io-bound/sequential`, …) because they do not measure the same quantity: the
//! lab fetches 16 resources with a 100 ms delay by default, which would make one sequential
//! iteration take 1.6 s. A shorter delay and K = 8 keep a full run short while the point stays
//! visible: the sequential mode takes about K delays, the concurrent modes about one, plus what
//! creating K threads, forking K processes, or building a runtime and spawning K tasks costs.
//!
//! The lab's `--json` report describes these in words (`Mode::bench_name`, `BENCH_REQUESTS`,
//! `BENCH_DELAY`), which is how `cargo book measure` names their results.
//!
//! The server is started once, outside every timed loop, and stopped at the end. Each
//! iteration is one whole fetch of K resources, threads joined, children reaped or the runtime
//! built and dropped included (as the lab times them); checking that all K answers were right
//! is outside the timed part.

#[cfg(target_os = "linux")]
use criterion::{Criterion, SamplingMode};
#[cfg(target_os = "linux")]
use io_bound::{
    BENCH_DELAY, BENCH_REQUESTS, Mode, Server, fetch_sequentially, fetch_with_processes,
    fetch_with_tasks, fetch_with_threads,
};
#[cfg(target_os = "linux")]
use kit::bench::timed;
#[cfg(target_os = "linux")]
use std::net::SocketAddrV4;
#[cfg(target_os = "linux")]
use std::time::Duration;

/// K: resources fetched per iteration.
#[cfg(target_os = "linux")]
const REQUESTS: usize = BENCH_REQUESTS;
/// How long the server waits before each answer.
#[cfg(target_os = "linux")]
const DELAY: Duration = BENCH_DELAY;

#[cfg(target_os = "linux")]
fn modes(c: &mut Criterion) {
    let server = Server::start(DELAY).expect("start the loopback server");
    let addr = server.addr();
    let mut group = c.benchmark_group("io-bound");
    // An iteration takes tens of milliseconds or more: time batches of equal size.
    group.sampling_mode(SamplingMode::Flat);
    for mode in Mode::ALL {
        group.bench_function(mode.bench_name(), |b| {
            b.iter_custom(|iters| timed_fetches(iters, mode, addr));
        });
    }
    group.finish();
    server.stop().expect("stop the loopback server");
}

/// Fetches K resources `iters` times in `mode` and returns the time the fetches took, each
/// checked (untimed) to have received K right answers.
#[cfg(target_os = "linux")]
fn timed_fetches(iters: u64, mode: Mode, addr: SocketAddrV4) -> Duration {
    let fetch = || match mode {
        Mode::Sequential => fetch_sequentially(addr, REQUESTS),
        Mode::Threads => fetch_with_threads(addr, REQUESTS),
        Mode::Processes => fetch_with_processes(addr, REQUESTS).expect("fork and reap"),
        Mode::Async => fetch_with_tasks(addr, REQUESTS).expect("build the runtime"),
    };
    timed(iters, fetch, |right| {
        assert_eq!(right, REQUESTS, "right answers, {}", mode.id());
    })
}

// Ten samples of a 2 s measurement: a full `cargo bench -p io-bound` takes about 12 s.
kit::bench_main!(benches: modes, 10, Duration::from_millis(300), Duration::from_secs(2));

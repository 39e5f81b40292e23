//! Criterion benchmarks for the ipc page.
//!
//! Ids: group `ipc`, functions `latency-64B/TRANSPORT` (one round trip of a 64-byte message
//! per iteration) and `stream-1MiB/TRANSPORT` (one 1 MiB message streamed per iteration),
//! the same ids as the lab's `--json` records. The peer process or thread is started, and is
//! ready, before the clock starts, and it is reaped after the clock stops; a stream's expected
//! checksum is computed outside the timed part too. Every streamed byte is still checked.

#[cfg(target_os = "linux")]
use criterion::{Criterion, Throughput};
#[cfg(target_os = "linux")]
use ipc::{Echo, Transport, WARM_UP_ROUND_TRIPS, size_label, stream_checked};
#[cfg(target_os = "linux")]
use std::time::Duration;

/// The sizes the lab's `--json` describes as these benchmarks (one source per figure).
#[cfg(target_os = "linux")]
const SMALL: usize = ipc::report::BENCH_SMALL;
#[cfg(target_os = "linux")]
const LARGE: usize = ipc::report::BENCH_LARGE;

#[cfg(target_os = "linux")]
fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("ipc");
    for transport in Transport::ALL {
        let id = format!("latency-{}/{}", size_label(SMALL), transport.name());
        group.bench_function(id, |b| {
            b.iter_custom(|iters| {
                let mut echo =
                    Echo::start(transport, SMALL, WARM_UP_ROUND_TRIPS + iters).expect("start");
                echo.round_trips(WARM_UP_ROUND_TRIPS).expect("warm up");
                let took = echo.round_trips(iters).expect("round trips");
                echo.finish().expect("the peer ends cleanly");
                took
            });
        });
    }
    // Criterion also prints bytes per second for these.
    group.throughput(Throughput::Bytes(LARGE as u64));
    for transport in Transport::ALL {
        let id = format!("stream-{}/{}", size_label(LARGE), transport.name());
        group.bench_function(id, |b| {
            b.iter_custom(|iters| {
                stream_checked(transport, LARGE, iters)
                    .expect("every byte arrives intact")
                    .elapsed
            });
        });
    }
    group.finish();
}

kit::bench_main!(ipc: benches, 10, Duration::from_millis(300), Duration::from_secs(1));

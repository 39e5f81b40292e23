//! Criterion benchmarks for the context-switch page: one ping-pong round trip per iteration.
//!
//! Ids: group `context-switch`, function `KIND/PLACEMENT` (`pipe-threads/same-cpu`, …), the
//! same ids as the lab's `--json` records. The pong thread or process is started, pinned and
//! warmed up before the clock starts, and joined or reaped after it stops: only round trips
//! are timed. Across-CPU benchmarks are left out on a machine with one CPU.

#[cfg(target_os = "linux")]
use context_switch::{PingPong, Variant, WARM_UP_ROUND_TRIPS, allowed_cpus, cpus_for};
#[cfg(target_os = "linux")]
use criterion::Criterion;
#[cfg(target_os = "linux")]
use std::time::Duration;

#[cfg(target_os = "linux")]
fn benches(c: &mut Criterion) {
    let allowed = allowed_cpus().expect("sched_getaffinity");
    let mut group = c.benchmark_group("context-switch");
    for variant in Variant::all() {
        let Some(cpus) = cpus_for(variant.placement, &allowed) else {
            eprintln!(
                "context-switch bench: one CPU only, skipping {}",
                variant.id()
            );
            continue;
        };
        let id = format!("{}/{}", variant.kind(), variant.placement.name());
        group.bench_function(id, |b| {
            b.iter_custom(|iters| {
                let mut ping_pong =
                    PingPong::start(variant, cpus, WARM_UP_ROUND_TRIPS + iters).expect("start");
                ping_pong.round_trips(WARM_UP_ROUND_TRIPS).expect("warm up");
                let took = ping_pong.round_trips(iters).expect("round trips");
                let outcome = ping_pong.finish().expect("pong ends cleanly");
                assert_eq!(outcome.answered, WARM_UP_ROUND_TRIPS + iters);
                took
            });
        });
    }
    group.finish();
}

kit::bench_main!(context_switch: benches, 20, Duration::from_millis(300), Duration::from_secs(1));

//! Criterion benchmarks of the thread kinds of spawn-cost: start a thread that does nothing
//! and join it. The ids are the lab's own `--json` ids: `spawn-cost/thread`,
//! `spawn-cost/scoped-thread`.
//!
//! These live apart from the process kinds (`benches/spawn-cost.rs`) so that no fork is ever
//! measured in a process that has made threads: see the top of that file.

use criterion::{Criterion, criterion_group, criterion_main};
use spawn_cost::{spawn_scoped_thread_once, spawn_thread_once};
use std::time::Duration;

fn thread_kinds(c: &mut Criterion) {
    let mut group = c.benchmark_group("spawn-cost");
    // Each iteration starts one thread and joins it: the join is part of the cost.
    group.bench_function("thread", |b| b.iter(spawn_thread_once));
    group.bench_function("scoped-thread", |b| b.iter(spawn_scoped_thread_once));
    group.finish();
}

/// Short runs, as in `benches/spawn-cost.rs`.
fn config() -> Criterion {
    kit::bench::config(50, Duration::from_millis(500), Duration::from_secs(2))
}

criterion_group!(name = benches; config = config(); targets = thread_kinds);
criterion_main!(benches);

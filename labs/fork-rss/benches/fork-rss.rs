//! Criterion benchmarks for the fork-rss page: one start-and-wait per iteration, from a
//! parent with 0, 64, 256 and 1024 MiB of touched memory (fewer if `MemAvailable` is short).
//!
//! Ids: group `fork-rss`, function `KIND/SIZE`, so `fork-rss/fork/64MiB` is the same
//! quantity as the lab's `--json` record of that id.
//!
//! Why the fork benchmarks come first, before anything makes a thread: fork copies the
//! parent's page tables, so it slows with every mapping the parent has. A process that has
//! started threads keeps their stacks mapped (glibc caches them for reuse), and criterion
//! would then be measuring those as well. This bench binary is a fresh process of its own
//! (cargo starts it; criterion, built without its `rayon` feature, starts no threads), and it
//! measures every fork size before the thread benchmarks run; `fork_benchmark` checks that the
//! process still has a single thread. The parent's memory is touched outside the timed loop,
//! once per benchmark, and freed when the benchmark ends.

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use fork_rss::{
    Ballast, Kind, Pages, mem_available_bytes, memory_cap_mib, threads_in_this_process,
};
use kit::Children;
use std::time::Duration;

/// The parent sizes: the lab's default ladder, lowered to what this machine can afford.
fn bench_sizes() -> Vec<usize> {
    let cap = mem_available_bytes().map_or(0, memory_cap_mib);
    let sizes: Vec<usize> = [0, 64, 256, 1024]
        .into_iter()
        .filter(|&mib| mib <= cap)
        .collect();
    if sizes.len() < 4 {
        eprintln!("fork-rss bench: MemAvailable allows {cap} MiB; measuring sizes {sizes:?}");
    }
    sizes
}

fn benches(c: &mut Criterion) {
    let sizes = bench_sizes();
    let mut group = c.benchmark_group("fork-rss");
    // A fork from 1 GiB takes milliseconds: a few samples (`config`) of a few iterations each.
    group.sampling_mode(SamplingMode::Flat);
    for kind in Kind::ALL {
        for &mib in &sizes {
            // Made on first use, so listing or filtering benchmarks touches no memory.
            let mut ballast: Option<Ballast> = None;
            let mut children = Children::new();
            group.bench_function(format!("{}/{mib}MiB", kind.name()), |b| {
                if ballast.is_none() {
                    ballast = Some(Ballast::new(mib, Pages::Normal).expect("map the ballast"));
                }
                if kind == Kind::Fork {
                    let threads = threads_in_this_process().expect("read /proc/self/status");
                    assert_eq!(threads, 1, "fork must be measured before any thread exists");
                }
                // One round: start, do nothing, wait (the child is reaped inside the loop).
                b.iter(|| kind.once(&mut children).expect("one round"));
            });
        }
    }
    group.finish();
}

fn config() -> Criterion {
    kit::bench::config(10, Duration::from_millis(300), Duration::from_secs(1))
}

criterion_group!(name = fork_rss; config = config(); targets = benches);
criterion_main!(fork_rss);

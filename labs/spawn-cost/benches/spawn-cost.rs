//! Criterion benchmarks of the process kinds of spawn-cost: create a process, let it run
//! nothing (or `/bin/true`), wait until it has ended. The ids are the lab's own `--json` ids:
//! `spawn-cost/fork`, `spawn-cost/fork-exec`, `spawn-cost/posix-spawn`,
//! `spawn-cost/std-command`.
//!
//! Why the threads are benchmarked in another binary (`benches/spawn-cost-threads.rs`):
//! `fork` copies the parent's page tables, so what it costs depends on what the parent did
//! before. A process that has started and joined threads keeps their stacks mapped (glibc
//! caches them for reuse), and every fork after that pays for those mappings; the lab itself
//! measures each kind in a fresh copy of itself for the same reason (`measure_in_fresh_process`).
//! cargo runs each bench binary as a process of its own, so the forks below always run in a
//! process that has never made a thread, whatever order or filter the benchmarks are run
//! with. Criterion built without its default features (no rayon) runs everything, analysis
//! included, on the main thread: [`assert_single_threaded`] checks that before each benchmark,
//! so a criterion that starts threads one day fails here instead of skewing the numbers.
//!
//! `fork` runs first: of the four it is the most sensitive to the parent's size, and
//! criterion's analysis after each benchmark may leave the heap a little bigger.

use criterion::{Criterion, criterion_group, criterion_main};
use kit::Children;
use nix::sys::wait::WaitStatus;
use nix::unistd::Pid;
use spawn_cost::{
    Program, TRUE_PROGRAM, fork_exec_once, fork_once, posix_spawn_once, std_command_once,
};
use std::time::Duration;

fn process_kinds(c: &mut Criterion) {
    // Made once, outside every timed loop: the program's C strings (a forked child may not
    // allocate) and the guard that owns each child until it has been waited for.
    let program = Program::new(TRUE_PROGRAM).expect("a valid program path");
    let mut children = Children::new();
    let mut group = c.benchmark_group("spawn-cost");

    // Each iteration creates one process and reaps it: the wait is part of the cost.
    group.bench_function("fork", |b| {
        assert_single_threaded();
        b.iter(|| exited_0(fork_once(&mut children, 0)));
    });
    group.bench_function("fork-exec", |b| {
        assert_single_threaded();
        b.iter(|| exited_0(fork_exec_once(&mut children, &program)));
    });
    group.bench_function("posix-spawn", |b| {
        assert_single_threaded();
        b.iter(|| exited_0(posix_spawn_once(&mut children, &program)));
    });
    group.bench_function("std-command", |b| {
        assert_single_threaded();
        b.iter(|| {
            let status = std_command_once(&program).expect("Command::status");
            assert!(status.success(), "{TRUE_PROGRAM} ended with {status}");
        });
    });
    group.finish();
    assert!(children.is_empty(), "every child was waited for");
}

/// Fails the benchmark unless the child exited with status 0 (a comparison: no cost to speak
/// of next to a fork).
fn exited_0(waited: anyhow::Result<(Pid, WaitStatus)>) {
    let (pid, status) = waited.expect("create and wait");
    assert_eq!(status, WaitStatus::Exited(pid, 0));
}

/// Panics unless this process has exactly one thread (`Threads:` in /proc/self/status,
/// proc(5)): see the top of this file for why the forks must run in such a process.
fn assert_single_threaded() {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let threads = status
        .lines()
        .find_map(|line| line.strip_prefix("Threads:"))
        .map(|n| n.trim().to_owned());
    assert_eq!(
        threads.as_deref(),
        Some("1"),
        "fork benchmarks must run in a process that has made no thread"
    );
}

/// Short runs: a full `cargo bench -p spawn-cost` takes well under a minute on 2 cores.
fn config() -> Criterion {
    kit::bench::config(50, Duration::from_millis(500), Duration::from_secs(2))
}

criterion_group!(name = benches; config = config(); targets = process_kinds);
criterion_main!(benches);

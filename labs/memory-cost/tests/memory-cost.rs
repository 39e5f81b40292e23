//! What the memory-cost page claims, checked from the lab's `--json`: an idle thread's
//! resident cost is far below the stack it reserves; an idle task's is below a thread's, in
//! the same run, and every task was alive when measured; after `fork`, parent + child PSS is
//! about the parent's PSS before it until the child writes, and then grows by about what it
//! wrote; nothing is left behind, also after a signal mid-run. No timing is asserted.
//!
//! Every test that starts a process holds the fork lock, so that no other test's leftover
//! check (the lock's drop) counts it.

#![cfg(target_os = "linux")]

use kit::Report;
use kit::testing::{assert_mentions, fork_lock, json_report, lab_report, readable_report};
use memory_cost::idle::{Kind, park_processes, park_tasks, park_threads};
use memory_cost::{Metric, marginal_id, sample_id};

const EXE: &str = env!("CARGO_BIN_EXE_memory-cost");
const MIB: f64 = (1 << 20) as f64;

/// A run small enough for a test, with the copy-on-write heap at 64 MiB.
const QUICK: &[&str] = &[
    "--threads",
    "1,10,100",
    "--processes",
    "1,10,50",
    "--tasks",
    "1,100,10000",
    "--cow-mib",
    "64",
];

/// `1,2,3,…,60`.
fn busy_counts() -> String {
    let counts: Vec<String> = (1..=60).map(|n: u32| n.to_string()).collect();
    counts.join(",")
}

fn value(report: &Report, id: &str) -> f64 {
    report
        .get(id)
        .unwrap_or_else(|| panic!("no record {id}"))
        .median
}

#[test]
fn json_has_every_group_marginal_stack_and_cow_record_and_leaves_nothing_behind() {
    let _lock = fork_lock();
    let report = lab_report(EXE, "memory-cost", QUICK);
    for (kind, counts) in [
        (Kind::Threads, [1, 10, 100]),
        (Kind::Processes, [1, 10, 50]),
        (Kind::Tasks, [1, 100, 10_000]),
    ] {
        for count in counts {
            for metric in Metric::ALL {
                let record = report.get(&sample_id(metric, kind, count)).unwrap();
                assert_eq!(record.unit, "bytes");
                assert!(record.median > 0.0, "{record:?}");
            }
        }
        for metric in Metric::ALL {
            assert!(report.get(&marginal_id(kind, metric)).is_some());
        }
    }
    let stack = report.get("memory-cost/stack/reserved").unwrap();
    assert_eq!(
        stack.samples, 100,
        "one sample per thread of the largest count"
    );
    for id in [
        "memory-cost/task/future-bytes",
        "memory-cost/cow/heap",
        "memory-cost/cow/parent-rss/before-fork",
        "memory-cost/cow/pss/before-fork/parent",
        "memory-cost/cow/pss/after-fork/total",
        "memory-cost/cow/pss/after-write/child",
    ] {
        assert!(report.get(id).is_some(), "{id}");
    }
    assert!(
        report
            .records
            .iter()
            .all(|r| r.id.starts_with("memory-cost/"))
    );
}

#[test]
fn a_thread_costs_far_less_resident_memory_than_the_stack_it_reserves() {
    let _lock = fork_lock();
    let report = json_report(EXE, QUICK);
    let reserved = value(&report, "memory-cost/stack/reserved");
    let resident = value(&report, "memory-cost/stack/resident");
    let per_thread_rss = value(&report, &marginal_id(Kind::Threads, Metric::Rss));
    let per_thread_vm = value(&report, &marginal_id(Kind::Threads, Metric::VmSize));
    // std's default stack, unless RUST_MIN_STACK says otherwise in the test's environment.
    let asked = memory_cost::stack_request(None) as f64;
    assert!(reserved >= asked, "reserved {reserved} < asked {asked}");
    assert!(
        resident < reserved / 16.0,
        "{resident} of {reserved} resident"
    );
    assert!(
        per_thread_rss < reserved / 16.0,
        "one more thread added {per_thread_rss} bytes of VmRSS for a {reserved}-byte stack"
    );
    assert!(
        per_thread_vm >= reserved,
        "each thread reserves its stack: VmSize grew {per_thread_vm} per thread"
    );
    let guard = value(&report, "memory-cost/stack/guard");
    assert!(guard > 0.0, "glibc's guard page below every stack");
}

#[test]
fn an_idle_task_costs_less_resident_memory_than_an_idle_thread_in_the_same_run() {
    let _lock = fork_lock();
    let report = json_report(EXE, QUICK);
    let per_task = value(&report, &marginal_id(Kind::Tasks, Metric::Rss));
    let per_thread = value(&report, &marginal_id(Kind::Threads, Metric::Rss));
    assert!(
        per_task < per_thread,
        "one more task added {per_task} bytes of VmRSS, one more thread {per_thread}"
    );
    // The task's cell on the heap holds its future, so a task costs at least the future.
    let future = value(&report, "memory-cost/task/future-bytes");
    assert!(future > 0.0);
    assert!(
        per_task >= future,
        "one more task added {per_task} bytes for a {future}-byte future"
    );
}

#[test]
fn pss_after_fork_is_the_parent_s_pss_until_the_child_writes() {
    let _lock = fork_lock();
    let report = json_report(EXE, QUICK);
    let heap = value(&report, "memory-cost/cow/heap");
    assert_eq!(heap, 64.0 * MIB);
    let pss_before = value(&report, "memory-cost/cow/pss/before-fork/parent");
    let after_fork = value(&report, "memory-cost/cow/pss/after-fork/total");
    let after_write = value(&report, "memory-cost/cow/pss/after-write/total");
    // Shared, not copied: the sum is what the parent's PSS was (PSS divides a page among
    // every process that maps it, inside the group or not), plus the few pages copied since.
    assert!(
        (after_fork - pss_before).abs() < 0.1 * heap,
        "after fork {after_fork}, parent PSS before {pss_before}"
    );
    let parent_after_fork = value(&report, "memory-cost/cow/pss/after-fork/parent");
    let child_after_fork = value(&report, "memory-cost/cow/pss/after-fork/child");
    assert!(
        child_after_fork > 0.4 * heap,
        "the child's half: {child_after_fork}"
    );
    assert!(
        parent_after_fork > 0.4 * heap,
        "the parent's half: {parent_after_fork}"
    );
    let grew = after_write - after_fork;
    assert!(
        (grew - heap).abs() < 0.1 * heap,
        "writing {heap} bytes grew the sum by {grew}"
    );
}

#[test]
fn the_group_measurements_reap_and_join_everything() {
    let _lock = fork_lock();
    let threads = park_threads(20, Some(64 << 10)).unwrap();
    let stacks = threads.stacks.unwrap();
    assert_eq!(stacks.reserved.samples, 20);
    assert!(stacks.reserved.low >= (64 << 10) as f64, "{stacks:?}");
    let processes = park_processes(5).unwrap();
    assert_eq!(processes.count, 5);
    // Six processes' sizes summed: at least six times one page table.
    assert!(processes.footprint.pte > 0);
    assert!(processes.footprint.rss > processes.footprint.pss);
    // Every task alive and waiting when the sizes were read (park_tasks fails otherwise),
    // then woken and awaited.
    let tasks = park_tasks(1000).unwrap();
    assert_eq!((tasks.count, tasks.alive), (1000, Some(1000)));
    assert!(tasks.stacks.is_none(), "a task has no stack of its own");
}

#[test]
fn the_readable_report_says_what_to_observe() {
    let _lock = fork_lock();
    let text = readable_report(EXE, QUICK);
    assert_mentions(
        &text,
        &[
            "per extra thread",
            "per extra process",
            "per extra task",
            "after the fork",
            "kernel stack",
        ],
    );
}

kit::cli_contract! {
    bin: EXE,
    refused: [
        &["--threads", "0,10"],
        &["--threads", "10"],
        &["--processes", "5,5"],
        &["--processes", "1,100000"],
        &["--tasks", "0,10"],
        &["--tasks", "7"],
        &["--cow-mib", "0"],
        &["--stack-kib", "1"],
        &["--count", "3"],
        &["--no-such-flag"],
    ],
    help_mentions: ["smaps_rollup", "VmPTE", "--cow-mib", "threads-max", "--tasks"],
    help_hides: ["--measure", "--count"],
    quick_run: QUICK,
    // Sixty measuring copies in a row, each parking 1 to 60 children: the signal comes while
    // a copy holds its children (few enough that the test's /proc walk stays quick).
    busy_run: ["--threads", "1,2", "--processes", &busy_counts(), "--cow-mib", "16"],
    busy_ready: |below| below.len() >= 8,
}

//! What the fork-rss page claims: the parent's memory really is resident when fork runs,
//! every child is reaped, and the CLI behaves; and copy-on-write itself, frame by frame: a
//! parent's write copies the page while the child still maps it, and reuses the frame once the
//! child is gone. No timing is asserted.
//!
//! Every test that starts a process holds the fork lock, so that no other test's leftover
//! check (the lock's drop) counts it.

#![cfg(target_os = "linux")]

use fork_rss::cow::{AFTER, BEFORE, Child, CowRun, write_after_fork};
use fork_rss::{
    Ballast, Kind, Pages, SizeResult, measure_in_fresh_process, measure_size, memory_cap_mib,
    record_id, sizes, vm_rss_bytes,
};
use kit::testing::{
    assert_mentions, fork_lock, lab_report, live_children, readable_report, record_ids,
};
use nix::sched::sched_getaffinity;
use nix::sys::wait::WaitStatus;
use nix::unistd::Pid;
use std::path::Path;

const EXE: &str = env!("CARGO_BIN_EXE_fork-rss");
const MIB: u64 = 1 << 20;

/// A run small enough for a test: the flags every test that only needs the lab to finish
/// uses.
const QUICK: &[&str] = &["--max-mib", "64", "--rounds", "2"];

#[test]
fn the_touched_memory_is_resident_in_the_measuring_copy() {
    let _lock = fork_lock();
    for mib in [64, 256] {
        let result = measure_in_fresh_process(Path::new(EXE), mib, Pages::Normal, 2).unwrap();
        assert_eq!(result.mib, mib);
        let touched = mib as u64 * MIB;
        assert!(
            result.rss_growth * 10 >= touched * 9,
            "VmRSS grew by {} bytes for {touched} touched",
            result.rss_growth
        );
        assert_eq!(result.fork.samples, 2);
        assert_eq!(result.posix_spawn.samples, 2);
        assert_eq!(result.thread.samples, 2);
    }
}

#[test]
fn a_ballast_is_resident_and_gone_after_drop() {
    // In the test process itself. The lock keeps the other tests that touch memory (and the
    // ones that start children) from running meanwhile.
    let _lock = fork_lock();
    let before = vm_rss_bytes().unwrap();
    let ballast = Ballast::new(128, Pages::Normal).unwrap();
    let during = vm_rss_bytes().unwrap();
    assert!(
        during.saturating_sub(before) * 10 >= 128 * MIB * 9,
        "VmRSS grew from {before} to {during}"
    );
    drop(ballast);
    let after = vm_rss_bytes().unwrap();
    assert!(
        after < during - 64 * MIB,
        "VmRSS still {after} after unmapping"
    );
}

#[test]
fn every_kind_reaps_what_it_started() {
    let _lock = fork_lock();
    let result: SizeResult = measure_size(16, Pages::Normal, 5).unwrap();
    for kind in Kind::ALL {
        assert_eq!(result.of(kind).samples, 5, "{}", kind.name());
    }
}

/// Runs [`write_after_fork`] under the fork lock and checks what holds with or without
/// privilege: the child's exact status, the bytes each side reads, that the write faulted,
/// and that nothing is left behind (child, CPU mask).
fn run_cow(child: Child) -> CowRun {
    let _lock = fork_lock();
    let this_thread = Pid::from_raw(0);
    let cpus = sched_getaffinity(this_thread).unwrap();
    let run = write_after_fork(child).unwrap();
    assert_eq!(run.status, WaitStatus::Exited(run.pid, 0), "{run:?}");
    assert_eq!(run.parent_reads, AFTER);
    // The fork left the parent's entry read-only: its first write faults, copy or not.
    assert!(run.write_faults >= 1, "{run:?}");
    for entry in [run.before_fork, run.before_write, run.after_write] {
        assert!(entry.present(), "{run:?}");
    }
    // Bit 56 needs no privilege: mapped here only before the fork and after the write.
    assert!(run.before_fork.exclusive(), "{run:?}");
    assert!(run.after_write.exclusive(), "{run:?}");
    assert!(live_children().is_empty());
    assert_eq!(
        sched_getaffinity(this_thread).unwrap(),
        cpus,
        "CPU mask restored"
    );
    run
}

/// Whether the run's frame numbers are real. Without `CAP_SYS_ADMIN` they read as zero
/// (pagemap.rst): then the test says so and checks the frames no further. CI runs as root.
fn frames_visible(run: &CowRun, test: &str) -> bool {
    let visible = run.frames_visible();
    if !visible {
        println!(
            "{test}: frame comparison skipped: /proc/self/pagemap shows PFN 0 because this \
             process lacks CAP_SYS_ADMIN; run as root to check the frames"
        );
    }
    visible
}

#[test]
fn a_parent_write_while_the_child_runs_gets_a_new_frame() {
    let run = run_cow(Child::Running);
    // The child still sees what the page held at the fork: the parent's write went elsewhere.
    assert_eq!(run.child_reads, Some(BEFORE), "{run:?}");
    let child = run.child_entry.unwrap();
    assert!(child.present(), "{run:?}");
    // Both map the page after the fork; after the parent's copy, the child alone maps it.
    assert!(!run.before_write.exclusive(), "{run:?}");
    assert!(child.exclusive(), "{run:?}");
    if !frames_visible(&run, "a_parent_write_while_the_child_runs_gets_a_new_frame") {
        return;
    }
    assert_eq!(run.before_write.pfn(), run.before_fork.pfn(), "{run:?}");
    assert_ne!(
        run.after_write.pfn(),
        run.before_fork.pfn(),
        "a copy: {run:?}"
    );
    assert_eq!(
        child.pfn(),
        run.before_fork.pfn(),
        "the child keeps the old frame: {run:?}"
    );
}

#[test]
fn a_parent_write_after_the_child_is_reaped_keeps_its_frame() {
    let run = run_cow(Child::Reaped);
    assert_eq!(run.child_entry, None);
    // The child's exit took its mapping with it: the page is the parent's alone again.
    assert!(run.before_write.exclusive(), "{run:?}");
    if !frames_visible(
        &run,
        "a_parent_write_after_the_child_is_reaped_keeps_its_frame",
    ) {
        return;
    }
    assert_eq!(run.before_write.pfn(), run.before_fork.pfn(), "{run:?}");
    assert_eq!(
        run.after_write.pfn(),
        run.before_fork.pfn(),
        "reused, not copied: {run:?}"
    );
}

#[test]
fn the_cow_reuse_demo_shows_both_cases_and_leaves_nothing_behind() {
    let _lock = fork_lock();
    let text = readable_report(EXE, &["--demo", "cow-reuse"]);
    assert_mentions(
        &text,
        &[
            "child still running",
            "child exited and reaped",
            "parent, after its write",
        ],
    );
}

#[test]
fn sizes_grow_fourfold_up_to_the_maximum() {
    assert_eq!(sizes(1024), [0, 64, 256, 1024]);
    assert_eq!(sizes(2048), [0, 64, 256, 1024, 2048]);
    assert_eq!(sizes(100), [0, 64, 100]);
    assert_eq!(sizes(64), [0, 64]);
    assert_eq!(sizes(10), [0, 10]);
    assert_eq!(sizes(0), [0]);
}

#[test]
fn the_cap_is_half_of_mem_available_in_64_mib_steps() {
    assert_eq!(memory_cap_mib(4096 * MIB), 2048);
    assert_eq!(memory_cap_mib(1000 * MIB), 448);
    assert_eq!(memory_cap_mib(100 * MIB), 0);
}

kit::cli_contract! {
    bin: EXE,
    refused: [
        &["--rounds", "0"],
        &["--max-mib", "100000"],
        &["--no-such-flag"],
        &["--parent", "1"],
        &["--demo", "no-such-demo"],
        &["--demo", "cow-reuse", "--json"],
        &["--demo", "cow-reuse", "--rounds", "3"],
    ],
    help_mentions: ["page-table entries", "cow-reuse"],
    help_hides: ["measure-size"],
    quick_run: QUICK,
    // Ten thousand rounds per size: a measuring copy is alive when the signal comes.
    busy_run: ["--rounds", "10000", "--max-mib", "64"],
}

#[test]
fn json_has_a_record_per_kind_and_size_and_leaves_nothing_behind() {
    let _lock = fork_lock();
    let report = lab_report(EXE, "fork-rss", QUICK);
    let ids = record_ids(&report);
    assert_eq!(
        ids,
        [
            "fork-rss/fork/0MiB",
            "fork-rss/posix-spawn/0MiB",
            "fork-rss/thread/0MiB",
            "fork-rss/rss/0MiB",
            "fork-rss/fork/64MiB",
            "fork-rss/posix-spawn/64MiB",
            "fork-rss/thread/64MiB",
            "fork-rss/rss/64MiB",
        ]
    );
    let rss = report.get("fork-rss/rss/64MiB").unwrap();
    assert_eq!(rss.unit, "bytes");
    assert!(rss.median >= 0.9 * (64 * MIB) as f64);
    let fork = report.get("fork-rss/fork/64MiB").unwrap();
    assert_eq!((fork.unit.as_str(), fork.samples), ("ns", 2));
    assert_eq!(
        record_id("fork", 64, Pages::Huge),
        "fork-rss/fork/64MiB-huge"
    );
}

#[test]
fn the_readable_report_says_what_to_observe() {
    let _lock = fork_lock();
    let text = readable_report(EXE, QUICK);
    assert!(text.contains("64 MiB"), "{text}");
}

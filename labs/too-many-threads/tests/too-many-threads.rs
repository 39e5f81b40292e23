//! What the too-many-threads page claims: every mode runs every task (same checksum), the pool
//! uses exactly its N workers, a refused thread is an error value and not a panic, every child
//! process is reaped, and bad flags exit 2; the timelines have a lane per thread covering
//! its share of the work, and in the oversubscribed one the threads took turns on the CPUs
//! and their chunks split where they did.

#![cfg(target_os = "linux")]

use kit::testing::{
    assert_unwritable_timeline_refused, fork_lock, json_report, live_children, readable_report,
    run_lab, timeline_document,
};
use kit::timeline::{LaneKind, Timeline};
use std::path::Path;
use too_many_threads::{
    CHECKPOINT_TASKS, Crowd, TIMELINE_CHUNKS, TIMELINE_TASKS, checksum_sequential, cpus_allowed,
    lane_capacity, peak_in_progress, pool, process_per_task, run_limit_demo, spawn_until_refused,
    thread_per_task, traced_crowd,
};

const BIN: &str = env!("CARGO_BIN_EXE_too-many-threads");

/// A run small enough for a test: the flags every test that only needs the lab to finish
/// uses.
const QUICK: &[&str] = &["--tasks", "200", "--process-tasks", "20"];

/// Tasks in a test's timeline run: a quarter of the lab's, since the tests' unoptimised build
/// runs each task several times slower; each oversubscribed thread's share still takes many
/// scheduler time slices of CPU time.
const TIMELINE_TEST_TASKS: u64 = TIMELINE_TASKS / 4;

/// One lane per thread, named apart, each a thread's, with every chunk of its share as one
/// span or more (a chunk splits where its thread was off the CPU), in order, within the cap.
fn assert_a_lane_per_thread(timeline: &Timeline, threads: usize) {
    assert_eq!(timeline.lanes.len(), threads);
    for lane in &timeline.lanes {
        assert_eq!(lane.kind, LaneKind::Thread);
        assert!(lane.spans.len() >= TIMELINE_CHUNKS, "{}", lane.name);
        // The cap holds, and a lane is said to have dropped spans only when it is full (a
        // heavily loaded machine may split a chunk that often).
        let capacity = lane_capacity(threads, TIMELINE_CHUNKS);
        assert!(lane.spans.len() <= capacity, "{}", lane.name);
        if lane.name.contains("dropped") {
            assert_eq!(lane.spans.len(), capacity, "{}", lane.name);
        }
        assert!(lane.is_ordered(), "{}: {:?}", lane.name, lane.spans);
    }
    let mut names: Vec<&str> = timeline.lanes.iter().map(|l| l.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), threads);
}

#[test]
fn timelines_have_a_lane_per_thread_and_cover_all_the_work() {
    let cpus = cpus_allowed();
    for crowd in Crowd::ALL {
        let threads = crowd.threads(cpus);
        // The checksum covers every task: a task missed or run twice would change it.
        let (sum, timeline) = traced_crowd(TIMELINE_TEST_TASKS, threads, TIMELINE_CHUNKS);
        assert_eq!(
            sum,
            checksum_sequential(TIMELINE_TEST_TASKS),
            "{}",
            crowd.name()
        );
        assert_a_lane_per_thread(&timeline, threads);
    }
    assert!(Crowd::Oversubscribed.threads(cpus) > cpus);
    // Fewer tasks than spans: the empty chunks are still spans, in order.
    let (sum, timeline) = traced_crowd(5, 3, TIMELINE_CHUNKS);
    assert_eq!(sum, checksum_sequential(5));
    assert_a_lane_per_thread(&timeline, 3);
}

/// The page's claim about the oversubscribed picture. The scheduler shares a CPU among its
/// runnable tasks in time slices (the kernel's `Documentation/scheduler/sched-design-CFS.rst`
/// and `sched-eevdf.rst`), and each thread's share needs many slices, so the threads all get
/// under way and then take turns: more lanes are in progress at one moment than there are
/// CPUs. A thread in progress but not on a CPU was switched out; these threads never block,
/// so (some of) those switches are involuntary, and each such lane counts at least one switch;
/// and its chunk's span was split where it lost the CPU (`kit::spans::Recorder::span_split`),
/// so the lanes hold more spans than chunks. No timing is asserted: only the order of events,
/// the kernel's counts and the spans' count.
#[test]
fn oversubscribed_threads_take_turns_on_the_cpus() {
    let cpus = cpus_allowed();
    let (_, timeline) = traced_crowd(
        TIMELINE_TEST_TASKS,
        Crowd::Oversubscribed.threads(cpus),
        TIMELINE_CHUNKS,
    );
    let peak = peak_in_progress(&timeline);
    assert!(
        peak > cpus,
        "at most {peak} threads in progress at once on {cpus} CPUs"
    );
    let switched = timeline
        .lanes
        .iter()
        .filter(|l| l.voluntary + l.involuntary > 0)
        .count();
    assert!(
        switched >= peak - cpus,
        "{peak} in progress at once on {cpus} CPUs, but only {switched} lanes were switched out"
    );
    let involuntary: u64 = timeline.lanes.iter().map(|l| l.involuntary).sum();
    assert!(involuntary > 0, "{timeline:?}");
    // A thread in progress but off its CPU lost it in the middle of its share, for the length
    // of other threads' turns (a slice each, far longer than OFF_CPU_NS): its chunk's span
    // split there. Only a turn lost exactly between two chunks would leave no split, so some
    // lane has more spans than chunks.
    let spans: usize = timeline.lanes.iter().map(|l| l.spans.len()).sum();
    assert!(
        spans > timeline.lanes.len() * TIMELINE_CHUNKS,
        "no chunk split although {peak} threads were in progress at once on {cpus} CPUs"
    );

    // One thread per CPU: never more in progress than CPUs (there are no more lanes).
    let (_, timeline) = traced_crowd(TIMELINE_TEST_TASKS, cpus, TIMELINE_CHUNKS);
    assert!(peak_in_progress(&timeline) <= cpus);
}

#[test]
fn peak_in_progress_counts_overlapping_lanes_only() {
    use kit::timeline::{Lane, Span};
    let lane = |begin_ns, end_ns| Lane {
        name: format!("{begin_ns}"),
        kind: LaneKind::Thread,
        spans: vec![Span {
            begin_ns,
            end_ns,
            cpu_begin: 0,
            cpu_end: 0,
        }],
        voluntary: 0,
        involuntary: 0,
    };
    let timeline = Timeline::new(vec![lane(0, 10), lane(10, 20), lane(5, 15), lane(30, 40)]);
    // 0..10 and 10..20 touch but do not overlap; 5..15 overlaps each.
    assert_eq!(peak_in_progress(&timeline), 2);
    assert_eq!(peak_in_progress(&Timeline::default()), 0);
}

#[test]
fn every_mode_runs_every_task_with_the_same_checksum() {
    let _lock = fork_lock();
    let tasks = 300;
    let expected = checksum_sequential(tasks);
    assert_eq!(thread_per_task(tasks, 32).unwrap(), expected);
    assert_eq!(pool(tasks, 3).unwrap().checksum, expected);
    assert_eq!(process_per_task(tasks, 32).unwrap().checksum, expected);
}

#[test]
fn thread_modes_agree_at_the_default_size() {
    let expected = checksum_sequential(10_000);
    assert_eq!(thread_per_task(10_000, 256).unwrap(), expected);
    assert_eq!(pool(10_000, 2).unwrap().checksum, expected);
}

#[test]
fn the_pool_uses_exactly_n_workers() {
    for workers in [1, 2, 7] {
        let run = pool(1_000, workers).unwrap();
        assert_eq!(run.tasks_per_worker.len(), workers);
        assert_eq!(run.tasks_per_worker.iter().sum::<u64>(), 1_000);
    }
}

#[test]
fn process_per_task_keeps_at_most_max_live_children_and_reaps_all() {
    let _lock = fork_lock();
    let run = process_per_task(100, 8).unwrap();
    assert_eq!(run.peak_live, 8);
    assert_eq!(run.checksum, checksum_sequential(100));
}

#[test]
fn a_refused_thread_is_an_error_value_not_a_panic() {
    // A 1 PiB stack cannot be mapped in a 47-bit address space, whatever the overcommit
    // setting, so the very first creation fails.
    let outcome = spawn_until_refused(1 << 50, 10);
    assert_eq!(outcome.created, 0);
    let err = outcome.error.expect("the creation must fail");
    assert!(err.raw_os_error().is_some(), "{err}");
}

#[test]
fn spawn_until_refused_stops_at_max_and_joins_everything() {
    let outcome = spawn_until_refused(64 * 1024, 20);
    assert_eq!(outcome.created, 20);
    assert!(outcome.error.is_none());
}

#[test]
fn the_capped_child_reports_the_refusal_and_exits_cleanly() {
    let _lock = fork_lock();
    let demo = run_limit_demo(Path::new(BIN)).unwrap();
    assert!(demo.created >= 1, "{:?}", demo.lines);
    let refusal = demo.refusal.expect("a thread must be refused");
    assert!(
        refusal.starts_with(&format!(
            "thread {} could not be created: ",
            demo.created + 1
        )),
        "{refusal}"
    );
    assert!(refusal.contains("(os error "), "{refusal}");
    assert!(live_children().is_empty());

    // The child's stderr is empty: no panic message, no abort.
    let out = run_lab(BIN, &["--limit-demo"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn cli_json_parses_and_every_checksum_matches() {
    let _lock = fork_lock();
    let report = json_report(
        BIN,
        &[
            "--tasks",
            "500",
            "--process-tasks",
            "40",
            "--workers",
            "3",
            "--timeline-tasks",
            "20000",
        ],
    );
    assert_eq!(report.lab, "too-many-threads");
    for mode in ["thread-per-task", "pool", "process-per-task"] {
        let ok = report
            .get(&format!("too-many-threads/{mode}/checksum-ok"))
            .unwrap();
        assert_eq!(ok.median, 1.0, "{mode}");
    }
    // Sampled, so it may miss threads, but it can never see more than the pool's workers.
    let pool_threads = report.get("too-many-threads/pool/peak-threads").unwrap();
    assert!(pool_threads.median <= 3.0);
    let processes = report
        .get("too-many-threads/process-per-task/peak-processes")
        .unwrap();
    assert_eq!(processes.median, 40.0);
    assert_eq!(
        report.get("too-many-threads/limit/refused").unwrap().median,
        1.0
    );
    // The two timelines, a lane per thread each, for the page to draw.
    let ids: Vec<&str> = report.timelines.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "too-many-threads/timeline/cores",
            "too-many-threads/timeline/oversubscribed"
        ]
    );
    let cpus = cpus_allowed();
    for crowd in Crowd::ALL {
        let timeline = report.timeline(&crowd.timeline_id()).unwrap();
        assert_a_lane_per_thread(timeline, crowd.threads(cpus));
        // What recording cost, for the summary: a checkpoint every CHECKPOINT_TASKS task ids.
        let checkpoints = timeline.checkpoints.expect("the checkpoints are counted");
        assert_eq!(checkpoints.count, 20_000u64.div_ceil(CHECKPOINT_TASKS));
        assert!(timeline.span_cost_ns.is_some());
    }
}

#[test]
fn cli_readable_report() {
    let _lock = fork_lock();
    let text = readable_report(BIN, QUICK);
    assert!(text.starts_with("too-many-threads: "));
    assert!(!text.contains("timeline"), "no timelines without --json");
    assert!(text.contains("could not be created"));
}

/// `--timeline FILE` draws both timelines, one per CPU and oversubscribed, a lane per thread,
/// each with its spans; an unwritable path is refused before the run.
#[test]
fn timeline_draws_both_crowds_with_a_lane_per_thread() {
    let _lock = fork_lock();
    let tasks = TIMELINE_TEST_TASKS.to_string();
    let (_, drawn) = timeline_document(BIN, &[QUICK, &["--timeline-tasks", &tasks]].concat());
    assert_eq!(drawn.len(), Crowd::ALL.len(), "{drawn:?}");
    for (figure, crowd) in drawn.iter().zip(Crowd::ALL) {
        assert_eq!(figure.title, crowd.timeline_id());
        let threads = crowd.threads(cpus_allowed());
        assert_eq!(figure.lanes.len(), threads, "{figure:?}");
        assert!(
            figure.lanes.iter().all(|(_, n)| *n >= TIMELINE_CHUNKS),
            "{figure:?}"
        );
    }
    assert_unwritable_timeline_refused(BIN, &["--tasks", "100000", "--process-tasks", "5000"]);
}

kit::cli_contract! {
    bin: BIN,
    refused: [
        &["--tasks", "0"],
        &["--tasks", "100001"],
        &["--process-tasks", "5001"],
        &["--workers", "0"],
        &["--max-live", "0"],
        &["--timeline-tasks", "0"],
        &["--frobnicate"],
    ],
    help_mentions: ["RLIMIT_AS"],
    quick_run: QUICK,
    // Five thousand processes, one after another: some are alive when the signal comes.
    busy_run: ["--tasks", "1", "--process-tasks", "5000"],
}

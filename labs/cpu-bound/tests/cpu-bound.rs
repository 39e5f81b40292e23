//! What the cpu-bound page claims: the three modes compute the same sum, the closed form's,
//! for any worker count (more workers than numbers, uneven splits); every child is reaped;
//! the timelines the page draws have a lane per worker, each with its chunks in order, and
//! arrive from processes too, and state what a span cost; `--timeline FILE` writes them as one
//! well-formed SVG document, and refuses a path it cannot write before the lab runs; the CLI
//! behaves.

#![cfg(target_os = "linux")]

use cpu_bound::{
    CHUNKS, Mode, Results, chunk, closed_form, processes, processes_traced, sequential, split,
    sum_of_squares, threads, threads_traced, timeline_id,
};
use kit::testing::{
    assert_unwritable_timeline_refused, fork_lock, json_report, live_children, readable_report,
    timeline_document,
};
use kit::timeline::{LaneKind, Timeline};

const EXE: &str = env!("CARGO_BIN_EXE_cpu-bound");

#[test]
fn the_closed_form_matches_small_sums_counted_by_hand() {
    // 0² + 1² + 2² + 3² = 14
    assert_eq!(sum_of_squares(0..4), 14);
    assert_eq!(closed_form(4), 14);
    assert_eq!(closed_form(0), 0);
    assert_eq!(closed_form(1), 0);
}

#[test]
fn the_split_covers_0_to_n_exactly_once_with_lengths_within_one() {
    for (n, workers) in [
        (10, 3),
        (7, 7),
        (5, 16),
        (1, 1),
        (1_000_003, 256),
        (u64::MAX, 3),
    ] {
        let ranges = split(n, workers);
        assert_eq!(ranges.len(), workers);
        assert_eq!(ranges[0].start, 0);
        assert_eq!(ranges[workers - 1].end, n);
        for pair in ranges.windows(2) {
            assert_eq!(pair[0].end, pair[1].start, "ranges are contiguous");
        }
        let lengths: Vec<u64> = ranges.iter().map(|r| r.end - r.start).collect();
        let (min, max) = (lengths.iter().min().unwrap(), lengths.iter().max().unwrap());
        assert!(max - min <= 1, "n={n} workers={workers}: {lengths:?}");
    }
}

#[test]
fn threads_compute_the_closed_form_for_every_worker_count() {
    // n = 1_000_003 keeps n(n-1)(2n-1)/6 below 2^64, and is prime: every split is uneven.
    let n = 1_000_003;
    for workers in [1, 2, 3, 7, 64, 256] {
        assert_eq!(threads(n, workers), closed_form(n), "workers={workers}");
    }
    // More workers than numbers: most threads get an empty range.
    assert_eq!(threads(5, 16), 30);
}

#[test]
fn processes_compute_the_closed_form_for_every_worker_count_and_are_reaped() {
    let _lock = fork_lock();
    let n = 1_000_003;
    for workers in [1, 2, 3, 7, 64, 256] {
        assert_eq!(
            processes(n, workers).unwrap(),
            closed_form(n),
            "workers={workers}"
        );
        assert!(live_children().is_empty(), "workers={workers}");
    }
    assert_eq!(processes(5, 16).unwrap(), 30);
}

#[test]
fn all_modes_agree_when_the_sum_wraps_around_2_to_the_64() {
    let _lock = fork_lock();
    // Past about 3.8 million the true sum no longer fits in u64; every mode wraps the same
    // way, and so does the closed form reduced mod 2^64.
    let n = 10_000_019;
    let expected = closed_form(n);
    assert_eq!(sequential(n), expected);
    assert_eq!(threads(n, 3), expected);
    assert_eq!(processes(n, 3).unwrap(), expected);
}

#[test]
fn chunks_cover_a_range_exactly_once() {
    for range in [0..0, 3..4, 10..1_000_003, u64::MAX - 100..u64::MAX] {
        let pieces: Vec<_> = (0..CHUNKS).map(|k| chunk(&range, k, CHUNKS)).collect();
        assert_eq!(pieces[0].start, range.start);
        assert_eq!(pieces[CHUNKS - 1].end, range.end);
        for pair in pieces.windows(2) {
            assert_eq!(pair[0].end, pair[1].start, "{range:?}: contiguous");
        }
    }
}

/// One lane per worker, of the mode's kind, each with every chunk as a span, in order, all
/// inside the timeline's extent: the spans cover the worker's whole share.
fn assert_covers_the_work(timeline: &Timeline, workers: usize, kind: LaneKind) {
    assert_eq!(timeline.lanes.len(), workers, "{timeline:?}");
    for lane in &timeline.lanes {
        assert_eq!(lane.kind, kind);
        assert_eq!(
            lane.spans.len(),
            CHUNKS,
            "{}: every chunk is a span",
            lane.name
        );
        assert!(lane.is_ordered(), "{}: {:?}", lane.name, lane.spans);
    }
    let names: Vec<&str> = timeline.lanes.iter().map(|l| l.name.as_str()).collect();
    let mut unique = names.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), workers, "{names:?}");
}

#[test]
fn traced_threads_and_processes_compute_the_same_sum_and_record_every_chunk() {
    let _lock = fork_lock();
    let n = 1_000_003;
    let (sum, timeline) = threads_traced(n, 3);
    assert_eq!(sum, closed_form(n));
    assert_covers_the_work(&timeline, 3, LaneKind::Thread);
    let (sum, timeline) = processes_traced(n, 3).unwrap();
    assert_eq!(sum, closed_form(n));
    assert_covers_the_work(&timeline, 3, LaneKind::Process);
    assert!(live_children().is_empty());
    // More workers than numbers: empty shares still record their (empty) chunks.
    let (sum, timeline) = processes_traced(5, 8).unwrap();
    assert_eq!(sum, 30);
    assert_covers_the_work(&timeline, 8, LaneKind::Process);
}

#[test]
fn collect_runs_every_mode_every_round_and_keeps_one_sum() {
    let _lock = fork_lock();
    let mut calls = Vec::new();
    let results = Results::collect(100_000, 3, 2, |round, mode| calls.push((round, mode))).unwrap();
    assert_eq!(calls.len(), 2 * Mode::ALL.len());
    assert_eq!(results.sum, closed_form(100_000));
    for (_, summary) in &results.summaries {
        assert_eq!(summary.samples, 2);
    }
}

#[test]
fn json_is_a_report_with_the_expected_ids() {
    let _lock = fork_lock();
    let report = json_report(EXE, &["--n", "200000", "--workers", "3", "--rounds", "2"]);
    assert_eq!(report.lab, "cpu-bound");
    // Every time is criterion's: the lab records only its worker count, and no speed-up
    // computed from a mix of methods.
    let ids: Vec<&str> = report.records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["cpu-bound/workers"]);
    assert_eq!(report.get("cpu-bound/workers").unwrap().median, 3.0);
    // A timeline of each parallel mode, a lane per worker, for the page to draw.
    let ids: Vec<&str> = report.timelines.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(
        ids,
        ["cpu-bound/timeline/threads", "cpu-bound/timeline/processes"]
    );
    for (mode, kind) in [
        (Mode::Threads, LaneKind::Thread),
        (Mode::Processes, LaneKind::Process),
    ] {
        let timeline = report.timeline(&timeline_id(mode)).unwrap();
        assert_covers_the_work(timeline, 3, kind);
        // The recorder's cost is measured (its value is the machine's, not asserted).
        assert!(timeline.span_cost_ns.is_some(), "{timeline:?}");
    }
    // Every benchmark is described, with the benches' N, whatever the flags.
    let described: Vec<(&str, &str)> = report
        .benchmarks
        .iter()
        .map(|b| (b.id.as_str(), b.what.as_str()))
        .collect();
    assert_eq!(described.len(), 7, "{described:?}");
    assert_eq!(
        described[0],
        (
            "cpu-bound/sequential",
            "sum of squares of 0..1000000000 (sequential)"
        )
    );
    assert!(described.contains(&(
        "cpu-bound/threads/2",
        "sum of squares of 0..1000000000 (threads, W = 2)"
    )));
    assert!(described.contains(&(
        "cpu-bound/processes/4",
        "sum of squares of 0..1000000000 (processes, W = 4)"
    )));
}

#[test]
fn the_readable_report_names_the_machine_the_sum_and_what_to_observe() {
    let _lock = fork_lock();
    let text = readable_report(EXE, &["--n", "1000", "--workers", "2", "--rounds", "1"]);
    assert!(text.contains(&format!("same sum ({})", closed_form(1000))));
    assert!(
        !text.contains("timeline"),
        "the terminal output is unchanged: {text}"
    );
    // The terminal still shows the lab's own run: every mode's time and its speed-up.
    assert!(text.contains("speed-up"), "{text}");
    for mode in Mode::ALL {
        assert!(text.contains(mode.name()), "{text}");
    }
}

#[test]
fn timeline_writes_one_svg_document_with_a_lane_per_worker_in_each_timeline() {
    let _lock = fork_lock();
    let args = ["--n", "200000", "--workers", "3", "--rounds", "1"];
    let (text, drawn) = timeline_document(EXE, &args);
    // The run is as usual: the readable report on the terminal.
    assert!(text.contains(&format!("same sum ({})", closed_form(200_000))));
    // Each timeline under its title, with a lane group per worker, in order, holding a
    // rectangle per span at least (a span that moved CPU is two).
    assert_eq!(drawn.len(), 2, "{drawn:?}");
    for (figure, (mode, kind)) in drawn
        .iter()
        .zip([(Mode::Threads, "thread"), (Mode::Processes, "process")])
    {
        assert_eq!(figure.title, timeline_id(mode));
        assert_eq!(figure.lanes.len(), 3, "a lane group per worker: {figure:?}");
        for (worker, (name, spans)) in (1..=3).zip(&figure.lanes) {
            assert_eq!(name, &format!("{kind} {worker}"));
            assert!(*spans >= CHUNKS, "{figure:?}");
        }
    }
}

#[test]
fn an_unwritable_timeline_path_is_a_usage_error_before_the_run() {
    let _lock = fork_lock();
    assert_unwritable_timeline_refused(EXE, &["--rounds", "100", "--n", "100000000000"]);
}

kit::cli_contract! {
    bin: EXE,
    refused: [
        &["--workers", "0"],
        &["--workers", "257"],
        &["--n", "0"],
        &["--n", "-5"],
        &["--rounds", "0"],
        &["--rounds", "101"],
        &["--frobnicate"],
    ],
    help_mentions: ["--workers", "speed-up", "--timeline"],
    quick_run: ["--n", "1000", "--workers", "2", "--rounds", "1"],
    // Enough numbers that the processes mode is still running when the signal comes.
    busy_run: ["--rounds", "1", "--n", "100000000"],
}

//! What the gil page claims: Python's three sums (sequential, threads, processes) equal the
//! Rust sums; a missing interpreter is reported and the lab still exits 0; the Mutex-per-step
//! and local-sum versions give the same total; every child is reaped. No timing assertions.
//!
//! And the timelines' claim: over the same work, Python threads (with the GIL) overlap far less
//! than Python processes, each lane holding every chunk of its worker, in order.

#![cfg(target_os = "linux")]

use gil::{
    PythonOutcome, TIMELINE_CHUNKS, local_sums, lock_every_step, overlap_fraction, run_python,
    run_python_timeline, sum_squares, sum_squares_threads, timeline_id,
};
use kit::procfs::comm_of;
use kit::testing::{
    Pid, assert_clean_interrupts, assert_unwritable_timeline_refused, fork_lock, json_report,
    lab_report, live_children, median, readable_report, run_lab, timeline_document,
};
use kit::timeline::{LaneKind, Timeline};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_gil");

/// A small run with an interpreter that does not exist.
const WITHOUT_PYTHON: &[&str] = &[
    "--python",
    "/nonexistent/python3",
    "--n",
    "1000",
    "--steps",
    "1000",
];

fn python3_present() -> bool {
    Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn python_sums_equal_the_rust_sums() {
    let _lock = fork_lock();
    if !python3_present() {
        eprintln!("python3 is not installed here: nothing to compare");
        return;
    }
    let (n, workers) = (200_001, 3);
    let expected = sum_squares(0..n);
    assert_eq!(sum_squares_threads(n, workers), expected);
    let PythonOutcome::Ran(py) = run_python("python3", n, workers).unwrap() else {
        panic!("python3 is present but did not run");
    };
    for (mode, timing) in py.runs() {
        assert_eq!(timing.sum, expected.to_string(), "{mode}");
        assert!(timing.seconds >= 0.0);
    }
    assert_eq!(py.implementation, "cpython");
    if !py.free_threaded_build {
        assert!(py.gil_enabled, "a default build always has the GIL");
    }
    // The fork lock's drop checks that the interpreter and its pool workers are all gone.
}

#[test]
fn a_missing_interpreter_is_unavailable_not_an_error() {
    let _lock = fork_lock();
    let outcome = run_python("/nonexistent/python3", 10, 2).unwrap();
    assert_eq!(
        outcome,
        PythonOutcome::Unavailable("/nonexistent/python3 was not found".into())
    );
}

#[test]
fn cli_without_python_says_so_and_exits_0() {
    let _lock = fork_lock();
    let text = readable_report(BIN, WITHOUT_PYTHON);
    assert!(
        text.contains("Python part skipped: /nonexistent/python3 was not found."),
        "{text}"
    );
    assert!(text.contains("Rust scoped threads"));
    assert!(!text.contains("Python sequential"));
}

#[test]
fn cli_json_without_python_records_it() {
    let _lock = fork_lock();
    let report = json_report(BIN, WITHOUT_PYTHON);
    assert_eq!(median(&report, "gil/python/available"), 0.0);
    assert!(report.get("gil/python/threads").is_none());
    assert!(report.get("gil/rust/threads").is_some());
}

#[test]
fn cli_json_with_python_parses() {
    let _lock = fork_lock();
    if !python3_present() {
        return;
    }
    let report = lab_report(
        BIN,
        "gil",
        &["--n", "50000", "--steps", "10000", "--workers", "2"],
    );
    for id in [
        "gil/python/gil-enabled",
        "gil/python/sequential",
        "gil/python/threads",
        "gil/python/processes",
        "gil/rust/sequential",
        "gil/rust/threads",
        "gil/mutex-every-step/one-thread",
        "gil/mutex-every-step/threads",
        "gil/local-sum/one-thread",
        "gil/local-sum/threads",
    ] {
        assert!(report.get(id).is_some(), "{id}");
    }
    // The two Python timelines the page draws, a lane per worker.
    let ids: Vec<&str> = report.timelines.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["gil/timeline/threads", "gil/timeline/processes"]);
    for kind in [LaneKind::Thread, LaneKind::Process] {
        assert_complete(report.timeline(&timeline_id(kind)).unwrap(), 2, kind);
    }
}

/// One lane per worker, of `kind`, each named once, its spans in order and at least one per
/// chunk (the parser already refuses a lane with a chunk missing).
fn assert_complete(timeline: &Timeline, workers: usize, kind: LaneKind) {
    assert_eq!(timeline.lanes.len(), workers, "{timeline:?}");
    for lane in &timeline.lanes {
        assert_eq!(lane.kind, kind);
        assert!(lane.is_ordered(), "{lane:?}");
        assert!(lane.spans.len() >= TIMELINE_CHUNKS as usize, "{lane:?}");
    }
    // Distinct workers: thread ids differ, and so do pids.
    let mut names: Vec<&str> = timeline.lanes.iter().map(|l| l.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), workers, "{timeline:?}");
}

/// Processes runs to try before concluding they never ran side by side: on a loaded machine
/// the scheduler may put both on one CPU for a whole run. Five failed once here with about
/// fifty runnable tasks on two CPUs (several builds at once); an attempt takes under a second.
const PROCESS_ATTEMPTS: usize = 12;

/// The page's claim, over the same work: under the GIL, Python threads take turns, so their
/// lanes hardly overlap, while processes run side by side. Threads cannot overlap by more than
/// the gaps between a worker's clock readings, so half their busy time is far beyond them; a
/// processes run may be unlucky on a busy machine, so a few runs get their chance.
#[test]
fn python_threads_take_turns_and_processes_run_side_by_side() {
    let _lock = fork_lock();
    if !python3_present() {
        eprintln!("skipped: python3 is not installed");
        return;
    }
    let (n, workers) = (3_000_000, 2);
    let expected = sum_squares(0..n).to_string();
    let threads = run_python_timeline("python3", n, workers, LaneKind::Thread).unwrap();
    assert_eq!(threads.sum, expected);
    assert_complete(&threads.timeline, workers, LaneKind::Thread);
    assert!(live_children().is_empty());
    if !threads.gil_enabled {
        eprintln!(
            "skipped the comparison: this python3 runs with the GIL disabled \
             (sys._is_gil_enabled() is false), so its threads may overlap like processes"
        );
        return;
    }
    let threads_overlap = overlap_fraction(&threads.timeline);
    assert!(threads_overlap < 0.5, "{threads_overlap}: {threads:?}");
    if std::thread::available_parallelism().map_or(1, |n| n.get()) < 2 {
        eprintln!("skipped the processes' overlap: one CPU here, so processes cannot overlap");
        return;
    }
    let mut seen = Vec::new();
    for _ in 0..PROCESS_ATTEMPTS {
        let processes = run_python_timeline("python3", n, workers, LaneKind::Process).unwrap();
        assert_eq!(processes.sum, expected);
        assert_complete(&processes.timeline, workers, LaneKind::Process);
        assert!(live_children().is_empty());
        let overlap = overlap_fraction(&processes.timeline);
        if overlap > threads_overlap {
            eprintln!("overlap: threads {threads_overlap:.3}, processes {overlap:.3}");
            return;
        }
        seen.push(overlap);
    }
    panic!("processes overlapped {seen:?}, never more than threads' {threads_overlap}");
}

#[test]
fn an_interpreter_that_fails_is_an_error() {
    let _lock = fork_lock();
    let out = run_lab(BIN, &["--python", "false", "--n", "10", "--steps", "10"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("the Python script failed"), "{stderr}");
}

#[test]
fn mutex_every_step_and_local_sums_give_the_same_total() {
    let steps = 100_001;
    let expected = steps * (steps - 1) / 2;
    for workers in [1, 2, 5] {
        assert_eq!(lock_every_step(steps, workers), expected, "{workers}");
        assert_eq!(local_sums(steps, workers), expected, "{workers}");
    }
}

/// `--timeline FILE` draws the Python threads' and processes' timelines, a lane per worker;
/// an unwritable path is refused before the run.
#[test]
fn timeline_draws_the_python_threads_and_processes() {
    let _lock = fork_lock();
    assert_unwritable_timeline_refused(BIN, &["--n", "200000000"]);
    if !python3_present() {
        eprintln!("skipped the drawing: python3 is not installed");
        return;
    }
    let args = ["--n", "200000", "--steps", "1000", "--workers", "2"];
    let (_, drawn) = timeline_document(BIN, &args);
    let titles: Vec<&str> = drawn.iter().map(|t| t.title.as_str()).collect();
    assert_eq!(titles, ["gil/timeline/threads", "gil/timeline/processes"]);
    for figure in &drawn {
        assert_eq!(figure.lanes.len(), 2, "{figure:?}");
        assert!(figure.lanes.iter().all(|(_, n)| *n >= 1), "{figure:?}");
    }
}

// The signal test is not among these: it needs python3, and stays below.
kit::cli_contract! {
    bin: BIN,
    refused: [
        &["--n", "0"],
        &["--workers", "0"],
        &["--workers", "65"],
        &["--steps", "0"],
        &["--gil"],
        &["--python", ""],
    ],
    help_mentions: ["Mutex"],
    quick_run: WITHOUT_PYTHON,
}

#[test]
fn a_signal_to_the_lab_alone_kills_and_reaps_python() {
    // The lock first: `python3 --version` is a child too, and another test counting the
    // children it left must not see it.
    let _lock = fork_lock();
    if !python3_present() {
        eprintln!("skipped: python3 is not installed");
        return;
    }
    // A sum big enough that Python is still on its sequential run when the signal comes.
    let python_is_running = |below: &[Pid]| {
        below
            .iter()
            .any(|&pid| comm_of(pid).is_some_and(|name| name.starts_with("python")))
    };
    assert_clean_interrupts(BIN, &["--n", "200000000"], python_is_running);
}

/// The pool's workers are the interpreter's children, not the lab's: when the interpreter dies
/// by SIGKILL (as the lab's PR_SET_PDEATHSIG kills it when the lab dies), they must die too,
/// not compute on as orphans. `die_with_parent` in the script asks the kernel for that.
#[test]
fn pool_workers_die_with_a_killed_interpreter() {
    use kit::testing::{Signal, children_of, kill, stat_of};
    use std::io::Write;
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    let _lock = fork_lock();
    if !python3_present() {
        eprintln!("skipped: python3 is not installed");
        return;
    }
    // The lab's script without its `main()`, then only the processes mode, on a sum long
    // enough that no worker could finish its share before the deadline below.
    let program = "import sys, __main__\n\
                   source = sys.stdin.read().replace('if __name__ == \"__main__\":', 'if False:')\n\
                   exec(source, __main__.__dict__)\n\
                   with_processes(10**13, 2)\n";
    let mut python = Command::new("python3")
        .args(["-c", program])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("python3 starts");
    let pid = Pid::from_raw(python.id() as i32);
    let mut stdin = python.stdin.take().expect("piped");
    stdin
        .write_all(gil::PYTHON_SCRIPT.as_bytes())
        .expect("the script");
    drop(stdin);
    let started = Instant::now();
    let workers = loop {
        let below = children_of(pid);
        if below.len() >= 2 {
            break below;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no pool workers appeared"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    python.kill().expect("SIGKILL the interpreter");
    python.wait().expect("reap the interpreter");
    // The workers now belong to init, which reaps them once they die.
    let gone = |worker: &Pid| stat_of(worker.as_raw()).is_none_or(|s| s.state == 'Z');
    let deadline = Instant::now() + Duration::from_secs(30);
    while !workers.iter().all(gone) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let alive: Vec<Pid> = workers.iter().copied().filter(|w| !gone(w)).collect();
    for &worker in &alive {
        let _ = kill(worker, Signal::SIGKILL);
    }
    assert_eq!(alive, [], "pool workers outlived their interpreter");
}

//! How the lab talks: the run (Python, then Rust), the `--json` records and the readable
//! report (see `kit::lab`). What the book shows is in `lib.rs` and `sum_squares.py`.

use crate::{
    PythonOutcome, PythonReport, local_sums, lock_every_step, run_python, run_python_timeline,
    sum_squares, sum_squares_threads, timeline_id,
};
use kit::lab::{Outcome, Progress, write_heading};
use kit::stats::time_each;
use kit::table::{Table, nanos, times};
use kit::timeline::{LaneKind, Timeline};
use kit::{Machine, Record, Report, Summary, Unit};
use std::fmt::Write;

/// What the lab measured: Python's three runs (or why there were none) and the Rust runs.
pub struct GilRun {
    pub n: u64,
    pub steps: u64,
    pub workers: usize,
    pub python: PythonOutcome,
    rust: RustRuns,
    /// The Python threads' and processes' timelines, under their ids ([`timeline_id`]); empty
    /// unless the run recorded them (the `--json` run, with an interpreter).
    pub timelines: Vec<(String, Timeline)>,
}

/// The whole lab: the Python script through `python` (a missing interpreter is reported,
/// not an error), then the Rust side, `workers` threads (default: one per core). With
/// `timelines` (the `--json` run, or `--timeline FILE`) and an interpreter, then the Python
/// threads and processes once more each, recording their spans: after the timed runs, so the
/// spans cost those nothing. Fails if two sums disagree.
pub fn run(
    python: &str,
    n: u64,
    steps: u64,
    workers: Option<usize>,
    timelines: bool,
    progress: &Progress,
) -> anyhow::Result<GilRun> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workers = workers.unwrap_or(cores);

    progress.show(format_args!("running the Python script with {python}"));
    let outcome = run_python(python, n, workers)?;
    if let PythonOutcome::Unavailable(reason) = &outcome {
        // Said on stderr too, so that a `--json` run, whose report then has no Python
        // records, does not skip in silence.
        eprintln!("gil: Python part skipped: {reason}");
    }
    progress.show("running the Rust side");
    let rust = RustRuns {
        sequential: timed(|| sum_squares(0..n)),
        threads: timed(|| sum_squares_threads(n, workers)),
        locked_one: timed(|| lock_every_step(steps, 1)),
        locked_many: timed(|| lock_every_step(steps, workers)),
        local_one: timed(|| local_sums(steps, 1)),
        local_many: timed(|| local_sums(steps, workers)),
    };

    let expected = rust.sequential.result;
    if rust.threads.result != expected {
        anyhow::bail!("the Rust threads' sum differs from the sequential one");
    }
    if let PythonOutcome::Ran(report) = &outcome
        && let Some((mode, _)) = report
            .runs()
            .iter()
            .find(|(_, t)| t.sum != expected.to_string())
    {
        anyhow::bail!("Python's {mode} sum differs from Rust's {expected}");
    }
    let totals = [
        &rust.locked_one,
        &rust.locked_many,
        &rust.local_one,
        &rust.local_many,
    ];
    if totals.iter().any(|t| t.result != totals[0].result) {
        anyhow::bail!("the Mutex comparison's totals differ");
    }

    let mut recorded = Vec::new();
    if timelines && let PythonOutcome::Ran(_) = &outcome {
        for kind in [LaneKind::Thread, LaneKind::Process] {
            let id = timeline_id(kind);
            progress.show(format_args!("recording {id}"));
            let traced = run_python_timeline(python, n, workers, kind)?;
            if traced.sum != expected.to_string() {
                anyhow::bail!(
                    "{id}: Python's sum {} differs from Rust's {expected}",
                    traced.sum
                );
            }
            recorded.push((id, traced.timeline));
        }
    }

    Ok(GilRun {
        n,
        steps,
        workers,
        python: outcome,
        rust,
        timelines: recorded,
    })
}

impl Outcome for GilRun {
    fn report(&self) -> Report {
        let mut report = report_of(&self.python, &self.rust);
        report.timelines = self.timelines.clone();
        report
    }

    fn render(&self, machine: &Machine) -> String {
        render_text(self, machine)
    }
}

/// Timed runs of each Rust variant; the median is reported.
const ROUNDS: usize = 7;

/// One timed Rust run: its median time and its result.
struct Timed<T> {
    summary: Summary,
    result: T,
}

fn timed<T>(mut run: impl FnMut() -> T) -> Timed<T> {
    let mut result = None;
    let times = time_each(ROUNDS, || result = Some(run()));
    Timed {
        summary: Summary::of_durations(&times).expect("ROUNDS > 0"),
        result: result.expect("ROUNDS > 0"),
    }
}

struct RustRuns {
    sequential: Timed<u128>,
    threads: Timed<u128>,
    locked_one: Timed<u64>,
    locked_many: Timed<u64>,
    local_one: Timed<u64>,
    local_many: Timed<u64>,
}

fn python_seconds_to_nanos(seconds: f64) -> f64 {
    seconds * 1e9
}

fn report_of(python: &PythonOutcome, rust: &RustRuns) -> Report {
    let mut report = Report::new("gil");
    match python {
        PythonOutcome::Ran(py) => {
            report.push(Record::flag(
                "gil/python/gil-enabled",
                format!("Python {} runs with the GIL enabled (1 = yes)", py.version),
                py.gil_enabled,
            ));
            for (mode, timing) in py.runs() {
                report.push(Record::count(
                    format!("gil/python/{mode}"),
                    format!("Python {}: sum of squares, {mode}", py.version),
                    Unit::Nanoseconds,
                    python_seconds_to_nanos(timing.seconds),
                ));
            }
        }
        PythonOutcome::Unavailable(_) => report.push(Record::flag(
            "gil/python/available",
            "a Python interpreter could be run (0 = no)",
            false,
        )),
    }
    let rows: [(&str, &str, Summary); 6] = [
        (
            "gil/rust/sequential",
            "Rust: sum of squares, sequential",
            rust.sequential.summary,
        ),
        (
            "gil/rust/threads",
            "Rust: sum of squares, scoped threads",
            rust.threads.summary,
        ),
        (
            "gil/mutex-every-step/one-thread",
            "one thread locking a Mutex every step",
            rust.locked_one.summary,
        ),
        (
            "gil/mutex-every-step/threads",
            "threads locking one Mutex every step",
            rust.locked_many.summary,
        ),
        (
            "gil/local-sum/one-thread",
            "one thread summing locally",
            rust.local_one.summary,
        ),
        (
            "gil/local-sum/threads",
            "threads summing locally, locking once",
            rust.local_many.summary,
        ),
    ];
    for (id, what, summary) in rows {
        report.push(Record::new(id, what, Unit::Nanoseconds, summary));
    }
    report
}

fn render_text(run: &GilRun, machine: &Machine) -> String {
    let (workers, python, rust) = (run.workers, &run.python, &run.rust);
    let mut out = String::new();
    write_heading(
        &mut out,
        "gil: threads for CPU-bound work, in Python and in Rust",
        machine,
    );
    let _ = writeln!(
        out,
        "The sum of i*i for i in 0..{} = {}, sequentially and split over {workers} workers.",
        run.n, rust.sequential.result
    );
    let _ = writeln!(
        out,
        "Python times are one run each; Rust times the median of {ROUNDS} runs.\n"
    );

    let mut table = Table::new(["run", "workers", "time", "speed-up", "sum agrees"]);
    if let PythonOutcome::Ran(py) = python {
        let base = py.sequential.seconds;
        for (mode, timing) in py.runs() {
            table.row([
                format!("Python {mode}"),
                if mode == "sequential" { 1 } else { workers }.to_string(),
                nanos(python_seconds_to_nanos(timing.seconds)),
                times(base / timing.seconds),
                "yes".to_owned(),
            ]);
        }
    }
    let base = rust.sequential.summary.median;
    for (name, count, run) in [
        ("Rust sequential", 1, &rust.sequential),
        ("Rust scoped threads", workers, &rust.threads),
    ] {
        table.row([
            name.to_owned(),
            count.to_string(),
            nanos(run.summary.median),
            times(base / run.summary.median),
            "yes".to_owned(),
        ]);
    }
    let _ = write!(out, "{table}");
    match python {
        PythonOutcome::Ran(py) => {
            let _ = writeln!(out, "{}", describe_python(py));
        }
        PythonOutcome::Unavailable(reason) => {
            let _ = writeln!(
                out,
                "Python part skipped: {reason}. Install python3 or pass --python PATH."
            );
        }
    }

    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{} additions, each thread adding its share of 0..{} to one total:",
        run.steps, run.steps
    );
    let mut table = Table::new(["run", "threads", "time", "speed-up vs one thread"]);
    let rows = [
        (
            "lock the shared Mutex every step",
            1,
            &rust.locked_one,
            &rust.locked_one,
        ),
        (
            "lock the shared Mutex every step",
            workers,
            &rust.locked_many,
            &rust.locked_one,
        ),
        (
            "sum locally, lock once at the end",
            1,
            &rust.local_one,
            &rust.local_one,
        ),
        (
            "sum locally, lock once at the end",
            workers,
            &rust.local_many,
            &rust.local_one,
        ),
    ];
    for (name, threads, run, baseline) in rows {
        table.row([
            name.to_owned(),
            threads.to_string(),
            nanos(run.summary.median),
            times(baseline.summary.median / run.summary.median),
        ]);
    }
    let _ = write!(out, "{table}");
    let _ = writeln!(
        out,
        "Every run's total: {} (the same four times).",
        rust.local_one.result
    );

    let _ = writeln!(out);
    let rust_speedup = times(base / rust.threads.summary.median);
    if let PythonOutcome::Ran(py) = python {
        let _ = writeln!(
            out,
            "What to observe: Python threads ran {} as fast as one Python thread, Python",
            times(py.sequential.seconds / py.threads.seconds)
        );
        let _ = writeln!(
            out,
            "processes {}, and Rust threads {rust_speedup} as fast as one Rust thread.",
            times(py.sequential.seconds / py.processes.seconds)
        );
        let _ = writeln!(
            out,
            "One Rust thread was {} as fast as one Python thread: compiled code against an interpreter.",
            times(python_seconds_to_nanos(py.sequential.seconds) / base)
        );
    } else {
        let _ = writeln!(
            out,
            "What to observe: Rust threads ran {rust_speedup} as fast as one Rust thread."
        );
    }
    let _ = writeln!(
        out,
        "Locking one Mutex every step, {workers} threads ran {} as fast as one; summing locally, {}.",
        times(rust.locked_one.summary.median / rust.locked_many.summary.median),
        times(rust.local_one.summary.median / rust.local_many.summary.median)
    );
    out
}

fn describe_python(py: &PythonReport) -> String {
    let build = if py.free_threaded_build {
        "a free-threaded build"
    } else {
        "the default build"
    };
    let gil = if py.gil_enabled {
        "enabled"
    } else {
        "disabled"
    };
    format!(
        "{} {} ({build}): the GIL is {gil}.",
        py.implementation, py.version
    )
}

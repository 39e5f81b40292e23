//! The progress bar of `cargo book measure`: what is left to do, and an estimate of when it
//! will be done.

use super::{Lab, clock};
use crate::results::criterion;
use std::io::{IsTerminal, Write};
use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Task {
    Build,
    Run,
    Benchmarks,
}

/// Work not yet done, counted in steps whose duration `Progress` estimates.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Work {
    builds: usize,
    runs: usize,
    /// Bench binaries not yet listed: how many benchmarks they hold is a guess.
    unlisted_benches: usize,
    benchmarks: usize,
}

impl Work {
    pub(super) fn of(labs: &[Lab]) -> Self {
        Self {
            builds: labs.len(),
            runs: labs.iter().filter(|l| l.has_bin).count(),
            unlisted_benches: labs.iter().filter(|l| l.has_benches).count(),
            benchmarks: 0,
        }
    }
}

/// A progress bar with an ETA on stderr (a line per step when stderr is not a terminal).
///
/// The ETA adds up estimates for the work left: builds and `--json` runs at the average of
/// those done so far (a first guess before any is done), benchmarks at criterion's configured
/// time each, corrected by how long they really take here. The work is recounted from the
/// list of labs at each lab's start, so a lab that failed half-way leaves no phantom steps.
pub(super) struct Progress {
    started: Instant,
    tty: bool,
    drawn: bool,
    label: String,
    task: Task,
    task_started: Instant,
    /// Work of the current lab, then of the labs after it.
    now: Work,
    later: Work,
    build_times: Vec<f64>,
    run_times: Vec<f64>,
    per_benchmark: f64,
    benchmarks_seen: usize,
}

/// First guesses, replaced by the average of real durations as soon as there is one.
pub(super) const GUESS_BUILD: f64 = 20.0;
pub(super) const GUESS_RUN: f64 = 5.0;
pub(super) const GUESS_BENCHMARKS_PER_BINARY: usize = 4;

impl Progress {
    pub(super) fn new(labs: &[Lab], quick: bool) -> Self {
        Self {
            started: Instant::now(),
            tty: std::io::stderr().is_terminal(),
            drawn: false,
            label: String::new(),
            task: Task::Build,
            task_started: Instant::now(),
            now: Work::default(),
            later: Work::of(labs),
            build_times: Vec::new(),
            run_times: Vec::new(),
            per_benchmark: criterion::seconds_per_benchmark(quick),
            benchmarks_seen: 0,
        }
    }

    /// `lab` starts; `after` are the labs still to come.
    pub(super) fn begin_lab(&mut self, lab: &Lab, after: &[Lab]) {
        self.now = Work::of(std::slice::from_ref(lab));
        self.later = Work::of(after);
    }

    pub(super) fn start(&mut self, task: Task, label: &str) {
        self.task = task;
        self.label = label.to_owned();
        self.task_started = Instant::now();
        self.benchmarks_seen = 0;
        if self.tty {
            self.draw();
        } else {
            eprintln!("measure: {label} (about {} left)", clock(self.eta()));
        }
    }

    /// The lab is built, with this many bench binaries.
    pub(super) fn built(&mut self, bench_binaries: usize) {
        self.now.builds = 0;
        self.now.unlisted_benches = bench_binaries;
        self.build_times
            .push(self.task_started.elapsed().as_secs_f64());
    }

    pub(super) fn ran(&mut self) {
        self.now.runs = 0;
        self.run_times
            .push(self.task_started.elapsed().as_secs_f64());
    }

    /// A bench binary listed this many benchmarks.
    pub(super) fn listed(&mut self, benchmarks: usize) {
        self.now.unlisted_benches = self.now.unlisted_benches.saturating_sub(1);
        self.now.benchmarks += benchmarks;
    }

    /// `done` benchmarks of the running bench binary have finished.
    pub(super) fn benchmarks_done(&mut self, done: usize, label: &str) {
        let newly = done.saturating_sub(self.benchmarks_seen);
        if newly == 0 {
            return;
        }
        self.now.benchmarks = self.now.benchmarks.saturating_sub(newly);
        self.benchmarks_seen = done;
        if !label.is_empty() {
            self.label = label.to_owned();
        }
        // Learn how long a benchmark really takes here: a running blend with the estimate.
        let observed = self.task_started.elapsed().as_secs_f64() / done as f64;
        self.per_benchmark = (self.per_benchmark + observed) / 2.0;
    }

    pub(super) fn eta(&self) -> f64 {
        let average = |times: &[f64], guess: f64| {
            if times.is_empty() {
                guess
            } else {
                times.iter().sum::<f64>() / times.len() as f64
            }
        };
        let build = average(&self.build_times, GUESS_BUILD);
        let run = average(&self.run_times, GUESS_RUN);
        let seconds = |work: &Work| {
            let benchmarks = work.benchmarks + work.unlisted_benches * GUESS_BENCHMARKS_PER_BINARY;
            work.builds as f64 * build
                + work.runs as f64 * run
                + benchmarks as f64 * self.per_benchmark
        };
        // The running build or run is part of `now`; take off the time it has already had.
        let in_task = self.task_started.elapsed().as_secs_f64();
        let spent = match self.task {
            Task::Build => in_task.min(build),
            Task::Run => in_task.min(run),
            Task::Benchmarks => 0.0,
        };
        (seconds(&self.now) + seconds(&self.later) - spent).max(0.0)
    }

    pub(super) fn draw(&mut self) {
        if !self.tty {
            return;
        }
        const WIDTH: usize = 24;
        let elapsed = self.started.elapsed().as_secs_f64();
        let eta = self.eta();
        let fraction = elapsed / (elapsed + eta).max(f64::EPSILON);
        let filled = ((fraction * WIDTH as f64) as usize).min(WIDTH);
        let line = format!(
            "[{}{}] {:>3}%  {}  ~{} left",
            "#".repeat(filled),
            "-".repeat(WIDTH - filled),
            (fraction * 100.0) as u32,
            self.label,
            clock(eta)
        );
        let mut stderr = std::io::stderr().lock();
        let _ = write!(stderr, "\r\x1b[2K{line}");
        let _ = stderr.flush();
        self.drawn = true;
    }

    /// Prints a line where the bar was; the next step draws the bar again below it.
    pub(super) fn say(&mut self, message: &str) {
        self.clear();
        eprintln!("{message}");
    }

    pub(super) fn clear(&mut self) {
        if self.drawn {
            eprint!("\r\x1b[2K");
            self.drawn = false;
        }
    }
}

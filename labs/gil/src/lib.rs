//! Mistake 1: threads for CPU-bound work in Python.
//!
//! CPython's global interpreter lock lets one thread at a time run Python code, so CPU-bound
//! Python threads take turns instead of running in parallel. The lab runs the same sum of
//! squares in Python (sequentially, with threads, with processes) and in Rust (sequentially
//! and with scoped threads), and checks that every sum agrees.
//!
//! Rust has no GIL, but the same serialisation is easy to build by hand: threads that take
//! one shared `Mutex` for every step of their work run no faster than one thread.

// The whole lab is Linux's (clone, /proc, prctl); off Linux, main.rs says so in one line.
#![cfg(target_os = "linux")]

use anyhow::{Context, bail};
use serde::Deserialize;
use std::hint::black_box;
use std::io::{ErrorKind, Write};
use std::ops::Range;
use std::process::Stdio;
use std::sync::Mutex;
use std::thread;

pub mod report;

/// The Python side, embedded in the binary and fed to `python3 -` on stdin: no temp file.
pub const PYTHON_SCRIPT: &str = include_str!("sum_squares.py");

/// Splits `0..n` into `workers` contiguous ranges, the first `n % workers` one longer
/// (the Python script's `chunks` does the same).
pub fn chunks(n: u64, workers: usize) -> Vec<Range<u64>> {
    let workers = workers as u64;
    let (size, extra) = (n / workers, n % workers);
    let mut start = 0;
    (0..workers)
        .map(|k| {
            let stop = start + size + u64::from(k < extra);
            let range = start..stop;
            start = stop;
            range
        })
        .collect()
}

// ANCHOR: sum_squares
/// The sum of `i * i` over a range, one step at a time, as the Python loop does.
pub fn sum_squares(range: Range<u64>) -> u128 {
    let mut total = 0u128;
    for i in range {
        // black_box keeps this a loop: without it the optimiser may replace it with the
        // closed formula, and there would be no work left to compare.
        let i = u128::from(black_box(i));
        total += i * i;
    }
    total
}
// ANCHOR_END: sum_squares

// ANCHOR: rust_threads
/// The same sum split over `workers` scoped threads. Each thread owns its part of the work
/// and its own running total; nothing is shared until the results are added up.
pub fn sum_squares_threads(n: u64, workers: usize) -> u128 {
    thread::scope(|scope| {
        let handles: Vec<_> = chunks(n, workers)
            .into_iter()
            .map(|range| scope.spawn(move || sum_squares(range)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a worker panicked"))
            .sum()
    })
}
// ANCHOR_END: rust_threads

// ANCHOR: lock_every_step
/// The Rust-side mistake: every step of every thread takes the one shared lock, so the
/// threads take turns, just as Python threads take turns holding the GIL.
pub fn lock_every_step(steps: u64, workers: usize) -> u64 {
    let total = Mutex::new(0u64);
    thread::scope(|scope| {
        for range in chunks(steps, workers) {
            let total = &total;
            scope.spawn(move || {
                for i in range {
                    *total.lock().expect("lock poisoned") += i;
                }
            });
        }
    });
    total.into_inner().expect("lock poisoned")
}
// ANCHOR_END: lock_every_step

// ANCHOR: local_sums
/// The fix: each thread sums its own range locally and takes the lock once, at the end.
pub fn local_sums(steps: u64, workers: usize) -> u64 {
    let total = Mutex::new(0u64);
    thread::scope(|scope| {
        for range in chunks(steps, workers) {
            let total = &total;
            scope.spawn(move || {
                let mut local = 0u64;
                for i in range {
                    local += black_box(i); // black_box: keep the loop, as above
                }
                *total.lock().expect("lock poisoned") += local;
            });
        }
    });
    total.into_inner().expect("lock poisoned")
}
// ANCHOR_END: local_sums

/// One Python run as the script reports it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PythonTiming {
    /// The sum, as a decimal string (Python's integers have no size limit; JSON's may).
    pub sum: String,
    pub seconds: f64,
}

/// What the Python script printed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PythonReport {
    pub version: String,
    pub implementation: String,
    /// Built with `--disable-gil` (PEP 703), the "free-threaded" build.
    pub free_threaded_build: bool,
    /// `sys._is_gil_enabled()` where it exists (3.13+), else true.
    pub gil_enabled: bool,
    pub sequential: PythonTiming,
    pub threads: PythonTiming,
    pub processes: PythonTiming,
}

impl PythonReport {
    pub fn runs(&self) -> [(&'static str, &PythonTiming); 3] {
        [
            ("sequential", &self.sequential),
            ("threads", &self.threads),
            ("processes", &self.processes),
        ]
    }
}

/// The Python part's outcome: a report, or the reason there is none.
#[derive(Debug, Clone, PartialEq)]
pub enum PythonOutcome {
    Ran(PythonReport),
    /// The interpreter could not be started (not installed, not executable, …).
    Unavailable(String),
}

// ANCHOR: run_python
/// Runs the embedded script with `python -` (read the program from stdin), passing `n` and
/// `workers` as arguments. An interpreter that cannot be started is not an error: the lab
/// says so and carries on with the Rust side. A script that fails is an error.
pub fn run_python(python: &str, n: u64, workers: usize) -> anyhow::Result<PythonOutcome> {
    // kit::command: Command::new, plus PR_SET_PDEATHSIG so the interpreter dies with the lab.
    let spawned = kit::command::command(python)
        .args(["-", &n.to_string(), &workers.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(err) if err.kind() == ErrorKind::NotFound => {
            return Ok(PythonOutcome::Unavailable(format!(
                "{python} was not found"
            )));
        }
        Err(err) => {
            return Ok(PythonOutcome::Unavailable(format!(
                "{python} could not be started: {err}"
            )));
        }
    };
    // Write the whole script, then close stdin so Python sees its end. Python reads and
    // compiles the entire program before running it. If the interpreter quit early (a broken
    // pipe), its exit status and stderr below say why.
    let mut stdin = child.stdin.take().expect("stdin is piped");
    if let Err(err) = stdin.write_all(PYTHON_SCRIPT.as_bytes())
        && err.kind() != ErrorKind::BrokenPipe
    {
        let _ = child.kill(); // leave no interpreter behind, not even a zombie
        let _ = child.wait();
        return Err(err.into());
    }
    drop(stdin);
    let output = child.wait_with_output()?; // waits: the interpreter is reaped here
    if !output.status.success() {
        bail!(
            "the Python script failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let report = serde_json::from_slice(&output.stdout)
        .with_context(|| format!("unexpected output from {python}"))?;
    Ok(PythonOutcome::Ran(report))
}
// ANCHOR_END: run_python

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_the_range_exactly() {
        assert_eq!(chunks(10, 3), vec![0..4, 4..7, 7..10]);
        assert_eq!(chunks(2, 4), vec![0..1, 1..2, 2..2, 2..2]);
    }

    #[test]
    fn sums_match_the_closed_formula() {
        let n: u128 = 100_000;
        assert_eq!(sum_squares(0..100_000), (n - 1) * n * (2 * n - 1) / 6);
        assert_eq!(sum_squares_threads(100_000, 3), sum_squares(0..100_000));
    }
}

//! How the lab talks: the run with its progress line, the `--json` records and the readable
//! report (see `kit::lab`). What the book shows is in `lib.rs`.

use crate::*;
use kit::lab::{Outcome, Progress, write_heading, write_observations};
use kit::table::{Table, count, nanos, times};
use kit::{Machine, Noun, Record, Report, Unit};
use std::fmt::Write;

/// The whole lab: every mode `rounds` times over `0..n`, with `workers` workers (default:
/// one per core); with `timelines` (the `--json` run, or `--timeline FILE`), then a timeline of
/// the threads and the processes mode, which the report carries (and `--timeline` writes to
/// its file) and the terminal does not show.
pub fn run(
    n: u64,
    workers: Option<usize>,
    rounds: usize,
    timelines: bool,
    progress: &Progress,
) -> anyhow::Result<Results> {
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let workers = workers.unwrap_or(cores);
    let mut results = Results::collect(n, workers, rounds, |round, mode| {
        progress.show(format_args!(
            "round {}/{rounds}: {}",
            round + 1,
            mode.name()
        ));
    })?;
    if timelines {
        progress.show(format_args!("timelines: threads, processes"));
        results.record_timelines()?;
    }
    Ok(results)
}

impl Outcome for Results {
    /// The `--json` report: the worker count, and the words for every benchmark. Every wall
    /// time is criterion's (the benches run the same sum with the lab's default N and give
    /// a confidence interval), so the lab's own timings at one worker per core, and the
    /// speed-ups computed from them, are shown in the terminal only: one quantity, one
    /// method, and a page computes a speed-up from benchmarks (`{{#ratio}}`), never from a
    /// mix of methods.
    fn report(&self) -> Report {
        let mut report = Report::new("cpu-bound");
        report.push(Record::count(
            "cpu-bound/workers",
            "workers used by the threads and processes modes",
            Unit::Count(Noun::Workers),
            self.workers as f64,
        ));
        // The benchmarks' words are the lab's, with the benches' N (the lab's default),
        // whatever this run's flags.
        report.describe_benchmark(
            Mode::Sequential.id(),
            format!(
                "sum of squares of 0..{DEFAULT_N} ({})",
                Mode::Sequential.name()
            ),
        );
        for mode in [Mode::Threads, Mode::Processes] {
            for workers in BENCH_WORKERS {
                report.describe_benchmark(
                    format!("cpu-bound/{}", mode.bench_name(workers)),
                    format!(
                        "sum of squares of 0..{DEFAULT_N} ({}, W = {workers})",
                        mode.name()
                    ),
                );
            }
        }
        report.timelines = self.timelines.clone();
        report
    }

    /// The readable report: header, table, and what to observe in this run's numbers.
    fn render(&self, machine: &Machine) -> String {
        let mut out = String::new();
        write_heading(
            &mut out,
            "cpu-bound: one thread, W threads, W processes",
            machine,
        );
        let _ = writeln!(
            out,
            "Sum of i² for i in 0..{}, split over {} on {} \
             (median of {} per mode):\n",
            self.n,
            count(self.workers, "worker"),
            count(self.cores, "core"),
            count(self.rounds, "round")
        );
        let mut table = Table::new(["mode", "median", "min", "max", "speed-up", "efficiency"]);
        for &(mode, s) in &self.summaries {
            table.row([
                mode.name().to_owned(),
                nanos(s.median),
                nanos(s.low),
                nanos(s.high),
                times(self.speedup(mode)),
                format!("{:.0}%", 100.0 * self.efficiency(mode)),
            ]);
        }
        let _ = writeln!(out, "{table}");
        let _ = writeln!(
            out,
            "Speed-up is sequential ÷ mode; efficiency is speed-up ÷ {}×, the ideal with \
             {} on {}.\n",
            self.ideal(),
            count(self.workers, "worker"),
            count(self.cores, "core")
        );
        write_observations(&mut out, self.observations());
        out
    }
}

impl Results {
    /// Three sentences that interpret this run's medians.
    pub fn observations(&self) -> Vec<String> {
        let threads = self.speedup(Mode::Threads);
        let processes = self.speedup(Mode::Processes);
        // Below half the sequential speed, the cost of starting the workers dominates.
        let threads_line = if threads >= 0.5 {
            let efficiency = self.efficiency(Mode::Threads);
            let busy = if efficiency < 0.7 && self.ideal() > 1 {
                " So far below the ideal usually means other programs were using the cores \
                 meanwhile (see `top`): run it again on a quiet machine."
            } else {
                ""
            };
            format!(
                "Threads ran {} as fast as the sequential run, {:.0}% of the ideal {}×.{busy}",
                times(threads),
                100.0 * efficiency,
                self.ideal()
            )
        } else {
            format!(
                "Threads took {} as long as the sequential run: for this little work, starting \
                 and joining the threads costs more than the work itself.",
                times(1.0 / threads)
            )
        };
        // Against threads as a ratio of times, which is what the table shows: processes took
        // threads ÷ processes (speed-ups) as long as threads.
        let (processes_vs_sequential, took) = if processes >= 0.5 {
            (
                format!("Processes ran {} as fast as sequential", times(processes)),
                "took ",
            )
        } else {
            (
                format!(
                    "Processes took {} as long as sequential",
                    times(1.0 / processes)
                ),
                "",
            )
        };
        let processes_line = match processes / threads {
            r if r < 0.9 => format!(
                "{processes_vs_sequential} and {took}{} as long as threads: each worker costs a fork \
                 and a wait, dearer than a thread's start and join; the larger N, the less \
                 that matters.",
                times(1.0 / r)
            ),
            r if r > 1.1 => format!(
                "{processes_vs_sequential}, and threads took {} as long as processes: noise at \
                 this size; run more --rounds before reading anything into it.",
                times(r)
            ),
            _ => format!(
                "{processes_vs_sequential}, within 10% of threads: each child sees a \
                 copy-on-write copy of the lab and sends back 8 bytes, so separate memory \
                 costs next to nothing here."
            ),
        };
        let workers_line = match self.workers.cmp(&self.cores) {
            std::cmp::Ordering::Greater => format!(
                "{} workers share {}, so they take turns: the speed-up cannot pass {}× \
                 however many workers you add.",
                self.workers,
                count(self.cores, "core"),
                self.cores
            ),
            std::cmp::Ordering::Less => format!(
                "{} {} {} of the {} cores idle; `--workers {}` uses them all.",
                count(self.workers, "worker"),
                if self.workers == 1 { "leaves" } else { "leave" },
                self.cores - self.workers,
                self.cores,
                self.cores
            ),
            std::cmp::Ordering::Equal => format!(
                "One worker per core: {}× is the most this machine can give.",
                self.cores
            ),
        };
        vec![
            format!("All three modes computed the same sum ({}).", self.sum),
            threads_line,
            processes_line,
            workers_line,
        ]
    }
}

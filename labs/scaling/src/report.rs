//! How the lab talks: the checks before the sweep, the sweep with its progress line, the
//! `--json` records and the readable report (see `kit::lab`). What the book shows is in the
//! other modules.

use crate::*;
use anyhow::ensure;
use kit::lab::{Outcome, Progress, write_heading, write_observations};
use kit::table::{Table, count, nanos};
use kit::{Machine, Noun, Record, Report, Summary, Unit};
use std::fmt::Write;

/// The lab's name: the prefix of every record id.
pub const LAB: &str = "scaling";

/// The whole lab: checks that the machine can hold `max_workers` workers at once, then runs
/// the sweep.
pub fn run(
    work: u64,
    serial_percent: u32,
    max_workers: Option<usize>,
    rounds: usize,
    progress: &Progress,
) -> anyhow::Result<Results> {
    let cores = cores();
    let max_workers = max_workers.unwrap_or_else(|| default_max_workers(cores));
    if let Some(left) = kit::machine::processes_left() {
        ensure!(
            left >= max_workers as u64,
            "--max-workers {max_workers} needs {max_workers} processes at once, but this \
             machine lets us start only {left} more (pids.max, threads-max)"
        );
    }
    let config = Config {
        work,
        serial_percent,
        max_workers,
        rounds,
    };
    Results::collect(config, cores, |round, kind, series, workers| {
        let series = match series {
            Series::Fixed => "fixed work",
            Series::Scaled => "scaled work",
        };
        progress.show(format_args!(
            "round {}/{rounds}: {}, W = {workers}, {series}",
            round + 1,
            kind.name()
        ));
    })
}

/// A derived value (a ratio, a prediction): one number, no spread of its own.
fn derived(id: String, what: String, unit: Unit, value: f64) -> Record {
    Record::new(id, what, unit, Summary::single(value))
}

impl Outcome for Results {
    /// The records. Per kind and W: the wall time (`…/time/wW`), the speed-up beside Amdahl's
    /// predictions (`…/speedup/wW/{measured,amdahl,fitted}`), the workers' involuntary
    /// switches (`…/switches/wW`), and Gustafson's series (`…/scaled-time/wW`,
    /// `…/scaled/wW/{measured,gustafson}`); per kind the fitted serial fraction
    /// (`…/serial-fitted`); once the configured one (`scaling/serial-configured`). Each
    /// speed-up is a ratio of two medians of this one sweep: one method for every point of a
    /// curve, so the book draws measured and predicted bars side by side from records.
    fn report(&self) -> Report {
        let mut report = Report::new(LAB);
        let s = self.serial_fraction();
        report.push(Record::count(
            format!("{LAB}/serial-configured"),
            "serial fraction configured (--serial-percent)",
            Unit::Percent,
            100.0 * s,
        ));
        for kind in Kind::ALL {
            let k = kind.name();
            let fitted = self.fitted_serial_fraction(kind);
            if let Some(f) = fitted {
                report.push(derived(
                    format!("{LAB}/{k}/serial-fitted"),
                    format!("{k}: serial fraction fitted to the speed-ups (2 ≤ W ≤ cores)"),
                    Unit::Percent,
                    100.0 * f,
                ));
            }
            for point in self.points(kind) {
                let w = point.workers;
                report.push(Record::nanos(
                    format!("{LAB}/{k}/time/w{w}"),
                    format!("{k}, W = {w}: wall time of the fixed work"),
                    point.time,
                ));
            }
            for point in self.points(kind) {
                let w = point.workers;
                let id = format!("{LAB}/{k}/speedup/w{w}");
                report.push(derived(
                    format!("{id}/measured"),
                    format!("{k}, W = {w}: measured speed-up T(1) ÷ T(W)"),
                    Unit::Factor,
                    self.speedup(kind, w),
                ));
                report.push(derived(
                    format!("{id}/amdahl"),
                    format!("{k}, W = {w}: Amdahl at the configured s"),
                    Unit::Factor,
                    amdahl(s, w as f64),
                ));
                if let Some(f) = fitted {
                    report.push(derived(
                        format!("{id}/fitted"),
                        format!("{k}, W = {w}: Amdahl at the fitted s"),
                        Unit::Factor,
                        amdahl(f, w as f64),
                    ));
                }
            }
            for point in self.points(kind) {
                let w = point.workers;
                report.push(Record::new(
                    format!("{LAB}/{k}/switches/w{w}"),
                    format!("{k}, W = {w}: involuntary context switches of the workers per run"),
                    Unit::Count(Noun::Switches),
                    point.switches,
                ));
            }
            for point in self.points(kind) {
                let w = point.workers;
                report.push(Record::nanos(
                    format!("{LAB}/{k}/scaled-time/w{w}"),
                    format!("{k}, W = {w}: wall time when the parallel work grows with W"),
                    point.scaled_time,
                ));
            }
            for point in self.points(kind) {
                let w = point.workers;
                let id = format!("{LAB}/{k}/scaled/w{w}");
                report.push(derived(
                    format!("{id}/measured"),
                    format!("{k}, W = {w}: measured scaled speed-up (work per second ÷ W = 1's)"),
                    Unit::Factor,
                    self.scaled_speedup(kind, w),
                ));
                report.push(derived(
                    format!("{id}/gustafson"),
                    format!("{k}, W = {w}: Gustafson's s + (1 − s)·W"),
                    Unit::Factor,
                    gustafson(s, w as f64),
                ));
            }
        }
        report
    }

    /// The readable report: the machine and the settings, Amdahl's table, Gustafson's table,
    /// and what to observe in this run's numbers.
    fn render(&self, machine: &Machine) -> String {
        let mut out = String::new();
        write_heading(&mut out, "scaling: CPU-bound work over W workers", machine);
        let plan = self.config.plan();
        let _ = writeln!(
            out,
            "Sum of i² over {} numbers, {}% of them serial (s = {:.3}), on {}; \
             W = {}; median of {}.\n",
            self.config.work,
            self.config.serial_percent,
            self.serial_fraction(),
            count(self.cores, "core"),
            list(&self.counts),
            count(self.config.rounds, "round")
        );
        let _ = writeln!(out, "Fixed work (Amdahl): {} numbers per run", plan.total());
        let mut table = Table::new([
            "W",
            "threads",
            "speed-up",
            "switches",
            "processes",
            "speed-up",
            "switches",
            "Amdahl(s)",
        ]);
        let s = self.serial_fraction();
        for (i, &w) in self.counts.iter().enumerate() {
            let mut row = vec![w.to_string()];
            for kind in Kind::ALL {
                let p = self.points(kind)[i];
                row.push(nanos(p.time.median));
                row.push(format!("{:.2}×", self.speedup(kind, w)));
                row.push(format!("{:.0}", p.switches.median));
            }
            row.push(format!("{:.2}×", amdahl(s, w as f64)));
            table.row(row);
        }
        let _ = writeln!(out, "{table}");
        let fitted = |kind| {
            self.fitted_serial_fraction(kind)
                .map_or("none (one core)".to_owned(), |f| {
                    format!("{:.1}%", 100.0 * f)
                })
        };
        let _ = writeln!(
            out,
            "Serial fraction fitted to the speed-ups at 2 ≤ W ≤ {}: threads {}, processes {} \
             (configured {}%).\n",
            self.cores,
            fitted(Kind::Threads),
            fitted(Kind::Processes),
            self.config.serial_percent
        );
        let _ = writeln!(
            out,
            "Scaled work (Gustafson): {} serial numbers + W × {} parallel ones",
            plan.serial, plan.parallel
        );
        let mut table = Table::new(["W", "threads", "scaled", "processes", "scaled", "Gustafson"]);
        for (i, &w) in self.counts.iter().enumerate() {
            let mut row = vec![w.to_string()];
            for kind in Kind::ALL {
                let p = self.points(kind)[i];
                row.push(nanos(p.scaled_time.median));
                row.push(format!("{:.2}×", self.scaled_speedup(kind, w)));
            }
            row.push(format!("{:.2}×", gustafson(s, w as f64)));
            table.row(row);
        }
        let _ = writeln!(out, "{table}");
        let _ = writeln!(
            out,
            "speed-up = T(1) ÷ T(W); Amdahl(s) = 1 / (s + (1 − s)/W); scaled = work per second \
             ÷ W = 1's; Gustafson = s + (1 − s)·W; switches = involuntary context switches of \
             the W workers in one run (median).\n"
        );
        write_observations(&mut out, self.observations());
        out
    }
}

impl Results {
    /// Sentences that interpret this run's numbers.
    pub fn observations(&self) -> Vec<String> {
        let s = self.serial_fraction();
        let top = *self.counts.last().expect("at least W = 1");
        // The largest W that still has a core of its own.
        let full = self
            .counts
            .iter()
            .copied()
            .filter(|&w| w <= self.cores)
            .max()
            .unwrap_or(1);
        let mut lines = vec![
            "Every run, whatever W and kind, summed the same numbers to the closed form's \
             total: the speed-ups compare equal work."
                .to_owned(),
        ];
        if full >= 2 {
            let measured = self.speedup(Kind::Threads, full);
            let predicted = amdahl(s, full as f64);
            let busy = if measured < 0.8 * predicted {
                " Far below the prediction usually means other programs were using the cores \
                 meanwhile (see `top`): run it again on a quiet machine."
            } else {
                ""
            };
            lines.push(format!(
                "With W = {full} (one worker per core), threads ran {:.2}× as fast as one \
                 worker and processes {:.2}×; Amdahl predicts {:.2}× for s = {:.2}.{busy}",
                measured,
                self.speedup(Kind::Processes, full),
                predicted,
                s
            ));
        } else {
            lines.push(
                "This process may use one core only, so no W can beat W = 1: the curve is \
                 flat, and no serial fraction can be fitted (try it on a machine with more \
                 cores, or without `taskset`)."
                    .to_owned(),
            );
        }
        if let (Some(t), Some(p)) = (
            self.fitted_serial_fraction(Kind::Threads),
            self.fitted_serial_fraction(Kind::Processes),
        ) {
            // With one point (W = 2 on two cores), s = 2/S - 1: a 1 % change in S moves s by
            // about 2/S points, so the fit alone cannot rank threads and processes.
            let points = self
                .counts
                .iter()
                .filter(|&&w| (2..=self.cores).contains(&w))
                .count();
            let one_point = if points == 1 {
                format!(
                    " The fit rests on one point, W = {full}: a change of 1% in that speed-up \
                     moves s by about a point, so a point or two either way, or between \
                     threads and processes, is noise."
                )
            } else {
                String::new()
            };
            lines.push(format!(
                "Fitted to the measured speed-ups, s is {:.1}% for threads and {:.1}% for \
                 processes, against {}% configured. What does not shrink with W pushes it \
                 above the configured part: starting and collecting the workers (one after \
                 another, a cost that grows with W) and uneven progress (the run waits for \
                 its slowest worker). Noise moves it either way.{one_point}",
                100.0 * t,
                100.0 * p,
                self.config.serial_percent
            ));
        }
        if top > self.cores {
            let at = |kind, w| {
                self.points(kind)
                    .iter()
                    .find(|p| p.workers == w)
                    .map_or(f64::NAN, |p| p.switches.median)
            };
            let (before, after) = (
                self.speedup(Kind::Threads, full),
                self.speedup(Kind::Threads, top),
            );
            let verdict = if after <= 1.1 * before {
                "Past the core count nothing is gained"
            } else {
                "The speed-up still grew past the core count, which idle cores cannot \
                 explain: other programs probably held cores during the smaller W's runs \
                 (run it again on a quiet machine)"
            };
            lines.push(format!(
                "{verdict}: from W = {full} to W = {top}, threads went from {before:.2}× to \
                 {after:.2}× while Amdahl's law, which counts processors, not workers, would \
                 say {:.2}×. The workers take turns on {}: their involuntary context \
                 switches per run went from {:.0} to {:.0} (threads) and {:.0} to {:.0} \
                 (processes).",
                amdahl(s, top as f64),
                count(self.cores, "core"),
                at(Kind::Threads, full),
                at(Kind::Threads, top),
                at(Kind::Processes, full),
                at(Kind::Processes, top),
            ));
        }
        if full >= 2 {
            let ceiling = if s > 0.0 {
                format!("ceiling at Amdahl's 1/s = {:.1}×", 1.0 / s)
            } else {
                "ceiling".to_owned()
            };
            lines.push(format!(
                "Growing the work with W (Gustafson), W = {full} threads did {:.2}× the work \
                 per second of one (Gustafson predicts {:.2}×): the scaled speed-up has no \
                 {ceiling} as long as the parallel part grows and cores are free.",
                self.scaled_speedup(Kind::Threads, full),
                gustafson(s, full as f64),
            ));
        }
        lines
    }
}

/// `1, 2, 3, 4`.
fn list(counts: &[usize]) -> String {
    counts
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

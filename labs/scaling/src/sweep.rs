//! The sweep: every worker count, both kinds of worker, both series (Amdahl's fixed work and
//! Gustafson's growing work), round after round, and what is derived from it.

use crate::law::fit_serial_fraction;
use crate::work::{Plan, closed_form};
use crate::workers::{self, Run};
use anyhow::{Context, ensure};
use kit::Summary;
use std::time::Duration;

/// Threads or processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Threads,
    Processes,
}

impl Kind {
    pub const ALL: [Kind; 2] = [Kind::Threads, Kind::Processes];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Threads => "threads",
            Kind::Processes => "processes",
        }
    }

    /// One run of `plan` with `workers` workers of this kind.
    pub fn run(self, plan: Plan, workers: usize) -> anyhow::Result<Run> {
        match self {
            Kind::Threads => workers::threads(plan, workers),
            Kind::Processes => workers::processes(plan, workers),
        }
    }
}

/// Amdahl's series keeps the work fixed; Gustafson's grows the parallel part with W.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Series {
    Fixed,
    Scaled,
}

/// What the sweep does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Numbers summed by the fixed series (and by W = 1 of both).
    pub work: u64,
    pub serial_percent: u32,
    /// The largest W.
    pub max_workers: usize,
    pub rounds: usize,
}

impl Config {
    pub fn plan(&self) -> Plan {
        Plan::new(self.work, self.serial_percent)
    }
}

// ANCHOR: counts
/// The worker counts of a sweep up to `max`: every W up to 8, then steps of max/16 (rounded
/// up) so a big machine gets a curve of about twenty points, not hundreds; always `cores`
/// (where the curve should bend) and `max` itself.
pub fn worker_counts(max: usize, cores: usize) -> Vec<usize> {
    let step = max.div_ceil(16).max(1);
    let mut counts: Vec<usize> = (1..=max.min(8)).collect();
    counts.extend(
        (1..)
            .map(|k| k * step)
            .skip_while(|&w| w <= 8)
            .take_while(|&w| w <= max),
    );
    counts.extend([cores, max].into_iter().filter(|&w| w <= max));
    counts.sort_unstable();
    counts.dedup();
    counts
}
// ANCHOR_END: counts

/// The measurements of one worker count of one kind.
#[derive(Debug, Clone, Copy)]
pub struct Point {
    pub workers: usize,
    /// Wall time of the fixed series.
    pub time: Summary,
    /// Involuntary switches of the workers in the fixed series.
    pub switches: Summary,
    /// Wall time of the scaled series (the fixed series' own at W = 1: the same run).
    pub scaled_time: Summary,
}

/// The whole sweep.
#[derive(Debug, Clone)]
pub struct Results {
    pub config: Config,
    pub cores: usize,
    pub counts: Vec<usize>,
    /// Per kind, one point per worker count, in `counts` order.
    pub points: Vec<(Kind, Vec<Point>)>,
}

/// The samples of one kind and worker count, round by round.
#[derive(Default, Clone)]
struct Samples {
    time: Vec<Duration>,
    switches: Vec<f64>,
    scaled_time: Vec<Duration>,
}

impl Results {
    /// Runs the sweep: in every round, every worker count, each kind, the fixed then the
    /// scaled run, so a slow moment of the machine spreads over the whole curve instead of
    /// landing on one point. `progress` is told what is about to run. Fails if a run's sum
    /// is not the closed form's.
    pub fn collect(
        config: Config,
        cores: usize,
        mut progress: impl FnMut(usize, Kind, Series, usize),
    ) -> anyhow::Result<Self> {
        let counts = worker_counts(config.max_workers, cores);
        let plan = config.plan();
        let mut samples = vec![vec![Samples::default(); counts.len()]; Kind::ALL.len()];
        for round in 0..config.rounds {
            for (c, &workers) in counts.iter().enumerate() {
                for (k, kind) in Kind::ALL.into_iter().enumerate() {
                    progress(round, kind, Series::Fixed, workers);
                    let run = checked(kind, plan, workers)?;
                    let s = &mut samples[k][c];
                    s.time.push(run.elapsed);
                    s.switches.push(run.switches as f64);
                    if workers == 1 {
                        // The scaled plan of one worker is the fixed plan: the same run.
                        s.scaled_time.push(run.elapsed);
                    } else {
                        progress(round, kind, Series::Scaled, workers);
                        let run = checked(kind, plan.scaled(workers), workers)?;
                        samples[k][c].scaled_time.push(run.elapsed);
                    }
                }
            }
        }
        let summary = |s: &[Duration]| Summary::of_durations(s).context("no rounds");
        let points = Kind::ALL
            .into_iter()
            .zip(samples)
            .map(|(kind, per_count)| {
                let points = counts
                    .iter()
                    .zip(per_count)
                    .map(|(&workers, s)| {
                        Ok(Point {
                            workers,
                            time: summary(&s.time)?,
                            switches: Summary::of(&s.switches).context("no rounds")?,
                            scaled_time: summary(&s.scaled_time)?,
                        })
                    })
                    .collect::<anyhow::Result<_>>()?;
                Ok((kind, points))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Self {
            config,
            cores,
            counts,
            points,
        })
    }

    pub fn points(&self, kind: Kind) -> &[Point] {
        self.points
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(&[], |(_, p)| p)
    }

    fn point(&self, kind: Kind, workers: usize) -> Option<&Point> {
        self.points(kind).iter().find(|p| p.workers == workers)
    }

    /// The configured serial fraction s.
    pub fn serial_fraction(&self) -> f64 {
        self.config.plan().serial_fraction()
    }

    // ANCHOR: speedup
    /// T(1) ÷ T(W): medians of the fixed series, both from this sweep.
    pub fn speedup(&self, kind: Kind, workers: usize) -> f64 {
        let t = |w| self.point(kind, w).map_or(f64::NAN, |p| p.time.median);
        t(1) / t(workers)
    }

    /// Work per second with W workers ÷ work per second with one, in the scaled series
    /// (W workers sum serial + W·parallel numbers; one worker sums serial + parallel).
    pub fn scaled_speedup(&self, kind: Kind, workers: usize) -> f64 {
        let plan = self.config.plan();
        let rate = |w: usize| {
            self.point(kind, w).map_or(f64::NAN, |p| {
                plan.scaled(w).total() as f64 / p.scaled_time.median
            })
        };
        rate(workers) / rate(1)
    }

    /// The serial fraction fitted to this kind's speed-ups at 2 ≤ W ≤ cores: past the core
    /// count, workers share cores and Amdahl's law (which counts processors) does not apply.
    /// `None` on a machine with one core.
    pub fn fitted_serial_fraction(&self, kind: Kind) -> Option<f64> {
        let points: Vec<(f64, f64)> = self
            .counts
            .iter()
            .filter(|&&w| w <= self.cores)
            .map(|&w| (w as f64, self.speedup(kind, w)))
            .collect();
        fit_serial_fraction(&points)
    }
    // ANCHOR_END: speedup
}

/// One run, failing unless it summed exactly `0..plan.total()`.
fn checked(kind: Kind, plan: Plan, workers: usize) -> anyhow::Result<Run> {
    let run = kind.run(plan, workers)?;
    let expected = closed_form(plan.total());
    ensure!(
        run.sum == expected,
        "{} with W = {workers} summed {}, not {expected}",
        kind.name(),
        run.sum
    );
    Ok(run)
}

//! How the lab talks: the run with its progress line, the `--json` records and the readable
//! report (see `kit::lab`). What the book shows is in `blocking.rs`.

use crate::blocking::{self, Mode, Round};
use kit::lab::{Outcome, Progress, write_heading, write_observations};
use kit::table::{Table, count, nanos, times};
use kit::{Machine, Record, Report, Summary};
use std::fmt::Write;
use std::time::Duration;

/// What to measure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The CPU loop's length in the blocking demonstration.
    pub stall: Duration,
    /// Rounds of the demonstration, each mode.
    pub stall_rounds: usize,
}

/// Everything one run found.
#[derive(Debug, Clone)]
pub struct Results {
    pub settings: Settings,
    pub rounds: Vec<Round>,
}

/// The whole lab: the blocking demonstration, in this process.
pub fn run(settings: Settings, progress: &Progress) -> anyhow::Result<Results> {
    progress.show("the blocking demonstration");
    let rounds = blocking::rounds(settings.stall_rounds, settings.stall)?;
    Ok(Results { settings, rounds })
}

fn nanos_of(durations: impl IntoIterator<Item = Duration>) -> Summary {
    let samples: Vec<Duration> = durations.into_iter().collect();
    Summary::of_durations(&samples).unwrap_or(Summary::single(f64::NAN))
}

impl Results {
    fn rounds_of(&self, mode: Mode) -> impl Iterator<Item = &Round> {
        self.rounds.iter().filter(move |r| r.mode == mode)
    }

    /// The ticker's worst lateness in each round of `mode`.
    pub fn lateness(&self, mode: Mode) -> Summary {
        nanos_of(self.rounds_of(mode).map(|r| r.worst_lateness))
    }

    /// The runtime's worker threads: one, unless a reader changed `worker_threads` in
    /// `blocking::round`.
    pub fn workers(&self) -> usize {
        self.rounds.first().map_or(1, |r| r.workers)
    }

    /// A runtime of this run's workers, in words: "a one-worker runtime" as the lab ships.
    fn runtime_words(&self) -> String {
        match self.workers() {
            1 => "a one-worker runtime".to_owned(),
            n => format!("a {n}-worker runtime"),
        }
    }

    /// The CPU loop's length, over every round of both modes.
    pub fn loop_length(&self) -> Summary {
        nanos_of(self.rounds.iter().map(|r| r.cpu.length))
    }

    /// The fewest and the most ticks completed during a loop in `mode`.
    pub fn ticks_during(&self, mode: Mode) -> (usize, usize) {
        let ticks = self.rounds_of(mode).map(|r| r.cpu.ticks_during());
        let (low, high) = ticks.fold((usize::MAX, 0), |(lo, hi), t| (lo.min(t), hi.max(t)));
        (low, high)
    }

    /// Sentences that interpret this run's numbers.
    pub fn observations(&self) -> Vec<String> {
        let stalled = self.lateness(Mode::OnWorker).median;
        let fixed = self.lateness(Mode::SpawnBlocking).median;
        let length = self.loop_length().median;
        let (fewest, stalled_ticks) = self.ticks_during(Mode::OnWorker);
        let (fixed_ticks, _) = self.ticks_during(Mode::SpawnBlocking);
        let on_worker = match self.workers() {
            1 => format!(
                "With the loop on the one worker, the ticker's worst wake-up came {} late, \
                 {} the loop's {}: it completed {} while the loop ran. A task gives the \
                 worker back only at an .await.",
                nanos(stalled),
                times(stalled / length),
                nanos(length),
                match stalled_ticks {
                    0 => "no tick".to_owned(),
                    n => count(n, "tick"),
                }
            ),
            n if fewest > 0 => format!(
                "With the loop on one of {n} workers, the ticker's worst wake-up came {} late \
                 and it completed at least {} during the loop: an idle worker fired \
                 its timer and ran it. A ticker waiting in the busy worker's LIFO slot, which no \
                 other worker can steal from, would still have stalled.",
                nanos(stalled),
                count(fewest, "tick"),
            ),
            n => format!(
                "With the loop on one of {n} workers, the ticker's worst wake-up came {} late, \
                 and in some round it completed no tick during the loop: no other worker ran \
                 it, because it waited in the busy worker's LIFO slot, which no other worker \
                 can steal from, or because the other workers got no CPU in time.",
                nanos(stalled),
            ),
        };
        // On a busy machine the free worker need not get a CPU during the loop (see check).
        let spawn_blocking = if fixed_ticks == 0 {
            format!(
                "Through spawn_blocking the worst wake-up came {} late, and in some round the \
                 ticker completed no tick during the loop: the loop ran on the blocking pool, \
                 but the free worker got no CPU during it (a busy machine; a longer --stall-ms \
                 gives it more time).",
                nanos(fixed)
            )
        } else {
            format!(
                "Through spawn_blocking the worst wake-up came {} late and the ticker \
                 completed at least {} during the loop: the loop ran on the blocking pool, \
                 the worker stayed free.",
                nanos(fixed),
                count(fixed_ticks, "tick")
            )
        };
        vec![on_worker, spawn_blocking]
    }
}

impl Outcome for Results {
    /// The `--json` report: the ticker's worst lateness per mode, and the loop's length, in
    /// nanoseconds.
    fn report(&self) -> Report {
        let mut report = Report::new("async-tasks");
        for mode in Mode::ALL {
            let what = format!(
                "a 1 ms ticker's worst lateness on {}, with {}",
                self.runtime_words(),
                mode.how(self.workers())
            );
            report.push(Record::nanos(mode.id(), what, self.lateness(mode)));
        }
        report.push(Record::nanos(
            "async-tasks/blocking/loop",
            "the CPU loop's length (no .await inside)",
            self.loop_length(),
        ));
        report
    }

    /// The readable report: heading, a table, and what to observe in this run's numbers.
    fn render(&self, machine: &Machine) -> String {
        let mut out = String::new();
        write_heading(
            &mut out,
            "async-tasks: blocking a runtime's worker",
            machine,
        );
        let _ = writeln!(
            out,
            "The blocking mistake: a ticker sleeps 1 ms at a time on {} while a CPU loop of {} \
             runs (median of {} each):\n",
            self.runtime_words(),
            nanos(self.loop_length().median),
            match self.settings.stall_rounds {
                1 => "1 round".to_owned(),
                n => format!("{n} rounds"),
            }
        );
        let mut table = Table::new(["where the loop ran", "worst lateness", "ticks during loop"]);
        for mode in Mode::ALL {
            let (low, high) = self.ticks_during(mode);
            table.row([
                mode.how(self.workers()),
                nanos(self.lateness(mode).median),
                if low == high {
                    low.to_string()
                } else {
                    format!("{low}-{high}")
                },
            ]);
        }
        let _ = writeln!(out, "{table}");
        write_observations(&mut out, self.observations());
        out
    }

    /// The demonstration's structure, checked after the report: on the one worker the lab
    /// builds, the loop lets no tick through, which cooperative scheduling makes certain
    /// (blocking.rs). With more workers (the page's "What to try next") an idle worker runs the
    /// ticker, so there is nothing to check. That the loop on the blocking pool lets a tick
    /// through is the tests' claim, at the default length (tests/async-tasks.rs), and not
    /// checked here: it needs the worker to get a CPU during the loop, which on a loaded
    /// machine the shortest `--stall-ms` need not give it.
    fn check(&self) -> anyhow::Result<()> {
        let (_, stalled) = self.ticks_during(Mode::OnWorker);
        anyhow::ensure!(
            self.workers() > 1 || stalled == 0,
            "the ticker ticked during a loop on its only worker: {stalled}"
        );
        Ok(())
    }
}

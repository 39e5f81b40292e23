//! How the lab talks: the run with its progress line, the `--json` records and the readable
//! report (see `kit::lab`). What the book shows is in the concept
//! modules `lib.rs` lists.

use crate::{LAB, Placement, Results, Variant, summary};
use kit::lab::{Outcome, Progress, write_heading, write_observations};
use kit::table::{Table, nanos, times};
use kit::{Machine, Noun, Record, Report, Unit};
use std::fmt::Write;

/// Round trips per timed batch: the clock is read once per batch.
pub const BATCH: u64 = 100;

/// The whole lab: every variant, `round_trips` (rounded up to whole batches) each.
pub fn run(round_trips: u64, progress: &Progress) -> anyhow::Result<Results> {
    let batches = round_trips.div_ceil(BATCH);
    Results::collect(batches, BATCH, |i, total, variant: Variant| {
        progress.show(format_args!(
            "ping-pong {} {} ({}/{total})",
            variant.kind(),
            variant.placement.name(),
            i + 1
        ));
    })
}

impl Outcome for Results {
    /// `--json`: per variant, ping's context switches per round trip, and the words for the
    /// benchmark of its round trip. The time per round trip is criterion's (the bench runs
    /// the same ping-pong, pinned the same way, and gives a confidence interval): one
    /// quantity, one method, so the lab's own timing is shown in the terminal only.
    fn report(&self) -> Report {
        let mut report = Report::new(LAB);
        for m in &self.measured {
            let where_ = match m.variant.placement {
                Placement::SameCpu => format!("both on CPU {}", m.cpus.0),
                Placement::AcrossCpus => format!("on CPUs {} and {}", m.cpus.0, m.cpus.1),
            };
            report.describe_benchmark(
                m.variant.id(),
                format!("one round trip: {}, {where_}", m.variant.how()),
            );
            report.push(Record::count(
                format!("{}/ping-switches", m.variant.id()),
                format!(
                    "context switches of the pinging thread per round trip, {}, {where_}",
                    m.variant.kind()
                ),
                Unit::Count(Noun::Switches),
                m.ping_switches,
            ));
        }
        report
    }

    /// The readable report.
    fn render(&self, machine: &Machine) -> String {
        let mut out = String::new();
        write_heading(
            &mut out,
            "context-switch: a round trip between two threads, and between two processes",
            machine,
        );
        let _ = writeln!(
            out,
            "Ping-pong: one side sends a counter, the other sends it back plus one; {} round \
             trips per variant, timed in batches. Median per round trip [fastest-slowest \
             batch]. On one CPU a round trip is two context switches.",
            self.round_trips
        );
        let _ = writeln!(out);
        let mut table = Table::new([
            "variant",
            "CPUs",
            "round trip",
            "half (one handoff)",
            "ping switches/round trip",
        ]);
        for m in &self.measured {
            let s = summary(m);
            table.row([
                format!("{} {}", m.variant.kind(), m.variant.placement.name()),
                format!("{},{}", m.cpus.0, m.cpus.1),
                format!("{} [{}-{}]", nanos(s.median), nanos(s.low), nanos(s.high)),
                nanos(s.median / 2.0),
                format!("{:.2}", m.ping_switches),
            ]);
        }
        let _ = writeln!(out, "{table}");
        write_observations(&mut out, self.observations());
        out
    }
}

impl Results {
    /// Sentences computed from this run's medians.
    pub fn observations(&self) -> Vec<String> {
        use Placement::{AcrossCpus, SameCpu};
        let mut lines = Vec::new();
        if let (Some(threads), Some(processes)) = (
            self.median("pipe-threads", SameCpu),
            self.median("pipe-processes", SameCpu),
        ) {
            let ratio = processes / threads;
            let verdict = if ratio > 1.1 {
                "A switch to another process also switches the address space (the page \
                 tables); a switch between threads of one process keeps it."
            } else {
                "Switching the address space (the page tables) added little beside the two \
                 system calls and the scheduler's own work."
            };
            lines.push(format!(
                "On one CPU, a pipe round trip took {} between threads and {} between \
                 processes ({} as long). {verdict}",
                nanos(threads),
                nanos(processes),
                times(ratio),
            ));
        }
        if let Some(m) = self.find("pipe-threads", SameCpu) {
            lines.push(format!(
                "On one CPU the pinging thread was switched out {:.2} times per round trip \
                 (getrusage): each side must block to let the other run, so one handoff \
                 (a switch, plus a write and a read) costs about half a round trip, {}.",
                m.ping_switches,
                nanos(summary(m).median / 2.0)
            ));
        }
        if let (Some(same), Some(across)) = (
            self.median("pipe-threads", SameCpu),
            self.median("pipe-threads", AcrossCpus),
        ) {
            let why = if across > same {
                "waking a thread that sleeps on another CPU takes an interrupt to that CPU \
                 unless its idle loop is polling, and that CPU may first have to leave an \
                 idle state"
            } else {
                "each side runs on its own CPU, so neither waits to be switched in"
            };
            lines.push(format!(
                "Across two CPUs the same pipe round trip between threads took {}, {} the \
                 one-CPU time: {why}.",
                nanos(across),
                times(across / same),
            ));
        }
        if let (Some(pipe), Some(condvar)) = (
            self.median("pipe-threads", SameCpu),
            self.median("condvar-threads", SameCpu),
        ) {
            let why = if condvar < pipe {
                "it moves no bytes through a kernel buffer"
            } else {
                "each handoff takes the lock, notifies and waits, and each of those steps may \
                 enter the kernel"
            };
            lines.push(format!(
                "The Mutex + Condvar handoff took {} on one CPU, {} the pipe's. Both put the \
                 waiting thread to sleep in the kernel (futex(2) for the condvar); {why}.",
                nanos(condvar),
                times(condvar / pipe),
            ));
        }
        if !self.skipped.is_empty() {
            lines.push(format!(
                "This process may run on only {} CPU ({:?}): the {} across-CPU variants were \
                 skipped.",
                self.allowed_cpus.len(),
                self.allowed_cpus,
                self.skipped.len()
            ));
        }
        lines
    }
}

//! How the baselines talk: the run with its progress line, the `--json` records and the
//! readable report (see `kit::lab`).

use crate::{Creation, LAB, Results, Step, collect};
use kit::lab::{Outcome, Progress, write_heading, write_observations};
use kit::table::{Table, nanos, times};
use kit::{Machine, Record, Report};
use std::fmt::Write;

/// Every baseline, `runs` samples each. A baseline this machine cannot measure is skipped
/// with one line on stderr (also under `--json`, whose stdout stays the report alone).
pub fn run(runs: usize, progress: &Progress) -> anyhow::Result<Results> {
    let results = collect(runs, |step| match step {
        Step::C(what) => progress.show(format_args!("C: {what}")),
        Step::Perf(mode) => progress.show(format_args!("perf: {}", mode.id())),
    })?;
    progress.clear();
    for why in &results.skipped {
        eprintln!("{LAB}: skipped {why}");
    }
    Ok(results)
}

impl Outcome for Results {
    /// `--json`: one record per baseline, in ns.
    fn report(&self) -> Report {
        let mut report = Report::new(LAB);
        for m in &self.measured {
            report.push(Record::nanos(&m.id, &m.what, m.summary()));
        }
        report
    }

    /// The readable report: every baseline's median and range, then what to compare.
    fn render(&self, machine: &Machine) -> String {
        let mut out = String::new();
        write_heading(
            &mut out,
            "baseline: the bare primitives, without Rust",
            machine,
        );
        let mut table = Table::new(["record", "median", "fastest-slowest", "samples"]);
        for m in &self.measured {
            let s = m.summary();
            table.row([
                m.id.clone(),
                nanos(s.median),
                format!("{}-{}", nanos(s.low), nanos(s.high)),
                s.samples.to_string(),
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
        let median = |kind: Creation| self.median(&kind.id());
        let mut lines = Vec::new();
        if let (Some(thread), Some(fork), Some(vfork)) = (
            median(Creation::Pthread),
            median(Creation::Fork),
            median(Creation::Vfork),
        ) {
            lines.push(format!(
                "A bare pthread_create + join took {}, fork + wait {} ({} as long) and vfork + \
                 wait {}: vfork copies no page tables, the child borrows the parent's memory.",
                nanos(thread),
                nanos(fork),
                times(fork / thread),
                nanos(vfork),
            ));
        }
        lines.push(
            "Compare with the labs run in the same session: spawn-cost/thread with \
             baseline/c/pthread, spawn-cost/fork with baseline/c/fork, \
             spawn-cost/posix-spawn with baseline/c/posix-spawn, and \
             context-switch/pipe-*/same-cpu with baseline/c/pipe-*-same-cpu."
                .to_owned(),
        );
        for why in &self.skipped {
            lines.push(format!("Skipped {why}"));
        }
        lines
    }
}

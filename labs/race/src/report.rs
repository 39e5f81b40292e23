//! How the lab talks: the run of the chosen modes, the `--json` records and the readable
//! report (see `kit::lab`). What the book shows is in `lib.rs`.

use crate::{Mode, Outcome};
use clap::ValueEnum;
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use kit::lab::{self, Progress, write_heading, write_observations};
use kit::table::Table;
use kit::{Machine, Noun, Record, Report, Unit};
use std::fmt::Write;

/// The lab's name: the prefix of every record id.
pub const LAB: &str = "race";

/// `--mode all` or `--mode NAME`.
#[derive(Debug, Clone, Copy)]
pub enum Selection {
    All,
    One(Mode),
}

/// The parser of `--mode`: `all`, or one mode's name.
pub fn mode_parser() -> impl TypedValueParser<Value = Selection> {
    let names = std::iter::once(PossibleValue::new("all").help("Every mode, the racy ones first"))
        .chain(
            Mode::value_variants()
                .iter()
                .filter_map(|m| m.to_possible_value()),
        );
    PossibleValuesParser::new(names).map(|name| match Mode::from_str(&name, false) {
        Ok(mode) => Selection::One(mode),
        Err(_) => Selection::All,
    })
}

/// What every mode that ran counted, with the run's settings.
#[derive(Debug, Clone)]
pub struct Counts {
    pub workers: u32,
    pub increments: u64,
    pub outcomes: Vec<Outcome>,
}

/// The whole lab: the selected modes, one after another, `workers` workers adding one
/// `increments` times each.
pub fn run(
    selection: Selection,
    workers: u32,
    increments: u64,
    progress: &Progress,
) -> anyhow::Result<Counts> {
    let modes = match selection {
        Selection::One(mode) => vec![mode],
        Selection::All => Mode::ALL.to_vec(),
    };
    let mut outcomes = Vec::with_capacity(modes.len());
    for mode in modes {
        progress.show(mode.name());
        outcomes.push(Outcome::measure(mode, workers, increments)?);
    }
    Ok(Counts {
        workers,
        increments,
        outcomes,
    })
}

impl lab::Outcome for Counts {
    /// `--json`: the expected count, and per mode what it counted and the share it lost.
    fn report(&self) -> Report {
        let mut report = Report::new(LAB);
        if let Some(first) = self.outcomes.first() {
            report.push(Record::count(
                "race/expected",
                "updates every mode should count (workers × increments)",
                Unit::Count(Noun::Updates),
                first.expected as f64,
            ));
        }
        for o in &self.outcomes {
            let name = o.mode.name();
            report.push(Record::count(
                format!("race/{name}"),
                format!("updates counted by {name} ({})", o.mode.how()),
                Unit::Count(Noun::Updates),
                o.counted as f64,
            ));
            report.push(Record::count(
                format!("race/{name}/lost"),
                format!("share of updates lost by {name}"),
                Unit::Percent,
                o.lost_percent(),
            ));
        }
        report
    }

    /// The readable report: one row per mode, and what to observe.
    fn render(&self, machine: &Machine) -> String {
        let mut out = String::new();
        write_heading(&mut out, "race: a shared counter, racy and fixed", machine);
        let expected = u64::from(self.workers) * self.increments;
        let _ = writeln!(
            out,
            "{} workers each add one {} to a shared counter: {expected} updates expected.\n",
            self.workers,
            match self.increments {
                1 => "once".to_owned(),
                n => format!("{n} times"),
            }
        );
        let mut table = Table::new(["mode", "expected", "counted", "lost", "lost %"]);
        for o in &self.outcomes {
            table.row([
                o.mode.name().to_owned(),
                o.expected.to_string(),
                o.counted.to_string(),
                o.lost().to_string(),
                format!("{:.1}", o.lost_percent()),
            ]);
        }
        let _ = writeln!(out, "{table}");
        for o in &self.outcomes {
            let _ = writeln!(out, "  {:<22} {}", o.mode.name(), o.mode.how());
        }
        let _ = writeln!(out);
        write_observations(&mut out, self.observations());
        out
    }
}

impl Counts {
    /// "What to observe", computed from this run's numbers.
    pub fn observations(&self) -> Vec<String> {
        let outcomes = &self.outcomes;
        let mut lines = Vec::new();
        for o in outcomes.iter().filter(|o| o.mode.is_racy()) {
            let why = match o.mode {
                Mode::ThreadsRacy => {
                    "safe Rust, every access atomic, but load-then-store is two steps"
                }
                _ => "processes sharing an atomic race just like threads, with no data race",
            };
            // Nothing guarantees an interleaving: with few increments the workers may
            // never store inside each other's load-to-store window.
            lines.push(if o.lost() == 0 {
                format!(
                    "{} lost no update in this run ({} expected): an update is lost only when \
                     another worker stores between a worker's load and its store, and this \
                     time none did; more --increments make it all but certain.",
                    o.mode.name(),
                    o.expected
                )
            } else {
                format!(
                    "{} lost {} of {} updates ({:.1}%): {why}.",
                    o.mode.name(),
                    o.lost(),
                    o.expected,
                    o.lost_percent()
                )
            });
        }
        let fixed: Vec<&Outcome> = outcomes.iter().filter(|o| !o.mode.is_racy()).collect();
        if let Some(first) = fixed.first() {
            let wrong: Vec<&str> = fixed
                .iter()
                .filter(|o| o.lost() > 0)
                .map(|o| o.mode.name())
                .collect();
            if wrong.is_empty() {
                lines.push(format!(
                    "The {} counted exactly {}: fetch_add is one indivisible step, a Mutex is \
                     held across both steps, per-worker counters share nothing until the end.",
                    if fixed.len() == 1 { "fix" } else { "fixes" },
                    first.expected
                ));
            } else {
                lines.push(format!(
                    "Unexpected: {} lost updates; please report this run.",
                    wrong.join(", ")
                ));
            }
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(increments: u64, counted: u64) -> Counts {
        Counts {
            workers: 2,
            increments,
            outcomes: vec![Outcome {
                mode: Mode::ProcessesRacy,
                expected: 2 * increments,
                counted,
            }],
        }
    }

    #[test]
    fn a_racy_mode_that_lost_nothing_does_not_claim_a_race() {
        let lines = counts(1, 2).observations();
        assert!(lines[0].contains("lost no update in this run"), "{lines:?}");
        assert!(!lines[0].contains("race just like threads"), "{lines:?}");
        let lines = counts(1_000, 1_500).observations();
        assert!(lines[0].contains("lost 500 of 2000 updates"), "{lines:?}");
    }
}

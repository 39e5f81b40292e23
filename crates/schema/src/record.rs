//! The one result schema. Labs print it with `--json`; `cargo book measure` writes it to
//! `results/{reference,local}/`; the book's results preprocessor reads it.

use crate::machine::Machine;
use crate::stats::Summary;
use crate::timeline::Timeline;
use crate::unit::Unit;
use serde::{Deserialize, Serialize};

/// What a record's `low` and `high` are: two different things, depending on who measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Spread {
    /// The lowest and the highest sample ([`Summary`]): what a lab's own runs report. For a
    /// single observation both are the value itself.
    Range,
    /// The 95 % confidence interval of the median, as criterion estimates it from its
    /// samples (written by `cargo book measure` for a benchmark's result).
    Ci95,
}

/// One measured quantity: a median with its spread, in a stated unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Stable id, `LAB/WHAT`, e.g. `spawn-cost/thread`; the book refers to results by id.
    pub id: String,
    /// What was measured, in words a reader understands.
    pub what: String,
    /// What the number counts; JSON holds its short string (`ns`, `processes`, …).
    pub unit: Unit,
    pub median: f64,
    pub low: f64,
    pub high: f64,
    pub samples: u64,
    /// What `low` and `high` are. `None` in results written before records said so: those
    /// hold ranges and confidence intervals alike, and nothing in them tells which.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spread: Option<Spread>,
}

impl Record {
    pub fn new(
        id: impl Into<String>,
        what: impl Into<String>,
        unit: Unit,
        summary: Summary,
    ) -> Self {
        Self {
            id: id.into(),
            what: what.into(),
            unit,
            median: summary.median,
            low: summary.low,
            high: summary.high,
            samples: summary.samples,
            spread: Some(Spread::Range),
        }
    }

    /// A single observed value, such as a count of lost updates.
    pub fn count(id: impl Into<String>, what: impl Into<String>, unit: Unit, value: f64) -> Self {
        Self::new(id, what, unit, Summary::single(value))
    }

    /// Repeated timings in nanoseconds.
    pub fn nanos(id: impl Into<String>, what: impl Into<String>, summary: Summary) -> Self {
        Self::new(id, what, Unit::Nanoseconds, summary)
    }

    /// A yes/no outcome, recorded as 1 (yes) or 0 (no) with the unit [`Unit::Flag`]; `what`
    /// says what "yes" means.
    pub fn flag(id: impl Into<String>, what: impl Into<String>, yes: bool) -> Self {
        Self::count(id, what, Unit::Flag, f64::from(u8::from(yes)))
    }
}

/// Words for a quantity the lab's criterion benchmarks measure and none of its records does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Benchmark {
    /// The benchmark's record id: `LAB/` and criterion's id below the lab's group, such as
    /// `cpu-bound/threads/2`.
    pub id: String,
    /// What it measures, in words a reader understands (a record's `what`).
    pub what: String,
}

/// A lab run: the machine it ran on and everything it measured or observed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub lab: String,
    pub machine: Machine,
    pub records: Vec<Record>,
    /// What the lab's benchmarks measure that no record above does (see
    /// [`Report::describe_benchmark`]). `cargo book measure` names their results with these
    /// words and writes no `benchmarks` to the results files.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub benchmarks: Vec<Benchmark>,
    /// Timelines the lab recorded, each under an id (`LAB/WHAT`, like a record's) that a page
    /// names to draw it. Absent from results written before timelines existed, and from a
    /// report that has none, so such files stay as they were.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timelines: Vec<(String, Timeline)>,
}

impl Report {
    pub fn new(lab: impl Into<String>) -> Self {
        Self {
            lab: lab.into(),
            machine: Machine::detect(),
            records: Vec::new(),
            benchmarks: Vec::new(),
            timelines: Vec::new(),
        }
    }

    pub fn push(&mut self, record: Record) {
        self.records.push(record);
    }

    /// Describes a benchmark of the lab that measures something no record of the `--json`
    /// report does (a benchmark named like a record takes that record's words). The words
    /// belong to the lab, not to the benchmark's id, so a result reads the same whichever
    /// benchmarks ran; `cargo book measure` fails on a benchmark described nowhere.
    pub fn describe_benchmark(&mut self, id: impl Into<String>, what: impl Into<String>) {
        self.benchmarks.push(Benchmark {
            id: id.into(),
            what: what.into(),
        });
    }

    pub fn get(&self, id: &str) -> Option<&Record> {
        self.records.iter().find(|r| r.id == id)
    }

    /// The timeline recorded under `id`, if any.
    pub fn timeline(&self, id: &str) -> Option<&Timeline> {
        self.timelines.iter().find(|(i, _)| i == id).map(|(_, t)| t)
    }

    /// Pretty JSON, as `--json` prints it.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::Noun;

    /// A report of one count, `demo/lost`: 12 updates lost.
    fn demo_report() -> Report {
        let mut report = Report::new("demo");
        report.push(Record::count(
            "demo/lost",
            "updates lost",
            Unit::Count(Noun::Updates),
            12.0,
        ));
        report
    }

    #[test]
    fn round_trips_through_json() {
        let report = demo_report();
        let back: Report = serde_json::from_str(&report.to_json()).unwrap();
        assert_eq!(back, report);
        assert_eq!(back.get("demo/lost").unwrap().median, 12.0);
        assert_eq!(back.records[0].spread, Some(Spread::Range));
        assert!(!report.to_json().contains("benchmarks"), "none described");
        assert!(!report.to_json().contains("timelines"), "none recorded");
    }

    #[test]
    fn spread_and_benchmarks_are_written_by_name() {
        let mut report = demo_report();
        report.records[0].spread = Some(Spread::Ci95);
        report.describe_benchmark("demo/bench/2", "two of something");
        let json = report.to_json();
        assert!(json.contains(r#""spread": "ci95""#), "{json}");
        assert!(json.contains(r#""what": "two of something""#), "{json}");
        let back: Report = serde_json::from_str(&json).unwrap();
        assert_eq!(back, report);
    }

    #[test]
    fn timelines_round_trip_under_their_ids() {
        use crate::timeline::{Lane, LaneKind, Span};
        let mut report = Report::new("demo");
        let lane = Lane {
            name: "worker 0".into(),
            kind: LaneKind::Thread,
            spans: vec![Span {
                begin_ns: 10,
                end_ns: 20,
                cpu_begin: 1,
                cpu_end: 1,
            }],
            voluntary: 0,
            involuntary: 3,
        };
        let timeline = Timeline::new(vec![lane]);
        report
            .timelines
            .push(("demo/threads".into(), timeline.clone()));
        let json = report.to_json();
        assert!(json.contains(r#""timelines""#), "{json}");
        let back: Report = serde_json::from_str(&json).unwrap();
        assert_eq!(back.timeline("demo/threads"), Some(&timeline));
        assert_eq!(back.timeline("demo/other"), None);
    }

    /// Results written before records said what their spread is still load, saying nothing.
    #[test]
    fn loads_a_record_without_a_spread() {
        let json = r#"{"id": "demo/x", "what": "x", "unit": "ns", "median": 2.0,
                       "low": 1.0, "high": 3.0, "samples": 10}"#;
        let record: Record = serde_json::from_str(json).unwrap();
        assert_eq!(record.spread, None);
        assert!(!serde_json::to_string(&record).unwrap().contains("spread"));
    }
}

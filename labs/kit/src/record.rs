//! The one result schema. Labs print it with `--json`; `cargo book measure` writes it to
//! `results/{reference,local}/`; the book's results preprocessor reads it.

use crate::machine::Machine;
use crate::stats::Summary;
use serde::{Deserialize, Serialize};

/// One measured quantity: a median with its spread, in a stated unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Stable id, `LAB/WHAT`, e.g. `spawn-cost/thread`; the book refers to results by id.
    pub id: String,
    /// What was measured, in words a reader understands.
    pub what: String,
    /// `ns` for durations, or a count's unit (`updates`, `processes`, `bytes`, …).
    pub unit: String,
    pub median: f64,
    pub low: f64,
    pub high: f64,
    pub samples: u64,
}

impl Record {
    pub fn new(
        id: impl Into<String>,
        what: impl Into<String>,
        unit: impl Into<String>,
        summary: Summary,
    ) -> Self {
        Self {
            id: id.into(),
            what: what.into(),
            unit: unit.into(),
            median: summary.median,
            low: summary.low,
            high: summary.high,
            samples: summary.samples,
        }
    }

    /// A single observed value, such as a count of lost updates.
    pub fn count(
        id: impl Into<String>,
        what: impl Into<String>,
        unit: impl Into<String>,
        value: f64,
    ) -> Self {
        Self::new(id, what, unit, Summary::single(value))
    }
}

/// A lab run: the machine it ran on and everything it measured or observed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub lab: String,
    pub machine: Machine,
    pub records: Vec<Record>,
}

impl Report {
    pub fn new(lab: impl Into<String>) -> Self {
        Self {
            lab: lab.into(),
            machine: Machine::detect(),
            records: Vec::new(),
        }
    }

    pub fn push(&mut self, record: Record) {
        self.records.push(record);
    }

    pub fn get(&self, id: &str) -> Option<&Record> {
        self.records.iter().find(|r| r.id == id)
    }

    /// Pretty JSON, as `--json` prints it.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_json() {
        let mut report = Report::new("demo");
        report.push(Record::count("demo/lost", "updates lost", "updates", 12.0));
        let back: Report = serde_json::from_str(&report.to_json()).unwrap();
        assert_eq!(back, report);
        assert_eq!(back.get("demo/lost").unwrap().median, 12.0);
    }
}

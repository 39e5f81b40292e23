//! What a record's number counts: one closed set of units, so that everything that formats,
//! charts or checks a value `match`es on a [`Unit`] instead of comparing strings.
//!
//! In JSON a unit is the short string the results files have always held (`"ns"`,
//! `"processes"`, `"flag"`, …: [`Unit::as_str`]), so committed results stay valid; reading an
//! unknown string is an error that lists the known ones. A count names its thing with a
//! [`Noun`], which knows its singular: `1 process`, `2 processes`, with no English rules to
//! guess from the plural.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A record's unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    /// A duration in nanoseconds (`ns`): every time a lab measures.
    Nanoseconds,
    /// A size in bytes (`bytes`).
    Bytes,
    /// A rate in mebibytes per second (`MiB/s`).
    MibPerSecond,
    /// A rate of requests answered per second (`requests/s`).
    RequestsPerSecond,
    /// A ratio (`×`; results written before this type say `x`).
    Factor,
    /// A percentage (`%`).
    Percent,
    /// A yes/no outcome recorded as 1 or 0 (`flag`).
    Flag,
    /// The number of the signal that ended a process (`signal number`): an outcome, not a
    /// quantity.
    SignalNumber,
    /// A count of things (`processes`, `updates`, …).
    Count(Noun),
}

/// The things a lab counts, each with its singular and plural.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Noun {
    Checks,
    Files,
    Increments,
    Items,
    Lines,
    Processes,
    Requests,
    Responses,
    Switches,
    Threads,
    Updates,
    Workers,
}

impl Noun {
    pub const ALL: [Noun; 12] = [
        Noun::Checks,
        Noun::Files,
        Noun::Increments,
        Noun::Items,
        Noun::Lines,
        Noun::Processes,
        Noun::Requests,
        Noun::Responses,
        Noun::Switches,
        Noun::Threads,
        Noun::Updates,
        Noun::Workers,
    ];

    /// `(singular, plural)`.
    fn words(self) -> (&'static str, &'static str) {
        match self {
            Noun::Checks => ("check", "checks"),
            Noun::Files => ("file", "files"),
            Noun::Increments => ("increment", "increments"),
            Noun::Items => ("item", "items"),
            Noun::Lines => ("line", "lines"),
            Noun::Processes => ("process", "processes"),
            Noun::Requests => ("request", "requests"),
            Noun::Responses => ("response", "responses"),
            Noun::Switches => ("switch", "switches"),
            Noun::Threads => ("thread", "threads"),
            Noun::Updates => ("update", "updates"),
            Noun::Workers => ("worker", "workers"),
        }
    }
}

impl Unit {
    /// Every unit but the counts, which are [`Noun::ALL`].
    const FIXED: [Unit; 8] = [
        Unit::Nanoseconds,
        Unit::Bytes,
        Unit::MibPerSecond,
        Unit::RequestsPerSecond,
        Unit::Factor,
        Unit::Percent,
        Unit::Flag,
        Unit::SignalNumber,
    ];

    /// The unit as JSON and tables write it: `ns`, `bytes`, `×`, `processes`, ….
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Nanoseconds => "ns",
            Unit::Bytes => "bytes",
            Unit::MibPerSecond => "MiB/s",
            Unit::RequestsPerSecond => "requests/s",
            Unit::Factor => "×",
            Unit::Percent => "%",
            Unit::Flag => "flag",
            Unit::SignalNumber => "signal number",
            Unit::Count(noun) => noun.words().1,
        }
    }

    /// How the unit reads after `value`: a count of exactly one takes the singular
    /// (`1 process`, `-1 update`); every other unit reads the same for every value.
    pub fn after(self, value: f64) -> &'static str {
        match self {
            Unit::Count(noun) if value.abs() == 1.0 => noun.words().0,
            unit => unit.as_str(),
        }
    }

    /// Outcomes, not quantities: a table shows them, a chart never does (their bars would
    /// compare nothing).
    pub fn is_outcome(self) -> bool {
        matches!(self, Unit::Flag | Unit::SignalNumber)
    }

    /// Reads a unit as [`Unit::as_str`] writes it (and `x` or `B`, as older results do).
    pub fn parse(text: &str) -> Result<Unit, UnknownUnit> {
        match text {
            "x" => return Ok(Unit::Factor),
            "B" => return Ok(Unit::Bytes),
            _ => {}
        }
        Self::FIXED
            .into_iter()
            .chain(Noun::ALL.map(Unit::Count))
            .find(|unit| unit.as_str() == text)
            .ok_or_else(|| UnknownUnit(text.to_owned()))
    }
}

/// A unit string that is not one of [`Unit`]'s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownUnit(pub String);

impl fmt::Display for UnknownUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let known: Vec<&str> = Unit::FIXED
            .into_iter()
            .chain(Noun::ALL.map(Unit::Count))
            .map(Unit::as_str)
            .collect();
        write!(
            f,
            "unknown unit `{}` (known units: {}; a new count is a new kit::unit::Noun)",
            self.0,
            known.join(", ")
        )
    }
}

impl std::error::Error for UnknownUnit {}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Lets tests compare a record's unit with the string its JSON holds.
impl PartialEq<&str> for Unit {
    fn eq(&self, other: &&str) -> bool {
        Unit::parse(other) == Ok(*self)
    }
}

impl Serialize for Unit {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Unit {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Unit::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unit_reads_back_what_it_writes() {
        for unit in Unit::FIXED.into_iter().chain(Noun::ALL.map(Unit::Count)) {
            assert_eq!(Unit::parse(unit.as_str()), Ok(unit));
            let json = serde_json::to_string(&unit).unwrap();
            assert_eq!(serde_json::from_str::<Unit>(&json).unwrap(), unit);
        }
    }

    #[test]
    fn older_spellings_still_read() {
        assert_eq!(Unit::parse("x"), Ok(Unit::Factor));
        assert_eq!(Unit::parse("B"), Ok(Unit::Bytes));
        assert_eq!(Unit::Factor.as_str(), "×");
    }

    #[test]
    fn an_unknown_unit_is_an_error_that_lists_the_known_ones() {
        let err = serde_json::from_str::<Unit>(r#""furlongs""#).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("unknown unit `furlongs`"), "{message}");
        assert!(message.contains("processes"), "{message}");
        assert!(message.contains("kit::unit::Noun"), "{message}");
    }

    #[test]
    fn a_count_of_one_takes_the_singular() {
        let processes = Unit::Count(Noun::Processes);
        assert_eq!(processes.after(1.0), "process");
        assert_eq!(processes.after(-1.0), "process");
        assert_eq!(processes.after(2.0), "processes");
        assert_eq!(processes.after(0.0), "processes");
        assert_eq!(Unit::Count(Noun::Switches).after(1.0), "switch");
        assert_eq!(Unit::MibPerSecond.after(1.0), "MiB/s");
        assert_eq!(Unit::Nanoseconds.after(1.0), "ns");
    }

    #[test]
    fn compares_with_its_string() {
        assert_eq!(Unit::Count(Noun::Updates), "updates");
        assert_eq!(Unit::Factor, "x");
        assert_ne!(Unit::Flag, "ns");
    }
}

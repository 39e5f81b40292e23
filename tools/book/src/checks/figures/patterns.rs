//! What the typed-figures check looks for: a number with a unit ([`FIGURE`]), and counts of
//! runs and durations in words ([`PATTERNS`]), each with the context that decides whether a
//! match is a claim.

use regex::{Captures, Regex};
use std::sync::LazyLock;

pub(super) static FIGURE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        \b\d+(?:[.,]\d+)?\s?
        (?: ns | µs | us | ms | s | sec | seconds? | milliseconds? | microseconds? | nanoseconds?
          | minutes? | hours?
          | KiB | MiB | GiB | TiB | kB | KB | MB | GB
          | % | x | × )
        (?:\b|$|\s|[).,;:])",
    )
    .expect("valid regex")
});

/// A cardinal number written in words: "ten", "fifty", "a hundred", "a hundred thousand",
/// "twenty-five". Ordinals ("second", "first") are deliberately absent.
pub(super) const IN_WORDS: &str = r"(?:an?\s+)?(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve
    |thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty
    |sixty|seventy|eighty|ninety|hundred|thousand|million|dozen)
    (?:[\s-]+(?:one|two|three|four|five|six|seven|eight|nine|hundred|thousand|million))*";

/// Many of them, in words: "dozens of", "hundreds of", "tens of thousands of".
pub(super) const MANY: &str = r"(?:tens\s+of\s+)?(?:dozens|hundreds|thousands|millions)
    (?:\s+of\s+(?:thousands|millions))?\s+of";

/// Units of time, in words.
pub(super) const TIME_UNITS: &str =
    r"(?:seconds?|minutes?|hours?|milliseconds?|microseconds?|nanoseconds?)";

/// What a pattern finds, for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Figure,
    Count,
    Duration,
}

impl Kind {
    pub(super) fn noun(self) -> &'static str {
        match self {
            Kind::Figure => "a figure",
            Kind::Count => "a count",
            Kind::Duration => "a duration",
        }
    }
}

/// A pattern over a whole page's prose. The reported phrase is the `phrase` group; the rest of
/// the match is context that decides whether it is one (see [`in_seconds_is_a_duration`]).
pub(super) struct Pattern {
    pub(super) kind: Kind,
    pub(super) regex: Regex,
    /// Whether a match is a claim, given the whole match's named groups.
    pub(super) keep: fn(&Captures<'_>) -> bool,
}

pub(super) fn always(_: &Captures<'_>) -> bool {
    true
}

pub(super) fn pattern(kind: Kind, source: &str, keep: fn(&Captures<'_>) -> bool) -> Pattern {
    let source = source
        .replace("{NUMBER}", r"(?:\d+(?:[.,]\d+)*\+?|{MANY}|{IN_WORDS})")
        .replace("{IN_WORDS}", IN_WORDS)
        .replace("{MANY}", MANY)
        .replace("{TIME_UNITS}", TIME_UNITS);
    Pattern {
        kind,
        regex: Regex::new(&format!("(?ix){source}")).expect("valid regex"),
        keep,
    }
}

/// Words before "in seconds" that make it the unit of a column or a value ("wall time in
/// seconds", "measured in seconds"), not how long something takes.
pub(super) const UNIT_OF: &[&str] = &[
    "measured",
    "expressed",
    "given",
    "shown",
    "reported",
    "printed",
    "time",
    "times",
    "timeout",
    "deadline",
    "duration",
    "durations",
    "value",
    "values",
    "column",
    "is",
    "are",
];

pub(super) static PATTERNS: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
    vec![
        // "50 times", "100 runs in a row", "a hundred trials", "dozens of iterations".
        pattern(
            Kind::Count,
            r"(?:\A|[^\w.,-])
              (?:(?P<label>exercise|step|question|row|part|section|chapter|python|rust|linux
                |glibc|kernel|version)\s+)?
              (?P<phrase>(?P<number>{NUMBER})\s+
                (?P<adjectives>(?:(?:more|consecutive|successive|separate|clean|green|passing
                    |straight|full|test|timed|measured|independent|recorded|unrecorded|discarded
                    |warm-up)\s+){0,2})
                (?P<noun>times|runs|reruns|trials|iterations|repetitions|repeats|samples|rounds
                  |attempts|tries|passes|warm-ups|ones)\b
                (?:\s+in\s+a\s+row)?)",
            is_a_count,
        ),
        // "passed 100 in a row", "ten green in a row".
        pattern(
            Kind::Count,
            r"(?:\A|[^\w.,-])(?P<phrase>{NUMBER}\s+(?:[a-z-]+\s+)?in\s+a\s+row)\b",
            always,
        ),
        // "ten seconds", "one to ten milliseconds", "a hundred thousand hours"; digits with
        // these units are figures (see FIGURE).
        pattern(
            Kind::Duration,
            r"\b(?P<phrase>{IN_WORDS}(?:\s+(?:or|to)\s+{IN_WORDS})?\s+
                (?:(?:more|whole|full|long)\s+)?{TIME_UNITS})\b",
            always,
        ),
        // "a few seconds", "several minutes", "a couple of seconds", "hundreds of milliseconds".
        pattern(
            Kind::Duration,
            r"\b(?P<phrase>(?:a\s+few|a\s+couple\s+of|several|few|many|some|{MANY})\s+
                (?:more\s+)?{TIME_UNITS})\b",
            always,
        ),
        // "a minute", "an hour", "half an hour", "a millisecond": not ordinals, so always
        // durations ("a day" is left out: "many times a day" describes a use, not a test).
        pattern(
            Kind::Duration,
            r"\b(?P<phrase>(?:half\s+)?an?\s+(?:minute|hour|millisecond|microsecond|nanosecond))\b",
            always,
        ),
        // "half a second", "about a second", "a tenth of a second", "takes a second.", "a
        // second or two"; not "a second thread" or "a second table", where it is the ordinal.
        pattern(
            Kind::Duration,
            r"\b(?P<phrase>
                (?:(?P<before>half|about|around|roughly|nearly|almost|within|least|than
                    |(?:a\s+)?(?:quarter|tenth|hundredth|thousandth|fraction)\s+of)\s+)?
                an?\s+second)\b
              (?P<after>\s*(?:[.,;:)!?]|\z)|\s+(?:or|of|per|long|later|apart|before)\b)?",
            |c| c.name("before").is_some() || c.name("after").is_some(),
        ),
        // "finishes in seconds", "within minutes"; not "wall time in seconds", a unit.
        pattern(
            Kind::Duration,
            r"(?P<before>\S+)\s+
              (?P<phrase>(?:with)?in\s+(?:a\s+matter\s+of\s+|mere\s+|just\s+)?
                (?:seconds|minutes|hours))\b",
            in_seconds_is_a_duration,
        ),
        // Any other large number in words: "with a hundred thousand", "thousands of them", "a
        // few dozen more". Small ones ("two processes", "four workers") describe a program; a
        // spelled-out hundred or thousand is almost always an amount someone counted.
        pattern(
            Kind::Count,
            r"\b(?P<phrase>(?:a\s+few\s+|several\s+|tens\s+of\s+|an?\s+)?
                (?:(?:one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|forty|fifty
                    |sixty|seventy|eighty|ninety)[\s-]+)*
                (?:dozens?|hundreds?|thousands?|millions?|billions?)
                (?:[\s-]+(?:thousand|million|billion)s?)*)\b",
            always,
        ),
    ]
});

/// Not a count where "runs" (or "samples", "passes", ...) is a verb: "each one runs" (a plural
/// noun never follows "one", so "one" is a pronoun there), "Python 3.13 runs" (a version) or
/// "Exercise 5 runs" (a name). "ones" counts runs only as in "100 unrecorded ones".
pub(super) fn is_a_count(captures: &Captures<'_>) -> bool {
    let number = captures.name("number").map_or("", |m| m.as_str());
    let noun = captures
        .name("noun")
        .map_or("", |m| m.as_str())
        .to_lowercase();
    if noun == "ones" {
        return captures
            .name("adjectives")
            .is_some_and(|m| !m.as_str().is_empty());
    }
    let could_be_a_verb = !matches!(
        noun.as_str(),
        "times" | "trials" | "iterations" | "repetitions"
    );
    let names_something = number.contains('.') || captures.name("label").is_some();
    !(number.eq_ignore_ascii_case("one") || (could_be_a_verb && names_something))
}

/// "in seconds" after a comma, an opening parenthesis or a word like "measured" names a unit.
pub(super) fn in_seconds_is_a_duration(captures: &Captures<'_>) -> bool {
    let before = captures.name("before").map_or("", |m| m.as_str());
    let word = before.trim_start_matches(['(', '[', '"']).to_lowercase();
    !(before.ends_with([',', '(', '[', ':'])
        || before.ends_with("—")
        || UNIT_OF.contains(&word.as_str()))
}

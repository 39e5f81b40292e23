//! No measurement typed by hand: every number with a unit of time, size, ratio or share in the
//! prose must come from a results directive, or be listed in `tools/book/cited-figures.toml`
//! with the source it is cited to (or the reason it is an input, not a result).
//!
//! Counts of runs and durations in words go stale just as silently as "12 µs", so they are
//! flagged too (the patterns are `PATTERNS` below):
//!
//! - a count: a number in digits or words before *times*, *runs*, *trials*, *iterations*,
//!   *repetitions*, *samples*, *rounds* or *in a row* ("passed 100 runs in a row", "run ten
//!   times in a row", "dozens of runs"), and any spelled-out hundred, thousand or dozen ("with
//!   a hundred thousand", "a few dozen more");
//! - a duration: an amount of seconds, minutes, hours or milliseconds in words ("ten seconds",
//!   "a few seconds", "several minutes", "a minute"), "in seconds" as how long something takes
//!   (not "wall time, in seconds", a unit), and "a second" as a duration ("about a second",
//!   "half a second", "the default is a second."), never as the ordinal ("a second thread").
//!
//! Counts of things rather than of repetitions ("one thread", "four workers", "once", "twice",
//! "the first time") are not flagged: they describe a program, not a measurement of it.
//!
//! Code (fenced blocks and inline spans) is not prose: a command line's `--delay-ms 100` or a
//! compiler message quoted verbatim is not a claim. Directives are skipped too, since they are
//! replaced by measured values at build time. A phrase in words may wrap onto the next line,
//! so those patterns are matched over the page's prose as a whole and reported at the line the
//! phrase starts on.

use crate::check::{Page, Problem, pages};
use regex::{Captures, Regex};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

/// The allow-list, relative to the repository root.
pub const ALLOW_LIST: &str = "tools/book/cited-figures.toml";

static FIGURE: LazyLock<Regex> = LazyLock::new(|| {
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

static CODE_SPAN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"`[^`]*`").expect("valid regex"));
static DIRECTIVE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{\{#[^}]*\}\}").expect("valid regex"));

/// A cardinal number written in words: "ten", "fifty", "a hundred", "a hundred thousand",
/// "twenty-five". Ordinals ("second", "first") are deliberately absent.
const IN_WORDS: &str = r"(?:an?\s+)?(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve
    |thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty
    |sixty|seventy|eighty|ninety|hundred|thousand|million|dozen)
    (?:[\s-]+(?:one|two|three|four|five|six|seven|eight|nine|hundred|thousand|million))*";

/// Many of them, in words: "dozens of", "hundreds of", "tens of thousands of".
const MANY: &str = r"(?:tens\s+of\s+)?(?:dozens|hundreds|thousands|millions)
    (?:\s+of\s+(?:thousands|millions))?\s+of";

/// Units of time, in words.
const TIME_UNITS: &str = r"(?:seconds?|minutes?|hours?|milliseconds?|microseconds?|nanoseconds?)";

/// What a pattern finds, for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Figure,
    Count,
    Duration,
}

impl Kind {
    fn noun(self) -> &'static str {
        match self {
            Kind::Figure => "a figure",
            Kind::Count => "a count",
            Kind::Duration => "a duration",
        }
    }
}

/// A pattern over a whole page's prose. The reported phrase is the `phrase` group; the rest of
/// the match is context that decides whether it is one (see [`in_seconds_is_a_duration`]).
struct Pattern {
    kind: Kind,
    regex: Regex,
    /// Whether a match is a claim, given the whole match's named groups.
    keep: fn(&Captures<'_>) -> bool,
}

fn always(_: &Captures<'_>) -> bool {
    true
}

fn pattern(kind: Kind, source: &str, keep: fn(&Captures<'_>) -> bool) -> Pattern {
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
const UNIT_OF: &[&str] = &[
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

static PATTERNS: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
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
fn is_a_count(captures: &Captures<'_>) -> bool {
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
fn in_seconds_is_a_duration(captures: &Captures<'_>) -> bool {
    let before = captures.name("before").map_or("", |m| m.as_str());
    let word = before.trim_start_matches(['(', '[', '"']).to_lowercase();
    !(before.ends_with([',', '(', '[', ':'])
        || before.ends_with("—")
        || UNIT_OF.contains(&word.as_str()))
}

#[derive(Debug, Deserialize)]
struct AllowList {
    allowed: Vec<Allowed>,
}

#[derive(Debug, Deserialize)]
struct Allowed {
    page: PathBuf,
    phrase: String,
    why: String,
}

/// Every page's typed figures that are not on the allow-list, and every entry of the list
/// whose phrase is no longer on its page (a reason that outlived its figure).
pub fn check(root: &Path) -> Vec<Problem> {
    let (allowed, headers) = match load_allow_list(root) {
        Ok(list) => list,
        Err(problem) => return vec![problem],
    };
    let pages = pages(root);
    let mut problems: Vec<Problem> = pages
        .iter()
        .flat_map(|page| typed_figures(page, &allowed))
        .collect();
    problems.extend(stale_entries(&allowed, &headers, &pages));
    problems
}

/// Entries whose page does not have their phrase any more, at their `[[allowed]]` line.
fn stale_entries(allowed: &[Allowed], headers: &[usize], pages: &[Page]) -> Vec<Problem> {
    allowed
        .iter()
        .enumerate()
        .filter(|(_, entry)| {
            !pages.iter().any(|page| {
                page.path == entry.page && squeeze(&page.text).contains(&squeeze(&entry.phrase))
            })
        })
        .map(|(index, entry)| Problem {
            file: PathBuf::from(ALLOW_LIST),
            line: headers.get(index).copied().unwrap_or(1),
            message: format!(
                "`{}` is no longer on {}: remove its entry",
                entry.phrase,
                entry.page.display()
            ),
        })
        .collect()
}

/// The entries, and the line of each one's `[[allowed]]` header.
fn load_allow_list(root: &Path) -> Result<(Vec<Allowed>, Vec<usize>), Problem> {
    let text = std::fs::read_to_string(root.join(ALLOW_LIST)).unwrap_or_default();
    let list: AllowList = toml::from_str(&text).map_err(|e| Problem {
        file: PathBuf::from(ALLOW_LIST),
        line: 1,
        message: format!("cannot read the allow-list: {e}"),
    })?;
    if let Some(entry) = list.allowed.iter().find(|a| a.why.trim().is_empty()) {
        return Err(Problem {
            file: PathBuf::from(ALLOW_LIST),
            line: 1,
            message: format!(
                "`{}` on {} has no reason",
                entry.phrase,
                entry.page.display()
            ),
        });
    }
    let headers = text
        .lines()
        .enumerate()
        .filter(|(_, line)| line.trim() == "[[allowed]]")
        .map(|(index, _)| index + 1)
        .collect();
    Ok((list.allowed, headers))
}

/// The page's prose, line for line: fenced code and HTML comments become empty lines, and
/// directives and code spans become spaces, so line numbers still match the file.
fn prose_lines(text: &str) -> Vec<String> {
    let mut prose = Vec::new();
    let mut in_fence: Option<String> = None;
    let mut in_comment = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        let fence: String = trimmed
            .chars()
            .take_while(|&c| c == '`' || c == '~')
            .collect();
        if fence.len() >= 3 {
            match &in_fence {
                None => in_fence = Some(fence),
                Some(open) if fence.starts_with(open.as_str()) => in_fence = None,
                Some(_) => {}
            }
            prose.push(String::new());
            continue;
        }
        if in_fence.is_some() {
            prose.push(String::new());
            continue;
        }
        if trimmed.starts_with("<!--") {
            in_comment = true;
        }
        if in_comment {
            in_comment = !line.contains("-->");
            prose.push(String::new());
            continue;
        }
        let text = DIRECTIVE.replace_all(line, " ");
        prose.push(CODE_SPAN.replace_all(&text, " ").into_owned());
    }
    prose
}

/// Runs of whitespace (line breaks included) as one space, so a phrase matches however the
/// paragraph is wrapped.
fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn typed_by_hand(page: &Page, line: usize, phrase: &str, kind: Kind) -> Problem {
    Problem {
        file: page.path.clone(),
        line,
        message: format!(
            "`{phrase}` is {} typed by hand: render it from a result (a results directive such as \
             {{{{#value ...}}}}), cite its source in {ALLOW_LIST} (page, phrase, why), or drop it",
            kind.noun()
        ),
    }
}

fn typed_figures(page: &Page, allowed: &[Allowed]) -> Vec<Problem> {
    let lines: Vec<&str> = page.text.lines().collect();
    let prose = prose_lines(&page.text);
    let mut problems = Vec::new();
    for (index, (line, prose)) in lines.iter().zip(&prose).enumerate() {
        let line_is_allowed = |figure: &str| {
            allowed.iter().any(|a| {
                a.page == page.path && line.contains(&a.phrase) && a.phrase.contains(figure.trim())
            })
        };
        for figure in FIGURE.find_iter(prose) {
            let text = figure
                .as_str()
                .trim_end_matches([')', '.', ',', ';', ':', ' ']);
            if !line_is_allowed(text) {
                problems.push(typed_by_hand(page, index + 1, text, Kind::Figure));
            }
        }
    }
    problems.extend(counts_and_durations(page, &lines, &prose, allowed));
    problems.sort_by_key(|p| p.line);
    problems
}

/// The patterns in words, over the whole prose of the page (a phrase may wrap).
fn counts_and_durations(
    page: &Page,
    lines: &[&str],
    prose: &[String],
    allowed: &[Allowed],
) -> Vec<Problem> {
    let text = prose.join("\n");
    let line_of = |offset: usize| text[..offset].matches('\n').count();
    let mut found: Vec<(std::ops::Range<usize>, Kind)> = Vec::new();
    for pattern in PATTERNS.iter() {
        for captures in pattern.regex.captures_iter(&text) {
            let phrase = captures.name("phrase").expect("every pattern has a phrase");
            let overlaps = found
                .iter()
                .any(|(seen, _)| seen.start < phrase.end() && phrase.start() < seen.end);
            if (pattern.keep)(&captures) && !overlaps {
                found.push((phrase.range(), pattern.kind));
            }
        }
    }
    found
        .into_iter()
        .filter_map(|(range, kind)| {
            let phrase = squeeze(&text[range.clone()]);
            let (first, last) = (line_of(range.start), line_of(range.end));
            // The source lines around the phrase, so an allowed phrase may wrap too.
            let around =
                squeeze(&lines[first.saturating_sub(1)..(last + 2).min(lines.len())].join(" "));
            let is_allowed = allowed.iter().any(|a| {
                let cited = squeeze(&a.phrase);
                a.page == page.path
                    && around.contains(&cited)
                    && cited.to_lowercase().contains(&phrase.to_lowercase())
            });
            (!is_allowed).then(|| typed_by_hand(page, first + 1, &phrase, kind))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(text: &str) -> Page {
        Page {
            path: PathBuf::from("src/p.md"),
            text: text.to_owned(),
        }
    }

    fn flagged(text: &str) -> Vec<usize> {
        typed_figures(&page(text), &[])
            .iter()
            .map(|p| p.line)
            .collect()
    }

    /// The phrases flagged in `text`, as the messages quote them.
    fn phrases(text: &str) -> Vec<String> {
        typed_figures(&page(text), &[])
            .iter()
            .map(|p| p.message.split('`').nth(1).unwrap_or_default().to_owned())
            .collect()
    }

    #[test]
    fn flags_figures_in_prose_only() {
        let text = "A thread takes 12 µs.\nFork is 5x slower and uses 64 MiB.\n\
                    Run `--delay-ms 100` or {{#value a/b}}.\n```text\ntook 3 ms\n```\nLost 75% of them.\n";
        assert_eq!(flagged(text), vec![1, 2, 2, 7]);
    }

    #[test]
    fn ignores_numbers_without_units_and_hex() {
        assert!(flagged("Python 3.13 and 0x1f and 8 processes on 2 cores.").is_empty());
    }

    #[test]
    fn allows_cited_phrases_on_their_page() {
        let allowed = [Allowed {
            page: PathBuf::from("src/p.md"),
            phrase: "2 MiB".into(),
            why: "std::thread docs".into(),
        }];
        assert!(typed_figures(&page("Stacks are 2 MiB (std docs)."), &allowed).is_empty());
        assert_eq!(typed_figures(&page("Stacks use 8 MiB."), &allowed).len(), 1);
    }

    #[test]
    fn flags_counts_of_runs_in_digits_and_words() {
        // The review's examples (race.md, join.md, fork-bomb-guard.md), as they stand.
        assert_eq!(
            phrases(
                "The tests\nwere run 50 times in a row on all cores and 50 times pinned to one core"
            ),
            ["50 times in a row", "50 times"]
        );
        assert_eq!(
            phrases("the test process is left. They passed 100 runs in a row."),
            ["100 runs in a row"]
        );
        assert_eq!(
            phrases(
                "The whole test file was run ten times in a row on\nall cores and ten times pinned"
            ),
            ["ten times in a row", "ten times"]
        );
        assert_eq!(
            phrases(
                "With a hundred thousand it spends most of its time creating and destroying\n\
                 threads"
            ),
            ["a hundred thousand"]
        );
        for (text, phrase) in [
            ("It ran a hundred times.", "a hundred times"),
            ("It ran a thousand trials.", "a thousand trials"),
            ("after 20 iterations", "20 iterations"),
            ("over fifty repetitions", "fifty repetitions"),
            ("from 30 samples each", "30 samples"),
            (
                "after three unrecorded warm-up rounds",
                "three unrecorded warm-up rounds",
            ),
            (
                "in batches, after 100 unrecorded ones.",
                "100 unrecorded ones",
            ),
            ("dozens of runs later", "dozens of runs"),
            ("twenty-five runs", "twenty-five runs"),
            ("It passed 100 in a row.", "100 in a row"),
            ("Fork costs four times as much.", "four times"),
            ("a few dozen more", "a few dozen"),
            ("thousands of them", "thousands"),
        ] {
            assert_eq!(phrases(text), [phrase], "{text}");
        }
    }

    #[test]
    fn a_phrase_that_wraps_is_reported_at_its_first_line() {
        let problems = typed_figures(&page("Intro.\n\nIt passed 100 runs in\na row."), &[]);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 3);
        assert!(problems[0].message.contains("`100 runs in a row`"));
    }

    #[test]
    fn flags_durations_in_words() {
        // The review's example (labs/index.md, cpu-bound.md).
        assert_eq!(
            phrases("The defaults finish in a few seconds on a two-core machine."),
            ["a few seconds"]
        );
        for (text, phrase) in [
            ("It finishes in seconds.", "in seconds"),
            ("done within minutes", "within minutes"),
            ("after several seconds", "several seconds"),
            ("more than a couple of seconds", "a couple of seconds"),
            ("It waits ten seconds.", "ten seconds"),
            ("one to ten milliseconds", "one to ten milliseconds"),
            ("two hours", "two hours"),
            ("It takes half a second.", "half a second"),
            ("a tenth of a second", "a tenth of a second"),
            ("It takes about a second to start", "about a second"),
            ("The default is a second.", "a second"),
            ("a second or two", "a second"),
            ("for a minute", "a minute"),
            ("half an hour", "half an hour"),
            ("less than a millisecond", "a millisecond"),
            ("It takes 5 minutes.", "5 minutes"),
        ] {
            assert_eq!(phrases(text), [phrase], "{text}");
        }
    }

    #[test]
    fn does_not_flag_what_describes_a_program() {
        for text in [
            // Small counts of things, not of runs.
            "one thread, two processes and four workers on 2 cores",
            "It forks once, or twice in an explanation of an algorithm.",
            "the first time, then the second time",
            // "a second" as an ordinal, also where the noun is on the next line.
            "It starts a second thread and a second table.",
            "Some exercises have a second\ntest.",
            "A second test runs several consumers at once.",
            "takes a second lock",
            // "runs" as a verb, "times" as a verb or without a number.
            "Each one runs its own loop; no one runs it twice.",
            "Pick two ones and three zeros.",
            "Python 3.13 runs the same code; the lab times it many times over.",
            "Exercise 5 runs the program; step 2 samples the counter.",
            "while ARMv8.0 runs a loop, and x86-64 times it",
            "Run it a few times: many times cheaper, W times as fast on W cores.",
            // Units named, not durations claimed.
            "the latency of each answer, in milliseconds.",
            "wall times, in nanoseconds, and the deadline in seconds",
            "MiB per second",
            // Directives and code are not prose.
            "It passed {{#value race/tests/runs}} runs in a row.",
            "Run `for i in $(seq 10); do cargo test; done` first (`10 runs`, in code).",
            "```sh\nfor i in 1 2 3; do cargo test; done # 3 runs\n```",
            "<!-- 100 runs in a row -->",
        ] {
            assert!(phrases(text).is_empty(), "{text}: {:?}", phrases(text));
        }
    }

    #[test]
    fn allows_cited_counts_even_when_they_wrap() {
        let allowed = [Allowed {
            page: PathBuf::from("src/p.md"),
            phrase: "one to ten milliseconds".into(),
            why: "the folklore under test".into(),
        }];
        let text = "The folklore says a process takes one to ten\nmilliseconds to create.";
        assert!(typed_figures(&page(text), &allowed).is_empty());
        assert_eq!(
            typed_figures(&page("It takes ten milliseconds."), &allowed).len(),
            1
        );
    }

    #[test]
    fn an_entry_whose_phrase_left_its_page_is_stale() {
        let entry = |phrase: &str| Allowed {
            page: PathBuf::from("src/p.md"),
            phrase: phrase.into(),
            why: "the lab's default".into(),
        };
        let pages = [page("Its deadline is five\nseconds by default.")];
        assert!(stale_entries(&[entry("five seconds by default")], &[9], &pages).is_empty());
        let stale = stale_entries(&[entry("2 MiB"), entry("five seconds")], &[9, 14], &pages);
        assert_eq!(stale.len(), 1);
        assert_eq!(
            stale[0].to_string(),
            format!("{ALLOW_LIST}:9: `2 MiB` is no longer on src/p.md: remove its entry")
        );
    }

    #[test]
    fn the_message_names_the_phrase_and_the_fix() {
        let problems = typed_figures(&page("They passed 100 runs in a row."), &[]);
        let message = problems[0].to_string();
        assert!(message.starts_with("src/p.md:1: `100 runs in a row` is a count typed by hand"));
        for fix in [
            "render it from a result",
            "cite its source in",
            "or drop it",
        ] {
            assert!(message.contains(fix), "{message}");
        }
    }
}

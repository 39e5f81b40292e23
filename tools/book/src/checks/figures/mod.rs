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

mod patterns;
#[cfg(test)]
mod tests;

use crate::markdown;
use crate::source::{Page, Problem, pages};
use patterns::{FIGURE, Kind, PATTERNS};
use regex::Regex;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

/// The allow-list, relative to the repository root.
pub const ALLOW_LIST: &str = "tools/book/cited-figures.toml";

static DIRECTIVE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{\{#[^}]*\}\}").expect("valid regex"));

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

/// The page's prose, line for line: code (blocks and spans, as mdBook parses them) and HTML
/// comments become blanks, and directives spaces, so line numbers still match the file.
fn prose_lines(text: &str) -> Vec<String> {
    let code = markdown::code_ranges(text);
    let in_code = |at: usize| code.iter().any(|r| r.contains(&at));
    let blanked: String = text
        .char_indices()
        .map(|(at, c)| if c != '\n' && in_code(at) { ' ' } else { c })
        .collect();
    let mut prose = Vec::new();
    let mut in_comment = false;
    for line in blanked.lines() {
        if line.trim_start().starts_with("<!--") {
            in_comment = true;
        }
        if in_comment {
            in_comment = !line.contains("-->");
            prose.push(String::new());
            continue;
        }
        let line = if line.trim().is_empty() { "" } else { line };
        prose.push(DIRECTIVE.replace_all(line, " ").into_owned());
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

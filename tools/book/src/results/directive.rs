//! The results directives as written in a page: `{{#bench PREFIX…}}`, `{{#value ID}}`,
//! `{{#ratio A B}}`, `{{#machine}}` and `{{#timeline ID}}`, found outside code and parsed,
//! each at its line.

use crate::markdown;
use crate::source::line_of;
use regex::Regex;
use std::ops::Range;
use std::sync::LazyLock;

/// The preprocessor's name, as in `[preprocessor.results]` of book.toml.
pub const NAME: &str = "results";

/// The directive names this preprocessor expands.
pub const DIRECTIVES: [&str; 5] = ["bench", "value", "ratio", "machine", "timeline"];

/// One results directive, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Directive {
    /// One or more id prefixes, shown in the order given.
    Bench(Vec<String>),
    Value(String),
    Ratio(String, String),
    Machine,
    /// One timeline id (a report's `timelines`, not its records).
    Timeline(String),
}

/// A directive found in a page: where it is, and what it says (or why it cannot be read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub directive: Result<Directive, String>,
    /// Byte range of the whole `{{#…}}` in the text.
    pub range: Range<usize>,
    /// 1-based line in the text.
    pub line: usize,
}

static DIRECTIVE: LazyLock<Regex> = LazyLock::new(|| {
    let names = crate::directive::names_pattern(&DIRECTIVES);
    Regex::new(&format!(r"{names}(?:\s+([^{{}}]*?))?\s*\}}\}}")).expect("valid regex")
});

/// Every results directive of a Markdown text, outside code, in order.
pub fn find(text: &str) -> Vec<Found> {
    let code = markdown::code_ranges(text);
    DIRECTIVE
        .captures_iter(text)
        .filter(|c| c[1].is_empty()) // `\{{#…}}` is mdBook's escape: shown, not expanded.
        .filter_map(|captures| {
            let whole = captures.get(0).expect("group 0 always matches");
            let range = whole.range();
            if markdown::inside(&code, &range) {
                return None;
            }
            let args: Vec<&str> = captures
                .get(3)
                .map_or("", |m| m.as_str())
                .split_whitespace()
                .collect();
            let mut directive = parse(&captures[2], &args);
            if !alone_on_line(text, &range) {
                let figure = match directive {
                    Ok(Directive::Bench(_)) => Some("`{{#bench …}}`"),
                    Ok(Directive::Timeline(_)) => Some("`{{#timeline …}}`"),
                    _ => None,
                };
                if let Some(name) = figure {
                    directive = Err(format!(
                        "{name} must be on a line of its own: it becomes a figure"
                    ));
                }
            }
            Some(Found {
                directive,
                line: line_of(text, range.start),
                range,
            })
        })
        .collect()
}

fn parse(name: &str, args: &[&str]) -> Result<Directive, String> {
    let id = |a: &str| a.to_owned();
    match (name, args) {
        ("bench", [_, ..]) => Ok(Directive::Bench(args.iter().map(|a| id(a)).collect())),
        ("value", [result]) => Ok(Directive::Value(id(result))),
        ("ratio", [a, b]) => Ok(Directive::Ratio(id(a), id(b))),
        ("machine", []) => Ok(Directive::Machine),
        ("timeline", [timeline]) => Ok(Directive::Timeline(id(timeline))),
        ("bench", _) => Err("`{{#bench}}` takes id prefixes: `{{#bench spawn-cost}}`".into()),
        ("value", _) => Err("`{{#value}}` takes one result id: `{{#value LAB/WHAT}}`".into()),
        ("ratio", _) => Err("`{{#ratio}}` takes two result ids: `{{#ratio LAB/A LAB/B}}`".into()),
        ("timeline", _) => {
            Err("`{{#timeline}}` takes one timeline id: `{{#timeline LAB/timeline/WHAT}}`".into())
        }
        _ => Err("`{{#machine}}` takes no arguments".into()),
    }
}

fn alone_on_line(text: &str, range: &Range<usize>) -> bool {
    let start = text[..range.start].rfind('\n').map_or(0, |i| i + 1);
    let end = text[range.end..]
        .find('\n')
        .map_or(text.len(), |i| range.end + i);
    text[start..range.start].trim().is_empty() && text[range.end..end].trim().is_empty()
}

//! Markdown as mdBook reads it, for every module that looks into a page: one parser
//! configuration (mdBook's own, from `mdbook-markdown`), one finder of code (spans and blocks,
//! where a directive or a number is text to show), the fenced blocks with their lines, and one
//! HTML escape.
//!
//! Parsing with mdBook's options matters: a table cell, a footnote or an admonition is code or
//! prose for us exactly when it is for the page the reader sees.

use crate::source::line_of;
use mdbook_markdown::MarkdownOptions;
pub use mdbook_markdown::pulldown_cmark;

use mdbook_markdown::pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd, html};
use regex::Regex;
use std::ops::Range;
use std::sync::LazyLock;

/// A parser over `text` with the options mdBook renders chapters with.
pub fn parser(text: &str) -> Parser<'_> {
    mdbook_markdown::new_cmark_parser(text, &MarkdownOptions::default())
}

/// Markdown to HTML, as mdBook renders a chapter.
pub fn to_html(text: &str) -> String {
    let mut out = String::new();
    html::push_html(&mut out, parser(text));
    out
}

/// Byte ranges of code spans and code blocks (fenced or indented) in `text`.
pub fn code_ranges(text: &str) -> Vec<Range<usize>> {
    parser(text)
        .into_offset_iter()
        .filter(|(event, _)| matches!(event, Event::Code(_) | Event::Start(Tag::CodeBlock(_))))
        .map(|(_, range)| range)
        .collect()
}

/// Whether `range` lies inside one of `code` (from [`code_ranges`]).
pub fn inside(code: &[Range<usize>], range: &Range<usize>) -> bool {
    code.iter()
        .any(|c| c.start <= range.start && range.end <= c.end)
}

/// A fenced code block of a page: its info string, first line and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence {
    pub info: String,
    /// 1-based line of the opening fence.
    pub line: usize,
    pub body: String,
}

/// The fenced code blocks of a Markdown text (``` or ~~~ fences), in order.
pub fn fences(text: &str) -> Vec<Fence> {
    let mut found = Vec::new();
    let mut open: Option<Fence> = None;
    for (event, range) in parser(text).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                open = Some(Fence {
                    info: info.trim().to_owned(),
                    line: line_of(text, range.start),
                    body: String::new(),
                });
            }
            Event::Text(body) => {
                if let Some(fence) = open.as_mut() {
                    fence.body.push_str(&body);
                }
            }
            Event::End(TagEnd::CodeBlock) => found.extend(open.take()),
            _ => {}
        }
    }
    found
}

static INCLUDE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\\?)\{\{#(?:include|rustdoc_include)\s+([^}\s]+)\s*\}\}").expect("valid regex")
});

/// An `{{#include …}}` or `{{#rustdoc_include …}}` of mdBook's `links` preprocessor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Include<'a> {
    /// `\{{#include …}}`: mdBook's escape, shown and not expanded.
    pub escaped: bool,
    /// The whole argument, `file:selector`.
    pub spec: &'a str,
    /// The file, relative to the page.
    pub file: &'a str,
    /// The anchor it selects, if its selector is not a line range.
    pub anchor: Option<&'a str>,
    /// It selects lines (`file:2:10`) rather than an anchor.
    pub lines: bool,
    /// Byte range of the whole directive in the text.
    pub range: Range<usize>,
}

/// Every include directive of `text`, escaped ones too, in order.
pub fn includes(text: &str) -> Vec<Include<'_>> {
    INCLUDE
        .captures_iter(text)
        .map(|c| {
            let spec = c.get(2).map_or("", |m| m.as_str());
            let (file, selector) = match spec.split_once(':') {
                Some((file, selector)) => (file, Some(selector)),
                None => (spec, None),
            };
            let lines = selector.is_some_and(|s| s.chars().all(|c| c.is_ascii_digit() || c == ':'));
            Include {
                escaped: !c[1].is_empty(),
                spec,
                file,
                anchor: selector.filter(|_| !lines),
                lines,
                range: c.get(0).expect("group 0 always matches").range(),
            }
        })
        .collect()
}

/// `text` made safe inside HTML text and double- or single-quoted attributes. A newline
/// becomes `&#10;`, so an attribute keeps it. One escape for pages and figures alike: the
/// figures crate's, which cannot depend on this tool.
pub use figures::svg::escape;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_fences_with_their_start_line() {
        let text = "intro\n```mermaid\ngraph TD\n  A-->B\n```\n\n~~~rust\nfn x() {}\n~~~\n";
        let found = fences(text);
        assert_eq!(found.len(), 2);
        assert_eq!((found[0].info.as_str(), found[0].line), ("mermaid", 2));
        assert_eq!(found[0].body, "graph TD\n  A-->B\n");
        assert_eq!(found[1].info, "rust");
    }

    #[test]
    fn code_is_spans_and_blocks_even_in_tables() {
        let text = "a `x` b\n\n| h |\n|---|\n| `y` |\n\n```\nz\n```\n";
        let code: Vec<&str> = code_ranges(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(code, ["`x`", "`y`", "```\nz\n```"]);
    }

    #[test]
    fn reads_includes_with_anchors_and_line_ranges() {
        let text = "{{#include a.rs:work}} \\{{#include b.rs}}\n{{#rustdoc_include c.rs:2:10 }}";
        let found: Vec<(bool, &str, Option<&str>, bool)> = includes(text)
            .iter()
            .map(|i| (i.escaped, i.file, i.anchor, i.lines))
            .collect();
        assert_eq!(
            found,
            [
                (false, "a.rs", Some("work"), false),
                (true, "b.rs", None, false),
                (false, "c.rs", None, true)
            ]
        );
    }

    #[test]
    fn escapes_text_and_attributes() {
        assert_eq!(
            escape("<a href=\"x\">'&'\n"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&#10;"
        );
    }
}

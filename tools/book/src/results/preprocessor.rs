//! The `results` preprocessor: every measured number in the book comes from a results file,
//! never from a number typed into prose.
//!
//! # Directives
//!
//! Results are named by id (`LAB/WHAT`, e.g. `spawn-cost/thread`, as each lab's `--json`
//! prints them). Every directive shows the **reference machine's** result
//! (`results/reference/*.json`, committed) and, when the reader has run `cargo book measure`,
//! **their own** (`results/local/*.json`) beside it.
//!
//! | Directive | Becomes |
//! |---|---|
//! | `{{#bench PREFIX…}}` | On a line of its own: a bar chart (SVG; one per unit) and a table of every result whose id is a PREFIX or lies below one (`spawn-cost` and `spawn-cost/` mean the whole lab; `spawn-cost/fork` means `spawn-cost/fork` and `spawn-cost/fork/…`, not `spawn-cost/fork-exec`), in the order of the prefixes given: what was measured, median, spread (low – high), samples, for each machine; captioned with the machines they were measured on and what the spread is (see below). |
//! | `{{#value ID}}` | The median, formatted for prose: `12.4 µs`, then ` (yours: 15.1 µs)` with local results. |
//! | `{{#ratio ID_A ID_B}}` | Median A ÷ median B (same unit): `14×`, `3.2×`, then ` (yours: 12×)` with local results. |
//! | `{{#machine}}` | A sentence naming the reference machine (CPU, cores, memory, kernel, rustc, date) and the reader's. |
//! | `{{#timeline ID}}` | On a line of its own: the timeline a lab recorded under ID (a report's `timelines`) drawn as SVG (a lane per worker, spans coloured by CPU; [`figures::timeline`]), with its summary in sentences under it for screen readers and print; the reader's own under the reference's. |
//!
//! Durations (unit `ns`) are written in the unit that keeps them readable, bytes in binary
//! units, other counts with their unit (see [`crate::results::quantity`]).
//!
//! A spread is one of two things ([`schema::Spread`]): the 95 % confidence interval of the
//! median for a criterion benchmark, the lowest and highest sample for a lab's own runs. A
//! table whose spreads are all of one kind names it in its header and caption; a table that
//! mixes them tags each spread (`95% CI`, `range`) and the caption says what the tags mean.
//!
//! A directive whose id or prefix has no reference result (or timeline) is a build error naming the page
//! and line (`src/labs/spawn-cost.md:42: no reference result for `spawn-cost/thread``), so
//! the book never shows a blank where a number should be; `cargo book check` reports the
//! same before building. Directives inside code spans and code blocks are left as they are,
//! which is how a page can show one. The preprocessor runs after mdBook's `links`, so
//! directives in `{{#include}}`d files are expanded too.

use super::directive::{DIRECTIVES, NAME, find};
use super::render::{expand, missing};
use crate::results::{self, Results};
use crate::source::{self, Problem};
use mdbook_preprocessor::book::{Book, BookItem, Chapter};
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};
use std::path::{Path, PathBuf};

/// The preprocessor mdBook runs (registered in code by [`crate::build::load`]).
#[derive(Debug, Default)]
pub struct ResultsPreprocessor;

impl crate::directive::Expands for ResultsPreprocessor {
    fn directives(&self) -> &'static [&'static str] {
        &DIRECTIVES
    }
}

impl Preprocessor for ResultsPreprocessor {
    fn name(&self) -> &str {
        NAME
    }

    fn run(
        &self,
        ctx: &PreprocessorContext,
        mut book: Book,
    ) -> mdbook_preprocessor::errors::Result<Book> {
        let results = Results::load(&ctx.root)?;
        let src = ctx.config.book.src.clone();
        let mut errors = Vec::new();
        book.for_each_mut(|item| {
            if let BookItem::Chapter(chapter) = item {
                match expand(&chapter.content, &results) {
                    Ok(content) => chapter.content = content,
                    Err(found) => {
                        errors.extend(locate(ctx, &src, chapter, found));
                    }
                }
            }
        });
        if errors.is_empty() {
            Ok(book)
        } else {
            Err(anyhow::anyhow!("{}", errors.join("\n")))
        }
    }
}

/// Turns errors at lines of a chapter's content into `src/page.md:LINE: message`.
///
/// The content has `{{#include}}`s expanded, so its lines may not be the file's. The line is
/// looked up in the page's file instead, by its text (the k-th copy of a repeated line in the
/// content is taken to be the k-th in the file); a line that only exists in an included file
/// keeps its content line and says so.
fn locate(
    ctx: &PreprocessorContext,
    src: &Path,
    chapter: &Chapter,
    errors: Vec<(usize, String)>,
) -> Vec<String> {
    let Some(source_path) = &chapter.source_path else {
        return errors
            .into_iter()
            .map(|(line, m)| format!("{}:{line}: {m}", chapter.name))
            .collect();
    };
    let page = src.join(source_path);
    let source = std::fs::read_to_string(ctx.root.join(&page)).unwrap_or_default();
    let content_lines: Vec<&str> = chapter.content.lines().collect();
    errors
        .into_iter()
        .map(|(line, message)| {
            let text = content_lines.get(line - 1).copied().unwrap_or("");
            let before = content_lines.get(..line - 1).unwrap_or(&content_lines);
            let copy = before.iter().filter(|&&l| l == text).count();
            let in_source = source.lines().enumerate().filter(|&(_, l)| l == text);
            match in_source.map(|(index, _)| index).nth(copy) {
                Some(index) => format!("{}:{}: {message}", page.display(), index + 1),
                None => format!(
                    "{}:{line}: {message} (in text included into the page; line of the \
                     page after includes)",
                    page.display()
                ),
            }
        })
        .collect()
}

/// Every results directive in the book's pages names results the reference machine has, and
/// is well formed. (Directives in included files are checked by the build.)
pub fn check(root: &Path) -> Vec<Problem> {
    let results = match Results::load(root) {
        Ok(results) => results,
        Err(err) => {
            return vec![Problem {
                file: PathBuf::from(results::REFERENCE_DIR),
                line: 1,
                message: format!("{err:#}"),
            }];
        }
    };
    let mut problems = Vec::new();
    for page in source::pages(root) {
        for found in find(&page.text) {
            let problem = match &found.directive {
                Err(message) => Some(message.clone()),
                Ok(directive) => missing(directive, &results),
            };
            if let Some(message) = problem {
                problems.push(Problem {
                    file: page.path.clone(),
                    line: found.line,
                    message,
                });
            }
        }
    }
    problems
}

//! Quizzes: authored as TOML under `quizzes/`, validated at build time, answered in the
//! browser by our own widget (`assets/quiz.js`, no third-party code).
//!
//! # Directives
//!
//! - `{{#quiz ../quizzes/NAME.toml}}`: the quiz `NAME`, where the directive stands. The path is
//!   relative to the page, like `{{#include}}`; every quiz lives in `quizzes/` at the
//!   repository root, and is placed on at most one page (progress is kept per quiz).
//! - `{{#quiz-index}}`: a table of every quiz (title, page, question count), with the reader's
//!   progress filled in by the widget from the browser's storage.
//! - `{{#quiz-drill}}`: questions from every quiz in a random order drawn from a seed shown on
//!   the page (`drill.html#seed=123`, or `#seed=123&quiz=NAME` for one quiz), so a drill can
//!   be repeated.
//!
//! Directives inside code spans and code blocks are left alone, so a page can show them.
//!
//! # Format
//!
//! A superset of the `mdbook-quiz` schema (the `mdbook-quiz-schema` crate): every file here is
//! also checked against that crate's types, and an `mdbook-quiz` reader ignores our additions:
//!
//! - `title` (top level, required): the quiz's name in the index and the drill;
//! - `[questions.explanations]` (per question): a table from a choice's exact text to why it
//!   is right or wrong. Required for every choice of a `MultipleChoice`; for a `ShortAnswer`
//!   or `Tracing` question, optional explanations of answers a reader is likely to give;
//! - `answer.alternatives` on `Tracing`: other outputs that are just as right, for programs
//!   whose output is nondeterministic (the schema has it for `ShortAnswer` already);
//! - `prompt.prompt` on `Tracing`: text shown above the program.
//!
//! Every question needs an `id` (unique in its quiz: the reader's progress is stored under
//! it). `MultipleChoice` with one `answer.answer` string is single choice, with a list is
//! multi-select. `ShortAnswer` matches ignoring case and runs of whitespace. `Tracing` asks
//! whether `prompt.program` compiles and then what it prints (or which line fails).
//!
//! A bad quiz is a build error naming the page and line of the directive, the quiz file, and
//! the question.

use crate::markdown::{self, escape};
use crate::source::{Problem, line_of};
use mdbook_preprocessor::book::{Book, BookItem};
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};
use std::sync::LazyLock;

mod authored;
mod directive;
pub mod flashcards;
mod model;
mod placement;
mod question;
mod render;
#[cfg(test)]
mod tests;

use authored::*;
pub use directive::{DIRECTIVES, Directive, Kind, directives, scan_directives};
use model::*;
pub use model::{Choice, Question, QuestionKind, Quiz, Response, load, parse, quiz_files};
use placement::*;
use question::*;
pub use render::quiz_html;
use render::*;

pub const QUIZ_DIR: &str = "quizzes";

/// The preprocessor registered as `quiz` (replacing `[preprocessor.quiz]` of book.toml).
pub struct QuizPreprocessor;

impl crate::directive::Expands for QuizPreprocessor {
    fn directives(&self) -> &'static [&'static str] {
        &DIRECTIVES
    }
}

impl Preprocessor for QuizPreprocessor {
    fn name(&self) -> &str {
        "quiz"
    }

    fn run(&self, ctx: &PreprocessorContext, mut book: Book) -> anyhow::Result<Book> {
        let root = &ctx.root;
        let src = ctx.config.book.src.clone();
        let (quizzes, mut problems) = load_all(root);

        // Every page's directives, in book order, located in the page's own file: the content
        // here has had `{{#include}}`s expanded, so its line numbers may not be the file's.
        let mut pages = Vec::new();
        for item in book.iter() {
            let BookItem::Chapter(chapter) = item else {
                continue;
            };
            let (Some(path), Some(source)) = (&chapter.path, &chapter.source_path) else {
                continue;
            };
            let file = src.join(source);
            let original = std::fs::read_to_string(root.join(&file)).unwrap_or_default();
            let scan = scan(root, &file, &chapter.content, Some(&original));
            problems.extend(scan.problems);
            pages.push((path.clone(), scan.found));
        }
        let placements = placements(&pages, &quizzes, &mut problems);
        if !problems.is_empty() {
            problems.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
            anyhow::bail!(
                "{} quiz problem(s):\n{}",
                problems.len(),
                crate::source::report(&problems)
            );
        }

        let drill_page = pages
            .iter()
            .find(|(_, found)| found.iter().any(|f| f.kind == Kind::Drill))
            .map(|(path, _)| path.clone());
        let site = Site {
            quizzes: &quizzes,
            placements: &placements,
            drill_page,
            book_order: pages.iter().map(|(path, _)| path.clone()).collect(),
        };
        book.for_each_chapter_mut(|chapter| {
            let Some(page) = chapter.path.clone() else {
                return;
            };
            let found = directives(&chapter.content);
            if found.is_empty() {
                return;
            }
            let mut out = String::with_capacity(chapter.content.len());
            let mut at = 0;
            for directive in found {
                let before = &chapter.content[at..directive.range.start];
                out.push_str(before);
                // An HTML block must start a line; after text on the same line, start one.
                let line_start = chapter.content[..directive.range.start]
                    .rsplit('\n')
                    .next()
                    .is_none_or(|s| s.trim().is_empty());
                if !line_start {
                    out.push_str("\n\n");
                }
                out.push_str(&site.expand(&page, &directive));
                // …and end it with a blank line, or the next line would join the raw HTML.
                out.push_str("\n\n");
                at = directive.range.end;
            }
            out.push_str(&chapter.content[at..]);
            chapter.content = out;
        });
        Ok(book)
    }

    fn supports_renderer(&self, renderer: &str) -> anyhow::Result<bool> {
        Ok(renderer == "html")
    }
}

/// Every quiz and every quiz directive of the book's sources, for `cargo book check`.
pub fn problems(root: &Path) -> Vec<Problem> {
    let (quizzes, mut problems) = load_all(root);
    let mut pages = Vec::new();
    for page in crate::source::pages(root) {
        let scan = scan(root, &page.path, &page.text, None);
        problems.extend(scan.problems);
        pages.push((page.path, scan.found));
    }
    placements(&pages, &quizzes, &mut problems);
    problems
}

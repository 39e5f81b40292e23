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

/// Where quizzes live, relative to the repository (book) root.
pub const QUIZ_DIR: &str = "quizzes";

/// The preprocessor registered as `quiz` (replacing `[preprocessor.quiz]` of book.toml).
pub struct QuizPreprocessor;

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

// ---------------------------------------------------------------------------------------------
// Directives

/// Which directive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// `{{#quiz PATH}}`, with the path as written.
    Quiz(String),
    /// `{{#quiz-index}}`
    Index,
    /// `{{#quiz-drill}}`
    Drill,
}

/// A quiz directive found in a page, outside code.
#[derive(Debug, Clone)]
pub struct Directive {
    pub kind: Kind,
    /// Byte range of the whole `{{#…}}` in the text.
    pub range: Range<usize>,
    /// 1-based line in the text.
    pub line: usize,
    /// The directive as written, for messages.
    pub text: String,
}

static DIRECTIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\\?)\{\{#(quiz-index|quiz-drill|quiz)(\s[^}]*)?\}\}").expect("valid regex")
});

/// Anything that starts like one of our directives: a match not covered by [`DIRECTIVE`] is
/// malformed (say `{{#quiz x.toml}` or `{{#quizz …}}`) and would show up as raw text.
static LOOSE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(\\?)\{\{#quiz[A-Za-z_-]*").expect("valid regex"));

/// The quiz directives of a Markdown text, skipping code spans, code blocks and `\{{#…}}`
/// escapes. Malformed ones come back as `Err` with their line and what is wrong.
pub fn scan_directives(text: &str) -> Vec<Result<Directive, (usize, String)>> {
    let code = markdown::code_ranges(text);
    let in_code = |at: usize| code.iter().any(|r| r.contains(&at));
    let line_of = |at: usize| line_of(text, at);
    let mut found = Vec::new();
    let mut covered = Vec::new();
    for caps in DIRECTIVE.captures_iter(text) {
        let whole = caps.get(0).expect("match");
        covered.push(whole.range());
        if !caps[1].is_empty() || in_code(whole.start()) {
            continue;
        }
        let args: Vec<&str> = caps
            .get(3)
            .map_or("", |m| m.as_str())
            .split_whitespace()
            .collect();
        let line = line_of(whole.start());
        let kind = match (&caps[2], args.as_slice()) {
            ("quiz", [path]) => Kind::Quiz((*path).to_owned()),
            ("quiz", _) => {
                let message = format!(
                    "`{}` takes exactly one path, e.g. {{{{#quiz ../quizzes/NAME.toml}}}}",
                    whole.as_str()
                );
                found.push(Err((line, message)));
                continue;
            }
            ("quiz-index", []) => Kind::Index,
            ("quiz-drill", []) => Kind::Drill,
            (name, _) => {
                found.push(Err((line, format!("{{{{#{name}}}}} takes no arguments"))));
                continue;
            }
        };
        found.push(Ok(Directive {
            kind,
            range: whole.range(),
            line,
            text: whole.as_str().to_owned(),
        }));
    }
    for m in LOOSE.find_iter(text) {
        let escaped = m.as_str().starts_with('\\');
        if escaped || in_code(m.start()) || covered.iter().any(|r| r.contains(&m.start())) {
            continue;
        }
        let message = format!(
            "malformed quiz directive `{}…`: expected {{{{#quiz PATH}}}}, {{{{#quiz-index}}}} \
             or {{{{#quiz-drill}}}}",
            m.as_str()
        );
        found.push(Err((line_of(m.start()), message)));
    }
    found
}

/// The well-formed quiz directives of a text, in order (see [`scan_directives`]).
pub fn directives(text: &str) -> Vec<Directive> {
    scan_directives(text).into_iter().flatten().collect()
}

/// One directive of a page, resolved.
struct Found {
    kind: Kind,
    /// The quiz id, for `Kind::Quiz` naming an existing quiz.
    quiz: Option<String>,
    /// `file:line` of the directive, for messages.
    file: PathBuf,
    line: usize,
}

struct Scan {
    found: Vec<Found>,
    problems: Vec<Problem>,
}

/// The directives of one page (`file`, relative to `root`), checked: each quiz path must name
/// a file in `quizzes/`. `original` is the page's file when `text` has had includes expanded,
/// to report the line the author sees.
fn scan(root: &Path, file: &Path, text: &str, original: Option<&str>) -> Scan {
    let mut out = Scan {
        found: Vec::new(),
        problems: Vec::new(),
    };
    let page_dir = file.parent().unwrap_or(Path::new(""));
    for directive in scan_directives(text) {
        let directive = match directive {
            Ok(d) => d,
            Err((line, message)) => {
                out.problems.push(Problem::new(file, line, message));
                continue;
            }
        };
        let line = original
            .and_then(|o| o.lines().position(|l| l.contains(&directive.text)))
            .map_or(directive.line, |index| index + 1);
        let mut quiz = None;
        if let Kind::Quiz(path) = &directive.kind {
            match resolve(root, page_dir, path) {
                Ok(id) => quiz = Some(id),
                Err(message) => {
                    let message = format!("{}: {message}", directive.text);
                    out.problems.push(Problem::new(file, line, message));
                }
            }
        }
        out.found.push(Found {
            kind: directive.kind,
            quiz,
            file: file.to_path_buf(),
            line,
        });
    }
    out
}

/// The quiz id named by a directive's path, relative to the page's directory.
fn resolve(root: &Path, page_dir: &Path, path: &str) -> Result<String, String> {
    let joined = normalize(&page_dir.join(path));
    let in_dir = joined.parent() == Some(Path::new(QUIZ_DIR));
    let id = joined
        .file_stem()
        .and_then(|s| s.to_str())
        .filter(|_| in_dir && joined.extension().is_some_and(|e| e == "toml"));
    let Some(id) = id else {
        return Err(format!(
            "{} is not a quiz: quizzes are `{QUIZ_DIR}/NAME.toml` at the repository root",
            joined.display()
        ));
    };
    if !root.join(&joined).is_file() {
        return Err(format!("{} does not exist", joined.display()));
    }
    Ok(id.to_owned())
}

/// `a/b/../c` → `a/c`, without touching the disk (the file may not exist).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Where each quiz is placed, by id: the page (path in the book) and the directive's location.
/// A quiz on two pages, or an invalid quiz placed on a page, is a problem at the directive.
fn placements(
    pages: &[(PathBuf, Vec<Found>)],
    quizzes: &BTreeMap<String, Result<Quiz, ()>>,
    problems: &mut Vec<Problem>,
) -> BTreeMap<String, PathBuf> {
    let mut placed: BTreeMap<String, (PathBuf, &Found)> = BTreeMap::new();
    let mut index_pages = Vec::new();
    let mut drill_pages = Vec::new();
    for (page, found) in pages {
        for f in found {
            match &f.kind {
                Kind::Index => index_pages.push(f),
                Kind::Drill => drill_pages.push(f),
                Kind::Quiz(path) => {
                    let Some(id) = &f.quiz else { continue };
                    if let Some(Err(())) = quizzes.get(id) {
                        let message = format!(
                            "{{{{#quiz {path}}}}}: {QUIZ_DIR}/{id}.toml is invalid (see its \
                             problems)"
                        );
                        problems.push(Problem::new(&f.file, f.line, message));
                    }
                    if let Some((_, first)) = placed.get(id) {
                        let message = format!(
                            "quiz `{id}` is already placed at {}:{}; a quiz belongs to one page",
                            first.file.display(),
                            first.line
                        );
                        problems.push(Problem::new(&f.file, f.line, message));
                    } else {
                        placed.insert(id.clone(), (page.clone(), f));
                    }
                }
            }
        }
    }
    for (what, list) in [("quiz-index", index_pages), ("quiz-drill", drill_pages)] {
        for extra in list.iter().skip(1) {
            let message = format!(
                "a second {{{{#{what}}}}}: the book has one, at {}:{}",
                list[0].file.display(),
                list[0].line
            );
            problems.push(Problem::new(&extra.file, extra.line, message));
        }
    }
    placed
        .into_iter()
        .map(|(id, (page, _))| (id, page))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Quiz files: our serde types mirror mdbook-quiz-schema's, plus our extensions (see the module
// docs). `deny_unknown_fields` catches misspelt keys, which the schema's types would ignore.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuizToml {
    title: Option<String>,
    questions: Vec<QuestionToml>,
    multipart: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(tag = "type")]
enum QuestionToml {
    MultipleChoice(Fields<ChoicePrompt, ChoiceAnswer>),
    ShortAnswer(Fields<ShortPrompt, ShortAnswer>),
    Tracing(Fields<TracingPrompt, TracingAnswer>),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Fields<P, A> {
    id: Option<String>,
    multipart: Option<String>,
    prompt: P,
    answer: A,
    context: Option<String>,
    /// mdbook-quiz asks the reader to justify an answer for its telemetry; we have none, so it
    /// is accepted and ignored.
    #[allow(dead_code)]
    prompt_explanation: Option<bool>,
    /// Ours: choice (or anticipated answer) → why it is right or wrong.
    #[serde(default)]
    explanations: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ChoicePrompt {
    prompt: String,
    distractors: Vec<String>,
    answer_index: Option<usize>,
    sort_answers: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChoiceAnswer {
    answer: OneOrMany,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ShortPrompt {
    prompt: String,
    response: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ShortAnswer {
    answer: String,
    alternatives: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TracingPrompt {
    program: String,
    /// Ours: text above the program.
    prompt: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TracingAnswer {
    does_compile: bool,
    stdout: Option<String>,
    line_number: Option<usize>,
    /// Ours: other outputs that are as right as `stdout` (nondeterministic programs).
    alternatives: Option<Vec<String>>,
}

// ---------------------------------------------------------------------------------------------
// Validated quizzes, as the widget receives them (JSON): Markdown already rendered to HTML, so
// the widget needs no Markdown parser, and choices already in display order.

/// A validated quiz.
#[derive(Debug, Clone, Serialize)]
pub struct Quiz {
    /// The file stem: `quizzes/NAME.toml` is quiz `NAME`.
    pub id: String,
    pub title: String,
    pub questions: Vec<Question>,
}

/// One question, ready for the widget.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Question {
    pub id: String,
    /// A hash of the question: a saved answer to an older version is not shown as this one's.
    pub rev: String,
    pub kind: QuestionKind,
    /// HTML.
    pub prompt: String,
    /// `Tracing`: the program, as plain text (the widget numbers its lines).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub program: Option<String>,
    /// `Single`/`Multi`: every choice in display order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<Choice>,
    /// `Short`: accepted answers; `Tracing` that compiles: accepted outputs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub accepted: Vec<String>,
    /// `Short`/`Tracing`: explanations of answers a reader may give.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub responses: Vec<Response>,
    /// `Short`: a multi-line response (`prompt.response = "long"` or `"code"`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub long: bool,
    /// `Tracing`: does the program compile?
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compiles: Option<bool>,
    /// `Tracing` that does not compile: the line of the error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// HTML shown after answering.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum QuestionKind {
    /// Multiple choice, one answer (radio buttons).
    Single,
    /// Multiple choice, one or more answers (checkboxes).
    Multi,
    /// A typed answer.
    Short,
    /// Predict the output: does it compile, and what does it print.
    Tracing,
}

#[derive(Debug, Clone, Serialize)]
pub struct Choice {
    /// HTML.
    pub html: String,
    pub correct: bool,
    /// HTML: why this choice is right or wrong.
    pub why: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Response {
    /// The answer as the reader would type it.
    pub answer: String,
    /// HTML.
    pub why: String,
}

/// Every quiz under `root/quizzes/`, by id: `Err(())` for an invalid one, whose problems are
/// in the second list.
fn load_all(root: &Path) -> (BTreeMap<String, Result<Quiz, ()>>, Vec<Problem>) {
    let mut quizzes = BTreeMap::new();
    let mut problems = Vec::new();
    for source in quiz_files(root) {
        let id = source
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        match load(root, &source) {
            Ok(quiz) => {
                quizzes.insert(id, Ok(quiz));
            }
            Err(errors) => {
                problems.extend(errors);
                quizzes.insert(id, Err(()));
            }
        }
    }
    (quizzes, problems)
}

/// `quizzes/*.toml`, relative to `root`, sorted.
pub fn quiz_files(root: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root.join(QUIZ_DIR)) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "toml"))
        .filter_map(|p| Some(Path::new(QUIZ_DIR).join(p.file_name()?)))
        .collect();
    files.sort();
    files
}

/// Reads and validates one quiz file (`source` relative to `root`). Every problem is located
/// in the file: a parse error at its line, a question's problem at its `[[questions]]` line.
pub fn load(root: &Path, source: &Path) -> Result<Quiz, Vec<Problem>> {
    let text = std::fs::read_to_string(root.join(source))
        .map_err(|e| vec![Problem::new(source, 1, format!("cannot read: {e}"))])?;
    let id = source
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_owned();
    parse(&id, source, &text)
}

/// Validates a quiz's text; `source` only names it in problems.
pub fn parse(id: &str, source: &Path, text: &str) -> Result<Quiz, Vec<Problem>> {
    let toml_problem = |what: &str, e: toml::de::Error| {
        let line = e
            .span()
            .map_or(1, |span| text[..span.start].matches('\n').count() + 1);
        Problem::new(source, line, format!("{what}: {}", e.message().trim()))
    };
    // The schema's own types first: a quiz must stay readable by mdbook-quiz. They ignore
    // unknown keys, so our extensions pass.
    toml::from_str::<mdbook_quiz_schema::Quiz>(text)
        .map_err(|e| vec![toml_problem("does not fit the mdbook-quiz schema", e)])?;
    let quiz: QuizToml =
        toml::from_str(text).map_err(|e| vec![toml_problem("is not a valid quiz", e)])?;

    let mut problems = Vec::new();
    if !is_id(id) {
        let message = "the file name must be a quiz id: letters, digits, `-` and `_`";
        problems.push(Problem::new(source, 1, message));
    }
    let title = quiz.title.unwrap_or_default();
    if title.trim().is_empty() {
        problems.push(Problem::new(
            source,
            1,
            "needs a `title` (before [[questions]])",
        ));
    }
    if quiz.questions.is_empty() {
        problems.push(Problem::new(source, 1, "has no [[questions]]"));
    }
    let multipart = quiz.multipart.unwrap_or_default();
    // `[[questions]]` headers, in order, to locate each question's problems.
    let header_lines: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim().replace(' ', "") == "[[questions]]")
        .map(|(i, _)| i + 1)
        .collect();
    let mut seen = BTreeMap::new();
    let mut questions = Vec::new();
    for (index, toml_question) in quiz.questions.into_iter().enumerate() {
        let line = header_lines.get(index).copied().unwrap_or(1);
        let qid = toml_question.id().unwrap_or_default().to_owned();
        let name = if qid.is_empty() {
            format!("question {}", index + 1)
        } else {
            format!("question {} (`{qid}`)", index + 1)
        };
        let mut errors = Vec::new();
        if qid.is_empty() {
            errors.push("needs an `id` (progress is saved under it)".to_owned());
        } else if !is_id(&qid) {
            errors.push("`id` may hold only letters, digits, `-` and `_`".to_owned());
        } else if let Some(first) = seen.insert(qid.clone(), index + 1) {
            errors.push(format!("`id` is the same as question {first}'s"));
        }
        match question(id, &qid, toml_question, &multipart) {
            Ok(q) if errors.is_empty() => questions.push(q),
            Ok(_) => {}
            Err(more) => errors.extend(more),
        }
        for error in errors {
            problems.push(Problem::new(source, line, format!("{name}: {error}")));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Quiz {
        id: id.to_owned(),
        title,
        questions,
    })
}

impl QuestionToml {
    fn id(&self) -> Option<&str> {
        match self {
            QuestionToml::MultipleChoice(f) => f.id.as_deref(),
            QuestionToml::ShortAnswer(f) => f.id.as_deref(),
            QuestionToml::Tracing(f) => f.id.as_deref(),
        }
    }
}

fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Validates one question and renders it for the widget.
fn question(
    quiz_id: &str,
    qid: &str,
    q: QuestionToml,
    multipart: &BTreeMap<String, String>,
) -> Result<Question, Vec<String>> {
    let mut errors = Vec::new();
    let blank = |s: &str| s.trim().is_empty();
    let mut out = Question {
        id: qid.to_owned(),
        rev: String::new(),
        kind: QuestionKind::Short,
        prompt: String::new(),
        program: None,
        choices: Vec::new(),
        accepted: Vec::new(),
        responses: Vec::new(),
        long: false,
        compiles: None,
        line: None,
        context: None,
    };
    // The parts every kind shares.
    let (group, context, explanations) = match &q {
        QuestionToml::MultipleChoice(f) => (&f.multipart, &f.context, &f.explanations),
        QuestionToml::ShortAnswer(f) => (&f.multipart, &f.context, &f.explanations),
        QuestionToml::Tracing(f) => (&f.multipart, &f.context, &f.explanations),
    };
    let mut prompt = String::new();
    if let Some(group) = group {
        match multipart.get(group) {
            Some(text) => {
                let _ = write!(
                    prompt,
                    "<div class=\"tvp-quiz-part\">{}</div>",
                    markdown::to_html(text)
                );
            }
            None => errors.push(format!(
                "`multipart = \"{group}\"` is not a key of the quiz's [multipart] table"
            )),
        }
    }
    for (answer, why) in explanations {
        if blank(why) {
            errors.push(format!("the explanation of `{answer}` is empty"));
        }
    }
    out.context = context
        .as_deref()
        .filter(|c| !blank(c))
        .map(markdown::to_html);

    match q {
        QuestionToml::MultipleChoice(f) => {
            if blank(&f.prompt.prompt) {
                errors.push("`prompt.prompt` is empty".to_owned());
            }
            prompt.push_str(&markdown::to_html(&f.prompt.prompt));
            let (answers, multi) = match f.answer.answer {
                OneOrMany::One(a) => (vec![a], false),
                OneOrMany::Many(list) => (list, true),
            };
            out.kind = if multi {
                QuestionKind::Multi
            } else {
                QuestionKind::Single
            };
            if answers.is_empty() {
                errors.push(
                    "`answer.answer` is an empty list: mark at least one choice correct".into(),
                );
            }
            if !multi && f.prompt.distractors.is_empty() {
                errors.push("a single-choice question needs `prompt.distractors`".to_owned());
            }
            if let Some(index) = f.prompt.answer_index {
                if multi {
                    errors.push(
                        "`prompt.answerIndex` places one answer; this question has a list".into(),
                    );
                } else if index > f.prompt.distractors.len() {
                    errors.push(format!(
                        "`prompt.answerIndex` is {index}, but there are only {} choices (indexes 0 to {})",
                        f.prompt.distractors.len() + 1,
                        f.prompt.distractors.len()
                    ));
                }
                if f.prompt.sort_answers == Some(true) {
                    errors.push(
                        "`prompt.answerIndex` and `prompt.sortAnswers` disagree on the order"
                            .into(),
                    );
                }
            }
            let mut texts = BTreeSet::new();
            let all = answers
                .iter()
                .map(|a| (a, true))
                .chain(f.prompt.distractors.iter().map(|d| (d, false)));
            let mut choices = Vec::new();
            for (text, correct) in all {
                if blank(text) {
                    errors.push("a choice is empty".to_owned());
                }
                if !texts.insert(text.as_str()) {
                    errors.push(format!("the choice `{text}` appears twice"));
                }
                let why = match f.explanations.get(text) {
                    Some(why) => markdown::to_html(why),
                    None => {
                        let side = if correct {
                            "correct answer"
                        } else {
                            "distractor"
                        };
                        errors.push(format!(
                            "the {side} `{text}` has no explanation: add `{} = \"why…\"` under \
                             [questions.explanations]",
                            toml_key(text)
                        ));
                        String::new()
                    }
                };
                choices.push(Choice {
                    html: inline_markdown(text),
                    correct,
                    why,
                });
            }
            for key in f.explanations.keys() {
                if !texts.contains(key.as_str()) {
                    errors.push(format!(
                        "[questions.explanations] explains `{key}`, which is not a choice \
                         (keys must be a choice's exact text)"
                    ));
                }
            }
            out.choices = order_choices(
                choices,
                f.prompt.answer_index.filter(|_| errors.is_empty()),
                f.prompt.sort_answers == Some(true),
                &format!("{quiz_id}/{qid}"),
            );
        }
        QuestionToml::ShortAnswer(f) => {
            if blank(&f.prompt.prompt) {
                errors.push("`prompt.prompt` is empty".to_owned());
            }
            prompt.push_str(&markdown::to_html(&f.prompt.prompt));
            out.long = match f.prompt.response.as_deref() {
                None | Some("short") => false,
                Some("long" | "code") => true,
                Some(other) => {
                    errors.push(format!(
                        "`prompt.response` is `{other}`; it may be short, long or code"
                    ));
                    false
                }
            };
            out.accepted = std::iter::once(f.answer.answer)
                .chain(f.answer.alternatives.unwrap_or_default())
                .collect();
            if out.accepted.iter().any(|a| blank(a)) {
                errors.push("`answer.answer` and every alternative must be non-empty".into());
            }
            if out.context.is_none() {
                errors.push("needs a `context` explaining the answer".to_owned());
            }
            out.responses = responses(&f.explanations);
        }
        QuestionToml::Tracing(f) => {
            out.kind = QuestionKind::Tracing;
            let lead = f.prompt.prompt.as_deref().unwrap_or(
                "Does this program compile? If it does, what does it print? If not, on which \
                 line is the error?",
            );
            prompt.push_str(&markdown::to_html(lead));
            if blank(&f.prompt.program) {
                errors.push("`prompt.program` is empty".to_owned());
            }
            let program = f.prompt.program.trim_end().to_owned();
            let lines = program.lines().count();
            out.compiles = Some(f.answer.does_compile);
            match (f.answer.does_compile, f.answer.stdout, f.answer.line_number) {
                (true, Some(stdout), None) => {
                    out.accepted = std::iter::once(stdout)
                        .chain(f.answer.alternatives.unwrap_or_default())
                        .collect();
                }
                (true, None, _) => {
                    errors.push("`answer.doesCompile = true` needs `answer.stdout`".into())
                }
                (true, Some(_), Some(_)) => {
                    errors.push("a program that compiles has no `answer.lineNumber`".into())
                }
                (false, None, Some(line)) if (1..=lines).contains(&line) => {
                    out.line = Some(line);
                    if f.answer.alternatives.is_some() {
                        errors.push(
                            "`answer.alternatives` are outputs; this program does not compile"
                                .into(),
                        );
                    }
                }
                (false, None, Some(line)) => errors.push(format!(
                    "`answer.lineNumber` is {line}, but the program has lines 1 to {lines}"
                )),
                (false, _, None) => {
                    errors.push("`answer.doesCompile = false` needs `answer.lineNumber`".into())
                }
                (false, Some(_), _) => {
                    errors.push("a program that does not compile has no `answer.stdout`".into())
                }
            }
            if out.context.is_none() {
                errors.push("needs a `context` explaining the answer".to_owned());
            }
            out.program = Some(program);
            out.responses = responses(&f.explanations);
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    out.prompt = prompt;
    out.rev = format!(
        "{:08x}",
        fnv1a(&serde_json::to_vec(&out).unwrap_or_default()) as u32
    );
    Ok(out)
}

fn responses(explanations: &BTreeMap<String, String>) -> Vec<Response> {
    explanations
        .iter()
        .map(|(answer, why)| Response {
            answer: answer.clone(),
            why: markdown::to_html(why),
        })
        .collect()
}

/// A TOML key for a choice, as the author would write it under [questions.explanations].
fn toml_key(text: &str) -> String {
    if is_id(text) {
        text.to_owned()
    } else if !text.contains('\'') && !text.contains('\n') {
        format!("'{text}'")
    } else {
        format!("{text:?}")
    }
}

/// mdbook-quiz's order: the answer at `answer_index` among the distractors as written, or
/// sorted by text, or shuffled. The shuffle is seeded by the question, so it is the same on
/// every build and a saved answer's choice stays put.
fn order_choices(
    mut choices: Vec<Choice>,
    answer_index: Option<usize>,
    sort: bool,
    seed: &str,
) -> Vec<Choice> {
    if let Some(index) = answer_index {
        let answer = choices.remove(0);
        choices.insert(index.min(choices.len()), answer);
    } else if sort {
        choices.sort_by(|a, b| a.html.cmp(&b.html));
    } else {
        let mut state = fnv1a(seed.as_bytes()) | 1;
        for i in (1..choices.len()).rev() {
            // xorshift64: enough to deal cards.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let j = (state % (i as u64 + 1)) as usize;
            choices.swap(i, j);
        }
    }
    choices
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Markdown for a choice: one paragraph loses its `<p>`, so it sits beside a radio button.
fn inline_markdown(text: &str) -> String {
    let html = markdown::to_html(text);
    let trimmed = html.trim_end();
    match trimmed
        .strip_prefix("<p>")
        .and_then(|s| s.strip_suffix("</p>"))
    {
        Some(inner) if !inner.contains("<p>") => inner.to_owned(),
        _ => html,
    }
}

// ---------------------------------------------------------------------------------------------
// HTML

struct Site<'a> {
    quizzes: &'a BTreeMap<String, Result<Quiz, ()>>,
    /// Quiz id → the page (path in the book, e.g. `concepts/process.md`) it is placed on.
    placements: &'a BTreeMap<String, PathBuf>,
    drill_page: Option<PathBuf>,
    /// Every page, in the book's order.
    book_order: Vec<PathBuf>,
}

/// What the index and the drill say about a quiz, besides the quiz itself.
#[derive(Serialize)]
struct Listed<'a> {
    #[serde(flatten)]
    quiz: &'a Quiz,
    /// The quiz's page, relative to the page showing the list.
    href: Option<String>,
}

impl Site<'_> {
    /// The HTML replacing a directive on `page`. Raw HTML in Markdown ends at a blank line, so
    /// none is emitted: newlines inside rendered Markdown become `&#10;`.
    fn expand(&self, page: &Path, directive: &Directive) -> String {
        match &directive.kind {
            Kind::Quiz(path) => {
                // `scan` checked that the path is `quizzes/ID.toml` and the quiz valid, or the
                // build stopped before expanding anything.
                let id = Path::new(path).file_stem().and_then(|s| s.to_str());
                match id.and_then(|id| self.quizzes.get(id)) {
                    Some(Ok(quiz)) => quiz_html(quiz),
                    _ => String::new(),
                }
            }
            Kind::Index => self.index_html(page),
            Kind::Drill => self.drill_html(page),
        }
    }

    fn valid(&self) -> impl Iterator<Item = &Quiz> {
        self.quizzes.values().filter_map(|q| q.as_ref().ok())
    }

    /// Quizzes in book order (placed ones, by their page's position), then unplaced by id.
    fn ordered(&self) -> Vec<&Quiz> {
        let mut list: Vec<&Quiz> = self.valid().collect();
        list.sort_by_key(|q| {
            let position = self
                .placements
                .get(&q.id)
                .and_then(|p| self.book_order.iter().position(|b| b == p));
            (position.is_none(), position, q.id.clone())
        });
        list
    }

    fn listed<'q>(&self, page: &Path, quiz: &'q Quiz) -> Listed<'q> {
        Listed {
            quiz,
            href: self
                .placements
                .get(&quiz.id)
                .map(|p| relative_href(page, p)),
        }
    }

    fn index_html(&self, page: &Path) -> String {
        let quizzes = self.ordered();
        let drill = self.drill_page.as_ref().map(|d| relative_href(page, d));
        #[derive(Serialize)]
        struct IndexEntry<'a> {
            id: &'a str,
            questions: Vec<[&'a str; 2]>,
        }
        let entries: Vec<IndexEntry> = quizzes
            .iter()
            .map(|q| IndexEntry {
                id: &q.id,
                questions: q
                    .questions
                    .iter()
                    .map(|x| [x.id.as_str(), x.rev.as_str()])
                    .collect(),
            })
            .collect();
        let mut html = String::from("<div class=\"tvp-quiz-index\">");
        html.push_str(&json_script(&serde_json::json!({
            "drill": drill,
            "quizzes": entries,
        })));
        if quizzes.is_empty() {
            html.push_str("<p>No quizzes yet.</p></div>");
            return html;
        }
        html.push_str(
            "<table><thead><tr><th>Quiz</th><th>Questions</th><th>Your progress</th>\
             <th>Practise</th></tr></thead><tbody>",
        );
        for quiz in &quizzes {
            let listed = self.listed(page, quiz);
            let title = escape(&quiz.title);
            let name = match &listed.href {
                Some(href) => format!("<a href=\"{}\">{title}</a>", escape(href)),
                None => format!("{title} <small>(not on a page yet)</small>"),
            };
            let practise = match &drill {
                Some(d) => format!(
                    "<a href=\"{}#quiz={}\">drill</a>",
                    escape(d),
                    escape(&quiz.id)
                ),
                None => String::new(),
            };
            let _ = write!(
                html,
                "<tr data-quiz-id=\"{}\"><td>{name}</td><td>{}</td>\
                 <td class=\"tvp-quiz-progress\">–</td><td>{practise}</td></tr>",
                escape(&quiz.id),
                quiz.questions.len()
            );
        }
        html.push_str("</tbody></table></div>");
        html
    }

    fn drill_html(&self, page: &Path) -> String {
        let quizzes: Vec<Listed> = self
            .ordered()
            .into_iter()
            .map(|q| self.listed(page, q))
            .collect();
        let mut html = String::from("<div class=\"tvp-quiz-drill\">");
        html.push_str(&json_script(&serde_json::json!({ "quizzes": quizzes })));
        html.push_str(
            "<noscript><p>The drill needs JavaScript: it draws questions in a random order in \
             your browser. Every quiz is also on its chapter's page.</p></noscript></div>",
        );
        html
    }
}

/// A quiz's HTML: the data for the widget, and the questions with their answers (in
/// `<details>`) for a reader without JavaScript.
pub fn quiz_html(quiz: &Quiz) -> String {
    let mut html = format!(
        "<div class=\"tvp-quiz\" data-quiz-id=\"{}\">",
        escape(&quiz.id)
    );
    html.push_str(&json_script(quiz));
    let mut fallback = format!(
        "<div class=\"tvp-quiz-static\"><p><strong>Quiz: {}</strong> (turn on JavaScript to \
         answer here and keep your progress)</p><ol>",
        escape(&quiz.title)
    );
    for q in &quiz.questions {
        fallback.push_str("<li>");
        fallback.push_str(&q.prompt);
        if let Some(program) = &q.program {
            let _ = write!(
                fallback,
                "<pre><code class=\"language-rust\">{}</code></pre>",
                escape(program)
            );
        }
        if !q.choices.is_empty() {
            fallback.push_str("<ul>");
            for c in &q.choices {
                let _ = write!(fallback, "<li>{}</li>", c.html);
            }
            fallback.push_str("</ul>");
        }
        fallback.push_str("<details><summary>Answer</summary>");
        match q.kind {
            QuestionKind::Single | QuestionKind::Multi => {
                fallback.push_str("<ul>");
                for c in &q.choices {
                    let verdict = if c.correct { "Right" } else { "Wrong" };
                    let _ = write!(
                        fallback,
                        "<li><strong>{verdict}:</strong> {} {}</li>",
                        c.html, c.why
                    );
                }
                fallback.push_str("</ul>");
            }
            QuestionKind::Short => {
                let accepted: Vec<String> = q.accepted.iter().map(|a| escape(a)).collect();
                let _ = write!(fallback, "<p>{}</p>", accepted.join(" or "));
            }
            QuestionKind::Tracing => match q.line {
                Some(line) => {
                    let _ = write!(
                        fallback,
                        "<p>It does not compile: the error is on line {line}.</p>"
                    );
                }
                None => {
                    fallback.push_str("<p>It compiles and prints:</p>");
                    for (i, out) in q.accepted.iter().enumerate() {
                        if i > 0 {
                            fallback.push_str("<p>or, as validly:</p>");
                        }
                        let _ = write!(fallback, "<pre><code>{}</code></pre>", escape(out));
                    }
                }
            },
        }
        for r in &q.responses {
            let _ = write!(fallback, "<p><em>{}</em>: </p>{}", escape(&r.answer), r.why);
        }
        if let Some(context) = &q.context {
            fallback.push_str(context);
        }
        fallback.push_str("</details></li>");
    }
    fallback.push_str("</ol></div>");
    html.push_str("<noscript>");
    html.push_str(&fallback.replace('\n', "&#10;"));
    html.push_str("</noscript></div>");
    html
}

/// JSON in a `<script>` that the page's HTML parser cannot end early: `<`, `>` and `&` are
/// written as JSON escapes (so `</script>` in a prompt stays text), which `JSON.parse` reads
/// back unchanged.
fn json_script(value: &impl Serialize) -> String {
    let json = serde_json::to_string(value).expect("quiz data serializes");
    let json = json
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026");
    format!("<script type=\"application/json\">{json}</script>")
}

/// The link from one page of the book to another (both paths relative to `src/`), as the
/// built HTML needs it: `.md` becomes `.html`.
fn relative_href(from: &Path, to: &Path) -> String {
    let depth = from.parent().map_or(0, |p| p.components().count());
    let mut href = "../".repeat(depth);
    href.push_str(
        &to.with_extension("html")
            .to_string_lossy()
            .replace('\\', "/"),
    );
    href
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
title = "Sample"

[[questions]]
id = "one"
type = "MultipleChoice"
prompt.prompt = "Pick *two*."
prompt.distractors = ["3"]
answer.answer = "2"
[questions.explanations]
"2" = "Right."
"3" = "Wrong."

[[questions]]
id = "many"
type = "MultipleChoice"
prompt.prompt = "Which are even?"
prompt.distractors = ["1"]
answer.answer = ["2", "4"]
[questions.explanations]
"1" = "Odd."
"2" = "Even."
"4" = "Even."

[[questions]]
id = "short"
type = "ShortAnswer"
prompt.prompt = "How many processes does `fork()` three times in a loop make?"
answer.answer = "8"
answer.alternatives = ["eight"]
context = "Each fork doubles them."
[questions.explanations]
"7" = "That is the new ones only."

[[questions]]
id = "trace"
type = "Tracing"
prompt.program = "fn main() {\n    let x = 1;\n    x = 2;\n}"
answer.doesCompile = false
answer.lineNumber = 3
context = "`x` is not `mut`."
"#;

    fn problems_of(text: &str) -> String {
        match parse("sample", Path::new("quizzes/sample.toml"), text) {
            Ok(_) => String::new(),
            Err(problems) => crate::source::report(&problems),
        }
    }

    #[test]
    fn a_good_quiz_validates_with_each_kind() {
        let quiz = parse("sample", Path::new("quizzes/sample.toml"), GOOD)
            .unwrap_or_else(|p| panic!("{}", crate::source::report(&p)));
        let kinds: Vec<QuestionKind> = quiz.questions.iter().map(|q| q.kind).collect();
        use QuestionKind::*;
        assert_eq!(kinds, [Single, Multi, Short, Tracing]);
        assert_eq!(quiz.questions[2].accepted, ["8", "eight"]);
        assert_eq!(quiz.questions[3].line, Some(3));
        assert!(quiz.questions[0].prompt.contains("<em>two</em>"));
    }

    #[test]
    fn a_bad_answer_index_is_named_with_file_line_and_question() {
        let bad = GOOD.replace(
            "answer.answer = \"2\"",
            "answer.answer = \"2\"\nprompt.answerIndex = 5",
        );
        let report = problems_of(&bad);
        assert!(
            report.contains("quizzes/sample.toml:4: question 1 (`one`): `prompt.answerIndex` is 5"),
            "{report}"
        );
    }

    #[test]
    fn every_choice_needs_an_explanation() {
        let bad = GOOD.replace("\"4\" = \"Even.\"\n", "");
        let report = problems_of(&bad);
        assert!(
            report.contains("question 2 (`many`): the correct answer `4` has no explanation"),
            "{report}"
        );
    }

    #[test]
    fn misspelt_keys_duplicate_ids_and_missing_answers_are_errors() {
        let report = problems_of(&GOOD.replace("answer.alternatives", "answer.alternatvies"));
        assert!(report.contains("unknown field `alternatvies`"), "{report}");
        let report = problems_of(&GOOD.replace("id = \"many\"", "id = \"one\""));
        assert!(
            report.contains("`id` is the same as question 1's"),
            "{report}"
        );
        let report =
            problems_of(&GOOD.replace("answer.answer = [\"2\", \"4\"]", "answer.answer = []"));
        assert!(
            report.contains("mark at least one choice correct"),
            "{report}"
        );
        let report = problems_of(&GOOD.replace("answer.lineNumber = 3", "answer.lineNumber = 9"));
        assert!(report.contains("the program has lines 1 to 4"), "{report}");
        let report = problems_of(&GOOD.replace("prompt.distractors = [\"3\"]\n", ""));
        assert!(report.contains("mdbook-quiz schema"), "{report}");
    }

    #[test]
    fn directives_in_code_are_not_expanded() {
        let text = "a\n\n{{#quiz ../quizzes/a.toml}}\n\n`{{#quiz x}}`\n\n```md\n{{#quiz-index}}\n```\n\n{{#quiz-drill}}\n{{#quiz}}\n";
        let found = scan_directives(text);
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(
            matches!(&found[0], Ok(d) if d.kind == Kind::Quiz("../quizzes/a.toml".into()) && d.line == 3)
        );
        assert!(matches!(&found[1], Ok(d) if d.kind == Kind::Drill && d.line == 11));
        assert!(matches!(&found[2], Err((12, _))));
    }

    #[test]
    fn paths_resolve_into_the_quiz_folder() {
        let dir = Path::new("src/concepts");
        let root = Path::new("/nonexistent");
        assert!(
            resolve(root, dir, "../../quizzes/x.toml")
                .unwrap_err()
                .contains("does not exist")
        );
        assert!(
            resolve(root, dir, "../quizzes/x.toml")
                .unwrap_err()
                .contains("is not a quiz")
        );
        assert_eq!(
            normalize(Path::new("src/concepts/../../quizzes/x.toml")),
            Path::new("quizzes/x.toml")
        );
        assert_eq!(
            relative_href(Path::new("labs/race.md"), Path::new("concepts/thread.md")),
            "../concepts/thread.html"
        );
    }

    #[test]
    fn json_in_a_script_cannot_close_it() {
        let script = json_script(&serde_json::json!({ "p": "</script><b>&" }));
        assert!(!script[8..script.len() - 9].contains('<'), "{script}");
        let inner =
            &script["<script type=\"application/json\">".len()..script.len() - "</script>".len()];
        let back: serde_json::Value = serde_json::from_str(inner).unwrap();
        assert_eq!(back["p"], "</script><b>&");
    }
}

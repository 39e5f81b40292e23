//! The repository's own documents point at things that exist. README.md, ARCHITECTURE.md and
//! CONTRIBUTING.md are a newcomer's map: a path in them that was renamed or never existed
//! sends the reader nowhere. A failure names `document:line` and the missing path.
//!
//! What counts as a path, and what is skipped:
//!
//! - **Markdown links** (`[text](target)` and `[label]: target`): every target that is not a
//!   URL (`https:`, `mailto:` …) or a bare `#fragment`. It is resolved from the document's
//!   folder, with any `#fragment` or `?query` dropped; fragments are not checked.
//! - **Code spans** (`` `crates/kit/src/children.rs` ``) that look like repository paths: no
//!   whitespace, and a first component that is an entry at the repository root (`src`, `labs`,
//!   `Cargo.toml`, …). Other spans are not paths: commands (`cargo lab race`), result ids
//!   (`spawn-cost/thread`), Rust paths (`kit::Report`), absolute paths (`/usr/bin/chromium`),
//!   bare file names (`HINT.md`). A `:line` suffix (`meta.rs:42`) is dropped.
//! - **Placeholders**: a component with `<`, `>`, `{`, `}`, `*` or `…` is a pattern, not a
//!   name (`labs/<lab>/tests/<lab>.rs`, `results/{reference,local}/`, `results/…/`). What comes
//!   before it must exist as a folder (`labs/`, `results/`).
//! - **Generated paths**: anything under `target/` or `results/local/`, which builds and
//!   `cargo book measure` create (see [`GENERATED`]). They are named but not required.
//! - **Fenced code blocks** are skipped: they hold commands and diagrams, not links.
//! - A path written with a trailing `/` must be a folder.
//! - A path that climbs out of the repository (`../shared/…`) fails even if it exists on this
//!   machine: in any other clone it leads nowhere.
//!
//! A span whose first component is misspelt (`lab/race`) is not recognised as a path and so
//! not checked: the rule trades that for never flagging a result id or a command.

use book::repo_root;
use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

/// The documents checked, relative to the repository root.
const DOCS: [&str; 3] = ["README.md", "ARCHITECTURE.md", "CONTRIBUTING.md"];

/// Made at build or run time and never committed: the documents may name them, and they may
/// not exist in a fresh clone.
const GENERATED: [&str; 2] = ["target/", "results/local/"];

/// A component holding one of these is a pattern (`<lab>`, `{reference,local}`, `*.json`, `…`).
const PLACEHOLDER: [char; 6] = ['<', '>', '{', '}', '*', '…'];

/// A path a document names, at its 1-based line.
#[derive(Debug, PartialEq, Eq)]
struct Named {
    line: usize,
    /// The path as the check sees it: placeholders cut off, relative to the document.
    path: String,
}

/// The names at the repository root (but `.git`), the first components a path may start with.
fn top_level(root: &Path) -> BTreeSet<String> {
    std::fs::read_dir(root)
        .expect("the repository root is readable")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name != ".git")
        .collect()
}

/// Every path a Markdown document names, outside code blocks. The document is parsed as
/// mdBook parses a chapter (`book::markdown`): links, images and reference definitions give
/// their targets, inline code spans their text.
fn named_paths(text: &str, top_level: &BTreeSet<String>) -> Vec<Named> {
    use book::markdown::pulldown_cmark::{Event, Tag};
    let mut found = Vec::new();
    let mut add = |offset: usize, path: Option<String>| {
        if let Some(path) = path {
            let line = book::source::line_of(text, offset);
            found.push(Named { line, path });
        }
    };
    let mut parser = book::markdown::parser(text).into_offset_iter();
    for (event, range) in parser.by_ref() {
        match event {
            Event::Code(span) => add(range.start, code_span_path(&span, top_level)),
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                add(range.start, local_target(&dest_url));
            }
            _ => {}
        }
    }
    // A definition is a path even when no link uses it; a used one is named twice, which
    // only repeats a check.
    for (_, definition) in parser.reference_definitions().iter() {
        add(definition.span.start, local_target(&definition.dest));
    }
    found.sort_by_key(|named| named.line);
    found
}

/// A link target as a path relative to the document, or `None` for a URL or a `#fragment`.
fn local_target(raw: &str) -> Option<String> {
    // `(target "title")` and `(<target>)` are both Markdown.
    let target = raw.split_whitespace().next()?;
    let target = target.trim_start_matches('<').trim_end_matches('>');
    let has_scheme = target
        .split_once(':')
        .is_some_and(|(scheme, _)| !scheme.is_empty() && !scheme.contains('/'));
    if has_scheme {
        return None;
    }
    let path = target.split(['#', '?']).next().unwrap_or("");
    (!path.is_empty()).then(|| path.to_owned())
}

/// The repository path a code span names, placeholders cut off; `None` if it is no path.
fn code_span_path(span: &str, top_level: &BTreeSet<String>) -> Option<String> {
    let span = span.trim();
    if span.is_empty() || span.contains(char::is_whitespace) {
        return None;
    }
    // `file.rs:42` or `file.rs:42-50` names the file; any other colon (`kit::Report`,
    // `https://…`) means the span is not a path.
    let is_line = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == '-');
    let span = match span.split_once(':') {
        Some((path, line)) if is_line(line) => path,
        Some(_) => return None,
        None => span,
    };
    let span = span.strip_prefix("./").unwrap_or(span);
    let first = span.split('/').next().unwrap_or("");
    if !top_level.contains(first) {
        return None;
    }
    let mut kept = Vec::new();
    let mut cut = false;
    for component in span.split('/') {
        if component.contains(PLACEHOLDER) {
            cut = true;
            break;
        }
        kept.push(component);
    }
    let mut path = kept.join("/");
    if cut && !path.ends_with('/') {
        path.push('/');
    }
    Some(path)
}

/// `path` (relative to the root) with `.` and `..` resolved, or `None` if it leaves the root.
fn inside_repository(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(name) => out.push(name),
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

/// Whether `path` (relative to the root) is created by builds or runs.
fn is_generated(path: &str) -> bool {
    let path = path.strip_prefix("./").unwrap_or(path);
    GENERATED
        .iter()
        .any(|g| path.starts_with(g) || path == g.trim_end_matches('/'))
}

#[test]
fn every_path_the_documents_name_exists() {
    let root = repo_root();
    let top = top_level(&root);
    let mut problems = Vec::new();
    for doc in DOCS {
        let Ok(text) = std::fs::read_to_string(root.join(doc)) else {
            problems.push(format!("{doc}:1: the document is missing"));
            continue;
        };
        let dir = Path::new(doc).parent().unwrap_or(Path::new(""));
        for named in named_paths(&text, &top) {
            let Some(relative) = inside_repository(&dir.join(&named.path)) else {
                problems.push(format!(
                    "{doc}:{}: `{}` is outside the repository",
                    named.line, named.path
                ));
                continue;
            };
            let shown = relative.to_string_lossy();
            if is_generated(&shown) {
                continue;
            }
            let full = root.join(&relative);
            let missing = if named.path.ends_with('/') {
                !full.is_dir()
            } else {
                !full.exists()
            };
            if missing {
                let what = if named.path.ends_with('/') {
                    "is not a folder in the repository"
                } else {
                    "does not exist"
                };
                problems.push(format!("{doc}:{}: `{}` {what}", named.line, named.path));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} path(s) in the documents lead nowhere:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

// ---- The rules above, on a small document ---------------------------------------------------

fn top(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

fn paths(text: &str) -> Vec<(usize, String)> {
    named_paths(text, &top(&["src", "labs", "results", "Cargo.toml", ".ci"]))
        .into_iter()
        .map(|n| (n.line, n.path))
        .collect()
}

#[test]
fn links_are_paths_unless_they_are_urls_or_fragments() {
    let text = "See [the map](ARCHITECTURE.md#the-map), [a page](src/labs/ipc.md \"IPC\").\n\
                [mdBook](https://rust-lang.github.io/mdBook/) and [below](#known-debts).\n\
                \n\
                [def]: crates/kit/src/cli.rs\n";
    assert_eq!(
        paths(text),
        [
            (1, "ARCHITECTURE.md".to_owned()),
            (1, "src/labs/ipc.md".to_owned()),
            (4, "crates/kit/src/cli.rs".to_owned()),
        ]
    );
}

#[test]
fn code_spans_are_paths_when_they_start_at_the_root() {
    let text = "`cargo lab race` prints `race/expected`; see `labs/race/src/lib.rs:12`,\n\
                `kit::Report`, `/usr/bin/chromium`, `HINT.md`, `Cargo.toml` and `./.ci/run`.\n";
    assert_eq!(
        paths(text),
        [
            (1, "labs/race/src/lib.rs".to_owned()),
            (2, "Cargo.toml".to_owned()),
            (2, ".ci/run".to_owned()),
        ]
    );
}

#[test]
fn placeholders_leave_the_folder_before_them() {
    let text = "`labs/<lab>/tests/<lab>.rs`, `results/{reference,local}/*.json`, `src/…/x.md`\n";
    assert_eq!(
        paths(text),
        [
            (1, "labs/".to_owned()),
            (1, "results/".to_owned()),
            (1, "src/".to_owned()),
        ]
    );
}

#[test]
fn fenced_blocks_are_skipped_and_a_lone_backtick_is_text() {
    let text = "```sh\ncargo test --manifest-path labs/nowhere/Cargo.toml\n```\n\
                ~~~\n[x](src/nowhere.md)\n~~~\n\
                A ` alone, then [a link](src/SUMMARY.md).\n";
    assert_eq!(paths(text), [(7, "src/SUMMARY.md".to_owned())]);
}

#[test]
fn a_path_out_of_the_repository_is_refused() {
    assert_eq!(inside_repository(Path::new("../shared/DESIGN.md")), None);
    assert_eq!(inside_repository(Path::new("/etc/passwd")), None);
    assert_eq!(
        inside_repository(Path::new("src/labs/../SUMMARY.md")),
        Some(PathBuf::from("src/SUMMARY.md"))
    );
}

#[test]
fn generated_paths_are_named_but_not_required() {
    assert!(is_generated("target/book"));
    assert!(is_generated("target"));
    assert!(is_generated("results/local/spawn-cost.json"));
    assert!(!is_generated("results/reference/spawn-cost.json"));
}

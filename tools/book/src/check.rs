//! The book's invariants, checked over its sources. `cargo book check` runs them all, and the
//! tests in `tests/` run each one, so a broken chapter, include or diagram fails loudly with
//! the file and line that broke it.

pub use crate::markdown::{Fence, fences};
pub use crate::source::{Page, Problem, pages, report};

use regex::Regex;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

/// Every check over the sources (the build itself is checked separately).
pub fn all(root: &Path) -> Vec<Problem> {
    let mut problems = summary(root);
    problems.extend(includes(root));
    problems.extend(compiled_rust(root));
    problems.extend(mermaid(root));
    problems.extend(directives(root));
    problems.extend(quizzes(root));
    problems.extend(results(root));
    problems.extend(meta(root));
    problems.extend(crate::figures::check(root));
    problems
}

/// The labs and the book agree: pages, tests, benches, lab names, anchors (see
/// [`crate::meta`]).
pub fn meta(root: &Path) -> Vec<Problem> {
    crate::meta::check(root)
}

/// Every results directive (`{{#bench}}`, `{{#value}}`, …) is well formed and names results
/// that `results/reference/` has (see [`crate::results_preprocessor`]).
pub fn results(root: &Path) -> Vec<Problem> {
    crate::results_preprocessor::check(root)
}

/// Every quiz under `quizzes/` validates, and every quiz directive names one (see
/// [`crate::quiz`]).
pub fn quizzes(root: &Path) -> Vec<Problem> {
    crate::quiz::problems(root)
}

static SUMMARY_LINK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\]\(([^)\s]*)\)").expect("valid regex"));

/// Every SUMMARY.md entry exists, and every chapter file is listed in SUMMARY.md.
pub fn summary(root: &Path) -> Vec<Problem> {
    let summary_path = PathBuf::from("src/SUMMARY.md");
    let (mut problems, listed) = summary_links(root);
    for page in pages(root) {
        if page.path != summary_path && !listed.contains(&page.path) {
            problems.push(Problem::new(
                &page.path,
                1,
                "chapter is not listed in src/SUMMARY.md",
            ));
        }
    }
    problems
}

/// What stops mdBook from loading the book, with the line of SUMMARY.md to fix: a chapter
/// listed there that does not exist, or a draft (empty) link. mdBook's own error names only
/// the file it could not read.
pub fn summary_chapters(root: &Path) -> Vec<Problem> {
    summary_links(root).0
}

/// The chapters SUMMARY.md lists, and the problems with its links.
fn summary_links(root: &Path) -> (Vec<Problem>, BTreeSet<PathBuf>) {
    let summary_path = PathBuf::from("src/SUMMARY.md");
    let mut listed = BTreeSet::new();
    let Ok(text) = std::fs::read_to_string(root.join(&summary_path)) else {
        let missing = Problem::new(&summary_path, 1, "src/SUMMARY.md is missing");
        return (vec![missing], listed);
    };
    let mut problems = Vec::new();
    for (index, line) in text.lines().enumerate() {
        for link in SUMMARY_LINK.captures_iter(line) {
            let target = &link[1];
            if target.is_empty() {
                problems.push(Problem::new(
                    &summary_path,
                    index + 1,
                    "draft chapter (empty link)",
                ));
                continue;
            }
            let chapter = PathBuf::from("src").join(target);
            if !root.join(&chapter).is_file() {
                let message = format!("lists {target}, which does not exist");
                problems.push(Problem::new(&summary_path, index + 1, message));
            }
            listed.insert(chapter);
        }
    }
    (problems, listed)
}

static INCLUDE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\\?)\{\{#(include|rustdoc_include)\s+([^}\s]+)\s*\}\}").expect("valid regex")
});

/// Every `{{#include file:anchor}}` names a file that exists and an anchor it defines.
pub fn includes(root: &Path) -> Vec<Problem> {
    let mut problems = Vec::new();
    for page in pages(root) {
        let page_dir = root.join(page.path.parent().unwrap_or(Path::new("")));
        for (index, line) in page.text.lines().enumerate() {
            for include in INCLUDE.captures_iter(line) {
                if !include[1].is_empty() {
                    continue; // `\{{#include …}}` is mdBook's escape: shown, not expanded.
                }
                if let Err(message) = check_include(&page_dir, &include[3]) {
                    problems.push(Problem::new(&page.path, index + 1, message));
                }
            }
        }
    }
    problems
}

fn check_include(page_dir: &Path, spec: &str) -> Result<(), String> {
    let (file, selector) = match spec.split_once(':') {
        Some((file, selector)) => (file, Some(selector)),
        None => (spec, None),
    };
    let path = page_dir.join(file);
    let text = std::fs::read_to_string(&path)
        .map_err(|_| format!("includes {file}, which does not exist"))?;
    let Some(anchor) = selector.filter(|s| !is_line_range(s)) else {
        return Ok(());
    };
    let has_marker = |marker: &str| {
        text.lines().any(|line| {
            line.split_once(marker)
                .is_some_and(|(_, name)| name.trim() == anchor)
        })
    };
    if !has_marker("ANCHOR:") || !has_marker("ANCHOR_END:") {
        return Err(format!(
            "includes {file}:{anchor}, but {file} has no ANCHOR/ANCHOR_END pair named `{anchor}`"
        ));
    }
    Ok(())
}

fn is_line_range(selector: &str) -> bool {
    selector.chars().all(|c| c.is_ascii_digit() || c == ':')
}

/// Where the code in the book's Rust blocks may come from, relative to the repository root:
/// crates of the workspace that are compiled and tested (`cargo test`), and the exercises,
/// whose starting code CI compiles and lints and whose solutions `tests/exercises.rs`
/// compiles and tests.
pub const COMPILED_CODE: [&str; 3] = ["labs", "listings", "exercises"];

/// Every fenced Rust block in `src/` (info string `rust`, `rust,ignore`, …) is included from
/// compiled code: its body is nothing but `{{#include …}}` (or `{{#rustdoc_include …}}`)
/// directives naming files under [`COMPILED_CODE`]. Code typed into a page is never
/// compiled, so nothing would notice when it stopped compiling or stopped being true.
///
/// There is no escape hatch for Rust on purpose: a listing that must not compile is a
/// `compile_fail` doctest in a lab or in `listings/` (as `labs/race/src/lib.rs` does), and
/// pseudo-code or output that is not Rust goes in a block marked with what it is (`text`,
/// `sh`), which this check does not read.
pub fn compiled_rust(root: &Path) -> Vec<Problem> {
    let compiled: Vec<PathBuf> = COMPILED_CODE
        .iter()
        .filter_map(|dir| root.join(dir).canonicalize().ok())
        .collect();
    let mut problems = Vec::new();
    for page in pages(root) {
        let page_dir = root.join(page.path.parent().unwrap_or(Path::new("")));
        for fence in fences(&page.text) {
            if let Err(message) = check_rust_fence(&fence, &page_dir, &compiled) {
                problems.push(Problem::new(&page.path, fence.line, message));
            }
        }
    }
    problems
}

/// Whether a fence holds Rust: its info string's first word (before any `,` or space) is
/// `rust`, as mdBook and rustdoc read it.
fn is_rust(info: &str) -> bool {
    info.split([',', ' ']).next() == Some("rust")
}

/// `Ok` for a fence that is not Rust or whose body only includes compiled code; otherwise
/// what is wrong and how to fix it.
fn check_rust_fence(fence: &Fence, page_dir: &Path, compiled: &[PathBuf]) -> Result<(), String> {
    if !is_rust(&fence.info) {
        return Ok(());
    }
    let fix = "include it from a compiled listing in listings/ or a lab \
               (`{{#include ../../listings/src/bin/<name>.rs:<anchor>}}`, see CONTRIBUTING.md)";
    let mut lines = fence.body.lines().map(str::trim).filter(|l| !l.is_empty());
    let mut included = 0;
    for line in lines.by_ref() {
        let Some(include) = INCLUDE
            .captures(line)
            .filter(|c| c[1].is_empty() && c.get(0).is_some_and(|m| m.as_str() == line))
        else {
            return Err(format!(
                "Rust code typed into the page is never compiled: {fix}"
            ));
        };
        included += 1;
        let file = include[3]
            .split_once(':')
            .map_or(&include[3], |(file, _)| file);
        // A missing file is `includes`' problem; only an existing one can be placed.
        if let Ok(path) = page_dir.join(file).canonicalize()
            && !compiled.iter().any(|dir| path.starts_with(dir))
        {
            return Err(format!(
                "includes {file}, which is not in a compiled crate ({}): {fix}",
                COMPILED_CODE.join("/, ") + "/"
            ));
        }
    }
    if included == 0 {
        return Err(format!("empty Rust block: {fix}"));
    }
    Ok(())
}

/// Diagram types mermaid understands (https://mermaid.js.org/intro/syntax-reference.html).
pub const MERMAID_TYPES: &[&str] = &[
    "flowchart",
    "graph",
    "sequenceDiagram",
    "classDiagram",
    "stateDiagram",
    "stateDiagram-v2",
    "erDiagram",
    "journey",
    "gantt",
    "pie",
    "quadrantChart",
    "requirementDiagram",
    "gitGraph",
    "mindmap",
    "timeline",
    "sankey-beta",
    "xychart-beta",
    "block-beta",
];

/// Every mermaid block is non-empty and starts with a known diagram type.
pub fn mermaid(root: &Path) -> Vec<Problem> {
    let mut problems = Vec::new();
    for page in pages(root) {
        for fence in fences(&page.text)
            .into_iter()
            .filter(|f| f.info == "mermaid")
        {
            let first = fence
                .body
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty() && !l.starts_with("%%"));
            let message = match first {
                None => "empty mermaid diagram".to_owned(),
                Some(line) => {
                    let kind = line.split_whitespace().next().unwrap_or("");
                    if MERMAID_TYPES.contains(&kind) {
                        continue;
                    }
                    format!("mermaid diagram starts with `{kind}`, not a known diagram type")
                }
            };
            problems.push(Problem::new(&page.path, fence.line, message));
        }
    }
    problems
}

/// Directives the book may use: mdBook's own, and the ones our preprocessors expand.
pub const KNOWN_DIRECTIVES: &[&str] = &[
    "include",
    "rustdoc_include",
    "playground",
    "title",
    "quiz",
    "quiz-index",
    "quiz-drill",
    "bench",
    "value",
    "ratio",
    "machine",
];

static DIRECTIVE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(\\?)\{\{#([A-Za-z_-]+)").expect("valid regex"));

/// No `{{#name …}}` that nothing expands (it would show up as raw text).
pub fn directives(root: &Path) -> Vec<Problem> {
    let mut problems = Vec::new();
    for page in pages(root) {
        for (index, line) in page.text.lines().enumerate() {
            for directive in DIRECTIVE.captures_iter(line) {
                let name = &directive[2];
                if directive[1].is_empty() && !KNOWN_DIRECTIVES.contains(&name) {
                    let message = format!("unknown directive {{{{#{name}}}}}");
                    problems.push(Problem::new(&page.path, index + 1, message));
                }
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A page tree under a temporary root: `src/concepts/page.md` with `page`, and a
    /// compiled listing and an uncompiled file to include.
    fn book_with_page(page: &str) -> tempfile::TempDir {
        let root = tempfile::tempdir().expect("temp dir");
        let write = |path: &str, text: &str| {
            let path = root.path().join(path);
            std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        };
        write("src/concepts/page.md", page);
        write(
            "listings/src/bin/demo.rs",
            "// ANCHOR: demo\nfn main() {}\n// ANCHOR_END: demo\n",
        );
        write("notes/snippet.rs", "fn main() {}\n");
        root
    }

    #[test]
    fn flags_rust_typed_into_a_page_with_its_line_and_the_fix() {
        let page = "# Page\n\n```rust,ignore\nfn main() {}\n```\n\n```rust\nlet x = 1;\n```\n";
        let root = book_with_page(page);
        let problems = compiled_rust(root.path());
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [3, 7], "{}", report(&problems));
        assert_eq!(problems[0].file, Path::new("src/concepts/page.md"));
        assert!(problems[0].message.contains("never compiled"));
        assert!(
            problems[0]
                .message
                .contains("include it from a compiled listing in listings/ or a lab")
        );
    }

    #[test]
    fn accepts_rust_included_from_compiled_code_and_other_languages() {
        let page = "```rust,ignore\n{{#include ../../listings/src/bin/demo.rs:demo}}\n```\n\n\
                    ```rust,ignore\n\n  {{#rustdoc_include ../../listings/src/bin/demo.rs}}\n```\n\n\
                    ```text\nfn main() {}\n```\n\n```sh\ncargo lab race\n```\n\n\
                    ```rustc-output\nerror[E0499]\n```\n";
        let root = book_with_page(page);
        let problems = compiled_rust(root.path());
        assert!(problems.is_empty(), "{}", report(&problems));
    }

    #[test]
    fn flags_includes_that_are_not_compiled_or_not_alone() {
        let page = "```rust\n{{#include ../../notes/snippet.rs}}\n```\n\n\
                    ```rust,ignore\n{{#include ../../listings/src/bin/demo.rs:demo}}\nlet y = 2;\n```\n\n\
                    ```rust,ignore\n\\{{#include ../../listings/src/bin/demo.rs:demo}}\n```\n\n\
                    ```rust,ignore\n```\n";
        let root = book_with_page(page);
        let problems = compiled_rust(root.path());
        let found: Vec<(usize, bool)> = problems
            .iter()
            .map(|p| (p.line, p.message.contains("not in a compiled crate")))
            .collect();
        assert_eq!(
            found,
            [(1, true), (5, false), (10, false), (14, false)],
            "{}",
            report(&problems)
        );
    }

    #[test]
    fn reads_the_language_from_the_first_word_of_the_info_string() {
        assert!(is_rust("rust"));
        assert!(is_rust("rust,ignore"));
        assert!(is_rust("rust,compile_fail,E0499"));
        assert!(is_rust("rust ignore"));
        assert!(!is_rust("rustc-output"));
        assert!(!is_rust("text"));
        assert!(!is_rust(""));
    }

    #[test]
    fn tells_anchors_from_line_ranges() {
        assert!(is_line_range("2:10"));
        assert!(is_line_range("5"));
        assert!(!is_line_range("spawn_thread"));
    }
}

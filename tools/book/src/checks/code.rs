//! The code a page shows comes from files that exist and compile: every `{{#include}}` names
//! an existing file and anchor, and every Rust block is included from compiled code.

use crate::markdown::{Fence, Include, fences, includes as includes_of};
use crate::source::{Problem, line_of, pages};
use std::path::{Path, PathBuf};

/// Every `{{#include file:anchor}}` names a file that exists and an anchor it defines.
pub fn includes(root: &Path) -> Vec<Problem> {
    let mut problems = Vec::new();
    for page in pages(root) {
        let page_dir = root.join(page.path.parent().unwrap_or(Path::new("")));
        for include in includes_of(&page.text) {
            // `\{{#include …}}` is mdBook's escape: shown, not expanded.
            if include.escaped {
                continue;
            }
            if let Err(message) = check_include(&page_dir, &include) {
                let line = line_of(&page.text, include.range.start);
                problems.push(Problem::new(&page.path, line, message));
            }
        }
    }
    problems
}

fn check_include(page_dir: &Path, include: &Include<'_>) -> Result<(), String> {
    let file = include.file;
    let path = page_dir.join(file);
    let text = std::fs::read_to_string(&path)
        .map_err(|_| format!("includes {file}, which does not exist"))?;
    let Some(anchor) = include.anchor else {
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

/// Where the code in the book's Rust blocks may come from, relative to the repository root:
/// crates of the workspace that are compiled and tested (`cargo test`: the labs, the kit in
/// `crates/`, the listings), and the exercises,
/// whose starting code CI compiles and lints and whose solutions `tests/exercises.rs`
/// compiles and tests.
pub const COMPILED_CODE: [&str; 4] = ["labs", "crates", "listings", "exercises"];

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
        let found = includes_of(line);
        let Some(include) = found
            .first()
            .filter(|i| !i.escaped && i.range == (0..line.len()))
        else {
            return Err(format!(
                "Rust code typed into the page is never compiled: {fix}"
            ));
        };
        included += 1;
        let file = include.file;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::report;

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
}

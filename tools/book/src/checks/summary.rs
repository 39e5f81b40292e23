//! SUMMARY.md and the chapters agree: every entry exists, none is a draft, and every chapter
//! is listed.

use crate::source::{Problem, pages};
use regex::Regex;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

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

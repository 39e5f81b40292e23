//! SUMMARY.md and the chapters agree: every entry exists, none is a draft, and every chapter
//! is listed. SUMMARY.md is read by mdBook's own parser (`mdbook-summary`, which mdBook loads
//! the book with), so what counts as an entry is what mdBook builds; each entry is then
//! located at its line, so a problem names `src/SUMMARY.md:line`.

use crate::source::{Problem, pages};
use mdbook_summary::{Link, SummaryItem, parse_summary};
use regex::Regex;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

/// Where SUMMARY.md is, relative to the repository root.
const SUMMARY: &str = "src/SUMMARY.md";

/// One entry of SUMMARY.md.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The link's target as written (relative to `src/`); `None` for a draft chapter.
    pub target: Option<String>,
    /// 1-based line in SUMMARY.md.
    pub line: usize,
}

impl Entry {
    /// The chapter's path relative to the repository root, `src/…`.
    pub fn chapter(&self) -> Option<PathBuf> {
        self.target.as_ref().map(|t| Path::new("src").join(t))
    }
}

/// `line N` in mdBook's parse errors.
static ERROR_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"line (\d+)").expect("valid regex"));

/// The entries of SUMMARY.md in book order, each at its line; or why it cannot be read.
pub fn entries(root: &Path) -> Result<Vec<Entry>, Problem> {
    let summary = Path::new(SUMMARY);
    let Ok(text) = std::fs::read_to_string(root.join(summary)) else {
        return Err(Problem::new(summary, 1, "src/SUMMARY.md is missing"));
    };
    let parsed = parse_summary(&text).map_err(|err| {
        let message = format!("{err:#}");
        let line = ERROR_LINE
            .captures(&message)
            .and_then(|c| c[1].parse().ok())
            .unwrap_or(1);
        Problem::new(summary, line, message)
    })?;
    let mut links = Vec::new();
    for items in [
        &parsed.prefix_chapters,
        &parsed.numbered_chapters,
        &parsed.suffix_chapters,
    ] {
        collect_links(items, &mut links);
    }
    // mdBook keeps no positions: find each link's line, in order, from the previous one on.
    let lines: Vec<&str> = text.lines().collect();
    let mut at = 0;
    let mut entries = Vec::new();
    for link in links {
        let target = link
            .location
            .as_ref()
            .map(|l| l.to_string_lossy().into_owned());
        let written = format!("]({})", target.as_deref().unwrap_or("").replace(' ', "%20"));
        let plain = format!("]({})", target.as_deref().unwrap_or(""));
        if let Some(found) =
            (at..lines.len()).find(|&i| lines[i].contains(&written) || lines[i].contains(&plain))
        {
            at = found;
        }
        entries.push(Entry {
            target,
            line: at + 1,
        });
    }
    Ok(entries)
}

fn collect_links<'a>(items: &'a [SummaryItem], out: &mut Vec<&'a Link>) {
    for item in items {
        if let SummaryItem::Link(link) = item {
            out.push(link);
            collect_links(&link.nested_items, out);
        }
    }
}

/// Every SUMMARY.md entry exists, and every chapter file is listed in SUMMARY.md.
pub fn summary(root: &Path) -> Vec<Problem> {
    let (mut problems, listed) = summary_links(root);
    for page in pages(root) {
        if page.path != Path::new(SUMMARY) && !listed.contains(&page.path) {
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

/// The chapters SUMMARY.md lists, and the problems with its entries.
fn summary_links(root: &Path) -> (Vec<Problem>, BTreeSet<PathBuf>) {
    let summary = Path::new(SUMMARY);
    let mut listed = BTreeSet::new();
    let entries = match entries(root) {
        Ok(entries) => entries,
        Err(problem) => return (vec![problem], listed),
    };
    let mut problems = Vec::new();
    for entry in entries {
        let (Some(target), Some(chapter)) = (&entry.target, entry.chapter()) else {
            problems.push(Problem::new(
                summary,
                entry.line,
                "draft chapter (empty link)",
            ));
            continue;
        };
        if !root.join(&chapter).is_file() {
            let message = format!("lists {target}, which does not exist");
            problems.push(Problem::new(summary, entry.line, message));
        }
        listed.insert(chapter);
    }
    (problems, listed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book(summary: &str, chapters: &[&str]) -> tempfile::TempDir {
        let root = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(root.path().join("src/a")).expect("mkdir");
        std::fs::write(root.path().join(SUMMARY), summary).expect("write");
        for chapter in chapters {
            std::fs::write(root.path().join("src").join(chapter), "# x\n").expect("write");
        }
        root
    }

    #[test]
    fn entries_are_in_book_order_at_their_lines() {
        let root = book(
            "# Summary\n\n[Intro](intro.md)\n\n# Part\n\n- [A](a/one.md)\n  - [B](a/two.md)\n",
            &["intro.md", "a/one.md", "a/two.md"],
        );
        let found: Vec<(Option<String>, usize)> = entries(root.path())
            .expect("parses")
            .into_iter()
            .map(|e| (e.target, e.line))
            .collect();
        assert_eq!(
            found,
            [
                (Some("intro.md".into()), 3),
                (Some("a/one.md".into()), 7),
                (Some("a/two.md".into()), 8)
            ]
        );
    }

    #[test]
    fn drafts_missing_and_unlisted_chapters_are_problems_at_their_lines() {
        let root = book(
            "# Summary\n\n- [A](a/one.md)\n- [Draft]()\n- [Gone](a/gone.md)\n",
            &["a/one.md", "a/unlisted.md"],
        );
        let problems: Vec<String> = summary(root.path()).iter().map(|p| p.to_string()).collect();
        assert_eq!(
            problems,
            [
                "src/SUMMARY.md:4: draft chapter (empty link)",
                "src/SUMMARY.md:5: lists a/gone.md, which does not exist",
                "src/a/unlisted.md:1: chapter is not listed in src/SUMMARY.md",
            ]
        );
    }

    #[test]
    fn a_summary_mdbook_cannot_parse_is_a_problem_at_its_line() {
        let root = book(
            "# Summary\n\n- [A](a/one.md)\n\n[Suffix](a/one.md)\n- [B](a/two.md)\n",
            &["a/one.md", "a/two.md"],
        );
        let problems = summary_chapters(root.path());
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].file, Path::new(SUMMARY));
        assert!(problems[0].line > 1, "{}", problems[0]);
    }
}

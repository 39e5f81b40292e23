//! The ground floor every check and preprocessor stands on: the book's pages as read from
//! disk, a [`Problem`] located at `file:line`, and the mapping from a byte offset to its line.
//! It imports no feature module, so every feature can import it without a cycle.

use std::fmt;
use std::path::{Path, PathBuf};

/// One broken invariant, located as `file:line` (relative to the repository root).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    pub line: usize,
    pub message: String,
}

impl Problem {
    /// A problem at `file:line` (1-based).
    pub fn new(file: &Path, line: usize, message: impl Into<String>) -> Problem {
        Problem {
            file: file.to_path_buf(),
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
    }
}

/// Formats problems one per line, for an assertion message or the CLI.
pub fn report(problems: &[Problem]) -> String {
    problems.iter().map(|p| format!("{p}\n")).collect()
}

/// A chapter of the book, as read from disk.
pub struct Page {
    /// Path relative to the repository root, e.g. `src/concepts/thread.md`.
    pub path: PathBuf,
    pub text: String,
}

/// Every Markdown file under `src/`, sorted by path.
pub fn pages(root: &Path) -> Vec<Page> {
    let mut paths = Vec::new();
    collect_markdown(&root.join("src"), &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|full| Page {
            text: std::fs::read_to_string(&full).unwrap_or_default(),
            path: full.strip_prefix(root).unwrap_or(&full).to_path_buf(),
        })
        .collect()
}

fn collect_markdown(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_markdown(&path, out);
        } else if path.extension().is_some_and(|e| e == "md") {
            out.push(path);
        }
    }
}

/// The 1-based line of a byte offset in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].matches('\n').count() + 1
}

/// `path` relative to `root`, or `path` itself when it is not under `root`.
pub fn relative(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_reads_file_line_message() {
        let problem = Problem::new(Path::new("src/a.md"), 3, "broken");
        assert_eq!(problem.to_string(), "src/a.md:3: broken");
        assert_eq!(
            report(&[problem.clone(), problem]),
            "src/a.md:3: broken\nsrc/a.md:3: broken\n"
        );
    }

    #[test]
    fn lines_count_from_one() {
        let text = "a\nb\nc";
        assert_eq!(line_of(text, 0), 1);
        assert_eq!(line_of(text, 2), 2);
        assert_eq!(line_of(text, 4), 3);
    }

    #[test]
    fn pages_are_every_markdown_file_under_src_sorted() {
        let root = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(root.path().join("src/b")).expect("mkdir");
        std::fs::write(root.path().join("src/b/x.md"), "x").expect("write");
        std::fs::write(root.path().join("src/a.md"), "a").expect("write");
        std::fs::write(root.path().join("src/notes.txt"), "n").expect("write");
        let paths: Vec<PathBuf> = pages(root.path()).into_iter().map(|p| p.path).collect();
        assert_eq!(
            paths,
            [PathBuf::from("src/a.md"), PathBuf::from("src/b/x.md")]
        );
    }
}

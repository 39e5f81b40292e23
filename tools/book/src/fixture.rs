//! Temporary books for tests, built the way mdBook's own test suite builds them (its
//! `BookTest`): a folder that is removed on drop, even when the test fails, with a
//! `book.toml`, a SUMMARY.md kept in step with the chapters added, and any other file.
//!
//! ```no_run
//! let book = book::fixture::BookTest::new("Demo")
//!     .chapter("Lab", "lab.md", "# Lab\n\n{{#value spawn-cost/thread}}\n")
//!     .file("results/reference/spawn-cost.json", "{}");
//! let html = book.build().map(|_| book.read("out/lab.html"));
//! ```

use crate::build::{BuildOptions, BuildOutcome};
use std::path::Path;

/// A book in a temporary folder.
pub struct BookTest {
    dir: tempfile::TempDir,
    /// `(title, path under src/)` in SUMMARY.md's order.
    chapters: Vec<(String, String)>,
}

impl BookTest {
    /// A book titled `title`: `book.toml` (sources in `src/`, HTML in `target/book`, no
    /// missing chapter created) and an empty SUMMARY.md.
    pub fn new(title: &str) -> BookTest {
        let book = BookTest {
            dir: tempfile::tempdir().expect("a temporary folder"),
            chapters: Vec::new(),
        };
        book.write(
            "book.toml",
            &format!(
                "[book]\ntitle = \"{title}\"\nsrc = \"src\"\n\n\
                 [build]\nbuild-dir = \"target/book\"\ncreate-missing = false\n"
            ),
        );
        book.write("src/SUMMARY.md", "# Summary\n");
        book
    }

    /// Also a checkout of this repository, as the command line finds one: the book tool's
    /// manifest beside `book.toml`.
    pub fn checkout(self) -> BookTest {
        self.file("tools/book/Cargo.toml", "")
    }

    /// A `[preprocessor.NAME]` table after mdBook's `links`, as the real `book.toml` has: its
    /// command runs the book tool's `preprocess NAME` for the stock `mdbook`, and
    /// [`build`](Self::build) replaces it in code, so it never runs here.
    pub fn preprocessor(self, name: &str) -> BookTest {
        let mut toml = self.read("book.toml");
        toml.push_str(&format!(
            "\n[preprocessor.{name}]\ncommand = \"{}\"\nafter = [\"links\"]\n",
            crate::preprocess::command_for(name)
        ));
        self.file("book.toml", &toml)
    }

    /// A chapter at `src/<path>`, listed last in SUMMARY.md.
    pub fn chapter(mut self, title: &str, path: &str, text: &str) -> BookTest {
        self.chapters.push((title.to_owned(), path.to_owned()));
        let mut summary = String::from("# Summary\n\n");
        for (title, path) in &self.chapters {
            summary.push_str(&format!("- [{title}]({path})\n"));
        }
        self.write("src/SUMMARY.md", &summary);
        self.file(&format!("src/{path}"), text)
    }

    /// A file at `path` (relative to the root), with its folders.
    pub fn file(self, path: &str, text: &str) -> BookTest {
        self.write(path, text);
        self
    }

    /// Writes (or overwrites) a file at `path`, with its folders.
    pub fn write(&self, path: &str, text: &str) {
        let path = self.root().join(path);
        std::fs::create_dir_all(path.parent().expect("a file has a folder")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    /// The text of the file at `path` (relative to the root).
    pub fn read(&self, path: &str) -> String {
        let path = self.root().join(path);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// The book's root folder.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Builds the book to `out/`; the error with its causes, as `cargo book` prints it.
    pub fn build(&self) -> Result<BuildOutcome, String> {
        let options = BuildOptions {
            dest: Some(self.root().join("out")),
            verbose: false,
        };
        crate::build(self.root(), &options).map_err(|e| format!("{e:#}"))
    }
}

/// Where expected-output files live: `tools/book/tests/expected/`.
const EXPECTED_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/expected");

/// Compares `actual` with the expected-output file `tests/expected/<name>` of the book tool,
/// and fails with both when they differ. Run with `UPDATE_EXPECTED=1` to write the file
/// instead (then review the change in git like any other).
///
/// # Panics
///
/// When the output differs from the file, or the file is missing.
pub fn assert_expected(name: &str, actual: &str) {
    let path = Path::new(EXPECTED_DIR).join(name);
    if std::env::var_os("UPDATE_EXPECTED").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(EXPECTED_DIR).expect("mkdir");
        std::fs::write(&path, actual).expect("write the expected output");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run the test with UPDATE_EXPECTED=1 to write it)",
            path.display()
        )
    });
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "the output differs from {} from line {}:\n--- expected\n{}\n--- actual\n{}\n\
             (if the change is meant, run with UPDATE_EXPECTED=1 and review the diff)",
            path.display(),
            line + 1,
            expected
                .lines()
                .skip(line)
                .take(5)
                .collect::<Vec<_>>()
                .join("\n"),
            actual
                .lines()
                .skip(line)
                .take(5)
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_book_of_its_chapters_and_removes_it_on_drop() {
        let book = BookTest::new("Fixture")
            .chapter("One", "one.md", "# One\n\nFirst.\n")
            .chapter("Two", "a/two.md", "# Two\n\nSecond.\n");
        assert_eq!(
            book.read("src/SUMMARY.md"),
            "# Summary\n\n- [One](one.md)\n- [Two](a/two.md)\n"
        );
        let outcome = book.build().expect("builds");
        assert!(outcome.warnings.is_empty(), "{:?}", outcome.warnings);
        assert!(book.read("out/a/two.html").contains("Second."));
        let root = book.root().to_path_buf();
        drop(book);
        assert!(!root.exists());
    }
}

//! The book's invariants. Each test names the file and line that broke, so a failure says
//! where to look: a chapter missing from SUMMARY, an include whose anchor was renamed, a
//! diagram that no longer starts with a diagram type, a build that logs a warning.

use book::check::{self, Problem};
use book::{BuildOptions, repo_root};

fn assert_none(what: &str, problems: Vec<Problem>) {
    assert!(
        problems.is_empty(),
        "{what}: {} problem(s)\n{}",
        problems.len(),
        check::report(&problems)
    );
}

#[test]
fn summary_lists_every_chapter_and_every_entry_exists() {
    assert_none("SUMMARY.md", check::summary(&repo_root()));
}

#[test]
fn every_include_names_an_existing_file_and_anchor() {
    assert_none("includes", check::includes(&repo_root()));
}

#[test]
fn every_mermaid_block_is_a_known_nonempty_diagram() {
    assert_none("mermaid diagrams", check::mermaid(&repo_root()));
}

#[test]
fn every_directive_is_one_a_preprocessor_expands() {
    assert_none("directives", check::directives(&repo_root()));
}

#[test]
fn the_book_builds_without_warnings_and_renders_diagrams() {
    let root = repo_root();
    let dest = root.join("target/book-test");
    let outcome = book::build(
        &root,
        &BuildOptions {
            dest: Some(dest),
            verbose: false,
        },
    )
    .unwrap_or_else(|e| panic!("the book does not build: {e:#}"));
    assert!(
        outcome.warnings.is_empty(),
        "the build logged warnings:\n{}",
        outcome.warnings.join("\n")
    );

    // Every mermaid source block became a `<pre class="mermaid">` for mermaid.js to draw, and
    // the page loads mermaid.js.
    for page in check::pages(&root) {
        let diagrams = check::fences(&page.text)
            .iter()
            .filter(|f| f.info == "mermaid")
            .count();
        if diagrams == 0 {
            continue;
        }
        let html_path = outcome
            .html_dir
            .join(page.path.strip_prefix("src").unwrap())
            .with_extension("html");
        let html = std::fs::read_to_string(&html_path)
            .unwrap_or_else(|e| panic!("{} was not built: {e}", html_path.display()));
        assert_eq!(
            html.matches(r#"<pre class="mermaid">"#).count(),
            diagrams,
            "{}: not every mermaid block was turned into a diagram",
            page.path.display()
        );
        assert!(
            html.contains("mermaid"),
            "{} does not load mermaid.js",
            html_path.display()
        );
    }
}

//! The book's invariants. Each test names the file and line that broke, so a failure says
//! where to look: a chapter missing from SUMMARY, an include whose anchor was renamed, a
//! diagram that no longer starts with a diagram type, a build that logs a warning.

use book::check::{self, Problem};
use book::fixture::BookTest;
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
fn every_rust_block_is_included_from_compiled_code() {
    assert_none(
        "Rust blocks typed into pages",
        check::compiled_rust(&repo_root()),
    );
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
    for page in book::source::pages(&root) {
        let diagrams = book::markdown::fences(&page.text)
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

// ---- Quizzes -------------------------------------------------------------------------------

#[test]
fn every_quiz_validates_and_every_quiz_directive_names_one() {
    let root = repo_root();
    assert!(
        !book::quiz::quiz_files(&root).is_empty(),
        "no quizzes under quizzes/"
    );
    assert_none("quizzes", check::quizzes(&root));
}

/// A small book in a temporary folder (removed on drop): the real quizzes, one page placing
/// `processes`, an index and a drill.
fn quiz_book() -> BookTest {
    let mut book = BookTest::new("Quiz test")
        .preprocessor("quiz")
        .chapter(
            "Processes",
            "concepts/process.md",
            "# Processes\n\nText.\n\n{{#quiz ../../quizzes/processes.toml}}\n\nAfter.\n",
        )
        .chapter("Quizzes", "quizzes.md", "# Quizzes\n\n{{#quiz-index}}\n")
        .chapter("Drill", "drill.md", "# Drill\n\n{{#quiz-drill}}\n");
    for quiz in book::quiz::quiz_files(&repo_root()) {
        let text = std::fs::read_to_string(repo_root().join(&quiz)).unwrap();
        book = book.file(quiz.to_str().unwrap(), &text);
    }
    book
}

/// The JSON in the `<script type="application/json">` following `marker` in `html`.
fn embedded_json(html: &str, marker: &str) -> serde_json::Value {
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in the page"));
    let open = r#"<script type="application/json">"#;
    let start = at + html[at..].find(open).expect("a JSON script") + open.len();
    let end = start + html[start..].find("</script>").expect("the script ends");
    serde_json::from_str(&html[start..end])
        .unwrap_or_else(|e| panic!("the quiz JSON does not parse: {e}\n{}", &html[start..end]))
}

#[test]
fn a_quiz_page_embeds_its_quiz_as_json_with_a_fallback() {
    let temp = quiz_book();
    let outcome = temp
        .build()
        .unwrap_or_else(|e| panic!("the quiz book does not build: {e}"));
    assert!(
        outcome.warnings.is_empty(),
        "the build logged warnings:\n{}",
        outcome.warnings.join("\n")
    );
    let read = |page: &str| std::fs::read_to_string(outcome.html_dir.join(page)).unwrap();

    let page = read("concepts/process.html");
    assert!(
        page.contains(r#"data-quiz-id="processes""#),
        "no quiz container"
    );
    assert!(
        page.contains("<noscript>"),
        "no fallback for readers without JavaScript"
    );
    // quiz.js and quiz.css, with mdBook's content hash in their names.
    assert_eq!(
        page.matches("book-assets/quiz-").count(),
        2,
        "the widget's script and style are not both loaded"
    );
    assert!(
        !page.contains("{{#quiz"),
        "the directive was left in the page"
    );
    let quiz = embedded_json(&page, r#"class="tvp-quiz""#);
    let source = repo_root().join("quizzes/processes.toml");
    let text = std::fs::read_to_string(source).unwrap();
    assert_eq!(quiz["id"], "processes");
    assert_eq!(
        quiz["questions"].as_array().map(Vec::len),
        Some(text.matches("[[questions]]").count()),
        "every question of the TOML is in the page"
    );
    let fork_loop = &quiz["questions"][0];
    assert_eq!(fork_loop["kind"], "short");
    assert_eq!(fork_loop["accepted"][0], "8");

    // The index links the quiz's page and counts its questions; the drill holds every quiz.
    let index = read("quizzes.html");
    assert!(index.contains(r#"href="concepts/process.html""#), "{index}");
    let listed = embedded_json(&index, r#"class="tvp-quiz-index""#);
    assert_eq!(listed["drill"], "drill.html");
    let drill = embedded_json(&read("drill.html"), r#"class="tvp-quiz-drill""#);
    let ids: Vec<&str> = drill["quizzes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|q| q["id"].as_str())
        .collect();
    let files = book::quiz::quiz_files(&repo_root());
    assert_eq!(
        ids.len(),
        files.len(),
        "the drill holds every quiz: {ids:?}"
    );
    assert_eq!(
        ids[0], "processes",
        "placed quizzes come first, in book order"
    );
    assert_eq!(drill["quizzes"][0]["href"], "concepts/process.html");
}

#[test]
fn a_bad_quiz_fails_the_build_naming_page_file_and_question() {
    let temp = quiz_book();
    let quiz = temp.root().join("quizzes/processes.toml");
    let text = std::fs::read_to_string(&quiz).unwrap();
    let bad = text.replacen(
        "answer.answer = \"0\"",
        "answer.answer = \"0\"\nprompt.answerIndex = 9",
        1,
    );
    assert_ne!(bad, text, "the test's quiz changed: update the replacement");
    std::fs::write(&quiz, bad).unwrap();

    let error = match temp.build() {
        Ok(_) => panic!("a quiz with answerIndex out of range built"),
        Err(e) => e,
    };
    for expected in [
        "quizzes/processes.toml:",
        "(`fork-return-child`): `prompt.answerIndex` is 9",
        "src/concepts/process.md:5: {{#quiz ../../quizzes/processes.toml}}",
    ] {
        assert!(error.contains(expected), "no `{expected}` in:\n{error}");
    }
}

// ---- Measured results ----------------------------------------------------------------------

#[test]
fn every_results_directive_has_reference_data() {
    assert_none("results directives", check::results(&repo_root()));
}

/// Books with results of their own, built in temporary folders: results are looked up
/// relative to the book's root, so these never touch the repository's results/.
mod results {
    use book::fixture::BookTest;
    use std::path::Path;

    /// A one-page book in a temporary folder, removed on drop (even when a test fails).
    struct ResultsBook(BookTest);

    impl ResultsBook {
        fn new(page: &str) -> Self {
            ResultsBook(
                BookTest::new("Results test")
                    .preprocessor("results")
                    .chapter("Lab", "lab.md", page),
            )
        }

        /// Writes `results/<folder>/spawn-cost.json` as `cargo book measure` would.
        fn results(&self, folder: &str, cpu: &str, thread_ns: f64, fork_ns: f64) {
            let record = |what: &str, median: f64| {
                format!(
                    r#"{{"id": "spawn-cost/{what}", "what": "{what} and wait", "unit": "ns",
                        "median": {median}, "low": {}, "high": {}, "samples": 100}}"#,
                    median * 0.9,
                    median * 1.2
                )
            };
            let report = format!(
                r#"{{"lab": "spawn-cost",
                    "machine": {{"cpu_model": "{cpu}", "cores": 2, "memory_bytes": 8589934592,
                                 "kernel": "Linux 6.1.0", "rustc": "rustc 1.88.0 (x 2025-06-23)",
                                 "date": "2025-06-01T12:00:00Z"}},
                    "records": [{}, {}]}}"#,
                record("thread", thread_ns),
                record("fork", fork_ns)
            );
            self.0
                .write(&format!("results/{folder}/spawn-cost.json"), &report);
        }

        /// Builds the book; the page's HTML, or the error as `cargo book` prints it.
        fn build(&self) -> Result<String, String> {
            self.0.build()?;
            Ok(self.0.read("out/lab.html"))
        }

        fn root(&self) -> &Path {
            self.0.root()
        }
    }

    #[test]
    fn a_directive_without_reference_data_fails_the_build_with_file_and_line() {
        let book = ResultsBook::new(
            "# Lab\n\nSome text.\n\n{{#bench nonexistent/}}\n\nAnd {{#value spawn-cost/thread}}.\n",
        );
        book.results("reference", "Reference CPU", 20_000.0, 300_000.0);
        let err = book
            .build()
            .expect_err("a missing result must fail the build");
        assert!(
            err.contains("src/lab.md:5: no reference result for `nonexistent/`"),
            "{err}"
        );
        assert!(!err.contains("spawn-cost/thread"), "that one exists: {err}");

        let problems = book::check::results(book.root());
        assert_eq!(problems.len(), 1, "{}", book::check::report(&problems));
        assert_eq!(
            (problems[0].file.to_str(), problems[0].line),
            (Some("src/lab.md"), 5)
        );
    }

    #[test]
    fn results_show_the_reference_alone_then_beside_the_readers_own() {
        let page = "# Lab\n\nA thread: {{#value spawn-cost/thread}}; fork: \
                    {{#ratio spawn-cost/fork spawn-cost/thread}} as long.\n\n\
                    {{#bench spawn-cost}}\n\n{{#machine}}\n";
        let book = ResultsBook::new(page);
        book.results("reference", "Reference CPU", 20_000.0, 300_000.0);
        let html = book.build().unwrap();
        assert!(
            html.contains("A thread: 20.0 µs; fork: 15× as long."),
            "{html}"
        );
        assert!(html.contains("<figure class=\"chart\""));
        assert!(html.contains("<svg ") && html.contains("<title>Bar chart"));
        assert!(
            html.contains(">thread and wait</td>"),
            "a table row per result"
        );
        assert!(html.contains("Measured on: the reference machine, Reference CPU"));
        assert!(!html.contains("yours") && !html.contains("Your CPU"));

        book.results("local", "Your CPU", 10_000.0, 50_000.0);
        let html = book.build().unwrap();
        assert!(
            html.contains("A thread: 20.0 µs (yours: 10.0 µs); fork: 15× (yours: 5.0×) as long."),
            "{html}"
        );
        assert!(html.contains("Your median"));
        assert!(html.contains("your machine, Your CPU"));
        assert!(html.contains("Your results: measured on Your CPU"));
    }
}

#[test]
fn no_measurement_is_typed_by_hand() {
    assert_none(
        "typed figures (measured numbers must come from results directives)",
        check::figures(&repo_root()),
    );
}

// ---- Labs against pages, and links between pages ------------------------------------------

#[test]
fn every_lab_has_a_page_tests_and_bench_and_every_anchor_is_used() {
    assert_none("labs and pages (meta-check)", check::meta(&repo_root()));
}

#[test]
fn every_link_and_anchor_between_built_pages_resolves() {
    let root = repo_root();
    let outcome = book::build(
        &root,
        &BuildOptions {
            dest: Some(root.join("target/book-links")),
            verbose: false,
        },
    )
    .unwrap_or_else(|e| panic!("the book does not build: {e:#}"));
    assert_none(
        "links between pages",
        book::checks::linkcheck::check(&root, &outcome.html_dir),
    );
}

/// The meta-check and the link check on a book of their own, broken one way at a time: each
/// breakage fails naming the file (and line) to fix.
mod breakage {
    use super::assert_none;
    use book::check::{self, Problem};
    use book::fixture::BookTest;

    const LIB: &str = "//! The demo lab.\n\n// ANCHOR: work\npub fn work() -> u32 {\n    42\n}\n\
                       // ANCHOR_END: work\n";
    const LAB_PAGE: &str = "# Demo lab\n\n```rust\n{{#include ../labs/demo/src/lib.rs:work}}\n```\n\n\
                            Run it with `cargo lab demo`.\n\nSee [the details](other.md#details).\n";

    /// A two-page book with one lab, `demo`, in a temporary folder removed on drop.
    fn demo() -> BookTest {
        BookTest::new("Demo")
            .chapter("Demo lab", "demo.md", LAB_PAGE)
            .chapter(
                "Other",
                "other.md",
                "# Other\n\n## Details\n\nBack to [the lab](demo.md).\n",
            )
            .file(
                "labs/demo/Cargo.toml",
                "[package]\nname = \"demo\"\nversion = \"0.1.0\"\n",
            )
            .file("labs/demo/src/lib.rs", LIB)
            .file(
                "labs/demo/tests/demo.rs",
                "#[test]\nfn works() {\n    assert_eq!(demo::work(), 42);\n}\n",
            )
    }

    /// The checks a demo book's breakage is about.
    trait Breakage {
        fn problems(&self) -> Vec<Problem>;
        fn link_problems(&self) -> Vec<Problem>;
    }

    impl Breakage for BookTest {
        /// The source checks this breakage is about (the others, e.g. quizzes and results,
        /// have demos of their own).
        fn problems(&self) -> Vec<Problem> {
            let mut problems = check::summary(self.root());
            problems.extend(check::includes(self.root()));
            problems.extend(check::meta(self.root()));
            problems
        }

        /// Builds the book and checks its links.
        fn link_problems(&self) -> Vec<Problem> {
            let outcome = self
                .build()
                .unwrap_or_else(|e| panic!("the demo book does not build: {e}"));
            book::checks::linkcheck::check(self.root(), &outcome.html_dir)
        }
    }

    /// Exactly one problem, at `location` (`file:line`), whose message contains `words`.
    fn assert_one(problems: &[Problem], location: &str, words: &str) {
        let report = check::report(problems);
        assert_eq!(problems.len(), 1, "expected one problem, got:\n{report}");
        assert!(
            report.starts_with(&format!("{location}: ")) && report.contains(words),
            "expected `{location}: …{words}…`, got:\n{report}"
        );
    }

    #[test]
    fn the_demo_book_is_sound() {
        let demo = demo();
        assert_none("the demo book", demo.problems());
        assert_none("the demo book's links", demo.link_problems());
    }

    #[test]
    fn a_removed_anchor_names_the_page_that_includes_it() {
        let demo = demo();
        let without: String = LIB.lines().filter(|l| !l.contains("ANCHOR")).collect();
        demo.write("labs/demo/src/lib.rs", &without);
        assert_one(
            &demo.problems(),
            "src/demo.md:4",
            "has no ANCHOR/ANCHOR_END pair named `work`",
        );
    }

    #[test]
    fn an_anchor_no_page_includes_names_the_lab_file() {
        let demo = demo();
        let spare = format!("{LIB}\n// ANCHOR: spare\npub fn spare() {{}}\n// ANCHOR_END: spare\n");
        demo.write("labs/demo/src/lib.rs", &spare);
        assert_one(
            &demo.problems(),
            "labs/demo/src/lib.rs:9",
            "ANCHOR `spare` is not included by any page",
        );
    }

    #[test]
    fn a_lab_without_a_page_names_its_manifest() {
        let demo = demo();
        demo.write(
            "labs/orphan/Cargo.toml",
            "[package]\nname = \"orphan\"\nversion = \"0.1.0\"\n",
        );
        demo.write("labs/orphan/src/lib.rs", "pub fn orphan() {}\n");
        demo.write("labs/orphan/tests/orphan.rs", "#[test]\nfn t() {}\n");
        assert_one(
            &demo.problems(),
            "labs/orphan/Cargo.toml:1",
            "lab `orphan` has no page",
        );
    }

    #[test]
    fn a_lab_without_tests_names_its_manifest() {
        let demo = demo();
        std::fs::remove_dir_all(demo.root().join("labs/demo/tests")).unwrap();
        assert_one(
            &demo.problems(),
            "labs/demo/Cargo.toml:1",
            "lab `demo` has no test file",
        );
    }

    #[test]
    fn a_lab_that_times_without_a_bench_names_where_it_times() {
        let demo = demo();
        // What a lab measures is read from its typed reference results, not its source.
        let mut report = kit::Report::new("demo");
        report.push(kit::Record::count(
            "demo/lines",
            "lines",
            kit::Unit::Count(kit::Noun::Lines),
            3.0,
        ));
        demo.write("results/reference/demo.json", &report.to_json());
        demo.write(
            "labs/demo/src/main.rs",
            "fn main() {\n    let unit = \"ns\";\n    println!(\"{unit}\");\n}\n",
        );
        assert_none("a lab whose results hold no time", demo.problems());
        report.push(kit::Record::nanos(
            "demo/time",
            "a time",
            kit::Summary::single(5.0),
        ));
        demo.write("results/reference/demo.json", &report.to_json());
        let problems = demo.problems();
        let line = report
            .to_json()
            .lines()
            .position(|l| l.contains("\"demo/time\""))
            .unwrap();
        assert_one(
            &problems,
            &format!("results/reference/demo.json:{}", line + 1),
            "measures time (its reference results hold this duration) but has no",
        );
        demo.write("labs/demo/benches/demo.rs", "fn main() {}\n");
        assert_none("a timing lab with its bench", demo.problems());
    }

    #[test]
    fn a_page_naming_a_lab_that_does_not_exist_names_the_page_and_line() {
        let demo = demo();
        demo.write(
            "src/other.md",
            "# Other\n\n## Details\n\nTry `cargo lab nosuch` too.\n",
        );
        assert_one(
            &demo.problems(),
            "src/other.md:5",
            "`cargo lab nosuch`: there is no such lab",
        );
    }

    #[test]
    fn a_broken_anchor_link_names_the_page_and_line() {
        let demo = demo();
        demo.write(
            "src/demo.md",
            &LAB_PAGE.replace("other.md#details", "other.md#no-such-heading"),
        );
        assert_one(
            &demo.link_problems(),
            "src/demo.md:9",
            "other.html has no element with id `no-such-heading`",
        );
    }

    #[test]
    fn a_link_to_a_missing_page_names_the_page_and_line() {
        let demo = demo();
        demo.write(
            "src/other.md",
            "# Other\n\n## Details\n\nSee [the gone page](gone.md).\n",
        );
        assert_one(
            &demo.link_problems(),
            "src/other.md:5",
            "gone.html does not exist",
        );
    }
}

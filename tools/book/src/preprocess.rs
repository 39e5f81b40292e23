//! Our preprocessors as mdBook's external preprocessor protocol speaks them, so the stock
//! `mdbook build` and `mdbook serve` run them too: `book.toml`'s `[preprocessor.NAME]` tables
//! say `command = "cargo run --quiet -p book -- preprocess NAME"`.
//!
//! The protocol (mdBook's guide, `for_developers/preprocessors.md`; the caller is
//! `CmdPreprocessor` in mdbook-driver 0.5, `src/builtin_preprocessors/cmd.rs`):
//! - `COMMAND supports RENDERER` (stdin closed): exit status 0 if the preprocessor runs for
//!   that renderer, any other status if not;
//! - `COMMAND`: a JSON array `[PreprocessorContext, Book]` on stdin, the processed `Book` as
//!   JSON on stdout, and a failing exit status to fail the build. mdBook runs it with the book
//!   root as its working directory and passes stderr through.
//!
//! [`Name`] is the one list of our preprocessors. [`register`] puts the same ones into an
//! in-process [`MDBook`] (`cargo book build`): `with_preprocessor` replaces the command
//! preprocessor that `MDBook::load` made for the table of the same name, so `cargo book`
//! never spawns cargo. Both paths stage the assets ([`crate::assets::stage`]): the in-process
//! load before it builds, this protocol before it answers, which is before mdBook's HTML
//! renderer copies `additional-js` and `additional-css` (mdbook-driver's
//! `MDBook::execute_build_process` runs every preprocessor, then `renderer.render`).

use crate::quiz::QuizPreprocessor;
use crate::results::ResultsPreprocessor;
use anyhow::Context;
use mdbook_driver::MDBook;
use mdbook_preprocessor::book::Book;
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};
use std::io::{Read, Write};

/// One of our preprocessors, as `book.toml` and `preprocess NAME` name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Name {
    /// ```` ```mermaid ```` blocks into diagrams (the mdbook-mermaid crate, linked).
    Mermaid,
    /// `{{#quiz …}}`, `{{#quiz-index}}`, `{{#quiz-drill}}` ([`crate::quiz`]).
    Quiz,
    /// `{{#bench}}`, `{{#value}}`, `{{#ratio}}`, `{{#machine}}` ([`crate::results`]).
    Results,
}

impl Name {
    /// Every preprocessor, in the order `cargo book` registers them.
    pub const ALL: [Name; 3] = [Name::Mermaid, Name::Quiz, Name::Results];

    /// The preprocessor itself; its `name()` is the `[preprocessor.NAME]` table it replaces.
    pub fn preprocessor(self) -> Box<dyn Preprocessor> {
        match self {
            Name::Mermaid => Box::new(mdbook_mermaid::Mermaid),
            Name::Quiz => Box::new(QuizPreprocessor),
            Name::Results => Box::new(ResultsPreprocessor),
        }
    }

    /// The command `book.toml` gives mdBook for this preprocessor.
    pub fn command(self) -> String {
        command_for(self.preprocessor().name())
    }
}

/// The command of the `[preprocessor.NAME]` table: the book tool through cargo, so a reader
/// with the stock `mdbook` installs nothing else (cargo builds the tool on first use).
pub fn command_for(name: &str) -> String {
    format!("cargo run --quiet -p book -- preprocess {name}")
}

/// Registers every preprocessor in `book`, replacing the command tables of the same names in
/// place (a name with no table is appended, after mdBook's `links`).
pub fn register(book: &mut MDBook) {
    for name in Name::ALL {
        book.with_preprocessor(Registered(name.preprocessor()));
    }
}

/// `with_preprocessor` takes a concrete type: this one forwards to the boxed preprocessor.
struct Registered(Box<dyn Preprocessor>);

impl Preprocessor for Registered {
    fn name(&self) -> &str {
        self.0.name()
    }

    fn run(&self, ctx: &PreprocessorContext, book: Book) -> anyhow::Result<Book> {
        self.0.run(ctx, book)
    }

    fn supports_renderer(&self, renderer: &str) -> anyhow::Result<bool> {
        self.0.supports_renderer(renderer)
    }
}

/// `preprocess NAME supports RENDERER`: an error (exit status 1) when `name` does not run
/// for `renderer`, which is how mdBook is told "no".
pub fn supports(name: Name, renderer: &str) -> anyhow::Result<()> {
    let preprocessor = name.preprocessor();
    anyhow::ensure!(
        preprocessor.supports_renderer(renderer)?,
        "the {} preprocessor does not support the {renderer} renderer",
        preprocessor.name()
    );
    Ok(())
}

/// `preprocess NAME`: reads `[PreprocessorContext, Book]` from `input`, stages the assets
/// under the book's root, runs the preprocessor and writes the book to `output`.
pub fn run(name: Name, input: impl Read, mut output: impl Write) -> anyhow::Result<()> {
    let preprocessor = name.preprocessor();
    let (ctx, book) = mdbook_preprocessor::parse_input(input)
        .with_context(|| format!("the {} preprocessor's input", preprocessor.name()))?;
    if ctx.mdbook_version != mdbook_preprocessor::MDBOOK_VERSION {
        // mdBook's own example preprocessor warns the same way and carries on: the protocol
        // is only promised between equal versions.
        eprintln!(
            "warning: the {} preprocessor was built against mdBook {} and is called by {}",
            preprocessor.name(),
            mdbook_preprocessor::MDBOOK_VERSION,
            ctx.mdbook_version
        );
    }
    crate::assets::stage(&ctx.root)?;
    let book = preprocessor.run(&ctx, book)?;
    serde_json::to_writer(&mut output, &book)?;
    output.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::BookTest;
    use mdbook_preprocessor::book::BookItem;

    /// `[PreprocessorContext, Book]` as mdBook writes it for `book`, for the html renderer.
    fn input_for(book: &BookTest) -> (Vec<u8>, Book) {
        let loaded = MDBook::load(book.root()).expect("the book loads");
        let ctx = PreprocessorContext::new(
            loaded.root.clone(),
            loaded.config.clone(),
            "html".to_owned(),
        );
        let json = serde_json::to_vec(&(&ctx, &loaded.book)).expect("serialises");
        (json, loaded.book)
    }

    fn content_of(book: &Book, name: &str) -> String {
        book.iter()
            .find_map(|item| match item {
                BookItem::Chapter(chapter) if chapter.name == name => Some(&chapter.content),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no chapter {name}"))
            .clone()
    }

    fn results_book(page: &str) -> BookTest {
        let record = r#"{"id": "spawn-cost/thread", "what": "spawn a thread and join it",
            "unit": "ns", "median": 20000.0, "low": 18000.0, "high": 24000.0, "samples": 100}"#;
        BookTest::new("Protocol")
            .preprocessor("mermaid")
            .preprocessor("results")
            .chapter("Lab", "lab.md", page)
            .file(
                "results/reference/spawn-cost.json",
                &format!(
                    r#"{{"lab": "spawn-cost",
                        "machine": {{"cpu_model": "Test CPU", "cores": 2,
                                     "memory_bytes": 8589934592, "kernel": "Linux 6.1.0",
                                     "rustc": "rustc 1.88.0", "date": "2025-06-01T12:00:00Z"}},
                        "records": [{record}]}}"#
                ),
            )
    }

    #[test]
    fn the_protocol_gives_what_the_in_process_preprocessor_gives_and_stages_the_assets() {
        let book = results_book(
            "# Lab\n\nA thread costs {{#value spawn-cost/thread}}.\n\n\
             ```mermaid\ngraph TD\n  A --> B\n```\n",
        );
        let (input, loaded) = input_for(&book);
        let mut book_now = loaded.clone();
        let ctx = mdbook_preprocessor::parse_input(&input[..]).unwrap().0;
        for name in [Name::Results, Name::Mermaid] {
            let mut output = Vec::new();
            let json = serde_json::to_vec(&(&ctx, &book_now)).unwrap();
            run(name, &json[..], &mut output).expect("the preprocessor runs");
            let through_protocol: Book = serde_json::from_slice(&output).expect("a Book");
            let in_process = name.preprocessor().run(&ctx, book_now).unwrap();
            assert_eq!(through_protocol, in_process, "{name:?}");
            book_now = through_protocol;
        }
        let page = content_of(&book_now, "Lab");
        assert!(!page.contains("{{#value"), "{page}");
        assert!(page.contains("A thread costs 20"), "{page}");
        assert!(page.contains(r#"<pre class="mermaid">"#), "{page}");
        for asset in ["mermaid.min.js", "mermaid-init.js", "quiz.js", "quiz.css"] {
            let staged = book.root().join(crate::assets::STAGING_DIR).join(asset);
            assert!(staged.is_file(), "{} was not staged", staged.display());
        }
    }

    #[test]
    fn an_error_fails_the_command_with_the_page_and_line() {
        let book = results_book("# Lab\n\nGone: {{#value spawn-cost/nothing}}.\n");
        let (input, _) = input_for(&book);
        let mut output = Vec::new();
        let err = run(Name::Results, &input[..], &mut output).unwrap_err();
        assert!(format!("{err:#}").contains("src/lab.md:3"), "{err:#}");
        assert!(output.is_empty(), "a failed run wrote a book");
    }

    #[test]
    fn input_that_is_not_the_protocol_is_an_error() {
        let err = run(Name::Quiz, &b"{}"[..], Vec::new()).unwrap_err();
        assert!(format!("{err:#}").contains("quiz"), "{err:#}");
    }

    #[test]
    fn each_supports_the_renderers_it_runs_for() {
        for name in Name::ALL {
            supports(name, "html").unwrap_or_else(|e| panic!("{name:?}: {e}"));
        }
        // The quiz widget and the diagrams are HTML and JavaScript: nothing for other outputs.
        for name in [Name::Mermaid, Name::Quiz] {
            let err = supports(name, "markdown").unwrap_err().to_string();
            assert!(
                err.contains("does not support the markdown renderer"),
                "{err}"
            );
        }
        // Results are text and tables, which any renderer can show.
        supports(Name::Results, "markdown").unwrap();
    }

    #[test]
    fn book_toml_runs_each_preprocessor_through_this_protocol() {
        let text = std::fs::read_to_string(crate::repo_root().join("book.toml")).unwrap();
        let config: toml::Table = text.parse().expect("book.toml parses");
        for name in Name::ALL {
            let table = name.preprocessor().name().to_owned();
            let command = config["preprocessor"][&table]["command"].as_str();
            assert_eq!(
                command,
                Some(name.command().as_str()),
                "[preprocessor.{table}]"
            );
        }
    }
}
